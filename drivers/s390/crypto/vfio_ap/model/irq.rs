// SPDX-License-Identifier: GPL-2.0

//! The PQAP(AQIC) interception: routing the guest's request and the steps
//! of enabling or disabling interruptions for one of its queues.
//!
//! Enabling is a chain of host operations that can each fail: check the
//! notification indicator byte (NIB) address, pin its page, check a
//! protected guest shares it, register the guest ISC, issue AQIC. The
//! types below force that order; each failure says which pinned NIB to
//! release and answers the guest with response code 06.

use super::apqn::Apqn;
use super::host::HostState;
use super::mdev::Mdev;
use super::parse::hex_value;
use super::response::{
    QueueStatus, RC_BUSY, RC_INVALID_ADDRESS, RC_NORMAL, RC_OTHERWISE_CHANGED, RC_Q_NOT_AVAIL,
    RC_RESET_IN_PROGRESS,
};

/// The interruption-request bit of GR1 (bit 16).
pub const GR1_IR: u64 = 1 << (63 - 16);

/// A guest's PQAP(AQIC) request, decoded from its registers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AqicRequest {
    /// The queue (GR0 bits 48..63).
    pub apqn: Apqn,
    /// Enable (IR bit set) or disable.
    pub enable: bool,
    /// The guest ISC (GR1 bits 61..63).
    pub isc: u8,
    /// The guest address of the NIB (GR2).
    pub nib: u64,
}

impl AqicRequest {
    /// Decodes GR0, GR1 and GR2.
    pub const fn from_regs(gr0: u64, gr1: u64, gr2: u64) -> AqicRequest {
        AqicRequest {
            apqn: Apqn::from_qid(gr0),
            enable: gr1 & GR1_IR != 0,
            isc: (gr1 & 0x7) as u8,
            nib: gr2,
        }
    }
}

/// Where an intercepted PQAP(AQIC) goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PqapRoute {
    /// No adapter-interruption virtualization (AIV): return `EOPNOTSUPP`
    /// so that user space (QEMU) handles the instruction.
    Userspace,
    /// No guest uses the mdev: answer response code 01 right away.
    NotInUse,
    /// The queue is not linked to the mdev (not assigned to it, or not
    /// bound to vfio_ap): answer response code 01 right away.
    NotLinked,
    /// Enable interruptions (see [`begin_enable`]).
    Enable(AqicRequest),
    /// Disable interruptions (see [`after_disable_aqic`]).
    Disable(AqicRequest),
}

/// Whether queue `q` is linked to `mdev` (upstream: in the mdev's queue
/// table): assigned to it and bound to vfio_ap.
pub const fn is_linked(mdev: &Mdev, host: &HostState, q: Apqn) -> bool {
    mdev.holds(q) && host.is_bound(q)
}

impl PqapRoute {
    /// The answer for the guest of a route that answers right away.
    pub fn reply(self) -> Option<QueueStatus> {
        match self {
            PqapRoute::NotInUse | PqapRoute::NotLinked => {
                Some(QueueStatus::from_rc(RC_Q_NOT_AVAIL))
            }
            _ => None,
        }
    }
}

/// Routes a PQAP(AQIC) intercepted through the hook of `mdev`
/// (`handle_pqap`; KVM itself answers 01 when no hook is set). Without a
/// guest attached to the mdev, or for a queue not linked to it, the guest
/// gets response code 01.
pub fn route_pqap(
    aiv: bool,
    guest_attached: bool,
    mdev: &Mdev,
    host: &HostState,
    req: AqicRequest,
) -> PqapRoute {
    if !aiv {
        return PqapRoute::Userspace;
    }
    if !guest_attached {
        return PqapRoute::NotInUse;
    }
    if !is_linked(mdev, host, req.apqn) {
        return PqapRoute::NotLinked;
    }
    if req.enable {
        PqapRoute::Enable(req)
    } else {
        PqapRoute::Disable(req)
    }
}

