// SPDX-License-Identifier: GPL-2.0

//! The checks that keep every APQN in at most one place: one mdev, or the
//! host's default drivers.
//!
//! Functions that look at "all other mdevs" take the assigned matrices of
//! those mdevs as an iterator of borrowed [`Apcb`]s, in the driver's list
//! order; a [`Conflict`] names the position of the first one that clashes.

use super::error::{Error, Result};
#[cfg(any(test, not(CONFIG_RUST)))]
use super::host::DefaultMasks;
use super::host::DefaultOwner;
use super::mask::Mask;
use super::matrix::{Apcb, Queues};
#[cfg(any(test, not(CONFIG_RUST)))]
use super::parse::parse_bus_mask;

/// The APQNs an mdev already holds out of a requested set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conflict {
    /// Position of the conflicting mdev in the iteration that was checked.
    pub index: usize,
    /// The requested adapters that mdev has.
    pub apm: Mask,
    /// The requested domains that mdev has.
    pub aqm: Mask,
}

impl Conflict {
    /// The APQNs in conflict, adapter-major: one log line each upstream
    /// (`Userspace may not assign queue %02lx.%04lx to mdev: already
    /// assigned to %s`, or for the AP bus `Can not reserve queue
    /// %02lx.%04lx for host driver: in use by mdev`).
    pub fn queues(&self) -> Queues {
        Queues::new(&self.apm, &self.aqm)
    }
}

/// The first of `mdevs` that holds an APQN of `apm` x `aqm`
/// (the sharing check of an assignment). An mdev without a common adapter,
/// or without a common domain, holds none.
pub fn sharing_conflict<'a, I>(apm: &Mask, aqm: &Mask, mdevs: I) -> Option<Conflict>
where
    I: IntoIterator<Item = &'a Apcb>,
{
    for (index, other) in mdevs.into_iter().enumerate() {
        let common_apm = apm.and(&other.apm);
        if common_apm.is_empty() {
            continue;
        }
        let common_aqm = aqm.and(&other.aqm);
        if common_aqm.is_empty() {
            continue;
        }
        return Some(Conflict {
            index,
            apm: common_apm,
            aqm: common_aqm,
        });
    }
    None
}

/// Validates the complete APM x AQM an mdev would have after a change
/// (assignments and `ap_config`): `EADDRNOTAVAIL` if any APQN belongs to
/// the default drivers, else `EADDRINUSE` with the first other mdev that
/// holds any.
///
/// With no domain (or no adapter) there is no APQN, so this always
/// passes; the queues need not exist, be configured or be bound.
pub fn validate_masks<'a, O, I>(apm: &Mask, aqm: &Mask, owner: &O, others: I) -> Result
where
    O: DefaultOwner + ?Sized,
    I: IntoIterator<Item = &'a Apcb>,
{
    if owner.owns_any(apm, aqm) {
        return Err(Error::AddrNotAvail);
    }
    match sharing_conflict(apm, aqm, others) {
        Some(c) => Err(Error::AddrInUse(c)),
        None => Ok(()),
    }
}

/// The AP bus `in_use` callback: whether
/// any mdev holds an APQN of `apm` x `aqm`. The driver returns
/// `EADDRINUSE` for a conflict; the bus turns that into `EBUSY`.
pub fn in_use<'a, I>(apm: &Mask, aqm: &Mask, mdevs: I) -> Option<Conflict>
where
    I: IntoIterator<Item = &'a Apcb>,
{
    sharing_conflict(apm, aqm, mdevs)
}

/// The in-use check of an `apmask` change (`apmask_commit` with
/// `__verify_card_reservations`).
///
/// Only adapters newly added to the mask are checked, and they are checked
/// against *all* domains, not against `aqmask`: an mdev holding any queue
/// of such an adapter blocks the change, even a queue whose domain is not
/// in `aqmask` and so would not really go to the default drivers.
#[cfg(any(test, not(CONFIG_RUST)))]
pub fn apmask_change_in_use<'a, I>(old: &Mask, new: &Mask, mdevs: I) -> Option<Conflict>
where
    I: IntoIterator<Item = &'a Apcb>,
{
    let reserved = new.and_not(old);
    if reserved.is_empty() {
        return None;
    }
    in_use(&reserved, &Mask::FULL, mdevs)
}

