// SPDX-License-Identifier: GPL-2.0

//! Deriving the guest's APCB (the shadow) from what an mdev has assigned.
//!
//! A guest may only get a queue that is in the host's configuration and
//! bound to vfio_ap in a usable state. The APCB can only express whole
//! adapters and domains, so an adapter with one unusable queue is left out
//! entirely; domains are never dropped for a missing queue.

use super::host::HostState;
use super::mask::Mask;
use super::matrix::{Apcb, Limits};

/// What [`filter_matrix`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Filtered {
    /// Whether the shadow's APM or AQM changed.
    pub changed: bool,
    /// Adapters that were in the guest before and are now left out
    /// because of an unusable queue; their queues must be reset.
    pub apm_filtered: Mask,
}

/// Recomputes the shadow APM and AQM from `assigned`, as upstream filters
/// an mdev's matrix; the ADM is untouched.
///
/// The shadow gets the assigned adapters and domains that are in the
/// host's configuration, minus every adapter for which some domain of the
/// shadow has no passable queue (not bound to vfio_ap, or its last reset
/// ended with a code other than 00, 03 or 04). `shadow_limits` are reset to
/// the host's current limits, as upstream does.
pub fn filter_matrix(
    assigned: &Apcb,
    shadow: &mut Apcb,
    shadow_limits: &mut Limits,
    host: &HostState,
) -> Filtered {
    let prev = *shadow;
    *shadow_limits = host.limits();
    shadow.apm = assigned.apm.and(&host.config.apm);
    shadow.aqm = assigned.aqm.and(&host.config.aqm);
    let mut apm_filtered = Mask::EMPTY;
    let aqm = shadow.aqm;
    for apid in &assigned.apm.and(&host.config.apm) {
        if !aqm.is_subset_of(&host.passable_row(apid)) {
            shadow.apm.clear(apid);
            if prev.apm.test(apid) {
                apm_filtered.set(apid);
            }
        }
    }
    Filtered {
        changed: prev.apm != shadow.apm || prev.aqm != shadow.aqm,
        apm_filtered,
    }
}

/// Recomputes the shadow ADM: the assigned control domains that are in the
/// host's configuration, as upstream filters control domains. Returns
/// whether it changed.
pub fn filter_cdoms(assigned: &Apcb, shadow: &mut Apcb, host: &HostState) -> bool {
    let prev = shadow.adm;
    shadow.adm = assigned.adm.and(&host.config.adm);
    prev != shadow.adm
}

