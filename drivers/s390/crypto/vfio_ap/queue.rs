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

use crate::abstractions::{
    ap::{self, Queue},
    kvm::KvmGuard,
    sysfs::{attribute_groups, DeviceAttribute, Show, ShowBuffer},
};
use crate::guest;
use crate::model::{
    apqn::Apqn,
    hotplug::{adapter_type_supported, remove_queue, ConfigDelta, RemovedQueue},
    mask::Mask,
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

/// The AP bus driver callbacks.
struct QueueDriver;

impl ap::Driver for QueueDriver {
    fn probe(queue: &Queue) -> Result {
        let q = Apqn::from_qid(queue.qid().into());
        let guests = state::lock_guests();
        let owner = find_owner(&guests, q);
        let kvm = lock_guest(&guests, owner);
        let mut mdevs = state::lock_mdevs();
        mdevs.host_mut().bind(q);
        if let Some(entry) = owner {
            // The model op needs the host while the mdev's data is
            // borrowed from the same guard: work on a copy.
            let mut model = entry.data.as_ref(&mdevs).model.clone();
            let plan = model.on_queue_probed(mdevs.host());
            entry.data.as_mut(&mut mdevs).model = model;
            state::execute_plan_for_guest(entry, &plan, kvm.as_ref(), &mut mdevs);
        }
        Ok(())
    }

    fn remove(queue: &Queue) {
        let q = Apqn::from_qid(queue.qid().into());
        let guests = state::lock_guests();
        let owner = find_owner(&guests, q);
        let kvm = lock_guest(&guests, owner);
        let mut mdevs = state::lock_mdevs();
        let removal = match owner {
            Some(entry) => {
                let mut model = entry.data.as_ref(&mdevs).model.clone();
                let r = remove_queue(Some(&mut model), q, mdevs.host());
                entry.data.as_mut(&mut mdevs).model = model;
                r
            }
            None => remove_queue(None, q, mdevs.host()),
        };
        if let (Some(entry), Some(plan)) = (owner, removal.plan.as_ref()) {
            state::execute_plan_for_guest(entry, plan, kvm.as_ref(), &mut mdevs);
        }
        match removal.action {
            // The plan's resets include the queue itself, and executing it
            // released what the queue held for guest interruptions.
            RemovedQueue::InGuest => {}
            RemovedQueue::ResetQueue => {
                reset::reset_queue(mdevs.host_mut(), q);
                // The reset turned the queue's interruptions off.
                release_irqs(owner, kvm.as_ref(), q, &mut mdevs);
            }
            // Not in the host's configuration, so not reset: its
            // interruptions are off with it.
            RemovedQueue::FreeIrqOnly => release_irqs(owner, kvm.as_ref(), q, &mut mdevs),
        }
        mdevs.host_mut().unbind(q);
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
                dev_warn!(
                    entry.dev,
                    "Can not reserve queue {:02x}.{:04x} for host driver: in use by mdev\n",
                    q.apid,
                    q.apqi
                );
            }
        }
        Err(EADDRINUSE)
    }

    fn on_config_changed(new: &ap::Config, old: &ap::Config) {
        let guests = state::lock_guests();
        let mut delta = ConfigDelta::between(&ap_config(old), &ap_config(new));
        if delta.has_removals() {
            for entry in guests.iter() {
                let kvm = lock_guest(&guests, Some(entry));
                let mut mdevs = state::lock_mdevs();
                let plan = entry
                    .data
                    .as_mut(&mut mdevs)
                    .model
                    .on_config_removed(&delta);
                state::execute_plan_for_guest(entry, &plan, kvm.as_ref(), &mut mdevs);
            }
        }
        if delta.has_additions() && !guests.is_empty() {
            delta.drop_added_adapters(&unsupported_adapters(&delta));
            for entry in guests.iter() {
                let mut mdevs = state::lock_mdevs();
                entry.data.as_mut(&mut mdevs).model.on_config_added(&delta);
            }
        }
        state::lock_mdevs().host_mut().set_config(ap_config(new));
    }

    fn on_scan_complete(_new: &ap::Config, _old: &ap::Config) {
        let guests = state::lock_guests();
        for entry in guests.iter() {
            let kvm = lock_guest(&guests, Some(entry));
            let mut mdevs = state::lock_mdevs();
            let mut model = entry.data.as_ref(&mdevs).model.clone();
            let plan = model.on_scan_complete(mdevs.host());
            entry.data.as_mut(&mut mdevs).model = model;
            state::execute_plan_for_guest(entry, &plan, kvm.as_ref(), &mut mdevs);
        }
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

/// Releases what queue `q` held for the guest interruptions of its owner
/// `entry`, if a guest (`kvm`, locked) is attached to it
/// (for a queue leaving vfio_ap).
fn release_irqs(
    entry: Option<&Arc<MdevEntry>>,
    kvm: Option<&KvmGuard<'_>>,
    q: Apqn,
    mdevs: &mut GlobalGuard<state::MDEVS_LOCK>,
) {
    if let (Some(entry), Some(g)) = (entry, kvm) {
        let vfio = &mut entry.data.as_mut(mdevs).vfio;
        guest::release_reset_irqs(g, vfio, &reset::one(q));
    }
}

/// The added adapters older than CEX4 or of unknown type, found with TAPQ
/// (T bit) on their added queues.
fn unsupported_adapters(delta: &ConfigDelta) -> Mask {
    let mut unsupported = Mask::EMPTY;
    for q in delta.type_check_queues() {
        if unsupported.test(q.apid) {
            continue;
        }
        let (status, info) = ap::test_queue(q.qid(), true);
        let rc = QueueStatus(status).response_code();
        // The adapter type is bits 32-39 (from the left) of GR2.
        let adapter_type = ((info >> 24) & 0xff) as u8;
        if !adapter_type_supported(rc, adapter_type) {
            unsupported.set(q.apid);
        }
    }
    unsupported
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
