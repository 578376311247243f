#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# mdev life cycle: create with a UUID, refused duplicates and bad UUIDs,
# the files of a new mdev and their empty content, available_instances
# counting down and up, remove (0 is a no-op, junk is EINVAL).
. ./lib/vm.sh
. ./vfio_ap/common.sh

plan 31
suite_cleanup
load_vfio_ap
free_example >/dev/null

U=$M/$U1
expect "mdev: create" "$(mdev_new $U1)" OK
expect "mdev: listed in the type's devices" "$(mdevs)" "$U1"
expect "mdev: child of the matrix device" "$(readlink -f /sys/bus/mdev/devices/$U1)" "$U"
expect "mdev: bound to vfio_ap_mdev" "$(basename "$(readlink $U/driver)")" vfio_ap_mdev
expect "mdev: mdev_type link" "$(readlink -f $U/mdev_type)" "$T"
expect "mdev: available_instances counts down" "$(rd $T/available_instances)" '65535\n'
expect "mdev: create without the newline" "$(wr $U2 $T/create)" OK
expect "mdev: available_instances counts down again" "$(rd $T/available_instances)" '65534\n'
expect "mdev: the same UUID again is EEXIST" "$(mdev_new $U1)" EEXIST
expect "mdev: the same UUID in upper case is EEXIST" \
	"$(mdev_new "$(echo $U1 | tr a-f A-F)")" EEXIST
expect "mdev: create xyz is EINVAL" "$(mdev_new xyz)" EINVAL
expect "mdev: create with 35 characters is EINVAL" "$(mdev_new "${U3%?}")" EINVAL
expect "mdev: create with two extra characters is EINVAL" "$(mdev_new "${U3}xy")" EINVAL
expect "mdev: create with a non-hex UUID is EINVAL" \
	"$(mdev_new 3333333g-3333-4333-8333-333333333333)" EINVAL
expect "mdev: failed creates leave the count" "$(rd $T/available_instances)" '65534\n'

# Files of a new mdev: mode and content.
modes=""
for f in assign_adapter unassign_adapter assign_domain unassign_domain \
	assign_control_domain unassign_control_domain ap_config matrix guest_matrix \
	control_domains remove; do
	modes="$modes $f=$(stat -c %a $U/$f 2>/dev/null || echo none)"
done
expect "mdev: attribute files and modes" "$modes" \
	" assign_adapter=200 unassign_adapter=200 assign_domain=200 unassign_domain=200 assign_control_domain=200 unassign_control_domain=200 ap_config=644 matrix=444 guest_matrix=444 control_domains=444 remove=200"
transcript "mdev: files :: $(ls $U | sort | words)"
expect "mdev: no status attribute on the mdev" "$([ -d $U ] && [ ! -e $U/status ] && echo right)" right
expect "mdev: empty matrix" "$(rd $U/matrix)" ''
expect "mdev: empty guest_matrix" "$(rd $U/guest_matrix)" ''
expect "mdev: empty control_domains" "$(rd $U/control_domains)" ''
expect "mdev: empty ap_config" "$(rd $U/ap_config)" "0x$ZERO64,0x$ZERO64,0x$ZERO64\\n"
expect "mdev: has an IOMMU group" "$([ -e $U/iommu_group ] && echo yes || echo no)" yes

# Remove.
expect "mdev: remove 0 is a no-op" "$(wrn 0 $U/remove) $(mdevs)" "OK $U1 $U2"
expect "mdev: remove x is EINVAL" "$(wrn x $U/remove) $(mdevs)" "EINVAL $U1 $U2"
r="$(wrn 5 $U/assign_adapter) $(wrn 4 $U/assign_domain) $(rd $APB/devices/05.0004/status)"
expect "mdev: queue assigned before the remove" "$r" 'OK OK assigned\n'
expect "mdev: remove" "$(mdev_rm $U1)" OK
expect "mdev: removed mdev is gone" "$([ -e $U ] && echo yes || echo no) $(mdevs)" "no $U2"
expect "mdev: available_instances counts up" "$(rd $T/available_instances)" '65535\n'
expect "mdev: the removed mdev's queue is unassigned" \
	"$(rd $APB/devices/05.0004/status)" 'unassigned\n'
r="$(mdev_new $U1) $(rd $U/matrix)"
expect "mdev: the UUID can be used again, empty" "$r" 'OK '
r="$(mdev_rm $U1) $(mdev_rm $U2) $(rd $T/available_instances)"
expect "mdev: remove all" "$r" 'OK OK 65536\n'

suite_cleanup
done_testing
