// SPDX-License-Identifier: GPL-2.0

//! Guest AP interruptions: PQAP(AQIC) on behalf of the guest, with the
//! NIB page pinned and the guest ISC registered while a queue's
//! interruptions are on, and released when they go off (AQIC, a reset, an
//! unmapped NIB, the device closed).

#![deny(unsafe_code)]

use kernel::{
    ffi::c_long,
    prelude::*,
    time::{delay::fsleep, Delta},
};

use crate::abstractions::cformat::long_format;
use crate::abstractions::{
    ap,
    kvm::{self, AqicEnabled, Kvm, Vcpu},
    printk::{self, Level},
    vfio::{PinnedNib, VfioDevice},
};
use crate::dbf::{self, arg};
use crate::model::{
    apqn::Apqn,
    irq::{
        after_disable_aqic, begin_enable, AqicRequest, DisableStep, IrqBinding, Refusal,
        RefusalReason,
    },
    reset::ResetSet,
    reset::{after_irq_tapq, AfterIrqTapq},
    response::{QueueStatus, RC_INVALID_ADDRESS, RC_NORMAL},
};

/// The interruptions of one queue enabled for the guest: the NIB's guest
/// address and the guest ISC registered for it, and the enabled
/// interruptions themselves, which hold the pinned NIB page.
struct QueueIrq {
    q: Apqn,
    binding: IrqBinding,
    enabled: AqicEnabled,
}

/// The guest interruptions of one mdev's queues, kept with its model under
/// the mdevs lock.
///
/// # Invariants
///
/// `list` is empty while `kvm` is `None`: bindings exist only while a
/// guest is attached, and the device is open as long as one is.
#[derive(Default)]
pub(crate) struct Irqs {
    /// The queues with guest interruptions enabled, at most one entry per
    /// queue.
    list: KVec<QueueIrq>,
    /// The attached guest (a reference of our own, set and cleared with
    /// the attachment), for the paths that hold only the mdevs lock:
    /// PQAP, `dma_unmap`, `VFIO_DEVICE_RESET`.
    kvm: Option<Kvm>,
}

impl Irqs {
    /// Keeps a reference to `kvm`, the guest just attached.
    pub(crate) fn attach(&mut self, kvm: Kvm) {
        self.kvm = Some(kvm);
    }

    /// Drops the guest's reference (the device is being closed; not the
    /// last reference: the attachment still holds one).
    pub(crate) fn detach(&mut self) {
        // INVARIANT: Every binding was released before (with a guest) or
        // none was made (without one).
        self.kvm = None;
    }

    /// Takes the record of queue `q` out.
    fn take(&mut self, q: Apqn) -> Option<QueueIrq> {
        let i = self.list.iter().position(|i| i.q == q)?;
        self.list.remove(i).ok()
    }

    /// Records the interruptions of a queue that has none recorded. Room
    /// is reserved before AQIC; should there be none, they are turned off
    /// and released rather than kept unrecorded.
    fn record(&mut self, irq: QueueIrq) {
        if let Err(e) = self.list.push_within_capacity(irq) {
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
    fn release_one(&mut self, q: Apqn) {
        if let Some(irq) = self.take(q) {
            self.release(irq);
        }
    }

    /// Releases what the queues of `qs` hold (their resets turned the
    /// interruptions off).
    pub(crate) fn release_reset(&mut self, qs: &ResetSet) {
        for q in qs.iter() {
            self.release_one(q);
        }
    }

    /// Releases what every queue of the mdev holds.
    pub(crate) fn release_all(&mut self) {
        while let Some(irq) = self.list.pop() {
            self.release(irq);
        }
    }

    /// Turns off the interruptions whose NIB lies in the unmapped guest
    /// range `iova`..`iova + length`, releasing what they held.
    pub(crate) fn disable_unmapped(&mut self, iova: u64, length: u64) {
        // Each round releases the binding it finds.
        while let Some(q) = self
            .list
            .iter()
            .find(|i| i.binding.unmapped_by(iova, length))
            .map(|i| i.q)
        {
            disable(q, self);
        }
    }
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
    static ONCE: printk::Once = printk::Once::new();
    printk::log_once(
        &ONCE,
        Level::Warning,
        None,
        long_format!(c"wait_for_irqclear: queue %04lx: IR bit not cleared\n"),
        &[arg(q.qid())],
    );
}

/// Turns the interruptions of queue `q` off and releases what it held;
/// returns the last AQIC status.
pub(crate) fn disable(q: Apqn, irqs: &mut Irqs) -> QueueStatus {
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
                static ONCE: printk::Once = printk::Once::new();
                printk::log_once(
                    &ONCE,
                    Level::Warning,
                    None,
                    long_format!(c"irq_disable: queue %04lx: AQIC status %ld\n"),
                    &[arg(q.qid()), arg(status.response_code())],
                );
                break status;
            }
        }
        attempt += 1;
    };
    irqs.release_one(q);
    status
}

