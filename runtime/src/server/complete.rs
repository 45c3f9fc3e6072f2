//! Whether the bytes a connection has received hold a whole message: the
//! event-driven mode decodes a request only then, and parks the connection
//! with the part it has otherwise, so a slow sender holds no thread.
//!
//! Framed: the frame header says, in O(1). Unframed: the message is skipped
//! structurally (no allocation per value, no UTF-8 check of strings) over
//! what has arrived, by a [`Check`] kept with the connection. The check is
//! resumable: it stops at the start of the first token (a header, a field
//! header with the header of its value, a varint) that has not wholly
//! arrived, and the next call, with more bytes, goes on from there. So the
//! checks of one message cost O(its bytes) in all, however they are chunked:
//! each call costs O(1) plus the tokens it completes; a string or binary
//! body, and a run of fixed-width container elements, is passed over by its
//! length in one step, before its bytes have arrived. A message that has
//! arrived whole when the check starts is found by a first pass
//! ([`binary_len`](super::binary_len), [`compact_len`](super::compact_len))
//! that keeps no state and answers the same, several times faster.
//!
//! The rules are the decoders' (`BinaryProtocol`, `CompactProtocol` and
//! their `skip`): what they reject is [`Arrived::Unknown`], in the same order
//! of checks, so that on any prefix of the input the check answers as the
//! decoders would over a reader of that prefix (end of input: `Part`; any
//! other error: `Unknown`). Sizes are checked against what the message size
//! limit leaves after the bytes before them, as the stream reader does.

use crate::error::Result;
use crate::limits::Limits;
use crate::processor::ProtocolKind;
use crate::protocol::TType;
use crate::transport::Framing;
use crate::transport::framed::{self, FRAME_HEADER_LEN};

/// What the received bytes hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Arrived {
    /// At least one whole message (a pipelined next one may follow).
    Whole,
    /// The start of a message; more bytes may complete it.
    Part,
    /// The message is malformed or over a limit: the caller decodes it the
    /// usual way, which reports the error.
    Unknown,
}

/// Progress of the completeness check of one message, kept between calls
/// (one per connection). Its memory is bounded by [`Limits::max_depth`]
/// frames of a few words each; nothing is allocated per byte.
#[derive(Debug, Default)]
pub(crate) struct Check {
    /// Offset in the message of the next token. It may lie past the bytes
    /// received: a string body or a run of fixed-width values is passed
    /// over by its length before it has arrived.
    at: usize,
    phase: Phase,
    /// The structs and containers entered (unframed), innermost last.
    stack: Vec<Frame>,
    /// Tokens and bytes examined, to test that checks are linear.
    #[cfg_attr(not(test), allow(dead_code))]
    work: usize,
}

/// Where the check of an unframed message stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Phase {
    /// Nothing read: the binary version word (or old name length), or the
    /// compact protocol id.
    #[default]
    Begin,
    /// Compact: the version and message type byte.
    Version,
    /// Binary strict: the message name's length.
    NameLen,
    /// The message name, `len` bytes, checked as UTF-8 (as the decoders
    /// do), then `then`.
    Name { len: usize, then: AfterName },
    /// Binary old form: the message type byte, then the seqid.
    Kind,
    /// The seqid (binary: 4 bytes; compact: a varint, then the name).
    Seqid,
    /// Inside the argument struct: see `stack`.
    Body,
    /// A whole message was found (sticky until `reset`).
    Whole,
    /// The message is malformed or over a limit (sticky until `reset`).
    Unknown,
}

/// What follows the message name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum AfterName {
    /// Binary strict: the seqid.
    Seqid,
    /// Binary old form: the type byte and the seqid.
    Kind,
    /// Compact: the argument struct.
    Body,
}

/// A struct or container being passed over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Frame {
    /// The next token is a field header (or STOP). `last_id`: the compact
    /// protocol's base for field id deltas.
    Struct { last_id: i16 },
    /// A list or set with `left` elements of type `elem` still to come.
    List { elem: TType, left: usize },
    /// A map with `left` entries still to start; `value_next`: the key of
    /// the current entry was passed, its value is next.
    Map {
        key: TType,
        value: TType,
        left: usize,
        value_next: bool,
    },
}

/// Why a step stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Halt {
    /// The token at hand has not wholly arrived.
    Part,
    /// Malformed or over a limit.
    Bad,
}

type Step<T> = std::result::Result<T, Halt>;

/// The received bytes of the message and its size limit.
#[derive(Clone, Copy)]
struct Input<'a> {
    bytes: &'a [u8],
    max: usize,
}

impl<'a> Input<'a> {
    /// The `k` bytes at `at`, read as the stream reader would after the
    /// bytes before them: past the size limit is `Bad`, past what arrived
    /// is `Part`. A position already past what arrived (a body passed over)
    /// means an earlier read would have ended the input: `Part`.
    #[inline]
    fn take(self, at: usize, k: usize) -> Step<&'a [u8]> {
        if at > self.bytes.len() {
            return Err(Halt::Part);
        }
        let end = at.checked_add(k).ok_or(Halt::Bad)?;
        if end > self.max {
            return Err(Halt::Bad);
        }
        self.bytes.get(at..end).ok_or(Halt::Part)
    }

    #[inline]
    fn byte(self, at: usize) -> Step<u8> {
        Ok(*self.take(at, 1)?.first().ok_or(Halt::Part)?)
    }

    #[inline]
    fn array<const N: usize>(self, at: usize) -> Step<[u8; N]> {
        self.take(at, N)?.try_into().map_err(|_| Halt::Part)
    }

    /// Passes over `k` bytes at `at` without looking at them: the end of
    /// them, or `Bad` past the size limit.
    #[inline]
    fn pass(self, at: usize, k: usize) -> Step<usize> {
        if at > self.bytes.len() {
            return Err(Halt::Part);
        }
        let end = at.checked_add(k).ok_or(Halt::Bad)?;
        if end > self.max {
            return Err(Halt::Bad);
        }
        Ok(end)
    }

    /// What the size limit leaves after offset `at`.
    #[inline]
    fn remaining(self, at: usize) -> usize {
        self.max.saturating_sub(at)
    }
}

/// A compact varint at `at` of at most `max_len` bytes whose last possible
/// byte holds at most `last_max` (the rules of the compact decoder): its
/// value and length. `work` counts the bytes examined.
#[inline]
fn varint(
    inp: Input<'_>,
    at: usize,
    max_len: usize,
    last_max: u8,
    work: &mut usize,
) -> Step<(u64, usize)> {
    let mut out = 0u64;
    for i in 0..max_len {
        let b = inp.byte(at.checked_add(i).ok_or(Halt::Bad)?)?;
        *work += 1;
        if i + 1 == max_len {
            if b > last_max {
                return Err(Halt::Bad);
            }
            return Ok((out | (b as u64) << (7 * i), max_len));
        }
        out |= ((b & 0x7f) as u64) << (7 * i);
        if b & 0x80 == 0 {
            return Ok((out, i + 1));
        }
    }
    Err(Halt::Bad)
}

