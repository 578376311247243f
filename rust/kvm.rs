// SPDX-License-Identifier: GPL-2.0

//! What vfio_ap does inside a KVM guest that needs its VFIO device: the
//! PQAP(AQIC) interception hook, the intercepted vCPU's registers, and the
//! guest interruption resources of AP queue interruptions: the GISC
//! registration, and AQIC with the pinned notification indicator byte
//! ([`AqicEnabled`]). The guest reference, its lock and its AP masks are
//! in [`super::guest`], re-exported here for the driver.
//!
//! Lock order (upstream's): the driver's guests lock, [`Kvm::lock`], the
//! hook's semaphore (inside [`Attachment`]), the driver's mdevs lock. The
//! guards borrow what they lock, so a reference cannot be dropped (possibly
//! destroying the guest) while its lock is held.
//!
//! C headers: [`include/linux/kvm_host.h`](srctree/include/linux/kvm_host.h),
//! [`kvm_host_s390.h`](srctree/arch/s390/include/asm/kvm_host_s390.h)

use core::{marker::PhantomData, ptr::NonNull};
use kernel::{
    ffi::{c_int, c_long, c_void},
    prelude::*,
    time::{delay::fsleep, Delta},
    types::{ForeignOwnable, Opaque},
};

use super::cformat::long_format;
use super::guest::{ffi::KvmRaw, KvmRef};
pub(crate) use super::guest::{Kvm, KvmGuard};
use super::printk::{self, Level};
use super::vfio::{drop_foreign, ffi::VfioDeviceRaw, PinnedNib, VfioDevice};

pub(super) mod ffi {
    use super::*;

    /// `struct kvm_vcpu`.
    #[repr(C)]
    pub(crate) struct VcpuRaw {
        _opaque: [u8; 0],
    }

    /// `struct vfio_ap_pqap_slot` of the C helpers.
    #[repr(C)]
    pub(crate) struct SlotRaw {
        _opaque: [u8; 0],
    }

    pub(crate) type Handler =
        unsafe extern "C" fn(*mut VcpuRaw, *mut VfioDeviceRaw, *mut c_void) -> c_int;

    unsafe extern "C" {
        pub(super) fn vfio_ap_helper_kvm_hook_lock(kvm: *mut KvmRaw);
        pub(super) fn vfio_ap_helper_kvm_hook_unlock(kvm: *mut KvmRaw);
        pub(super) fn vfio_ap_helper_kvm_hook_taken(kvm: *mut KvmRaw) -> bool;
        pub(super) fn vfio_ap_helper_kvm_hook_set(kvm: *mut KvmRaw, slot: *mut SlotRaw);
        pub(super) fn vfio_ap_helper_kvm_hook_clear(kvm: *mut KvmRaw);
        pub(super) fn vfio_ap_helper_pqap_slot_alloc(
            handler: Handler,
            vdev: *mut VfioDeviceRaw,
            ctx: *mut c_void,
        ) -> *mut SlotRaw;
        pub(super) fn vfio_ap_helper_pqap_slot_free(slot: *mut SlotRaw) -> *mut c_void;
        pub(super) fn vfio_ap_helper_vcpu_regs(vcpu: *mut VcpuRaw, regs: *mut u64);
        pub(super) fn vfio_ap_helper_vcpu_set_gr1(vcpu: *mut VcpuRaw, gr1: u64);
        pub(super) fn vfio_ap_helper_vcpu_aiv(vcpu: *mut VcpuRaw) -> bool;
        pub(super) fn vfio_ap_helper_vcpu_eca(vcpu: *mut VcpuRaw) -> u32;
        pub(super) fn vfio_ap_helper_vcpu_protected(vcpu: *mut VcpuRaw) -> bool;
        pub(super) fn vfio_ap_helper_vcpu_kvm(vcpu: *mut VcpuRaw) -> *mut KvmRaw;
        pub(super) fn vfio_ap_helper_gisc_register(kvm: *mut KvmRaw, isc: u32) -> c_int;
        pub(super) fn vfio_ap_helper_gisc_unregister(kvm: *mut KvmRaw, isc: u32) -> c_int;
        pub(super) fn vfio_ap_helper_aqic_enable(
            qid: u16,
            kvm: *mut KvmRaw,
            gisc: u8,
            isc: u8,
            h_nib: u64,
        ) -> u32;
        pub(super) fn vfio_ap_helper_kvm_gisa_field(kvm: *mut KvmRaw) -> u32;
        pub(super) fn vfio_ap_helper_aqic_disable(qid: u16) -> u32;
        pub(super) fn vfio_ap_helper_aqic_off(qid: u16) -> bool;
    }
}

