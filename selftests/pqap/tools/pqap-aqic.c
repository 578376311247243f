// SPDX-License-Identifier: GPL-2.0
/*
 * pqap-aqic: sets up what a VMM sets up for a vfio_ap guest (a KVM VM with
 * guest memory and a vCPU that never runs, the mdev's VFIO group in a
 * type1 container, the group added to KVM's VFIO device, the device
 * opened) and then runs STEPs, printing one "step: result" line each:
 *
 *   pqap-aqic GROUP UUID STEP...
 *
 *   nokvm            (first step only) do not add the group to KVM
 *   map IOVA SIZE    VFIO_IOMMU_MAP_DMA of guest memory at IOVA (= guest
 *                    address), SIZE bytes
 *   unmap IOVA SIZE  VFIO_IOMMU_UNMAP_DMA
 *   on APQN ISC NIB  PQAP(AQIC) with IR set (enable), vCPU with AIV
 *   off APQN         PQAP(AQIC) with IR clear (disable), vCPU with AIV
 *   on-noaiv APQN ISC NIB, off-noaiv APQN
 *                    the same on the vCPU as KVM set it up (no AIV)
 *   tapq APQN        the queue's status word from TAPQ of this kernel
 *   close            close the device fd (the guest goes away)
 *   write FILE TEXT  writes TEXT and a newline to FILE (a sysfs attribute),
 *                    e.g. to change the mdev while the guest uses it
 *   cat FILE         prints FILE, each line behind "| " (e.g. the s390dbf
 *                    view, which formats some entries only when read and
 *                    then may look at this process's kernel stack)
 *
 * APQN is written as in sysfs (05.0004), IOVA, SIZE and NIB in hex (0x...),
 * ISC in decimal. PQAP goes through /dev/pqap_test (the pqap_test module),
 * which calls the PQAP hook the vfio_ap driver registered with KVM.
 * Guest memory is GUEST_MEM bytes at guest address 0.
 *
 * Freestanding like ../../vfio_ap/tools/vfio-open.c: no libc, raw system
 * calls, static (see build.sh), sharing ../../lib/nolibc.h.
 */
#include "../../lib/nolibc.h"
#include "../module/pqap_test.h"

#define VFIO_IOMMU_MAP_DMA		VFIO_IO(13)
#define VFIO_IOMMU_UNMAP_DMA		VFIO_IO(14)

/* include/uapi/linux/kvm.h; KVMIO is 0xae. */
#define KVM_IO(nr)			((0xae << 8) | (nr))
#define KVM_IOW(nr, size)		((1u << 30) | ((size) << 16) | KVM_IO(nr))
#define KVM_IOWR(nr, size)		((3u << 30) | ((size) << 16) | KVM_IO(nr))
#define KVM_CREATE_VM			KVM_IO(0x01)
#define KVM_CREATE_VCPU			KVM_IO(0x41)
#define KVM_SET_USER_MEMORY_REGION	KVM_IOW(0x46, 32)
#define KVM_CREATE_DEVICE		KVM_IOWR(0xe0, 12)
#define KVM_SET_DEVICE_ATTR		KVM_IOW(0xe1, 24)
#define KVM_DEV_TYPE_VFIO		4
#define KVM_DEV_VFIO_FILE		1
#define KVM_DEV_VFIO_FILE_ADD		1

#define GUEST_MEM	0x40000

struct kvm_userspace_memory_region {
	__u32 slot;
	__u32 flags;
	__u64 guest_phys_addr;
	__u64 memory_size;
	__u64 userspace_addr;
};

struct kvm_create_device {
	__u32 type;
	__u32 fd;
	__u32 flags;
};

struct kvm_device_attr {
	__u32 flags;
	__u32 group;
	__u64 attr;
	__u64 addr;
};

struct vfio_dma_map {
	__u32 argsz;
	__u32 flags;
	__u64 vaddr;
	__u64 iova;
	__u64 size;
};

