// SPDX-License-Identifier: GPL-2.0

//! The s390 AP (adjunct processor) facility and the AP bus.
//!
//! The AP instructions are static inline assembly in the C headers and the
//! AP bus structures are private to `drivers/s390/crypto`, so everything
//! goes through the small C helpers in `rust/helpers/ap.c`; Rust sees only
//! opaque pointers and plain integers.
//!
//! C headers: [`include/asm/ap.h`](srctree/arch/s390/include/asm/ap.h),
//! [`ap_bus.h`](srctree/drivers/s390/crypto/ap_bus.h)

use core::{marker::PhantomData, ptr::NonNull};
use kernel::{
    bindings,
    device::Device,
    error::to_result,
    ffi::{c_int, c_ulong},
    prelude::*,
    str::CStrExt,
    types::Opaque,
    ThisModule, //
};

use super::sysfs::AttributeGroups;

mod ffi {
    use crate::abstractions::layout::assert_layout;
    use kernel::{bindings, ffi::c_int, ffi::c_ulong};

    /// `struct ap_device` (opaque).
    #[repr(C)]
    pub(crate) struct ApDevice {
        _opaque: [u8; 0],
    }

    /// `struct ap_driver` (opaque).
    #[repr(C)]
    pub(super) struct ApDriver {
        _opaque: [u8; 0],
    }

    /// `struct ap_config_info` (opaque).
    #[repr(C)]
    pub(super) struct ApConfigInfo {
        _opaque: [u8; 0],
    }

    /// `struct vfio_ap_helper_ap_driver_ops`.
    #[repr(C)]
    pub(super) struct DriverOps {
        pub(super) probe: Option<unsafe extern "C" fn(*mut ApDevice) -> c_int>,
        pub(super) remove: Option<unsafe extern "C" fn(*mut ApDevice)>,
        pub(super) in_use: Option<unsafe extern "C" fn(*mut c_ulong, *mut c_ulong) -> c_int>,
        pub(super) on_config_changed:
            Option<unsafe extern "C" fn(*mut ApConfigInfo, *mut ApConfigInfo)>,
        pub(super) on_scan_complete:
            Option<unsafe extern "C" fn(*mut ApConfigInfo, *mut ApConfigInfo)>,
    }

    /// `struct vfio_ap_helper_config`.
    #[repr(C)]
    #[derive(Default)]
    pub(super) struct Config {
        pub(super) apm: [u64; 4],
        pub(super) aqm: [u64; 4],
        pub(super) adm: [u64; 4],
        pub(super) apxa: u8,
        pub(super) na: u8,
        pub(super) nd: u8,
    }

    // Checked against the C definitions in `rust/helpers/ap.c`.
    assert_layout!(DriverOps, size 40, {
        probe: 0, remove: 8, in_use: 16, on_config_changed: 24, on_scan_complete: 32,
    });
    assert_layout!(Config, size 104, {
        apm: 0, aqm: 32, adm: 64, apxa: 96, na: 97, nd: 98,
    });

    // `struct device` and `struct module` contain empty structs in this
    // configuration; only pointers to them cross the boundary.
    #[allow(improper_ctypes)]
    unsafe extern "C" {
        pub(super) fn vfio_ap_helper_ap_instructions_available() -> bool;
        pub(super) fn vfio_ap_helper_ap_driver_alloc(
            ops: *const DriverOps,
            dev_groups: *const *const bindings::attribute_group,
        ) -> *mut ApDriver;
        pub(super) fn vfio_ap_helper_ap_driver_free(drv: *mut ApDriver);
        pub(super) fn vfio_ap_helper_ap_driver_register(
            drv: *mut ApDriver,
            owner: *mut bindings::module,
            name: *const kernel::ffi::c_char,
        ) -> c_int;
        pub(super) fn vfio_ap_helper_ap_driver_unregister(drv: *mut ApDriver);
        pub(super) fn vfio_ap_helper_ap_queue_qid(apdev: *mut ApDevice) -> u16;
        pub(super) fn vfio_ap_helper_ap_queue_of_dev(dev: *mut bindings::device) -> *mut ApDevice;
        pub(super) fn vfio_ap_helper_config_decode(info: *const ApConfigInfo, out: *mut Config);
        pub(super) fn vfio_ap_helper_qci(out: *mut Config) -> c_int;
        pub(super) fn vfio_ap_helper_attr_mutex_lock();
        pub(super) fn vfio_ap_helper_attr_mutex_unlock();
        pub(super) fn vfio_ap_helper_apqns_owned_by_def_drv(
            apm: *const u64,
            aqm: *const u64,
        ) -> c_int;
        pub(super) fn vfio_ap_helper_tapq(qid: u16, tbit: c_int, info: *mut u64) -> u32;
        pub(super) fn vfio_ap_helper_zapq(qid: u16, fbit: c_int) -> u32;
        pub(super) fn vfio_ap_helper_notice_reset_wait(
            elapsed_ms: c_int,
            qid: u16,
            rc: u8,
            queue_empty: bool,
            irq_enabled: bool,
        );
    }
}

