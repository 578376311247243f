// SPDX-License-Identifier: GPL-2.0

//! VFIO devices with an emulated IOMMU, and the eventfds their interrupts
//! are signalled through.
//!
//! The `vfio_device` and its constant ops table live in C
//! (`rust/helpers/mdev.c`); the ops call back into a [`VfioOps`]
//! implementation.
//!
//! C header: [`include/linux/vfio.h`](srctree/include/linux/vfio.h)

use super::guest::Kvm;
use super::layout::assert_layout;
use core::{marker::PhantomData, ptr::NonNull};
use kernel::{
    bindings,
    device::Device,
    error::{from_err_ptr, to_result},
    ffi::{c_int, c_long, c_uint, c_ulong, c_void},
    prelude::*,
    types::{ForeignOwnable, Opaque}, //
};

pub(super) mod ffi {
    use super::*;
    use crate::abstractions::guest::ffi::KvmRaw;

    /// `struct vfio_device`.
    #[repr(C)]
    pub(crate) struct VfioDeviceRaw {
        _opaque: [u8; 0],
    }

    /// `struct vfio_ap_vfio_callbacks` of the C helpers.
    #[repr(C)]
    pub(super) struct Callbacks {
        pub(super) open_device: unsafe extern "C" fn(*mut VfioDeviceRaw, *mut c_void) -> c_int,
        pub(super) close_device: unsafe extern "C" fn(*mut VfioDeviceRaw, *mut c_void),
        pub(super) ioctl:
            unsafe extern "C" fn(*mut VfioDeviceRaw, *mut c_void, c_uint, c_ulong) -> c_long,
        pub(super) request: unsafe extern "C" fn(*mut VfioDeviceRaw, *mut c_void, c_uint),
        pub(super) dma_unmap: unsafe extern "C" fn(*mut VfioDeviceRaw, *mut c_void, u64, u64),
    }

    // Checked against the C definition in `rust/helpers/mdev.c`.
    assert_layout!(Callbacks, size 40, {
        open_device: 0, close_device: 8, ioctl: 16, request: 24, dma_unmap: 32,
    });

