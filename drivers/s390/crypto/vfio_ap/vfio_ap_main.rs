// SPDX-License-Identifier: GPL-2.0

//! VFIO AP: pass-through of s390 AP queues (Crypto Express adapters) to KVM
//! guests through VFIO mediated devices.
//!
//! A drop-in replacement of the upstream C driver, with the same module name
//! and the same sysfs and VFIO ABI.

#[path = "../../../../rust/mod.rs"]
mod abstractions;
mod matrix;

use kernel::prelude::*;

module! {
    type: VfioAp,
    name: "vfio_ap",
    authors: ["The vfio_ap Rust authors"],
    description: "VFIO AP device driver (Rust)",
    license: "GPL v2",
}

/// The module: everything it registers, unregistered on drop.
struct VfioAp {
    _matrix: matrix::MatrixDevice,
}

impl kernel::Module for VfioAp {
    fn init(module: &'static ThisModule) -> Result<Self> {
        if !abstractions::ap::instructions_available() {
            pr_err!("The AP instructions are not installed: no AP queues to pass through\n");
            return Err(ENODEV);
        }
        Ok(Self {
            _matrix: matrix::MatrixDevice::create(module)?,
        })
    }
}
