//! Whether the bytes a connection has received hold a whole message: the
//! event-driven mode decodes a request only then, and parks the connection
//! with the part it has otherwise, so a slow sender holds no thread.
//!
//! Framed: the frame header says. Unframed: the message is skipped
//! structurally (no allocation, no UTF-8 check) over what has arrived; it is
//! whole if the skip ends inside the bytes.

use crate::error::{Error, Result, TransportError, TransportErrorKind};
use crate::limits::Limits;
use crate::processor::ProtocolKind;
use crate::protocol::binary::BinaryProtocol;
use crate::protocol::compact::CompactProtocol;
use crate::protocol::{ProtocolRead, TType};
use crate::transport::framed::{FRAME_HEADER_LEN, frame_len};
use crate::transport::{Framing, ReadBytes, eof};

/// What the received bytes hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Arrived {
    /// At least one whole message.
    Whole,
    /// The start of a message; more bytes will complete it (and fit the
    /// buffer).
    Part,
    /// Cannot tell without reading on: the message is malformed or larger
    /// than `room`. The caller decodes it the usual way (blocking reads,
    /// under the message timeout), which also reports the error.
    Unknown,
}

/// Classifies `bytes`, the received and unconsumed bytes of a connection,
/// which may grow to `room` bytes before they must be consumed. Frames
/// larger than `charged_above` are `Unknown` too: the reader charges them to
/// the in-flight budget before their body, and so must see them first.
pub(super) fn arrived(
    bytes: &[u8],
    room: usize,
    charged_above: usize,
    framing: Framing,
    protocol: ProtocolKind,
    limits: Limits,
) -> Arrived {
    if bytes.is_empty() {
        return Arrived::Part;
    }
    let whole = match framing {
        Framing::Framed => {
            let Some(header) = bytes.first_chunk::<FRAME_HEADER_LEN>() else {
                return Arrived::Part;
            };
            let Ok(len) = frame_len(*header, limits.max_frame_size()) else {
                return Arrived::Unknown;
            };
            let need = FRAME_HEADER_LEN.saturating_add(len);
            if len > charged_above {
                return Arrived::Unknown;
            }
            if bytes.len() >= need {
                return Arrived::Whole;
            }
            return if need > room {
                Arrived::Unknown
            } else {
                Arrived::Part
            };
        }
        Framing::Buffered => {
            let prefix = Prefix {
                bytes,
                left: limits.max_message_size(),
            };
            match protocol {
                ProtocolKind::Binary => skip_message(BinaryProtocol::new(prefix, limits)),
                ProtocolKind::Compact => skip_message(CompactProtocol::new(prefix, limits)),
            }
        }
    };
    match whole {
        Ok(()) => Arrived::Whole,
        Err(e) if e.is_eof() && bytes.len() < room => Arrived::Part,
        Err(_) => Arrived::Unknown,
    }
}

fn skip_message<P: ProtocolRead>(mut p: P) -> Result<()> {
    p.read_message_begin()?;
    p.skip(TType::Struct)?;
    p.read_message_end()
}

/// The received prefix of a stream: reads past it end with `EndOfFile`,
/// while sizes are checked against the message limit, as on the stream
/// (over a plain slice, a string longer than what has arrived would be a
/// size error instead).
struct Prefix<'a> {
    bytes: &'a [u8],
    /// What is left of the message size limit.
    left: usize,
}

impl Prefix<'_> {
    #[inline]
    fn advance(&mut self, n: usize) -> Result<&[u8]> {
        if n > self.left {
            // As the stream reader: past the message size limit.
            return Err(Error::Transport(TransportError::new(
                TransportErrorKind::SizeLimit,
                "message larger than the limit",
            )));
        }
        if n > self.bytes.len() {
            return Err(eof());
        }
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        self.left -= n;
        Ok(head)
    }
}

