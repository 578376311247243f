/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the selftests' static s390x guest helpers share instead of a libc:
 * raw system calls, the VFIO ioctls they all use, printing strings, numbers and system call results on
 * stdout, the few string helpers they need, the memset/memcpy the compiler
 * may emit calls to, and the _start entry.
 *
 * Each helper is one source file that includes this header once and then
 * defines
 *
 *   static int run(int argc, char **argv);
 *
 * whose return value becomes the exit status. build-helpers.sh builds
 * them (freestanding, no libc, so that a bare s390x cross compiler does).
 * The functions are static inline so that a helper that does not use one
 * builds without an unused-function warning.
 */
#ifndef SELFTESTS_NOLIBC_H
#define SELFTESTS_NOLIBC_H

/* System call numbers of s390x (arch/s390/kernel/syscalls/syscall.tbl). */
#define NR_read		3
#define NR_write	4
#define NR_open		5
#define NR_close	6
#define NR_getpid	20
#define NR_ioctl	54
#define NR_exit_group	248
#define NR_ppoll	302
#define NR_eventfd2	323

#define O_WRONLY	1
#define O_RDWR		2
#define O_NONBLOCK	04000

/* The part of include/uapi/linux/vfio.h that all helpers use. */
#define VFIO_IO(n)			((';' << 8) | (100 + (n)))
#define VFIO_SET_IOMMU			VFIO_IO(2)
#define VFIO_GROUP_SET_CONTAINER	VFIO_IO(4)
#define VFIO_GROUP_UNSET_CONTAINER	VFIO_IO(5)
#define VFIO_GROUP_GET_DEVICE_FD	VFIO_IO(6)
#define VFIO_DEVICE_GET_INFO		VFIO_IO(7)
#define VFIO_TYPE1v2_IOMMU		3

struct vfio_device_info {
	unsigned int argsz;
	unsigned int flags;
	unsigned int num_regions;
	unsigned int num_irqs;
	unsigned int cap_offset;
	unsigned int pad;
};

static inline long sys5(long nr, long a, long b, long c, long d, long e)
{
	register long r1 asm("1") = nr;
	register long r2 asm("2") = a;
	register long r3 asm("3") = b;
	register long r4 asm("4") = c;
	register long r5 asm("5") = d;
	register long r6 asm("6") = e;

	asm volatile("svc 0"
		     : "+d"(r2)
		     : "d"(r1), "d"(r3), "d"(r4), "d"(r5), "d"(r6)
		     : "memory", "cc");
	return r2;
}

static inline long sys3(long nr, long a, long b, long c)
{
	return sys5(nr, a, b, c, 0, 0);
}

static inline unsigned long len(const char *s)
{
	unsigned long n = 0;

	while (s[n])
		n++;
	return n;
}

/* join D A B: D becomes A followed by B; D must have room for both. */
static inline void join(char *d, const char *a, const char *b)
{
	while (*a)
		*d++ = *a++;
	while (*b)
		*d++ = *b++;
	*d = 0;
}

/* Whether the strings a and b are equal. */
static inline int same(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

static inline void out(const char *s)
{
	sys3(NR_write, 1, (long)s, len(s));
}

/* out_base V BASE DIGITS: V in BASE (10 or 16), at least DIGITS digits. */
static inline void out_base(unsigned long v, unsigned int base, int digits)
{
	char buf[24];
	int i = sizeof(buf) - 1;

	buf[i] = 0;
	do {
		buf[--i] = "0123456789abcdef"[v % base];
		v /= base;
		digits--;
	} while (v || digits > 0);
	out(buf + i);
}

static inline void out_num(unsigned long v)
{
	out_base(v, 10, 1);
}

/* out_hex V DIGITS: "0x" and V in hex, at least DIGITS digits. */
static inline void out_hex(unsigned long v, int digits)
{
	out("0x");
	out_base(v, 16, digits);
}

/* The name of errno e if the helpers know it, else 0. */
static inline const char *errname(long e)
{
	switch (e) {
	case 1: return "EPERM";
	case 2: return "ENOENT";
	case 4: return "EINTR";
	case 5: return "EIO";
	case 9: return "EBADF";
	case 11: return "EAGAIN";
	case 12: return "ENOMEM";
	case 13: return "EACCES";
	case 14: return "EFAULT";
	case 16: return "EBUSY";
	case 17: return "EEXIST";
	case 19: return "ENODEV";
	case 22: return "EINVAL";
	case 25: return "ENOTTY";
	case 95: return "EOPNOTSUPP";
	default: return 0;
	}
}

/* out_err RC: the errno name of the failed call's RC, or "errno N". */
static inline void out_err(long rc)
{
	if (errname(-rc)) {
		out(errname(-rc));
	} else {
		out("errno ");
		out_num(-rc);
	}
}

/* out_rc RC: "ok" for a call that succeeded, else as out_err. */
static inline void out_rc(long rc)
{
	if (rc >= 0)
		out("ok");
	else
		out_err(rc);
}

/* step NAME RC: prints the line "NAME: " and out_rc's word; returns RC. */
static inline long step(const char *name, long rc)
{
	out(name);
	out(": ");
	out_rc(rc);
	out("\n");
	return rc;
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

static int run(int argc, char **argv);

void cstart(long *sp);
void cstart(long *sp)
{
	sys3(NR_exit_group, run((int)sp[0], (char **)(sp + 1)), 0, 0);
}

/* The kernel starts a program with argc at 0(%r15) and argv after it. */
asm(".text\n"
    ".globl _start\n"
    "_start:\n"
    "	lgr	%r2,%r15\n"
    "	aghi	%r15,-160\n"
    "	xc	0(8,%r15),0(%r15)\n"
    "	brasl	%r14,cstart\n");

#endif
