#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runner self-test: every test point skips. A skip is not a pass: the
# runner must report this script as failed.
. ./lib/vm.sh
plan 2
skip "a skipped test point" "deliberately"
skip "another skipped test point" "deliberately"
done_testing
