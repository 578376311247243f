# SPDX-License-Identifier: GPL-2.0
# Shared setup of the vfio_ap suite. Source after ./lib/vm.sh (the scripts
# run with /selftests as their working directory).
#
# The emulated host AP configuration the suite expects is in qemu.args:
#   adapters 05 and 06 (type 11, CEX5), usage and control domains 0x04,
#   0x47, 0xab, 0xff: the host of the worked example in
#   Documentation/s390/vfio-ap.rst; largest IDs 63 (adapters) and 255
#   (domains). The dynamic tests add adapter 07 and domain 0x0c through QMP
#   (and take them out again).
# Every script starts from: module not loaded, masks all ones, that
# configuration; and leaves the same state behind (suite_cleanup).

# Test names are unique in the suite (they key todo-ours and transcripts).
TAP_UNIQUE_NAMES=/tmp/vfio_ap-test-names

# Test points known to fail on our module (see todo-ours).
if [ "$VFIO_AP_MODULE" = ours ]; then
	TODO_LIST=./vfio_ap/todo-ours
fi

M=/sys/devices/vfio_ap/matrix
T=$M/mdev_supported_types/vfio_ap-passthrough
APB=/sys/bus/ap
VDRV=$APB/drivers/vfio_ap
ALL1=0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff
ZERO64=0000000000000000000000000000000000000000000000000000000000000000

# Fixed mdev UUIDs, so that transcripts of both modules compare.
U1=11111111-1111-4111-8111-111111111111
U2=22222222-2222-4222-8222-222222222222
U3=33333333-3333-4333-8333-333333333333
U4=44444444-4444-4444-8444-444444444444

# The eight queues of the documentation's example.
EXAMPLE_QUEUES="05.0004 05.0047 05.00ab 05.00ff 06.0004 06.0047 06.00ab 06.00ff"

# wr VALUE FILE: writes VALUE without a newline; prints OK or an errno name.
wr() {
	errno_name "$(write_attr "$1" "$2")"
}

# wrn VALUE FILE: the same with a trailing newline (what echo writes).
wrn() {
	errno_name "$(write_attr "$1$_nl" "$2")"
}

# rd FILE: the file's content, newlines as \n (see read_attr).
rd() {
	read_attr "$1"
}

# words: joins its input lines with single spaces.
words() {
	tr '\n' ' ' | sed 's/ *$//'
}

# bound: the queues bound to vfio_ap, sorted, on one line.
bound() {
	ls "$VDRV" 2>/dev/null | grep -E '^[0-9a-f]{2}\.[0-9a-f]{4}$' | sort | words
}

# queues: the AP queue devices the host has, sorted, on one line.
queues() {
	ls $APB/devices 2>/dev/null | grep -E '^[0-9a-f]{2}\.[0-9a-f]{4}$' | sort | words
}

# cards: the AP card devices the host has.
cards() {
	ls $APB/devices 2>/dev/null | grep -E '^card[0-9a-f]{2}$' | sort | words
}

# mdevs: the mdevs the vfio_ap type lists.
mdevs() {
	ls "$T/devices" 2>/dev/null | sort | words
}

# mdev_new UUID: creates an mdev; prints OK or the errno name.
mdev_new() {
	wrn "$1" "$T/create"
}

# mdev_rm UUID: removes an mdev; prints OK or the errno name.
mdev_rm() {
	wrn 1 "$M/$1/remove"
}

# masks_reset: both AP bus masks back to all ones (no mdev may hold a
# queue then). Prints OK or the errno names.
masks_reset() {
	a=$(wrn $ALL1 $APB/apmask)
	q=$(wrn $ALL1 $APB/aqmask)
	[ "$a$q" = OKOK ] && echo OK || echo "apmask $a aqmask $q"
}

# mask_bit MASK N: whether bit N (MSB0) of a 0x... mask string is set.
mask_bit() {
	_nib=$(echo "${1#0x}" | cut -c $(($2 / 4 + 1)))
	[ $((0x$_nib & (8 >> ($2 % 4)))) -ne 0 ]
}

