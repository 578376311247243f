// SPDX-License-Identifier: GPL-2.0

//! The vfio_ap mediated devices: the mdev type `vfio_ap-passthrough` on the
//! matrix device, the mdev driver `vfio_ap_mdev`, and the attributes of
//! each mdev (assignment, `matrix`, `guest_matrix`, `control_domains`,
//! `ap_config`).
//!
//! Every decision is the core model's ([`Mdev`]); this file reaches the
//! mdev's state entry through its driver data, calls the model under the
//! state lock, logs what upstream logs and carries out the returned plan.

#![deny(unsafe_code)]

use kernel::{
    device::Device,
    prelude::*,
    sync::Arc, //
};

use crate::abstractions::cformat::long_format;
use crate::abstractions::{
    ap,
    mdev::{
        mdev_attribute_groups, BoundShow, BoundStore, DriverRegistration, MdevAttribute,
        MdevDevice, MdevDriver, ParentDevice, ParentRegistration,
    },
    printk::{self, Level},
    sysfs::ShowBuffer,
    vfio,
};
use crate::dbf::{arg, uuid_args};
use crate::model::{
    error::{Error as ModelError, Result as ModelResult},
    host::HostState,
    matrix::Apcb,
    mdev::{AssignAttr, Mdev},
    plan::Plan,
    validate::Conflict,
};
use crate::reset::reset_queues;
use crate::state::{self, ApBusOwner, Guests, MdevEntry};
use crate::vfio_dev::VfioApDevice;

/// Upstream's type: `<parent driver>-passthrough` in sysfs.
const TYPE_SYSFS_NAME: &CStr = c"passthrough";
/// The type's `name` attribute.
const TYPE_PRETTY_NAME: &CStr = c"VFIO AP Passthrough Device";
/// The type's `device_api` (`VFIO_DEVICE_API_AP_STRING`).
const DEVICE_API: &CStr = c"vfio-ap";
/// At most one mdev per APQN (`MAX_ZDEV_ENTRIES_EXT`, 256 x 256).
const MAX_INSTANCES: u32 = 256 * 256;

/// Logs upstream's complaint for every APQN an assignment would take from
/// another mdev (`conflict` indexes [`state::other_entries`]).
fn log_sharing(guests: &Guests, me: &MdevEntry, conflict: &Conflict) {
    let Some(other) = state::other_entries(guests, me).nth(conflict.index) else {
        return;
    };
    let [a, b, c, d, e, f] = uuid_args(&other.dev);
    for q in conflict.queues() {
        printk::log(
            Level::Warning,
            Some(&*me.dev),
            long_format!(c"Userspace may not assign queue %02lx.%04lx to mdev: already assigned to %08lx-%04lx-%04lx-%04lx-%04lx%08lx\n"),
            &[arg(q.apid), arg(q.apqi), a, b, c, d, e, f],
        );
    }
}

/// A model operation on the mdev `me` as every attribute store runs it:
/// both driver locks, the mdev's model cloned, changed by `op` and written
/// back on success, the plan executed. An `EADDRINUSE` names the mdev to
/// log.
fn update(
    me: &MdevEntry,
    op: impl FnOnce(&mut Mdev, &HostState, &mut dyn Iterator<Item = &Apcb>) -> ModelResult<Plan>,
) -> Result {
    let guests = state::lock_guests();
    // Upstream's order: the guest's `kvm->lock` before the mdevs lock.
    let kvm_guard = me.guest.as_ref(&guests).kvm.as_ref().map(|k| k.lock());
    let mut mdevs = state::lock_mdevs();
    let mut model = me.data.as_ref(&mdevs).model.clone();
    let result = op(
        &mut model,
        mdevs.host(),
        &mut state::others(&guests, me, &mdevs),
    );
    match result {
        Ok(plan) => {
            me.data.as_mut(&mut mdevs).model = model;
            // The guest's CRYCB and cfg_chg signal, then the queue resets.
            state::execute_plan_for_guest(me, &plan, kvm_guard.as_ref(), &mut mdevs);
            Ok(())
        }
        Err(e) => {
            if let ModelError::AddrInUse(c) = &e {
                log_sharing(&guests, me, c);
            }
            Err(e.into())
        }
    }
}

