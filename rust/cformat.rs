// SPDX-License-Identifier: GPL-2.0

//! C formats for the kernel's formatters (s390dbf's sprintf view and
//! `vsnprintf`), which the module calls with `long` arguments only.

use kernel::prelude::*;

/// The most conversions a [`LongFormat`] has.
pub(crate) const MAX_LONGS: usize = 8;

/// A static C format whose every conversion fetches one `long`.
///
/// # Invariants
///
/// The format has at most [`MAX_LONGS`] conversions, each of the form
/// `%[-+ #0-9]*l[diouxX]`, and no other `%`: called with [`MAX_LONGS`]
/// `long` arguments, a formatter reads each conversion's argument as the
/// type it was passed as, and none past the last.
#[derive(Clone, Copy)]
pub(crate) struct LongFormat(&'static CStr);

impl LongFormat {
    /// Checks `fmt`. Meant for a `const` context ([`long_format!`]), where
    /// a format that does not qualify fails the build and the check costs
    /// nothing at run time.
    #[inline]
    pub(crate) const fn new(fmt: &'static CStr) -> Self {
        let b = fmt.to_bytes();
        let mut n = 0;
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'%' {
                i += 1;
                while i < b.len() && matches!(b[i], b'-' | b'+' | b' ' | b'#' | b'0'..=b'9') {
                    i += 1;
                }
                assert!(
                    i + 1 < b.len()
                        && b[i] == b'l'
                        && matches!(b[i + 1], b'd' | b'i' | b'o' | b'u' | b'x' | b'X'),
                    "a conversion other than %l[diouxX]"
                );
                i += 1;
                n += 1;
            }
            i += 1;
        }
        assert!(n <= MAX_LONGS, "too many conversions");
        // INVARIANT: Checked above.
        Self(fmt)
    }

    /// The format.
    pub(crate) fn as_cstr(self) -> &'static CStr {
        self.0
    }
}

/// A [`LongFormat`] checked at compile time.
macro_rules! long_format {
    ($fmt:literal) => {
        const { $crate::abstractions::cformat::LongFormat::new($fmt) }
    };
}
pub(crate) use long_format;
