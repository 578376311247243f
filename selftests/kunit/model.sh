#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The core model's unit tests on the target (s390x, big-endian): loads
# vfio_ap_model_kunit.ko (built by tools/build.sh), whose KUnit suites (one
# per model file, one case per unit test) run while it loads, and turns
# KUnit's report in the kernel log into one test point per case: a
# failing case is "not ok" (with KUnit's diagnostics), a skipped one
# "# SKIP" with KUnit's reason, and a case in ./kunit/cases (every test
# the module was built with) that KUnit did not report fails.
. ./lib/vm.sh

KO=./kunit/vfio_ap_model_kunit.ko
CASES=./kunit/cases
echo "TAP version 13"

mark="vfio_ap_model_kunit: run $$ $(cat /proc/uptime)"
echo "$mark" >/dev/kmsg
check "kunit: vfio_ap_model_kunit.ko loads" insmod $KO
# KUnit's report: the kernel log after the mark, without timestamps.
dmesg | sed 's/^\[[ 0-9.]*\] //' | awk -v mark="$mark" 'seen; $0 == mark { seen = 1 }' \
	>/tmp/kunit.log
grep -q '^    # Subtest: vfio_ap_model_' /tmp/kunit.log
ok $? "kunit: KUnit ran the module's suites"
if ! grep -q '^    # Subtest: ' /tmp/kunit.log; then
	diag "no KUnit suite in the kernel log (needs kunit.enable=1 kunit.autorun=1); the log:"
	sed 's/^/# /' /tmp/kunit.log | head -n 20
fi

# One line per case result, "STATUS SUITE.CASE [SKIP REASON]", and the
# lines KUnit printed for a case (a failure's diagnostics) as "# ...".
awk '
	/^    # Subtest: / { suite = $3; next }
	/^    # module: / || /^    1\.\./ || /^    KTAP version/ { next }
	/^ +# ([^ ]+\.)?speed: / { next }
	/^    (ok|not ok) [0-9]+ / {
		st = ($1 == "ok") ? "ok" : "fail"
		i = (st == "ok") ? 3 : 4
		name = $i
		rest = ""
		for (j = i + 1; j <= NF; j++) rest = rest " " $j
		if (st == "ok" && rest ~ /^ # SKIP/) { st = "skip"; sub(/^ # SKIP ?/, "", rest) }
		print st " " suite "." name " " rest
		next
	}
	suite != "" && /^    / { print "# " $0 }
	/^(ok|not ok) [0-9]+ / { suite = "" }
' /tmp/kunit.log >/tmp/kunit.results

: >/tmp/kunit.reported
while IFS= read -r line; do
	case $line in
	"# "*)
		echo "$line"
		continue
		;;
	esac
	set -- $line
	st=$1
	name=$2
	shift 2
	echo "$name" >>/tmp/kunit.reported
	case $st in
	ok) ok 0 "kunit: $name" ;;
	skip) skip "kunit: $name" "$*" ;;
	*) ok 1 "kunit: $name" ;;
	esac
done </tmp/kunit.results

# Every case the module was built with must have been reported.
awk 'NR == FNR { seen[$0] = 1; next } !($0 in seen)' /tmp/kunit.reported $CASES \
	>/tmp/kunit.missing
while IFS= read -r name; do
	ok 1 "kunit: $name"
	diag "  KUnit did not report this case (crashed or never run)"
done </tmp/kunit.missing

check "kunit: vfio_ap_model_kunit.ko unloads" rmmod vfio_ap_model_kunit
echo "1..$_tap_n"
done_testing
