/* SPDX-License-Identifier: GPL-2.0 */
/*
 * C helpers of the Rust vfio_ap module for KVM: the s390 crypto fields of
 * struct kvm, its locks, and the PQAP interception hook.
 */
#ifndef VFIO_AP_KVM_HELPERS_H
#define VFIO_AP_KVM_HELPERS_H

#include <linux/types.h>

struct kvm;
struct vfio_device;

struct kvm *vfio_ap_helper_vfio_kvm(struct vfio_device *vdev);
bool vfio_ap_helper_kvm_has_crycb(struct kvm *kvm);
void vfio_ap_helper_kvm_lock(struct kvm *kvm);
void vfio_ap_helper_kvm_unlock(struct kvm *kvm);
void vfio_ap_helper_kvm_hook_lock(struct kvm *kvm);
void vfio_ap_helper_kvm_hook_unlock(struct kvm *kvm);
bool vfio_ap_helper_kvm_hook_taken(struct kvm *kvm);
void vfio_ap_helper_kvm_hook_set(struct kvm *kvm);
void vfio_ap_helper_kvm_hook_clear(struct kvm *kvm);

#endif /* VFIO_AP_KVM_HELPERS_H */
