// SPDX-License-Identifier: GPL-2.0

//! The ioctls of the mdev's VFIO device, as upstream answers them.
//!
//! User space passes a structure (`include/uapi/linux/vfio.h`) whose first
//! field is its size (`argsz`); the driver reads the fixed part up to the
//! last field it knows (the "minsz"), checks it, fills in its answer and
//! copies the same bytes back. Those checks and answers are here; copying
//! from and to user space (`EFAULT`) is the driver's.

use super::error::{Error, Result};

/// `VFIO_TYPE`, the ioctl type byte of VFIO (`';'`).
const VFIO_TYPE: u32 = 0x3b;
/// `VFIO_BASE`, the number of the first VFIO ioctl.
const VFIO_BASE: u32 = 100;

/// `_IO(VFIO_TYPE, VFIO_BASE + nr)`: VFIO ioctls carry no size or
/// direction in their number.
const fn vfio_io(nr: u32) -> u32 {
    (VFIO_TYPE << 8) | (VFIO_BASE + nr)
}

/// The ioctls the vfio_ap device handles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ioctl {
    /// `VFIO_DEVICE_GET_INFO`.
    GetInfo,
    /// `VFIO_DEVICE_GET_IRQ_INFO`.
    GetIrqInfo,
    /// `VFIO_DEVICE_SET_IRQS`.
    SetIrqs,
    /// `VFIO_DEVICE_RESET`: reset every queue linked to the mdev.
    Reset,
}

impl Ioctl {
    /// The ioctl of command number `cmd`; anything else is `EOPNOTSUPP`
    /// (the VFIO core handles the generic device ioctls before asking the
    /// driver).
    pub const fn from_cmd(cmd: u32) -> Result<Ioctl> {
        match cmd {
            c if c == vfio_io(7) => Ok(Ioctl::GetInfo),
            c if c == vfio_io(9) => Ok(Ioctl::GetIrqInfo),
            c if c == vfio_io(10) => Ok(Ioctl::SetIrqs),
            c if c == vfio_io(11) => Ok(Ioctl::Reset),
            _ => Err(Error::OpNotSupp),
        }
    }

    /// The command number.
    #[cfg(any(test, not(CONFIG_RUST)))]
    pub const fn cmd(self) -> u32 {
        match self {
            Ioctl::GetInfo => vfio_io(7),
            Ioctl::GetIrqInfo => vfio_io(9),
            Ioctl::SetIrqs => vfio_io(10),
            Ioctl::Reset => vfio_io(11),
        }
    }
}

/// `VFIO_DEVICE_FLAGS_RESET`.
pub const DEVICE_FLAGS_RESET: u32 = 1 << 0;
/// `VFIO_DEVICE_FLAGS_AP`.
pub const DEVICE_FLAGS_AP: u32 = 1 << 5;
/// `VFIO_IRQ_INFO_EVENTFD`.
pub const IRQ_INFO_EVENTFD: u32 = 1 << 0;
/// `VFIO_IRQ_SET_DATA_NONE`.
pub const IRQ_SET_DATA_NONE: u32 = 1 << 0;
/// `VFIO_IRQ_SET_DATA_BOOL`.
pub const IRQ_SET_DATA_BOOL: u32 = 1 << 1;
/// `VFIO_IRQ_SET_DATA_EVENTFD`.
pub const IRQ_SET_DATA_EVENTFD: u32 = 1 << 2;
/// `VFIO_IRQ_SET_DATA_TYPE_MASK`.
pub const IRQ_SET_DATA_TYPE_MASK: u32 =
    IRQ_SET_DATA_NONE | IRQ_SET_DATA_BOOL | IRQ_SET_DATA_EVENTFD;
/// `VFIO_IRQ_SET_ACTION_TRIGGER`.
pub const IRQ_SET_ACTION_TRIGGER: u32 = 1 << 5;

/// `VFIO_AP_NUM_IRQS`: the request and the configuration change IRQ.
pub const NUM_IRQS: u32 = 2;

/// `offsetofend(struct vfio_device_info, num_irqs)`.
pub const DEVICE_INFO_MINSZ: usize = 16;
/// `offsetofend(struct vfio_irq_info, count)`.
pub const IRQ_INFO_MINSZ: usize = 16;
/// `offsetofend(struct vfio_irq_set, count)`; the data (one `s32` file
/// descriptor) follows.
pub const IRQ_SET_MINSZ: usize = 20;

/// Reads native-endian `u32` number `i` of `buf`.
fn word(buf: &[u8], i: usize) -> u32 {
    let mut w = [0u8; 4];
    w.copy_from_slice(&buf[4 * i..4 * i + 4]);
    u32::from_ne_bytes(w)
}

