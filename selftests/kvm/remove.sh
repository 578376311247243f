#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Removing an mdev that a KVM guest has open: the removal asks the user to
# let go (the request eventfd is signalled, the guest's CRYCB is cleared
# and the configuration-change eventfd signalled) and completes only after
# the device is closed. Without a request eventfd the removal just waits
# for the close.
. ./lib/vm.sh
. ./kvm/common.sh

plan 18
suite_cleanup
load_vfio_ap
free_example >/dev/null
kvm_mdev_opened remove

# The removal repeats its request every 10 s until the device is closed,
# which a slow guest may see: counts of requests are "1+".
mdev_rm $U1 >/tmp/kvm-remove.result &
rm_pid=$!
expect "kvm: remove while open signals the request eventfd" "$(some $(hx wait 0 0))" 1+
r="$(crycb_delta_some); $(crycb); signals $(some $(hx wait 0 1))"
expect "kvm: the removal request clears the CRYCB" "$r" "set 0 clr 1+; cleared; signals 1+"
# The mdev's sysfs directory is gone already.
r="$(kill -0 $rm_pid 2>/dev/null && echo pending) $(mdevs)"
expect "kvm: the removal waits for the close" "$r" "pending "
r="$(rd $APB/devices/05.0004/status) $(rd $G1)"
expect "kvm: status and guest_matrix while the removal waits" "$r" 'in use\n <ENOENT>'
expect "kvm: close during the removal" "$(hx close 0)" ok
wait $rm_pid
r="$(cat /tmp/kvm-remove.result) $(mdevs)"
expect "kvm: the removal completes after the close" "$r" "OK "
r="$(crycb_delta_some); $(crycb)"
expect "kvm: the close clears the CRYCB again" "$r" "set 0 clr 1+; cleared"
expect "kvm: the queue is unassigned after the removal" "$(rd $APB/devices/05.0004/status)" 'unassigned\n'
r="$(hx close-vm)"
kvm_stop

# Without a request eventfd.
r="$r $(mdev_new $U2) $(wrn 5 $M/$U2/assign_adapter) $(wrn 4 $M/$U2/assign_domain)"
expect "kvm: remove: second mdev" "$r" "ok OK OK OK"
G2=$M/$U2/guest_matrix
kvm_start
r="$(hx container) $(hx group 0 $(group_of $U2)) $(kvm_vm) $(hx kvm-add 0) $(hx open 0 $U2)"
expect "kvm: remove: open without eventfds" "$r" "ok ok ok ok ok"
r="$(crycb_delta); $(crycb)"
expect "kvm: remove: the second open" "$r" "set 1 clr 0; apm 05 aqm 0004 adm "
mdev_rm $U2 >/tmp/kvm-remove.result &
rm_pid=$!
sleep 2
r="$(kill -0 $rm_pid 2>/dev/null && echo pending) $(mdevs) $(crycb)"
expect "kvm: without a request eventfd the removal waits" "$r" "pending  cleared"
expect "kvm: close the second mdev" "$(hx close 0)" ok
wait $rm_pid
r="$(cat /tmp/kvm-remove.result) $(mdevs)"
expect "kvm: the second removal completes after the close" "$r" "OK "
r="$(hx close-vm)"
kvm_stop
suite_cleanup
done_testing
