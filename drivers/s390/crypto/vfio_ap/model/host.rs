// SPDX-License-Identifier: GPL-2.0

//! What the model knows about the host: its AP configuration (QCI), which
//! APQNs the AP bus reserves for the default drivers, and which queues are
//! bound to vfio_ap.

use super::apqn::{Apid, Apqn};
use super::mask::Mask;
use super::matrix::{Apcb, Limits, Queues};
use super::response::queue_passable;

/// The host's AP configuration as QCI reports it.
///
/// The all-zero value is what the driver has when facility 12 (QCI) is not
/// installed: no APXA, nothing configured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[cfg_attr(CONFIG_RUST, derive(pin_init::Zeroable))]
pub struct ApConfig {
    /// The APXA facility (N bit): ids beyond 63/15 exist.
    pub apxa: bool,
    /// Largest adapter number (`na`), meaningful with APXA.
    pub na: u8,
    /// Largest domain number (`nd`), meaningful with APXA.
    pub nd: u8,
    /// Configured adapters.
    pub apm: Mask,
    /// Configured usage domains.
    pub aqm: Mask,
    /// Configured control domains.
    pub adm: Mask,
}

impl ApConfig {
    /// No QCI: no APXA, nothing configured.
    #[cfg(any(test, not(CONFIG_RUST)))]
    pub const EMPTY: ApConfig = ApConfig {
        apxa: false,
        na: 0,
        nd: 0,
        apm: Mask::EMPTY,
        aqm: Mask::EMPTY,
        adm: Mask::EMPTY,
    };

    /// The id limits this configuration gives a matrix (the largest
    /// adapter and domain ids of the QCI with APXA, else 63 and 15).
    pub const fn limits(&self) -> Limits {
        Limits::for_host(self.apxa, self.na, self.nd)
    }

    /// The three masks as an APCB.
    pub const fn masks(&self) -> Apcb {
        Apcb::new(self.apm, self.aqm, self.adm)
    }

    /// Whether both the adapter and the domain of `q` are configured.
    pub const fn contains(&self, q: Apqn) -> bool {
        self.apm.test(q.apid) && self.aqm.test(q.apqi)
    }
}

/// Decides whether an APQN belongs to the host's default (zcrypt) drivers.
///
/// The kernel driver implements this with the AP bus's
/// `ap_apqn_in_matrix_owned_by_def_drv()`, which also honours
/// `driver_override`; the model's own implementation, [`DefaultMasks`],
/// applies the apmask/aqmask rule only.
pub trait DefaultOwner {
    /// Whether `q` is reserved for the default drivers.
    fn owned_by_default(&self, q: Apqn) -> bool;

    /// Whether any APQN of `apm` x `aqm` is reserved for the default
    /// drivers.
    fn owns_any(&self, apm: &Mask, aqm: &Mask) -> bool {
        Queues::new(apm, aqm).any(|q| self.owned_by_default(q))
    }
}

/// The AP bus `apmask` and `aqmask`: an APQN is reserved for the default
/// drivers when its APID is in `apmask` and its APQI in `aqmask`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(CONFIG_RUST, derive(pin_init::Zeroable))]
pub struct DefaultMasks {
    /// Adapters of the default drivers' pool.
    pub apmask: Mask,
    /// Domains of the default drivers' pool.
    pub aqmask: Mask,
}

impl DefaultMasks {
    /// The AP bus boot default: every APQN belongs to the default drivers.
    #[cfg(any(test, not(CONFIG_RUST)))]
    pub const BOOT: DefaultMasks = DefaultMasks {
        apmask: Mask::FULL,
        aqmask: Mask::FULL,
    };

    /// No APQN belongs to the default drivers.
    #[cfg(any(test, not(CONFIG_RUST)))]
    pub const NONE: DefaultMasks = DefaultMasks {
        apmask: Mask::EMPTY,
        aqmask: Mask::EMPTY,
    };

    /// Masks with the given values.
    #[cfg(any(test, not(CONFIG_RUST)))]
    pub const fn new(apmask: Mask, aqmask: Mask) -> DefaultMasks {
        DefaultMasks { apmask, aqmask }
    }
}

