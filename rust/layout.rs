// SPDX-License-Identifier: GPL-2.0

//! Compile-time checks of C structures mirrored by hand.
//!
//! A `repr(C)` structure that Rust shares with C by hand (the C helpers'
//! own structures, or a kernel structure without bindings) states its
//! size and field offsets with [`assert_layout!`]; the C helper that uses
//! the structure asserts the same numbers against the C definition with
//! `static_assert`. A field added, dropped, moved or retyped on either
//! side then fails the module build instead of corrupting memory.

/// Asserts at compile time that `$ty` is `$size` bytes and that each
/// `$field` is at offset `$offset`.
macro_rules! assert_layout {
    ($ty:ty, size $size:literal, { $($field:ident: $offset:literal),+ $(,)? }) => {
        const _: () = {
            ::core::assert!(::core::mem::size_of::<$ty>() == $size);
            $(::core::assert!(::core::mem::offset_of!($ty, $field) == $offset);)+
        };
    };
}
pub(crate) use assert_layout;