/// Returns whether the machine has the AP instructions.
///
/// Issues PQAP(TAPQ) on APQN 00.0000; a machine without the facility raises
/// an operation exception, which the helper's exception table catches.
pub(crate) fn instructions_available() -> bool {
    // SAFETY: The helper takes no arguments, touches no memory and is safe to
    // call from any context that may execute a privileged instruction, which
    // module code does.
    unsafe { ffi::vfio_ap_helper_ap_instructions_available() }
}

/// The host's AP configuration as QCI reports it (`struct ap_config_info`).
///
/// The masks are the kernel's `unsigned long[4]` bitmaps, id 0 in the most
/// significant bit of word 0.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Config {
    /// The APXA facility: ids beyond 63 (adapters) and 15 (domains) exist.
    pub(crate) apxa: bool,
    /// The largest adapter number.
    pub(crate) na: u8,
    /// The largest domain number.
    pub(crate) nd: u8,
    /// Configured adapters.
    pub(crate) apm: [u64; 4],
    /// Configured usage domains.
    pub(crate) aqm: [u64; 4],
    /// Configured control domains.
    pub(crate) adm: [u64; 4],
}

impl From<ffi::Config> for Config {
    fn from(c: ffi::Config) -> Self {
        Self {
            apxa: c.apxa != 0,
            na: c.na,
            nd: c.nd,
            apm: c.apm,
            aqm: c.aqm,
            adm: c.adm,
        }
    }
}

impl Config {
    /// Decodes a configuration the AP bus hands to a driver callback.
    ///
    /// # Safety
    ///
    /// `info` is a valid `struct ap_config_info` for the duration of the call.
    unsafe fn from_raw(info: *const ffi::ApConfigInfo) -> Self {
        let mut out = ffi::Config::default();
        // SAFETY: `info` is valid by the caller's promise, `out` is a local.
        unsafe { ffi::vfio_ap_helper_config_decode(info, &mut out) };
        out.into()
    }
}

/// Queries the host's AP configuration with PQAP(QCI).
///
/// Without facility 12 (QCI) this is the all-zero configuration, as
/// upstream leaves it; a failing QCI returns its error.
pub(crate) fn qci() -> Result<Config> {
    let mut out = ffi::Config::default();
    // SAFETY: `out` is a valid, writable local.
    to_result(unsafe { ffi::vfio_ap_helper_qci(&mut out) })?;
    Ok(out.into())
}

/// An AP queue device on the AP bus (`struct ap_queue`, seen through its
/// `struct ap_device`).
///
/// # Invariants
///
/// The wrapped `ap_device` is the device of an AP queue, valid for the
/// lifetime of the reference.
#[repr(transparent)]
pub(crate) struct Queue(Opaque<ffi::ApDevice>);

impl Queue {
    /// # Safety
    ///
    /// `ptr` is a valid AP queue device for `'a`.
    unsafe fn from_raw<'a>(ptr: *mut ffi::ApDevice) -> &'a Self {
        // CAST: `Queue` is `repr(transparent)` over the opaque device.
        // INVARIANT: An AP queue device valid for `'a` (caller's promise).
        // SAFETY: Valid for `'a` by the caller's promise.
        unsafe { &*ptr.cast::<Self>() }
    }

    fn as_raw(&self) -> *mut ffi::ApDevice {
        self.0.get()
    }

    /// The queue of a device, if `dev` is an AP queue device.
    pub(crate) fn from_device(dev: &Device) -> Option<&Self> {
        // CAST: `Device` is `repr(transparent)` over `struct device`.
        let raw = core::ptr::from_ref(dev)
            .cast_mut()
            .cast::<bindings::device>();
        // SAFETY: `raw` is a live device; the helper only reads its bus and
        // parent.
        let apdev = unsafe { ffi::vfio_ap_helper_ap_queue_of_dev(raw) };
        if apdev.is_null() {
            return None;
        }
        // SAFETY: The helper returned the AP queue device that embeds `dev`,
        // which lives as long as the borrow of `dev`.
        Some(unsafe { Self::from_raw(apdev) })
    }

