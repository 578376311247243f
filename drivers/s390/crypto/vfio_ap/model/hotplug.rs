// SPDX-License-Identifier: GPL-2.0

//! Hot plug and unplug driven by the AP bus: queues probed and removed,
//! and changes of the host's AP configuration.
//!
//! A configuration change arrives in two steps. `on_config_changed` runs
//! before the bus adds or removes queue devices: removals are unplugged
//! from the guests at once (the hardware resets those queues itself), and
//! additions are only noted per mdev. `on_scan_complete` runs after the
//! new queues were probed and plugs the additions in with one filtering
//! per mdev, so the guest sees one update rather than one per queue.

use super::apqn::Apqn;
use super::host::{ApConfig, HostState};
use super::mask::Mask;
use super::matrix::{Apcb, Queues};
use super::mdev::Mdev;
use super::plan::Plan;
use super::reset::ResetSet;

/// The first AP device type vfio_ap supports (CEX4, type 10).
pub const AP_DEVICE_TYPE_CEX4: u8 = 10;

/// The difference between two host configurations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConfigDelta {
    /// Adapters, domains and control domains that left the configuration.
    pub removed: Apcb,
    /// Adapters, domains and control domains that joined it.
    pub added: Apcb,
}

impl ConfigDelta {
    /// The change from `prev` to `cur`.
    pub const fn between(prev: &ApConfig, cur: &ApConfig) -> ConfigDelta {
        let prev = prev.masks();
        let cur = cur.masks();
        ConfigDelta {
            removed: prev.and_not(&cur),
            added: cur.and_not(&prev),
        }
    }

    /// Whether anything left the configuration.
    pub const fn has_removals(&self) -> bool {
        !self.removed.is_empty()
    }

    /// Whether anything joined the configuration.
    pub const fn has_additions(&self) -> bool {
        !self.added.is_empty()
    }

    /// The queues whose type the driver tests (TAPQ with the T bit) to
    /// find added adapters older than CEX4: added adapters x added domains.
    /// With no added domain nothing is tested and every added adapter is
    /// kept, as upstream does.
    pub fn type_check_queues(&self) -> Queues {
        Queues::new(&self.added.apm, &self.added.aqm)
    }

    /// Forgets added adapters that vfio_ap does not support (found with
    /// [`adapter_type_supported`]), so no mdev waits for them.
    pub fn drop_added_adapters(&mut self, unsupported: &Mask) {
        self.added.apm = self.added.apm.and_not(unsupported);
    }
}

/// Whether a TAPQ with the T bit shows an adapter vfio_ap supports: the
/// response code must carry the type (00, 02, 03, 04, 05) and the type
/// must be CEX4 or newer. An adapter of unknown type is not supported.
pub const fn adapter_type_supported(rc: u8, adapter_type: u8) -> bool {
    matches!(rc, 0x00 | 0x02 | 0x03 | 0x04 | 0x05) && adapter_type >= AP_DEVICE_TYPE_CEX4
}

/// What happens to the queue object itself when a queue is removed from
/// vfio_ap (the AP queue driver's remove callback).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RemovedQueue {
    /// The queue was in a guest: its adapter was unplugged, and the plan's
    /// resets (its adapter's guest queues) include the queue itself.
    InGuest,
    /// Reset just this queue (ZAPQ and wait): it is still configured.
    ResetQueue,
    /// It left the configuration, so ZAPQ would only fail with 01: just
    /// free its interruption resources.
    FreeIrqOnly,
}

/// The decision for a queue being removed from vfio_ap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueueRemoval {
    /// The plan for the owning mdev, if an mdev holds the queue.
    pub plan: Option<Plan>,
    /// What to do with the queue.
    pub action: RemovedQueue,
}

/// Index of the mdev that holds `q`, if any.
#[cfg(any(test, not(CONFIG_RUST)))]
pub fn owner_of<'a, I>(mdevs: I, q: Apqn) -> Option<usize>
where
    I: IntoIterator<Item = &'a Mdev>,
{
    mdevs.into_iter().position(|m| m.holds(q))
}

