// SPDX-License-Identifier: GPL-2.0

//! Mediated devices: an mdev driver, a parent device with one mdev type,
//! and the mdev devices user space creates through that type.
//!
//! The structures live in C (the helpers in `rust/helpers/mdev.c`); here
//! they are opaque and owned by registration objects that undo themselves
//! on drop.
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

use super::sysfs::AttributeGroups;

mod ffi {
    use super::*;

    /// `struct mdev_device`.
    #[repr(C)]
    pub(super) struct MdevDeviceRaw {
        _opaque: [u8; 0],
    }

    /// `struct mdev_driver`.
    #[repr(C)]
    pub(super) struct MdevDriverRaw {
        _opaque: [u8; 0],
    }

    /// `struct vfio_ap_mdev_parent` of the C helpers.
    #[repr(C)]
    pub(super) struct MdevParentRaw {
        _opaque: [u8; 0],
    }

    // `bindings::device` and friends are not FFI-safe in Rust's eyes (empty
    // lockdep structs); only pointers to them cross.
    #[expect(improper_ctypes)]
    unsafe extern "C" {
        // `mod_name` matters only for drivers without `owner`: null here.
        pub(super) fn vfio_ap_helper_mdev_driver_alloc(
            name: *const c_char,
            device_api: *const c_char,
            max_instances: c_uint,
            owner: *mut bindings::module,
            mod_name: *const c_char,
            dev_groups: *const *const bindings::attribute_group,
            probe: unsafe extern "C" fn(*mut MdevDeviceRaw) -> c_int,
            remove: unsafe extern "C" fn(*mut MdevDeviceRaw),
        ) -> *mut MdevDriverRaw;
        pub(super) fn vfio_ap_helper_mdev_driver_free(drv: *mut MdevDriverRaw);
        pub(super) fn mdev_register_driver(drv: *mut MdevDriverRaw) -> c_int;
        pub(super) fn mdev_unregister_driver(drv: *mut MdevDriverRaw);
        pub(super) fn vfio_ap_helper_mdev_parent_register(
            dev: *mut bindings::device,
            drv: *mut MdevDriverRaw,
            sysfs_name: *const c_char,
            pretty_name: *const c_char,
        ) -> *mut MdevParentRaw;
        pub(super) fn vfio_ap_helper_mdev_parent_unregister(p: *mut MdevParentRaw);
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

/// A registered mdev driver (`/sys/bus/mdev/drivers/<name>`).
///
/// # Invariants
///
/// `drv` was allocated by the C helper and is registered until drop.
pub(crate) struct DriverRegistration<T: MdevDriver> {
    drv: NonNull<ffi::MdevDriverRaw>,
    _t: PhantomData<T>,
}

// SAFETY: The mdev and driver cores synchronise all use of the driver.
unsafe impl<T: MdevDriver> Send for DriverRegistration<T> {}
// SAFETY: No method mutates through `&self`.
unsafe impl<T: MdevDriver> Sync for DriverRegistration<T> {}

impl<T: MdevDriver> DriverRegistration<T> {
    /// Registers mdev driver `name` whose types report `device_api` and at
    /// most `max_instances` mdevs; `dev_groups` appear on each bound mdev.
    pub(crate) fn register(
        name: &'static CStr,
        device_api: &'static CStr,
        max_instances: u32,
        module: &'static ThisModule,
        dev_groups: &'static AttributeGroups,
    ) -> Result<Self> {
        // SAFETY: All strings and groups are static; the callbacks match
        // the C prototypes.
        let drv = unsafe {
            ffi::vfio_ap_helper_mdev_driver_alloc(
                name.as_char_ptr(),
                device_api.as_char_ptr(),
                max_instances,
                module.as_ptr(),
                core::ptr::null(),
                dev_groups.as_raw(),
                probe_callback::<T>,
                remove_callback::<T>,
            )
        };
        let drv = NonNull::new(drv).ok_or(ENOMEM)?;
        // SAFETY: `drv` is a fully set up driver that stays allocated until
        // it is unregistered.
        if let Err(e) = to_result(unsafe { ffi::mdev_register_driver(drv.as_ptr()) }) {
            // SAFETY: Not registered, so nothing else refers to it.
            unsafe { ffi::vfio_ap_helper_mdev_driver_free(drv.as_ptr()) };
            return Err(e);
        }
        // INVARIANT: Allocated and registered above.
        Ok(Self {
            drv,
            _t: PhantomData,
        })
    }
}

impl<T: MdevDriver> Drop for DriverRegistration<T> {
    fn drop(&mut self) {
        // SAFETY: By the type invariant the driver is registered; after
        // unregistering (which unbinds every mdev) nothing refers to it.
        unsafe {
            ffi::mdev_unregister_driver(self.drv.as_ptr());
            ffi::vfio_ap_helper_mdev_driver_free(self.drv.as_ptr());
        }
    }
}

/// A registered mdev parent with a single type, whose directory is
/// `mdev_supported_types/<parent driver name>-<sysfs_name>`.
///
/// # Invariants
///
/// `parent` came from a successful helper registration and stays
/// registered until drop.
pub(crate) struct ParentRegistration {
    parent: NonNull<ffi::MdevParentRaw>,
}

// SAFETY: The mdev core synchronises all use of the parent.
unsafe impl Send for ParentRegistration {}
// SAFETY: No method mutates through `&self`.
unsafe impl Sync for ParentRegistration {}

impl ParentRegistration {
    /// Makes `dev` an mdev parent of `driver`'s mdevs with one type.
    ///
    /// `dev` must be bound to its driver already (the type directory is
    /// named after it), and the caller drops the registration before
    /// `driver` and before `dev` goes away.
    pub(crate) fn register<T: MdevDriver>(
        dev: &Device,
        driver: &DriverRegistration<T>,
        sysfs_name: &'static CStr,
        pretty_name: &'static CStr,
    ) -> Result<Self> {
        // SAFETY: `dev` is live, the driver registered, the names static.
        let p = unsafe {
            ffi::vfio_ap_helper_mdev_parent_register(
                raw_device(dev),
                driver.drv.as_ptr(),
                sysfs_name.as_char_ptr(),
                pretty_name.as_char_ptr(),
            )
        };
        let p = from_err_ptr(p)?;
        // INVARIANT: Registered above.
        NonNull::new(p).map(|parent| Self { parent }).ok_or(EINVAL)
    }
}

impl Drop for ParentRegistration {
    fn drop(&mut self) {
        // SAFETY: By the type invariant the parent is registered; this
        // removes every mdev of it and frees it.
        unsafe { ffi::vfio_ap_helper_mdev_parent_unregister(self.parent.as_ptr()) };
    }
}
