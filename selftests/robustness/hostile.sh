#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Hostile input: tools/hostile writes generated input (random bytes, NULs,
# non-ASCII, long strings, numbers around every limit with signs, bases
# and blanks, masks and ap_config with wrong field counts and lengths,
# UUIDs right and wrong) to every writable attribute: an mdev's six
# assign/unassign files and ap_config, the AP bus apmask and aqmask and the
# type's create. It checks after each write that a refused one changed
# nothing and undoes an accepted one. The transcript gets, per attribute,
# the number of writes, the count of each errno and a hash of the errno
# sequence, so that the comparison of both modules' transcripts fails on
# any input answered differently; the full sequence (one letter per write)
# is in the console log, "record" lines, to find the input.
. ./lib/vm.sh
. ./robustness/common.sh

ATTRS="assign_adapter unassign_adapter assign_domain unassign_domain assign_control_domain
unassign_control_domain ap_config apmask aqmask create"
# Writes per attribute: 300 in make test (each costs about 10 ms of a TCG
# guest on an idle machine, three times that on a loaded one), 10,000
# with VFIO_AP_SOAK=1 (make soak); robustness.writes=N on the kernel
# command line for another count.
COUNT=$(length writes 300 10000)
SEED=20261202

plan 23
suite_cleanup
expect "hostile: setup" "$(split_setup)" OK
state() {
	for f in matrix guest_matrix control_domains ap_config; do rd $M/$U1/$f; done
	rd $M/$U2/ap_config
	rd $APB/apmask
	rd $APB/aqmask
}
before=$(state | words)
start=$(date +%s)
# The full record and the summaries go to the console log too, for
# diagnosis (TAP comments).
rc=$({ ./robustness/tools/hostile $SEED $COUNT $U1 $U2; echo $? >/tmp/hostile.rc; } |
	tee /tmp/hostile.out >/dev/console; cat /tmp/hostile.rc)
diag "hostile: $(($(date +%s) - start)) s for $COUNT writes on each attribute"
expect "hostile: the helper ran to the end" "$rc" 0
expect "hostile: no refused write changed the state, every accepted one was undone" \
	"$(grep -E '^# (changed|unrestored)' /tmp/hostile.out)" ""
expect "hostile: the state at the end is the state before" "$(state | words)" "$before"
for a in $ATTRS; do
	s=$(grep "^# summary $a " /tmp/hostile.out)
	s=${s#\# }
	# The full summary goes to the transcript: its errno counts and hash
	# must be the same for both modules.
	transcript "hostile: $a :: ${s#summary $a }"
	n=$(echo "$s" | sed -n 's/^summary [a-z_]* writes \([0-9]*\) .*/\1/p')
	[ "${n:-0}" -eq $COUNT ]
	ok $? "hostile: $a: $COUNT writes"
	diag "$s"
done
# The inputs are deterministic: the same seed gives the same sequence
# (a second, short run on one attribute must repeat the first's record).
./robustness/tools/hostile $SEED 200 $U1 $U2 assign_adapter >/tmp/hostile2.out
first=$(grep -E '^# record assign_adapter (0|100):' /tmp/hostile.out)
again=$(grep -E '^# record assign_adapter (0|100):' /tmp/hostile2.out)
expect "hostile: the same seed gives the same errno record" \
	"$([ -n "$first" ] && [ "$first" = "$again" ] && echo same)" same
# Every kind of refusal the attributes have is exercised (the setup must
# let the input reach past the parser).
for e in EINVAL ERANGE ENODEV EADDRNOTAVAIL EADDRINUSE EBUSY EEXIST; do
	grep -q "^# summary .* $e=" /tmp/hostile.out
	ok $? "hostile: some input is refused with $e"
done
suite_cleanup
expect "hostile: cleanup" "$(mdevs)$([ -d /sys/module/vfio_ap ] && echo ' loaded')" ""
done_testing
