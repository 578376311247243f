// SPDX-License-Identifier: GPL-2.0

//! The driver's global state and its two locks.
//!
//! Lock order, the same as upstream's, outermost
//! first: AP bus `ap_attr_mutex`, [`GUESTS_LOCK`], `kvm->lock`,
//! `pqap_hook_rwsem`, [`MDEVS_LOCK`].
//!
//! - [`GUESTS_LOCK`] (the guests lock) holds the list of mdevs: whoever walks
//!   the list to plug or unplug a guest holds it, so the list cannot change
//!   under them and the KVM locks can be taken between the two driver locks.
//! - [`MDEVS_LOCK`] (the mdevs lock) holds the host's model state
//!   ([`HostState`]: QCI, bound queues) and each mdev's [`MdevData`] (its
//!   model [`Mdev`]).

#![deny(unsafe_code)]

use kernel::{
    device::Device,
    ffi::c_long,
    prelude::*,
    sync::{aref::ARef, Arc, GlobalGuard, GlobalLockedBy},
    time::{delay::fsleep, Delta},
};

use crate::abstractions::kvm::KvmGuard;
use crate::abstractions::{
    ap,
    debug::{self, Area},
    heap,
    sync::global_mutex,
};
use crate::model::{
    apqn::Apqn,
    crycb,
    host::{ApConfig, DefaultOwner, HostState},
    mask::Mask,
    matrix::Apcb,
    mdev::Mdev,
    plan::Plan,
    reset::{after_reset_tapq, after_zapq, batch_result, AfterResetTapq, AfterZapq, ResetSet},
    response::QueueStatus,
};

/// What [`GUESTS_LOCK`] protects: the mdevs (see [`Guests::iter`] for
/// their order).
pub(crate) struct Guests {
    mdevs: KVec<Arc<MdevEntry>>,
}

/// What [`MDEVS_LOCK`] protects besides the per-mdev [`MdevData`].
pub(crate) struct Matrix {
    /// The host side of the model (the last QCI and the bound queues).
    ///
    /// Its `defaults` stay empty: which APQNs the default drivers own is
    /// asked of the AP bus itself ([`ApBusOwner`]), which also knows about
    /// `driver_override`.
    ///
    /// On the heap (about 16 KiB of queue bitmaps), allocated by
    /// [`State::init`] before anything can take the lock and kept until
    /// module exit; `None` only before that.
    host: Option<VBox<HostState>>,
}

impl Matrix {
    /// The host side of the model.
    pub(crate) fn host(&self) -> &HostState {
        self.host
            .as_deref()
            .expect("host state allocated at module init")
    }

    /// The host side of the model, to change.
    pub(crate) fn host_mut(&mut self) -> &mut HostState {
        self.host
            .as_deref_mut()
            .expect("host state allocated at module init")
    }
}

global_mutex! {
    /// The guests lock (see the module's lock order).
    pub(crate) static GUESTS_LOCK: Guests = Guests { mdevs: KVec::new() };
    init = init_guests_lock;
}

global_mutex! {
    /// The mdevs lock (see the module's lock order).
    pub(crate) static MDEVS_LOCK: Matrix = Matrix { host: None };
    init = init_mdevs_lock;
}

global_mutex! {
    /// The `vfio_ap` s390dbf area, from module init to exit. A leaf lock:
    /// nothing is taken under it.
    static DBF: Option<Area> = None;
    init = init_dbf_lock;
}

/// Records a warning in the `vfio_ap` s390dbf area, at the level of
/// upstream's entries; `fmt` has one integer conversion per argument.
pub(crate) fn dbf_warn(fmt: &'static CStr, args: &[c_long]) {
    if let Some(dbf) = &*DBF.lock() {
        dbf.event(debug::LEVEL_WARN, fmt, args);
    }
}

/// The initialised global state; dropping it forgets every mdev.
///
/// The module keeps it until every registration that could reach the state
/// is gone.
pub(crate) struct State {
    _private: (),
}

