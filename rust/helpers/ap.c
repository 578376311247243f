// SPDX-License-Identifier: GPL-2.0
/*
 * C side of the AP bus abstraction (rust/ap.rs), of the s390 debug
 * feature (rust/debug.rs) and of the log lines (rust/printk.rs).
 *
 * The AP instructions are static inlines with inline assembly and exception
 * table entries in <asm/ap.h>, and the AP bus structures live in the
 * private header drivers/s390/crypto/ap_bus.h: these helpers forward to them
 * and keep every structure layout on the C side, so Rust only handles
 * opaque pointers and plain integers.
 */
#include <linux/device.h>
#include <linux/device-id/ap.h>
#include <linux/mutex.h>
#include <linux/printk.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <asm/ap.h>
#include <asm/debug.h>
#include <asm/facility.h>
#include "ap_bus.h"
#include "vfio_ap_helpers.h"

/*
 * Rust mirrors these structures by hand (rust/ap.rs, whose assert_layout!
 * states the same sizes and offsets): a change on either side fails the
 * build.
 */
static_assert(sizeof(struct vfio_ap_helper_ap_driver_ops) == 40);
static_assert(offsetof(struct vfio_ap_helper_ap_driver_ops, probe) == 0);
static_assert(offsetof(struct vfio_ap_helper_ap_driver_ops, remove) == 8);
static_assert(offsetof(struct vfio_ap_helper_ap_driver_ops, in_use) == 16);
static_assert(offsetof(struct vfio_ap_helper_ap_driver_ops, on_config_changed) == 24);
static_assert(offsetof(struct vfio_ap_helper_ap_driver_ops, on_scan_complete) == 32);
static_assert(sizeof(struct vfio_ap_helper_config) == 104);
static_assert(offsetof(struct vfio_ap_helper_config, apm) == 0);
static_assert(offsetof(struct vfio_ap_helper_config, aqm) == 32);
static_assert(offsetof(struct vfio_ap_helper_config, adm) == 64);
static_assert(offsetof(struct vfio_ap_helper_config, apxa) == 96);
static_assert(offsetof(struct vfio_ap_helper_config, na) == 97);
static_assert(offsetof(struct vfio_ap_helper_config, nd) == 98);

bool vfio_ap_helper_ap_instructions_available(void)
{
	return ap_instructions_available();
}

/* The queue types vfio_ap drives: CEX4 (type 10) and newer, as upstream. */
static struct ap_device_id vfio_ap_helper_queue_ids[] = {
	{ .dev_type = AP_DEVICE_TYPE_CEX4,
	  .match_flags = AP_DEVICE_ID_MATCH_QUEUE_TYPE },
	{ .dev_type = AP_DEVICE_TYPE_CEX5,
	  .match_flags = AP_DEVICE_ID_MATCH_QUEUE_TYPE },
	{ .dev_type = AP_DEVICE_TYPE_CEX6,
	  .match_flags = AP_DEVICE_ID_MATCH_QUEUE_TYPE },
	{ .dev_type = AP_DEVICE_TYPE_CEX7,
	  .match_flags = AP_DEVICE_ID_MATCH_QUEUE_TYPE },
	{ .dev_type = AP_DEVICE_TYPE_CEX8,
	  .match_flags = AP_DEVICE_ID_MATCH_QUEUE_TYPE },
	{ /* end of list */ },
};

struct ap_driver *
vfio_ap_helper_ap_driver_alloc(const struct vfio_ap_helper_ap_driver_ops *ops,
			       const struct attribute_group **dev_groups)
{
	struct ap_driver *drv = kzalloc(sizeof(*drv), GFP_KERNEL);

	if (!drv)
		return NULL;
	drv->probe = ops->probe;
	drv->remove = ops->remove;
	drv->in_use = ops->in_use;
	drv->on_config_changed = ops->on_config_changed;
	drv->on_scan_complete = ops->on_scan_complete;
	drv->ids = vfio_ap_helper_queue_ids;
	drv->driver.dev_groups = dev_groups;
	return drv;
}

void vfio_ap_helper_ap_driver_free(struct ap_driver *drv)
{
	kfree(drv);
}

int vfio_ap_helper_ap_driver_register(struct ap_driver *drv,
				      struct module *owner, const char *name)
{
	/* The AP bus only stores the name in drv->driver.name. */
	return ap_driver_register(drv, owner, (char *)name);
}

void vfio_ap_helper_ap_driver_unregister(struct ap_driver *drv)
{
	ap_driver_unregister(drv);
}

u16 vfio_ap_helper_ap_queue_qid(struct ap_device *apdev)
{
	return to_ap_queue(&apdev->device)->qid;
}

struct ap_device *vfio_ap_helper_ap_queue_of_dev(struct device *dev)
{
	/*
	 * AP queue devices sit on the "ap" bus below their card, which is on
	 * the same bus; cards hang off the bus's root device, which is not.
	 */
	if (!dev->bus || strcmp(dev->bus->name, "ap") || !dev->parent ||
	    dev->parent->bus != dev->bus)
		return NULL;
	return to_ap_dev(dev);
}