    /// The APQN (`qid`): adapter number in bits 8-15, domain in bits 0-7.
    pub(crate) fn qid(&self) -> u16 {
        // SAFETY: By the type invariant this is an AP queue device.
        unsafe { ffi::vfio_ap_helper_ap_queue_qid(self.as_raw()) }
    }
}

/// An AP bus driver: the callbacks of `struct ap_driver`.
///
/// The AP bus serialises probe and remove per device; `in_use` runs with the
/// AP bus `ap_attr_mutex` held, the configuration callbacks from the bus
/// scan.
pub(crate) trait Driver {
    /// Binds `queue` to the driver.
    fn probe(queue: &Queue) -> Result;

    /// Unbinds `queue` from the driver.
    fn remove(queue: &Queue);

    /// Whether any APQN of `apm` x `aqm` is in use by the driver, asked
    /// before the AP bus gives them to the default drivers; an error (upstream
    /// `EADDRINUSE`) makes the bus refuse the mask change with `EBUSY`.
    fn in_use(apm: &[u64; 4], aqm: &[u64; 4]) -> Result;

    /// The AP configuration changed, before the bus adds or removes devices.
    fn on_config_changed(new: &Config, old: &Config);

    /// The bus scan after a configuration change completed.
    fn on_scan_complete(new: &Config, old: &Config);
}