/// Stores to the six assignment attributes; `A` is the attribute's
/// position in [`AssignAttr::ALL`].
struct AssignStore<const A: usize>;

impl<const A: usize> BoundStore<VfioApMdevDriver> for AssignStore<A> {
    fn store(_dev: &Device, data: &MdevDriverData, buf: &[u8]) -> Result {
        store_assignment(&data.entry, buf, AssignAttr::ALL[A])
    }
}

/// The body of the six [`AssignStore`]s, compiled once rather than once
/// per attribute.
#[inline(never)]
fn store_assignment(me: &MdevEntry, buf: &[u8], attr: AssignAttr) -> Result {
    let _ap = attr.needs_ap_attr_mutex().then(ap::lock_attr_mutex);
    update(me, |m, host, others| {
        m.store(attr, buf, host, &ApBusOwner, others)
    })
}

static ASSIGN_ADAPTER: MdevAttribute<VfioApMdevDriver> =
    MdevAttribute::write_only::<AssignStore<0>>(c"assign_adapter");
static UNASSIGN_ADAPTER: MdevAttribute<VfioApMdevDriver> =
    MdevAttribute::write_only::<AssignStore<1>>(c"unassign_adapter");
static ASSIGN_DOMAIN: MdevAttribute<VfioApMdevDriver> =
    MdevAttribute::write_only::<AssignStore<2>>(c"assign_domain");
static UNASSIGN_DOMAIN: MdevAttribute<VfioApMdevDriver> =
    MdevAttribute::write_only::<AssignStore<3>>(c"unassign_domain");
static ASSIGN_CONTROL_DOMAIN: MdevAttribute<VfioApMdevDriver> =
    MdevAttribute::write_only::<AssignStore<4>>(c"assign_control_domain");
static UNASSIGN_CONTROL_DOMAIN: MdevAttribute<VfioApMdevDriver> =
    MdevAttribute::write_only::<AssignStore<5>>(c"unassign_control_domain");

/// Which read-only text of an mdev to show.
struct View<const V: u8>;

const VIEW_MATRIX: u8 = 0;
const VIEW_GUEST_MATRIX: u8 = 1;
const VIEW_CONTROL_DOMAINS: u8 = 2;
const VIEW_AP_CONFIG: u8 = 3;

impl<const V: u8> BoundShow<VfioApMdevDriver> for View<V> {
    fn show(_dev: &Device, data: &MdevDriverData, buf: &mut ShowBuffer<'_>) -> Result {
        let mdevs = state::lock_mdevs();
        let m = &data.entry.data.as_ref(&mdevs).model;
        buf.fill_with(|page| match V {
            VIEW_MATRIX => m.show_matrix(page),
            VIEW_GUEST_MATRIX => m.show_guest_matrix(page),
            VIEW_CONTROL_DOMAINS => m.show_control_domains(page),
            _ => m.show_ap_config(page),
        });
        Ok(())
    }
}

impl BoundStore<VfioApMdevDriver> for View<VIEW_AP_CONFIG> {
    fn store(_dev: &Device, data: &MdevDriverData, buf: &[u8]) -> Result {
        let _ap = ap::lock_attr_mutex();
        update(&data.entry, |m, host, others| {
            m.write_ap_config(buf, host, &ApBusOwner, others)
        })
    }
}

static MATRIX: MdevAttribute<VfioApMdevDriver> =
    MdevAttribute::read_only::<View<VIEW_MATRIX>>(c"matrix");
