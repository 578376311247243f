#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The QEMU AP emulation (tools/qemu/patches, Documentation/qemu-ap-emulation.rst)
# seen from a Linux guest: the AP bus finds the configured cards and queues
# with their type and mode, apmask/aqmask hand queues to vfio_ap, an mdev
# takes adapters and domains, and QMP reconfiguration adds and removes
# adapters and domains while the guest runs (CRW + CHSC SEI, within 5 s).
#
# Needs an ap-emu device; the test reads its configuration through QMP, so
# any configuration with at least one adapter and one domain, and a free
# adapter id and domain id below the maxima, works. The one the selftests use:
#   --qemu-arg=-device --qemu-arg=ap-emu,adapters=0:1,domains=0-3,control-domains=0-5,adapter-type=cex7,adapter-mode=cca,max-adapter-id=15,max-domain-id=31
# Runs with either vfio_ap (--module upstream or ours).
. ./lib/vm.sh

AP=/sys/bus/ap
MATRIX=/sys/devices/vfio_ap/matrix
MDEV_TYPE=$MATRIX/mdev_supported_types/vfio_ap-passthrough

# --- helpers -----------------------------------------------------------------

# JSON field of a flat reply: json_num KEY, json_list KEY (space separated).
json_num() { printf '%s' "$reply" | sed -n "s/.*\"$1\": *\([0-9a-z]*\).*/\1/p"; }
json_str() { printf '%s' "$reply" | sed -n "s/.*\"$1\": *\"\([^\"]*\)\".*/\1/p"; }
json_list() { printf '%s' "$reply" | sed -n "s/.*\"$1\": *\[\([0-9, ]*\)\].*/\1/p" | tr ',' ' '; }

# 256-bit mask as the AP bus prints it, from decimal ids.
mask_hex() {
	echo "$*" | awk '{
		b[0] = 8; b[1] = 4; b[2] = 2; b[3] = 1
		for (i = 0; i < 64; i++) n[i] = 0
		for (i = 1; i <= NF; i++) n[int($i / 4)] += b[$i % 4]
		s = "0x"; for (i = 0; i < 64; i++) s = s sprintf("%x", n[i]); print s }'
}

# All-ones mask without the given ids (apmask/aqmask after "-id").
mask_hex_without() {
	echo "$*" | awk '{
		b[0] = 8; b[1] = 4; b[2] = 2; b[3] = 1
		for (i = 0; i < 64; i++) n[i] = 15
		for (i = 1; i <= NF; i++) n[int($i / 4)] -= b[$i % 4]
		s = "0x"; for (i = 0; i < 64; i++) s = s sprintf("%x", n[i]); print s }'
}

card() { printf 'card%02x' "$1"; }
apqn() { printf '%02x.%04x' "$1" "$2"; }
contains() { case " $1 " in *" $2 "*) return 0 ;; esac; return 1; }
first_free() { # first_free MAX USED...
	_max=$1; shift
	_i=0
	while [ $_i -le "$_max" ]; do
		contains "$*" $_i || { echo $_i; return; }
		_i=$((_i + 1))
	done
}

# Sorted listing of AP bus devices of one kind.
cards_now() { ls $AP/devices 2>/dev/null | grep '^card' | sort | tr '\n' ' '; }
queues_now() { ls $AP/devices 2>/dev/null | grep '\.' | sort | tr '\n' ' '; }
cards_of() { for a in $*; do card "$a"; echo; done | sort | tr '\n' ' '; }
queues_of() { # queues_of "ADAPTERS" "DOMAINS"
	for a in $1; do for d in $2; do apqn "$a" "$d"; echo; done; done | sort | tr '\n' ' '
}
driver_of() { _l=$(readlink "$AP/devices/$1/driver" 2>/dev/null) && basename "$_l"; }

now_ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }

# wait_for SECONDS COMMAND...: polls every 0.1 s; sets $waited_ms.
wait_for() {
	_limit=$(($1 * 1000)); shift
	_t0=$(now_ms)
	while :; do
		if "$@"; then waited_ms=$(($(now_ms) - _t0)); return 0; fi
		waited_ms=$(($(now_ms) - _t0))
		[ $waited_ms -ge $_limit ] && return 1
		sleep 0.1
	done
}

qmp() { host qmp "$1"; }

plan 44

# --- the configuration -------------------------------------------------------

test -d $AP
ok $? "the AP bus exists (PQAP TAPQ on 00.0000 does not fault)"

