#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# qemu-names-test.sh QEMU: the QEMU the tests build (tools/qemu/build.sh)
# has the device, property and CPU features that
# Documentation/s390/vfio-ap.rst tells administrators to use (its QEMU
# examples cannot run: they need a KVM host). One "ok - NAME" or
# "not ok - NAME" line a test (tools/test.sh counts them).
set -u
QEMU=$1
t() { # t NAME STATUS
	if [ "$2" -eq 0 ]; then echo "ok - $1"; else echo "not ok - $1"; fi
}
dev=$(timeout 60 "$QEMU" -device vfio-ap,help 2>&1)
rc=0
grep -qE '^ *sysfsdev=' <<<"$dev" || { rc=1; printf '# %s\n' "$dev"; }
t "QEMU's vfio-ap device has the sysfsdev property" $rc
cpu=$(timeout 60 "$QEMU" -machine none -cpu help 2>&1)
for f in ap apqci apft apqi; do
	rc=0
	grep -qE "^ *$f +" <<<"$cpu" || rc=1
	t "QEMU's s390x CPU models know the feature $f" $rc
done
