// SPDX-License-Identifier: GPL-2.0

//! The guest side of an mdev: its CRYCB (the AP masks KVM gives the
//! guest), the eventfds that tell user space about a configuration change
//! or a request to give the device back, and its queues' interruptions
//! ([`Irqs`]).

#![deny(unsafe_code)]

use crate::abstractions::{kvm::KvmGuard, vfio::EventFd};
use crate::irq::Irqs;
use crate::model::{
    crycb::{CrycbWrite, GuestAction},
    matrix::Apcb,
    reset::ResetSet,
    vfio::Trigger,
};

/// The VFIO interrupts and guest interruptions of one mdev, kept with its
/// model under the mdevs lock (the guest itself is `MdevGuest::kvm`).
#[derive(Default)]
pub(crate) struct VfioState {
    /// The eventfd of the device request interrupt.
    req_trigger: Option<EventFd>,
    /// The eventfd of the AP configuration change interrupt.
    cfg_chg_trigger: Option<EventFd>,
    /// The queues' guest interruptions.
    pub(crate) irqs: Irqs,
}

impl VfioState {
    /// A new mdev's: no eventfds.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Sets (or with `None` clears) the eventfd of `which`.
    pub(crate) fn set_trigger(&mut self, which: Trigger, fd: Option<EventFd>) {
        match which {
            Trigger::Request => self.req_trigger = fd,
            Trigger::ConfigChange => self.cfg_chg_trigger = fd,
        }
    }

    /// The eventfd of the device request interrupt, if user space set one.
    pub(crate) fn request_trigger(&self) -> Option<&EventFd> {
        self.req_trigger.as_ref()
    }

    /// Tells user space the guest's AP configuration changed, if it asked.
    fn signal_cfg_changed(&self) {
        if let Some(t) = &self.cfg_chg_trigger {
            t.signal();
        }
    }

    /// Drops both eventfds (upstream keeps them until the mdev is gone and
    /// never puts them; we put them when the device is closed).
    pub(crate) fn release_triggers(&mut self) {
        self.req_trigger = None;
        self.cfg_chg_trigger = None;
    }
}

/// Writes what `act` says into the guest's CRYCB (with `kvm->lock` held)
/// and signals user space if it says so.
pub(crate) fn apply(act: GuestAction, kvm: &KvmGuard<'_>, vfio: &VfioState) {
    match act.crycb {
        CrycbWrite::Keep => {}
        CrycbWrite::Set(apcb) => set_guest_apcb(kvm, &apcb),
        CrycbWrite::Clear => kvm.clear_masks(),
    }
    if act.signal_cfg_chg {
        vfio.signal_cfg_changed();
    }
}

/// Gives the guest the masks of `apcb` (`kvm_arch_crypto_set_masks`).
fn set_guest_apcb(kvm: &KvmGuard<'_>, apcb: &Apcb) {
    kvm.set_masks(&apcb.apm.words(), &apcb.aqm.words(), &apcb.adm.words());
}

/// After the queues of `resets` were reset: releases what they held for
/// guest interruptions (the resets turned them off). `_kvm` is the
/// attached guest's lock (the caller holds it, as upstream).
pub(crate) fn release_reset_irqs(_kvm: &KvmGuard<'_>, vfio: &mut VfioState, resets: &ResetSet) {
    vfio.irqs.release_reset(resets);
}
