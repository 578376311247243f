#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Module loading and the objects it registers: the root and matrix devices,
# the matrix bus and driver, the AP queue driver, the mdev driver and type,
# the s390 debug feature area; unloading with and without mdevs, reloading.
. ./lib/vm.sh
. ./vfio_ap/common.sh

plan 32
suite_cleanup

exists() { [ -e "$1" ] && echo yes || echo no; }

expect "module: the AP bus is there" "$(exists $APB/devices)" yes
transcript "module: host AP devices :: $(cards) $(queues)"
load_vfio_ap
expect "module: loads" "$?" 0
expect "module: root device /sys/devices/vfio_ap" "$(exists /sys/devices/vfio_ap)" yes
expect "module: matrix device /sys/devices/vfio_ap/matrix" "$(exists $M)" yes
expect "module: matrix device on the matrix bus" \
	"$(readlink -f /sys/bus/matrix/devices/matrix)" "$M"
expect "module: matrix device bound to the matrix driver vfio_ap" \
	"$(readlink -f $M/driver)" /sys/bus/matrix/drivers/vfio_ap
drv=/sys/bus/matrix/drivers/vfio_ap
expect "module: matrix driver has no bind and unbind files" \
	"$(exists $drv/bind) $(exists $drv/unbind)" "no no"
transcript "module: matrix driver files :: $(ls $drv | sort | words)"
expect "module: AP queue driver vfio_ap with bind and unbind" \
	"$(exists $VDRV/bind) $(exists $VDRV/unbind)" "yes yes"
expect "module: mdev driver vfio_ap_mdev" "$(exists /sys/bus/mdev/drivers/vfio_ap_mdev)" yes

expect "features: content" "$(rd $M/features)" 'guest_matrix hotplug ap_config\n'
expect "features: mode 0444" "$(stat -c %a $M/features)" 444
expect "features: also under the matrix bus" \
	"$(rd /sys/bus/matrix/devices/matrix/features)" 'guest_matrix hotplug ap_config\n'

expect "mdev type: the only type is vfio_ap-passthrough" \
	"$(ls $M/mdev_supported_types | words)" vfio_ap-passthrough
expect "mdev type: name" "$(rd $T/name)" 'VFIO AP Passthrough Device\n'
expect "mdev type: device_api" "$(rd $T/device_api)" 'vfio-ap\n'
expect "mdev type: available_instances" "$(rd $T/available_instances)" '65536\n'
expect "mdev type: no description" "$(exists $T/name) $(exists $T/description)" "yes no"
expect "mdev type: create is write-only" "$(stat -c %a $T/create)" 200
expect "mdev type: no devices yet" "$(ls -A $T/devices 2>&1 | words)" ""
transcript "mdev type: files :: $(ls $T | sort | words)"

dbf=/sys/kernel/debug/s390dbf/vfio_ap
expect "debug: s390dbf area vfio_ap with a sprintf view" "$(exists $dbf/sprintf)" yes
expect "debug: s390dbf level" "$(rd $dbf/level)" '4\n'

unload_vfio_ap
expect "module: unloads without mdevs" "$?" 0
expect "module: unload removes its objects" \
	"$(exists /sys/devices/vfio_ap) $(exists /sys/bus/matrix) $(exists $VDRV) $(exists /sys/bus/mdev/drivers/vfio_ap_mdev) $(exists $dbf)" \
	"no no no no no"

n=0
for i in 1 2 3 4 5; do
	load_vfio_ap && [ -e $M/features ] && unload_vfio_ap && n=$((n + 1))
done
expect "module: loads and unloads five times" "$n" 5

# Unload with mdevs (with queues assigned) present, then reload.
load_vfio_ap
expect "module: setup frees the example's queues" "$(free_example)" OK
expect "module: the example's queues are bound" "$(bound)" "$EXAMPLE_QUEUES"
r="$(mdev_new $U1) $(mdev_new $U2) $(wrn 5 $M/$U1/assign_adapter) $(wrn 4 $M/$U1/assign_domain)"
expect "module: two mdevs, one with queue 05.0004" "$r" "OK OK OK OK"
before="$(exists /sys/bus/mdev/devices/$U1) $(exists /sys/bus/mdev/devices/$U2) $(driver_of 05.0004) $(driver_of 06.00ff)"
unload_vfio_ap
expect "module: unloads with mdevs present" "$?" 0
expect "module: the mdevs are gone after the unload" \
	"$before / $(exists /sys/bus/mdev/devices/$U1) $(exists /sys/bus/mdev/devices/$U2)" \
	"yes yes vfio_ap vfio_ap / no no"
expect "module: the queues are unbound after the unload" \
	"$(driver_of 05.0004) $(driver_of 06.00ff)" "none none"
load_vfio_ap
expect "module: reload binds the free queues again" "$(bound)" "$EXAMPLE_QUEUES"
expect "module: reload starts without mdevs" \
	"$(mdevs) $(cat $T/available_instances 2>&1)" " 65536"

suite_cleanup
done_testing
