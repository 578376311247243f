// SPDX-License-Identifier: GPL-2.0

//! A KVM guest as any part of the module holds it: a counted reference,
//! its `kvm->lock`, and the AP masks of its crypto control block (CRYCB).
//!
//! Below [`super::vfio`], which hands the driver the guest of a device
//! being opened; the guest-side work that needs a VFIO device (the PQAP
//! hook, AQIC with a pinned NIB) is in [`super::kvm`], above both.
//!
//! C header: [`include/linux/kvm_host.h`](srctree/include/linux/kvm_host.h)

use core::{marker::PhantomData, ops::Deref, ptr::NonNull};
use kernel::{ffi::c_ulong, types::Opaque};

// Each mask handed to `kvm_arch_crypto_set_masks` is one 256-bit APCB mask
// (checked against the kernel's APCB in `rust/helpers/kvm.c`).
const _: () = assert!(core::mem::size_of::<[c_ulong; 4]>() == 32);

pub(super) mod ffi {
    use kernel::ffi::c_ulong;

    /// `struct kvm`.
    #[repr(C)]
    pub(crate) struct KvmRaw {
        _opaque: [u8; 0],
    }

    unsafe extern "C" {
        pub(super) fn kvm_get_kvm(kvm: *mut KvmRaw);
        pub(super) fn kvm_put_kvm(kvm: *mut KvmRaw);
        pub(super) fn kvm_arch_crypto_set_masks(
            kvm: *mut KvmRaw,
            apm: *mut c_ulong,
            aqm: *mut c_ulong,
            adm: *mut c_ulong,
        );
        pub(super) fn kvm_arch_crypto_clear_masks(kvm: *mut KvmRaw);
        pub(super) fn vfio_ap_helper_kvm_has_crycb(kvm: *mut KvmRaw) -> bool;
        pub(super) fn vfio_ap_helper_kvm_lock(kvm: *mut KvmRaw);
        pub(super) fn vfio_ap_helper_kvm_unlock(kvm: *mut KvmRaw);
        pub(super) fn vfio_ap_helper_gpa_in_memslot(kvm: *mut KvmRaw, gpa: u64) -> bool;
    }
}

/// A KVM guest, borrowed: what can be done with a guest that is known to
/// be alive.
///
/// # Invariants
///
/// A reference to it is a live `struct kvm`.
#[repr(transparent)]
pub(crate) struct KvmRef(Opaque<ffi::KvmRaw>);

impl KvmRef {
    /// # Safety
    ///
    /// `ptr` is a live guest for the lifetime `'a`.
    pub(super) unsafe fn from_raw<'a>(ptr: *mut ffi::KvmRaw) -> &'a Self {
        // SAFETY: `repr(transparent)`; liveness from the caller.
        unsafe { &*ptr.cast::<Self>() }
    }

    pub(super) fn as_raw(&self) -> *mut ffi::KvmRaw {
        self.0.get()
    }

    /// A counted reference to the guest.
    pub(crate) fn get(&self) -> Kvm {
        // SAFETY: The guest is live (type invariant); `as_raw` is never null.
        unsafe { Kvm::get(NonNull::new_unchecked(self.as_raw())) }
    }

    /// Whether the guest has a crypto control block (always on s390 when
    /// KVM runs a guest; upstream checks it before attaching).
    pub(crate) fn has_crycb(&self) -> bool {
        // SAFETY: The guest is live (type invariant).
        unsafe { ffi::vfio_ap_helper_kvm_has_crycb(self.as_raw()) }
    }

    /// Whether guest address `gpa` is in one of the guest's memory slots.
    pub(crate) fn gpa_in_memslot(&self, gpa: u64) -> bool {
        // SAFETY: The guest is live.
        unsafe { ffi::vfio_ap_helper_gpa_in_memslot(self.as_raw(), gpa) }
    }
}

/// A reference to a KVM guest.
///
/// # Invariants
///
/// `kvm` is a live `struct kvm` on which we own one reference, put on drop.
pub(crate) struct Kvm {
    kvm: NonNull<ffi::KvmRaw>,
}

