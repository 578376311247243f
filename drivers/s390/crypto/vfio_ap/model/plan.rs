// SPDX-License-Identifier: GPL-2.0

//! The outcome of a decision: what the driver must do to the guest and to
//! the queues.

#[cfg(any(test, not(CONFIG_RUST)))]
use super::apqn::Apqn;
#[cfg(any(test, not(CONFIG_RUST)))]
use super::host::QueueSet;
use super::matrix::Apcb;
use super::reset::ResetSet;

/// A plan for the driver, produced by an mdev operation that already
/// updated the model's state.
///
/// The driver executes it, still under its locks, in this order:
///
/// 1. if [`Plan::update_guest`] and a KVM guest is attached: write
///    [`Plan::new_shadow`] to the CRYCB (`kvm_arch_crypto_set_masks`) and
///    signal the cfg_chg eventfd if one is set;
/// 2. reset (ZAPQ, then wait for completion) every bound queue in
///    [`Plan::resets`]; none of them is in the new guest APCB.
///
/// Upstream sometimes writes the CRYCB more than once for one operation
/// (an `ap_config` write may unplug adapters, unplug domains and filter,
/// each with its own update); a plan collapses that into the final value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Plan {
    /// The guest APCB before the operation.
    pub old_shadow: Apcb,
    /// The guest APCB after it (the mdev's shadow APCB now).
    pub new_shadow: Apcb,
    /// Whether the guest's APCB changed: update the CRYCB and signal
    /// cfg_chg (both only with a guest attached).
    pub update_guest: bool,
    /// The queues to reset.
    pub resets: ResetSet,
}

impl Plan {
    /// A plan that does nothing: the guest keeps `shadow`.
    #[inline(never)]
    pub const fn unchanged(shadow: &Apcb) -> Plan {
        Plan {
            old_shadow: *shadow,
            new_shadow: *shadow,
            update_guest: false,
            resets: ResetSet::EMPTY,
        }
    }

    /// A plan from the guest APCB before and after and the resets; the
    /// guest is updated if and only if the APCB changed.
    #[inline(never)]
    pub fn new(old_shadow: Apcb, new_shadow: Apcb, resets: ResetSet) -> Plan {
        Plan {
            old_shadow,
            new_shadow,
            update_guest: old_shadow != new_shadow,
            resets,
        }
    }

    /// Whether there is nothing to do.
    #[cfg(any(test, not(CONFIG_RUST)))]
    pub const fn is_noop(&self) -> bool {
        !self.update_guest && self.resets.is_empty()
    }

    /// The bound queues to reset.
    #[cfg(any(test, not(CONFIG_RUST)))]
    pub fn reset_queues<'a>(&'a self, bound: &'a QueueSet) -> impl Iterator<Item = Apqn> + 'a {
        self.resets.queues(bound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::mask::Mask;
    use std::boxed::Box;

    #[test]
    fn update_follows_the_shadow() {
        let a = Apcb::new(Mask::from_ids(&[1]), Mask::from_ids(&[2]), Mask::EMPTY);
        let p = Plan::unchanged(&a);
        assert!(p.is_noop() && !p.update_guest);
        assert_eq!(p.new_shadow, a);
        let b = Apcb {
            adm: Mask::from_ids(&[3]),
            ..a
        };
        let p = Plan::new(a, b, ResetSet::EMPTY);
        assert!(p.update_guest && !p.is_noop());
        let p = Plan::new(
            a,
            a,
            ResetSet::product(&Mask::from_ids(&[1]), &Mask::from_ids(&[2])),
        );
        assert!(!p.update_guest && !p.is_noop());
        let mut bound = Box::new(QueueSet::EMPTY);
        bound.insert(Apqn::new(1, 2));
        assert_eq!(p.reset_queues(&bound).count(), 1);
    }
}
