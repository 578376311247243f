#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the console examples of Documentation/ into a VM test script.

Every ``.. code-block:: console`` in Documentation/**/*.rst must follow a
comment that says what to do with it:

``.. doc-example: run``
    Run it in the test VM. Lines starting with ``#`` are commands (a
    trailing backslash continues a command on the next line); the lines up
    to the next command are the output the document shows for it.
``.. doc-example: skip``
    Do not run it. The block must have a ``:caption:`` saying it is not run
    (and why: it needs a KVM guest, QEMU, libvirt, mdevctl, ...).

The run blocks of all documents, in file-name and then document order,
become one TAP script for tools/vm/run.py (busybox sh, in /selftests):
each command is one test point, passing when its output (stdout and
stderr) equals the document's after normalisation (see NORMALISATION).

  doctest.py           write selftests/docs/doc-examples.sh
  doctest.py --check   exit 1 if that file is not what the documents give
  doctest.py --list    print the test points (name, command, expected)
"""

import argparse
import glob
import os
import re
import sys

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOCS = os.path.join(TOP, "Documentation")
SCRIPT = os.path.join(TOP, "selftests/docs/doc-examples.sh")

MARKER = re.compile(r"^(\s*)\.\. doc-example:\s*(\S+)\s*$")
CONSOLE = re.compile(r"^(\s*)\.\. code-block::\s*console\s*$")
DIRECTIVE = re.compile(r"^\s*\.\. [A-Za-z-]+::")

NORMALISATION = """\
Before the comparison both sides are normalised in the same way:
 - "<anything>write error: " becomes "write error: " (bash says
   "bash: echo: write error: ...", busybox "sh: write error: ...");
 - a kernel log timestamp "[  12.345678] " at the start of a line is removed;
 - trailing blanks of each line and trailing empty lines are removed;
 - the output of a command that starts with "ls" is compared as the sorted
   list of its words (a terminal shows columns, a pipe one name a line).
