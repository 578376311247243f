// SPDX-License-Identifier: GPL-2.0

//! Mediated devices: a parent device with an mdev driver and one mdev type,
//! and the mdev devices user space creates through that type.
//!
//! The structures live in C (the helpers in `rust/helpers/mdev.c`), in the
//! allocation of the parent device ([`ParentDevice`]): the mdev core reads
//! the driver, the parent and the type until the type and the last mdev
//! are released, and those hold references on the device, so the device's
//! release frees them. The registrations here undo themselves on drop and
//! hold a reference on the device meanwhile.
//!
//! C header: [`include/linux/mdev.h`](srctree/include/linux/mdev.h)

use core::{marker::PhantomData, ptr::NonNull};
use kernel::{
    bindings,
    device::Device,
    error::{from_err_ptr, to_result},
    ffi::{c_char, c_int, c_uint, c_void},
    prelude::*,
    types::{ForeignOwnable, Opaque},
    ThisModule, //
};

use super::device::{BusRegistration, RootDevice};
use super::sysfs::{DeviceAttribute, Show, ShowBuffer, Store};

mod ffi {
    use super::*;

    /// `struct mdev_device`.
    #[repr(C)]
    pub(super) struct MdevDeviceRaw {
        _opaque: [u8; 0],
    }

    // `bindings::device` and friends are not FFI-safe in Rust's eyes (empty
    // lockdep structs); only pointers to them cross.
    #[expect(improper_ctypes)]
    unsafe extern "C" {
        pub(super) fn vfio_ap_helper_parent_dev_register(
            name: *const c_char,
            parent: *mut bindings::device,
            bus: *const bindings::bus_type,
        ) -> *mut bindings::device;
        pub(super) fn vfio_ap_helper_parent_dev_unregister(dev: *mut bindings::device);
        pub(super) fn vfio_ap_helper_mdev_driver_register(
            dev: *mut bindings::device,
            name: *const c_char,
            device_api: *const c_char,
            max_instances: c_uint,
            owner: *mut bindings::module,
            dev_groups: *const *const bindings::attribute_group,
            probe: unsafe extern "C" fn(*mut MdevDeviceRaw) -> c_int,
            remove: unsafe extern "C" fn(*mut MdevDeviceRaw),
        ) -> c_int;
        pub(super) fn vfio_ap_helper_mdev_driver_unregister(dev: *mut bindings::device);
        pub(super) fn vfio_ap_helper_mdev_parent_register(
            dev: *mut bindings::device,
            sysfs_name: *const c_char,
            pretty_name: *const c_char,
        ) -> c_int;
        pub(super) fn vfio_ap_helper_mdev_parent_unregister(dev: *mut bindings::device);
        pub(super) fn vfio_ap_helper_mdev_dev(mdev: *mut MdevDeviceRaw) -> *mut bindings::device;
    }
}

/// A mediated device, as the mdev core hands it to the driver's callbacks.
///
/// # Invariants
///
/// A reference to it is a live `struct mdev_device`.
#[repr(transparent)]
pub(crate) struct MdevDevice(Opaque<ffi::MdevDeviceRaw>);

impl MdevDevice {
    /// # Safety
    ///
    /// `ptr` is a live mdev device for the lifetime `'a`.
    unsafe fn from_raw<'a>(ptr: *mut ffi::MdevDeviceRaw) -> &'a Self {
        // SAFETY: `MdevDevice` is `repr(transparent)` over the raw type, and
        // the caller guarantees liveness.
        unsafe { &*ptr.cast::<Self>() }
    }

    fn as_raw(&self) -> *mut ffi::MdevDeviceRaw {
        self.0.get()
    }

    /// The embedded `struct device` (`/sys/bus/mdev/devices/<uuid>`).
    pub(crate) fn device(&self) -> &Device {
        // SAFETY: `self` is live (type invariant), so its embedded device
        // is live for as long as `self` is borrowed.
        unsafe { Device::from_raw(ffi::vfio_ap_helper_mdev_dev(self.as_raw())) }
    }
}

/// The callbacks of an mdev driver.
pub(crate) trait MdevDriver: 'static {
    /// What the driver keeps for each bound mdev (in its drvdata).
    type Data: ForeignOwnable + Send + Sync;

    /// Binds a new mdev; on error the mdev core fails the creation.
    fn probe(mdev: &MdevDevice) -> Result<Self::Data>;

    /// Unbinds an mdev, getting back what [`MdevDriver::probe`] returned.
    fn remove(mdev: &MdevDevice, data: Self::Data);
}

