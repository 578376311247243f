// SPDX-License-Identifier: GPL-2.0
/*
 * kvm-vfio: drives a vfio_ap mediated device the way a VMM would, with a
 * KVM virtual machine whose vCPUs never run, one step at a time.
 *
 *   kvm-vfio <COMMANDS >RESULTS
 *
 * It reads one command a line from stdin (a FIFO the test script writes)
 * and answers each with one line "COMMAND: RESULT" on stdout, so that the
 * script can do sysfs writes or QMP commands between steps while the
 * device stays open. RESULT is "ok", a value, or an errno name (EINVAL,
 * ...). The process ends at "quit" or at the end of its input; closing
 * its descriptors then releases everything it still holds.
 *
 * Commands (S is a slot 0-3 for a group and its device, I an IRQ index):
 *   pid                  the process id (names the VM's s390dbf area)
 *   plo                  tests all 256 PLO function codes (the test form,
 *                        which KVM uses at start-up); "ccC N ..." counts
 *                        the condition codes
 *   kvm                  open /dev/kvm and create a VM (KVM_CREATE_VM)
 *   vcpu N               create vCPU N (KVM_CREATE_VCPU); it never runs
 *   container            open /dev/vfio/vfio
 *   group S N            open /dev/vfio/N as slot S, put it into the
 *                        container, set the type1v2 IOMMU after the first
 *   kvm-add S            tell KVM about group S (a KVM VFIO device,
 *                        created on first use, KVM_DEV_VFIO_FILE_ADD)
 *   kvm-del S            KVM_DEV_VFIO_FILE_DEL of group S
 *   open S UUID          VFIO_GROUP_GET_DEVICE_FD: the device of slot S
 *   info S               VFIO_DEVICE_GET_INFO: "flags 0xF regions R irqs N"
 *   irq-info S I         VFIO_DEVICE_GET_IRQ_INFO: "flags 0xF count N"
 *   irq S I MODE         VFIO_DEVICE_SET_IRQS with ACTION_TRIGGER:
 *                        eventfd  DATA_EVENTFD, count 1, the slot's eventfd
 *                        off      DATA_EVENTFD, count 1, fd -1
 *                        off0     DATA_EVENTFD, count 0, fd -1
 *                        none     DATA_NONE, count 0
 *                        badfd    DATA_EVENTFD, count 1, fd -2
 *                        mask     DATA_EVENTFD with ACTION_MASK instead
 *   signals S I          how often the eventfd of S/I was signalled since
 *                        the last look (0 if never armed), without waiting
 *   wait S I             the same, after waiting up to 30 s for a signal
 *                        (a host configuration change on the slow debug
 *                        kernel under load can take longer than 5 s)
 *   reset S              VFIO_DEVICE_RESET
 *   close S              close the device of slot S
 *   close-vm             close the vCPUs, the KVM VFIO device, the VM and
 *                        /dev/kvm: the VM goes away (and its s390dbf area)
 *   quit                 exit
 *
 * Freestanding on purpose: no libc, only raw system calls, so that a bare
 * s390x cross compiler is enough to build it statically (see build.sh);
 * ../../lib/nolibc.h has what it shares with the other suites' helpers.
 */
#include "../../lib/nolibc.h"

#define POLLIN		1
#define EAGAIN		11

/* include/uapi/linux/kvm.h */
#define KVM_CREATE_VM		0xae01
#define KVM_CREATE_VCPU		0xae41
/* _IOWR(0xae, 0xe0, 12 bytes), _IOW(0xae, 0xe1, 24 bytes) */
#define KVM_CREATE_DEVICE	0xc00caee0
#define KVM_SET_DEVICE_ATTR	0x4018aee1
#define KVM_DEV_TYPE_VFIO	4
#define KVM_DEV_VFIO_FILE	1
#define KVM_DEV_VFIO_FILE_ADD	1
#define KVM_DEV_VFIO_FILE_DEL	2

