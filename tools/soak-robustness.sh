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
	name=${v%%:*}
	val=${!name:-}
	[ -n "$val" ] || continue
	case $val in *[!0-9]*) die "$name=$val is not a number" ;; esac
	APPEND+=(--append "robustness.${v#*:}=$val")
done
# Some 30 ms a write under TCG on a loaded machine, ten attributes, the
# storm, boot and set-up: room for twice that.
LIMIT=${SOAK_TIMEOUT:-$((1200 + 2 * (${ROBUSTNESS_WRITES:-10000} * 10 * 30 / 1000 + ${ROBUSTNESS_SECONDS:-600})))}
source "$VFIO_AP_TOP/tools/soak-lib.sh"
soak_setup robustness
selftests/robustness/tools/build.sh >>"$OUT/module-build.log" 2>&1 ||
	{ cat "$OUT/module-build.log" >&2; die "building the robustness helpers failed"; }

mapfile -t SCRIPTS < <(suite_scripts selftests/robustness robustness)
failed=0
soak_both robustness robustness "$LIMIT" '# (summary|hostile:|storm:)' "${APPEND[@]}" "${SCRIPTS[@]}" || failed=1
exit "$failed"
