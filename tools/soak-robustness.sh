#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The long robustness run (make soak): selftests/robustness with
# VFIO_AP_SOAK=1 (10,000 hostile writes per attribute, a 600 s storm) on
# the upstream module and on ours, one VM after the other, and their
# transcripts compared. ROBUSTNESS_WRITES and ROBUSTNESS_SECONDS set other
# lengths. Exits non-zero on any failure.
source "$(dirname "$0")/lib.sh"
cd "$VFIO_AP_TOP"

APPEND=(--append VFIO_AP_SOAK=1)
for v in ROBUSTNESS_WRITES:writes ROBUSTNESS_SECONDS:seconds; do
	val=${!v%%:*}
	[ -n "$val" ] || continue
	case $val in *[!0-9]*) die "${v%%:*}=$val is not a number" ;; esac
	APPEND+=(--append "robustness.${v#*:}=$val")
done
# Some 30 ms a write under TCG on a loaded machine, ten attributes, the
# storm, boot and set-up: room for twice that.
LIMIT=${SOAK_TIMEOUT:-$((1200 + 2 * (${ROBUSTNESS_WRITES:-10000} * 10 * 30 / 1000 + ${ROBUSTNESS_SECONDS:-600})))}
OUT=$VFIO_AP_CACHE/runs/soak-robustness-$(date +%Y%m%d-%H%M%S)
mkdir -p "$OUT"

KDIR=$("$VFIO_AP_TOP/tools/kernel/build.sh")
QEMU=$("$VFIO_AP_TOP/tools/qemu/build.sh" | tail -n1)
KDIR=$KDIR "$VFIO_AP_TOP/tools/build-module.sh" >"$OUT/module-build.log" 2>&1 ||
	{ cat "$OUT/module-build.log" >&2; die "building vfio_ap.ko failed"; }
selftests/robustness/tools/build.sh >>"$OUT/module-build.log" 2>&1 ||
	{ cat "$OUT/module-build.log" >&2; die "building the robustness helpers failed"; }

QARGS=()
while IFS= read -r a; do QARGS+=("--qemu-arg=$a"); done \
	< <(grep -v '^[[:space:]]*#' selftests/robustness/qemu.args | grep .)
mapfile -t SCRIPTS < <(grep -v '^#' selftests/robustness/suite.list | grep . | sed 's#^#robustness/#')

failed=0
for module in upstream ours; do
	log "robustness soak, $module module (log: $OUT/$module.log)"
	if ! python3 tools/vm/run.py --kdir "$KDIR" --qemu "$QEMU" --module "$module" \
		--out "$OUT/$module" "${QARGS[@]}" --timeout "$LIMIT" "${APPEND[@]}" \
		"${SCRIPTS[@]}" >"$OUT/$module.log" 2>&1; then
		failed=1
	fi
	grep -E '^\[vm\]' "$OUT/$module.log" >&2 || true
	grep -E 'not ok|# (summary|hostile:|storm:)' "$OUT/$module/tap.txt" >&2 || true
done
if ! diff -u "$OUT/upstream/transcript.txt" "$OUT/ours/transcript.txt" >"$OUT/transcript.diff"; then
	log "transcripts differ ($OUT/transcript.diff):"
	head -n 40 "$OUT/transcript.diff" >&2
	failed=1
fi
[ "$failed" -eq 0 ] && log "robustness soak passed ($OUT)" || log "robustness soak FAILED ($OUT)"
exit "$failed"
