//! Compact protocol byte vectors, written by hand from Apache Thrift's
//! `doc/specs/thrift-compact-protocol.md`: zigzag varints, field-id deltas,
//! bools folded into field headers, little-endian doubles.

mod wire_support;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt::Debug;

use thriftc_runtime::protocol::{MessageHeader, MessageType, ProtocolRead, ProtocolWrite, TType};
use thriftc_runtime::{
    ApplicationError, ApplicationErrorKind, CompactProtocol, Decode, Encode, Limits,
    ProtocolErrorKind, VecMap, VecSet, compact,
};
use wire_support::{AllTypes, Inner, UUID, all_types, bytes, inner};

#[track_caller]
fn check<T: Encode + Decode + PartialEq + Debug>(value: T, expected: &str) {
    let expected = bytes(expected);
    let got = compact::encode(&value).expect("encode");
    assert_eq!(got, expected, "encoding of {value:?}");
    let back: T = compact::decode(&expected).expect("decode");
    assert_eq!(back, value);
}

#[track_caller]
fn decode_err<T: Decode + Debug>(b: &str) -> ProtocolErrorKind {
    let e = compact::decode::<T>(&bytes(b)).unwrap_err();
    e.protocol_kind()
        .unwrap_or_else(|| panic!("expected a protocol error, got {e}"))
}

crate::thrift_struct!(Flags {
    1 => a: bool,
    2 => b: bool,
    20 => c: bool,
});

crate::thrift_struct!(Outer {
    1 => inner: Inner,
    2 => after: i32,
});

crate::thrift_struct!(Ids {
    -1 => neg: i8,
    15 => fifteen: i8,
    16 => sixteen: i8,
    32767 => max: i8,
});

#[test]
fn base_types() {
    check(-7i8, "f9");
    check(0i16, "00");
    check(-1i16, "01");
    check(1i16, "02");
    check(-12345i16, "f1 c0 01");
    check(i16::MIN, "ff ff 03");
    check(-1234567i32, "8d da 96 01");
    check(i32::MAX, "fe ff ff ff 0f");
    check(i32::MIN, "ff ff ff ff 0f");
    check(-1234567890123i64, "95 93 d8 9f ee 47");
    check(i64::MIN, "ff ff ff ff ff ff ff ff ff 01");
    check(i64::MAX, "fe ff ff ff ff ff ff ff ff 01");
    check(3.25f64, "00 00 00 00 00 00 0a 40");
    check("h\u{e9}llo".to_string(), "06 68 c3 a9 6c 6c 6f");
    check(String::new(), "00");
    check(vec![0u8, 0xff, 0x80], "03 00 ff 80");
    check(UUID, "12 34 56 78 9a bc de f0 01 23 45 67 89 ab cd ef");
    check(Box::new(-2i32), "03");
}

#[test]
fn varint_of_50399_matches_the_spec_example() {
    // The spec encodes the varint 50399 as DF 89 03; 50399 is the zigzag
    // form of -25200.
    check(-25200i32, "df 89 03");
}

#[test]
fn lists_and_sets() {
    check(vec![1i32, -1], "25 02 01");
    check(Vec::<i32>::new(), "05");
    check(
        vec![0i32; 14],
        "e5 00 00 00 00 00 00 00 00 00 00 00 00 00 00",
    );
    check(
        vec![0i32; 15],
        "f5 0f 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00",
    );
    check(vec![0.5f64], "17 00 00 00 00 00 00 e0 3f");
    check(vec![vec![1i8]], "19 13 01");
    check(
        vec![UUID],
        "1d 12 34 56 78 9a bc de f0 01 23 45 67 89 ab cd ef",
    );
    let s: BTreeSet<String> = ["a".to_string()].into();
    check(s, "18 01 61");
    let h: HashSet<i64> = [3].into();
    check(h, "16 06");
    check(VecSet(vec![2i16, 2]), "24 04 04");
}

