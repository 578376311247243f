// SPDX-License-Identifier: GPL-2.0

//! The AP bus's events in the order the driver carries them out: a queue
//! probed, a queue removed, a configuration change and the end of the scan
//! that follows it.
//!
//! The model decides; what the decisions make happen outside it (the
//! guest's CRYCB, the cfg_chg signal, queue resets, interruptions released,
//! adapter types asked of the hardware) goes through [`Effects`] and
//! [`Mdevs`], which the driver implements with its locks and instructions,
//! and the host tests with a recording simulation. Both run this sequence.

use super::apqn::Apqn;
use super::host::{ApConfig, HostState};
use super::hotplug::{adapter_type_supported, remove_queue, ConfigDelta, RemovedQueue};
use super::mask::Mask;
use super::mdev::Mdev;
use super::plan::Plan;

/// What an event does outside the model, for the one mdev it concerns (or
/// none).
pub trait Effects {
    /// The host side of the model (the driver keeps it under its mdevs
    /// lock).
    fn host(&mut self) -> &mut HostState;

    /// Carries out `plan` for the mdev: the guest's CRYCB and the cfg_chg
    /// signal, then the resets of the plan's bound queues and the release
    /// of what they held for guest interruptions.
    fn execute(&mut self, plan: &Plan);

    /// Resets queue `q` alone (it leaves vfio_ap outside any guest).
    fn reset_queue(&mut self, q: Apqn);

    /// Releases what `q` held for the mdev's guest interruptions, which a
    /// reset or the configuration turned off.
    fn release_irqs(&mut self, q: Apqn);
}

/// All mdevs, for the events that concern each of them.
pub trait Mdevs {
    /// Whether there is no mdev.
    fn is_empty(&self) -> bool;

    /// Calls `f` for each mdev in list order, with the effects for it
    /// (the driver holds the guest's `kvm->lock` and the mdevs lock).
    fn for_each(&mut self, f: &mut dyn FnMut(&mut Mdev, &mut dyn Effects));

    /// Calls `f` for each mdev in list order, with no effects (the driver
    /// holds only the mdevs lock).
    fn note_each(&mut self, f: &mut dyn FnMut(&mut Mdev));

    /// The response code and the adapter type of a TAPQ (with the T bit)
    /// of queue `q`.
    fn adapter_type(&mut self, q: Apqn) -> (u8, u8);

    /// Makes `config` the host's AP configuration.
    fn set_config(&mut self, config: ApConfig);
}

/// The AP bus probed queue `q` for vfio_ap; `owner` is the mdev that holds
/// it, if any, which may plug it into its guest.
pub fn queue_probed(fx: &mut dyn Effects, owner: Option<&mut Mdev>, q: Apqn) {
    fx.host().bind(q);
    if let Some(m) = owner {
        let plan = m.on_queue_probed(fx.host());
        fx.execute(&plan);
    }
}

/// The AP bus removes queue `q` from vfio_ap; `owner` is the mdev that
/// holds it, if any. A queue in the guest takes its adapter out and is
/// reset with it; any other queue is reset alone unless it left the
/// configuration; either way, what it held for guest interruptions is
/// released before the host forgets it.
pub fn queue_removed(fx: &mut dyn Effects, owner: Option<&mut Mdev>, q: Apqn) -> RemovedQueue {
    let removal = remove_queue(owner, q, fx.host());
    if let Some(plan) = &removal.plan {
        fx.execute(plan);
    }
    match removal.action {
        // The plan's resets include the queue itself, and executing it
        // released what the queue held.
        RemovedQueue::InGuest => {}
        RemovedQueue::ResetQueue => {
            fx.reset_queue(q);
            fx.release_irqs(q);
        }
        // Not in the configuration, so not reset: its interruptions are
        // off with it.
        RemovedQueue::FreeIrqOnly => fx.release_irqs(q),
    }
    fx.host().unbind(q);
    removal.action
}

