// SPDX-License-Identifier: GPL-2.0

//! Property tests of the model's invariants, over random sequences of what
//! an admin, the AP bus and the hardware can do.

mod common;

use common::{config, World};
use proptest::collection::{btree_set, vec};
use proptest::prelude::*;
use std::collections::BTreeSet;

use vfio_ap_model::apqn::Apqn;
use vfio_ap_model::error::Error;
use vfio_ap_model::filter::{filter_cdoms, filter_matrix, guest_apcb};
use vfio_ap_model::format::{format_ap_config, format_matrix, SYSFS_PAGE_SIZE};
use vfio_ap_model::host::{ApConfig, DefaultMasks, HostState};
use vfio_ap_model::mask::Mask;
use vfio_ap_model::matrix::{Apcb, Limits};
use vfio_ap_model::mdev::AssignAttr;
use vfio_ap_model::parse::{hex_to_mask, kstrtoul, parse_ap_config};
use vfio_ap_model::validate::BusMask;

const MDEVS: usize = 3;

/// A small id universe makes conflicts likely; a few large ids exercise
/// the limits.
fn id() -> impl Strategy<Value = u8> {
    prop_oneof![
        8 => 0u8..8,
        1 => Just(15u8),
        1 => Just(16u8),
        1 => Just(63u8),
        1 => Just(64u8),
        1 => Just(255u8),
    ]
}

/// A mask over the small universe.
fn small_mask() -> impl Strategy<Value = Mask> {
    any::<u8>().prop_map(|b| (0..8u8).filter(|i| b & (1 << i) != 0).collect())
}

/// An AP bus mask: often nothing reserved, so that assignments succeed.
fn bus_mask() -> impl Strategy<Value = Mask> {
    prop_oneof![Just(Mask::EMPTY), small_mask()]
}

#[derive(Clone, Debug)]
enum Op {
    Store(usize, AssignAttr, u8),
    ApConfig(usize, Mask, Mask, Mask),
    AdminUnbind(u8, u8),
    AdminBind(u8, u8),
    BusMask(BusMask, bool, u8),
    Config(Mask, Mask, Mask),
}

fn op() -> impl Strategy<Value = Op> {
    let attr = prop::sample::select(AssignAttr::ALL.to_vec());
    let which = prop_oneof![Just(BusMask::Apmask), Just(BusMask::Aqmask)];
    prop_oneof![
        10 => (0..MDEVS, attr, id()).prop_map(|(m, a, i)| Op::Store(m, a, i)),
        3 => (0..MDEVS, small_mask(), small_mask(), small_mask())
            .prop_map(|(m, a, q, d)| Op::ApConfig(m, a, q, d)),
        4 => (0u8..8, 0u8..8).prop_map(|(a, q)| Op::AdminUnbind(a, q)),
        2 => (0u8..8, 0u8..8).prop_map(|(a, q)| Op::AdminBind(a, q)),
        2 => (which, any::<bool>(), 0u8..8).prop_map(|(w, add, i)| Op::BusMask(w, add, i)),
        2 => (small_mask(), small_mask(), small_mask()).prop_map(|(a, q, d)| Op::Config(a, q, d)),
    ]
}

fn start(apxa: bool, apmask: Mask, aqmask: Mask) -> World {
    let mut cfg = config(Mask::range(0, 5), Mask::range(0, 5), Mask::range(0, 5));
    cfg.apxa = apxa;
    let mut w = World::new(cfg, DefaultMasks::new(apmask, aqmask));
    // Adapter 7 is too old for vfio_ap whenever it shows up.
    w.old_adapters = Mask::from_ids(&[7]);
    for _ in 0..MDEVS {
        w.create_mdev();
    }
    w.check_invariants();
    w
}