// SAFETY: KVM references may be taken and put from any thread.
unsafe impl Send for Kvm {}
// SAFETY: The methods taking `&self` lock what they change.
unsafe impl Sync for Kvm {}

impl Kvm {
    /// Takes a new reference on `kvm`.
    ///
    /// # Safety
    ///
    /// `kvm` is a live `struct kvm` for the duration of the call.
    pub(super) unsafe fn get(kvm: NonNull<ffi::KvmRaw>) -> Self {
        // SAFETY: `kvm` is live (caller).
        unsafe { ffi::kvm_get_kvm(kvm.as_ptr()) };
        // INVARIANT: We took the reference just above.
        Self { kvm }
    }

    /// Keeps the guest allocated for good: for a guest whose memory an
    /// adapter may still store into.
    pub(super) fn leak(self) {
        core::mem::forget(self);
    }

    /// Takes `kvm->lock`.
    pub(crate) fn lock(&self) -> KvmGuard<'_> {
        // SAFETY: The guest is live; the guard unlocks.
        unsafe { ffi::vfio_ap_helper_kvm_lock(self.as_raw()) };
        // INVARIANT: Locked just above, by this task.
        KvmGuard {
            kvm: self,
            _not_send: PhantomData,
        }
    }
}

impl Clone for Kvm {
    fn clone(&self) -> Self {
        // SAFETY: We hold a reference, so the guest is live.
        unsafe { Self::get(self.kvm) }
    }
}

impl Deref for Kvm {
    type Target = KvmRef;

    fn deref(&self) -> &KvmRef {
        // SAFETY: We hold a reference, so the guest lives as long as `self`.
        unsafe { KvmRef::from_raw(self.kvm.as_ptr()) }
    }
}

impl Drop for Kvm {
    fn drop(&mut self) {
        // SAFETY: We own this reference (type invariant). No guard of ours
        // can be alive: they borrow `self`.
        unsafe { ffi::kvm_put_kvm(self.kvm.as_ptr()) };
    }
}

/// `kvm->lock`, held.
///
/// # Invariants
///
/// The current task holds `kvm->lock` of `kvm`.
pub(crate) struct KvmGuard<'a> {
    kvm: &'a Kvm,
    // A mutex is released by the task that took it.
    _not_send: PhantomData<*mut ()>,
}

impl KvmGuard<'_> {
    /// The locked guest.
    pub(crate) fn kvm(&self) -> &Kvm {
        self.kvm
    }

    /// Gives the guest the AP masks `apm`, `aqm`, `adm` (MSB0 bitmaps, as
    /// the kernel's `_inv` bit operations number them).
    pub(crate) fn set_masks(&self, apm: &[u64; 4], aqm: &[u64; 4], adm: &[u64; 4]) {
        // CAST: `unsigned long` is 64 bits on s390, so no bit is lost.
        let words = |m: &[u64; 4]| m.map(|w| w as c_ulong);
        let (mut apm, mut aqm, mut adm) = (words(apm), words(aqm), words(adm));
        // SAFETY: We hold `kvm->lock`, which the function requires; each
        // mask is four writable words, only read.
        unsafe {
            ffi::kvm_arch_crypto_set_masks(
                self.kvm.as_raw(),
                apm.as_mut_ptr(),
                aqm.as_mut_ptr(),
                adm.as_mut_ptr(),
            )
        };
    }

    /// Takes every AP resource away from the guest.
    pub(crate) fn clear_masks(&self) {
        // SAFETY: We hold `kvm->lock`, which the function requires.
        unsafe { ffi::kvm_arch_crypto_clear_masks(self.kvm.as_raw()) };
    }
}

impl Drop for KvmGuard<'_> {
    fn drop(&mut self) {
        // SAFETY: We took `kvm->lock` in `Kvm::lock`.
        unsafe { ffi::vfio_ap_helper_kvm_unlock(self.kvm.as_raw()) };
    }
}
