// SPDX-License-Identifier: GPL-2.0

//! The VFIO device of an mdev: open and close, the ioctls user space (QEMU)
//! uses, and the request to give the device back.
//!
//! The UAPI structures (`include/uapi/linux/vfio.h`) are copied as bytes
//! through the user-space slices; the core model (`model::vfio`) checks and
//! answers them, so no layout is shared with C.

#![deny(unsafe_code)]

use kernel::{
    ffi::c_long,
    pr_warn_once,
    prelude::*,
    sync::{Arc, ArcBorrow},
    time::{delay::fsleep, Delta},
    uaccess::{UserPtr, UserSlice}, //
};

use crate::abstractions::ap;
use crate::abstractions::{
    kvm::{self, AqicEnabled, AttachError, Attachment, Kvm, KvmGuard, PqapHandler, Vcpu},
    vfio::{EventFd, IrqSet as CoreIrqSet, PinnedNib, VfioDevice, VfioOps},
};
use crate::mdev::errno;
use crate::model::{
    apqn::Apqn,
    crycb::{self, CrycbWrite, GuestAction, RequestNotice},
    irq::{
        after_disable_aqic, begin_enable, route_pqap, uuid_words, AqicRequest, DisableStep,
        IrqBinding, PqapRoute, Refusal, RefusalReason,
    },
    matrix::Apcb,
    reset::ResetSet,
    reset::{after_irq_tapq, AfterIrqTapq},
    response::{QueueStatus, RC_INVALID_ADDRESS, RC_NORMAL, RC_Q_NOT_AVAIL},
    vfio::{self as uapi, Ioctl, IrqSet, Trigger, TriggerFd},
};
use crate::state::{self, MdevData, MdevEntry};

/// The interruptions of one queue enabled for the guest: the NIB's guest
/// address and the guest ISC registered for it, and the enabled
/// interruptions themselves, which hold the pinned NIB page.
struct QueueIrq {
    q: Apqn,
    binding: IrqBinding,
    enabled: AqicEnabled,
}

/// The VFIO interrupts of one mdev, kept with its model under the mdevs
/// lock (the guest itself is `MdevGuest::kvm`).
///
/// # Invariants
///
/// `irqs` is empty while `kvm` is `None`: bindings exist only while a
/// guest is attached, and the device is open as long as one is.
#[derive(Default)]
pub(crate) struct VfioState {
    /// The eventfd of the device request interrupt.
    req_trigger: Option<EventFd>,
    /// The eventfd of the AP configuration change interrupt.
    cfg_chg_trigger: Option<EventFd>,
    /// The queues with guest interruptions enabled, at most one entry per
    /// queue.
    irqs: KVec<QueueIrq>,
    /// The attached guest (a reference of our own, set and cleared with
    /// `MdevGuest::kvm`), for the paths that hold only the mdevs lock:
    /// PQAP, `dma_unmap`, `VFIO_DEVICE_RESET`.
    kvm: Option<Kvm>,
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

    /// Takes the record of queue `q` out.
    fn take_irq(&mut self, q: Apqn) -> Option<QueueIrq> {
        let i = self.irqs.iter().position(|i| i.q == q)?;
        self.irqs.remove(i).ok()
    }

    /// Records the interruptions of a queue that has none recorded. Room
    /// is reserved before AQIC; should there be none, they are turned off
    /// and released rather than kept unrecorded.
    fn record(&mut self, irq: QueueIrq) {
        if let Err(e) = self.irqs.push_within_capacity(irq) {
            let irq = e.0;
            kvm::aqic_disable(irq.q.qid());
            wait_for_irqclear(irq.q);
            self.release(irq);
        }
    }

    /// Drops the guest ISC registration of `isc` (upstream ignores a
    /// failed unregistration).
    fn unregister_isc(&self, isc: u8) {
        if let Some(kvm) = &self.kvm {
            let _ = kvm.gisc_unregister(isc);
        }
    }

    /// Releases a queue's interruption resources:
    /// the guest ISC registration, then the pinned NIB page, which
    /// `AqicEnabled` unpins once the queue's interruptions are off.
    fn release(&self, irq: QueueIrq) {
        self.unregister_isc(irq.binding.isc);
        drop(irq.enabled);
    }

    /// Releases what queue `q` holds for guest interruptions, after they
    /// were turned off (by AQIC or by a reset).
    fn release_irq(&mut self, q: Apqn) {
        if let Some(irq) = self.take_irq(q) {
            self.release(irq);
        }
    }

