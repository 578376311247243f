#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Fault injection (debug kernel only: failslab, fail_page_alloc and their
# debugfs with the stack trace filter). Each operation runs again and
# again with the N-th allocation of the writing task failing, N = 1, 2,
# ... until a run makes fewer than N allocations (tools/failnth, the
# kernel's /proc/self/fail-nth: per task, so nothing else in the guest
# fails). Only allocations with the module's text on the stack count, so
# the steps walk the driver's own error paths: mdev create,
# assign/unassign of adapters and domains, assign of a control domain and
# an ap_config write. With our module also the module load: the
# allocations of finit_module made under module code count (its own text
# is not known before it loads: the kernel's whole module area); a sample
# of them fails in make test, every one with VFIO_AP_SOAK=1.
# Every injected failure must be refused with an errno and leave the state
# (mdevs, matrix, guest_matrix, control domains, ap_config, bound queues,
# masks) as it was, or be accepted with the complete result (then undone);
# the run without a fault must succeed. The runner fails a kernel splat;
# the debug kernel's kmemleak scan at the end of the run fails a leak; our
# module must unload at the end (upstream's stays loaded on the debug
# kernel, vmtest.keep_module=1).
. ./lib/vm.sh
. ./vfio_ap/common.sh
TAP_UNIQUE_NAMES=/tmp/faults-test-names
TODO_LIST=
[ "$VFIO_AP_MODULE" = ours ] && TODO_LIST=./faults/todo-ours

F=./faults/tools/failnth
DBG=/sys/kernel/debug
# Steps per operation at most: far more than any path here allocates.
MAXSTEPS=1000
OPS="create assign_adapter assign_domain assign_control_domain unassign_adapter unassign_domain ap_config"

if [ "$VFIO_AP_MODULE" = ours ]; then plan 37; else plan 29; fi
[ -w $DBG/failslab/probability ] && [ -w $DBG/fail_page_alloc/probability ] &&
	[ -w /proc/self/fail-nth ] ||
	bail_out "no fault injection in this kernel (the debug flavour has it)"

# inject RANGE_START RANGE_END [PAGES]: failslab (and, with PAGES=1,
# fail_page_alloc) count the allocations whose stack has an address in
# [RANGE_START, RANGE_END); nothing fails but the one fail-nth asks for
# (probability 0), sleeping allocations and order-0 pages included,
# silently (verbose 0: a forced failure would print a call trace).
inject() {
	for _a in failslab fail_page_alloc; do
		_d=$DBG/$_a
		echo 0 >$_d/probability
		echo 1 >$_d/interval
		echo -1 >$_d/times
		echo 0 >$_d/space
		echo 0 >$_d/verbose
		echo Y >$_d/task-filter
		echo N >$_d/ignore-gfp-wait
		echo 32 >$_d/stacktrace-depth
		echo "${REJECT% *}" >$_d/reject-start
		echo "${REJECT#* }" >$_d/reject-end
		echo "$1" >$_d/require-start
		echo "$2" >$_d/require-end
	done
	echo N >$DBG/fail_page_alloc/ignore-gfp-highmem
	echo 0 >$DBG/fail_page_alloc/min-order
	# An empty range: no page allocation counts.
	if [ "${3:-0}" != 1 ]; then
		echo 0 >$DBG/fail_page_alloc/require-start
		echo 1 >$DBG/fail_page_alloc/require-end
	fi
}

# The VFIO core's vfio_create_group leaves the group's iommu_group set when
# registering the group's character device fails, and the group's release
# then warns (WARN_ON in vfio_group_release), with either vfio_ap module:
# allocations with that function on the stack never fail here (REJECT,
# its text from /proc/kallsyms: START END in decimal).
REJECT=$(awk '$3 == "vfio_create_group" { a = $1; next }
	a != "" { print $1, a; exit }' /proc/kallsyms | {
	read -r _e _s
	[ -n "$_s" ] && echo "$((0x$_s)) $((0x$_e))"
})
[ -n "$REJECT" ] || bail_out "vfio_create_group is not in /proc/kallsyms"

# module_area: "START END" of the kernel's module area, in decimal: the
# 2 GiB below the kernel image (s390), which starts 1 MiB below _stext
# (the image is linked at 1 MiB), rounded down to 1 MiB.
module_area() {
	awk '$3 == "_stext" { print $1; exit }' /proc/kallsyms | {
		read -r _t
		[ -n "$_t" ] || return
		_e=$(((0x$_t & ~0xfffff) - 0x100000))
		echo "$((_e - (1 << 31))) $_e"
	}
}

