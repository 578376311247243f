// SPDX-License-Identifier: GPL-2.0

//! The worked examples of Documentation/s390/vfio-ap.rst and the
//! acceptance scenarios of the AP bus mask interplay, run end to end
//! through the simulated host.

mod common;

use common::{config, World};
use vfio_ap_model::apqn::Apqn;
use vfio_ap_model::error::Error;
use vfio_ap_model::format::SYSFS_PAGE_SIZE;
use vfio_ap_model::host::{DefaultMasks, DefaultOwner};
use vfio_ap_model::hotplug::RemovedQueue;
use vfio_ap_model::mask::Mask;
use vfio_ap_model::mdev::AssignAttr::{self, *};
use vfio_ap_model::validate::BusMask;

fn text(f: impl FnOnce(&mut [u8]) -> usize) -> String {
    let mut page = vec![0u8; SYSFS_PAGE_SIZE];
    let n = f(&mut page);
    String::from_utf8(page[..n].to_vec()).unwrap()
}

fn run(w: &mut World, m: usize, cmds: &[(AssignAttr, &str)]) {
    for (attr, arg) in cmds {
        w.store(m, *attr, format!("{arg}\n").as_bytes())
            .unwrap_or_else(|e| panic!("echo {arg} > {}: {e}", attr.name()));
        w.check_invariants();
    }
}

/// The documentation's host: adapters 5 and 6 among others, domains 4,
/// 0x47, 0xab and 0xff among others; everything reserved at boot.
fn doc_host() -> World {
    let cfg = config(
        Mask::from_ids(&[3, 5, 6, 10]),
        Mask::from_ids(&[1, 4, 0x47, 0xab, 0xff]),
        Mask::from_ids(&[4, 0x47]),
    );
    World::new(cfg, DefaultMasks::BOOT)
}

#[test]
fn three_guest_example() {
    let mut w = doc_host();
    assert!(
        w.host.bound().is_empty(),
        "at boot the default drivers own every queue"
    );

    // Securing the APQNs: "echo -5,-6 > apmask", "echo -4,-0x47,-0xab,-0xff > aqmask".
    assert_eq!(w.write_bus_mask(BusMask::Apmask, b"-5,-6\n"), Ok(true));
    assert_eq!(
        w.write_bus_mask(BusMask::Aqmask, b"-4,-0x47,-0xab,-0xff\n"),
        Ok(true)
    );
    // The eight queues of the example go to vfio_ap; so does every other
    // queue of adapters 5 and 6 or of the four domains, but not those the
    // two masks still both cover.
    for q in [
        "05.0004", "05.0047", "05.00ab", "05.00ff", "06.0004", "06.0047", "06.00ab", "06.00ff",
    ] {
        assert!(
            w.host.bound().iter().any(|b| b.to_string() == q),
            "{q} bound"
        );
    }
    assert!(w.host.is_bound(Apqn::new(3, 4)) && w.host.is_bound(Apqn::new(5, 1)));
    assert!(!w.host.is_bound(Apqn::new(3, 1)) && !w.host.is_bound(Apqn::new(10, 1)));

    let g1 = w.create_mdev();
    let g2 = w.create_mdev();
    let g3 = w.create_mdev();
    run(
        &mut w,
        g1,
        &[
            (AssignAdapter, "5"),
            (AssignAdapter, "6"),
            (AssignDomain, "4"),
            (AssignDomain, "0xab"),
        ],
    );
    run(
        &mut w,
        g2,
        &[
            (AssignAdapter, "5"),
            (AssignDomain, "0x47"),
            (AssignDomain, "0xff"),
        ],
    );
    run(
        &mut w,
        g3,
        &[
            (AssignAdapter, "6"),
            (AssignDomain, "0x47"),
            (AssignDomain, "0xff"),
        ],
    );

    assert_eq!(
        text(|b| w.mdevs[g1].show_matrix(b)),
        "05.0004\n05.00ab\n06.0004\n06.00ab\n"
    );
    assert_eq!(text(|b| w.mdevs[g2].show_matrix(b)), "05.0047\n05.00ff\n");
    assert_eq!(text(|b| w.mdevs[g3].show_matrix(b)), "06.0047\n06.00ff\n");
    for g in [g1, g2, g3] {
        assert_eq!(
            text(|b| w.mdevs[g].show_guest_matrix(b)),
            text(|b| w.mdevs[g].show_matrix(b))
        );
    }

    // Guest 2 may not take Guest 1's queue 05.0004 ...
    assert!(matches!(
        w.store(g2, AssignDomain, b"4"),
        Err(Error::AddrInUse(_))
    ));
    // D6/D7: adapter 3 alone is fine, but 03.0001 belongs to the host.
    let g4 = w.create_mdev();
    run(&mut w, g4, &[(AssignAdapter, "3")]);
    assert_eq!(w.store(g4, AssignDomain, b"1"), Err(Error::AddrNotAvail));
    assert_eq!(text(|b| w.mdevs[g4].show_matrix(b)), "03.\n");
    // Reserving adapter 5 for the host again is refused while guests hold it.
    assert_eq!(w.write_bus_mask(BusMask::Apmask, b"+5\n"), Err(Error::Busy));
    w.check_invariants();
}

