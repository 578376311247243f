// SPDX-License-Identifier: GPL-2.0

//! The s390 debug feature (s390dbf): a per-driver trace area under
//! `/sys/kernel/debug/s390dbf/<name>/`.
//!
//! C header: [`include/asm/debug.h`](srctree/arch/s390/include/asm/debug.h)

use core::ptr::NonNull;
use kernel::{ffi::c_long, prelude::*, str::CStrExt};

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

    /// Records a sprintf entry at `level` with the integer arguments
    /// `args`. The format must be a static C string (the area stores the
    /// pointer and formats only when read) with integer conversions only,
    /// one for each of `args` in order; other formats, or more than
    /// [`MAX_ARGS`] arguments, are dropped.
    #[inline(never)]
    pub(crate) fn event(&self, level: i32, fmt: &'static CStr, args: &[c_long]) {
        if args.len() > MAX_ARGS || integer_format(fmt.to_bytes()) != Some(args.len()) {
            return;
        }
        let mut all = [0; MAX_ARGS];
        all[..args.len()].copy_from_slice(args);
        // SAFETY: The area is registered (type invariant); `fmt` is static
        // and, as checked above, has one `%` per argument and only integer
        // conversions, which `long` arguments satisfy (s390dbf fetches one
        // `long` per `%`; the helper passes nine, the rest zero); `all`
        // has nine longs.
        unsafe {
            ffi::vfio_ap_helper_dbf_event(self.id.as_ptr(), level, fmt.as_char_ptr(), all.as_ptr())
        };
    }
}

/// The number of arguments of `fmt` when it has one `%` per argument and
/// each conversion is of an integer (`d`, `i`, `u`, `x`, `X`, `o`, `c` with
/// flags, width and `l`/`h`); `None` otherwise.
///
/// s390dbf counts every `%`, `%%` included, as one argument to fetch, so
/// `%%` is refused too.
#[inline(never)]
fn integer_format(fmt: &[u8]) -> Option<usize> {
    let mut n = 0;
    let mut i = 0;
    while i < fmt.len() {
        if fmt[i] != b'%' {
            i += 1;
            continue;
        }
        i += 1;
        while i < fmt.len() && b"-+ #0123456789lh".contains(&fmt[i]) {
            i += 1;
        }
        match fmt.get(i) {
            Some(b'd' | b'i' | b'u' | b'x' | b'X' | b'o' | b'c') => n += 1,
            _ => return None,
        }
        i += 1;
    }
    Some(n)
}

impl Drop for Area {
    fn drop(&mut self) {
        // SAFETY: By the type invariant the area is registered.
        unsafe { ffi::vfio_ap_helper_dbf_unregister(self.id.as_ptr()) };
    }
}
