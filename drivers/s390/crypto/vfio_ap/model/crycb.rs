// SPDX-License-Identifier: GPL-2.0

//! What the driver writes to the guest's CRYCB, and when.
//!
//! The guest's AP configuration lives in the APCB of its CRYCB. The driver
//! writes the mdev's shadow APCB there when the device is opened and
//! whenever the shadow changes, clears it on close and on a removal
//! request, and signals the cfg_chg eventfd (if user space set one) after
//! every write and on a removal request.

use super::error::{Error, Result};
#[cfg(any(test, not(CONFIG_RUST)))]
use super::mask::Mask;
use super::matrix::Apcb;
use super::plan::Plan;

/// What to do to the CRYCB.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CrycbWrite {
    /// Leave it alone.
    Keep,
    /// `kvm_arch_crypto_set_masks` with these masks.
    Set(Apcb),
    /// `kvm_arch_crypto_clear_masks`.
    Clear,
}

/// The guest-facing part of an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GuestAction {
    /// The CRYCB update.
    pub crycb: CrycbWrite,
    /// Whether to signal the cfg_chg eventfd, if one is set.
    pub signal_cfg_chg: bool,
    /// Whether to reset every queue linked to the mdev (and wait).
    pub reset_linked: bool,
}

impl GuestAction {
    /// Nothing to do.
    pub const NONE: GuestAction = GuestAction {
        crycb: CrycbWrite::Keep,
        signal_cfg_chg: false,
        reset_linked: false,
    };
}

/// The checks of `open_device`: `EINVAL` without a KVM association,
/// `EPERM` if another mdev is already attached to that guest (its PQAP
/// hook is taken).
pub const fn check_open(has_kvm: bool, pqap_hook_taken: bool) -> Result {
    if !has_kvm {
        return Err(Error::Inval);
    }
    if pqap_hook_taken {
        return Err(Error::Perm);
    }
    Ok(())
}

/// `open_device` succeeded: the guest gets the current shadow.
pub const fn on_open(shadow: &Apcb) -> GuestAction {
    GuestAction {
        crycb: CrycbWrite::Set(*shadow),
        signal_cfg_chg: true,
        reset_linked: false,
    }
}

/// `close_device`: with a guest attached, clear its APCB and reset the
/// mdev's queues; the shadow is kept for the next open.
pub const fn on_close(guest_attached: bool) -> GuestAction {
    if !guest_attached {
        return GuestAction::NONE;
    }
    GuestAction {
        crycb: CrycbWrite::Clear,
        signal_cfg_chg: false,
        reset_linked: true,
    }
}

/// The vfio `request` callback (mdev removal while open): with a guest
/// attached, clear its APCB and tell user space through cfg_chg.
pub const fn on_request(guest_attached: bool) -> GuestAction {
    if !guest_attached {
        return GuestAction::NONE;
    }
    GuestAction {
        crycb: CrycbWrite::Clear,
        signal_cfg_chg: true,
        reset_linked: false,
    }
}

/// The guest-facing part of executing a [`Plan`].
///
/// After a removal request (`removal_requested`) the guest keeps the empty
/// APCB the request gave it until the device is closed. Upstream writes
/// the shadow again, so an assignment made while the removal waits for
/// user space plugs queues back into a guest that is being asked to let
/// the device go.
pub const fn on_plan(plan: &Plan, guest_attached: bool, removal_requested: bool) -> GuestAction {
    if !guest_attached || removal_requested || !plan.update_guest {
        return GuestAction::NONE;
    }
    GuestAction {
        crycb: CrycbWrite::Set(plan.new_shadow),
        signal_cfg_chg: true,
        reset_linked: false,
    }
}

/// How the `request` callback tells user space about a removal request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestNotice {
    /// Signal the req eventfd; `log` says whether to log "Relaying device
    /// request to user (#count)" (every tenth request, rate limited).
    Relay {
        /// Whether to log this time.
        log: bool,
    },
    /// No req eventfd: log "No device request registered, blocked until
    /// released by user" on the first request only.
    Unregistered {
        /// Whether to log this time.
        log: bool,
    },
}

/// The notice for request number `count` (0 first).
pub const fn request_notice(count: u32, req_trigger_set: bool) -> RequestNotice {
    if req_trigger_set {
        RequestNotice::Relay {
            log: matches!(count % 10, 0),
        }
    } else {
        RequestNotice::Unregistered { log: count == 0 }
    }
}

