// SPDX-License-Identifier: GPL-2.0

//! The `vfio_ap` s390dbf area, where upstream's warnings are recorded.

#![deny(unsafe_code)]

use kernel::{device::Device, ffi::c_long, prelude::*};

use crate::abstractions::{
    cformat::LongFormat,
    debug::{self, Area},
    sync::global_mutex,
};
use crate::model::irq::uuid_words;

global_mutex! {
    /// The `vfio_ap` s390dbf area, from module init to exit. A leaf lock:
    /// nothing is taken under it.
    static DBF: Option<Area> = None;
    init = init_dbf_lock;
}

/// Keeps `area` as the place for [`warn`], until [`release`]. Called once
/// at module init.
pub(crate) fn install(area: Area) {
    init_dbf_lock();
    *DBF.lock() = Some(area);
}

/// Gives the area up (module exit; statics are not dropped).
pub(crate) fn release() {
    let area = DBF.lock().take();
    drop(area);
}

/// Records a warning in the `vfio_ap` s390dbf area, at the level of
/// upstream's entries; `fmt` has one conversion per argument.
pub(crate) fn warn(fmt: LongFormat, args: &[c_long]) {
    if let Some(dbf) = &*DBF.lock() {
        dbf.event(debug::LEVEL_WARN, fmt, args);
    }
}

/// The six numbers of the UUID `dev` is named after (an mdev's name), for
/// a format's `%08lx-%04lx-%04lx-%04lx-%04lx%08lx`; zeros for another name.
#[inline(never)]
pub(crate) fn uuid_args(dev: &Device) -> [c_long; 6] {
    // CAST: Each number has at most 32 bits.
    uuid_words(dev.name().to_bytes())
        .unwrap_or_default()
        .map(|w| w as c_long)
}

/// A number for an entry (which holds `long`s).
pub(crate) fn arg(v: impl Into<i64>) -> c_long {
    // CAST: `long` is 64 bits on s390, so nothing is lost.
    v.into() as c_long
}