#define VFIO_DEVICE_GET_IRQ_INFO	VFIO_IO(9)
#define VFIO_DEVICE_SET_IRQS		VFIO_IO(10)
#define VFIO_DEVICE_RESET		VFIO_IO(11)
#define VFIO_IRQ_SET_DATA_NONE		(1 << 0)
#define VFIO_IRQ_SET_DATA_EVENTFD	(1 << 2)
#define VFIO_IRQ_SET_ACTION_MASK	(1 << 3)
#define VFIO_IRQ_SET_ACTION_TRIGGER	(1 << 5)

#define SLOTS	4
#define IRQS	2

struct kvm_create_device {
	unsigned int type;
	unsigned int fd;
	unsigned int flags;
};

struct kvm_device_attr {
	unsigned int flags;
	unsigned int group;
	unsigned long attr;
	unsigned long addr;
};

struct vfio_irq_info {
	unsigned int argsz;
	unsigned int flags;
	unsigned int index;
	unsigned int count;
};

struct vfio_irq_set_fd {
	unsigned int argsz;
	unsigned int flags;
	unsigned int index;
	unsigned int start;
	unsigned int count;
	int fd;
};

struct pollfd {
	int fd;
	short events;
	short revents;
};

struct timespec {
	long sec;
	long nsec;
};

/* Descriptors; -1 when not open. */
static long kvm_fd = -1, vm_fd = -1, kvm_dev_fd = -1, container_fd = -1;
static long group_fd[SLOTS] = { -1, -1, -1, -1 };
static long device_fd[SLOTS] = { -1, -1, -1, -1 };
static long event_fd[SLOTS][IRQS] = {
	{ -1, -1 }, { -1, -1 }, { -1, -1 }, { -1, -1 }
};
static long vcpu_fd[8] = { -1, -1, -1, -1, -1, -1, -1, -1 };
static int iommu_set;

/* PERFORM LOCKED OPERATION's test form for function code fc; its cc. */
static int plo_test(unsigned long fc)
{
	register unsigned long r0 asm("0") = fc | 0x100;
	int cc;

	asm volatile("plo	0,0,0,0(0)\n"
		     "ipm	%[cc]\n"
		     "srl	%[cc],28\n"
		     : [cc] "=d"(cc)
		     : "d"(r0)
		     : "cc", "memory");
	return cc;
}

static void plo(void)
{
	unsigned long n[4] = { 0, 0, 0, 0 };
	unsigned long fc;
	int cc, first = 1;

	for (fc = 0; fc < 256; fc++)
		n[plo_test(fc)]++;
	for (cc = 0; cc < 4; cc++) {
		if (!n[cc])
			continue;
		if (!first)
			out(" ");
		first = 0;
		out("cc");
		out_num(cc);
		out(" ");
		out_num(n[cc]);
	}
}

