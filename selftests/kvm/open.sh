#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The guest has KVM. Opening an mdev without a KVM instance is EINVAL,
# with one it succeeds and hands the mdev's guest_matrix to KVM (the VM's
# CRYCB); the VFIO device ioctls (GET_INFO, GET_IRQ_INFO, SET_IRQS on both
# interrupt indexes including bad requests and disarming, RESET); queue
# status "in use" while open; a second mdev on the same VM is EPERM;
# closing clears the CRYCB, after which the other mdev can be opened.
. ./lib/vm.sh
. ./kvm/common.sh

plan 44
suite_cleanup

# KVM initialised at boot: the SCLP reported SIE (sief2), and the probe of
# PERFORM LOCKED OPERATION answered.
expect "kvm: /dev/kvm exists" "$([ -c /dev/kvm ] && echo yes)" yes
expect "kvm: the kvm-trace debug area exists" "$([ -d $DBF/kvm-trace ] && echo yes)" yes
expect "kvm: the CPU reports SIE" "$(grep -m1 '^features' /proc/cpuinfo | grep -wo sie)" sie

load_vfio_ap
free_example >/dev/null
r="$(mdev_new $U1) $(wrn 5 $M/$U1/assign_adapter) $(wrn 4 $M/$U1/assign_domain)"
r="$r $(wrn 0x47 $M/$U1/assign_domain) $(wrn 0xab $M/$U1/assign_control_domain)"
r="$r $(mdev_new $U2) $(wrn 6 $M/$U2/assign_adapter) $(wrn 0xff $M/$U2/assign_domain)"
expect "kvm: two mdevs" "$r" "OK OK OK OK OK OK OK OK"
G1=$M/$U1/guest_matrix
G2=$M/$U2/guest_matrix

kvm_start
# What KVM tested at start-up, from user space (PLO is not privileged).
expect "kvm: PLO's test form: no function code installed" "$(hx plo)" "cc3 256"
r="$(hx container) $(hx group 0 $(group_of $U1)) $(hx open 0 $U1)"
expect "kvm: open without a KVM instance is EINVAL" "$r" "ok ok EINVAL"
r="$(kvm_vm) $(hx vcpu 0) $(hx kvm-add 0)"
expect "kvm: a VM with a vCPU, the group added to its KVM VFIO device" "$r" "ok ok ok"
expect "kvm: the VM's debug area exists" "$([ -d "$(vm_dbf)" ] && echo yes)" yes
expect "kvm: no CRYCB record before the open" "$(crycb_delta); $(crycb)" "set 0 clr 0; none"
expect "kvm: open with a KVM instance" "$(hx open 0 $U1)" ok
step "open sets the CRYCB" "apm 05 aqm 0004 0047 adm 00ab" "set 1 clr 0" 0 $G1
r="$(rd $APB/devices/05.0004/status) $(rd $APB/devices/05.0047/status) $(rd $APB/devices/06.00ff/status)"
expect "kvm: queue status while open" "$r" 'in use\n in use\n assigned\n'

# The VFIO device ioctls.
expect "kvm: GET_INFO" "$(hx info 0)" "flags 0x21 regions 0 irqs 2"
expect "kvm: GET_IRQ_INFO of the request interrupt" "$(hx irq-info 0 0)" "flags 0x1 count 1"
expect "kvm: GET_IRQ_INFO of the configuration-change interrupt" "$(hx irq-info 0 1)" "flags 0x1 count 1"
expect "kvm: GET_IRQ_INFO of index 2 is EINVAL" "$(hx irq-info 0 2)" EINVAL
r="$(hx irq 0 0 eventfd) $(hx irq 0 1 eventfd)"
expect "kvm: SET_IRQS eventfd on both indexes" "$r" "ok ok"
r="$(hx irq 0 0 none) $(hx irq 0 1 none)"
expect "kvm: SET_IRQS DATA_NONE with count 0" "$r" "EINVAL EINVAL"
r="$(hx irq 0 0 mask) $(hx irq 0 1 mask) $(hx irq 0 0 badfd) $(hx irq 0 1 badfd)"
expect "kvm: SET_IRQS with ACTION_MASK or fd -2" "$r" "EINVAL EINVAL EINVAL EINVAL"
expect "kvm: the bad SET_IRQS left the eventfds armed" \
	"$(wrn 0xff $M/$U1/assign_control_domain) $(hx signals 0 1)" "OK 1"
step "assign a control domain" "apm 05 aqm 0004 0047 adm 00ab 00ff" "set 1 clr 0" 0 $G1
r="$(hx irq 0 1 off) $(wrn 0xff $M/$U1/unassign_control_domain) $(hx signals 0 1)"
expect "kvm: SET_IRQS fd -1 disarms the configuration-change eventfd" "$r" "ok OK 0"
step "unassign the control domain (disarmed)" "apm 05 aqm 0004 0047 adm 00ab" "set 1 clr 0" 0 $G1
r="$(hx irq 0 1 eventfd) $(hx irq 0 1 off0) $(wrn 0xff $M/$U1/assign_control_domain) $(hx signals 0 1)"
expect "kvm: SET_IRQS count 0 fd -1 disarms too" "$r" "ok ok OK 0"
step "assign the control domain (disarmed)" "apm 05 aqm 0004 0047 adm 00ab 00ff" "set 1 clr 0" 0 $G1
r="$(hx irq 0 1 eventfd) $(wrn 0xff $M/$U1/unassign_control_domain) $(hx signals 0 1)"
expect "kvm: armed again" "$r" "ok OK 1"
step "unassign the control domain (armed)" "apm 05 aqm 0004 0047 adm 00ab" "set 1 clr 0" 0 $G1
expect "kvm: RESET" "$(hx reset 0)" ok
step "RESET leaves the CRYCB alone" "apm 05 aqm 0004 0047 adm 00ab" "set 0 clr 0" 0 $G1

# A second mdev on the same VM.
r="$(hx group 1 $(group_of $U2)) $(hx kvm-add 1) $(hx open 1 $U2)"
expect "kvm: a second mdev on the same VM is EPERM" "$r" "ok ok EPERM"
r="$(crycb_delta); $(crycb); $(rd $G1) $(rd $APB/devices/06.00ff/status)"
expect "kvm: the refused open changes nothing" "$r" 'set 0 clr 0; apm 05 aqm 0004 0047 adm 00ab; 05.0004\n05.0047\n assigned\n'

# Close.
expect "kvm: close" "$(hx close 0)" ok
r="$(crycb_delta); $(crycb); signals $(hx signals 0 1)"
expect "kvm: close clears the CRYCB" "$r" "set 0 clr 1; cleared; signals 0"
r="$(rd $APB/devices/05.0004/status) $(rd $G1)"
expect "kvm: status and guest_matrix after close" "$r" 'assigned\n 05.0004\n05.0047\n'
expect "kvm: the other mdev opens after the close" "$(hx open 1 $U2)" ok
r="$(crycb_delta); $(crycb); $(rd $G2) $(rd $APB/devices/06.00ff/status)"
expect "kvm: the other mdev's CRYCB" "$r" 'set 1 clr 0; apm 06 aqm 00ff adm ; 06.00ff\n in use\n'
r="$(hx close 1) $(crycb_delta) $(hx close-vm)"
expect "kvm: close the other mdev and the VM" "$r" "ok set 0 clr 1 ok"
kvm_stop
expect "kvm: both mdevs can be removed" "$(mdev_rm $U1) $(mdev_rm $U2)" "OK OK"
suite_cleanup
done_testing
