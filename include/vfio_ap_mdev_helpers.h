/* SPDX-License-Identifier: GPL-2.0 */
/*
 * C helpers of the Rust vfio_ap module for mediated devices and VFIO:
 * struct internals, static inlines and the constant ops table, which Rust
 * cannot reach through the kernel crate's bindings.
 */
#ifndef VFIO_AP_MDEV_HELPERS_H
#define VFIO_AP_MDEV_HELPERS_H

#include <linux/types.h>

struct attribute_group;
struct bus_type;
struct device;
struct mdev_device;
struct module;
struct vfio_device;

/*
 * A device that can be an mdev parent, with the mdev driver, parent and
 * type in its own allocation (freed by its release). Registration returns
 * an ERR_PTR on failure; unregistration waits until it is released.
 */
struct device *vfio_ap_helper_parent_dev_register(const char *name,
						  struct device *parent,
						  const struct bus_type *bus);
void vfio_ap_helper_parent_dev_unregister(struct device *dev);

/* The mdev driver of such a device's mdevs, then the device as parent. */
int vfio_ap_helper_mdev_driver_register(struct device *dev, const char *name,
					const char *device_api,
					unsigned int max_instances,
					struct module *owner,
					const struct attribute_group **dev_groups,
					int (*probe)(struct mdev_device *mdev),
					void (*remove)(struct mdev_device *mdev));
void vfio_ap_helper_mdev_driver_unregister(struct device *dev);
int vfio_ap_helper_mdev_parent_register(struct device *dev,
					const char *sysfs_name,
					const char *pretty_name);
void vfio_ap_helper_mdev_parent_unregister(struct device *dev);

/* struct mdev_device internals. */
struct device *vfio_ap_helper_mdev_dev(struct mdev_device *mdev);

/* The Rust callbacks of a VFIO device; each gets the device's context. */
struct vfio_ap_vfio_callbacks {
	int (*open_device)(struct vfio_device *vdev, void *ctx);
	void (*close_device)(struct vfio_device *vdev, void *ctx);
	long (*ioctl)(struct vfio_device *vdev, void *ctx, unsigned int cmd,
		      unsigned long arg);
	void (*request)(struct vfio_device *vdev, void *ctx,
			unsigned int count);
	void (*dma_unmap)(struct vfio_device *vdev, void *ctx, u64 iova,
			  u64 length);
};

/* VFIO device of an mdev, emulated IOMMU; ERR_PTR on failure. */
struct vfio_device *
vfio_ap_helper_vfio_alloc(struct device *dev,
			  const struct vfio_ap_vfio_callbacks *cb, void *ctx);
void vfio_ap_helper_vfio_get(struct vfio_device *vdev);
void vfio_ap_helper_vfio_put(struct vfio_device *vdev);
struct device *vfio_ap_helper_vfio_dev(struct vfio_device *vdev);

#endif /* VFIO_AP_MDEV_HELPERS_H */