/* Parses a decimal number; -1 if the word is not one. */
static long num(const char *s)
{
	long v = 0;

	if (!s || !*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > 100000000)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

static long slot(const char *s)
{
	long v = num(s);

	return v < SLOTS ? v : -1;
}

static long irq_index(const char *s)
{
	long v = num(s);

	return v < IRQS ? v : -1;
}

static long kvm_file(long s, unsigned long attr)
{
	int fd = group_fd[s];
	struct kvm_device_attr a = { 0, KVM_DEV_VFIO_FILE, attr, (unsigned long)&fd };

	if (vm_fd < 0)
		return -9;
	if (kvm_dev_fd < 0) {
		struct kvm_create_device cd = { KVM_DEV_TYPE_VFIO, 0, 0 };
		long rc = sys3(NR_ioctl, vm_fd, KVM_CREATE_DEVICE, (long)&cd);

		if (rc < 0)
			return rc;
		kvm_dev_fd = cd.fd;
	}
	return sys3(NR_ioctl, kvm_dev_fd, KVM_SET_DEVICE_ATTR, (long)&a);
}

static long set_irqs(long s, long i, const char *mode)
{
	struct vfio_irq_set_fd set = {
		sizeof(set), VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
		i, 0, 1, -1
	};

	if (same(mode, "eventfd")) {
		if (event_fd[s][i] < 0) {
			long fd = sys3(NR_eventfd2, 0, O_NONBLOCK, 0);

			if (fd < 0)
				return fd;
			event_fd[s][i] = fd;
		}
		set.fd = event_fd[s][i];
	} else if (same(mode, "off0")) {
		set.count = 0;
	} else if (same(mode, "none")) {
		set.argsz = sizeof(set) - sizeof(set.fd);
		set.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
		set.count = 0;
	} else if (same(mode, "badfd")) {
		set.fd = -2;
	} else if (same(mode, "mask")) {
		set.flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_MASK;
	} else if (!same(mode, "off")) {
		return -22;
	}
	return sys3(NR_ioctl, device_fd[s], VFIO_DEVICE_SET_IRQS, (long)&set);
}

/* The eventfd's counter (signals since the last read); waits up to ms. */
static void signals(long s, long i, long ms)
{
	unsigned long count = 0;
	long rc;

	if (event_fd[s][i] < 0) {
		out("0");
		return;
	}
	if (ms) {
		struct pollfd p = { event_fd[s][i], POLLIN, 0 };
		struct timespec t = { ms / 1000, (ms % 1000) * 1000000 };

		sys5(NR_ppoll, (long)&p, 1, (long)&t, 0, 8);
	}
	rc = sys3(NR_read, event_fd[s][i], (long)&count, sizeof(count));
	if (rc == -EAGAIN)
		count = 0;
	else if (rc < 0) {
		out_rc(rc);
		return;
	}
	out_num(count);
}

static void close_fd(long *fd)
{
	if (*fd >= 0)
		sys3(NR_close, *fd, 0, 0);
	*fd = -1;
}

/* Runs one command (its words in w[0..n-1]); prints the result. */
static int command(char **w, int n)
{
	long s = n > 1 ? slot(w[1]) : -1;
	long i = n > 2 ? irq_index(w[2]) : -1;
	long rc;
	int k;

	if (n == 1 && same(w[0], "pid")) {
		out_num(sys3(NR_getpid, 0, 0, 0));
	} else if (n == 1 && same(w[0], "plo")) {
		plo();
	} else if (n == 1 && same(w[0], "kvm")) {
		close_fd(&vm_fd);
		if (kvm_fd < 0)
			kvm_fd = sys3(NR_open, (long)"/dev/kvm", O_RDWR, 0);
		rc = kvm_fd;
		if (rc >= 0) {
			rc = sys3(NR_ioctl, kvm_fd, KVM_CREATE_VM, 0);
			vm_fd = rc;
		}
		out_rc(rc);
	} else if (n == 2 && same(w[0], "vcpu") && num(w[1]) >= 0 && num(w[1]) < 8) {
		close_fd(&vcpu_fd[num(w[1])]);
		rc = vm_fd < 0 ? -9 : sys3(NR_ioctl, vm_fd, KVM_CREATE_VCPU, num(w[1]));
		if (rc >= 0)
			vcpu_fd[num(w[1])] = rc;
		out_rc(rc);
	} else if (n == 1 && same(w[0], "container")) {
		close_fd(&container_fd);
		container_fd = sys3(NR_open, (long)"/dev/vfio/vfio", O_RDWR, 0);
		out_rc(container_fd);
	} else if (n == 3 && same(w[0], "group") && s >= 0 && num(w[2]) >= 0 &&
		   len(w[2]) < 20) {
		char path[32];
		int cfd = container_fd;

		join(path, "/dev/vfio/", w[2]);
		close_fd(&group_fd[s]);
		rc = sys3(NR_open, (long)path, O_RDWR, 0);
		if (rc >= 0) {
			group_fd[s] = rc;
			rc = sys3(NR_ioctl, rc, VFIO_GROUP_SET_CONTAINER, (long)&cfd);
		}
		if (rc >= 0 && !iommu_set) {
			rc = sys3(NR_ioctl, container_fd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU);
			iommu_set = rc >= 0;
		}
		out_rc(rc);
	} else if (n == 2 && same(w[0], "kvm-add") && s >= 0) {
		out_rc(kvm_file(s, KVM_DEV_VFIO_FILE_ADD));
	} else if (n == 2 && same(w[0], "kvm-del") && s >= 0) {
		out_rc(kvm_file(s, KVM_DEV_VFIO_FILE_DEL));
	} else if (n == 3 && same(w[0], "open") && s >= 0) {
		close_fd(&device_fd[s]);
		rc = sys3(NR_ioctl, group_fd[s], VFIO_GROUP_GET_DEVICE_FD, (long)w[2]);
		if (rc >= 0)
			device_fd[s] = rc;
		out_rc(rc);
	} else if (n == 2 && same(w[0], "info") && s >= 0) {
		struct vfio_device_info info = { sizeof(info), 0, 0, 0, 0, 0 };

		rc = sys3(NR_ioctl, device_fd[s], VFIO_DEVICE_GET_INFO, (long)&info);
		if (rc < 0) {
			out_rc(rc);
		} else {
			out("flags ");
			out_hex(info.flags, 1);
			out(" regions ");
			out_num(info.num_regions);
			out(" irqs ");
			out_num(info.num_irqs);
		}
	} else if (n == 3 && same(w[0], "irq-info") && s >= 0 && num(w[2]) >= 0) {
		/* Any index: the driver must refuse the ones it does not have. */
		struct vfio_irq_info info = { sizeof(info), 0, num(w[2]), 0 };

		rc = sys3(NR_ioctl, device_fd[s], VFIO_DEVICE_GET_IRQ_INFO, (long)&info);
		if (rc < 0) {
			out_rc(rc);
		} else {
			out("flags ");
			out_hex(info.flags, 1);
			out(" count ");
			out_num(info.count);
		}
	} else if (n == 4 && same(w[0], "irq") && s >= 0 && i >= 0) {
		out_rc(set_irqs(s, i, w[3]));
	} else if (n == 3 && same(w[0], "signals") && s >= 0 && i >= 0) {
		signals(s, i, 0);
	} else if (n == 3 && same(w[0], "wait") && s >= 0 && i >= 0) {
		signals(s, i, 30000);
	} else if (n == 2 && same(w[0], "reset") && s >= 0) {
		out_rc(sys3(NR_ioctl, device_fd[s], VFIO_DEVICE_RESET, 0));
	} else if (n == 2 && same(w[0], "close") && s >= 0) {
		out_rc(device_fd[s] < 0 ? -9 : sys3(NR_close, device_fd[s], 0, 0));
		device_fd[s] = -1;
	} else if (n == 1 && same(w[0], "close-vm")) {
		/* The vCPUs and the KVM VFIO device hold references to the VM. */
		for (k = 0; k < 8; k++)
			close_fd(&vcpu_fd[k]);
		close_fd(&kvm_dev_fd);
		out_rc(vm_fd < 0 ? -9 : sys3(NR_close, vm_fd, 0, 0));
		vm_fd = -1;
		close_fd(&kvm_fd);
	} else if (n == 1 && same(w[0], "quit")) {
		out("ok\n");
		return 0;
	} else {
		out("unknown command");
	}
	out("\n");
	return 1;
}

static int run(int argc, char **argv)
{
	char line[256];
	char *w[8];
	unsigned long n = 0;
	int words, k;
	char c;

	for (;;) {
		long rc = sys3(NR_read, 0, (long)&c, 1);

		if (rc <= 0)
			return 0;
		if (c != '\n') {
			if (n < sizeof(line) - 1)
				line[n++] = c;
			continue;
		}
		line[n] = 0;
		/* Echo the command, then split it into words in place. */
		out(line);
		out(": ");
		words = 0;
		for (k = 0; line[k]; k++) {
			if (line[k] == ' ') {
				line[k] = 0;
			} else if (k == 0 || !line[k - 1]) {
				if (words < 8)
					w[words] = line + k;
				words++;
			}
		}
		n = 0;
		if (words > 8) {
			out("unknown command\n");
			continue;
		}
		if (!command(w, words))
			return 0;
	}
}
