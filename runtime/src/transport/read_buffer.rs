//! [`ReadBuffer`]: the memory a [`StreamReader`](super::StreamReader) reads
//! into, shared with the values lent from it, and starting on a cache line.
//!
//! Why the alignment matters: the kernel copies received bytes into it
//! (`recv`), and on x86 that copy is markedly slower for some destination
//! offsets than for others. An `Arc<[u8]>` puts its bytes 16 bytes past
//! the allocation, and an allocator that hands out page-aligned blocks for
//! large buffers (mimalloc does) so puts every read at page offset 16, one
//! of the slow ones: a 64 KiB request took about twice the server CPU of
//! the same request read into a buffer at page offset 32 or 64. A buffer
//! made of 64-byte lines starts on a cache line whatever the allocator.

use std::mem::MaybeUninit;
use std::ops::Deref;
use std::sync::Arc;

/// Bytes per line; the buffer's start is aligned to it.
const LINE: usize = 64;

/// One cache line of the buffer: 64 bytes, aligned to 64, no padding.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Line([u8; LINE]);

/// A shared byte buffer whose bytes start on a 64-byte boundary. Its
/// length is a whole number of lines: it may be up to 63 bytes longer than
/// asked for.
#[derive(Clone)]
pub(crate) struct ReadBuffer(Arc<[Line]>);

impl ReadBuffer {
    /// An empty buffer (its `Arc` still allocates its counts: 64 bytes,
    /// the alignment of a line).
    pub(crate) fn empty() -> ReadBuffer {
        ReadBuffer(Arc::new([]))
    }

    /// At least `len` zero bytes, written once.
    pub(crate) fn zeroed(len: usize) -> ReadBuffer {
        let lines = len.div_ceil(LINE);
        if lines == 0 {
            return ReadBuffer::empty();
        }
        ReadBuffer(zeroed_lines(lines))
    }

    /// At least `len` bytes (and at least `start.len()`) that begin with
    /// `start`, zeros after.
    pub(crate) fn starting_with(start: &[u8], len: usize) -> ReadBuffer {
        let mut buf = ReadBuffer::zeroed(len.max(start.len()));
        if let Some(bytes) = buf.get_mut() {
            bytes[..start.len()].copy_from_slice(start);
        }
        buf
    }

    /// The bytes to write into, if no clone shares the buffer.
    pub(crate) fn get_mut(&mut self) -> Option<&mut [u8]> {
        Arc::get_mut(&mut self.0).map(lines_as_bytes_mut)
    }

    /// The bytes to write into: the buffer's own when no clone shares it,
    /// else those of a copy it is replaced with.
    pub(crate) fn make_mut(&mut self) -> &mut [u8] {
        if Arc::get_mut(&mut self.0).is_none() {
            *self = ReadBuffer::starting_with(self, self.len());
        }
        self.get_mut().expect("a buffer just made is not shared")
    }
}

impl Deref for ReadBuffer {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        lines_as_bytes(&self.0)
    }
}

impl AsRef<[u8]> for ReadBuffer {
    fn as_ref(&self) -> &[u8] {
        self
    }
}

impl std::fmt::Debug for ReadBuffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ReadBuffer({} bytes)", self.len())
    }
}

/// The bytes of `lines`, in order.
#[allow(unsafe_code)]
fn lines_as_bytes(lines: &[Line]) -> &[u8] {
    // SAFETY: `Line` is `repr(C)` around `[u8; LINE]`, and its alignment
    // equals its size, so it has no padding: `lines` is
    // `lines.len() * LINE` initialized bytes, borrowed for as long as the
    // result is.
    unsafe { std::slice::from_raw_parts(lines.as_ptr().cast::<u8>(), size_of_val(lines)) }
}

/// The bytes of `lines`, in order, to write into.
#[allow(unsafe_code)]
fn lines_as_bytes_mut(lines: &mut [Line]) -> &mut [u8] {
    // SAFETY: as in `lines_as_bytes`, and every byte value is a valid
    // `Line` byte, so any write keeps the lines valid; the borrow is
    // exclusive for as long as the result lives.
    unsafe { std::slice::from_raw_parts_mut(lines.as_mut_ptr().cast::<u8>(), size_of_val(lines)) }
}

/// `lines` zeroed lines in a new `Arc`, zeroed with one `memset` (not
/// built line by line, nor copied from a vector).
#[allow(unsafe_code)]
fn zeroed_lines(lines: usize) -> Arc<[Line]> {
    let mut buf: Arc<[MaybeUninit<Line>]> = Arc::new_uninit_slice(lines);
    let slots = Arc::get_mut(&mut buf).expect("a new Arc is not shared");
    // SAFETY: `slots` is `lines` lines of memory this function alone
    // holds; writing zero bytes to all of them initializes every line (a
    // `Line` of zero bytes is valid).
    unsafe {
        std::ptr::write_bytes(slots.as_mut_ptr(), 0, lines);
        buf.assume_init()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_start_on_a_cache_line_whatever_the_size() {
        for len in [1, 63, 64, 65, 4096, 4096 + 16, 128 * 1024, 300_000] {
            let buf = ReadBuffer::zeroed(len);
            assert_eq!(buf.as_ptr() as usize % LINE, 0, "{len}");
            assert!(buf.len() >= len && buf.len() < len + LINE, "{len}");
            assert!(buf.iter().all(|&b| b == 0));
        }
        assert!(ReadBuffer::zeroed(0).is_empty());
    }

    #[test]
    fn make_mut_copies_a_shared_buffer_and_writes_in_place_otherwise() {
        let mut a = ReadBuffer::starting_with(b"abc", 100);
        assert_eq!(&a[..4], b"abc\0");
        let at = a.as_ptr();
        a.make_mut()[0] = b'x';
        assert_eq!(a.as_ptr(), at, "not shared: written in place");
        let b = a.clone();
        assert!(a.get_mut().is_none());
        a.make_mut()[1] = b'y';
        assert_ne!(a.as_ptr(), at, "shared: copied");
        assert_eq!(a.as_ptr() as usize % LINE, 0);
        assert_eq!((&a[..3], &b[..3]), (&b"xyc"[..], &b"xbc"[..]));
    }
}