/// The mdev's UUID (its device name, `8-4-4-4-12` hex digits) as the six
/// numbers of upstream's s390dbf entries, which cannot keep a pointer to
/// the name (the mdev may go before the entry is read): printed with
/// `%08lx-%04lx-%04lx-%04lx-%04lx%08lx` they give the name back in lower
/// case. `None` for anything else.
pub fn uuid_words(name: &[u8]) -> Option<[u64; 6]> {
    if name.len() != 36 {
        return None;
    }
    let mut words = [0u64; 6];
    let mut w = 0;
    for (i, &c) in name.iter().enumerate() {
        // A dash ends a number; so does position 28, inside the last
        // group (4 digits, then 8).
        if matches!(i, 8 | 13 | 18 | 23) {
            if c != b'-' {
                return None;
            }
            w += 1;
            continue;
        }
        if i == 28 {
            w += 1;
        }
        words[w] = (words[w] << 4) | u64::from(hex_value(c)?);
    }
    Some(words)
}

/// The interruption resources a queue holds: its pinned NIB (by guest
/// address) and its registered guest ISC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IrqBinding {
    /// Guest address of the pinned NIB.
    pub nib: u64,
    /// The registered guest ISC.
    pub isc: u8,
}

impl IrqBinding {
    /// Whether user space unmapping guest memory `[iova, iova + length)`
    /// takes the NIB away (`dma_unmap`): then interruptions are turned
    /// off and the binding released.
    pub const fn unmapped_by(&self, iova: u64, length: u64) -> bool {
        self.nib >= iova && self.nib - iova < length
    }
}

/// Why an enable request failed before AQIC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefusalReason {
    /// The NIB address is 0 or outside the guest's memory slots.
    InvalidNib,
    /// No memory to record the binding.
    NoRoom,
    /// Pinning the NIB's page failed.
    PinFailed,
    /// A protected guest's NIB page is not shared with the host.
    NotShared,
    /// Registering the guest ISC failed.
    GiscFailed,
}

/// An enable request that failed before AQIC: unpin `unpin` (if set) and
/// answer the guest with `status` (response code 06).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The NIB pinned by this request, to unpin.
    pub unpin: Option<u64>,
    /// The answer for the guest.
    pub status: QueueStatus,
    /// Why (for the log).
    pub reason: RefusalReason,
}

impl Refusal {
    fn invalid_address(unpin: Option<u64>, reason: RefusalReason) -> Refusal {
        Refusal {
            unpin,
            status: QueueStatus::from_rc(RC_INVALID_ADDRESS),
            reason,
        }
    }
}

/// The NIB address is acceptable; next, pin its page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PinNib {
    nib: u64,
    isc: u8,
}

/// The NIB page is pinned; next, for a protected guest check that it is
/// shared, then register the guest ISC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pinned {
    nib: u64,
    isc: u8,
}

/// The guest ISC is registered; next, issue AQIC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Registered {
    nib: u64,
    isc: u8,
    host_isc: u8,
}

/// First step of enabling: a NIB at address 0 or outside the guest's
/// memory slots is refused; so is a request the driver has no memory to
/// record (`can_record` false; upstream records in place), before anything
/// is pinned, so that a successful AQIC never has to be undone.
pub fn begin_enable(
    req: &AqicRequest,
    nib_in_memslot: bool,
    can_record: bool,
) -> Result<PinNib, Refusal> {
    if req.nib == 0 || !nib_in_memslot {
        return Err(Refusal::invalid_address(None, RefusalReason::InvalidNib));
    }
    if !can_record {
        return Err(Refusal::invalid_address(None, RefusalReason::NoRoom));
    }
    Ok(PinNib {
        nib: req.nib,
        isc: req.isc,
    })
}

impl PinNib {
    /// The guest address to pin.
    pub const fn nib(&self) -> u64 {
        self.nib
    }

