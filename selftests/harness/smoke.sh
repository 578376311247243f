#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Harness smoke test: the VM boots, the module under test is the one the
# runner was asked for, and it loads (or refuses to load where the machine
# has no AP facility) and unloads cleanly.
. ./lib/vm.sh

if [ -d /sys/bus/ap ]; then plan 7; else plan 6; fi

check "kernel has KVM built in" test -e /dev/kvm -o -d /sys/module/kvm
check "kernel has VFIO" test -d /sys/class/vfio -o -e /dev/vfio/vfio
id=$(vfio_ap_file_identity)
[ "$id" = "$VFIO_AP_MODULE" ]
ok $? "modprobe resolves vfio_ap to the module under test ($VFIO_AP_MODULE: $id)"

if [ -d /sys/bus/ap ]; then
	diag "AP bus present"
	check "vfio_ap loads" load_vfio_ap
	id=$(vfio_ap_loaded_identity)
	[ "$id" = "$VFIO_AP_MODULE" ]
	ok $? "the loaded vfio_ap is the module under test ($VFIO_AP_MODULE: $id)"
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
