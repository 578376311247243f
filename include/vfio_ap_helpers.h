/* SPDX-License-Identifier: GPL-2.0 */
/*
 * C helpers of the Rust vfio_ap module: wrappers around static inline
 * functions and macros that Rust cannot call directly.
 */
#ifndef VFIO_AP_HELPERS_H
#define VFIO_AP_HELPERS_H

#include <linux/types.h>

bool vfio_ap_helper_ap_instructions_available(void);

#endif /* VFIO_AP_HELPERS_H */
