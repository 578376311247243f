# SPDX-License-Identifier: GPL-2.0
# Shell library for test scripts that run inside the test VM. Source it.
#
# TAP output:   plan N; ok COND "description"; skip "description" "why"
# Host steps:   host qmp '{"execute": ...}'  (prints the reply's JSON)
# Transcript:   transcript "line"  (normalized record compared between modules)
# Module:       load_vfio_ap / unload_vfio_ap load the module under test.
#               Sourcing this file checks that the vfio_ap.ko modprobe
#               resolves is the one under test ($VFIO_AP_MODULE, from the
#               runner's vmtest.module=), and load_vfio_ap checks the loaded
#               one; a mismatch bails out (a failed run, never a silent one).
# Names:        TAP_UNIQUE_NAMES=FILE records test names in FILE and fails a
#               test point whose name was used before (in this VM run).
# Known gaps:   TODO_LIST=FILE makes ok/check/expect mark the test points
#               named in FILE (one name a line, '#' comments) with TAP's
#               "# TODO" directive: a failing one is reported, not failing
#               the run; a passing one fails the run (the list is stale).
# Skips:        skip NAME WHY: TAP's "# SKIP", counted as skipped, never as
#               passed; a script whose points all skip fails.
# Checks:       expect NAME GOT WANT (compares, records "NAME :: GOT" in the
#               transcript); read_attr FILE (content with newlines as \n);
#               errno_name TEXT (strerror text to EINVAL, ENODEV, ...).

_tap_n=0
_tap_fail=0
_host_seq=0

plan() {
	echo "TAP version 13"
	echo "1..$1"
}

# is_todo NAME: whether NAME is listed in $TODO_LIST.
is_todo() {
	[ -n "$TODO_LIST" ] && [ -f "$TODO_LIST" ] && grep -qxF -- "$1" "$TODO_LIST"
}

# ok STATUS DESCRIPTION: STATUS is a shell exit code (0 = pass).
# A test point listed in $TODO_LIST gets the "# TODO" directive: failing,
# it is a known gap; passing, the runner fails the run until the name is
# taken off the list.
ok() {
	_tap_n=$((_tap_n + 1))
	if [ -n "$TAP_UNIQUE_NAMES" ]; then
		# Names key todo lists and transcripts: a repeated one fails.
		if grep -qxF -- "$2" "$TAP_UNIQUE_NAMES" 2>/dev/null; then
			_tap_fail=$((_tap_fail + 1))
			echo "not ok $_tap_n - $2"
			echo "# test name used twice: $2"
			return
		fi
		echo "$2" >>"$TAP_UNIQUE_NAMES"
	fi
	if is_todo "$2"; then
		if [ "$1" -eq 0 ]; then
			echo "ok $_tap_n - $2 # TODO listed as a known gap, but it passes"
			echo "# stale TODO: remove it from $TODO_LIST: $2"
		else
			echo "not ok $_tap_n - $2 # TODO known gap (listed in $TODO_LIST)"
		fi
	elif [ "$1" -eq 0 ]; then
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

# write_attr VALUE FILE: writes VALUE (no newline added) to a sysfs file in
# one write and prints OK, or the error text of the failed write (e.g.
# "Invalid argument"). (The shell's echo reports write errors; its printf
# does not.)
write_attr() {
	if _e=$(echo -n "$1" 2>&1 >"$2"); then
		echo OK
	else
		echo "${_e##*: }"
	fi
}

# errno_name TEXT: the errno name for a strerror text (as write_attr and
# most tools print it); other text is printed unchanged.
errno_name() {
	case $1 in
	OK) echo OK ;;
	"Operation not permitted") echo EPERM ;;
	"No such file or directory"|"nonexistent directory") echo ENOENT ;;
	"Input/output error"|"I/O error") echo EIO ;;
	"Bad file descriptor") echo EBADF ;;
	"Resource temporarily unavailable") echo EAGAIN ;;
	"Out of memory"|"Cannot allocate memory") echo ENOMEM ;;
	"Permission denied") echo EACCES ;;
	"Bad address") echo EFAULT ;;
	"Device or resource busy"|"Resource busy") echo EBUSY ;;
	"File exists") echo EEXIST ;;
	"No such device") echo ENODEV ;;
	"Invalid argument") echo EINVAL ;;
	"Numerical result out of range"|"Result not representable") echo ERANGE ;;
	"Too many users") echo EUSERS ;;
	"Operation not supported"|"Not supported") echo EOPNOTSUPP ;;
	"Address already in use") echo EADDRINUSE ;;
	"Cannot assign requested address"|"Address not available") echo EADDRNOTAVAIL ;;
	"No such device or address") echo ENXIO ;;
	*) echo "$1" ;;
	esac
}