/// Plans the removal of queue `q` from vfio_ap. `owner` is the mdev that
/// holds it, if any. Call before the driver forgets the queue; afterwards
/// record it with [`HostState::unbind`].
///
/// A queue in the guest takes its whole adapter out of the guest, and the
/// adapter's guest queues are reset. Otherwise only this queue is reset,
/// unless it left the host's configuration.
pub fn remove_queue(owner: Option<&mut Mdev>, q: Apqn, host: &HostState) -> QueueRemoval {
    let mut plan = None;
    if let Some(m) = owner {
        let old = *m.shadow();
        if old.contains(q) {
            m.drop_guest_adapter(q.apid);
            let resets = ResetSet::product(&Mask::EMPTY.with(q.apid), &m.shadow().aqm);
            return QueueRemoval {
                plan: Some(Plan::new(old, *m.shadow(), resets)),
                action: RemovedQueue::InGuest,
            };
        }
        plan = Some(Plan::unchanged(&old));
    }
    let action = if host.config.contains(q) {
        RemovedQueue::ResetQueue
    } else {
        RemovedQueue::FreeIrqOnly
    };
    QueueRemoval { plan, action }
}

impl Mdev {
    /// A queue this mdev holds was probed and recorded with
    /// [`HostState::bind`]: re-filter, unless a configuration scan is in
    /// progress for this mdev's adapters or domains (then
    /// [`Mdev::on_scan_complete`] does it once for all new queues).
    pub fn on_queue_probed(&mut self, host: &HostState) -> Plan {
        let old = *self.shadow();
        if !self.pending().apm.is_empty() || !self.pending().aqm.is_empty() {
            return Plan::unchanged(&old);
        }
        let f = self.refilter_matrix(host);
        self.plan_after_filter(old, f)
    }

    /// First half of `on_config_changed`: unplug what left the host's
    /// configuration and this mdev has assigned. No queue is reset; the
    /// hardware did that.
    pub fn on_config_removed(&mut self, delta: &ConfigDelta) -> Plan {
        let old = *self.shadow();
        let removed = delta.removed.and(self.assigned());
        if removed.is_empty() {
            return Plan::unchanged(&old);
        }
        self.drop_from_guest(&removed);
        Plan::new(old, *self.shadow(), ResetSet::EMPTY)
    }

    /// Second half of `on_config_changed`: note which of this mdev's
    /// adapters, domains and control domains joined the configuration
    /// (after [`ConfigDelta::drop_added_adapters`]). Nothing happens to
    /// the guest until [`Mdev::on_scan_complete`].
    pub fn on_config_added(&mut self, delta: &ConfigDelta) {
        if delta.has_additions() {
            let pending = delta.added.and(self.assigned());
            self.set_pending(pending);
        }
    }

