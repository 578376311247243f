// SPDX-License-Identifier: GPL-2.0
/*
 * AP instruction wrappers for the Rust side. The AP instructions are static
 * inlines with inline assembly in <asm/ap.h>; each wrapper only forwards.
 */
#include <asm/ap.h>
#include "vfio_ap_helpers.h"

bool vfio_ap_helper_ap_instructions_available(void)
{
	return ap_instructions_available();
}