/// The CRYCB formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg(any(test, not(CONFIG_RUST)))]
pub enum CrycbFormat {
    /// Format 0 (no MSAX3): APCB0.
    Format0,
    /// Format 1: APCB0.
    Format1,
    /// Format 2 (APXA): APCB1.
    Format2,
}

/// The masks a guest effectively gets: format 2 holds all 256 bits;
/// formats 0 and 1 hold 64 adapters and 16 domains (why the limits
/// without APXA are 63 and 15).
#[cfg(any(test, not(CONFIG_RUST)))]
pub fn effective_masks(format: CrycbFormat, apcb: &Apcb) -> Apcb {
    match format {
        CrycbFormat::Format2 => *apcb,
        CrycbFormat::Format0 | CrycbFormat::Format1 => Apcb::new(
            apcb.apm.and(&Mask::up_to(63)),
            apcb.aqm.and(&Mask::up_to(15)),
            apcb.adm.and(&Mask::up_to(15)),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::reset::ResetSet;

    fn a() -> Apcb {
        Apcb::new(
            Mask::from_ids(&[5]),
            Mask::from_ids(&[4]),
            Mask::from_ids(&[4]),
        )
    }

    #[test]
    fn open_checks() {
        // I1, I9.
        assert_eq!(check_open(false, false), Err(Error::Inval));
        assert_eq!(check_open(false, true), Err(Error::Inval));
        assert_eq!(check_open(true, true), Err(Error::Perm));
        assert_eq!(check_open(true, false), Ok(()));
    }

    #[test]
    fn lifecycle_actions() {
        let o = on_open(&a());
        assert_eq!(o.crycb, CrycbWrite::Set(a()));
        assert!(o.signal_cfg_chg && !o.reset_linked);
        // I11.
        let c = on_close(true);
        assert_eq!(c.crycb, CrycbWrite::Clear);
        assert!(!c.signal_cfg_chg && c.reset_linked);
        assert_eq!(on_close(false), GuestAction::NONE);
        let r = on_request(true);
        assert_eq!(r.crycb, CrycbWrite::Clear);
        assert!(r.signal_cfg_chg && !r.reset_linked);
        assert_eq!(on_request(false), GuestAction::NONE);
    }

    #[test]
    fn plans_update_only_attached_guests_that_changed() {
        // H11: an unchanged shadow means no SET CRYCB and no signal.
        let same = Plan::unchanged(&a());
        assert_eq!(on_plan(&same, true, false), GuestAction::NONE);
        let changed = Plan::new(Apcb::EMPTY, a(), ResetSet::EMPTY);
        assert_eq!(on_plan(&changed, false, false), GuestAction::NONE);
        // After a removal request the guest's APCB stays cleared.
        assert_eq!(on_plan(&changed, true, true), GuestAction::NONE);
        let act = on_plan(&changed, true, false);
        assert_eq!(act.crycb, CrycbWrite::Set(a()));
        assert!(act.signal_cfg_chg);
    }

    #[test]
    fn request_notices() {
        // I12/I13.
        assert_eq!(request_notice(0, true), RequestNotice::Relay { log: true });
        assert_eq!(request_notice(1, true), RequestNotice::Relay { log: false });
        assert_eq!(request_notice(10, true), RequestNotice::Relay { log: true });
        assert_eq!(
            request_notice(0, false),
            RequestNotice::Unregistered { log: true }
        );
        assert_eq!(
            request_notice(3, false),
            RequestNotice::Unregistered { log: false }
        );
    }

    #[test]
    fn formats_truncate_without_apxa() {
        let wide = Apcb::new(
            Mask::from_ids(&[63, 64]),
            Mask::from_ids(&[15, 16]),
            Mask::from_ids(&[0, 200]),
        );
        let narrow = Apcb::new(
            Mask::from_ids(&[63]),
            Mask::from_ids(&[15]),
            Mask::from_ids(&[0]),
        );
        assert_eq!(effective_masks(CrycbFormat::Format0, &wide), narrow);
        assert_eq!(effective_masks(CrycbFormat::Format1, &wide), narrow);
        assert_eq!(effective_masks(CrycbFormat::Format2, &wide), wide);
    }
}
