// SPDX-License-Identifier: GPL-2.0

//! Which queues must be reset (ZAPQ), and how a reset is driven to its end.
//!
//! A reset set is a union of a few APM x AQM rectangles. Every set the
//! model produces is such a union (an unplugged adapter or domain, the
//! adapters filtered out of the guest), which keeps a plan small enough
//! for the kernel stack. Only queues bound to vfio_ap are actually reset,
//! so the driver intersects the set with its bound queues.

use super::apqn::Apqn;
use super::error::{Error, Result};
#[cfg(any(test, not(CONFIG_RUST)))]
use super::host::QueueSet;
use super::mask::Mask;
use super::matrix::Queues;
use super::response::{
    QueueStatus, RC_ASSOC_FAILED, RC_ASSOC_SECRET_NOT_UNIQUE, RC_BUSY, RC_CHECKSTOPPED,
    RC_DECONFIGURED, RC_NORMAL, RC_Q_NOT_AVAIL, RC_RESET_IN_PROGRESS, RC_STATE_CHANGE_IN_PROGRESS,
};

/// How many rectangles a [`ResetSet`] holds. An `ap_config` write needs
/// three (removed adapters, removed domains, filtered adapters).
pub const RESET_RECTS: usize = 4;

/// The queues of an APM x AQM product.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Rect {
    /// Adapters.
    pub apm: Mask,
    /// Usage domains.
    pub aqm: Mask,
}

impl Rect {
    /// Whether the queue is in the product.
    pub const fn contains(&self, q: Apqn) -> bool {
        self.apm.test(q.apid) && self.aqm.test(q.apqi)
    }

    /// The queues, adapter-major.
    pub fn queues(&self) -> Queues {
        Queues::new(&self.apm, &self.aqm)
    }
}

/// A set of queues to reset: a union of up to [`RESET_RECTS`] rectangles.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct ResetSet {
    // INVARIANT: `len <= RESET_RECTS`, and every rectangle in
    // `rects[..len]` has a non-empty APM and a non-empty AQM.
    rects: [Rect; RESET_RECTS],
    len: usize,
}

impl ResetSet {
    /// No queue.
    pub const EMPTY: ResetSet = ResetSet {
        rects: [Rect {
            apm: Mask::EMPTY,
            aqm: Mask::EMPTY,
        }; RESET_RECTS],
        len: 0,
    };

    /// The queues of `apm` x `aqm`.
    pub fn product(apm: &Mask, aqm: &Mask) -> ResetSet {
        let mut s = ResetSet::EMPTY;
        s.add(apm, aqm);
        s
    }

    /// Adds the queues of `apm` x `aqm`. An empty product adds nothing.
    /// Returns `false`, leaving the set unchanged, if the product is not
    /// empty and the set has no room left.
    pub fn add(&mut self, apm: &Mask, aqm: &Mask) -> bool {
        if apm.is_empty() || aqm.is_empty() {
            return true;
        }
        match self.rects.get_mut(self.len) {
            Some(slot) => {
                *slot = Rect {
                    apm: *apm,
                    aqm: *aqm,
                };
                self.len += 1;
                true
            }
            None => false,
        }
    }

    /// The rectangles.
    pub fn rects(&self) -> &[Rect] {
        &self.rects[..self.len]
    }

    /// Whether the set is empty.
    #[cfg(any(test, not(CONFIG_RUST)))]
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether `q` is in the set.
    #[cfg(any(test, not(CONFIG_RUST)))]
    #[inline]
    pub fn contains(&self, q: Apqn) -> bool {
        self.rects().iter().any(|r| r.contains(q))
    }

    /// Every queue of the set once, bound or not.
    #[inline]
    pub fn iter(&self) -> impl Iterator<Item = Apqn> + '_ {
        self.rects().iter().enumerate().flat_map(move |(i, r)| {
            let earlier = &self.rects[..i];
            r.queues()
                .filter(move |q| !earlier.iter().any(|e| e.contains(*q)))
        })
    }

    /// Every queue of the set that is in `bound`, once: the ZAPQs to
    /// issue.
    #[cfg(any(test, not(CONFIG_RUST)))]
    #[inline]
    pub fn queues<'a>(&'a self, bound: &'a QueueSet) -> impl Iterator<Item = Apqn> + 'a {
        self.iter().filter(move |q| bound.contains(*q))
    }
}