/// Stores native-endian `u32` number `i` of `buf`.
fn set_word(buf: &mut [u8], i: usize, v: u32) {
    buf[4 * i..4 * i + 4].copy_from_slice(&v.to_ne_bytes());
}

/// `VFIO_DEVICE_GET_INFO` on the fixed part `info` (`argsz`, `flags`,
/// `num_regions`, `num_irqs`) user space passed: `EINVAL` if `argsz` is too
/// small, else the answer written in place (an AP device that can be
/// reset, no regions, two IRQs; `argsz` unchanged).
pub fn device_info(info: &mut [u8; DEVICE_INFO_MINSZ]) -> Result {
    if (word(info, 0) as usize) < DEVICE_INFO_MINSZ {
        return Err(Error::Inval);
    }
    set_word(info, 1, DEVICE_FLAGS_AP | DEVICE_FLAGS_RESET);
    set_word(info, 2, 0);
    set_word(info, 3, NUM_IRQS);
    Ok(())
}

/// `VFIO_DEVICE_GET_IRQ_INFO` on the fixed part `info` (`argsz`, `flags`,
/// `index`, `count`): `EINVAL` if `argsz` is too small or the index is not
/// one of the two IRQs; else each is one eventfd.
pub fn irq_info(info: &mut [u8; IRQ_INFO_MINSZ]) -> Result {
    if (word(info, 0) as usize) < IRQ_INFO_MINSZ || word(info, 2) >= NUM_IRQS {
        return Err(Error::Inval);
    }
    set_word(info, 1, IRQ_INFO_EVENTFD);
    set_word(info, 3, 1);
    Ok(())
}

/// The header of a `VFIO_DEVICE_SET_IRQS` request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IrqSet {
    /// `argsz`.
    pub argsz: u32,
    /// `flags`.
    pub flags: u32,
    /// `index`.
    pub index: u32,
    /// `start`.
    pub start: u32,
    /// `count`.
    pub count: u32,
}

impl IrqSet {
    /// The header from the fixed part user space passed.
    pub fn from_bytes(hdr: &[u8; IRQ_SET_MINSZ]) -> IrqSet {
        IrqSet {
            argsz: word(hdr, 0),
            flags: word(hdr, 1),
            index: word(hdr, 2),
            start: word(hdr, 3),
            count: word(hdr, 4),
        }
    }
}

/// The eventfds user space can set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger {
    /// `VFIO_AP_REQ_IRQ_INDEX`: asks user space to give the device back.
    Request,
    /// `VFIO_AP_CFG_CHG_IRQ_INDEX`: the guest's AP configuration changed.
    ConfigChange,
}

/// Which eventfd a `VFIO_DEVICE_SET_IRQS` request sets, once the VFIO
/// core's generic checks of `hdr` passed (`vfio_set_irqs_validate_and_prepare`
/// with one IRQ per index and [`NUM_IRQS`] indexes): only the trigger
/// action with eventfd data is supported, anything else is `EINVAL`.
pub const fn set_irqs_target(hdr: &IrqSet) -> Result<Trigger> {
    if hdr.flags & IRQ_SET_ACTION_TRIGGER == 0 {
        return Err(Error::Inval);
    }
    if hdr.flags & IRQ_SET_DATA_TYPE_MASK != IRQ_SET_DATA_EVENTFD {
        return Err(Error::Inval);
    }
    match hdr.index {
        0 => Ok(Trigger::Request),
        1 => Ok(Trigger::ConfigChange),
        _ => Err(Error::Inval),
    }
}

/// What a file descriptor in `VFIO_DEVICE_SET_IRQS` data asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TriggerFd {
    /// `-1`: drop the eventfd.
    Clear,
    /// Use this file descriptor's eventfd (`EBADF` or `EINVAL` from the
    /// eventfd core if it is none).
    Set(i32),
}

