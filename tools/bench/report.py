#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Tabulates the benchmark's guest output (selftests/bench/bench.sh).

Reads the "# bench ROUND MODULE OP MEDIAN MIN MAX" lines from the tap.txt
of one or more VM runs (each a LABEL=DIR argument) and prints, per op: the
median of each round for both modules, the median over the rounds, the
Rust/C ratio of those, and the noise: the larger of the two modules' spread
across rounds, (max - min) / median of the per-round medians. A ratio
whose distance from 1 is within the noise is reported as such. Then the
sizes of both .ko files (--ko-c, --ko-rust).
"""

import argparse
import os
import re
import statistics
import subprocess
import sys

LINE = re.compile(r"# bench (\d+) (upstream|ours) (\S+) (\d+) (\d+) (\d+)\s*$")
# A hot plug change the guest did not show within the script's limit.
MISSED = re.compile(r"# bench-missed (\d+) (upstream|ours) (\S+)\s*$")


def fmt_ns(ns):
    if ns >= 10_000_000:
        return f"{ns / 1e6:.0f}ms"
    if ns >= 1_000_000:
        return f"{ns / 1e6:.1f}ms"
    if ns >= 10_000:
        return f"{ns / 1e3:.0f}us"
    return f"{ns / 1e3:.1f}us"


def spread(values):
    m = statistics.median(values)
    return (max(values) - min(values)) / m if m else 0.0


def table(label, path):
    """Prints the table of one run; returns its rows for the summary."""
    data = {}  # op -> module -> round -> median
    missed = {}  # (op, module) -> count
    # A run cut short has no tap.txt: its console log has the same lines.
    name = "tap.txt" if os.path.exists(os.path.join(path, "tap.txt")) else "console.log"
    with open(os.path.join(path, name), errors="replace") as f:
        for raw in f:
            m = MISSED.search(raw)
            if m:
                key = (m.group(3), m.group(2))
                missed[key] = missed.get(key, 0) + 1
                continue
            m = LINE.search(raw)
            if m:
                rnd, mod, op, med = int(m.group(1)), m.group(2), m.group(3), int(m.group(4))
                data.setdefault(op, {}).setdefault(mod, {})[rnd] = med
    if not data:
        print(f"{label}: no bench lines in {path}/{name}", file=sys.stderr)
        return None
    rounds = sorted({r for op in data.values() for mod in op.values() for r in mod})
    print(f"\n{label} ({len(rounds)} rounds; per-round medians, C | Rust)")
    head = f"{'op':26} {'C per round':>30} {'Rust per round':>30} {'C':>8} {'Rust':>8} {'R/C':>6} {'noise':>6}  verdict"
    print(head)
    print("-" * len(head))
    rows = []
    for op, mods in data.items():
        c = [mods.get("upstream", {}).get(r) for r in rounds]
        o = [mods.get("ours", {}).get(r) for r in rounds]
        c = [v for v in c if v is not None]
        o = [v for v in o if v is not None]
        if not c or not o:
            print(f"{op:26} (missing a module's results)")
            continue
        cm, om = statistics.median(c), statistics.median(o)
        ratio = om / cm if cm else float("inf")
        if len(c) < 2 or len(o) < 2:
            # One round measures no spread: no verdict.
            print(f"{op:26} {' '.join(fmt_ns(v) for v in c):>30} {' '.join(fmt_ns(v) for v in o):>30} "
                  f"{fmt_ns(cm):>8} {fmt_ns(om):>8} {ratio:6.2f} {'-':>6}  (one round: no noise measured)")
            rows.append((op, ratio, None, None))
            continue
        noise = max(spread(c), spread(o))
        if abs(ratio - 1) <= noise:
            verdict = "within noise"
        elif ratio > 1:
            verdict = "SLOWER"
        else:
            verdict = "faster"
        print(f"{op:26} {' '.join(fmt_ns(v) for v in c):>30} {' '.join(fmt_ns(v) for v in o):>30} "
              f"{fmt_ns(cm):>8} {fmt_ns(om):>8} {ratio:6.2f} {noise:6.2f}  {verdict}")
        rows.append((op, ratio, noise, verdict))
    for (op, mod), n in sorted(missed.items()):
        print(f"  {op}: {n} change(s) not shown in time with {'C' if mod == 'upstream' else 'Rust'}"
              " (left out of its times)")
    return rows


def code_size(ko):
    """Bytes of every executable (flag X) section: .text, .text.*,
    .init.text, .exit.text, .altinstr_replacement."""
    out = subprocess.run(["readelf", "-S", "-W", ko], check=True, capture_output=True,
                         text=True).stdout
    total = 0
    for line in out.splitlines():
        # [Nr] Name Type Address Off Size ES Flg Lk Inf Al
        m = re.match(r"\s*\[\s*\d+\]\s+(\S+)\s+\S+\s+\S+\s+\S+\s+([0-9a-f]+)\s+\S+\s+(\S+)", line)
        if m and "X" in m.group(3):
            total += int(m.group(2), 16)
    return total


def sizes(ko_c, ko_rust):
    print("\nModule sizes (size -A: .text, .data, .bss, .rodata; code: every executable"
          " section, .init.text and .exit.text included; Berkeley text: code and"
          " read-only data)")
    res = {}
    for name, ko in (("C", ko_c), ("Rust", ko_rust)):
        out = subprocess.run(["size", "-A", ko], check=True, capture_output=True, text=True).stdout
        sec = {}
        for line in out.splitlines():
            parts = line.split()
            if len(parts) >= 2 and parts[0].startswith(".") and parts[1].isdigit():
                sec[parts[0]] = int(parts[1])
        berk = subprocess.run(["size", ko], check=True, capture_output=True, text=True).stdout
        text = int(berk.splitlines()[1].split()[0])
        res[name] = (sec.get(".text", 0), sec.get(".data", 0), sec.get(".bss", 0),
                     sec.get(".rodata", 0), code_size(ko), text)
    print(f"{'':6} {'.text':>8} {'.data':>8} {'.bss':>8} {'.rodata':>8} {'code':>8} {'text':>8}")
    for name in ("C", "Rust"):
        print(f"{name:6} " + " ".join(f"{v:8d}" for v in res[name]))
    c, r = res["C"], res["Rust"]
    print(f"{'R/C':6} " + " ".join(f"{(b / a if a else 0):8.2f}" for a, b in zip(c, r)))


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("runs", nargs="+", help="LABEL=DIR: a VM run's log directory")
    p.add_argument("--ko-c", help="the C vfio_ap.ko")
    p.add_argument("--ko-rust", help="our vfio_ap.ko")
    a = p.parse_args()
    ok = True
    for spec in a.runs:
        label, _, path = spec.rpartition("=")
        if table(label, path) is None:
            ok = False
    if a.ko_c and a.ko_rust:
        sizes(a.ko_c, a.ko_rust)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
