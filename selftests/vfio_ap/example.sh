#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The worked example of Documentation/s390/vfio-ap.rst end to end:
# queues 05.0004, 05.0047, 05.00ab, 05.00ff, 06.0004, 06.0047, 06.00ab,
# 06.00ff secured for vfio_ap and split between three guests' mdevs
#   Guest1: adapters 05, 06, domains 0x04, 0xab
#   Guest2: adapter 05, domains 0x47, 0xff
#   Guest3: adapter 06, domains 0x47, 0xff
# then the documented errors, and removal.
. ./lib/vm.sh
. ./vfio_ap/common.sh

plan 24
suite_cleanup

# Step 1-2: secure the queues, load. In this order, as the documentation
# does: the masks first, so that loading binds the queues. (The other way
# round, the AP bus would have to bind queues that have no driver after the
# mask change, which 7.3 decides by reading through a NULL driver pointer
# in __ap_revise_reserved(): a coin toss on s390, where that read does not
# fault.)
r="$(wrn -5,-6 $APB/apmask) $(wrn -4,-0x47,-0xab,-0xff $APB/aqmask)"
expect "example: secure the queues with the relative masks" "$r" "OK OK"
load_vfio_ap
expect "example: load vfio_ap" "$?" 0
expect "example: the eight queues are bound to vfio_ap" "$(bound)" "$EXAMPLE_QUEUES"
expect "example: masks read back" "$(cat $APB/apmask) $(cat $APB/aqmask)" \
	"0xf9ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff 0xf7fffffffffffffffeffffffffffffffffffffffffeffffffffffffffffffffe"
expect "example: hwtype of card05 is 10 or more" "$([ "$(cat $APB/devices/card05/hwtype)" -ge 10 ] && echo yes)" yes

# Step 3: three mdevs.
r="$(mdev_new $U1) $(mdev_new $U2) $(mdev_new $U3)"
expect "example: create three mdevs" "$r" "OK OK OK"
expect "example: the type lists them" "$(mdevs)" "$U1 $U2 $U3"
expect "example: available_instances" "$(rd $T/available_instances)" '65533\n'

# Step 4: the guests' matrixes.
r="$(wrn 5 $M/$U1/assign_adapter) $(wrn 6 $M/$U1/assign_adapter) $(wrn 4 $M/$U1/assign_domain) $(wrn 0xab $M/$U1/assign_domain)"
expect "example: configure Guest1" "$r" "OK OK OK OK"
r="$(wrn 5 $M/$U2/assign_adapter) $(wrn 0x47 $M/$U2/assign_domain) $(wrn 0xff $M/$U2/assign_domain)"
expect "example: configure Guest2" "$r" "OK OK OK"
r="$(wrn 6 $M/$U3/assign_adapter) $(wrn 0x47 $M/$U3/assign_domain) $(wrn 0xff $M/$U3/assign_domain)"
expect "example: configure Guest3" "$r" "OK OK OK"
expect "example: Guest1 matrix" "$(rd $M/$U1/matrix)" '05.0004\n05.00ab\n06.0004\n06.00ab\n'
expect "example: Guest1 guest_matrix" "$(rd $M/$U1/guest_matrix)" '05.0004\n05.00ab\n06.0004\n06.00ab\n'
expect "example: Guest2 matrix and guest_matrix" "$(rd $M/$U2/matrix)$(rd $M/$U2/guest_matrix)" \
	'05.0047\n05.00ff\n05.0047\n05.00ff\n'
expect "example: Guest3 matrix and guest_matrix" "$(rd $M/$U3/matrix)$(rd $M/$U3/guest_matrix)" \
	'06.0047\n06.00ff\n06.0047\n06.00ff\n'
expect "example: every queue is assigned" \
	"$(for q in $EXAMPLE_QUEUES; do cat $APB/devices/$q/status; done | sort -u | words)" assigned

# The documented errors.
dmesg_mark
expect "example: Guest3 may not take adapter 5" "$(wrn 5 $M/$U3/assign_adapter)" EADDRINUSE
expect "example: the log names each shared queue" "$(dmesg_since | grep 'may not assign' | words)" \
	"vfio_ap_mdev $U3: Userspace may not assign queue 05.0047 to mdev: already assigned to $U2 vfio_ap_mdev $U3: Userspace may not assign queue 05.00ff to mdev: already assigned to $U2"
expect "example: adapter above ap_max_adapter_id is ENODEV" \
	"$(wrn $(($(max_apid) + 1)) $M/$U1/assign_adapter)" ENODEV
expect "example: domain above ap_max_domain_id is ENODEV" \
	"$(wrn $(($(max_apqi) + 1)) $M/$U1/assign_domain)" ENODEV
r="$(wrn 7 $M/$U1/assign_adapter) $(wrn 0 $M/$U1/assign_domain) $(wrn 7 $M/$U1/unassign_adapter)"
expect "example: a host domain with a host adapter assigned is EADDRNOTAVAIL" "$r" "OK EADDRNOTAVAIL OK"

# Removal.
expect "example: remove Guest1's mdev" "$(mdev_rm $U1)" OK
expect "example: Guest1's queues are unassigned, the others not" \
	"$(for q in $EXAMPLE_QUEUES; do cat $APB/devices/$q/status; done | words)" \
	"unassigned assigned unassigned assigned unassigned assigned unassigned assigned"
r="$(mdev_rm $U2) $(mdev_rm $U3) $(mdevs)"
expect "example: remove the other two" "$r" "OK OK "

suite_cleanup
done_testing