/// What to do after issuing ZAPQ to a queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterZapq {
    /// Accepted or in progress (00, 02, 05, 0A): poll with TAPQ until done.
    Verify,
    /// The queue is gone or unusable (01, 03, 04): nothing to wait for,
    /// free the interruption resources now.
    FreeIrq,
    /// Any other code is unexpected: warn, do nothing more.
    Unexpected,
}

/// Classifies the response code of a ZAPQ.
pub const fn after_zapq(rc: u8) -> AfterZapq {
    match rc {
        RC_NORMAL | RC_RESET_IN_PROGRESS | RC_BUSY | RC_STATE_CHANGE_IN_PROGRESS => {
            AfterZapq::Verify
        }
        RC_DECONFIGURED | RC_CHECKSTOPPED | RC_Q_NOT_AVAIL => AfterZapq::FreeIrq,
        _ => AfterZapq::Unexpected,
    }
}

/// What to do after one TAPQ while verifying a reset (`apq_reset_check`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterResetTapq {
    /// The reset is complete: free the interruption resources if an ISC
    /// is saved, and stop.
    Finish,
    /// Still resetting or busy (02, 05): log the wait and poll again.
    KeepWaiting,
    /// Issue ZAPQ again, store its status as the queue's reset status and
    /// poll again: the previous ZAPQ was only accepted as in progress, or
    /// a failed secret association (35, 36) needs a fresh reset.
    Reissue,
    /// The queue left the configuration (01): free the interruption
    /// resources and stop.
    Gone,
    /// Unexpected code: warn and stop without any cleanup (`-EIO`).
    Failed,
}

/// Classifies a TAPQ response code `rc` during reset verification, given
/// the response code of the last ZAPQ (the queue's stored reset status).
pub const fn after_reset_tapq(rc: u8, last_zapq_rc: u8) -> AfterResetTapq {
    let again = match rc {
        RC_NORMAL | RC_DECONFIGURED | RC_CHECKSTOPPED => false,
        RC_RESET_IN_PROGRESS | RC_BUSY => return AfterResetTapq::KeepWaiting,
        RC_ASSOC_SECRET_NOT_UNIQUE | RC_ASSOC_FAILED => true,
        RC_Q_NOT_AVAIL => return AfterResetTapq::Gone,
        _ => return AfterResetTapq::Failed,
    };
    if again
        || matches!(
            last_zapq_rc,
            RC_RESET_IN_PROGRESS | RC_BUSY | RC_STATE_CHANGE_IN_PROGRESS
        )
    {
        AfterResetTapq::Reissue
    } else {
        AfterResetTapq::Finish
    }
}

/// The result of resetting a batch of queues, given each queue's final
/// stored reset response code: `EIO` unless all are normal. A
/// deconfigured, checkstopped or missing
/// queue therefore fails `VFIO_DEVICE_RESET`.
pub fn batch_result(final_rcs: impl IntoIterator<Item = u8>) -> Result {
    let mut result = Ok(());
    for rc in final_rcs {
        if rc != RC_NORMAL {
            result = Err(Error::Io);
        }
    }
    result
}

/// What to do after one TAPQ while waiting for the IR bit to clear.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterIrqTapq {
    /// Interruptions are off.
    Cleared,
    /// Wait 20 ms and test again (at most 5 tests in all).
    Retry,
    /// The queue cannot tell: warn once and give up.
    GiveUp,
}

