#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
# /init of the test VM: mounts the usual file systems, runs the test scripts
# listed in /selftests/run-list and reports between markers the host runner
# (tools/vm/run.py) parses, then powers off.
/bin/busybox mkdir -p /sbin /usr/bin /usr/sbin /proc /sys /dev /tmp /run
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
mount -t debugfs debugfs /sys/kernel/debug
# Keep kernel messages off the console (the host reads them from dmesg at
# the end) and do not echo what the host writes to us.
dmesg -n 1
stty -echo -F /dev/console 2>/dev/null

for arg in $(cat /proc/cmdline); do
	case $arg in
	vmtest.module=*) VFIO_AP_MODULE=${arg#*=} ;;
	vmtest.keep_module=*) VFIO_AP_KEEP_MODULE=${arg#*=} ;;
	esac
done
export VFIO_AP_MODULE VFIO_AP_KEEP_MODULE PATH=/sbin:/usr/sbin:/bin:/usr/bin HOME=/tmp

echo "@@BEGIN@@ $(uname -r)"
for t in $(cat /selftests/run-list); do
	echo "@@TEST@@ $t"
	(cd /selftests && sh "./$t")
	echo "@@TEST-EXIT@@ $t $?"
done
# A kernel with kmemleak (the debug flavour) is scanned once the tests are
# done: the kernel logs "N new suspected memory leaks", which fails the
# run, and the report follows here for the diagnosis. Twice, since an
# object is reported only once it has looked unreferenced in two scans.
if [ -w /sys/kernel/debug/kmemleak ]; then
	echo scan >/sys/kernel/debug/kmemleak
	sleep 6
	echo scan >/sys/kernel/debug/kmemleak
	echo "@@KMEMLEAK-BEGIN@@"
	cat /sys/kernel/debug/kmemleak
	echo "@@KMEMLEAK-END@@"
fi
echo "@@DMESG-BEGIN@@"
dmesg
echo "@@DMESG-END@@"
echo "@@END@@"
sync
poweroff -f
