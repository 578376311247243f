// SPDX-License-Identifier: GPL-2.0

//! Builders shared by the model's unit tests (host only).

use super::host::{ApConfig, DefaultMasks, HostState};
use super::mask::Mask;
use super::matrix::Apcb;

/// An APCB from lists of adapter, usage domain and control domain ids.
pub(crate) fn apcb(apm: &[u8], aqm: &[u8], adm: &[u8]) -> Apcb {
    Apcb::new(
        Mask::from_ids(apm),
        Mask::from_ids(aqm),
        Mask::from_ids(adm),
    )
}

/// A host AP configuration (extended addressing, largest ids 255) with
/// these adapters, usage domains and control domains.
pub(crate) fn config(apm: &[u8], aqm: &[u8], adm: &[u8]) -> ApConfig {
    ApConfig {
        apxa: true,
        na: 255,
        nd: 255,
        apm: Mask::from_ids(apm),
        aqm: Mask::from_ids(aqm),
        adm: Mask::from_ids(adm),
    }
}

/// A host with configuration `cfg`, no queue in the default drivers' pool
/// and every configured queue bound to vfio_ap.
pub(crate) fn bound_host(cfg: ApConfig) -> HostState {
    let mut h = HostState::new(cfg, DefaultMasks::NONE);
    for q in cfg.masks().queues() {
        h.bind(q);
    }
    h
}
