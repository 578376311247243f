// SPDX-License-Identifier: GPL-2.0
/*
 * KVM helpers for the Rust side: struct kvm is opaque to Rust (the s390
 * KVM headers do not go through bindgen), so its crypto fields and locks
 * are reached here.
 */
#include <linux/kvm_host.h>
#include <linux/vfio.h>
#include "vfio_ap_kvm_helpers.h"

struct kvm *vfio_ap_helper_vfio_kvm(struct vfio_device *vdev)
{
	return vdev->kvm;
}

bool vfio_ap_helper_kvm_has_crycb(struct kvm *kvm)
{
	return kvm->arch.crypto.crycbd != 0;
}

void vfio_ap_helper_kvm_lock(struct kvm *kvm)
{
	mutex_lock(&kvm->lock);
}

void vfio_ap_helper_kvm_unlock(struct kvm *kvm)
{
	mutex_unlock(&kvm->lock);
}

void vfio_ap_helper_kvm_hook_lock(struct kvm *kvm)
{
	down_write(&kvm->arch.crypto.pqap_hook_rwsem);
}

void vfio_ap_helper_kvm_hook_unlock(struct kvm *kvm)
{
	up_write(&kvm->arch.crypto.pqap_hook_rwsem);
}

/*
 * The PQAP(AQIC) interception handler. Guest interruptions for AP queues
 * are not supported yet: answer as upstream does on a host without the
 * AIV facility, which leaves the instruction to user space.
 */
static int vfio_ap_helper_handle_pqap(struct kvm_vcpu *vcpu)
{
	return -EOPNOTSUPP;
}

/* KVM points at a hook variable; one for every guest is enough. */
static crypto_hook vfio_ap_helper_pqap_hook = vfio_ap_helper_handle_pqap;

bool vfio_ap_helper_kvm_hook_taken(struct kvm *kvm)
{
	return kvm->arch.crypto.pqap_hook != NULL;
}

void vfio_ap_helper_kvm_hook_set(struct kvm *kvm)
{
	kvm->arch.crypto.pqap_hook = &vfio_ap_helper_pqap_hook;
}

void vfio_ap_helper_kvm_hook_clear(struct kvm *kvm)
{
	kvm->arch.crypto.pqap_hook = NULL;
}
