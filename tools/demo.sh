#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The demo: builds the toolchain, guest kernel, QEMU with AP emulation and
# vfio_ap.ko, boots the s390x VM under TCG on the host of the
# documentation's worked example and walks the administrator's workflow of
# Documentation/s390/vfio-ap.rst with our module, showing each command and
# its output on the console (the doc examples, selftests/docs, each checked
# against the document). MODULE=upstream does the same with the upstream C
# module. Ends with the run's "N passed, N failed, N skipped, N todo" summary.
source "$(dirname "$0")/lib.sh"
cd "$VFIO_AP_TOP"

"$VFIO_AP_TOP/tools/bootstrap.sh"
KDIR=$("$VFIO_AP_TOP/tools/kernel/build.sh")
QEMU=$("$VFIO_AP_TOP/tools/qemu/build.sh" | tail -n1)
KDIR=$KDIR "$VFIO_AP_TOP/tools/build-module.sh" >/dev/null

QARGS=()
while IFS= read -r a; do QARGS+=("--qemu-arg=$a"); done \
	< <(grep -v '^[[:space:]]*#' selftests/docs/qemu.args | grep .)
log "the worked example of Documentation/s390/vfio-ap.rst, module: ${MODULE:-ours}"
exec python3 tools/vm/run.py -v --append docs.session --timeout 900 \
	--kdir "$KDIR" --qemu "$QEMU" --module "${MODULE:-ours}" \
	"${QARGS[@]}" docs/doc-examples.sh
