// SPDX-License-Identifier: GPL-2.0

//! Safe abstractions over the C APIs the vfio_ap module uses.
//!
//! Every `unsafe` block of the module lives below this module (and in the C
//! helpers under `rust/helpers/`); the driver logic builds on these types.

pub(crate) mod ap;
pub(crate) mod cformat;
pub(crate) mod debug;
pub(crate) mod device;
pub(crate) mod guest;
pub(crate) mod heap;
pub(crate) mod kvm;
pub(crate) mod layout;
pub(crate) mod mdev;
pub(crate) mod printk;
pub(crate) mod sync;
pub(crate) mod sysfs;
pub(crate) mod vfio;