struct vfio_dma_unmap {
	__u32 argsz;
	__u32 flags;
	__u64 iova;
	__u64 size;
};

static unsigned char guest_mem[GUEST_MEM] __attribute__((aligned(4096)));

/* parse_num S BASE V: whether S is a number in BASE (hex needs 0x). */
static int parse_num(const char *s, unsigned int base, unsigned long *v)
{
	unsigned long n = 0;
	int d;

	if (base == 16) {
		if (s[0] != '0' || s[1] != 'x')
			return 0;
		s += 2;
	}
	if (!*s)
		return 0;
	for (; *s; s++) {
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else
			return 0;
		if (n >> 60)
			return 0;
		n = n * base + d;
	}
	*v = n;
	return 1;
}

/* parse_apqn "AA.DDDD": the APQN (adapter in the high byte). */
static int parse_apqn(const char *s, unsigned long *apqn)
{
	char a[8] = "0x", d[8] = "0x";
	unsigned long card, dom;
	int i;

	if (len(s) != 7 || s[2] != '.')
		return 0;
	for (i = 0; i < 2; i++)
		a[2 + i] = s[i];
	a[4] = 0;
	for (i = 0; i < 4; i++)
		d[2 + i] = s[3 + i];
	d[6] = 0;
	if (!parse_num(a, 16, &card) || !parse_num(d, 16, &dom) || dom > 0xff)
		return 0;
	*apqn = card << 8 | dom;
	return 1;
}

static long pqap_fd = -1;
static long vcpu_fd = -1;

/*
 * aqic ARGS IR AIV: one PQAP(AQIC) through the pqap_test module. ARGS are
 * APQN [ISC NIB]. Prints the status word the guest gets in GR1 and the
 * condition code, or what happened instead.
 */
static int aqic(char **args, int ir, int aiv)
{
	struct pqap_test_aqic req = { 0 };
	unsigned long apqn, isc = 0, nib = 0;
	long rc;

	if (!parse_apqn(args[0], &apqn) ||
	    (ir && (!parse_num(args[1], 10, &isc) || !parse_num(args[2], 16, &nib))))
		return -1;
	req.vcpu_fd = vcpu_fd;
	req.flags = aiv ? PQAP_TEST_FORCE_AIV : 0;
	req.gr0 = 3UL << 24 | apqn;
	req.gr1 = (ir ? 1UL << (63 - 16) : 0) | isc;
	req.gr2 = nib;
	rc = sys3(NR_ioctl, pqap_fd, PQAP_TEST_AQIC, (long)&req);
	out(ir ? "on" : "off");
	out(aiv ? " " : "-noaiv ");
	out(args[0]);
	if (ir) {
		out(" isc ");
		out(args[1]);
		out(" nib ");
		out(args[2]);
	}
	out(": ");
	if (rc < 0) {
		out_err(rc);
	} else if (!(req.info & PQAP_TEST_HOOKED)) {
		/* KVM's own answer: no vfio_ap device on this VM. */
		out("no hook, gr1 ");
		out_hex(req.gr1, 16);
		out(" cc ");
		out_num(req.cc);
	} else if (req.hook_rc) {
		/* KVM would exit to user space with the registers unchanged. */
		out("hook ");
		out_err(req.hook_rc);
		out(", gr1 ");
		out(req.gr1 == ((ir ? 1UL << (63 - 16) : 0) | isc) ? "unchanged" : "changed");
	} else {
		out("gr1 ");
		out_hex(req.gr1, 16);
		out(" cc ");
		out_num(req.cc);
	}
	if (rc >= 0 && (req.info & PQAP_TEST_REAL_AIV))
		out(" (KVM gave the vCPU AIV)");
	out("\n");
	return ir ? 3 : 1;
}

