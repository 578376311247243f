// SPDX-License-Identifier: GPL-2.0

//! The text of the read-only attributes, byte for byte as upstream prints
//! it, into a caller-provided sysfs page.
//!
//! Upstream builds these files with repeated `sysfs_emit_at()` calls, each
//! of which formats with `vscnprintf()` into what is left of the page. The
//! effect is that the output is the first `PAGE_SIZE - 1` = 4095 bytes of
//! the full text: a line that does not fit is cut, with no newline, and
//! later lines add nothing. [`SysfsBuf`] reproduces that.

use super::mask::Mask;
use super::matrix::{Apcb, Limits};

/// Size of the buffer sysfs hands to a show function.
pub const SYSFS_PAGE_SIZE: usize = 4096;

/// Length of the `ap_config` text: three `0x` + 64 digit fields and
/// their separators.
#[cfg(any(test, not(CONFIG_RUST)))]
pub const AP_CONFIG_SHOW_LEN: usize = 201;

/// A show buffer that silently drops what does not fit, like a sequence of
/// `sysfs_emit_at()` calls.
///
/// At most `min(buf.len(), SYSFS_PAGE_SIZE) - 1` bytes are written (one
/// byte stays reserved for the terminator `vscnprintf` would store).
pub struct SysfsBuf<'a> {
    buf: &'a mut [u8],
    len: usize,
    cap: usize,
}