    /// Releases what the queues of `qs` hold (their resets turned the
    /// interruptions off).
    fn release_irqs(&mut self, qs: &ResetSet) {
        for q in qs.iter() {
            self.release_irq(q);
        }
    }

    /// Releases what every queue of the mdev holds.
    fn release_all_irqs(&mut self) {
        while let Some(irq) = self.irqs.pop() {
            self.release(irq);
        }
    }
}

/// After the queues of `resets` were reset: releases what they held for
/// guest interruptions (the resets turned them off). `_kvm` is the
/// attached guest's lock (the caller holds it, as upstream).
pub(crate) fn release_reset_irqs(_kvm: &KvmGuard<'_>, vfio: &mut VfioState, resets: &ResetSet) {
    vfio.release_irqs(resets);
}

/// Waits until queue `q` reports its interruptions off.
fn wait_for_irqclear(q: Apqn) {
    for _ in 0..5 {
        let (status, _) = ap::test_queue(q.qid(), false);
        match after_irq_tapq(QueueStatus(status)) {
            AfterIrqTapq::Cleared => return,
            AfterIrqTapq::Retry => fsleep(Delta::from_millis(20)),
            AfterIrqTapq::GiveUp => break,
        }
    }
    pr_warn_once!(
        "wait_for_irqclear: queue {:04x}: IR bit not cleared\n",
        q.qid()
    );
}

/// Turns the interruptions of queue `q` off and releases what it held;
/// returns the last AQIC status.
fn irq_disable(q: Apqn, vfio: &mut VfioState) -> QueueStatus {
    let mut attempt = 0;
    let status = loop {
        let status = QueueStatus(kvm::aqic_disable(q.qid()));
        match after_disable_aqic(status.response_code(), attempt) {
            DisableStep::WaitThenRelease => {
                wait_for_irqclear(q);
                break status;
            }
            DisableStep::Retry => fsleep(Delta::from_millis(20)),
            DisableStep::WarnAndRelease => {
                pr_warn_once!(
                    "irq_disable: queue {:04x}: AQIC status {}\n",
                    q.qid(),
                    status.response_code()
                );
                break status;
            }
        }
        attempt += 1;
    };
    vfio.release_irq(q);
    status
}

/// Answers a refused enable; the page this request pinned (if it got that
/// far: `r.unpin`) is unpinned with `nib`.
fn refuse(r: Refusal, nib: Option<PinnedNib>) -> QueueStatus {
    drop(nib);
    r.status
}

/// A number for an s390dbf entry (which holds `long`s).
fn arg(v: impl Into<i64>) -> c_long {
    // CAST: `long` is 64 bits on s390, so nothing is lost.
    v.into() as c_long
}

