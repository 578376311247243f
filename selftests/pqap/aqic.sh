#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# PQAP(AQIC) through the vfio_ap driver's PQAP hook, as KVM calls it for
# a guest's intercepted instruction: the guest program tools/pqap-aqic
# sets up a VM (guest memory, a vCPU that never runs), opens the mdev
# through VFIO with that VM and issues AQIC requests through the pqap_test
# module (module/), which calls the hook under KVM's locks on the vCPU.
#
# Under TCG, KVM gives no vCPU AIV (no GISA: the machine has no
# adapter-interruption virtualization). The hook then leaves the
# instruction to user space; the cases that reach the driver's checks run
# on a vCPU with AIV set for the call. Enabling ends at the guest ISC's
# registration (no GISA), so interruptions never get turned on.
. ./lib/vm.sh
. ./vfio_ap/common.sh
TAP_UNIQUE_NAMES=/tmp/pqap-test-names
TODO_LIST=
[ "$VFIO_AP_MODULE" != ours ] || TODO_LIST=./pqap/todo-ours

HELPER=./pqap/tools/pqap-aqic
DBF=/sys/kernel/debug/s390dbf/vfio_ap
# Guest memory: 0 to 0x40000; DMA-mapped: 0 to 0x20000.
MEM_END=0x40000
MAPPED=0x20000

plan 44
suite_cleanup
dmesg_mark
check "aqic: pqap_test loads" insmod ./pqap/pqap_test.ko
load_vfio_ap
free_example >/dev/null
# The queues leave the default driver with a reset (ZAPQ) that the emulated
# AP facility completes at the queue's next TAPQ; until one comes, TAPQ
# answers "reset in progress". Whether the bus's periodic scan made that
# TAPQ before the program's own depended on timing, and with it the status
# the program's tapq lines show. A scan now settles the queues first.
rescan
r="$(mdev_new $U1) $(wrn 5 $M/$U1/assign_adapter) $(wrn 4 $M/$U1/assign_domain)"
expect "aqic: mdev with queue 05.0004" "$r" "OK OK OK"
group=$(basename "$(readlink $M/$U1/iommu_group)" 2>/dev/null)

