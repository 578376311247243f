#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# install.sh install [--no-build] | uninstall: make install / make uninstall.
#
# install: builds vfio_ap.ko against KDIR, installs it with the kernel's
# modules_install into lib/modules/RELEASE/updates/ (where depmod's
# default search order looks before the kernel's own modules, so that
# "modprobe vfio_ap" loads ours and the kernel's C module stays on disk)
# and runs depmod; --no-build installs the vfio_ap.ko already built in this
# tree for KDIR (the VM test runner does, while other runs may read the
# tree). uninstall: removes that file and runs depmod.
#
# KDIR: the kernel build tree (default: the project's guest kernel; on
# your own machine: /lib/modules/$(uname -r)/build). INSTALL_MOD_PATH: a
# staging root instead of / (as for the kernel's own modules_install).
# DEPMOD: the depmod to run (default: depmod).
source "$(dirname "$0")/lib.sh"

action=${1:-install}
build=1
[ "${2:-}" != --no-build ] || build=0
if [ -z "${KDIR:-}" ]; then
	KDIR=$("$VFIO_AP_TOP/tools/kernel/build.sh")
fi
export KDIR
krel=$(cat "$KDIR/include/config/kernel.release" 2>/dev/null) ||
	die "KDIR=$KDIR is not a prepared kernel build tree (no include/config/kernel.release)"
root=${INSTALL_MOD_PATH:-}
moddir=$root/lib/modules/$krel
depmod_args=(-a)
[ -z "$root" ] || depmod_args+=(-b "$root")

case $action in
install)
	[ "$build" = 0 ] || "$VFIO_AP_TOP/tools/build-module.sh" >/dev/null
	# The kernel's modules_install runs depmod only where the tree has a
	# System.map (a distribution's headers package has none): run it here.
	"$VFIO_AP_TOP/tools/build-module.sh" modules_install INSTALL_MOD_DIR=updates \
		INSTALL_MOD_PATH="$root" DEPMOD=true
	[ -f "$moddir/updates/vfio_ap.ko" ] || die "modules_install left no $moddir/updates/vfio_ap.ko"
	"${DEPMOD:-depmod}" "${depmod_args[@]}" "$krel"
	log "installed $moddir/updates/vfio_ap.ko; modprobe vfio_ap loads it"
	;;
uninstall)
	rm -f "$moddir"/updates/vfio_ap.ko{,.gz,.xz,.zst}
	if [ -d "$moddir" ]; then
		"${DEPMOD:-depmod}" "${depmod_args[@]}" "$krel"
	fi
	log "removed vfio_ap.ko from $moddir/updates"
	;;
*) die "usage: $0 install|uninstall" ;;
esac