void vfio_ap_helper_config_decode(const struct ap_config_info *info,
				  struct vfio_ap_helper_config *out)
{
	memset(out, 0, sizeof(*out));
	out->apxa = info->apxa;
	out->na = info->na;
	out->nd = info->nd;
	/* Same bit order on big-endian s390: 8 ints are 4 longs. */
	memcpy(out->apm, info->apm, sizeof(out->apm));
	memcpy(out->aqm, info->aqm, sizeof(out->aqm));
	memcpy(out->adm, info->adm, sizeof(out->adm));
}

int vfio_ap_helper_qci(struct vfio_ap_helper_config *out)
{
	struct ap_config_info info;
	int ret;

	memset(out, 0, sizeof(*out));
	/* Without facility 12 (QCI) the configuration stays all zero. */
	if (!test_facility(12))
		return 0;
	memset(&info, 0, sizeof(info));
	ret = ap_qci(&info);
	if (ret)
		return ret;
	vfio_ap_helper_config_decode(&info, out);
	return 0;
}

void vfio_ap_helper_attr_mutex_lock(void)
{
	mutex_lock(&ap_attr_mutex);
}

void vfio_ap_helper_attr_mutex_unlock(void)
{
	mutex_unlock(&ap_attr_mutex);
}

int vfio_ap_helper_apqns_owned_by_def_drv(const u64 *apm, const u64 *aqm)
{
	DECLARE_BITMAP(a, AP_DEVICES);
	DECLARE_BITMAP(q, AP_DOMAINS);

	memcpy(a, apm, sizeof(a));
	memcpy(q, aqm, sizeof(q));
	return ap_apqn_in_matrix_owned_by_def_drv(a, q);
}

u32 vfio_ap_helper_tapq(u16 qid, int tbit, u64 *info)
{
	struct ap_tapq_hwinfo hwinfo = { .value = 0 };
	struct ap_queue_status status = ap_test_queue(qid, tbit, &hwinfo);

	/*
	 * The bits Rust decodes from the status word (rust/kvm.rs, the
	 * driver's model/response.rs) and from GR2 (the adapter type, the
	 * driver's queue.rs).
	 */
	BUILD_BUG_ON((struct ap_queue_status){ .response_code = 0xff }.value != 0xffU << 16);
	BUILD_BUG_ON((struct ap_queue_status){ .irq_enabled = 1 }.value != 1U << 24);
	BUILD_BUG_ON((struct ap_queue_status){ .queue_empty = 1 }.value != 1U << 31);
	BUILD_BUG_ON((struct ap_tapq_hwinfo){ .at = 0xff }.value != 0xffUL << 24);

	*info = hwinfo.value;
	return status.value;
}

u32 vfio_ap_helper_zapq(u16 qid, int fbit)
{
	return ap_zapq(qid, fbit).value;
}

void vfio_ap_helper_notice_reset_wait(int elapsed_ms, u16 qid, u8 rc,
				      bool queue_empty, bool irq_enabled)
{
	/* The kernel log line of a slow queue reset, rate limited. */
	pr_notice_ratelimited("Waited %dms for reset of queue %02x.%04x (%u, %u, %u)",
			      elapsed_ms, AP_QID_CARD(qid), AP_QID_QUEUE(qid),
			      rc, queue_empty, irq_enabled);
}

/* s390 debug feature */

debug_info_t *vfio_ap_helper_dbf_register(const char *name, int pages,
					  int nr_areas, int buf_size, int level)
{
	debug_info_t *id = debug_register(name, pages, nr_areas, buf_size);

	if (!id)
		return NULL;
	debug_register_view(id, &debug_sprintf_view);
	debug_set_level(id, level);
	return id;
}

void vfio_ap_helper_dbf_unregister(debug_info_t *id)
{
	debug_unregister(id);
}

/*
 * A sprintf entry with up to nine arguments: s390dbf takes one per '%' of
 * the format, at most as many as the entry holds (nine, the area's entries
 * having room for the format and nine longs).
 */
void vfio_ap_helper_dbf_event(debug_info_t *id, int level, const char *fmt,
			      const long *args, int n)
{
	long a[9] = {};

	memcpy(a, args, min(n, 9) * sizeof(long));
	/* The format must be static: s390dbf stores the pointer. */
	debug_sprintf_event(id, level, (char *)fmt, a[0], a[1], a[2], a[3], a[4],
			    a[5], a[6], a[7], a[8]);
}

/* Log lines (rust/printk.rs) */

void vfio_ap_helper_log(struct device *dev, bool error, const char *fmt,
			const long *args, int n)
{
	/* printk takes the level from the start of the formatted text. */
	const char *level = error ? KERN_ERR : KERN_WARNING;
	long a[8] = {};
	char line[192];

	/* Each conversion of fmt fetches a long (checked in Rust), at most 8. */
	memcpy(a, args, min(n, 8) * sizeof(long));
	snprintf(line, sizeof(line), fmt, a[0], a[1], a[2], a[3], a[4], a[5],
		 a[6], a[7]);
	if (dev)
		dev_printk(level, dev, "%s", line);
	else
		printk("%s%s: %s", level, KBUILD_MODNAME, line);
}
