// SPDX-License-Identifier: GPL-2.0

//! The VFIO device of an mdev: open and close, the ioctls user space (QEMU)
//! uses, and the request to give the device back.
//!
//! The UAPI structures (`include/uapi/linux/vfio.h`) are read and written
//! field by field through the user-space slices, so no layout is shared
//! with C.

#![deny(unsafe_code)]

use kernel::{
    device::Device,
    prelude::*,
    sync::GlobalGuard,
    uaccess::{UserPtr, UserSlice}, //
};

use crate::abstractions::{
    kvm::{Kvm, KvmGuard},
    vfio::{EventFd, IrqSet as CoreIrqSet, VfioDevice, VfioOps},
};
use crate::mdev::{errno, find};
use crate::model::{
    crycb::{self, CrycbWrite, GuestAction, RequestNotice},
    matrix::Apcb,
    vfio::{self as uapi, Ioctl, IrqSet, Trigger, TriggerFd},
};
use crate::state::{self, MdevEntry, MDEVS_LOCK};

/// The VFIO interrupts of one mdev, kept with its model under the mdevs
/// lock (the guest itself is `MdevGuest::kvm`).
#[derive(Default)]
pub(crate) struct VfioState {
    /// The eventfd of the device request interrupt.
    req_trigger: Option<EventFd>,
    /// The eventfd of the AP configuration change interrupt.
    cfg_chg_trigger: Option<EventFd>,
}

impl VfioState {
    /// A new mdev's: no eventfds.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Tells user space the guest's AP configuration changed, if it asked.
    pub(crate) fn signal_cfg_changed(&self) {
        if let Some(t) = &self.cfg_chg_trigger {
            t.signal();
        }
    }

    /// Drops both eventfds (upstream keeps them until the mdev is gone and
    /// never puts them; we put them when the device is closed).
    fn release_triggers(&mut self) {
        self.req_trigger = None;
        self.cfg_chg_trigger = None;
    }
}

/// Reads the first `N` bytes of the user's ioctl argument.
fn read_arg<const N: usize>(arg: usize) -> Result<[u8; N]> {
    let mut buf = [0u8; N];
    UserSlice::new(UserPtr::from_addr(arg), N)
        .reader()
        .read_slice(&mut buf)?;
    Ok(buf)
}

/// Writes `data` back to the start of the user's ioctl argument.
fn write_arg(arg: usize, data: &[u8]) -> Result {
    UserSlice::new(UserPtr::from_addr(arg), data.len())
        .writer()
        .write_slice(data)
}

/// `VFIO_DEVICE_GET_INFO`.
fn get_device_info(arg: usize) -> Result {
    let mut info = read_arg::<{ uapi::DEVICE_INFO_MINSZ }>(arg)?;
    uapi::device_info(&mut info).map_err(errno)?;
    write_arg(arg, &info)
}

/// `VFIO_DEVICE_GET_IRQ_INFO`.
fn get_irq_info(arg: usize) -> Result {
    let mut info = read_arg::<{ uapi::IRQ_INFO_MINSZ }>(arg)?;
    uapi::irq_info(&mut info).map_err(errno)?;
    write_arg(arg, &info)
}

/// `VFIO_DEVICE_SET_IRQS`: sets or clears (fd -1) the eventfd of one IRQ.
fn set_irqs(state: &mut VfioState, arg: usize) -> Result {
    let hdr = IrqSet::from_bytes(&read_arg::<{ uapi::IRQ_SET_MINSZ }>(arg)?);
    // The VFIO core's checks of the header come first, as upstream.
    CoreIrqSet {
        argsz: hdr.argsz,
        flags: hdr.flags,
        index: hdr.index,
        start: hdr.start,
        count: hdr.count,
    }
    .validate(1, uapi::NUM_IRQS)?;
    let slot = match uapi::set_irqs_target(&hdr).map_err(errno)? {
        Trigger::Request => &mut state.req_trigger,
        Trigger::ConfigChange => &mut state.cfg_chg_trigger,
    };
    let fd = i32::from_ne_bytes(read_arg::<4>(arg + uapi::IRQ_SET_MINSZ)?);
    *slot = match uapi::trigger_fd(fd).map_err(errno)? {
        TriggerFd::Clear => None,
        TriggerFd::Set(fd) => Some(EventFd::from_fd(fd)?),
    };
    Ok(())
}

/// Runs `f` on the state entry of the mdev whose device is `dev`, with both
/// driver locks held.
fn with_mdev<R>(
    dev: &Device,
    f: impl FnOnce(&MdevEntry, &mut GlobalGuard<MDEVS_LOCK>) -> Result<R>,
) -> Result<R> {
    let guests = state::lock_guests();
    let me = find(&guests, dev).ok_or(ENODEV)?;
    let mut mdevs = state::lock_mdevs();
    f(me, &mut mdevs)
}

/// The VFIO ops of the vfio_ap mdevs.
pub(crate) struct VfioApDevice;

