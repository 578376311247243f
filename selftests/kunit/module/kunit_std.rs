// SPDX-License-Identifier: GPL-2.0

//! The few `std` names the core model's unit tests use, for their run in
//! the kernel.
//!
//! The tests are written once, for the host's `std`; the kernel has neither
//! `std` nor `alloc`. This module gives the same names (`boxed::Box`,
//! `vec::Vec`, `vec!`, `string::String`, `format!`, and the slice and `str`
//! methods that live in `alloc`) over the kernel's allocator, with the
//! infallible signatures the tests expect. Each test module of the KUnit
//! build imports it as `std`.
//!
//! An allocation that fails panics (a kernel BUG): a test that cannot get
//! memory has not passed, and the guest's log then fails the run.

use core::cmp::Ordering;
use core::fmt;
use core::ops::{Deref, DerefMut};
use kernel::alloc::{flags::GFP_KERNEL, KVBox, KVVec};

fn out_of_memory() -> ! {
    panic!("vfio_ap_model_kunit: out of memory in a test")
}

/// `std::vec`.
pub(crate) mod vec {
    use super::*;

    /// A growable array, as `std::vec::Vec` (kmalloc, or vmalloc when large).
    pub(crate) struct Vec<T>(KVVec<T>);

    impl<T> Vec<T> {
        /// An empty vector; allocates nothing.
        pub(crate) fn new() -> Self {
            Self(KVVec::new())
        }

        /// Appends `v`.
        pub(crate) fn push(&mut self, v: T) {
            self.0
                .push(v, GFP_KERNEL)
                .unwrap_or_else(|_| out_of_memory());
        }

        /// Inserts `v` at `index`, moving the later elements up.
        pub(crate) fn insert(&mut self, index: usize, v: T) {
            assert!(index <= self.len(), "insert index out of range");
            self.push(v);
            self[index..].rotate_right(1);
        }
    }

    impl<T: Clone> Vec<T> {
        /// Appends a copy of every element of `s`.
        pub(crate) fn extend_from_slice(&mut self, s: &[T]) {
            self.0
                .extend_from_slice(s, GFP_KERNEL)
                .unwrap_or_else(|_| out_of_memory());
        }

        /// `n` copies of `v` (what `vec![v; n]` builds).
        pub(crate) fn from_elem(v: T, n: usize) -> Self {
            Self(KVVec::from_elem(v, n, GFP_KERNEL).unwrap_or_else(|_| out_of_memory()))
        }
    }

    impl<T> Default for Vec<T> {
        fn default() -> Self {
            Self::new()
        }
    }

    impl<T> Deref for Vec<T> {
        type Target = [T];

        fn deref(&self) -> &[T] {
            &self.0
        }
    }

    impl<T> DerefMut for Vec<T> {
        fn deref_mut(&mut self) -> &mut [T] {
            &mut self.0
        }
    }

    impl<T: Clone> Clone for Vec<T> {
        fn clone(&self) -> Self {
            let mut v = Self::new();
            v.extend_from_slice(self);
            v
        }
    }

    impl<T: Clone> From<&[T]> for Vec<T> {
        fn from(s: &[T]) -> Self {
            let mut v = Self::new();
            v.extend_from_slice(s);
            v
        }
    }

    impl<T> Extend<T> for Vec<T> {
        fn extend<I: IntoIterator<Item = T>>(&mut self, iter: I) {
            for v in iter {
                self.push(v);
            }
        }
    }

