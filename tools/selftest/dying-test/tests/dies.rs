// SPDX-License-Identifier: GPL-2.0

//! A test binary that dies: the abort takes the harness down with it, so
//! the binary prints no result line.

#[test]
fn aborts() {
    std::process::abort();
}
