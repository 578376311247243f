#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Dynamic host configuration through QMP: an adapter or domain assigned to
# an mdev that appears in the host configuration is plugged into its
# guest_matrix, one that disappears is unplugged (matrix keeps it), and it
# comes back; other mdevs are not touched; removing all of an mdev's
# adapters leaves its domains; a control domain added to the host does not
# change the mdev's own configuration.
. ./lib/vm.sh
. ./vfio_ap/common.sh

plan 30
suite_cleanup
load_vfio_ap
free_example >/dev/null
wrn -7 $APB/apmask >/dev/null
wrn -0xc $APB/aqmask >/dev/null
r="$(mdev_new $U1) $(mdev_new $U2)"
for v in 5 7; do r="$r $(wrn $v $M/$U1/assign_adapter)"; done
for v in 4 0xc; do r="$r $(wrn $v $M/$U1/assign_domain)"; done
r="$r $(wrn 6 $M/$U2/assign_adapter) $(wrn 0x47 $M/$U2/assign_domain)"
expect "dynamic: two mdevs, one over-provisioned" "$r" "OK OK OK OK OK OK OK OK"
G1=$M/$U1/guest_matrix
G2=$M/$U2/guest_matrix
FULL='05.0004\n05.000c\n07.0004\n07.000c\n'

expect "dynamic: adapter 7 and domain 0x0c are not configured" \
	"$(queues | tr ' ' '\n' | grep -E '^07|000c$' | words)" ""
expect "dynamic: the over-provisioned IDs are left out" "$(rd $G1)" '05.0004\n'

# Adapter 7 appears.
expect "dynamic: add adapter 7 to the host" "$(apcfg add adapters 7)" OK
expect "dynamic: adapter 7's queues bind to vfio_ap" \
	"$(bound | tr ' ' '\n' | grep '^07' | words)" "07.0004 07.0047 07.00ab 07.00ff"
expect "dynamic: adapter 7 is plugged into guest_matrix" "$(rd $G1)" '05.0004\n07.0004\n'
expect "dynamic: queue 07.0004 is assigned" "$(rd $APB/devices/07.0004/status)" 'assigned\n'
expect "dynamic: queue 07.0047 is unassigned" "$(rd $APB/devices/07.0047/status)" 'unassigned\n'
expect "dynamic: the other mdev is not touched by the adapter" "$(rd $G2)" '06.0047\n'

# Domain 0x0c appears.
expect "dynamic: add domain 0x0c to the host" "$(apcfg add domains 12)" OK
expect "dynamic: domain 0x0c's queues bind to vfio_ap" \
	"$(bound | tr ' ' '\n' | grep '000c$' | words)" "05.000c 06.000c 07.000c"
expect "dynamic: domain 0x0c is plugged into guest_matrix" "$(rd $G1)" "$FULL"
expect "dynamic: the other mdev is not touched by the domain" "$(rd $G2)" '06.0047\n'

# Adapter 7 disappears and comes back.
expect "dynamic: remove adapter 7 from the host" "$(apcfg remove adapters 7)" OK
expect "dynamic: adapter 7's queue devices are gone" "$(queues | tr ' ' '\n' | grep '^07' | words)" ""
expect "dynamic: adapter 7 is unplugged from guest_matrix" "$(rd $G1)" '05.0004\n05.000c\n'
expect "dynamic: matrix keeps adapter 7" "$(rd $M/$U1/matrix)" "$FULL"
expect "dynamic: add adapter 7 again" "$(apcfg add adapters 7)" OK
expect "dynamic: adapter 7 is plugged in again" "$(rd $G1)" "$FULL"

# Domain 0x0c disappears and comes back.
expect "dynamic: remove domain 0x0c from the host" "$(apcfg remove domains 12)" OK
expect "dynamic: domain 0x0c is unplugged from guest_matrix" "$(rd $G1)" '05.0004\n07.0004\n'
expect "dynamic: add domain 0x0c again" "$(apcfg add domains 12)" OK
expect "dynamic: domain 0x0c is plugged in again" "$(rd $G1)" "$FULL"

# All of an mdev's adapters disappear.
r="$(apcfg remove adapters 5) $(apcfg remove adapters 7)"
expect "dynamic: remove adapters 5 and 7" "$r" "OK OK"
expect "dynamic: without adapters guest_matrix keeps the domains" "$(rd $G1)" '.0004\n.000c\n'
expect "dynamic: the other mdev keeps adapter 6" "$(rd $G2)" '06.0047\n'
r="$(apcfg add adapters 5) $(apcfg add adapters 7) $(rd $G1)"
expect "dynamic: both adapters back" "$r" "OK OK $FULL"

# A control domain assigned to the mdev appears in the host configuration
# (no adapter or domain changes): the mdev's own configuration stays.
r="$(wrn 0x0c $M/$U1/assign_control_domain) $(apcfg add control-domains 12) $(rd $M/$U1/control_domains) $(rd $G1)"
expect "dynamic: a control domain added to the host" "$r" "OK OK 000c\\n $FULL"
r="$(apcfg remove control-domains 12) $(rd $M/$U1/control_domains) $(rd $G1)"
expect "dynamic: a control domain removed from the host" "$r" "OK 000c\\n $FULL"

# Back to the suite's configuration.
r="$(apcfg remove adapters 7) $(apcfg remove domains 12) $(mdev_rm $U1) $(mdev_rm $U2)"
expect "dynamic: restore the host configuration" "$r" "OK OK OK OK"
suite_cleanup
done_testing
