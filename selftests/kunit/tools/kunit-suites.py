#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Copy the core model's sources for the KUnit build, tests as KUnit suites.

usage: kunit-suites.py gen SRC OUT CASES SKIPS
       kunit-suites.py stack OBJECT SKIPS LIMIT

SRC is the driver's source directory (drivers/s390/crypto/vfio_ap); its
model.rs and model/*.rs are copied to OUT. In each copy, the unit test
module ("#[cfg(test)]" then "mod tests {" at the start of a line, up to the
next line "}", as rustfmt lays it out) becomes a KUnit suite named
vfio_ap_model_<file>, with one case per "#[test] fn NAME() {":

  - the test module imports crate::kunit_std as `std`, and gets assert! and
    assert_eq! that report to KUnit (as the kernel's #[kunit_tests] does,
    but also taking a message, which the tests use, and printing both sides
    of a failed assert_eq!);
  - each "#[test]" line is blanked (without the test harness rustc would
    drop the function) and a case function calls the test;
  - the suite's case table and registration close the module.

The tests' shared helpers, model/testutil.rs, take their `std` names
(`use std::...` lines) from crate::kunit_std too.

Lines are only replaced or appended, never inserted before test code, so
KUnit's failure lines name the source file's own line numbers. A file that
does not follow the layout fails the build rather than losing tests.

Writes the list of cases, "SUITE.CASE" a line, to CASES. Rewrites a copy
only when its content changes, so that make rebuilds only then.

A case whose test needs more stack than a KUnit case's kernel thread has
(16 KB on s390x, part of it KUnit's own) cannot run there: the model's
HostState alone is two 8 KB queue sets, which is why the tests keep it
boxed (model/testutil.rs). Such a case is reported to KUnit as skipped, with the stack it needs, and
never silently passes. "stack" measures each case in the built OBJECT: the
largest stack its function and the functions it calls (through the
object's call relocations) can take, from the frame each allocates in its
prologue; it rewrites SKIPS ("SUITE.CASE BYTES" a line: the cases above
LIMIT bytes) and exits 3 when that changed, after which "gen" and the
build run again. A skipped case's function still refers to its test (never
called, and not inlined), so the test stays compiled and is measured on
its own: one that comes to fit runs again.
"""

import os
import re
import subprocess
import sys

TEST_FN = re.compile(r"^    fn (\w+)\(\) \{$")


def die(msg):
    sys.exit(f"kunit-suites.py: {msg}")


def inject(suite, path):
    """The text put on the "mod tests {" line (one line: keeps numbering)."""
    loc = f'"{suite}", c"{path}", 0'
    return (
        " #[allow(unused_imports)] use crate::kunit_std as std;"
        " #[allow(unused_imports)] use crate::kunit_std::{SliceExt as _, StrExt as _};"
        " #[allow(unused_macros)] macro_rules! assert {"
        f" ($c:expr $(,)?) => {{ ::kernel::kunit_assert!({loc}, $c) }};"
        " ($c:expr, $($m:tt)+) => {{ let ok: bool = $c; if !ok {"
        " crate::kunit_std::failed(::core::stringify!($c), ::core::format_args!($($m)+)); }"
        f" ::kernel::kunit_assert!({loc}, ok) }}}}; }}"
        " #[allow(unused_macros)] macro_rules! assert_eq {"
        ' ($l:expr, $r:expr $(,)?) => { assert_eq!($l, $r, "") };'
        " ($l:expr, $r:expr, $($m:tt)+) => { match (&$l, &$r) { (l, r) => {"
        " let ok = *l == *r; if !ok { crate::kunit_std::failed_eq(::core::stringify!($l),"
        " ::core::stringify!($r), l, r, ::core::format_args!($($m)+)); }"
        f" ::kernel::kunit_assert!({loc}, ok) }} }} }}; }}"
    )


def suite_block(suite, cases, skips):
    out = [f"    // The KUnit suite {suite} (added by selftests/kunit/tools/kunit-suites.py)."]
    for c in cases:
        need = skips.get(f"{suite}.{c}")
        if need is None:
            out.append(f"    extern \"C\" fn kunit_case_{c}(_test: *mut ::kernel::bindings::kunit) {{")
            out.append(f"        {c}();")
            out.append("    }")
            continue
        why = f"needs {need} bytes of stack, more than a KUnit case's kernel thread has"
        out.append("    /// # Safety")
        out.append("    ///")
        out.append("    /// `test` must be the running case's `struct kunit`, as KUnit passes it.")
        out.append(f"    unsafe extern \"C\" fn kunit_case_{c}(test: *mut ::kernel::bindings::kunit) {{")
        # Through an opaque pointer: the test is not inlined (its frame
        # would be this function's), but stays compiled and measured.
        out.append(f"        let test_fn = ::core::hint::black_box({c} as fn());")
        out.append("        if ::core::hint::black_box(false) {")
        out.append("            test_fn();")
        out.append("        }")
        out.append("        // SAFETY: `test` is the running case's (this function's")
        out.append("        // requirement), as `skip` requires.")
        out.append(f"        unsafe {{ crate::skip(test, c\"{why}\") }};")
        out.append("    }")
    out.append(f"    static mut KUNIT_CASES: [::kernel::bindings::kunit_case; {len(cases) + 1}] = [")
    for c in cases:
        out.append(f"        ::kernel::kunit::kunit_case(c\"{c}\", kunit_case_{c}),")
    out.append("        ::pin_init::zeroed(),")
    out.append("    ];")
    out.append(f"    ::kernel::kunit_unsafe_test_suite!({suite}, KUNIT_CASES);")
    return out


def convert(text, name, path, skips):
    """Returns (new text, suite, cases) for one model file's source."""
    if name == "testutil":
        # The tests' shared helpers (test-only, no test module): their
        # `std` names come from the shim as well.
        text = text.replace("\nuse std::", "\nuse crate::kunit_std::")
    lines = text.split("\n")
    tests = [i for i, l in enumerate(lines) if l.strip() == "#[test]"]
    starts = [i for i, l in enumerate(lines) if l == "mod tests {"]
    if not tests and not starts:
        return text, None, []
    if len(starts) != 1 or starts[0] == 0 or lines[starts[0] - 1] != "#[cfg(test)]":
        die(f"{path}: want one '#[cfg(test)]' 'mod tests {{' at the start of a line")
    start = starts[0]
    end = next((i for i in range(start + 1, len(lines)) if lines[i] == "}"), None)
    if end is None:
        die(f"{path}: no line '}}' ends the test module")
    suite = f"vfio_ap_model_{name}"
    cases = []
    for i in tests:
        if not start < i < end or lines[i] != "    #[test]":
            die(f"{path}:{i + 1}: a #[test] outside the test module's top level")
        m = TEST_FN.match(lines[i + 1])
        if not m:
            die(f"{path}:{i + 2}: want 'fn NAME() {{' after #[test]")
        cases.append(m.group(1))
        lines[i] = ""
    if not cases:
        die(f"{path}: a test module without tests")
    lines[start] += inject(suite, path)
    lines[end:end] = suite_block(suite, cases, skips)
    return "\n".join(lines), suite, cases


def write_if_changed(path, text):
    try:
        with open(path) as f:
            if f.read() == text:
                return
    except OSError:
        pass
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


def read_skips(path):
    skips = {}
    try:
        with open(path) as f:
            for line in f:
                case, need = line.split()
                skips[case] = int(need)
    except FileNotFoundError:
        pass
    return skips


FUNC = re.compile(r"^[0-9a-f]+ <(.+)>:$")
PROBE = re.compile(r"\baghi\s+%r0, -(\d+)$")
ALLOC = re.compile(r"\b(?:aghi|agfi)\s+%r15, -(\d+)$|\blay\s+%r15, -(\d+)\(%r15\)$")
CALL = re.compile(r"R_390_PLT32DBL\s+(\S+?)(?:[+-]0x[0-9a-f]+)?$")


def case_path(symbol):
    """SUITE.CASE for the (v0-mangled) symbol of a case function or of a
    test function, or None."""
    at = symbol.find("5model")
    if not symbol.startswith("_RNv") or at < 0:
        return None
    at += len("5model")
    names = []
    while at < len(symbol) and symbol[at].isdigit():
        m = re.match(r"\d+", symbol[at:])
        n = int(m.group(0))
        at += len(m.group(0))
        names.append(symbol[at:at + n])
        at += n
    if at != len(symbol) or len(names) != 3 or names[1] != "tests":
        return None
    name = names[2].removeprefix("kunit_case_")
    return f"vfio_ap_model_{names[0]}.{name}"


def stack(obj, skips_file, limit):
    """Measures the cases' stack needs; rewrites SKIPS; 3 when it changed."""
    dump = subprocess.run([os.environ.get("OBJDUMP", "llvm-objdump"), "-dr", "--no-show-raw-insn",
                           obj], check=True, capture_output=True, text=True).stdout
    frame, calls, fn = {}, {}, None
    for line in dump.splitlines():
        m = FUNC.match(line)
        if m:
            fn, head, probe, alloc = m.group(1), True, 0, 0
            frame[fn], calls[fn] = 0, set()
            continue
        if fn is None:
            continue
        m = CALL.search(line)
        if m:
            calls[fn].add(m.group(1))
            head = False  # the prologue ends before the first call
            continue
        if not head or not line.strip() or line.startswith("\t\t"):
            continue
        # The prologue allocates the frame on %r15: at once, or 4 KB at a
        # time (each page probed), or, for a large frame, in a loop that
        # probes page by page down to %r0 (the bulk) followed by the rest.
        m = PROBE.search(line)
        if m:
            probe = int(m.group(1))
            continue
        m = ALLOC.search(line)
        if m:
            n = int(m.group(1) or m.group(2))
            if not (probe and n == 4096 and not alloc):
                alloc += n
            frame[fn] = probe + alloc
    need = {}

    def deepest(f, seen):
        if f in need:
            return need[f]
        if f not in frame or f in seen:
            return 0  # outside the object (the kernel's), or recursion
        seen.add(f)
        n = frame[f] + max((deepest(c, seen) for c in calls[f]), default=0)
        seen.discard(f)
        need[f] = n
        return n

    # A case's need: its case function's, or its test function's where
    # that is not inlined (a skipped case's); the cases found are those
    # with a case function.
    cases, found = {}, set()
    for f in frame:
        path = case_path(f)
        if path:
            cases[path] = max(cases.get(path, 0), deepest(f, set()))
            if "kunit_case_" in f:
                found.add(path)
    skips = {c: n for c, n in cases.items() if c in found and n > limit}
    if not found:
        die(f"{obj}: no KUnit case functions found")
    text = "".join(f"{c} {n}\n" for c, n in sorted(skips.items()))
    try:
        with open(skips_file) as f:
            old = f.read()
    except FileNotFoundError:
        old = ""
    if old == text:
        return 0
    write_if_changed(skips_file, text)
    return 3


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "stack":
        sys.exit(stack(sys.argv[2], sys.argv[3], int(sys.argv[4])))
    if len(sys.argv) != 6 or sys.argv[1] != "gen":
        die("usage: kunit-suites.py gen SRC OUT CASES SKIPS | stack OBJECT SKIPS LIMIT")
    src, out, cases_file, skips_file = sys.argv[2:]
    skips = read_skips(skips_file)
    rel = "drivers/s390/crypto/vfio_ap"
    all_cases = []
    files = ["model.rs"] + sorted(
        "model/" + f for f in os.listdir(os.path.join(src, "model")) if f.endswith(".rs"))
    for f in files:
        with open(os.path.join(src, f)) as fh:
            text = fh.read()
        name = os.path.splitext(os.path.basename(f))[0]
        new, suite, cases = convert(text, name, f"{rel}/{f}", skips)
        all_cases += [f"{suite}.{c}" for c in cases]
        write_if_changed(os.path.join(out, f), new)
    # Copies of files that left the model go too.
    for f in os.listdir(os.path.join(out, "model")):
        if f.endswith(".rs") and "model/" + f not in files:
            os.unlink(os.path.join(out, "model", f))
    if not all_cases:
        die(f"no unit tests found under {src}/model")
    write_if_changed(cases_file, "".join(c + "\n" for c in all_cases))


if __name__ == "__main__":
    main()
