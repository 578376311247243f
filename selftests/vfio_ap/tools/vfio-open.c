// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-open: tries to open a vfio_ap mediated device through the VFIO
 * group/container interface, the way a VMM would, and prints what each
 * step returned, one "step: result" line per step.
 *
 *   vfio-open GROUP UUID
 *
 * GROUP is the number of the mdev's IOMMU group (/dev/vfio/GROUP), UUID
 * the mdev's name. Results are "ok" or an errno name (EINVAL, ...).
 *
 * Freestanding on purpose: no libc, only raw system calls, so that a bare
 * s390x cross compiler is enough to build it statically (see build.sh).
 */

/* System call numbers of s390x (arch/s390/kernel/syscalls/syscall.tbl). */
#define NR_write	4
#define NR_open		5
#define NR_close	6
#define NR_ioctl	54
#define NR_exit_group	248

#define O_RDWR		2

/* include/uapi/linux/vfio.h: _IO(';', 100 + n) */
#define VFIO_IO(n)			((';' << 8) | (100 + (n)))
#define VFIO_GET_API_VERSION		VFIO_IO(0)
#define VFIO_CHECK_EXTENSION		VFIO_IO(1)
#define VFIO_SET_IOMMU			VFIO_IO(2)
#define VFIO_GROUP_GET_STATUS		VFIO_IO(3)
#define VFIO_GROUP_SET_CONTAINER	VFIO_IO(4)
#define VFIO_GROUP_UNSET_CONTAINER	VFIO_IO(5)
#define VFIO_GROUP_GET_DEVICE_FD	VFIO_IO(6)
#define VFIO_DEVICE_GET_INFO		VFIO_IO(7)
#define VFIO_TYPE1_IOMMU		1
#define VFIO_TYPE1v2_IOMMU		3
#define VFIO_GROUP_FLAGS_VIABLE		1

struct vfio_group_status {
	unsigned int argsz;
	unsigned int flags;
};

struct vfio_device_info {
	unsigned int argsz;
	unsigned int flags;
	unsigned int num_regions;
	unsigned int num_irqs;
	unsigned int cap_offset;
	unsigned int pad;
};

static long sys3(long nr, long a, long b, long c)
{
	register long r1 asm("1") = nr;
	register long r2 asm("2") = a;
	register long r3 asm("3") = b;
	register long r4 asm("4") = c;

	asm volatile("svc 0" : "+d"(r2) : "d"(r1), "d"(r3), "d"(r4) : "memory", "cc");
	return r2;
}

static unsigned long len(const char *s)
{
	unsigned long n = 0;

	while (s[n])
		n++;
	return n;
}

static void out(const char *s)
{
	sys3(NR_write, 1, (long)s, len(s));
}

static void out_num(unsigned long v)
{
	char buf[24];
	int i = sizeof(buf) - 1;

	buf[i] = 0;
	do {
		buf[--i] = '0' + v % 10;
		v /= 10;
	} while (v);
	out(buf + i);
}

static const char *errname(long e)
{
	switch (e) {
	case 1: return "EPERM";
	case 2: return "ENOENT";
	case 9: return "EBADF";
	case 12: return "ENOMEM";
	case 13: return "EACCES";
	case 14: return "EFAULT";
	case 16: return "EBUSY";
	case 19: return "ENODEV";
	case 22: return "EINVAL";
	case 25: return "ENOTTY";
	case 95: return "EOPNOTSUPP";
	default: return 0;
	}
}

/* step NAME RESULT: prints "NAME: ok" or "NAME: E..." (or "NAME: errno N"). */
static long step(const char *name, long rc)
{
	out(name);
	out(": ");
	if (rc >= 0) {
		out("ok");
	} else if (errname(-rc)) {
		out(errname(-rc));
	} else {
		out("errno ");
		out_num(-rc);
	}
	out("\n");
	return rc;
}

static int run(int argc, char **argv)
{
	char path[64] = "/dev/vfio/";
	struct vfio_group_status status = { sizeof(status), 0 };
	struct vfio_device_info info = { sizeof(info), 0, 0, 0, 0, 0 };
	long container, group, device, rc;
	int container_fd;
	unsigned long i, n;

	if (argc != 3 || len(argv[1]) > 20) {
		out("usage: vfio-open GROUP UUID\n");
		return 2;
	}
	n = len(path);
	for (i = 0; argv[1][i]; i++)
		path[n + i] = argv[1][i];
	path[n + i] = 0;

	container = step("open container", sys3(NR_open, (long)"/dev/vfio/vfio", O_RDWR, 0));
	if (container < 0)
		return 1;
	rc = sys3(NR_ioctl, container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU);
	out("type1v2 iommu: ");
	out(rc == 1 ? "supported\n" : "not supported\n");
	group = step("open group", sys3(NR_open, (long)path, O_RDWR, 0));
	if (group < 0)
		return 1;
	rc = step("group status", sys3(NR_ioctl, group, VFIO_GROUP_GET_STATUS, (long)&status));
	if (rc >= 0) {
		out("group viable: ");
		out(status.flags & VFIO_GROUP_FLAGS_VIABLE ? "yes\n" : "no\n");
	}
	container_fd = container;	/* the ioctl reads an int */
	rc = step("set container", sys3(NR_ioctl, group, VFIO_GROUP_SET_CONTAINER, (long)&container_fd));
	if (rc < 0)
		return 1;
	rc = step("set iommu", sys3(NR_ioctl, container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	if (rc < 0)
		return 1;
	device = step("get device fd", sys3(NR_ioctl, group, VFIO_GROUP_GET_DEVICE_FD, (long)argv[2]));
	if (device >= 0) {
		rc = step("device info", sys3(NR_ioctl, device, VFIO_DEVICE_GET_INFO, (long)&info));
		if (rc >= 0) {
			out("device flags: ");
			out_num(info.flags);
			out(" irqs: ");
			out_num(info.num_irqs);
			out("\n");
		}
		sys3(NR_close, device, 0, 0);
	}
	step("unset container", sys3(NR_ioctl, group, VFIO_GROUP_UNSET_CONTAINER, 0));
	sys3(NR_close, group, 0, 0);
	sys3(NR_close, container, 0, 0);
	return 0;
}

/* The compiler may emit calls to these for structure copies. */
void *memset(void *d, int c, unsigned long n)
{
	unsigned char *p = d;

	while (n--)
		*p++ = c;
	return d;
}

void *memcpy(void *d, const void *s, unsigned long n)
{
	unsigned char *p = d;
	const unsigned char *q = s;

	while (n--)
		*p++ = *q++;
	return d;
}

void cstart(long *sp)
{
	sys3(NR_exit_group, run((int)sp[0], (char **)(sp + 1)), 0, 0);
}

/* The kernel starts us with argc at 0(%r15) and argv after it. */
asm(".text\n"
    ".globl _start\n"
    "_start:\n"
    "	lgr	%r2,%r15\n"
    "	aghi	%r15,-160\n"
    "	xc	0(8,%r15),0(%r15)\n"
    "	brasl	%r14,cstart\n");
