// SPDX-License-Identifier: GPL-2.0

//! 256-bit masks in architectural (MSB0) bit order.
//!
//! The APM, AQM and ADM of an APCB, the host's QCI masks and the AP bus
//! apmask/aqmask all number their bits from the left: id 0 is the most
//! significant bit of the first word. Stored as four `u64` words, a [`Mask`]
//! has exactly the layout of the kernel's `unsigned long[4]` bitmaps that
//! s390 manipulates with `set_bit_inv()` and friends, so the driver can hand
//! the words to C unchanged.

use core::fmt;
use core::ops::{BitAnd, BitAndAssign, BitOr, BitOrAssign, Not};

/// Number of ids (adapters or domains) a mask can hold.
pub const MASK_BITS: usize = 256;

/// Length of the hex text of a mask: `0x` and 64 hex digits.
pub const MASK_HEX_LEN: usize = 2 + MASK_BITS / 4;

/// A set of adapter or domain ids (0..=255), MSB0 ordered.
///
/// Every bit pattern is a valid mask; the id type `u8` keeps every id in
/// range, so no operation on a mask can fail.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(CONFIG_RUST, derive(pin_init::Zeroable))]
pub struct Mask {
    words: [u64; 4],
}

/// Word index and bit of `id`: id 0 is the leftmost bit of word 0.
const fn locate(id: u8) -> (usize, u64) {
    let id = id as usize;
    (id >> 6, 1u64 << (63 - (id & 63)))
}

impl Mask {
    /// The empty mask.
    pub const EMPTY: Mask = Mask { words: [0; 4] };

    /// The mask with all 256 bits set.
    pub const FULL: Mask = Mask {
        words: [u64::MAX; 4],
    };

    /// A mask from its four words, word 0 holding ids 0..=63 with id 0 in
    /// the most significant bit.
    #[inline]
    pub const fn from_words(words: [u64; 4]) -> Mask {
        Mask { words }
    }

    /// The four words, laid out like the kernel's `unsigned long[4]`.
    #[inline]
    pub const fn words(&self) -> [u64; 4] {
        self.words
    }

    /// A mask from 32 bytes in big-endian order, as QCI and the CRYCB hold
    /// it (byte 0, bit 7 is id 0).
    #[inline]
    pub fn from_be_bytes(bytes: [u8; 32]) -> Mask {
        let mut words = [0u64; 4];
        for (w, chunk) in words.iter_mut().zip(bytes.chunks_exact(8)) {
            let mut b = [0u8; 8];
            b.copy_from_slice(chunk);
            *w = u64::from_be_bytes(b);
        }
        Mask { words }
    }

    /// The 32 bytes in big-endian order (the inverse of
    /// [`Mask::from_be_bytes`]).
    #[inline]
    pub fn to_be_bytes(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        for (chunk, w) in out.chunks_exact_mut(8).zip(self.words.iter()) {
            chunk.copy_from_slice(&w.to_be_bytes());
        }
        out
    }

    /// A mask holding exactly `ids`.
    #[inline]
    pub const fn from_ids(ids: &[u8]) -> Mask {
        let mut m = Mask::EMPTY;
        let mut i = 0;
        while i < ids.len() {
            let (w, bit) = locate(ids[i]);
            m.words[w] |= bit;
            i += 1;
        }
        m
    }

    /// The ids `first..=last`; empty if `first > last`.
    pub fn range(first: u8, last: u8) -> Mask {
        let mut m = Mask::EMPTY;
        if first <= last {
            for id in first..=last {
                m.set(id);
            }
        }
        m
    }

    /// The ids `0..=max`.
    pub fn up_to(max: u8) -> Mask {
        Mask::range(0, max)
    }

    /// Whether `id` is in the mask (`test_bit_inv`).
    pub const fn test(&self, id: u8) -> bool {
        let (w, bit) = locate(id);
        self.words[w] & bit != 0
    }

    /// Adds `id` (`set_bit_inv`).
    pub fn set(&mut self, id: u8) {
        let (w, bit) = locate(id);
        self.words[w] |= bit;
    }

    /// Removes `id` (`clear_bit_inv`).
    pub fn clear(&mut self, id: u8) {
        let (w, bit) = locate(id);
        self.words[w] &= !bit;
    }

    /// This mask with `id` added.
    #[inline]
    pub const fn with(mut self, id: u8) -> Mask {
        let (w, bit) = locate(id);
        self.words[w] |= bit;
        self
    }

    /// This mask with `id` removed.
    #[inline]
    pub const fn without(mut self, id: u8) -> Mask {
        let (w, bit) = locate(id);
        self.words[w] &= !bit;
        self
    }

    /// Intersection.
    #[inline(never)]
    pub const fn and(&self, other: &Mask) -> Mask {
        Mask {
            words: [
                self.words[0] & other.words[0],
                self.words[1] & other.words[1],
                self.words[2] & other.words[2],
                self.words[3] & other.words[3],
            ],
        }
    }

    /// Union.
    #[inline]
    pub const fn or(&self, other: &Mask) -> Mask {
        Mask {
            words: [
                self.words[0] | other.words[0],
                self.words[1] | other.words[1],
                self.words[2] | other.words[2],
                self.words[3] | other.words[3],
            ],
        }
    }

