#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Builds qemu-system-s390x with the AP emulation patches (tools/qemu/patches)
# into the cache and prints its absolute path as the last line on stdout.
#
# Source: Debian's QEMU source package $QEMU_SRC_VERSION, fetched with the
# project's private apt configuration; the sha256 of the orig and debian
# tarballs must match lib.sh. Only our patches are applied to the upstream
# (orig) source, not Debian's debian/patches series (see
# Documentation/qemu-ap-emulation.rst). meson and pycotap come from PyPI into
# a venv under the cache.
#
# The result lives in $VFIO_AP_CACHE/qemu/<key>/, where the key covers the
# source version and hashes, the tool versions, every patch and this script:
# a warm call only prints the path. Logs go to files there and to stderr.
#
# Environment: QEMU_KEEP_TREE=1 keeps the source and build trees (for
# incremental work on the patches), QEMU_JOBS sets ninja's -j (nproc).
source "$(dirname "$0")/../lib.sh"

PATCH_DIR=$VFIO_AP_TOP/tools/qemu/patches
QCACHE=$VFIO_AP_CACHE/qemu
mkdir -p "$QCACHE"

mapfile -t PATCHES < <(find "$PATCH_DIR" -maxdepth 1 -name '[0-9][0-9][0-9][0-9]-*.patch' | LC_ALL=C sort)
[ ${#PATCHES[@]} -gt 0 ] || die "no patches in $PATCH_DIR"

key=$(cache_key "$QEMU_SRC_VERSION" "$QEMU_ORIG_SHA256" "$QEMU_DEBIAN_SHA256" \
	"meson $MESON_VERSION" "pycotap $QEMU_PYCOTAP_VERSION" \
	"$(for p in "${PATCHES[@]}"; do basename "$p"; done)" "${PATCHES[@]}" \
	"$VFIO_AP_TOP/tools/qemu/build.sh")
OUT=$QCACHE/$key
BIN=$OUT/qemu-system-s390x

# One build at a time; a second caller waits and then finds it done.
exec 9>"$QCACHE/.lock"
flock 9

if [ -x "$BIN" ] && [ -f "$OUT/.built" ]; then
	ln -sfn "$OUT" "$QCACHE/current"
	printf '%s\n' "$BIN"
	exit 0
fi

start=$(date +%s)
# Version pieces: 1:10.2.2+ds-1 -> upstream 10.2.2+ds, file version 10.2.2+ds-1.
nover=${QEMU_SRC_VERSION#*:}
upver=${nover%-*}
DL=$QCACHE/dl
ORIG=$DL/qemu_${upver}.orig.tar.xz
DEBIAN=$DL/qemu_${nover}.debian.tar.xz

sha_ok() { [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]; }

# 1. Source package.
mkdir -p "$DL"
if ! sha_ok "$ORIG" "$QEMU_ORIG_SHA256" || ! sha_ok "$DEBIAN" "$QEMU_DEBIAN_SHA256"; then
	papt_setup
	log "downloading the QEMU source package $QEMU_SRC_VERSION ($QEMU_SRC_SUITE)"
	(cd "$DL" && papt apt-get -q source --download-only "qemu=$QEMU_SRC_VERSION") \
		>"$DL/download.log" 2>&1 ||
		{ tail -20 "$DL/download.log" >&2; die "apt-get source qemu=$QEMU_SRC_VERSION failed"; }
fi
sha_ok "$ORIG" "$QEMU_ORIG_SHA256" ||
	die "$ORIG: sha256 $(sha256sum "$ORIG" 2>/dev/null | cut -d' ' -f1) is not QEMU_ORIG_SHA256 (lib.sh)"
sha_ok "$DEBIAN" "$QEMU_DEBIAN_SHA256" ||
	die "$DEBIAN: sha256 $(sha256sum "$DEBIAN" 2>/dev/null | cut -d' ' -f1) is not QEMU_DEBIAN_SHA256 (lib.sh)"

# 2. Python tools: meson and pycotap in a venv (Debian's python3-venv).
VENV=$VFIO_AP_CACHE/tools/qemu-venv-meson-$MESON_VERSION-pycotap-$QEMU_PYCOTAP_VERSION
if [ ! -x "$VENV/bin/meson" ]; then
	log "installing meson $MESON_VERSION and pycotap $QEMU_PYCOTAP_VERSION into $VENV"
	py=/usr/bin/python3
	[ -x "$py" ] || py=$(command -v python3)
	rm -rf "$VENV"
	mkdir -p "$(dirname "$VENV")"
	"$py" -m venv "$VENV" >&2 || die "python3 -m venv failed (is python3-venv installed?)"
	"$VENV/bin/pip" install -q --disable-pip-version-check \
		"meson==$MESON_VERSION" "pycotap==$QEMU_PYCOTAP_VERSION" >&2 ||
		{ rm -rf "$VENV"; die "pip install meson/pycotap failed"; }
fi

# 3. Unpack and patch, in a fresh directory.
rm -rf "$OUT"
mkdir -p "$OUT"
SRC=$OUT/src
mkdir -p "$SRC"
log "unpacking $(basename "$ORIG")"
tar -xJf "$ORIG" -C "$SRC" --strip-components=1 --no-same-owner
for p in "${PATCHES[@]}"; do
	log "applying $(basename "$p")"
	patch -p1 -d "$SRC" --batch --forward <"$p" >>"$OUT/patch.log" 2>&1 ||
		{ tail -20 "$OUT/patch.log" >&2; die "$(basename "$p") does not apply"; }
done

# 4. Configure: only the s390x system emulator, with none of the optional
# features (UI toolkits, VNC, TLS, audio, modules, ...) it does not need for
# the test VM, which keeps the build short. --disable-download: nothing but
# the package registries is reachable.
BLD=$OUT/build
mkdir -p "$BLD"
log "configuring (log: $OUT/configure.log)"
(cd "$BLD" && "$SRC/configure" --python="$VENV/bin/python3" \
	--target-list=s390x-softmmu --disable-docs --disable-werror \
	--disable-install-blobs --without-default-features --enable-tcg \
	--disable-download) >"$OUT/configure.log" 2>&1 ||
	{ tail -30 "$OUT/configure.log" >&2; die "QEMU configure failed"; }

# 5. Build only the emulator binary.
jobs=${QEMU_JOBS:-$(nproc)}
log "building qemu-system-s390x with $jobs jobs (several minutes; log: $OUT/build.log)"
nice ninja -C "$BLD" -j"$jobs" qemu-system-s390x >"$OUT/build.log" 2>&1 ||
	{ grep -E 'error|FAILED' "$OUT/build.log" | head -30 >&2; tail -20 "$OUT/build.log" >&2; die "QEMU build failed"; }

cp "$BLD/qemu-system-s390x" "$BIN.new"
mv "$BIN.new" "$BIN"
"$BIN" -device ap-emu,help >/dev/null 2>&1 || die "the built QEMU has no ap-emu device"
if [ "${QEMU_KEEP_TREE:-0}" != 1 ]; then
	rm -rf "$SRC" "$BLD"
fi
touch "$OUT/.built"
ln -sfn "$OUT" "$QCACHE/current"
log "built $BIN in $(($(date +%s) - start)) s"
printf '%s\n' "$BIN"