# read_attr FILE: prints the file's content with each newline written as
# the two characters \n (so trailing newlines and empty files show), or
# <ENOENT>-style errno names in angle brackets when it cannot be read.
read_attr() {
	if _c=$(cat "$1" 2>/tmp/.read_attr.err; _r=$?; echo .; exit $_r); then
		_c=${_c%.}
		printf '%s\n' "${_c//$_nl/\\n}"
	else
		_e=$(cat /tmp/.read_attr.err)
		echo "<$(errno_name "${_e##*: }")>"
	fi
}
_nl='
'

# expect NAME GOT WANT: one test point, passing when GOT equals WANT; the
# transcript gets "NAME :: GOT", and a failure shows both values.
expect() {
	transcript "$1 :: $2"
	if [ "$2" = "$3" ]; then
		ok 0 "$1"
	else
		ok 1 "$1"
		diag "  want: $3"
		diag "  got:  $2"
	fi
}

# bail_out WHY: TAP's bail-out (the runner fails the script), then exit.
# Goes to the console itself, so that it also works inside $(...) or with
# the output redirected.
bail_out() {
	echo "Bail out! $*" >/dev/console
	exit 1
}

# Which vfio_ap.ko is which: ours is built out of tree, so its modinfo has
# no "intree" tag, the runner installs it under updates/, and the kernel
# marks it with the O (out-of-tree) taint flag when it loads it. The
# upstream one is the kernel's own: intree=Y, under kernel/, no O flag.

# vfio_ap_file_identity: the module modprobe would load: ours, upstream,
# none, or "unknown (...)".
vfio_ap_file_identity() {
	_f=$(modinfo -n vfio_ap 2>/dev/null)
	if [ -z "$_f" ]; then
		echo none
		return
	fi
	_t=$(modinfo -F intree vfio_ap 2>/dev/null)
	case "$_t:$_f" in
	:*/updates/vfio_ap.ko*) echo ours ;;
	Y:*/kernel/drivers/s390/crypto/vfio_ap.ko*) echo upstream ;;
	*) echo "unknown (file $_f, intree '$_t')" ;;
	esac
}

# vfio_ap_loaded_identity: the loaded module: ours, upstream or none.
vfio_ap_loaded_identity() {
	if [ ! -d /sys/module/vfio_ap ]; then
		echo none
		return
	fi
	case $(cat /sys/module/vfio_ap/taint) in
	*O*) echo ours ;;
	*) echo upstream ;;
	esac
}

# require_module_under_test: bails out unless modprobe resolves vfio_ap to
# the module under test.
require_module_under_test() {
	_id=$(vfio_ap_file_identity)
	[ "$_id" = "$VFIO_AP_MODULE" ] ||
		bail_out "modprobe resolves vfio_ap to $_id, but the module under test is '$VFIO_AP_MODULE'"
}

load_vfio_ap() {
	modprobe vfio_ap || return
	_id=$(vfio_ap_loaded_identity)
	if [ "$_id" != "$VFIO_AP_MODULE" ]; then
		rmmod vfio_ap 2>/dev/null
		bail_out "the loaded vfio_ap is $_id, but the module under test is '$VFIO_AP_MODULE'"
	fi
}

unload_vfio_ap() {
	rmmod vfio_ap
}

require_module_under_test
