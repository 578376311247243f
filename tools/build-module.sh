#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Builds vfio_ap.ko against KDIR (default: the project's guest kernel, built
# on demand). Extra arguments go to make (e.g. clean).
source "$(dirname "$0")/lib.sh"

if [ -z "${KDIR:-}" ]; then
	"$VFIO_AP_TOP/tools/bootstrap.sh"
	KDIR=$("$VFIO_AP_TOP/tools/kernel/build.sh")
fi
[ -f "$KDIR/Makefile" ] || die "KDIR=$KDIR is not a configured kernel build tree"
grep -q '^CONFIG_RUST=y' "$KDIR/.config" || die "KDIR=$KDIR has no CONFIG_RUST=y"
grep -q '^CONFIG_VFIO_AP=[my]' "$KDIR/.config" || die "KDIR=$KDIR has no CONFIG_VFIO_AP (needed for kvm_s390_is_gpa_in_memslot)"

# The kernel's own C toolchain: LLVM for a kernel built with clang (ours),
# the default compiler otherwise; the project's bindgen where bootstrap
# built it, the one in PATH otherwise.
toolchain=()
! grep -q '^CONFIG_CC_IS_CLANG=y' "$KDIR/.config" || toolchain+=(LLVM="$LLVM_SUFFIX")
[ ! -x "$BINDGEN_ROOT/bin/bindgen" ] || toolchain+=(BINDGEN="$BINDGEN_ROOT/bin/bindgen")
make -C "$KDIR" M="$VFIO_AP_TOP" ARCH=s390 "${toolchain[@]}" RUSTC="$RUSTC_BIN" \
	RUSTFMT=/usr/bin/rustfmt CLIPPY_DRIVER=/usr/bin/clippy-driver "$@" >&2
[ $# -gt 0 ] || printf '%s\n' "$VFIO_AP_TOP/vfio_ap.ko"
