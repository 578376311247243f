// SPDX-License-Identifier: GPL-2.0

//! AP matrices: the three masks of an AP control block and their id limits.

use super::apqn::{Apid, Apqi, Apqn};
use super::error::{Error, Result};
use super::mask::{Iter, Mask};

/// The largest adapter, usage domain and control domain numbers a matrix
/// may hold.
///
/// Taken from QCI when the APXA facility is installed (`na`, `nd`, and `nd`
/// again for control domains, as upstream does); otherwise the CRYCB
/// formats without APXA fix them at 63 adapters and 15 domains.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Limits {
    /// Largest APID (`apm_max`).
    pub apm_max: Apid,
    /// Largest APQI (`aqm_max`).
    pub aqm_max: Apqi,
    /// Largest control domain (`adm_max`).
    pub adm_max: u8,
}

impl Limits {
    /// The limits without the APXA facility.
    pub const NON_APXA: Limits = Limits {
        apm_max: 63,
        aqm_max: 15,
        adm_max: 15,
    };

    /// The largest possible limits (APXA with 256 adapters and domains).
    #[cfg(any(test, not(CONFIG_RUST)))]
    pub const FULL: Limits = Limits {
        apm_max: 255,
        aqm_max: 255,
        adm_max: 255,
    };

    /// The limits for a host configuration: `na`/`nd` with APXA, else
    /// [`Limits::NON_APXA`].
    pub const fn for_host(apxa: bool, na: u8, nd: u8) -> Limits {
        if apxa {
            Limits {
                apm_max: na,
                aqm_max: nd,
                adm_max: nd,
            }
        } else {
            Limits::NON_APXA
        }
    }

    /// `ENODEV` unless every id of `apcb` is within the limits
    /// (checked APM, AQM, then ADM, in upstream's order).
    pub fn check(&self, apcb: &Apcb) -> Result {
        let over = |m: &Mask, max: u8| !m.is_subset_of(&Mask::up_to(max));
        if over(&apcb.apm, self.apm_max)
            || over(&apcb.aqm, self.aqm_max)
            || over(&apcb.adm, self.adm_max)
        {
            return Err(Error::NoDev);
        }
        Ok(())
    }
}

/// An AP control block: adapters (APM), usage domains (AQM) and control
/// domains (ADM).
///
/// Used for what an mdev has assigned, for the guest's (shadow) APCB, and
/// for the parsed `ap_config` text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Apcb {
    /// Adapter mask.
    pub apm: Mask,
    /// Usage domain mask.
    pub aqm: Mask,
    /// Control domain mask.
    pub adm: Mask,
}

impl Apcb {
    /// Nothing assigned.
    pub const EMPTY: Apcb = Apcb {
        apm: Mask::EMPTY,
        aqm: Mask::EMPTY,
        adm: Mask::EMPTY,
    };

    /// An APCB from its three masks.
    pub const fn new(apm: Mask, aqm: Mask, adm: Mask) -> Apcb {
        Apcb { apm, aqm, adm }
    }

    /// Whether the queue is in the APM x AQM product.
    pub const fn contains(&self, q: Apqn) -> bool {
        self.apm.test(q.apid) && self.aqm.test(q.apqi)
    }

    /// The APQNs of the APM x AQM product, adapter-major and ascending.
    #[cfg(any(test, not(CONFIG_RUST)))]
    #[inline]
    pub fn queues(&self) -> Queues {
        Queues::new(&self.apm, &self.aqm)
    }

    /// Number of APQNs in the product.
    #[cfg(any(test, not(CONFIG_RUST)))]
    #[inline]
    pub const fn queue_count(&self) -> u32 {
        self.apm.count() * self.aqm.count()
    }

    /// Mask-wise intersection.
    pub const fn and(&self, other: &Apcb) -> Apcb {
        Apcb {
            apm: self.apm.and(&other.apm),
            aqm: self.aqm.and(&other.aqm),
            adm: self.adm.and(&other.adm),
        }
    }

    /// Mask-wise difference (`self` without the ids of `other`).
    pub const fn and_not(&self, other: &Apcb) -> Apcb {
        Apcb {
            apm: self.apm.and_not(&other.apm),
            aqm: self.aqm.and_not(&other.aqm),
            adm: self.adm.and_not(&other.adm),
        }
    }

    /// Whether each mask is a subset of the corresponding mask of `other`.
    #[cfg(any(test, not(CONFIG_RUST)))]
    #[inline]
    pub const fn is_subset_of(&self, other: &Apcb) -> bool {
        self.apm.is_subset_of(&other.apm)
            && self.aqm.is_subset_of(&other.aqm)
            && self.adm.is_subset_of(&other.adm)
    }

