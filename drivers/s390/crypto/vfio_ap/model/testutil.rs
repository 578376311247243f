// SPDX-License-Identifier: GPL-2.0

//! Builders shared by the model's unit tests (host only).

use super::apqn::Apqn;
use super::host::{ApConfig, DefaultMasks, DefaultOwner, HostState};
use super::mask::Mask;
use super::matrix::Apcb;
use std::boxed::Box;

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

/// `HostState::new(config, defaults)`, on the heap.
///
/// A host is about 16 KB, as much as the stack of the kernel thread that
/// runs a test under KUnit: the tests keep it boxed. The empty host is
/// built in the allocation (all zeros), never as a local.
pub(crate) fn host_state(config: ApConfig, defaults: DefaultMasks) -> Box<HostState> {
    const EMPTY: HostState = HostState::new(ApConfig::EMPTY, DefaultMasks::NONE);
    let mut h = Box::new(EMPTY);
    h.config = config;
    h.defaults = defaults;
    h
}

/// A boxed host reserves for the default drivers what the host does, so
/// that the tests pass it where the model takes any [`DefaultOwner`].
impl DefaultOwner for Box<HostState> {
    fn owned_by_default(&self, q: Apqn) -> bool {
        (**self).owned_by_default(q)
    }

    fn owns_any(&self, apm: &Mask, aqm: &Mask) -> bool {
        (**self).owns_any(apm, aqm)
    }
}

/// A host with configuration `cfg`, no queue in the default drivers' pool
/// and every configured queue bound to vfio_ap (on the heap).
pub(crate) fn bound_host(cfg: ApConfig) -> Box<HostState> {
    let mut h = host_state(cfg, DefaultMasks::NONE);
    for q in cfg.masks().queues() {
        h.bind(q);
    }
    h
}