#[test]
fn bool_list_elements_are_written_1_0_and_read_in_both_encodings() {
    check(vec![true, false], "21 01 00");
    // Element type 2 and values 1/2 (BOOLEAN_TRUE / BOOLEAN_FALSE), as some
    // libraries write them.
    assert_eq!(
        compact::decode::<Vec<bool>>(&bytes("22 01 02")).unwrap(),
        [true, false]
    );
    assert_eq!(
        compact::decode::<Vec<bool>>(&bytes("21 01 02")).unwrap(),
        [true, false]
    );
    assert_eq!(
        compact::decode::<Vec<bool>>(&bytes("22 01 00")).unwrap(),
        [true, false]
    );
    assert_eq!(
        decode_err::<Vec<bool>>("11 03"),
        ProtocolErrorKind::InvalidData
    );
}

#[test]
fn maps() {
    let m: BTreeMap<String, i32> = [("k".to_string(), 1)].into();
    check(m, "01 85 01 6b 02");
    check(HashMap::<i32, String>::new(), "00");
    let h: HashMap<i8, bool> = [(1, false)].into();
    check(h, "01 31 01 00");
    check(
        VecMap(vec![(0.5f64, 1i32)]),
        "01 75 00 00 00 00 00 00 e0 3f 02",
    );
}

#[test]
fn structs_use_field_id_deltas() {
    check(inner(7, "inner"), "15 0e | 18 05 69 6e 6e 65 72 | 00");
    check(Inner::default(), "00");
    // Delta above 15 and large ids use the long form: type byte, zigzag id.
    let v = AllTypes {
        i32v: Some(1),
        far: Some(1),
        farther: Some(-1),
        ..AllTypes::default()
    };
    check(v, "55 02 | 05 50 02 | 05 d8 04 01 | 00");
    // Negative ids, a delta of exactly 15, a delta of 1, and id 32767.
    let ids = Ids {
        neg: Some(1),
        fifteen: Some(2),
        sixteen: Some(3),
        max: Some(4),
    };
    check(ids, "03 01 01 | 03 1e 02 | 13 03 | 03 fe ff 03 04 | 00");
}

#[test]
fn nested_struct_restores_the_outer_field_id() {
    let v = Outer {
        inner: Some(inner(1, "")),
        after: Some(5),
    };
    check(v, "1c | 15 02 18 00 00 | 15 0a | 00");
}

#[test]
fn bools_fold_into_field_headers() {
    let v = Flags {
        a: Some(true),
        b: Some(false),
        c: Some(true),
    };
    check(v, "11 12 | 01 28 | 00");
    let all = all_types(true);
    let b = compact::encode(&all).unwrap();
    assert_eq!(&b[..2], &bytes("11 12")[..], "fields 1: true, 2: false");
}

#[test]
fn full_struct_round_trips() {
    let v = all_types(true);
    let b = compact::encode(&v).unwrap();
    assert_eq!(compact::decode::<AllTypes>(&b).unwrap(), v);
    // Everything skipped when decoded as a struct that knows none of it.
    assert_eq!(compact::decode::<Inner>(&b).unwrap(), Inner::default());
}

#[test]
fn message_headers() {
    let mut out = Vec::new();
    let mut p = CompactProtocol::new(&mut out, Limits::default());
    for (kind, seqid) in [
        (MessageType::Call, 12345),
        (MessageType::Reply, 0),
        (MessageType::Exception, 1),
        (MessageType::Oneway, -1),
    ] {
        p.write_message_begin(&MessageHeader {
            name: "echo".into(),
            kind,
            seqid,
        })
        .unwrap();
        p.write_message_end().unwrap();
    }
    p.flush().unwrap();
    assert_eq!(
        out,
        bytes(
            "82 21 b9 60 04 65 63 68 6f \
             82 41 00 04 65 63 68 6f \
             82 61 01 04 65 63 68 6f \
             82 81 ff ff ff ff 0f 04 65 63 68 6f"
        )
    );
    let mut r = CompactProtocol::new(&out[..], Limits::default());
    let seen: Vec<_> = (0..4)
        .map(|_| {
            let h = r.read_message_begin().unwrap();
            (h.kind, h.seqid)
        })
        .collect();
    assert_eq!(
        seen,
        [
            (MessageType::Call, 12345),
            (MessageType::Reply, 0),
            (MessageType::Exception, 1),
            (MessageType::Oneway, -1)
        ]
    );
}

