#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Installs and downloads everything the build and the tests need. Idempotent:
# a second run only checks. Host packages come from the host's own suite;
# packages of other suites are only downloaded and extracted into the cache.
source "$(dirname "$0")/lib.sh"

need_root_apt() {
	local missing=()
	for p in "${HOST_PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	log "installing host packages: ${missing[*]}"
	local sudo=
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	$sudo apt-get -q update >/dev/null || die "apt-get update failed on the host's own sources"
	DEBIAN_FRONTEND=noninteractive $sudo apt-get -q install -y --no-install-recommends "${missing[@]}" \
		>"$VFIO_AP_CACHE/host-apt.log" 2>&1 ||
		{ tail -20 "$VFIO_AP_CACHE/host-apt.log" >&2; die "installing host packages failed: ${missing[*]}"; }
}

check_versions() {
	local v
	v=$("$RUSTC_BIN" --version | awk '{print $2}')
	dpkg --compare-versions "$v" ge "$RUSTC_MIN" || die "$RUSTC_BIN is $v, need >= $RUSTC_MIN"
	[ -f "$RUST_LIB_SRC/core/src/lib.rs" ] || die "no Rust library source at $RUST_LIB_SRC (package rust-web-src)"
	[ -e "$LIBCLANG_PATH/libclang.so" ] || ls "$LIBCLANG_PATH"/libclang*.so* >/dev/null 2>&1 ||
		die "no libclang in $LIBCLANG_PATH (package libclang-19-dev)"
}

install_bindgen() {
	[ -x "$BINDGEN_ROOT/bin/bindgen" ] && return 0
	command -v cargo >/dev/null || die "cargo is needed to build bindgen-cli $BINDGEN_VERSION"
	log "building bindgen-cli $BINDGEN_VERSION (cargo install)"
	mkdir -p "$BINDGEN_ROOT"
	cargo install -q bindgen-cli --version "$BINDGEN_VERSION" --locked --root "$BINDGEN_ROOT" \
		>"$BINDGEN_ROOT/install.log" 2>&1 ||
		{ tail -20 "$BINDGEN_ROOT/install.log" >&2; die "cargo install bindgen-cli $BINDGEN_VERSION failed"; }
}

fetch_kernel_source() {
	local ver=$KERNEL_PKG_VERSION pkg=$KERNEL_PKG deb
	if ! deb=$(download_deb "$pkg" "$ver" "$KERNEL_SUITE" all); then
		# The pinned version may have left the mirror: take the newest 7.x.
		pkg=$(papt apt-cache search --names-only '^linux-source-7\.[0-9]+$' | awk '{print $1}' | sort -V | tail -n1)
		[ -n "$pkg" ] || die "package $KERNEL_PKG=$KERNEL_PKG_VERSION not found in $KERNEL_SUITE, and no linux-source-7.x either"
		ver=$(papt apt-cache policy "$pkg" | awk '/Candidate:/ {print $2}')
		log "WARNING: $KERNEL_PKG=$KERNEL_PKG_VERSION is not available from $KERNEL_SUITE; falling back to $pkg=$ver"
		deb=$(download_deb "$pkg" "$ver" "$KERNEL_SUITE" all) ||
			die "downloading $pkg=$ver from $KERNEL_SUITE failed"
	fi
	local dir=$VFIO_AP_CACHE/src/$pkg-$ver
	if [ ! -f "$dir/.extracted" ]; then
		log "extracting $pkg $ver"
		rm -rf "$dir" && mkdir -p "$dir/deb"
		dpkg-deb -x "$deb" "$dir/deb"
		tar -xJf "$dir"/deb/usr/src/linux-source-*.tar.xz -C "$dir"
		mv "$dir"/linux-source-* "$dir/linux"
		rm -rf "$dir/deb"
		touch "$dir/.extracted"
	fi
	ln -sfn "$dir/linux" "$VFIO_AP_CACHE/src/linux"
	printf '%s %s\n' "$pkg" "$ver" >"$VFIO_AP_CACHE/src/linux.version"
}

fetch_busybox() {
	local dir=$VFIO_AP_CACHE/busybox-s390x-${BUSYBOX_PKG_VERSION#*:} deb
	[ -x "$dir/bin/busybox" ] && return 0
	deb=$(download_deb busybox-static "$BUSYBOX_PKG_VERSION" "$BUSYBOX_SUITE" s390x) ||
		die "downloading busybox-static:s390x=$BUSYBOX_PKG_VERSION from $BUSYBOX_SUITE failed"
	rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
	dpkg-deb -x "$deb" "$dir.tmp"
	rm -rf "$dir" && mv "$dir.tmp" "$dir"
}

main() {
	mkdir -p "$VFIO_AP_CACHE"
	need_root_apt
	check_versions
	install_bindgen
	papt_setup
	fetch_kernel_source
	fetch_busybox
	log "toolchain ready: $("$RUSTC_BIN" --version), bindgen $BINDGEN_VERSION, clang$LLVM_SUFFIX"
}

main "$@"
