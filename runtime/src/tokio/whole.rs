//! [`Whole`]: the bytes of one message whose end is known (a frame, or an
//! unframed message the completeness check found whole), as a byte source.

use crate::error::{Error, ProtocolErrorKind, Result, TransportErrorKind};
use crate::transport::ReadBytes;

/// Reads one message whose end is known. Reading past that end is a
/// malformed message (`INVALID_DATA`, as the framed stream reader reports a
/// message running past its frame), not a closed stream: the next message
/// starts where this one ends, so the connection stays in step.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Whole<'a> {
    rest: &'a [u8],
}

impl<'a> Whole<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Whole<'a> {
        Whole { rest: bytes }
    }
}

/// The error for a read past the end of the message.
pub(crate) fn past_end(e: Error) -> Error {
    match e {
        Error::Transport(t) if t.kind == TransportErrorKind::EndOfFile => Error::protocol(
            ProtocolErrorKind::InvalidData,
            "the message runs past its end",
        ),
        e => e,
    }
}

impl ReadBytes for Whole<'_> {
    #[inline]
    fn read_exact(&mut self, buf: &mut [u8]) -> Result<()> {
        self.rest.read_exact(buf).map_err(past_end)
    }

    #[inline]
    fn read_u8(&mut self) -> Result<u8> {
        self.rest.read_u8().map_err(past_end)
    }

    #[inline]
    fn remaining(&self) -> usize {
        self.rest.remaining()
    }

    #[inline]
    fn ready_bytes(&self) -> &[u8] {
        self.rest
    }

    #[inline]
    fn consume_ready(&mut self, n: usize) {
        self.rest.consume_ready(n);
    }

    #[inline]
    fn read_vec(&mut self, len: usize) -> Result<Vec<u8>> {
        self.rest.read_vec(len).map_err(past_end)
    }

    #[inline]
    fn skip_bytes(&mut self, len: usize) -> Result<()> {
        self.rest.skip_bytes(len).map_err(past_end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reading_past_the_end_is_malformed_data() {
        let mut w = Whole::new(&[1, 2]);
        assert_eq!(w.read_u8().unwrap(), 1);
        let mut two = [0u8; 2];
        for e in [
            w.read_exact(&mut two).unwrap_err(),
            w.read_vec(2).unwrap_err(),
            w.skip_bytes(2).unwrap_err(),
        ] {
            assert!(
                matches!(&e, Error::Protocol(p) if p.kind == ProtocolErrorKind::InvalidData),
                "{e:?}"
            );
        }
        assert_eq!(w.read_u8().unwrap(), 2);
        assert!(matches!(w.read_u8(), Err(Error::Protocol(_))));
    }
}