/// The guest APCB that filtering `assigned` from scratch gives, without
/// any previous state: the steady state the operations converge to.
#[cfg(any(test, not(CONFIG_RUST)))]
pub fn guest_apcb(assigned: &Apcb, host: &HostState) -> Apcb {
    let mut shadow = Apcb::EMPTY;
    let mut limits = host.limits();
    filter_matrix(assigned, &mut shadow, &mut limits, host);
    filter_cdoms(assigned, &mut shadow, host);
    shadow
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::apqn::Apqn;
    use crate::model::response::{RC_CHECKSTOPPED, RC_DECONFIGURED, RC_Q_NOT_AVAIL};
    use crate::model::testutil::{apcb, bound_host, config};
    use std::boxed::Box;

    fn host(apm: &[u8], aqm: &[u8], adm: &[u8]) -> Box<HostState> {
        bound_host(config(apm, aqm, adm))
    }

    #[test]
    fn all_bound_passes_everything_configured() {
        // E4.
        let h = host(&[5, 6], &[4, 0xab], &[4]);
        let a = apcb(&[5, 6], &[4, 0xab], &[4]);
        assert_eq!(guest_apcb(&a, &h), a);
    }

    #[test]
    fn unbound_queue_drops_its_whole_adapter() {
        // E5: unbinding 06.00ab drops adapter 6, domains stay.
        let mut h = host(&[5, 6], &[4, 0xab], &[]);
        let a = apcb(&[5, 6], &[4, 0xab], &[]);
        let mut shadow = guest_apcb(&a, &h);
        h.unbind(Apqn::new(6, 0xab));
        let mut limits = h.limits();
        let f = filter_matrix(&a, &mut shadow, &mut limits, &h);
        assert!(f.changed);
        assert_eq!(f.apm_filtered, Mask::from_ids(&[6]));
        assert_eq!(shadow, apcb(&[5], &[4, 0xab], &[]));
        // E6: rebinding brings it back, and nothing is "filtered".
        h.bind(Apqn::new(6, 0xab));
        let f = filter_matrix(&a, &mut shadow, &mut limits, &h);
        assert!(f.changed && f.apm_filtered.is_empty());
        assert_eq!(shadow, a);
    }

    #[test]
    fn adapters_and_domains_outside_the_host_are_left_out() {
        // D16: over-provisioning.
        let h = host(&[5], &[4], &[4]);
        let a = apcb(&[5, 7], &[4, 9], &[4, 5]);
        assert_eq!(guest_apcb(&a, &h), apcb(&[5], &[4], &[4]));
    }

    #[test]
    fn domains_survive_when_every_adapter_is_filtered() {
        // E7: an adapter whose queues are not bound: only domains remain.
        let mut h = host(&[0x10], &[0xd1, 0xd2], &[]);
        h.unbind(Apqn::new(0x10, 0xd1));
        h.unbind(Apqn::new(0x10, 0xd2));
        let a = apcb(&[0x10], &[0xd1, 0xd2], &[]);
        assert_eq!(guest_apcb(&a, &h), apcb(&[], &[0xd1, 0xd2], &[]));
    }

    #[test]
    fn adapter_without_domains_is_passed() {
        // No domain means no queue to check.
        let h = host(&[3], &[], &[]);
        assert_eq!(guest_apcb(&apcb(&[3], &[], &[]), &h), apcb(&[3], &[], &[]));
    }

    #[test]
    fn reset_status_decides_passability() {
        let mut h = host(&[1, 2, 3], &[7], &[]);
        let a = apcb(&[1, 2, 3], &[7], &[]);
        h.set_reset_response(Apqn::new(1, 7), RC_DECONFIGURED);
        h.set_reset_response(Apqn::new(2, 7), RC_CHECKSTOPPED);
        h.set_reset_response(Apqn::new(3, 7), RC_Q_NOT_AVAIL);
        assert_eq!(guest_apcb(&a, &h), apcb(&[1, 2], &[7], &[]));
    }

    #[test]
    fn filtered_only_reports_adapters_that_were_in_the_guest() {
        let mut h = host(&[1, 2], &[7], &[]);
        h.unbind(Apqn::new(2, 7));
        let a = apcb(&[1, 2], &[7], &[]);
        // Adapter 2 was never in the guest: filtered out, but not reported.
        let mut shadow = Apcb::EMPTY;
        let mut limits = h.limits();
        let f = filter_matrix(&a, &mut shadow, &mut limits, &h);
        assert!(f.changed && f.apm_filtered.is_empty());
        assert_eq!(shadow.apm, Mask::from_ids(&[1]));
    }

    #[test]
    fn filtering_is_idempotent_and_keeps_adm() {
        let mut h = host(&[1, 2], &[7, 8], &[3]);
        h.unbind(Apqn::new(2, 8));
        let a = apcb(&[1, 2], &[7, 8], &[3]);
        let mut shadow = Apcb {
            adm: Mask::from_ids(&[9]),
            ..Apcb::EMPTY
        };
        let mut limits = Limits::NON_APXA;
        let first = filter_matrix(&a, &mut shadow, &mut limits, &h);
        assert!(first.changed);
        assert_eq!(limits, Limits::FULL, "limits follow the host");
        assert_eq!(
            shadow.adm,
            Mask::from_ids(&[9]),
            "filter_matrix leaves the ADM"
        );
        let again = filter_matrix(&a, &mut shadow, &mut limits, &h);
        assert_eq!(
            again,
            Filtered {
                changed: false,
                apm_filtered: Mask::EMPTY
            }
        );
        assert!(filter_cdoms(&a, &mut shadow, &h));
        assert_eq!(shadow.adm, Mask::from_ids(&[3]));
        assert!(!filter_cdoms(&a, &mut shadow, &h));
    }
}