    // `bindings::device` is not FFI-safe in Rust's eyes (empty lockdep
    // structs); only pointers to it cross.
    #[expect(improper_ctypes)]
    unsafe extern "C" {
        pub(super) fn vfio_ap_helper_vfio_alloc(
            dev: *mut bindings::device,
            cb: *const Callbacks,
            ctx: *mut c_void,
        ) -> *mut VfioDeviceRaw;
        pub(crate) fn vfio_ap_helper_vfio_get(vdev: *mut VfioDeviceRaw);
        pub(crate) fn vfio_ap_helper_vfio_put(vdev: *mut VfioDeviceRaw);
        pub(super) fn vfio_ap_helper_vfio_dev(vdev: *mut VfioDeviceRaw) -> *mut bindings::device;
        pub(super) fn vfio_ap_helper_vfio_kvm(vdev: *mut VfioDeviceRaw) -> *mut KvmRaw;
        pub(super) fn vfio_register_emulated_iommu_dev(vdev: *mut VfioDeviceRaw) -> c_int;
        pub(super) fn vfio_unregister_group_dev(vdev: *mut VfioDeviceRaw);
        pub(super) fn vfio_ap_helper_pin_nib(
            vdev: *mut VfioDeviceRaw,
            iova: u64,
            h_nib: *mut u64,
        ) -> c_int;
        pub(super) fn vfio_ap_helper_unpin_nib(vdev: *mut VfioDeviceRaw, iova: u64);
        pub(super) fn vfio_ap_helper_unpin_nib_keep_page(
            vdev: *mut VfioDeviceRaw,
            iova: u64,
            h_nib: u64,
        );
        pub(super) fn vfio_ap_helper_nib_shared(h_nib: u64) -> c_int;
        pub(super) fn vfio_set_irqs_validate_and_prepare(
            hdr: *mut super::IrqSet,
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
    pub(super) unsafe fn from_raw<'a>(ptr: *mut ffi::VfioDeviceRaw) -> &'a Self {
        // SAFETY: `repr(transparent)`; liveness from the caller.
        unsafe { &*ptr.cast::<Self>() }
    }

    pub(super) fn as_raw(&self) -> *mut ffi::VfioDeviceRaw {
        self.0.get()
    }

    /// Pins the guest page holding the notification indicator byte (NIB)
    /// at guest address `iova`. The device must be open (VFIO warns
    /// otherwise and pins nothing).
    pub(crate) fn pin_nib(&self, iova: u64) -> Result<PinnedNib> {
        let mut h_nib = 0u64;
        // SAFETY: `self` is live; `h_nib` is writable.
        let ret = unsafe { ffi::vfio_ap_helper_pin_nib(self.as_raw(), iova, &mut h_nib) };
        match ret {
            1 => {
                // SAFETY: `self` is live; the reference is put on drop.
                unsafe { ffi::vfio_ap_helper_vfio_get(self.as_raw()) };
                // INVARIANT: One page pinned just above, through `self`,
                // on which we took a reference.
                Ok(PinnedNib {
                    vdev: NonNull::from(self).cast(),
                    iova,
                    h_nib,
                })
            }
            e if e < 0 => Err(Error::from_errno(e)),
            _ => Err(EINVAL),
        }
    }

    /// The device this VFIO device represents (the mdev's device).
    pub(crate) fn device(&self) -> &Device {
        // SAFETY: `vdev->dev` is set at allocation and outlives the VFIO
        // device (it holds a reference on it).
        unsafe { Device::from_raw(ffi::vfio_ap_helper_vfio_dev(self.as_raw())) }
    }
}

/// The ops of a VFIO device. Each gets the device and the context given
/// at registration.
pub(crate) trait VfioOps: 'static {
    /// The device's context.
    type Ctx: ForeignOwnable + Send + Sync;

    /// The first file descriptor for the device is being opened, for the
    /// KVM guest user space associated with it (if any).
    fn open_device(vdev: &VfioDevice, ctx: Borrowed<'_, Self>, kvm: Option<Kvm>) -> Result;
    /// The last file descriptor was closed.
    fn close_device(vdev: &VfioDevice, ctx: Borrowed<'_, Self>);
    /// An ioctl on the device fd; `arg` is the user's argument.
    fn ioctl(vdev: &VfioDevice, ctx: Borrowed<'_, Self>, cmd: u32, arg: usize) -> Result<isize>;
    /// The device is being unregistered while open (`count` counts the
    /// calls of one unregistration from 0).
    fn request(vdev: &VfioDevice, ctx: Borrowed<'_, Self>, count: u32);
    /// User space unmaps guest memory `[iova, iova + length)`: unpin what
    /// was pinned there.
    fn dma_unmap(vdev: &VfioDevice, ctx: Borrowed<'_, Self>, iova: u64, length: u64);
}

/// The borrowed context of a [`VfioOps`] implementation.
pub(crate) type Borrowed<'a, T> = <<T as VfioOps>::Ctx as ForeignOwnable>::Borrowed<'a>;

/// The C callbacks of `T`.
struct Callbacks<T: VfioOps>(PhantomData<T>);

impl<T: VfioOps> Callbacks<T> {
    const TABLE: ffi::Callbacks = ffi::Callbacks {
        open_device: Self::open_device,
        close_device: Self::close_device,
        ioctl: Self::ioctl,
        request: Self::request,
        dma_unmap: Self::dma_unmap,
    };

    /// The device and its context.
    ///
    /// # Safety
    ///
    /// `vdev` is a live device of a [`Registration::register::<T>`], whose
    /// context is `ctx`; both outlive `'a`.
    unsafe fn args<'a>(
        vdev: *mut ffi::VfioDeviceRaw,
        ctx: *mut c_void,
    ) -> (&'a VfioDevice, Borrowed<'a, T>) {
        // SAFETY: Live (caller); the context was made by `T::Ctx::into_foreign`
        // and is freed only after the device is unregistered.
        unsafe { (VfioDevice::from_raw(vdev), T::Ctx::borrow(ctx.cast())) }
    }

    /// # Safety
    ///
    /// Called by the VFIO core only, with a live device of ours.
    unsafe extern "C" fn open_device(vdev: *mut ffi::VfioDeviceRaw, ctx: *mut c_void) -> c_int {
        // SAFETY: As the function's contract says.
        let (vdev, ctx) = unsafe { Self::args(vdev, ctx) };
        // SAFETY: `vdev` is live.
        let kvm = NonNull::new(unsafe { ffi::vfio_ap_helper_vfio_kvm(vdev.as_raw()) });
        // SAFETY: While `open_device` runs, the VFIO core holds a reference
        // on the guest it set in `vdev->kvm`.
        let kvm = kvm.map(|kvm| unsafe { Kvm::get(kvm) });
        match T::open_device(vdev, ctx, kvm) {
            Ok(()) => 0,
            Err(e) => e.to_errno(),
        }
    }

    /// # Safety
    ///
    /// Called by the VFIO core only, with a live device of ours.
    unsafe extern "C" fn close_device(vdev: *mut ffi::VfioDeviceRaw, ctx: *mut c_void) {
        // SAFETY: As the function's contract says.
        let (vdev, ctx) = unsafe { Self::args(vdev, ctx) };
        T::close_device(vdev, ctx);
    }

    /// # Safety
    ///
    /// Called by the VFIO core only, with a live device of ours.
    unsafe extern "C" fn ioctl(
        vdev: *mut ffi::VfioDeviceRaw,
        ctx: *mut c_void,
        cmd: c_uint,
        arg: c_ulong,
    ) -> c_long {
        // SAFETY: As the function's contract says.
        let (vdev, ctx) = unsafe { Self::args(vdev, ctx) };
        // The kernel's `unsigned long` and `long` are `usize` and `isize`.
        match T::ioctl(vdev, ctx, cmd, arg) {
            Ok(v) => v,
            // CAST: An errno fits any signed integer type.
            Err(e) => e.to_errno() as c_long,
        }
    }

    /// # Safety
    ///
    /// Called by the VFIO core only, with a live device of ours.
    unsafe extern "C" fn request(vdev: *mut ffi::VfioDeviceRaw, ctx: *mut c_void, count: c_uint) {
        // SAFETY: As the function's contract says.
        let (vdev, ctx) = unsafe { Self::args(vdev, ctx) };
        T::request(vdev, ctx, count);
    }

    /// # Safety
    ///
    /// Called by the VFIO core only, with a live device of ours.
    unsafe extern "C" fn dma_unmap(
        vdev: *mut ffi::VfioDeviceRaw,
        ctx: *mut c_void,
        iova: u64,
        length: u64,
    ) {
        // SAFETY: As the function's contract says.
        let (vdev, ctx) = unsafe { Self::args(vdev, ctx) };
        T::dma_unmap(vdev, ctx, iova, length);
    }
}

/// A VFIO device registered for a device, with an emulated IOMMU.
///
/// # Invariants
///
/// `vdev` was allocated by the helper and is registered until drop; we
/// hold the allocation's reference. `ctx` came from `into_foreign` of the
/// context type of the ops, which `drop_ctx` takes back.
pub(crate) struct Registration {
    vdev: NonNull<ffi::VfioDeviceRaw>,
    ctx: *mut c_void,
    drop_ctx: unsafe fn(*mut c_void),
}

// SAFETY: The VFIO core synchronises all use of a registered device; the
// context is `Send + Sync`.
unsafe impl Send for Registration {}
// SAFETY: No method mutates through `&self`.
unsafe impl Sync for Registration {}

/// Drops a context made by `C::into_foreign` (the type-erased destructor
/// of the contexts handed to C).
///
/// # Safety
///
/// `ptr` came from `C::into_foreign` and is not used afterwards.
pub(super) unsafe fn drop_foreign<C: ForeignOwnable>(ptr: *mut c_void) {
    // SAFETY: As the function's contract says.
    drop(unsafe { C::from_foreign(ptr.cast()) });
}

impl Registration {
    /// Allocates and registers a VFIO device for `dev`, whose ops are `T`'s
    /// and get `ctx`.
    ///
    /// Dropping the registration waits until user space closed the device
    /// (calling [`VfioOps::request`] meanwhile).
    pub(crate) fn register<T: VfioOps>(dev: &Device, ctx: T::Ctx) -> Result<Self> {
        let table: &'static ffi::Callbacks = &Callbacks::<T>::TABLE;
        let raw_dev = super::mdev::raw_device(dev);
        let ctx = ctx.into_foreign().cast::<c_void>();
        // SAFETY: `dev` is live; the table is static.
        let vdev = unsafe { ffi::vfio_ap_helper_vfio_alloc(raw_dev, table, ctx) };
        let vdev = match from_err_ptr(vdev).and_then(|v| NonNull::new(v).ok_or(ENOMEM)) {
            Ok(vdev) => vdev,
            Err(e) => {
                // SAFETY: Made above, used by nobody.
                unsafe { drop_foreign::<T::Ctx>(ctx) };
                return Err(e);
            }
        };
        // SAFETY: `vdev` is allocated and not registered.
        if let Err(e) = to_result(unsafe { ffi::vfio_register_emulated_iommu_dev(vdev.as_ptr()) }) {
            // SAFETY: Drops the allocation's only reference; no callback
            // ran, so the context is unused.
            unsafe {
                ffi::vfio_ap_helper_vfio_put(vdev.as_ptr());
                drop_foreign::<T::Ctx>(ctx);
            }
            return Err(e);
        }
        // INVARIANT: Allocated and registered above.
        Ok(Self {
            vdev,
            ctx,
            drop_ctx: drop_foreign::<T::Ctx>,
        })
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
        // SAFETY: Unregistering waited for every user, so no callback runs
        // or will run with the context (type invariant for its type).
        unsafe { (self.drop_ctx)(self.ctx) };
    }
}

/// The header of a `VFIO_DEVICE_SET_IRQS` request (the fixed part of
/// `struct vfio_irq_set`; the data follows it).
#[repr(C)]
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

// The data starts right after `count` (`offsetof(struct vfio_irq_set,
// data)`); checked against the kernel's definition in
// `rust/helpers/mdev.c`.
assert_layout!(IrqSet, size 20, {
    argsz: 0, flags: 4, index: 8, start: 12, count: 16,
});

impl IrqSet {
    /// Validates the header as the VFIO core does for every driver
    /// (`vfio_set_irqs_validate_and_prepare`); returns the size of the
    /// data that follows it.
    pub(crate) fn validate(&self, num_irqs: u32, max_irq_type: u32) -> Result<usize> {
        // The C prototype takes a mutable header, which it only reads.
        let mut hdr = *self;
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

/// A guest page holding a notification indicator byte (NIB), pinned
/// through the guest's VFIO device (`vfio_pin_pages`). Dropping it unpins
/// the page.
///
/// Only `KvmRef::aqic_enable` (in `kvm`, above this module) hands the
/// page to the adapter, and it keeps the `PinnedNib` (inside an
/// `AqicEnabled`) until the adapter no longer uses it, or else gives the
/// pin up with [`PinnedNib::unpin_keeping_page`]: nothing else in the module sees the
/// host address, so dropping a `PinnedNib` never frees a page the adapter
/// may still write.
///
/// # Invariants
///
/// We own one pin, made by `vfio_pin_pages` through `vdev`, of the guest
/// page at `iova`; `h_nib` is the host physical address of the NIB in that
/// page. We hold a reference on `vdev`.
pub(crate) struct PinnedNib {
    vdev: NonNull<ffi::VfioDeviceRaw>,
    iova: u64,
    h_nib: u64,
}

// SAFETY: Pins may be dropped from any thread; the VFIO device is
// reference counted.
unsafe impl Send for PinnedNib {}
// SAFETY: No method mutates through `&self`.
unsafe impl Sync for PinnedNib {}

impl PinnedNib {
    /// The host physical address of the NIB, for the adapter; valid while
    /// `self` lives (kept in the abstractions: see the type's comment).
    pub(super) fn host_address(&self) -> u64 {
        self.h_nib
    }

    /// For a protected guest: whether the pinned NIB page is shared with
    /// the host (the Ultravisor pins it shared; `uv_pin_shared`).
    pub(crate) fn is_shared(&self) -> bool {
        // SAFETY: The page is pinned (type invariant); the call only asks
        // the Ultravisor to pin it shared and touches no memory itself.
        unsafe { ffi::vfio_ap_helper_nib_shared(self.h_nib) == 0 }
    }

    /// Releases VFIO's pin but keeps the page itself allocated for good
    /// (a page reference of our own, never put): for a NIB the adapter may
    /// still store into. Unmapping guest memory must leave no pin in the
    /// range (VFIO retries and then fails), while the page must not go
    /// back to the allocator; so it stays, owned by nobody else, and the
    /// adapter's stores cannot reach memory someone else got.
    pub(super) fn unpin_keeping_page(self) {
        let this = core::mem::ManuallyDrop::new(self);
        // SAFETY: We own this pin of `iova` through `vdev`, which is live
        // (we hold a reference); `h_nib` is in the pinned page. The page
        // reference the helper takes first is deliberately never put.
        unsafe {
            ffi::vfio_ap_helper_unpin_nib_keep_page(this.vdev.as_ptr(), this.iova, this.h_nib)
        };
        // SAFETY: Taken in `pin_nib` (type invariant).
        unsafe { ffi::vfio_ap_helper_vfio_put(this.vdev.as_ptr()) };
    }
}

impl Drop for PinnedNib {
    fn drop(&mut self) {
        // SAFETY: We own this pin of `iova` through `vdev`, which is live
        // (we hold a reference); no adapter uses the page (see the type's
        // comment). VFIO refuses, with a warning, if the device was
        // closed meanwhile: the driver releases every pin before that.
        unsafe { ffi::vfio_ap_helper_unpin_nib(self.vdev.as_ptr(), self.iova) };
        // SAFETY: Taken in `pin_nib`.
        unsafe { ffi::vfio_ap_helper_vfio_put(self.vdev.as_ptr()) };
    }
}