/// Writes what `act` says into the guest's CRYCB (with `kvm->lock` held)
/// and signals user space if it says so.
fn apply(act: GuestAction, kvm: &KvmGuard<'_>, vfio: &VfioState) {
    match act.crycb {
        CrycbWrite::Keep => {}
        CrycbWrite::Set(apcb) => set_guest_apcb(kvm, &apcb),
        CrycbWrite::Clear => kvm.clear_masks(),
    }
    if act.signal_cfg_chg {
        vfio.signal_cfg_changed();
    }
}

/// Gives the guest the masks of `apcb` (`kvm_arch_crypto_set_masks`).
pub(crate) fn set_guest_apcb(kvm: &KvmGuard<'_>, apcb: &Apcb) {
    kvm.set_masks(&apcb.apm.words(), &apcb.aqm.words(), &apcb.adm.words());
}

impl VfioOps for VfioApDevice {
    fn open_device(vdev: &VfioDevice, kvm: Option<Kvm>) -> Result {
        let Some(kvm) = kvm else {
            return crycb::check_open(false, false).map_err(errno);
        };
        // Upstream attaches only guests with a crypto control block (all
        // of them, on s390) and otherwise opens without a guest.
        if !kvm.has_crycb() {
            return Ok(());
        }
        let mut guests = state::lock_guests();
        let me = find(&guests, vdev.device()).ok_or(ENODEV)?.clone();
        {
            let kvm_guard = kvm.lock();
            let mut hook = kvm_guard.lock_hook();
            crycb::check_open(true, hook.taken()).map_err(errno)?;
            hook.set();
            let mut mdevs = state::lock_mdevs();
            let data = me.data.as_mut(&mut mdevs);
            data.kvm_attached = true;
            apply(crycb::on_open(data.model.shadow()), &kvm_guard, &data.vfio);
        }
        me.guest.as_mut(&mut guests).kvm = Some(kvm);
        Ok(())
    }

    fn close_device(vdev: &VfioDevice) {
        let mut guests = state::lock_guests();
        let Some(me) = find(&guests, vdev.device()).cloned() else {
            return;
        };
        // The reference is put last, after every lock (never drop the last
        // one under `kvm->lock`).
        let kvm = me.guest.as_mut(&mut guests).kvm.take();
        let kvm_guard = kvm.as_ref().map(|k| k.lock());
        let mut hook = kvm_guard.as_ref().map(|g| g.lock_hook());
        let mut mdevs = state::lock_mdevs();
        let data = me.data.as_mut(&mut mdevs);
        let act = crycb::on_close(data.kvm_attached);
        if let Some(h) = &mut hook {
            h.clear();
        }
        if let Some(g) = &kvm_guard {
            apply(act, g, &data.vfio);
        }
        data.kvm_attached = false;
        // Upstream keeps the eventfds until the mdev is removed and never
        // puts them; whoever opens next sets their own.
        data.vfio.release_triggers();
        if act.reset_linked {
            let linked = data.model.linked_queues();
            // As upstream, a failed reset does not fail the close.
            let _ = state::reset_queues(&mut mdevs, &linked);
        }
        drop(mdevs);
        drop(hook);
        drop(kvm_guard);
        drop(guests);
        drop(kvm);
    }

    fn ioctl(vdev: &VfioDevice, cmd: u32, arg: usize) -> Result<isize> {
        with_mdev(vdev.device(), |me, mdevs| {
            match Ioctl::from_cmd(cmd).map_err(errno)? {
                Ioctl::GetInfo => get_device_info(arg)?,
                Ioctl::Reset => {
                    let linked = me.data.as_ref(mdevs).model.linked_queues();
                    state::reset_queues(mdevs, &linked)?;
                }
                Ioctl::GetIrqInfo => get_irq_info(arg)?,
                Ioctl::SetIrqs => set_irqs(&mut me.data.as_mut(mdevs).vfio, arg)?,
            }
            Ok(0)
        })
    }

    fn request(vdev: &VfioDevice, count: u32) {
        let dev = vdev.device();
        let guests = state::lock_guests();
        let Some(me) = find(&guests, dev) else {
            return;
        };
        let kvm_guard = me.guest.as_ref(&guests).kvm.as_ref().map(|k| k.lock());
        let mdevs = state::lock_mdevs();
        let data = me.data.as_ref(&mdevs);
        let vfio = &data.vfio;
        if let Some(g) = &kvm_guard {
            apply(crycb::on_request(data.kvm_attached), g, vfio);
        }
        match crycb::request_notice(count, vfio.req_trigger.is_some()) {
            RequestNotice::Relay { log } => {
                if log {
                    dev_notice!(dev, "Relaying device request to user (#{})\n", count);
                }
                if let Some(t) = &vfio.req_trigger {
                    t.signal();
                }
            }
            RequestNotice::Unregistered { log: true } => dev_notice!(
                dev,
                "No device request registered, blocked until released by user\n"
            ),
            RequestNotice::Unregistered { log: false } => {}
        }
    }
}
