// SPDX-License-Identifier: GPL-2.0

//! Heap allocation of large plain state, zeroed in place.
//!
//! State too large for the stack would, kept in a static, go into the
//! module's bss; it is allocated at module init instead.

use kernel::{alloc::flags::GFP_KERNEL, prelude::*};

/// A new `T`, all zero, zeroed where it is allocated rather than built on
/// the stack.
pub(crate) fn zeroed<T: Zeroable>() -> Result<VBox<T>> {
    VBox::init(T::init_zeroed(), GFP_KERNEL)
}