/// A 32-bit varint (at most 5 bytes).
#[inline]
fn varint32(inp: Input<'_>, at: usize, work: &mut usize) -> Step<(u32, usize)> {
    varint(inp, at, 5, 0x0f, work).map(|(v, n)| (v as u32, n))
}

#[inline]
fn unzigzag32(n: u32) -> i32 {
    ((n >> 1) as i32) ^ -((n & 1) as i32)
}

/// A message type byte: 1..=4.
#[inline]
fn message_type(b: u8) -> Step<()> {
    if (1..=4).contains(&b) {
        Ok(())
    } else {
        Err(Halt::Bad)
    }
}

/// `check_elem` and `check_count` of the decoders: a non-negative count of
/// elements of at least `min` bytes each that fit `remaining`, and no
/// STOP/VOID elements unless empty.
#[inline]
fn count(n: i32, elems: &[TType], min: usize, remaining: usize) -> Step<usize> {
    if n != 0 && elems.iter().any(|t| matches!(t, TType::Stop | TType::Void)) {
        return Err(Halt::Bad);
    }
    if n < 0 {
        return Err(Halt::Bad);
    }
    if (n as u64).saturating_mul(min as u64) > remaining as u64 {
        return Err(Halt::Bad);
    }
    usize::try_from(n).map_err(|_| Halt::Bad)
}

/// A binary type code.
#[inline]
fn binary_type(code: u8) -> Step<TType> {
    Ok(match code {
        0 => TType::Stop,
        1 => TType::Void,
        2 => TType::Bool,
        3 => TType::I8,
        4 => TType::Double,
        6 => TType::I16,
        8 => TType::I32,
        10 => TType::I64,
        11 => TType::String,
        12 => TType::Struct,
        13 => TType::Map,
        14 => TType::Set,
        15 => TType::List,
        16 => TType::Uuid,
        _ => return Err(Halt::Bad),
    })
}

/// A compact container element type code (both bool codes; 0 for STOP).
#[inline]
fn compact_elem(code: u8) -> Step<TType> {
    Ok(match code {
        0 => TType::Stop,
        1 | 2 => TType::Bool,
        3 => TType::I8,
        4 => TType::I16,
        5 => TType::I32,
        6 => TType::I64,
        7 => TType::Double,
        8 => TType::String,
        9 => TType::List,
        10 => TType::Set,
        11 => TType::Map,
        12 => TType::Struct,
        13 => TType::Uuid,
        _ => return Err(Halt::Bad),
    })
}

/// The fewest bytes a value takes (the decoders' `min_size`).
#[inline]
fn min_size(protocol: ProtocolKind, t: TType) -> usize {
    match protocol {
        ProtocolKind::Binary => match t {
            TType::Stop | TType::Void => 0,
            TType::Bool | TType::I8 | TType::Struct => 1,
            TType::I16 => 2,
            TType::I32 | TType::String => 4,
            TType::I64 | TType::Double => 8,
            TType::Set | TType::List => 5,
            TType::Map => 6,
            TType::Uuid => 16,
        },
        ProtocolKind::Compact => match t {
            TType::Stop | TType::Void => 0,
            TType::Double => 8,
            TType::Uuid => 16,
            _ => 1,
        },
    }
}

/// The size of a value whose bytes need no check, if its type has one.
#[inline]
fn fixed_size(protocol: ProtocolKind, t: TType) -> Option<usize> {
    match (protocol, t) {
        (_, TType::I8) => Some(1),
        (_, TType::Double) => Some(8),
        (_, TType::Uuid) => Some(16),
        (ProtocolKind::Binary, TType::Bool) => Some(1),
        (ProtocolKind::Binary, TType::I16) => Some(2),
        (ProtocolKind::Binary, TType::I32) => Some(4),
        (ProtocolKind::Binary, TType::I64) => Some(8),
        _ => None,
    }
}

impl Check {
    /// Classifies `bytes`: the connection's unread bytes, starting at the
    /// message's first byte. Between calls for the same message `bytes`
    /// only grows at the end (the same prefix; it may have moved in memory:
    /// only offsets are kept).
    ///
    /// Framed: the frame header decides, in O(1): `Whole` once `4 + len`
    /// bytes are there, `Unknown` when the length is invalid (see
    /// [`Check::frame_len`]); nothing is kept. Unframed: continues the
    /// structural skip from where the previous call stopped; `Whole` and
    /// `Unknown` are kept until [`Check::reset`].
    pub(crate) fn check(
        &mut self,
        bytes: &[u8],
        framing: Framing,
        protocol: ProtocolKind,
        limits: Limits,
    ) -> Arrived {
        if framing == Framing::Framed {
            return match Check::frame_len(bytes, limits) {
                None => Arrived::Part,
                Some(Err(_)) => Arrived::Unknown,
                Some(Ok(len)) if bytes.len() - FRAME_HEADER_LEN >= len => Arrived::Whole,
                Some(Ok(_)) => Arrived::Part,
            };
        }
        match self.phase {
            Phase::Whole => return Arrived::Whole,
            Phase::Unknown => return Arrived::Unknown,
            _ if bytes.is_empty() => return Arrived::Part,
            // Nothing checked yet: a message that arrived whole is found in
            // one pass (the same answer, several times faster).
            Phase::Begin => {
                let len = match protocol {
                    ProtocolKind::Binary => super::binary_len::message_len(bytes, limits),
                    ProtocolKind::Compact => super::compact_len::message_len(bytes, limits),
                };
                if let Some(len) = len {
                    self.at = len;
                    self.phase = Phase::Whole;
                    return Arrived::Whole;
                }
            }
            _ => {}
        }
        self.resume(bytes, protocol, limits)
    }

    /// The unframed check from where the last call stopped, token by token.
    fn resume(&mut self, bytes: &[u8], protocol: ProtocolKind, limits: Limits) -> Arrived {
        let inp = Input {
            bytes,
            max: limits.max_message_size(),
        };
        match self.run(inp, protocol, limits.max_depth()) {
            Ok(()) => {
                self.phase = Phase::Whole;
                Arrived::Whole
            }
            Err(Halt::Part) => Arrived::Part,
            Err(Halt::Bad) => {
                self.phase = Phase::Unknown;
                self.stack.clear();
                Arrived::Unknown
            }
        }
    }

    /// Forgets the progress (after the message was consumed, or to start
    /// over). Keeps the stack's memory for the next message.
    pub(crate) fn reset(&mut self) {
        self.at = 0;
        self.phase = Phase::Begin;
        self.stack.clear();
    }

