// SPDX-License-Identifier: GPL-2.0

//! The core model's unit tests, run by KUnit in the guest kernel.
//!
//! The host runs the model's tests on x86-64 (little-endian); the driver
//! runs on s390x (big-endian). This test-only module compiles the same
//! model sources, with their `#[cfg(test)]` test modules, for the guest
//! kernel: `tools/build.sh` copies them and turns each file's test module
//! into a KUnit suite `vfio_ap_model_<file>` (one case per `#[test]`), and
//! KUnit runs the suites when the module loads. The tests' few `std` names
//! come from [`kunit_std`].

use kernel::prelude::*;

mod kunit_std;

/// The driver's source directory, in the build copy's layout (the same
/// as the repository's).
#[path = "../../../drivers/s390/crypto/vfio_ap"]
mod driver {
    pub mod model;
}

/// The model at `crate::model`, where its tests look for it (as in the
/// driver and the host crate).
pub use driver::model;

module! {
    type: ModelKunit,
    name: "vfio_ap_model_kunit",
    authors: ["The vfio_ap Rust authors"],
    description: "KUnit run of the vfio_ap core model's unit tests (test only)",
    license: "GPL v2",
}

/// Nothing to set up: KUnit finds the suites in the module's KUnit section
/// and runs them once the module is loaded.
struct ModelKunit;

impl kernel::Module for ModelKunit {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        Ok(Self)
    }
}

/// Marks the running case as skipped, with `why` as KUnit's comment.
///
/// For a test that cannot run in a KUnit case's kernel thread (see
/// `tools/kunit-suites.py`): KUnit reports it as `# SKIP`, never as passed.
///
/// # Safety
///
/// `test` must be the `struct kunit` KUnit passed to the running case.
pub unsafe fn skip(test: *mut kernel::bindings::kunit, why: &CStr) {
    // SAFETY: by the function's requirement `test` is the running case's
    // `struct kunit`, which KUnit hands to this thread for the case's run
    // and reads only after the case returns.
    let test = unsafe { &mut *test };
    test.status = kernel::bindings::kunit_status_KUNIT_SKIPPED;
    let comment = &mut test.status_comment;
    let text = why.to_bytes();
    // Leaves the last byte NUL: the comment is a C string.
    let n = text.len().min(comment.len() - 1);
    for (c, &b) in comment.iter_mut().zip(&text[..n]) {
        *c = b as kernel::ffi::c_char;
    }
    comment[n] = 0;
}
