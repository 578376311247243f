#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Prints the names of the failing test points of a VM run of this suite.

    selftests/vfio_ap/todo-from-run.py RUN_DIR

RUN_DIR is a --out directory of tools/vm/run.py (or a results directory of
tools/test.sh such as .../vfio_ap-ours) holding tap.txt. Failing points are
"not ok" lines, with or without the TODO directive. The output, in the
order of the run, is what todo-ours should list for our module (keep the
header comment of todo-ours when you replace its names).
"""
import os
import re
import sys

NOT_OK = re.compile(r"^not ok \d+ - (.*?)(?:\s+#\s*TODO\b.*)?$")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    seen = set()
    with open(os.path.join(sys.argv[1], "tap.txt")) as f:
        for line in f:
            _, _, tap = line.rstrip("\n").partition(": ")
            m = NOT_OK.match(tap)
            if m and m.group(1) not in seen:
                seen.add(m.group(1))
                print(m.group(1))


if __name__ == "__main__":
    main()
