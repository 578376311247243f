#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Load/unload cycles: load, two mdevs with adapters, domains and control
# domains assigned, then the unload, in turn after removing the mdevs, with
# the mdevs present, and with writers busy on the mdevs' attributes. Every
# unload must succeed, as it does with the upstream module. The slab caches
# and the vmalloc areas in use are counted after a warm-up, half-way and at
# the end: a cache that grows in both halves by half an object per cycle or
# more is a leak per cycle.
#
# The number of cycles comes from the kernel command line,
# lifecycle.cycles=N (even, at least 8: fewer leave too few cycles per half
# to tell a leak from noise; make soak passes 100), default 12.
. ./lib/vm.sh
. ./vfio_ap/common.sh

# This suite's own names and no known gaps.
TAP_UNIQUE_NAMES=/tmp/lifecycle-test-names
TODO_LIST=

CYCLES=12
for _a in $(cat /proc/cmdline); do
	case $_a in
	lifecycle.cycles=*) CYCLES=${_a#*=} ;;
	esac
done
case $CYCLES in
'' | *[!0-9]*) bail_out "lifecycle.cycles=$CYCLES is not a number" ;;
esac
[ "$CYCLES" -ge 8 ] && [ $((CYCLES % 2)) -eq 0 ] ||
	bail_out "lifecycle.cycles=$CYCLES: want an even number, at least 8"
HALF=$((CYCLES / 2))

plan 10
suite_cleanup
# setup: the example's adapters and domains out of the host's default
# pool (the AP bus masks stay when the module goes), with the module
# loaded for the binding and unloaded again. Prints OK or what failed.
setup() {
	load_vfio_ap || { echo "load failed"; return; }
	_r=$(free_example)
	rmmod vfio_ap || _r="$_r, unload failed"
	echo "$_r"
}
expect "lifecycle: setup frees the example's queues" "$(setup)" OK

# settle: lets deferred frees run (RCU callbacks, kfree_rcu batches,
# delayed work), then drops reclaimable caches and shrinks every slab
# cache.
settle() {
	sleep 6
	echo 3 >/proc/sys/vm/drop_caches
	for _c in /sys/kernel/slab/*; do
		[ -L "$_c" ] || echo 1 >"$_c/shrink" 2>/dev/null
	done
}

# snapshot FILE: "cache objects" for every slab cache, and the memory
# counters of /proc/meminfo (in kB) as pseudo caches "meminfo:NAME". FILE.sites
# gets "cache@site objects": the objects by the call that allocated them.
# The objects are counted off each cache's alloc_traces (debugfs), which
# walks every slab of the cache: the guest boots with slab_debug=FU
# (kernel.args), under which SLUB records the caller of every allocation
# and keeps every slab on a list. /proc/slabinfo is no count of objects in
# use: kmalloc-128 moved by over 100 between snapshots in which its
# alloc_traces did not change.
snapshot() {
	settle
	for _t in /sys/kernel/debug/slab/*/alloc_traces; do
		_c=${_t%/alloc_traces}
		_c=${_c##*/}
		# Not the VFS's own caches (dentry, inodes): sysfs lookups of the
		# test itself move them, on either module, whatever the driver does.
		# Nor vmap_area: the kernel frees vmalloc areas lazily, in batches
		# (each cycle's module load and unload makes some), and keeps
		# their vmap_area objects until then: it grew by 10 and 16 in the
		# halves of a run of a correct module. The vmalloc areas in use
		# are counted instead, as the pseudo cache "vmalloc", by caller.
		case $_c in dentry | *inode* | vmap_area) continue ;; esac
		awk -v c="$_c" '/^ *[0-9]+ / { n[$2] += $1 }
			END { for (s in n) print c "@" s, n[s] }' "$_t"
	done >"$1.sites"
	# Areas freed but not yet purged are listed as "unpurged vm_area".
	awk '/^0x/ && !/unpurged/ { n[$3]++ } END { for (s in n) print "vmalloc@" s, n[s] }' \
		/proc/vmallocinfo >>"$1.sites"
	sort -o "$1.sites" "$1.sites"
	{
		awk '{ sub("@.*", "", $1); n[$1] += $2 }
			END { for (c in n) print c, n[c] }' "$1.sites"
		awk '/^(MemFree|Slab|SUnreclaim):/ { sub(":", "", $1); print "meminfo:" $1, $2 }' /proc/meminfo
	} | sort >"$1"
}