    impl<T> FromIterator<T> for Vec<T> {
        fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
            let mut v = Self::new();
            v.extend(iter);
            v
        }
    }

    /// The owning iterator of a [`Vec`]. (The kernel's has an inherent
    /// `collect` that takes allocation flags, which would hide
    /// `Iterator::collect` from the tests.)
    pub(crate) struct IntoIter<T>(kernel::alloc::IntoIter<T, kernel::alloc::allocator::KVmalloc>);

    impl<T> Iterator for IntoIter<T> {
        type Item = T;

        fn next(&mut self) -> Option<T> {
            self.0.next()
        }

        fn size_hint(&self) -> (usize, Option<usize>) {
            self.0.size_hint()
        }
    }

    impl<T> IntoIterator for Vec<T> {
        type Item = T;
        type IntoIter = IntoIter<T>;

        fn into_iter(self) -> IntoIter<T> {
            IntoIter(self.0.into_iter())
        }
    }

    impl<'a, T> IntoIterator for &'a Vec<T> {
        type Item = &'a T;
        type IntoIter = core::slice::Iter<'a, T>;

        fn into_iter(self) -> Self::IntoIter {
            self.iter()
        }
    }

    impl<'a, T> IntoIterator for &'a mut Vec<T> {
        type Item = &'a mut T;
        type IntoIter = core::slice::IterMut<'a, T>;

        fn into_iter(self) -> Self::IntoIter {
            self.iter_mut()
        }
    }

    impl<T: fmt::Debug> fmt::Debug for Vec<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            fmt::Debug::fmt(&**self, f)
        }
    }

    impl<T: PartialEq<U>, U> PartialEq<Vec<U>> for Vec<T> {
        fn eq(&self, other: &Vec<U>) -> bool {
            **self == **other
        }
    }

    impl<T: Eq> Eq for Vec<T> {}

    impl<T: PartialEq<U>, U, const N: usize> PartialEq<[U; N]> for Vec<T> {
        fn eq(&self, other: &[U; N]) -> bool {
            **self == other[..]
        }
    }

    impl<T: PartialEq<U>, U> PartialEq<&[U]> for Vec<T> {
        fn eq(&self, other: &&[U]) -> bool {
            **self == **other
        }
    }

    impl<T: PartialEq<U>, U> PartialEq<[U]> for Vec<T> {
        fn eq(&self, other: &[U]) -> bool {
            **self == *other
        }
    }
}

/// `std::boxed`.
pub(crate) mod boxed {
    use super::*;

    /// A value on the heap, as `std::boxed::Box` (kmalloc, or vmalloc when
    /// large): the tests keep the model's big values (a `HostState` is
    /// about 16 KB) there, not on a KUnit case's 16 KB stack.
    pub(crate) struct Box<T>(KVBox<T>);

    impl<T> Box<T> {
        /// `v` on the heap. Inlined, so that a value the caller builds in
        /// the call is written straight to the allocation, not first to
        /// the caller's stack.
        #[inline(always)]
        pub(crate) fn new(v: T) -> Self {
            Self(KVBox::new(v, GFP_KERNEL).unwrap_or_else(|_| out_of_memory()))
        }
    }

    impl<T> Deref for Box<T> {
        type Target = T;

        fn deref(&self) -> &T {
            &self.0
        }
    }

    impl<T> DerefMut for Box<T> {
        fn deref_mut(&mut self) -> &mut T {
            &mut self.0
        }
    }

    impl<T: fmt::Debug> fmt::Debug for Box<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            (**self).fmt(f)
        }
    }
}

/// `std::vec!`: `vec![]`, `vec![v; n]`, `vec![a, b, ...]`.
macro_rules! vec_macro {
    () => {
        $crate::kunit_std::vec::Vec::new()
    };
    ($v:expr; $n:expr) => {
        $crate::kunit_std::vec::Vec::from_elem($v, $n)
    };
    ($($v:expr),+ $(,)?) => {{
        let mut v = $crate::kunit_std::vec::Vec::new();
        $(v.push($v);)+
        v
    }};
}
pub(crate) use vec_macro as vec;

/// `std::string`.
pub(crate) mod string {
    use super::vec::Vec;
    use super::*;

    /// A growable UTF-8 string, as `std::string::String`.
    #[derive(Clone, Default, PartialEq, Eq)]
    pub(crate) struct String(Vec<u8>);

    /// The error of [`String::from_utf8`]: the bytes are not UTF-8.
    #[derive(Debug)]
    pub(crate) struct FromUtf8Error;

    impl String {
        /// An empty string.
        pub(crate) fn new() -> Self {
            Self(Vec::new())
        }

        /// The string made of `bytes`, if they are UTF-8.
        pub(crate) fn from_utf8(bytes: Vec<u8>) -> Result<Self, FromUtf8Error> {
            match core::str::from_utf8(&bytes) {
                Ok(_) => Ok(Self(bytes)),
                Err(_) => Err(FromUtf8Error),
            }
        }

        /// Appends `s`.
        pub(crate) fn push_str(&mut self, s: &str) {
            self.0.extend_from_slice(s.as_bytes());
        }

        /// Turns ASCII letters to lower case (which keeps it UTF-8).
        pub(crate) fn make_ascii_lowercase(&mut self) {
            self.0.make_ascii_lowercase();
        }

        /// The string's bytes.
        pub(crate) fn into_bytes(self) -> Vec<u8> {
            self.0
        }
    }

