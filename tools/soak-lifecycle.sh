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
OUT=$VFIO_AP_CACHE/runs/soak-lifecycle-$(date +%Y%m%d-%H%M%S)
mkdir -p "$OUT"

KDIR=$("$VFIO_AP_TOP/tools/kernel/build.sh")
QEMU=$("$VFIO_AP_TOP/tools/qemu/build.sh" | tail -n1)
KDIR=$KDIR "$VFIO_AP_TOP/tools/build-module.sh" >"$OUT/module-build.log" 2>&1 ||
	{ cat "$OUT/module-build.log" >&2; die "building vfio_ap.ko failed"; }

QARGS=()
while IFS= read -r a; do QARGS+=("--qemu-arg=$a"); done \
	< <(grep -v '^[[:space:]]*#' selftests/lifecycle/qemu.args | grep .)

failed=0
for module in upstream ours; do
	log "lifecycle soak, $CYCLES cycles, $module module (log: $OUT/$module.log)"
	if ! python3 tools/vm/run.py --kdir "$KDIR" --qemu "$QEMU" --module "$module" \
		--out "$OUT/$module" "${QARGS[@]}" --timeout "$LIMIT" \
		--append "lifecycle.cycles=$CYCLES" lifecycle/lifecycle.sh >"$OUT/$module.log" 2>&1; then
		failed=1
	fi
	grep -E '^\[vm\]' "$OUT/$module.log" >&2 || true
	grep -E 'not ok|# (drift|cycles|unload)' "$OUT/$module/tap.txt" >&2 || true
done
if ! diff -u "$OUT/upstream/transcript.txt" "$OUT/ours/transcript.txt" >"$OUT/transcript.diff"; then
	log "transcripts differ ($OUT/transcript.diff):"
	head -n 40 "$OUT/transcript.diff" >&2
	failed=1
fi
[ "$failed" -eq 0 ] && log "lifecycle soak passed ($OUT)" || log "lifecycle soak FAILED ($OUT)"
exit "$failed"
