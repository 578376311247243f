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
    prelude::*,
    sync::{aref::ARef, Arc, GlobalGuard, GlobalLockedBy},
};

use crate::abstractions::{
    ap,
    debug::Area,
    heap,
    kvm::{Attachment, KvmGuard},
    sync::global_mutex,
};
use crate::dbf;
use crate::guest::{self, VfioState};
use crate::model::{
    apqn::Apqn,
    crycb,
    host::{ApConfig, DefaultOwner, HostState},
    mask::Mask,
    matrix::Apcb,
    mdev::Mdev,
    plan::Plan,
};
use crate::reset::reset_queues;

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

/// The initialised global state; dropping it forgets every mdev.
///
/// The module keeps it until every registration that could reach the state
/// is gone.
pub(crate) struct State {
    _private: (),
}

impl State {
    /// Initialises the locks and the host configuration (QCI), and keeps
    /// the debug area `area` until the state is dropped. Called once at
    /// module init, before anything that could use the state is
    /// registered.
    pub(crate) fn init(area: Area) -> Result<Self> {
        init_guests_lock();
        init_mdevs_lock();
        let config = ap_config(&ap::qci()?);
        // Zeroed in place: the all-zero host state is the empty one (no
        // configuration, no reservations, nothing bound).
        let mut host = heap::zeroed::<HostState>()?;
        host.set_config(config);
        lock_mdevs().host = Some(host);
        dbf::install(area);
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
        dbf::release();
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
    pub(crate) vfio: VfioState,
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
    pub(crate) kvm: Option<Attachment>,
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
                    vfio: VfioState::new(),
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
        guest::apply(act, g, &entry.data.as_ref(mdevs).vfio);
    }
    // A failed reset is not the caller's error, as upstream.
    let _ = reset_queues(mdevs.host_mut(), &plan.resets);
    if let Some(g) = kvm {
        let vfio = &mut entry.data.as_mut(mdevs).vfio;
        guest::release_reset_irqs(g, vfio, &plan.resets);
    }
}