static int tapq(char **args)
{
	struct pqap_test_tapq req = { 0 };
	unsigned long apqn;
	long rc;

	if (!parse_apqn(args[0], &apqn))
		return -1;
	req.apqn = apqn;
	rc = sys3(NR_ioctl, pqap_fd, PQAP_TEST_TAPQ, (long)&req);
	out("tapq ");
	out(args[0]);
	out(": ");
	if (rc < 0) {
		out_err(rc);
	} else {
		out("status ");
		out_hex(req.status, 8);
		out((req.status & 0x01000000) ? " irq on" : " irq off");
	}
	out("\n");
	return 1;
}

/* dma MAP ARGS: VFIO_IOMMU_(UN)MAP_DMA of IOVA SIZE. */
static int dma(long container, int map, char **args)
{
	unsigned long iova, size;
	long rc;

	if (!parse_num(args[0], 16, &iova) || !parse_num(args[1], 16, &size))
		return -1;
	if (map) {
		struct vfio_dma_map m = { sizeof(m), 3, 0, iova, size };

		/* Guest address IOVA is at guest_mem + IOVA. */
		m.vaddr = (unsigned long)guest_mem + iova;
		rc = sys3(NR_ioctl, container, VFIO_IOMMU_MAP_DMA, (long)&m);
	} else {
		struct vfio_dma_unmap u = { sizeof(u), 0, iova, size };

		rc = sys3(NR_ioctl, container, VFIO_IOMMU_UNMAP_DMA, (long)&u);
		/* The kernel reports the size it unmapped. */
		if (rc >= 0 && u.size != size)
			rc = -5;
	}
	out(map ? "map " : "unmap ");
	out(args[0]);
	out(" ");
	out(args[1]);
	step("", rc);
	return 2;
}

/* write_file ARGS: FILE TEXT, in one write with a newline. */
static int write_file(char **args)
{
	char buf[128];
	unsigned long n = len(args[1]);
	long fd, rc;

	if (n + 1 > sizeof(buf))
		return -1;
	memcpy(buf, args[1], n);
	buf[n] = '\n';
	fd = sys3(NR_open, (long)args[0], O_WRONLY, 0);
	rc = fd;
	if (fd >= 0) {
		rc = sys3(NR_write, fd, (long)buf, n + 1);
		sys3(NR_close, fd, 0, 0);
	}
	out("write ");
	out(args[1]);
	out(" to ");
	out(args[0]);
	step("", rc);
	return 2;
}

/* cat_file ARGS: FILE, each line prefixed. */
static int cat_file(char **args)
{
	char buf[512];
	int at_start = 1;
	long fd, n, i, j;

	fd = sys3(NR_open, (long)args[0], 0, 0);
	out("cat ");
	if (step(args[0], fd) < 0)
		return 1;
	while ((n = sys3(NR_read, fd, (long)buf, sizeof(buf))) > 0) {
		for (i = 0; i < n; i = j) {
			/* Up to and including the next newline. */
			for (j = i; j < n && buf[j] != '\n'; j++)
				;
			if (j < n)
				j++;
			if (at_start)
				out("| ");
			sys3(NR_write, 1, (long)&buf[i], j - i);
			at_start = buf[j - 1] == '\n';
		}
	}
	if (!at_start)
		out("\n");
	sys3(NR_close, fd, 0, 0);
	return 1;
}

