#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The C-vs-Rust benchmark (make bench, tools/bench/run.sh): one guest, both
# vfio_ap modules, loaded in turn for several rounds (the order alternates
# from round to round). Each op is timed by tools/bench-ops, N times per
# round; its line "# bench ROUND MODULE OP MEDIAN MIN MAX" (ns) is what
# tools/bench/report.py tabulates. A test point per module and round says
# whether every op ran; the times are never judged here.
#
# Kernel arguments (run.sh passes them): bench.rounds=R, bench.n=N (runs of
# a sysfs op), bench.hot=H (hot unplug and plug cycles), bench.others=O (other mdevs, each holding one
# APQN), bench.fill=1 (the measured mdev gets every adapter but two). The runner stages our module at /bench/vfio_ap.ko; the C one is
# the kernel's own.
. ./lib/vm.sh
. ./vfio_ap/common.sh

ROUNDS=3 N=21 HOT=5 OTHERS=64 FILL=0
for arg in $(cat /proc/cmdline); do
	case $arg in
	bench.rounds=*) ROUNDS=${arg#*=} ;;
	bench.n=*) N=${arg#*=} ;;
	bench.hot=*) HOT=${arg#*=} ;;
	bench.others=*) OTHERS=${arg#*=} ;;
	bench.fill=*) FILL=${arg#*=} ;;
	esac
done
OPS=./bench/tools/bench-ops
OURS=/bench/vfio_ap.ko
UP=$(modinfo -n vfio_ap)
B=99999999-9999-4999-8999-000000000000
BX=99999999-9999-4999-8999-0000000000ff

plan $((1 + 2 * ROUNDS))

# bits MASK: the number of bits set in a 0x... mask.
bits() {
	_h=${1#0x} _c=0
	while [ -n "$_h" ]; do
		_v=$((0x${_h%"${_h#?}"}))
		_h=${_h#?}
		while [ $_v -gt 0 ]; do
			_c=$((_c + (_v & 1)))
			_v=$((_v >> 1))
		done
	done
	echo $_c
}

# The configured adapters, ascending (hex, as the bus names queues), once
# the bus has made all their queue devices (it adds cards one by one).
# Up to 30 minutes are waited: under TCG, 256 adapters with domain ids up
# to 255 took the bus 17 (run.sh's scale run keeps the ids to 3).
_want=$(($(bits $(cat $APB/ap_adapter_mask)) * $(bits $(cat $APB/ap_usage_domain_mask))))
_w0=$($OPS now)
for _i in $(seq 1800); do
	[ "$(queues | wc -w)" -ge "$_want" ] && break
	sleep 1
done
diag "bench: the bus had made the queue devices after $((($($OPS now) - _w0) / 1000000000)) s"
ADAPTERS=$(queues | tr ' ' '\n' | cut -d. -f1 | sort -u | words)
set -- $ADAPTERS
NA=$#
LAST=$(eval echo \${$NA})
PREV=$(eval echo \${$((NA - 1))})
A_OTHER=$((0x$LAST))
A_SPARE=$((0x$PREV))
# other_apqn I: the adapter and domain of other mdev I. Normally adapter
# A_OTHER with a domain of its own from 16 up. At scale, where the guest
# has few domains (the bus's scan looks up every domain of every adapter,
# so it slows with their product), adapter I with the highest domain: not
# one the measured mdev holds or the domain op assigns.
D_MAX=$(cat $APB/ap_max_domain_id)
if [ "$FILL" = 1 ]; then
	other_apqn() { echo "$1 $D_MAX"; }
	_where="adapters 0 to $((OTHERS - 1)), domain $D_MAX"
else
	other_apqn() { echo "$A_OTHER $((($1 + 16) % 256))"; }
	_where="adapter $A_OTHER, domains from 16"
fi
diag "bench: $(queues | wc -w) of $_want queues, adapters $ADAPTERS; $OTHERS other mdevs on $_where, spare adapter $A_SPARE"

# Every adapter out of the default pool (apmask all zero), every domain in
# it (aqmask all ones): vfio_ap gets every queue, and an adapter taken back
# into the pool makes its queues the default drivers' (in use when
# assigned).
suite_cleanup
# Loads the C module once, so that its dependencies (vfio, mdev, kvm) are
# there for insmod by path, and checks the two files differ.
load_vfio_ap
unload_vfio_ap
r="$(wrn 0x$ZERO64 $APB/apmask) $(wrn $ALL1 $APB/aqmask)"
check_setup() {
	[ "$r" = "OK OK" ] && [ -f "$OURS" ] && [ -f "$UP" ] && ! cmp -s "$OURS" "$UP" && [ "$NA" -ge 4 ] &&
		[ "$(queues | wc -w)" = "$_want" ] &&
		{ [ "$FILL" != 1 ] || { [ "$OTHERS" -le "$NA" ] && [ "$D_MAX" -ge 3 ]; }; }
}
check "bench: setup (masks, both modules staged, every queue, enough adapters and domain ids)" check_setup
[ "$r" = "OK OK" ] || bail_out "bench: cannot set the masks: $r"

# ko MODULE: the file of the module.
ko() {
	if [ "$1" = ours ]; then echo "$OURS"; else echo "$UP"; fi
}

# timed ROUND MODULE OP STEPS...: runs bench-ops with the steps N times and
# prints the line; fails (returns 1) when a step went wrong.
timed() {
	_r=$1 _m=$2 _op=$3
	shift 3
	_t=$($OPS run "$N" "$@") || { diag "bench: $_op: $_t"; return 1; }
	echo "# bench $_r $_m $_op $_t"
}

# hotplug ROUND MODULE: H cycles of QMP removal and addition of adapter 1,
# timed from before the QMP command to the change in guest_matrix, first
# with the bus told by QEMU (its own rescan), then with notify off and the
# bus rescanned by rescan.
#
# A notification must find the bus idle. The bus scans in the thread that
# took the notification; one that comes during a scan (a periodic one, or
# the one the previous notification started) waits for that scan, whose
# configuration predates the change, and the change then waits for the
# next periodic scan. At scale a scan takes 10-15 s and the periodic ones
# come 30 s apart, so the time measured where in that cycle the change
# landed, which moved with each module's set-up time. So: periodic scans
# at their longest interval (120 s), an idle bus before the first removal,
# and before each addition a wait for the removal's scan to end. The
# rescanned cycle leaves the bus idle.
hotplug() {
	_ct=$(cat $APB/config_time)
	echo 120 >$APB/config_time
	rescan
	hot_cycles "$@"
	_hrc=$?
	echo "$_ct" >$APB/config_time
	return $_hrc
}

# hot_cycles ROUND MODULE: the cycles of hotplug.
hot_cycles() {
	_g=$M/$B/guest_matrix
	_un="" _pl="" _run="" _rpl=""
	for _i in $(seq "$HOT"); do
		notified remove lacks hot_unplug_adapter "$1" "$2" || return 1
		_un="$_un $_t"
		# A write to scans during a scan waits for it (and scans
		# anew if none is running).
		echo 1 >$APB/scans
		notified add has hot_plug_adapter "$1" "$2" || return 1
		_pl="$_pl $_t"
		rescanned remove lacks || return 1
		_run="$_run $_t"
		rescanned add has || return 1
		_rpl="$_rpl $_t"
	done
	for _v in "hot_unplug_adapter:$_un" "hot_plug_adapter:$_pl" \
		"rescan_unplug_adapter:$_run" "rescan_plug_adapter:$_rpl"; do
		[ -n "$(echo ${_v#*:})" ] || continue
		echo "# bench $1 $2 ${_v%%:*} $(echo "${_v#*:}" | tr ' ' '\n' | grep . | sort -n |
			awk '{v[NR] = $1} END {m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
				printf "%.0f %.0f %.0f\n", m, v[1], v[NR]}')"
	done
}

# notified ACTION has|lacks OP ROUND MODULE: adapter 1 added or removed
# (ACTION) with QEMU's notification; sets _t to the ns until guest_matrix
# has or lacks it. A change not shown in 60 s is counted as missed (_t
# empty) and made by a rescan.
notified() {
	_t0=$($OPS now)
	qmp_adapter1 "$1" true || return 1
	_t=$($OPS poll "$_g" "$2" 01.0000 "$_t0" 60000) && return 0
	_t=""
	echo "# bench-missed $4 $5 $3"
	rescan
	$OPS poll "$_g" "$2" 01.0000 0 60000 >/dev/null ||
		{ diag "bench: $3: guest_matrix unchanged after a rescan"; return 1; }
}

# rescanned ACTION has|lacks: the same without the notification, the bus
# rescanned by rescan (vfio_ap/common.sh: two writes to its scans file, as
# one that meets a scan already running returns that scan's result, which
# may predate the change; the time includes both).
rescanned() {
	qmp_adapter1 "$1" false || return 1
	_t0=$($OPS now)
	rescan
	_t=$($OPS poll "$_g" "$2" 01.0000 "$_t0" 60000) || { diag "bench: rescan, $1: $_t"; return 1; }
}

# qmp_adapter1 add|remove NOTIFY: adapter 1 into or out of the emulated
# configuration; QEMU tells the guest when NOTIFY is true.
qmp_adapter1() {
	_q=$(host qmp "{\"execute\": \"x-s390x-ap-config-$1\", \"arguments\": {\"adapters\": [1], \"notify\": $2}}") ||
		{ diag "bench: QMP $1 adapter 1 (notify $2): $_q"; return 1; }
}

# one_round ROUND MODULE: loads the module (timed), sets up the mdevs, times
# every op, removes the mdevs and unloads the module (timed).
one_round() {
	_r=$1 _m=$2 _ko=$(ko "$2")
	# The load binds every queue (one probe each): timed once a round.
	_n=$N
	N=1
	timed "$_r" "$_m" insmod i "$_ko" || return 1
	N=$_n
	[ "$(vfio_ap_loaded_identity)" = "$_m" ] || { diag "bench: loaded $(vfio_ap_loaded_identity), not $_m"; return 1; }
	_p0=$($OPS now)
	# Wait for the bus to finish binding the queues.
	rescan
	_p1=$($OPS now)
	[ "$_r" = 1 ] && diag "bench: $_m: set-up: rescan $(((_p1 - _p0) / 1000000)) ms"
	# The other mdevs, one APQN each (other_apqn).
	_i=0
	while [ $_i -lt "$OTHERS" ]; do
		_u=99999999-9999-4999-8999-$(printf %012x $((_i + 1)))
		_o=$(other_apqn $_i)
		_t=$($OPS run 1 w $T/create $_u w $M/$_u/assign_adapter "${_o% *}" \
			w $M/$_u/assign_domain "${_o#* }") ||
			{ diag "bench: other mdev $_u: $_t"; return 1; }
		_i=$((_i + 1))
	done
	_p2=$($OPS now)
	[ "$_r" = 1 ] && diag "bench: $_m: set-up: $OTHERS other mdevs $(((_p2 - _p1) / 1000000)) ms"
	# The measured mdev: adapters 0 and 1, domains 0 and 1.
	[ "$(mdev_new $B) $(wrn 0 $M/$B/assign_adapter) $(wrn 1 $M/$B/assign_adapter) $(wrn 0 $M/$B/assign_domain) $(wrn 1 $M/$B/assign_domain)" = "OK OK OK OK OK" ] ||
		{ diag "bench: mdev $B failed"; return 1; }
	# At scale, it also gets every adapter but the spare and the others'.
	if [ "$FILL" = 1 ]; then
		_a=2
		while [ $_a -lt $A_SPARE ]; do
			[ "$(wrn $_a $M/$B/assign_adapter)" = OK ] || { diag "bench: assign $_a failed"; return 1; }
			_a=$((_a + 1))
		done
	fi
	_p3=$($OPS now)
	[ "$_r" = 1 ] && diag "bench: $_m: set-up: measured mdev $(((_p3 - _p2) / 1000000)) ms"
	grep -q '^01\.0000$' $M/$B/guest_matrix ||
		{ diag "bench: guest_matrix $(rd $M/$B/guest_matrix)"; return 1; }
	_c1=$(cat $M/$B/ap_config)
	wrn $A_SPARE $M/$B/assign_adapter >/dev/null
	_c2=$(cat $M/$B/ap_config)
	wrn $A_SPARE $M/$B/unassign_adapter >/dev/null
	_spare_queues=$(queues | tr ' ' '\n' | grep "^$(printf %02x $A_SPARE)\." | words)

	timed "$_r" "$_m" assign_unassign_adapter \
		w $M/$B/assign_adapter $A_SPARE w $M/$B/unassign_adapter $A_SPARE || return 1
	timed "$_r" "$_m" assign_unassign_domain \
		w $M/$B/assign_domain 2 w $M/$B/unassign_domain 2 || return 1
	timed "$_r" "$_m" read_matrix r $M/$B/matrix || return 1
	timed "$_r" "$_m" read_guest_matrix r $M/$B/guest_matrix || return 1
	timed "$_r" "$_m" read_ap_config r $M/$B/ap_config || return 1
	timed "$_r" "$_m" write_ap_config w $M/$B/ap_config "$_c2" w $M/$B/ap_config "$_c1" || return 1
	# Adapter A_SPARE into the default pool (its queues leave vfio_ap) and
	# back (the bus reprobes them).
	timed "$_r" "$_m" apmask_pass \
		w $APB/apmask "+$A_SPARE" w $APB/apmask "-$A_SPARE" || return 1
	_nb=0
	for _q in $_spare_queues; do
		[ "$(driver_of $_q)" = vfio_ap ] && _nb=$((_nb + 1))
		[ "$(driver_of $_q)" = none ] && wr $_q $VDRV/bind >/dev/null
	done
	[ $_r = 1 ] && diag "bench: $_m: after apmask +$A_SPARE,-$A_SPARE, $_nb of $(echo $_spare_queues | wc -w) queues are bound to vfio_ap"
	# Adapter 0 is the measured mdev's: in use.
	timed "$_r" "$_m" apmask_ebusy e $APB/apmask +0 16 || return 1
	timed "$_r" "$_m" mdev_create_remove w $T/create $BX w $M/$BX/remove 1 || return 1
	_p4=$($OPS now)
	hotplug "$_r" "$_m" || { diag "bench: hot plug failed"; return 1; }
	_p5=$($OPS now)
	[ "$_r" = 1 ] && diag "bench: $_m: sysfs ops $(((_p4 - _p3) / 1000000)) ms, $HOT hot plug cycles $(((_p5 - _p4) / 1000000)) ms"
	for _d in $M/????????-????-????-????-????????????; do
		[ -d "$_d" ] && echo 1 >"$_d/remove"
	done
	_n=$N
	N=1
	timed "$_r" "$_m" rmmod d vfio_ap || return 1
	N=$_n
}

r=1
while [ $r -le "$ROUNDS" ]; do
	if [ $((r % 2)) = 1 ]; then order="upstream ours"; else order="ours upstream"; fi
	for m in $order; do
		one_round $r $m
		ok $? "bench: round $r, $m: every op ran"
		[ -d /sys/module/vfio_ap ] && { for d in $M/????????-????-????-????-????????????; do
			[ -d "$d" ] && echo 1 >"$d/remove"; done; rmmod vfio_ap; }
	done
	r=$((r + 1))
done
masks_reset >/dev/null
done_testing
