// SPDX-License-Identifier: GPL-2.0

//! The VFIO device of an mdev: open and close, the ioctls user space (QEMU)
//! uses, and the request to give the device back.
//!
//! The UAPI structures (`include/uapi/linux/vfio.h`) are copied as bytes
//! through the user-space slices; the core model (`model::vfio`) checks and
//! answers them, so no layout is shared with C.

#![deny(unsafe_code)]

use kernel::{
    prelude::*,
    sync::{Arc, ArcBorrow},
    uaccess::{UserPtr, UserSlice}, //
};

use crate::abstractions::cformat::long_format;
use crate::abstractions::{
    kvm::{AttachError, Attachment, Kvm, PqapHandler, Vcpu},
    vfio::{EventFd, IrqSet as CoreIrqSet, VfioDevice, VfioOps},
};
use crate::dbf::{self, arg};
use crate::guest::{self, VfioState};
use crate::irq;
use crate::model::{
    crycb::{self, RequestNotice},
    irq::{route_pqap, AqicRequest, PqapRoute},
    response::{QueueStatus, RC_Q_NOT_AVAIL},
    vfio::{self as uapi, Ioctl, IrqSet, TriggerFd},
};
use crate::reset::reset_queues;
use crate::state::{self, MdevData, MdevEntry};

/// The VFIO ops and the PQAP handler of the vfio_ap mdevs.
pub(crate) struct VfioApDevice;

impl PqapHandler for VfioApDevice {
    type Ctx = Arc<MdevEntry>;

    fn handle(vcpu: &Vcpu, vdev: &VfioDevice, me: ArcBorrow<'_, MdevEntry>) -> Result {
        let [gr0, gr1, gr2] = vcpu.regs();
        let req = AqicRequest::from_regs(gr0, gr1, gr2);
        let qid = arg(req.apqn.qid());
        // Without AIV, user space handles the instruction; no lock needed.
        if !vcpu.aiv() {
            dbf::warn(
                long_format!(
                    c"handle_pqap: AIV facility not installed: apqn=0x%04lx, eca=0x%04lx\n"
                ),
                &[qid, arg(vcpu.eca())],
            );
            return Err(EOPNOTSUPP);
        }
        // KVM holds the hook semaphore: only the mdevs lock may follow.
        let mut mdevs = state::lock_mdevs();
        let data = me.data.as_ref(&mdevs);
        let route = route_pqap(true, data.kvm_attached, &data.model, mdevs.host(), req);
        match route {
            PqapRoute::NotInUse => {
                let [a, b, c, d, e, f] = dbf::uuid_args(&me.dev);
                dbf::warn(
                    long_format!(c"handle_pqap: mdev %08lx-%04lx-%04lx-%04lx-%04lx%08lx not in use: apqn=0x%04lx\n"),
                    &[a, b, c, d, e, f, qid],
                );
            }
            PqapRoute::NotLinked => dbf::warn(
                long_format!(c"handle_pqap: Queue %02lx.%04lx not bound to the vfio_ap driver\n"),
                &[arg(req.apqn.apid), arg(req.apqn.apqi)],
            ),
            _ => {}
        }
        let vfio = &mut me.data.as_mut(&mut mdevs).vfio;
        let status = match route {
            PqapRoute::Userspace => return Err(EOPNOTSUPP),
            PqapRoute::NotInUse | PqapRoute::NotLinked => route
                .reply()
                .unwrap_or(QueueStatus::from_rc(RC_Q_NOT_AVAIL)),
            PqapRoute::Enable(req) => irq::enable(vcpu, vdev, &mut vfio.irqs, &req),
            PqapRoute::Disable(req) => irq::disable(req.apqn, &mut vfio.irqs),
        };
        vcpu.set_gr1(status.gr1());
        Ok(())
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
    uapi::device_info(&mut info)?;
    write_arg(arg, &info)
}

/// `VFIO_DEVICE_GET_IRQ_INFO`.
fn get_irq_info(arg: usize) -> Result {
    let mut info = read_arg::<{ uapi::IRQ_INFO_MINSZ }>(arg)?;
    uapi::irq_info(&mut info)?;
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
    let which = uapi::set_irqs_target(&hdr)?;
    // The header was readable, so this cannot wrap; a bad address is EFAULT.
    let fd = i32::from_ne_bytes(read_arg::<4>(arg.wrapping_add(uapi::IRQ_SET_MINSZ))?);
    let fd = match uapi::trigger_fd(fd)? {
        TriggerFd::Clear => None,
        TriggerFd::Set(fd) => Some(EventFd::from_fd(fd)?),
    };
    state.set_trigger(which, fd);
    Ok(())
}

impl VfioOps for VfioApDevice {
    type Ctx = Arc<MdevEntry>;

