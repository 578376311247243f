// SPDX-License-Identifier: GPL-2.0
/*
 * pqap_test: a test-only module that plays KVM's part of a guest's
 * PQAP(AQIC) for the selftests. Under TCG there is no SIE, so a guest's
 * PQAP is never intercepted; this module calls the PQAP hook that the
 * vfio_ap driver registered on a VM, on a created but never run vCPU,
 * with the registers a guest's PQAP(AQIC) carries, under the locks KVM's
 * intercept path holds, and hands back what the guest would see.
 *
 * /dev/pqap_test, ioctls:
 *   PQAP_TEST_AQIC: one PQAP(AQIC) on the vCPU behind a vCPU file
 *     descriptor of the calling process (struct pqap_test_aqic).
 *   PQAP_TEST_TAPQ: PQAP(TAPQ) of this kernel on an APQN: the queue's
 *     status word as the (emulated) machine has it, e.g. its I bit.
 *
 * Never part of vfio_ap.ko; built for the test kernel by
 * selftests/pqap/tools/build.sh.
 */
#include <linux/dcache.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kvm_host.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <asm/ap.h>

#include "pqap_test.h"

/*
 * Whether @f is a vCPU file of KVM. KVM's file operations are not
 * exported; its vCPU files are anonymous inodes named "kvm-vcpu:<id>" with
 * the vCPU as private data, and the vCPU must be the one its VM knows by
 * that id.
 */
static struct kvm_vcpu *vcpu_of_file(struct file *f)
{
	const char *name = (const char *)file_dentry(f)->d_name.name;
	struct kvm_vcpu *vcpu;

	if (strncmp(name, "kvm-vcpu:", 9) || !f->private_data)
		return NULL;
	vcpu = f->private_data;
	if (kvm_get_vcpu_by_id(vcpu->kvm, vcpu->vcpu_id) != vcpu)
		return NULL;
	return vcpu;
}

/*
 * What KVM does for an intercepted PQAP(AQIC) once its own checks passed:
 * call the hook under the hook semaphore and set the condition code from
 * the response code in GR1; without a hook, answer RC 01 itself.
 * Called with what KVM_RUN holds at that point: vcpu->mutex (the vCPU
 * ioctl) and the VM's SRCU read lock.
 */
static void call_hook(struct kvm_vcpu *vcpu, struct pqap_test_aqic *req)
{
	struct kvm *kvm = vcpu->kvm;
	struct ap_queue_status status = {};
	u64 *gprs = vcpu->run->s.regs.gprs;
	crypto_hook hook;

	down_read(&kvm->arch.crypto.pqap_hook_rwsem);
	if (kvm->arch.crypto.pqap_hook) {
		hook = *kvm->arch.crypto.pqap_hook;
		req->info |= PQAP_TEST_HOOKED;
		req->hook_rc = hook(vcpu);
		if (req->hook_rc)
			req->cc = PQAP_TEST_NO_CC;
		else
			req->cc = (gprs[1] & 0x00ff0000) ? 3 : 0;
		up_read(&kvm->arch.crypto.pqap_hook_rwsem);
		return;
	}
	up_read(&kvm->arch.crypto.pqap_hook_rwsem);
	/* KVM copies the status word into the leftmost half of GR1. */
	status.response_code = 0x01;	/* queue not available */
	memcpy(&gprs[1], &status, sizeof(status));
	req->hook_rc = 0;
	req->cc = 3;
}

static long pqap_test_aqic(struct pqap_test_aqic __user *uarg)
{
	struct pqap_test_aqic req;
	struct kvm_vcpu *vcpu;
	u64 *gprs, saved[3];
	u32 eca;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.flags & ~PQAP_TEST_FORCE_AIV || req.info || req.pad)
		return -EINVAL;
	/* KVM hands only AQIC (function code 3) to the hook. */
	if (((req.gr0 >> 24) & 0xff) != 3)
		return -EINVAL;

	CLASS(fd, f)(req.vcpu_fd);
	if (fd_empty(f))
		return -EBADF;
	/* The file holds a reference to the VM, so the vCPU stays. */
	vcpu = vcpu_of_file(fd_file(f));
	if (!vcpu)
		return -EINVAL;
	/* As KVM's vCPU ioctls: only the VM's own process. */
	if (vcpu->kvm->mm != current->mm)
		return -EIO;
	if (mutex_lock_killable(&vcpu->mutex))
		return -EINTR;
	kvm_vcpu_srcu_read_lock(vcpu);

	gprs = vcpu->run->s.regs.gprs;
	memcpy(saved, gprs, sizeof(saved));
	gprs[0] = req.gr0;
	gprs[1] = req.gr1;
	gprs[2] = req.gr2;
	/*
	 * KVM gives a vCPU AIV only with a GISA, which needs the AIV facility
	 * that TCG lacks; the vCPU never runs, so its SIE block is only read
	 * by the hook here.
	 */
	eca = vcpu->arch.sie_block->eca;
	if (eca & ECA_AIV)
		req.info |= PQAP_TEST_REAL_AIV;
	if (req.flags & PQAP_TEST_FORCE_AIV)
		vcpu->arch.sie_block->eca |= ECA_AIV;

	call_hook(vcpu, &req);

	vcpu->arch.sie_block->eca = eca;
	req.gr0 = gprs[0];
	req.gr1 = gprs[1];
	req.gr2 = gprs[2];
	memcpy(gprs, saved, sizeof(saved));

	kvm_vcpu_srcu_read_unlock(vcpu);
	mutex_unlock(&vcpu->mutex);

	if (copy_to_user(uarg, &req, sizeof(req)))
		return -EFAULT;
	return 0;
}

static long pqap_test_tapq(struct pqap_test_tapq __user *uarg)
{
	struct pqap_test_tapq req;
	struct ap_queue_status status;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.apqn > 0xffff || req.status)
		return -EINVAL;
	status = ap_tapq(req.apqn, NULL);
	req.status = status.value;
	if (copy_to_user(uarg, &req, sizeof(req)))
		return -EFAULT;
	return 0;
}

static long pqap_test_ioctl(struct file *file, unsigned int cmd,
			    unsigned long arg)
{
	switch (cmd) {
	case PQAP_TEST_AQIC:
		return pqap_test_aqic((struct pqap_test_aqic __user *)arg);
	case PQAP_TEST_TAPQ:
		return pqap_test_tapq((struct pqap_test_tapq __user *)arg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations pqap_test_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = pqap_test_ioctl,
};

static struct miscdevice pqap_test_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "pqap_test",
	.fops = &pqap_test_fops,
	.mode = 0600,
};

static int __init pqap_test_init(void)
{
	if (!ap_instructions_available())
		return -ENODEV;
	return misc_register(&pqap_test_dev);
}

static void __exit pqap_test_exit(void)
{
	misc_deregister(&pqap_test_dev);
}

module_init(pqap_test_init);
module_exit(pqap_test_exit);
MODULE_DESCRIPTION("Selftest helper: calls the PQAP(AQIC) hook of a KVM guest");
MODULE_LICENSE("GPL");