// The guest's interruption resources: here rather than in `guest`, since
// AQIC takes a NIB pinned through the VFIO device.
impl KvmRef {
    /// Registers guest interruption subclass `isc` with the GIB; returns
    /// the host ISC to use for the queue's interruptions.
    pub(crate) fn gisc_register(&self, isc: u8) -> Result<u8> {
        // SAFETY: The guest is live.
        let nisc = unsafe { ffi::vfio_ap_helper_gisc_register(self.as_raw(), isc.into()) };
        if nisc < 0 {
            return Err(Error::from_errno(nisc));
        }
        u8::try_from(nisc).map_err(|_| EINVAL)
    }

    /// Drops one registration of guest ISC `isc`.
    pub(crate) fn gisc_unregister(&self, isc: u8) -> Result {
        // SAFETY: The guest is live.
        let ret = unsafe { ffi::vfio_ap_helper_gisc_unregister(self.as_raw(), isc.into()) };
        kernel::error::to_result(ret)
    }

    /// The GISA origin field of an AQIC request for this guest (its
    /// GISA's address divided by 16, in 27 bits), for the log.
    pub(crate) fn gisa_field(&self) -> u32 {
        // SAFETY: The guest is live.
        unsafe { ffi::vfio_ap_helper_kvm_gisa_field(self.as_raw()) }
    }

    /// PQAP(AQIC) enabling interruptions of queue `qid` for this guest:
    /// guest ISC `gisc`, host ISC `isc`, the NIB of `nib`. `prev` are the
    /// interruptions enabled for the queue before, if any: a successful
    /// AQIC replaces them, and their NIB and guest reference are released.
    pub(crate) fn aqic_enable(
        &self,
        qid: u16,
        gisc: u8,
        isc: u8,
        nib: PinnedNib,
        prev: Option<AqicEnabled>,
    ) -> AqicOutcome {
        // SAFETY: The guest (and so its GISA, whose address the request
        // carries) is live; any qid is acceptable to the instruction. The
        // adapter may store into the NIB and the GISA from now on: the
        // NIB's page is pinned by `nib`, and the `AqicEnabled` below keeps
        // it and a reference to the guest until the adapter no longer uses
        // them (or `nib` comes back unused).
        let status = unsafe {
            ffi::vfio_ap_helper_aqic_enable(qid, self.as_raw(), gisc, isc, nib.host_address())
        };
        // Bits 8..15 (from the left) of the status word.
        if (status >> 16) & 0xff != 0 {
            // A response code other than 0: AQIC did not perform the
            // request, so the queue neither knows this NIB nor forgot the
            // previous one.
            return AqicOutcome {
                status,
                enabled: None,
                unused: Some(nib),
                prev,
            };
        }
        if let Some(mut prev) = prev {
            if prev.qid == qid {
                // `prev` existed before this call, so its AQIC completed
                // before the one above, which pointed the queue at the new
                // NIB and this guest's GISA: the adapter no longer stores
                // through `prev`'s.
                drop(prev.nib.take());
                drop(prev.kvm.take());
            }
        }
        AqicOutcome {
            status,
            // INVARIANT: The AQIC above gave the adapter this NIB and this
            // guest's GISA, once.
            enabled: Some(AqicEnabled {
                qid,
                nib: Some(nib),
                kvm: Some(self.get()),
            }),
            unused: None,
            prev: None,
        }
    }
}