/// Calls `T::probe` for the mdev core.
///
/// # Safety
///
/// Called by the mdev core only, with a live mdev device that is not bound.
unsafe extern "C" fn probe_callback<T: MdevDriver>(mdev: *mut ffi::MdevDeviceRaw) -> c_int {
    // SAFETY: The mdev is live during the callback.
    let mdev = unsafe { MdevDevice::from_raw(mdev) };
    match T::probe(mdev) {
        Ok(data) => {
            let dev = raw_device(mdev.device());
            // SAFETY: `dev` is live; the driver data belongs to the bound
            // driver, which is this one from now until `remove_callback`.
            unsafe { bindings::dev_set_drvdata(dev, data.into_foreign().cast::<c_void>()) };
            0
        }
        Err(e) => e.to_errno(),
    }
}

/// Calls `T::remove` for the mdev core.
///
/// # Safety
///
/// Called by the mdev core only, with a live mdev device that
/// [`probe_callback::<T>`] bound successfully.
unsafe extern "C" fn remove_callback<T: MdevDriver>(mdev: *mut ffi::MdevDeviceRaw) {
    // SAFETY: The mdev is live during the callback.
    let mdev = unsafe { MdevDevice::from_raw(mdev) };
    let dev = raw_device(mdev.device());
    // SAFETY: `dev` is live.
    let ptr = unsafe { bindings::dev_get_drvdata(dev) };
    // SAFETY: `dev` is live; nobody reads the driver data after unbinding.
    unsafe { bindings::dev_set_drvdata(dev, core::ptr::null_mut()) };
    // SAFETY: `probe_callback::<T>` stored `ptr` from `T::Data::into_foreign`
    // and this is the only place that takes it back.
    let data = unsafe { T::Data::from_foreign(ptr.cast()) };
    T::remove(mdev, data);
}

/// The C device behind `dev` (the kernel crate keeps its own accessor
/// crate-private).
pub(super) fn raw_device(dev: &Device) -> *mut bindings::device {
    // CAST: `Device` is `repr(transparent)` over `Opaque<struct device>`.
    core::ptr::from_ref(dev)
        .cast_mut()
        .cast::<bindings::device>()
}

/// A device of this module, registered on one of its buses, that can be
/// the parent of mdevs: its allocation holds the mdev driver, parent and
/// type that [`DriverRegistration`] and [`ParentRegistration`] register.
///
/// # Invariants
///
/// `dev` was registered by the C helper, which allocated it with that room
/// and a release that frees it; it stays registered until drop, and we
/// own the registration's reference.
pub(crate) struct ParentDevice {
    dev: NonNull<bindings::device>,
}

// SAFETY: The driver core synchronises all use of a registered device.
unsafe impl Send for ParentDevice {}
// SAFETY: No method mutates through `&self`.
unsafe impl Sync for ParentDevice {}

impl ParentDevice {
    /// Registers device `name` with `parent` on `bus`.
    ///
    /// The caller drops the returned registration before `parent` and `bus`.
    pub(crate) fn register(
        name: &'static CStr,
        parent: &RootDevice,
        bus: &BusRegistration,
    ) -> Result<Self> {
        // SAFETY: `parent` and `bus` are registered and outlive the device
        // (the caller drops it first); the helper copies `name`.
        let dev = unsafe {
            ffi::vfio_ap_helper_parent_dev_register(
                name.as_char_ptr(),
                parent.as_raw(),
                bus.as_raw(),
            )
        };
        let dev = from_err_ptr(dev)?;
        // INVARIANT: Registered by the helper just above.
        NonNull::new(dev).map(|dev| Self { dev }).ok_or(EINVAL)
    }

    /// A new reference on the device, whose allocation holds the mdev
    /// structures: put with [`put_device`] once they are unregistered.
    fn get(&self) -> NonNull<bindings::device> {
        // SAFETY: The device is live (type invariant).
        unsafe { bindings::get_device(self.dev.as_ptr()) };
        self.dev
    }
}

impl Drop for ParentDevice {
    fn drop(&mut self) {
        // SAFETY: By the type invariant the device is registered and the
        // registration's reference is ours. The helper also waits for the
        // release, which runs module code.
        unsafe { ffi::vfio_ap_helper_parent_dev_unregister(self.dev.as_ptr()) };
    }
}