# writers_start / writers_stop: background loops writing the mdevs'
# assignment and ap_config attributes and reading their views, as long as
# the files are there.
WRITERS=
writers_start() {
	for _w in "$U1 adapter 6" "$U1 domain 0x47" "$U2 control_domain 0xab" "$U2 domain 0xff"; do
		set -- $_w
		(
			while [ -e "$M/$1/assign_$2" ]; do
				echo "$3" >"$M/$1/assign_$2"
				echo "$3" >"$M/$1/unassign_$2"
			done
		) 2>/dev/null &
		WRITERS="$WRITERS $!"
	done
	(
		while [ -e "$M/$U1/ap_config" ]; do
			_c=$(cat "$M/$U1/ap_config") && echo "$_c" >"$M/$U1/ap_config"
			cat "$M/$U2/matrix" "$M/$U2/guest_matrix" "$M/$U2/control_domains"
		done
	) >/dev/null 2>&1 &
	WRITERS="$WRITERS $!"
}
writers_stop() {
	for _p in $WRITERS; do
		kill "$_p" 2>/dev/null
		wait "$_p" 2>/dev/null
	done
	WRITERS=
}

# unload_result: unloads the module; prints OK or the errno name.
unload_result() {
	if _e=$(rmmod vfio_ap 2>&1); then
		echo OK
	else
		errno_name "${_e##*: }"
	fi
}

# cycle N: one load/unload cycle; the unload after removing the mdevs
# (N % 3 == 0), with the mdevs present (1) or with writers running (2).
# Prints what went wrong, nothing when all went well. The counters of
# refused unloads are in files, since the cycle runs in a subshell.
cycle() {
	_why=
	load_vfio_ap || { echo "cycle $1: load failed"; return; }
	r="$(mdev_new $U1) $(mdev_new $U2)"
	r="$r $(wrn 5 $M/$U1/assign_adapter) $(wrn 4 $M/$U1/assign_domain)"
	r="$r $(wrn 6 $M/$U2/assign_adapter) $(wrn 0xab $M/$U2/assign_domain)"
	r="$r $(wrn 0x47 $M/$U2/assign_control_domain)"
	[ "$r" = "OK OK OK OK OK OK OK" ] || _why="$_why cycle $1: setup $r;"
	[ "$(rd $M/$U1/matrix)" = '05.0004\n' ] || _why="$_why cycle $1: matrix $(rd $M/$U1/matrix);"
	case $(($1 % 3)) in
	0)
		r="$(mdev_rm $U1) $(mdev_rm $U2)"
		[ "$r" = "OK OK" ] || _why="$_why cycle $1: remove $r;"
		kind=removed
		;;
	1) kind=present ;;
	2)
		writers_start
		# Sysfs writes take no reference on the module: one that held
		# it would make the unload fail (EAGAIN) when it comes at the
		# wrong moment.
		_n=0
		_held=0
		while [ $_n -lt 40 ]; do
			read -r _r </sys/module/vfio_ap/refcnt
			[ "$_r" -eq 0 ] || _held=$((_held + 1))
			_n=$((_n + 1))
		done
		echo "$_held" >>/tmp/lifecycle-refs-held
		kind=writers
		;;
	esac
	r=$(unload_result)
	writers_stop
	echo "$r" >>/tmp/lifecycle-unload-$kind
	if [ "$r" != OK ]; then
		_why="$_why cycle $1: unload ($kind) $r;"
		# Leave nothing behind for the next cycle.
		suite_cleanup
		setup >/dev/null
	fi
	[ ! -d /sys/module/vfio_ap ] || _why="$_why cycle $1: still loaded;"
	[ -z "$(ls -d $M/*-*-*-*-* 2>/dev/null)" ] || _why="$_why cycle $1: mdevs left;"
	# Progress, straight to the console (cycles run inside $(...)).
	echo "# cycle $1 ($kind) done" >/dev/console
	echo "$_why"
}

# cycles FROM TO: runs the cycles; prints the problems, one a line.
cycles() {
	_i=$1
	while [ "$_i" -le "$2" ]; do
		_p=$(cycle "$_i")
		[ -z "$_p" ] || echo "$_p"
		_i=$((_i + 1))
	done
}

