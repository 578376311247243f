// SPDX-License-Identifier: GPL-2.0

//! Static sysfs device attributes and attribute groups.
//!
//! Attributes are statics built at compile time, like the C `DEVICE_ATTR_*`
//! macros build them; the callbacks are trait methods of a marker type.
//!
//! C header: [`include/linux/sysfs.h`](srctree/include/linux/sysfs.h)

use core::fmt;
use kernel::{
    bindings,
    device::Device,
    ffi::c_char,
    page::PAGE_SIZE,
    prelude::*,
    str::as_char_ptr_in_const_context,
    types::Opaque, //
};

/// The page a `show` callback writes into.
///
/// Writes past the end are dropped, as `sysfs_emit()` does, so the text is at
/// most `PAGE_SIZE - 1` bytes long.
pub(crate) struct ShowBuffer<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl<'a> ShowBuffer<'a> {
    fn new(buf: &'a mut [u8]) -> Self {
        Self { buf, len: 0 }
    }

    /// The bytes written so far.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Lets `fill` write into the rest of the page, as the core model's
    /// formatters do (they take a page and return how much they wrote).
    pub(crate) fn fill_with(&mut self, fill: impl FnOnce(&mut [u8]) -> usize) {
        let n = fill(self.room());
        self.advance(n);
    }

    /// The unwritten rest of the page (outside the generic
    /// [`ShowBuffer::fill_with`], which has one copy per caller).
    #[inline(never)]
    fn room(&mut self) -> &mut [u8] {
        &mut self.buf[self.len..]
    }

    /// Counts `n` more bytes as written, at most all but the last byte of
    /// the page.
    #[inline(never)]
    fn advance(&mut self, n: usize) {
        let room = self.buf.len() - self.len;
        self.len += n.min(room.saturating_sub(1));
    }
}

impl fmt::Write for ShowBuffer<'_> {
    #[inline]
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let room = self.buf.len().saturating_sub(1).saturating_sub(self.len);
        let n = s.len().min(room);
        self.buf[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}