/// Answers a refused enable; the page this request pinned (if it got that
/// far: `r.unpin`) is unpinned with `nib`.
fn refuse(r: Refusal, nib: Option<PinnedNib>) -> QueueStatus {
    drop(nib);
    r.status
}

/// Enables guest interruptions for queue `req.apqn`:
/// the steps and what to release come from the model (`model::irq`). The
/// s390dbf entries are upstream's, under upstream's function name.
pub(crate) fn enable(
    vcpu: &Vcpu,
    vdev: &VfioDevice,
    irqs: &mut Irqs,
    req: &AqicRequest,
) -> QueueStatus {
    let kvm = vcpu.kvm();
    let q = req.apqn;
    let qid = arg(q.qid());
    // The NIB address itself, printed as the kernel prints a DMA address.
    let nib_arg = req.nib as c_long;
    // Room to record the binding, so that a successful AQIC never has to
    // be undone for lack of memory.
    let room = irqs.list.reserve(1, GFP_KERNEL).is_ok();
    let pin = match begin_enable(req, kvm.gpa_in_memslot(req.nib), room) {
        Ok(pin) => pin,
        Err(r) => {
            if r.reason == RefusalReason::InvalidNib {
                dbf::warn(
                    long_format!(
                        c"vfio_ap_irq_enable: invalid NIB address: nib=%#018lx, apqn=%#04lx\n"
                    ),
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
            dbf::warn(
                long_format!(
                    c"vfio_ap_irq_enable: vfio_pin_pages failed: rc=%ld,nib=%#018lx, apqn=%#04lx\n"
                ),
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
            dbf::warn(
                long_format!(c"vfio_ap_irq_enable: gisc registration failed: nisc=%ld, isc=%ld, apqn=%#04lx\n"),
                &[arg(rc), arg(req.isc), qid],
            );
            return refuse(r, Some(nib));
        }
    };
    let new = reg.binding();
    // The queue's current interruptions go into the request: AQIC
    // replacing them releases their NIB.
    let old = irqs.take(q);
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
        irqs.record(QueueIrq {
            q,
            binding,
            enabled,
        });
    }
    if out.disable {
        printk::log(
            Level::Warning,
            None,
            long_format!(c"vfio_ap_irq_enable: apqn %04lx: response: %02lx\n"),
            &[qid, arg(status.response_code())],
        );
        // Releases the old binding too.
        disable(q, irqs);
    } else if let Some(old) = out.release_old {
        match irqs.take(q) {
            Some(irq) => irqs.release(irq),
            // AQIC released its NIB already.
            None => irqs.unregister_isc(old.isc),
        }
    }
    if let Some(b) = out.release_new {
        if let Some(Err(e)) = irqs.kvm.as_ref().map(|k| k.gisc_unregister(b.isc)) {
            dbf::warn(
                long_format!(
                    c"vfio_ap_irq_enable: kvm_s390_gisc_unregister: rc=%ld isc=%ld, apqn=%#04lx\n"
                ),
                &[arg(e.to_errno()), arg(b.isc), qid],
            );
        }
        drop(aqic.unused);
        drop(aqic.enabled);
    } else if let (Some(binding), Some(enabled)) = (out.saved, aqic.enabled) {
        // INVARIANT: Routed here only with a guest attached, so
        // `irqs.kvm` is set while the binding is recorded.
        irqs.record(QueueIrq {
            q,
            binding,
            enabled,
        });
    }
    if status.response_code() != RC_NORMAL {
        // The AQIC controls of the request: zone 0, IR on, the guest ISC,
        // GISA format 0, the GISA origin, the host ISC.
        dbf::warn(
            long_format!(c"vfio_ap_irq_enable: PQAP(AQIC) failed with status=%#02lx: zone=%#lx, ir=%#lx, gisc=%#lx, f=%#lx,gisa=%#lx, isc=%#lx, apqn=%#04lx\n"),
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
