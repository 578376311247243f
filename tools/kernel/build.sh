#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Builds the s390x guest kernel (with Rust, KVM, AP, VFIO and the upstream C
# vfio_ap as a module) out of tree into the cache. Rebuilds only when the
# config fragments, the kernel version or a tool version changes. Prints the
# build directory (usable as KDIR) on stdout.
#
#   tools/kernel/build.sh          the test kernel (kernel/current in the cache)
#   tools/kernel/build.sh debug    the same with tools/kernel/debug.config on
#                                  top (kobject release delays, slab poisoning,
#                                  kmemleak); kernel/debug in the cache
source "$(dirname "$0")/../lib.sh"

SRC=$VFIO_AP_CACHE/src/linux
[ -f "$SRC/Makefile" ] || die "no kernel source: run tools/bootstrap.sh first"
FLAVOUR=${1:-normal}
FRAGS=("$VFIO_AP_TOP/tools/kernel/vfio_ap.config")
LINK=current
case $FLAVOUR in
normal) ;;
debug) FRAGS+=("$VFIO_AP_TOP/tools/kernel/debug.config") LINK=debug ;;
*) die "unknown kernel flavour '$FLAVOUR' (normal or debug)" ;;
esac

kmake_args() {
	printf '%s\n' -C "$SRC" ARCH=s390 LLVM="$LLVM_SUFFIX" \
		RUSTC="$RUSTC_BIN" BINDGEN="$BINDGEN_ROOT/bin/bindgen" \
		RUSTFMT=/usr/bin/rustfmt CLIPPY_DRIVER=/usr/bin/clippy-driver
}

key=$(cache_key "${FRAGS[@]}" "$VFIO_AP_CACHE/src/linux.version" \
	"$("$RUSTC_BIN" -vV)" "$(clang$LLVM_SUFFIX --version | head -n1)" "bindgen $BINDGEN_VERSION")
OUT=$VFIO_AP_CACHE/kernel/$key

if [ ! -f "$OUT/.built" ]; then
	mkdir -p "$OUT"
	FRAG=$OUT/fragment.config
	cat "${FRAGS[@]}" >"$FRAG"
	mapfile -t K < <(kmake_args)
	log "configuring the $FLAVOUR guest kernel in $OUT"
	make "${K[@]}" O="$OUT" KCONFIG_ALLCONFIG="$FRAG" allnoconfig >"$OUT/config.log" 2>&1 ||
		{ tail -30 "$OUT/config.log" >&2; die "kernel configuration failed"; }
	# Every line of the fragment must have survived Kconfig's dependencies.
	bad=0
	while IFS= read -r line; do
		case $line in ''|'#'*) continue ;; esac
		opt=${line%%=*} val=${line#*=}
		if [ "$val" = n ]; then
			grep -q "^$opt=" "$OUT/.config" && { log "config: $opt is set, wanted off"; bad=1; }
		else
			grep -qx "$line" "$OUT/.config" || { log "config: wanted $line, got: $(grep "^$opt=\|# $opt " "$OUT/.config" || echo missing)"; bad=1; }
		fi
	done <"$FRAG"
	[ $bad -eq 0 ] || die "the kernel configuration does not satisfy ${FRAGS[*]#"$VFIO_AP_TOP/"}"
	log "building the $FLAVOUR guest kernel (several minutes; log: $OUT/build.log)"
	make "${K[@]}" O="$OUT" -j"$(nproc)" all >"$OUT/build.log" 2>&1 ||
		{ grep -E 'error|Error' "$OUT/build.log" | head -30 >&2; tail -20 "$OUT/build.log" >&2; die "kernel build failed"; }
	touch "$OUT/.built"
fi
ln -sfn "$OUT" "$VFIO_AP_CACHE/kernel/$LINK"
printf '%s\n' "$OUT"
