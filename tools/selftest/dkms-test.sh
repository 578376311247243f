#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# dkms-test.sh KDIR: DKMS (the host's dkms) adds, builds, installs and
# removes the module with the repository's dkms.conf, for the guest kernel
# KDIR, in private DKMS trees under a temporary directory (nothing of the
# host's own DKMS or module trees is touched; depmod is left out, as the
# guest kernel is not the host's). One "ok - NAME" or "not ok - NAME"
# line a test (tools/test.sh counts them).
source "$(dirname "$0")/../lib.sh"
# Each test reports its own failure: no exit on the first one.
set +e
KDIR=$(readlink -f "$1")
cd "$VFIO_AP_TOP"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

t() { # t NAME STATUS
	if [ "$2" -eq 0 ]; then echo "ok - $1"; else echo "not ok - $1"; fi
}
conf() { # conf NAME: a variable of dkms.conf
	(set +u && source ./dkms.conf && eval "printf '%s\\n' \"\$$1\"")
}
name=$(conf PACKAGE_NAME)
ver=$(conf PACKAGE_VERSION)
krel=$(cat "$KDIR/include/config/kernel.release")

if ! command -v dkms >/dev/null; then
	t "dkms is installed (tools/lib.sh HOST_PACKAGES)" 1
	exit 0
fi
# The sources as DKMS receives them: the repository's files, no build
# products.
src=$work/src/$name-$ver
mkdir -p "$src"
git ls-files -z -co --exclude-standard | tar --null -T - -cf - | tar -xf - -C "$src"

# The guest kernel's toolchain under the names a kernel build finds in PATH
# (DKMS adds CC=clang and LD=ld.lld for a kernel built with them, and
# strips the module with strip).
mkdir -p "$work/bin"
ln -s "$RUSTC_BIN" "$work/bin/rustc"
ln -s "$BINDGEN_ROOT/bin/bindgen" "$work/bin/bindgen"
ln -s "$(command -v "clang$LLVM_SUFFIX")" "$work/bin/clang"
ln -s "$(command -v "ld.lld$LLVM_SUFFIX")" "$work/bin/ld.lld"
ln -s "$(command -v "llvm-strip$LLVM_SUFFIX")" "$work/bin/strip"
# The private trees; the install tree has the kernel's module directory,
# as /lib/modules/RELEASE exists for a kernel that is installed.
mkdir -p "$work/tree" "$work/inst/$krel"
export PATH=$work/bin:$PATH ARCH=s390 LLVM=$LLVM_SUFFIX
d() {
	dkms --dkmstree "$work/tree" --sourcetree "$work/src" --installtree "$work/inst" "$@"
}

rc=0
d add -m "$name" -v "$ver" >"$work/add.log" 2>&1 || rc=$?
[ $rc -eq 0 ] || sed 's/^/# /' "$work/add.log"
t "dkms add (dkms.conf accepted)" $rc

rc=0
d build -m "$name" -v "$ver" -k "$krel" -a s390x --kernelsourcedir "$KDIR" >"$work/build.log" 2>&1 || rc=$?
[ $rc -eq 0 ] || { sed 's/^/# /' "$work/build.log"; cat "$work/tree/$name/$ver/build/make.log" 2>/dev/null | tail -n 30 | sed 's/^/# /'; }
t "dkms build for the guest kernel" $rc
ko=$work/tree/$name/$ver/$krel/s390x/module/vfio_ap.ko
rc=0
[ -f "$ko" ] && [ "$(modinfo -F vermagic "$ko" | cut -d' ' -f1)" = "$krel" ] || rc=1
t "dkms built vfio_ap.ko for $krel" $rc
rc=0
grep -q '^verdict: ready$' "$work/build.log" || rc=1
t "dkms build ran check-kernel first (PRE_BUILD: ready)" $rc

rc=0
d install -m "$name" -v "$ver" -k "$krel" -a s390x --kernelsourcedir "$KDIR" --no-depmod \
	>"$work/install.log" 2>&1 || rc=$?
[ $rc -eq 0 ] || sed 's/^/# /' "$work/install.log"
installed=$(find "$work/inst/$krel" -name 'vfio_ap.ko*' 2>/dev/null)
[ $rc -eq 0 ] && [[ $installed == "$work/inst/$krel/updates/"* ]] || rc=1
t "dkms install puts it under updates/ (${installed#"$work/inst/"})" $rc

rc=0
d remove -m "$name" -v "$ver" --all --no-depmod >"$work/remove.log" 2>&1 || rc=$?
[ $rc -eq 0 ] || sed 's/^/# /' "$work/remove.log"
[ $rc -eq 0 ] && [ -z "$(find "$work/inst" -name 'vfio_ap.ko*' 2>/dev/null)" ] || rc=1
t "dkms remove takes it away again" $rc
