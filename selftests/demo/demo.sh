#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The demo walk (tools/demo.sh): what an administrator does first with
# vfio_ap, shown on the console. Each step is also a test point.
. ./lib/vm.sh

step() {
	echo
	echo "### $*"
}

plan 4

step "The AP bus: cards and queues the machine offers"
ls /sys/bus/ap/devices 2>&1
test -d /sys/bus/ap
ok $? "the AP bus is present"

step "Give adapter 0 and domains 0-1 to non-default drivers"
echo "-0" >/sys/bus/ap/apmask 2>/dev/null
echo "-0,-1" >/sys/bus/ap/aqmask 2>/dev/null
echo "apmask: $(cat /sys/bus/ap/apmask 2>&1)"
echo "aqmask: $(cat /sys/bus/ap/aqmask 2>&1)"

step "Load vfio_ap ($VFIO_AP_MODULE)"
load_vfio_ap
ok $? "vfio_ap loaded"
ls -l /sys/devices/vfio_ap/ 2>&1

step "The matrix device and its features"
ls /sys/devices/vfio_ap/matrix 2>&1
echo "features: $(cat /sys/devices/vfio_ap/matrix/features 2>&1)"
test "$(cat /sys/devices/vfio_ap/matrix/features 2>/dev/null)" = "guest_matrix hotplug ap_config"
ok $? "the matrix device lists its features"

step "Queues bound to vfio_ap"
ls /sys/bus/ap/drivers/vfio_ap 2>&1

step "Unload"
unload_vfio_ap
ok $? "vfio_ap unloaded"
done_testing
