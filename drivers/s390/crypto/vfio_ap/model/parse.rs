// SPDX-License-Identifier: GPL-2.0

//! Parsers for what user space writes, accepting exactly what upstream
//! accepts.
//!
//! The inputs are the raw bytes of a sysfs store. The kernel hands the
//! attribute a NUL-terminated copy, and the C parsers stop at the first NUL,
//! so every parser here ignores the input from the first NUL byte on.

use super::error::{Error, Result};
use super::mask::{Mask, MASK_BITS};
use super::matrix::Apcb;

/// Longest `ap_config` text upstream looks at: three masks of `0x` and 64
/// digits, each followed by a separator (`AP_CONFIG_STRLEN`).
pub const AP_CONFIG_STRLEN: usize = 3 * (MASK_BITS / 4 + 3);

/// The input up to its first NUL, as C string functions see it.
fn c_str(input: &[u8]) -> &[u8] {
    match input.iter().position(|&b| b == 0) {
        Some(end) => &input[..end],
        None => input,
    }
}

/// The byte at `i`, or NUL past the end (reading a C string's terminator).
fn byte_at(s: &[u8], i: usize) -> u8 {
    s.get(i).copied().unwrap_or(0)
}

/// Value of a hex digit of either case.
pub(super) fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Base detection for base 0: `0x`/`0X` followed by a hex digit is hex,
/// another leading `0` is octal, anything else decimal. Returns the base
/// and how many prefix bytes to skip.
fn detect_radix(s: &[u8]) -> (u32, usize) {
    if byte_at(s, 0) == b'0' {
        if byte_at(s, 1).eq_ignore_ascii_case(&b'x') && hex_value(byte_at(s, 2)).is_some() {
            (16, 2)
        } else {
            (8, 0)
        }
    } else {
        (10, 0)
    }
}

/// Accumulates the digits valid in `base` at the start of `s`. Returns
/// the value, how many digits were used and whether the value overflowed
/// 64 bits (then the value is `u64::MAX`), like `_parse_integer`.
fn parse_digits(s: &[u8], base: u32) -> (u64, usize, bool) {
    let mut value: u64 = 0;
    let mut overflow = false;
    let mut used = 0;
    for &c in s {
        let digit = match hex_value(c) {
            Some(d) if u32::from(d) < base => u64::from(d),
            _ => break,
        };
        match value
            .checked_mul(u64::from(base))
            .and_then(|v| v.checked_add(digit))
        {
            Some(v) => value = v,
            None => {
                value = u64::MAX;
                overflow = true;
            }
        }
        used += 1;
    }
    (value, used, overflow)
}

/// `kstrtoul(buf, 0, &val)` on a 64-bit kernel, the parser of the six
/// assign/unassign attributes.
///
/// Accepts an optional `+`, then decimal, `0x`/`0X` hex or `0`-prefixed
/// octal digits, then at most one `\n`. Overflow of 64 bits is `ERANGE`
/// (even if junk follows); anything else malformed is `EINVAL`.
pub fn kstrtoul(input: &[u8]) -> Result<u64> {
    let mut s = c_str(input);
    if byte_at(s, 0) == b'+' {
        s = &s[1..];
    }
    let (base, prefix) = detect_radix(s);
    let (value, used, overflow) = parse_digits(&s[prefix..], base);
    if overflow {
        return Err(Error::Range);
    }
    if used == 0 {
        return Err(Error::Inval);
    }
    let mut end = prefix + used;
    if byte_at(s, end) == b'\n' {
        end += 1;
    }
    if end < s.len() {
        return Err(Error::Inval);
    }
    Ok(value)
}

