#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runner self-test: a failing test point. tools/test.sh expects the runner to
# report this run as failed.
. ./lib/vm.sh
plan 2
ok 0 "a passing test point"
ok 1 "a deliberately failing test point"
done_testing