rm -f /tmp/lifecycle-unload-* /tmp/lifecycle-refs-held
# The first open of a debugfs file allocates what stays with the file (a
# kmalloc-512 object each): done here, before the counting, not inside it.
cat /sys/kernel/debug/slab/*/alloc_traces >/dev/null
# Warm-up: two cycles fill the caches that grow once (the first load).
p0=$(cycles 1 2)
snapshot /tmp/lifecycle-s0
p1=$(cycles 3 $((HALF + 2)))
snapshot /tmp/lifecycle-s1
p2=$(cycles $((HALF + 3)) $((CYCLES + 2)))
snapshot /tmp/lifecycle-s2
problems=$(printf '%s\n' "$p0" "$p1" "$p2" | grep .)
expect "lifecycle: every cycle loads, sets up its mdevs and unloads" "$problems" ""

# unloads KIND: how many unloads of KIND succeeded, "N/M".
unloads() {
	_all=$(cat /tmp/lifecycle-unload-$1 2>/dev/null | wc -l)
	_ok=$(grep -cx OK /tmp/lifecycle-unload-$1 2>/dev/null)
	echo "${_ok:-0}/$_all"
}
_k() { # count of cycles 1..CYCLES+2 with N % 3 == $1
	_n=0
	_i=1
	while [ $_i -le $((CYCLES + 2)) ]; do
		[ $((_i % 3)) -ne "$1" ] || _n=$((_n + 1))
		_i=$((_i + 1))
	done
	echo "$_n/$_n"
}
expect "lifecycle: unloads after removing the mdevs succeed" "$(unloads removed)" "$(_k 0)"
expect "lifecycle: unloads with mdevs present succeed" "$(unloads present)" "$(_k 1)"
expect "lifecycle: unloads with writers on the mdevs succeed" "$(unloads writers)" "$(_k 2)"
expect "lifecycle: writers on the mdevs hold no module reference" \
	"$(awk '{ s += $1 } END { print s + 0 }' /tmp/lifecycle-refs-held)" 0
diag "unload errors: $(cat /tmp/lifecycle-unload-* | grep -vx OK | sort | uniq -c | words)"

# Drift. The numbers go to diagnostics only (they differ between runs);
# the transcript gets the names of the caches that grow.
diag "cycles: $CYCLES measured after 2 warm-up cycles, in two halves of $HALF"
# One line a cache: name and its three counts (0 where a cache is missing
# from a snapshot).
awk 'FNR == 1 { f++ } { v[f, $1] = $2; name[$1] = 1 }
	END { for (c in name) print c, v[1, c] + 0, v[2, c] + 0, v[3, c] + 0 }' \
	/tmp/lifecycle-s0 /tmp/lifecycle-s1 /tmp/lifecycle-s2 | sort >/tmp/lifecycle-drift
awk '{ d1 = $3 - $2; d2 = $4 - $3; if (d1 != 0 || d2 != 0) print "  drift", $1, d1, d2, "total", $4 - $2 }' \
	/tmp/lifecycle-drift | while IFS= read -r l; do diag "$l"; done
grow=$(awk -v h="$HALF" '$1 !~ /^meminfo:/ { d1 = $3 - $2; d2 = $4 - $3
	if (2 * d1 >= h && 2 * d2 >= h) print $1 }' /tmp/lifecycle-drift | words)
expect "lifecycle: no slab cache grows with the cycles" "$grow" ""
# Where a growing cache's objects come from: its sites that grew.
for _c in $grow; do
	awk -v c="$_c@" 'index($1, c) == 1 { v[FILENAME, $1] = $2; name[$1] = 1 }
		END { for (s in name) { a = v[ARGV[1], s] + 0; b = v[ARGV[2], s] + 0
			if (b > a) print "  grew", s, a, b } }' \
		/tmp/lifecycle-s0.sites /tmp/lifecycle-s2.sites | while IFS= read -r l; do diag "$l"; done
done
# A coarse backstop for leaks spread over many caches: unreclaimable slab
# memory growing in both halves by 32 kB a cycle (192 kB at least). It
# moves by whole slab pages, some 100 kB either way between snapshots of
# either module, so a finer limit would fail on noise.
grow=$(awk -v h="$HALF" '$1 == "meminfo:SUnreclaim" { d1 = $3 - $2; d2 = $4 - $3
	l = 32 * h; if (l < 192) l = 192
	if (d1 >= l && d2 >= l) print "SUnreclaim" }' /tmp/lifecycle-drift)
expect "lifecycle: unreclaimable slab memory does not grow with the cycles" "$grow" ""
expect "lifecycle: the counts cover the kmalloc caches" \
	"$(grep -c '^kmalloc-16 ' /tmp/lifecycle-drift)" 1

load_vfio_ap
expect "lifecycle: the module loads after the cycles" "$?" 0
suite_cleanup
done_testing
