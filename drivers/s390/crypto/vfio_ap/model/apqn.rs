// SPDX-License-Identifier: GPL-2.0

//! AP queue numbers: an adapter id (APID) and a queue index (APQI).

use core::fmt;

/// Adapter id, the bit number in an APM.
pub type Apid = u8;

/// AP queue index (usage domain), the bit number in an AQM.
pub type Apqi = u8;

/// Control domain number, the bit number in an ADM.
#[cfg(any(test, not(CONFIG_RUST)))]
pub type DomainId = u8;

/// An AP queue number: one usage domain of one adapter.
///
/// Orders adapter-major (APID first), which is the order of the sysfs
/// `matrix` listing.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Apqn {
    /// The adapter.
    pub apid: Apid,
    /// The usage domain.
    pub apqi: Apqi,
}

impl Apqn {
    /// The queue `apid.apqi`.
    pub const fn new(apid: Apid, apqi: Apqi) -> Apqn {
        Apqn { apid, apqi }
    }

    /// From the 16-bit queue id the AP instructions use in GR0
    /// (`AP_MKQID`: APID in the high byte, APQI in the low byte). Bits above
    /// 16 are ignored, as `AP_QID_CARD`/`AP_QID_QUEUE` do.
    pub const fn from_qid(qid: u64) -> Apqn {
        Apqn {
            apid: ((qid >> 8) & 0xff) as u8,
            apqi: (qid & 0xff) as u8,
        }
    }

    /// The 16-bit queue id (`AP_MKQID`).
    #[inline]
    pub fn qid(self) -> u16 {
        (u16::from(self.apid) << 8) | u16::from(self.apqi)
    }
}

/// `aa.dddd`: two hex digits of APID and four of APQI, the form of sysfs
/// queue device names and of the driver's log messages.
impl fmt::Display for Apqn {
    #[inline]
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02x}.{:04x}", self.apid, self.apqi)
    }
}

impl fmt::Debug for Apqn {
    #[inline]
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::format;

    #[test]
    fn qid_round_trip() {
        let q = Apqn::new(0x05, 0xab);
        assert_eq!(q.qid(), 0x05ab);
        assert_eq!(Apqn::from_qid(0x05ab), q);
        // GR0 carries more than the APQN; only the low 16 bits count.
        assert_eq!(Apqn::from_qid(0xdead_0000_0000_ff01), Apqn::new(0xff, 0x01));
    }

    #[test]
    fn display_like_the_queue_device_name() {
        assert_eq!(format!("{}", Apqn::new(5, 4)), "05.0004");
        assert_eq!(format!("{:?}", Apqn::new(0xff, 0xab)), "ff.00ab");
    }

    #[test]
    fn ordering_is_adapter_major() {
        assert!(Apqn::new(1, 200) < Apqn::new(2, 0));
        assert!(Apqn::new(2, 0) < Apqn::new(2, 1));
    }
}