reply=$(qmp '{"execute": "x-query-s390x-ap-config"}')
ok $? "x-query-s390x-ap-config answers: $reply"
ADAPTERS=$(json_list adapters)
DOMAINS=$(json_list domains)
CDOMAINS=$(json_list control-domains)
MAXA=$(json_num max-adapter-id)
MAXD=$(json_num max-domain-id)
APXA=$(json_num apxa)
TYPE=$(json_num adapter-type)
MODE=$(json_str adapter-mode)
DEPTH=$(json_num queue-depth)
initial_reply=$reply
A=${ADAPTERS%% *}
D=${DOMAINS%% *}
DL=${DOMAINS##* }
diag "adapters=$ADAPTERS domains=$DOMAINS control=$CDOMAINS max=$MAXA/$MAXD apxa=$APXA type=$TYPE mode=$MODE depth=$DEPTH"

# Keep the periodic AP bus scan out of the way: changes must come from the
# machine's notification.
echo 120 >$AP/config_time 2>/dev/null

[ "$(cat $AP/ap_max_adapter_id)" = "$MAXA" ]
ok $? "ap_max_adapter_id is $MAXA ($(cat $AP/ap_max_adapter_id))"
[ "$(cat $AP/ap_max_domain_id)" = "$MAXD" ]
ok $? "ap_max_domain_id is $MAXD ($(cat $AP/ap_max_domain_id))"
[ "$(cat $AP/ap_adapter_mask)" = "$(mask_hex $ADAPTERS)" ]
ok $? "ap_adapter_mask is the APM ($(cat $AP/ap_adapter_mask))"
[ "$(cat $AP/ap_usage_domain_mask)" = "$(mask_hex $DOMAINS)" ]
ok $? "ap_usage_domain_mask is the AQM ($(cat $AP/ap_usage_domain_mask))"
[ "$(cat $AP/ap_control_domain_mask)" = "$(mask_hex $CDOMAINS)" ]
ok $? "ap_control_domain_mask is the ADM ($(cat $AP/ap_control_domain_mask))"
features=$(cat $AP/features)
if [ "$APXA" = true ]; then contains "$features" APXA; else ! contains "$features" APXA; fi
ok $? "QCI N bit reported as apxa=$APXA (features: $features)"

want_cards=$(cards_of $ADAPTERS)
want_queues=$(queues_of "$ADAPTERS" "$DOMAINS")
[ "$(cards_now)" = "$want_cards" ]
ok $? "cards are the configured adapters: $(cards_now)"
[ "$(queues_now)" = "$want_queues" ]
ok $? "queues are APM x AQM: $(queues_now)"

case $MODE in
accel) fac=0x68000000 ;;
cca) fac=0x70000000 ;;
ep11) fac=0x04000000 ;;
esac
[ "$APXA" = true ] && fac=$(printf '0x%08X' $((fac | 0x02000000)))
fac=$(printf '0x%08X' $((fac)))

bad=""
for a in $ADAPTERS; do [ "$(cat $AP/devices/$(card $a)/hwtype)" = "$TYPE" ] || bad="$bad $a"; done
ok $([ -z "$bad" ]; echo $?) "cards' hwtype is $TYPE${bad:+ (wrong on$bad)}"
bad=""
for a in $ADAPTERS; do [ "$(cat $AP/devices/$(card $a)/raw_hwtype)" = "$TYPE" ] || bad="$bad $a"; done
ok $([ -z "$bad" ]; echo $?) "cards' raw_hwtype is $TYPE${bad:+ (wrong on$bad)}"
bad=""
for a in $ADAPTERS; do [ "$(cat $AP/devices/$(card $a)/ap_functions)" = "$fac" ] || bad="$bad $a"; done
ok $([ -z "$bad" ]; echo $?) "cards' ap_functions is $fac for mode $MODE${bad:+ (wrong on$bad)}"
bad=""
for a in $ADAPTERS; do [ "$(cat $AP/devices/$(card $a)/depth)" = "$DEPTH" ] || bad="$bad $a"; done
ok $([ -z "$bad" ]; echo $?) "cards' depth is $DEPTH${bad:+ (wrong on$bad)}"
bad=""
for q in $want_queues; do [ "$(cat $AP/devices/$q/ap_functions)" = "$fac" ] || bad="$bad $q"; done
ok $([ -z "$bad" ]; echo $?) "queues' ap_functions (TAPQ with the T bit) is $fac${bad:+ (wrong on$bad)}"
if [ -e "$AP/devices/$(card $A)/type" ]; then
	t=$(cat "$AP/devices/$(card $A)/type")
	case $MODE in accel) m=A ;; cca) m=C ;; ep11) m=P ;; esac
	[ "$t" = "CEX$((TYPE - 6))$m" ]
	ok $? "card type attribute is CEX$((TYPE - 6))$m ($t)"
else
	skip "card type attribute" "provided by zcrypt, which this kernel does not have"
