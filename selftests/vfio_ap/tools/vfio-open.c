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
 * s390x cross compiler is enough to build it statically (see build.sh);
 * ../../lib/nolibc.h has what it shares with the other suites' helpers.
 */
#include "../../lib/nolibc.h"

#define VFIO_GET_API_VERSION		VFIO_IO(0)
#define VFIO_CHECK_EXTENSION		VFIO_IO(1)
#define VFIO_GROUP_GET_STATUS		VFIO_IO(3)
#define VFIO_TYPE1_IOMMU		1
#define VFIO_GROUP_FLAGS_VIABLE		1

struct vfio_group_status {
	unsigned int argsz;
	unsigned int flags;
};

static int run(int argc, char **argv)
{
	char path[64];
	struct vfio_group_status status = { sizeof(status), 0 };
	struct vfio_device_info info = { sizeof(info), 0, 0, 0, 0, 0 };
	long container, group, device, rc;
	int container_fd;

	if (argc != 3 || len(argv[1]) > 20) {
		out("usage: vfio-open GROUP UUID\n");
		return 2;
	}
	join(path, "/dev/vfio/", argv[1]);

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
