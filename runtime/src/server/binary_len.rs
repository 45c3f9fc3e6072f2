//! The length of an unframed binary message that arrived whole, found in
//! one pass over its bytes: the common case of the completeness check
//! ([`Check`](super::complete::Check)), which the event-driven mode and the
//! async server and client run before they decode a message.
//!
//! The resumable check keeps its place between reads, so each token costs
//! it a step through its state; a message that is all there needs none of
//! that (see [`first_pass`](super::first_pass) for the walk both protocols
//! share). For the bench's 1 KB `echo` request: about 3,200 instructions,
//! against about 13,000 for the resumable check and 4,600 for a skip
//! through the binary decoder.
//!
//! The answer is the resumable check's on the same bytes: `Some(len)` where
//! it finds a whole message of `len` bytes, `None` where it finds part of
//! one or a malformed one (and, beyond
//! [`MAX_NESTING`](super::first_pass::MAX_NESTING), where it would find
//! a whole one): the caller then runs the resumable check, which tells
//! those apart. So the rules are the same: the decoders' type codes,
//! counts, nesting limit and size limit.

use super::first_pass::{Bytes, Field, Frame, Opens, Skim, body_end};
use crate::limits::Limits;

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

#[inline]
fn i32(b: &mut Bytes<'_>) -> Option<i32> {
    b.array().map(i32::from_be_bytes)
}

/// A string or binary value: its length, then as many bytes.
#[inline]
fn string(b: &mut Bytes<'_>) -> Option<()> {
    let n = usize::try_from(i32(b)?).ok()?;
    b.pass(n)
}

/// The length of the unframed binary message at the start of `bytes`, if
/// all of it is there and well-formed (see the module's docs).
pub(crate) fn message_len(bytes: &[u8], limits: Limits) -> Option<usize> {
    let mut b = Bytes::new(bytes, limits.max_message_size());
    let word = i32(&mut b)?;
    let name_len = if word < 0 {
        let w = word as u32;
        if w & 0xffff_0000 != 0x8001_0000 || !(1..=4).contains(&(w & 0xff)) {
            return None;
        }
        i32(&mut b)?
    } else {
        word
    };
    b.name(usize::try_from(name_len).ok()?)?;
    if word >= 0 && !(1..=4).contains(&b.byte()?) {
        return None;
    }
    // The seqid.
    b.pass(4)?;
    body_end::<Binary>(b, limits.max_depth())
}

/// The binary protocol's tokens.
struct Binary;

impl Skim for Binary {
    #[inline(always)]
    fn field(b: &mut Bytes<'_>, _: &mut i16) -> Option<Field> {
        let code = b.byte()?;
        if code == 0 {
            return Some(Field::Stop);
        }
        // The field id: any.
        b.pass(2)?;
        Some(Field::Value(code))
    }

    #[inline(always)]
    fn value(b: &mut Bytes<'_>, code: u8) -> Option<Opens> {
        if let Some(size) = fixed_size(code) {
            b.pass(size)?;
            return Some(Opens::Nothing);
        }
        Some(match code {
            11 => {
                string(b)?;
                Opens::Nothing
            }
            12 => Opens::Frame(Frame::Struct { last_id: 0 }),
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
                        string(b)?;
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
                        string(b)?;
                        b.pass(v)?;
                    }
                    return Some(true);
                }
                _ => {}
            },
            Frame::Struct { .. } => {}
        }
        Some(false)
    }
}

#[cfg(test)]
mod tests {
    use super::super::first_pass::MAX_NESTING;
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