/// What [`KvmRef::aqic_enable`] did.
pub(crate) struct AqicOutcome {
    /// The queue status word.
    pub(crate) status: u32,
    /// The interruptions enabled (response code 0), which own the NIB.
    pub(crate) enabled: Option<AqicEnabled>,
    /// The NIB, given back when AQIC did not perform the request.
    pub(crate) unused: Option<PinnedNib>,
    /// The previous interruptions, given back when AQIC did not replace
    /// them.
    pub(crate) prev: Option<AqicEnabled>,
}

/// PQAP(AQIC) disabling interruptions of queue `qid`; returns the queue
/// status word.
pub(crate) fn aqic_disable(qid: u16) -> u32 {
    // SAFETY: AQIC with IR off touches no memory (and makes the adapter
    // stop using any NIB); any qid is acceptable to the instruction.
    unsafe { ffi::vfio_ap_helper_aqic_disable(qid) }
}

/// Interruptions of an AP queue enabled for a guest by
/// [`KvmRef::aqic_enable`], with the pinned NIB the adapter stores into and
/// a reference to the guest, whose GISA the adapter also stores into.
///
/// Both stay until the adapter no longer uses them: dropping this first
/// checks with TAPQ that the queue's interruptions are off (after an AQIC
/// disable, a reset, or the queue leaving the configuration). If they are
/// not, it turns them off itself (AQIC, then a reset). VFIO's pin goes in
/// every case, since unmapping guest memory must leave no pin behind; if
/// the interruptions still are not off, the page itself and the guest stay
/// allocated for good (see [`PinnedNib::unpin_keeping_page`]), so the
/// adapter stores only into memory nothing else can get.
///
/// # Invariants
///
/// `nib`, while `Some`, is the pin of the NIB page whose address one AQIC,
/// the one that made `self`, gave the adapter for queue `qid`; no other
/// AQIC got an address under this pin (another enable with the same page
/// holds a pin of its own). `kvm`, while `Some`, is a reference to the
/// guest whose GISA that AQIC gave the adapter. The adapter stores into
/// the NIB and the GISA through that AQIC's controls only while they are
/// in effect: until the queue's interruptions are turned off (AQIC, a
/// reset) or another successful enable replaces them; they never come
/// back. Both are `None` once released (replaced, or in drop).
pub(crate) struct AqicEnabled {
    qid: u16,
    nib: Option<PinnedNib>,
    kvm: Option<Kvm>,
}

/// How often TAPQ is polled, 20 ms apart, after the AQIC that turns a
/// released NIB's interruptions off (as often as a disable waits for the
/// IR bit to clear).
const DISABLE_POLLS: u32 = 5;

/// How often TAPQ is polled, 20 ms apart, after the reset that follows when
/// AQIC did not turn them off (one second; a reset takes milliseconds).
const RESET_POLLS: u32 = 50;

impl AqicEnabled {
    /// Whether TAPQ shows the adapter no longer stores into the NIB.
    fn off(&self) -> bool {
        // SAFETY: TAPQ has no side effects; any qid is acceptable.
        unsafe { ffi::vfio_ap_helper_aqic_off(self.qid) }
    }

    /// Polls [`Self::off`] `polls` times, 20 ms apart; whether it held.
    fn wait_off(&self, polls: u32) -> bool {
        for _ in 0..polls {
            fsleep(Delta::from_millis(20));
            if self.off() {
                return true;
            }
        }
        false
    }