impl ReadBytes for Prefix<'_> {
    #[inline]
    fn read_exact(&mut self, buf: &mut [u8]) -> Result<()> {
        let head = self.advance(buf.len())?;
        buf.copy_from_slice(head);
        Ok(())
    }

    #[inline]
    fn read_u8(&mut self) -> Result<u8> {
        Ok(self.advance(1)?[0])
    }

    #[inline]
    fn remaining(&self) -> usize {
        self.left
    }

    // The protocols' fast paths (field headers, runs of numbers) read
    // straight from these.
    #[inline]
    fn ready_bytes(&self) -> &[u8] {
        &self.bytes[..self.bytes.len().min(self.left)]
    }

    #[inline]
    fn consume_ready(&mut self, n: usize) {
        let n = n.min(self.bytes.len()).min(self.left);
        self.bytes = &self.bytes[n..];
        self.left -= n;
    }

    #[inline]
    fn skip_bytes(&mut self, len: usize) -> Result<()> {
        self.advance(len).map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{MessageHeader, MessageType, ProtocolWrite};

    /// A call message with a string, a list and a nested struct.
    fn message(protocol: ProtocolKind, framed: bool) -> Vec<u8> {
        let mut out = Vec::new();
        {
            let header = MessageHeader {
                name: "echo".into(),
                kind: MessageType::Call,
                seqid: 9,
            };
            let write = |p: &mut dyn ProtocolWrite| -> Result<()> {
                p.write_message_begin(&header)?;
                p.write_struct_begin("args")?;
                p.write_field_begin("s", TType::String, 1)?;
                p.write_string(&"x".repeat(300))?;
                p.write_field_end()?;
                p.write_field_begin("l", TType::List, 2)?;
                p.write_list_begin(TType::I64, 3)?;
                for v in [1, -2, 1 << 40] {
                    p.write_i64(v)?;
                }
                p.write_list_end()?;
                p.write_field_end()?;
                p.write_field_begin("inner", TType::Struct, 3)?;
                p.write_struct_begin("inner")?;
                p.write_field_begin("b", TType::Bool, 1)?;
                p.write_bool(true)?;
                p.write_field_end()?;
                p.write_field_stop()?;
                p.write_struct_end()?;
                p.write_field_end()?;
                p.write_field_stop()?;
                p.write_struct_end()?;
                p.write_message_end()
            };
            match protocol {
                ProtocolKind::Binary => {
                    write(&mut BinaryProtocol::new(&mut out, Limits::default()))
                }
                ProtocolKind::Compact => {
                    write(&mut CompactProtocol::new(&mut out, Limits::default()))
                }
            }
            .unwrap();
        }
        if framed {
            let mut f = (out.len() as u32).to_be_bytes().to_vec();
            f.extend(out);
            f
        } else {
            out
        }
    }

    #[test]
    fn every_prefix_is_a_part_and_the_whole_is_whole() {
        for protocol in [ProtocolKind::Binary, ProtocolKind::Compact] {
            for (framing, framed) in [(Framing::Buffered, false), (Framing::Framed, true)] {
                let m = message(protocol, framed);
                let at = |n: usize| {
                    arrived(
                        &m[..n],
                        4096,
                        usize::MAX,
                        framing,
                        protocol,
                        Limits::default(),
                    )
                };
                for n in 0..m.len() {
                    assert_eq!(
                        at(n),
                        Arrived::Part,
                        "{protocol:?} {framing:?} {n} of {}",
                        m.len()
                    );
                }
                assert_eq!(at(m.len()), Arrived::Whole);
                // A pipelined second message does not change the answer.
                let mut two = m.clone();
                two.extend_from_slice(&m[..3]);
                assert_eq!(
                    arrived(&two, 4096, usize::MAX, framing, protocol, Limits::default()),
                    Arrived::Whole
                );
                // No room for the rest: the caller must read on.
                assert_eq!(
                    arrived(
                        &m[..m.len() - 1],
                        m.len() - 1,
                        usize::MAX,
                        framing,
                        protocol,
                        Limits::default()
                    ),
                    Arrived::Unknown
                );
            }
        }
    }

    #[test]
    fn malformed_or_oversized_input_is_left_to_the_decoder() {
        let limits = Limits::default();
        // A bad version word, an unknown field type.
        for bytes in [
            &b"\x12\x34\x56\x78\x00"[..],
            b"\x80\x01\x00\x01\x00\x00\x00\x01x\x00\x00\x00\x01\x63",
        ] {
            assert_eq!(
                arrived(
                    bytes,
                    4096,
                    usize::MAX,
                    Framing::Buffered,
                    ProtocolKind::Binary,
                    limits
                ),
                Arrived::Unknown,
                "{bytes:?}"
            );
        }
        // A frame over the limit, a negative one, one larger than the room.
        for header in [0x7fff_ffffu32, 0x8000_0000, 5000] {
            assert_eq!(
                arrived(
                    &header.to_be_bytes(),
                    4096,
                    usize::MAX,
                    Framing::Framed,
                    ProtocolKind::Binary,
                    limits
                ),
                Arrived::Unknown,
                "{header:#x}"
            );
        }
        // A frame that the in-flight budget must see first.
        let mut frame = 3000u32.to_be_bytes().to_vec();
        frame.extend([0u8; 100]);
        assert_eq!(
            arrived(
                &frame,
                4096,
                2000,
                Framing::Framed,
                ProtocolKind::Binary,
                limits
            ),
            Arrived::Unknown
        );
        // A message past the size limit, field by field.
        let small = Limits::default().with_max_message_size(100);
        let mut many = b"\x80\x01\x00\x01\x00\x00\x00\x01x\x00\x00\x00\x01".to_vec();
        for id in 1..100u16 {
            many.push(8);
            many.extend(id.to_be_bytes());
            many.extend(7i32.to_be_bytes());
        }
        assert_eq!(
            arrived(
                &many,
                4096,
                usize::MAX,
                Framing::Buffered,
                ProtocolKind::Binary,
                small
            ),
            Arrived::Unknown
        );
        // A string that claims more than the message limit.
        let mut m = b"\x80\x01\x00\x01\x00\x00\x00\x01x\x00\x00\x00\x01\x0b\x00\x01".to_vec();
        m.extend(0x7fff_0000u32.to_be_bytes());
        assert_eq!(
            arrived(
                &m,
                4096,
                usize::MAX,
                Framing::Buffered,
                ProtocolKind::Binary,
                limits
            ),
            Arrived::Unknown
        );
    }
}
