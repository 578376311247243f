// SPDX-License-Identifier: GPL-2.0

//! One vfio_ap mediated device: what is assigned to it, what its guest
//! gets, and the sysfs assignment attributes.
//!
//! The queues "linked" to an mdev upstream are exactly the bound queues
//! within its assigned APM x AQM (links follow every assignment, probe and
//! removal), so the model does not keep links: a reset set intersected
//! with the host's bound queues names the queue objects to reset.

use super::apqn::Apqn;
use super::error::{Error, Result};
use super::filter::{filter_cdoms, filter_matrix, Filtered};
use super::format::{format_ap_config, format_control_domains, format_matrix};
use super::host::{DefaultOwner, HostState};
use super::mask::Mask;
use super::matrix::{Apcb, Limits};
use super::parse::{kstrtoul, parse_ap_config};
use super::plan::Plan;
use super::reset::ResetSet;
use super::validate::validate_masks;

/// The six write-only assignment attributes of an mdev.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AssignAttr {
    /// `assign_adapter`.
    AssignAdapter,
    /// `unassign_adapter`.
    UnassignAdapter,
    /// `assign_domain`.
    AssignDomain,
    /// `unassign_domain`.
    UnassignDomain,
    /// `assign_control_domain`.
    AssignControlDomain,
    /// `unassign_control_domain`.
    UnassignControlDomain,
}

impl AssignAttr {
    /// Every attribute.
    pub const ALL: [AssignAttr; 6] = [
        AssignAttr::AssignAdapter,
        AssignAttr::UnassignAdapter,
        AssignAttr::AssignDomain,
        AssignAttr::UnassignDomain,
        AssignAttr::AssignControlDomain,
        AssignAttr::UnassignControlDomain,
    ];

    /// The sysfs file name.
    #[cfg(any(test, not(CONFIG_RUST)))]
    pub const fn name(self) -> &'static str {
        match self {
            AssignAttr::AssignAdapter => "assign_adapter",
            AssignAttr::UnassignAdapter => "unassign_adapter",
            AssignAttr::AssignDomain => "assign_domain",
            AssignAttr::UnassignDomain => "unassign_domain",
            AssignAttr::AssignControlDomain => "assign_control_domain",
            AssignAttr::UnassignControlDomain => "unassign_control_domain",
        }
    }

    /// Whether the store must hold the AP bus `ap_attr_mutex` (it checks
    /// default-driver ownership): the adapter and domain assignments.
    pub const fn needs_ap_attr_mutex(self) -> bool {
        matches!(self, AssignAttr::AssignAdapter | AssignAttr::AssignDomain)
    }
}

/// The model state of one mdev (its masks and guest state, without the
/// kernel objects).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mdev {
    // INVARIANT: `shadow` is a subset of `assigned` mask by mask: every
    // operation either re-derives the shadow from `assigned` or removes
    // from both.
    limits: Limits,
    assigned: Apcb,
    shadow: Apcb,
    shadow_limits: Limits,
    pending: Apcb,
}

impl Mdev {
    /// A new mdev with nothing assigned; its id limits are fixed now from
    /// the host's configuration, as upstream does at mdev creation.
    pub const fn new(host: &HostState) -> Mdev {
        Mdev {
            limits: host.limits(),
            assigned: Apcb::EMPTY,
            shadow: Apcb::EMPTY,
            shadow_limits: host.limits(),
            pending: Apcb::EMPTY,
        }
    }

    /// The id limits of the assignment attributes and `ap_config`.
    #[cfg(any(test, not(CONFIG_RUST)))]
    pub const fn limits(&self) -> &Limits {
        &self.limits
    }

    /// What is assigned (upstream `matrix`).
    pub const fn assigned(&self) -> &Apcb {
        &self.assigned
    }

    /// What the guest gets or would get (the shadow APCB).
    pub const fn shadow(&self) -> &Apcb {
        &self.shadow
    }

    /// The limits `guest_matrix` scans with (re-read from the host at each
    /// filtering).
    #[cfg(any(test, not(CONFIG_RUST)))]
    pub const fn shadow_limits(&self) -> &Limits {
        &self.shadow_limits
    }

    /// Adapters, domains and control domains added to the host
    /// configuration that this mdev waits for until the AP bus scan
    /// completes.
    pub const fn pending(&self) -> &Apcb {
        &self.pending
    }

    /// Whether `q` is assigned to this mdev (it owns the queue).
    pub const fn holds(&self, q: Apqn) -> bool {
        self.assigned.contains(q)
    }

    /// The queues to reset on `VFIO_DEVICE_RESET`, close and removal of
    /// the mdev: every queue linked to it.
    pub fn linked_queues(&self) -> ResetSet {
        ResetSet::product(&self.assigned.apm, &self.assigned.aqm)
    }

