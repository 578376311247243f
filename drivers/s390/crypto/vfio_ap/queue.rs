// SPDX-License-Identifier: GPL-2.0

//! The AP queue driver `vfio_ap`: it binds the AP queues (CEX4 and newer)
//! that the AP bus does not reserve for the host's default drivers, keeps
//! the model's view of the host current (bound queues, AP configuration),
//! and protects the mdevs' queues from being taken back by the host.

#![deny(unsafe_code)]

use kernel::{
    device::Device,
    prelude::*,
    sync::{Arc, GlobalGuard},
};

use crate::abstractions::cformat::long_format;
use crate::abstractions::{
    ap::{self, Queue},
    kvm::KvmGuard,
    printk::{self, Level},
    sysfs::{attribute_groups, DeviceAttribute, Show, ShowBuffer},
};
use crate::dbf::arg;
use crate::guest;
use crate::model::{
    apqn::Apqn,
    events::{self, Effects, Mdevs},
    host::{ApConfig, HostState},
    mask::Mask,
    mdev::Mdev,
    plan::Plan,
    response::QueueStatus,
    status::{queue_state, QueueState},
    validate,
};
use crate::reset;
use crate::state::{self, ap_config, MdevEntry, GUESTS_LOCK};

/// The queue's `status` attribute: `unassigned`, `assigned` or `in use`.
struct Status;

impl Show for Status {
    fn show(dev: &Device, buf: &mut ShowBuffer<'_>) -> Result {
        let queue = Queue::from_device(dev).ok_or(ENODEV)?;
        let q = Apqn::from_qid(queue.qid().into());
        let guests = state::lock_guests();
        let mdevs = state::lock_mdevs();
        let st = if mdevs.host().is_bound(q) {
            let owner = state::owner_of(&guests, &mdevs, q).map(|e| e.data.as_ref(&mdevs));
            let attached = owner.is_some_and(|d| d.kvm_attached);
            queue_state(q, owner.map(|d| &d.model), attached)
        } else {
            // Not probed yet: no queue state of ours to report.
            QueueState::Unassigned
        };
        buf.fill_with(|page| st.show(page));
        Ok(())
    }
}

static STATUS_ATTR: DeviceAttribute = DeviceAttribute::read_only::<Status>(c"status");

attribute_groups! {
    static QUEUE_GROUPS = [STATUS_ATTR];
}

/// The AP bus driver callbacks: the model's sequence of each event
/// (`model::events`), with the driver's effects.
struct QueueDriver;

impl ap::Driver for QueueDriver {
    fn probe(queue: &Queue) -> Result {
        let q = Apqn::from_qid(queue.qid().into());
        let guests = state::lock_guests();
        let owner = find_owner(&guests, q);
        let kvm = lock_guest(&guests, owner);
        let mut mdevs = state::lock_mdevs();
        with_owner(owner, kvm.as_ref(), &mut mdevs, |fx, m| {
            events::queue_probed(fx, m, q)
        });
        Ok(())
    }

    fn remove(queue: &Queue) {
        let q = Apqn::from_qid(queue.qid().into());
        let guests = state::lock_guests();
        let owner = find_owner(&guests, q);
        let kvm = lock_guest(&guests, owner);
        let mut mdevs = state::lock_mdevs();
        with_owner(owner, kvm.as_ref(), &mut mdevs, |fx, m| {
            events::queue_removed(fx, m, q);
        });
    }

    fn in_use(apm: &[u64; 4], aqm: &[u64; 4]) -> Result {
        let guests = state::lock_guests();
        let mdevs = state::lock_mdevs();
        let (apm, aqm) = (Mask::from_words(*apm), Mask::from_words(*aqm));
        let Some(conflict) = validate::in_use(&apm, &aqm, state::all_assigned(&guests, &mdevs))
        else {
            return Ok(());
        };
        if let Some(entry) = guests.iter().nth(conflict.index) {
            for q in conflict.queues() {
                printk::log(
                    Level::Warning,
                    Some(&*entry.dev),
                    long_format!(
                        c"Can not reserve queue %02lx.%04lx for host driver: in use by mdev\n"
                    ),
                    &[arg(q.apid), arg(q.apqi)],
                );
            }
        }
        Err(EADDRINUSE)
    }

    fn on_config_changed(new: &ap::Config, old: &ap::Config) {
        let guests = state::lock_guests();
        events::config_changed(&mut Bus(&guests), &ap_config(old), &ap_config(new));
    }

    fn on_scan_complete(_new: &ap::Config, _old: &ap::Config) {
        let guests = state::lock_guests();
        events::scan_complete(&mut Bus(&guests));
    }
}

