#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Queue binding: vfio_ap gets exactly the queues of type 10 and newer
# outside the host's default pool (apmask x aqmask); the +N/-N mask syntax
# moves queues out of and into vfio_ap; explicit bind and unbind; the
# queue's status attribute; mask changes that would take an mdev's queue
# fail with EBUSY and the kernel log names the queue and the mdev.
. ./lib/vm.sh
. ./vfio_ap/common.sh

plan 47
suite_cleanup

expect "bind: the host has cards 05 and 06" "$(cards)" "card05 card06"
expect "bind: the cards are of type 11 (CEX5)" "$(cat $APB/devices/card05/hwtype $APB/devices/card06/hwtype | words)" "11 11"
expect "bind: the host has the example's queues" "$(queues)" "$EXAMPLE_QUEUES"
load_vfio_ap
expect "bind: no queue bound with the default masks" "$(bound)" ""
expect "bind: no card bound" "$(ls $VDRV | grep card | words)" ""

# Queues freed before vfio_ap registers are bound by the registration.
unload_vfio_ap
expect "bind: -5 on apmask" "$(wrn -5 $APB/apmask)" OK
load_vfio_ap
expect "bind: loading binds adapter 5's queues, not adapter 6's" \
	"$(bound)" "05.0004 05.0047 05.00ab 05.00ff"
expect "bind: a freed queue's driver is vfio_ap" "$(driver_of 05.00ff)" vfio_ap
expect "bind: bound queues match the masks after -5" "$(bound)" "$(expected_free)"

# Queues freed later are bound on request (see bind_free in common.sh).
expect "bind: -0x47 on aqmask" "$(wrn -0x47 $APB/aqmask)" OK
expect "bind: binding a queue of the default pool is ENODEV" "$(wrn 06.0004 $VDRV/bind)" ENODEV
expect "bind: the freed queue 06.0047 binds (on request)" "$(bind_free) $(driver_of 06.0047)" "OK vfio_ap"
expect "bind: domain 0x47 of adapter 6 is bound as well" \
	"$(bound)" "05.0004 05.0047 05.00ab 05.00ff 06.0047"
before=$(driver_of 05.0004)
expect "bind: +5 on apmask" "$(wrn +5 $APB/apmask)" OK
expect "bind: adapter 5 leaves vfio_ap except domain 0x47" "$(bound)" "05.0047 06.0047"
expect "bind: the released queue has no driver" "$before $(driver_of 05.0004)" "vfio_ap none"
expect "bind: -7 on apmask (adapter not configured)" "$(wrn -7 $APB/apmask)" OK
expect "bind: nothing appears for an adapter the host does not have" \
	"$(ls $APB/devices | grep -E '^(card)?07' | words)|$(bound)" "|05.0047 06.0047"
expect "bind: the doc's absolute masks" \
	"$(wrn 0xf9ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff $APB/apmask) $(wrn 0xf7fffffffffffffffeffffffffffffffffffffffffeffffffffffffffffffffe $APB/aqmask)" \
	"OK OK"
expect "bind: apmask reads back" "$(rd $APB/apmask)" \
	'0xf9ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\n'
expect "bind: the freed queues bind on request" "$(bind_free)" OK
expect "bind: the doc's absolute masks free the example's queues" "$(bound)" "$EXAMPLE_QUEUES"

# Explicit bind and unbind; the status attribute.
expect "status: a free queue is unassigned" "$(rd $APB/devices/05.0004/status)" 'unassigned\n'
r="$(wrn 05.0004 $VDRV/unbind) $(driver_of 05.0004)"
expect "bind: unbind a queue" "$r" "OK none"
expect "status: gone with the unbind" "$r $(rd $APB/devices/05.0004/status)" 'OK none <ENOENT>'
expect "bind: bind it again" "$(wrn 05.0004 $VDRV/bind)" OK
expect "status: back with the bind" "$(rd $APB/devices/05.0004/status)" 'unassigned\n'
expect "bind: binding a bound queue is EBUSY" "$(wrn 05.0004 $VDRV/bind)" EBUSY
expect "bind: binding a card is ENODEV" "$(wrn card05 $VDRV/bind)" ENODEV
before=$(driver_of 05.0004)
wrn +4 $APB/aqmask >/dev/null
wrn +5 $APB/apmask >/dev/null
expect "bind: +5/+4 releases 05.0004 from vfio_ap" "$before $(driver_of 05.0004)" "vfio_ap none"
expect "bind: binding a queue taken back by the default pool is ENODEV" "$(wrn 05.0004 $VDRV/bind)" ENODEV

# Mask changes against queues an mdev holds.
free_example >/dev/null
mdev_new $U1 >/dev/null
r="$(wrn 5 $M/$U1/assign_adapter) $(wrn 4 $M/$U1/assign_domain)"
expect "status: queue assigned to an mdev" "$r $(rd $APB/devices/05.0004/status)" 'OK OK assigned\n'
expect "status: other queue of the same adapter stays unassigned" \
	"$(rd $APB/devices/05.0047/status)" 'unassigned\n'
dmesg_mark
expect "in use: +5 on apmask while an mdev holds 05.0004 is EBUSY" "$(wrn +5 $APB/apmask)" EBUSY
expect "in use: the log names the queue and the mdev" "$(dmesg_since | grep 'in use by mdev' | words)" \
	"vfio_ap_mdev $U1: Can not reserve queue 05.0004 for host driver: in use by mdev"
expect "in use: apmask unchanged after EBUSY" "$(rd $APB/apmask)" \
	'0xf9ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\n'
expect "in use: +4 on aqmask is EBUSY" "$(wrn +4 $APB/aqmask)" EBUSY
expect "in use: +6 on apmask (adapter not held) succeeds" "$(wrn +6 $APB/apmask)" OK
r="$(wrn 4 $M/$U1/unassign_domain) $(wrn +5 $APB/apmask)"
expect "in use: +5 succeeds once the domain is unassigned" "$r" "OK OK"

# driver_override on a queue beats the masks (AP bus feature that vfio_ap
# must honour when it checks what the host's default drivers own).
expect "override: refused while the masks are not all ones" \
	"$(wrn vfio_ap $APB/devices/05.0004/driver_override)" EINVAL
r="$(masks_reset) $(bound)"
expect "override: masks all ones, nothing bound" "$r" "OK "
r="$(wrn vfio_ap $APB/devices/05.0004/driver_override) $(rd $APB/devices/05.0004/driver_override)"
expect "override: set to vfio_ap" "$r" 'OK vfio_ap\n'
r="$(wrn 05.0004 $VDRV/bind) $(driver_of 05.0004) $(rd $APB/devices/05.0004/status)"
expect "override: the queue binds to vfio_ap" "$r" 'OK vfio_ap unassigned\n'
r="$(wrn 4 $M/$U1/assign_domain) $(rd $M/$U1/matrix) $(rd $APB/devices/05.0004/status)"
expect "override: the queue can be assigned despite the masks" "$r" 'OK 05.0004\n assigned\n'
expect "override: a queue of the default pool without override cannot" \
	"$(wrn 0x47 $M/$U1/assign_domain)" EADDRNOTAVAIL
expect "override: apmask writes are EINVAL while an override is set" "$(wrn -6 $APB/apmask)" EINVAL
r="$(wrn 4 $M/$U1/unassign_domain) $(wrn 05.0004 $VDRV/unbind) $(wrn '' $APB/devices/05.0004/driver_override) $(wrn -6 $APB/apmask)"
expect "override: cleared, masks writable again" "$r" "OK OK OK OK"

suite_cleanup
done_testing