    /// Result of pinning (one page pinned, or not).
    pub fn pinned(self, ok: bool) -> Result<Pinned, Refusal> {
        if !ok {
            return Err(Refusal::invalid_address(None, RefusalReason::PinFailed));
        }
        Ok(Pinned {
            nib: self.nib,
            isc: self.isc,
        })
    }
}

impl Pinned {
    /// The guest ISC to register.
    pub const fn isc(&self) -> u8 {
        self.isc
    }

    /// For a protected (secure) guest only: whether the NIB page is shared
    /// with the host. If not, the pin is released.
    pub fn shared(self, ok: bool) -> Result<Pinned, Refusal> {
        if ok {
            Ok(self)
        } else {
            Err(Refusal::invalid_address(
                Some(self.nib),
                RefusalReason::NotShared,
            ))
        }
    }

    /// Result of registering the guest ISC with the GIB: the host ISC, or
    /// `None` on failure (then the pin is released).
    pub fn registered(self, host_isc: Option<u8>) -> Result<Registered, Refusal> {
        match host_isc {
            Some(host_isc) => Ok(Registered {
                nib: self.nib,
                isc: self.isc,
                host_isc,
            }),
            None => Err(Refusal::invalid_address(
                Some(self.nib),
                RefusalReason::GiscFailed,
            )),
        }
    }
}

/// What to do once AQIC answered an enable request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EnableOutcome {
    /// Turn interruptions off first (AQIC with IR off, see
    /// [`after_disable_aqic`]).
    pub disable: bool,
    /// Resources of the previous binding to release (unregister the ISC,
    /// unpin the NIB).
    pub release_old: Option<IrqBinding>,
    /// Resources of this request to release.
    pub release_new: Option<IrqBinding>,
    /// The queue's binding afterwards.
    pub saved: Option<IrqBinding>,
    /// The answer for the guest.
    pub status: QueueStatus,
}

impl Registered {
    /// The host ISC to put into the AQIC request.
    pub const fn host_isc(&self) -> u8 {
        self.host_isc
    }

    /// The binding this request would establish.
    pub const fn binding(&self) -> IrqBinding {
        IrqBinding {
            nib: self.nib,
            isc: self.isc,
        }
    }

    /// Decides after AQIC returned `status`, given the queue's binding
    /// before the request.
    ///
    /// Success replaces the old binding (released) by the new one. Code 07
    /// leaves the old one and releases the new. Any other code disables
    /// interruptions, releasing the old binding, and also releases the new
    /// one, which upstream leaks.
    pub fn after_aqic(self, status: QueueStatus, old: Option<IrqBinding>) -> EnableOutcome {
        let new = self.binding();
        match status.response_code() {
            RC_NORMAL => EnableOutcome {
                disable: false,
                release_old: old,
                release_new: None,
                saved: Some(new),
                status,
            },
            RC_OTHERWISE_CHANGED => EnableOutcome {
                disable: false,
                release_old: None,
                release_new: Some(new),
                saved: old,
                status,
            },
            _ => EnableOutcome {
                disable: true,
                release_old: old,
                release_new: Some(new),
                saved: None,
                status,
            },
        }
    }
}

/// How many AQIC attempts a disable makes at most.
pub const DISABLE_ATTEMPTS: u32 = 6;

/// What to do after AQIC with IR off (a disable).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DisableStep {
    /// Accepted (00, 07): wait for the IR bit to clear, then release the
    /// binding.
    WaitThenRelease,
    /// Busy or resetting (02, 05): sleep 20 ms and try again.
    Retry,
    /// Not operational, or out of attempts: warn once and release.
    WarnAndRelease,
}

