#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# check-kernel-test.sh KDIR KO: tests of tools/check-kernel.sh, one
# "ok - NAME" or "not ok - NAME" line each (tools/test.sh counts them).
# KDIR is the guest kernel (built, ready); KO our vfio_ap.ko built for it.
# Other trees are made here: one without Rust (allnoconfig of the same
# source, configured in a temporary O= directory, not built), and copies
# of KDIR's configuration with a symbol table that lacks symbols.
source "$(dirname "$0")/../lib.sh"
# Each test reports its own failure: no exit on the first one.
set +e
KDIR=$1
KO=$2
CK=$VFIO_AP_TOP/tools/check-kernel.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

t() { # t NAME STATUS
	if [ "$2" -eq 0 ]; then echo "ok - $1"; else echo "not ok - $1"; fi
}
# has OUTPUT STATUS-WORD TEXT: OUTPUT has a line starting with STATUS-WORD
# that contains TEXT.
has() {
	grep -E "^$2 " <<<"$1" | grep -qF -- "$3"
}

# The guest kernel: ready.
rc=0
out=$("$CK" "$KDIR" 2>&1) || rc=$?
printf '%s\n' "$out" | sed 's/^/# /'
[ "$rc" -eq 0 ] && [ "$(tail -n1 <<<"$out")" = "verdict: ready" ] && ! grep -qE '^(MISSING|UNKNOWN) ' <<<"$out"
t "check-kernel: the guest kernel is ready (exit 0, no item missing)" $?

# A tree without Rust (nor anything else we need): every item named.
src=$(readlink -f "$KDIR/source" 2>/dev/null || true)
[ -f "$src/Makefile" ] || src=$VFIO_AP_CACHE/src/linux
rc=0
make -s -C "$src" O="$work/norust" ARCH=s390 LLVM="$LLVM_SUFFIX" allnoconfig >"$work/config.log" 2>&1 || rc=$?
t "check-kernel: a tree without Rust configures (allnoconfig, O=)" $rc
rc=0
out=$("$CK" "$work/norust" 2>&1) || rc=$?
printf '%s\n' "$out" | sed 's/^/# /'
[ "$rc" -eq 1 ]
t "check-kernel: the tree without Rust is not ready (exit 1)" $?
for c in RUST VFIO_AP VFIO_MDEV KVM VFIO AP MODULES; do
	has "$out" MISSING "CONFIG_$c=n"
	t "check-kernel: the tree without Rust names CONFIG_$c" $?
done
has "$out" MISSING "rustc: the tree records none"
t "check-kernel: the tree without Rust names the missing rustc" $?
has "$out" UNKNOWN "Module.symvers is missing: the tree is configured but not built"
t "check-kernel: the unbuilt tree's symbols are unknown, not ready" $?

# Another rustc than the kernel's.
printf '#!/bin/sh\necho "rustc 1.0.0 (0000000 2015-05-15)"\n' >"$work/rustc"
chmod +x "$work/rustc"
rc=0
out=$(RUSTC_BIN=$work/rustc "$CK" "$KDIR" 2>&1) || rc=$?
[ "$rc" -eq 1 ] && has "$out" MISSING "but $work/rustc is 'rustc 1.0.0"
t "check-kernel: another rustc than the kernel's is named" $?

# A built tree whose symbol table lacks mdev_register_parent and exports
# kvm_s390_is_gpa_in_memslot to everyone (as a kernel whose own vfio_ap
# is not a module does not at all).
mkdir -p "$work/nosyms"
cp "$KDIR/.config" "$KDIR/Makefile" "$work/nosyms/"
awk '$2 != "mdev_register_parent"' "$KDIR/Module.symvers" |
	awk 'BEGIN { OFS = "\t" } $2 == "kvm_s390_is_gpa_in_memslot" { $5 = "" } { print }' >"$work/nosyms/Module.symvers"
rc=0
out=$("$CK" "$work/nosyms" 2>&1) || rc=$?
[ "$rc" -eq 1 ] && has "$out" MISSING "symbol mdev_register_parent is not exported"
t "check-kernel: an unexported symbol is named" $?
has "$out" MISSING "symbol kvm_s390_is_gpa_in_memslot is exported from vmlinux for 'everyone', need 'module:vfio_ap'"
t "check-kernel: a symbol exported to the wrong modules is named" $?

# The list of symbols checked covers what the module imports from KVM,
# VFIO, the mdev core and the AP bus, and from any module.
checked=$("$CK" --symbols)
missing=$(nm -u "$KO" | awk '{ print $2 }' | while read -r s; do
	from=$(awk -v s="$s" '$2 == s { print $3; exit }' "$KDIR/Module.symvers")
	case $s in kvm_* | vfio_* | mdev_* | ap_*) ;; *) [ -n "$from" ] && [ "$from" != vmlinux ] || continue ;; esac
	grep -qxF "$s" <<<"$checked" || echo "$s"
done)
[ -z "$missing" ] || echo "# not checked by check-kernel.sh: $missing"
[ -z "$missing" ]
t "check-kernel: its symbol list covers the module's imports" $?
