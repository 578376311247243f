#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Builds bench-ops, the guest helper of the benchmark (see bench-ops.c).
exec "$(dirname "$0")/../../lib/build-helpers.sh" "$(dirname "$0")"
