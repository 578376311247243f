#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make bench: the C-vs-Rust benchmark. Boots one guest with both vfio_ap
# modules (the kernel's C one, and ours staged for insmod by path), runs
# selftests/bench/bench.sh (rounds alternating the modules) and prints the
# table of tools/bench/report.py: per-round medians, Rust/C ratios, the
# noise across rounds, and the .ko sizes. Then the same at scale (256
# adapters), unless BENCH_SCALE=0. Nothing here passes or fails on a time;
# the exit status says whether the runs completed.
#
# Settings (environment): BENCH_ROUNDS (default 3), BENCH_N (runs of a
# sysfs op per round, 21), BENCH_HOT (hot plug cycles, 5), BENCH_OTHERS
# (other mdevs, 64), BENCH_NORMAL (1; 0 skips the 16x16 run), BENCH_SCALE
# (1; 0 skips the scale run), BENCH_SCALE_ROUNDS (3), KDIR (the guest kernel
# build; default: the project's), BENCH_OUT (log directory).
source "$(dirname "$0")/../lib.sh"
cd "$VFIO_AP_TOP"
[ "${BENCH_NORMAL:-1}" != 0 ] || [ "${BENCH_SCALE:-1}" != 0 ] ||
	die "BENCH_NORMAL=0 and BENCH_SCALE=0: nothing to run"

if [ -z "${KDIR:-}" ]; then
	"$VFIO_AP_TOP/tools/bootstrap.sh"
	KDIR=$("$VFIO_AP_TOP/tools/kernel/build.sh")
fi
KDIR=$KDIR tools/build-module.sh >/dev/null || die "building vfio_ap.ko failed"
selftests/bench/tools/build.sh || die "building the bench helper failed"
OUT=${BENCH_OUT:-$VFIO_AP_CACHE/runs/bench-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"

# 16 adapters x 16 domains, ids up to 255: room for the other mdevs'
# domains and the relative mask syntax.
NORMAL=ap-emu,adapters=0-15,domains=0-15,adapter-type=cex7,adapter-mode=cca,max-adapter-id=255,max-domain-id=255
# 256 adapters, the emulation's largest count, with one domain (256 queues;
# more make the guest's boot and every module load slow under TCG); the
# measured mdev holds 254 of them. Domain ids only up to 3: the AP bus's
# scan looks every (adapter, domain id) pair up in its device list, so with
# 256 adapters and ids up to 255 one scan took minutes under TCG.
SCALE=ap-emu,adapters=0-255,domains=0,adapter-type=cex7,adapter-mode=cca,max-adapter-id=255,max-domain-id=3

# bench_vm LABEL AP-EMU ROUNDS TIMEOUT [RUN.PY-ARG...]
bench_vm() {
	log "bench: $1 ($3 rounds)"
	python3 tools/vm/run.py --module upstream --kdir "$KDIR" --out "$OUT/$1" \
		--stage "$VFIO_AP_TOP/vfio_ap.ko:/bench/vfio_ap.ko" \
		--qemu-arg=-device --qemu-arg="$2" --timeout "$4" \
		--append "bench.rounds=$3" --append "bench.n=${BENCH_N:-21}" \
		--append "bench.hot=${BENCH_HOT:-5}" \
		--append "bench.others=${BENCH_OTHERS:-64}" "${@:5}" \
		bench/bench.sh
}

# time_limit ROUNDS ROUND HOT: a guest's time limit in seconds, from the
# settings: a third more than ROUND seconds per module and round plus HOT
# per hot plug cycle (BENCH_HOT), and 10 minutes for the boot.
time_limit() {
	echo $((600 + 2 * $1 * ($2 + $3 * ${BENCH_HOT:-5}) * 4 / 3))
}

rc=0
runs=()
if [ "${BENCH_NORMAL:-1}" != 0 ]; then
	# About 5 minutes per module and round plus 4 for each hot plug cycle
	# (five bus scans of about 45 s).
	bench_vm normal "$NORMAL" "${BENCH_ROUNDS:-3}" "$(time_limit "${BENCH_ROUNDS:-3}" 300 250)" || rc=1
	runs+=("16 adapters x 16 domains, ${BENCH_OTHERS:-64} other mdevs=$OUT/normal")
fi
if [ "${BENCH_SCALE:-1}" != 0 ]; then
	# About 10 minutes per module and round plus 2.5 for each hot plug
	# cycle (five to seven bus scans of 10-15 s, and 60 s for a missed
	# notification).
	bench_vm scale "$SCALE" "${BENCH_SCALE_ROUNDS:-3}" \
		"$(time_limit "${BENCH_SCALE_ROUNDS:-3}" 600 150)" --append bench.fill=1 || rc=1
	runs+=("scale: 256 adapters x 1 domain (ids to 3), mdev with 254 adapters, ${BENCH_OTHERS:-64} other mdevs=$OUT/scale")
fi
python3 tools/bench/report.py "${runs[@]}" \
	--ko-c "$KDIR/drivers/s390/crypto/vfio_ap.ko" --ko-rust "$VFIO_AP_TOP/vfio_ap.ko" |
	tee "$OUT/report.txt" || rc=1
log "bench logs in $OUT"
exit $rc
