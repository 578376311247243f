#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The mdev as a VFIO device: its IOMMU group and group node exist, the
# group is viable and takes a type1 container, and opening the device
# without a KVM instance fails with EINVAL as upstream does (there is no
# KVM guest under QEMU TCG). Uses tools/vfio-open (tools/build.sh).
. ./lib/vm.sh
. ./vfio_ap/common.sh

plan 8
suite_cleanup
load_vfio_ap
free_example >/dev/null
HELPER=./vfio_ap/tools/vfio-open

r="$(mdev_new $U1) $(wrn 5 $M/$U1/assign_adapter) $(wrn 4 $M/$U1/assign_domain)"
expect "vfio: mdev with queue 05.0004" "$r" "OK OK OK"
group=$(basename "$(readlink $M/$U1/iommu_group)" 2>/dev/null)
expect "vfio: the mdev has an IOMMU group" "$([ -n "$group" ] && echo yes)" yes
expect "vfio: the group's device node exists" "$([ -c /dev/vfio/$group ] && echo yes)" yes
expect "vfio: the group holds only the mdev" \
	"$(ls /sys/kernel/iommu_groups/$group/devices 2>&1 | words)" "$U1"
expect "vfio: vfio-dev directory of the mdev" "$(ls $M/$U1/vfio-dev 2>&1 | sed 's/[0-9]*$/N/' | words)" vfioN

if [ -x $HELPER ]; then
	out=$($HELPER "$group" $U1 2>&1)
else
	out="vfio_ap/tools/vfio-open missing: run selftests/vfio_ap/tools/build.sh"
	diag "$out"
fi
want="open container: ok
type1v2 iommu: supported
open group: ok
group status: ok
group viable: yes
set container: ok
set iommu: ok
get device fd: EINVAL
unset container: ok"
expect "vfio: opening the device without KVM is EINVAL" "$(echo "$out" | words)" "$(echo "$want" | words)"
expect "vfio: status stays assigned after the failed open" "$(rd $APB/devices/05.0004/status)" 'assigned\n'
expect "vfio: the mdev can be removed after the failed open" "$(mdev_rm $U1)" OK

suite_cleanup
done_testing
