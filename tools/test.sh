#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The full test suite: host tests of the core model, then VM tests of the
# module under QEMU TCG against both our module and the upstream C one.
# Ends with a line "N passed, N failed, N skipped"; exits non-zero on any
# failure. Every step counts by its exit status as well as by what it
# prints: a step that exits non-zero without a counted failure adds one.
source "$(dirname "$0")/lib.sh"
cd "$VFIO_AP_TOP"

PASSED=0
FAILED=0
SKIPPED=0
KNOWN_GAPS=0
FAILURES=()
RESULTS=$VFIO_AP_CACHE/runs/test-$(date +%Y%m%d-%H%M%S)
mkdir -p "$RESULTS"

count() { # count NAME PASSED FAILED [SKIPPED]
	PASSED=$((PASSED + $2))
	FAILED=$((FAILED + $3))
	SKIPPED=$((SKIPPED + ${4:-0}))
	[ "$3" -eq 0 ] || FAILURES+=("$1")
}

finish() {
	log "results in $RESULTS"
	for f in "${FAILURES[@]}"; do log "FAILED: $f"; done
	[ "$KNOWN_GAPS" -eq 0 ] || log "of the skipped, $KNOWN_GAPS are known gaps (failing # TODO points)"
	echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
	[ "$FAILED" -eq 0 ]
}
trap 'rc=$?; [ $rc -eq 0 ] || { FAILED=$((FAILED + 1)); FAILURES+=("aborted (exit $rc)"); finish; }' EXIT

# --- Setup: toolchain, guest kernel, QEMU, module.
"$VFIO_AP_TOP/tools/bootstrap.sh"
KDIR=$("$VFIO_AP_TOP/tools/kernel/build.sh")
QEMU=$("$VFIO_AP_TOP/tools/qemu/build.sh" | tail -n1)
[ -x "$QEMU" ] || die "tools/qemu/build.sh did not produce a QEMU binary"
KDIR=$KDIR "$VFIO_AP_TOP/tools/build-module.sh" >/dev/null 2>"$RESULTS/module-build.log" ||
	{ cat "$RESULTS/module-build.log" >&2; die "building vfio_ap.ko failed"; }
log "built vfio_ap.ko against $KDIR"
# The debug flavour of the guest kernel (tools/kernel/debug.config: kobject
# releases delayed, slab poisoning, kmemleak) and our module built for it,
# for the lifecycle run below.
DKDIR=$("$VFIO_AP_TOP/tools/kernel/build.sh" debug)

