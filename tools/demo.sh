#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The demo: builds the toolchain, guest kernel, QEMU with AP emulation and
# vfio_ap.ko, boots the s390x VM under TCG and walks the administrator's
# workflow with our module (selftests/demo/demo.sh), showing the console.
# MODULE=upstream runs the same walk with the upstream C module.
source "$(dirname "$0")/lib.sh"
cd "$VFIO_AP_TOP"

"$VFIO_AP_TOP/tools/bootstrap.sh"
KDIR=$("$VFIO_AP_TOP/tools/kernel/build.sh")
QEMU=$("$VFIO_AP_TOP/tools/qemu/build.sh" | tail -n1)
KDIR=$KDIR "$VFIO_AP_TOP/tools/build-module.sh" >/dev/null

QARGS=()
if [ -f tools/qemu/ap-default.args ]; then
	while IFS= read -r a; do QARGS+=(--qemu-arg "$a"); done < <(grep -v '^#' tools/qemu/ap-default.args | grep .)
fi
exec python3 tools/vm/run.py -v --kdir "$KDIR" --qemu "$QEMU" --module "${MODULE:-ours}" \
	"${QARGS[@]}" demo/demo.sh
