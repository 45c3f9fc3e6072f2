//! [`BytesReader`]: a byte source over a shared [`Bytes`] buffer, for
//! zero-copy decoding (feature `bytes`).
//!
//! Reading `binary` as [`Bytes`] or `string` as
//! [`ByteString`](bytestring::ByteString) through it takes a slice of the
//! input (a reference count, no copy, no allocation); everything else reads
//! as from a `&[u8]`. A decoded value keeps the whole input buffer alive for
//! as long as one of its slices lives: copy a small part out
//! (`Bytes::copy_from_slice`) to keep it longer than a large message.

use bytes::{Buf, Bytes};

use crate::error::Result;
use crate::transport::{ReadBytes, eof};

/// A [`ReadBytes`] source over a [`Bytes`] buffer; hands out slices of it
/// from [`read_shared`](ReadBytes::read_shared).
///
/// ```
/// use thriftc_runtime::transport::BytesReader;
/// use thriftc_runtime::{BinaryProtocol, Bytes, Decode, Limits};
///
/// let input = Bytes::from(thriftc_runtime::binary::encode(&b"blob".to_vec())?);
/// let mut p = BinaryProtocol::new(BytesReader::new(input.clone()), Limits::default());
/// let blob = Bytes::decode(&mut p)?;
/// assert_eq!(blob, &b"blob"[..]);
/// // A slice of the input: no copy.
/// assert_eq!(blob.as_ptr(), input[4..].as_ptr());
/// # Ok::<(), thriftc_runtime::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct BytesReader {
    buf: Bytes,
}

impl BytesReader {
    /// Reads from the start of `buf`.
    #[inline]
    pub fn new(buf: Bytes) -> BytesReader {
        BytesReader { buf }
    }

    /// The bytes not read yet.
    #[inline]
    pub fn rest(&self) -> &Bytes {
        &self.buf
    }

    /// Unwraps the bytes not read yet.
    #[inline]
    pub fn into_rest(self) -> Bytes {
        self.buf
    }

    /// Are all bytes read?
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }
}

impl From<Bytes> for BytesReader {
    #[inline]
    fn from(buf: Bytes) -> BytesReader {
        BytesReader::new(buf)
    }
}

impl ReadBytes for BytesReader {
    #[inline]
    fn read_exact(&mut self, out: &mut [u8]) -> Result<()> {
        let Some(head) = self.buf.get(..out.len()) else {
            return Err(eof());
        };
        crate::copy::copy(out, head);
        self.buf.advance(out.len());
        Ok(())
    }

    #[inline]
    fn read_u8(&mut self) -> Result<u8> {
        let Some(&b) = self.buf.first() else {
            return Err(eof());
        };
        self.buf.advance(1);
        Ok(b)
    }

    #[inline]
    fn remaining(&self) -> usize {
        self.buf.len()
    }

    #[inline]
    fn ready_bytes(&self) -> &[u8] {
        &self.buf
    }

    #[inline]
    fn consume_ready(&mut self, n: usize) {
        self.buf.advance(n.min(self.buf.len()));
    }

    #[inline]
    fn read_vec(&mut self, len: usize) -> Result<Vec<u8>> {
        let Some(head) = self.buf.get(..len) else {
            return Err(eof());
        };
        let out = crate::copy::to_vec(head);
        self.buf.advance(len);
        Ok(out)
    }

    #[inline]
    fn read_shared(&mut self, len: usize) -> Result<Bytes> {
        if len > self.buf.len() {
            return Err(eof());
        }
        Ok(self.buf.split_to(len))
    }

    #[inline]
    fn skip_bytes(&mut self, len: usize) -> Result<()> {
        if len > self.buf.len() {
            return Err(eof());
        }
        self.buf.advance(len);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    fn is_eof(e: Error) -> bool {
        e.is_eof()
    }

    #[test]
    fn reads_and_slices_without_copying() {
        let input = Bytes::from((0u8..10).collect::<Vec<u8>>());
        let mut r = BytesReader::new(input.clone());
        assert_eq!(r.read_u8().unwrap(), 0);
        let mut two = [0u8; 2];
        r.read_exact(&mut two).unwrap();
        assert_eq!(two, [1, 2]);
        let s = r.read_shared(3).unwrap();
        assert_eq!(&s[..], [3, 4, 5]);
        assert_eq!(s.as_ptr(), input[3..].as_ptr());
        r.skip_bytes(1).unwrap();
        assert_eq!(r.read_vec(2).unwrap(), [7, 8]);
        assert_eq!(r.remaining(), 1);
        assert!(is_eof(r.read_shared(2).unwrap_err()));
        assert!(is_eof(r.read_vec(2).unwrap_err()));
        assert!(is_eof(r.skip_bytes(2).unwrap_err()));
        assert!(is_eof(r.read_exact(&mut two).unwrap_err()));
        // Failed reads consume nothing.
        assert_eq!(r.rest(), &[9][..]);
        assert_eq!(r.read_u8().unwrap(), 9);
        assert!(r.is_empty());
        assert!(is_eof(r.read_u8().unwrap_err()));
    }

    #[test]
    fn slices_stay_shared_behind_a_reference() {
        // Through `&mut R` the slice is still shared.
        let input = Bytes::from_static(b"abcdef");
        let mut r = BytesReader::new(input.clone());
        let s = ReadBytes::read_shared(&mut &mut r, 4).unwrap();
        assert_eq!(s.as_ptr(), input.as_ptr());
        // A plain slice source copies.
        let mut plain: &[u8] = &input[..];
        let c = plain.read_shared(4).unwrap();
        assert_eq!(c, &b"abcd"[..]);
        assert_ne!(c.as_ptr(), input.as_ptr());
    }
}