impl<'a> SysfsBuf<'a> {
    /// An empty output over `buf`.
    #[inline(never)]
    pub fn new(buf: &'a mut [u8]) -> SysfsBuf<'a> {
        let cap = buf.len().min(SYSFS_PAGE_SIZE).saturating_sub(1);
        SysfsBuf { buf, len: 0, cap }
    }

    /// Bytes written so far (what the show function returns).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing was written.
    #[cfg(any(test, not(CONFIG_RUST)))]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The bytes written so far.
    #[cfg(any(test, not(CONFIG_RUST)))]
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl SysfsBuf<'_> {
    /// Appends what fits of `bytes`. Truncation is not an error: the C
    /// code ignores it too.
    #[inline(never)]
    pub fn push(&mut self, bytes: &[u8]) {
        let n = bytes.len().min(self.cap - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&bytes[..n]);
        self.len += n;
    }
}

/// Fills `digits` with the lower-case hex digits of `value`, the last
/// digit of `digits` being the lowest nibble (`%0Nx` for N =
/// `digits.len()` up to 16, with the value's higher digits dropped).
///
/// Written out rather than through `core::fmt`: the module's text is
/// smaller without the formatting machinery.
fn put_hex(digits: &mut [u8], value: u64) {
    for (i, d) in digits.iter_mut().rev().enumerate() {
        *d = HEX_DIGITS[((value >> (4 * i)) & 0xf) as usize];
    }
}

const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

/// The `matrix` / `guest_matrix` text of an APCB.
///
/// Only ids up to the limits are listed. With adapters and domains: one
/// `aa.dddd` line per APQN, adapter-major. With only adapters: `aa.`
/// lines; with only domains: `.dddd` lines; with neither: nothing. Hex is
/// lower-case. Returns the number of bytes written.
#[inline(never)]
pub fn format_matrix(apcb: &Apcb, limits: &Limits, buf: &mut [u8]) -> usize {
    let mut out = SysfsBuf::new(buf);
    let apm = apcb.apm.and(&Mask::up_to(limits.apm_max));
    let aqm = apcb.aqm.and(&Mask::up_to(limits.aqm_max));
    if apm.is_empty() {
        format_ids(&aqm, b".0000\n", 1, 4, &mut out);
    } else if aqm.is_empty() {
        format_ids(&apm, b"00.\n", 0, 2, &mut out);
    } else {
        let mut line = *b"00.0000\n";
        for apid in &apm {
            put_hex(&mut line[..2], apid.into());
            format_ids(&aqm, &line, 3, 4, &mut out);
        }
    }
    out.len()
}

/// One line per id of `ids`: `template` (at most 8 bytes) with the
/// `width` digits at `at` set to the id.
#[inline(never)]
fn format_ids(ids: &Mask, template: &[u8], at: usize, width: usize, out: &mut SysfsBuf<'_>) {
    let mut line = [0u8; 8];
    let line = &mut line[..template.len()];
    line.copy_from_slice(template);
    for id in ids {
        put_hex(&mut line[at..at + width], id.into());
        out.push(line);
    }
}

/// The `control_domains` text: one `dddd` line per control domain up to
/// `adm_max`, ascending. Returns the number of bytes written.
#[inline(never)]
pub fn format_control_domains(adm: &Mask, adm_max: u8, buf: &mut [u8]) -> usize {
    let mut out = SysfsBuf::new(buf);
    format_ids(&adm.and(&Mask::up_to(adm_max)), b"0000\n", 0, 4, &mut out);
    out.len()
}

/// The `ap_config` text: `APM,AQM,ADM\n`, each mask as `0x` and 64 hex
/// digits, all 256 bits. Always [`AP_CONFIG_SHOW_LEN`] bytes given a page.
#[inline(never)]
pub fn format_ap_config(apcb: &Apcb, buf: &mut [u8]) -> usize {
    let mut out = SysfsBuf::new(buf);
    for (i, mask) in [&apcb.apm, &apcb.aqm, &apcb.adm].into_iter().enumerate() {
        out.push(&mask.to_hex());
        out.push(if i == 2 { b"\n" } else { b"," });
    }
    out.len()
}

/// The AP bus `apmask`/`aqmask` text: the mask and a newline.
#[cfg(any(test, not(CONFIG_RUST)))]
#[inline(never)]
pub fn format_bus_mask(mask: &Mask, buf: &mut [u8]) -> usize {
    let mut out = SysfsBuf::new(buf);
    out.push(&mask.to_hex());
    out.push(b"\n");
    out.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::parse::parse_ap_config;
    use crate::model::testutil::apcb;
    use std::string::String;
    use std::vec;

    fn show(f: impl FnOnce(&mut [u8]) -> usize) -> String {
        let mut page = vec![0xaau8; SYSFS_PAGE_SIZE];
        let n = f(&mut page);
        String::from_utf8(page[..n].to_vec()).unwrap()
    }

    #[test]
    fn matrix_lines() {
        let l = Limits::FULL;
        // E1, E2, E3.
        assert_eq!(
            show(|b| format_matrix(&apcb(&[5, 6], &[], &[]), &l, b)),
            "05.\n06.\n"
        );
        assert_eq!(
            show(|b| format_matrix(&apcb(&[], &[4, 0xab], &[]), &l, b)),
            ".0004\n.00ab\n"
        );
        assert_eq!(
            show(|b| format_matrix(&apcb(&[6, 5], &[0xab, 4], &[]), &l, b)),
            "05.0004\n05.00ab\n06.0004\n06.00ab\n"
        );
        // C4: nothing assigned prints nothing.
        assert_eq!(show(|b| format_matrix(&Apcb::EMPTY, &l, b)), "");
        assert_eq!(
            show(|b| format_matrix(&apcb(&[0xff], &[0xff], &[]), &l, b)),
            "ff.00ff\n"
        );
    }

    #[test]
    fn matrix_scans_only_up_to_the_limits() {
        let l = Limits::NON_APXA;
        // Adapter 64 is beyond apm_max 63: only the domains are listed.
        assert_eq!(
            show(|b| format_matrix(&apcb(&[64], &[1], &[]), &l, b)),
            ".0001\n"
        );
        assert_eq!(
            show(|b| format_matrix(&apcb(&[63, 64], &[15, 16], &[]), &l, b)),
            "3f.000f\n"
        );
    }

    #[test]
    fn matrix_is_cut_at_4095_bytes() {
        // E8: 7 adapters x 84 domains = 588 lines of 8 bytes.
        let a = Apcb::new(Mask::range(0, 6), Mask::range(0, 83), Mask::EMPTY);
        let text = show(|b| format_matrix(&a, &Limits::FULL, b));
        assert_eq!(text.len(), 4095);
        assert_eq!(text.matches('\n').count(), 511);
        // Line 512 (adapter 6, domain 7: 6 * 84 + 7 = 511 lines before
        // it) keeps 7 of its 8 bytes, so its newline is missing.
        assert!(text.ends_with("\n06.0007"));
        let mut full = String::new();
        for apid in 0..7 {
            for apqi in 0..84 {
                full.push_str(&std::format!("{:02x}.{:04x}\n", apid, apqi));
            }
        }
        assert_eq!(text, full[..4095]);
    }

    #[test]
    fn short_buffers_are_respected() {
        let a = apcb(&[5], &[4, 5], &[]);
        let mut small = [0u8; 10];
        let n = format_matrix(&a, &Limits::FULL, &mut small);
        assert_eq!(&small[..n], b"05.0004\n0");
        assert_eq!(format_matrix(&a, &Limits::FULL, &mut []), 0);
    }

    #[test]
    fn control_domains_lines() {
        // D15.
        let adm = Mask::from_ids(&[0x20, 3, 0xff]);
        assert_eq!(
            show(|b| format_control_domains(&adm, 255, b)),
            "0003\n0020\n00ff\n"
        );
        assert_eq!(show(|b| format_control_domains(&adm, 15, b)), "0003\n");
        assert_eq!(show(|b| format_control_domains(&Mask::EMPTY, 255, b)), "");
    }

    #[test]
    fn ap_config_text() {
        // C5: nothing assigned.
        let zeros = "0".repeat(64);
        let empty = show(|b| format_ap_config(&Apcb::EMPTY, b));
        assert_eq!(empty, std::format!("0x{z},0x{z},0x{z}\n", z = zeros));
        assert_eq!(empty.len(), AP_CONFIG_SHOW_LEN);
        // The text parses back to the same masks.
        let a = apcb(&[5, 6], &[4, 0xab], &[4]);
        let text = show(|b| format_ap_config(&a, b));
        assert_eq!(text.len(), AP_CONFIG_SHOW_LEN);
        assert!(text.starts_with("0x06000000"));
        assert_eq!(parse_ap_config(text.as_bytes()), Ok(a));
    }

    #[test]
    fn bus_mask_text() {
        let t = show(|b| format_bus_mask(&Mask::from_ids(&[0]), b));
        assert_eq!(t, std::format!("0x8{}\n", "0".repeat(63)));
        assert_eq!(t.len(), 67);
    }
}