    /// Unframed only: the length of the message a check found whole (the
    /// offset of the byte after it, where a pipelined next one starts);
    /// `None` before. (Used by the async server and client; tested here.)
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    pub(crate) fn whole_len(&self) -> Option<usize> {
        (self.phase == Phase::Whole).then_some(self.at)
    }

    /// Framed only: the frame's length (after its 4-byte header) once the
    /// header has arrived, `None` before; an error when the length is
    /// negative, zero or over [`Limits::max_frame_size`]
    /// ([`framed::frame_len`]).
    pub(crate) fn frame_len(bytes: &[u8], limits: Limits) -> Option<Result<usize>> {
        let header = bytes.first_chunk::<FRAME_HEADER_LEN>()?;
        Some(framed::frame_len(*header, limits.max_frame_size()))
    }

    /// Runs the phases from where the last call stopped to the end of the
    /// message (`Ok`) or the first token that has not arrived or is bad.
    fn run(&mut self, inp: Input<'_>, protocol: ProtocolKind, max_depth: u32) -> Step<()> {
        loop {
            self.work += 1;
            let at = self.at;
            match (self.phase, protocol) {
                (Phase::Begin, ProtocolKind::Binary) => {
                    let word = i32::from_be_bytes(inp.array(at)?);
                    self.at = at + 4;
                    if word < 0 {
                        let w = word as u32;
                        if w & 0xffff_0000 != 0x8001_0000 {
                            return Err(Halt::Bad);
                        }
                        message_type((w & 0xff) as u8)?;
                        self.phase = Phase::NameLen;
                    } else {
                        let len = count(word, &[], 1, inp.remaining(self.at))?;
                        self.phase = Phase::Name {
                            len,
                            then: AfterName::Kind,
                        };
                    }
                }
                (Phase::Begin, ProtocolKind::Compact) => {
                    if inp.byte(at)? != 0x82 {
                        return Err(Halt::Bad);
                    }
                    self.at = at + 1;
                    self.phase = Phase::Version;
                }
                (Phase::Version, _) => {
                    let b = inp.byte(at)?;
                    if b & 0x1f != 1 {
                        return Err(Halt::Bad);
                    }
                    message_type(b >> 5)?;
                    self.at = at + 1;
                    self.phase = Phase::Seqid;
                }
                (Phase::NameLen, ProtocolKind::Binary) => {
                    let n = i32::from_be_bytes(inp.array(at)?);
                    let end = at + 4;
                    let len = count(n, &[], 1, inp.remaining(end))?;
                    self.at = end;
                    self.phase = Phase::Name {
                        len,
                        then: AfterName::Seqid,
                    };
                }
                (Phase::NameLen, ProtocolKind::Compact) => {
                    let (n, k) = varint32(inp, at, &mut self.work)?;
                    let end = at + k;
                    let len = count(n as i32, &[], 1, inp.remaining(end))?;
                    self.at = end;
                    self.phase = Phase::Name {
                        len,
                        then: AfterName::Body,
                    };
                }
                (Phase::Name { len, then }, _) => {
                    let name = inp.take(at, len)?;
                    self.work += len;
                    if crate::utf8::str(name).is_none() {
                        return Err(Halt::Bad);
                    }
                    self.at = at + len;
                    self.phase = match then {
                        AfterName::Seqid => Phase::Seqid,
                        AfterName::Kind => Phase::Kind,
                        AfterName::Body => {
                            self.enter_args(max_depth)?;
                            Phase::Body
                        }
                    };
                }
                (Phase::Kind, _) => {
                    message_type(inp.byte(at)?)?;
                    self.at = at + 1;
                    self.phase = Phase::Seqid;
                }
                (Phase::Seqid, ProtocolKind::Binary) => {
                    inp.take(at, 4)?;
                    self.at = at + 4;
                    self.enter_args(max_depth)?;
                    self.phase = Phase::Body;
                }
                (Phase::Seqid, ProtocolKind::Compact) => {
                    let (_, k) = varint32(inp, at, &mut self.work)?;
                    self.at = at + k;
                    self.phase = Phase::NameLen;
                }
                (Phase::Body, _) => return self.body(inp, protocol, max_depth),
                // Kept by `check`; here for completeness.
                (Phase::Whole, _) => return Ok(()),
                (Phase::Unknown, _) => return Err(Halt::Bad),
            }
        }
    }

    /// Enters the argument struct (the decoders' `skip(Struct)`).
    fn enter_args(&mut self, max_depth: u32) -> Step<()> {
        self.stack.clear();
        if max_depth == 0 {
            return Err(Halt::Bad);
        }
        self.stack.push(Frame::Struct { last_id: 0 });
        Ok(())
    }

    /// Passes over the argument struct from where the last call stopped.
    fn body(&mut self, inp: Input<'_>, protocol: ProtocolKind, max_depth: u32) -> Step<()> {
        loop {
            self.work += 1;
            let Some(&frame) = self.stack.last() else {
                return Ok(());
            };
            let depth = self.stack.len();
            let at = self.at;
            let work = &mut self.work;
            // Each arm reads one token (a field header with the header of
            // its value, a container element, a map key or value) and then
            // commits it, or stops before it.
            let (frame, end, child) = match frame {
                Frame::Struct { last_id } => {
                    let Some((t, id, end)) = field_header(inp, at, protocol, last_id, work)? else {
                        self.at = at + 1;
                        self.stack.pop();
                        continue;
                    };
                    let (end, child) = if t == TType::Bool && protocol == ProtocolKind::Compact {
                        // The value is in the header.
                        (end, None)
                    } else {
                        value(inp, end, protocol, t, depth, max_depth, work)?
                    };
                    (Frame::Struct { last_id: id }, end, child)
                }
                Frame::List { left: 0, .. }
                | Frame::Map {
                    left: 0,
                    value_next: false,
                    ..
                } => {
                    self.stack.pop();
                    continue;
                }
                Frame::List { elem, left } => match fixed_size(protocol, elem) {
                    // A run of fixed-width values at once (the count check
                    // made sure that it fits the size limit).
                    Some(size) => {
                        let end = inp.pass(at, size.checked_mul(left).ok_or(Halt::Bad)?)?;
                        (Frame::List { elem, left: 0 }, end, None)
                    }
                    None => {
                        let (end, child) = value(inp, at, protocol, elem, depth, max_depth, work)?;
                        let left = left - 1;
                        (Frame::List { elem, left }, end, child)
                    }
                },
                Frame::Map {
                    key,
                    value: val,
                    left,
                    value_next,
                } => {
                    let entry = match (
                        value_next,
                        fixed_size(protocol, key),
                        fixed_size(protocol, val),
                    ) {
                        (false, Some(k), Some(v)) => Some(k + v),
                        _ => None,
                    };
                    if let Some(size) = entry {
                        let end = inp.pass(at, size.checked_mul(left).ok_or(Halt::Bad)?)?;
                        let frame = Frame::Map {
                            key,
                            value: val,
                            left: 0,
                            value_next: false,
                        };
                        (frame, end, None)
                    } else if value_next {
                        let (end, child) = value(inp, at, protocol, val, depth, max_depth, work)?;
                        let frame = Frame::Map {
                            key,
                            value: val,
                            left,
                            value_next: false,
                        };
                        (frame, end, child)
                    } else {
                        let (end, child) = value(inp, at, protocol, key, depth, max_depth, work)?;
                        let frame = Frame::Map {
                            key,
                            value: val,
                            left: left - 1,
                            value_next: true,
                        };
                        (frame, end, child)
                    }
                }
            };
            if let Some(top) = self.stack.last_mut() {
                *top = frame;
            }
            self.at = end;
            if let Some(child) = child {
                self.stack.push(child);
            }
        }
    }