impl State {
    /// Initialises the locks and the host configuration (QCI), and keeps
    /// the debug area `dbf` until the state is dropped. Called once at
    /// module init, before anything that could use the state is
    /// registered.
    pub(crate) fn init(dbf: Area) -> Result<Self> {
        init_guests_lock();
        init_mdevs_lock();
        init_dbf_lock();
        let config = ap_config(&ap::qci()?);
        // Zeroed in place: the all-zero host state is the empty one (no
        // configuration, no reservations, nothing bound).
        let mut host = heap::zeroed::<HostState>()?;
        host.set_config(config);
        lock_mdevs().host = Some(host);
        *DBF.lock() = Some(dbf);
        Ok(Self { _private: () })
    }
}

impl Drop for State {
    fn drop(&mut self) {
        // Statics are not dropped: release the mdev references, the
        // list's buffer (emptying the list keeps its capacity, and the next
        // load starts a fresh list), the host state and the debug area here.
        let mdevs = core::mem::replace(&mut lock_guests().mdevs, KVec::new());
        drop(mdevs);
        drop(lock_mdevs().host.take());
        let dbf = DBF.lock().take();
        drop(dbf);
    }
}

/// Takes [`GUESTS_LOCK`].
pub(crate) fn lock_guests() -> GlobalGuard<GUESTS_LOCK> {
    GUESTS_LOCK.lock()
}

/// Takes [`MDEVS_LOCK`].
pub(crate) fn lock_mdevs() -> GlobalGuard<MDEVS_LOCK> {
    MDEVS_LOCK.lock()
}

/// The model's view of an AP configuration from the AP bus.
pub(crate) fn ap_config(c: &ap::Config) -> ApConfig {
    ApConfig {
        apxa: c.apxa,
        na: c.na,
        nd: c.nd,
        apm: Mask::from_words(c.apm),
        aqm: Mask::from_words(c.aqm),
        adm: Mask::from_words(c.adm),
    }
}

/// The per-mdev state under [`MDEVS_LOCK`].
pub(crate) struct MdevData {
    /// The model of the mdev: assignment, guest APCB, limits.
    pub(crate) model: Mdev,
    /// Whether a KVM guest is attached ([`MdevGuest::kvm`] set, as seen
    /// under [`MDEVS_LOCK`]).
    pub(crate) kvm_attached: bool,
    /// Whether the attached guest was asked to release the device (the
    /// vfio `request` callback) and has not closed it yet.
    pub(crate) removal_requested: bool,
    /// The VFIO interrupts (eventfds) of the mdev.
    pub(crate) vfio: crate::vfio_dev::VfioState,
}

/// One mdev as the driver's global state knows it.
pub(crate) struct MdevEntry {
    /// The mdev's device (named by its UUID), for log lines.
    pub(crate) dev: ARef<Device>,
    /// The state under [`MDEVS_LOCK`].
    pub(crate) data: GlobalLockedBy<MdevData, MDEVS_LOCK>,
    /// The state under [`GUESTS_LOCK`].
    pub(crate) guest: GlobalLockedBy<MdevGuest, GUESTS_LOCK>,
}

/// The per-mdev state under [`GUESTS_LOCK`]: the KVM guest, which plugging
/// and unplugging must know before taking `kvm->lock` and [`MDEVS_LOCK`].
pub(crate) struct MdevGuest {
    /// The guest using the mdev, with its PQAP hook, set and cleared with
    /// all locks held; `MdevData::kvm_attached`
    /// mirrors it.
    pub(crate) kvm: Option<crate::abstractions::kvm::Attachment>,
}

impl MdevEntry {
    /// A new entry for mdev device `dev` with model state `model`.
    pub(crate) fn new(dev: ARef<Device>, model: Mdev) -> Result<Arc<Self>> {
        Ok(Arc::new(
            Self {
                dev,
                data: GlobalLockedBy::new(MdevData {
                    model,
                    kvm_attached: false,
                    removal_requested: false,
                    vfio: crate::vfio_dev::VfioState::new(),
                }),
                guest: GlobalLockedBy::new(MdevGuest { kvm: None }),
            },
            GFP_KERNEL,
        )?)
    }
}

impl Guests {
    /// Appends `entry` to the list.
    pub(crate) fn add(&mut self, entry: Arc<MdevEntry>) -> Result {
        self.mdevs.push(entry, GFP_KERNEL)?;
        Ok(())
    }