/// Puts a reference taken by [`ParentDevice::get`].
///
/// # Safety
///
/// The caller owns that reference and uses `dev` no more.
unsafe fn put_device(dev: NonNull<bindings::device>) {
    // SAFETY: As the function's contract says.
    unsafe { bindings::put_device(dev.as_ptr()) };
}

/// The mdev driver of a [`ParentDevice`]'s mdevs
/// (`/sys/bus/mdev/drivers/<name>`).
///
/// # Invariants
///
/// `dev` is a [`ParentDevice`] whose mdev driver is registered until drop;
/// we own a reference on it, so the driver's memory (part of the device's
/// allocation) lives at least as long as `self`.
pub(crate) struct DriverRegistration<T: MdevDriver> {
    dev: NonNull<bindings::device>,
    _t: PhantomData<T>,
}

// SAFETY: The mdev and driver cores synchronise all use of the driver.
unsafe impl<T: MdevDriver> Send for DriverRegistration<T> {}
// SAFETY: No method mutates through `&self`.
unsafe impl<T: MdevDriver> Sync for DriverRegistration<T> {}

impl<T: MdevDriver> DriverRegistration<T> {
    /// Registers the mdev driver `name` of `dev`'s mdevs, whose type
    /// reports `device_api` and has at most `max_instances` mdevs;
    /// `dev_groups` appear on each bound mdev.
    pub(crate) fn register(
        dev: &ParentDevice,
        name: &'static CStr,
        device_api: &'static CStr,
        max_instances: u32,
        module: &'static ThisModule,
        dev_groups: &'static MdevAttributeGroups<T>,
    ) -> Result<Self> {
        let dev = dev.get();
        // SAFETY: `dev` is a parent device (its allocation has the driver)
        // on which we hold a reference; all strings and groups are static;
        // the callbacks match the C prototypes.
        let ret = unsafe {
            ffi::vfio_ap_helper_mdev_driver_register(
                dev.as_ptr(),
                name.as_char_ptr(),
                device_api.as_char_ptr(),
                max_instances,
                module.as_ptr(),
                dev_groups.as_raw(),
                probe_callback::<T>,
                remove_callback::<T>,
            )
        };
        if let Err(e) = to_result(ret) {
            // SAFETY: Taken above; the driver is not registered.
            unsafe { put_device(dev) };
            return Err(e);
        }
        // INVARIANT: Registered above, with our reference on `dev`.
        Ok(Self {
            dev,
            _t: PhantomData,
        })
    }
}

impl<T: MdevDriver> Drop for DriverRegistration<T> {
    fn drop(&mut self) {
        // SAFETY: By the type invariant the driver is registered; after
        // unregistering (which unbinds every mdev) the mdev core reads it
        // only through mdevs being released, which hold references on the
        // device whose allocation it is part of.
        unsafe {
            ffi::vfio_ap_helper_mdev_driver_unregister(self.dev.as_ptr());
            put_device(self.dev);
        }
    }
}

/// A [`ParentDevice`] registered as mdev parent with a single type, whose
/// directory is `mdev_supported_types/<parent driver name>-<sysfs_name>`.
///
/// # Invariants
///
/// `dev` is a [`ParentDevice`] registered as mdev parent until drop, with
/// the driver of a live [`DriverRegistration`]; we own a reference on it.
pub(crate) struct ParentRegistration {
    dev: NonNull<bindings::device>,
}

// SAFETY: The mdev core synchronises all use of the parent.
unsafe impl Send for ParentRegistration {}
// SAFETY: No method mutates through `&self`.
unsafe impl Sync for ParentRegistration {}

impl ParentRegistration {
    /// Makes `dev` the mdev parent of `driver`'s mdevs, with one type.
    ///
    /// `dev` must be bound to its driver already (the type directory is
    /// named after it), `driver` must be `dev`'s, and the caller drops the
    /// registration before `driver` and before `dev` is unregistered.
    pub(crate) fn register<T: MdevDriver>(
        dev: &ParentDevice,
        driver: &DriverRegistration<T>,
        sysfs_name: &'static CStr,
        pretty_name: &'static CStr,
    ) -> Result<Self> {
        if driver.dev != dev.dev {
            return Err(EINVAL);
        }
        let dev = dev.get();
        // SAFETY: `dev` is a parent device on which we hold a reference,
        // with its driver registered; the names are static.
        let ret = unsafe {
            ffi::vfio_ap_helper_mdev_parent_register(
                dev.as_ptr(),
                sysfs_name.as_char_ptr(),
                pretty_name.as_char_ptr(),
            )
        };
        if let Err(e) = to_result(ret) {
            // SAFETY: Taken above; the parent is not registered.
            unsafe { put_device(dev) };
            return Err(e);
        }
        // INVARIANT: Registered above, with our reference on `dev`.
        Ok(Self { dev })
    }
}

