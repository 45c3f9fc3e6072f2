//! The length of an unframed compact message that arrived whole, found in
//! one pass over its bytes: [`binary_len`](super::binary_len)'s counterpart
//! for the compact protocol, with the same contract. Its answer is the
//! resumable check's on the same bytes (`Some(len)` for a whole message,
//! `None` for part of one, a malformed one, or one nested deeper than
//! [`MAX_NESTING`](super::first_pass::MAX_NESTING)), so the rules are that
//! check's and the decoders': varints of at most their width, field id
//! deltas that stay in range, `bool` bytes of 0 to 2, counts, nesting and
//! the size limit.

use super::first_pass::{Bytes, Field, Frame, Opens, Skim, body_end};
use crate::limits::Limits;

// Element type codes (a field header's codes are the same, except that
// both `bool` codes hold the field's value).
const BOOL: u8 = 1;
const BOOL_FALSE: u8 = 2;
const I8: u8 = 3;
const I16: u8 = 4;
const I32: u8 = 5;
const I64: u8 = 6;
const DOUBLE: u8 = 7;
const STRING: u8 = 8;
const LIST: u8 = 9;
const SET: u8 = 10;
const MAP: u8 = 11;
const STRUCT: u8 = 12;
const UUID: u8 = 13;

/// The bytes a value of element type `code` takes when every byte string
/// of that length is a valid value.
#[inline]
fn fixed_size(code: u8) -> Option<usize> {
    match code {
        I8 => Some(1),
        DOUBLE => Some(8),
        UUID => Some(16),
        _ => None,
    }
}

/// The fewest bytes a value of element type `code` takes, `None` for a
/// code that is no type; 0 for STOP, which no value has.
#[inline]
fn min_size(code: u8) -> Option<usize> {
    Some(match code {
        0 => 0,
        DOUBLE => 8,
        UUID => 16,
        1..=13 => 1,
        _ => return None,
    })
}

/// A varint of at most `width` bytes whose last byte is at most `last_max`
/// when it takes all of them.
#[inline]
fn varint(b: &mut Bytes<'_>, width: usize, last_max: u8) -> Option<u64> {
    let mut out = 0u64;
    for i in 0..width {
        let byte = b.byte()?;
        if i + 1 == width {
            return (byte <= last_max).then_some(out | (byte as u64) << (7 * i));
        }
        out |= ((byte & 0x7f) as u64) << (7 * i);
        if byte & 0x80 == 0 {
            return Some(out);
        }
    }
    None
}

#[inline]
fn varint32(b: &mut Bytes<'_>) -> Option<u32> {
    varint(b, 5, 0x0f).map(|v| v as u32)
}

/// A zigzag `i16` (a field id or an `i16` value).
#[inline]
fn i16(b: &mut Bytes<'_>) -> Option<i16> {
    let v = varint32(b)?;
    i16::try_from(((v >> 1) as i32) ^ -((v & 1) as i32)).ok()
}

/// A string or binary value: its length, then as many bytes.
#[inline]
fn string(b: &mut Bytes<'_>) -> Option<()> {
    let n = usize::try_from(varint32(b)? as i32).ok()?;
    b.pass(n)
}

/// The length of the unframed compact message at the start of `bytes`, if
/// all of it is there and well-formed (see the module's docs).
pub(crate) fn message_len(bytes: &[u8], limits: Limits) -> Option<usize> {
    let mut b = Bytes::new(bytes, limits.max_message_size());
    if b.byte()? != 0x82 {
        return None;
    }
    let version = b.byte()?;
    if version & 0x1f != 1 || !(1..=4).contains(&(version >> 5)) {
        return None;
    }
    // The seqid, then the name.
    varint32(&mut b)?;
    let len = usize::try_from(varint32(&mut b)? as i32).ok()?;
    b.name(len)?;
    body_end::<Compact>(b, limits.max_depth())
}

/// The compact protocol's tokens.
struct Compact;

