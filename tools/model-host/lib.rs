// SPDX-License-Identifier: GPL-2.0

//! Host build of the vfio_ap core model.
//!
//! The kernel module compiles `drivers/s390/crypto/vfio_ap/model.rs` as its
//! `model` module; this crate compiles the very same files for the host so
//! that they can be unit tested, property tested and benchmarked with
//! `cargo`. Like the kernel, it has no `std` outside the tests.

#![no_std]
#![forbid(unsafe_code)]

#[cfg(test)]
extern crate std;

/// The driver's source directory.
///
/// A `#[path]` naming `model.rs` directly would make rustc treat that file
/// like a `mod.rs` and look for its submodules next to it (where the
/// driver's own `matrix.rs` lives). Declaring `model` inside an inline
/// module that points at the directory loads it exactly as the kernel
/// crate's `pub mod model;` does: submodules from `model/`.
#[path = "../../drivers/s390/crypto/vfio_ap"]
mod driver {
    pub mod model;
}

pub use driver::model;
pub use model::*;