/// The host's AP configuration changed from `old` to `new`, before the
/// AP bus adds or removes queue devices: what left is unplugged from every
/// guest at once; what joined is noted per mdev (the added adapters of
/// unsupported types left out) for [`scan_complete`].
pub fn config_changed(mdevs: &mut dyn Mdevs, old: &ApConfig, new: &ApConfig) {
    let mut delta = ConfigDelta::between(old, new);
    if delta.has_removals() {
        mdevs.for_each(&mut |m, fx| {
            let plan = m.on_config_removed(&delta);
            fx.execute(&plan);
        });
    }
    if delta.has_additions() && !mdevs.is_empty() {
        let mut unsupported = Mask::EMPTY;
        for q in delta.type_check_queues() {
            if unsupported.test(q.apid) {
                continue;
            }
            let (rc, adapter_type) = mdevs.adapter_type(q);
            if !adapter_type_supported(rc, adapter_type) {
                unsupported.set(q.apid);
            }
        }
        delta.drop_added_adapters(&unsupported);
        mdevs.note_each(&mut |m| m.on_config_added(&delta));
    }
    mdevs.set_config(*new);
}

/// The AP bus's scan after a configuration change is complete: every mdev
/// plugs in what joined, with one update of its guest.
pub fn scan_complete(mdevs: &mut dyn Mdevs) {
    mdevs.for_each(&mut |m, fx| {
        let plan = m.on_scan_complete(fx.host());
        fx.execute(&plan);
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::matrix::Apcb;
    use crate::model::testutil::{apcb, bound_host, config};
    use std::boxed::Box;
    use std::vec::Vec;

    /// What the effects were asked to do, in order.
    #[derive(Debug, PartialEq, Eq)]
    enum Did {
        Execute(Apcb),
        Reset(Apqn),
        Release(Apqn),
    }

    struct Log {
        host: Box<HostState>,
        did: Vec<Did>,
    }

    impl Effects for Log {
        fn host(&mut self) -> &mut HostState {
            &mut self.host
        }
        fn execute(&mut self, plan: &Plan) {
            self.did.push(Did::Execute(plan.new_shadow));
        }
        fn reset_queue(&mut self, q: Apqn) {
            self.did.push(Did::Reset(q));
        }
        fn release_irqs(&mut self, q: Apqn) {
            self.did.push(Did::Release(q));
        }
    }

    fn mdev(h: &HostState, apm: &[u8], aqm: &[u8]) -> Mdev {
        let mut m = Mdev::new(h);
        m.set_ap_config(&apcb(apm, aqm, &[]), h, h, [&Apcb::EMPTY; 0])
            .unwrap();
        m
    }

    #[test]
    fn removal_steps_and_their_order() {
        let h = bound_host(config(&[5, 6], &[4], &[]));
        let mut m = mdev(&h, &[5], &[4]);
        let mut fx = Log {
            host: h,
            did: Vec::new(),
        };
        // In the guest: the plan (adapter 5 out) and nothing else.
        let q = Apqn::new(5, 4);
        assert_eq!(
            queue_removed(&mut fx, Some(&mut m), q),
            RemovedQueue::InGuest
        );
        assert_eq!(fx.did, [Did::Execute(apcb(&[], &[4], &[]))]);
        assert!(!fx.host.is_bound(q));
        // No owner, configured: reset, then release.
        fx.did = Vec::new();
        let q = Apqn::new(6, 4);
        assert_eq!(queue_removed(&mut fx, None, q), RemovedQueue::ResetQueue);
        assert_eq!(fx.did, [Did::Reset(q), Did::Release(q)]);
        // Probing it again binds it; no owner, nothing to execute.
        fx.did = Vec::new();
        queue_probed(&mut fx, None, q);
        assert!(fx.host.is_bound(q) && fx.did.is_empty());
        // Its owner, which lacks it, plugs it in.
        fx.host.unbind(q);
        let mut m6 = mdev(&fx.host, &[6], &[4]);
        assert!(m6.shadow().apm.is_empty());
        queue_probed(&mut fx, Some(&mut m6), q);
        assert_eq!(fx.did, [Did::Execute(apcb(&[6], &[4], &[]))]);
    }
}
