#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runner self-test: the script believes the other module is under test
# (set after lib/vm.sh's own check of the file modprobe resolves), so
# load_vfio_ap finds the wrong vfio_ap loaded. The runner must report this
# script as failed.
. ./lib/vm.sh
case $VFIO_AP_MODULE in
ours) VFIO_AP_MODULE=upstream ;;
*) VFIO_AP_MODULE=ours ;;
esac
plan 2
ok 0 "a passing test point"
check "vfio_ap loads, as the wrong module" load_vfio_ap
done_testing
