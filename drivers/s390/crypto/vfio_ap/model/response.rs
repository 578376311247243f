// SPDX-License-Identifier: GPL-2.0

//! AP queue status words and the response codes the driver acts on.

/// Response code 0x00: normal completion.
pub const RC_NORMAL: u8 = 0x00;
/// Response code 0x01: APQN not valid (not in the configuration).
pub const RC_Q_NOT_AVAIL: u8 = 0x01;
/// Response code 0x02: a reset is in progress.
pub const RC_RESET_IN_PROGRESS: u8 = 0x02;
/// Response code 0x03: the adapter or domain is deconfigured.
pub const RC_DECONFIGURED: u8 = 0x03;
/// Response code 0x04: the adapter is checkstopped.
pub const RC_CHECKSTOPPED: u8 = 0x04;
/// Response code 0x05: the queue is busy.
pub const RC_BUSY: u8 = 0x05;
/// Response code 0x06: invalid address (e.g. the NIB).
pub const RC_INVALID_ADDRESS: u8 = 0x06;
/// Response code 0x07: the interruption controls were changed otherwise.
pub const RC_OTHERWISE_CHANGED: u8 = 0x07;
/// Response code 0x0A: a state change is in progress.
pub const RC_STATE_CHANGE_IN_PROGRESS: u8 = 0x0a;
/// Response code 0x35: associating a secret was refused (not unique).
pub const RC_ASSOC_SECRET_NOT_UNIQUE: u8 = 0x35;
/// Response code 0x36: associating a secret failed.
pub const RC_ASSOC_FAILED: u8 = 0x36;

/// The 32-bit AP queue status word that PQAP, NQAP and DQAP return.
///
/// Bit numbering is the architecture's (bit 0 leftmost): bit 0 queue empty,
/// bit 1 replies waiting, bit 2 queue full, bit 6 asynchronous error, bit 7
/// interruptions enabled, bits 8..15 the response code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct QueueStatus(pub u32);

impl QueueStatus {
    const QUEUE_EMPTY: u32 = 1 << 31;
    const IRQ_ENABLED: u32 = 1 << 24;

    /// A status word carrying only `rc`.
    pub fn from_rc(rc: u8) -> QueueStatus {
        QueueStatus(u32::from(rc) << 16)
    }

    /// The response code.
    pub const fn response_code(self) -> u8 {
        ((self.0 >> 16) & 0xff) as u8
    }

    /// Whether interruptions are enabled for the queue.
    pub const fn irq_enabled(self) -> bool {
        self.0 & Self::IRQ_ENABLED != 0
    }

    /// Whether the queue is empty.
    pub const fn queue_empty(self) -> bool {
        self.0 & Self::QUEUE_EMPTY != 0
    }

    /// The value PQAP leaves in the guest's GR1: the status word
    /// zero-extended to 64 bits.
    pub fn gr1(self) -> u64 {
        u64::from(self.0)
    }

    /// The condition code for the guest: 3 if the response code is not
    /// zero, else 0 (what KVM derives from GR1).
    #[cfg(any(test, not(CONFIG_RUST)))]
    pub fn condition_code(self) -> u8 {
        if self.response_code() != RC_NORMAL {
            3
        } else {
            0
        }
    }
}

/// Whether a queue whose last reset ended with `rc` may be passed to a
/// guest: normal, deconfigured or checkstopped.
pub const fn queue_passable(rc: u8) -> bool {
    matches!(rc, RC_NORMAL | RC_DECONFIGURED | RC_CHECKSTOPPED)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_word_fields() {
        let s = QueueStatus(0x8106_0000);
        assert!(s.queue_empty());
        assert!(s.irq_enabled());
        assert_eq!(s.response_code(), RC_INVALID_ADDRESS);
        assert_eq!(s.gr1(), 0x8106_0000);
        assert_eq!(s.condition_code(), 3);
        let ok = QueueStatus::from_rc(RC_NORMAL);
        assert_eq!(ok.condition_code(), 0);
        assert!(!ok.irq_enabled() && !ok.queue_empty());
        assert_eq!(QueueStatus::from_rc(0x0a).0, 0x000a_0000);
    }

    #[test]
    fn passable_response_codes() {
        let passable: [u8; 3] = [RC_NORMAL, RC_DECONFIGURED, RC_CHECKSTOPPED];
        for rc in 0..=255u8 {
            assert_eq!(queue_passable(rc), passable.contains(&rc), "rc {:#x}", rc);
        }
    }
}