    impl Deref for String {
        type Target = str;

        fn deref(&self) -> &str {
            // Only `from_utf8` (checked) and `push_str` (of a `str`) fill
            // it, so the bytes are UTF-8; checked again rather than assumed.
            core::str::from_utf8(&self.0).unwrap_or("<not UTF-8>")
        }
    }

    impl From<&str> for String {
        fn from(s: &str) -> Self {
            let mut t = Self::new();
            t.push_str(s);
            t
        }
    }

    impl fmt::Write for String {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            self.push_str(s);
            Ok(())
        }
    }

    impl fmt::Display for String {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            fmt::Display::fmt(&**self, f)
        }
    }

    impl fmt::Debug for String {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            fmt::Debug::fmt(&**self, f)
        }
    }

    impl PartialEq<str> for String {
        fn eq(&self, other: &str) -> bool {
            **self == *other
        }
    }

    impl PartialEq<&str> for String {
        fn eq(&self, other: &&str) -> bool {
            **self == **other
        }
    }

    impl PartialEq<String> for &str {
        fn eq(&self, other: &String) -> bool {
            **self == **other
        }
    }

    impl PartialOrd for String {
        fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
            Some(self.cmp(other))
        }
    }

    impl Ord for String {
        fn cmp(&self, other: &Self) -> Ordering {
            (**self).cmp(&**other)
        }
    }
}

/// `std::format!`: the formatted text as a [`string::String`].
macro_rules! format_macro {
    ($($arg:tt)*) => {{
        let mut s = $crate::kunit_std::string::String::new();
        // Writing to a `String` only fails when a `Display` impl does.
        ::core::fmt::Write::write_fmt(&mut s, ::core::format_args!($($arg)*))
            .expect("a formatting trait implementation returned an error");
        s
    }};
}
pub(crate) use format_macro as format;

/// The methods of `[T]` that `std` defines in `alloc`.
pub(crate) trait SliceExt<T> {
    /// A copy of the slice in a new vector.
    fn to_vec(&self) -> vec::Vec<T>
    where
        T: Clone;

    /// Sorts the slice. Unstable (no allocation): the tests sort values
    /// whose equal elements are indistinguishable.
    fn sort(&mut self)
    where
        T: Ord;
}

impl<T> SliceExt<T> for [T] {
    fn to_vec(&self) -> vec::Vec<T>
    where
        T: Clone,
    {
        vec::Vec::from(self)
    }

    fn sort(&mut self)
    where
        T: Ord,
    {
        self.sort_unstable();
    }
}

/// The methods of `str` that `std` defines in `alloc`.
pub(crate) trait StrExt {
    /// The string repeated `n` times.
    fn repeat(&self, n: usize) -> string::String;

    /// A copy with ASCII letters in lower case.
    fn to_ascii_lowercase(&self) -> string::String;
}

impl StrExt for str {
    fn repeat(&self, n: usize) -> string::String {
        let mut s = string::String::new();
        for _ in 0..n {
            s.push_str(self);
        }
        s
    }

    fn to_ascii_lowercase(&self) -> string::String {
        let mut s = string::String::from(self);
        s.make_ascii_lowercase();
        s
    }
}

/// Prints why an `assert!(COND, MESSAGE...)` failed, before KUnit's own
/// report of the failed assertion.
pub(crate) fn failed(cond: &str, msg: fmt::Arguments<'_>) {
    kernel::kunit::err(format_args!(
        "    # assert!({cond}) failed{}\n",
        Message(msg)
    ));
}

/// An assertion's message as ": MESSAGE", or nothing when it is empty.
struct Message<'a>(fmt::Arguments<'a>);

impl fmt::Display for Message<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.as_str() == Some("") {
            return Ok(());
        }
        write!(f, ": {}", self.0)
    }
}

/// Prints both sides of a failed `assert_eq!`, and its message, before
/// KUnit's own report of the failed assertion.
pub(crate) fn failed_eq<L: fmt::Debug + ?Sized, R: fmt::Debug + ?Sized>(
    left: &str,
    right: &str,
    left_value: &L,
    right_value: &R,
    msg: fmt::Arguments<'_>,
) {
    kernel::kunit::err(format_args!(
        "    # assert_eq!({left}, {right}) failed{}\n",
        Message(msg)
    ));
    kernel::kunit::err(format_args!("    #   left: {left_value:?}\n"));
    kernel::kunit::err(format_args!("    #  right: {right_value:?}\n"));
}
