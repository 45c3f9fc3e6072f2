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
#![allow(unsafe_code)]

/// `bytes` as a `str`, or `None` when they are not UTF-8.
#[inline]
pub(crate) fn str(bytes: &[u8]) -> Option<&str> {
    if bytes.is_ascii() {
        // SAFETY: every ASCII byte is a one-byte UTF-8 code point, so an
        // all-ASCII slice is valid UTF-8.
        Some(unsafe { std::str::from_utf8_unchecked(bytes) })
    } else {
        std::str::from_utf8(bytes).ok()
    }
}

/// `bytes` as a `String` (no copy), or `None` when they are not UTF-8.
#[inline]
pub(crate) fn string(bytes: Vec<u8>) -> Option<String> {
    if bytes.is_ascii() {
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