    /// Whether all three masks are empty.
    pub const fn is_empty(&self) -> bool {
        self.apm.is_empty() && self.aqm.is_empty() && self.adm.is_empty()
    }
}

/// Iterator over the APQNs of an APM x AQM product, adapter-major.
#[derive(Clone, Debug)]
pub struct Queues {
    apids: Iter,
    current: Option<Apid>,
    aqm: Mask,
    apqis: Iter,
}

impl Queues {
    /// The product `apm` x `aqm`.
    #[inline]
    pub fn new(apm: &Mask, aqm: &Mask) -> Queues {
        let mut apids = apm.iter();
        // No domain means no queue at all, whatever the adapters.
        let current = if aqm.is_empty() { None } else { apids.next() };
        Queues {
            apids,
            current,
            aqm: *aqm,
            apqis: aqm.iter(),
        }
    }
}

impl Iterator for Queues {
    type Item = Apqn;

    fn next(&mut self) -> Option<Apqn> {
        loop {
            let apid = self.current?;
            if let Some(apqi) = self.apqis.next() {
                return Some(Apqn::new(apid, apqi));
            }
            self.current = self.apids.next();
            self.apqis = self.aqm.iter();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    #[test]
    fn limits_follow_apxa() {
        assert_eq!(Limits::for_host(false, 255, 255), Limits::NON_APXA);
        let l = Limits::for_host(true, 84, 30);
        assert_eq!((l.apm_max, l.aqm_max, l.adm_max), (84, 30, 30));
        assert_eq!(Limits::NON_APXA.apm_max, 63);
        assert_eq!(Limits::NON_APXA.aqm_max, 15);
    }

    #[test]
    fn overflow_check_is_enodev() {
        let l = Limits::NON_APXA;
        let ok = Apcb::new(
            Mask::from_ids(&[63]),
            Mask::from_ids(&[15]),
            Mask::from_ids(&[15]),
        );
        assert_eq!(l.check(&ok), Ok(()));
        let apm = Apcb::new(Mask::from_ids(&[64]), Mask::EMPTY, Mask::EMPTY);
        let aqm = Apcb::new(Mask::EMPTY, Mask::from_ids(&[16]), Mask::EMPTY);
        let adm = Apcb::new(Mask::EMPTY, Mask::EMPTY, Mask::from_ids(&[255]));
        for bad in [apm, aqm, adm] {
            assert_eq!(l.check(&bad), Err(Error::NoDev));
        }
        assert_eq!(
            Limits::FULL.check(&Apcb::new(Mask::FULL, Mask::FULL, Mask::FULL)),
            Ok(())
        );
    }

    #[test]
    fn queues_are_the_cartesian_product() {
        let a = Apcb::new(
            Mask::from_ids(&[6, 5]),
            Mask::from_ids(&[0xab, 4]),
            Mask::EMPTY,
        );
        let q: Vec<Apqn> = a.queues().collect();
        assert_eq!(
            q,
            [
                Apqn::new(5, 4),
                Apqn::new(5, 0xab),
                Apqn::new(6, 4),
                Apqn::new(6, 0xab)
            ]
        );
        assert_eq!(a.queue_count(), 4);
        assert!(a.contains(Apqn::new(6, 4)) && !a.contains(Apqn::new(6, 5)));
        let adapters_only = Apcb::new(Mask::from_ids(&[1]), Mask::EMPTY, Mask::EMPTY);
        assert_eq!(adapters_only.queues().count(), 0);
        let domains_only = Apcb::new(Mask::EMPTY, Mask::from_ids(&[1]), Mask::EMPTY);
        assert_eq!(domains_only.queues().count(), 0);
        let full = Apcb::new(Mask::FULL, Mask::FULL, Mask::EMPTY);
        assert_eq!(full.queues().count(), 65536);
    }

    #[test]
    fn mask_wise_operations() {
        let a = Apcb::new(
            Mask::from_ids(&[1, 2]),
            Mask::from_ids(&[3]),
            Mask::from_ids(&[4]),
        );
        let b = Apcb::new(Mask::from_ids(&[2]), Mask::from_ids(&[3, 9]), Mask::EMPTY);
        assert_eq!(
            a.and(&b),
            Apcb::new(Mask::from_ids(&[2]), Mask::from_ids(&[3]), Mask::EMPTY)
        );
        assert_eq!(
            a.and_not(&b),
            Apcb::new(Mask::from_ids(&[1]), Mask::EMPTY, Mask::from_ids(&[4]))
        );
        assert!(a.and(&b).is_subset_of(&a));
        assert!(!a.is_subset_of(&b));
        assert!(Apcb::EMPTY.is_empty() && !a.is_empty());
    }
}
