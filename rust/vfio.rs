// SPDX-License-Identifier: GPL-2.0

//! VFIO devices with an emulated IOMMU, and the eventfds their interrupts
//! are signalled through.
//!
//! The `vfio_device` and its constant ops table live in C
//! (`rust/helpers/mdev.c`); the ops call back into a [`VfioOps`]
//! implementation.
//!
//! C header: [`include/linux/vfio.h`](srctree/include/linux/vfio.h)

use super::kvm::Kvm;
use core::{marker::PhantomData, ptr::NonNull};
use kernel::{
    bindings,
    device::Device,
    error::{from_err_ptr, to_result},
    ffi::{c_int, c_long, c_uint, c_ulong},
    prelude::*,
    types::Opaque, //
};

mod ffi {
    use super::*;
    use crate::abstractions::kvm::ffi::KvmRaw;

    /// `struct vfio_device`.
    #[repr(C)]
    pub(super) struct VfioDeviceRaw {
        _opaque: [u8; 0],
    }

    /// `struct vfio_ap_vfio_callbacks` of the C helpers.
    #[repr(C)]
    pub(super) struct Callbacks {
        pub(super) open_device: unsafe extern "C" fn(*mut VfioDeviceRaw) -> c_int,
        pub(super) close_device: unsafe extern "C" fn(*mut VfioDeviceRaw),
        pub(super) ioctl: unsafe extern "C" fn(*mut VfioDeviceRaw, c_uint, c_ulong) -> c_long,
        pub(super) request: unsafe extern "C" fn(*mut VfioDeviceRaw, c_uint),
    }

    /// The fixed header of `struct vfio_irq_set` (the data follows it).
    #[repr(C)]
    pub(super) struct IrqSetHeader {
        pub(super) argsz: u32,
        pub(super) flags: u32,
        pub(super) index: u32,
        pub(super) start: u32,
        pub(super) count: u32,
    }

    #[allow(improper_ctypes)]
    unsafe extern "C" {
        pub(super) fn vfio_ap_helper_vfio_alloc(
            dev: *mut bindings::device,
            cb: *const Callbacks,
        ) -> *mut VfioDeviceRaw;
        pub(super) fn vfio_ap_helper_vfio_put(vdev: *mut VfioDeviceRaw);
        pub(super) fn vfio_ap_helper_vfio_dev(vdev: *mut VfioDeviceRaw) -> *mut bindings::device;
        pub(super) fn vfio_ap_helper_vfio_kvm(vdev: *mut VfioDeviceRaw) -> *mut KvmRaw;
        pub(super) fn vfio_register_emulated_iommu_dev(vdev: *mut VfioDeviceRaw) -> c_int;
        pub(super) fn vfio_unregister_group_dev(vdev: *mut VfioDeviceRaw);
        pub(super) fn vfio_set_irqs_validate_and_prepare(
            hdr: *mut IrqSetHeader,
            num_irqs: c_int,
            max_irq_type: c_int,
            data_size: *mut usize,
        ) -> c_int;
    }
}

/// A VFIO device, as the VFIO core hands it to the ops.
///
/// # Invariants
///
/// A reference to it is a live `struct vfio_device` allocated by
/// [`Registration::register`].
#[repr(transparent)]
pub(crate) struct VfioDevice(Opaque<ffi::VfioDeviceRaw>);

impl VfioDevice {
    /// # Safety
    ///
    /// `ptr` is a live VFIO device for the lifetime `'a`.
    unsafe fn from_raw<'a>(ptr: *mut ffi::VfioDeviceRaw) -> &'a Self {
        // SAFETY: `repr(transparent)`; liveness from the caller.
        unsafe { &*ptr.cast::<Self>() }
    }

    fn as_raw(&self) -> *mut ffi::VfioDeviceRaw {
        self.0.get()
    }

    /// The device this VFIO device represents (the mdev's device).
    pub(crate) fn device(&self) -> &Device {
        // SAFETY: `vdev->dev` is set at allocation and outlives the VFIO
        // device (it holds a reference on it).
        unsafe { Device::from_raw(ffi::vfio_ap_helper_vfio_dev(self.as_raw())) }
    }
}

