#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Concurrency: tools/storm workers on several mdevs at once (assign and
# unassign of adapters, domains and control domains and ap_config writes
# on four mdevs from two writers, mdev create and remove, apmask and aqmask
# changes, queue bind and unbind, reads of every attribute, AP bus
# rescans) while this script changes the host's AP configuration through
# QMP (adapter 7, domain 0x0c, control domain 0x0d come and go). Then:
# every worker returned (no hang), each made calls, the isolation
# invariants hold (no APQN in two mdevs, no assigned APQN in the host's
# pool or bound to another driver, each mdev's guest_matrix within its
# matrix and within the queues the host has and vfio_ap holds), the
# module still works and unloads. Kernel splats fail the run (runner).
# Length: 30 s of storm, 600 s with VFIO_AP_SOAK=1 (make soak),
# robustness.seconds=N on the kernel command line (see common.sh).
. ./lib/vm.sh
. ./robustness/common.sh

SECS=$(length seconds 30 600)
U5=55555555-5555-4555-8555-555555555555
U6=66666666-6666-4666-8666-666666666666
S=./robustness/tools/storm

plan 12
suite_cleanup
expect "storm: setup" "$(split_setup) $(mdev_new $U3) $(mdev_new $U4)" "OK OK OK"

# invariants: the isolation violations found, one word each; empty when
# none. Shell builtins only inside the loops (a fork costs tens of
# milliseconds in a loaded TCG guest; with forks per queue a check took
# 45 s).
invariants() {
	read -r _am <$APB/apmask
	read -r _aqm <$APB/aqmask
	_all=" "
	for _d in $M/????????-????-????-????-????????????; do
		[ -d "$_d" ] || continue
		_u=${_d##*/}
		_u=${_u%%-*}
		# The matrix: its APQNs, and the adapters and domains of every
		# line ("XX.YYYY", or "XX." / ".YYYY" when the other side is
		# empty).
		_mx=" " _ma=" " _md=" "
		while read -r _l; do
			case $_l in
			??.????) _mx="$_mx$_l " _ma="$_ma${_l%.*} " _md="$_md${_l#*.} " ;;
			??.) _ma="$_ma${_l%.} " ;;
			.????) _md="$_md${_l#.} " ;;
			esac
		done <"$_d/matrix"
		for _q in $_mx; do
			case $_all in *" $_q "*) echo "$_q:in-two-mdevs" ;; esac
			_all="$_all$_q "
			_a=$((0x${_q%.*}))
			_i=$((0x${_q#*.}))
			if [ $((0x${_am:$((2 + _a / 4)):1} & (8 >> (_a % 4)))) -ne 0 ] &&
				[ $((0x${_aqm:$((2 + _i / 4)):1} & (8 >> (_i % 4)))) -ne 0 ]; then
				echo "$_q:assigned-but-in-host-pool"
			fi
			if [ -e $APB/devices/$_q/driver ] && [ ! -e $VDRV/$_q ]; then
				echo "$_q:assigned-but-bound-to-another-driver"
			fi
		done
		# guest_matrix lines: APQNs, or, when the guest has no adapter (no
		# domain), ".YYYY" ("XX.") lines, whose domain (adapter) the
		# matrix must have.
		while read -r _q; do
			case $_q in
			.????) _in=$_md _id=${_q#.} ;;
			??.) _in=$_ma _id=${_q%.} ;;
			*) _in=$_mx _id=$_q ;;
			esac
			case $_in in *" $_id "*) ;; *) echo "$_u:$_q:guest-not-in-matrix" ;; esac
			case $_q in ??.????) ;; *) continue ;; esac
			[ -d $APB/devices/$_q ] || echo "$_u:$_q:guest-not-configured"
			[ -e $VDRV/$_q ] || echo "$_u:$_q:guest-not-bound"
		done <"$_d/guest_matrix"
	done | words
}
expect "storm: the invariants hold before the storm" "$(invariants)" ""
config_before="$(cards) / $(cat $APB/ap_control_domain_mask)"

start=$(date +%s)
$S attrs w1 $SECS $U1 $U2 $U3 $U4 >/tmp/storm.attrs1 2>&1 &
$S attrs w2 $SECS $U4 $U3 $U2 $U1 >/tmp/storm.attrs2 2>&1 &
$S mdevs m $SECS $U5 $U6 >/tmp/storm.mdevs 2>&1 &
$S masks k $SECS >/tmp/storm.masks 2>&1 &
$S bind b $SECS >/tmp/storm.bind 2>&1 &
$S reads r $SECS $U1 $U2 $U3 $U4 $U5 $U6 >/tmp/storm.reads 2>&1 &
$S scans s $SECS >/tmp/storm.scans 2>&1 &
# Host configuration changes, in turn, until the workers' time is up.
qmp_calls=0
qmp_bad=0
added=
while [ $(($(date +%s) - start)) -lt $SECS ]; do
	for c in "adapters 7" "domains 12" "control-domains 13"; do
		case " $added " in
		*" $c "*) r=$(apcfg remove $c) && added=$(echo "$added" | sed "s/ *$c//") ;;
		*) r=$(apcfg add $c) && added="$added $c" ;;
		esac
		qmp_calls=$((qmp_calls + 1))
		[ "$r" = OK ] || qmp_bad=$((qmp_bad + 1))
	done
done
wait
diag "storm: $(($(date +%s) - start)) s; $qmp_calls QMP changes, $qmp_bad refused"
for w in attrs1 attrs2 mdevs masks bind reads scans; do diag "storm: $(cat /tmp/storm.$w)"; done
expect "storm: every QMP change was accepted" "$qmp_bad" 0
expect "storm: every worker made calls and returned" \
	"$(for w in attrs1 attrs2 mdevs masks bind reads scans; do
		grep -qE '^[a-z]+: [1-9][0-9]* calls' /tmp/storm.$w || echo $w; done | words)" ""
rescan
expect "storm: the invariants hold after the storm" "$(invariants)" ""

# Back to the configuration of qemu.args; the invariants still hold.
for c in $(echo "$added" | sed 's/ \([a-z-]*\) \([0-9]*\)/ \1:\2/g'); do
	apcfg remove ${c%:*} ${c#*:} >/dev/null
done
expect "storm: the host configuration is back" "$(cards) / $(cat $APB/ap_control_domain_mask)" \
	"$config_before"
expect "storm: the invariants hold with the configuration back" "$(invariants)" ""

# The driver still works: the mdevs go, a new one takes an assignment,
# the masks go back, and the module unloads (nothing holds it).
for d in $M/????????-????-????-????-????????????; do
	[ -d "$d" ] && echo 1 >"$d/remove"
done
expect "storm: every mdev removed" "$(mdevs)" ""
r=$(wrn -5,-6 $APB/apmask) && r="$r $(wrn -4,-0x47 $APB/aqmask) $(bind_free)"
r="$r $(mdev_new $U1) $(wrn 5 $M/$U1/assign_adapter) $(wrn 4 $M/$U1/assign_domain)"
expect "storm: a new mdev gets a queue" "$r $(rd $M/$U1/guest_matrix)" 'OK OK OK OK OK OK 05.0004\n'
expect "storm: the masks reset" "$(mdev_rm $U1) $(masks_reset)" "OK OK"
expect "storm: vfio_ap holds no queue after the masks reset" "$(bound)" ""
unload_vfio_ap
expect "storm: the module unloads" "$? $([ -d /sys/module/vfio_ap ] && echo loaded)" "0 "
done_testing
