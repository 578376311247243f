// SPDX-License-Identifier: GPL-2.0

//! A small simulation of a host running vfio_ap, built only from the
//! model's public API the way the driver uses it: the AP bus binds
//! queues, the admin writes sysfs attributes, the configuration changes,
//! and every plan is executed and checked. The AP bus's events run the
//! driver's own sequence (`model::events`), with effects that record and
//! check what the driver would do.

use vfio_ap_model::apqn::Apqn;
use vfio_ap_model::error::Result;
use vfio_ap_model::events::{self, Effects, Mdevs};
use vfio_ap_model::filter::guest_apcb;
use vfio_ap_model::host::{ApConfig, DefaultMasks, DefaultOwner, HostState, QueueSet};
use vfio_ap_model::hotplug::{owner_of, RemovedQueue, AP_DEVICE_TYPE_CEX4};
use vfio_ap_model::mask::Mask;
use vfio_ap_model::matrix::Apcb;
use vfio_ap_model::mdev::{AssignAttr, Mdev};
use vfio_ap_model::plan::Plan;
use vfio_ap_model::validate::{store_bus_mask, BusMask};

/// One executed reset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ResetEvent {
    pub(crate) mdev: Option<usize>,
    pub(crate) queue: Apqn,
}

#[derive(Clone, Debug)]
pub(crate) struct World {
    pub(crate) host: HostState,
    pub(crate) mdevs: Vec<Mdev>,
    /// Queues the admin unbound from vfio_ap by hand.
    pub(crate) unbound_by_admin: QueueSet,
    /// Adapters of a type vfio_ap does not support.
    pub(crate) old_adapters: Mask,
    /// Every queue reset so far.
    pub(crate) resets: Vec<ResetEvent>,
    /// How many CRYCB updates each mdev's guest saw.
    pub(crate) guest_updates: Vec<usize>,
}

pub(crate) fn config(apm: Mask, aqm: Mask, adm: Mask) -> ApConfig {
    ApConfig {
        apxa: true,
        na: 255,
        nd: 255,
        apm,
        aqm,
        adm,
    }
}

impl World {
    /// A host with `cfg` and the AP bus masks `defaults`; the bus binds
    /// every free queue to vfio_ap.
    pub(crate) fn new(cfg: ApConfig, defaults: DefaultMasks) -> World {
        let mut w = World {
            host: HostState::new(cfg, defaults),
            mdevs: Vec::new(),
            unbound_by_admin: QueueSet::EMPTY,
            old_adapters: Mask::EMPTY,
            resets: Vec::new(),
            guest_updates: Vec::new(),
        };
        w.revise_bindings();
        w
    }

    pub(crate) fn create_mdev(&mut self) -> usize {
        self.mdevs.push(Mdev::new(&self.host));
        self.guest_updates.push(0);
        self.mdevs.len() - 1
    }

