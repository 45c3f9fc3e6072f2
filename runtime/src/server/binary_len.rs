//! The length of an unframed binary message that arrived whole, found in
//! one pass over its bytes: the common case of the completeness check
//! ([`Check`](super::complete::Check)), which the event-driven mode and the
//! async server and client run before they decode a message.
//!
//! The resumable check keeps its place between reads, so each token costs
//! it a step through its state; a message that is all there needs none of
//! that. Here the nesting is a small array on the stack, each token is read
//! once, and strings in lists and map keys are passed over in tight loops.
//! For the bench's 1 KB `echo` request: about 3,200 instructions, against
//! about 13,000 for the resumable check and 4,600 for a skip through the
//! binary decoder.
//!
//! The answer is the resumable check's on the same bytes: `Some(len)` where
//! it finds a whole message of `len` bytes, `None` where it finds part of
//! one or a malformed one (and, beyond [`MAX_NESTING`], where it would find
//! a whole one): the caller then runs the resumable check, which tells
//! those apart. So the rules are the same: the decoders' type codes,
//! counts, nesting limit and size limit.

use crate::limits::Limits;

/// The nesting this pass follows (structs and containers, the argument
/// struct included); a message nested deeper gets `None`.
pub(crate) const MAX_NESTING: usize = 64;

/// A struct or container being passed over.
#[derive(Clone, Copy)]
enum Frame {
    /// The next token is a field header or STOP.
    Struct,
    /// `left` more values of type code `elem` (a list or set).
    Values { elem: u8, left: usize },
    /// `left` more keys and values, alternating: a key when `left` is even.
    Entries { key: u8, value: u8, left: usize },
}

/// The bytes a value of type `code` takes when that is fixed: every byte
/// string of that length is a valid value (a binary `bool` is any byte).
#[inline]
fn fixed_size(code: u8) -> Option<usize> {
    match code {
        2 | 3 => Some(1),
        6 => Some(2),
        8 => Some(4),
        4 | 10 => Some(8),
        16 => Some(16),
        _ => None,
    }
}

/// The fewest bytes a value of type `code` takes, `None` for a code that
/// is no type; 0 for STOP and VOID, which no value has.
#[inline]
fn min_size(code: u8) -> Option<usize> {
    Some(match code {
        0 | 1 => 0,
        2 | 3 | 12 => 1,
        6 => 2,
        8 | 11 => 4,
        4 | 10 => 8,
        14 | 15 => 5,
        13 => 6,
        16 => 16,
        _ => return None,
    })
}

/// The bytes of a message (at most the size limit's worth) and a position
/// in them; every read past their end is `None`.
struct Bytes<'a> {
    buf: &'a [u8],
    at: usize,
}

impl Bytes<'_> {
    #[inline]
    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        let b = *self.buf.get(self.at..)?.first_chunk::<N>()?;
        self.at += N;
        Some(b)
    }

    #[inline]
    fn i32(&mut self) -> Option<i32> {
        self.array().map(i32::from_be_bytes)
    }

    /// Passes over `n` bytes.
    #[inline]
    fn pass(&mut self, n: usize) -> Option<()> {
        let end = self.at.checked_add(n)?;
        if end > self.buf.len() {
            return None;
        }
        self.at = end;
        Some(())
    }

    /// A string or binary value: its length, then as many bytes.
    #[inline]
    fn string(&mut self) -> Option<()> {
        let n = usize::try_from(self.i32()?).ok()?;
        self.pass(n)
    }

    /// A container's count of `n` values of at least `min` bytes each (no
    /// STOP or VOID values unless empty), if they can all be there.
    #[inline]
    fn count(&self, n: i32, min: usize) -> Option<usize> {
        let n = usize::try_from(n).ok()?;
        if n != 0 && min == 0 {
            return None;
        }
        (n.checked_mul(min)? <= self.buf.len() - self.at).then_some(n)
    }
}