#[test]
fn message_with_bool_fields_then_next_message() {
    // Field-id state is reset per message.
    let mut out = Vec::new();
    let mut p = CompactProtocol::new(&mut out, Limits::default());
    for seqid in 0..2 {
        p.write_message_begin(&MessageHeader {
            name: "f".into(),
            kind: MessageType::Call,
            seqid,
        })
        .unwrap();
        Flags {
            a: Some(false),
            ..Flags::default()
        }
        .encode(&mut p)
        .unwrap();
        p.write_message_end().unwrap();
    }
    assert_eq!(out, bytes("82 21 00 01 66 12 00 | 82 21 01 01 66 12 00"));
    let mut r = CompactProtocol::new(&out[..], Limits::default());
    for seqid in 0..2 {
        assert_eq!(r.read_message_begin().unwrap().seqid, seqid);
        assert_eq!(Flags::decode(&mut r).unwrap().a, Some(false));
    }
}

#[test]
fn application_error() {
    let e = ApplicationError::new(ApplicationErrorKind::InternalError, "no");
    check(e, "18 02 6e 6f | 15 0c | 00");
}

#[test]
fn skip_each_type() {
    let cases: &[(TType, &str)] = &[
        (TType::Bool, "01"),
        (TType::I8, "01"),
        (TType::I16, "ff 01"),
        (TType::I32, "ff ff 01"),
        (TType::I64, "ff ff ff ff ff ff ff ff ff 01"),
        (TType::Double, "00 00 00 00 00 00 00 01"),
        (TType::String, "02 ff fe"),
        (
            TType::Uuid,
            "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00",
        ),
        (TType::Struct, "15 02 11 1c 00 00"),
        (TType::List, "18 00"),
        (TType::Set, "21 01 02"),
        (TType::Map, "01 8b 00 00"),
    ];
    for (t, b) in cases {
        let b = bytes(b);
        let mut p = CompactProtocol::new(&b[..], Limits::default());
        p.skip(*t).unwrap_or_else(|e| panic!("skip {t:?}: {e}"));
        assert!(p.get_ref().is_empty(), "skip {t:?} left bytes");
    }
}

/// A list or set of each element type (fixed-size ones are skipped in one
/// step) is skipped to its end, no further; cut short, it fails.
#[test]
fn skip_lists_and_sets_of_each_element_type() {
    wire_support::check_skips_of_lists_and_sets(
        || CompactProtocol::new(Vec::new(), Limits::default()),
        CompactProtocol::into_inner,
        |b, t| {
            let mut p = CompactProtocol::new(b, Limits::default());
            p.skip(t)?;
            Ok(p.get_ref().len())
        },
    );
}

#[test]
fn i16_out_of_range_is_invalid_data() {
    assert_eq!(
        decode_err::<i16>("80 80 04"),
        ProtocolErrorKind::InvalidData
    );
}

#[test]
fn deep_nesting_round_trips_field_ids() {
    // 40 levels, each with a field after the nested one: the outer field
    // ids must be restored on the way back up.
    let mut n = wire_support::Node {
        value: Some(0),
        next: None,
    };
    for i in 1..40 {
        n = wire_support::Node {
            value: Some(i),
            next: Some(Box::new(n)),
        };
    }
    crate::thrift_struct!(Wrap {
        1 => node: wire_support::Node,
        2 => after: i32,
    });
    let w = Wrap {
        node: Some(n),
        after: Some(9),
    };
    let b = compact::encode(&w).unwrap();
    assert_eq!(compact::decode::<Wrap>(&b).unwrap(), w);
    assert_eq!(&b[b.len() - 3..], &[0x15, 0x12, 0x00]);
}