    fn open_device(vdev: &VfioDevice, me: ArcBorrow<'_, MdevEntry>, kvm: Option<Kvm>) -> Result {
        let Some(kvm) = kvm else {
            return crycb::check_open(false, false).map_err(Error::from);
        };
        // Upstream attaches only guests with a crypto control block (all
        // of them, on s390) and otherwise opens without a guest.
        if !kvm.has_crycb() {
            return Ok(());
        }
        let mut guests = state::lock_guests();
        let ctx: Arc<MdevEntry> = me.into();
        let attached = Attachment::attach::<VfioApDevice>(kvm, vdev, ctx, |kvm_guard| {
            let mut mdevs = state::lock_mdevs();
            let data = me.data.as_mut(&mut mdevs);
            data.kvm_attached = true;
            data.removal_requested = false;
            // For the paths that hold only the mdevs lock (PQAP,
            // `dma_unmap`, reset ioctl).
            data.vfio.irqs.attach(kvm_guard.kvm().clone());
            guest::apply(crycb::on_open(data.model.shadow()), kvm_guard, &data.vfio);
        });
        match attached {
            Ok(att) => {
                me.guest.as_mut(&mut guests).kvm = Some(att);
                Ok(())
            }
            Err(AttachError::Taken) => crycb::check_open(true, true).map_err(Error::from),
            Err(AttachError::NoMem) => Err(ENOMEM),
        }
    }

    fn close_device(_vdev: &VfioDevice, me: ArcBorrow<'_, MdevEntry>) {
        let mut guests = state::lock_guests();
        let release = |data: &mut MdevData| {
            data.kvm_attached = false;
            data.removal_requested = false;
            data.vfio.irqs.detach();
            // Upstream keeps the eventfds until the mdev is removed and
            // never puts them; whoever opens next sets their own.
            data.vfio.release_triggers();
        };
        match me.guest.as_mut(&mut guests).kvm.take() {
            Some(att) => att.detach(|kvm_guard| {
                let mut mdevs = state::lock_mdevs();
                let data = me.data.as_mut(&mut mdevs);
                let act = crycb::on_close(data.kvm_attached);
                guest::apply(act, kvm_guard, &data.vfio);
                if act.reset_linked {
                    let linked = data.model.linked_queues();
                    // As upstream, a failed reset does not fail the close.
                    let _ = reset_queues(mdevs.host_mut(), &linked);
                }
                let data = me.data.as_mut(&mut mdevs);
                // The resets turned the interruptions off; what they held
                // goes now, while the device is still open.
                data.vfio.irqs.release_all();
                release(data);
            }),
            None => release(me.data.as_mut(&mut state::lock_mdevs())),
        }
        // The guest reference went with the attachment, after its locks
        // (not the last one: the VFIO core holds one until we return).
        drop(guests);
    }

    fn ioctl(
        _vdev: &VfioDevice,
        me: ArcBorrow<'_, MdevEntry>,
        cmd: u32,
        arg: usize,
    ) -> Result<isize> {
        // Upstream holds only the mdevs lock (the info ioctls touch no
        // state).
        match Ioctl::from_cmd(cmd)? {
            Ioctl::GetInfo => get_device_info(arg)?,
            Ioctl::GetIrqInfo => get_irq_info(arg)?,
            Ioctl::SetIrqs => {
                let mut mdevs = state::lock_mdevs();
                set_irqs(&mut me.data.as_mut(&mut mdevs).vfio, arg)?
            }
            Ioctl::Reset => {
                let mut mdevs = state::lock_mdevs();
                let linked = me.data.as_ref(&mdevs).model.linked_queues();
                let result = reset_queues(mdevs.host_mut(), &linked);
                // The resets turned the queues' interruptions off.
                me.data.as_mut(&mut mdevs).vfio.irqs.release_reset(&linked);
                result?;
            }
        }
        Ok(0)
    }

    fn request(vdev: &VfioDevice, me: ArcBorrow<'_, MdevEntry>, count: u32) {
        let dev = vdev.device();
        // Upstream's order: guests lock, the guest's `kvm->lock`, mdevs.
        let guests = state::lock_guests();
        let kvm_guard = me.guest.as_ref(&guests).kvm.as_ref().map(|a| a.lock());
        let mut mdevs = state::lock_mdevs();
        let data = me.data.as_mut(&mut mdevs);
        if let Some(g) = &kvm_guard {
            guest::apply(crycb::on_request(data.kvm_attached), g, &data.vfio);
            data.removal_requested = data.kvm_attached;
        }
        let vfio = &data.vfio;
        match crycb::request_notice(count, vfio.request_trigger().is_some()) {
            RequestNotice::Relay { log } => {
                if log {
                    dev_notice!(dev, "Relaying device request to user (#{})\n", count);
                }
                if let Some(t) = vfio.request_trigger() {
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

    fn dma_unmap(_vdev: &VfioDevice, me: ArcBorrow<'_, MdevEntry>, iova: u64, length: u64) {
        // Upstream takes only the mdevs lock here (the VFIO core calls in
        // with its own locks held).
        let mut mdevs = state::lock_mdevs();
        let vfio = &mut me.data.as_mut(&mut mdevs).vfio;
        vfio.irqs.disable_unmapped(iova, length);
    }
}
