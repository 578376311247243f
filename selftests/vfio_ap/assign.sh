#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# assign_/unassign_ adapter, domain and control domain: number syntax,
# ENODEV above the host's largest ID, EINVAL and ERANGE for junk,
# EADDRNOTAVAIL for queues of the host's default pool, EADDRINUSE (the
# 7.3 code's errno; the documentation says EBUSY) for queues another mdev
# holds and the log line naming both, unassigning what is not assigned,
# control domains (shared, sorted), over-provisioning.
. ./lib/vm.sh
. ./vfio_ap/common.sh

plan 68
suite_cleanup
load_vfio_ap
free_example >/dev/null
mdev_new $U1 >/dev/null
mdev_new $U2 >/dev/null
A=$M/$U1
B=$M/$U2
MAXA=$(max_apid)
MAXD=$(max_apqi)
transcript "assign: host limits :: $MAXA $MAXD"

# Number syntax (kstrtoul, base 0): each form selects adapter 5.
adapter_as() { # LABEL VALUE
	r="$(wr "$2" $A/assign_adapter) $(rd $A/matrix) $(wrn 5 $A/unassign_adapter)"
	expect "assign: adapter written as $1" "$r" 'OK 05.\n OK'
}
adapter_as "5" 5
adapter_as "5 and a newline" "5$_nl"
adapter_as "0x5" 0x5
adapter_as "0X5" 0X5
adapter_as "05 (octal)" 05
adapter_as "+5" +5
adapter_as "0x05" 0x05
r="$(wrn 010 $A/assign_domain) $(rd $A/matrix) $(wrn 8 $A/unassign_domain) $(rd $A/matrix)"
expect "assign: domain 010 is octal 8" "$r" 'OK .0008\n OK '

# Junk.
adapter_junk() { # LABEL VALUE
	expect "assign: adapter written as $1 is EINVAL" \
		"$(wr "$2" $A/assign_adapter) $(rd $A/matrix)" 'EINVAL '
}
adapter_junk "a newline alone" "$_nl"
adapter_junk "a blank and 5" " 5"
adapter_junk "5 and a blank" "5 "
adapter_junk "5 and two newlines" "5$_nl$_nl"
adapter_junk "-1" -1
adapter_junk "-0" -0
adapter_junk "0x" 0x
adapter_junk "08" 08
adapter_junk "abc" abc
adapter_junk "5,6" 5,6
adapter_junk "5a" 5a
adapter_junk "0b101" 0b101
adapter_junk "0o7" 0o7
expect "assign: domain 'abc' is EINVAL" "$(wrn abc $A/assign_domain)" EINVAL
expect "assign: control domain 'abc' is EINVAL" "$(wrn abc $A/assign_control_domain)" EINVAL
expect "assign: unassign adapter 'abc' is EINVAL" "$(wrn abc $A/unassign_adapter)" EINVAL
expect "assign: unassign domain '-1' is EINVAL" "$(wrn -1 $A/unassign_domain)" EINVAL
expect "assign: unassign control domain '' is EINVAL" "$(wrn '' $A/unassign_control_domain)" EINVAL
expect "assign: adapter 99999999999999999999999 is ERANGE" \
	"$(wrn 99999999999999999999999 $A/assign_adapter)" ERANGE

