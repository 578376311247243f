#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# check-kernel.sh KDIR [RUSTC]: whether the kernel build tree KDIR can take the Rust
# vfio_ap module, checked before building (make check-kernel KDIR=...).
# One line per item, "ok", "MISSING" or "UNKNOWN" (cannot tell from this
# tree, e.g. it is configured but not built), then a verdict.
# Exit status: 0 ready, 1 something is missing, 2 nothing is known to be
# missing but some items could not be checked.
# RUSTC names the rustc the module will be built with (a path, or a name
# looked up in PATH, as Kbuild does); default: RUSTC_BIN, which make install
# builds with (tools/lib.sh).
source "$(dirname "$0")/lib.sh"

# The symbols the module takes from code that a kernel's configuration may
# leave out or build as a module (KVM, VFIO, the mdev core, the AP bus);
# tools/test.sh checks that this list covers every such import of the
# built vfio_ap.ko. NAME, or NAME:NAMESPACE when the kernel exports it to
# the named module only.
SYMBOLS=(
	kvm_s390_is_gpa_in_memslot:module:vfio_ap
	kvm_s390_gisc_register kvm_s390_gisc_unregister kvm_s390_pv_cpu_is_protected
	kvm_arch_crypto_set_masks kvm_arch_crypto_clear_masks kvm_get_kvm kvm_put_kvm
	mdev_register_parent mdev_unregister_parent mdev_register_driver mdev_unregister_driver
	vfio_register_emulated_iommu_dev vfio_unregister_group_dev vfio_pin_pages vfio_unpin_pages
	vfio_set_irqs_validate_and_prepare
	ap_driver_register ap_driver_unregister ap_apqn_in_matrix_owned_by_def_drv ap_attr_mutex
)

# --symbols: print the names of the symbols checked, one a line.
if [ "${1:-}" = --symbols ]; then
	printf '%s\n' "${SYMBOLS[@]%%:*}"
	exit 0
fi
KDIR=${1:-${KDIR:-}}
RUSTC_BIN=${2:-$RUSTC_BIN}
[ -n "$KDIR" ] || die "usage: $0 KDIR (a configured kernel build tree, e.g. /lib/modules/\$(uname -r)/build)"

MISSING=0
UNKNOWN=0
item() { # item ok|MISSING|UNKNOWN TEXT
	printf '%-8s %s\n' "$1" "$2"
	case $1 in
	MISSING) MISSING=$((MISSING + 1)) ;;
	UNKNOWN) UNKNOWN=$((UNKNOWN + 1)) ;;
	esac
}

config() { # config NAME: the value of CONFIG_NAME in KDIR/.config, or "n"
	local v
	v=$(sed -n "s/^CONFIG_$1=//p" "$KDIR/.config" | head -n1)
	v=${v#\"}
	printf '%s\n' "${v%\"}" | sed 's/^$/n/'
}

if [ ! -f "$KDIR/.config" ] || [ ! -f "$KDIR/Makefile" ]; then
	item MISSING "KDIR=$KDIR is not a configured kernel build tree (no .config or Makefile)"
	echo "verdict: not ready (1 item missing)"
	exit 1
fi
item ok "configured kernel tree $KDIR ($(cat "$KDIR/include/config/kernel.release" 2>/dev/null || echo 'release unknown: not prepared'))"

want() { # want NAME PATTERN WHAT: CONFIG_NAME must match PATTERN
	local v
	v=$(config "$1")
	if [[ $v =~ ^($2)$ ]]; then
		item ok "CONFIG_$1=$v"
	else
		item MISSING "CONFIG_$1=$v, need $3"
	fi
}
want S390 y "y (an s390 kernel)"
want MODULES y "y (loadable modules)"
want RUST y "y (Rust support: the module is written in Rust)"
want AP y "y (the AP bus)"
want KVM 'y|m' "y or m (KVM: the module passes queues to KVM guests)"
want VFIO 'y|m' "y or m (VFIO)"
want VFIO_MDEV 'y|m' "y or m (the mediated device core)"
want VFIO_AP m "m (the kernel has kvm_s390_is_gpa_in_memslot only when vfio_ap is configured, and exports it to a module named vfio_ap only; built in, its own vfio_ap would hold the names ours needs)"

# The rustc the tree was configured with, against the one found: a Rust
# module must be built by the same compiler as the kernel.
ktext=$(config RUSTC_VERSION_TEXT)
found=$("$RUSTC_BIN" --version 2>/dev/null || true)
if [ "$ktext" = n ]; then
	item MISSING "rustc: the tree records none (configured without a Rust toolchain); found ${found:-no $RUSTC_BIN}"
elif [ -z "$found" ]; then
	item MISSING "rustc: the tree was configured with '$ktext'; $RUSTC_BIN is not there (set RUSTC_BIN)"
elif [ "$ktext" = "$found" ]; then
	item ok "rustc: '$found' ($RUSTC_BIN), as the tree was configured"
else
	item MISSING "rustc: the tree was configured with '$ktext', but $RUSTC_BIN is '$found' (set RUSTC_BIN to the kernel's rustc)"
fi

# Exported symbols: Module.symvers lists them once the tree is built.
symvers=$KDIR/Module.symvers
if [ ! -s "$symvers" ]; then
	item UNKNOWN "exported symbols (${#SYMBOLS[@]}, such as kvm_s390_is_gpa_in_memslot and mdev_register_parent): cannot tell, $symvers is missing: the tree is configured but not built"
else
	for s in "${SYMBOLS[@]}"; do
		name=${s%%:*}
		ns=
		[ "$name" = "$s" ] || ns=${s#*:}
		line=$(awk -v s="$name" '$2 == s { print; exit }' "$symvers")
		if [ -z "$line" ]; then
			item MISSING "symbol $name is not exported (not in Module.symvers)"
			continue
		fi
		from=$(awk '{ print $3 }' <<<"$line")
		got=$(awk '{ print $5 }' <<<"$line")
		if [ -n "$ns" ] && [ "$got" != "$ns" ]; then
			item MISSING "symbol $name is exported from $from for '${got:-everyone}', need '$ns'"
		else
			item ok "symbol $name exported from $from${got:+ for $got}"
		fi
	done
fi

if [ "$MISSING" -gt 0 ]; then
	u=
	[ "$UNKNOWN" -eq 0 ] || u=", $UNKNOWN unknown"
	echo "verdict: not ready ($MISSING item(s) missing$u)"
	exit 1
elif [ "$UNKNOWN" -gt 0 ]; then
	echo "verdict: cannot tell ($UNKNOWN item(s) unknown)"
	exit 2
fi
echo "verdict: ready"