    /// Tokens and bytes examined since the check was made.
    #[cfg(test)]
    fn work(&self) -> usize {
        self.work
    }
}

/// A field header at `at` in a struct whose last field id was `last_id`:
/// `None` for STOP (one byte), else the field's type, id and the end of the
/// header. The checks and their order are the decoders' `read_field_begin`.
#[inline]
fn field_header(
    inp: Input<'_>,
    at: usize,
    protocol: ProtocolKind,
    last_id: i16,
    work: &mut usize,
) -> Step<Option<(TType, i16, usize)>> {
    let b = inp.byte(at)?;
    if b == 0 {
        return Ok(None);
    }
    match protocol {
        ProtocolKind::Binary => {
            let t = binary_type(b)?;
            let [_, x, y] = inp.array(at)?;
            Ok(Some((t, i16::from_be_bytes([x, y]), at + 3)))
        }
        ProtocolKind::Compact => {
            const FIELD_TYPES: [TType; 16] = [
                TType::Stop,
                TType::Bool,
                TType::Bool,
                TType::I8,
                TType::I16,
                TType::I32,
                TType::I64,
                TType::Double,
                TType::String,
                TType::List,
                TType::Set,
                TType::Map,
                TType::Struct,
                TType::Uuid,
                TType::Stop,
                TType::Stop,
            ];
            let delta = (b >> 4) as i16;
            let (id, end) = if delta != 0 {
                (last_id.checked_add(delta).ok_or(Halt::Bad)?, at + 1)
            } else {
                let (v, k) = varint32(inp, at + 1, work)?;
                let id = i16::try_from(unzigzag32(v)).map_err(|_| Halt::Bad)?;
                (id, at + 1 + k)
            };
            let t = FIELD_TYPES
                .get((b & 0x0f) as usize)
                .copied()
                .unwrap_or(TType::Stop);
            if t == TType::Stop {
                return Err(Halt::Bad);
            }
            Ok(Some((t, id, end)))
        }
    }
}

