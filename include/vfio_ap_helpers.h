/* SPDX-License-Identifier: GPL-2.0 */
/*
 * C helpers of the Rust vfio_ap module: wrappers around static inline
 * functions, macros and structures that Rust cannot use directly.
 */
#ifndef VFIO_AP_HELPERS_H
#define VFIO_AP_HELPERS_H

#include <linux/types.h>

struct ap_config_info;
struct ap_device;
struct ap_driver;
struct attribute_group;
struct debug_info;
struct device;
struct module;

bool vfio_ap_helper_ap_instructions_available(void);

/* The callbacks of an AP bus driver (struct ap_driver). */
struct vfio_ap_helper_ap_driver_ops {
	int (*probe)(struct ap_device *apdev);
	void (*remove)(struct ap_device *apdev);
	int (*in_use)(unsigned long *apm, unsigned long *aqm);
	void (*on_config_changed)(struct ap_config_info *new_info,
				  struct ap_config_info *old_info);
	void (*on_scan_complete)(struct ap_config_info *new_info,
				 struct ap_config_info *old_info);
};

/* A plain copy of what vfio_ap uses of struct ap_config_info. */
struct vfio_ap_helper_config {
	u64 apm[4];
	u64 aqm[4];
	u64 adm[4];
	u8 apxa;
	u8 na;
	u8 nd;
};

struct ap_driver *
vfio_ap_helper_ap_driver_alloc(const struct vfio_ap_helper_ap_driver_ops *ops,
			       const struct attribute_group **dev_groups);
void vfio_ap_helper_ap_driver_free(struct ap_driver *drv);
int vfio_ap_helper_ap_driver_register(struct ap_driver *drv,
				      struct module *owner, const char *name);
void vfio_ap_helper_ap_driver_unregister(struct ap_driver *drv);
u16 vfio_ap_helper_ap_queue_qid(struct ap_device *apdev);
struct ap_device *vfio_ap_helper_ap_queue_of_dev(struct device *dev);
void vfio_ap_helper_config_decode(const struct ap_config_info *info,
				  struct vfio_ap_helper_config *out);
int vfio_ap_helper_qci(struct vfio_ap_helper_config *out);
void vfio_ap_helper_attr_mutex_lock(void);
void vfio_ap_helper_attr_mutex_unlock(void);
int vfio_ap_helper_apqns_owned_by_def_drv(const u64 *apm, const u64 *aqm);
u32 vfio_ap_helper_tapq(u16 qid, int tbit, u64 *info);
u32 vfio_ap_helper_zapq(u16 qid, int fbit);
void vfio_ap_helper_notice_reset_wait(int elapsed_ms, u16 qid, u8 rc,
				      bool queue_empty, bool irq_enabled);

struct debug_info *vfio_ap_helper_dbf_register(const char *name, int pages,
					       int nr_areas, int buf_size,
					       int level);
void vfio_ap_helper_dbf_unregister(struct debug_info *id);
void vfio_ap_helper_dbf_event(struct debug_info *id, int level,
			      const char *fmt, const long *args, int n);

void vfio_ap_helper_log(struct device *dev, bool error, const char *fmt,
			const long *args, int n);

#endif /* VFIO_AP_HELPERS_H */