# pop: moves the next line of $rest into $line.
pop() {
	line=${rest%%"$_nl"*}
	if [ "$line" = "$rest" ]; then
		rest=
	else
		rest=${rest#*"$_nl"}
	fi
}

# steps NAME WANT...: one test point per line of the program's output
# (without the s390dbf lines), in order; NAME says what the line shows.
steps() {
	while [ $# -ge 2 ]; do
		pop
		expect "aqic: $1" "$line" "$2"
		shift 2
	done
}

# dbf_lines: the vfio_ap s390dbf messages the program printed (its "cat"),
# without the entry header (time, CPU, caller), one a line. The NIB is
# left out: upstream records a pointer to it, formatted only when read.
dbf_lines() {
	sed -n 's/^| [0-9]* [0-9]*:[0-9]* [0-9] [-*] [0-9]* [0-9a-f]*  //p' |
		sed 's/nib=[^,]*,/nib=N,/'
}

if [ ! -x $HELPER ]; then
	diag "$HELPER missing: run selftests/pqap/tools/build.sh"
fi

# --- A guest: the mdev opened with a VM.
echo - >$DBF/flush
# What the helper prints up to a created vCPU, before the device's part.
VM_READY="open /dev/pqap_test: ok
open container: ok
open group: ok
set container: ok
set iommu: ok
open kvm: ok
create vm: ok
guest memory: ok
create vcpu: ok"
out=$($HELPER "$group" $U1 \
	map 0x0 $MAPPED \
	off-noaiv 05.0004 \
	on-noaiv 05.0004 3 0x1000 \
	on 06.0004 3 0x1000 \
	off 05.0047 \
	on 05.0004 3 0x0 \
	on 05.0004 3 $MEM_END \
	on 05.0004 3 0x30000 \
	on 05.0004 7 0x1ff8 \
	tapq 05.0004 \
	off 05.0004 \
	tapq 05.0004 \
	write $M/$U1/assign_domain 0x47 \
	off 05.0047 \
	write $M/$U1/unassign_domain 0x47 \
	off 05.0047 \
	unmap 0x0 $MAPPED \
	on 05.0004 3 0x1000 \
	off 05.0004 \
	cat $DBF/sprintf \
	write $DBF/flush - \
	close \
	on 05.0004 3 0x1000 2>&1)
setup="$VM_READY
kvm vfio device: ok
add group to kvm: ok
get device fd: ok"
got=$(echo "$out" | grep -v '^| ' | head -n 12)
rest=$(echo "$out" | grep -v '^| ' | tail -n +13)
expect "aqic: guest: set-up, the device opened with a VM" "$(echo "$got" | words)" "$(echo "$setup" | words)"
R=0x0000000000
steps \
	"guest: the NIB's page is DMA-mapped" \
		"map 0x0 $MAPPED: ok" \
	"guest: without AIV the hook leaves disabling to user space" \
		"off-noaiv 05.0004: hook EOPNOTSUPP, gr1 unchanged" \
	"guest: without AIV the hook leaves enabling to user space" \
		"on-noaiv 05.0004 isc 3 nib 0x1000: hook EOPNOTSUPP, gr1 unchanged" \
	"guest: enabling an unassigned queue is RC 01" \
		"on 06.0004 isc 3 nib 0x1000: gr1 ${R}010000 cc 3" \
	"guest: disabling an unassigned queue is RC 01" \
		"off 05.0047: gr1 ${R}010000 cc 3" \
	"guest: NIB 0 is RC 06" \
		"on 05.0004 isc 3 nib 0x0: gr1 ${R}060000 cc 3" \
	"guest: a NIB outside guest memory is RC 06" \
		"on 05.0004 isc 3 nib $MEM_END: gr1 ${R}060000 cc 3" \
	"guest: a NIB in guest memory but not DMA-mapped is RC 06" \
		"on 05.0004 isc 3 nib 0x30000: gr1 ${R}060000 cc 3" \
	"guest: a valid NIB without a GISA is RC 06" \
		"on 05.0004 isc 7 nib 0x1ff8: gr1 ${R}060000 cc 3" \
	"guest: the failed enable left the queue's interruptions off" \
		"tapq 05.0004: status 0x80000000 irq off" \
	"guest: disabling an assigned queue is AQIC's answer" \
		"off 05.0004: gr1 0x0000000080000000 cc 0" \
	"guest: after disabling, the queue's interruptions are off" \
		"tapq 05.0004: status 0x80000000 irq off" \
	"guest: assigning a domain while the guest runs" \
		"write 0x47 to $M/$U1/assign_domain: ok" \
	"guest: the queue assigned while the guest runs is the guest's" \
		"off 05.0047: gr1 0x0000000080000000 cc 0" \
	"guest: unassigning that domain while the guest runs" \
		"write 0x47 to $M/$U1/unassign_domain: ok" \
	"guest: the unassigned queue is RC 01 again" \
		"off 05.0047: gr1 ${R}010000 cc 3" \
	"guest: unmapping the NIB's page" \
		"unmap 0x0 $MAPPED: ok" \
	"guest: after the unmap the NIB cannot be pinned: RC 06" \
		"on 05.0004 isc 3 nib 0x1000: gr1 ${R}060000 cc 3" \
	"guest: disabling after the unmap" \
		"off 05.0004: gr1 0x0000000080000000 cc 0" \
	"guest: the s390dbf area is readable" \
		"cat $DBF/sprintf: ok" \
	"guest: the s390dbf area is flushed" \
		"write - to $DBF/flush: ok" \
	"guest: closing the device" \
		"close device: ok" \
	"guest: after the close no hook is registered: KVM answers RC 01" \
		"on 05.0004 isc 3 nib 0x1000: no hook, gr1 0x0001000000000003 cc 3" \
	"guest: the program ends" \
		"unset container: ok"
pop
expect "aqic: guest: nothing else printed" "$line$rest" ""

# What upstream records in s390dbf on these paths (the cases above in
# order; a successful disable records nothing).
dbf=$(echo "$out" | dbf_lines)
eca=$(echo "$dbf" | sed -n '1s/.*eca=\(0x[0-9a-f]*\).*/\1/p')
want="handle_pqap: AIV facility not installed: apqn=0x0504, eca=$eca
handle_pqap: AIV facility not installed: apqn=0x0504, eca=$eca
handle_pqap: Queue 06.0004 not bound to the vfio_ap driver
handle_pqap: Queue 05.0047 not bound to the vfio_ap driver
vfio_ap_irq_enable: invalid NIB address: nib=N, apqn=0x504
vfio_ap_irq_enable: invalid NIB address: nib=N, apqn=0x504
vfio_ap_irq_enable: vfio_pin_pages failed: rc=-22,nib=N, apqn=0x504
vfio_ap_irq_enable: gisc registration failed: nisc=-19, isc=7, apqn=0x504
handle_pqap: Queue 05.0047 not bound to the vfio_ap driver
vfio_ap_irq_enable: vfio_pin_pages failed: rc=-22,nib=N, apqn=0x504"
expect "aqic: guest: s390dbf: the vCPU's ECA has no AIV bit" \
	"$([ -n "$eca" ] && [ $((eca & 0x00200000)) -eq 0 ] && echo yes)" yes
i=1
echo "$want" >/tmp/pqap-dbf-want
echo "$dbf" >/tmp/pqap-dbf-got
while IFS= read -r w; do
	expect "aqic: guest: s390dbf message $i" "$(sed -n "${i}p" /tmp/pqap-dbf-got)" "$w"
	i=$((i + 1))
done </tmp/pqap-dbf-want
expect "aqic: guest: s390dbf: no other message" "$(sed -n "${i},\$p" /tmp/pqap-dbf-got)" ""

# --- No guest: the device cannot be opened without a VM, so no hook.
out=$($HELPER "$group" $U1 nokvm \
	on 05.0004 3 0x1000 \
	off 05.0004 2>&1)
want="$VM_READY
get device fd: EINVAL
on 05.0004 isc 3 nib 0x1000: no hook, gr1 0x0001000000000003 cc 3
off 05.0004: no hook, gr1 0x0001000000000000 cc 3
unset container: ok"
expect "aqic: no guest: the open fails, KVM answers RC 01 itself" "$(echo "$out" | words)" "$(echo "$want" | words)"

expect "aqic: the mdev can be removed" "$(mdev_rm $U1)" OK
check "aqic: pqap_test unloads" rmmod pqap_test
expect "aqic: no vfio_ap warning in the kernel log" \
	"$(dmesg_since | grep -i 'vfio_ap' | grep -iE 'warn|error|fail' | words)" ""
suite_cleanup
done_testing
