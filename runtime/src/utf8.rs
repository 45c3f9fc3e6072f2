//! The UTF-8 check of `string` values, and the runtime's only `unsafe`.
//!
//! Most Thrift strings are short and ASCII: names, map keys, labels. For
//! those, `std::str::from_utf8` costs 5-10 ns each (it checks byte by byte
//! until its input is word-aligned), `<[u8]>::is_ascii` 1-3 ns. A decoded
//! `Payload` of the benchmark holds 25 strings, so the check was the largest
//! single cost of decoding a view of it and of serving its echo.
//!
//! ASCII bytes are valid UTF-8 by definition (every byte below 0x80 is a
//! one-byte code point), so bytes that pass `is_ascii` are turned into a
//! `str` without a second check. Everything else goes through `std`'s check,
//! so invalid input is rejected exactly as before.
//!
//! The ASCII check itself is ours for strings up to 64 bytes: overlapping
//! loads (bytes, `u32`s or `u64`s) cover any length, where
//! `<[u8]>::is_ascii` checks the bytes after its last whole word one by one
//! (a 7-byte key took 40 instructions, now 8).
#![allow(unsafe_code)]

/// Every byte's high bit, in a word.
const HIGH: u64 = 0x8080_8080_8080_8080;

/// Whether all of `bytes` are ASCII (below 0x80). Up to 64 bytes: word loads,
/// the last one overlapping where the length is not a multiple of their size
/// (each byte is covered at least once); longer: `std`'s check.
#[inline]
pub(crate) fn is_ascii(bytes: &[u8]) -> bool {
    let n = bytes.len();
    if n > 64 {
        return bytes.is_ascii();
    }
    if n >= 8 {
        let word = |at: usize| {
            bytes
                .get(at..at + 8)
                .and_then(|w| w.try_into().ok())
                .map_or(HIGH, u64::from_ne_bytes)
        };
        // First, last and (past 16 bytes) the middle two words.
        let mut acc = word(0) | word(n - 8);
        if n > 16 {
            acc |= word(8) | word(n - 16);
            if n > 32 {
                // The whole words, and the last one again.
                for w in bytes.chunks_exact(8) {
                    acc |= w.try_into().map_or(HIGH, u64::from_ne_bytes);
                }
            }
        }
        return acc & HIGH == 0;
    }
    if n >= 4 {
        let (Some(a), Some(b)) = (bytes.first_chunk::<4>(), bytes.last_chunk::<4>()) else {
            return false;
        };
        return (u32::from_ne_bytes(*a) | u32::from_ne_bytes(*b)) & (HIGH as u32) == 0;
    }
    match *bytes {
        [] => true,
        [a] => a < 0x80,
        [a, b] => (a | b) < 0x80,
        [a, b, c, ..] => (a | b | c) < 0x80,
    }
}

/// `bytes` as a `str`, or `None` when they are not UTF-8.
#[inline(always)]
pub(crate) fn str(bytes: &[u8]) -> Option<&str> {
    if is_ascii(bytes) {
        // SAFETY: every ASCII byte is a one-byte UTF-8 code point, so an
        // all-ASCII slice is valid UTF-8.
        Some(unsafe { std::str::from_utf8_unchecked(bytes) })
    } else {
        std::str::from_utf8(bytes).ok()
    }
}

/// `bytes` as a `String` (no copy), or `None` when they are not UTF-8.
#[inline(always)]
pub(crate) fn string(bytes: Vec<u8>) -> Option<String> {
    if is_ascii(&bytes) {
        // SAFETY: as in `str`: all-ASCII bytes are valid UTF-8.
        Some(unsafe { String::from_utf8_unchecked(bytes) })
    } else {
        String::from_utf8(bytes).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ascii_other_utf8_and_invalid() {
        assert_eq!(str(b""), Some(""));
        assert_eq!(str(b"attr_07"), Some("attr_07"));
        assert_eq!(str("βeta ✓ 😀".as_bytes()), Some("βeta ✓ 😀"));
        // A lone continuation byte, a truncated sequence, an overlong
        // encoding, a surrogate, and 0xff.
        for bad in [
            &b"ab\x80"[..],
            b"\xc3",
            b"\xc0\xaf",
            b"\xed\xa0\x80",
            b"x\xffy",
        ] {
            assert_eq!(str(bad), None, "{bad:?}");
            assert_eq!(string(bad.to_vec()), None, "{bad:?}");
        }
        assert_eq!(string(b"label-003".to_vec()).as_deref(), Some("label-003"));
    }

    #[test]
    fn is_ascii_sees_every_byte() {
        // A high byte at each position of each length up to 80: the
        // overlapping loads must cover it.
        for n in 0..=80 {
            let clean = vec![b'a'; n];
            assert!(is_ascii(&clean), "len {n}");
            for at in 0..n {
                let mut bad = clean.clone();
                bad[at] = 0x80;
                assert!(!is_ascii(&bad), "len {n}, high byte at {at}");
            }
        }
    }

    proptest! {
        /// Agrees with `std` on any bytes, ASCII-heavy or not.
        #[test]
        fn agrees_with_std(bytes in prop::collection::vec(
            prop_oneof![4 => 0u8..0x80, 1 => any::<u8>()], 0..80)) {
            let want = std::str::from_utf8(&bytes).ok();
            prop_assert_eq!(str(&bytes), want);
            let owned = string(bytes.clone());
            prop_assert_eq!(owned.as_deref(), want);
        }
    }
}