#[test]
fn documented_sharing_examples() {
    let mut w = World::new(
        config(Mask::range(0, 7), Mask::range(0, 7), Mask::EMPTY),
        DefaultMasks::NONE,
    );
    // Examples 1 and 2 are valid configurations, at the same time.
    let a = w.create_mdev();
    let b = w.create_mdev();
    let c = w.create_mdev();
    run(
        &mut w,
        a,
        &[
            (AssignAdapter, "1"),
            (AssignAdapter, "2"),
            (AssignDomain, "5"),
            (AssignDomain, "6"),
        ],
    );
    run(
        &mut w,
        b,
        &[
            (AssignAdapter, "1"),
            (AssignAdapter, "2"),
            (AssignDomain, "7"),
        ],
    );
    run(
        &mut w,
        c,
        &[
            (AssignAdapter, "3"),
            (AssignAdapter, "4"),
            (AssignDomain, "5"),
            (AssignDomain, "6"),
        ],
    );
    // Example 3 is not: adapter 1 with domains 6 and 7 shares (1,6).
    let d = w.create_mdev();
    run(&mut w, d, &[(AssignDomain, "6")]);
    // The error names the mdev that holds it (the first of the others:
    // `a`) and the queue in common.
    match w.store(d, AssignAdapter, b"1") {
        Err(Error::AddrInUse(conflict)) => {
            assert_eq!(conflict.index, a);
            assert_eq!(conflict.queues().collect::<Vec<_>>(), [Apqn::new(1, 6)]);
        }
        r => panic!("echo 1 > assign_adapter: {r:?}, want EADDRINUSE"),
    }
    assert_eq!(text(|b| w.mdevs[d].show_matrix(b)), ".0006\n");
}

#[test]
fn documented_mask_example_binds_the_complement() {
    // apmask 0x7d00.., aqmask 0x8000..: only (1,0) (2,0) (3,0) (4,0) (5,0)
    // and (7,0) stay with the default drivers; vfio_ap gets the rest.
    let mut w = World::new(
        config(Mask::range(0, 7), Mask::range(0, 1), Mask::EMPTY),
        DefaultMasks::NONE,
    );
    let apmask = format!("0x7d{}\n", "0".repeat(62));
    let aqmask = format!("0x80{}\n", "0".repeat(62));
    assert_eq!(
        w.write_bus_mask(BusMask::Apmask, apmask.as_bytes()),
        Ok(true)
    );
    assert_eq!(
        w.write_bus_mask(BusMask::Aqmask, aqmask.as_bytes()),
        Ok(true)
    );
    let host_owned: Vec<Apqn> = (0..=7u8)
        .flat_map(|a| (0..=1u8).map(move |q| Apqn::new(a, q)))
        .filter(|&q| w.host.defaults.owned_by_default(q))
        .collect();
    let expected: Vec<Apqn> = [1, 2, 3, 4, 5, 7]
        .iter()
        .map(|&a| Apqn::new(a, 0))
        .collect();
    assert_eq!(host_owned, expected);
    assert_eq!(w.host.bound().len(), 16 - 6);
    assert!(w.host.is_bound(Apqn::new(0, 0)) && w.host.is_bound(Apqn::new(6, 0)));
    assert!(w.host.is_bound(Apqn::new(1, 1)));
}

