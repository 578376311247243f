// SPDX-License-Identifier: GPL-2.0

//! Errors of the model, one variant per errno the driver can return.
//!
//! The values are the positive Linux errno numbers; the kernel side negates
//! them (or maps the variant to `kernel::error::Error`) at the C boundary.

use core::fmt;

use super::validate::Conflict;

/// An error the vfio_ap driver reports to user space or to the AP bus.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// `EPERM` (1): another mdev is already attached to the KVM guest.
    Perm,
    /// `ENOENT` (2).
    NoEnt,
    /// `EIO` (5): a queue did not come out of a reset in a usable state.
    Io,
    /// `EBADF` (9): a file descriptor that is not open.
    BadF,
    /// `EAGAIN` (11).
    Again,
    /// `ENOMEM` (12).
    NoMem,
    /// `EFAULT` (14): bad user-space pointer.
    Fault,
    /// `EBUSY` (16): the AP bus refuses an apmask/aqmask change because an
    /// mdev holds one of the APQNs.
    Busy,
    /// `EEXIST` (17).
    Exist,
    /// `ENODEV` (19): an id above the maximum adapter or domain number.
    NoDev,
    /// `EINVAL` (22): input that does not parse, or a bad request.
    Inval,
    /// `ENOTTY` (25).
    NoTty,
    /// `ERANGE` (34): a number that does not fit into 64 bits.
    Range,
    /// `EUSERS` (87).
    Users,
    /// `EOPNOTSUPP` (95): let user space handle the intercepted instruction.
    OpNotSupp,
    /// `EADDRINUSE` (98): the APQN is assigned to another mdev, the one
    /// the conflict names (for upstream's log lines).
    AddrInUse(Conflict),
    /// `EADDRNOTAVAIL` (99): the APQN is reserved for the host's default
    /// drivers by apmask/aqmask.
    AddrNotAvail,
    /// `ERESTARTSYS` (512): interrupted while waiting for a lock.
    RestartSys,
}

impl Error {
    /// The positive errno value.
    pub const fn errno(self) -> i32 {
        match self {
            Error::Perm => 1,
            Error::NoEnt => 2,
            Error::Io => 5,
            Error::BadF => 9,
            Error::Again => 11,
            Error::NoMem => 12,
            Error::Fault => 14,
            Error::Busy => 16,
            Error::Exist => 17,
            Error::NoDev => 19,
            Error::Inval => 22,
            Error::NoTty => 25,
            Error::Range => 34,
            Error::Users => 87,
            Error::OpNotSupp => 95,
            Error::AddrInUse(_) => 98,
            Error::AddrNotAvail => 99,
            Error::RestartSys => 512,
        }
    }

    /// The symbolic name, e.g. `"EADDRINUSE"`.
    pub const fn name(self) -> &'static str {
        match self {
            Error::Perm => "EPERM",
            Error::NoEnt => "ENOENT",
            Error::Io => "EIO",
            Error::BadF => "EBADF",
            Error::Again => "EAGAIN",
            Error::NoMem => "ENOMEM",
            Error::Fault => "EFAULT",
            Error::Busy => "EBUSY",
            Error::Exist => "EEXIST",
            Error::NoDev => "ENODEV",
            Error::Inval => "EINVAL",
            Error::NoTty => "ENOTTY",
            Error::Range => "ERANGE",
            Error::Users => "EUSERS",
            Error::OpNotSupp => "EOPNOTSUPP",
            Error::AddrInUse(_) => "EADDRINUSE",
            Error::AddrNotAvail => "EADDRNOTAVAIL",
            Error::RestartSys => "ERESTARTSYS",
        }
    }
}

impl fmt::Display for Error {
    #[inline]
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name(), self.errno())
    }
}

/// The result type of the model.
pub type Result<T = (), E = Error> = core::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::mask::Mask;

    #[test]
    fn errno_values_match_linux() {
        // asm-generic/errno-base.h and errno.h, as s390 uses them.
        let in_use = Conflict {
            index: 0,
            apm: Mask::EMPTY,
            aqm: Mask::EMPTY,
        };
        let expected = [
            (Error::Perm, 1),
            (Error::NoEnt, 2),
            (Error::Io, 5),
            (Error::BadF, 9),
            (Error::Again, 11),
            (Error::NoMem, 12),
            (Error::Fault, 14),
            (Error::Busy, 16),
            (Error::Exist, 17),
            (Error::NoDev, 19),
            (Error::Inval, 22),
            (Error::NoTty, 25),
            (Error::Range, 34),
            (Error::Users, 87),
            (Error::OpNotSupp, 95),
            (Error::AddrInUse(in_use), 98),
            (Error::AddrNotAvail, 99),
            (Error::RestartSys, 512),
        ];
        for (e, n) in expected {
            assert_eq!(e.errno(), n, "{:?}", e);
        }
    }

    #[test]
    fn display_names_the_errno() {
        use std::format;
        let in_use = Conflict {
            index: 1,
            apm: Mask::EMPTY,
            aqm: Mask::EMPTY,
        };
        assert_eq!(format!("{}", Error::AddrInUse(in_use)), "EADDRINUSE (98)");
        assert_eq!(format!("{}", Error::Inval), "EINVAL (22)");
    }
}