    /// `ENODEV` for an id above `max`; otherwise the id.
    fn check_id(id: u64, max: u8) -> Result<u8> {
        if id > u64::from(max) {
            return Err(Error::NoDev);
        }
        // id <= max <= 255.
        Ok(id as u8)
    }

    /// Re-derives the guest APM and AQM from the assignment.
    pub(super) fn refilter_matrix(&mut self, host: &HostState) -> Filtered {
        filter_matrix(
            &self.assigned,
            &mut self.shadow,
            &mut self.shadow_limits,
            host,
        )
    }

    /// Re-derives the guest ADM from the assignment.
    pub(super) fn refilter_cdoms(&mut self, host: &HostState) -> bool {
        filter_cdoms(&self.assigned, &mut self.shadow, host)
    }

    /// The plan after a filtering that started from guest APCB `old`:
    /// adapters that left the guest have all their shadow queues reset.
    pub(super) fn plan_after_filter(&self, old: Apcb, f: Filtered) -> Plan {
        let mut resets = ResetSet::EMPTY;
        if f.changed {
            resets.add(&f.apm_filtered, &self.shadow.aqm);
        }
        Plan::new(old, self.shadow, resets)
    }

    /// Removes adapters from the guest as upstream's hot unplug does, with
    /// the pre-change assignment still in place: the queues of `removed`
    /// that are in the guest are reset.
    fn unplug_adapters(&mut self, removed: &Mask, resets: &mut ResetSet) {
        let apm = removed.and(&self.shadow.apm);
        let aqm = self.assigned.aqm.and(&self.shadow.aqm);
        let added = resets.add(&apm, &aqm);
        debug_assert!(added, "reset set overflow");
        self.shadow.apm = self.shadow.apm.and_not(removed);
    }

    /// The domain counterpart of [`Mdev::unplug_adapters`].
    fn unplug_domains(&mut self, removed: &Mask, resets: &mut ResetSet) {
        let apm = self.assigned.apm.and(&self.shadow.apm);
        let aqm = removed.and(&self.shadow.aqm);
        let added = resets.add(&apm, &aqm);
        debug_assert!(added, "reset set overflow");
        self.shadow.aqm = self.shadow.aqm.and_not(removed);
    }

