#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Builds what the kunit suite loads in the guest: vfio_ap_model_kunit.ko,
# the test-only module of ../module that runs the core model's unit tests
# under KUnit, for the guest kernel in KDIR (default: the cache's current
# kernel, as tools/vm/run.py uses). It is built in the cache, in a copy
# laid out as the repository (the module's crate root finds the model at
# the same relative path): ../module, and the model's sources with their
# test modules made KUnit suites by kunit-suites.py, which also lists the
# cases. The module and that list land in the suite directory, which the
# VM runner puts into the guest's /selftests. It is built with clippy
# (CLIPPY=1), and any warning fails the build. Extra arguments go to make.
# Prints nothing on success.
set -e
source "$(dirname "$0")/../../../tools/lib.sh"
here=$VFIO_AP_TOP/selftests/kunit

KDIR=${KDIR:-$VFIO_AP_CACHE/kernel/current}
[ -f "$KDIR/Makefile" ] || die "KDIR=$KDIR is not a configured kernel build tree"
build=$VFIO_AP_CACHE/build/model-kunit-$(basename "$(realpath "$KDIR")")
mod=$build/selftests/kunit/module
mkdir -p "$mod"
# A changed file gets a new time stamp there, so make sees the change
# whichever tree's sources were copied before.
for f in Kbuild vfio_ap_model_kunit.rs kunit_std.rs; do
	cmp -s "$here/module/$f" "$mod/$f" || cp "$here/module/$f" "$mod/$f"
done
# A KUnit case runs in a kernel thread with a 16 KB stack, part of it
# KUnit's and the kernel's: cases whose own code needs more than this many
# bytes are built as skips (kunit-suites.py measures them in the object and
# asks for a rebuild when the set changes).
STACK_LIMIT=8192
export OBJDUMP=llvm-objdump$LLVM_SUFFIX
for pass in 1 2 3; do
	python3 "$here/tools/kunit-suites.py" gen "$VFIO_AP_TOP/drivers/s390/crypto/vfio_ap" \
		"$build/drivers/s390/crypto/vfio_ap" "$build/cases" "$build/skips"
	make -C "$KDIR" M="$mod" ARCH=s390 LLVM="$LLVM_SUFFIX" RUSTC="$RUSTC_BIN" \
		CLIPPY=1 CLIPPY_DRIVER=/usr/bin/clippy-driver W=1 "$@" modules >"$build/make.log" 2>&1 ||
		{ cat "$build/make.log" >&2; die "building vfio_ap_model_kunit.ko failed"; }
	# Every warning counts but the toolchain's note on -Zpacked-stack's
	# backchain feature (as tools/test.sh's module lint).
	if grep -E '^(warning|error)|warning:' "$build/make.log" |
		grep -vE 'unstable feature specified for `-Ctarget-feature`: `backchain`|^warning: [0-9]+ warnings? emitted' >&2; then
		grep -A8 -E '^(warning|error)' "$build/make.log" >&2
		die "vfio_ap_model_kunit.ko: the build has warnings"
	fi
	rc=0
	python3 "$here/tools/kunit-suites.py" stack "$mod/vfio_ap_model_kunit.o" "$build/skips" \
		"$STACK_LIMIT" || rc=$?
	[ "$rc" -ne 0 ] || break
	[ "$rc" -eq 3 ] && [ "$pass" -lt 3 ] || die "measuring the KUnit cases' stack failed"
done
cp "$mod/vfio_ap_model_kunit.ko" "$here/vfio_ap_model_kunit.ko.tmp"
mv "$here/vfio_ap_model_kunit.ko.tmp" "$here/vfio_ap_model_kunit.ko"
cp "$build/cases" "$here/cases.tmp"
mv "$here/cases.tmp" "$here/cases"