/// The meaning of file descriptor `fd`; other negative values are
/// `EINVAL`. (Upstream reads it even when the request's `count` is 0.)
pub const fn trigger_fd(fd: i32) -> Result<TriggerFd> {
    match fd {
        -1 => Ok(TriggerFd::Clear),
        fd if fd >= 0 => Ok(TriggerFd::Set(fd)),
        _ => Err(Error::Inval),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words<const N: usize>(w: &[u32]) -> [u8; N] {
        let mut b = [0u8; N];
        for (i, v) in w.iter().enumerate() {
            set_word(&mut b, i, *v);
        }
        b
    }

    #[test]
    fn command_numbers() {
        // include/uapi/linux/vfio.h: _IO(';', 100 + nr).
        assert_eq!(Ioctl::GetInfo.cmd(), 0x3b6b);
        assert_eq!(Ioctl::GetIrqInfo.cmd(), 0x3b6d);
        assert_eq!(Ioctl::SetIrqs.cmd(), 0x3b6e);
        assert_eq!(Ioctl::Reset.cmd(), 0x3b6f);
        for i in [
            Ioctl::GetInfo,
            Ioctl::GetIrqInfo,
            Ioctl::SetIrqs,
            Ioctl::Reset,
        ] {
            assert_eq!(Ioctl::from_cmd(i.cmd()), Ok(i));
        }
        // GET_REGION_INFO and PCI_HOT_RESET_INFO are not the driver's.
        assert_eq!(Ioctl::from_cmd(0x3b6c), Err(Error::OpNotSupp));
        assert_eq!(Ioctl::from_cmd(0x3b70), Err(Error::OpNotSupp));
        assert_eq!(Ioctl::from_cmd(0), Err(Error::OpNotSupp));
    }

    #[test]
    fn device_info_answer() {
        // I3: flags AP | RESET, no regions, two IRQs, argsz kept.
        let mut info = words::<DEVICE_INFO_MINSZ>(&[32, 0xff, 7, 9]);
        device_info(&mut info).unwrap();
        assert_eq!(info, words::<DEVICE_INFO_MINSZ>(&[32, 0x21, 0, 2]));
        let mut small = words::<DEVICE_INFO_MINSZ>(&[15, 0, 0, 0]);
        assert_eq!(device_info(&mut small), Err(Error::Inval));
        assert_eq!(small, words::<DEVICE_INFO_MINSZ>(&[15, 0, 0, 0]));
        let mut exact = words::<DEVICE_INFO_MINSZ>(&[16, 0, 0, 0]);
        assert!(device_info(&mut exact).is_ok());
    }

    #[test]
    fn irq_info_answer() {
        // I4.
        for index in 0..2 {
            let mut info = words::<IRQ_INFO_MINSZ>(&[16, 0, index, 0]);
            irq_info(&mut info).unwrap();
            assert_eq!(info, words::<IRQ_INFO_MINSZ>(&[16, 1, index, 1]));
        }
        let mut bad = words::<IRQ_INFO_MINSZ>(&[16, 0, 2, 0]);
        assert_eq!(irq_info(&mut bad), Err(Error::Inval));
        let mut small = words::<IRQ_INFO_MINSZ>(&[15, 0, 0, 0]);
        assert_eq!(irq_info(&mut small), Err(Error::Inval));
    }

    #[test]
    fn set_irqs_rules() {
        // I5/I6: only DATA_EVENTFD | ACTION_TRIGGER on index 0 or 1.
        let ok = IrqSet {
            argsz: 24,
            flags: IRQ_SET_DATA_EVENTFD | IRQ_SET_ACTION_TRIGGER,
            index: 0,
            start: 0,
            count: 1,
        };
        assert_eq!(set_irqs_target(&ok), Ok(Trigger::Request));
        assert_eq!(
            set_irqs_target(&IrqSet { index: 1, ..ok }),
            Ok(Trigger::ConfigChange)
        );
        for flags in [
            IRQ_SET_DATA_NONE | IRQ_SET_ACTION_TRIGGER,
            IRQ_SET_DATA_BOOL | IRQ_SET_ACTION_TRIGGER,
            IRQ_SET_DATA_EVENTFD | (1 << 3),
            IRQ_SET_DATA_EVENTFD,
        ] {
            assert_eq!(set_irqs_target(&IrqSet { flags, ..ok }), Err(Error::Inval));
        }
        assert_eq!(
            set_irqs_target(&IrqSet { index: 2, ..ok }),
            Err(Error::Inval)
        );
        let hdr = IrqSet::from_bytes(&words::<IRQ_SET_MINSZ>(&[24, 0x24, 1, 0, 1]));
        assert_eq!(hdr, IrqSet { index: 1, ..ok });
    }

    #[test]
    fn trigger_fds() {
        assert_eq!(trigger_fd(-1), Ok(TriggerFd::Clear));
        assert_eq!(trigger_fd(0), Ok(TriggerFd::Set(0)));
        assert_eq!(trigger_fd(9999), Ok(TriggerFd::Set(9999)));
        assert_eq!(trigger_fd(-2), Err(Error::Inval));
        assert_eq!(trigger_fd(i32::MIN), Err(Error::Inval));
    }
}
