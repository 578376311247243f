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
struct device;
struct mdev_device;
struct mdev_driver;
struct module;
struct vfio_device;
struct vfio_ap_mdev_parent;

/* mdev driver: allocated and filled here, registered by the caller. */
struct mdev_driver *
vfio_ap_helper_mdev_driver_alloc(const char *name, const char *device_api,
				 unsigned int max_instances,
				 struct module *owner, const char *mod_name,
				 const struct attribute_group **dev_groups,
				 int (*probe)(struct mdev_device *mdev),
				 void (*remove)(struct mdev_device *mdev));
void vfio_ap_helper_mdev_driver_free(struct mdev_driver *drv);

/* mdev parent with a single type; ERR_PTR on failure. */
struct vfio_ap_mdev_parent *
vfio_ap_helper_mdev_parent_register(struct device *dev,
				    struct mdev_driver *drv,
				    const char *sysfs_name,
				    const char *pretty_name);
void vfio_ap_helper_mdev_parent_unregister(struct vfio_ap_mdev_parent *p);

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
