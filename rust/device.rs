// SPDX-License-Identifier: GPL-2.0

//! Root devices, buses, drivers and plain devices of the driver model.
//!
//! The vfio_ap module builds its own small corner of the device tree: a root
//! device `vfio_ap`, a bus `matrix`, the `matrix` device on it (an mdev
//! parent, see `super::mdev::ParentDevice`), and a driver `vfio_ap` on that
//! bus that binds the device (the mdev core names the type directory after
//! that driver).
//!
//! C header: [`include/linux/device.h`](srctree/include/linux/device.h)

use core::ptr::NonNull;
use kernel::{
    bindings,
    error::{from_err_ptr, to_result},
    prelude::*,
    str::CStrExt,
    types::Opaque,
    ThisModule, //
};

use super::sysfs::AttributeGroups;

/// A registered root device: a device without bus under `/sys/devices/`.
///
/// # Invariants
///
/// `dev` was returned by a successful `__root_device_register()` and stays
/// registered until `self` is dropped.
pub(crate) struct RootDevice {
    dev: NonNull<bindings::device>,
}

// SAFETY: The driver core may register, use and unregister devices from any
// thread; `RootDevice` only holds the pointer.
unsafe impl Send for RootDevice {}
// SAFETY: `RootDevice` has no methods that mutate through `&self`.
unsafe impl Sync for RootDevice {}

impl RootDevice {
    /// Registers the root device `/sys/devices/<name>` owned by `module`.
    pub(crate) fn register(name: &'static CStr, module: &'static ThisModule) -> Result<Self> {
        // SAFETY: `name` is NUL-terminated and outlives the device; `module` is
        // the calling module, which outlives the registration.
        let dev = unsafe { bindings::__root_device_register(name.as_char_ptr(), module.as_ptr()) };
        let dev = from_err_ptr(dev)?;
        // INVARIANT: Registration succeeded, so `dev` is a registered device.
        NonNull::new(dev).map(|dev| Self { dev }).ok_or(EINVAL)
    }

    pub(super) fn as_raw(&self) -> *mut bindings::device {
        self.dev.as_ptr()
    }
}

impl Drop for RootDevice {
    fn drop(&mut self) {
        // SAFETY: By the type invariant `dev` is registered and unregistered
        // only here.
        unsafe { bindings::root_device_unregister(self.dev.as_ptr()) };
    }
}

/// A bus type registered with the driver core (`/sys/bus/<name>`).
///
/// # Invariants
///
/// `bus` is registered from construction until drop, and since it is boxed
/// its address does not change meanwhile.
pub(crate) struct BusRegistration {
    bus: KBox<Opaque<bindings::bus_type>>,
}

// SAFETY: The driver core synchronises all use of a registered bus type.
unsafe impl Send for BusRegistration {}
// SAFETY: `BusRegistration` has no methods that mutate through `&self`.
unsafe impl Sync for BusRegistration {}

impl BusRegistration {
    /// Registers a bus without match function: every driver of the bus
    /// matches every device of it.
    pub(crate) fn register(name: &'static CStr) -> Result<Self> {
        let bus = KBox::new(Opaque::<bindings::bus_type>::zeroed(), GFP_KERNEL)?;
        // SAFETY: `bus` is zeroed, valid for writes and not shared yet.
        unsafe { (*bus.get()).name = name.as_char_ptr() };
        // SAFETY: The bus type is initialised; it stays at this address until
        // `bus_unregister()` in `drop` (the box is never moved out of).
        to_result(unsafe { bindings::bus_register(bus.get()) })?;
        // INVARIANT: Registered just above.
        Ok(Self { bus })
    }

    pub(super) fn as_raw(&self) -> *const bindings::bus_type {
        self.bus.get()
    }
}

impl Drop for BusRegistration {
    fn drop(&mut self) {
        // SAFETY: By the type invariant the bus is registered.
        unsafe { bindings::bus_unregister(self.bus.get()) };
    }
}

/// A driver registered on a bus of this module.
///
/// # Invariants
///
/// `drv` is registered from construction until drop, at a stable address.
pub(crate) struct DriverRegistration {
    drv: KBox<Opaque<bindings::device_driver>>,
}

// SAFETY: The driver core synchronises all use of a registered driver.
unsafe impl Send for DriverRegistration {}
// SAFETY: `DriverRegistration` has no methods that mutate through `&self`.
unsafe impl Sync for DriverRegistration {}

impl DriverRegistration {
    /// Registers driver `name` on `bus`, with `dev_groups` created on every
    /// device it binds and without `bind`/`unbind` files in sysfs.
    ///
    /// Like upstream's matrix driver it names no owner module (so sysfs
    /// shows no `module` link); the module holds the registration and drops
    /// it before it goes away.
    ///
    /// The caller drops the returned registration before `bus`.
    pub(crate) fn register(
        name: &'static CStr,
        bus: &BusRegistration,
        dev_groups: &'static AttributeGroups,
    ) -> Result<Self> {
        let drv = KBox::new(Opaque::<bindings::device_driver>::zeroed(), GFP_KERNEL)?;
        let raw = drv.get();
        // SAFETY: `raw` is zeroed, valid for writes and not shared yet; the
        // name, bus and groups it points to outlive the registration.
        unsafe {
            (*raw).name = name.as_char_ptr();
            (*raw).bus = bus.as_raw();
            (*raw).suppress_bind_attrs = true;
            (*raw).dev_groups = dev_groups.as_raw();
        }
        // SAFETY: The driver is initialised and stays at this address until
        // `driver_unregister()` in `drop`.
        to_result(unsafe { bindings::driver_register(raw) })?;
        // INVARIANT: Registered just above.
        Ok(Self { drv })
    }
}

impl Drop for DriverRegistration {
    fn drop(&mut self) {
        // SAFETY: By the type invariant the driver is registered.
        unsafe { bindings::driver_unregister(self.drv.get()) };
    }
}
