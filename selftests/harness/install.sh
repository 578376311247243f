#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The install path (our module only): the runner put vfio_ap.ko into the
# guest's module tree with make install's recipe (tools/install.sh:
# modules_install into updates/, depmod) next to the kernel's own C
# module, as on an administrator's machine; modprobe must pick ours, load
# it with the modules it depends on, and remove it again.
. ./lib/vm.sh

plan 7
mods=/lib/modules/$(uname -r)
test -f $mods/kernel/drivers/s390/crypto/vfio_ap.ko
ok $? "the kernel's own vfio_ap.ko stays installed"
test -f $mods/updates/vfio_ap.ko
ok $? "make install put ours under updates/"
grep -qE '^updates/vfio_ap\.ko:.*kernel/drivers/vfio/mdev/mdev\.ko' $mods/modules.dep
ok $? "depmod recorded ours with its dependency on mdev.ko"
f=$(modinfo -n vfio_ap)
[ "$f" = $mods/updates/vfio_ap.ko ]
ok $? "modinfo -n vfio_ap names ours ($f)"
check "modprobe vfio_ap" modprobe vfio_ap
id=$(vfio_ap_loaded_identity)
[ "$id" = ours ] && [ -d /sys/module/mdev ]
ok $? "modprobe loaded ours ($id) and the mdev core it needs"
check "modprobe -r vfio_ap" modprobe -r vfio_ap
done_testing