impl Skim for Compact {
    #[inline(always)]
    fn field(b: &mut Bytes<'_>, last_id: &mut i16) -> Option<Field> {
        let h = b.byte()?;
        if h == 0 {
            return Some(Field::Stop);
        }
        let delta = (h >> 4) as i16;
        *last_id = if delta != 0 {
            last_id.checked_add(delta)?
        } else {
            i16(b)?
        };
        match h & 0x0f {
            // A bool: its value is in the header.
            BOOL | BOOL_FALSE => Some(Field::Done),
            code @ I8..=UUID => Some(Field::Value(code)),
            _ => None,
        }
    }

    #[inline(always)]
    fn value(b: &mut Bytes<'_>, code: u8) -> Option<Opens> {
        if let Some(size) = fixed_size(code) {
            b.pass(size)?;
            return Some(Opens::Nothing);
        }
        match code {
            BOOL | BOOL_FALSE => {
                if b.byte()? > 2 {
                    return None;
                }
            }
            I16 => {
                i16(b)?;
            }
            I32 => {
                varint32(b)?;
            }
            I64 => {
                varint(b, 10, 0x01)?;
            }
            STRING => string(b)?,
            STRUCT => return Some(Opens::Frame(Frame::Struct { last_id: 0 })),
            LIST | SET => {
                let h = b.byte()?;
                let elem = h & 0x0f;
                let n = match h >> 4 {
                    15 => varint32(b)? as i32,
                    n => n as i32,
                };
                let left = b.count(n, min_size(elem)?)?;
                return Some(Opens::Frame(Frame::Values { elem, left }));
            }
            MAP => {
                let n = varint32(b)? as i32;
                if n == 0 {
                    return Some(Opens::Frame(Frame::Entries {
                        key: 0,
                        value: 0,
                        left: 0,
                    }));
                }
                let h = b.byte()?;
                let (key, value) = (h >> 4, h & 0x0f);
                let (k, v) = (min_size(key)?, min_size(value)?);
                let min = if k == 0 || v == 0 { 0 } else { k + v };
                let left = b.count(n, min)?;
                return Some(Opens::Frame(Frame::Entries {
                    key,
                    value,
                    left: left * 2,
                }));
            }
            // STOP as a value, or no type.
            _ => return None,
        }
        Some(Opens::Nothing)
    }

