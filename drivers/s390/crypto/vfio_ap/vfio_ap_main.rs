// SPDX-License-Identifier: GPL-2.0

//! VFIO AP: pass-through of s390 AP queues (Crypto Express adapters) to KVM
//! guests through VFIO mediated devices.
//!
//! A drop-in replacement of the upstream C driver, with the same module name
//! and the same sysfs and VFIO ABI.

#[path = "../../../../rust/mod.rs"]
mod abstractions;
mod dbf;
mod errno;
mod guest;
mod irq;
mod matrix;
mod mdev;
// The core model is shared with the host test crate. What only the tests
// use is compiled out here (`#[cfg(any(test, not(CONFIG_RUST)))]` in the
// model), so the compiler reports any other model item the driver stops
// calling. The model's items stay `pub` for the host crate, where clippy
// judges them as exported API (which it spares renaming suggestions).
#[allow(unreachable_pub, clippy::wrong_self_convention)]
mod model;
mod queue;
mod reset;
mod state;
mod vfio_dev;

use kernel::prelude::*;

module! {
    type: VfioAp,
    name: "vfio_ap",
    authors: ["The vfio_ap Rust authors"],
    description: "VFIO AP device driver (Rust)",
    license: "GPL v2",
}

/// The module: everything it registers, unregistered on drop.
///
/// Fields drop in declaration order, the reverse of registration, which is
/// upstream's exit order.
struct VfioAp {
    _mdev: mdev::MdevRegistration,
    _queue_driver: queue::QueueDriverRegistration,
    _matrix: matrix::MatrixDevice,
    // Holds the debug area too.
    _state: state::State,
}

impl kernel::Module for VfioAp {
    fn init(module: &'static ThisModule) -> Result<Self> {
        // Upstream order: debug feature, AP instruction check, matrix
        // device (root device, bus, device, driver), AP queue driver, mdev
        // driver and parent. Each step is undone by dropping what the
        // earlier ones returned.
        let dbf = abstractions::debug::Area::register(c"vfio_ap", abstractions::debug::LEVEL_WARN)?;
        // Without AP instructions there is nothing to pass through; upstream
        // refuses silently.
        if !abstractions::ap::instructions_available() {
            return Err(ENODEV);
        }
        let state = state::State::init(dbf)?;
        let matrix = matrix::MatrixDevice::create(module)?;
        let queue_driver = queue::QueueDriverRegistration::register(module)?;
        let mdev = mdev::MdevRegistration::register(matrix.device(), module)?;
        Ok(Self {
            _mdev: mdev,
            _queue_driver: queue_driver,
            _matrix: matrix,
            _state: state,
        })
    }
}
