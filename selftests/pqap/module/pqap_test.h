/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Interface of the pqap_test module (/dev/pqap_test), shared by the module
 * and the guest program, which has no libc and no kernel headers.
 */
#ifndef PQAP_TEST_H
#define PQAP_TEST_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
typedef unsigned long long __u64;
typedef unsigned int __u32;
typedef int __s32;
#endif

/* PQAP_TEST_AQIC: one PQAP(AQIC), as a guest on vCPU @vcpu_fd issues it. */
struct pqap_test_aqic {
	__s32 vcpu_fd;		/* in: a KVM vCPU fd of the calling process */
	__u32 flags;		/* in: PQAP_TEST_FORCE_AIV */
	__u64 gr0;		/* in: function code 3 (bits 32-39), APQN */
	__u64 gr1;		/* in: IR (bit 16), ISC (61-63); out: status */
	__u64 gr2;		/* in: the NIB's guest address */
	__s32 hook_rc;		/* out: the hook's return value */
	__u32 info;		/* in: 0; out: PQAP_TEST_HOOKED, _REAL_AIV */
	__u32 cc;		/* out: condition code, or PQAP_TEST_NO_CC */
	__u32 pad;		/* in: 0 */
};

/* The vCPU has AIV (the adapter-interruption facility) for this call. */
#define PQAP_TEST_FORCE_AIV	0x1
/* A PQAP hook was registered and ran (else KVM answered RC 01). */
#define PQAP_TEST_HOOKED	0x1
/* KVM itself gave the vCPU AIV. */
#define PQAP_TEST_REAL_AIV	0x2
/* The hook failed: KVM would exit to user space without setting a cc. */
#define PQAP_TEST_NO_CC		0xffffffffu

/* PQAP_TEST_TAPQ: the status word TAPQ of this kernel gets for @apqn. */
struct pqap_test_tapq {
	__u32 apqn;		/* in */
	__u32 status;		/* in: 0; out: the queue status word */
};

/* _IOWR('Q', nr, type) of the generic ioctl encoding (s390 uses it). */
#define PQAP_TEST_IOWR(nr, type) \
	((3u << 30) | ((unsigned int)sizeof(type) << 16) | ('Q' << 8) | (nr))
#define PQAP_TEST_AQIC	PQAP_TEST_IOWR(1, struct pqap_test_aqic)
#define PQAP_TEST_TAPQ	PQAP_TEST_IOWR(2, struct pqap_test_tapq)

#endif
