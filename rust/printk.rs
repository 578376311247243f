// SPDX-License-Identifier: GPL-2.0

//! Kernel log lines formatted by the kernel's own `vsnprintf` from a static
//! C format and `long` arguments, with the prefix `dev_warn()` or
//! `pr_warn()` gives them. The driver's few messages then need none of
//! `core::fmt`'s argument machinery in the module: with it, nine messages
//! cost about 1.5 KB of text.
//!
//! C header: [`include/linux/dev_printk.h`](srctree/include/linux/dev_printk.h)

use core::sync::atomic::{AtomicBool, Ordering};
use kernel::{
    bindings,
    device::Device,
    ffi::{c_int, c_long},
    str::CStrExt,
};

use super::cformat::{LongFormat, MAX_LONGS};

mod ffi {
    use kernel::{
        bindings,
        ffi::{c_char, c_int, c_long},
    };

    // `bindings::device` is not FFI-safe in Rust's eyes (empty lockdep
    // structs); only a pointer to it crosses.
    #[expect(improper_ctypes)]
    unsafe extern "C" {
        pub(super) fn vfio_ap_helper_log(
            dev: *mut bindings::device,
            error: bool,
            fmt: *const c_char,
            args: *const c_long,
            n: c_int,
        );
    }
}

/// The severity of a line.
#[derive(Clone, Copy)]
pub(crate) enum Level {
    /// `KERN_WARNING`.
    Warning,
    /// `KERN_ERR`.
    Error,
}

/// Logs `fmt` with `args` at `level`: on `dev` as `dev_warn()`/`dev_err()`
/// do, or with the module's name as prefix, as `pr_warn()`/`pr_err()` do.
/// Arguments past [`MAX_LONGS`] are ignored; conversions past the last
/// argument print 0. The formatted line is cut at 191 bytes.
#[inline(never)]
pub(crate) fn log(level: Level, dev: Option<&Device>, fmt: LongFormat, args: &[c_long]) {
    let dev = dev.map_or(core::ptr::null_mut(), |d| {
        core::ptr::from_ref(d).cast::<bindings::device>().cast_mut()
    });
    let n = args.len().min(MAX_LONGS);
    // SAFETY: `Device` is a transparent wrapper of `struct device`, alive
    // for the call, or `dev` is NULL, which the helper takes as "no
    // device". `fmt` is NUL-terminated and each of its conversions fetches
    // one `long` (type invariant of `LongFormat`), at most eight, which the
    // helper passes: the first `n` from `args`, which has that many, the
    // rest zero.
    unsafe {
        ffi::vfio_ap_helper_log(
            dev,
            matches!(level, Level::Error),
            fmt.as_cstr().as_char_ptr(),
            args.as_ptr(),
            n as c_int,
        )
    };
}

/// The flag of a message logged once only (see [`log_once`]).
pub(crate) struct Once(AtomicBool);

impl Once {
    /// A flag for a message not logged yet.
    pub(crate) const fn new() -> Self {
        Self(AtomicBool::new(false))
    }
}

/// As [`log`], the first time only for `once`. As the kernel's
/// `pr_warn_once()`, two racing first calls may both log.
pub(crate) fn log_once(
    once: &Once,
    level: Level,
    dev: Option<&Device>,
    fmt: LongFormat,
    args: &[c_long],
) {
    if !once.0.load(Ordering::Relaxed) {
        once.0.store(true, Ordering::Relaxed);
        log(level, dev, fmt, args);
    }
}