/// The length of the unframed binary message at the start of `bytes`, if
/// all of it is there and well-formed (see the module's docs).
pub(crate) fn message_len(bytes: &[u8], limits: Limits) -> Option<usize> {
    let mut b = Bytes {
        buf: &bytes[..bytes.len().min(limits.max_message_size())],
        at: 0,
    };
    let word = b.i32()?;
    let name_len = if word < 0 {
        let w = word as u32;
        if w & 0xffff_0000 != 0x8001_0000 || !(1..=4).contains(&(w & 0xff)) {
            return None;
        }
        b.i32()?
    } else {
        word
    };
    let name_len = usize::try_from(name_len).ok()?;
    let start = b.at;
    b.pass(name_len)?;
    crate::utf8::str(&b.buf[start..b.at])?;
    if word >= 0 {
        let [kind] = b.array()?;
        if !(1..=4).contains(&kind) {
            return None;
        }
    }
    b.pass(4)?;
    body_end(b, limits.max_depth())
}

/// What a value at hand opens: nothing (it was passed over whole), or a
/// struct or container whose contents come next.
enum Opens {
    Nothing,
    Frame(Frame),
}

/// Passes over a value of type `code`, or its header when it is a struct
/// or container with contents to follow (runs of fixed-size values and of
/// strings are passed over at once). `None`: not there, or malformed.
#[inline(always)]
fn value(b: &mut Bytes<'_>, code: u8) -> Option<Opens> {
    if let Some(size) = fixed_size(code) {
        b.pass(size)?;
        return Some(Opens::Nothing);
    }
    Some(match code {
        11 => {
            b.string()?;
            Opens::Nothing
        }
        12 => Opens::Frame(Frame::Struct),
        14 | 15 => {
            let [elem, c0, c1, c2, c3] = b.array()?;
            let left = b.count(i32::from_be_bytes([c0, c1, c2, c3]), min_size(elem)?)?;
            Opens::Frame(Frame::Values { elem, left })
        }
        13 => {
            let [key, value, c0, c1, c2, c3] = b.array()?;
            let (k, v) = (min_size(key)?, min_size(value)?);
            let min = if k == 0 || v == 0 { 0 } else { k + v };
            let left = b.count(i32::from_be_bytes([c0, c1, c2, c3]), min)?;
            Opens::Frame(Frame::Entries {
                key,
                value,
                left: left * 2,
            })
        }
        // STOP or VOID as a value, or no type.
        _ => return None,
    })
}

/// Passes over the contents of a container at once when they are runs of
/// fixed-size values or strings (`true`), else leaves them (`false`).
#[inline(always)]
fn pass_run(b: &mut Bytes<'_>, frame: Frame) -> Option<bool> {
    match frame {
        Frame::Values { elem, left } => {
            if let Some(size) = fixed_size(elem) {
                b.pass(size * left)?;
                return Some(true);
            }
            if elem == 11 {
                for _ in 0..left {
                    b.string()?;
                }
                return Some(true);
            }
        }
        Frame::Entries { key, value, left } => match (fixed_size(key), fixed_size(value)) {
            (Some(k), Some(v)) => {
                b.pass((k + v) * (left / 2))?;
                return Some(true);
            }
            (None, Some(v)) if key == 11 => {
                for _ in 0..left / 2 {
                    b.string()?;
                    b.pass(v)?;
                }
                return Some(true);
            }
            _ => {}
        },
        Frame::Struct => {}
    }
    Some(false)
}

