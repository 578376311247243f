/* SPDX-License-Identifier: GPL-2.0 */
/*
 * C helpers of the Rust vfio_ap module for KVM: the s390 crypto fields of
 * struct kvm, its locks, the PQAP interception hook, the guest registers
 * of an intercepted PQAP, and interruption control (AQIC) for a guest.
 */
#ifndef VFIO_AP_KVM_HELPERS_H
#define VFIO_AP_KVM_HELPERS_H

#include <linux/types.h>

struct kvm;
struct kvm_vcpu;
struct vfio_device;
struct vfio_ap_pqap_slot;

struct kvm *vfio_ap_helper_vfio_kvm(struct vfio_device *vdev);
bool vfio_ap_helper_kvm_has_crycb(struct kvm *kvm);
void vfio_ap_helper_kvm_lock(struct kvm *kvm);
void vfio_ap_helper_kvm_unlock(struct kvm *kvm);
void vfio_ap_helper_kvm_hook_lock(struct kvm *kvm);
void vfio_ap_helper_kvm_hook_unlock(struct kvm *kvm);
bool vfio_ap_helper_kvm_hook_taken(struct kvm *kvm);
void vfio_ap_helper_kvm_hook_set(struct kvm *kvm, struct vfio_ap_pqap_slot *slot);
void vfio_ap_helper_kvm_hook_clear(struct kvm *kvm);

/*
 * The PQAP hook of one mdev: KVM calls @handler with the intercepting vCPU,
 * the mdev's VFIO device and @ctx.
 */
typedef int (*vfio_ap_pqap_handler)(struct kvm_vcpu *vcpu,
				    struct vfio_device *vdev, void *ctx);
struct vfio_ap_pqap_slot *
vfio_ap_helper_pqap_slot_alloc(vfio_ap_pqap_handler handler,
			       struct vfio_device *vdev, void *ctx);
void *vfio_ap_helper_pqap_slot_free(struct vfio_ap_pqap_slot *slot);

/* The intercepted vCPU. */
void vfio_ap_helper_vcpu_regs(struct kvm_vcpu *vcpu, u64 regs[3]);
void vfio_ap_helper_vcpu_set_gr1(struct kvm_vcpu *vcpu, u64 gr1);
bool vfio_ap_helper_vcpu_aiv(struct kvm_vcpu *vcpu);
u32 vfio_ap_helper_vcpu_eca(struct kvm_vcpu *vcpu);
bool vfio_ap_helper_vcpu_protected(struct kvm_vcpu *vcpu);
struct kvm *vfio_ap_helper_vcpu_kvm(struct kvm_vcpu *vcpu);

/* Guest memory and interruptions. */
bool vfio_ap_helper_gpa_in_memslot(struct kvm *kvm, u64 gpa);
int vfio_ap_helper_gisc_register(struct kvm *kvm, u32 isc);
int vfio_ap_helper_gisc_unregister(struct kvm *kvm, u32 isc);
int vfio_ap_helper_pin_nib(struct vfio_device *vdev, u64 iova, u64 *h_nib);
void vfio_ap_helper_unpin_nib(struct vfio_device *vdev, u64 iova);
void vfio_ap_helper_unpin_nib_keep_page(struct vfio_device *vdev, u64 iova,
					u64 h_nib);
int vfio_ap_helper_nib_shared(u64 h_nib);
u32 vfio_ap_helper_aqic_enable(u16 qid, struct kvm *kvm, u8 gisc, u8 isc,
			       u64 h_nib);
u32 vfio_ap_helper_kvm_gisa_field(struct kvm *kvm);
u32 vfio_ap_helper_aqic_disable(u16 qid);
bool vfio_ap_helper_aqic_off(u16 qid);

#endif /* VFIO_AP_KVM_HELPERS_H */
