// SPDX-License-Identifier: GPL-2.0
/*
 * Mediated device and VFIO helpers for the Rust side: the structures here
 * come from <linux/mdev.h> and <linux/vfio.h>, which the kernel crate has
 * no bindings for, and vfio_alloc_device()/vfio_put_device() are macros
 * and static inlines.
 */
#include <linux/completion.h>
#include <linux/device.h>
#include <linux/err.h>
#include <linux/mdev.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/vfio.h>
#include "vfio_ap_mdev_helpers.h"

/*
 * Rust mirrors these structures by hand (rust/vfio.rs, whose
 * assert_layout! states the same sizes and offsets): a change on either
 * side, or in the kernel's struct vfio_irq_set, fails the build.
 */
static_assert(sizeof(struct vfio_ap_vfio_callbacks) == 40);
static_assert(offsetof(struct vfio_ap_vfio_callbacks, open_device) == 0);
static_assert(offsetof(struct vfio_ap_vfio_callbacks, close_device) == 8);
static_assert(offsetof(struct vfio_ap_vfio_callbacks, ioctl) == 16);
static_assert(offsetof(struct vfio_ap_vfio_callbacks, request) == 24);
static_assert(offsetof(struct vfio_ap_vfio_callbacks, dma_unmap) == 32);
static_assert(offsetof(struct vfio_irq_set, argsz) == 0);
static_assert(offsetof(struct vfio_irq_set, flags) == 4);
static_assert(offsetof(struct vfio_irq_set, index) == 8);
static_assert(offsetof(struct vfio_irq_set, start) == 12);
static_assert(offsetof(struct vfio_irq_set, count) == 16);
static_assert(offsetof(struct vfio_irq_set, data) == 20);

/*
 * The VFIO ABI as the driver's model (drivers/s390/crypto/vfio_ap/model/
 * vfio.rs) writes it down: ioctl numbers, flags, and the fields of each
 * argument up to its minimal size, by 32-bit word.
 */
static_assert(VFIO_DEVICE_GET_INFO == ((0x3b << 8) | (100 + 7)));
static_assert(VFIO_DEVICE_GET_IRQ_INFO == ((0x3b << 8) | (100 + 9)));
static_assert(VFIO_DEVICE_SET_IRQS == ((0x3b << 8) | (100 + 10)));
static_assert(VFIO_DEVICE_RESET == ((0x3b << 8) | (100 + 11)));
static_assert(VFIO_DEVICE_FLAGS_RESET == 1 << 0);
static_assert(VFIO_DEVICE_FLAGS_AP == 1 << 5);
static_assert(VFIO_IRQ_INFO_EVENTFD == 1 << 0);
static_assert(VFIO_IRQ_SET_DATA_NONE == 1 << 0);
static_assert(VFIO_IRQ_SET_DATA_BOOL == 1 << 1);
static_assert(VFIO_IRQ_SET_DATA_EVENTFD == 1 << 2);
static_assert(VFIO_IRQ_SET_ACTION_TRIGGER == 1 << 5);
static_assert(VFIO_AP_NUM_IRQS == 2);
static_assert(offsetof(struct vfio_device_info, flags) == 4);
static_assert(offsetof(struct vfio_device_info, num_regions) == 8);
static_assert(offsetofend(struct vfio_device_info, num_irqs) == 16);
static_assert(offsetof(struct vfio_irq_info, flags) == 4);
static_assert(offsetof(struct vfio_irq_info, index) == 8);
static_assert(offsetofend(struct vfio_irq_info, count) == 16);
static_assert(offsetofend(struct vfio_irq_set, count) == 20);

/*
 * A device that is an mdev parent, allocated together with the mdev
 * structures that refer to it. The mdev core keeps pointers to the driver,
 * the parent and the type after they are unregistered: the type's kobject
 * release reads its parent, and each mdev's release reads the parent and
 * the driver and puts the type. Every mdev holds a reference on the type,
 * and the type one on this device, so freeing all of them in the device's
 * release is freeing them after the last of those users.
 */
struct vfio_ap_parent_dev {
	struct device dev;
	struct mdev_driver driver;
	struct mdev_parent parent;
	struct mdev_type type;
	struct mdev_type *type_list[1];
	/* Completed by the release: set by whoever waits for it. */
	struct completion *released;
};

static struct vfio_ap_parent_dev *to_parent_dev(struct device *dev)
{
	return container_of(dev, struct vfio_ap_parent_dev, dev);
}

static void vfio_ap_helper_parent_dev_release(struct device *dev)
{
	struct vfio_ap_parent_dev *p = to_parent_dev(dev);
	struct completion *released = p->released;

	kfree(p);
	if (released)
		complete(released);
}

/*
 * Drops the caller's reference and waits until the device is released: the
 * release function is module code, and so are the callbacks the mdev core
 * and the VFIO core still reach until the mdevs below the device are
 * released (their releases may run later than the last put, e.g. with
 * CONFIG_DEBUG_KOBJECT_RELEASE). The caller's reference keeps the device
 * alive until @released is set.
 */
static void parent_dev_put_and_wait(struct device *dev, bool unregister)
{
	DECLARE_COMPLETION_ONSTACK(released);

	to_parent_dev(dev)->released = &released;
	if (unregister)
		device_unregister(dev);
	else
		put_device(dev);
	wait_for_completion(&released);
}