/// The ops of a VFIO device.
pub(crate) trait VfioOps: 'static {
    /// The first file descriptor for the device is being opened, for the
    /// KVM guest user space associated with it (if any).
    fn open_device(vdev: &VfioDevice, kvm: Option<Kvm>) -> Result;
    /// The last file descriptor was closed.
    fn close_device(vdev: &VfioDevice);
    /// An ioctl on the device fd; `arg` is the user's argument.
    fn ioctl(vdev: &VfioDevice, cmd: u32, arg: usize) -> Result<isize>;
    /// The device is being unregistered while open (`count` counts the
    /// calls of one unregistration from 0).
    fn request(vdev: &VfioDevice, count: u32);
}

/// The C callbacks of `T`.
struct Callbacks<T: VfioOps>(PhantomData<T>);

impl<T: VfioOps> Callbacks<T> {
    const TABLE: ffi::Callbacks = ffi::Callbacks {
        open_device: Self::open_device,
        close_device: Self::close_device,
        ioctl: Self::ioctl,
        request: Self::request,
    };

    /// # Safety
    ///
    /// Called by the VFIO core only, with a live device.
    unsafe extern "C" fn open_device(vdev: *mut ffi::VfioDeviceRaw) -> c_int {
        // SAFETY: Live during the callback.
        let vdev = unsafe { VfioDevice::from_raw(vdev) };
        // SAFETY: `vdev` is live.
        let kvm = NonNull::new(unsafe { ffi::vfio_ap_helper_vfio_kvm(vdev.as_raw()) });
        // SAFETY: While `open_device` runs, the VFIO core holds a reference
        // on the guest it set in `vdev->kvm`.
        let kvm = kvm.map(|kvm| unsafe { Kvm::get(kvm) });
        match T::open_device(vdev, kvm) {
            Ok(()) => 0,
            Err(e) => e.to_errno(),
        }
    }

    /// # Safety
    ///
    /// Called by the VFIO core only, with a live device.
    unsafe extern "C" fn close_device(vdev: *mut ffi::VfioDeviceRaw) {
        // SAFETY: Live during the callback.
        T::close_device(unsafe { VfioDevice::from_raw(vdev) });
    }

    /// # Safety
    ///
    /// Called by the VFIO core only, with a live device.
    unsafe extern "C" fn ioctl(vdev: *mut ffi::VfioDeviceRaw, cmd: c_uint, arg: c_ulong) -> c_long {
        // SAFETY: Live during the callback.
        let vdev = unsafe { VfioDevice::from_raw(vdev) };
        // The kernel's `unsigned long` and `long` are `usize` and `isize`.
        match T::ioctl(vdev, cmd, arg) {
            Ok(v) => v,
            // CAST: An errno fits any signed integer type.
            Err(e) => e.to_errno() as c_long,
        }
    }

    /// # Safety
    ///
    /// Called by the VFIO core only, with a live device.
    unsafe extern "C" fn request(vdev: *mut ffi::VfioDeviceRaw, count: c_uint) {
        // SAFETY: Live during the callback.
        T::request(unsafe { VfioDevice::from_raw(vdev) }, count);
    }
}

/// A VFIO device registered for a device, with an emulated IOMMU.
///
/// # Invariants
///
/// `vdev` was allocated by the helper and is registered until drop; we
/// hold the allocation's reference.
pub(crate) struct Registration {
    vdev: NonNull<ffi::VfioDeviceRaw>,
}

// SAFETY: The VFIO core synchronises all use of a registered device.
unsafe impl Send for Registration {}
// SAFETY: No method mutates through `&self`.
unsafe impl Sync for Registration {}