/// The end of the argument struct that starts at `b.at`.
fn body_end(mut b: Bytes<'_>, max_depth: u32) -> Option<usize> {
    let max_depth = (max_depth as usize).min(MAX_NESTING);
    if max_depth == 0 {
        return None;
    }
    let mut stack = [Frame::Struct; MAX_NESTING];
    let mut depth = 1;
    loop {
        // The innermost frame's values, up to its end or the first one
        // that opens a struct or container of its own.
        let opened = match &mut stack[depth - 1] {
            Frame::Struct => loop {
                let [code] = b.array()?;
                if code == 0 {
                    break None;
                }
                // The field id: any.
                b.pass(2)?;
                if let Opens::Frame(frame) = value(&mut b, code)? {
                    break Some(frame);
                }
            },
            Frame::Values { elem, left } => loop {
                if *left == 0 {
                    break None;
                }
                *left -= 1;
                if let Opens::Frame(frame) = value(&mut b, *elem)? {
                    break Some(frame);
                }
            },
            Frame::Entries {
                key,
                value: val,
                left,
            } => loop {
                if *left == 0 {
                    break None;
                }
                *left -= 1;
                let code = if *left % 2 == 1 { *key } else { *val };
                if let Opens::Frame(frame) = value(&mut b, code)? {
                    break Some(frame);
                }
            },
        };
        let Some(frame) = opened else {
            // The innermost frame ended.
            depth -= 1;
            if depth == 0 {
                return Some(b.at);
            }
            continue;
        };
        // One level deeper, as the decoders count (even for contents
        // passed over at once).
        if depth >= max_depth {
            return None;
        }
        if !pass_run(&mut b, frame)? {
            stack[depth] = frame;
            depth += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::binary::BinaryProtocol;
    use crate::protocol::{MessageHeader, MessageType, ProtocolWrite, TType};

    type W<'a> = BinaryProtocol<&'a mut Vec<u8>>;

    /// A call message whose argument struct has one field of type `t`,
    /// written by `value`, then a second field (an `i32`).
    fn message(t: TType, value: impl FnOnce(&mut W<'_>)) -> Vec<u8> {
        let mut out = Vec::new();
        let mut p = BinaryProtocol::new(&mut out, Limits::default().with_max_depth(1000));
        let header = MessageHeader {
            name: "call".into(),
            kind: MessageType::Call,
            seqid: 7,
        };
        p.write_message_begin(&header).unwrap();
        p.write_struct_begin("args").unwrap();
        p.write_field_begin("a", t, 1).unwrap();
        value(&mut p);
        p.write_field_begin("b", TType::I32, 2).unwrap();
        p.write_i32(-1).unwrap();
        p.write_field_stop().unwrap();
        p.write_struct_end().unwrap();
        out
    }

    fn small_struct(p: &mut W<'_>, n: i32) {
        p.write_struct_begin("s").unwrap();
        p.write_field_begin("n", TType::I32, 1).unwrap();
        p.write_i32(n).unwrap();
        p.write_field_begin("s", TType::String, 2).unwrap();
        p.write_string("name").unwrap();
        p.write_field_stop().unwrap();
    }

    /// One message per shape of value the pass treats its own way.
    fn shapes() -> Vec<(&'static str, Vec<u8>)> {
        vec![
            (
                "string",
                message(TType::String, |p| p.write_string("héllo").unwrap()),
            ),
            ("struct", message(TType::Struct, |p| small_struct(p, 3))),
            (
                "list<i64>",
                message(TType::List, |p| {
                    p.write_list_begin(TType::I64, 3).unwrap();
                    (0..3).for_each(|i| p.write_i64(i).unwrap());
                }),
            ),
            (
                "set<string>",
                message(TType::Set, |p| {
                    p.write_set_begin(TType::String, 3).unwrap();
                    ["a", "bb", ""]
                        .iter()
                        .for_each(|s| p.write_string(s).unwrap());
                }),
            ),
            (
                "list<struct>",
                message(TType::List, |p| {
                    p.write_list_begin(TType::Struct, 2).unwrap();
                    (0..2).for_each(|i| small_struct(p, i));
                }),
            ),
            (
                "list<list<i32>>",
                message(TType::List, |p| {
                    p.write_list_begin(TType::List, 2).unwrap();
                    for n in [0, 2] {
                        p.write_list_begin(TType::I32, n).unwrap();
                        (0..n).for_each(|i| p.write_i32(i as i32).unwrap());
                    }
                }),
            ),
            (
                "map<string,i32>",
                message(TType::Map, |p| {
                    p.write_map_begin(TType::String, TType::I32, 2).unwrap();
                    for (k, v) in [("k1", 1), ("key2", 2)] {
                        p.write_string(k).unwrap();
                        p.write_i32(v).unwrap();
                    }
                }),
            ),
            (
                "map<i16,double>",
                message(TType::Map, |p| {
                    p.write_map_begin(TType::I16, TType::Double, 2).unwrap();
                    for k in 0..2 {
                        p.write_i16(k).unwrap();
                        p.write_double(0.5).unwrap();
                    }
                }),
            ),
            (
                "map<struct,i32>",
                message(TType::Map, |p| {
                    p.write_map_begin(TType::Struct, TType::I32, 2).unwrap();
                    for k in 0..2 {
                        small_struct(p, k);
                        p.write_i32(k).unwrap();
                    }
                }),
            ),
            (
                "map<i32,string>",
                message(TType::Map, |p| {
                    p.write_map_begin(TType::I32, TType::String, 2).unwrap();
                    for k in 0..2 {
                        p.write_i32(k).unwrap();
                        p.write_string("v").unwrap();
                    }
                }),
            ),
            (
                "map<string,list<bool>>",
                message(TType::Map, |p| {
                    p.write_map_begin(TType::String, TType::List, 1).unwrap();
                    p.write_string("k").unwrap();
                    p.write_list_begin(TType::Bool, 2).unwrap();
                    p.write_bool(true).unwrap();
                    p.write_bool(false).unwrap();
                }),
            ),
            (
                "empty map<stop,stop>",
                message(TType::Map, |p| {
                    p.write_map_begin(TType::Stop, TType::Stop, 0).unwrap();
                }),
            ),
        ]
    }

    #[test]
    fn a_whole_message_is_found_and_its_prefixes_are_not() {
        let limits = Limits::default();
        for (shape, m) in shapes() {
            assert_eq!(message_len(&m, limits), Some(m.len()), "{shape}");
            // What a pipelining peer sent next does not count.
            let mut two = m.clone();
            two.extend_from_slice(&m);
            assert_eq!(
                message_len(&two, limits),
                Some(m.len()),
                "{shape}, pipelined"
            );
            for n in 0..m.len() {
                assert_eq!(message_len(&m[..n], limits), None, "{shape} at {n}");
            }
        }
    }

    #[test]
    fn limits_are_the_decoders() {
        for (shape, m) in shapes() {
            let size = Limits::default().with_max_message_size(m.len());
            assert_eq!(message_len(&m, size), Some(m.len()), "{shape}");
            let size = Limits::default().with_max_message_size(m.len() - 1);
            assert_eq!(message_len(&m, size), None, "{shape}");
        }
        // Nesting: the argument struct, a list, its structs.
        let m = &shapes()[4].1;
        assert_eq!(
            message_len(m, Limits::default().with_max_depth(3)),
            Some(m.len())
        );
        assert_eq!(message_len(m, Limits::default().with_max_depth(2)), None);
        assert_eq!(message_len(m, Limits::default().with_max_depth(0)), None);
    }

    #[test]
    fn malformed_input_is_not_whole() {
        let limits = Limits::default();
        let good = &shapes()[3].1; // set<string>
        let at = 12 + 4; // the header of the first field
        let cases: [(&str, usize, u8); 5] = [
            ("a field type code that is no type", at, 5),
            ("a VOID field", at, 1),
            ("an element type code that is no type", at + 3, 9),
            ("STOP elements", at + 3, 0),
            ("a negative count", at + 4, 0x80),
        ];
        for (what, i, b) in cases {
            let mut m = good.clone();
            m[i] = b;
            assert_eq!(message_len(&m, limits), None, "{what}");
        }
        // A bad version word, message type or name.
        for (i, b) in [(1, 2), (3, 0), (3, 5), (8, 0xff)] {
            let mut m = good.clone();
            m[i] = b;
            assert_eq!(message_len(&m, limits), None, "byte {i} = {b}");
        }
        // A count of elements that cannot all be there.
        let mut m = good.clone();
        m[at + 7] = 200;
        assert_eq!(message_len(&m, limits), None);
    }

    #[test]
    fn nesting_past_what_the_pass_follows_is_left_to_the_resumable_check() {
        let deep = |levels: usize| {
            message(TType::List, |p| {
                for _ in 1..levels {
                    p.write_list_begin(TType::List, 1).unwrap();
                }
                p.write_list_begin(TType::I32, 0).unwrap();
            })
        };
        let limits = Limits::default().with_max_depth(1000);
        // The argument struct and `levels` lists.
        let m = deep(MAX_NESTING - 1);
        assert_eq!(message_len(&m, limits), Some(m.len()));
        assert_eq!(message_len(&deep(MAX_NESTING), limits), None);
    }
}