/// `ap_hex2bitmap()`: a left-aligned hex mask.
///
/// An optional `0x` (lower-case `x` only) or bare `x`, then at most 64 hex
/// digits of either case filling the mask from id 0, then at most one
/// `\n`. No digits at all is the empty mask.
pub fn hex_to_mask(field: &[u8]) -> Result<Mask> {
    let s = c_str(field);
    let mut i = 0;
    if byte_at(s, 0) == b'0' && byte_at(s, 1) == b'x' {
        i = 1;
    }
    if byte_at(s, i) == b'x' {
        i += 1;
    }
    let mut mask = Mask::EMPTY;
    let mut bit = 0usize;
    while bit < MASK_BITS {
        let Some(nibble) = hex_value(byte_at(s, i)) else {
            break;
        };
        for n in 0..4 {
            if nibble & (0x8 >> n) != 0 {
                // bit < 256 and a multiple of 4, so bit + n < 256.
                mask.set((bit + n) as u8);
            }
        }
        bit += 4;
        i += 1;
    }
    if byte_at(s, i) == b'\n' {
        i += 1;
    }
    if i < s.len() {
        return Err(Error::Inval);
    }
    Ok(mask)
}

/// One `strsep(&rest, ",\n")`: the next field, or `None` once the input
/// is used up.
fn next_field<'a>(rest: &mut Option<&'a [u8]>) -> Option<&'a [u8]> {
    let s = (*rest)?;
    match s.iter().position(|&b| b == b',' || b == b'\n') {
        Some(p) => {
            *rest = Some(&s[p + 1..]);
            Some(&s[..p])
        }
        None => {
            *rest = None;
            Some(s)
        }
    }
}

/// The `ap_config` write syntax: `APM,AQM,ADM`.
///
/// Only the first [`AP_CONFIG_STRLEN`] bytes count. Fields are split at
/// `,` or `\n`; fewer than three fields is `EINVAL`, anything after the
/// third is ignored, and each field goes through [`hex_to_mask`].
pub fn parse_ap_config(input: &[u8]) -> Result<Apcb> {
    let s = c_str(input);
    let s = &s[..s.len().min(AP_CONFIG_STRLEN)];
    let mut rest = Some(s);
    let mut masks = [Mask::EMPTY; 3];
    for m in masks.iter_mut() {
        let field = next_field(&mut rest).ok_or(Error::Inval)?;
        *m = hex_to_mask(field)?;
    }
    Ok(Apcb::new(masks[0], masks[1], masks[2]))
}

/// `simple_strtoul(s, &end, 0)`: the value (saturated at `u64::MAX`) and
/// the number of bytes used, 0 if there is no number.
#[cfg(any(test, not(CONFIG_RUST)))]
fn simple_strtoul(s: &[u8]) -> (u64, usize) {
    let (base, prefix) = detect_radix(s);
    let (value, used, _) = parse_digits(&s[prefix..], base);
    if prefix + used == 0 {
        (0, 0)
    } else {
        (value, prefix + used)
    }
}

/// The relative form of an AP bus mask write: `+N`, `-N`, `+A-B`, joined
/// by any run of `,` or `\n`; later terms win.
#[cfg(any(test, not(CONFIG_RUST)))]
fn modify_mask(current: &Mask, s: &[u8]) -> Result<Mask> {
    let bits = MASK_BITS as u64;
    let mut mask = *current;
    let mut i = 0;
    while i < s.len() {
        let sign = s[i];
        i += 1;
        if sign != b'+' && sign != b'-' {
            return Err(Error::Inval);
        }
        let (first, used) = simple_strtoul(&s[i..]);
        if used == 0 || first >= bits {
            return Err(Error::Inval);
        }
        i += used;
        let mut last = first;
        if byte_at(s, i) == b'-' {
            i += 1;
            let (end, used) = simple_strtoul(&s[i..]);
            if used == 0 || first > end || end >= bits {
                return Err(Error::Inval);
            }
            last = end;
            i += used;
        }
        // Both bounds are below 256 here.
        let range = Mask::range(first as u8, last as u8);
        mask = if sign == b'+' {
            mask.or(&range)
        } else {
            mask.and_not(&range)
        };
        while matches!(byte_at(s, i), b',' | b'\n') {
            i += 1;
        }
    }
    Ok(mask)
}