# Limits.
r="$(wrn $((MAXA + 1)) $A/assign_adapter) $(wrn $((MAXA + 1)) $A/unassign_adapter)"
expect "assign: adapter above the largest ID is ENODEV" "$r" "ENODEV ENODEV"
r="$(wrn $((MAXD + 1)) $A/assign_domain) $(wrn $((MAXD + 1)) $A/unassign_domain)"
expect "assign: domain above the largest ID is ENODEV" "$r" "ENODEV ENODEV"
r="$(wrn $((MAXD + 1)) $A/assign_control_domain) $(wrn $((MAXD + 1)) $A/unassign_control_domain)"
expect "assign: control domain above the largest ID is ENODEV" "$r" "ENODEV ENODEV"
expect "assign: 256 is ENODEV" "$(wrn 256 $A/assign_adapter) $(wrn 256 $A/assign_domain)" "ENODEV ENODEV"
r="$(wrn $MAXA $A/assign_adapter) $(wrn $MAXD $A/assign_domain) $(wrn $MAXD $A/assign_control_domain)"
expect "assign: the largest IDs are accepted" "$r" "OK OK OK"
transcript "assign: after the largest IDs :: $(rd $A/ap_config)"
r="$(wrn $MAXA $A/unassign_adapter) $(wrn $MAXD $A/unassign_domain) $(wrn $MAXD $A/unassign_control_domain)"
expect "assign: the largest IDs can be unassigned" "$r" "OK OK OK"
expect "assign: nothing left after the limits" "$(rd $A/matrix)$(rd $A/control_domains)" ""

# The host's default pool: adapter 7 and domain 0 stay in apmask/aqmask.
expect "assign: an adapter of the default pool alone is accepted" \
	"$(wrn 7 $A/assign_adapter) $(rd $A/matrix)" 'OK 07.\n'
expect "assign: domain 0 with it is EADDRNOTAVAIL" \
	"$(wrn 0 $A/assign_domain) $(rd $A/matrix)" 'EADDRNOTAVAIL 07.\n'
expect "assign: a free domain with it is accepted" \
	"$(wrn 4 $A/assign_domain) $(rd $A/matrix)" 'OK 07.0004\n'
r="$(wrn 7 $A/unassign_adapter) $(wrn 4 $A/unassign_domain) $(wrn 0 $A/assign_domain) $(wrn 7 $A/assign_adapter) $(rd $A/matrix)"
expect "assign: the adapter with domain 0 assigned is EADDRNOTAVAIL" "$r" 'OK OK OK EADDRNOTAVAIL .0000\n'
expect "assign: a free adapter with domain 0 is accepted" \
	"$(wrn 5 $A/assign_adapter) $(rd $A/matrix)" 'OK 05.0000\n'
r="$(wrn 5 $A/unassign_adapter) $(wrn 0 $A/unassign_domain) $(rd $A/matrix)"
expect "assign: unassign both" "$r" 'OK OK '

# Sharing between mdevs.
r="$(wrn 5 $A/assign_adapter) $(wrn 4 $A/assign_domain) $(rd $A/matrix)"
expect "assign: first mdev takes 05.0004" "$r" 'OK OK 05.0004\n'
expect "assign: second mdev may take adapter 5 alone" \
	"$(wrn 5 $B/assign_adapter) $(rd $B/matrix)" 'OK 05.\n'
dmesg_mark
expect "assign: then domain 4 is EADDRINUSE" "$(wrn 4 $B/assign_domain) $(rd $B/matrix)" 'EADDRINUSE 05.\n'
expect "assign: the log names the queue and both mdevs" "$(dmesg_since | grep 'may not assign' | words)" \
	"vfio_ap_mdev $U2: Userspace may not assign queue 05.0004 to mdev: already assigned to $U1"
r="$(wrn 5 $B/unassign_adapter) $(wrn 4 $B/assign_domain) $(rd $B/matrix)"
expect "assign: second mdev may take domain 4 alone" "$r" 'OK OK .0004\n'
expect "assign: then adapter 5 is EADDRINUSE" "$(wrn 5 $B/assign_adapter) $(rd $B/matrix)" 'EADDRINUSE .0004\n'
expect "assign: adapter 6 with domain 4 is accepted" "$(wrn 6 $B/assign_adapter) $(rd $B/matrix)" 'OK 06.0004\n'
expect "assign: status of both queues" \
	"$(rd $APB/devices/05.0004/status)$(rd $APB/devices/06.0004/status)" 'assigned\nassigned\n'
