// SPDX-License-Identifier: GPL-2.0
/*
 * KVM helpers for the Rust side: struct kvm is opaque to Rust (the s390
 * KVM headers do not go through bindgen), so its crypto fields and locks
 * are reached here.
 */
#include <linux/kvm_host.h>
#include <linux/slab.h>
#include <linux/vfio.h>
#include <asm/ap.h>
#include <asm/uv.h>
#include "ap_bus.h"
#include "vfio_ap_kvm_helpers.h"

/*
 * rust/guest.rs hands kvm_arch_crypto_set_masks() three masks of four
 * unsigned longs each (asserted there too): the 256-bit masks of the
 * format-2 CRYCB's APCB.
 */
static_assert(sizeof_field(struct kvm_s390_apcb1, apm) == 4 * sizeof(unsigned long));
static_assert(sizeof_field(struct kvm_s390_apcb1, aqm) == 4 * sizeof(unsigned long));
static_assert(sizeof_field(struct kvm_s390_apcb1, adm) == 4 * sizeof(unsigned long));

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

/* KVM points at @hook; the handler finds the rest of the slot from it. */
struct vfio_ap_pqap_slot {
	crypto_hook hook;
	vfio_ap_pqap_handler handler;
	struct vfio_device *vdev;
	void *ctx;
};

static int vfio_ap_helper_handle_pqap(struct kvm_vcpu *vcpu)
{
	struct vfio_ap_pqap_slot *slot;

	/* KVM holds pqap_hook_rwsem for reading, so the hook stays set. */
	slot = container_of(vcpu->kvm->arch.crypto.pqap_hook,
			    struct vfio_ap_pqap_slot, hook);
	return slot->handler(vcpu, slot->vdev, slot->ctx);
}

struct vfio_ap_pqap_slot *
vfio_ap_helper_pqap_slot_alloc(vfio_ap_pqap_handler handler,
			       struct vfio_device *vdev, void *ctx)
{
	struct vfio_ap_pqap_slot *slot = kzalloc(sizeof(*slot), GFP_KERNEL);

	if (!slot)
		return NULL;
	slot->hook = vfio_ap_helper_handle_pqap;
	slot->handler = handler;
	slot->vdev = vdev;
	slot->ctx = ctx;
	return slot;
}

void *vfio_ap_helper_pqap_slot_free(struct vfio_ap_pqap_slot *slot)
{
	void *ctx = slot->ctx;

	kfree(slot);
	return ctx;
}

bool vfio_ap_helper_kvm_hook_taken(struct kvm *kvm)
{
	return kvm->arch.crypto.pqap_hook != NULL;
}

void vfio_ap_helper_kvm_hook_set(struct kvm *kvm, struct vfio_ap_pqap_slot *slot)
{
	kvm->arch.crypto.pqap_hook = &slot->hook;
}

void vfio_ap_helper_kvm_hook_clear(struct kvm *kvm)
{
	kvm->arch.crypto.pqap_hook = NULL;
}

void vfio_ap_helper_vcpu_regs(struct kvm_vcpu *vcpu, u64 regs[3])
{
	regs[0] = vcpu->run->s.regs.gprs[0];
	regs[1] = vcpu->run->s.regs.gprs[1];
	regs[2] = vcpu->run->s.regs.gprs[2];
}

void vfio_ap_helper_vcpu_set_gr1(struct kvm_vcpu *vcpu, u64 gr1)
{
	vcpu->run->s.regs.gprs[1] = gr1;
}

bool vfio_ap_helper_vcpu_aiv(struct kvm_vcpu *vcpu)
{
	return vcpu->arch.sie_block->eca & ECA_AIV;
}

u32 vfio_ap_helper_vcpu_eca(struct kvm_vcpu *vcpu)
{
	return vcpu->arch.sie_block->eca;
}

bool vfio_ap_helper_vcpu_protected(struct kvm_vcpu *vcpu)
{
	return kvm_s390_pv_cpu_is_protected(vcpu);
}

