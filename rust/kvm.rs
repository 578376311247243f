// SPDX-License-Identifier: GPL-2.0

//! KVM guests, as far as vfio_ap touches them: a reference to the guest,
//! its `kvm->lock`, the PQAP interception hook, and the AP masks of its
//! CRYCB.
//!
//! Lock order (upstream's): the driver's guests lock, [`Kvm::lock`],
//! [`KvmGuard::lock_hook`], the driver's mdevs lock. The guards borrow what
//! they lock, so a reference cannot be dropped (possibly destroying the
//! guest) while its lock is held.
//!
//! C headers: [`include/linux/kvm_host.h`](srctree/include/linux/kvm_host.h),
//! [`kvm_host_s390.h`](srctree/arch/s390/include/asm/kvm_host_s390.h)

use core::{marker::PhantomData, ptr::NonNull};
use kernel::ffi::c_ulong;

pub(super) mod ffi {
    use super::*;

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
        pub(super) fn vfio_ap_helper_kvm_hook_lock(kvm: *mut KvmRaw);
        pub(super) fn vfio_ap_helper_kvm_hook_unlock(kvm: *mut KvmRaw);
        pub(super) fn vfio_ap_helper_kvm_hook_taken(kvm: *mut KvmRaw) -> bool;
        pub(super) fn vfio_ap_helper_kvm_hook_set(kvm: *mut KvmRaw);
        pub(super) fn vfio_ap_helper_kvm_hook_clear(kvm: *mut KvmRaw);
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

    fn as_raw(&self) -> *mut ffi::KvmRaw {
        self.kvm.as_ptr()
    }

    /// Whether the guest has a crypto control block (always on s390 when
    /// KVM runs a guest; upstream checks it before attaching).
    pub(crate) fn has_crycb(&self) -> bool {
        // SAFETY: The guest is live (type invariant).
        unsafe { ffi::vfio_ap_helper_kvm_has_crycb(self.as_raw()) }
    }

    /// Takes `kvm->lock`.
    pub(crate) fn lock(&self) -> KvmGuard<'_> {
        // SAFETY: The guest is live; the guard unlocks.
        unsafe { ffi::vfio_ap_helper_kvm_lock(self.as_raw()) };
        KvmGuard {
            kvm: self,
            _not_send: PhantomData,
        }
    }
}

impl Drop for Kvm {
    fn drop(&mut self) {
        // SAFETY: We own this reference (type invariant). No guard of ours
        // can be alive: they borrow `self`.
        unsafe { ffi::kvm_put_kvm(self.as_raw()) };
    }
}

/// `kvm->lock`, held.
pub(crate) struct KvmGuard<'a> {
    kvm: &'a Kvm,
    // A mutex is released by the task that took it.
    _not_send: PhantomData<*mut ()>,
}

impl KvmGuard<'_> {
    /// Gives the guest the AP masks `apm`, `aqm`, `adm` (MSB0 bitmaps, as
    /// the kernel's `_inv` bit operations number them).
    pub(crate) fn set_masks(&self, apm: &[u64; 4], aqm: &[u64; 4], adm: &[u64; 4]) {
        // CAST: `unsigned long` is 64 bits on s390, so no bit is lost.
        let words = |m: &[u64; 4]| m.map(|w| w as c_ulong);
        let (mut apm, mut aqm, mut adm) = (words(apm), words(aqm), words(adm));
        // SAFETY: We hold `kvm->lock`, which the function requires; each
        // mask is four writable words (`unsigned long` is 64 bits here),
        // only read.
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

    /// Takes the PQAP hook's semaphore for writing.
    pub(crate) fn lock_hook(&self) -> HookGuard<'_> {
        // SAFETY: The guest is live; the guard releases the semaphore.
        unsafe { ffi::vfio_ap_helper_kvm_hook_lock(self.kvm.as_raw()) };
        HookGuard {
            kvm: self.kvm,
            _not_send: PhantomData,
        }
    }
}

impl Drop for KvmGuard<'_> {
    fn drop(&mut self) {
        // SAFETY: We took `kvm->lock` in `Kvm::lock`.
        unsafe { ffi::vfio_ap_helper_kvm_unlock(self.kvm.as_raw()) };
    }
}

/// The guest's `pqap_hook_rwsem`, held for writing: the PQAP(AQIC)
/// interception handler of the guest can be set or cleared.
pub(crate) struct HookGuard<'a> {
    kvm: &'a Kvm,
    _not_send: PhantomData<*mut ()>,
}

impl HookGuard<'_> {
    /// Whether a handler is installed (another mdev serves this guest).
    pub(crate) fn taken(&self) -> bool {
        // SAFETY: The guest is live; we hold the semaphore.
        unsafe { ffi::vfio_ap_helper_kvm_hook_taken(self.kvm.as_raw()) }
    }

    /// Installs vfio_ap's handler.
    pub(crate) fn set(&mut self) {
        // SAFETY: As in `taken`; the handler is a static of this module,
        // cleared again before the guest reference is put.
        unsafe { ffi::vfio_ap_helper_kvm_hook_set(self.kvm.as_raw()) };
    }

    /// Removes the handler.
    pub(crate) fn clear(&mut self) {
        // SAFETY: As in `taken`.
        unsafe { ffi::vfio_ap_helper_kvm_hook_clear(self.kvm.as_raw()) };
    }
}

impl Drop for HookGuard<'_> {
    fn drop(&mut self) {
        // SAFETY: We took the semaphore in `KvmGuard::lock_hook`.
        unsafe { ffi::vfio_ap_helper_kvm_hook_unlock(self.kvm.as_raw()) };
    }
}