r="$(wrn 6 $B/unassign_adapter) $(wrn 4 $B/unassign_domain) $(rd $B/matrix)"
expect "assign: second mdev empty again" "$r" 'OK OK '
expect "assign: status after the unassign" "$(rd $APB/devices/06.0004/status)" 'unassigned\n'

# Repeated and needless operations.
r="$(wrn 5 $A/assign_adapter) $(wrn 4 $A/assign_domain) $(rd $A/matrix)"
expect "assign: assigning again changes nothing" "$r" 'OK OK 05.0004\n'
r="$(wrn 6 $A/unassign_adapter) $(wrn 0xab $A/unassign_domain) $(wrn 9 $A/unassign_control_domain) $(rd $A/matrix)"
expect "assign: unassigning what is not assigned succeeds" "$r" 'OK OK OK 05.0004\n'
r="$(wrn 4 $A/unassign_domain) $(rd $A/matrix) $(rd $APB/devices/05.0004/status)"
expect "assign: unassign domain leaves the adapter" "$r" 'OK 05.\n unassigned\n'
r="$(wrn 4 $A/assign_domain) $(wrn 5 $A/unassign_adapter) $(rd $A/matrix) $(rd $APB/devices/05.0004/status)"
expect "assign: unassign adapter leaves the domain" "$r" 'OK OK .0004\n unassigned\n'
wrn 4 $A/unassign_domain >/dev/null

# Control domains.
r="$(wrn 0x20 $A/assign_control_domain) $(wrn 3 $A/assign_control_domain) $(wrn 0xff $A/assign_control_domain)"
expect "cdom: assign 0x20, 3, 0xff" "$r" "OK OK OK"
expect "cdom: control_domains sorted, four hex digits" "$(rd $A/control_domains)" '0003\n0020\n00ff\n'
expect "cdom: control domains do not show in matrix" "$(rd $A/matrix)" ''
expect "cdom: another mdev may share control domain 3" \
	"$(wrn 3 $B/assign_control_domain) $(rd $B/control_domains)" 'OK 0003\n'
expect "cdom: a control domain in the default pool is accepted" \
	"$(wrn 0 $B/assign_control_domain) $(rd $B/control_domains)" 'OK 0000\n0003\n'
expect "cdom: unassign 0x20" "$(wrn 0x20 $A/unassign_control_domain) $(rd $A/control_domains)" 'OK 0003\n00ff\n'
expect "cdom: assign again changes nothing" "$(wrn 3 $A/assign_control_domain) $(rd $A/control_domains)" 'OK 0003\n00ff\n'
r="$(wrn 3 $A/unassign_control_domain) $(wrn 0xff $A/unassign_control_domain) $(rd $A/control_domains) $(rd $B/control_domains)"
expect "cdom: unassign all on one mdev leaves the other" "$r" 'OK OK  0000\n0003\n'

# Over-provisioning: IDs the host does not have (adapter 0x0a, domain
# 0x0c) are accepted, shown in matrix, left out of guest_matrix. (Domain
# 0x0c is taken out of aqmask first: 0a.000c would be the host's.)
expect "overprov: free domain 0x0c from aqmask" "$(wrn -0xc $APB/aqmask)" OK
r="$(wrn 5 $A/assign_adapter) $(wrn 0x0a $A/assign_adapter) $(wrn 4 $A/assign_domain) $(wrn 0x0c $A/assign_domain)"
expect "overprov: adapter 0x0a and domain 0x0c accepted" "$r" "OK OK OK OK"
expect "overprov: matrix shows them" "$(rd $A/matrix)" '05.0004\n05.000c\n0a.0004\n0a.000c\n'
expect "overprov: guest_matrix leaves them out" "$(rd $A/guest_matrix)" '05.0004\n'
expect "overprov: another mdev cannot take 0a.000c" "$(wrn 0xa $B/assign_adapter) $(wrn 0xc $B/assign_domain)" "OK EADDRINUSE"

expect "assign: remove the mdevs" "$(mdev_rm $U1) $(mdev_rm $U2)" "OK OK"
suite_cleanup
done_testing
