# SPDX-License-Identifier: GPL-2.0
# Shared setup of the robustness suite. Source after ./lib/vm.sh; uses the
# vfio_ap suite's helpers (../vfio_ap/common.sh) and the same emulated host
# (qemu.args): adapters 05 and 06, domains 0x04, 0x47, 0xab, 0xff.
. ./vfio_ap/common.sh
TAP_UNIQUE_NAMES=/tmp/robustness-test-names
TODO_LIST=
if [ "$VFIO_AP_MODULE" = ours ]; then
	TODO_LIST=./robustness/todo-ours
fi

# The run's length: VFIO_AP_SOAK=1 on the kernel command line (make soak)
# makes every script of the suite run long; the default is short, for
# make test. soak: whether it is set. length NAME SHORT LONG: the value of
# robustness.NAME=N on the kernel command line, else SHORT, or LONG with
# VFIO_AP_SOAK=1; bails out on a value that is not a number.
soak() {
	grep -qw 'VFIO_AP_SOAK=1' /proc/cmdline
}
length() {
	_v=$2
	soak && _v=$3
	for _a in $(cat /proc/cmdline); do
		case $_a in robustness.$1=*) _v=${_a#*=} ;; esac
	done
	case $_v in
	'' | *[!0-9]*) bail_out "robustness.$1=$_v is not a number" ;;
	esac
	echo "$_v"
}

# split_setup: module loaded, adapters 5 and 6 and domains 4 and 0x47 out
# of the host's pool and bound to vfio_ap; mdev U1 with adapter 5, domain
# 4 and control domain 0xab; mdev U2 with adapter 6 and domains 4 and
# 0x47. Prints OK or what failed.
split_setup() {
	_r=$(load_vfio_ap && echo OK)
	_r="$_r $(wrn -5,-6 $APB/apmask) $(wrn -4,-0x47 $APB/aqmask) $(bind_free)"
	_r="$_r $(mdev_new $U1) $(mdev_new $U2)"
	_r="$_r $(wrn 5 $M/$U1/assign_adapter) $(wrn 4 $M/$U1/assign_domain)"
	_r="$_r $(wrn 0xab $M/$U1/assign_control_domain)"
	_r="$_r $(wrn 6 $M/$U2/assign_adapter) $(wrn 4 $M/$U2/assign_domain)"
	_r="$_r $(wrn 0x47 $M/$U2/assign_domain)"
	[ "$_r" = "OK OK OK OK OK OK OK OK OK OK OK OK" ] && echo OK || echo "$_r"
}