    /// Releases the NIB and the guest once the adapter no longer uses
    /// them, turning the interruptions off first when the driver did not.
    fn release(&mut self) {
        // Both are set until released, and released together.
        let kvm = self.kvm.take();
        let Some(nib) = self.nib.take() else {
            return;
        };
        // The driver drops it after turning the interruptions off (AQIC or
        // a reset), so the first check normally holds. Otherwise AQIC, then
        // a reset, each followed by polls of TAPQ; the page goes back only
        // once a TAPQ showed the interruptions off.
        let off = self.off()
            || {
                aqic_disable(self.qid);
                self.wait_off(DISABLE_POLLS)
            }
            || {
                super::ap::zapq(self.qid, false);
                self.wait_off(RESET_POLLS)
            };
        if off {
            // The adapter no longer stores into the NIB or the GISA (type
            // invariant): both may go. The guest reference is not the last
            // one (the driver drops this while the VFIO device is open,
            // whose core holds one), so no lock of the guest is in the way.
            drop(nib);
            drop(kvm);
            return;
        }
        printk::log(
            Level::Error,
            None,
            long_format!(c"queue %04lx: interruptions stay enabled; keeping its NIB page and guest allocated\n"),
            // CAST: A `u16` fits a 64-bit `long`.
            &[self.qid as c_long],
        );
        nib.unpin_keeping_page();
        if let Some(kvm) = kvm {
            kvm.leak();
        }
    }
}

impl Drop for AqicEnabled {
    fn drop(&mut self) {
        self.release();
    }
}

/// The guest's `pqap_hook_rwsem`, held for writing.
///
/// # Invariants
///
/// The current task holds the semaphore of `kvm` for writing.
struct HookGuard<'a> {
    kvm: &'a Kvm,
    _not_send: PhantomData<*mut ()>,
}

impl<'a> HookGuard<'a> {
    fn lock(kvm: &'a Kvm) -> Self {
        // SAFETY: The guest is live; the guard releases the semaphore.
        unsafe { ffi::vfio_ap_helper_kvm_hook_lock(kvm.as_raw()) };
        // INVARIANT: Taken just above, by this task.
        Self {
            kvm,
            _not_send: PhantomData,
        }
    }
}

impl Drop for HookGuard<'_> {
    fn drop(&mut self) {
        // SAFETY: We took the semaphore in `HookGuard::lock`.
        unsafe { ffi::vfio_ap_helper_kvm_hook_unlock(self.kvm.as_raw()) };
    }
}

/// A guest's vCPU that intercepted PQAP(AQIC).
///
/// # Invariants
///
/// A reference to it is a live `struct kvm_vcpu` running the intercept.
#[repr(transparent)]
pub(crate) struct Vcpu(Opaque<ffi::VcpuRaw>);

impl Vcpu {
    fn as_raw(&self) -> *mut ffi::VcpuRaw {
        self.0.get()
    }

    /// General registers 0, 1 and 2 of the guest.
    pub(crate) fn regs(&self) -> [u64; 3] {
        let mut regs = [0u64; 3];
        // SAFETY: The vCPU is live; `regs` has room for three registers.
        unsafe { ffi::vfio_ap_helper_vcpu_regs(self.as_raw(), regs.as_mut_ptr()) };
        regs
    }

    /// Sets the guest's general register 1 (the PQAP answer).
    pub(crate) fn set_gr1(&self, gr1: u64) {
        // SAFETY: The vCPU is live and runs this intercept, so nothing else
        // uses its registers.
        unsafe { ffi::vfio_ap_helper_vcpu_set_gr1(self.as_raw(), gr1) };
    }

    /// Whether adapter-interruption virtualization is on for the vCPU.
    pub(crate) fn aiv(&self) -> bool {
        // SAFETY: The vCPU is live.
        unsafe { ffi::vfio_ap_helper_vcpu_aiv(self.as_raw()) }
    }

    /// The vCPU's execution controls A (`eca`, for the log).
    pub(crate) fn eca(&self) -> u32 {
        // SAFETY: The vCPU is live.
        unsafe { ffi::vfio_ap_helper_vcpu_eca(self.as_raw()) }
    }