impl Registration {
    /// Allocates and registers a VFIO device for `dev`, whose ops are `T`'s.
    ///
    /// Dropping the registration waits until user space closed the device
    /// (calling [`VfioOps::request`] meanwhile).
    pub(crate) fn register<T: VfioOps>(dev: &Device) -> Result<Self> {
        let table: &'static ffi::Callbacks = &Callbacks::<T>::TABLE;
        let raw_dev = super::mdev::raw_device(dev);
        // SAFETY: `dev` is live; the table is static.
        let vdev = from_err_ptr(unsafe { ffi::vfio_ap_helper_vfio_alloc(raw_dev, table) })?;
        let vdev = NonNull::new(vdev).ok_or(ENOMEM)?;
        // SAFETY: `vdev` is allocated and not registered.
        if let Err(e) = to_result(unsafe { ffi::vfio_register_emulated_iommu_dev(vdev.as_ptr()) }) {
            // SAFETY: Drops the allocation's only reference.
            unsafe { ffi::vfio_ap_helper_vfio_put(vdev.as_ptr()) };
            return Err(e);
        }
        // INVARIANT: Allocated and registered above.
        Ok(Self { vdev })
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        // SAFETY: By the type invariant the device is registered and we own
        // the allocation's reference, dropped last.
        unsafe {
            ffi::vfio_unregister_group_dev(self.vdev.as_ptr());
            ffi::vfio_ap_helper_vfio_put(self.vdev.as_ptr());
        }
    }
}

/// The header of a `VFIO_DEVICE_SET_IRQS` request.
#[derive(Clone, Copy, Debug)]
pub(crate) struct IrqSet {
    /// `argsz`.
    pub(crate) argsz: u32,
    /// `flags` (`VFIO_IRQ_SET_*`).
    pub(crate) flags: u32,
    /// `index`.
    pub(crate) index: u32,
    /// `start`.
    pub(crate) start: u32,
    /// `count`.
    pub(crate) count: u32,
}

impl IrqSet {
    /// Validates the header as the VFIO core does for every driver
    /// (`vfio_set_irqs_validate_and_prepare`); returns the size of the
    /// data that follows it.
    pub(crate) fn validate(&self, num_irqs: u32, max_irq_type: u32) -> Result<usize> {
        let mut hdr = ffi::IrqSetHeader {
            argsz: self.argsz,
            flags: self.flags,
            index: self.index,
            start: self.start,
            count: self.count,
        };
        let mut size = 0usize;
        // CAST: Both counts are tiny constants of the driver.
        let (n, m) = (num_irqs as c_int, max_irq_type as c_int);
        // SAFETY: `hdr` and `size` are valid for the call; the function
        // only reads the header's fixed part.
        to_result(unsafe { ffi::vfio_set_irqs_validate_and_prepare(&mut hdr, n, m, &mut size) })?;
        Ok(size)
    }
}

/// A reference to an eventfd context, to signal user space.
///
/// # Invariants
///
/// `ctx` is a context reference we own, put on drop.
pub(crate) struct EventFd {
    ctx: NonNull<bindings::eventfd_ctx>,
}

// SAFETY: eventfd contexts are reference counted and signalled from any
// thread.
unsafe impl Send for EventFd {}
// SAFETY: Signalling through `&self` is thread-safe.
unsafe impl Sync for EventFd {}

impl EventFd {
    /// The eventfd context of file descriptor `fd` of the calling process
    /// (`EBADF` if not open, `EINVAL` if not an eventfd).
    pub(crate) fn from_fd(fd: i32) -> Result<Self> {
        // SAFETY: Any integer is acceptable; errors come back as ERR_PTR.
        let ctx = from_err_ptr(unsafe { bindings::eventfd_ctx_fdget(fd) })?;
        // INVARIANT: A successful fdget returns a reference.
        NonNull::new(ctx).map(|ctx| Self { ctx }).ok_or(EINVAL)
    }

    /// Adds one to the eventfd's counter, waking its readers.
    pub(crate) fn signal(&self) {
        // SAFETY: `ctx` is a live context (type invariant).
        unsafe { bindings::eventfd_signal_mask(self.ctx.as_ptr(), 0) };
    }
}

impl Drop for EventFd {
    fn drop(&mut self) {
        // SAFETY: We own this reference (type invariant).
        unsafe { bindings::eventfd_ctx_put(self.ctx.as_ptr()) };
    }
}