    /// `on_scan_complete`: plug in what [`Mdev::on_config_added`] noted,
    /// with one filtering, and reset the queues of adapters that the
    /// filtering took out of the guest. The host's configuration must
    /// already be the new one.
    pub fn on_scan_complete(&mut self, host: &HostState) -> Plan {
        let old = *self.shadow();
        let pending = *self.pending();
        if pending.is_empty() {
            return Plan::unchanged(&old);
        }
        let assigned = *self.assigned();
        let mut apm_filtered = Mask::EMPTY;
        if assigned.apm.intersects(&pending.apm) || assigned.aqm.intersects(&pending.aqm) {
            let f = self.refilter_matrix(host);
            apm_filtered = f.apm_filtered;
        }
        if assigned.adm.intersects(&pending.adm) {
            self.refilter_cdoms(host);
        }
        self.set_pending(Apcb::EMPTY);
        let resets = ResetSet::product(&apm_filtered, &self.shadow().aqm);
        Plan::new(old, *self.shadow(), resets)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testutil::{apcb, bound_host, config};
    use std::vec::Vec;

    fn mdev(h: &HostState, apm: &[u8], aqm: &[u8], adm: &[u8]) -> Mdev {
        let mut m = Mdev::new(h);
        m.set_ap_config(&apcb(apm, aqm, adm), h, h, [&Apcb::EMPTY; 0])
            .unwrap();
        m
    }

    #[test]
    fn probe_of_the_last_missing_queue_plugs_the_adapter() {
        // H2/E6.
        let mut h = bound_host(config(&[5, 6], &[4, 0xab], &[]));
        h.unbind(Apqn::new(6, 0xab));
        let mut m = mdev(&h, &[5, 6], &[4, 0xab], &[]);
        assert_eq!(m.shadow().apm, Mask::from_ids(&[5]));
        h.bind(Apqn::new(6, 0xab));
        let p = m.on_queue_probed(&h);
        assert!(p.update_guest && p.resets.is_empty());
        assert_eq!(p.new_shadow.apm, Mask::from_ids(&[5, 6]));
    }

    #[test]
    fn removing_a_guest_queue_unplugs_its_adapter() {
        // H1: unbind 05.0004: adapter 5 leaves, 05.0004 and 05.00ab reset.
        let mut h = bound_host(config(&[5, 6], &[4, 0xab], &[]));
        let mut m = mdev(&h, &[5, 6], &[4, 0xab], &[]);
        let q = Apqn::new(5, 4);
        let r = remove_queue(Some(&mut m), q, &h);
        assert_eq!(r.action, RemovedQueue::InGuest);
        let p = r.plan.unwrap();
        assert!(p.update_guest);
        assert_eq!(p.new_shadow.apm, Mask::from_ids(&[6]));
        assert_eq!(
            p.reset_queues(h.bound()).collect::<Vec<_>>(),
            [Apqn::new(5, 4), Apqn::new(5, 0xab)]
        );
        h.unbind(q);
        // H2: probing it again plugs the adapter back.
        h.bind(q);
        assert_eq!(
            m.on_queue_probed(&h).new_shadow.apm,
            Mask::from_ids(&[5, 6])
        );
    }

    #[test]
    fn removing_other_queues() {
        let h = bound_host(config(&[5], &[4], &[]));
        // Held, but not in the guest because its adapter is not
        // configured; then queues no mdev holds.
        let mut m = mdev(&h, &[7], &[4], &[]);
        let r = remove_queue(Some(&mut m), Apqn::new(7, 4), &h);
        assert_eq!(r.action, RemovedQueue::FreeIrqOnly);
        assert!(r.plan.unwrap().is_noop());
        let r = remove_queue(None, Apqn::new(5, 4), &h);
        assert_eq!(
            r,
            QueueRemoval {
                plan: None,
                action: RemovedQueue::ResetQueue
            }
        );
        let r = remove_queue(None, Apqn::new(5, 5), &h);
        assert_eq!(r.action, RemovedQueue::FreeIrqOnly);
    }

    #[test]
    fn owner_lookup() {
        let h = bound_host(config(&[1, 2], &[1], &[]));
        let a = mdev(&h, &[1], &[1], &[]);
        let b = mdev(&h, &[2], &[1], &[]);
        let mdevs = [a, b];
        assert_eq!(owner_of(&mdevs, Apqn::new(2, 1)), Some(1));
        assert_eq!(owner_of(&mdevs, Apqn::new(3, 1)), None);
    }

    #[test]
    fn config_removal_unplugs_without_resets() {
        // H3/H6/H8: adapter A (the only one) and control domain c leave.
        let prev = config(&[0xa], &[1], &[3]);
        let mut h = bound_host(prev);
        let mut m = mdev(&h, &[0xa], &[1], &[3]);
        assert_eq!(
            *m.shadow(),
            Apcb::new(
                Mask::from_ids(&[0xa]),
                Mask::from_ids(&[1]),
                Mask::from_ids(&[3])
            )
        );
        let cur = config(&[], &[1], &[]);
        let d = ConfigDelta::between(&prev, &cur);
        assert!(d.has_removals() && !d.has_additions());
        let p = m.on_config_removed(&d);
        assert!(p.update_guest && p.resets.is_empty());
        assert_eq!(
            p.new_shadow,
            Apcb::new(Mask::EMPTY, Mask::from_ids(&[1]), Mask::EMPTY)
        );
        // The assignment itself is kept.
        assert_eq!(m.assigned().apm, Mask::from_ids(&[0xa]));
        h.set_config(cur);
        // The bus then removes the queue: it left the configuration.
        assert_eq!(
            remove_queue(Some(&mut m), Apqn::new(0xa, 1), &h).action,
            RemovedQueue::FreeIrqOnly
        );
    }

    #[test]
    fn config_removal_only_touches_mdevs_that_have_it() {
        // H7: two mdevs, only U1's adapter leaves.
        let prev = config(&[0xa, 0xb], &[1], &[]);
        let h = bound_host(prev);
        let mut u1 = mdev(&h, &[0xa], &[1], &[]);
        let mut u2 = mdev(&h, &[0xb], &[1], &[]);
        let d = ConfigDelta::between(&prev, &config(&[0xb], &[1], &[]));
        assert!(u1.on_config_removed(&d).update_guest);
        assert!(u2.on_config_removed(&d).is_noop());
    }

    #[test]
    fn config_addition_waits_for_scan_completion() {
        // H4: A comes back; its queue is probed during the scan; the guest
        // is updated once, at scan completion.
        let prev = config(&[], &[1], &[]);
        let mut h = bound_host(prev);
        let mut m = mdev(&h, &[0xa], &[1], &[]);
        assert!(m.shadow().apm.is_empty());
        let cur = config(&[0xa], &[1], &[]);
        let mut d = ConfigDelta::between(&prev, &cur);
        assert!(d.has_additions());
        // No domain was added, so no type check happens.
        assert_eq!(d.type_check_queues().count(), 0);
        d.drop_added_adapters(&Mask::EMPTY);
        m.on_config_added(&d);
        assert_eq!(m.pending().apm, Mask::from_ids(&[0xa]));
        h.set_config(cur);
        h.bind(Apqn::new(0xa, 1));
        let p = m.on_queue_probed(&h);
        assert!(p.is_noop(), "deferred to scan completion");
        let p = m.on_scan_complete(&h);
        assert!(p.update_guest);
        assert_eq!(p.new_shadow.apm, Mask::from_ids(&[0xa]));
        assert_eq!(*m.pending(), Apcb::EMPTY);
        assert!(m.on_scan_complete(&h).is_noop());
    }

    #[test]
    fn control_domain_addition_alone() {
        // H5: the assigned control domain c joins the host's ADM.
        let prev = config(&[1], &[1], &[]);
        let mut h = bound_host(prev);
        let mut m = mdev(&h, &[1], &[1], &[0xc]);
        assert!(m.shadow().adm.is_empty());
        let cur = config(&[1], &[1], &[0xc]);
        let d = ConfigDelta::between(&prev, &cur);
        m.on_config_added(&d);
        h.set_config(cur);
        // Probing during the scan is not deferred by a control domain.
        let p = m.on_scan_complete(&h);
        assert!(p.update_guest && p.resets.is_empty());
        assert_eq!(p.new_shadow.adm, Mask::from_ids(&[0xc]));
        assert_eq!(
            m.assigned().adm,
            Mask::from_ids(&[0xc]),
            "ap_config is unchanged"
        );
    }

    #[test]
    fn unsupported_adapters_are_not_waited_for() {
        // H10.
        let prev = config(&[], &[], &[]);
        let cur = config(&[0xa, 0xb], &[1], &[]);
        let h = bound_host(prev);
        let mut m = mdev(&h, &[0xa, 0xb], &[1], &[]);
        let mut d = ConfigDelta::between(&prev, &cur);
        let checked: Vec<Apqn> = d.type_check_queues().collect();
        assert_eq!(checked, [Apqn::new(0xa, 1), Apqn::new(0xb, 1)]);
        let mut unsupported = Mask::EMPTY;
        for (q, (rc, at)) in checked.iter().zip([(0x00, 11), (0x00, 8)]) {
            if !adapter_type_supported(rc, at) {
                unsupported.set(q.apid);
            }
        }
        d.drop_added_adapters(&unsupported);
        m.on_config_added(&d);
        assert_eq!(m.pending().apm, Mask::from_ids(&[0xa]));
    }

    #[test]
    fn adapter_type_rule() {
        assert!(adapter_type_supported(0x00, 10));
        assert!(adapter_type_supported(0x03, 14));
        assert!(adapter_type_supported(0x05, 12));
        assert!(!adapter_type_supported(0x00, 9));
        assert!(!adapter_type_supported(0x01, 12));
        assert!(!adapter_type_supported(0x06, 12));
    }

    #[test]
    fn scan_completion_resets_filtered_adapters() {
        // A domain joins; adapter 1's queue in it is not bound, so adapter
        // 1 leaves the guest and its queues there are reset.
        let prev = config(&[1], &[1], &[]);
        let mut h = bound_host(prev);
        let mut m = mdev(&h, &[1], &[1, 2], &[]);
        let cur = config(&[1], &[1, 2], &[]);
        let d = ConfigDelta::between(&prev, &cur);
        m.on_config_added(&d);
        h.set_config(cur);
        let p = m.on_scan_complete(&h);
        assert_eq!(p.new_shadow.apm, Mask::EMPTY);
        assert_eq!(p.new_shadow.aqm, Mask::from_ids(&[1, 2]));
        assert_eq!(
            p.reset_queues(h.bound()).collect::<Vec<_>>(),
            [Apqn::new(1, 1)]
        );
    }
}