/// # Safety
///
/// Called by the AP bus with a valid queue device.
unsafe extern "C" fn probe_callback<T: Driver>(apdev: *mut ffi::ApDevice) -> c_int {
    // SAFETY: The driver only matches queue types, so `apdev` is a queue,
    // valid during the callback.
    let q = unsafe { Queue::from_raw(apdev) };
    match T::probe(q) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// # Safety
///
/// Called by the AP bus with a valid queue device bound to this driver.
unsafe extern "C" fn remove_callback<T: Driver>(apdev: *mut ffi::ApDevice) {
    // SAFETY: As in `probe_callback`.
    T::remove(unsafe { Queue::from_raw(apdev) });
}

/// # Safety
///
/// Called by the AP bus with two 256-bit bitmaps.
unsafe extern "C" fn in_use_callback<T: Driver>(apm: *mut c_ulong, aqm: *mut c_ulong) -> c_int {
    // SAFETY: The AP bus passes `DECLARE_BITMAP(.., 256)` bitmaps, four
    // `unsigned long` (u64 on s390) each, readable during the call.
    let (apm, aqm) = unsafe { (apm.cast::<[u64; 4]>().read(), aqm.cast::<[u64; 4]>().read()) };
    match T::in_use(&apm, &aqm) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// # Safety
///
/// Called by the AP bus with two valid configurations.
unsafe extern "C" fn config_changed_callback<T: Driver>(
    new: *mut ffi::ApConfigInfo,
    old: *mut ffi::ApConfigInfo,
) {
    if new.is_null() || old.is_null() {
        return;
    }
    // SAFETY: Both are valid during the callback.
    let (new, old) = unsafe { (Config::from_raw(new), Config::from_raw(old)) };
    T::on_config_changed(&new, &old);
}

/// # Safety
///
/// Called by the AP bus with two valid configurations.
unsafe extern "C" fn scan_complete_callback<T: Driver>(
    new: *mut ffi::ApConfigInfo,
    old: *mut ffi::ApConfigInfo,
) {
    if new.is_null() || old.is_null() {
        return;
    }
    // SAFETY: Both are valid during the callback.
    let (new, old) = unsafe { (Config::from_raw(new), Config::from_raw(old)) };
    T::on_scan_complete(&new, &old);
}

/// A registered AP bus driver for the queue types vfio_ap supports (CEX4,
/// type 10, and newer).
///
/// # Invariants
///
/// `drv` was allocated by the helper and is registered with the AP bus from
/// construction until drop.
pub(crate) struct Registration {
    drv: NonNull<ffi::ApDriver>,
}

// SAFETY: The AP bus and driver core synchronise all use of a registered
// driver; `Registration` only holds the pointer.
unsafe impl Send for Registration {}
// SAFETY: `Registration` has no methods that use `&self`.
unsafe impl Sync for Registration {}

impl Registration {
    /// Registers driver `name` with callbacks `T`; `dev_groups` appear on
    /// every queue it binds while bound.
    pub(crate) fn register<T: Driver>(
        name: &'static CStr,
        module: &'static ThisModule,
        dev_groups: &'static AttributeGroups,
    ) -> Result<Self> {
        let ops = ffi::DriverOps {
            probe: Some(probe_callback::<T>),
            remove: Some(remove_callback::<T>),
            in_use: Some(in_use_callback::<T>),
            on_config_changed: Some(config_changed_callback::<T>),
            on_scan_complete: Some(scan_complete_callback::<T>),
        };
        // SAFETY: `ops` is read during the call only; the groups are static.
        let drv = unsafe { ffi::vfio_ap_helper_ap_driver_alloc(&ops, dev_groups.as_raw()) };
        let drv = NonNull::new(drv).ok_or(ENOMEM)?;
        // SAFETY: `drv` is a fully initialised, unregistered driver; `name`
        // and `module` outlive the registration.
        let ret = unsafe {
            ffi::vfio_ap_helper_ap_driver_register(
                drv.as_ptr(),
                module.as_ptr(),
                name.as_char_ptr(),
            )
        };
        if let Err(e) = to_result(ret) {
            // SAFETY: Registration failed, so nothing else refers to `drv`.
            unsafe { ffi::vfio_ap_helper_ap_driver_free(drv.as_ptr()) };
            return Err(e);
        }
        // INVARIANT: Allocated and registered above.
        Ok(Self { drv })
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        // SAFETY: By the type invariant the driver is registered; once
        // unregistered (every queue removed), nothing refers to it.
        unsafe {
            ffi::vfio_ap_helper_ap_driver_unregister(self.drv.as_ptr());
            ffi::vfio_ap_helper_ap_driver_free(self.drv.as_ptr());
        }
    }
}

/// The AP bus `ap_attr_mutex`, held: it serialises changes of `apmask` and
/// `aqmask` (and `driver_override`) with the checks of vfio_ap that depend
/// on them. Released on drop.
///
/// Lock order: before vfio_ap's own locks.
///
/// # Invariants
///
/// The task that created the guard holds `ap_attr_mutex` until the guard
/// is dropped.
pub(crate) struct AttrMutexGuard {
    // A mutex must be released by the task that took it.
    _not_send: PhantomData<*mut ()>,
}

/// Takes the AP bus `ap_attr_mutex`.
pub(crate) fn lock_attr_mutex() -> AttrMutexGuard {
    // SAFETY: Locks an initialised, exported mutex; the guard unlocks it.
    unsafe { ffi::vfio_ap_helper_attr_mutex_lock() };
    // INVARIANT: Locked just above by this task; the guard is not `Send`.
    AttrMutexGuard {
        _not_send: PhantomData,
    }
}

impl Drop for AttrMutexGuard {
    fn drop(&mut self) {
        // SAFETY: By the type invariant this task holds the mutex.
        unsafe { ffi::vfio_ap_helper_attr_mutex_unlock() };
    }
}

/// Whether any APQN of `apm` x `aqm` belongs to the host's default drivers
/// (AP bus `apmask`/`aqmask`, or a `driver_override`).
///
/// An error of the AP bus counts as "owned", as upstream treats any
/// non-zero answer.
pub(crate) fn apqns_owned_by_default(apm: &[u64; 4], aqm: &[u64; 4]) -> bool {
    // SAFETY: Both point to four readable words.
    unsafe { ffi::vfio_ap_helper_apqns_owned_by_def_drv(apm.as_ptr(), aqm.as_ptr()) != 0 }
}

/// PQAP(TAPQ) on `qid`, with the T bit if `tbit`: the raw queue status word
/// and the GR2 hardware information.
pub(crate) fn test_queue(qid: u16, tbit: bool) -> (u32, u64) {
    let mut info = 0u64;
    // SAFETY: `info` is a writable local; TAPQ has no other side effects.
    let status = unsafe { ffi::vfio_ap_helper_tapq(qid, c_int::from(tbit), &mut info) };
    (status, info)
}

/// PQAP(ZAPQ) on `qid` (with the F bit if `fbit`): the raw queue status.
pub(crate) fn zapq(qid: u16, fbit: bool) -> u32 {
    // SAFETY: ZAPQ only resets the queue; any qid is acceptable to the
    // instruction (an invalid one answers with a response code).
    unsafe { ffi::vfio_ap_helper_zapq(qid, c_int::from(fbit)) }
}

/// Logs that the reset of queue `qid` is still in progress after
/// `elapsed_ms`, with the last TAPQ's response code and queue-empty and
/// interruption bits: the kernel log line upstream prints, rate limited and
/// without a module prefix.
pub(crate) fn notice_reset_wait(
    elapsed_ms: i32,
    qid: u16,
    rc: u8,
    queue_empty: bool,
    irq_enabled: bool,
) {
    // SAFETY: The helper only formats the integers into the kernel log.
    unsafe { ffi::vfio_ap_helper_notice_reset_wait(elapsed_ms, qid, rc, queue_empty, irq_enabled) };
}
