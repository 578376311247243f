// SPDX-License-Identifier: GPL-2.0

//! The `status` attribute vfio_ap adds to each queue device it binds.

use super::apqn::Apqn;
use super::format::SysfsBuf;
use super::mdev::Mdev;

/// The state a bound queue reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueueState {
    /// No mdev holds the queue (also while the probe is still running).
    Unassigned,
    /// An mdev holds it, but no guest uses it.
    Assigned,
    /// It is in the APCB of the guest attached to its mdev.
    InUse,
}

impl QueueState {
    /// The attribute text, with its newline (note the space in
    /// `in use`).
    pub const fn text(self) -> &'static str {
        match self {
            QueueState::Unassigned => "unassigned\n",
            QueueState::Assigned => "assigned\n",
            QueueState::InUse => "in use\n",
        }
    }

    /// Writes the text into a sysfs page; returns its length.
    pub fn show(self, buf: &mut [u8]) -> usize {
        let mut out = SysfsBuf::new(buf);
        out.push(self.text().as_bytes());
        out.len()
    }
}

/// The state of queue `q`, given the mdev that holds it (if any) and
/// whether a KVM guest is attached to that mdev. A queue whose probe has
/// not finished yet is `Unassigned`: pass `None`.
pub fn queue_state(q: Apqn, owner: Option<&Mdev>, guest_attached: bool) -> QueueState {
    match owner {
        None => QueueState::Unassigned,
        Some(m) if guest_attached && m.shadow().contains(q) => QueueState::InUse,
        Some(_) => QueueState::Assigned,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::host::{ApConfig, DefaultMasks};
    use crate::model::mask::Mask;
    use crate::model::testutil::host_state;

    #[test]
    fn status_texts() {
        // B2, B4, B5, I2.
        let cfg = ApConfig {
            apxa: true,
            na: 255,
            nd: 255,
            apm: Mask::from_ids(&[1, 2]),
            aqm: Mask::from_ids(&[1]),
            adm: Mask::EMPTY,
        };
        let mut h = host_state(cfg, DefaultMasks::NONE);
        h.bind(Apqn::new(1, 1));
        let mut m = Mdev::new(&h);
        m.assign_adapter(1, &h, &h, [&crate::model::matrix::Apcb::EMPTY; 0])
            .unwrap();
        m.assign_adapter(2, &h, &h, [&crate::model::matrix::Apcb::EMPTY; 0])
            .unwrap();
        m.assign_domain(1, &h, &h, [&crate::model::matrix::Apcb::EMPTY; 0])
            .unwrap();
        let q = Apqn::new(1, 1);
        assert_eq!(queue_state(q, None, true), QueueState::Unassigned);
        assert_eq!(queue_state(q, Some(&m), false), QueueState::Assigned);
        assert_eq!(queue_state(q, Some(&m), true), QueueState::InUse);
        // Adapter 2 is filtered out (02.0001 is not bound): only assigned.
        assert_eq!(
            queue_state(Apqn::new(2, 1), Some(&m), true),
            QueueState::Assigned
        );
        let mut page = [0u8; 4096];
        let n = QueueState::InUse.show(&mut page);
        assert_eq!(&page[..n], b"in use\n");
        assert_eq!(QueueState::Unassigned.text(), "unassigned\n");
        assert_eq!(QueueState::Assigned.text(), "assigned\n");
    }
}
