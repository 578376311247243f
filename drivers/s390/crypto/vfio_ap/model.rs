// SPDX-License-Identifier: GPL-2.0

//! The pure core model of vfio_ap: every decision the driver makes about
//! AP matrices, written once over 256-bit masks and nothing else.
//!
//! May this adapter be assigned, what does the guest get, what must be
//! plugged, unplugged or reset: these are answered here, with upstream's
//! behaviour (Linux 7.3) as the reference, including its error codes and
//! their precedence. The code uses only `core` (no allocation, no `unsafe`)
//! so that the same files build into the kernel module and, through
//! `tools/model-host`, into a host crate that `cargo test` exercises.
//!
//! The driver keeps one [`host::HostState`] and one [`mdev::Mdev`] per
//! mediated device, calls the operations with its locks held, and executes
//! the [`plan::Plan`] each returns (CRYCB update, cfg_chg signal, queue
//! resets).
//!
//! Items that only the tests use (the host crate's simulation of the AP
//! bus, constructors, getters) carry `#[cfg(any(test, not(CONFIG_RUST)))]`:
//! they build on the host and into the KUnit test module, never into
//! vfio_ap.ko, whose build then reports any other item the driver does not
//! call.

pub mod apqn;
pub mod crycb;
pub mod error;
pub mod events;
pub mod filter;
pub mod format;
pub mod host;
pub mod hotplug;
pub mod irq;
pub mod mask;
pub mod matrix;
pub mod mdev;
pub mod parse;
pub mod plan;
pub mod reset;
pub mod response;
pub mod status;
#[cfg(test)]
mod testutil;
pub mod validate;
pub mod vfio;