# module_range: "START END" of the loaded vfio_ap's memory (text first,
# /proc/modules: size and base address), in decimal.
module_range() {
	awk '$1 == "vfio_ap" { print $6, $2 }' /proc/modules | {
		read -r _base _size
		[ -n "$_base" ] && echo "$(($_base)) $(($_base + _size))"
	}
}

# state: what an operation may change, in two forks (each costs tens of
# milliseconds on the debug kernel under TCG): the mdevs, the queues bound
# to vfio_ap, U1's matrix, guest_matrix, control domains and ap_config,
# the masks, the available instances (a missing file's error included).
state() {
	ls $T/devices $VDRV 2>&1
	cat $M/$U1/matrix $M/$U1/guest_matrix $M/$U1/control_domains $M/$U1/ap_config \
		$APB/apmask $APB/aqmask $T/available_instances 2>&1
}

# settled BASE: whether the state is BASE, waiting up to 8 s for it: a
# device the mdev core failed to set up goes in its release, which the
# debug kernel delays by one to four seconds (kobject releases delayed).
settled() {
	_w=0
	while [ "$(state)" != "$1" ]; do
		[ $_w -lt 8 ] || return 1
		sleep 1
		_w=$((_w + 1))
	done
}

# steps NAME FILE VALUE UNDO: the fault loop for the write of VALUE to
# FILE (VALUE "uuid": a new mdev UUID each step, see step_uuid); UNDO VALUE
# (a command) takes back a write that succeeded. Sets STEPS (injected
# failures), ERRS (the distinct refusals' errnos, sorted), TOLERATED
# (injected failures the operation succeeded with), CHANGED (refusals that
# changed the state or accepted writes whose undo did not restore it,
# "N:RESULT"), FINAL (the result without a fault) and AFTER (the state it
# made).
steps() {
	_base=$(state)
	echo "$_base" >/tmp/faults.base
	_n=1
	ERRS=
	CHANGED=
	TOLERATED=0
	while [ $_n -le $MAXSTEPS ]; do
		_v=$3
		[ "$_v" != uuid ] || _v=$(step_uuid $_n)
		_r=$($F $_n write "$2" "$_v")
		_res=${_r% *}
		# Progress, to the console (for a run that hits its time limit).
		[ $((_n % 20)) -ne 0 ] || echo "# $1: step $_n: $_r" >/dev/console
		[ "${_r#* }" = 0 ] || break
		if [ "$_res" = ok ]; then
			TOLERATED=$((TOLERATED + 1))
			$4 "$_v" >/dev/null
		else
			ERRS="$ERRS$_nl$_res"
		fi
		if [ "$3" = uuid ]; then
			# A refused create: no mdev of that UUID. The rest of the
			# state is compared once at the end, after the undo of the
			# last create (it may wait for the delayed releases).
			[ ! -e "$T/devices/$_v" ] || CHANGED="$CHANGED $_n:$_res"
		elif ! settled "$_base"; then
			[ -n "$CHANGED" ] ||
				diag "$1: step $_n ($_res) changed: $(state | diff /tmp/faults.base - | grep '^[-+][^-+]' | words)"
			CHANGED="$CHANGED $_n:$_res"
		fi
		_n=$((_n + 1))
	done
	STEPS=$((_n - 1))
	FINAL=$_res
	[ "${_r#* }" != 0 ] || FINAL="no end after $MAXSTEPS steps ($_r)"
	AFTER=$(state)
	$4 "$_v" >/dev/null
	if ! settled "$_base"; then
		diag "$1: at the end: $(state | diff /tmp/faults.base - | grep '^[-+][^-+]' | words)"
		CHANGED="$CHANGED at-the-end"
	fi
	ERRS=$(echo "$ERRS" | grep . | sort -u | words)
	diag "faults: $1: $STEPS allocations failed in turn: refused with ${ERRS:-nothing}, $TOLERATED tolerated"
}

# step_uuid N: an mdev UUID for step N (a failed create's UUID stays taken
# until the delayed release).
step_uuid() {
	printf '%08x-0000-4000-8000-00000000f417\n' "$1"
}

# Operations whose allocations differ by design: an ap_config write
# (upstream copies the input first, refused with ENOMEM when that fails;
# one more allocation on its path is tolerated; ours parses the written
# buffer and allocates nothing).
DIVERGENT="ap_config"