    /// The ids of `self` that are not in `other` (`bitmap_andnot`).
    #[inline(never)]
    pub const fn and_not(&self, other: &Mask) -> Mask {
        Mask {
            words: [
                self.words[0] & !other.words[0],
                self.words[1] & !other.words[1],
                self.words[2] & !other.words[2],
                self.words[3] & !other.words[3],
            ],
        }
    }

    /// Complement.
    #[inline]
    pub const fn complement(&self) -> Mask {
        Mask {
            words: [
                !self.words[0],
                !self.words[1],
                !self.words[2],
                !self.words[3],
            ],
        }
    }

    /// Whether no id is set.
    #[inline(never)]
    pub const fn is_empty(&self) -> bool {
        (self.words[0] | self.words[1] | self.words[2] | self.words[3]) == 0
    }

    /// Whether all 256 ids are set.
    #[inline]
    pub const fn is_full(&self) -> bool {
        (self.words[0] & self.words[1] & self.words[2] & self.words[3]) == u64::MAX
    }

    /// Whether the two masks share an id (`bitmap_intersects`).
    pub const fn intersects(&self, other: &Mask) -> bool {
        !self.and(other).is_empty()
    }

    /// Whether every id of `self` is in `other`.
    #[inline]
    pub const fn is_subset_of(&self, other: &Mask) -> bool {
        self.and_not(other).is_empty()
    }

    /// Number of ids set.
    #[inline]
    pub const fn count(&self) -> u32 {
        self.words[0].count_ones()
            + self.words[1].count_ones()
            + self.words[2].count_ones()
            + self.words[3].count_ones()
    }

    /// The smallest id, if any (`find_first_bit_inv`).
    #[inline]
    pub fn first(&self) -> Option<u8> {
        self.iter().next()
    }

    /// The largest id, if any.
    #[inline]
    pub fn last(&self) -> Option<u8> {
        let mut w = 4;
        while w > 0 {
            w -= 1;
            let word = self.words[w];
            if word != 0 {
                // w < 4 and the bit index < 64, so the id is below 256.
                return Some((w * 64 + 63 - word.trailing_zeros() as usize) as u8);
            }
        }
        None
    }

    /// The ids in ascending order (`for_each_set_bit_inv`).
    #[inline(never)]
    pub fn iter(&self) -> Iter {
        Iter {
            words: self.words,
            word: 0,
        }
    }

    /// The ids up to and including `max`, ascending: the scan limit the
    /// sysfs show functions apply (`apm_max + 1` bits).
    #[inline]
    pub fn iter_up_to(&self, max: u8) -> Iter {
        self.and(&Mask::up_to(max)).iter()
    }

    /// The text `0x` followed by 64 lower-case hex digits, the format of
    /// the AP bus `apmask`/`aqmask` and of each `ap_config` field.
    #[inline]
    pub fn to_hex(&self) -> [u8; MASK_HEX_LEN] {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut out = [0u8; MASK_HEX_LEN];
        out[0] = b'0';
        out[1] = b'x';
        let mut pos = 2;
        for w in self.words {
            let mut shift = 64;
            while shift > 0 {
                shift -= 4;
                out[pos] = DIGITS[((w >> shift) & 0xf) as usize];
                pos += 1;
            }
        }
        out
    }
}

impl BitAnd for Mask {
    type Output = Mask;
    #[inline]
    fn bitand(self, rhs: Mask) -> Mask {
        self.and(&rhs)
    }
}

impl BitOr for Mask {
    type Output = Mask;
    #[inline]
    fn bitor(self, rhs: Mask) -> Mask {
        self.or(&rhs)
    }
}

impl Not for Mask {
    type Output = Mask;
    #[inline]
    fn not(self) -> Mask {
        self.complement()
    }
}

impl BitAndAssign for Mask {
    #[inline]
    fn bitand_assign(&mut self, rhs: Mask) {
        *self = self.and(&rhs);
    }
}

impl BitOrAssign for Mask {
    #[inline]
    fn bitor_assign(&mut self, rhs: Mask) {
        *self = self.or(&rhs);
    }
}

/// Formats as the `0x` + 64 hex digit text (see [`Mask::to_hex`]).
impl fmt::Display for Mask {
    #[inline]
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "0x{:016x}{:016x}{:016x}{:016x}",
            self.words[0], self.words[1], self.words[2], self.words[3]
        )
    }
}

/// Lists the ids, e.g. `{1, 5, 255}`, which is what a test failure wants.
impl fmt::Debug for Mask {
    #[inline]
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl<'a> IntoIterator for &'a Mask {
    type Item = u8;
    type IntoIter = Iter;
    #[inline]
    fn into_iter(self) -> Iter {
        self.iter()
    }
}

impl FromIterator<u8> for Mask {
    fn from_iter<T: IntoIterator<Item = u8>>(iter: T) -> Mask {
        let mut m = Mask::EMPTY;
        for id in iter {
            m.set(id);
        }
        m
    }
}

/// Iterator over the ids of a [`Mask`], ascending.
#[derive(Clone, Debug)]
pub struct Iter {
    words: [u64; 4],
    word: usize,
}

impl Iterator for Iter {
    type Item = u8;

