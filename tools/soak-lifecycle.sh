#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The long lifecycle run (make soak): selftests/lifecycle with
# SOAK_CYCLES load/unload cycles (default 100) on the upstream module and
# on ours, one VM after the other, and their transcripts compared. The
# drift figures of each run are the "# drift" lines of its TAP output
# (MODULE/tap.txt in the output directory, also printed here).
# Exits non-zero on any failure.
source "$(dirname "$0")/lib.sh"
cd "$VFIO_AP_TOP"

CYCLES=${SOAK_CYCLES:-100}
case $CYCLES in
'' | *[!0-9]*) die "SOAK_CYCLES=$CYCLES is not a number" ;;
esac
# Up to a minute a cycle under TCG on a loaded 2-core machine; room for more.
LIMIT=${SOAK_TIMEOUT:-$((600 + CYCLES * 90))}
source "$VFIO_AP_TOP/tools/soak-lib.sh"
soak_setup lifecycle

failed=0
soak_both "lifecycle ($CYCLES cycles)" lifecycle "$LIMIT" '# (drift|cycles|unload)' \
	--append "lifecycle.cycles=$CYCLES" lifecycle/lifecycle.sh || failed=1
exit "$failed"