/// The `show` callback of a read-only device attribute.
pub(crate) trait Show {
    /// Writes the attribute's text for `dev` into `buf`.
    fn show(dev: &Device, buf: &mut ShowBuffer<'_>) -> Result;
}

/// Calls `T::show` for sysfs.
///
/// # Safety
///
/// Called by sysfs only: `dev` is a live device and `buf` a page-sized,
/// writable buffer.
unsafe extern "C" fn show_callback<T: Show>(
    dev: *mut bindings::device,
    _attr: *mut bindings::device_attribute,
    buf: *mut c_char,
) -> isize {
    // SAFETY: What `show_with` requires is what sysfs guarantees this
    // callback.
    unsafe { show_with(dev, buf, T::show) }
}

/// The body of every [`show_callback`], once for all attributes (the
/// generic callback only picks `show`).
///
/// # Safety
///
/// `dev` is a live device and `buf` a page-sized, writable buffer that
/// nothing else uses during the call.
#[inline(never)]
unsafe fn show_with(
    dev: *mut bindings::device,
    buf: *mut c_char,
    show: fn(&Device, &mut ShowBuffer<'_>) -> Result,
) -> isize {
    // SAFETY: sysfs hands `show` a buffer of `PAGE_SIZE` bytes that nothing
    // else uses during the call.
    let page = unsafe { core::slice::from_raw_parts_mut(buf.cast::<u8>(), PAGE_SIZE) };
    // SAFETY: `dev` is live for the duration of the callback.
    let dev = unsafe { Device::from_raw(dev) };
    let mut out = ShowBuffer::new(page);
    match show(dev, &mut out) {
        // CAST: at most `PAGE_SIZE - 1`, which fits.
        Ok(()) => out.len() as isize,
        Err(e) => e.to_errno() as isize,
    }
}

/// The `store` callback of a writable device attribute.
pub(crate) trait Store {
    /// Takes the text user space wrote (`buf`, exactly as written) for
    /// `dev`; on success the whole write is consumed.
    fn store(dev: &Device, buf: &[u8]) -> Result;
}

/// Calls `T::store` for sysfs.
///
/// # Safety
///
/// Called by sysfs only: `dev` is a live device and `buf` holds `count`
/// readable bytes.
unsafe extern "C" fn store_callback<T: Store>(
    dev: *mut bindings::device,
    _attr: *mut bindings::device_attribute,
    buf: *const c_char,
    count: usize,
) -> isize {
    // SAFETY: What `store_with` requires is what sysfs guarantees this
    // callback.
    unsafe { store_with(dev, buf, count, T::store) }
}

/// The body of every [`store_callback`], once for all attributes.
///
/// # Safety
///
/// `dev` is a live device and `buf` holds `count` readable bytes that stay
/// valid and unchanged for the duration of the call.
#[inline(never)]
unsafe fn store_with(
    dev: *mut bindings::device,
    buf: *const c_char,
    count: usize,
    store: fn(&Device, &[u8]) -> Result,
) -> isize {
    // SAFETY: sysfs passes a buffer of `count` bytes that stays valid and
    // unchanged for the duration of the call.
    let input = unsafe { core::slice::from_raw_parts(buf.cast::<u8>(), count) };
    // SAFETY: `dev` is live for the duration of the callback.
    let dev = unsafe { Device::from_raw(dev) };
    match store(dev, input) {
        // CAST: sysfs never passes more than `PAGE_SIZE` bytes, which fits.
        Ok(()) => count as isize,
        Err(e) => e.to_errno() as isize,
    }
}

/// A static device attribute.
#[repr(transparent)]
pub(crate) struct DeviceAttribute(Opaque<bindings::device_attribute>);

// SAFETY: After construction only the driver core reads the attribute, and it
// does so under its own locking.
unsafe impl Sync for DeviceAttribute {}

impl DeviceAttribute {
    /// A read-only (0444) attribute whose text comes from `T::show`.
    pub(crate) const fn read_only<T: Show>(name: &'static CStr) -> Self {
        // SAFETY: An all-zero `device_attribute` is valid: C zero-fills the
        // same statics.
        let mut a: bindings::device_attribute = unsafe { core::mem::zeroed() };
        a.attr.name = as_char_ptr_in_const_context(name);
        a.attr.mode = 0o444;
        a.__bindgen_anon_1.show = Some(show_callback::<T>);
        Self(Opaque::new(a))
    }

    /// A write-only (0200) attribute whose writes go to `T::store`.
    pub(crate) const fn write_only<T: Store>(name: &'static CStr) -> Self {
        // SAFETY: An all-zero `device_attribute` is valid: C zero-fills the
        // same statics.
        let mut a: bindings::device_attribute = unsafe { core::mem::zeroed() };
        a.attr.name = as_char_ptr_in_const_context(name);
        a.attr.mode = 0o200;
        a.__bindgen_anon_2.store = Some(store_callback::<T>);
        Self(Opaque::new(a))
    }

    /// A read-write (0644) attribute served by `T::show` and `T::store`.
    pub(crate) const fn read_write<T: Show + Store>(name: &'static CStr) -> Self {
        // SAFETY: An all-zero `device_attribute` is valid: C zero-fills the
        // same statics.
        let mut a: bindings::device_attribute = unsafe { core::mem::zeroed() };
        a.attr.name = as_char_ptr_in_const_context(name);
        a.attr.mode = 0o644;
        a.__bindgen_anon_1.show = Some(show_callback::<T>);
        a.__bindgen_anon_2.store = Some(store_callback::<T>);
        Self(Opaque::new(a))
    }

    /// The embedded `struct attribute`, for attribute lists.
    pub(crate) const fn as_attribute(&'static self) -> *mut bindings::attribute {
        // CAST: `attr` is the first field of the `repr(C)` `device_attribute`.
        self.0.get().cast::<bindings::attribute>()
    }
}

/// A NULL-terminated array of attributes; built by [`attribute_groups!`].
#[repr(transparent)]
pub(crate) struct AttributeList<const N: usize>(pub(crate) Opaque<[*mut bindings::attribute; N]>);

// SAFETY: Read only by the driver core after construction.
unsafe impl<const N: usize> Sync for AttributeList<N> {}

/// An attribute group; built by [`attribute_groups!`].
#[repr(transparent)]
pub(crate) struct AttributeGroup(Opaque<bindings::attribute_group>);

// SAFETY: Read only by the driver core after construction.
unsafe impl Sync for AttributeGroup {}

impl AttributeGroup {
    /// An unnamed group of the attributes in `list`.
    pub(crate) const fn new<const N: usize>(list: &'static AttributeList<N>) -> Self {
        // SAFETY: An all-zero `attribute_group` is valid.
        let mut g: bindings::attribute_group = unsafe { core::mem::zeroed() };
        g.__bindgen_anon_2.attrs = list.0.get().cast::<*mut bindings::attribute>();
        Self(Opaque::new(g))
    }

    /// The C group.
    pub(crate) const fn as_raw(&'static self) -> *const bindings::attribute_group {
        self.0.get()
    }
}

/// A NULL-terminated list of attribute groups, as drivers and devices take
/// them; built by [`attribute_groups!`].
#[repr(transparent)]
pub(crate) struct AttributeGroups(Opaque<[*const bindings::attribute_group; 2]>);

// SAFETY: Read only by the driver core after construction.
unsafe impl Sync for AttributeGroups {}

impl AttributeGroups {
    /// A list holding the one group `group`.
    pub(crate) const fn one(group: &'static AttributeGroup) -> Self {
        Self(Opaque::new([group.as_raw(), core::ptr::null()]))
    }

    /// The C list.
    pub(crate) const fn as_raw(&'static self) -> *const *const bindings::attribute_group {
        self.0.get().cast::<*const bindings::attribute_group>()
    }
}

/// Defines a static [`AttributeGroups`] holding one unnamed group made of the
/// given static [`DeviceAttribute`]s.
macro_rules! attribute_groups {
    ($vis:vis static $name:ident = [$($attr:path),+ $(,)?];) => {
        $vis static $name: $crate::abstractions::sysfs::AttributeGroups = {
            const N: usize = [$(stringify!($attr)),+].len() + 1;
            static LIST: $crate::abstractions::sysfs::AttributeList<N> =
                $crate::abstractions::sysfs::AttributeList(::kernel::types::Opaque::new([
                    $($attr.as_attribute(),)+
                    ::core::ptr::null_mut(),
                ]));
            static GROUP: $crate::abstractions::sysfs::AttributeGroup =
                $crate::abstractions::sysfs::AttributeGroup::new(&LIST);
            $crate::abstractions::sysfs::AttributeGroups::one(&GROUP)
        };
    };
}
pub(crate) use attribute_groups;
