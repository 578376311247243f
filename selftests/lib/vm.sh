# SPDX-License-Identifier: GPL-2.0
# Shell library for test scripts that run inside the test VM. Source it.
#
# TAP output:   plan N; ok COND "description"; skip "description" "why"
# Host steps:   host qmp '{"execute": ...}'  (prints the reply's JSON)
# Transcript:   transcript "line"  (normalized record compared between modules)
# Module:       load_vfio_ap / unload_vfio_ap load the module under test.

_tap_n=0
_tap_fail=0
_host_seq=0

plan() {
	echo "TAP version 13"
	echo "1..$1"
}

# ok STATUS DESCRIPTION: STATUS is a shell exit code (0 = pass).
ok() {
	_tap_n=$((_tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $_tap_n - $2"
	else
		_tap_fail=$((_tap_fail + 1))
		echo "not ok $_tap_n - $2"
	fi
}

# check DESCRIPTION COMMAND...: runs the command, reports it as one test.
check() {
	_d=$1
	shift
	"$@"
	ok $? "$_d"
}

skip() {
	_tap_n=$((_tap_n + 1))
	echo "ok $_tap_n - $1 # SKIP $2"
}

diag() {
	echo "# $*"
}

# Exit status for the end of a test script.
done_testing() {
	[ "$_tap_fail" -eq 0 ]
}

transcript() {
	echo "@@T@@ $*"
}

# host VERB ARGS...: asks the host runner to do something (e.g. a QMP
# command) and waits for its answer. Talks to the console directly, so it
# also works inside $(...).
host() {
	_host_seq=$((_host_seq + 1))
	echo "@@HOST@@ $_host_seq $*" >/dev/console
	while IFS= read -r _l </dev/console; do
		case $_l in
		"@@ACK@@ $_host_seq "*) break ;;
		esac
	done
	_l=${_l#"@@ACK@@ $_host_seq "}
	_rc=${_l%% *}
	printf '%s\n' "${_l#* }"
	return "$_rc"
}

# write_attr VALUE FILE: writes VALUE (no newline added) to a sysfs file and
# prints OK, or the error text of the failed write (e.g. "Invalid argument").
write_attr() {
	if _e=$(printf '%s' "$1" 2>&1 >"$2"); then
		echo OK
	else
		echo "${_e##*: }"
	fi
}

load_vfio_ap() {
	modprobe vfio_ap
}

unload_vfio_ap() {
	rmmod vfio_ap
}