    pub(crate) fn others(&self, i: usize) -> Vec<Apcb> {
        self.mdevs
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, m)| *m.assigned())
            .collect()
    }

    pub(crate) fn all_assigned(&self) -> Vec<Apcb> {
        self.mdevs.iter().map(|m| *m.assigned()).collect()
    }

    /// Whether the AP bus would bind `q` to vfio_ap.
    fn wants_vfio(&self, q: Apqn) -> bool {
        self.host.config.contains(q)
            && !self.host.defaults.owned_by_default(q)
            && !self.unbound_by_admin.contains(q)
            && !self.old_adapters.test(q.apid)
    }

    /// Executes a plan for mdev `i` and checks it against the rules every
    /// plan must keep. `cfg` is the host configuration the plan is about.
    pub(crate) fn execute(&mut self, i: Option<usize>, plan: &Plan, cfg: &ApConfig) {
        check_plan(&self.host, plan, cfg);
        for q in plan.reset_queues(self.host.bound()) {
            self.resets.push(ResetEvent { mdev: i, queue: q });
        }
        self.after_plans(i, core::slice::from_ref(plan));
    }

    /// Checks the plans executed for mdev `i` against its model now, and
    /// counts the guest's updates.
    fn after_plans(&mut self, i: Option<usize>, plans: &[Plan]) {
        let Some(i) = i else { return };
        for plan in plans {
            assert_eq!(
                plan.new_shadow,
                *self.mdevs[i].shadow(),
                "plan reports the new shadow"
            );
            if plan.update_guest {
                self.guest_updates[i] += 1;
            }
        }
    }

    /// Runs an AP bus event on mdev `owner` (or on none) with recording
    /// effects; `cfg` is the configuration its plans are checked against.
    /// Returns the event's result and the plans it executed.
    fn event<R>(
        &mut self,
        owner: Option<usize>,
        cfg: ApConfig,
        event: impl FnOnce(&mut dyn Effects, Option<&mut Mdev>) -> R,
    ) -> (R, Vec<Plan>) {
        let mut fx = Recorder {
            host: &mut self.host,
            cfg,
            mdev: owner,
            plans: Vec::new(),
            resets: Vec::new(),
        };
        let r = event(&mut fx, owner.map(|i| &mut self.mdevs[i]));
        let Recorder { plans, resets, .. } = fx;
        self.resets.extend(resets);
        self.after_plans(owner, &plans);
        (r, plans)
    }

    pub(crate) fn store(&mut self, i: usize, attr: AssignAttr, input: &[u8]) -> Result<Plan> {
        let others = self.others(i);
        let before = self.mdevs[i].clone();
        let r = self.mdevs[i].store(attr, input, &self.host, &self.host, others.iter());
        match &r {
            Ok(plan) => {
                let cfg = self.host.config;
                self.execute(Some(i), plan, &cfg);
            }
            Err(_) => assert_eq!(self.mdevs[i], before, "an error changes nothing"),
        }
        r
    }

    #[allow(
        dead_code,
        reason = "only properties.rs calls it (each test binary has its own copy)"
    )]
    pub(crate) fn write_ap_config(&mut self, i: usize, input: &[u8]) -> Result<Plan> {
        let others = self.others(i);
        let before = self.mdevs[i].clone();
        let r = self.mdevs[i].write_ap_config(input, &self.host, &self.host, others.iter());
        match &r {
            Ok(plan) => {
                let cfg = self.host.config;
                self.execute(Some(i), plan, &cfg);
            }
            Err(_) => assert_eq!(self.mdevs[i], before, "an error changes nothing"),
        }
        r
    }

    /// The AP bus probes `q` for vfio_ap.
    pub(crate) fn probe(&mut self, q: Apqn) {
        assert!(!self.host.is_bound(q));
        let owner = owner_of(&self.mdevs, q);
        let cfg = self.host.config;
        self.event(owner, cfg, |fx, m| events::queue_probed(fx, m, q));
    }

    /// The AP bus removes `q` from vfio_ap.
    pub(crate) fn remove(&mut self, q: Apqn) -> RemovedQueue {
        assert!(self.host.is_bound(q));
        let owner = owner_of(&self.mdevs, q);
        let cfg = self.host.config;
        let (action, plans) = self.event(owner, cfg, |fx, m| events::queue_removed(fx, m, q));
        if action == RemovedQueue::InGuest {
            assert!(
                plans.iter().any(|p| p.resets.contains(q)),
                "the removed queue is reset with its adapter"
            );
        }
        assert!(!self.host.is_bound(q));
        action
    }

    /// `ap_bus_revise_bindings`: bind and unbind queues to match the rules.
    pub(crate) fn revise_bindings(&mut self) {
        let bound: Vec<Apqn> = self.host.bound().iter().collect();
        for q in bound {
            if !self.wants_vfio(q) {
                self.remove(q);
            }
        }
        let cfg = self.host.config;
        for q in cfg.masks().queues() {
            if self.wants_vfio(q) && !self.host.is_bound(q) {
                self.probe(q);
            }
        }
    }

    pub(crate) fn admin_unbind(&mut self, q: Apqn) {
        self.unbound_by_admin.insert(q);
        self.revise_bindings();
    }

    pub(crate) fn admin_bind(&mut self, q: Apqn) {
        self.unbound_by_admin.remove(q);
        self.revise_bindings();
    }

    pub(crate) fn write_bus_mask(&mut self, which: BusMask, input: &[u8]) -> Result<bool> {
        let all = self.all_assigned();
        let before = self.host.defaults;
        let r = store_bus_mask(&mut self.host.defaults, which, input, all.iter());
        match r {
            Ok(true) => self.revise_bindings(),
            Ok(false) => assert_eq!(self.host.defaults, before),
            Err(_) => assert_eq!(
                self.host.defaults, before,
                "a refused mask change changes nothing"
            ),
        }
        r
    }

    /// The host's AP configuration changes to `new` and the AP bus scans.
    pub(crate) fn change_config(&mut self, new: ApConfig) {
        let old = self.host.config;
        if old == new {
            return;
        }
        events::config_changed(&mut Bus { w: self, cfg: new }, &old, &new);
        // The bus removes and adds queue devices.
        self.revise_bindings();
        events::scan_complete(&mut Bus { w: self, cfg: new });
    }

    /// The invariants that must hold between any two operations.
    pub(crate) fn check_invariants(&self) {
        let cfg = self.host.config;
        for (i, m) in self.mdevs.iter().enumerate() {
            let a = m.assigned();
            let s = m.shadow();
            // No APQN is both the default drivers' and an mdev's.
            assert!(
                !self.host.defaults.owns_any(&a.apm, &a.aqm),
                "mdev {i} holds a default-owned APQN"
            );
            // No APQN in two mdevs.
            for (j, o) in self.mdevs.iter().enumerate().skip(i + 1) {
                let oa = o.assigned();
                assert!(
                    !(a.apm.intersects(&oa.apm) && a.aqm.intersects(&oa.aqm)),
                    "mdevs {i} and {j} share an APQN"
                );
            }
            // The guest gets a subset of assigned x configured x bound.
            assert!(
                s.is_subset_of(&a.and(&cfg.masks())),
                "mdev {i}: shadow outside assigned/config"
            );
            for q in s.queues() {
                assert!(
                    self.host.is_passable(q),
                    "mdev {i}: guest queue {q} not usable"
                );
            }
            assert!(
                s.apm.is_subset_of(&guest_apcb(a, &self.host).apm),
                "mdev {i}: more adapters than filtering allows"
            );
            // Domains and control domains follow assignment and
            // configuration exactly; adapters may lag (see unassign_domain).
            assert_eq!(s.aqm, a.aqm.and(&cfg.aqm), "mdev {i}: guest domains");
            assert_eq!(
                s.adm,
                a.adm.and(&cfg.adm),
                "mdev {i}: guest control domains"
            );
            assert!(
                m.pending().is_empty(),
                "mdev {i}: scan bookkeeping left behind"
            );
        }
        // The bus bindings follow the masks.
        for q in cfg.masks().queues() {
            assert_eq!(self.host.is_bound(q), self.wants_vfio(q), "binding of {q}");
        }
    }

    /// Whether mdev `i`'s guest APCB is what filtering from scratch gives.
    #[allow(
        dead_code,
        reason = "only properties.rs calls it (each test binary has its own copy)"
    )]
    pub(crate) fn is_steady(&self, i: usize) -> bool {
        *self.mdevs[i].shadow() == guest_apcb(self.mdevs[i].assigned(), &self.host)
    }
}

