# SPDX-License-Identifier: GPL-2.0
# Shared setup of the kvm suite. Source after ./lib/vm.sh (the scripts run
# with /selftests as their working directory).
#
# The guest has KVM (qemu.args asks QEMU for the sief2 CPU feature, see
# Documentation/qemu-ap-emulation.rst) and the host AP configuration of
# the vfio_ap suite, whose helpers this file reuses. The scripts open
# mdevs with a KVM virtual machine through tools/kvm-vfio, a helper that
# takes one command a line from a FIFO and answers each with one line;
# its vCPUs never run (there is no SIE under TCG). What the driver hands
# to KVM is read back from the VM's s390dbf area: KVM logs every write of
# the guest's AP masks (CRYCB) there.
. ./vfio_ap/common.sh

# Test names are unique in the suite (they key todo-ours and transcripts).
TAP_UNIQUE_NAMES=/tmp/kvm-test-names
TODO_LIST=
if [ "$VFIO_AP_MODULE" = ours ]; then
	TODO_LIST=./kvm/todo-ours
fi

HELPER=./kvm/tools/kvm-vfio
DBF=/sys/kernel/debug/s390dbf
# A helper that died must fail the tests, not kill the script.
trap '' PIPE

# kvm_start: starts the helper with its two FIFOs; hx then talks to it.
kvm_start() {
	rm -f /tmp/kvm-vfio.in /tmp/kvm-vfio.out
	mkfifo /tmp/kvm-vfio.in /tmp/kvm-vfio.out
	if [ -x $HELPER ]; then
		$HELPER </tmp/kvm-vfio.in >/tmp/kvm-vfio.out 2>&1 &
	else
		diag "$HELPER missing: run selftests/kvm/tools/build.sh"
		true </tmp/kvm-vfio.in >/tmp/kvm-vfio.out &
	fi
	KVM_HELPER_PID=$!
	exec 7>/tmp/kvm-vfio.in 8</tmp/kvm-vfio.out
	# In files: the functions below also run in command substitutions.
	echo >/tmp/kvm-vmpid
	echo "0 0" >/tmp/kvm-crycb-mark
}

# hx COMMAND...: one helper step; prints its result (what follows
# "COMMAND: " on the helper's answer), or <no answer>.
hx() {
	echo "$*" >&7 2>/dev/null
	if read -r -t 60 _hl <&8; then
		echo "${_hl#"$*: "}"
	else
		echo "<no answer>"
	fi
}

# kvm_stop: ends the helper, which closes whatever it still holds.
kvm_stop() {
	hx quit >/dev/null
	exec 7>&- 8<&-
	wait $KVM_HELPER_PID 2>/dev/null
}

# kvm_vm: creates the helper's VM; prints the result. Its s390dbf area is
# named after the helper's process id.
kvm_vm() {
	_r=$(hx kvm)
	hx pid >/tmp/kvm-vmpid
	echo "$_r"
}

# vm_dbf: the VM's s390dbf directory.
vm_dbf() {
	echo "$DBF/kvm-$(cat /tmp/kvm-vmpid)"
}

# crycb_log: the CRYCB records of the VM, oldest first: "SET apm W W W W",
# "SET aqm ...", "SET adm ..." (four 64-bit words each, bit 0 leftmost)
# and "CLR".
crycb_log() {
	sed -n 's/.*SET CRYCB: \([a-z]*\) \(.*\)$/SET \1 \2/p; s/.*CLR CRYCB:.*/CLR/p' \
		"$(vm_dbf)/sprintf" 2>/dev/null
}

# crycb_awk MODE: reads crycb_log; MODE masks prints the masks of the last
# record ("apm 05 06 aqm 0004 adm 0004", "cleared" after a CLR, "none"
# before any); MODE matrix prints the last SET masks the way the mdev's
# guest_matrix attribute shows a matrix (newlines as \n, as rd does; empty
# after a CLR); MODE count prints the number of SET and CLR records.
crycb_awk() {
	crycb_log | awk -v mode="$1" '
	# (busybox awk may lack the ^ operator)
	BEGIN { p[0] = 8; p[1] = 4; p[2] = 2; p[3] = 1 }
	function ids(w, width,    all, i, v, b, out) {
		all = w[1] w[2] w[3] w[4]
		out = ""
		for (i = 1; i <= 64; i++) {
			v = index("0123456789abcdef", substr(all, i, 1)) - 1
			for (b = 0; b < 4; b++)
				if (v >= 0 && int(v / p[b]) % 2)
					out = out " " sprintf("%0" width "x", (i - 1) * 4 + b)
		}
		return substr(out, 2)
	}
	$1 == "SET" {
		w[1] = $3; w[2] = $4; w[3] = $5; w[4] = $6
		m[$2] = ids(w, $2 == "apm" ? 2 : 4)
		if ($2 == "adm") { last = "set"; sets++ }
	}
	$1 == "CLR" { last = "clr"; clrs++ }
	END {
		if (mode == "count") {
			print sets + 0, clrs + 0
		} else if (mode == "masks") {
			if (last == "set")
				print "apm " m["apm"] " aqm " m["aqm"] " adm " m["adm"]
			else if (last == "clr")
				print "cleared"
			else
				print "none"
		} else if (last == "set") {
			na = split(m["apm"], a, " ")
			nq = split(m["aqm"], q, " ")
			out = ""
			if (na && nq) {
				for (i = 1; i <= na; i++)
					for (j = 1; j <= nq; j++)
						out = out a[i] "." q[j] "\\n"
			} else if (na) {
				for (i = 1; i <= na; i++)
					out = out a[i] ".\\n"
			} else {
				for (j = 1; j <= nq; j++)
					out = out "." q[j] "\\n"
			}
			print out
		} else {
			print ""
		}
	}'
}