static GUEST_MATRIX: MdevAttribute<VfioApMdevDriver> =
    MdevAttribute::read_only::<View<VIEW_GUEST_MATRIX>>(c"guest_matrix");
static CONTROL_DOMAINS: MdevAttribute<VfioApMdevDriver> =
    MdevAttribute::read_only::<View<VIEW_CONTROL_DOMAINS>>(c"control_domains");
static AP_CONFIG: MdevAttribute<VfioApMdevDriver> =
    MdevAttribute::read_write::<View<VIEW_AP_CONFIG>>(c"ap_config");

mdev_attribute_groups! {
    static MDEV_GROUPS: VfioApMdevDriver = [
        ASSIGN_ADAPTER,
        UNASSIGN_ADAPTER,
        ASSIGN_DOMAIN,
        UNASSIGN_DOMAIN,
        ASSIGN_CONTROL_DOMAIN,
        UNASSIGN_CONTROL_DOMAIN,
        AP_CONFIG,
        CONTROL_DOMAINS,
        MATRIX,
        GUEST_MATRIX,
    ];
}

/// What the driver keeps per bound mdev (its driver data): its VFIO
/// device, unregistered first on removal, and its state entry, which the
/// attributes use.
pub(crate) struct MdevDriverData {
    /// Held for its `Drop`, which unregisters the VFIO device.
    _vfio: vfio::Registration,
    /// The mdev's entry in the driver state.
    entry: Arc<MdevEntry>,
}

/// The mdev driver `vfio_ap_mdev`.
struct VfioApMdevDriver;

impl MdevDriver for VfioApMdevDriver {
    type Data = KBox<MdevDriverData>;

    fn probe(mdev: &MdevDevice) -> Result<KBox<MdevDriverData>> {
        let dev = mdev.device();
        let entry = {
            let mdevs = state::lock_mdevs();
            MdevEntry::new(dev.into(), Mdev::new(mdevs.host()))?
        };
        let data = KBox::new(
            MdevDriverData {
                _vfio: vfio::Registration::register::<VfioApDevice>(dev, entry.clone())?,
                entry: entry.clone(),
            },
            GFP_KERNEL,
        )?;
        // On failure `data` unregisters the VFIO device again.
        state::lock_guests().add(entry)?;
        Ok(data)
    }

    fn remove(_mdev: &MdevDevice, data: KBox<MdevDriverData>) {
        let entry = data.entry.clone();
        // Waits, with no lock held, until user space closed the device.
        drop(data);
        let mut guests = state::lock_guests();
        let mut mdevs = state::lock_mdevs();
        let linked = entry.data.as_ref(&mdevs).model.linked_queues();
        // Upstream ignores a failed reset here too.
        let _ = reset_queues(mdevs.host_mut(), &linked);
        drop(mdevs);
        // The entry's eventfds go with it (upstream leaks them).
        guests.remove(&entry);
    }
}

/// The mdev driver and the matrix device's mdev type.
///
/// Fields drop in declaration order: the parent (removing every mdev)
/// before the driver.
pub(crate) struct MdevRegistration {
    _parent: ParentRegistration,
    _driver: DriverRegistration<VfioApMdevDriver>,
}

impl MdevRegistration {
    /// Registers the mdev driver, then makes `matrix` (bound to its
    /// driver `vfio_ap`) the parent of type `vfio_ap-passthrough`.
    pub(crate) fn register(matrix: &ParentDevice, module: &'static ThisModule) -> Result<Self> {
        let driver = DriverRegistration::<VfioApMdevDriver>::register(
            matrix,
            c"vfio_ap_mdev",
            DEVICE_API,
            MAX_INSTANCES,
            module,
            &MDEV_GROUPS,
        )?;
        let parent =
            ParentRegistration::register(matrix, &driver, TYPE_SYSFS_NAME, TYPE_PRETTY_NAME)?;
        Ok(Self {
            _parent: parent,
            _driver: driver,
        })
    }
}