impl DefaultOwner for DefaultMasks {
    fn owned_by_default(&self, q: Apqn) -> bool {
        self.apmask.test(q.apid) && self.aqmask.test(q.apqi)
    }

    #[inline]
    fn owns_any(&self, apm: &Mask, aqm: &Mask) -> bool {
        apm.intersects(&self.apmask) && aqm.intersects(&self.aqmask)
    }
}

/// An arbitrary set of APQNs: one AQM-shaped row per adapter.
///
/// 8 KiB; the all-zero value is the empty set, so the kernel can allocate
/// it zeroed in place instead of building it on the stack.
#[derive(Clone, PartialEq, Eq, Hash)]
#[cfg_attr(CONFIG_RUST, derive(pin_init::Zeroable))]
pub struct QueueSet {
    rows: [Mask; 256],
}

impl QueueSet {
    /// The empty set.
    #[cfg(any(test, not(CONFIG_RUST)))]
    pub const EMPTY: QueueSet = QueueSet {
        rows: [Mask::EMPTY; 256],
    };

    /// Whether `q` is in the set.
    pub const fn contains(&self, q: Apqn) -> bool {
        self.rows[q.apid as usize].test(q.apqi)
    }

    /// Adds `q`.
    pub fn insert(&mut self, q: Apqn) {
        self.rows[usize::from(q.apid)].set(q.apqi);
    }

    /// Removes `q`.
    pub fn remove(&mut self, q: Apqn) {
        self.rows[usize::from(q.apid)].clear(q.apqi);
    }

    /// Adds every APQN of `apm` x `aqm`.
    #[cfg(any(test, not(CONFIG_RUST)))]
    #[inline]
    pub fn insert_product(&mut self, apm: &Mask, aqm: &Mask) {
        for apid in apm {
            self.rows[usize::from(apid)] |= *aqm;
        }
    }

    /// The APQIs in the set for adapter `apid`.
    pub const fn row(&self, apid: Apid) -> &Mask {
        &self.rows[apid as usize]
    }

    /// Number of APQNs in the set.
    #[cfg(any(test, not(CONFIG_RUST)))]
    #[inline]
    pub fn len(&self) -> usize {
        self.rows.iter().map(|r| r.count() as usize).sum()
    }

    /// Whether the set is empty.
    #[cfg(any(test, not(CONFIG_RUST)))]
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.rows.iter().all(Mask::is_empty)
    }

    /// Removes every APQN.
    #[cfg(any(test, not(CONFIG_RUST)))]
    pub fn clear(&mut self) {
        self.rows = [Mask::EMPTY; 256];
    }

    /// The APQNs, adapter-major and ascending.
    #[inline]
    pub fn iter(&self) -> impl Iterator<Item = Apqn> + '_ {
        (0..=255u8).flat_map(move |apid| {
            self.rows[usize::from(apid)]
                .iter()
                .map(move |apqi| Apqn::new(apid, apqi))
        })
    }
}

impl core::fmt::Debug for QueueSet {
    #[inline]
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

/// The host side of the model: QCI, default-driver reservations and the
/// queues bound to vfio_ap with their last reset outcome.
///
/// About 16 KiB. Every field is plain integers and the all-zero value is a
/// valid state (no configuration, no reservations, nothing bound), so the
/// kernel can allocate it zeroed in place: in the kernel build (where
/// `CONFIG_RUST` is set) it derives the kernel's `Zeroable`, which checks
/// at compile time that every field type is valid all-zero.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(CONFIG_RUST, derive(pin_init::Zeroable))]
pub struct HostState {
    /// The current AP configuration (the last QCI).
    pub config: ApConfig,
    /// The AP bus apmask/aqmask, for the pure ownership rule.
    pub defaults: DefaultMasks,
    // INVARIANT: `blocked` is a subset of `bound`: only bound queues have
    // a reset status, and binding or unbinding a queue clears its entry.
    /// Queues bound to vfio_ap (probed by its AP queue driver).
    bound: QueueSet,
    /// Bound queues whose last ZAPQ response code bars them from a guest.
    blocked: QueueSet,
}

impl HostState {
    /// A host with the given configuration and reservations and no queue
    /// bound to vfio_ap.
    #[cfg(any(test, not(CONFIG_RUST)))]
    pub const fn new(config: ApConfig, defaults: DefaultMasks) -> HostState {
        HostState {
            config,
            defaults,
            bound: QueueSet::EMPTY,
            blocked: QueueSet::EMPTY,
        }
    }