struct device *vfio_ap_helper_parent_dev_register(const char *name,
						  struct device *parent,
						  const struct bus_type *bus)
{
	struct vfio_ap_parent_dev *p = kzalloc(sizeof(*p), GFP_KERNEL);
	int ret;

	if (!p)
		return ERR_PTR(-ENOMEM);
	p->dev.parent = parent;
	p->dev.bus = bus;
	p->dev.release = vfio_ap_helper_parent_dev_release;
	ret = dev_set_name(&p->dev, "%s", name);
	if (ret) {
		kfree(p);
		return ERR_PTR(ret);
	}
	ret = device_register(&p->dev);
	if (ret) {
		/* Initialised even on failure: the release frees it. */
		parent_dev_put_and_wait(&p->dev, false);
		return ERR_PTR(ret);
	}
	return &p->dev;
}

void vfio_ap_helper_parent_dev_unregister(struct device *dev)
{
	parent_dev_put_and_wait(dev, true);
}

int vfio_ap_helper_mdev_driver_register(struct device *dev, const char *name,
					const char *device_api,
					unsigned int max_instances,
					struct module *owner,
					const struct attribute_group **dev_groups,
					int (*probe)(struct mdev_device *mdev),
					void (*remove)(struct mdev_device *mdev))
{
	struct mdev_driver *drv = &to_parent_dev(dev)->driver;

	drv->device_api = device_api;
	drv->max_instances = max_instances;
	drv->probe = probe;
	drv->remove = remove;
	drv->driver.name = name;
	drv->driver.owner = owner;
	drv->driver.dev_groups = dev_groups;
	return mdev_register_driver(drv);
}

void vfio_ap_helper_mdev_driver_unregister(struct device *dev)
{
	mdev_unregister_driver(&to_parent_dev(dev)->driver);
}

int vfio_ap_helper_mdev_parent_register(struct device *dev,
					const char *sysfs_name,
					const char *pretty_name)
{
	struct vfio_ap_parent_dev *p = to_parent_dev(dev);

	p->type.sysfs_name = sysfs_name;
	p->type.pretty_name = pretty_name;
	p->type_list[0] = &p->type;
	return mdev_register_parent(&p->parent, dev, &p->driver, p->type_list,
				    1);
}

void vfio_ap_helper_mdev_parent_unregister(struct device *dev)
{
	mdev_unregister_parent(&to_parent_dev(dev)->parent);
}

struct device *vfio_ap_helper_mdev_dev(struct mdev_device *mdev)
{
	return mdev_dev(mdev);
}

/* A VFIO device carrying its Rust callbacks (vdev must come first). */
struct vfio_ap_vdev {
	struct vfio_device vdev;
	const struct vfio_ap_vfio_callbacks *cb;
	void *ctx;
};

static struct vfio_ap_vdev *to_ap_vdev(struct vfio_device *vdev)
{
	return container_of(vdev, struct vfio_ap_vdev, vdev);
}

static int vfio_ap_helper_open_device(struct vfio_device *vdev)
{
	struct vfio_ap_vdev *v = to_ap_vdev(vdev);

	return v->cb->open_device(vdev, v->ctx);
}

static void vfio_ap_helper_close_device(struct vfio_device *vdev)
{
	struct vfio_ap_vdev *v = to_ap_vdev(vdev);

	v->cb->close_device(vdev, v->ctx);
}

static long vfio_ap_helper_ioctl(struct vfio_device *vdev, unsigned int cmd,
				 unsigned long arg)
{
	struct vfio_ap_vdev *v = to_ap_vdev(vdev);

	return v->cb->ioctl(vdev, v->ctx, cmd, arg);
}

static void vfio_ap_helper_request(struct vfio_device *vdev,
				   unsigned int count)
{
	struct vfio_ap_vdev *v = to_ap_vdev(vdev);

	v->cb->request(vdev, v->ctx, count);
}

/* Needed by every driver that pins pages (the NIBs of AP interruptions). */
static void vfio_ap_helper_dma_unmap(struct vfio_device *vdev, u64 iova,
				     u64 length)
{
	struct vfio_ap_vdev *v = to_ap_vdev(vdev);

	v->cb->dma_unmap(vdev, v->ctx, iova, length);
}

/*
 * Constant and module-lifetime: the vfio core may read it until the last
 * reference to a device is gone.
 */
static const struct vfio_device_ops vfio_ap_helper_vfio_ops = {
	.open_device = vfio_ap_helper_open_device,
	.close_device = vfio_ap_helper_close_device,
	.ioctl = vfio_ap_helper_ioctl,
	.request = vfio_ap_helper_request,
	.dma_unmap = vfio_ap_helper_dma_unmap,
	.bind_iommufd = vfio_iommufd_emulated_bind,
	.unbind_iommufd = vfio_iommufd_emulated_unbind,
	.attach_ioas = vfio_iommufd_emulated_attach_ioas,
	.detach_ioas = vfio_iommufd_emulated_detach_ioas,
};

/* The context stays the caller's; it is handed to every callback. */
struct vfio_device *
vfio_ap_helper_vfio_alloc(struct device *dev,
			  const struct vfio_ap_vfio_callbacks *cb, void *ctx)
{
	struct vfio_ap_vdev *v;

	v = vfio_alloc_device(vfio_ap_vdev, vdev, dev,
			      &vfio_ap_helper_vfio_ops);
	if (IS_ERR(v))
		return ERR_CAST(v);
	v->cb = cb;
	v->ctx = ctx;
	return &v->vdev;
}

void vfio_ap_helper_vfio_get(struct vfio_device *vdev)
{
	get_device(&vdev->device);
}

void vfio_ap_helper_vfio_put(struct vfio_device *vdev)
{
	vfio_put_device(vdev);
}

struct device *vfio_ap_helper_vfio_dev(struct vfio_device *vdev)
{
	return vdev->dev;
}