/// The start of a value of type `t` at `at`, inside `depth` structs and
/// containers: the end of what was read or passed over, and the struct or
/// container entered, if any. A string's body and a fixed-width value are
/// passed over by their length. The checks and their order are the
/// decoders' `skip`.
#[inline]
fn value(
    inp: Input<'_>,
    at: usize,
    protocol: ProtocolKind,
    t: TType,
    depth: usize,
    max_depth: u32,
    work: &mut usize,
) -> Step<(usize, Option<Frame>)> {
    let enter = |frame: Frame| -> Step<Option<Frame>> {
        if depth >= max_depth as usize {
            return Err(Halt::Bad);
        }
        Ok(Some(frame))
    };
    // Past what arrived (a body passed over), the decoders would have
    // stopped at its end: even a value that takes no bytes is a `Part`.
    inp.pass(at, 0)?;
    if let Some(size) = fixed_size(protocol, t) {
        return Ok((inp.pass(at, size)?, None));
    }
    match (protocol, t) {
        (_, TType::Stop | TType::Void) => Err(Halt::Bad),
        (_, TType::Struct) => Ok((at, enter(Frame::Struct { last_id: 0 })?)),
        (ProtocolKind::Binary, TType::String) => {
            let n = i32::from_be_bytes(inp.array(at)?);
            let start = at + 4;
            let len = count(n, &[], 1, inp.remaining(start))?;
            Ok((inp.pass(start, len)?, None))
        }
        (ProtocolKind::Binary, TType::List | TType::Set) => {
            let [code, a, b, c, d] = inp.array(at)?;
            let elem = binary_type(code)?;
            let end = at + 5;
            let n = i32::from_be_bytes([a, b, c, d]);
            let left = count(n, &[elem], min_size(protocol, elem), inp.remaining(end))?;
            Ok((end, enter(Frame::List { elem, left })?))
        }
        (ProtocolKind::Binary, TType::Map) => {
            let [k, v, a, b, c, d] = inp.array(at)?;
            let key = binary_type(k)?;
            let value = binary_type(v)?;
            let end = at + 6;
            let n = i32::from_be_bytes([a, b, c, d]);
            let min = min_size(protocol, key) + min_size(protocol, value);
            let left = count(n, &[key, value], min, inp.remaining(end))?;
            let frame = Frame::Map {
                key,
                value,
                left,
                value_next: false,
            };
            Ok((end, enter(frame)?))
        }
        (ProtocolKind::Compact, TType::Bool) => match inp.byte(at)? {
            0..=2 => Ok((at + 1, None)),
            _ => Err(Halt::Bad),
        },
        (ProtocolKind::Compact, TType::I16) => {
            let (v, k) = varint32(inp, at, work)?;
            i16::try_from(unzigzag32(v)).map_err(|_| Halt::Bad)?;
            Ok((at + k, None))
        }
        (ProtocolKind::Compact, TType::I32) => {
            let (_, k) = varint32(inp, at, work)?;
            Ok((at + k, None))
        }
        (ProtocolKind::Compact, TType::I64) => {
            let (_, k) = varint(inp, at, 10, 0x01, work)?;
            Ok((at + k, None))
        }
        (ProtocolKind::Compact, TType::String) => {
            let (n, k) = varint32(inp, at, work)?;
            let start = at + k;
            let len = count(n as i32, &[], 1, inp.remaining(start))?;
            Ok((inp.pass(start, len)?, None))
        }
        (ProtocolKind::Compact, TType::List | TType::Set) => {
            let b = inp.byte(at)?;
            let elem = compact_elem(b & 0x0f)?;
            let (n, end) = match b >> 4 {
                15 => {
                    let (n, k) = varint32(inp, at + 1, work)?;
                    (n as i32, at + 1 + k)
                }
                n => (n as i32, at + 1),
            };
            let left = count(n, &[elem], min_size(protocol, elem), inp.remaining(end))?;
            Ok((end, enter(Frame::List { elem, left })?))
        }
        (ProtocolKind::Compact, TType::Map) => {
            let (n, k) = varint32(inp, at, work)?;
            let n = n as i32;
            if n < 0 {
                return Err(Halt::Bad);
            }
            let mut end = at + k;
            let (key, value, left) = if n == 0 {
                (TType::Stop, TType::Stop, 0)
            } else {
                let b = inp.byte(end)?;
                end += 1;
                let key = compact_elem(b >> 4)?;
                let value = compact_elem(b & 0x0f)?;
                let min = min_size(protocol, key) + min_size(protocol, value);
                (
                    key,
                    value,
                    count(n, &[key, value], min, inp.remaining(end))?,
                )
            };
            let frame = Frame::Map {
                key,
                value,
                left,
                value_next: false,
            };
            Ok((end, enter(frame)?))
        }
        // Every fixed-width type was passed over above.
        (
            _,
            TType::Bool
            | TType::I8
            | TType::I16
            | TType::I32
            | TType::I64
            | TType::Double
            | TType::Uuid,
        ) => Err(Halt::Bad),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{Error, TransportError, TransportErrorKind};
    use crate::protocol::binary::BinaryProtocol;
    use crate::protocol::compact::CompactProtocol;
    use crate::protocol::{MessageHeader, MessageType, ProtocolRead, ProtocolWrite};
    use crate::transport::{ReadBytes, eof};
    use proptest::prelude::*;

    const BOTH: [ProtocolKind; 2] = [ProtocolKind::Binary, ProtocolKind::Compact];

    fn fresh(bytes: &[u8], protocol: ProtocolKind, limits: Limits) -> Arrived {
        Check::default().check(bytes, Framing::Buffered, protocol, limits)
    }

    /// The decoders over a reader of the received prefix: what the check
    /// must answer on every input.
    fn oracle(bytes: &[u8], protocol: ProtocolKind, limits: Limits) -> Arrived {
        if bytes.is_empty() {
            return Arrived::Part;
        }
        let prefix = Prefix {
            bytes,
            left: limits.max_message_size(),
        };
        let r = match protocol {
            ProtocolKind::Binary => skip_message(BinaryProtocol::new(prefix, limits)),
            ProtocolKind::Compact => skip_message(CompactProtocol::new(prefix, limits)),
        };
        match r {
            Ok(()) => Arrived::Whole,
            Err(e) if e.is_eof() => Arrived::Part,
            Err(_) => Arrived::Unknown,
        }
    }

    /// The decoders over the bytes as a whole input.
    fn decodes(bytes: &[u8], protocol: ProtocolKind, limits: Limits) -> bool {
        match protocol {
            ProtocolKind::Binary => skip_message(BinaryProtocol::new(bytes, limits)),
            ProtocolKind::Compact => skip_message(CompactProtocol::new(bytes, limits)),
        }
        .is_ok()
    }

    fn skip_message<P: ProtocolRead>(mut p: P) -> crate::error::Result<()> {
        p.read_message_begin()?;
        p.skip(TType::Struct)?;
        p.read_message_end()
    }

    /// The received prefix of a stream: reads past it end with `EndOfFile`,
    /// sizes are checked against the message limit, as on the stream.
    struct Prefix<'a> {
        bytes: &'a [u8],
        left: usize,
    }

    impl Prefix<'_> {
        fn advance(&mut self, n: usize) -> crate::error::Result<&[u8]> {
            if n > self.left {
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
        fn read_exact(&mut self, buf: &mut [u8]) -> crate::error::Result<()> {
            let head = self.advance(buf.len())?;
            buf.copy_from_slice(head);
            Ok(())
        }

        fn read_u8(&mut self) -> crate::error::Result<u8> {
            Ok(self.advance(1)?[0])
        }

        fn remaining(&self) -> usize {
            self.left
        }

        fn ready_bytes(&self) -> &[u8] {
            &self.bytes[..self.bytes.len().min(self.left)]
        }

        fn consume_ready(&mut self, n: usize) {
            let n = n.min(self.bytes.len()).min(self.left);
            self.bytes = &self.bytes[n..];
            self.left -= n;
        }

        fn skip_bytes(&mut self, len: usize) -> crate::error::Result<()> {
            self.advance(len).map(|_| ())
        }
    }

    fn write_with(
        protocol: ProtocolKind,
        f: impl FnOnce(&mut dyn ProtocolWrite) -> crate::error::Result<()>,
    ) -> Vec<u8> {
        let mut out = Vec::new();
        let limits = Limits::default().with_max_depth(1000);
        match protocol {
            ProtocolKind::Binary => f(&mut BinaryProtocol::new(&mut out, limits)),
            ProtocolKind::Compact => f(&mut CompactProtocol::new(&mut out, limits)),
        }
        .unwrap();
        out
    }

    fn header(name: &str, seqid: i32) -> MessageHeader {
        MessageHeader {
            name: name.into(),
            kind: MessageType::Call,
            seqid,
        }
    }

    /// A call message with a string, a list and a nested struct.
    fn message(protocol: ProtocolKind) -> Vec<u8> {
        write_with(protocol, |p| {
            p.write_message_begin(&header("echo", 9))?;
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
        })
    }

    /// Feeds `m` to one check in pieces of the sizes `cuts` (cycled):
    /// every proper prefix is a part, the whole is whole, and each answer is
    /// a fresh check's and the decoders'.
    fn feed(m: &[u8], cuts: &[usize], protocol: ProtocolKind, limits: Limits, with_oracle: bool) {
        let mut check = Check::default();
        let mut n = 0;
        let mut i = 0;
        while n < m.len() {
            n = (n + cuts[i % cuts.len()].max(1)).min(m.len());
            i += 1;
            let got = check.check(&m[..n], Framing::Buffered, protocol, limits);
            let want = if n == m.len() {
                Arrived::Whole
            } else {
                Arrived::Part
            };
            assert_eq!(got, want, "{protocol:?} at {n} of {}", m.len());
            let len = (got == Arrived::Whole).then_some(m.len());
            assert_eq!(check.whole_len(), len, "the length of a whole message");
            assert_eq!(fresh(&m[..n], protocol, limits), got, "fresh at {n}");
            if with_oracle {
                assert_eq!(oracle(&m[..n], protocol, limits), got, "oracle at {n}");
            }
        }
    }

    #[test]
    fn every_prefix_is_a_part_and_the_whole_is_whole() {
        let limits = Limits::default();
        for protocol in BOTH {
            let m = message(protocol);
            for n in 0..m.len() {
                assert_eq!(fresh(&m[..n], protocol, limits), Arrived::Part, "{n}");
            }
            assert_eq!(fresh(&m, protocol, limits), Arrived::Whole);
            feed(&m, &[1], protocol, limits, true);
            feed(&m, &[7, 1, 300], protocol, limits, true);
            // A pipelined second message does not change the answer.
            let mut two = m.clone();
            two.extend_from_slice(&m[..3]);
            assert_eq!(fresh(&two, protocol, limits), Arrived::Whole);
            // Framed: the header decides.
            let mut f = (m.len() as u32).to_be_bytes().to_vec();
            f.extend(&m);
            for n in 0..f.len() {
                let got = Check::default().check(&f[..n], Framing::Framed, protocol, limits);
                assert_eq!(got, Arrived::Part, "framed {n}");
            }
            let got = Check::default().check(&f, Framing::Framed, protocol, limits);
            assert_eq!(got, Arrived::Whole);
            assert_eq!(Check::frame_len(&f[..3], limits).map(|r| r.is_ok()), None);
            assert_eq!(Check::frame_len(&f, limits).unwrap().unwrap(), m.len());
            // After a reset, the next message is checked from its start.
            let mut check = Check::default();
            assert_eq!(
                check.check(&m, Framing::Buffered, protocol, limits),
                Arrived::Whole
            );
            check.reset();
            assert_eq!(
                check.check(&m[..5], Framing::Buffered, protocol, limits),
                Arrived::Part
            );
        }
    }

    #[test]
    fn old_binary_headers_are_read_as_the_decoder_reads_them() {
        let limits = Limits::default();
        // name length, name, type, seqid; then an empty struct.
        let mut m = 4i32.to_be_bytes().to_vec();
        m.extend(b"echo\x01\x00\x00\x00\x07\x00");
        feed(&m, &[1], ProtocolKind::Binary, limits, true);
        assert!(decodes(&m, ProtocolKind::Binary, limits));
        // A bad type byte, a name that is not UTF-8.
        let mut bad = m.clone();
        bad[8] = 5;
        assert_eq!(fresh(&bad, ProtocolKind::Binary, limits), Arrived::Unknown);
        let mut bad = m.clone();
        bad[4] = 0xff;
        assert_eq!(fresh(&bad, ProtocolKind::Binary, limits), Arrived::Unknown);
        // The strict form ignores the version word's third byte, as the
        // decoder does.
        let mut m = b"\x80\x01\x7f\x01\x00\x00\x00\x00\x00\x00\x00\x01\x00".to_vec();
        assert_eq!(oracle(&m, ProtocolKind::Binary, limits), Arrived::Whole);
        assert_eq!(fresh(&m, ProtocolKind::Binary, limits), Arrived::Whole);
        m[1] = 2;
        assert_eq!(fresh(&m, ProtocolKind::Binary, limits), Arrived::Unknown);
    }

    #[test]
    fn malformed_or_oversized_input_is_left_to_the_decoder() {
        let limits = Limits::default();
        let unknown = |bytes: &[u8], protocol, limits| {
            assert_eq!(
                fresh(bytes, protocol, limits),
                Arrived::Unknown,
                "{bytes:?}"
            );
            assert_eq!(
                oracle(bytes, protocol, limits),
                Arrived::Unknown,
                "{bytes:?}"
            );
        };
        // A bad version word, an unknown field type, a VOID field.
        unknown(b"\x12\x34\x56\x78\x00", ProtocolKind::Binary, limits);
        let head = b"\x80\x01\x00\x01\x00\x00\x00\x01x\x00\x00\x00\x01";
        for tail in [
            &b"\x63"[..],
            b"\x01\x00\x01",
            b"\x0f\x00\x01\x01\x00\x00\x00\x01",
        ] {
            unknown(&[&head[..], tail].concat(), ProtocolKind::Binary, limits);
        }
        // Compact: a bad protocol id, version, field type nibble, an
        // over-long varint, a bool element that is not 0..=2, a negative
        // map size, an i16 out of range.
        let chead = b"\x82\x21\x01\x01x";
        unknown(b"\x83", ProtocolKind::Compact, limits);
        unknown(b"\x82\x22", ProtocolKind::Compact, limits);
        for tail in [
            &b"\x1e"[..],
            b"\x16\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02",
            b"\x15\xff\xff\xff\xff\x10",
            b"\x19\x21\x03",
            b"\x1b\xff\xff\xff\xff\x0f",
            b"\x14\x80\x80\x04",
        ] {
            unknown(&[&chead[..], tail].concat(), ProtocolKind::Compact, limits);
        }
        // Frames over the limit, negative, empty.
        for header in [0x7fff_ffffu32, 0x8000_0000, 0] {
            let bytes = header.to_be_bytes();
            let got = Check::default().check(&bytes, Framing::Framed, ProtocolKind::Binary, limits);
            assert_eq!(got, Arrived::Unknown, "{header:#x}");
            assert!(Check::frame_len(&bytes, limits).unwrap().is_err());
        }
        // A message past the size limit, field by field.
        let small = Limits::default().with_max_message_size(100);
        let mut many = head.to_vec();
        for id in 1..100u16 {
            many.push(8);
            many.extend(id.to_be_bytes());
            many.extend(7i32.to_be_bytes());
        }
        unknown(&many, ProtocolKind::Binary, small);
        // Strings and containers that claim more than the message limit.
        let mut m = [&head[..], b"\x0b\x00\x01"].concat();
        m.extend(0x7fff_0000u32.to_be_bytes());
        unknown(&m, ProtocolKind::Binary, limits);
        let mut m = [&head[..], b"\x0f\x00\x01\x0a"].concat();
        m.extend(0x0100_0000u32.to_be_bytes());
        unknown(&m, ProtocolKind::Binary, small);
        // A value past the depth limit after a body that has not arrived:
        // the decoders stop at the end of what arrived first.
        let shallow = Limits::default().with_max_depth(2);
        let mut d = [&head[..], b"\x0d\x00\x01\x0b\x0c\x00\x00\x00\x01"].concat();
        d.extend(10u32.to_be_bytes());
        d.extend(b"ab");
        assert_eq!(oracle(&d, ProtocolKind::Binary, shallow), Arrived::Part);
        assert_eq!(fresh(&d, ProtocolKind::Binary, shallow), Arrived::Part);
        d.extend(b"cdefghij");
        unknown(&d, ProtocolKind::Binary, shallow);
        // The check stays unknown however the bytes grow.
        let mut check = Check::default();
        let got = check.check(&m, Framing::Buffered, ProtocolKind::Binary, small);
        assert_eq!(got, Arrived::Unknown);
        m.extend([0; 64]);
        let got = check.check(&m, Framing::Buffered, ProtocolKind::Binary, small);
        assert_eq!(got, Arrived::Unknown);
    }

    /// A small pseudo-random generator (splitmix64).
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    const TYPES: [TType; 12] = [
        TType::Bool,
        TType::I8,
        TType::I16,
        TType::I32,
        TType::I64,
        TType::Double,
        TType::String,
        TType::Uuid,
        TType::Struct,
        TType::List,
        TType::Set,
        TType::Map,
    ];

    fn random_type(rng: &mut Rng, depth: u32) -> TType {
        // Scalars only below some depth, so messages stay small.
        let n = if depth >= 4 { 8 } else { TYPES.len() };
        TYPES[rng.below(n as u64) as usize]
    }

    /// A random integer of about `bits` significant bits, either sign.
    fn random_int(rng: &mut Rng, bits: u32) -> i64 {
        let b = rng.below(bits as u64) as u32;
        let v = (rng.next() >> (64 - b.max(1))) as i64;
        if rng.below(2) == 0 { v } else { -v }
    }

    fn write_struct(
        p: &mut dyn ProtocolWrite,
        rng: &mut Rng,
        depth: u32,
    ) -> crate::error::Result<()> {
        p.write_struct_begin("s")?;
        let mut id: i16 = 0;
        for _ in 0..rng.below(7) {
            id = match rng.below(3) {
                0 => rng.next() as i16,
                _ => id.wrapping_add(1 + rng.below(20) as i16),
            };
            let t = random_type(rng, depth);
            p.write_field_begin("f", t, id)?;
            write_value(p, rng, t, depth)?;
            p.write_field_end()?;
        }
        p.write_field_stop()?;
        p.write_struct_end()
    }

    fn write_value(
        p: &mut dyn ProtocolWrite,
        rng: &mut Rng,
        t: TType,
        depth: u32,
    ) -> crate::error::Result<()> {
        match t {
            TType::Bool => p.write_bool(rng.below(2) == 0),
            TType::I8 => p.write_i8(rng.next() as i8),
            TType::I16 => p.write_i16(random_int(rng, 16) as i16),
            TType::I32 => p.write_i32(random_int(rng, 32) as i32),
            TType::I64 => p.write_i64(random_int(rng, 64)),
            TType::Double => p.write_double(rng.next() as f64),
            TType::String => {
                let len = match rng.below(10) {
                    0 => rng.below(3000),
                    _ => rng.below(20),
                } as usize;
                if rng.below(2) == 0 {
                    p.write_string(&"é".repeat(len / 2))
                } else {
                    let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
                    p.write_binary(&bytes)
                }
            }
            TType::Uuid => p.write_uuid(&(rng.next() as u128).to_be_bytes()),
            TType::Struct => write_struct(p, rng, depth + 1),
            TType::List | TType::Set => {
                let elem = random_type(rng, depth + 1);
                let len = match rng.below(8) {
                    0 => rng.below(200),
                    _ => rng.below(6),
                } as usize;
                let len = if matches!(elem, TType::Struct | TType::List | TType::Set | TType::Map) {
                    len.min(4)
                } else {
                    len
                };
                if t == TType::List {
                    p.write_list_begin(elem, len)?;
                } else {
                    p.write_set_begin(elem, len)?;
                }
                for _ in 0..len {
                    write_value(p, rng, elem, depth + 1)?;
                }
                if t == TType::List {
                    p.write_list_end()
                } else {
                    p.write_set_end()
                }
            }
            TType::Map => {
                let key = random_type(rng, depth + 1);
                let value = random_type(rng, depth + 1);
                let len = rng.below(5) as usize;
                p.write_map_begin(key, value, len)?;
                for _ in 0..len {
                    write_value(p, rng, key, depth + 1)?;
                    write_value(p, rng, value, depth + 1)?;
                }
                p.write_map_end()
            }
            TType::Stop | TType::Void => unreachable!(),
        }
    }

    /// A random call message; binary ones in the old header form when
    /// `old` is set.
    fn random_message(seed: u64, protocol: ProtocolKind, old: bool) -> Vec<u8> {
        let mut rng = Rng(seed);
        let name = "mé".repeat(rng.below(5) as usize);
        let seqid = rng.next() as i32;
        let mut m = write_with(protocol, |p| {
            p.write_message_begin(&header(&name, seqid))?;
            write_struct(p, &mut rng, 1)?;
            p.write_message_end()
        });
        if old && protocol == ProtocolKind::Binary {
            let body = m.split_off(12 + name.len());
            m = (name.len() as i32).to_be_bytes().to_vec();
            m.extend(name.as_bytes());
            m.push(1);
            m.extend(seqid.to_be_bytes());
            m.extend(body);
        }
        m
    }

    fn protocol_of(p: bool) -> ProtocolKind {
        if p {
            ProtocolKind::Binary
        } else {
            ProtocolKind::Compact
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn chunked_checks_answer_as_a_fresh_check_and_the_decoders(
            seed in any::<u64>(),
            binary in any::<bool>(),
            old in any::<bool>(),
            cuts in prop::collection::vec(1usize..80, 1..40),
        ) {
            let protocol = protocol_of(binary);
            let m = random_message(seed, protocol, old);
            prop_assert!(decodes(&m, protocol, Limits::default()));
            feed(&m, &cuts, protocol, Limits::default(), true);
        }

        #[test]
        fn corrupted_input_never_panics_and_answers_as_the_decoders(
            seed in any::<u64>(),
            binary in any::<bool>(),
            edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..4),
            cut in any::<prop::sample::Index>(),
            max_size in prop::option::of(0usize..4000),
            max_depth in prop::option::of(0u32..6),
            cuts in prop::collection::vec(1usize..40, 1..10),
        ) {
            let protocol = protocol_of(binary);
            let mut m = random_message(seed, protocol, false);
            for (at, b) in &edits {
                let i = at.index(m.len());
                m[i] = *b;
            }
            m.truncate(cut.index(m.len() + 1));
            let mut limits = Limits::default();
            if let Some(size) = max_size {
                limits = limits.with_max_message_size(size);
            }
            if let Some(depth) = max_depth {
                limits = limits.with_max_depth(depth);
            }
            let got = fresh(&m, protocol, limits);
            prop_assert_eq!(got, oracle(&m, protocol, limits));
            if decodes(&m, protocol, limits) && max_size.is_none() {
                prop_assert_eq!(got, Arrived::Whole);
            }
            if got == Arrived::Unknown && max_size.is_none() {
                prop_assert!(!decodes(&m, protocol, limits));
            }
            // Chunked, each answer is a fresh check's.
            let mut check = Check::default();
            let mut n = 0;
            let mut i = 0;
            while n < m.len() {
                n = (n + cuts[i % cuts.len()]).min(m.len());
                i += 1;
                let step = check.check(&m[..n], Framing::Buffered, protocol, limits);
                prop_assert_eq!(step, fresh(&m[..n], protocol, limits), "at {}", n);
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(600))]

        /// The first pass over a message finds what the resumable check
        /// finds: the same length where it is whole, nothing where it is
        /// not.
        #[test]
        fn the_first_pass_finds_the_resumable_checks_length(
            seed in any::<u64>(),
            binary in any::<bool>(),
            old in any::<bool>(),
            edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..4),
            cut in any::<prop::sample::Index>(),
            next in prop::collection::vec(any::<u8>(), 0..8),
            max_size in prop::option::of(0usize..4000),
            max_depth in prop::option::of(0u32..6),
        ) {
            let protocol = protocol_of(binary);
            let mut m = random_message(seed, protocol, old);
            for (at, b) in &edits {
                let i = at.index(m.len());
                m[i] = *b;
            }
            m.truncate(cut.index(m.len() + 1));
            // What a pipelining peer sent next.
            m.extend(&next);
            let mut limits = Limits::default();
            if let Some(size) = max_size {
                limits = limits.with_max_message_size(size);
            }
            if let Some(depth) = max_depth {
                limits = limits.with_max_depth(depth);
            }
            let mut resumable = Check::default();
            let want = match resumable.resume(&m, protocol, limits) {
                Arrived::Whole => resumable.whole_len(),
                Arrived::Part | Arrived::Unknown => None,
            };
            let got = match protocol {
                ProtocolKind::Binary => super::super::binary_len::message_len(&m, limits),
                ProtocolKind::Compact => super::super::compact_len::message_len(&m, limits),
            };
            prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn one_byte_at_a_time() {
        for seed in 0..12 {
            for protocol in BOTH {
                let m = random_message(seed, protocol, seed % 2 == 0);
                feed(&m, &[1], protocol, Limits::default(), m.len() < 4000);
            }
        }
    }

    /// Feeds `m` one byte at a time and returns the work per byte.
    fn work_per_byte(m: &[u8], protocol: ProtocolKind) -> usize {
        let limits = Limits::default();
        let mut check = Check::default();
        for n in 1..m.len() {
            let got = check.check(&m[..n], Framing::Buffered, protocol, limits);
            assert_eq!(got, Arrived::Part, "{n}");
            // Checked as it goes, so that a quadratic check fails early.
            assert!(
                check.work() <= 8 * n + 64,
                "{protocol:?}: {} at {n}",
                check.work()
            );
        }
        let got = check.check(m, Framing::Buffered, protocol, limits);
        assert_eq!(got, Arrived::Whole);
        check.work() / m.len()
    }

    #[test]
    fn checks_are_linear_in_the_bytes_however_they_arrive() {
        for protocol in BOTH {
            // About 1 MB of small fields: i32 in the binary protocol,
            // i64 of 9 to 10 bytes and short strings in the compact one.
            let m = write_with(protocol, |p| {
                p.write_message_begin(&header("bulk", 1))?;
                p.write_struct_begin("args")?;
                let mut i = 0i64;
                let mut size = 0;
                while size < (1 << 20) {
                    i += 1;
                    p.write_field_begin("a", TType::I64, 1)?;
                    p.write_i64(i << 55)?;
                    p.write_field_begin("b", TType::String, 2)?;
                    p.write_string("ab")?;
                    p.write_field_begin("c", TType::I32, 30000)?;
                    p.write_i32(-(i as i32))?;
                    p.write_field_begin("d", TType::List, 3)?;
                    p.write_list_begin(TType::I16, 2)?;
                    p.write_i16(300)?;
                    p.write_i16(-3)?;
                    p.write_list_end()?;
                    p.write_field_end()?;
                    size += 40;
                }
                p.write_field_stop()?;
                p.write_struct_end()?;
                p.write_message_end()
            });
            assert!(m.len() > 700_000, "{}", m.len());
            let per_byte = work_per_byte(&m, protocol);
            assert!(
                per_byte <= 6,
                "{protocol:?}: {per_byte} units of work per byte"
            );
        }
        // One string of 1 MB: passed over by its length.
        let m = write_with(ProtocolKind::Binary, |p| {
            p.write_message_begin(&header("big", 1))?;
            p.write_struct_begin("args")?;
            p.write_field_begin("s", TType::String, 1)?;
            p.write_string(&"s".repeat(1 << 20))?;
            p.write_field_stop()?;
            p.write_struct_end()
        });
        assert!(work_per_byte(&m, ProtocolKind::Binary) <= 3);
    }

    /// A binary message whose argument struct holds `levels` nested
    /// structs.
    fn nested(levels: usize) -> Vec<u8> {
        let mut m = b"\x80\x01\x00\x01\x00\x00\x00\x01x\x00\x00\x00\x01".to_vec();
        for _ in 0..levels {
            m.extend(b"\x0c\x00\x01");
        }
        m.extend(std::iter::repeat_n(0u8, levels + 1));
        m
    }

    #[test]
    fn nesting_past_the_depth_limit_is_unknown_without_recursion() {
        let limits = Limits::default();
        let max = limits.max_depth() as usize;
        // The argument struct is the first level.
        let ok = nested(max - 1);
        assert_eq!(fresh(&ok, ProtocolKind::Binary, limits), Arrived::Whole);
        assert_eq!(oracle(&ok, ProtocolKind::Binary, limits), Arrived::Whole);
        let deep = nested(max);
        assert_eq!(fresh(&deep, ProtocolKind::Binary, limits), Arrived::Unknown);
        assert_eq!(
            oracle(&deep, ProtocolKind::Binary, limits),
            Arrived::Unknown
        );
        // Lists in lists, a million levels, fed in pieces.
        let mut m = b"\x80\x01\x00\x01\x00\x00\x00\x01x\x00\x00\x00\x01\x0f\x00\x01".to_vec();
        m.extend(b"\x0f\x00\x00\x00\x01".repeat(1_000_000));
        let mut check = Check::default();
        let got = check.check(&m[..100], Framing::Buffered, ProtocolKind::Binary, limits);
        assert_eq!(got, Arrived::Part);
        let got = check.check(&m, Framing::Buffered, ProtocolKind::Binary, limits);
        assert_eq!(got, Arrived::Unknown);
        // A limit high enough: a deep message is whole, on no native stack.
        let high = limits.with_max_depth(u32::MAX);
        let deep = nested(200_000);
        assert_eq!(fresh(&deep, ProtocolKind::Binary, high), Arrived::Whole);
        let mut compact = vec![0x82, 0x21, 0x01, 0x00];
        compact.extend(std::iter::repeat_n(0x1c, 200_000));
        compact.extend(std::iter::repeat_n(0, 200_001));
        assert_eq!(fresh(&compact, ProtocolKind::Compact, high), Arrived::Whole);
        assert_eq!(
            fresh(&compact, ProtocolKind::Compact, limits),
            Arrived::Unknown
        );
    }
}