# report NAME: the test points of an operation's loop; whether the path
# allocates at all and whether it succeeds despite some failed allocation
# go to the transcript too (both modules compared), but for $DIVERGENT.
report() {
	case " $DIVERGENT " in
	*" $1 "*) ;;
	*)
		transcript "faults: $1: the path allocates :: $([ "$STEPS" -gt 0 ] && echo yes || echo no)"
		transcript "faults: $1: some injected failure is tolerated :: $([ "$TOLERATED" -gt 0 ] && echo yes || echo no)"
		;;
	esac
	expect "faults: $1: without a fault it succeeds" "$FINAL" ok
	expect "faults: $1: every refusal is ENOMEM" "$(echo "$ERRS" | sed 's/ENOMEM//' | words)" ""
	expect "faults: $1: no injected failure changed the state or stayed" "$CHANGED" ""
}

# The undo commands.
undo_create() { mdev_rm "$1"; }
undo_assign_adapter() { wr "$1" $M/$U1/unassign_adapter; }
undo_assign_domain() { wr "$1" $M/$U1/unassign_domain; }
undo_assign_control_domain() { wr "$1" $M/$U1/unassign_control_domain; }
undo_unassign_adapter() { wr "$1" $M/$U1/assign_adapter; }
undo_unassign_domain() { wr "$1" $M/$U1/assign_domain; }
undo_ap_config() { wr "$old" $M/$U1/ap_config; }

suite_cleanup
r=$(load_vfio_ap && echo OK)
r="$r $(wrn -5,-6 $APB/apmask) $(wrn -4,-0x47 $APB/aqmask) $(bind_free)"
expect "faults: setup" "$r" "OK OK OK OK"
range=$(module_range)
check "faults: the module's memory range is known" [ -n "$range" ]
inject $range 1

# The mdev create; the loops below work on the mdev it leaves.
steps create $T/create uuid undo_create
report create
expect "faults: create: the mdev is there" "$(echo "$AFTER" | grep -c "^$(step_uuid $((STEPS + 1)))\$")" 1
mdev_new $U1 >/dev/null
r="$(wrn 6 $M/$U1/assign_adapter) $(wrn 4 $M/$U1/assign_domain) $(wrn 0xab $M/$U1/assign_control_domain)"
expect "faults: the mdev gets adapter 6, domain 4, control domain 0xab" "$r" "OK OK OK"