/// Enables guest interruptions for queue `req.apqn`:
/// the steps and what to release come from the model (`model::irq`). The
/// s390dbf entries are upstream's, under upstream's function name.
fn irq_enable(
    vcpu: &Vcpu,
    vdev: &VfioDevice,
    vfio: &mut VfioState,
    req: &AqicRequest,
) -> QueueStatus {
    let kvm = vcpu.kvm();
    let q = req.apqn;
    let qid = arg(q.qid());
    // The NIB address itself, printed as the kernel prints a DMA address.
    let nib_arg = req.nib as c_long;
    // Room to record the binding, so that a successful AQIC never has to
    // be undone for lack of memory.
    let room = vfio.irqs.reserve(1, GFP_KERNEL).is_ok();
    let pin = match begin_enable(req, kvm.gpa_in_memslot(req.nib), room) {
        Ok(pin) => pin,
        Err(r) => {
            if r.reason == RefusalReason::InvalidNib {
                state::dbf_warn(
                    c"vfio_ap_irq_enable: invalid NIB address: nib=%#018lx, apqn=%#04x\n",
                    &[nib_arg, qid],
                );
            }
            return refuse(r, None);
        }
    };
    let nib = vdev.pin_nib(pin.nib());
    let pinned = match pin.pinned(nib.is_ok()) {
        Ok(p) => p,
        Err(r) => {
            let rc = nib.as_ref().err().map_or(0, |e| e.to_errno());
            state::dbf_warn(
                c"vfio_ap_irq_enable: vfio_pin_pages failed: rc=%d,nib=%#018lx, apqn=%#04x\n",
                &[arg(rc), nib_arg, qid],
            );
            return refuse(r, nib.ok());
        }
    };
    let Ok(nib) = nib else {
        // `pinned` says the pin succeeded.
        return QueueStatus::from_rc(RC_INVALID_ADDRESS);
    };
    let pinned = if vcpu.is_protected() {
        match pinned.shared(nib.is_shared()) {
            Ok(p) => p,
            Err(r) => return refuse(r, Some(nib)),
        }
    } else {
        pinned
    };
    let nisc = kvm.gisc_register(pinned.isc());
    let reg = match pinned.registered(nisc.as_ref().ok().copied()) {
        Ok(reg) => reg,
        Err(r) => {
            let rc = nisc.err().map_or(0, |e| e.to_errno());
            state::dbf_warn(
                c"vfio_ap_irq_enable: gisc registration failed: nisc=%d, isc=%d, apqn=%#04x\n",
                &[arg(rc), arg(req.isc), qid],
            );
            return refuse(r, Some(nib));
        }
    };
    let new = reg.binding();
    // The queue's current interruptions go into the request: AQIC
    // replacing them releases their NIB.
    let old = vfio.take_irq(q);
    let old_binding = old.as_ref().map(|o| o.binding);
    let aqic = kvm.aqic_enable(
        q.qid(),
        new.isc,
        reg.host_isc(),
        nib,
        old.map(|o| o.enabled),
    );
    let status = QueueStatus(aqic.status);
    let out = reg.after_aqic(status, old_binding);
    // Not replaced: the old record goes back (room was reserved above).
    if let (Some(binding), Some(enabled)) = (old_binding, aqic.prev) {
        vfio.record(QueueIrq {
            q,
            binding,
            enabled,
        });
    }
    if out.disable {
        pr_warn!(
            "vfio_ap_irq_enable: apqn {:04x}: response: {:02x}\n",
            q.qid(),
            status.response_code()
        );
        // Releases the old binding too.
        irq_disable(q, vfio);
    } else if let Some(old) = out.release_old {
        match vfio.take_irq(q) {
            Some(irq) => vfio.release(irq),
            // AQIC released its NIB already.
            None => vfio.unregister_isc(old.isc),
        }
    }
    if let Some(b) = out.release_new {
        if let Some(Err(e)) = vfio.kvm.as_ref().map(|k| k.gisc_unregister(b.isc)) {
            state::dbf_warn(
                c"vfio_ap_irq_enable: kvm_s390_gisc_unregister: rc=%d isc=%d, apqn=%#04x\n",
                &[arg(e.to_errno()), arg(b.isc), qid],
            );
        }
        drop(aqic.unused);
        drop(aqic.enabled);
    } else if let (Some(binding), Some(enabled)) = (out.saved, aqic.enabled) {
        // INVARIANT: Routed here only with a guest attached, so
        // `vfio.kvm` is set while the binding is recorded.
        vfio.record(QueueIrq {
            q,
            binding,
            enabled,
        });
    }
    if status.response_code() != RC_NORMAL {
        // The AQIC controls of the request: zone 0, IR on, the guest ISC,
        // GISA format 0, the GISA origin, the host ISC.
        state::dbf_warn(
            c"vfio_ap_irq_enable: PQAP(AQIC) failed with status=%#02x: zone=%#x, ir=%#x, gisc=%#x, f=%#x,gisa=%#x, isc=%#x, apqn=%#04x\n",
            &[
                arg(status.response_code()),
                0,
                1,
                arg(new.isc),
                0,
                arg(kvm.gisa_field()),
                arg(reg.host_isc()),
                qid,
            ],
        );
    }
    out.status
}

impl PqapHandler for VfioApDevice {
    type Ctx = Arc<MdevEntry>;