# --- Host tests of the core model.
# cargo_count NAME LOG STATUS: counts a cargo test log. Ignored tests are
# skipped; a test binary that started but printed no "test result:" line
# died (abort, signal, exit from a test) and is a failure; a non-zero exit
# status with no failure counted (a build error, ...) is one failure.
cargo_count() {
	local name=$1 log=$2 rc=$3 p f s died
	p=$(grep -E '^test result:' "$log" | grep -oE '[0-9]+ passed' | awk '{s+=$1} END {print s+0}')
	f=$(grep -E '^test result:' "$log" | grep -oE '[0-9]+ failed' | awk '{s+=$1} END {print s+0}')
	s=$(grep -E '^test result:' "$log" | grep -oE '[0-9]+ ignored' | awk '{s+=$1} END {print s+0}')
	died=$(awk '/^ *(Running|Doc-tests) / { if (run != "") print run; run = $0; next }
		/^test result:/ { run = "" }
		END { if (run != "") print run }' "$log")
	if [ -n "$died" ]; then
		log "$name: test binaries that died without a result:"
		printf '%s\n' "$died" >&2
		f=$((f + $(printf '%s\n' "$died" | wc -l)))
	fi
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		log "$name: exited $rc with no failing test counted"
		f=1
	fi
	count "$name" "$p" "$f" "$s"
}
if [ -f Cargo.toml ]; then
	log "cargo test (core model)"
	# --no-fail-fast: a failing test binary must not keep the later ones
	# from running and being counted.
	rc=0
	cargo test --locked --no-fail-fast 2>&1 | tee "$RESULTS/cargo-test.log" >&2 || rc=$?
	cargo_count "cargo test" "$RESULTS/cargo-test.log" "$rc"
fi
# Runner self-test: a test binary that dies (tools/selftest/dying-test)
# must count as a failure, next to its sibling's one pass.
rc=0
(ulimit -c 0 && CARGO_TARGET_DIR=$VFIO_AP_CACHE/selftest-target cargo test --no-fail-fast \
	--manifest-path tools/selftest/dying-test/Cargo.toml) >"$RESULTS/selftest-dying-test.log" 2>&1 || rc=$?
r=$(PASSED=0 FAILED=0 SKIPPED=0 FAILURES=() &&
	cargo_count dying-test "$RESULTS/selftest-dying-test.log" "$rc" 2>/dev/null && echo "$PASSED $FAILED")
if [ "$r" = "1 1" ]; then
	count "runner self-test cargo-detects-dying-test-binary" 1 0
else
	log "runner self-test cargo-detects-dying-test-binary: counted '$r' (passed failed), want '1 1'"
	count "runner self-test cargo-detects-dying-test-binary" 0 1
fi

# --- Lint: rustfmt and clippy clean, on the host crate and on the module
# (the kernel's clippy run: CLIPPY=1 rebuilds the crate with clippy-driver).
lint() { # lint NAME COMMAND...
	local name=$1
	shift
	if "$@" >"$RESULTS/lint-$name.log" 2>&1; then
		count "lint $name" 1 0
	else
		cat "$RESULTS/lint-$name.log" >&2
		count "lint $name" 0 1
	fi
}
module_rustfmt() {
	find rust drivers selftests -name '*.rs' -print0 | xargs -0 /usr/bin/rustfmt --edition 2021 --check
}
module_clippy() {
	local log=$RESULTS/module-clippy-build.log w
	rm -f drivers/s390/crypto/vfio_ap/vfio_ap_main.o
	KDIR=$KDIR "$VFIO_AP_TOP/tools/build-module.sh" CLIPPY=1 >"$log" 2>&1 ||
		{ cat "$log"; return 1; }
	# Every warning counts but the toolchain's note on -Zpacked-stack's
	# backchain feature (emitted for every s390 crate).
	w=$(grep -E '^(warning|error)' "$log" |
		grep -vE 'unstable feature specified for `-Ctarget-feature`: `backchain`|^warning: [0-9]+ warnings? emitted' || true)
	[ -z "$w" ] || { grep -A8 -E '^(warning|error)' "$log"; return 1; }
}
# rust/'s files import each other one way (tools/layers.py names any
# cycle), and their code names nothing of the driver (crate::model, ...).
rust_independent() {
	! grep -nE '^[^/]*\bcrate::' rust/*.rs | grep -vE '\bcrate::abstractions\b'
}
lint rust-layers python3 tools/layers.py rust super:: crate::abstractions::
lint rust-independent rust_independent
lint host-rustfmt cargo fmt --check
lint host-clippy cargo clippy --locked --all-targets -- -D warnings
lint module-rustfmt module_rustfmt
lint module-clippy module_clippy
# The driver's files import each other one way (tools/layers.py names
# any cycle).
lint layers python3 tools/layers.py drivers/s390/crypto/vfio_ap

# --- Documentation: the Sphinx build (pinned; any warning fails) and the
# generated doc-example script being up to date with Documentation/.
if tools/docs/build.sh >"$RESULTS/docs-build.log" 2>&1; then
	count "docs build" 1 0
else
	cat "$RESULTS/docs-build.log" >&2
	count "docs build" 0 1
fi
if python3 tools/docs/doctest.py --check >"$RESULTS/docs-doctest.log" 2>&1; then
	count "docs examples up to date" 1 0
else
	cat "$RESULTS/docs-doctest.log" >&2
	count "docs examples up to date" 0 1
fi

# --- Administrator's path on the host: the kernel readiness check
# (tools/check-kernel.sh) on the guest kernel, on a kernel configured
# without Rust and on broken copies; DKMS with dkms.conf; make install and
# make uninstall into a staging root; the QEMU device and CPU features the
# guide names. Each script prints one "ok - NAME"
# or "not ok - NAME" line a test.
host_tap() { # host_tap NAME COMMAND...
	local name=$1 log=$RESULTS/$1.log rc=0 p f
	shift
	"$@" >"$log" 2>&1 || rc=$?
	p=$(grep -c '^ok - ' "$log" || true)
	f=$(grep -c '^not ok - ' "$log" || true)
	if [ "$f" -gt 0 ]; then
		grep -E '^not ok - |^# ' "$log" | head -n 60 >&2
	elif [ "$rc" -ne 0 ] || [ "$p" -eq 0 ]; then
		cat "$log" >&2
		log "$name: exited $rc with $p passed and no failure counted"
		f=1
	fi
	count "$name" "$p" "$f"
}
host_tap check-kernel tools/selftest/check-kernel-test.sh "$KDIR" "$VFIO_AP_TOP/vfio_ap.ko"
host_tap dkms tools/selftest/dkms-test.sh "$KDIR"
host_tap install tools/selftest/install-test.sh "$KDIR"
host_tap qemu-names tools/selftest/qemu-names-test.sh "$QEMU"

# --- VM tests.
# The emulated AP configuration the VM tests use by default.
AP_ARGS=()
if [ -f tools/qemu/ap-default.args ]; then
	mapfile -t AP_ARGS < <(grep -v '^#' tools/qemu/ap-default.args | grep .)
fi
QARGS=()
for a in "${AP_ARGS[@]}"; do QARGS+=("--qemu-arg=$a"); done

# vm_run NAME MODULE ARGS...: one VM boot, its output in $RESULTS/NAME.log,
# its results in $RESULTS/NAME/ and the runner's exit status in
# $RESULTS/NAME.rc (safe to run in the background).
vm_run() {
	local name=$1 module=$2 rc=0
	shift 2
	python3 "${RUNPY:-tools/vm/run.py}" --kdir "$KDIR" --qemu "$QEMU" --module "$module" \
		--out "$RESULTS/$name" "${QARGS[@]}" "$@" >"$RESULTS/$name.log" 2>&1 || rc=$?
	echo "$rc" >"$RESULTS/$name.rc"
}

# vm_count NAME: counts the TAP results of a finished vm_run: skipped
# points and known gaps (failing "# TODO" points) as skipped; a run the
# runner failed, or that exited non-zero, with no failure counted is one.
vm_count() {
	local name=$1 out=$RESULTS/$1 rc r
	{ grep -E '^\[vm\]|^not ok|# TODO|^Bail out!' "$RESULTS/$name.log" || true; } | tail -n 40 >&2
	rc=$(cat "$RESULTS/$name.rc" 2>/dev/null || echo missing)
	r=$(python3 - "$out/result.json" "$rc" <<'PY'
import json, sys
try:
    with open(sys.argv[1]) as f:
        r = json.load(f)
    p, f, s, g = r["passed"], r["failed"], r["skipped"], len(r["todo"])
    if not f and (not r["ok"] or sys.argv[2] != "0"):
        f = 1
except (OSError, ValueError, KeyError):
    p, f, s, g = 0, 1, 0, 0
print(p, f, s + g, g)
PY
) || r="0 1 0 0"
	KNOWN_GAPS=$((KNOWN_GAPS + ${r##* }))
	# shellcheck disable=SC2086 # three numbers
	count "vm $name" ${r% *}
}

# vm NAME MODULE SCRIPTS...: one VM boot; counts the TAP results.
vm() {
	vm_run "$@"
	vm_count "$1"
}

# vm_must_fail NAME SCRIPT=WHY...: self-tests of the runner: one VM boot
# (our module) runs the scripts, each of which must make the run fail, and
# each for its own reason: a problem the runner reports for SCRIPT, or for
# the run as a whole, must match the extended regular expression WHY (so
# that a script failing for another reason, a typo say, is not taken as
# detected).
vm_must_fail() {
	local name=$1 a scripts=() rc=0 probs
	shift
	for a in "$@"; do scripts+=("${a%%=*}"); done
	python3 tools/vm/run.py --kdir "$KDIR" --qemu "$QEMU" --module ours \
		--out "$RESULTS/$name" "${QARGS[@]}" "${scripts[@]}" >"$RESULTS/$name.log" 2>&1 || rc=$?
	if [ "$rc" -eq 0 ]; then
		log "runner self-test $name: the run passed but must fail"
		count "runner self-test $name" 0 1
		return
	fi
	for a in "$@"; do
		probs=$(python3 - "$RESULTS/$name/result.json" "${a%%=*}" <<'PY' || true
import json, sys
r = json.load(open(sys.argv[1]))
run = [p for p in r["problems"] if not any(p.startswith(s + ": ") for s in r["scripts"])]
print("\n".join(r["scripts"][sys.argv[2]]["problems"] + run))
PY
)
		if printf '%s\n' "$probs" | grep -qE -- "${a#*=}"; then
			count "runner self-test $name ${a%%=*}" 1 0
		else
			log "runner self-test $name: ${a%%=*} did not fail with /${a#*=}/ (problems: ${probs:-none})"
			count "runner self-test $name ${a%%=*}" 0 1
		fi
	done
}

# harness/install.sh: the runner installed ours with make install's recipe
# next to the kernel's own module; modprobe must pick and load ours.
vm harness-ours ours harness/smoke.sh harness/qmp.sh harness/install.sh
vm harness-upstream upstream harness/smoke.sh
# Without the emulated AP facility both modules must refuse to load (ENODEV).
saved_qargs=("${QARGS[@]}")
QARGS=(--qemu-arg=-cpu --qemu-arg=max,ap=off,apqci=off,apft=off,apqi=off)
vm harness-noap-ours ours harness/smoke.sh
vm harness-noap-upstream upstream harness/smoke.sh
QARGS=("${saved_qargs[@]}")
# The runner must fail a failing test point, a script whose points all
# skip, a passing point listed as a known gap, and the wrong vfio_ap.ko
# (the one modprobe resolves, and the one loaded); and, in a run of its
# own, a kernel backtrace.
vm_must_fail runner-detects \
	'harness/fail_tap.sh=^not ok 2 - a deliberately failing test point$' \
	'harness/all_skip.sh=^every test point skipped$' \
	'harness/stale_todo.sh=^ok 2 - a listed known gap that passes # TODO' \
	'harness/wrong_file.sh=^Bail out! modprobe resolves vfio_ap to ours, but the module under test is .upstream.$' \
	'harness/wrong_module.sh=^Bail out! the loaded vfio_ap is ours, but the module under test is .upstream.$'
vm_must_fail runner-detects-kernel-splat 'harness/splat.sh=^guest log: '

# transcript_diff NAME UPSTREAM OURS TODO: compares the transcripts of the
# upstream and our run of a suite, leaving out the lines of test points
# listed in TODO (lines "script: NAME :: seen"); a difference is a failure.
transcript_diff() {
	local name=$1 up=$2 ours=$3 todo=$4 d
	if [ ! -f "$up" ] || [ ! -f "$ours" ]; then
		log "transcript diff $name: a transcript is missing"
		count "transcript diff $name" 0 1
		return
	fi
	if ! d=$(python3 - "$up" "$ours" "$todo" <<'PY'
import difflib, sys
up, ours, todo = sys.argv[1:4]
try:
    with open(todo) as f:
        known = {l.rstrip("\n") for l in f if l.strip() and not l.startswith("#")}
except OSError:
    known = set()
def lines(path):
    out = []
    with open(path) as f:
        for l in f:
            l = l.rstrip("\n")
            head = l.split(": ", 1)[-1]
            if " :: " in head and head.split(" :: ", 1)[0] in known:
                continue
            out.append(l)
    return out
sys.stdout.writelines(l + "\n" for l in difflib.unified_diff(
    lines(up), lines(ours), "upstream", "ours", lineterm=""))
PY
	); then
		log "transcript diff $name: the comparison failed"
		count "transcript diff $name" 0 1
	elif [ -n "$d" ]; then
		printf '%s\n' "$d" >"$RESULTS/$name-transcript.diff"
		log "transcript diff $name: upstream and ours differ ($RESULTS/$name-transcript.diff):"
		printf '%s\n' "$d" | head -n 60 >&2
		count "transcript diff $name" 0 1
	else
		count "transcript diff $name" 1 0
	fi
}

# vm_slot: waits until fewer than $VFIO_AP_VMS VMs (default 4) run in the
# background. All suites at once on 2 cores starve each guest past its
# time limit; a few at a time keep each guest's run time close to its run
# time alone while the guests that wait on queue resets overlap.
VFIO_AP_VMS=${VFIO_AP_VMS:-4}
vm_slot() {
	while [ "$(jobs -rp | wc -l)" -ge "$VFIO_AP_VMS" ]; do
		wait -n || true
	done
}

# --- The debug kernel: lifecycle, KVM and PQAP with every kobject release
# delayed, freed memory poisoned and kmemleak on, so memory freed while the
# driver core, the mdev core or KVM still references it, or a release that
# runs after the module is gone, shows. The lifecycle run (load, mdevs
# with assignments, removal, unload) is ours only: upstream's matrix
# device release can run after its module is unloaded and oopses there
# (listed in Documentation/s390/vfio-ap.rst). The kvm and pqap suites run
# on both modules, upstream's kept loaded from one script to the next
# (vmtest.keep_module=1) for the same reason, and their transcripts are
# compared as the normal kernel's. The debug kernel boots and runs slowly
# under TCG: longer time limits, and RCU stall reports only after 300 s.
# Started once the serial suites are done.
DEBUG_RUN=
DEBUG_SUITES=()
# debug_vm NAME MODULE SUITE TIMEOUT [RUNNER ARGS...] [-- SCRIPTS...]: one
# debug kernel VM in the background, with the suite's QEMU arguments,
# running the scripts of $DSRC/selftests/SUITE/suite.list (or SCRIPTS).
debug_vm() {
	local name=$1 module=$2 suite=$3 limit=$4 scripts=() args=()
	shift 4
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		args+=("$1")
		shift
	done
	if [ "${1:-}" = -- ]; then
		shift
		scripts=("$@")
	else
		mapfile -t scripts < <(suite_scripts "$DSRC/selftests/$suite" "$suite")
	fi
	set -- "${args[@]}"
	# Leaks kmemleak may report for upstream, listed with the reason.
	if [ "$module" = upstream ] && [ -f "$DSRC/selftests/$suite/known-leaks-upstream" ]; then
		while IFS= read -r a; do set -- "$@" "--known-leak=$a"; done \
			< <(grep -v '^#' "$DSRC/selftests/$suite/known-leaks-upstream" | grep .)
	fi
	vm_slot
	(
		suite_qargs "$DSRC/selftests/$suite"
		RUNPY=$DSRC/tools/vm/run.py vm_run "$name" "$module" --kdir "$DKDIR" --ko "$DSRC/vfio_ap.ko" \
			--timeout "$limit" --append rcupdate.rcu_cpu_stall_timeout=300 "$@" "${scripts[@]}"
	) &
}
debug_run() {
	# Kbuild refuses a separate output directory (MO=) for a source tree
	# that has in-tree build products, so the debug kernel's module, the
	# test-only module of the pqap suite and the suites themselves come
	# from a fresh copy of the tracked files.
	DSRC=$VFIO_AP_CACHE/module-debug-src
	rm -rf "$DSRC"
	mkdir -p "$DSRC"
	if git ls-files -z | tar --null -T - -cf - | tar -xf - -C "$DSRC" &&
		KDIR=$DKDIR "$DSRC/tools/build-module.sh" >"$RESULTS/module-build-debug.log" 2>&1 &&
		"$DSRC/selftests/kvm/tools/build.sh" >>"$RESULTS/module-build-debug.log" 2>&1 &&
		KDIR=$DKDIR "$DSRC/selftests/pqap/tools/build.sh" >>"$RESULTS/module-build-debug.log" 2>&1 &&
		"$DSRC/selftests/faults/tools/build.sh" >>"$RESULTS/module-build-debug.log" 2>&1; then
		count "module build (debug kernel)" 1 0 0
		DEBUG_RUN=1
		debug_vm debug-kvm-upstream upstream kvm 4800 --append vmtest.keep_module=1
		debug_vm debug-kvm-ours ours kvm 4800
		debug_vm debug-lifecycle-ours ours vfio_ap 1500 -- vfio_ap/module.sh
		debug_vm debug-pqap-upstream upstream pqap 2400 --append vmtest.keep_module=1
		debug_vm debug-pqap-ours ours pqap 2400
		# Fault injection (selftests/faults, debug kernel only: no
		# suite.list, so the normal loop does not run it); upstream kept
		# loaded as above.
		debug_vm debug-faults-upstream upstream faults 1200 --append vmtest.keep_module=1 \
			-- faults/faults.sh
		debug_vm debug-faults-ours ours faults 1800 -- faults/faults.sh
		DEBUG_SUITES=(debug-kvm debug-pqap debug-faults)
	else
		cat "$RESULTS/module-build-debug.log" >&2
		count "module build (debug kernel)" 0 1 0
		DEBUG_RUN=0
	fi
}

SUITES=()
# Serial suites first (each alone), then the debug kernel's run and all
# other suites, a few VMs at a time.
# The others longest first (by their time limit), so the last to start
# are short.
suite_limit() {
	if [ -f "$1/timeout" ]; then grep -v '^#' "$1/timeout" | grep . | head -n1; else echo 300; fi
}
mapfile -t suite_lists < <(
	for f in selftests/*/suite.list; do [ ! -f "${f%/*}/serial" ] || echo "$f"; done
	for f in selftests/*/suite.list; do
		[ -f "${f%/*}/serial" ] || echo "$(suite_limit "${f%/*}") $f"
	done | sort -k1,1nr -k2 | cut -d' ' -f2
)
for suite in "${suite_lists[@]}"; do
	[ -f "$suite" ] || continue
	dir=$(dirname "$suite")
	sname=$(basename "$dir")
	[ -f "$dir/serial" ] || [ -n "$DEBUG_RUN" ] || debug_run
	mapfile -t scripts < <(suite_scripts "$dir" "$sname")
	modules="upstream ours"
	[ ! -f "$dir/modules" ] || modules=$(grep -v '^#' "$dir/modules")
	# Helper programs the suite runs in the guest (static s390x binaries).
	if [ -x "$dir/tools/build.sh" ]; then
		if "$dir/tools/build.sh" >"$RESULTS/$sname-tools-build.log" 2>&1; then
			count "build $sname helpers" 1 0
		else
			cat "$RESULTS/$sname-tools-build.log" >&2
			count "build $sname helpers" 0 1
		fi
	fi
	# A suite's own emulated AP configuration replaces the default one;
	# its kernel arguments come on top.
	saved_qargs=("${QARGS[@]}")
	suite_qargs "$dir"
	# A suite's time limit for one VM run in seconds (run.py's default: 300).
	limit=()
	if [ -f "$dir/timeout" ]; then
		limit=(--timeout "$(grep -v '^#' "$dir/timeout" | grep . | head -n1)")
	fi
	# One VM per module and suite, side by side (at most $VFIO_AP_VMS at
	# a time): the guests spend much of their time waiting for queue
	# resets. A suite with a file "serial" (timing checks) runs alone,
	# before the others start.
	for module in $modules; do
		vm_slot
		vm_run "$sname-$module" "$module" "${limit[@]}" "${scripts[@]}" &
	done
	[ ! -f "$dir/serial" ] || wait
	QARGS=("${saved_qargs[@]}")
	SUITES+=("$sname:$(echo $modules)")
done

[ -n "$DEBUG_RUN" ] || debug_run
wait
if [ "$DEBUG_RUN" = 1 ]; then
	vm_count debug-lifecycle-ours
	for d in "${DEBUG_SUITES[@]}"; do
		vm_count "$d-upstream"
		vm_count "$d-ours"
		transcript_diff "$d" "$RESULTS/$d-upstream/transcript.txt" \
			"$RESULTS/$d-ours/transcript.txt" "$DSRC/selftests/${d#debug-}/todo-ours"
	done
fi

for entry in "${SUITES[@]}"; do
	sname=${entry%%:*}
	modules=${entry#*:}
	for module in $modules; do
		vm_count "$sname-$module"
	done
	# Both modules ran: their transcripts must agree. (Each word is
	# matched on its own: in " upstream ours " the space between the two
	# belongs to one of them only.)
	if [[ " $modules " == *" upstream "* && " $modules " == *" ours "* ]]; then
		transcript_diff "$sname" "$RESULTS/$sname-upstream/transcript.txt" \
			"$RESULTS/$sname-ours/transcript.txt" "selftests/$sname/todo-ours"
	fi
done

trap - EXIT
finish
