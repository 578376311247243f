#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Builds the HTML documentation from Documentation/ with a pinned Sphinx
# (tools/docs/requirements.txt, installed from PyPI into a venv in the
# cache). Warnings are errors (-W), and so are broken references (-n).
# Prints the path of the HTML index on stdout; exits non-zero on any warning.
# DOCS_OUT overrides the output directory (default: one per work tree under
# $VFIO_AP_CACHE/docs/, so that builds of two trees do not mix).
source "$(dirname "$0")/../lib.sh"

REQ=$VFIO_AP_TOP/tools/docs/requirements.txt
VENV=$VFIO_AP_CACHE/tools/docs-venv-$(cache_key "$REQ" "$(python3 --version 2>&1)")
OUT=${DOCS_OUT:-$VFIO_AP_CACHE/docs/tree-$(cache_key "$VFIO_AP_TOP")}

if ! "$VENV/bin/python3" -c 'import sphinx' 2>/dev/null; then
	log "installing Sphinx into $VENV"
	tmp=$VENV.tmp.$$
	rm -rf "$tmp"
	python3 -m venv "$tmp" || die "python3 -m venv failed (is python3-venv installed?)"
	# Every package is pinned in the file, so no dependency resolution
	# can pull in anything else.
	"$tmp/bin/pip" install -q --disable-pip-version-check --no-deps -r "$REQ" >&2 ||
		{ rm -rf "$tmp"; die "pip install of the pinned Sphinx failed"; }
	# Only a complete venv gets its final name; a build running at the
	# same time may have finished first. (Sphinx runs as "python3 -m
	# sphinx", so the scripts' #! lines, which keep the temporary path,
	# do not matter.)
	if "$VENV/bin/python3" -c 'import sphinx' 2>/dev/null; then
		rm -rf "$tmp"
	else
		rm -rf "$VENV"
		mv "$tmp" "$VENV"
	fi
fi

mkdir -p "$OUT"
# -E: read every file each time, so that warnings of unchanged files are
# never skipped; --keep-going: report all warnings, then fail.
"$VENV/bin/python3" -m sphinx -E -W -n --keep-going -q -b html \
	-d "$OUT/doctrees" "$VFIO_AP_TOP/Documentation" "$OUT/html" >&2 ||
	die "documentation build failed (warnings are errors)"
log "documentation built: $OUT/html/index.html"
printf '%s\n' "$OUT/html/index.html"
