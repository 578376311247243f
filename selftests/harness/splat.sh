#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runner self-test: every test point passes, but the kernel prints a
# backtrace. tools/test.sh expects the runner to report this run as failed.
. ./lib/vm.sh
plan 1
echo l >/proc/sysrq-trigger
ok $? "asked the kernel for a backtrace of all CPUs"
done_testing
