// SPDX-License-Identifier: GPL-2.0

//! Heap allocation of the model's large state, zeroed in place.
//!
//! The host state is too large for the stack and, kept in a static, would
//! put 16 KiB into the module's bss; it is allocated at module init instead.

use kernel::{alloc::flags::GFP_KERNEL, prelude::*};

use crate::model::host::HostState;

// SAFETY: `HostState` holds only integers, `bool`s and arrays of them (the
// QCI fields, the default masks and two queue bitmaps made of `Mask` words):
// no references, pointers or enums, so every field is valid all-zero, and
// the model documents the all-zero value as the empty host state.
unsafe impl Zeroable for HostState {}

/// A new empty host state (no configuration, no reservations, no queue
/// bound), zeroed where it is allocated rather than built on the stack.
pub(crate) fn zeroed_host() -> Result<VBox<HostState>> {
    VBox::init(HostState::init_zeroed(), GFP_KERNEL)
}
