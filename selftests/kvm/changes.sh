#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Changes to an mdev while a KVM guest has it open: each one that changes
# what the guest may use writes the new masks to the guest's CRYCB once
# and signals the configuration-change eventfd once, and the mdev's
# guest_matrix stays what the CRYCB holds. Covered: assign and unassign
# of an adapter, a domain and a control domain; ap_config writes; adapters
# and domains added to and removed from the host configuration (QMP); a
# queue taken from vfio_ap (unbind) and given back (bind). Changes the
# guest cannot see (an adapter that is not configured, a refused apmask
# write) leave the CRYCB alone and signal nothing.
. ./lib/vm.sh
. ./kvm/common.sh

plan 54
suite_cleanup
load_vfio_ap
free_example >/dev/null
wrn -7 $APB/apmask >/dev/null
wrn -0xc $APB/aqmask >/dev/null
kvm_mdev_opened changes

# Assignments through sysfs.
expect "kvm: assign adapter 6" "$(wrn 6 $M/$U1/assign_adapter)" OK
step "assign adapter 6 while open" "apm 05 06 aqm 0004 adm 0004" "set 1 clr 0" 1 $G1
expect "kvm: unassign adapter 6" "$(wrn 6 $M/$U1/unassign_adapter)" OK
step "unassign adapter 6 while open" "apm 05 aqm 0004 adm 0004" "set 1 clr 0" 1 $G1
expect "kvm: assign domain 0x47" "$(wrn 0x47 $M/$U1/assign_domain)" OK
step "assign domain 0x47 while open" "apm 05 aqm 0004 0047 adm 0004" "set 1 clr 0" 1 $G1
expect "kvm: unassign domain 0x47" "$(wrn 0x47 $M/$U1/unassign_domain)" OK
step "unassign domain 0x47 while open" "apm 05 aqm 0004 adm 0004" "set 1 clr 0" 1 $G1
expect "kvm: assign control domain 0xab" "$(wrn 0xab $M/$U1/assign_control_domain)" OK
step "assign control domain 0xab while open" "apm 05 aqm 0004 adm 0004 00ab" "set 1 clr 0" 1 $G1
expect "kvm: unassign control domain 0xab" "$(wrn 0xab $M/$U1/unassign_control_domain)" OK
step "unassign control domain 0xab while open" "apm 05 aqm 0004 adm 0004" "set 1 clr 0" 1 $G1

# ap_config replaces all three masks in one write.
cfg="0x$(hexmask 5 6),0x$(hexmask 4 0xab),0x$(hexmask 4 0xff)"
expect "kvm: ap_config write" "$(wrn "$cfg" $M/$U1/ap_config)" OK
step "ap_config write while open" "apm 05 06 aqm 0004 00ab adm 0004 00ff" "set 1 clr 0" 1 $G1
# Taking adapters, domains and control domains away in one write: the
# upstream driver hands KVM one APCB for each kind it takes away (first
# without adapter 6, then also without domain 0xab, then without control
# domain 0xff) and signals each; ours hands KVM one APCB with the final
# masks and signals once (a documented difference).
cfg="0x$(hexmask 5),0x$(hexmask 4),0x$(hexmask 4)"
expect "kvm: ap_config write back" "$(wrn "$cfg" $M/$U1/ap_config)" OK
crycb_log | tail -n 9 | while read -r l; do diag "CRYCB record: $l"; done
step_divergent "ap_config write back while open" "apm 05 aqm 0004 adm 0004" \
	"set 3 clr 0" 3 "set 1 clr 0" 1 $G1

# The host configuration changes (QMP, then a synchronous AP bus rescan).
r="$(wrn 7 $M/$U1/assign_adapter) $(wrn 0xc $M/$U1/assign_domain)"
expect "kvm: assign adapter 7 and domain 0x0c, not configured" "$r" "OK OK"
step "assigning what the host lacks" "apm 05 aqm 0004 adm 0004" "set 0 clr 0" 0 $G1
expect "kvm: host adds adapter 7" "$(apcfg add adapters 7)" OK
step "adapter 7 plugged in" "apm 05 07 aqm 0004 adm 0004" "set 1 clr 0" 1 $G1
expect "kvm: host adds domain 0x0c" "$(apcfg add domains 12)" OK
step "domain 0x0c plugged in" "apm 05 07 aqm 0004 000c adm 0004" "set 1 clr 0" 1 $G1
expect "kvm: host removes adapter 7" "$(apcfg remove adapters 7)" OK
step "adapter 7 unplugged" "apm 05 aqm 0004 000c adm 0004" "set 1 clr 0" 1 $G1
expect "kvm: host removes domain 0x0c" "$(apcfg remove domains 12)" OK
step "domain 0x0c unplugged" "apm 05 aqm 0004 adm 0004" "set 1 clr 0" 1 $G1

# The host wants a queue back.
expect "kvm: apmask +5 is EBUSY while the mdev holds adapter 5" "$(wrn +5 $APB/apmask)" EBUSY
step "the refused apmask write" "apm 05 aqm 0004 adm 0004" "set 0 clr 0" 0 $G1
expect "kvm: unbind queue 05.0004 from vfio_ap" "$(wrn 05.0004 $VDRV/unbind)" OK
step "unbinding unplugs adapter 5" "apm  aqm 0004 adm 0004" "set 1 clr 0" 1 $G1
expect "kvm: bind queue 05.0004 again" "$(wrn 05.0004 $VDRV/bind)" OK
step "binding plugs adapter 5 in again" "apm 05 aqm 0004 adm 0004" "set 1 clr 0" 1 $G1

r="$(hx close 0) $(crycb_delta) $(hx close-vm)"
expect "kvm: changes: close" "$r" "ok set 0 clr 1 ok"
kvm_stop
expect "kvm: changes: remove the mdev" "$(mdev_rm $U1)" OK
suite_cleanup
done_testing
