#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A queue whose reset never completes. Upstream waits for it without a
# limit while holding the driver's locks (a hung sysfs write); ours gives up
# after 5 s and says so (Documentation/s390/vfio-ap.rst, "Differences from
# the upstream driver"). Ours only: upstream would hang this VM. The
# emulated queues never finish a reset (ap-emu reset-tapqs, qemu.args).
. ./lib/vm.sh
. ./vfio_ap/common.sh
TAP_UNIQUE_NAMES=/tmp/divergences-test-names
TODO_LIST=

Q=05.0004

plan 8
suite_cleanup

# Adapter 5 leaves the default pool: its four queues go to vfio_ap.
expect "stuck reset: adapter 5 leaves the default pool" "$(wrn -5 $APB/apmask)" OK
check "stuck reset: vfio_ap loads" load_vfio_ap
i=0
while [ "$(driver_of $Q)" != vfio_ap ] && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
expect "stuck reset: $Q is bound to vfio_ap" "$(driver_of $Q)" vfio_ap

# Giving adapter 5 back to the host unbinds its queues from vfio_ap, which
# resets them (ZAPQ, all four in parallel) and polls for the end of the
# resets.
dmesg_mark
t0=$(date +%s)
r=$(wrn +5 $APB/apmask)
t1=$(date +%s)
secs=$((t1 - t0))
expect "stuck reset: the apmask write that unbinds $Q returns" "$r" OK
diag "the write took $secs s"
# It waited for the reset (at least 4 s), then gave up instead of hanging
# (the VM run's time limit would catch a hang; 60 s is the sanity bound).
[ $secs -ge 4 ] && [ $secs -le 60 ]
ok $? "stuck reset: the write waited for the reset, then gave up ($secs s)"
dmesg_since | grep -q "$Q not complete after 5000 ms, giving up"
ok $? "stuck reset: the kernel log says the reset of $Q was given up"
expect "stuck reset: $Q is no longer bound to vfio_ap" "$(driver_of $Q)" none
check "stuck reset: vfio_ap unloads" unload_vfio_ap

masks_reset >/dev/null
done_testing