#[test]
fn apmask_in_use_scenarios() {
    // G1: U owns A.d1, with d1 freed from aqmask but A still in apmask.
    let a = 0x0a;
    let d1 = 0x0d;
    let mut w = World::new(
        config(
            Mask::from_ids(&[a]),
            Mask::from_ids(&[d1, 0x0e]),
            Mask::EMPTY,
        ),
        DefaultMasks::new(Mask::FULL.without(a), Mask::FULL),
    );
    // Free A's queues first (apmask -A), assign, then give d1 back the
    // other way: the queue stays free as long as either mask frees it.
    let u = w.create_mdev();
    run(
        &mut w,
        u,
        &[(AssignAdapter, "0x0a"), (AssignDomain, "0x0d")],
    );
    assert_eq!(w.write_bus_mask(BusMask::Aqmask, b"-0x0d\n"), Ok(true));
    // G1: "+A" would not make A.d1 host-owned (d1 is not in aqmask), but
    // the all-ones domain mask of the in-use check refuses it.
    assert_eq!(
        w.write_bus_mask(BusMask::Apmask, b"+0x0a\n"),
        Err(Error::Busy)
    );
    // G2: reserving d1 is refused too.
    assert_eq!(
        w.write_bus_mask(BusMask::Aqmask, b"+0x0d\n"),
        Err(Error::Busy)
    );
    // G6: an absolute write covering A.
    let all = format!("0x{}\n", "f".repeat(64));
    assert_eq!(
        w.write_bus_mask(BusMask::Apmask, all.as_bytes()),
        Err(Error::Busy)
    );
    // Another domain is fine: U has no queue there.
    assert_eq!(w.write_bus_mask(BusMask::Aqmask, b"-0x0e\n"), Ok(true));
    assert_eq!(w.write_bus_mask(BusMask::Aqmask, b"+0x0e\n"), Ok(true));
    assert_eq!(
        w.write_bus_mask(BusMask::Aqmask, b"+0x0e\n"),
        Ok(false),
        "no change, no check"
    );
    // G5: once U lets go, the reservation goes through and vfio_ap loses
    // the queue.
    run(&mut w, u, &[(UnassignDomain, "0x0d")]);
    assert_eq!(w.write_bus_mask(BusMask::Apmask, b"+0x0a\n"), Ok(true));
    w.check_invariants();
    // G3: an mdev with the adapter but no domain never blocks.
    assert_eq!(text(|b| w.mdevs[u].show_matrix(b)), "0a.\n");
    assert_eq!(w.write_bus_mask(BusMask::Apmask, b"-0x0a\n"), Ok(true));
    assert_eq!(w.write_bus_mask(BusMask::Apmask, b"+0x0a\n"), Ok(true));
}