static long vm_setup(int with_kvm, long group)
{
	struct kvm_userspace_memory_region region = {
		0, 0, 0, GUEST_MEM, (unsigned long)guest_mem
	};
	struct kvm_create_device dev = { KVM_DEV_TYPE_VFIO, 0, 0 };
	struct kvm_device_attr attr = { 0, KVM_DEV_VFIO_FILE, KVM_DEV_VFIO_FILE_ADD, 0 };
	int group_fd = group;	/* the attribute points at an int */
	long kvm, vm;

	kvm = step("open kvm", sys3(NR_open, (long)"/dev/kvm", O_RDWR, 0));
	if (kvm < 0)
		return -1;
	vm = step("create vm", sys3(NR_ioctl, kvm, KVM_CREATE_VM, 0));
	if (vm < 0)
		return -1;
	if (step("guest memory", sys3(NR_ioctl, vm, KVM_SET_USER_MEMORY_REGION,
				      (long)&region)) < 0)
		return -1;
	vcpu_fd = step("create vcpu", sys3(NR_ioctl, vm, KVM_CREATE_VCPU, 0));
	if (vcpu_fd < 0)
		return -1;
	if (!with_kvm)
		return 0;
	if (step("kvm vfio device", sys3(NR_ioctl, vm, KVM_CREATE_DEVICE, (long)&dev)) < 0)
		return -1;
	attr.addr = (unsigned long)&group_fd;
	if (step("add group to kvm", sys3(NR_ioctl, dev.fd, KVM_SET_DEVICE_ATTR,
					  (long)&attr)) < 0)
		return -1;
	return 0;
}

static int run(int argc, char **argv)
{
	char path[64];
	long container, group, device;
	int container_fd, i, n, with_kvm = 1;

	if (argc < 3 || len(argv[1]) > 20) {
		out("usage: pqap-aqic GROUP UUID STEP...\n");
		return 2;
	}
	join(path, "/dev/vfio/", argv[1]);
	if (argc > 3 && same(argv[3], "nokvm"))
		with_kvm = 0;

	pqap_fd = sys3(NR_open, (long)"/dev/pqap_test", O_RDWR, 0);
	if (step("open /dev/pqap_test", pqap_fd) < 0)
		return 1;
	container = sys3(NR_open, (long)"/dev/vfio/vfio", O_RDWR, 0);
	group = sys3(NR_open, (long)path, O_RDWR, 0);
	if (step("open container", container) < 0 || step("open group", group) < 0)
		return 1;
	container_fd = container;
	if (step("set container", sys3(NR_ioctl, group, VFIO_GROUP_SET_CONTAINER,
				       (long)&container_fd)) < 0 ||
	    step("set iommu", sys3(NR_ioctl, container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU)) < 0)
		return 1;
	if (vm_setup(with_kvm, group))
		return 1;
	device = step("get device fd", sys3(NR_ioctl, group, VFIO_GROUP_GET_DEVICE_FD,
					    (long)argv[2]));

	for (i = 3 + !with_kvm; i < argc; i += n) {
		const char *s = argv[i];
		int left = argc - i - 1;

		n = -1;
		if (same(s, "map") && left >= 2)
			n = dma(container, 1, argv + i + 1);
		else if (same(s, "unmap") && left >= 2)
			n = dma(container, 0, argv + i + 1);
		else if (same(s, "on") && left >= 3)
			n = aqic(argv + i + 1, 1, 1);
		else if (same(s, "off") && left >= 1)
			n = aqic(argv + i + 1, 0, 1);
		else if (same(s, "on-noaiv") && left >= 3)
			n = aqic(argv + i + 1, 1, 0);
		else if (same(s, "off-noaiv") && left >= 1)
			n = aqic(argv + i + 1, 0, 0);
		else if (same(s, "tapq") && left >= 1)
			n = tapq(argv + i + 1);
		else if (same(s, "write") && left >= 2)
			n = write_file(argv + i + 1);
		else if (same(s, "cat") && left >= 1)
			n = cat_file(argv + i + 1);
		else if (same(s, "close") && device >= 0)
			n = step("close device", sys3(NR_close, device, 0, 0)) < 0 ? -1 : 0;
		if (n < 0) {
			out("bad step: ");
			out(s);
			out("\n");
			return 2;
		}
		n++;
		if (same(s, "close"))
			device = -1;
	}
	if (device >= 0)
		sys3(NR_close, device, 0, 0);
	step("unset container", sys3(NR_ioctl, group, VFIO_GROUP_UNSET_CONTAINER, 0));
	return 0;
}