    /// Removes `entry` from the list; returns the list's reference.
    pub(crate) fn remove(&mut self, entry: &MdevEntry) -> Option<Arc<MdevEntry>> {
        let i = self
            .mdevs
            .iter()
            .position(|e| core::ptr::eq::<MdevEntry>(&**e, entry))?;
        self.mdevs.remove(i).ok()
    }

    /// The mdevs in the order upstream keeps them, newest first (it adds
    /// at the head): checks that stop at the first conflicting mdev name the
    /// same one.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Arc<MdevEntry>> {
        self.mdevs.iter().rev()
    }

    /// Whether there is no mdev.
    pub(crate) fn is_empty(&self) -> bool {
        self.mdevs.is_empty()
    }
}

/// The mdevs other than `me`, in list order (newest first).
pub(crate) fn other_entries<'a>(
    guests: &'a Guests,
    me: &'a MdevEntry,
) -> impl Iterator<Item = &'a Arc<MdevEntry>> + 'a {
    guests
        .iter()
        .filter(move |e| !core::ptr::eq::<MdevEntry>(&***e, me))
}

/// The assigned APCBs of the mdevs other than `me`, in list order: the
/// `others` argument of the model's assignment operations. A
/// [`Conflict`](crate::model::validate::Conflict) index is a position in
/// [`other_entries`].
pub(crate) fn others<'a>(
    guests: &'a Guests,
    me: &'a MdevEntry,
    mdevs: &'a GlobalGuard<MDEVS_LOCK>,
) -> impl Iterator<Item = &'a Apcb> + 'a {
    other_entries(guests, me).map(move |e| e.data.as_ref(mdevs).model.assigned())
}

/// The assigned APCBs of all mdevs, in list order (newest first).
pub(crate) fn all_assigned<'a>(
    guests: &'a Guests,
    mdevs: &'a GlobalGuard<MDEVS_LOCK>,
) -> impl Iterator<Item = &'a Apcb> + 'a {
    guests
        .iter()
        .map(move |e| e.data.as_ref(mdevs).model.assigned())
}

/// The mdev that holds queue `q`, if any.
pub(crate) fn owner_of<'a>(
    guests: &'a Guests,
    mdevs: &GlobalGuard<MDEVS_LOCK>,
    q: Apqn,
) -> Option<&'a Arc<MdevEntry>> {
    guests.iter().find(|e| e.data.as_ref(mdevs).model.holds(q))
}

/// The AP bus's answer to "does this APQN belong to the default drivers":
/// `apmask`/`aqmask`, overridden per queue by `driver_override`.
pub(crate) struct ApBusOwner;

impl DefaultOwner for ApBusOwner {
    fn owned_by_default(&self, q: Apqn) -> bool {
        ap::apqns_owned_by_default(
            &Mask::EMPTY.with(q.apid).words(),
            &Mask::EMPTY.with(q.apqi).words(),
        )
    }

    fn owns_any(&self, apm: &Mask, aqm: &Mask) -> bool {
        ap::apqns_owned_by_default(&apm.words(), &aqm.words())
    }
}

/// Carries out a model plan for `entry` (its model already updated), with
/// both driver locks held and, when a guest is attached (`kvm` is
/// `Some`), its `kvm->lock`: the guest's CRYCB and the cfg_chg signal as
/// the model's `crycb::on_plan` decides, then the resets of the bound
/// queues the plan names, then the release of what those queues held for
/// guest interruptions (the resets turned them off).
pub(crate) fn execute_plan_for_guest(
    entry: &MdevEntry,
    plan: &Plan,
    kvm: Option<&KvmGuard<'_>>,
    mdevs: &mut GlobalGuard<MDEVS_LOCK>,
) {
    if let Some(g) = kvm {
        let act = crycb::on_plan(plan, true, entry.data.as_ref(mdevs).removal_requested);
        crate::vfio_dev::apply(act, g, &entry.data.as_ref(mdevs).vfio);
    }
    // A failed reset is not the caller's error, as upstream.
    let _ = reset_queues(mdevs, &plan.resets);
    if let Some(g) = kvm {
        let vfio = &mut entry.data.as_mut(mdevs).vfio;
        crate::vfio_dev::release_reset_irqs(g, vfio, &plan.resets);
    }
}

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

