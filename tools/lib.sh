# SPDX-License-Identifier: GPL-2.0
# Common settings for the project's build and test scripts. Source it.
#
# Every version the project depends on is pinned here; caches live outside
# the repository and are keyed by these versions.

set -euo pipefail

VFIO_AP_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VFIO_AP_CACHE=${VFIO_AP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vfio-ap-rs}

# Debian mirror used for packages of suites other than the host's.
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

# Guest kernel source: Debian's linux-source package.
KERNEL_PKG=linux-source-7.3
KERNEL_PKG_VERSION=7.3.4-1~bpo13+1
KERNEL_SUITE=trixie-backports

# Guest userland.
BUSYBOX_PKG_VERSION=1:1.35.0-4+deb12u1+b1
BUSYBOX_SUITE=bookworm

# QEMU source package (built with our AP emulation patches).
QEMU_SRC_VERSION=1:10.2.2+ds-1
QEMU_SRC_SUITE=sid
QEMU_ORIG_SHA256=be05230fe47a6937cd29f28f562932c8125f9c93c2a82c625198f7a4aa601dfb
QEMU_DEBIAN_SHA256=ddf75aceab4f8f77374f3cb34fc97b41514895aeb293ce8b2ddd5e072bb0f5c0
# QEMU's configure wants pycotap next to meson (the +ds tarball has no wheels).
QEMU_PYCOTAP_VERSION=1.3.1

# Host tools from the host's own suite (bookworm), with minimum versions.
HOST_PACKAGES=(
	rustc-web rust-web-src rustfmt-web rust-web-clippy
	clang-19 lld-19 llvm-19 libclang-19-dev
	bc flex bison libelf-dev libssl-dev cpio xz-utils kmod python3-venv
	libglib2.0-dev ninja-build libpixman-1-dev libfdt-dev
	device-tree-compiler qemu-system-data dpkg-dev
)
RUSTC_MIN=1.96.0
BINDGEN_VERSION=0.72.1
MESON_VERSION=1.7.0

LLVM_SUFFIX=-19
RUSTC_BIN=${RUSTC_BIN:-/usr/bin/rustc}
RUST_LIB_SRC=${RUST_LIB_SRC:-/usr/lib/rustlib/src/rust/library}
LIBCLANG_PATH=${LIBCLANG_PATH:-/usr/lib/llvm-19/lib}
BINDGEN_ROOT=$VFIO_AP_CACHE/tools/bindgen-$BINDGEN_VERSION
export LIBCLANG_PATH RUST_LIB_SRC

# cargo (for bindgen-cli and the host tests) may live in the user's rustup.
[ -d "$HOME/.cargo/bin" ] && case ":$PATH:" in *":$HOME/.cargo/bin:"*) ;; *) PATH=$PATH:$HOME/.cargo/bin ;; esac
export PATH

log() { printf '[vfio-ap] %s\n' "$*" >&2; }
die() { printf '[vfio-ap] error: %s\n' "$*" >&2; exit 1; }

# Short stable hash of files and strings, for cache keys.
cache_key() {
	{
		for a in "$@"; do
			if [ -f "$a" ]; then cat "$a"; else printf '%s\n' "$a"; fi
		done
	} | sha256sum | cut -c1-16
}

# A private apt configuration under the cache: it can download packages of
# any Debian suite and architecture without touching the host's own apt
# state. Each source line names its architecture, so that one suite's index
# for an architecture we do not use cannot fail the update.
PAPT_DIR=$VFIO_AP_CACHE/apt
papt_setup() {
	mkdir -p "$PAPT_DIR"/{lists/partial,cache/archives/partial,state,parts,dl}
	[ -f "$PAPT_DIR/status" ] || : >"$PAPT_DIR/status"
	local key=/usr/share/keyrings/debian-archive-keyring.gpg
	cat >"$PAPT_DIR/sources.list.new" <<EOS
deb [arch=amd64 signed-by=$key] $DEBIAN_MIRROR $KERNEL_SUITE main
deb [arch=s390x signed-by=$key] $DEBIAN_MIRROR $BUSYBOX_SUITE main
deb-src [signed-by=$key] $DEBIAN_MIRROR $QEMU_SRC_SUITE main
EOS
	cat >"$PAPT_DIR/apt.conf" <<EOS
Dir::State "$PAPT_DIR/state";
Dir::State::Lists "$PAPT_DIR/lists";
Dir::State::status "$PAPT_DIR/status";
Dir::Cache "$PAPT_DIR/cache";
Dir::Etc::SourceList "$PAPT_DIR/sources.list";
Dir::Etc::SourceParts "$PAPT_DIR/parts";
APT::Architecture "amd64";
APT::Architectures { "amd64"; "s390x"; };
Acquire::Languages "none";
APT::Sandbox::User "root";
EOS
	# Refresh the indexes at most once a day, or when the sources change.
	if ! cmp -s "$PAPT_DIR/sources.list.new" "$PAPT_DIR/sources.list" ||
	   [ -z "$(find "$PAPT_DIR/lists" -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null)" ]; then
		mv "$PAPT_DIR/sources.list.new" "$PAPT_DIR/sources.list"
		log "updating the private apt indexes ($KERNEL_SUITE, $BUSYBOX_SUITE s390x, $QEMU_SRC_SUITE sources)"
		APT_CONFIG=$PAPT_DIR/apt.conf apt-get -q update >"$PAPT_DIR/update.log" 2>&1 ||
			{ cat "$PAPT_DIR/update.log" >&2; die "apt-get update failed for the private sources (see above)"; }
	fi
	rm -f "$PAPT_DIR/sources.list.new"
}
papt() { APT_CONFIG=$PAPT_DIR/apt.conf "$@"; }