fi

# --- apmask / aqmask and vfio_ap ---------------------------------------------

bad=""
for q in $want_queues; do [ -z "$(driver_of $q)" ] || bad="$bad $q"; done
ok $([ -z "$bad" ]; echo $?) "no queue has a driver before vfio_ap is loaded${bad:+ (bound:$bad)}"

r=$(write_attr "-$A" $AP/apmask)
[ "$r" = OK ] && [ "$(cat $AP/apmask)" = "$(mask_hex_without $A)" ]
ok $? "apmask -$A: $r, $(cat $AP/apmask)"
r=$(write_attr "-$DL" $AP/aqmask)
[ "$r" = OK ] && [ "$(cat $AP/aqmask)" = "$(mask_hex_without $DL)" ]
ok $? "aqmask -$DL: $r, $(cat $AP/aqmask)"

load_vfio_ap
ok $? "vfio_ap loads"

# Queues no longer owned by the default drivers: adapter A's and domain DL's.
vfio_queues=$( (queues_of "$A" "$DOMAINS"; queues_of "$ADAPTERS" "$DL") | tr ' ' '\n' | sort -u | tr '\n' ' ')
all_bound() { for q in $vfio_queues; do [ "$(driver_of $q)" = vfio_ap ] || return 1; done; }
wait_for 5 all_bound
ok $? "queues $vfio_queues bind to vfio_ap (${waited_ms} ms)"
bad=""
for q in $want_queues; do
	contains "$vfio_queues" $q && continue
	[ -z "$(driver_of $q)" ] || bad="$bad $q"
done
ok $([ -z "$bad" ]; echo $?) "the default pool's queues stay unbound${bad:+ (bound:$bad)}"

# RAPQ, reset in progress, AQIC and the I bit, through the AP bus' own
# queue state machine (it runs for queues bound to a driver).
Q=$(apqn $A $D)
echo 1 >$AP/devices/$Q/reset
irq_on() {
	[ "$(cat $AP/devices/$Q/interrupt)" = "Interrupts enabled." ] &&
		[ "$(cat $AP/devices/$Q/reset)" = "No Reset Timer set." ]
}
if [ "$(cat $AP/ap_interrupts)" = 1 ]; then
	wait_for 5 irq_on
	ok $? "reset of $Q completes and AQIC turns its interruptions on (${waited_ms} ms: $(cat $AP/devices/$Q/reset) $(cat $AP/devices/$Q/interrupt))"
else
	skip "reset of $Q and AQIC" "the guest does not use AP interruptions"
fi

test -d $MDEV_TYPE
ok $? "vfio_ap offers the mdev type vfio_ap-passthrough"
UUID=$(cat /proc/sys/kernel/random/uuid)
MDEV=$MATRIX/$UUID
r=$(write_attr "$UUID" $MDEV_TYPE/create)
[ "$r" = OK ] && [ -d "$MDEV" ]
ok $? "mdev $UUID is created ($r)"
r=$(write_attr "$(printf 0x%x $A)" $MDEV/assign_adapter)
[ "$r" = OK ]
ok $? "assign_adapter $A: $r"
r=$(write_attr "$(printf 0x%x $D)" $MDEV/assign_domain)
[ "$r" = OK ]
ok $? "assign_domain $D: $r"
r=$(write_attr "$(printf 0x%x $D)" $MDEV/assign_control_domain)
[ "$r" = OK ]
ok $? "assign_control_domain $D: $r"
contains "$(cat $MDEV/matrix | tr '\n' ' ')" "$Q"
ok $? "matrix lists $Q: $(cat $MDEV/matrix | tr '\n' ' ')"
contains "$(cat $MDEV/guest_matrix | tr '\n' ' ')" "$Q"
ok $? "guest_matrix lists $Q: $(cat $MDEV/guest_matrix | tr '\n' ' ')"

# --- hot plug through QMP ----------------------------------------------------

NA=$(first_free "$MAXA" $ADAPTERS)
ND=$(first_free "$MAXD" $DOMAINS $CDOMAINS)
diag "hot plug: adapter $NA, domain $ND"
r1=$(write_attr "-$NA" $AP/apmask)
r2=$(write_attr "$(printf 0x%x $NA)" $MDEV/assign_adapter)
r3=$(write_attr "$(printf 0x%x $ND)" $MDEV/assign_domain)
[ "$r1$r2$r3" = OKOKOK ]
ok $? "adapter $NA and domain $ND (not yet configured) go to the mdev: apmask $r1, assign_adapter $r2, assign_domain $r3"
gm=$(cat $MDEV/guest_matrix | tr '\n' ' ')
! contains "$gm" "$(apqn $NA $D)" && ! contains "$gm" "$(apqn $A $ND)"
ok $? "guest_matrix has none of them yet: $gm"

