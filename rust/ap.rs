// SPDX-License-Identifier: GPL-2.0

//! The s390 AP (adjunct processor) facility.
//!
//! C header: [`include/asm/ap.h`](srctree/arch/s390/include/asm/ap.h)

mod ffi {
    unsafe extern "C" {
        pub(super) fn vfio_ap_helper_ap_instructions_available() -> bool;
    }
}

/// Returns whether the machine has the AP instructions.
///
/// Issues PQAP(TAPQ) on APQN 00.0000; a machine without the facility raises
/// an operation exception, which the helper's exception table catches.
pub(crate) fn instructions_available() -> bool {
    // SAFETY: The helper takes no arguments, touches no memory and is safe to
    // call from any context that may execute a privileged instruction, which
    // module code does.
    unsafe { ffi::vfio_ap_helper_ap_instructions_available() }
}
