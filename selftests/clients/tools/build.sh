#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Unpacks the clients this suite drives (mdevctl, lszcrypt) and the
# libraries they load from the pinned Debian s390x packages
# (tools/lib.sh: CLIENT_DEBS; downloaded once into the cache) into root/
# next to this script; the suite copies root/ over the guest's /.
# Prints nothing on success but a warning when a pinned version has left
# the mirror.
source "$(dirname "$0")/../../../tools/lib.sh"
dir=$(cd "$(dirname "$0")" && pwd)
# Scratch space in the cache: other suites' VMs copy selftests/ into their
# guests while this runs, and must never see a half-written tree.
work=$VFIO_AP_CACHE/build/clients
papt_setup
rm -rf "$work"
mkdir -p "$work/root" "$work/unpacked"
for p in "${CLIENT_DEBS[@]}"; do
	name=${p%%=*}
	if ! deb=$(download_deb "$name" "${p#*=}" "$CLIENT_SUITE" s390x); then
		# A stable point release replaces the pinned version of a library
		# on the mirror: take the suite's current one, and say so.
		ver=$(papt apt-cache policy "$name:s390x" | awk '/Candidate:/ { print $2 }')
		[ -n "$ver" ] && [ "$ver" != "(none)" ] ||
			die "$name:s390x=${p#*=} is not in $CLIENT_SUITE, nor any other version"
		log "WARNING: $name:s390x=${p#*=} is not available from $CLIENT_SUITE; using $ver"
		deb=$(download_deb "$name" "$ver" "$CLIENT_SUITE" s390x) ||
			die "downloading $name:s390x=$ver from $CLIENT_SUITE failed"
	fi
	dpkg-deb -x "$deb" "$work/unpacked"
done
# Only what the two programs need: the binaries, the dynamic loader and the
# libraries their ELF headers name (checked below), mdevctl's config tree.
u=$work/unpacked
for f in usr/bin/mdevctl sbin/lszcrypt lib/ld64.so.1 lib/s390x-linux-gnu/ld64.so.1 \
	lib/s390x-linux-gnu/libc.so.6 lib/s390x-linux-gnu/libgcc_s.so.1 etc/mdevctl.d; do
	[ -e "$u/$f" ] || [ -L "$u/$f" ] || die "$f is not in the unpacked packages"
	mkdir -p "$work/root/$(dirname "$f")"
	cp -a "$u/$f" "$work/root/$f"
done
for b in usr/bin/mdevctl sbin/lszcrypt; do
	for lib in $(readelf -d "$u/$b" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
		[ -e "$work/root/lib/s390x-linux-gnu/$lib" ] ||
			die "$b needs $lib, which the staged tree lacks"
	done
done
# Replaced only when it changed, and then by a rename: a VM being set up
# copies either the old tree or the new one.
if ! diff -r --no-dereference "$work/root" "$dir/root" >/dev/null 2>&1; then
	rm -rf "$dir/root.old"
	[ ! -e "$dir/root" ] || mv "$dir/root" "$dir/root.old"
	mv "$work/root" "$dir/root"
	rm -rf "$dir/root.old"
fi
rm -rf "$work"
