//! Copies of byte runs that avoid a slow case of the C library's `memcpy`.
//!
//! For large copies, glibc's `memcpy` on x86 uses the `rep movsb`
//! instruction. On some processors (measured on AMD EPYC, glibc 2.36) that
//! instruction is about 20 times slower when the destination lies 1 to 63
//! bytes past the source modulo 4 KiB: 64 KiB took 35 µs instead of 1.6.
//! That is a common case here, not a rare one: a message writer appends a
//! value right after a header of a few bytes, so a value that started on a
//! page boundary lands a few bytes past one. Copied in runs of 2 KiB, under
//! the size where `memcpy` switches to `rep movsb`, the same bytes take the
//! normal time. Other copies go to `memcpy` as they are.
//!
//! Every copy longer than a run is checked, not only those of 4 KiB and
//! more: with FSRM (AMD EPYC, glibc 2.36) the `rep movsb` threshold is
//! 2,112 bytes, and a 3,000-byte copy in the slow position took 2 µs
//! instead of 75 ns.

/// The run the slow case is copied in: under glibc's `rep movsb` threshold
/// (2,112 bytes with FSRM, 2 KiB and up otherwise, depending on the vector
/// size).
const RUN: usize = 2048;

/// Copies of at least this many bytes are checked for the slow case: any
/// longer than a run, as `memcpy` may use `rep movsb` for them.
const LARGE: usize = RUN + 1;

/// True when copying from `src` to `dst` hits the slow case: `dst` is 1
/// to 63 bytes past `src`, modulo 4 KiB.
#[inline]
fn slow_pair(dst: *const u8, src: *const u8) -> bool {
    let ahead = (dst as usize).wrapping_sub(src as usize) % 4096;
    (1..64).contains(&ahead)
}

/// True when `len` bytes from `src` to `dst` are copied in runs: long
/// enough for `rep movsb`, and in the slow position.
#[inline]
fn in_runs(dst: *const u8, src: *const u8, len: usize) -> bool {
    len >= LARGE && slow_pair(dst, src)
}

/// `dst.copy_from_slice(src)`, avoiding the slow case (module docs).
/// Panics, as `copy_from_slice` does, if the lengths differ.
///
/// Only the length check is inlined: the common, short copy costs what
/// `copy_from_slice` does, and callers stay small enough to inline.
#[inline]
pub(crate) fn copy(dst: &mut [u8], src: &[u8]) {
    if src.len() >= LARGE {
        copy_long(dst, src);
    } else {
        dst.copy_from_slice(src);
    }
}

/// [`copy`] of a run long enough for `rep movsb`.
#[inline(never)]
fn copy_long(dst: &mut [u8], src: &[u8]) {
    if in_runs(dst.as_ptr(), src.as_ptr(), src.len()) {
        assert_eq!(
            dst.len(),
            src.len(),
            "copy between slices of different lengths"
        );
        for (d, s) in dst.chunks_mut(RUN).zip(src.chunks(RUN)) {
            d.copy_from_slice(s);
        }
    } else {
        dst.copy_from_slice(src);
    }
}

/// `dst.extend_from_slice(src)`, avoiding the slow case (module docs).
/// Only the length check is inlined, as in [`copy`].
#[inline]
pub(crate) fn extend(dst: &mut Vec<u8>, src: &[u8]) {
    if src.len() >= LARGE {
        extend_long(dst, src);
    } else {
        dst.extend_from_slice(src);
    }
}

/// [`extend`] by a run long enough for `rep movsb`.
#[inline(never)]
fn extend_long(dst: &mut Vec<u8>, src: &[u8]) {
    dst.reserve(src.len());
    if in_runs(
        dst.as_ptr().wrapping_add(dst.len()),
        src.as_ptr(),
        src.len(),
    ) {
        for s in src.chunks(RUN) {
            dst.extend_from_slice(s);
        }
    } else {
        dst.extend_from_slice(src);
    }
}

/// `src.to_vec()`, avoiding the slow case (module docs).
#[inline]
pub(crate) fn to_vec(src: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(src.len());
    extend(&mut out, src);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every offset of destination against source, around the slow range,
    /// copies the same bytes as `copy_from_slice`, for lengths around the
    /// run size.
    #[test]
    fn copies_are_exact_at_every_relative_offset() {
        let src: Vec<u8> = (0..20_000u32).map(|i| (i * 7 % 251) as u8).collect();
        for len in [
            0,
            1,
            2048,
            2049,
            3000,
            4095,
            4096,
            4097,
            2048 * 3 + 5,
            10_000,
        ] {
            for off in [0, 1, 15, 16, 63, 64, 65, 4095] {
                let s = &src[..len];
                let mut d = vec![0u8; len + off];
                copy(&mut d[off..], s);
                assert_eq!(&d[off..], s, "copy {len} at {off}");
                let mut v = vec![9u8; off];
                extend(&mut v, s);
                assert_eq!(
                    (&v[..off], &v[off..]),
                    (&vec![9u8; off][..], s),
                    "extend {len} at {off}"
                );
            }
        }
        assert_eq!(to_vec(&src), src);
    }

    #[test]
    fn the_slow_pair_is_a_destination_just_past_the_source() {
        let base = 0x10_0000usize as *const u8;
        let at = |n: usize| base.wrapping_add(n);
        assert!(!slow_pair(at(0), at(0)));
        assert!(slow_pair(at(1), at(0)));
        assert!(slow_pair(at(63), at(0)));
        assert!(!slow_pair(at(64), at(0)));
        assert!(slow_pair(at(4096 + 23), at(0)));
        assert!(slow_pair(at(4096 * 3 + 40), at(4096 + 17)));
        assert!(
            !slow_pair(at(0), at(16)),
            "a destination before the source is fine"
        );
    }

    /// Every copy `memcpy` may do with `rep movsb` (over 2,112 bytes with
    /// FSRM) is copied in runs when in the slow position; no copy of one
    /// run or less is split.
    #[test]
    fn every_copy_longer_than_a_run_in_the_slow_position_goes_in_runs() {
        let base = 0x10_0000usize as *const u8;
        let (src, dst) = (base, base.wrapping_add(16));
        for len in [RUN + 1, 2113, 3000, 4095, 4096, 65_536] {
            assert!(in_runs(dst, src, len), "{len}");
            assert!(!in_runs(base.wrapping_add(64), src, len), "{len}");
        }
        for len in [0, 1, 2047, RUN] {
            assert!(!in_runs(dst, src, len), "{len}");
        }
    }

    #[test]
    #[should_panic]
    fn a_copy_between_different_lengths_panics_as_copy_from_slice_does() {
        let src = vec![1u8; 5000];
        let mut dst = vec![0u8; 4999];
        copy(&mut dst, &src);
    }
}
