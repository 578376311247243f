#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# An administrator's clients against the module under test: Debian
# bookworm's mdevctl 1.2.0 and s390-tools 2.16.0 lszcrypt (unpacked by
# tools/build.sh, copied over / here: they are dynamically linked and look
# for their loader, libraries and /etc/mdevctl.d at the usual places).
# Every command's exit status and output go to the transcript, which
# tools/test.sh compares between the two modules; the test points check
# what the administrator relies on.
# The emulated host (tools/qemu/ap-default.args): adapters 00 and 01 (CEX7,
# CCA), usage domains 0-3.
. ./lib/vm.sh

plan 30

TAP_UNIQUE_NAMES=/tmp/clients-test-names
U1=11111111-1111-4111-8111-111111111111
U2=22222222-2222-4222-8222-222222222222
U3=33333333-3333-4333-8333-333333333333
APB=/sys/bus/ap
MDEVS=/sys/bus/mdev/devices

cp -a ./clients/tools/root/* /
export PATH=/sbin:/usr/sbin:/bin:/usr/bin

# run NAME COMMAND...: runs a client; its exit status and output (stdout
# and stderr, newlines as \n) go to the transcript as NAME, the seconds it
# took to the TAP output as a comment; sets RC and OUT.
run() {
	_n=$1
	shift
	_t0=$(date +%s)
	OUT=$("$@" 2>&1)
	RC=$?
	transcript "$_n :: rc=$RC ${OUT//$_nl/\\n}"
	diag "$_n: $(($(date +%s) - _t0)) s"
}
_nl='
'

# attr UUID NAME: an mdev's sysfs attribute, newlines as spaces.
attr() {
	tr '\n' ' ' <"$MDEVS/$1/$2" 2>/dev/null | sed 's/ *$//'
}

run "mdevctl --version" mdevctl --version
expect "mdevctl is bookworm's 1.2.0" "$OUT" "mdevctl 1.2.0"

# lszcrypt before the queues move: no driver has them (the test kernel has
# no default AP driver).
run "lszcrypt -V before" lszcrypt -V
ok $RC "lszcrypt -V runs before the move"
echo "$OUT" | grep -q '^00\.0001 '
ok $? "lszcrypt -V lists queue 00.0001"
echo "$OUT" | grep -q 'vfio_ap'
[ $? -ne 0 ]
ok $? "lszcrypt -V names no vfio_ap queue before the move"

# Adapters 00 and 01, domains 0-3 leave the default pool; loading the
# module binds their queues to it.
echo -0,-1 >$APB/apmask && echo -0-3 >$APB/aqmask
ok $? "the queues leave the default pool (apmask, aqmask)"
check "modprobe vfio_ap" load_vfio_ap

run "lszcrypt -V after" lszcrypt -V
ok $RC "lszcrypt -V runs after the move"
n=$(echo "$OUT" | grep -cE '^0[01]\.000[0-3] .*vfio_ap')
expect "lszcrypt -V shows the 8 queues with driver vfio_ap" "$n" 8

run "mdevctl types" mdevctl types
echo "$OUT" | grep -q '^matrix$' && echo "$OUT" | grep -q 'vfio_ap-passthrough' &&
	echo "$OUT" | grep -q 'Device API: vfio-ap'
ok $? "mdevctl types lists matrix with vfio_ap-passthrough (vfio-ap API)"

# A persistent definition built with modify --addattr.
run "define U1" mdevctl define -u $U1 -p matrix -t vfio_ap-passthrough
ok $RC "mdevctl define"
run "addattr adapter" mdevctl modify -u $U1 --addattr=assign_adapter --value=0
run "addattr domain 1" mdevctl modify -u $U1 --addattr=assign_domain --value=1
run "addattr domain 2" mdevctl modify -u $U1 --addattr=assign_domain --value=2
run "addattr control" mdevctl modify -u $U1 --addattr=assign_control_domain --value=1
ok $RC "mdevctl modify --addattr (four attributes)"
run "list -d U1" mdevctl list -d -v -u $U1
[ "$(echo "$OUT" | grep -c 'assign_')" = 4 ]
ok $? "mdevctl list -d -v shows the four attributes"
run "start U1" mdevctl start -u $U1
ok $RC "mdevctl start of the defined mdev"
expect "U1 matrix after start" "$(attr $U1 matrix)" "00.0001 00.0002"
expect "U1 control domains after start" "$(attr $U1 control_domains)" "0001"
run "list active" mdevctl list
expect "mdevctl list shows the running U1" "$OUT" "$U1 matrix vfio_ap-passthrough manual (defined)"

# A transient mdev with its attributes from a JSON file.
cat >/tmp/u2.json <<'JSON'
{"mdev_type": "vfio_ap-passthrough", "start": "manual",
 "attrs": [{"assign_adapter": "1"}, {"assign_domain": "0"}]}
JSON
run "start transient U2" mdevctl start -u $U2 -p matrix --jsonfile /tmp/u2.json
ok $RC "mdevctl start of a transient mdev (--jsonfile)"
expect "U2 matrix after start" "$(attr $U2 matrix)" "01.0000"
run "list -d after transient" mdevctl list -d
echo "$OUT" | grep -q $U2
[ $? -ne 0 ]
ok $? "the transient mdev has no definition"
# define of a running mdev by UUID alone: what mdevctl 1.2.0 copies into
# the definition (the guide says so).
run "define running U2" mdevctl define -u $U2
ok $RC "mdevctl define of a running mdev by its UUID"
run "list -d -v U2" mdevctl list -d -v -u $U2
run "undefine U2" mdevctl undefine -u $U2

# A definition whose queue 00.0002 belongs to the running U1: the start
# fails on the kernel's refusal, and mdevctl removes the half-made mdev.
run "define U3" mdevctl define -u $U3 -p matrix -t vfio_ap-passthrough
run "addattr U3 adapter" mdevctl modify -u $U3 --addattr=assign_adapter --value=0
run "addattr U3 domain" mdevctl modify -u $U3 --addattr=assign_domain --value=2
run "start U3 conflicting" mdevctl start -u $U3
[ $RC -ne 0 ]
ok $? "mdevctl start of a conflicting assignment fails"
case $OUT in *"Address already in use"*) r=0 ;; *) r=1 ;; esac
ok $r "mdevctl reports the driver's EADDRINUSE"
test ! -e $MDEVS/$U3
ok $? "the conflicting mdev is not left behind"
expect "U1 matrix after the conflict" "$(attr $U1 matrix)" "00.0001 00.0002"

run "stop U2" mdevctl stop -u $U2
run "stop U1" mdevctl stop -u $U1
ok $RC "mdevctl stop"
test ! -e $MDEVS/$U1 && test ! -e $MDEVS/$U2
ok $? "no mdev left after stop"
run "undefine U1" mdevctl undefine -u $U1
run "undefine U3" mdevctl undefine -u $U3
ok $RC "mdevctl undefine"
run "list -d at the end" mdevctl list -d
expect "no definition left" "$OUT" ""

check "rmmod vfio_ap" unload_vfio_ap
echo +0-255 >$APB/apmask && echo +0-255 >$APB/aqmask
ok $? "masks restored"
done_testing
