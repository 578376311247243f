#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Builds what the pqap suite runs in the guest:
#  - tools/pqap-aqic, a static s390x program without libc, built by
#    ../../lib/build-helpers.sh as the other suites' helpers (CC overrides
#    clang);
#  - pqap_test.ko, the test-only module of ../module, for the guest kernel
#    in KDIR (default: the cache's current kernel, as tools/vm/run.py uses),
#    built in the cache and copied into the suite directory, which the VM
#    runner puts into the guest's /selftests.
# Prints nothing on success.
set -e
source "$(dirname "$0")/../../../tools/lib.sh"
here=$VFIO_AP_TOP/selftests/pqap

"$here/../lib/build-helpers.sh" "$here/tools" ../module/pqap_test.h

KDIR=${KDIR:-$VFIO_AP_CACHE/kernel/current}
[ -f "$KDIR/Makefile" ] || die "KDIR=$KDIR is not a configured kernel build tree"
# Kbuild writes its objects next to the sources: build in a copy, so that
# only the module lands in the suite directory.
build=$VFIO_AP_CACHE/build/pqap-test-$(basename "$(realpath "$KDIR")")
mkdir -p "$build"
# A changed file gets a new time stamp there, so make sees the change
# whichever tree's sources were copied before.
for f in Kbuild pqap_test.c pqap_test.h; do
	cmp -s "$here/module/$f" "$build/$f" || cp "$here/module/$f" "$build/$f"
done
make -C "$KDIR" M="$build" ARCH=s390 LLVM="$LLVM_SUFFIX" W=1 modules >"$build/make.log" 2>&1 ||
	{ cat "$build/make.log" >&2; die "building pqap_test.ko failed"; }
if grep -E 'warning:|error:' "$build/make.log" >&2; then
	die "pqap_test.ko: the build has warnings"
fi
cp "$build/pqap_test.ko" "$here/pqap_test.ko.tmp"
mv "$here/pqap_test.ko.tmp" "$here/pqap_test.ko"
