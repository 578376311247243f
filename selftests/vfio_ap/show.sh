#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# matrix and guest_matrix byte for byte: adapters without domains, domains
# without adapters, sorting; guest_matrix filtering: an adapter one of whose
# queues is not bound to vfio_ap is left out whole, IDs outside the host
# configuration are left out, domains stay when every adapter is filtered;
# the 4095-byte cap of a long matrix; the queue status attribute.
. ./lib/vm.sh
. ./vfio_ap/common.sh

plan 26
suite_cleanup
load_vfio_ap
free_example >/dev/null
mdev_new $U1 >/dev/null
A=$M/$U1

r="$(wrn 6 $A/assign_adapter) $(wrn 5 $A/assign_adapter)"
expect "show: adapters only" "$r $(rd $A/matrix)" 'OK OK 05.\n06.\n'
expect "show: adapters only in guest_matrix" "$(rd $A/guest_matrix)" '05.\n06.\n'
r="$(wrn 5 $A/unassign_adapter) $(wrn 6 $A/unassign_adapter) $(wrn 0xab $A/assign_domain) $(wrn 4 $A/assign_domain)"
expect "show: domains only" "$r $(rd $A/matrix)" 'OK OK OK OK .0004\n.00ab\n'
expect "show: domains only in guest_matrix" "$(rd $A/guest_matrix)" '.0004\n.00ab\n'
r="$(wrn 6 $A/assign_adapter) $(wrn 5 $A/assign_adapter)"
expect "show: adapters 6,5 and domains 0xab,4 sorted" "$r $(rd $A/matrix)" \
	'OK OK 05.0004\n05.00ab\n06.0004\n06.00ab\n'
expect "show: all bound: guest_matrix equals matrix" "$(rd $A/guest_matrix)" \
	'05.0004\n05.00ab\n06.0004\n06.00ab\n'
expect "status: all four assigned" \
	"$(for q in 05.0004 05.00ab 06.0004 06.00ab; do rd $APB/devices/$q/status; done | words)" \
	'assigned\n assigned\n assigned\n assigned\n'
expect "status: queue of an unassigned domain" "$(rd $APB/devices/05.0047/status)" 'unassigned\n'

# Filtering by binding.
expect "filter: unbind 06.00ab" "$(wrn 06.00ab $VDRV/unbind)" OK
expect "filter: adapter 6 leaves guest_matrix whole" "$(rd $A/guest_matrix)" '05.0004\n05.00ab\n'
expect "filter: matrix keeps it" "$(rd $A/matrix)" '05.0004\n05.00ab\n06.0004\n06.00ab\n'
expect "filter: rebind 06.00ab" "$(wrn 06.00ab $VDRV/bind)" OK
expect "filter: adapter 6 back in guest_matrix" "$(rd $A/guest_matrix)" \
	'05.0004\n05.00ab\n06.0004\n06.00ab\n'
r="$(wrn 05.0004 $VDRV/unbind) $(wrn 06.0004 $VDRV/unbind)"
expect "filter: every adapter filtered leaves the domains" "$r $(rd $A/guest_matrix)" 'OK OK .0004\n.00ab\n'
r="$(wrn 05.0004 $VDRV/bind) $(wrn 06.0004 $VDRV/bind)"
expect "filter: both back" "$r $(rd $A/guest_matrix)" 'OK OK 05.0004\n05.00ab\n06.0004\n06.00ab\n'
r="$(wrn 05.0047 $VDRV/unbind) $(rd $A/guest_matrix) $(wrn 05.0047 $VDRV/bind)"
expect "filter: unbinding a queue outside the matrix changes nothing" "$r" \
	'OK 05.0004\n05.00ab\n06.0004\n06.00ab\n OK'

# Filtering by the host configuration: adapters 7 and 0x0a and domain
# 0x0c are not configured.
r="$(wrn 7 $A/assign_adapter) $(rd $A/guest_matrix)"
expect "filter: adapter 7 outside the host is left out" "$r" \
	'OK 05.0004\n05.00ab\n06.0004\n06.00ab\n'
r="$(wrn 7 $A/unassign_adapter) $(wrn 0xc $A/assign_domain) $(rd $A/guest_matrix)"
expect "filter: domain 0x0c outside the host is left out" "$r" \
	'OK OK 05.0004\n05.00ab\n06.0004\n06.00ab\n'
expect "filter: matrix shows domain 0x0c" "$(rd $A/matrix)" \
	'05.0004\n05.000c\n05.00ab\n06.0004\n06.000c\n06.00ab\n'
r="$(wrn 0xc $A/unassign_domain) $(wrn 5 $A/unassign_adapter) $(wrn 6 $A/unassign_adapter) $(wrn 0xa $A/assign_adapter)"
expect "filter: an adapter outside the host with domains" "$r $(rd $A/guest_matrix)" 'OK OK OK OK .0004\n.00ab\n'
r="$(wrn 0xa $A/unassign_adapter) $(wrn 4 $A/unassign_domain) $(wrn 0xab $A/unassign_domain)"
expect "show: all unassigned" "$r $(rd $A/matrix)$(rd $A/guest_matrix)" 'OK OK OK '

# A matrix longer than a page: 7 adapters x 84 domains = 588 lines of 8
# bytes; the output stops at 4095 bytes, in the middle of line 512.
wrn -8-14 $APB/apmask >/dev/null
r=$(wrn "0x00fe,0x0000fffffffffffffffffffff,0x" $A/ap_config)
expect "show: 588 APQNs assigned through ap_config" "$r" OK
expect "show: a long matrix stops at 4095 bytes" "$(cat $A/matrix | wc -c)" 4095
expect "show: the long matrix ends in the middle of a line" \
	"$(cat $A/matrix | tail -n 2 | words)" "0e.0016 0e.0017"
r="$(wrn , $A/ap_config) $(rd $A/matrix) $(wrn +8-14 $APB/apmask)"
expect "show: cleared again" "$r" 'OK  OK'

expect "show: remove the mdev" "$(mdev_rm $U1)" OK
suite_cleanup
done_testing