impl Drop for ParentRegistration {
    fn drop(&mut self) {
        // SAFETY: By the type invariant the parent is registered; this
        // removes every mdev of it. The type and the mdevs released later
        // hold references on the device, which keep the parent's memory.
        unsafe {
            ffi::vfio_ap_helper_mdev_parent_unregister(self.dev.as_ptr());
            put_device(self.dev);
        }
    }
}

/// The `show` of an attribute of `T`'s bound mdevs ([`MdevAttribute`]).
pub(crate) trait BoundShow<T: MdevDriver> {
    /// Writes the attribute's text for the mdev device `dev`, whose driver
    /// data is `data`, into `buf`.
    fn show(
        dev: &Device,
        data: <T::Data as ForeignOwnable>::Borrowed<'_>,
        buf: &mut ShowBuffer<'_>,
    ) -> Result;
}

/// The `store` of a writable attribute of `T`'s bound mdevs
/// ([`MdevAttribute`]).
pub(crate) trait BoundStore<T: MdevDriver> {
    /// Takes the text user space wrote (`buf`, exactly as written) for the
    /// mdev device `dev`, whose driver data is `data`.
    fn store(dev: &Device, data: <T::Data as ForeignOwnable>::Borrowed<'_>, buf: &[u8]) -> Result;
}

/// Serves `S` to sysfs. Private: only [`MdevAttribute`] builds attributes
/// with these callbacks, and only `T`'s mdev driver installs those.
struct Bound<T, S>(PhantomData<fn() -> (T, S)>);

/// The driver data of `dev`, as `T::probe` returned it.
///
/// # Safety
///
/// `dev` is an mdev bound to `T`'s driver, and stays bound for `'a`.
unsafe fn drvdata<'a, T: MdevDriver>(dev: &'a Device) -> <T::Data as ForeignOwnable>::Borrowed<'a> {
    // SAFETY: `dev` is live (it is borrowed).
    let ptr = unsafe { bindings::dev_get_drvdata(raw_device(dev)) };
    // SAFETY: `probe_callback::<T>` stored `ptr` from `T::Data::into_foreign`
    // when it bound `dev`; `remove_callback::<T>` takes it back only when
    // `dev` is unbound, which by the function's contract is after `'a`.
    unsafe { T::Data::borrow(ptr.cast()) }
}

impl<T: MdevDriver, S: BoundShow<T>> Show for Bound<T, S> {
    fn show(dev: &Device, buf: &mut ShowBuffer<'_>) -> Result {
        // SAFETY: sysfs calls this only for an attribute in
        // `MdevAttributeGroups<T>`, which only `DriverRegistration<T>`
        // installs, as its driver's `dev_groups`: the driver core adds them
        // to an mdev after `probe_callback::<T>` bound it, and removes them
        // (waiting for running callbacks) before `remove_callback::<T>`.
        let data = unsafe { drvdata::<T>(dev) };
        S::show(dev, data, buf)
    }
}

impl<T: MdevDriver, S: BoundStore<T>> Store for Bound<T, S> {
    fn store(dev: &Device, buf: &[u8]) -> Result {
        // SAFETY: As in `show` above.
        let data = unsafe { drvdata::<T>(dev) };
        S::store(dev, data, buf)
    }
}

/// A static attribute of `T`'s bound mdevs, served with their driver data.
///
/// It can be installed only through [`MdevAttributeGroups<T>`] (the
/// attribute inside is private), so its callbacks only ever see mdevs bound
/// to `T`'s driver.
#[repr(transparent)]
pub(crate) struct MdevAttribute<T>(DeviceAttribute, PhantomData<fn() -> T>);

impl<T: MdevDriver> MdevAttribute<T> {
    /// A read-only (0444) attribute whose text comes from `S::show`.
    pub(crate) const fn read_only<S: BoundShow<T>>(name: &'static CStr) -> Self {
        Self(DeviceAttribute::read_only::<Bound<T, S>>(name), PhantomData)
    }

    /// A write-only (0200) attribute whose writes go to `S::store`.
    pub(crate) const fn write_only<S: BoundStore<T>>(name: &'static CStr) -> Self {
        Self(
            DeviceAttribute::write_only::<Bound<T, S>>(name),
            PhantomData,
        )
    }