/// The effects of an event on the mdev `entry` (or on none), with both
/// driver locks and, when a guest is attached, its `kvm->lock` held.
struct EntryEffects<'a, 'g> {
    entry: Option<&'a MdevEntry>,
    kvm: Option<&'a KvmGuard<'g>>,
    mdevs: &'a mut GlobalGuard<state::MDEVS_LOCK>,
}

impl Effects for EntryEffects<'_, '_> {
    fn host(&mut self) -> &mut HostState {
        self.mdevs.host_mut()
    }

    fn execute(&mut self, plan: &Plan) {
        if let Some(entry) = self.entry {
            state::execute_plan_for_guest(entry, plan, self.kvm, self.mdevs);
        }
    }

    fn reset_queue(&mut self, q: Apqn) {
        reset::reset_queue(self.mdevs.host_mut(), q);
    }

    fn release_irqs(&mut self, q: Apqn) {
        if let (Some(entry), Some(g)) = (self.entry, self.kvm) {
            let vfio = &mut entry.data.as_mut(self.mdevs).vfio;
            guest::release_reset_irqs(g, vfio, &reset::one(q));
        }
    }
}

/// Runs `event` on a copy of `owner`'s model (if there is an owner), with
/// the effects on it, and keeps the changed model.
fn with_owner(
    owner: Option<&Arc<MdevEntry>>,
    kvm: Option<&KvmGuard<'_>>,
    mdevs: &mut GlobalGuard<state::MDEVS_LOCK>,
    event: impl FnOnce(&mut dyn Effects, Option<&mut Mdev>),
) {
    // The model needs the host while the mdev's data is borrowed from the
    // same guard: work on a copy.
    let mut model = owner.map(|e| e.data.as_ref(mdevs).model.clone());
    let mut fx = EntryEffects {
        entry: owner.map(|e| &**e),
        kvm,
        mdevs,
    };
    event(&mut fx, model.as_mut());
    if let (Some(entry), Some(model)) = (owner, model) {
        entry.data.as_mut(mdevs).model = model;
    }
}

/// Every mdev, for the configuration events: each visited with its
/// guest's `kvm->lock` (when it has effects) and the mdevs lock, under
/// the guests lock the caller holds.
struct Bus<'a>(&'a GlobalGuard<GUESTS_LOCK>);

impl Mdevs for Bus<'_> {
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn for_each(&mut self, f: &mut dyn FnMut(&mut Mdev, &mut dyn Effects)) {
        for entry in self.0.iter() {
            let kvm = lock_guest(self.0, Some(entry));
            let mut mdevs = state::lock_mdevs();
            with_owner(Some(entry), kvm.as_ref(), &mut mdevs, |fx, m| {
                if let Some(m) = m {
                    f(m, fx);
                }
            });
        }
    }

    fn note_each(&mut self, f: &mut dyn FnMut(&mut Mdev)) {
        for entry in self.0.iter() {
            let mut mdevs = state::lock_mdevs();
            f(&mut entry.data.as_mut(&mut mdevs).model);
        }
    }

    fn adapter_type(&mut self, q: Apqn) -> (u8, u8) {
        let (status, info) = ap::test_queue(q.qid(), true);
        // The adapter type is bits 32-39 (from the left) of GR2.
        (
            QueueStatus(status).response_code(),
            ((info >> 24) & 0xff) as u8,
        )
    }

    fn set_config(&mut self, config: ApConfig) {
        state::lock_mdevs().host_mut().set_config(config);
    }
}

/// The mdev that holds `q`.
///
/// Looked up under [`state::MDEVS_LOCK`], which is dropped again so that
/// the guest's `kvm->lock` can be taken before it; the answer stays valid
/// because every assignment change also holds [`state::GUESTS_LOCK`].
fn find_owner(guests: &state::Guests, q: Apqn) -> Option<&Arc<MdevEntry>> {
    let mdevs = state::lock_mdevs();
    state::owner_of(guests, &mdevs, q)
}

/// Takes `kvm->lock` of the guest `entry` is attached to, if any: the lock
/// between [`state::GUESTS_LOCK`] and [`state::MDEVS_LOCK`].
fn lock_guest<'a>(
    guests: &'a GlobalGuard<GUESTS_LOCK>,
    entry: Option<&'a Arc<MdevEntry>>,
) -> Option<KvmGuard<'a>> {
    entry?.guest.as_ref(guests).kvm.as_ref().map(|k| k.lock())
}

/// The registered AP queue driver; unregistered on drop.
pub(crate) struct QueueDriverRegistration {
    _reg: ap::Registration,
}

impl QueueDriverRegistration {
    /// Registers the driver as `vfio_ap`; the AP bus then probes every free
    /// queue.
    pub(crate) fn register(module: &'static ThisModule) -> Result<Self> {
        Ok(Self {
            _reg: ap::Registration::register::<QueueDriver>(c"vfio_ap", module, &QUEUE_GROUPS)?,
        })
    }
}
