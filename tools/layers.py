#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Checks that the files of a Rust module tree import each other one way.

Usage: layers.py DIR [PREFIX...]

Every top-level .rs file of DIR is a node (a file with a directory of
the same name, such as model.rs and model/, is one node with the files
below it). A path PREFIX + NAME in a file's code (comments left out) is
an edge to the node NAME. The default prefix is "crate::" (the driver's
files); rust/ takes "super::" and "crate::abstractions::". Prints each
node's dependencies, lowest layer first, and exits 1 naming every
cycle.
"""

import pathlib
import re
import sys


def code(path):
    """The text of a file without its comments and string literals."""
    text = path.read_text()
    text = re.sub(r'"(\\.|[^"\\])*"', '""', text)
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r"//.*", "", text)


def names(text, prefix):
    """The names a text reaches through prefix: prefix NAME and the
    top-level names of a group prefix {A, B::c, ...}."""
    p = re.escape(prefix)
    found = set(re.findall(p + r"(\w+)", text))
    for m in re.finditer(p + r"\{", text):
        depth, i, start = 1, m.end(), m.end()
        parts = []
        while depth and i < len(text):
            c = text[i]
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
            elif c == "," and depth == 1:
                parts.append(text[start:i])
                start = i + 1
            i += 1
        parts.append(text[start : i - 1])
        for part in parts:
            w = re.match(r"\s*(\w+)", part)
            if w:
                found.add(w.group(1))
    return found


def graph(root, prefixes):
    nodes = {}
    for f in sorted(root.glob("*.rs")):
        files = [f]
        sub = root / f.stem
        if sub.is_dir():
            files += sorted(sub.rglob("*.rs"))
        nodes[f.stem] = files
    edges = {}
    for n, files in nodes.items():
        deps = set()
        for f in files:
            text = code(f)
            for p in prefixes:
                deps |= names(text, p)
        edges[n] = sorted(d for d in deps if d in nodes and d != n)
    return edges


def cycles(edges):
    """The strongly connected components with more than one node."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def layers(edges):
    """Each node's layer: 0 for no dependency, else one above its
    highest dependency (only meaningful without cycles)."""
    level = {}

    def of(v, seen=()):
        if v not in level:
            level[v] = 1 + max((of(w, seen + (v,)) for w in edges[v] if w not in seen), default=-1)
        return level[v]

    for v in edges:
        of(v)
    return level


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    root = pathlib.Path(sys.argv[1])
    edges = graph(root, sys.argv[2:] or ["crate::"])
    found = cycles(edges)
    if found:
        for c in found:
            print(f"{root}: import cycle among {', '.join(c)}")
            for v in c:
                print(f"  {v} -> {', '.join(w for w in edges[v] if w in c)}")
        sys.exit(1)
    level = layers(edges)
    for v in sorted(edges, key=lambda v: (level[v], v)):
        print(f"{level[v]} {v} -> {', '.join(edges[v]) or '-'}")


if __name__ == "__main__":
    main()