    fn handle(vcpu: &Vcpu, vdev: &VfioDevice, me: ArcBorrow<'_, MdevEntry>) -> Result {
        let [gr0, gr1, gr2] = vcpu.regs();
        let req = AqicRequest::from_regs(gr0, gr1, gr2);
        let qid = arg(req.apqn.qid());
        // Without AIV, user space handles the instruction; no lock needed.
        if !vcpu.aiv() {
            state::dbf_warn(
                c"handle_pqap: AIV facility not installed: apqn=0x%04x, eca=0x%04x\n",
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
                // The mdev's name is its UUID.
                let w = uuid_words(me.dev.name().to_bytes()).unwrap_or_default();
                state::dbf_warn(
                    c"handle_pqap: mdev %08lx-%04lx-%04lx-%04lx-%04lx%08lx not in use: apqn=0x%04x\n",
                    &[
                        w[0] as c_long,
                        w[1] as c_long,
                        w[2] as c_long,
                        w[3] as c_long,
                        w[4] as c_long,
                        w[5] as c_long,
                        qid,
                    ],
                );
            }
            PqapRoute::NotLinked => state::dbf_warn(
                c"handle_pqap: Queue %02x.%04x not bound to the vfio_ap driver\n",
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
            PqapRoute::Enable(req) => irq_enable(vcpu, vdev, vfio, &req),
            PqapRoute::Disable(req) => irq_disable(req.apqn, vfio),
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
    // The header was readable, so this cannot wrap; a bad address is EFAULT.
    let fd = i32::from_ne_bytes(read_arg::<4>(arg.wrapping_add(uapi::IRQ_SET_MINSZ))?);
    *slot = match uapi::trigger_fd(fd).map_err(errno)? {
        TriggerFd::Clear => None,
        TriggerFd::Set(fd) => Some(EventFd::from_fd(fd)?),
    };
    Ok(())
}

/// The VFIO ops and the PQAP handler of the vfio_ap mdevs.
pub(crate) struct VfioApDevice;

/// Writes what `act` says into the guest's CRYCB (with `kvm->lock` held)
/// and signals user space if it says so.
pub(crate) fn apply(act: GuestAction, kvm: &KvmGuard<'_>, vfio: &VfioState) {
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
    type Ctx = Arc<MdevEntry>;

    fn open_device(vdev: &VfioDevice, me: ArcBorrow<'_, MdevEntry>, kvm: Option<Kvm>) -> Result {
        let Some(kvm) = kvm else {
            return crycb::check_open(false, false).map_err(errno);
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
            data.vfio.kvm = Some(kvm_guard.kvm().clone());
            apply(crycb::on_open(data.model.shadow()), kvm_guard, &data.vfio);
        });
        match attached {
            Ok(att) => {
                me.guest.as_mut(&mut guests).kvm = Some(att);
                Ok(())
            }
            Err(AttachError::Taken) => crycb::check_open(true, true).map_err(errno),
            Err(AttachError::NoMem) => Err(ENOMEM),
        }
    }

    fn close_device(_vdev: &VfioDevice, me: ArcBorrow<'_, MdevEntry>) {
        let mut guests = state::lock_guests();
        let release = |data: &mut MdevData| {
            data.kvm_attached = false;
            data.removal_requested = false;
            // Not the last reference: the attachment still holds one.
            // INVARIANT: Every binding was released before (with a guest)
            // or none was made (without one).
            data.vfio.kvm = None;
            // Upstream keeps the eventfds until the mdev is removed and
            // never puts them; whoever opens next sets their own.
            data.vfio.release_triggers();
        };
        match me.guest.as_mut(&mut guests).kvm.take() {
            Some(att) => att.detach(|kvm_guard| {
                let mut mdevs = state::lock_mdevs();
                let data = me.data.as_mut(&mut mdevs);
                let act = crycb::on_close(data.kvm_attached);
                apply(act, kvm_guard, &data.vfio);
                if act.reset_linked {
                    let linked = data.model.linked_queues();
                    // As upstream, a failed reset does not fail the close.
                    let _ = state::reset_queues(&mut mdevs, &linked);
                }
                let data = me.data.as_mut(&mut mdevs);
                // The resets turned the interruptions off; what they held
                // goes now, while the device is still open.
                data.vfio.release_all_irqs();
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
        match Ioctl::from_cmd(cmd).map_err(errno)? {
            Ioctl::GetInfo => get_device_info(arg)?,
            Ioctl::GetIrqInfo => get_irq_info(arg)?,
            Ioctl::SetIrqs => {
                let mut mdevs = state::lock_mdevs();
                set_irqs(&mut me.data.as_mut(&mut mdevs).vfio, arg)?
            }
            Ioctl::Reset => {
                let mut mdevs = state::lock_mdevs();
                let linked = me.data.as_ref(&mdevs).model.linked_queues();
                let result = state::reset_queues(&mut mdevs, &linked);
                // The resets turned the queues' interruptions off.
                me.data.as_mut(&mut mdevs).vfio.release_irqs(&linked);
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
            apply(crycb::on_request(data.kvm_attached), g, &data.vfio);
            data.removal_requested = data.kvm_attached;
        }
        let vfio = &data.vfio;
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

    fn dma_unmap(_vdev: &VfioDevice, me: ArcBorrow<'_, MdevEntry>, iova: u64, length: u64) {
        // Upstream takes only the mdevs lock here (the VFIO core calls in
        // with its own locks held).
        let mut mdevs = state::lock_mdevs();
        let vfio = &mut me.data.as_mut(&mut mdevs).vfio;
        // Each round releases the binding it finds.
        while let Some(q) = vfio
            .irqs
            .iter()
            .find(|i| i.binding.unmapped_by(iova, length))
            .map(|i| i.q)
        {
            irq_disable(q, vfio);
        }
    }
}