/// Resets the bound queues of `set` as upstream does: ZAPQ on each, then
/// TAPQ every 20 ms until each reset completed, re-issuing ZAPQ when the
/// model says so, with each queue's ZAPQ response recorded in the host
/// state. `EIO` unless every queue's last ZAPQ answered normally.
pub(crate) fn reset_queues(mdevs: &mut GlobalGuard<MDEVS_LOCK>, set: &ResetSet) -> Result {
    let mut last_rcs_ok = true;
    // The resets run in parallel, as upstream's reset work items do.
    let mut pending = KVec::new();
    for q in set.iter() {
        if !mdevs.host().is_bound(q) {
            continue;
        }
        let mut r = Resetting {
            q,
            last: zapq(mdevs, q),
        };
        if !needs_verification(r) {
            last_rcs_ok &= batch_result([r.last]).is_ok();
            continue;
        }
        if pending.push(r, GFP_KERNEL).is_err() {
            // No memory to wait in parallel: wait for this one alone.
            if !poll_reset_until_done(mdevs, &mut r) {
                report_reset_given_up(r.q);
            }
            last_rcs_ok &= batch_result([r.last]).is_ok();
        }
    }
    for round in 1..=RESET_POLLS {
        if pending.is_empty() {
            break;
        }
        fsleep(Delta::from_millis(RESET_INTERVAL_MS));
        pending.retain(|r| {
            if !poll_reset(mdevs, r, round) {
                return true;
            }
            last_rcs_ok &= batch_result([r.last]).is_ok();
            false
        });
    }
    // Whatever still has not completed counts with its last ZAPQ.
    for r in pending.iter() {
        report_reset_given_up(r.q);
    }
    last_rcs_ok &= batch_result(pending.iter().map(|r| r.last)).is_ok();
    if last_rcs_ok {
        Ok(())
    } else {
        Err(EIO)
    }
}

/// Polls one reset every 20 ms until it is over or the polls run out;
/// returns whether it is over.
fn poll_reset_until_done(mdevs: &mut GlobalGuard<MDEVS_LOCK>, r: &mut Resetting) -> bool {
    for round in 1..=RESET_POLLS {
        fsleep(Delta::from_millis(RESET_INTERVAL_MS));
        if poll_reset(mdevs, r, round) {
            return true;
        }
    }
    false
}

/// Upstream would keep polling with the locks held; we stop and say so.
fn report_reset_given_up(q: Apqn) {
    pr_warn!(
        "reset of queue {:02x}.{:04x} not complete after {} ms, giving up\n",
        q.apid,
        q.apqi,
        i64::from(RESET_POLLS) * RESET_INTERVAL_MS
    );
}

/// Issues ZAPQ to `q` and records the response code; returns it.
fn zapq(mdevs: &mut GlobalGuard<MDEVS_LOCK>, q: Apqn) -> u8 {
    let rc = QueueStatus(ap::zapq(q.qid(), false)).response_code();
    mdevs.host_mut().set_reset_response(q, rc);
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
            pr_warn!(
                "PQAP/ZAPQ for {:02x}.{:04x} failed with invalid rc={}\n",
                r.q.apid,
                r.q.apqi,
                r.last
            );
            kernel::warn_on!(true);
            false
        }
    }
}

/// One TAPQ, in poll `round`, of a reset being verified (upstream
/// `apq_reset_check`); returns whether the verification is over.
fn poll_reset(mdevs: &mut GlobalGuard<MDEVS_LOCK>, r: &mut Resetting, round: u32) -> bool {
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
            r.last = zapq(mdevs, r.q);
            false
        }
        AfterResetTapq::Failed => {
            // Upstream WARNs, as above.
            pr_warn!(
                "failed to verify reset of queue {:02x}.{:04x}: TAPQ rc={}\n",
                r.q.apid,
                r.q.apqi,
                rc
            );
            kernel::warn_on!(true);
            true
        }
    }
}

/// Resets the single queue `q` (a queue leaving vfio_ap).
pub(crate) fn reset_queue(mdevs: &mut GlobalGuard<MDEVS_LOCK>, q: Apqn) {
    let one = ResetSet::product(&Mask::EMPTY.with(q.apid), &Mask::EMPTY.with(q.apqi));
    let _ = reset_queues(mdevs, &one);
}