/// The rules every executed plan keeps; `cfg` is the host configuration
/// the plan is about.
fn check_plan(host: &HostState, plan: &Plan, cfg: &ApConfig) {
    assert_eq!(plan.update_guest, plan.old_shadow != plan.new_shadow);
    // No queue that stays in the guest is reset.
    for q in plan.resets.iter() {
        assert!(
            !plan.new_shadow.contains(q),
            "{q} reset while staying in the guest"
        );
    }
    // Every usable queue that leaves the guest is reset, unless it left
    // the configuration (the hardware resets those).
    for q in plan.old_shadow.queues() {
        if !plan.new_shadow.contains(q) && host.is_bound(q) && cfg.contains(q) {
            assert!(
                plan.resets.contains(q),
                "{q} left the guest without a reset"
            );
        }
    }
}

/// The effects of one AP bus event on mdev `mdev` (or on none): the
/// plans checked and the resets recorded when the driver would carry
/// them out.
struct Recorder<'a> {
    host: &'a mut HostState,
    cfg: ApConfig,
    mdev: Option<usize>,
    plans: Vec<Plan>,
    resets: Vec<ResetEvent>,
}

impl Effects for Recorder<'_> {
    fn host(&mut self) -> &mut HostState {
        self.host
    }

    fn execute(&mut self, plan: &Plan) {
        check_plan(self.host, plan, &self.cfg);
        for q in plan.reset_queues(self.host.bound()) {
            self.resets.push(ResetEvent {
                mdev: self.mdev,
                queue: q,
            });
        }
        self.plans.push(*plan);
    }

    fn reset_queue(&mut self, q: Apqn) {
        self.resets.push(ResetEvent {
            mdev: self.mdev,
            queue: q,
        });
    }

    fn release_irqs(&mut self, _q: Apqn) {}
}

/// The world's mdevs for the configuration events; `cfg` is the
/// configuration their plans are checked against (the new one).
struct Bus<'w> {
    w: &'w mut World,
    cfg: ApConfig,
}

impl Mdevs for Bus<'_> {
    fn is_empty(&self) -> bool {
        self.w.mdevs.is_empty()
    }

    fn for_each(&mut self, f: &mut dyn FnMut(&mut Mdev, &mut dyn Effects)) {
        for i in 0..self.w.mdevs.len() {
            self.w.event(Some(i), self.cfg, |fx, m| {
                if let Some(m) = m {
                    f(m, fx);
                }
            });
        }
    }

    fn note_each(&mut self, f: &mut dyn FnMut(&mut Mdev)) {
        for m in &mut self.w.mdevs {
            f(m);
        }
    }

    fn adapter_type(&mut self, q: Apqn) -> (u8, u8) {
        // Response code 00 with the type: below CEX4 for the old ones.
        if self.w.old_adapters.test(q.apid) {
            (0x00, AP_DEVICE_TYPE_CEX4 - 1)
        } else {
            (0x00, AP_DEVICE_TYPE_CEX4)
        }
    }

    fn set_config(&mut self, config: ApConfig) {
        self.w.host.set_config(config);
    }
}