    /// The limits for a matrix created now.
    pub const fn limits(&self) -> Limits {
        self.config.limits()
    }

    /// Records that `q` was probed by vfio_ap. A new queue object starts
    /// with a zero reset status, so it is passable.
    pub fn bind(&mut self, q: Apqn) {
        self.bound.insert(q);
        self.blocked.remove(q);
    }

    /// Records that `q` was removed from vfio_ap.
    pub fn unbind(&mut self, q: Apqn) {
        self.bound.remove(q);
        self.blocked.remove(q);
    }

    /// Whether `q` is bound to vfio_ap.
    pub const fn is_bound(&self, q: Apqn) -> bool {
        self.bound.contains(q)
    }

    /// The queues bound to vfio_ap.
    #[cfg(any(test, not(CONFIG_RUST)))]
    pub const fn bound(&self) -> &QueueSet {
        &self.bound
    }

    /// Records the response code the last ZAPQ of bound queue `q` left in
    /// its reset status. Ignored for unbound queues.
    pub fn set_reset_response(&mut self, q: Apqn, rc: u8) {
        if !self.bound.contains(q) {
            return;
        }
        if queue_passable(rc) {
            self.blocked.remove(q);
        } else {
            self.blocked.insert(q);
        }
    }

    /// Whether `q` is bound and may be given to a guest.
    #[cfg(any(test, not(CONFIG_RUST)))]
    pub const fn is_passable(&self, q: Apqn) -> bool {
        self.bound.contains(q) && !self.blocked.contains(q)
    }

    /// The APQIs of adapter `apid` whose queues are bound and passable.
    pub const fn passable_row(&self, apid: Apid) -> Mask {
        self.bound.row(apid).and_not(self.blocked.row(apid))
    }

    /// Replaces the AP configuration (the end of `on_config_changed`).
    pub fn set_config(&mut self, config: ApConfig) {
        self.config = config;
    }
}

impl DefaultOwner for HostState {
    fn owned_by_default(&self, q: Apqn) -> bool {
        self.defaults.owned_by_default(q)
    }