"""


class DocError(Exception):
    pass


def normalise(lines, is_ls):
    """The document's side of the normalisation (the VM's is docs_norm)."""
    out = []
    for line in lines:
        line = re.sub(r"^.*write error: ", "write error: ", line)
        line = re.sub(r"^\[ *[0-9]+\.[0-9]+\] ", "", line)
        out.append(line.rstrip())
    if is_ls:
        out = sorted(w for line in out for w in line.split())
    while out and out[-1] == "":
        out.pop()
    return "\\n".join(out)


def blocks(path):
    """Yields (kind, line number, caption, [(line number, text)]) per console block."""
    with open(path) as f:
        lines = f.read().split("\n")
    rel = os.path.relpath(path, TOP)
    pending = None  # (kind, line number) of a marker waiting for its block
    i = 0
    while i < len(lines):
        line = lines[i]
        m = MARKER.match(line)
        if m:
            if pending:
                raise DocError(f"{rel}:{pending[1]}: doc-example marker without a console block")
            if m.group(2) not in ("run", "skip"):
                raise DocError(f"{rel}:{i + 1}: doc-example must be 'run' or 'skip'")
            pending = (m.group(2), i + 1)
            i += 1
            continue
        m = CONSOLE.match(line)
        if m:
            start = i + 1
            if not pending:
                raise DocError(f"{rel}:{start}: console block without a "
                               "'.. doc-example: run' or '.. doc-example: skip' comment before it")
            indent = len(m.group(1))
            i += 1
            # Options: indented lines right below the directive; a
            # caption may continue on more-indented lines.
            caption = []
            opt_indent = None
            current = None
            while i < len(lines) and lines[i].strip():
                opt = lines[i]
                if opt_indent is None:
                    opt_indent = len(opt) - len(opt.lstrip())
                if len(opt) - len(opt.lstrip()) == opt_indent and opt.lstrip().startswith(":"):
                    name, _, value = opt.strip()[1:].partition(":")
                    caption = [value.strip()] if name == "caption" else caption
                    current = name
                elif current == "caption":
                    caption.append(opt.strip())
                i += 1
            # Content: the indented lines after the blank line.
            content = []
            body_indent = None
            while i < len(lines):
                text = lines[i]
                if text.strip():
                    ind = len(text) - len(text.lstrip())
                    if ind <= indent:
                        break
                    if body_indent is None:
                        body_indent = ind
                    content.append((i + 1, text[body_indent:]))
                else:
                    content.append((i + 1, ""))
                i += 1
            while content and content[-1][1] == "":
                content.pop()
            while content and content[0][1] == "":
                content.pop(0)
            kind = pending[0]
            pending = None
            yield kind, start, " ".join(caption), content
            continue
        if pending and DIRECTIVE.match(line):
            raise DocError(f"{rel}:{pending[1]}: doc-example marker before a block that is not "
                           "'.. code-block:: console'")
        i += 1
    if pending:
        raise DocError(f"{rel}:{pending[1]}: doc-example marker without a console block")


def commands(rel, start, content):
    """Splits a run block into (line number, command, expected lines)."""
    out = []
    cur = None
    i = 0
    while i < len(content):
        lineno, line = content[i]
        if line == "#" or line.startswith("# "):
            cmd = line[2:]
            while cmd.endswith("\\"):
                i += 1
                if i >= len(content):
                    raise DocError(f"{rel}:{lineno}: continued command at the end of the block")
                cmd = cmd[:-1] + "\n" + content[i][1]
            cur = (lineno, cmd, [])
            out.append(cur)
        elif cur is None:
            raise DocError(f"{rel}:{start}: a run block must start with a '# command' line")
        else:
            cur[2].append(line)
        i += 1
    return out


def collect():
    """All test points: (name, file:line, command, expected, is_ls)."""
    points = []
    seen = {}
    skipped = 0
    for path in sorted(glob.glob(os.path.join(DOCS, "**/*.rst"), recursive=True)):
        rel = os.path.relpath(path, TOP)
        short = os.path.relpath(path, DOCS)
        for kind, start, caption, content in blocks(path):
            if kind == "skip":
                if "not run" not in caption.lower():
                    raise DocError(f"{rel}:{start}: a skipped console block needs a :caption: "
                                   "that says it is not run, and why")
                skipped += 1
                continue
            for line, cmd, want in commands(rel, start, content):
                is_ls = re.match(r"^ls(\s|$)", cmd) is not None
                base = "docs: " + short + ": " + " ".join(cmd.replace("#", "%").split())
                seen[base] = seen.get(base, 0) + 1
                name = base if seen[base] == 1 else f"{base} [{seen[base]}]"
                points.append((name, f"{rel}:{line}", cmd, normalise(want, is_ls), is_ls))
    return points, skipped


def sq(text):
    """Single-quotes text for sh."""
    return "'" + text.replace("'", "'\\''") + "'"


def generate(points):
    out = [
        "#!/bin/sh",
        "# SPDX-License-Identifier: GPL-2.0",
        "# GENERATED by tools/docs/doctest.py from the console examples of",
        "# Documentation/ marked '.. doc-example: run'. Do not edit: change the",
        "# document and run tools/docs/doctest.py (make test checks that this",
        "# file is up to date).",
        "#",
    ]
    out += ["# " + l if l else "#" for l in NORMALISATION.rstrip().split("\n")]
    out += [
        ". ./lib/vm.sh",
        ". ./vfio_ap/common.sh",
        "",
        "# Test points known to fail on our module.",
        'TODO_LIST=',
        '[ "$VFIO_AP_MODULE" = ours ] && TODO_LIST=./docs/todo-ours',
        "",
        "# docs_norm [ls]: the VM's side of the normalisation; joins the lines",
        "# with the two characters \\n.",
        "docs_norm() {",
        "\tsed -e 's/^.*write error: /write error: /' \\",
        "\t    -e 's/^\\[ *[0-9][0-9]*\\.[0-9][0-9]*\\] //' -e 's/[[:space:]]*$//' |",
        "\tif [ \"$1\" = ls ]; then tr -s ' \\t' '\\n\\n' | grep -v '^$' | sort; else cat; fi |",
        "\tawk '{ l[NR] = $0 } END { n = NR; while (n > 0 && l[n] == \"\") n--;"
        " for (i = 1; i <= n; i++) printf \"%s%s\", (i > 1 ? \"\\\\n\" : \"\"), l[i] }'",
        "}",
        "",
        "# With the kernel argument docs.session (run.py --append docs.session -v)",
        "# the session is also shown, as TAP comments \"# | \". Not by default: the",
        "# emulated console is slow.",
        "_dt_show=",
        "grep -qw docs.session /proc/cmdline && _dt_show=1",
        "",
        "# doc_example NAME LS COMMAND WANT: runs COMMAND in this shell (so that",
        "# variables set by the examples persist) and compares its output.",
        "doc_example() {",
        "\t{ eval \"$3\"; } >/tmp/doc-example.out 2>&1 </dev/null",
        "\tif [ -n \"$_dt_show\" ]; then",
        "\t\tprintf '%s\\n' \"$3\" | sed 's/^/# | # /'",
        "\t\tsed 's/^/# | /' /tmp/doc-example.out",
        "\tfi",
        "\texpect \"$1\" \"$(docs_norm \"$2\" </tmp/doc-example.out)\" \"$4\"",
        "}",
        "",
        f"plan {len(points)}",
        "suite_cleanup",
        "",
    ]
    for name, where, cmd, want, is_ls in points:
        out.append(f"# {where}")
        out.append(f"doc_example {sq(name)} {'ls' if is_ls else '-'} \\")
        out.append(f"\t{sq(cmd)} \\")
        out.append(f"\t{sq(want)}")
    out += [
        "",
        "suite_cleanup",
        "done_testing",
        "",
    ]
    return "\n".join(out)


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    g = p.add_mutually_exclusive_group()
    g.add_argument("--check", action="store_true",
                   help="fail if the generated script is missing or stale")
    g.add_argument("--list", action="store_true", help="print the test points")
    g.add_argument("-o", "--output", default=SCRIPT, help="where to write the script")
    a = p.parse_args()
    try:
        points, skipped = collect()
    except DocError as e:
        print(f"doctest: {e}", file=sys.stderr)
        return 1
    text = generate(points)
    if a.list:
        for name, where, cmd, want, _ in points:
            print(f"{where}: {name}\n    want: {want}")
        return 0
    if a.check:
        try:
            with open(SCRIPT) as f:
                current = f.read()
        except OSError:
            current = None
        if current != text:
            print(f"doctest: {os.path.relpath(SCRIPT, TOP)} is not up to date with "
                  "Documentation/: run tools/docs/doctest.py", file=sys.stderr)
            return 1
        print(f"doctest: {len(points)} examples run in the VM, {skipped} blocks marked not run; "
              f"{os.path.relpath(SCRIPT, TOP)} is up to date", file=sys.stderr)
        return 0
    os.makedirs(os.path.dirname(a.output), exist_ok=True)
    with open(a.output, "w") as f:
        f.write(text)
    os.chmod(a.output, 0o755)
    print(f"doctest: wrote {os.path.relpath(a.output, TOP)}: {len(points)} examples, "
          f"{skipped} blocks marked not run", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