    fn next(&mut self) -> Option<u8> {
        while let Some(w) = self.words.get_mut(self.word) {
            if *w != 0 {
                let lz = w.leading_zeros() as usize;
                *w &= !(1u64 << (63 - lz));
                // word < 4 and lz < 64, so the id is below 256.
                return Some((self.word * 64 + lz) as u8);
            }
            self.word += 1;
        }
        None
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self
            .words
            .iter()
            .skip(self.word)
            .map(|w| w.count_ones() as usize)
            .sum();
        (n, Some(n))
    }
}

impl ExactSizeIterator for Iter {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    #[test]
    fn bit_zero_is_the_leftmost_bit() {
        let m = Mask::from_ids(&[0]);
        assert_eq!(m.words(), [1u64 << 63, 0, 0, 0]);
        let m = Mask::from_ids(&[63, 64, 255]);
        assert_eq!(m.words(), [1, 1u64 << 63, 0, 1]);
        assert!(m.test(63) && m.test(64) && m.test(255) && !m.test(0));
    }

    #[test]
    fn be_bytes_round_trip_and_layout() {
        let m = Mask::from_ids(&[0, 9, 255]);
        let b = m.to_be_bytes();
        assert_eq!(b[0], 0x80);
        assert_eq!(b[1], 0x40);
        assert_eq!(b[31], 0x01);
        assert_eq!(Mask::from_be_bytes(b), m);
    }

    #[test]
    fn set_clear_with_without() {
        let mut m = Mask::EMPTY;
        m.set(7);
        m.set(200);
        assert_eq!(m.iter().collect::<Vec<_>>(), [7, 200]);
        m.clear(7);
        assert_eq!(m, Mask::from_ids(&[200]));
        assert_eq!(Mask::EMPTY.with(3).with(4).without(3), Mask::from_ids(&[4]));
    }

    #[test]
    fn set_operations() {
        let a = Mask::from_ids(&[1, 2, 3, 100]);
        let b = Mask::from_ids(&[3, 4, 100, 255]);
        assert_eq!(a & b, Mask::from_ids(&[3, 100]));
        assert_eq!(a | b, Mask::from_ids(&[1, 2, 3, 4, 100, 255]));
        assert_eq!(a.and_not(&b), Mask::from_ids(&[1, 2]));
        assert_eq!((!a).count(), 252);
        assert!(a.intersects(&b));
        assert!(!a.intersects(&Mask::from_ids(&[5])));
        assert!(Mask::from_ids(&[1, 3]).is_subset_of(&a));
        assert!(!b.is_subset_of(&a));
        assert!(Mask::EMPTY.is_empty() && !a.is_empty());
        assert!(Mask::FULL.is_full() && !a.is_full());
        assert_eq!(Mask::FULL.count(), 256);
        let mut c = a;
        c &= b;
        c |= Mask::from_ids(&[9]);
        assert_eq!(c, Mask::from_ids(&[3, 9, 100]));
    }

    #[test]
    fn iteration_is_ascending_and_exact() {
        let m = Mask::from_ids(&[255, 0, 64, 63, 128, 17]);
        let ids: Vec<u8> = m.iter().collect();
        assert_eq!(ids, [0, 17, 63, 64, 128, 255]);
        assert_eq!(m.iter().len(), 6);
        assert_eq!(Mask::FULL.iter().count(), 256);
        assert_eq!(Mask::EMPTY.iter().next(), None);
        assert_eq!(m.first(), Some(0));
        assert_eq!(m.last(), Some(255));
        assert_eq!(Mask::from_ids(&[70]).last(), Some(70));
        assert_eq!(Mask::EMPTY.last(), None);
        assert_eq!(m.iter_up_to(63).collect::<Vec<_>>(), [0, 17, 63]);
        let back: Mask = ids.into_iter().collect();
        assert_eq!(back, m);
    }

    #[test]
    fn ranges() {
        assert_eq!(Mask::range(3, 5), Mask::from_ids(&[3, 4, 5]));
        assert_eq!(Mask::range(5, 3), Mask::EMPTY);
        assert_eq!(Mask::up_to(255), Mask::FULL);
        assert_eq!(Mask::up_to(15).count(), 16);
        assert_eq!(Mask::up_to(15).words()[0], 0xffff_0000_0000_0000);
    }

    #[test]
    fn hex_text_is_msb0_lower_case() {
        let m = Mask::from_ids(&[0, 5, 6, 255]);
        let hex = m.to_hex();
        let text = core::str::from_utf8(&hex).unwrap();
        assert_eq!(
            text,
            "0x8600000000000000000000000000000000000000000000000000000000000001"
        );
        assert_eq!(std::format!("{}", m), text);
        assert_eq!(std::format!("{:?}", m), "{0, 5, 6, 255}");
        let full = Mask::FULL.to_hex();
        assert!(full[2..].iter().all(|&c| c == b'f'));
    }
}
