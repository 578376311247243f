#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# install-test.sh KDIR: make install and make uninstall into a staging root
# (INSTALL_MOD_PATH) for the guest kernel KDIR, with vfio_ap.ko built for
# it. One "ok - NAME" or "not ok - NAME" line a test (tools/test.sh counts
# them). The VM tests load what the same recipe installs (harness/install.sh).
source "$(dirname "$0")/../lib.sh"
# Each test reports its own failure: no exit on the first one.
set +e
KDIR=$1
cd "$VFIO_AP_TOP"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
krel=$(cat "$KDIR/include/config/kernel.release")
mods=$work/lib/modules/$krel

t() { # t NAME STATUS
	if [ "$2" -eq 0 ]; then echo "ok - $1"; else echo "not ok - $1"; fi
}

rc=0
make -s install KDIR="$KDIR" INSTALL_MOD_PATH="$work" >"$work.log" 2>&1 || rc=$?
[ $rc -eq 0 ] || sed 's/^/# /' "$work.log"
t "make install into a staging root" $rc
rc=0
cmp -s vfio_ap.ko "$mods/updates/vfio_ap.ko" || rc=1
t "make install put the built vfio_ap.ko under updates/" $rc
rc=0
grep -q '^updates/vfio_ap\.ko:' "$mods/modules.dep" || rc=1
t "make install ran depmod (modules.dep lists it)" $rc
rc=0
[ "$(modinfo -b "$work" -k "$krel" -n vfio_ap 2>/dev/null)" = "$mods/updates/vfio_ap.ko" ] || rc=1
t "modinfo in the staging root resolves vfio_ap to it" $rc

rc=0
make -s uninstall KDIR="$KDIR" INSTALL_MOD_PATH="$work" >"$work.log" 2>&1 || rc=$?
[ $rc -eq 0 ] || sed 's/^/# /' "$work.log"
t "make uninstall" $rc
rc=0
[ ! -e "$mods/updates/vfio_ap.ko" ] && ! grep -q 'vfio_ap' "$mods/modules.dep" || rc=1
t "make uninstall removed the file and its modules.dep entry" $rc
rm -f "$work.log"
