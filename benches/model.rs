// SPDX-License-Identifier: GPL-2.0

//! Host benchmark of the model at full scale: a host with 256 adapters x
//! 256 domains, every queue bound to vfio_ap, and 64 mdevs.
//!
//! Run with `cargo bench`. Plain `std::time`, no harness: each case runs a
//! fixed number of iterations and prints the mean time per operation.

use std::hint::black_box;
use std::time::{Duration, Instant};

use vfio_ap_model::filter::{filter_cdoms, filter_matrix, guest_apcb};
use vfio_ap_model::format::{format_matrix, SYSFS_PAGE_SIZE};
use vfio_ap_model::host::{ApConfig, DefaultMasks, HostState};
use vfio_ap_model::mask::Mask;
use vfio_ap_model::matrix::{Apcb, Limits};
use vfio_ap_model::mdev::Mdev;
use vfio_ap_model::parse::{kstrtoul, parse_ap_config};
use vfio_ap_model::validate::{apmask_change_in_use, validate_masks};

const MDEVS: usize = 64;
/// Adapters per mdev: 64 x 3 = 192, leaving adapters 192..=255 free.
const ADAPTERS_PER_MDEV: u8 = 3;

fn bench<T>(name: &str, iters: u32, mut f: impl FnMut() -> T) -> Duration {
    // Warm up caches and branch predictors.
    for _ in 0..iters.div_ceil(10) {
        black_box(f());
    }
    let start = Instant::now();
    for _ in 0..iters {
        black_box(f());
    }
    let per_op = start.elapsed() / iters;
    println!(
        "{:<58} {:>10} ns/op  ({} iterations)",
        name,
        per_op.as_nanos(),
        iters
    );
    per_op
}

fn full_host() -> HostState {
    let cfg = ApConfig {
        apxa: true,
        na: 255,
        nd: 255,
        apm: Mask::FULL,
        aqm: Mask::FULL,
        adm: Mask::FULL,
    };
    let mut host = HostState::new(cfg, DefaultMasks::NONE);
    for q in cfg.masks().queues() {
        host.bind(q);
    }
    host
}

fn mdev_apcb(i: usize) -> Apcb {
    let first = i as u8 * ADAPTERS_PER_MDEV;
    Apcb::new(
        Mask::range(first, first + ADAPTERS_PER_MDEV - 1),
        Mask::FULL,
        Mask::from_ids(&[i as u8]),
    )
}

fn main() {
    let host = full_host();
    let mut mdevs: Vec<Mdev> = Vec::with_capacity(MDEVS);
    for i in 0..MDEVS {
        let mut m = Mdev::new(&host);
        let others: Vec<Apcb> = mdevs.iter().map(|m| *m.assigned()).collect();
        m.set_ap_config(&mdev_apcb(i), &host, &host, others.iter())
            .expect("setup assignment");
        mdevs.push(m);
    }
    let all: Vec<Apcb> = mdevs.iter().map(|m| *m.assigned()).collect();
    let others_of_0: Vec<Apcb> = all[1..].to_vec();
    println!(
        "host: 256 adapters x 256 domains, {} queues bound; {} mdevs x {} adapters x 256 domains",
        host.bound().len(),
        MDEVS,
        ADAPTERS_PER_MDEV
    );
    println!();

    // Validation: the worst case is an APQN set that conflicts with
    // nobody, so every other mdev is looked at.
    let apm = all[0].apm.with(200);
    bench(
        "validate_masks: 4 x 256 APQNs vs 63 mdevs (no conflict)",
        1_000_000,
        || validate_masks(&apm, &Mask::FULL, &host, others_of_0.iter()),
    );
    let apm_conflict = all[0].apm.with(190);
    bench(
        "validate_masks: conflict with the last mdev",
        1_000_000,
        || validate_masks(&apm_conflict, &Mask::FULL, &host, others_of_0.iter()),
    );
    let mut m0 = mdevs[0].clone();
    bench(
        "assign_adapter + unassign_adapter (incl. filtering)",
        200_000,
        || {
            let p = m0
                .assign_adapter(200, &host, &host, others_of_0.iter())
                .unwrap();
            let q = m0.unassign_adapter(200).unwrap();
            (p.update_guest, q.update_guest)
        },
    );
    let mut m0 = mdevs[0].clone();
    let swapped = Apcb::new(Mask::range(200, 202), Mask::FULL, Mask::from_ids(&[0]));
    let original = all[0];
    bench(
        "ap_config write: swap 3 adapters and back (2 writes)",
        100_000,
        || {
            m0.set_ap_config(&swapped, &host, &host, others_of_0.iter())
                .unwrap();
            m0.set_ap_config(&original, &host, &host, others_of_0.iter())
                .unwrap()
        },
    );
    bench(
        "apmask in_use: reserve adapters 0..=255 vs 64 mdevs",
        1_000_000,
        || apmask_change_in_use(&Mask::EMPTY, &Mask::FULL, all.iter()),
    );
    println!();

    // Filtering.
    let everything = Apcb::new(Mask::FULL, Mask::FULL, Mask::FULL);
    let mut shadow = Apcb::EMPTY;
    let mut limits = Limits::FULL;
    bench(
        "filter_matrix: one mdev with 256 x 256 APQNs",
        200_000,
        || {
            shadow = Apcb::EMPTY;
            filter_matrix(&everything, &mut shadow, &mut limits, &host)
        },
    );
    bench(
        "guest_apcb (filter + cdoms) for all 64 mdevs",
        20_000,
        || {
            let mut n = 0;
            for a in &all {
                n += guest_apcb(a, &host).apm.count();
            }
            n
        },
    );
    let mut shadows: Vec<(Apcb, Limits)> = mdevs
        .iter()
        .map(|m| (*m.shadow(), *m.shadow_limits()))
        .collect();
    bench(
        "re-filter 64 steady mdevs (nothing changes)",
        20_000,
        || {
            let mut changed = false;
            for (a, (s, l)) in all.iter().zip(shadows.iter_mut()) {
                changed |= filter_matrix(a, s, l, &host).changed;
                changed |= filter_cdoms(a, s, &host);
            }
            changed
        },
    );
    println!();

    // Text.
    let mut page = vec![0u8; SYSFS_PAGE_SIZE];
    bench(
        "format_matrix: 256 x 256 (cut at 4095 bytes)",
        200_000,
        || format_matrix(&everything, &Limits::FULL, &mut page),
    );
    let text = format!("{},{},{}\n", Mask::FULL, Mask::FULL, Mask::FULL);
    bench("parse_ap_config: 201-byte text", 1_000_000, || {
        parse_ap_config(text.as_bytes())
    });
    bench("kstrtoul: \"0xab\\n\"", 10_000_000, || kstrtoul(b"0xab\n"));
}