    #[inline(always)]
    fn pass_run(b: &mut Bytes<'_>, frame: Frame) -> Option<bool> {
        match frame {
            Frame::Values { elem, left } => {
                if let Some(size) = fixed_size(elem) {
                    b.pass(size * left)?;
                    return Some(true);
                }
                if elem == STRING {
                    for _ in 0..left {
                        string(b)?;
                    }
                    return Some(true);
                }
            }
            Frame::Entries { key, value, left } => {
                if let (Some(k), Some(v)) = (fixed_size(key), fixed_size(value)) {
                    b.pass((k + v) * (left / 2))?;
                    return Some(true);
                }
            }
            Frame::Struct { .. } => {}
        }
        Some(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::compact::CompactProtocol;
    use crate::protocol::{MessageHeader, MessageType, ProtocolWrite, TType};

    type W<'a> = CompactProtocol<&'a mut Vec<u8>>;

    /// A call message whose argument struct has a field of type `t` with
    /// id `id`, written by `value`, then a `bool` field and an `i32` one.
    fn message(t: TType, id: i16, value: impl FnOnce(&mut W<'_>)) -> Vec<u8> {
        let mut out = Vec::new();
        let mut p = CompactProtocol::new(&mut out, Limits::default().with_max_depth(1000));
        let header = MessageHeader {
            name: "call".into(),
            kind: MessageType::Call,
            seqid: 300,
        };
        p.write_message_begin(&header).unwrap();
        p.write_struct_begin("args").unwrap();
        p.write_field_begin("a", t, id).unwrap();
        value(&mut p);
        p.write_field_end().unwrap();
        p.write_field_begin("b", TType::Bool, id.wrapping_add(1))
            .unwrap();
        p.write_bool(true).unwrap();
        p.write_field_end().unwrap();
        p.write_field_begin("c", TType::I32, id.wrapping_add(2))
            .unwrap();
        p.write_i32(-1).unwrap();
        p.write_field_end().unwrap();
        p.write_field_stop().unwrap();
        p.write_struct_end().unwrap();
        out
    }

    fn small_struct(p: &mut W<'_>, n: i32) {
        p.write_struct_begin("s").unwrap();
        p.write_field_begin("n", TType::I32, 1).unwrap();
        p.write_i32(n).unwrap();
        p.write_field_end().unwrap();
        p.write_field_begin("s", TType::String, 20).unwrap();
        p.write_string("name").unwrap();
        p.write_field_end().unwrap();
        p.write_field_stop().unwrap();
        p.write_struct_end().unwrap();
    }

    /// One message per shape of value the pass treats its own way.
    fn shapes() -> Vec<(&'static str, Vec<u8>)> {
        vec![
            (
                "string",
                message(TType::String, 1, |p| p.write_string("héllo").unwrap()),
            ),
            (
                "i16",
                message(TType::I16, 1, |p| p.write_i16(-300).unwrap()),
            ),
            (
                "i64",
                message(TType::I64, 1, |p| p.write_i64(i64::MIN).unwrap()),
            ),
            (
                "double",
                message(TType::Double, 1, |p| p.write_double(0.5).unwrap()),
            ),
            (
                "a long field id",
                message(TType::I8, 1000, |p| p.write_i8(1).unwrap()),
            ),
            (
                "a negative field id",
                message(TType::I8, -5, |p| p.write_i8(1).unwrap()),
            ),
            ("struct", message(TType::Struct, 1, |p| small_struct(p, 3))),
            (
                "list<bool>",
                message(TType::List, 1, |p| {
                    p.write_list_begin(TType::Bool, 3).unwrap();
                    [true, false, true]
                        .iter()
                        .for_each(|b| p.write_bool(*b).unwrap());
                    p.write_list_end().unwrap();
                }),
            ),
            (
                "list<i32> of 20",
                message(TType::List, 1, |p| {
                    p.write_list_begin(TType::I32, 20).unwrap();
                    (0..20).for_each(|i| p.write_i32(i * 1000).unwrap());
                    p.write_list_end().unwrap();
                }),
            ),
            (
                "set<string>",
                message(TType::Set, 1, |p| {
                    p.write_set_begin(TType::String, 3).unwrap();
                    ["a", "bb", ""]
                        .iter()
                        .for_each(|s| p.write_string(s).unwrap());
                    p.write_set_end().unwrap();
                }),
            ),
            (
                "list<double>",
                message(TType::List, 1, |p| {
                    p.write_list_begin(TType::Double, 2).unwrap();
                    (0..2).for_each(|_| p.write_double(1.5).unwrap());
                    p.write_list_end().unwrap();
                }),
            ),
            (
                "list<struct>",
                message(TType::List, 1, |p| {
                    p.write_list_begin(TType::Struct, 2).unwrap();
                    (0..2).for_each(|i| small_struct(p, i));
                    p.write_list_end().unwrap();
                }),
            ),
            (
                "map<string,i32>",
                message(TType::Map, 1, |p| {
                    p.write_map_begin(TType::String, TType::I32, 2).unwrap();
                    for (k, v) in [("k1", 1), ("key2", 2)] {
                        p.write_string(k).unwrap();
                        p.write_i32(v).unwrap();
                    }
                    p.write_map_end().unwrap();
                }),
            ),
            (
                "map<i8,double>",
                message(TType::Map, 1, |p| {
                    p.write_map_begin(TType::I8, TType::Double, 2).unwrap();
                    for k in 0..2 {
                        p.write_i8(k).unwrap();
                        p.write_double(0.5).unwrap();
                    }
                    p.write_map_end().unwrap();
                }),
            ),
            (
                "map<struct,bool>",
                message(TType::Map, 1, |p| {
                    p.write_map_begin(TType::Struct, TType::Bool, 2).unwrap();
                    for k in 0..2 {
                        small_struct(p, k);
                        p.write_bool(k == 0).unwrap();
                    }
                    p.write_map_end().unwrap();
                }),
            ),
            (
                "empty map",
                message(TType::Map, 1, |p| {
                    p.write_map_begin(TType::I32, TType::I32, 0).unwrap();
                    p.write_map_end().unwrap();
                }),
            ),
        ]
    }

    #[test]
    fn a_whole_message_is_found_and_its_prefixes_are_not() {
        let limits = Limits::default();
        for (shape, m) in shapes() {
            assert_eq!(message_len(&m, limits), Some(m.len()), "{shape}");
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
        let m = &shapes()[11].1; // list<struct>
        assert_eq!(
            message_len(m, Limits::default().with_max_depth(3)),
            Some(m.len())
        );
        assert_eq!(message_len(m, Limits::default().with_max_depth(2)), None);
        assert_eq!(message_len(m, Limits::default().with_max_depth(0)), None);
    }

    /// Where the bytes of the first field's value start in [`message`]'s
    /// output (header: 0x82, version, seqid 300 in two bytes, name length,
    /// "call"; then the field header with a delta of 1).
    const VALUE: usize = 2 + 2 + 1 + 4 + 1;

    #[test]
    fn malformed_input_is_not_whole() {
        let limits = Limits::default();
        let edit = |shape: usize, at: usize, b: u8| {
            let mut m = shapes()[shape].1.clone();
            m[at] = b;
            m
        };
        let cases = [
            ("a bool element of 3", edit(7, VALUE + 1, 3)),
            (
                "a field type code that is no type",
                edit(0, VALUE - 1, 0x1e),
            ),
            ("a field type STOP with a delta", edit(0, VALUE - 1, 0x10)),
            ("an element type code that is no type", edit(9, VALUE, 0x3e)),
            ("STOP elements", edit(9, VALUE, 0x30)),
            ("a map key type that is no type", edit(12, VALUE + 1, 0xe5)),
            ("a bad version", edit(0, 1, 0x22)),
            ("version 0", edit(0, 1, 0x20)),
            ("a bad message type", edit(0, 1, 0xa1)),
            ("not compact", edit(0, 0, 0x80)),
            ("a name that is not UTF-8", edit(0, 6, 0xff)),
        ];
        for (what, m) in cases {
            assert_eq!(message_len(&m, limits), None, "{what}");
        }
        // Varints longer than their type allows: an i16 out of range, an
        // i32 and an i64 of too many bytes.
        let field = |code: u8, value: &[u8]| {
            let mut m = shapes()[0].1[..VALUE - 1].to_vec();
            m.push(0x10 | code);
            m.extend(value);
            m.push(0);
            m
        };
        assert_eq!(message_len(&field(4, &[0x02]), limits), Some(VALUE + 2));
        assert_eq!(message_len(&field(4, &[0x80, 0x80, 0x04]), limits), None);
        assert_eq!(
            message_len(
                &field(
                    5,
                    &[0xff; 4].iter().chain(&[0x0f]).copied().collect::<Vec<_>>()
                ),
                limits
            ),
            Some(VALUE + 6)
        );
        assert_eq!(
            message_len(&field(5, &[0xff, 0xff, 0xff, 0xff, 0x1f]), limits),
            None
        );
        let mut long = vec![0xff; 9];
        long.push(0x01);
        assert_eq!(message_len(&field(6, &long), limits), Some(VALUE + 11));
        long[9] = 0x02;
        assert_eq!(message_len(&field(6, &long), limits), None);
        // A field id delta past `i16::MAX`.
        let mut m = shapes()[0].1[..VALUE - 1].to_vec();
        m.extend([0x03, 0xfc, 0xff, 0x03, 0x01]); // i8 field 32766
        m.extend([0x23, 0x01]); // i8 field +2: past the end of i16
        m.push(0);
        assert_eq!(message_len(&m, limits), None);
        m[VALUE + 4] = 0x13; // +1: 32767
        assert_eq!(message_len(&m, limits), Some(m.len()));
    }
}