#[test]
fn unbind_and_rebind_hot_unplug_and_plug() {
    // E4..E6 and H1/H2, with the guest updates counted.
    let mut w = World::new(
        config(
            Mask::from_ids(&[5, 6]),
            Mask::from_ids(&[4, 0xab]),
            Mask::EMPTY,
        ),
        DefaultMasks::NONE,
    );
    let u = w.create_mdev();
    run(
        &mut w,
        u,
        &[
            (AssignAdapter, "5"),
            (AssignAdapter, "6"),
            (AssignDomain, "4"),
            (AssignDomain, "0xab"),
        ],
    );
    let updates = w.guest_updates[u];
    w.resets.clear();
    w.admin_unbind(Apqn::new(6, 0xab));
    assert_eq!(
        text(|b| w.mdevs[u].show_guest_matrix(b)),
        "05.0004\n05.00ab\n"
    );
    assert_eq!(w.guest_updates[u], updates + 1);
    let reset: Vec<Apqn> = w.resets.iter().map(|r| r.queue).collect();
    assert_eq!(reset, [Apqn::new(6, 4), Apqn::new(6, 0xab)]);
    w.admin_bind(Apqn::new(6, 0xab));
    assert_eq!(
        text(|b| w.mdevs[u].show_guest_matrix(b)),
        "05.0004\n05.00ab\n06.0004\n06.00ab\n"
    );
    assert_eq!(w.guest_updates[u], updates + 2);
    // A queue nobody holds is reset alone when it leaves vfio_ap.
    let mut v = World::new(
        config(Mask::from_ids(&[1]), Mask::from_ids(&[1]), Mask::EMPTY),
        DefaultMasks::NONE,
    );
    assert_eq!(v.remove(Apqn::new(1, 1)), RemovedQueue::ResetQueue);
}

#[test]
fn host_configuration_changes() {
    // H3/H4/H6/H7/H8: adapters and control domains leaving and returning.
    let cfg = config(
        Mask::from_ids(&[0xa, 0xb]),
        Mask::from_ids(&[1]),
        Mask::from_ids(&[3]),
    );
    let mut w = World::new(cfg, DefaultMasks::NONE);
    let u1 = w.create_mdev();
    let u2 = w.create_mdev();
    run(
        &mut w,
        u1,
        &[
            (AssignAdapter, "0xa"),
            (AssignDomain, "1"),
            (AssignControlDomain, "3"),
        ],
    );
    run(&mut w, u2, &[(AssignAdapter, "0xb")]);
    let before = (w.guest_updates[u1], w.guest_updates[u2]);
    w.resets.clear();
    let mut less = cfg;
    less.apm.clear(0xa);
    less.adm.clear(3);
    w.change_config(less);
    w.check_invariants();
    assert_eq!(text(|b| w.mdevs[u1].show_guest_matrix(b)), ".0001\n");
    assert_eq!(text(|b| w.mdevs[u1].show_matrix(b)), "0a.0001\n");
    assert!(w.mdevs[u1].shadow().adm.is_empty());
    assert!(w.resets.is_empty(), "the hardware resets removed queues");
    assert_eq!(
        (w.guest_updates[u1], w.guest_updates[u2]),
        (before.0 + 1, before.1)
    );
    w.change_config(cfg);
    w.check_invariants();
    assert_eq!(text(|b| w.mdevs[u1].show_guest_matrix(b)), "0a.0001\n");
    assert_eq!(w.mdevs[u1].shadow().adm, Mask::from_ids(&[3]));
    // One guest update for the whole scan.
    assert_eq!(w.guest_updates[u1], before.0 + 2);
    assert_eq!(w.guest_updates[u2], before.1);
}

#[test]
fn old_adapter_types_are_not_plugged() {
    // H10.
    let cfg = config(Mask::EMPTY, Mask::from_ids(&[1]), Mask::EMPTY);
    let mut w = World::new(cfg, DefaultMasks::NONE);
    w.old_adapters = Mask::from_ids(&[2]);
    let u = w.create_mdev();
    run(
        &mut w,
        u,
        &[
            (AssignAdapter, "2"),
            (AssignAdapter, "3"),
            (AssignDomain, "1"),
        ],
    );
    let mut more = cfg;
    more.apm = Mask::from_ids(&[2, 3]);
    more.aqm = Mask::from_ids(&[1, 9]);
    w.change_config(more);
    w.check_invariants();
    assert!(!w.host.is_bound(Apqn::new(2, 1)));
    assert_eq!(text(|b| w.mdevs[u].show_guest_matrix(b)), "03.0001\n");
}
