//! The framed transport's wire format: each message is preceded by its
//! length as a 4-byte big-endian signed integer (Apache's `TFramedTransport`).
//!
//! Reading frames is done by [`StreamReader`](crate::transport::StreamReader)
//! in [`Framing::Framed`](crate::transport::Framing::Framed) mode, writing by
//! [`MessageWriter`](crate::transport::MessageWriter); this module holds the
//! header rules both share.

use crate::error::{Error, Result, TransportError, TransportErrorKind};

/// Length of the frame header.
pub const FRAME_HEADER_LEN: usize = 4;

/// Checks a frame header read from the wire and returns the frame's length.
///
/// A negative length is a `NegativeSize` error, a length above `max_frame`
/// a `SizeLimit` error, and an empty frame (no room for a message header) a
/// `SizeLimit` error too: all three are detected before any allocation, and
/// none of them can make a reader loop without consuming bytes.
pub fn frame_len(header: [u8; FRAME_HEADER_LEN], max_frame: usize) -> Result<usize> {
    let len = i32::from_be_bytes(header);
    if len < 0 {
        return Err(Error::Transport(TransportError::new(
            TransportErrorKind::NegativeSize,
            format!("negative frame size {len}"),
        )));
    }
    let len = len as usize;
    if len > max_frame {
        return Err(Error::Transport(TransportError::new(
            TransportErrorKind::SizeLimit,
            format!("frame size {len} exceeds the limit of {max_frame} bytes"),
        )));
    }
    if len == 0 {
        return Err(Error::Transport(TransportError::new(
            TransportErrorKind::SizeLimit,
            "empty frame",
        )));
    }
    Ok(len)
}

/// The frame header for a frame of `len` bytes, or a `SizeLimit` error when
/// `len` exceeds `max_frame` (the peer would reject it).
pub fn frame_header(len: usize, max_frame: usize) -> Result<[u8; FRAME_HEADER_LEN]> {
    match i32::try_from(len) {
        Ok(n) if len <= max_frame => Ok(n.to_be_bytes()),
        _ => Err(Error::Transport(TransportError::new(
            TransportErrorKind::SizeLimit,
            format!("frame of {len} bytes exceeds the limit of {max_frame} bytes"),
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_len_checks_sign_limit_and_zero() {
        assert_eq!(frame_len([0, 0, 1, 0], 1000).unwrap(), 256);
        assert_eq!(frame_len([0, 0, 3, 0xe8], 1000).unwrap(), 1000);
        let kind = |r: Result<usize>| match r {
            Err(Error::Transport(t)) => t.kind,
            other => panic!("unexpected {other:?}"),
        };
        assert_eq!(
            kind(frame_len([0, 0, 3, 0xe9], 1000)),
            TransportErrorKind::SizeLimit
        );
        assert_eq!(
            kind(frame_len([0x80, 0, 0, 0], 1000)),
            TransportErrorKind::NegativeSize
        );
        assert_eq!(
            kind(frame_len([0, 0, 0, 0], 1000)),
            TransportErrorKind::SizeLimit
        );
    }

    #[test]
    fn frame_header_round_trips_and_checks_the_limit() {
        assert_eq!(frame_header(258, 1000).unwrap(), [0, 0, 1, 2]);
        assert!(frame_header(1001, 1000).is_err());
        assert!(frame_header(usize::MAX, usize::MAX).is_err());
    }
}