    #[inline]
    fn owns_any(&self, apm: &Mask, aqm: &Mask) -> bool {
        self.defaults.owns_any(apm, aqm)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::response::{RC_CHECKSTOPPED, RC_Q_NOT_AVAIL};
    use std::boxed::Box;
    use std::vec::Vec;

    #[test]
    fn config_limits_and_membership() {
        let cfg = ApConfig {
            apxa: true,
            na: 84,
            nd: 84,
            apm: Mask::from_ids(&[5]),
            aqm: Mask::from_ids(&[4]),
            adm: Mask::EMPTY,
        };
        assert_eq!(cfg.limits(), Limits::for_host(true, 84, 84));
        assert!(cfg.contains(Apqn::new(5, 4)));
        assert!(!cfg.contains(Apqn::new(5, 5)));
        assert_eq!(ApConfig::EMPTY.limits(), Limits::NON_APXA);
        assert_eq!(ApConfig::default(), ApConfig::EMPTY);
    }

    #[test]
    fn documented_apmask_aqmask_example() {
        // The kernel documentation's mask example: apmask 0x7d00.., aqmask
        // 0x8000.. reserve exactly (1,0), (2,0), (3,0), (4,0), (5,0), (7,0).
        let d = DefaultMasks::new(
            Mask::from_words([0x7d00_0000_0000_0000, 0, 0, 0]),
            Mask::from_words([0x8000_0000_0000_0000, 0, 0, 0]),
        );
        let mut owned = Vec::new();
        for apid in 0..=255u8 {
            for apqi in 0..=255u8 {
                if d.owned_by_default(Apqn::new(apid, apqi)) {
                    owned.push((apid, apqi));
                }
            }
        }
        assert_eq!(owned, [(1, 0), (2, 0), (3, 0), (4, 0), (5, 0), (7, 0)]);
    }

    #[test]
    fn documented_boot_parameter_pools() {
        // ap.apmask=0xffff ap.aqmask=0x40: default pool adapters 0-15,
        // domain 1; everything else is free for vfio_ap.
        let d = DefaultMasks::new(
            Mask::from_words([0xffff_0000_0000_0000, 0, 0, 0]),
            Mask::from_words([0x4000_0000_0000_0000, 0, 0, 0]),
        );
        assert!(d.owned_by_default(Apqn::new(0, 1)));
        assert!(d.owned_by_default(Apqn::new(15, 1)));
        assert!(!d.owned_by_default(Apqn::new(16, 1)));
        assert!(!d.owned_by_default(Apqn::new(0, 0)));
        assert!(!d.owned_by_default(Apqn::new(0, 2)));
    }

    #[test]
    fn owns_any_needs_both_an_adapter_and_a_domain() {
        let d = DefaultMasks::new(Mask::from_ids(&[3]), Mask::from_ids(&[7]));
        assert!(d.owns_any(&Mask::from_ids(&[1, 3]), &Mask::from_ids(&[7])));
        assert!(!d.owns_any(&Mask::from_ids(&[3]), &Mask::EMPTY));
        assert!(!d.owns_any(&Mask::EMPTY, &Mask::from_ids(&[7])));
        assert!(!d.owns_any(&Mask::from_ids(&[3]), &Mask::from_ids(&[6])));

        // The trait's per-APQN default agrees with the mask shortcut.
        struct PerQueue(DefaultMasks);
        impl DefaultOwner for PerQueue {
            fn owned_by_default(&self, q: Apqn) -> bool {
                self.0.owned_by_default(q)
            }
        }
        let p = PerQueue(d);
        assert!(p.owns_any(&Mask::from_ids(&[1, 3]), &Mask::from_ids(&[7])));
        assert!(!p.owns_any(&Mask::from_ids(&[3]), &Mask::from_ids(&[6])));
        assert!(DefaultMasks::BOOT.owns_any(&Mask::from_ids(&[0]), &Mask::from_ids(&[0])));
        assert!(!DefaultMasks::NONE.owns_any(&Mask::FULL, &Mask::FULL));
    }

    #[test]
    fn queue_set_operations() {
        let mut s = Box::new(QueueSet::EMPTY);
        assert!(s.is_empty());
        s.insert(Apqn::new(6, 0xab));
        s.insert(Apqn::new(5, 4));
        s.insert_product(&Mask::from_ids(&[7]), &Mask::from_ids(&[1, 2]));
        assert_eq!(s.len(), 4);
        assert!(s.contains(Apqn::new(7, 2)));
        assert_eq!(*s.row(7), Mask::from_ids(&[1, 2]));
        let all: Vec<Apqn> = s.iter().collect();
        assert_eq!(
            all,
            [
                Apqn::new(5, 4),
                Apqn::new(6, 0xab),
                Apqn::new(7, 1),
                Apqn::new(7, 2)
            ]
        );
        s.remove(Apqn::new(7, 1));
        assert!(!s.contains(Apqn::new(7, 1)));
        s.clear();
        assert!(s.is_empty());
    }

    #[test]
    fn bound_and_passable_queues() {
        // On the heap: a KUnit case's kernel thread has too little stack.
        let mut h = crate::model::testutil::host_state(ApConfig::EMPTY, DefaultMasks::NONE);
        let q = Apqn::new(1, 2);
        assert!(!h.is_passable(q));
        h.set_reset_response(q, RC_Q_NOT_AVAIL);
        assert!(
            !h.is_bound(q),
            "reset status of an unbound queue is ignored"
        );
        h.bind(q);
        assert!(h.is_bound(q) && h.is_passable(q));
        h.set_reset_response(q, RC_Q_NOT_AVAIL);
        assert!(h.is_bound(q) && !h.is_passable(q));
        assert_eq!(h.passable_row(1), Mask::EMPTY);
        h.set_reset_response(q, RC_CHECKSTOPPED);
        assert!(h.is_passable(q));
        assert_eq!(h.passable_row(1), Mask::from_ids(&[2]));
        h.set_reset_response(q, RC_Q_NOT_AVAIL);
        h.unbind(q);
        h.bind(q);
        assert!(
            h.is_passable(q),
            "a re-probed queue starts with a clean status"
        );
    }
}
