#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Harness smoke test: the VM boots, the module under test loads (or refuses
# to load where the machine has no AP facility) and unloads cleanly.
. ./lib/vm.sh

plan 5

check "kernel has KVM built in" test -e /dev/kvm -o -d /sys/module/kvm
check "kernel has VFIO" test -d /sys/class/vfio -o -e /dev/vfio/vfio

if [ -d /sys/bus/ap ]; then
	diag "AP bus present"
	check "vfio_ap loads" load_vfio_ap
	check "matrix device registered" test -d /sys/devices/vfio_ap/matrix
	check "vfio_ap unloads" unload_vfio_ap
else
	diag "no AP bus: the module must refuse to load with ENODEV"
	err=$(modprobe vfio_ap 2>&1)
	rc=$?
	diag "modprobe: $err"
	[ $rc -ne 0 ]
	ok $? "vfio_ap refuses to load without AP instructions"
	case $err in *"No such device"*) r=0 ;; *) r=1 ;; esac
	ok $r "the error is ENODEV"
	test ! -d /sys/module/vfio_ap
	ok $? "nothing left loaded"
fi
done_testing