/// Classifies the response code of disable attempt `attempt` (0 first).
pub const fn after_disable_aqic(rc: u8, attempt: u32) -> DisableStep {
    match rc {
        RC_NORMAL | RC_OTHERWISE_CHANGED => DisableStep::WaitThenRelease,
        RC_RESET_IN_PROGRESS | RC_BUSY if attempt + 1 < DISABLE_ATTEMPTS => DisableStep::Retry,
        _ => DisableStep::WarnAndRelease,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::host::{ApConfig, DefaultMasks};
    use crate::model::mask::Mask;
    use crate::model::matrix::Apcb;
    use crate::model::testutil::host_state;
    use std::boxed::Box;

    const NIB: u64 = 0x1234_5678;

    fn enable_req(isc: u8) -> AqicRequest {
        AqicRequest::from_regs(0xabcd_0000_0000_0504, GR1_IR | u64::from(isc), NIB)
    }

    /// An enable of guest ISC 3 that got its NIB pinned and host ISC 6.
    fn registered_enable() -> Registered {
        begin_enable(&enable_req(3), true, true)
            .unwrap()
            .pinned(true)
            .unwrap()
            .registered(Some(6))
            .unwrap()
    }

    #[test]
    fn registers_decode() {
        let r = enable_req(3);
        assert_eq!(r.apqn, Apqn::new(5, 4));
        assert!(r.enable);
        assert_eq!(r.isc, 3);
        assert_eq!(r.nib, NIB);
        let d = AqicRequest::from_regs(0x0504, 0x7, 0);
        assert!(!d.enable);
        assert_eq!(GR1_IR, 0x0000_8000_0000_0000);
    }

    /// Host: adapters 5 and 6, domain 4, only 05.0004 bound to vfio_ap;
    /// the mdev has both adapters and the domain assigned.
    fn mdev_and_host() -> (Mdev, Box<HostState>) {
        let cfg = ApConfig {
            apxa: true,
            na: 255,
            nd: 255,
            apm: Mask::from_ids(&[5, 6]),
            aqm: Mask::from_ids(&[4]),
            adm: Mask::from_ids(&[4]),
        };
        let mut h = host_state(cfg, DefaultMasks::new(Mask::EMPTY, Mask::EMPTY));
        h.bind(Apqn::new(5, 4));
        let mut m = Mdev::new(&h);
        let apcb = Apcb::new(Mask::from_ids(&[5, 6]), Mask::from_ids(&[4]), Mask::EMPTY);
        let none: [&Apcb; 0] = [];
        m.set_ap_config(&apcb, &h, &h, none).unwrap();
        (m, h)
    }

    #[test]
    fn routing() {
        // J6, J3 and the no-guest case.
        let (m, h) = mdev_and_host();
        let r = enable_req(3);
        assert_eq!(route_pqap(false, true, &m, &h, r), PqapRoute::Userspace);
        let q01 = PqapRoute::NotLinked;
        assert_eq!(route_pqap(true, false, &m, &h, r), PqapRoute::NotInUse);
        for route in [PqapRoute::NotInUse, PqapRoute::NotLinked] {
            assert_eq!(route.reply(), Some(QueueStatus::from_rc(0x01)));
        }
        assert_eq!(PqapRoute::Enable(r).reply(), None);
        assert_eq!(PqapRoute::Userspace.reply(), None);
        // No guest comes first, whatever the queue.
        let unlinked = AqicRequest::from_regs(0x0704, GR1_IR, NIB);
        assert_eq!(
            route_pqap(true, false, &m, &h, unlinked),
            PqapRoute::NotInUse
        );
        assert_eq!(route_pqap(true, true, &m, &h, r), PqapRoute::Enable(r));
        let d = AqicRequest { enable: false, ..r };
        assert_eq!(route_pqap(true, true, &m, &h, d), PqapRoute::Disable(d));
        // Assigned but not bound (06.0004), bound elsewhere or not at all.
        for (gr0, q) in [(0x0604, (6, 4)), (0x0505, (5, 5)), (0x0704, (7, 4))] {
            let req = AqicRequest::from_regs(gr0, GR1_IR, NIB);
            assert_eq!(req.apqn, Apqn::new(q.0, q.1));
            assert!(!is_linked(&m, &h, req.apqn));
            assert_eq!(route_pqap(true, true, &m, &h, req), q01);
            let off = AqicRequest {
                enable: false,
                ..req
            };
            assert_eq!(route_pqap(true, true, &m, &h, off), q01);
        }
        assert!(is_linked(&m, &h, Apqn::new(5, 4)));
    }

    #[test]
    fn bad_nib_is_rc06_and_pins_nothing() {
        // J2.
        let zero = AqicRequest {
            nib: 0,
            ..enable_req(3)
        };
        let refusal = begin_enable(&zero, true, true).unwrap_err();
        assert_eq!(refusal.status.response_code(), 0x06);
        assert_eq!(refusal.unpin, None);
        assert_eq!(refusal.reason, RefusalReason::InvalidNib);
        let outside = begin_enable(&enable_req(3), false, true).unwrap_err();
        assert_eq!(
            (outside.unpin, outside.status.response_code()),
            (None, 0x06)
        );
        // No memory to record the binding: refused before pinning.
        assert_eq!(outside.reason, RefusalReason::InvalidNib);
        let no_room = begin_enable(&enable_req(3), true, false).unwrap_err();
        assert_eq!(
            (no_room.unpin, no_room.status.response_code()),
            (None, 0x06)
        );
        assert_eq!(no_room.reason, RefusalReason::NoRoom);
        let pin = begin_enable(&enable_req(3), true, true).unwrap();
        assert_eq!(pin.nib(), NIB);
        let unpinned = pin.pinned(false).unwrap_err();
        assert_eq!(
            (unpinned.unpin, unpinned.reason),
            (None, RefusalReason::PinFailed)
        );
    }

    #[test]
    fn failures_after_pinning_unpin_the_new_nib() {
        // J9 and the GISC registration failure.
        let pinned = begin_enable(&enable_req(3), true, true)
            .unwrap()
            .pinned(true)
            .unwrap();
        let r = pinned.shared(false).unwrap_err();
        assert_eq!((r.unpin, r.status.response_code()), (Some(NIB), 0x06));
        assert_eq!(r.reason, RefusalReason::NotShared);
        let pinned = pinned.shared(true).unwrap();
        assert_eq!(pinned.isc(), 3);
        let r = pinned.registered(None).unwrap_err();
        assert_eq!((r.unpin, r.status.response_code()), (Some(NIB), 0x06));
        assert_eq!(r.reason, RefusalReason::GiscFailed);
    }

    #[test]
    fn aqic_outcomes_release_the_right_nib() {
        let old = IrqBinding {
            nib: 0x1000,
            isc: 2,
        };
        let new = IrqBinding { nib: NIB, isc: 3 };
        let reg = registered_enable();
        assert_eq!(reg.host_isc(), 6);
        assert_eq!(reg.binding(), new);
        // J5: success replaces the old binding.
        let ok = reg.after_aqic(QueueStatus::from_rc(0x00), Some(old));
        assert_eq!(
            (ok.release_old, ok.release_new, ok.saved, ok.disable),
            (Some(old), None, Some(new), false)
        );
        let first = reg.after_aqic(QueueStatus::from_rc(0x00), None);
        assert_eq!((first.release_old, first.saved), (None, Some(new)));
        // 07: the new resources go, the old stay.
        let changed = reg.after_aqic(QueueStatus::from_rc(0x07), Some(old));
        assert_eq!(
            (changed.release_old, changed.release_new, changed.saved),
            (None, Some(new), Some(old))
        );
        assert_eq!(changed.status.response_code(), 0x07);
        // J10: anything else disables and releases both (no leak).
        let bad = reg.after_aqic(QueueStatus::from_rc(0x03), Some(old));
        assert_eq!(
            (bad.disable, bad.release_old, bad.release_new, bad.saved),
            (true, Some(old), Some(new), None)
        );
        assert_eq!(bad.status.condition_code(), 3);
    }

    #[test]
    fn only_a_performed_aqic_keeps_the_new_nib() {
        // The driver's AQIC abstraction hands back enabled interruptions
        // (which own the new pinned NIB) exactly for response code 0, and
        // the unused NIB otherwise: the model must save the new binding
        // exactly then and release it in every other case, so that no pin
        // is kept unrecorded or recorded without its interruptions.
        let old = IrqBinding {
            nib: 0x1000,
            isc: 2,
        };
        let reg = registered_enable();
        let new = reg.binding();
        for rc in 0..=u8::MAX {
            for prev in [None, Some(old)] {
                let out = reg.after_aqic(QueueStatus::from_rc(rc), prev);
                assert_eq!(out.saved == Some(new), rc == 0, "rc {rc:#04x}");
                assert_eq!(out.release_new == Some(new), rc != 0, "rc {rc:#04x}");
                // The old binding is released (with or without a disable)
                // unless AQIC left it in place (07).
                let kept = out.saved == prev && prev.is_some();
                assert_eq!(kept, rc == 0x07 && prev.is_some(), "rc {rc:#04x}");
                assert_eq!(out.release_old.is_some(), prev.is_some() && !kept);
            }
        }
    }

    #[test]
    fn unmapping_releases_only_the_nibs_in_range() {
        let b = IrqBinding {
            nib: 0x2000,
            isc: 3,
        };
        assert!(b.unmapped_by(0x2000, 1));
        assert!(b.unmapped_by(0x1000, 0x1001));
        assert!(b.unmapped_by(0, u64::MAX));
        assert!(!b.unmapped_by(0x1000, 0x1000), "end is exclusive");
        assert!(!b.unmapped_by(0x2001, 0x1000));
        assert!(!b.unmapped_by(0x2000, 0));
        // Near the top of the address space nothing wraps.
        let top = IrqBinding {
            nib: u64::MAX,
            isc: 3,
        };
        assert!(top.unmapped_by(u64::MAX - 1, 2));
        assert!(!b.unmapped_by(u64::MAX - 1, 0x3000));
    }

    #[test]
    fn disable_retries() {
        assert_eq!(after_disable_aqic(0x00, 0), DisableStep::WaitThenRelease);
        assert_eq!(after_disable_aqic(0x07, 3), DisableStep::WaitThenRelease);
        for attempt in 0..5 {
            assert_eq!(after_disable_aqic(0x05, attempt), DisableStep::Retry);
            assert_eq!(after_disable_aqic(0x02, attempt), DisableStep::Retry);
        }
        assert_eq!(
            after_disable_aqic(0x05, 5),
            DisableStep::WarnAndRelease,
            "six attempts in all"
        );
        for rc in [0x01, 0x03, 0x04, 0x06] {
            assert_eq!(after_disable_aqic(rc, 0), DisableStep::WarnAndRelease);
        }
    }

    #[test]
    fn uuid_words_print_the_name() {
        let name = "62177883-f1bb-47f0-914d-32a22E3A8804";
        let w = uuid_words(name.as_bytes()).unwrap();
        assert_eq!(
            w,
            [0x6217_7883, 0xf1bb, 0x47f0, 0x914d, 0x32a2, 0x2e3a_8804]
        );
        let printed = std::format!(
            "{:08x}-{:04x}-{:04x}-{:04x}-{:04x}{:08x}",
            w[0],
            w[1],
            w[2],
            w[3],
            w[4],
            w[5]
        );
        assert_eq!(printed, name.to_ascii_lowercase());
        let zeros = uuid_words(b"00000000-0000-0000-0000-000000000001").unwrap();
        assert_eq!(zeros, [0, 0, 0, 0, 0, 1]);
        for bad in [
            "62177883-f1bb-47f0-914d-32a22e3a880",
            "62177883-f1bb-47f0-914d-32a22e3a88045",
            "62177883+f1bb-47f0-914d-32a22e3a8804",
            "62177883-f1bb-47f0-914d-32a22e3a880g",
            "",
        ] {
            assert_eq!(uuid_words(bad.as_bytes()), None, "{bad}");
        }
    }
}