# crycb: the masks of the last CRYCB record (see crycb_awk masks).
crycb() {
	crycb_awk masks
}

# crycb_delta: the CRYCB records since the last call (or kvm_start), as
# "set N clr M".
crycb_delta() {
	_c=$(crycb_awk count)
	set -- $(cat /tmp/kvm-crycb-mark) $_c
	echo "$_c" >/tmp/kvm-crycb-mark
	echo "set $(($3 - $1)) clr $(($4 - $2))"
}

# step NAME WANT_MASKS WANT_DELTA WANT_SIGNALS GUEST_MATRIX_FILE: checks
# what a change while the device is open did: the CRYCB records it caused
# and the masks they set, and how often the configuration-change eventfd
# (slot 0) was signalled; then that the mdev's guest_matrix is what the
# CRYCB holds.
step() {
	if [ "$4" = 0 ]; then
		_s=$(hx signals 0 1)
	else
		_s=$(hx wait 0 1)
	fi
	expect "kvm: $1" "$(crycb_delta); $(crycb); signals $_s" "$3; $2; signals $4"
	expect "kvm: $1: guest_matrix is the CRYCB" "$(rd $5)" "$(crycb_awk matrix)"
}

# step_divergent NAME WANT_MASKS UPSTREAM_DELTA UPSTREAM_SIGNALS OURS_DELTA
# OURS_SIGNALS GUEST_MATRIX_FILE: step for a change where the two modules
# are documented to differ in how many CRYCB updates and signals they give
# (Documentation/s390/vfio-ap.rst, "Differences from upstream"). Each
# module must give exactly its own counts and the same final masks; the
# transcript records the masks and whether the counts were the module's,
# so the two modules' transcripts stay comparable.
step_divergent() {
	if [ "$VFIO_AP_MODULE" = upstream ]; then
		_wd=$3 _ws=$4
	else
		_wd=$5 _ws=$6
	fi
	_s=$(hx wait 0 1)
	_d=$(crycb_delta)
	_got="$(crycb); counts $_d, signals $_s"
	if [ "$_d" = "$_wd" ] && [ "$_s" = "$_ws" ]; then
		_got="$(crycb); counts as documented for this module"
	fi
	expect "kvm: $1" "$_got" "$2; counts as documented for this module"
	expect "kvm: $1: guest_matrix is the CRYCB" "$(rd $7)" "$(crycb_awk matrix)"
}

# hexmask ID...: the 64 hex digits of a 256-bit mask with bits ID set
# (bit 0 is the leftmost), as ap_config shows and takes them.
hexmask() {
	for _id in "$@"; do echo $((_id)); done | awk '
	BEGIN { p[0] = 8; p[1] = 4; p[2] = 2; p[3] = 1 }
	{ bit[$1] = 1 }
	END {
		for (i = 0; i < 64; i++) {
			v = 0
			for (b = 0; b < 4; b++)
				if ((i * 4 + b) in bit)
					v += p[b]
			printf "%s", substr("0123456789abcdef", v + 1, 1)
		}
		print ""
	}'
}

# crycb_delta_some: crycb_delta with the CLR count as "1+" if not 0.
crycb_delta_some() {
	set -- $(crycb_delta)
	echo "set $2 clr $(some $4)"
}

# some N: N, or "1+" for any N above 0 (for counts that depend on timing).
some() {
	if [ "$1" -gt 0 ] 2>/dev/null; then echo 1+; else echo "$1"; fi
}

# group_of UUID: the number of the mdev's IOMMU group.
group_of() {
	basename "$(readlink $M/$1/iommu_group)" 2>/dev/null
}

# kvm_mdev_opened NAME: the set-up of a script that changes one open mdev:
# mdev $U1 with adapter 5, domain 4 and control domain 4, opened by the
# helper's VM with a vCPU and both eventfds armed; checks each part and the
# open's CRYCB. G1 is then the mdev's guest_matrix.
kvm_mdev_opened() {
	r="$(mdev_new $U1) $(wrn 5 $M/$U1/assign_adapter) $(wrn 4 $M/$U1/assign_domain)"
	r="$r $(wrn 4 $M/$U1/assign_control_domain)"
	expect "kvm: $1: mdev" "$r" "OK OK OK OK"
	G1=$M/$U1/guest_matrix
	kvm_start
	r="$(hx container) $(hx group 0 $(group_of $U1)) $(kvm_vm) $(hx vcpu 0) $(hx kvm-add 0)"
	r="$r $(hx open 0 $U1) $(hx irq 0 0 eventfd) $(hx irq 0 1 eventfd)"
	expect "kvm: $1: open with a KVM instance, eventfds armed" "$r" "ok ok ok ok ok ok ok ok"
	step "$1: the open" "apm 05 aqm 0004 adm 0004" "set 1 clr 0" 0 $G1
}
