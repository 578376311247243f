// SPDX-License-Identifier: GPL-2.0

//! The s390 debug feature (s390dbf): a per-driver trace area under
//! `/sys/kernel/debug/s390dbf/<name>/`.
//!
//! C header: [`include/asm/debug.h`](srctree/arch/s390/include/asm/debug.h)

use core::ptr::NonNull;
use kernel::{
    ffi::{c_int, c_long},
    prelude::*,
    str::CStrExt,
};

use super::cformat::LongFormat;

mod ffi {
    use kernel::ffi::{c_char, c_int, c_long};

    /// `debug_info_t` (opaque).
    #[repr(C)]
    pub(super) struct DebugInfo {
        _opaque: [u8; 0],
    }

    unsafe extern "C" {
        pub(super) fn vfio_ap_helper_dbf_register(
            name: *const c_char,
            pages: c_int,
            nr_areas: c_int,
            buf_size: c_int,
            level: c_int,
        ) -> *mut DebugInfo;
        pub(super) fn vfio_ap_helper_dbf_unregister(id: *mut DebugInfo);
        pub(super) fn vfio_ap_helper_dbf_event(
            id: *mut DebugInfo,
            level: c_int,
            fmt: *const c_char,
            args: *const c_long,
            n: c_int,
        );
    }
}

/// Warning conditions: the level vfio_ap's area starts with, and the level
/// of its entries.
pub(crate) const LEVEL_WARN: i32 = 4;

/// The size of a sprintf entry of an area, in longs: the format and its
/// arguments.
const SPRINTF_ENTRY_LONGS: usize = 10;

/// The most arguments an entry holds (the format takes one long).
pub(crate) const MAX_ARGS: usize = SPRINTF_ENTRY_LONGS - 1;

/// A registered debug area with the sprintf view.
///
/// # Invariants
///
/// `id` was returned by a successful registration and stays registered until
/// drop.
pub(crate) struct Area {
    id: NonNull<ffi::DebugInfo>,
}

// SAFETY: The debug feature locks each area internally.
unsafe impl Send for Area {}
// SAFETY: As for `Send`: logging through `&self` is synchronised by C.
unsafe impl Sync for Area {}

impl Area {
    /// Registers area `name` (one page, one area, entries large enough for
    /// a format and nine arguments, as upstream's) with the sprintf view,
    /// at `level`.
    ///
    /// Fails with `ENOENT`, as upstream does, when the area cannot be created.
    pub(crate) fn register(name: &'static CStr, level: i32) -> Result<Self> {
        let buf_size = SPRINTF_ENTRY_LONGS * core::mem::size_of::<c_long>();
        // SAFETY: `name` is NUL-terminated and static (the area keeps it).
        let id = unsafe {
            ffi::vfio_ap_helper_dbf_register(name.as_char_ptr(), 1, 1, buf_size as i32, level)
        };
        // INVARIANT: Registered if not NULL.
        NonNull::new(id).map(|id| Self { id }).ok_or(ENOENT)
    }

    /// Records a sprintf entry at `level` with the arguments `args` (the
    /// area stores the format's address and formats only when read, so it
    /// is static); arguments past [`MAX_ARGS`] are ignored, conversions
    /// past the last argument print 0.
    #[inline(never)]
    pub(crate) fn event(&self, level: i32, fmt: LongFormat, args: &[c_long]) {
        let n = args.len().min(MAX_ARGS);
        // SAFETY: The area is registered (type invariant); `fmt` is static
        // and each of its conversions fetches one `long` (type invariant of
        // `LongFormat`), as s390dbf does for every `%`: the helper passes
        // nine, the first `n` from `args`, which has that many, the rest
        // zero.
        unsafe {
            ffi::vfio_ap_helper_dbf_event(
                self.id.as_ptr(),
                level,
                fmt.as_cstr().as_char_ptr(),
                args.as_ptr(),
                n as c_int,
            )
        };
    }
}

impl Drop for Area {
    fn drop(&mut self) {
        // SAFETY: By the type invariant the area is registered.
        unsafe { ffi::vfio_ap_helper_dbf_unregister(self.id.as_ptr()) };
    }
}
