# SPDX-License-Identifier: GPL-2.0
# Common settings for the project's build and test scripts. Source it.
#
# Every version the project depends on is pinned here; caches live outside
# the repository and are keyed by these versions.

set -euo pipefail

VFIO_AP_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VFIO_AP_CACHE=${VFIO_AP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vfio-ap-rs}

# The Debian mirror for the packages of other suites (papt_setup below):
# DEBIAN_MIRROR, or else the first Debian archive of the host's own apt
# sources, so that the project uses the mirror the host is set up with.
# Both formats count: one-line "deb [OPTIONS] URI SUITE..." entries
# (sources.list, sources.list.d/*.list) and deb822 stanzas
# (sources.list.d/*.sources, Types: deb, not Enabled: no). A Debian archive
# is a URI whose path ends in /debian (the security archive's does not).
# APT_SOURCES_DIR reads another directory than /etc/apt.
debian_mirror_from_apt() {
	local dir=${APT_SOURCES_DIR:-/etc/apt} f uri
	for f in "$dir/sources.list" "$dir"/sources.list.d/*.list "$dir"/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		case $f in
		*.sources)
			uri=$(awk '
				function flush() {
					if (deb && on && uri != "") { print uri; done = 1; exit }
					deb = 0; on = 1; uri = ""
				}
				BEGIN { on = 1 }
				/^[ \t]*$/ { flush(); next }
				/^#/ { next }
				tolower($1) == "types:" { for (i = 2; i <= NF; i++) if ($i == "deb") deb = 1 }
				tolower($1) == "enabled:" { on = tolower($2) != "no" }
				tolower($1) == "uris:" && uri == "" {
					for (i = 2; i <= NF; i++) if ($i ~ /\/debian\/?$/) { uri = $i; break }
				}
				END { if (!done) flush() }' "$f")
			;;
		*)
			uri=$(awk '$1 == "deb" {
					i = 2
					if ($2 ~ /^\[/) { while (i < NF && $i !~ /\]$/) i++; i++ }
					if ($i ~ /\/debian\/?$/) { print $i; exit }
				}' "$f")
			;;
		esac
		if [ -n "$uri" ]; then
			printf '%s\n' "${uri%/}"
			return
		fi
	done
	return 0
}
DEBIAN_MIRROR=${DEBIAN_MIRROR:-$(debian_mirror_from_apt)}

# Guest kernel source: Debian's linux-source package.
KERNEL_PKG=linux-source-7.3
KERNEL_PKG_VERSION=7.3.4-1~bpo13+1
KERNEL_SUITE=trixie-backports

# Guest userland.
BUSYBOX_PKG_VERSION=1:1.35.0-4+deb12u1+b1
BUSYBOX_SUITE=bookworm

# Real clients the clients suite drives in the guest (selftests/clients):
# bookworm's s390x mdevctl and s390-tools (lszcrypt) and the libraries
# their binaries name (readelf -d), unpacked, never installed.
CLIENT_SUITE=bookworm
CLIENT_DEBS=(
	mdevctl=1.2.0-3+b1 s390-tools=2.16.0-2
	libc6=2.36-9+deb12u14 libgcc-s1=12.2.0-14+deb12u1
)

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
	# make install's DKMS configuration (dkms.conf), tested on the host
	dkms
)
RUSTC_MIN=1.96.0
BINDGEN_VERSION=0.72.1
MESON_VERSION=1.7.0

LLVM_SUFFIX=${LLVM_SUFFIX:--19}
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
	[ -n "$DEBIAN_MIRROR" ] ||
		die "no Debian archive in the host's apt sources (${APT_SOURCES_DIR:-/etc/apt}): set DEBIAN_MIRROR"
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

# download_deb NAME VERSION SUITE ARCH: fetch one package into the cache and
# print the path of the .deb.
download_deb() {
	local name=$1 ver=$2 suite=$3 arch=$4 f
	f=$(ls "$PAPT_DIR/dl/${name}_"*"_${arch}.deb" 2>/dev/null | grep -F "${ver#*:}_" | head -n1 || true)
	if [ -z "$f" ]; then
		(cd "$PAPT_DIR/dl" && papt apt-get -q download "$name:$arch=$ver" >/dev/null 2>"$PAPT_DIR/dl/err.log") ||
			{ cat "$PAPT_DIR/dl/err.log" >&2; return 1; }
		f=$(ls "$PAPT_DIR/dl/${name}_"*"_${arch}.deb" | grep -F "${ver#*:}_" | head -n1)
	fi
	printf '%s\n' "$f"
}

# suite_qargs DIR: the suite's runner arguments. Its qemu.args (one QEMU
# argument a line), if there is one, replaces QARGS; its kernel.args (one
# kernel argument a line), if there is one, is added to QARGS.
suite_qargs() {
	if [ -f "$1/qemu.args" ]; then
		QARGS=()
		while IFS= read -r a; do QARGS+=("--qemu-arg=$a"); done \
			< <(grep -v '^[[:space:]]*#' "$1/qemu.args" | grep .)
	fi
	if [ -f "$1/kernel.args" ]; then
		while IFS= read -r a; do QARGS+=("--append=$a"); done \
			< <(grep -v '^[[:space:]]*#' "$1/kernel.args" | grep .)
	fi
}
# suite_scripts DIR NAME: the scripts of the suite's suite.list, as the
# runner takes them (NAME/SCRIPT).
suite_scripts() {
	grep -v '^#' "$1/suite.list" | grep . | sed "s#^#$2/#"
}