fn apply(w: &mut World, op: &Op) {
    match *op {
        Op::Store(m, attr, id) => {
            let _ = w.store(m, attr, format!("{id}\n").as_bytes());
        }
        Op::ApConfig(m, apm, aqm, adm) => {
            let _ = w.write_ap_config(m, format!("{apm},{aqm},{adm}\n").as_bytes());
        }
        Op::AdminUnbind(a, q) => w.admin_unbind(Apqn::new(a, q)),
        Op::AdminBind(a, q) => w.admin_bind(Apqn::new(a, q)),
        Op::BusMask(which, add, id) => {
            let text = format!("{}{id}\n", if add { '+' } else { '-' });
            let _ = w.write_bus_mask(which, text.as_bytes());
        }
        Op::Config(apm, aqm, adm) => {
            let mut cfg = config(apm, aqm, adm);
            cfg.apxa = w.host.config.apxa;
            w.change_config(cfg);
        }
    }
}

fn world() -> impl Strategy<Value = World> {
    (any::<bool>(), bus_mask(), bus_mask(), vec(op(), 0..40)).prop_map(
        |(apxa, apmask, aqmask, ops)| {
            let mut w = start(apxa, apmask, aqmask);
            for op in &ops {
                apply(&mut w, op);
            }
            w
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// No APQN in two mdevs, none both assigned and the default drivers',
    /// guest APCB within assigned x configured x bound, and every plan
    /// resets what leaves the guest and nothing that stays.
    #[test]
    fn invariants_hold_under_random_operations(
        apxa in any::<bool>(),
        apmask in bus_mask(),
        aqmask in bus_mask(),
        ops in vec(op(), 1..80),
    ) {
        let mut w = start(apxa, apmask, aqmask);
        for op in &ops {
            apply(&mut w, op);
            w.check_invariants();
        }
    }

    /// Assigning a new adapter and unassigning it again restores the mdev
    /// (from a steady state); a refused assignment changes nothing.
    #[test]
    fn adapter_plug_then_unplug_restores(mut w in world(), m in 0..MDEVS, apid in id()) {
        prop_assume!(w.is_steady(m));
        prop_assume!(!w.mdevs[m].assigned().apm.test(apid));
        let before = w.mdevs[m].clone();
        match w.store(m, AssignAttr::AssignAdapter, format!("{apid}").as_bytes()) {
            Ok(_) => {
                w.check_invariants();
                w.store(m, AssignAttr::UnassignAdapter, format!("{apid}").as_bytes()).unwrap();
                w.check_invariants();
                prop_assert_eq!(w.mdevs[m].assigned(), before.assigned());
                prop_assert_eq!(w.mdevs[m].shadow(), before.shadow());
            }
            Err(e) => {
                prop_assert!(matches!(e, Error::NoDev | Error::AddrNotAvail | Error::AddrInUse(_)));
                prop_assert_eq!(&w.mdevs[m], &before);
            }
        }
    }

    /// Assigning a control domain and unassigning it restores the mdev.
    #[test]
    fn control_domain_plug_then_unplug_restores(mut w in world(), m in 0..MDEVS, cd in id()) {
        prop_assume!(!w.mdevs[m].assigned().adm.test(cd));
        let before = w.mdevs[m].clone();
        if w.store(m, AssignAttr::AssignControlDomain, format!("{cd}").as_bytes()).is_ok() {
            w.store(m, AssignAttr::UnassignControlDomain, format!("{cd}").as_bytes()).unwrap();
            prop_assert_eq!(w.mdevs[m].assigned(), before.assigned());
            prop_assert_eq!(w.mdevs[m].shadow(), before.shadow());
        }
    }

    /// Writing another `ap_config` and then the text read before restores
    /// the mdev (from a steady state).
    #[test]
    fn ap_config_write_then_restore(
        mut w in world(),
        m in 0..MDEVS,
        apm in small_mask(),
        aqm in small_mask(),
        adm in small_mask(),
    ) {
        prop_assume!(w.is_steady(m));
        let before = w.mdevs[m].clone();
        let mut page = vec![0u8; SYSFS_PAGE_SIZE];
        let n = before.show_ap_config(&mut page);
        prop_assert_eq!(n, 201);
        if w.write_ap_config(m, format!("{apm},{aqm},{adm}\n").as_bytes()).is_ok() {
            w.check_invariants();
            let plan = w.write_ap_config(m, &page[..n]).unwrap();
            w.check_invariants();
            prop_assert_eq!(w.mdevs[m].assigned(), before.assigned());
            prop_assert_eq!(w.mdevs[m].shadow(), before.shadow());
            prop_assert_eq!(plan.new_shadow, *before.shadow());
        } else {
            prop_assert_eq!(&w.mdevs[m], &before);
        }
    }

    /// Unbinding a queue and binding it again restores every mdev.
    #[test]
    fn queue_unbind_then_bind_restores(mut w in world(), pick in any::<prop::sample::Index>()) {
        prop_assume!((0..MDEVS).all(|m| w.is_steady(m)));
        let bound: Vec<Apqn> = w.host.bound().iter().collect();
        if bound.is_empty() {
            return Ok(());
        }
        let queue = bound[pick.index(bound.len())];
        let before: Vec<Apcb> = w.mdevs.iter().map(|m| *m.shadow()).collect();
        w.admin_unbind(queue);
        w.check_invariants();
        prop_assert!(!w.host.is_bound(queue));
        for m in &w.mdevs {
            prop_assert!(!m.shadow().contains(queue));
        }
        w.admin_bind(queue);
        w.check_invariants();
        let after: Vec<Apcb> = w.mdevs.iter().map(|m| *m.shadow()).collect();
        prop_assert_eq!(after, before);
    }

    /// Taking an adapter or domain out of the host configuration and
    /// putting it back restores every mdev.
    #[test]
    fn config_remove_then_add_restores(mut w in world(), pick in any::<prop::sample::Index>(), adapter in any::<bool>()) {
        prop_assume!((0..MDEVS).all(|m| w.is_steady(m)));
        let before: Vec<Apcb> = w.mdevs.iter().map(|m| *m.shadow()).collect();
        let old = w.host.config;
        let ids: Vec<u8> = if adapter { old.apm.iter().collect() } else { old.aqm.iter().collect() };
        if ids.is_empty() {
            return Ok(());
        }
        let id = ids[pick.index(ids.len())];
        let mut less = old;
        if adapter {
            less.apm.clear(id);
        } else {
            less.aqm.clear(id);
        }
        w.change_config(less);
        w.check_invariants();
        w.change_config(old);
        w.check_invariants();
        let after: Vec<Apcb> = w.mdevs.iter().map(|m| *m.shadow()).collect();
        prop_assert_eq!(after, before);
    }

    /// Filtering twice gives what filtering once gave, and reports no
    /// change the second time.
    #[test]
    fn filtering_is_idempotent(
        cfg in (small_mask(), small_mask(), small_mask()),
        bound in btree_set((0u8..8, 0u8..8), 0..64),
        blocked in btree_set((0u8..8, 0u8..8), 0..8),
        assigned in (small_mask(), small_mask(), small_mask()),
        start in (small_mask(), small_mask(), small_mask()),
    ) {
        let (host, assigned) = filter_setup(cfg, &bound, &blocked, assigned);
        let mut shadow = Apcb::new(start.0, start.1, start.2);
        let mut limits = Limits::NON_APXA;
        filter_matrix(&assigned, &mut shadow, &mut limits, &host);
        filter_cdoms(&assigned, &mut shadow, &host);
        let once = shadow;
        let again = filter_matrix(&assigned, &mut shadow, &mut limits, &host);
        prop_assert!(!again.changed);
        prop_assert!(again.apm_filtered.is_empty());
        prop_assert!(!filter_cdoms(&assigned, &mut shadow, &host));
        prop_assert_eq!(shadow, once);
        // Whatever it started from, filtering lands on the steady state.
        prop_assert_eq!(shadow, guest_apcb(&assigned, &host));
    }

    /// The guest APCB is within assigned x configured, all its queues are
    /// bound and usable, and each adapter left out has an unusable queue.
    #[test]
    fn guest_is_assigned_configured_and_bound(
        cfg in (small_mask(), small_mask(), small_mask()),
        bound in btree_set((0u8..8, 0u8..8), 0..64),
        blocked in btree_set((0u8..8, 0u8..8), 0..8),
        assigned in (small_mask(), small_mask(), small_mask()),
    ) {
        let (host, assigned) = filter_setup(cfg, &bound, &blocked, assigned);
        let g = guest_apcb(&assigned, &host);
        prop_assert!(g.is_subset_of(&assigned.and(&host.config.masks())));
        for q in g.queues() {
            prop_assert!(host.is_passable(q));
        }
        prop_assert_eq!(g.aqm, assigned.aqm.and(&host.config.aqm));
        prop_assert_eq!(g.adm, assigned.adm.and(&host.config.adm));
        for apid in &assigned.apm.and(&host.config.apm).and_not(&g.apm) {
            prop_assert!(g.aqm.iter().any(|apqi| !host.is_passable(Apqn::new(apid, apqi))));
        }
    }

    /// `matrix` text equals a straightforward rendering cut at 4095 bytes.
    #[test]
    fn matrix_text_matches_reference(
        apm in any::<[u64; 4]>(),
        aqm in any::<[u64; 4]>(),
        apm_max in any::<u8>(),
        aqm_max in any::<u8>(),
        sparse in any::<bool>(),
    ) {
        let thin = |w: [u64; 4]| if sparse { Mask::from_words([w[0] & w[1] & w[2], w[3] & w[1], 0, w[2] & w[0]]) } else { Mask::from_words(w) };
        let a = Apcb::new(thin(apm), thin(aqm), Mask::EMPTY);
        let limits = Limits { apm_max, aqm_max, adm_max: 0 };
        let ids = |m: &Mask, max: u8| m.iter().filter(|&i| i <= max).collect::<Vec<u8>>();
        let (apids, apqis) = (ids(&a.apm, apm_max), ids(&a.aqm, aqm_max));
        let mut text = String::new();
        match (apids.is_empty(), apqis.is_empty()) {
            (false, false) => for x in &apids { for y in &apqis { text += &format!("{x:02x}.{y:04x}\n"); } },
            (false, true) => for x in &apids { text += &format!("{x:02x}.\n"); },
            (true, false) => for y in &apqis { text += &format!(".{y:04x}\n"); },
            (true, true) => {}
        }
        text.truncate(4095);
        let mut page = vec![0u8; SYSFS_PAGE_SIZE];
        let n = format_matrix(&a, &limits, &mut page);
        prop_assert_eq!(std::str::from_utf8(&page[..n]).unwrap(), text.as_str());
    }

    /// `ap_config` text and parsing are inverse; any mask survives its hex.
    #[test]
    fn ap_config_round_trip(apm in any::<[u64; 4]>(), aqm in any::<[u64; 4]>(), adm in any::<[u64; 4]>()) {
        let a = Apcb::new(Mask::from_words(apm), Mask::from_words(aqm), Mask::from_words(adm));
        let mut page = vec![0u8; SYSFS_PAGE_SIZE];
        let n = format_ap_config(&a, &mut page);
        prop_assert_eq!(n, 201);
        prop_assert_eq!(parse_ap_config(&page[..n]), Ok(a));
        prop_assert_eq!(hex_to_mask(&a.apm.to_hex()), Ok(a.apm));
        prop_assert_eq!(hex_to_mask(format!("{}\n", a.aqm).as_bytes()), Ok(a.aqm));
    }

    /// The parsers never panic on arbitrary bytes.
    #[test]
    fn parsers_total(bytes in vec(any::<u8>(), 0..300)) {
        let _ = kstrtoul(&bytes);
        let _ = hex_to_mask(&bytes);
        let _ = parse_ap_config(&bytes);
        let _ = vfio_ap_model::parse::parse_bus_mask(&Mask::EMPTY, &bytes);
    }

    /// `kstrtoul` agrees with an independent reading of its rules.
    #[test]
    fn kstrtoul_matches_reference(
        plus in any::<bool>(),
        prefix in prop::sample::select(vec!["", "0", "0x", "0X", "00", "x"]),
        digits in "[0-9a-fA-F]{0,24}",
        tail in prop::sample::select(vec!["", "\n", "\n\n", " ", "g", "\0junk"]),
    ) {
        let s = format!("{}{prefix}{digits}{tail}", if plus { "+" } else { "" });
        prop_assert_eq!(kstrtoul(s.as_bytes()), reference_kstrtoul(&s), "{:?}", s);
    }

    /// Mask operations agree with a set of ids.
    #[test]
    fn mask_matches_a_set(a in btree_set(any::<u8>(), 0..40), b in btree_set(any::<u8>(), 0..40)) {
        let ma: Mask = a.iter().copied().collect();
        let mb: Mask = b.iter().copied().collect();
        let set = |m: Mask| m.iter().collect::<BTreeSet<u8>>();
        prop_assert_eq!(set(ma), a.clone());
        prop_assert_eq!(set(ma & mb), a.intersection(&b).copied().collect::<BTreeSet<u8>>());
        prop_assert_eq!(set(ma | mb), a.union(&b).copied().collect::<BTreeSet<u8>>());
        prop_assert_eq!(set(ma.and_not(&mb)), a.difference(&b).copied().collect::<BTreeSet<u8>>());
        prop_assert_eq!(ma.count() as usize, a.len());
        prop_assert_eq!(ma.intersects(&mb), !a.is_disjoint(&b));
        prop_assert_eq!(ma.is_subset_of(&mb), a.is_subset(&b));
        prop_assert_eq!(ma.first(), a.first().copied());
        prop_assert_eq!(ma.last(), a.last().copied());
        prop_assert_eq!(Mask::from_be_bytes(ma.to_be_bytes()), ma);
    }
}

fn filter_setup(
    cfg: (Mask, Mask, Mask),
    bound: &BTreeSet<(u8, u8)>,
    blocked: &BTreeSet<(u8, u8)>,
    assigned: (Mask, Mask, Mask),
) -> (HostState, Apcb) {
    let cfg = ApConfig {
        apxa: true,
        na: 255,
        nd: 255,
        apm: cfg.0,
        aqm: cfg.1,
        adm: cfg.2,
    };
    let mut host = HostState::new(cfg, DefaultMasks::NONE);
    for &(a, q) in bound {
        host.bind(Apqn::new(a, q));
    }
    for &(a, q) in blocked {
        host.set_reset_response(Apqn::new(a, q), 0x01);
    }
    (host, Apcb::new(assigned.0, assigned.1, assigned.2))
}

/// kstrtoul's rules, read independently: this goes through the string
/// with `str` methods and a wide accumulator.
fn reference_kstrtoul(s: &str) -> Result<u64, Error> {
    let s = s.split('\0').next().unwrap();
    let s = s.strip_prefix('+').unwrap_or(s);
    let lower = s.to_ascii_lowercase();
    let (radix, body) =
        if lower.starts_with("0x") && lower[2..].starts_with(|c: char| c.is_ascii_hexdigit()) {
            (16, &s[2..])
        } else if s.starts_with('0') {
            (8, s)
        } else {
            (10, s)
        };
    let n = body.chars().take_while(|c| c.is_digit(radix)).count();
    let mut value: u128 = 0;
    for c in body[..n].chars() {
        value = value * u128::from(radix) + u128::from(c.to_digit(radix).unwrap());
        if value > u128::from(u64::MAX) {
            return Err(Error::Range);
        }
    }
    if n == 0 {
        return Err(Error::Inval);
    }
    match &body[n..] {
        "" | "\n" => Ok(value as u64),
        _ => Err(Error::Inval),
    }
}
