// SPDX-License-Identifier: GPL-2.0

//! Module-global locks.
//!
//! [`kernel::sync::global_lock!`] leaves the lock uninitialised until its
//! unsafe `init()` runs; [`global_mutex!`] pairs it with a safe init function
//! that runs that initialisation at most once, so driver code stays free of
//! `unsafe`.

/// Defines a global [`kernel::sync::Mutex`] `$name` holding `$ty` (start
/// value `$init`, a constant expression) and a function `$initfn` that
/// initialises it.
///
/// `$initfn` must be called in module init before the lock is first used;
/// calls after the first do nothing.
macro_rules! global_mutex {
    (
        $(#[$meta:meta])*
        $vis:vis static $name:ident: $ty:ty = $init:expr;
        init = $initfn:ident;
    ) => {
        ::kernel::sync::global_lock! {
            // SAFETY: The module calls `$initfn` in its init function before
            // anything can use the lock (nothing is registered yet).
            $(#[$meta])*
            $vis unsafe(uninit) static $name: Mutex<$ty> = $init;
        }

        #[doc = ::core::concat!("Initialises [`", ::core::stringify!($name), "`] once.")]
        #[allow(unsafe_code)]
        $vis fn $initfn() {
            static DONE: ::core::sync::atomic::AtomicBool =
                ::core::sync::atomic::AtomicBool::new(false);
            if !DONE.swap(true, ::core::sync::atomic::Ordering::AcqRel) {
                // SAFETY: The flag makes this the only call of `init`.
                unsafe { $name.init() };
            }
        }
    };
}
pub(crate) use global_mutex;