    /// Whether the vCPU belongs to a protected (secure) guest.
    pub(crate) fn is_protected(&self) -> bool {
        // SAFETY: The vCPU is live.
        unsafe { ffi::vfio_ap_helper_vcpu_protected(self.as_raw()) }
    }

    /// The vCPU's guest.
    pub(crate) fn kvm(&self) -> &KvmRef {
        // SAFETY: A running vCPU keeps its guest alive.
        unsafe { KvmRef::from_raw(ffi::vfio_ap_helper_vcpu_kvm(self.as_raw())) }
    }
}

/// The PQAP(AQIC) interception handler of an [`Attachment`].
pub(crate) trait PqapHandler: 'static {
    /// What the handler gets besides the vCPU and the VFIO device.
    type Ctx: ForeignOwnable + Send + Sync;

    /// Handles the intercept: `Ok` when the guest's GR1 holds the answer,
    /// `EOPNOTSUPP` to leave the instruction to user space.
    fn handle(
        vcpu: &Vcpu,
        vdev: &VfioDevice,
        ctx: <Self::Ctx as ForeignOwnable>::Borrowed<'_>,
    ) -> Result;
}

/// Calls `H::handle` for KVM.
///
/// # Safety
///
/// Called by KVM only, through a slot made by [`Attachment::attach::<H>`]
/// and installed in the guest: `vcpu` runs the intercept, `vdev` is open,
/// `ctx` came from `H::Ctx::into_foreign`.
unsafe extern "C" fn handle_callback<H: PqapHandler>(
    vcpu: *mut ffi::VcpuRaw,
    vdev: *mut VfioDeviceRaw,
    ctx: *mut c_void,
) -> c_int {
    // SAFETY: `Vcpu` is `repr(transparent)`; live during the intercept.
    let vcpu = unsafe { &*vcpu.cast::<Vcpu>() };
    // SAFETY: The attachment that installed the slot keeps the device open
    // until it removes the slot (under the semaphore KVM holds now).
    let vdev = unsafe { VfioDevice::from_raw(vdev) };
    // SAFETY: `ctx` is owned by the slot, which outlives this call.
    let ctx = unsafe { H::Ctx::borrow(ctx.cast()) };
    match H::handle(vcpu, vdev, ctx) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// Why [`Attachment::attach`] failed.
pub(crate) enum AttachError {
    /// Another driver instance serves the guest (its hook is set).
    Taken,
    /// Out of memory.
    NoMem,
}

/// A VFIO device attached to a KVM guest: the guest reference and the
/// PQAP hook installed in it.
///
/// # Invariants
///
/// `slot`, while `Some`, is installed as the guest's PQAP hook; it is
/// removed before it is freed, and its context was made by `drop_ctx`'s
/// type. We hold a reference on `vdev`, so it stays allocated; the driver
/// detaches before the device is closed (afterwards VFIO refuses to pin or
/// unpin, with a warning).
pub(crate) struct Attachment {
    kvm: Kvm,
    vdev: NonNull<VfioDeviceRaw>,
    // `None` once detached.
    slot: Option<NonNull<ffi::SlotRaw>>,
    drop_ctx: unsafe fn(*mut c_void),
}

// SAFETY: The slot is only touched under the guest's hook semaphore.
unsafe impl Send for Attachment {}
// SAFETY: No method mutates through `&self`.
unsafe impl Sync for Attachment {}

impl Attachment {
    /// Attaches `vdev` (being opened) to guest `kvm`: under `kvm->lock`
    /// and the hook semaphore, installs `H`'s handler with `ctx` unless
    /// the guest has one ([`AttachError::Taken`]), then runs `f` with
    /// `kvm->lock` still held.
    pub(crate) fn attach<H: PqapHandler>(
        kvm: Kvm,
        vdev: &VfioDevice,
        ctx: H::Ctx,
        f: impl FnOnce(&KvmGuard<'_>),
    ) -> Result<Self, AttachError> {
        let ctx = ctx.into_foreign();
        // SAFETY: The handler matches the C prototype; `vdev` is open.
        let slot = unsafe {
            ffi::vfio_ap_helper_pqap_slot_alloc(
                handle_callback::<H>,
                vdev.as_raw(),
                ctx.cast::<c_void>(),
            )
        };
        let Some(slot) = NonNull::new(slot) else {
            // SAFETY: The context was made above and is not used elsewhere.
            unsafe { drop_foreign::<H::Ctx>(ctx.cast()) };
            return Err(AttachError::NoMem);
        };
        // SAFETY: `vdev` is live; the reference is put on drop.
        unsafe { super::vfio::ffi::vfio_ap_helper_vfio_get(vdev.as_raw()) };
        let vdev = NonNull::from(vdev).cast::<VfioDeviceRaw>();
        let taken = {
            let guard = kvm.lock();
            let hook = HookGuard::lock(&kvm);
            // SAFETY: The guest is live; we hold its hook semaphore.
            let taken = unsafe { ffi::vfio_ap_helper_kvm_hook_taken(kvm.as_raw()) };
            if !taken {
                // SAFETY: As above; the slot stays allocated until
                // `detach` removed it again (type invariant).
                unsafe { ffi::vfio_ap_helper_kvm_hook_set(kvm.as_raw(), slot.as_ptr()) };
                drop(hook);
                f(&guard);
            }
            taken
        };
        if taken {
            // SAFETY: Taken above.
            unsafe { super::vfio::ffi::vfio_ap_helper_vfio_put(vdev.as_ptr()) };
            // SAFETY: The slot was never installed; its context came from
            // `H::Ctx::into_foreign`.
            unsafe { drop_foreign::<H::Ctx>(ffi::vfio_ap_helper_pqap_slot_free(slot.as_ptr())) };
            return Err(AttachError::Taken);
        }
        // INVARIANT: Installed above; we took a reference on `vdev`.
        Ok(Self {
            kvm,
            vdev,
            slot: Some(slot),
            drop_ctx: drop_foreign::<H::Ctx>,
        })
    }

    /// Takes the guest's `kvm->lock`.
    pub(crate) fn lock(&self) -> KvmGuard<'_> {
        self.kvm.lock()
    }

    /// Detaches: under `kvm->lock` and the hook semaphore removes the hook
    /// (waiting for running intercepts), runs `f` with `kvm->lock` held,
    /// then frees the hook and, after every lock, puts the guest.
    pub(crate) fn detach(mut self, f: impl FnOnce(&KvmGuard<'_>)) {
        self.release(f);
    }

    fn release(&mut self, f: impl FnOnce(&KvmGuard<'_>)) {
        let Some(slot) = self.slot.take() else {
            return;
        };
        {
            let guard = self.kvm.lock();
            let hook = HookGuard::lock(&self.kvm);
            // SAFETY: We hold the semaphore; the hook is ours (invariant).
            unsafe { ffi::vfio_ap_helper_kvm_hook_clear(self.kvm.as_raw()) };
            drop(hook);
            f(&guard);
        }
        // SAFETY: The slot is no longer installed, and KVM cannot be using
        // it: clearing waited for the intercepts holding the semaphore.
        let ctx = unsafe { ffi::vfio_ap_helper_pqap_slot_free(slot.as_ptr()) };
        // SAFETY: The context came from the matching `into_foreign`.
        unsafe { (self.drop_ctx)(ctx) };
    }
}

impl Drop for Attachment {
    fn drop(&mut self) {
        // Never leave KVM pointing at a freed hook; the guest reference is
        // put afterwards, with the field.
        self.release(|_| {});
        // SAFETY: Taken in `attach` (type invariant).
        unsafe { super::vfio::ffi::vfio_ap_helper_vfio_put(self.vdev.as_ptr()) };
    }
}