    /// A read-write (0644) attribute served by `S::show` and `S::store`.
    pub(crate) const fn read_write<S: BoundShow<T> + BoundStore<T>>(name: &'static CStr) -> Self {
        Self(
            DeviceAttribute::read_write::<Bound<T, S>>(name),
            PhantomData,
        )
    }
}

/// A `None`-terminated list of [`MdevAttribute`]s; built by
/// [`mdev_attribute_groups!`].
///
/// # Invariants
///
/// The last element is `None`.
#[repr(transparent)]
pub(crate) struct MdevAttributeList<T: 'static, const N: usize>(
    [Option<&'static MdevAttribute<T>>; N],
);

impl<T: MdevDriver, const N: usize> MdevAttributeList<T, N> {
    /// The list `attrs`, whose last element must be `None` (checked at
    /// compile time in a static).
    pub(crate) const fn new(attrs: [Option<&'static MdevAttribute<T>>; N]) -> Self {
        assert!(N > 0 && attrs[N - 1].is_none());
        // INVARIANT: Checked just above.
        Self(attrs)
    }
}

/// One unnamed group of [`MdevAttribute`]s; built by
/// [`mdev_attribute_groups!`].
#[repr(transparent)]
pub(crate) struct MdevAttributeGroup<T>(Opaque<bindings::attribute_group>, PhantomData<fn() -> T>);

// SAFETY: Read only by the driver core after construction.
unsafe impl<T> Sync for MdevAttributeGroup<T> {}

impl<T: MdevDriver> MdevAttributeGroup<T> {
    /// The group of the attributes in `list`.
    pub(crate) const fn new<const N: usize>(list: &'static MdevAttributeList<T, N>) -> Self {
        // SAFETY: An all-zero `attribute_group` is valid.
        let mut g: bindings::attribute_group = unsafe { core::mem::zeroed() };
        // CAST: the list is a `None`-terminated (type invariant) array of
        // `Option<&MdevAttribute>`, laid out as pointers (NULL for `None`)
        // to `repr(transparent)` wrappers of a `device_attribute`, whose
        // first field is its `struct attribute`: a NULL-terminated C
        // `struct attribute *` array, which sysfs only reads.
        g.__bindgen_anon_2.attrs = core::ptr::from_ref(list)
            .cast_mut()
            .cast::<*mut bindings::attribute>();
        Self(Opaque::new(g), PhantomData)
    }
}

/// The attribute groups of `T`'s bound mdevs, as
/// [`DriverRegistration::register`] takes them; built by
/// [`mdev_attribute_groups!`].
#[repr(transparent)]
pub(crate) struct MdevAttributeGroups<T>(
    Opaque<[*const bindings::attribute_group; 2]>,
    PhantomData<fn() -> T>,
);

// SAFETY: Read only by the driver core after construction.
unsafe impl<T> Sync for MdevAttributeGroups<T> {}

impl<T: MdevDriver> MdevAttributeGroups<T> {
    /// A list holding the one group `group`.
    pub(crate) const fn one(group: &'static MdevAttributeGroup<T>) -> Self {
        Self(
            Opaque::new([group.0.get().cast_const(), core::ptr::null()]),
            PhantomData,
        )
    }

    /// The C list.
    const fn as_raw(&'static self) -> *const *const bindings::attribute_group {
        self.0.get().cast::<*const bindings::attribute_group>()
    }
}

/// Defines a static [`MdevAttributeGroups`] of the mdev driver `$t` holding
/// one unnamed group made of the given static [`MdevAttribute`]s.
macro_rules! mdev_attribute_groups {
    ($vis:vis static $name:ident: $t:ty = [$($attr:path),+ $(,)?];) => {
        $vis static $name: $crate::abstractions::mdev::MdevAttributeGroups<$t> = {
            const N: usize = [$(stringify!($attr)),+].len() + 1;
            static LIST: $crate::abstractions::mdev::MdevAttributeList<$t, N> =
                $crate::abstractions::mdev::MdevAttributeList::new([
                    $(Some(&$attr),)+
                    None,
                ]);
            static GROUP: $crate::abstractions::mdev::MdevAttributeGroup<$t> =
                $crate::abstractions::mdev::MdevAttributeGroup::new(&LIST);
            $crate::abstractions::mdev::MdevAttributeGroups::one(&GROUP)
        };
    };
}
pub(crate) use mdev_attribute_groups;