# in_pool QUEUE: whether the queue is in the host's default pool
# (apmask x aqmask).
in_pool() {
	mask_bit "$(cat $APB/apmask)" $((0x${1%.*})) &&
		mask_bit "$(cat $APB/aqmask)" $((0x${1#*.}))
}

# expected_free: the queues outside the default pool, computed from the
# masks and the queue devices the host has: what vfio_ap must hold.
expected_free() {
	for _q in $(queues); do
		in_pool $_q || echo $_q
	done | words
}

# bind_free: binds every queue outside the default pool that has no driver
# to vfio_ap; prints OK or what failed. Needed after a mask change: the AP
# bus reprobes only queues that have a driver, and the test kernel has no
# default AP driver (CONFIG_ZCRYPT=n), so queues freed while vfio_ap is
# loaded stay unbound until told to bind (or vfio_ap is loaded again).
bind_free() {
	_r=OK
	for _q in $(queues); do
		[ "$(driver_of $_q)" = none ] || continue
		in_pool $_q && continue
		_e=$(wr $_q $VDRV/bind)
		[ "$_e" = OK ] || _r="bind $_q: $_e"
	done
	echo "$_r"
}

# free_example: gives the example's adapters and domains to vfio_ap with
# the relative mask syntax and binds them; prints OK or the errors.
free_example() {
	a=$(wrn -5,-6 $APB/apmask)
	q=$(wrn -4,-0x47,-0xab,-0xff $APB/aqmask)
	b=$(bind_free)
	[ "$a$q$b" = OKOKOK ] && echo OK || echo "apmask $a aqmask $q bind $b"
}

# dmesg_mark / dmesg_since: the kernel messages printed after the mark,
# without timestamps.
dmesg_mark() {
	_dmesg_mark=$(dmesg | wc -l)
}
dmesg_since() {
	dmesg | tail -n +$((_dmesg_mark + 1)) | sed 's/^\[[ 0-9.]*\] //'
}

# max_apid / max_apqi: the host's largest adapter and domain IDs.
max_apid() {
	cat $APB/ap_max_adapter_id
}
max_apqi() {
	cat $APB/ap_max_domain_id
}

# rescan: makes the AP bus rescan the configuration now (synchronous).
# A write to scans that finds a scan already running (the bus's periodic
# one, or the one a channel report started) waits for it and returns without
# scanning again; that scan may have read the AP configuration before the
# change. The second write starts after the first returned, so the scan it
# runs or waits for saw the change.
rescan() {
	echo 1 >$APB/scans
	echo 1 >$APB/scans
}

# --- The emulated AP configuration, changed through QMP on the host
# (QEMU's ap-emu device, tools/qemu).
# apcfg ACTION KIND ID: ACTION is add or remove, KIND adapters, domains or
# control-domains, ID a number. Prints OK or the QMP error. The AP bus
# rescans before it returns: QEMU also tells the guest (channel report),
# but the tests must not depend on when the guest acts on that.
apcfg() {
	_r=$(host qmp "{\"execute\": \"x-s390x-ap-config-$1\", \"arguments\": {\"$2\": [$3]}}")
	_rc=$?
	rescan
	if [ $_rc -eq 0 ]; then
		echo OK
	else
		echo "QMP error: $_r"
	fi
}

# --- Setup and cleanup of a script.

# suite_cleanup: removes every mdev, unloads the module, resets the masks.
# Also meant to be called by a script before its first test, in case an
# earlier script died half-way.
suite_cleanup() {
	for _d in $M/????????-????-????-????-????????????; do
		[ -d "$_d" ] && echo 1 >"$_d/remove" 2>/dev/null
	done
	for _d in $APB/devices/??.????; do
		[ -s "$_d/driver_override" ] && echo >"$_d/driver_override" 2>/dev/null
	done
	# vmtest.keep_module=1 on the kernel command line keeps the module
	# loaded from one script to the next (upstream's on the debug kernel:
	# its unload is followed by a release that runs in freed module text).
	if [ -d /sys/module/vfio_ap ] && [ "$VFIO_AP_KEEP_MODULE" != 1 ]; then
		unload_vfio_ap 2>/dev/null
	fi
	masks_reset >/dev/null
}

# driver_of QUEUE: the name of the driver the AP queue is bound to, or none.
driver_of() {
	if [ -e $APB/devices/$1/driver ]; then
		basename "$(readlink $APB/devices/$1/driver)"
	else
		echo none
	fi
}
