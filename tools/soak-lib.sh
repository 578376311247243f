# SPDX-License-Identifier: GPL-2.0
# Shared by the soak scripts (source after lib.sh).
# soak_setup NAME: OUT (a new run directory), KDIR and QEMU; builds the
# module into the tree.
soak_setup() {
	OUT=$VFIO_AP_CACHE/runs/soak-$1-$(date +%Y%m%d-%H%M%S)
	mkdir -p "$OUT"
	KDIR=$("$VFIO_AP_TOP/tools/kernel/build.sh")
	QEMU=$("$VFIO_AP_TOP/tools/qemu/build.sh" | tail -n1)
	KDIR=$KDIR "$VFIO_AP_TOP/tools/build-module.sh" >"$OUT/module-build.log" 2>&1 ||
		{ cat "$OUT/module-build.log" >&2; die "building vfio_ap.ko failed"; }
}

# soak_both NAME SUITE LIMIT PATTERN RUNNER-ARGS...: one VM per
# module, upstream then ours, with SUITE's qemu.args and kernel.args, the
# time limit LIMIT and RUNNER-ARGS (kernel arguments, scripts); prints each
# run's summary and its TAP lines matching "not ok" or PATTERN, then
# compares the two transcripts. Returns non-zero on any failure.
soak_both() {
	local name=$1 suite=$2 limit=$3 pattern=$4 failed=0 module QARGS
	shift 4
	suite_qargs "selftests/$suite"
	for module in upstream ours; do
		log "$name soak, $module module (log: $OUT/$module.log)"
		if ! python3 tools/vm/run.py --kdir "$KDIR" --qemu "$QEMU" --module "$module" \
			--out "$OUT/$module" "${QARGS[@]}" --timeout "$limit" "$@" >"$OUT/$module.log" 2>&1; then
			failed=1
		fi
		grep -E '^\[vm\]' "$OUT/$module.log" >&2 || true
		grep -E "not ok|$pattern" "$OUT/$module/tap.txt" >&2 || true
	done
	if ! diff -u "$OUT/upstream/transcript.txt" "$OUT/ours/transcript.txt" >"$OUT/transcript.diff"; then
		log "transcripts differ ($OUT/transcript.diff):"
		head -n 40 "$OUT/transcript.diff" >&2
		failed=1
	fi
	[ "$failed" -eq 0 ] && log "$name soak passed ($OUT)" || log "$name soak FAILED ($OUT)"
	return "$failed"
}