/// What a write to `/sys/bus/ap/apmask` or `aqmask` asks for
/// (`ap_parse_bitmap_str`): a term list starting with `+` or `-` edits
/// `current`, anything else is an absolute [`hex_to_mask`] value.
#[cfg(any(test, not(CONFIG_RUST)))]
pub fn parse_bus_mask(current: &Mask, input: &[u8]) -> Result<Mask> {
    let s = c_str(input);
    match byte_at(s, 0) {
        b'+' | b'-' => modify_mask(current, s),
        _ => hex_to_mask(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    #[test]
    fn kstrtoul_accepts_the_documented_forms() {
        // D1: all of these select adapter 5.
        for s in ["5", "5\n", "0x5", "0X5", "05", "+5", "+0x5\n"] {
            assert_eq!(kstrtoul(s.as_bytes()), Ok(5), "{:?}", s);
        }
        // D2: a leading zero means octal.
        assert_eq!(kstrtoul(b"010"), Ok(8));
        assert_eq!(kstrtoul(b"0"), Ok(0));
        assert_eq!(kstrtoul(b"0\n"), Ok(0));
        assert_eq!(kstrtoul(b"0xff"), Ok(255));
        assert_eq!(kstrtoul(b"0xFf"), Ok(255));
        assert_eq!(kstrtoul(b"18446744073709551615"), Ok(u64::MAX));
        assert_eq!(kstrtoul(b"0xffffffffffffffff"), Ok(u64::MAX));
    }

    #[test]
    fn kstrtoul_rejects_like_the_kernel() {
        // D3.
        for s in [
            "", "\n", " 5", "5 ", "5\n\n", "-1", "0x", "08", "abc", "5,6", "+", "++5", "0x\n",
            "0xg", "5\n5", "09", "1e3",
        ] {
            assert_eq!(kstrtoul(s.as_bytes()), Err(Error::Inval), "{:?}", s);
        }
    }

    #[test]
    fn kstrtoul_overflow_is_erange() {
        // D4.
        assert_eq!(kstrtoul(b"99999999999999999999999"), Err(Error::Range));
        assert_eq!(kstrtoul(b"18446744073709551616"), Err(Error::Range));
        assert_eq!(kstrtoul(b"0x10000000000000000"), Err(Error::Range));
        assert_eq!(kstrtoul(b"02000000000000000000000"), Err(Error::Range));
        assert_eq!(kstrtoul(b"01777777777777777777777"), Ok(u64::MAX));
        // Overflow is reported before the trailing junk is looked at.
        assert_eq!(kstrtoul(b"99999999999999999999999x"), Err(Error::Range));
    }

    #[test]
    fn kstrtoul_stops_at_nul() {
        assert_eq!(kstrtoul(b"7\0garbage"), Ok(7));
        assert_eq!(kstrtoul(b"\x007"), Err(Error::Inval));
    }

    #[test]
    fn hex_to_mask_is_left_aligned() {
        // Left-aligned: 0x8 is id 0, 0x1 id 3, 0x4 id 1.
        assert_eq!(hex_to_mask(b"0x8"), Ok(Mask::from_ids(&[0])));
        assert_eq!(hex_to_mask(b"0x1"), Ok(Mask::from_ids(&[3])));
        assert_eq!(hex_to_mask(b"x4"), Ok(Mask::from_ids(&[1])));
        assert_eq!(hex_to_mask(b"41"), Ok(Mask::from_ids(&[1, 7])));
        assert_eq!(hex_to_mask(b"0xFF"), Ok(Mask::range(0, 7)));
        assert_eq!(hex_to_mask(b""), Ok(Mask::EMPTY));
        assert_eq!(hex_to_mask(b"0x"), Ok(Mask::EMPTY));
        assert_eq!(hex_to_mask(b"\n"), Ok(Mask::EMPTY));
        assert_eq!(hex_to_mask(b"0x80\n"), Ok(Mask::from_ids(&[0])));
    }

    #[test]
    fn hex_to_mask_limits() {
        let mut s = Vec::from(&b"0x"[..]);
        s.extend(core::iter::repeat_n(b'f', 64));
        assert_eq!(hex_to_mask(&s), Ok(Mask::FULL));
        s.push(b'f');
        assert_eq!(hex_to_mask(&s), Err(Error::Inval), "65 digits");
        // The last nibble covers ids 252..255.
        let mut t = Vec::from(&b"0x"[..]);
        t.extend(core::iter::repeat_n(b'0', 63));
        t.push(b'1');
        assert_eq!(hex_to_mask(&t), Ok(Mask::from_ids(&[255])));
        for bad in [
            "0X80", "0xZZ", "0x80\n\n", " 0x80", "0x8 ", "xx8", "00x8", "-1",
        ] {
            assert_eq!(hex_to_mask(bad.as_bytes()), Err(Error::Inval), "{:?}", bad);
        }
    }

    #[test]
    fn ap_config_fields() {
        let a = parse_ap_config(b"0x8,0x8,0x8\n").unwrap();
        assert_eq!(
            a,
            Apcb::new(
                Mask::from_ids(&[0]),
                Mask::from_ids(&[0]),
                Mask::from_ids(&[0])
            )
        );
        // Left-aligned in a whole ap_config text too.
        let a = parse_ap_config(b"x4,,0x1\n").unwrap();
        assert_eq!(
            a,
            Apcb::new(Mask::from_ids(&[1]), Mask::EMPTY, Mask::from_ids(&[3]))
        );
        // A newline separates fields as a comma does.
        let a = parse_ap_config(b"0x80\n0x80\n0x80").unwrap();
        assert_eq!(a.apm, Mask::from_ids(&[0]));
        assert_eq!(a.adm, Mask::from_ids(&[0]));
        // ",\n" is three empty fields.
        assert_eq!(parse_ap_config(b",\n"), Ok(Apcb::EMPTY));
        // The trailing newline of `echo` is a separator too, so two fields
        // and a newline are three fields, the last one empty.
        assert_eq!(
            parse_ap_config(b"0x80,0x80\n"),
            Ok(Apcb::new(
                Mask::from_ids(&[0]),
                Mask::from_ids(&[0]),
                Mask::EMPTY
            ))
        );
        // A fourth field is ignored, whatever it holds.
        assert_eq!(
            parse_ap_config(b"0x80,0x80,0x80,junk\n").map(|a| a.aqm),
            Ok(Mask::from_ids(&[0]))
        );
    }

    #[test]
    fn ap_config_rejections() {
        for bad in [
            &b"0x80,0x80"[..],
            b"0x80\n",
            b"\n",
            b"",
            b"0xZZ,0x0,0x0",
            b"0X80,0,0",
            b"0x80,0x80,0x80 ",
            b",,0x8g",
        ] {
            assert_eq!(parse_ap_config(bad), Err(Error::Inval), "{:?}", bad);
        }
        let mut long = Vec::from(&b"0x"[..]);
        long.extend(core::iter::repeat_n(b'0', 65));
        long.extend_from_slice(b",0,0");
        assert_eq!(parse_ap_config(&long), Err(Error::Inval), "65 digits");
    }

    #[test]
    fn ap_config_truncates_at_201_bytes() {
        let full = std::format!(
            "{},{},{}\n",
            Mask::FULL,
            Mask::from_ids(&[4]),
            Mask::from_ids(&[9])
        );
        assert_eq!(full.len(), AP_CONFIG_STRLEN);
        assert_eq!(AP_CONFIG_STRLEN, 201);
        // A long write is cut to 201 bytes before it is parsed, so
        // anything past the canonical text is never seen.
        let mut long = full.clone().into_bytes();
        long.extend(core::iter::repeat_n(b'!', 4000));
        let a = parse_ap_config(&long).unwrap();
        assert_eq!(
            a,
            Apcb::new(Mask::FULL, Mask::from_ids(&[4]), Mask::from_ids(&[9]))
        );
        // Without the newline the 201st byte is junk glued to the ADM...
        let mut glued =
            std::format!("{},{},{}", Mask::EMPTY, Mask::EMPTY, Mask::EMPTY).into_bytes();
        glued.push(b'!');
        assert_eq!(glued.len(), 201);
        assert_eq!(parse_ap_config(&glued), Err(Error::Inval));
        // ...but at position 202 it is cut off.
        glued.insert(200, b'\n');
        assert_eq!(parse_ap_config(&glued), Ok(Apcb::EMPTY));
        // Two canonical fields and a comma leave 67 bytes for the third:
        // a longer digit run is cut there, which is still 65 digits.
        let mut cut = std::format!("{},{},0x", Mask::EMPTY, Mask::EMPTY).into_bytes();
        cut.extend(core::iter::repeat_n(b'f', 64));
        assert_eq!(
            parse_ap_config(&cut),
            Ok(Apcb::new(Mask::EMPTY, Mask::EMPTY, Mask::FULL))
        );
        cut.extend(core::iter::repeat_n(b'f', 10));
        assert_eq!(parse_ap_config(&cut), Err(Error::Inval));
    }

    #[test]
    fn bus_mask_absolute_form() {
        let cur = Mask::FULL;
        assert_eq!(parse_bus_mask(&cur, b"0x41\n"), Ok(Mask::from_ids(&[1, 7])));
        assert_eq!(parse_bus_mask(&cur, b"\n"), Ok(Mask::EMPTY));
        assert_eq!(parse_bus_mask(&cur, b"0X41"), Err(Error::Inval));
    }

    #[test]
    fn bus_mask_relative_form() {
        let cur = Mask::from_ids(&[6, 240]);
        // The documentation's example: "+0,-6,+0x47,-0xf0".
        assert_eq!(
            parse_bus_mask(&cur, b"+0,-6,+0x47,-0xf0\n"),
            Ok(Mask::from_ids(&[0, 71]))
        );
        assert_eq!(
            parse_bus_mask(&Mask::EMPTY, b"+0x41"),
            Ok(Mask::from_ids(&[65]))
        );
        assert_eq!(
            parse_bus_mask(&Mask::FULL, b"-0xff"),
            Ok(Mask::FULL.without(255))
        );
        // Ranges, octal, and the last term wins.
        assert_eq!(
            parse_bus_mask(&Mask::EMPTY, b"+1-3,+010"),
            Ok(Mask::from_ids(&[1, 2, 3, 8]))
        );
        assert_eq!(
            parse_bus_mask(&Mask::EMPTY, b"+0-255,-128"),
            Ok(Mask::FULL.without(128))
        );
        assert_eq!(
            parse_bus_mask(&Mask::EMPTY, b"+1,,\n,+2"),
            Ok(Mask::from_ids(&[1, 2]))
        );
        for bad in [
            "+256",
            "+",
            "+x",
            "+3-1",
            "+1-256",
            "+1 ",
            "+1;+2",
            "+-1",
            "+1,x",
            "+99999999999999999999",
        ] {
            assert_eq!(
                parse_bus_mask(&cur, bad.as_bytes()),
                Err(Error::Inval),
                "{:?}",
                bad
            );
        }
    }

    #[test]
    fn documented_secure_queue_masks_agree() {
        // "echo -5,-6 > apmask" and "echo -4,-0x47,-0xab,-0xff > aqmask"
        // give the same masks as the absolute forms the documentation shows.
        let apm = parse_bus_mask(&Mask::FULL, b"-5,-6\n").unwrap();
        let aqm = parse_bus_mask(&Mask::FULL, b"-4,-0x47,-0xab,-0xff\n").unwrap();
        let apm_abs = parse_bus_mask(
            &Mask::FULL,
            b"0xf9ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\n",
        )
        .unwrap();
        let aqm_abs = parse_bus_mask(
            &Mask::FULL,
            b"0xf7fffffffffffffffeffffffffffffffffffffffffeffffffffffffffffffffe\n",
        )
        .unwrap();
        assert_eq!(apm, apm_abs);
        assert_eq!(aqm, aqm_abs);
        assert_eq!(!apm, Mask::from_ids(&[5, 6]));
        assert_eq!(!aqm, Mask::from_ids(&[4, 0x47, 0xab, 0xff]));
    }
}
