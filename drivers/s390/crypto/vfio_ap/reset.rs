// SPDX-License-Identifier: GPL-2.0

//! Queue resets: ZAPQ, then TAPQ until the reset completed, with each
//! queue's outcome recorded in the host side of the model.
//!
//! The callers hold the mdevs lock (which guards the [`HostState`] they
//! pass), as upstream resets with its matrix lock held.

#![deny(unsafe_code)]

use kernel::{
    prelude::*,
    time::{delay::fsleep, Delta},
};

use crate::abstractions::cformat::long_format;
use crate::abstractions::{
    ap,
    printk::{self, Level},
};
use crate::dbf::arg;
use crate::model::{
    apqn::Apqn,
    host::HostState,
    mask::Mask,
    reset::{after_reset_tapq, after_zapq, batch_result, AfterResetTapq, AfterZapq, ResetSet},
    response::QueueStatus,
};

/// How often a reset is polled before it is given up (upstream polls
/// forever; 5 s is far beyond any real reset).
const RESET_POLLS: u32 = 250;

/// The interval of the polls (20 ms, as upstream's).
const RESET_INTERVAL_MS: i64 = 20;

/// A queue whose reset is being verified, with the response code of its
/// last ZAPQ.
#[derive(Clone, Copy)]
struct Resetting {
    q: Apqn,
    last: u8,
}

/// How many resets are verified together, on the stack: upstream's reset
/// work items run all of a set's resets at once, which this matches for
/// sets of up to this many queues (each reset is a ZAPQ and a few TAPQs;
/// a larger set is verified in turn, a batch at a time), without
/// allocating.
const BATCH: usize = 128;

/// Resets the bound queues of `set` as upstream does: ZAPQ on each, then
/// TAPQ every 20 ms until each reset completed, re-issuing ZAPQ when the
/// model says so, with each queue's ZAPQ response recorded in `host`.
/// `EIO` unless every queue's last ZAPQ answered normally.
pub(crate) fn reset_queues(host: &mut HostState, set: &ResetSet) -> Result {
    let mut last_rcs_ok = true;
    let mut batch = [Resetting {
        q: Apqn::new(0, 0),
        last: 0,
    }; BATCH];
    let mut n = 0;
    for q in set.iter() {
        if !host.is_bound(q) {
            continue;
        }
        let r = Resetting {
            q,
            last: zapq(host, q),
        };
        if !needs_verification(r) {
            last_rcs_ok &= batch_result([r.last]).is_ok();
            continue;
        }
        batch[n] = r;
        n += 1;
        if n == BATCH {
            last_rcs_ok &= verify(host, &mut batch);
            n = 0;
        }
    }
    last_rcs_ok &= verify(host, &mut batch[..n]);
    if last_rcs_ok {
        Ok(())
    } else {
        Err(EIO)
    }
}

/// Polls the resets of `batch` every 20 ms until each is over or the
/// polls run out; returns whether every one's last ZAPQ answered normally.
fn verify(host: &mut HostState, batch: &mut [Resetting]) -> bool {
    let mut last_rcs_ok = true;
    // `batch[..left]` are still being verified.
    let mut left = batch.len();
    for round in 1..=RESET_POLLS {
        if left == 0 {
            break;
        }
        fsleep(Delta::from_millis(RESET_INTERVAL_MS));
        let mut i = 0;
        while i < left {
            if poll_reset(host, &mut batch[i], round) {
                last_rcs_ok &= batch_result([batch[i].last]).is_ok();
                left -= 1;
                batch.swap(i, left);
            } else {
                i += 1;
            }
        }
    }
    // Whatever still has not completed counts with its last ZAPQ.
    for r in &batch[..left] {
        report_reset_given_up(r.q);
    }
    last_rcs_ok && batch_result(batch[..left].iter().map(|r| r.last)).is_ok()
}

/// Upstream would keep polling with the locks held; we stop and say so.
fn report_reset_given_up(q: Apqn) {
    printk::log(
        Level::Warning,
        None,
        long_format!(c"reset of queue %02lx.%04lx not complete after %ld ms, giving up\n"),
        &[
            arg(q.apid),
            arg(q.apqi),
            arg(i64::from(RESET_POLLS) * RESET_INTERVAL_MS),
        ],
    );
}

/// Issues ZAPQ to `q` and records the response code; returns it.
fn zapq(host: &mut HostState, q: Apqn) -> u8 {
    let rc = QueueStatus(ap::zapq(q.qid(), false)).response_code();
    host.set_reset_response(q, rc);
    rc
}

/// Whether the ZAPQ just issued needs polling for its completion.
fn needs_verification(r: Resetting) -> bool {
    match after_zapq(r.last) {
        AfterZapq::Verify => true,
        // Nothing to wait for; the caller releases what the queue held
        // for guest interruptions.
        AfterZapq::FreeIrq => false,
        AfterZapq::Unexpected => {
            // Upstream WARNs: an answer the architecture does not allow.
            printk::log(
                Level::Warning,
                None,
                long_format!(c"PQAP/ZAPQ for %02lx.%04lx failed with invalid rc=%ld\n"),
                &[arg(r.q.apid), arg(r.q.apqi), arg(r.last)],
            );
            kernel::warn_on!(true);
            false
        }
    }
}

/// One TAPQ, in poll `round`, of a reset being verified (upstream
/// `apq_reset_check`); returns whether the verification is over.
fn poll_reset(host: &mut HostState, r: &mut Resetting, round: u32) -> bool {
    let (status, _) = ap::test_queue(r.q.qid(), false);
    let st = QueueStatus(status);
    let rc = st.response_code();
    match after_reset_tapq(rc, r.last) {
        AfterResetTapq::Finish | AfterResetTapq::Gone => true,
        AfterResetTapq::KeepWaiting => {
            let elapsed = i64::from(round) * RESET_INTERVAL_MS;
            ap::notice_reset_wait(
                i32::try_from(elapsed).unwrap_or(i32::MAX),
                r.q.qid(),
                rc,
                st.queue_empty(),
                st.irq_enabled(),
            );
            false
        }
        AfterResetTapq::Reissue => {
            r.last = zapq(host, r.q);
            false
        }
        AfterResetTapq::Failed => {
            // Upstream WARNs, as above.
            printk::log(
                Level::Warning,
                None,
                long_format!(c"failed to verify reset of queue %02lx.%04lx: TAPQ rc=%ld\n"),
                &[arg(r.q.apid), arg(r.q.apqi), arg(rc)],
            );
            kernel::warn_on!(true);
            true
        }
    }
}

/// The set holding the single queue `q`.
pub(crate) fn one(q: Apqn) -> ResetSet {
    ResetSet::product(&Mask::EMPTY.with(q.apid), &Mask::EMPTY.with(q.apqi))
}

/// Resets the single queue `q` (a queue leaving vfio_ap).
pub(crate) fn reset_queue(host: &mut HostState, q: Apqn) {
    let _ = reset_queues(host, &one(q));
}