    /// `assign_adapter`: `ENODEV` above the limit; an assigned adapter is
    /// a successful no-op; otherwise the new APM x AQM is validated
    /// (`EADDRNOTAVAIL`, `EADDRINUSE` naming the mdev that holds an APQN,
    /// nothing changed on error), and the
    /// guest is re-filtered. `others` are the assigned APCBs of all other
    /// mdevs.
    pub fn assign_adapter<'a, O, I>(
        &mut self,
        apid: u64,
        host: &HostState,
        owner: &O,
        others: I,
    ) -> Result<Plan>
    where
        O: DefaultOwner + ?Sized,
        I: IntoIterator<Item = &'a Apcb>,
    {
        let apid = Self::check_id(apid, self.limits.apm_max)?;
        let old = self.shadow;
        if self.assigned.apm.test(apid) {
            return Ok(Plan::unchanged(&old));
        }
        validate_masks(
            &self.assigned.apm.with(apid),
            &self.assigned.aqm,
            owner,
            others,
        )?;
        self.assigned.apm.set(apid);
        let f = self.refilter_matrix(host);
        Ok(self.plan_after_filter(old, f))
    }

    /// `assign_domain`: as [`Mdev::assign_adapter`], for a usage domain.
    pub fn assign_domain<'a, O, I>(
        &mut self,
        apqi: u64,
        host: &HostState,
        owner: &O,
        others: I,
    ) -> Result<Plan>
    where
        O: DefaultOwner + ?Sized,
        I: IntoIterator<Item = &'a Apcb>,
    {
        let apqi = Self::check_id(apqi, self.limits.aqm_max)?;
        let old = self.shadow;
        if self.assigned.aqm.test(apqi) {
            return Ok(Plan::unchanged(&old));
        }
        validate_masks(
            &self.assigned.apm,
            &self.assigned.aqm.with(apqi),
            owner,
            others,
        )?;
        self.assigned.aqm.set(apqi);
        let f = self.refilter_matrix(host);
        Ok(self.plan_after_filter(old, f))
    }

    /// `unassign_adapter`: `ENODEV` above the limit; an unassigned adapter
    /// is a successful no-op; otherwise the adapter leaves the guest (no
    /// re-filtering) and its queues that were in the guest are reset.
    pub fn unassign_adapter(&mut self, apid: u64) -> Result<Plan> {
        let apid = Self::check_id(apid, self.limits.apm_max)?;
        let old = self.shadow;
        if !self.assigned.apm.test(apid) {
            return Ok(Plan::unchanged(&old));
        }
        self.assigned.apm.clear(apid);
        let mut resets = ResetSet::EMPTY;
        self.unplug_adapters(&Mask::EMPTY.with(apid), &mut resets);
        Ok(Plan::new(old, self.shadow, resets))
    }

    /// `unassign_domain`: as [`Mdev::unassign_adapter`], for a usage
    /// domain.
    ///
    /// Adapters that were filtered out of the guest because of a queue of
    /// this domain stay out until the next filtering (upstream does not
    /// re-filter on unassignment).
    pub fn unassign_domain(&mut self, apqi: u64) -> Result<Plan> {
        let apqi = Self::check_id(apqi, self.limits.aqm_max)?;
        let old = self.shadow;
        if !self.assigned.aqm.test(apqi) {
            return Ok(Plan::unchanged(&old));
        }
        self.assigned.aqm.clear(apqi);
        let mut resets = ResetSet::EMPTY;
        self.unplug_domains(&Mask::EMPTY.with(apqi), &mut resets);
        Ok(Plan::new(old, self.shadow, resets))
    }

    /// `assign_control_domain`: `ENODEV` above the limit, otherwise always
    /// allowed (control domains may be shared and need not be
    /// configured); the guest gets it if the host has it.
    pub fn assign_control_domain(&mut self, id: u64, host: &HostState) -> Result<Plan> {
        let id = Self::check_id(id, self.limits.adm_max)?;
        let old = self.shadow;
        if self.assigned.adm.test(id) {
            return Ok(Plan::unchanged(&old));
        }
        self.assigned.adm.set(id);
        self.refilter_cdoms(host);
        Ok(Plan::new(old, self.shadow, ResetSet::EMPTY))
    }

    /// `unassign_control_domain`: `ENODEV` above the limit; removes it
    /// from the guest if it was there.
    pub fn unassign_control_domain(&mut self, id: u64) -> Result<Plan> {
        let id = Self::check_id(id, self.limits.adm_max)?;
        let old = self.shadow;
        if !self.assigned.adm.test(id) {
            return Ok(Plan::unchanged(&old));
        }
        self.assigned.adm.clear(id);
        self.shadow.adm.clear(id);
        Ok(Plan::new(old, self.shadow, ResetSet::EMPTY))
    }

    /// A store to one of the six assignment attributes: the id is parsed
    /// with `kstrtoul` (`EINVAL`, `ERANGE`) before anything else.
    pub fn store<'a, O, I>(
        &mut self,
        attr: AssignAttr,
        input: &[u8],
        host: &HostState,
        owner: &O,
        others: I,
    ) -> Result<Plan>
    where
        O: DefaultOwner + ?Sized,
        I: IntoIterator<Item = &'a Apcb>,
    {
        let id = kstrtoul(input)?;
        match attr {
            AssignAttr::AssignAdapter => self.assign_adapter(id, host, owner, others),
            AssignAttr::UnassignAdapter => self.unassign_adapter(id),
            AssignAttr::AssignDomain => self.assign_domain(id, host, owner, others),
            AssignAttr::UnassignDomain => self.unassign_domain(id),
            AssignAttr::AssignControlDomain => self.assign_control_domain(id, host),
            AssignAttr::UnassignControlDomain => self.unassign_control_domain(id),
        }
    }

    /// Replaces all three masks at once, as an `ap_config` write does
    /// after parsing.
    ///
    /// The new APM x AQM is validated first (`EADDRNOTAVAIL`,
    /// `EADDRINUSE`), then the limits (`ENODEV`); on error nothing
    /// changes. Then removed adapters and removed domains are unplugged
    /// (their guest queues reset), the new masks installed and the guest
    /// re-filtered. Writing the current value changes nothing.
    pub fn set_ap_config<'a, O, I>(
        &mut self,
        new: &Apcb,
        host: &HostState,
        owner: &O,
        others: I,
    ) -> Result<Plan>
    where
        O: DefaultOwner + ?Sized,
        I: IntoIterator<Item = &'a Apcb>,
    {
        validate_masks(&new.apm, &new.aqm, owner, others)?;
        self.limits.check(new)?;
        let old = self.shadow;
        let removed = self.assigned.and_not(new);
        let mut resets = ResetSet::EMPTY;
        self.unplug_adapters(&removed.apm, &mut resets);
        self.unplug_domains(&removed.aqm, &mut resets);
        self.assigned = *new;
        let f = self.refilter_matrix(host);
        let cdoms_changed = self.refilter_cdoms(host);
        if f.changed || cdoms_changed {
            let added = resets.add(&f.apm_filtered, &self.shadow.aqm);
            debug_assert!(added, "reset set overflow");
        }
        Ok(Plan::new(old, self.shadow, resets))
    }

    /// A write to `ap_config`: [`parse_ap_config`] (`EINVAL`), then
    /// [`Mdev::set_ap_config`].
    pub fn write_ap_config<'a, O, I>(
        &mut self,
        input: &[u8],
        host: &HostState,
        owner: &O,
        others: I,
    ) -> Result<Plan>
    where
        O: DefaultOwner + ?Sized,
        I: IntoIterator<Item = &'a Apcb>,
    {
        let new = parse_ap_config(input)?;
        self.set_ap_config(&new, host, owner, others)
    }

    /// The `matrix` attribute into a sysfs page; returns its length.
    pub fn show_matrix(&self, buf: &mut [u8]) -> usize {
        format_matrix(&self.assigned, &self.limits, buf)
    }

    /// The `guest_matrix` attribute into a sysfs page; returns its length.
    pub fn show_guest_matrix(&self, buf: &mut [u8]) -> usize {
        format_matrix(&self.shadow, &self.shadow_limits, buf)
    }

    /// The `control_domains` attribute into a sysfs page.
    pub fn show_control_domains(&self, buf: &mut [u8]) -> usize {
        format_control_domains(&self.assigned.adm, self.limits.adm_max, buf)
    }

    /// The `ap_config` attribute into a sysfs page (always 201 bytes).
    pub fn show_ap_config(&self, buf: &mut [u8]) -> usize {
        format_ap_config(&self.assigned, buf)
    }

    /// Sets the pending additions (the scan bookkeeping of hot plug).
    pub(super) fn set_pending(&mut self, pending: Apcb) {
        self.pending = pending;
    }

    /// Clears one adapter from the guest (queue removal).
    pub(super) fn drop_guest_adapter(&mut self, apid: u8) {
        self.shadow.apm.clear(apid);
    }

    /// Removes ids from the guest (host configuration removal).
    pub(super) fn drop_from_guest(&mut self, removed: &Apcb) {
        self.shadow = self.shadow.and_not(removed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::host::{ApConfig, DefaultMasks};
    use crate::model::testutil::host_state;
    use crate::model::validate::Conflict;
    use std::boxed::Box;
    use std::string::String;
    use std::vec;
    use std::vec::Vec;

    /// A host with adapters 0..16 and domains 0..16 configured, the
    /// default drivers owning adapter 15 (all domains), everything else
    /// bound to vfio_ap.
    fn host() -> Box<HostState> {
        let cfg = ApConfig {
            apxa: true,
            na: 255,
            nd: 255,
            apm: Mask::range(0, 15),
            aqm: Mask::range(0, 15),
            adm: Mask::range(0, 15),
        };
        let mut h = host_state(cfg, DefaultMasks::new(Mask::from_ids(&[15]), Mask::FULL));
        for q in cfg.masks().queues() {
            if !h.defaults.owned_by_default(q) {
                h.bind(q);
            }
        }
        h
    }

    fn matrix_text(m: &Mdev) -> String {
        let mut page = vec![0u8; 4096];
        let n = m.show_matrix(&mut page);
        String::from_utf8(page[..n].to_vec()).unwrap()
    }

    fn guest_text(m: &Mdev) -> String {
        let mut page = vec![0u8; 4096];
        let n = m.show_guest_matrix(&mut page);
        String::from_utf8(page[..n].to_vec()).unwrap()
    }

    fn none() -> [&'static Apcb; 0] {
        []
    }

    #[test]
    fn new_mdev_takes_the_host_limits() {
        let h = host_state(ApConfig::EMPTY, DefaultMasks::BOOT);
        let m = Mdev::new(&h);
        assert_eq!(*m.limits(), Limits::NON_APXA);
        assert_eq!(*m.assigned(), Apcb::EMPTY);
        assert_eq!(matrix_text(&m), "");
    }

    #[test]
    fn assign_adapter_and_domain_plug_the_guest() {
        let h = host();
        let mut m = Mdev::new(&h);
        let p = m.assign_adapter(5, &h, &h, none()).unwrap();
        // An adapter alone is a guest adapter (no queue to check).
        assert!(p.update_guest);
        assert_eq!(p.new_shadow.apm, Mask::from_ids(&[5]));
        let p = m
            .store(AssignAttr::AssignDomain, b"4\n", &h, &h, none())
            .unwrap();
        assert!(p.update_guest && p.resets.is_empty());
        assert_eq!(matrix_text(&m), "05.0004\n");
        assert_eq!(guest_text(&m), "05.0004\n");
    }

    #[test]
    fn ids_above_the_limit_are_enodev() {
        // D5, without APXA.
        let h = host_state(ApConfig::EMPTY, DefaultMasks::NONE);
        let mut m = Mdev::new(&h);
        assert_eq!(m.assign_adapter(64, &h, &h, none()), Err(Error::NoDev));
        assert_eq!(m.assign_domain(16, &h, &h, none()), Err(Error::NoDev));
        assert_eq!(m.assign_control_domain(16, &h), Err(Error::NoDev));
        assert_eq!(m.unassign_adapter(64), Err(Error::NoDev));
        assert_eq!(m.unassign_domain(16), Err(Error::NoDev));
        assert_eq!(m.unassign_control_domain(16), Err(Error::NoDev));
        assert_eq!(
            m.assign_adapter(u64::MAX, &h, &h, none()),
            Err(Error::NoDev)
        );
        // The maximum itself is fine.
        assert!(m.assign_adapter(63, &h, &h, none()).is_ok());
        assert!(m.assign_domain(15, &h, &h, none()).is_ok());
        assert!(m.assign_control_domain(15, &h).is_ok());
        assert_eq!(
            *m.assigned(),
            Apcb::new(
                Mask::from_ids(&[63]),
                Mask::from_ids(&[15]),
                Mask::from_ids(&[15])
            )
        );
    }

    #[test]
    fn parse_errors_come_first() {
        let h = host();
        let mut m = Mdev::new(&h);
        for attr in AssignAttr::ALL {
            assert_eq!(
                m.store(attr, b"5 ", &h, &h, none()),
                Err(Error::Inval),
                "{}",
                attr.name()
            );
            assert_eq!(
                m.store(attr, b"99999999999999999999999", &h, &h, none()),
                Err(Error::Range)
            );
            assert_eq!(m.store(attr, b"256", &h, &h, none()), Err(Error::NoDev));
        }
        assert_eq!(*m.assigned(), Apcb::EMPTY);
    }

    #[test]
    fn repeated_assignment_is_a_noop() {
        // D12.
        let h = host();
        let mut m = Mdev::new(&h);
        m.assign_adapter(1, &h, &h, none()).unwrap();
        let before = m.clone();
        let p = m.assign_adapter(1, &h, &h, none()).unwrap();
        assert!(p.is_noop());
        assert_eq!(m, before);
        let p = m.unassign_adapter(2).unwrap();
        assert!(p.is_noop());
        assert_eq!(m, before);
        assert!(m.unassign_domain(3).unwrap().is_noop());
        assert!(m.unassign_control_domain(3).unwrap().is_noop());
    }

    #[test]
    fn reserved_adapter_only_fails_with_a_domain() {
        // D6/D7/D8: adapter 15 belongs to the default drivers.
        let h = host();
        let mut m = Mdev::new(&h);
        assert!(m.assign_adapter(15, &h, &h, none()).is_ok());
        assert_eq!(matrix_text(&m), "0f.\n");
        assert_eq!(m.assign_domain(1, &h, &h, none()), Err(Error::AddrNotAvail));
        assert_eq!(matrix_text(&m), "0f.\n", "rolled back");
        let mut m2 = Mdev::new(&h);
        m2.assign_domain(1, &h, &h, none()).unwrap();
        assert_eq!(
            m2.assign_adapter(15, &h, &h, none()),
            Err(Error::AddrNotAvail)
        );
        assert_eq!(
            *m2.assigned(),
            Apcb::new(Mask::EMPTY, Mask::from_ids(&[1]), Mask::EMPTY)
        );
    }

    #[test]
    fn sharing_is_eaddrinuse() {
        // D9/D11.
        let h = host();
        let mut u1 = Mdev::new(&h);
        u1.assign_adapter(1, &h, &h, none()).unwrap();
        u1.assign_adapter(2, &h, &h, none()).unwrap();
        u1.assign_domain(5, &h, &h, none()).unwrap();
        u1.assign_domain(6, &h, &h, none()).unwrap();
        let mut u2 = Mdev::new(&h);
        u2.assign_adapter(1, &h, &h, [u1.assigned()]).unwrap();
        assert_eq!(
            u2.assign_domain(6, &h, &h, [u1.assigned()]),
            Err(Error::AddrInUse(Conflict {
                index: 0,
                apm: Mask::from_ids(&[1]),
                aqm: Mask::from_ids(&[6]),
            }))
        );
        u2.assign_domain(7, &h, &h, [u1.assigned()]).unwrap();
        assert_eq!(matrix_text(&u2), "01.0007\n");
        // Reserved beats in-use.
        assert_eq!(
            u2.assign_adapter(15, &h, &h, [u1.assigned()]),
            Err(Error::AddrNotAvail)
        );
    }

    #[test]
    fn control_domains_are_unchecked_and_shared() {
        // D14, D16.
        let h = host();
        let mut a = Mdev::new(&h);
        let mut b = Mdev::new(&h);
        assert!(a.assign_control_domain(3, &h).unwrap().update_guest);
        assert!(b.assign_control_domain(3, &h).unwrap().update_guest);
        // Not in the host configuration: assigned, not given to the guest.
        let p = a.assign_control_domain(0x20, &h).unwrap();
        assert!(!p.update_guest);
        assert_eq!(a.shadow().adm, Mask::from_ids(&[3]));
        let mut page = [0u8; 64];
        let n = a.show_control_domains(&mut page);
        assert_eq!(&page[..n], b"0003\n0020\n");
        assert!(a.unassign_control_domain(3).unwrap().update_guest);
        assert!(!a.unassign_control_domain(0x20).unwrap().update_guest);
    }

    #[test]
    fn over_provisioning_does_not_touch_the_guest() {
        // D16/H11: an adapter not in the host: assigned, no guest update.
        let h = host();
        let mut m = Mdev::new(&h);
        m.assign_domain(1, &h, &h, none()).unwrap();
        let p = m.assign_adapter(0x40, &h, &h, none()).unwrap();
        assert!(!p.update_guest && p.is_noop());
        assert_eq!(matrix_text(&m), "40.0001\n");
        assert_eq!(guest_text(&m), ".0001\n");
    }

    #[test]
    fn unbound_queue_filters_adapter_on_assignment() {
        // D17.
        let mut h = host();
        h.unbind(Apqn::new(3, 2));
        let mut m = Mdev::new(&h);
        m.assign_domain(2, &h, &h, none()).unwrap();
        m.assign_adapter(3, &h, &h, none()).unwrap();
        m.assign_adapter(4, &h, &h, none()).unwrap();
        assert_eq!(matrix_text(&m), "03.0002\n04.0002\n");
        assert_eq!(guest_text(&m), "04.0002\n");
    }

    #[test]
    fn assigning_a_domain_can_filter_a_guest_adapter_and_reset_it() {
        let mut h = host();
        h.unbind(Apqn::new(3, 9));
        let mut m = Mdev::new(&h);
        m.assign_adapter(3, &h, &h, none()).unwrap();
        m.assign_domain(2, &h, &h, none()).unwrap();
        assert_eq!(m.shadow().apm, Mask::from_ids(&[3]));
        let p = m.assign_domain(9, &h, &h, none()).unwrap();
        assert!(p.update_guest);
        assert_eq!(p.new_shadow.apm, Mask::EMPTY);
        // Adapter 3 left the guest: its queues in the (new) shadow domains
        // are reset; 03.0009 is not bound, so only 03.0002 is.
        assert_eq!(
            p.reset_queues(h.bound()).collect::<Vec<_>>(),
            [Apqn::new(3, 2)]
        );
        // The upstream quirk: unassigning the domain does not bring the
        // adapter back.
        let p = m.unassign_domain(9).unwrap();
        assert!(p.update_guest);
        assert_eq!(m.shadow().apm, Mask::EMPTY);
        assert_eq!(guest_text(&m), ".0002\n");
    }

    #[test]
    fn unassign_adapter_resets_its_guest_queues() {
        let h = host();
        let mut m = Mdev::new(&h);
        m.assign_adapter(5, &h, &h, none()).unwrap();
        m.assign_adapter(6, &h, &h, none()).unwrap();
        m.assign_domain(4, &h, &h, none()).unwrap();
        m.assign_domain(7, &h, &h, none()).unwrap();
        let p = m
            .store(AssignAttr::UnassignAdapter, b"6", &h, &h, none())
            .unwrap();
        assert!(p.update_guest);
        assert_eq!(p.new_shadow.apm, Mask::from_ids(&[5]));
        assert_eq!(
            p.reset_queues(h.bound()).collect::<Vec<_>>(),
            [Apqn::new(6, 4), Apqn::new(6, 7)]
        );
        let p = m.unassign_domain(7).unwrap();
        assert_eq!(
            p.reset_queues(h.bound()).collect::<Vec<_>>(),
            [Apqn::new(5, 7)]
        );
        assert_eq!(matrix_text(&m), "05.0004\n");
    }

    #[test]
    fn unassigning_what_the_guest_lacks_resets_nothing() {
        let h = host();
        let mut m = Mdev::new(&h);
        m.assign_domain(1, &h, &h, none()).unwrap();
        m.assign_adapter(0x40, &h, &h, none()).unwrap();
        let p = m.unassign_adapter(0x40).unwrap();
        assert!(p.is_noop());
    }

    #[test]
    fn ap_config_replaces_everything_atomically() {
        // One write replaces adapters, domains and control domains; the
        // text a read shows is a write that changes nothing.
        let h = host();
        let mut m = Mdev::new(&h);
        let text = std::format!(
            "{},{},{}\n",
            Mask::from_ids(&[5, 6]),
            Mask::from_ids(&[4, 0xab]),
            Mask::from_ids(&[4])
        );
        let p = m.write_ap_config(text.as_bytes(), &h, &h, none()).unwrap();
        assert!(p.update_guest);
        assert_eq!(matrix_text(&m), "05.0004\n05.00ab\n06.0004\n06.00ab\n");
        // Domain 0xab is not configured on this host.
        assert_eq!(guest_text(&m), "05.0004\n06.0004\n");
        assert_eq!(m.shadow().adm, Mask::from_ids(&[4]));
        let mut page = [0u8; 4096];
        let n = m.show_ap_config(&mut page);
        assert_eq!(n, 201);
        // Writing back what was read changes nothing.
        let before = m.clone();
        let p = m.write_ap_config(&page[..n], &h, &h, none()).unwrap();
        assert!(p.is_noop());
        assert_eq!(m, before);
    }

    #[test]
    fn ap_config_errors_leave_the_mdev_unchanged() {
        // Each refused write (short or malformed text, queues another mdev
        // holds, queues of the default pool, IDs above the host's limits)
        // leaves the mdev as it was.
        let h = host();
        let mut other = Mdev::new(&h);
        other
            .set_ap_config(
                &Apcb::new(Mask::from_ids(&[1]), Mask::from_ids(&[1]), Mask::EMPTY),
                &h,
                &h,
                none(),
            )
            .unwrap();
        let mut m = Mdev::new(&h);
        m.set_ap_config(
            &Apcb::new(Mask::from_ids(&[2]), Mask::from_ids(&[2]), Mask::EMPTY),
            &h,
            &h,
            none(),
        )
        .unwrap();
        let before = m.clone();
        let cases: [(&[u8], Error); 5] = [
            (b"0x80,0x80", Error::Inval),
            (b"0xZZ,0x0,0x0\n", Error::Inval),
            (b"0X80,0,0\n", Error::Inval),
            (
                b"0x40,0x40,0x0\n",
                Error::AddrInUse(Conflict {
                    index: 0,
                    apm: Mask::from_ids(&[1]),
                    aqm: Mask::from_ids(&[1]),
                }),
            ),
            (b"0x0001,0x40,0x0\n", Error::AddrNotAvail),
        ];
        for (text, err) in cases {
            assert_eq!(
                m.write_ap_config(text, &h, &h, [other.assigned()]),
                Err(err),
                "{:?}",
                text
            );
            assert_eq!(m, before);
        }
        // ENODEV needs limits below 255.
        let small = host_state(ApConfig::EMPTY, DefaultMasks::NONE);
        let mut n = Mdev::new(&small);
        let adm255 = Apcb::new(Mask::EMPTY, Mask::EMPTY, Mask::from_ids(&[255]));
        assert_eq!(
            n.set_ap_config(&adm255, &small, &small, none()),
            Err(Error::NoDev)
        );
        // An out-of-range adapter with a reserved domain is
        // EADDRNOTAVAIL, because ownership is checked first.
        let boot = host_state(ApConfig::EMPTY, DefaultMasks::BOOT);
        let mut b = Mdev::new(&boot);
        let a255 = Apcb::new(Mask::from_ids(&[255]), Mask::EMPTY, Mask::EMPTY);
        assert_eq!(
            b.set_ap_config(&a255, &boot, &boot, none()),
            Err(Error::NoDev)
        );
        let a255d = Apcb::new(Mask::from_ids(&[255]), Mask::from_ids(&[1]), Mask::EMPTY);
        assert_eq!(
            b.set_ap_config(&a255d, &boot, &boot, none()),
            Err(Error::AddrNotAvail)
        );
        assert_eq!(*b.assigned(), Apcb::EMPTY);
    }

    #[test]
    fn ap_config_unplugs_removed_and_filters_added() {
        let mut h = host();
        let mut m = Mdev::new(&h);
        let start = Apcb::new(
            Mask::from_ids(&[1, 2]),
            Mask::from_ids(&[3, 4]),
            Mask::from_ids(&[1]),
        );
        m.set_ap_config(&start, &h, &h, none()).unwrap();
        assert_eq!(*m.shadow(), start);
        // Adapter 7 gets an unbound queue in domain 4.
        h.unbind(Apqn::new(7, 4));
        // Remove adapter 2 and domain 3, add adapters 6 and 7.
        let next = Apcb::new(
            Mask::from_ids(&[1, 6, 7]),
            Mask::from_ids(&[4]),
            Mask::from_ids(&[1]),
        );
        let p = m.set_ap_config(&next, &h, &h, none()).unwrap();
        assert_eq!(
            p.new_shadow,
            Apcb::new(
                Mask::from_ids(&[1, 6]),
                Mask::from_ids(&[4]),
                Mask::from_ids(&[1])
            )
        );
        let mut resets: Vec<Apqn> = p.reset_queues(h.bound()).collect();
        resets.sort();
        // Adapter 2 was in the guest with domains 3 and 4; domain 3 was in
        // the guest with adapters 1 and 2.
        assert_eq!(resets, [Apqn::new(1, 3), Apqn::new(2, 3), Apqn::new(2, 4)]);
        assert!(p.resets.rects().len() <= 3);
    }

    #[test]
    fn ap_config_clear_all() {
        // ",\n" unassigns everything and resets the guest's queues.
        let h = host();
        let mut m = Mdev::new(&h);
        m.write_ap_config(b"0xc0,0xc0,0x80\n", &h, &h, none())
            .unwrap();
        let p = m.write_ap_config(b",\n", &h, &h, none()).unwrap();
        assert_eq!(*m.assigned(), Apcb::EMPTY);
        assert_eq!(p.new_shadow, Apcb::EMPTY);
        assert_eq!(p.reset_queues(h.bound()).count(), 4);
    }

    #[test]
    fn linked_queues_are_assigned_and_bound() {
        let mut h = host();
        h.unbind(Apqn::new(1, 1));
        let mut m = Mdev::new(&h);
        m.set_ap_config(
            &Apcb::new(
                Mask::from_ids(&[1, 0x40]),
                Mask::from_ids(&[1, 2]),
                Mask::EMPTY,
            ),
            &h,
            &h,
            none(),
        )
        .unwrap();
        let linked: Vec<Apqn> = m.linked_queues().queues(h.bound()).collect();
        assert_eq!(linked, [Apqn::new(1, 2)]);
        assert!(m.holds(Apqn::new(0x40, 1)) && !m.holds(Apqn::new(2, 1)));
    }

    #[test]
    fn eaddrinuse_names_the_conflict() {
        // The error names the other mdev and the APQNs in common, for the
        // driver's log lines (one per APQN).
        let h = host();
        let mut u0 = Mdev::new(&h);
        u0.write_ap_config(b"0x80,0x80,0x0\n", &h, &h, none())
            .unwrap();
        let mut u1 = Mdev::new(&h);
        u1.write_ap_config(b"0x06,0x0c,0x0\n", &h, &h, [u0.assigned()])
            .unwrap();
        let others = [u0.assigned(), u1.assigned()];
        let mut u2 = Mdev::new(&h);
        u2.assign_adapter(5, &h, &h, others).unwrap();
        let Err(Error::AddrInUse(c)) = u2.store(AssignAttr::AssignDomain, b"5\n", &h, &h, others)
        else {
            panic!("assigning domain 5 must be EADDRINUSE");
        };
        assert_eq!(c.index, 1);
        assert_eq!(c.queues().collect::<Vec<_>>(), [Apqn::new(5, 5)]);
        let Err(Error::AddrInUse(c)) = u2.write_ap_config(b"0x04,0x0c,0x0\n", &h, &h, others)
        else {
            panic!("ap_config over u1's queues must be EADDRINUSE");
        };
        assert_eq!(c.index, 1);
        assert_eq!(
            c.queues().collect::<Vec<_>>(),
            [Apqn::new(5, 4), Apqn::new(5, 5)]
        );
        assert_eq!(
            u2.store(AssignAttr::AssignDomain, b"6", &h, &h, others)
                .map(|_| ()),
            Ok(())
        );
    }

    #[test]
    fn attr_names() {
        let names: Vec<&str> = AssignAttr::ALL.iter().map(|a| a.name()).collect();
        assert_eq!(
            names,
            [
                "assign_adapter",
                "unassign_adapter",
                "assign_domain",
                "unassign_domain",
                "assign_control_domain",
                "unassign_control_domain"
            ]
        );
        assert!(AssignAttr::AssignAdapter.needs_ap_attr_mutex());
        assert!(!AssignAttr::AssignControlDomain.needs_ap_attr_mutex());
        assert!(!AssignAttr::UnassignAdapter.needs_ap_attr_mutex());
    }
}