struct kvm *vfio_ap_helper_vcpu_kvm(struct kvm_vcpu *vcpu)
{
	return vcpu->kvm;
}

bool vfio_ap_helper_gpa_in_memslot(struct kvm *kvm, u64 gpa)
{
	return kvm_s390_is_gpa_in_memslot(kvm, gpa);
}

int vfio_ap_helper_gisc_register(struct kvm *kvm, u32 isc)
{
	return kvm_s390_gisc_register(kvm, isc);
}

int vfio_ap_helper_gisc_unregister(struct kvm *kvm, u32 isc)
{
	return kvm_s390_gisc_unregister(kvm, isc);
}

/* Pins the page of the NIB at guest address @iova; returns 1 on success. */
int vfio_ap_helper_pin_nib(struct vfio_device *vdev, u64 iova, u64 *h_nib)
{
	struct page *page;
	int ret;

	ret = vfio_pin_pages(vdev, iova, 1, IOMMU_READ | IOMMU_WRITE, &page);
	if (ret == 1)
		*h_nib = page_to_phys(page) | (iova & ~PAGE_MASK);
	return ret;
}

void vfio_ap_helper_unpin_nib(struct vfio_device *vdev, u64 iova)
{
	vfio_unpin_pages(vdev, iova, 1);
}

/*
 * Unpins the NIB page at guest address @iova but keeps the page itself: a
 * reference of its own, never put, so that an adapter that may still store
 * into @h_nib stores into a page nobody else can get.
 */
void vfio_ap_helper_unpin_nib_keep_page(struct vfio_device *vdev, u64 iova,
					u64 h_nib)
{
	get_page(pfn_to_page(PHYS_PFN(h_nib)));
	vfio_unpin_pages(vdev, iova, 1);
}

/* For protected guests: whether the pinned NIB page is shared (0). */
int vfio_ap_helper_nib_shared(u64 h_nib)
{
	return uv_pin_shared(h_nib & PAGE_MASK);
}

u32 vfio_ap_helper_aqic_enable(u16 qid, struct kvm *kvm, u8 gisc, u8 isc,
			       u64 h_nib)
{
	union ap_qirq_ctrl ctrl = { .value = 0 };
	struct ap_queue_status status;

	ctrl.gisc = gisc;
	ctrl.isc = isc;
	ctrl.ir = 1;
	ctrl.gisa = virt_to_phys(kvm->arch.gisa_int.origin) >> 4;
	status = ap_aqic(qid, ctrl, h_nib);
	return status.value;
}

/* The GISA field of the AQIC controls for @kvm, as aqic_enable sets it. */
u32 vfio_ap_helper_kvm_gisa_field(struct kvm *kvm)
{
	union ap_qirq_ctrl ctrl = { .value = 0 };

	ctrl.gisa = virt_to_phys(kvm->arch.gisa_int.origin) >> 4;
	return ctrl.gisa;
}

u32 vfio_ap_helper_aqic_disable(u16 qid)
{
	union ap_qirq_ctrl ctrl = { .value = 0 };
	struct ap_queue_status status;

	status = ap_aqic(qid, ctrl, 0);
	return status.value;
}

/*
 * Whether the adapter no longer stores into the NIB of queue @qid: TAPQ
 * shows its interruptions off, or the queue is not operational (not in
 * the configuration, deconfigured or checkstopped: its adapter processes
 * nothing, and its queues come back only through a reset, which leaves
 * interruptions off).
 */
bool vfio_ap_helper_aqic_off(u16 qid)
{
	struct ap_queue_status status = ap_tapq(qid, NULL);

	switch (status.response_code) {
	case AP_RESPONSE_NORMAL:
	case AP_RESPONSE_RESET_IN_PROGRESS:
		return !status.irq_enabled;
	case AP_RESPONSE_Q_NOT_AVAIL:
	case AP_RESPONSE_DECONFIGURED:
	case AP_RESPONSE_CHECKSTOPPED:
		return true;
	default:
		return false;
	}
}