for op in assign_adapter:5 assign_domain:0x47 assign_control_domain:4 unassign_adapter:6 \
	unassign_domain:4; do
	steps ${op%:*} $M/$U1/${op%:*} ${op#*:} undo_${op%:*}
	report ${op%:*}
done
# ap_config: the configuration of adapters 5 and 6, domains 4 and 0x47,
# control domains 4 and 0xab (read back after assigning it), written over
# the mdev's.
old=$(cat $M/$U1/ap_config)
r="$(wr 5 $M/$U1/assign_adapter) $(wr 0x47 $M/$U1/assign_domain) $(wr 4 $M/$U1/assign_control_domain)"
new=$(cat $M/$U1/ap_config)
r="$r $(wr "$old" $M/$U1/ap_config)"
expect "faults: ap_config: the new configuration" "$r $([ "$new" != "$old" ] && echo differs)" "OK OK OK OK differs"
steps ap_config $M/$U1/ap_config "$new" undo_ap_config
report ap_config
expect "faults: ap_config: the configuration is written" "$(echo "$AFTER" | grep -c "^$new\$")" 1

inject 0 1
mdev_rm $U1 >/dev/null
expect "faults: the mdev goes" "$(mdevs)" ""

if [ "$VFIO_AP_MODULE" = ours ]; then
	# The module load: the allocations of finit_module with any module's
	# memory on the stack count (the module's init and what it calls; not
	# the loader's own), none of the other tasks'. A load costs seconds on
	# the debug kernel under TCG, so a first load with no fault counts the
	# allocations (M) and make test fails a sample of them: each of the
	# first 2 x LOADSTEPS (the s390dbf area, the state, devices and
	# drivers), each of the last LOADSTEPS (the mdev parent, the last
	# registration, whose failure unwinds everything before it), and
	# LOADSTEPS spread between; all of them when M is at most
	# 4 x LOADSTEPS (faults.load_steps=N on the kernel
	# command line; "all" steps through every one, as VFIO_AP_SOAK=1
	# does). The host's pool gets the suite's queues back first, so that
	# the queue driver binds none at load: the allocations are the
	# module's own, not the driver core's for each queue it binds.
	loadsteps=12
	! grep -qw VFIO_AP_SOAK=1 /proc/cmdline || loadsteps=all
	for _a in $(cat /proc/cmdline); do
		case $_a in faults.load_steps=*) loadsteps=${_a#*=} ;; esac
	done
	case $loadsteps in all | [1-9] | [1-9]*[0-9]) ;; *) bail_out "faults.load_steps=$loadsteps" ;; esac
	ko=$(modinfo -n vfio_ap)
	area=$(module_area)
	diag "faults: load: module area $(printf '%x-%x' $area), vfio_ap was at $(printf '%x-%x' $range)"
	unload_vfio_ap
	ok $? "faults: load: the module unloads before the loop"
	# Ours only: ok, not expect (nothing for the transcript comparison).
	r="$(wrn +5,+6 $APB/apmask) $(wrn +4,+0x47 $APB/aqmask)"
	ok "$([ "$r" = "OK OK" ]; echo $?)" "faults: load: the queues go back to the host's pool"
	[ "$r" = "OK OK" ] || diag "faults: load: mask writes: $r"
	inject $area 1
	# What a load leaves: the module, its devices and drivers, and its
	# s390dbf area (a failed load must unregister that too).
	lstate() {
		ls /sys/module/vfio_ap /sys/devices/vfio_ap $APB/drivers 2>&1
		ls -d /sys/kernel/debug/s390dbf/vfio_ap 2>&1
		lsmod | awk '{ print $1, $3 }'
	}
	base=$(lstate)
	# The count: fail-nth far beyond any load; what is left of it says
	# how many allocations counted.
	big=100000
	r=$($F $big load "$ko")
	total=$((big - ${r#* }))
	ok "$([ "${r% *}" = ok ] && [ "$total" -gt 0 ] && [ "$total" -lt $big ]; echo $?)" \
		"faults: load: without a fault it loads, and allocates"
	rmmod vfio_ap
	ok "$([ "$(lstate)" = "$base" ]; echo $?)" "faults: load: it unloads again"
	if [ "$loadsteps" = all ] || [ $((4 * loadsteps)) -ge "$total" ]; then
		first=$total
		tail=$total
		stride=1
	else
		first=$((2 * loadsteps))
		tail=$((total - loadsteps + 1))
		stride=$(((tail - first + loadsteps) / (loadsteps + 1)))
	fi
	n=1
	tried=0
	errs=
	changed=
	while [ $n -le "$total" ]; do
		r=$($F $n load "$ko")
		res=${r% *}
		tried=$((tried + 1))
		echo "# load: step $n of $total: $r" >/dev/console
		if [ "${r#* }" != 0 ]; then
			# Fewer allocations than the count: loads differ by a few
			# (one-time caches of the kernel's). Near the end that is
			# the end; earlier it is a fault of the sample.
			[ $((n * 10)) -gt $((total * 9)) ] || changed="$changed $n:not-reached(${r#* })"
			diag "faults: load: this load made $((n - ${r#* })) allocations, not $total"
			break
		elif [ "$res" = ok ]; then
			rmmod vfio_ap || changed="$changed $n:no-unload"
		else
			errs="$errs$_nl$res"
		fi
		[ "$(lstate)" = "$base" ] || changed="$changed $n:$res"
		# The sample: the first FIRST, then every STRIDE-th up to TAIL,
		# then each one from TAIL on.
		if [ $n -lt "$first" ] || [ $n -ge "$tail" ]; then
			n=$((n + 1))
		elif [ $((n + stride)) -gt "$tail" ]; then
			n=$tail
		else
			n=$((n + stride))
		fi
	done
	inject 0 1
	errs=$(echo "$errs" | grep . | sort -u | words)
	diag "faults: load: $tried of $total allocations failed in turn: refused with ${errs:-nothing}"
	ok "$([ -z "$changed" ]; echo $?)" "faults: load: each injected failure was reached and left nothing loaded or changed"
	[ -z "$changed" ] || diag "faults: load: changed by:$changed"
	# ENOENT: the s390dbf area could not be registered (upstream's errno
	# for that); ENOMEM for everything else.
	ok "$([ -n "$errs" ] && [ -z "$(echo "$errs" | sed 's/ENOMEM//; s/ENOENT//' | words)" ]; echo $?)" \
		"faults: load: refused with ENOMEM (ENOENT for the s390dbf area)"
	r=$(load_vfio_ap && echo OK)
	ok "$([ "$r" = OK ]; echo $?)" "faults: load: it loads afterwards"
fi

inject 0 1
suite_cleanup
if [ "$VFIO_AP_MODULE" = ours ]; then
	ok "$([ ! -d /sys/module/vfio_ap ]; echo $?)" "faults: the module unloads at the end"
fi
expect "faults: cleanup" "$(mdevs)" ""
done_testing