/// The in-use check of an `aqmask` change: newly added domains against
/// all adapters (see [`apmask_change_in_use`]).
#[cfg(any(test, not(CONFIG_RUST)))]
pub fn aqmask_change_in_use<'a, I>(old: &Mask, new: &Mask, mdevs: I) -> Option<Conflict>
where
    I: IntoIterator<Item = &'a Apcb>,
{
    let reserved = new.and_not(old);
    if reserved.is_empty() {
        return None;
    }
    in_use(&Mask::FULL, &reserved, mdevs)
}

/// Which AP bus mask a write goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg(any(test, not(CONFIG_RUST)))]
pub enum BusMask {
    /// `/sys/bus/ap/apmask`.
    Apmask,
    /// `/sys/bus/ap/aqmask`.
    Aqmask,
}

/// A write to `/sys/bus/ap/apmask` or `aqmask` as the AP bus handles it
/// (`apmask_store`/`aqmask_store`), for modelling the host.
///
/// `EINVAL` if the text does not parse; no change is a success without
/// any check; `EBUSY` if the in-use check finds an mdev holding a queue of
/// a newly reserved adapter or domain. Returns whether the mask changed,
/// after which the bus re-probes queues (vfio_ap loses the newly reserved
/// ones and gets the released ones). The `driver_override` rule (`EINVAL`
/// while any override is set) is the AP bus's and not modelled.
#[cfg(any(test, not(CONFIG_RUST)))]
pub fn store_bus_mask<'a, I>(
    defaults: &mut DefaultMasks,
    which: BusMask,
    input: &[u8],
    mdevs: I,
) -> Result<bool>
where
    I: IntoIterator<Item = &'a Apcb>,
{
    let current = match which {
        BusMask::Apmask => &mut defaults.apmask,
        BusMask::Aqmask => &mut defaults.aqmask,
    };
    let new = parse_bus_mask(current, input)?;
    if new == *current {
        return Ok(false);
    }
    let conflict = match which {
        BusMask::Apmask => apmask_change_in_use(current, &new, mdevs),
        BusMask::Aqmask => aqmask_change_in_use(current, &new, mdevs),
    };
    if conflict.is_some() {
        return Err(Error::Busy);
    }
    *current = new;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::apqn::Apqn;
    use std::vec::Vec;

    fn apcb(apm: &[u8], aqm: &[u8]) -> Apcb {
        Apcb::new(Mask::from_ids(apm), Mask::from_ids(aqm), Mask::EMPTY)
    }

    #[test]
    fn documented_sharing_examples() {
        // Example 1: Guest1 {1,2}x{5,6}, Guest2 {1,2}x{7}: valid.
        let g1 = apcb(&[1, 2], &[5, 6]);
        let g2 = apcb(&[1, 2], &[7]);
        assert_eq!(sharing_conflict(&g2.apm, &g2.aqm, [&g1]), None);
        // Example 2: Guest2 {3,4}x{5,6}: valid.
        let g2 = apcb(&[3, 4], &[5, 6]);
        assert_eq!(sharing_conflict(&g2.apm, &g2.aqm, [&g1]), None);
        // Example 3: Guest2 {1}x{6,7} shares (1,6).
        let g2 = apcb(&[1], &[6, 7]);
        let c = sharing_conflict(&g2.apm, &g2.aqm, [&g1]).unwrap();
        assert_eq!(c.index, 0);
        assert_eq!(c.queues().collect::<Vec<_>>(), [Apqn::new(1, 6)]);
    }

    #[test]
    fn first_conflicting_mdev_is_named() {
        let a = apcb(&[1], &[1]);
        let b = apcb(&[2], &[2, 3]);
        let c = apcb(&[2], &[3]);
        let conflict =
            sharing_conflict(&Mask::from_ids(&[2]), &Mask::from_ids(&[3]), [&a, &b, &c]).unwrap();
        assert_eq!(conflict.index, 1);
        assert_eq!(conflict.apm, Mask::from_ids(&[2]));
        assert_eq!(conflict.aqm, Mask::from_ids(&[3]));
    }

    #[test]
    fn validation_precedence() {
        let owner = DefaultMasks::new(Mask::from_ids(&[9]), Mask::from_ids(&[1]));
        let other = apcb(&[9], &[1, 2]);
        // Both reserved and in use: EADDRNOTAVAIL wins.
        assert_eq!(
            validate_masks(
                &Mask::from_ids(&[9]),
                &Mask::from_ids(&[1]),
                &owner,
                [&other]
            ),
            Err(Error::AddrNotAvail)
        );
        assert_eq!(
            validate_masks(
                &Mask::from_ids(&[9]),
                &Mask::from_ids(&[2]),
                &owner,
                [&other]
            ),
            Err(Error::AddrInUse(Conflict {
                index: 0,
                apm: Mask::from_ids(&[9]),
                aqm: Mask::from_ids(&[2]),
            }))
        );
        assert_eq!(
            validate_masks(
                &Mask::from_ids(&[9]),
                &Mask::from_ids(&[3]),
                &owner,
                [&other]
            ),
            Ok(())
        );
        // No domain: no APQN, nothing to refuse (D6).
        assert_eq!(
            validate_masks(&Mask::from_ids(&[9]), &Mask::EMPTY, &owner, [&other]),
            Ok(())
        );
    }

    #[test]
    fn in_use_ignores_mdevs_without_domains() {
        // G3: an mdev with adapter A but no domain never blocks apmask.
        let u = apcb(&[0xa], &[]);
        assert_eq!(
            apmask_change_in_use(&Mask::EMPTY, &Mask::from_ids(&[0xa]), [&u]),
            None
        );
    }

    #[test]
    fn apmask_in_use_uses_all_domains() {
        // G1: U owns A.d1 and d1 is not in aqmask; adding A to apmask is
        // refused although A.d1 would not become host-owned.
        let u = apcb(&[0xa], &[0xd1]);
        let c = apmask_change_in_use(&Mask::EMPTY, &Mask::from_ids(&[0xa]), [&u]).unwrap();
        assert_eq!(c.queues().collect::<Vec<_>>(), [Apqn::new(0xa, 0xd1)]);
        // Only newly reserved bits are checked.
        assert_eq!(
            apmask_change_in_use(&Mask::from_ids(&[0xa]), &Mask::from_ids(&[0xa, 0xb]), [&u]),
            None
        );
        assert_eq!(
            apmask_change_in_use(&Mask::from_ids(&[0xa]), &Mask::EMPTY, [&u]),
            None
        );
        // G2 for aqmask.
        assert!(aqmask_change_in_use(&Mask::EMPTY, &Mask::from_ids(&[0xd1]), [&u]).is_some());
        assert_eq!(
            aqmask_change_in_use(&Mask::EMPTY, &Mask::from_ids(&[0xd2]), [&u]),
            None
        );
    }

    #[test]
    fn bus_mask_store() {
        let u = apcb(&[0xa], &[0xd1]);
        let mut d = DefaultMasks::new(Mask::EMPTY, Mask::EMPTY);
        // G1/G6.
        assert_eq!(
            store_bus_mask(&mut d, BusMask::Apmask, b"+10\n", [&u]),
            Err(Error::Busy)
        );
        assert_eq!(
            store_bus_mask(&mut d, BusMask::Apmask, b"0xffff\n", [&u]),
            Err(Error::Busy)
        );
        assert_eq!(d.apmask, Mask::EMPTY, "unchanged on EBUSY");
        assert_eq!(
            store_bus_mask(&mut d, BusMask::Apmask, b"+11\n", [&u]),
            Ok(true)
        );
        assert_eq!(d.apmask, Mask::from_ids(&[11]));
        assert_eq!(
            store_bus_mask(&mut d, BusMask::Apmask, b"+11\n", [&u]),
            Ok(false)
        );
        assert_eq!(
            store_bus_mask(&mut d, BusMask::Aqmask, b"+0xd1", [&u]),
            Err(Error::Busy)
        );
        assert_eq!(
            store_bus_mask(&mut d, BusMask::Aqmask, b"+0xd2", [&u]),
            Ok(true)
        );
        assert_eq!(
            store_bus_mask(&mut d, BusMask::Aqmask, b"+x", [&u]),
            Err(Error::Inval)
        );
        // Releasing is never blocked.
        assert_eq!(
            store_bus_mask(&mut d, BusMask::Apmask, b"-11", [&u]),
            Ok(true)
        );
        // G5: after the mdev lets go, the reservation succeeds.
        let empty = apcb(&[], &[]);
        assert_eq!(
            store_bus_mask(&mut d, BusMask::Apmask, b"+10\n", [&empty]),
            Ok(true)
        );
    }
}