/// Classifies a TAPQ status while waiting for interruptions to turn off.
pub const fn after_irq_tapq(status: QueueStatus) -> AfterIrqTapq {
    match status.response_code() {
        RC_NORMAL | RC_RESET_IN_PROGRESS if !status.irq_enabled() => AfterIrqTapq::Cleared,
        RC_NORMAL | RC_RESET_IN_PROGRESS | RC_BUSY => AfterIrqTapq::Retry,
        _ => AfterIrqTapq::GiveUp,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::boxed::Box;
    use std::vec::Vec;

    #[test]
    fn empty_products_are_not_stored() {
        let mut s = ResetSet::EMPTY;
        assert!(s.add(&Mask::EMPTY, &Mask::FULL));
        assert!(s.add(&Mask::FULL, &Mask::EMPTY));
        assert!(s.is_empty());
        assert_eq!(s.rects().len(), 0);
        assert_eq!(s.iter().count(), 0);
    }

    #[test]
    fn union_without_duplicates() {
        let mut s = ResetSet::product(&Mask::from_ids(&[1, 2]), &Mask::from_ids(&[5]));
        assert!(s.add(&Mask::from_ids(&[2, 3]), &Mask::from_ids(&[5, 6])));
        let all: Vec<Apqn> = s.iter().collect();
        assert_eq!(
            all,
            [
                Apqn::new(1, 5),
                Apqn::new(2, 5),
                Apqn::new(2, 6),
                Apqn::new(3, 5),
                Apqn::new(3, 6)
            ]
        );
        assert!(s.contains(Apqn::new(3, 6)) && !s.contains(Apqn::new(1, 6)));
        let mut bound = Box::new(QueueSet::EMPTY);
        bound.insert(Apqn::new(2, 5));
        bound.insert(Apqn::new(9, 9));
        assert_eq!(s.queues(&bound).collect::<Vec<_>>(), [Apqn::new(2, 5)]);
    }

    #[test]
    fn capacity_is_enforced() {
        let mut s = ResetSet::EMPTY;
        for id in 0..RESET_RECTS as u8 {
            assert!(s.add(&Mask::from_ids(&[id]), &Mask::from_ids(&[id])));
        }
        let before = s;
        assert!(!s.add(&Mask::from_ids(&[9]), &Mask::from_ids(&[9])));
        assert_eq!(s, before);
        assert!(
            s.add(&Mask::EMPTY, &Mask::FULL),
            "empty products always fit"
        );
    }

    #[test]
    fn zapq_classification() {
        for rc in 0..=255u8 {
            let expected = match rc {
                0x00 | 0x02 | 0x05 | 0x0a => AfterZapq::Verify,
                0x01 | 0x03 | 0x04 => AfterZapq::FreeIrq,
                _ => AfterZapq::Unexpected,
            };
            assert_eq!(after_zapq(rc), expected, "rc {:#x}", rc);
        }
    }

    #[test]
    fn reset_verification() {
        use AfterResetTapq::*;
        // A ZAPQ accepted at once: the first good TAPQ ends it.
        assert_eq!(after_reset_tapq(0x00, 0x00), Finish);
        assert_eq!(after_reset_tapq(0x03, 0x00), Finish);
        assert_eq!(after_reset_tapq(0x04, 0x00), Finish);
        // A ZAPQ that was only in progress is issued again once it settles.
        for last in [0x02, 0x05, 0x0a] {
            assert_eq!(after_reset_tapq(0x00, last), Reissue);
        }
        // Secret association failures need another reset whatever came before.
        assert_eq!(after_reset_tapq(0x35, 0x00), Reissue);
        assert_eq!(after_reset_tapq(0x36, 0x00), Reissue);
        assert_eq!(after_reset_tapq(0x02, 0x00), KeepWaiting);
        assert_eq!(after_reset_tapq(0x05, 0x02), KeepWaiting);
        assert_eq!(after_reset_tapq(0x01, 0x00), Gone);
        assert_eq!(after_reset_tapq(0x06, 0x00), Failed);
        assert_eq!(after_reset_tapq(0x0a, 0x00), Failed);
    }

    #[test]
    fn batch_fails_on_any_abnormal_queue() {
        assert_eq!(batch_result([]), Ok(()));
        assert_eq!(batch_result([0, 0, 0]), Ok(()));
        for rc in [0x01, 0x03, 0x04] {
            assert_eq!(batch_result([0, rc, 0]), Err(Error::Io));
        }
    }

    #[test]
    fn irq_clear_wait() {
        let irq_on = |rc: u8| QueueStatus(QueueStatus::from_rc(rc).0 | 1 << 24);
        assert_eq!(
            after_irq_tapq(QueueStatus::from_rc(0x00)),
            AfterIrqTapq::Cleared
        );
        assert_eq!(
            after_irq_tapq(QueueStatus::from_rc(0x02)),
            AfterIrqTapq::Cleared
        );
        assert_eq!(after_irq_tapq(irq_on(0x00)), AfterIrqTapq::Retry);
        assert_eq!(after_irq_tapq(irq_on(0x02)), AfterIrqTapq::Retry);
        assert_eq!(
            after_irq_tapq(QueueStatus::from_rc(0x05)),
            AfterIrqTapq::Retry
        );
        for rc in [0x01, 0x03, 0x04, 0x06] {
            assert_eq!(
                after_irq_tapq(QueueStatus::from_rc(rc)),
                AfterIrqTapq::GiveUp
            );
        }
    }
}