scans0=$(cat $AP/scans)
reply=$(qmp "{\"execute\": \"x-s390x-ap-config-add\", \"arguments\": {\"adapters\": [$NA], \"domains\": [$ND]}}")
rc=$?
card_there() { test -d "$AP/devices/$(card $NA)"; }
wait_for 5 card_there
r=$?
[ $rc -eq 0 ] && [ $r -eq 0 ]
ok $? "x-s390x-ap-config-add adapter $NA domain $ND: $(card $NA) appears in ${waited_ms} ms (scans $scans0 -> $(cat $AP/scans))"
new_queues=$( (queues_of "$ADAPTERS $NA" "$ND"; queues_of "$NA" "$DOMAINS $ND") | tr ' ' '\n' | sort -u | tr '\n' ' ')
all_there() { for q in $new_queues; do test -d $AP/devices/$q || return 1; done; }
wait_for 5 all_there
ok $? "its queues appear: $new_queues (${waited_ms} ms)"
na_queues=$(queues_of "$NA" "$DOMAINS $ND")
na_bound() { for q in $na_queues; do [ "$(driver_of $q)" = vfio_ap ] || return 1; done; }
wait_for 5 na_bound
ok $? "adapter $NA's queues bind to vfio_ap (${waited_ms} ms)"
[ "$(cat $AP/ap_adapter_mask)" = "$(mask_hex $ADAPTERS $NA)" ] &&
	[ "$(cat $AP/ap_usage_domain_mask)" = "$(mask_hex $DOMAINS $ND)" ]
ok $? "QCI lists adapter $NA and domain $ND"
gm_has_new() {
	gm=$(cat $MDEV/guest_matrix | tr '\n' ' ')
	contains "$gm" "$(apqn $NA $D)" && contains "$gm" "$(apqn $A $ND)" &&
		contains "$gm" "$(apqn $NA $ND)" && contains "$gm" "$Q"
}
wait_for 5 gm_has_new
ok $? "guest_matrix takes them in ${waited_ms} ms: $gm"

# Removal without notification: the queue is still listed by the guest,
# but TAPQ answers RC 0x01 (the AP bus shows no functions for it).
reply=$(qmp "{\"execute\": \"x-s390x-ap-config-remove\", \"arguments\": {\"domains\": [$ND], \"notify\": false}}")
rc=$?
f=$(cat $AP/devices/$(apqn $A $ND)/ap_functions 2>&1)
[ $rc -eq 0 ] && [ "$f" = 0x00000000 ]
ok $? "after a silent removal of domain $ND, TAPQ on $(apqn $A $ND) finds no queue (ap_functions $f)"

reply=$(qmp "{\"execute\": \"x-s390x-ap-config-remove\", \"arguments\": {\"adapters\": [$NA]}}")
rc=$?
gone() {
	test ! -e "$AP/devices/$(card $NA)" || return 1
	for q in $new_queues; do test ! -e $AP/devices/$q || return 1; done
}
wait_for 5 gone
r=$?
[ $rc -eq 0 ] && [ $r -eq 0 ]
ok $? "x-s390x-ap-config-remove adapter $NA: $(card $NA) and the queues of adapter $NA and domain $ND disappear in ${waited_ms} ms"
[ "$(cat $AP/ap_adapter_mask)" = "$(mask_hex $ADAPTERS)" ] &&
	[ "$(cat $AP/ap_usage_domain_mask)" = "$(mask_hex $DOMAINS)" ]
ok $? "QCI no longer lists adapter $NA nor domain $ND"
gm_back() { gm=$(cat $MDEV/guest_matrix | tr '\n' ' '); [ "$gm" = "$Q " ]; }
wait_for 5 gm_back
ok $? "guest_matrix is back to $Q in ${waited_ms} ms: $gm"
reply=$(qmp '{"execute": "x-query-s390x-ap-config"}')
[ "$reply" = "$initial_reply" ]
ok $? "x-query-s390x-ap-config shows the initial configuration again"

# --- tear down ---------------------------------------------------------------

r=$(write_attr 1 $MDEV/remove)
[ "$r" = OK ] && [ ! -d "$MDEV" ]
ok $? "the mdev is removed ($r)"
unload_vfio_ap
r=$?
bad=""
for q in $want_queues; do [ -z "$(driver_of $q)" ] || bad="$bad $q"; done
[ $r -eq 0 ] && [ -z "$bad" ]
ok $? "vfio_ap unloads and releases its queues (ZAPQ)${bad:+ (still bound:$bad)}"

done_testing
