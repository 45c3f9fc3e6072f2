//! Binary protocol byte vectors, written by hand from Apache Thrift's
//! `doc/specs/thrift-binary-protocol.md`: every value type is encoded to the
//! expected bytes and decoded back.

mod wire_support;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt::Debug;

use thriftc_runtime::protocol::{MessageHeader, MessageType, ProtocolRead, ProtocolWrite, TType};
use thriftc_runtime::{
    ApplicationError, ApplicationErrorKind, BinaryProtocol, Decode, Encode, Limits,
    ProtocolErrorKind, Uuid, VecMap, VecSet, binary,
};
use wire_support::{AllTypes, Inner, UUID, all_types, bytes, inner};

#[track_caller]
fn check<T: Encode + Decode + PartialEq + Debug>(value: T, expected: &str) {
    let expected = bytes(expected);
    let got = binary::encode(&value).expect("encode");
    assert_eq!(got, expected, "encoding of {value:?}");
    let back: T = binary::decode(&expected).expect("decode");
    assert_eq!(back, value);
}

#[test]
fn base_types() {
    check(true, "01");
    check(false, "00");
    check(-7i8, "f9");
    check(-12345i16, "cf c7");
    check(-1234567i32, "ff ed 29 79");
    check(i32::MIN, "80 00 00 00");
    check(-1234567890123i64, "ff ff fe e0 8e 04 fb 35");
    check(3.25f64, "40 0a 00 00 00 00 00 00");
    check(-0.0f64, "80 00 00 00 00 00 00 00");
    check("h\u{e9}llo".to_string(), "00 00 00 06 | 68 c3 a9 6c 6c 6f");
    check(String::new(), "00 00 00 00");
    check(vec![0u8, 0xff, 0x80], "00 00 00 03 | 00 ff 80");
    check(UUID, "12 34 56 78 9a bc de f0 01 23 45 67 89 ab cd ef");
    check(Box::new(5i32), "00 00 00 05");
}

#[test]
fn any_nonzero_byte_reads_as_true() {
    assert!(binary::decode::<bool>(&[2]).unwrap());
    assert!(binary::decode::<bool>(&[0xff]).unwrap());
}

#[test]
fn nan_round_trips_bit_exactly() {
    let nan = f64::from_bits(0x7ff8_0000_0000_0001);
    let b = binary::encode(&nan).unwrap();
    assert_eq!(b, bytes("7f f8 00 00 00 00 00 01"));
    assert_eq!(binary::decode::<f64>(&b).unwrap().to_bits(), nan.to_bits());
}

#[test]
fn lists() {
    check(vec![1i32, -1], "08 00 00 00 02 | 00 00 00 01 | ff ff ff ff");
    check(Vec::<String>::new(), "0b 00 00 00 00");
    check(vec![true, false], "02 00 00 00 02 | 01 00");
    check(
        vec![vec![1i8], vec![]],
        "0f 00 00 00 02 | 03 00 00 00 01 01 | 03 00 00 00 00",
    );
    check(
        vec![UUID],
        "10 00 00 00 01 | 12 34 56 78 9a bc de f0 01 23 45 67 89 ab cd ef",
    );
    check(vec![vec![0xabu8]], "0b 00 00 00 01 | 00 00 00 01 ab");
}

#[test]
fn sets() {
    let s: BTreeSet<String> = ["a".to_string(), "b".to_string()].into();
    check(s, "0b 00 00 00 02 | 00 00 00 01 61 | 00 00 00 01 62");
    let h: HashSet<i16> = [5].into();
    check(h, "06 00 00 00 01 | 00 05");
    check(
        VecSet(vec![1.0f64, 1.0]),
        "04 00 00 00 02 | 3f f0 00 00 00 00 00 00 | 3f f0 00 00 00 00 00 00",
    );
    check(VecSet::<i64>::new(), "0a 00 00 00 00");
}

#[test]
fn maps() {
    let m: BTreeMap<String, i32> = [("k".to_string(), 1)].into();
    check(m, "0b 08 00 00 00 01 | 00 00 00 01 6b | 00 00 00 01");
    let h: HashMap<i8, bool> = [(1, true)].into();
    check(h, "03 02 00 00 00 01 | 01 01");
    check(
        VecMap(vec![(0.5f64, vec![1i64])]),
        "04 0f 00 00 00 01 | 3f e0 00 00 00 00 00 00 | 0a 00 00 00 01 00 00 00 00 00 00 00 01",
    );
    check(BTreeMap::<i32, i32>::new(), "08 08 00 00 00 00");
}

#[test]
fn ordered_collections_read_any_order_and_keep_the_last_repeat() {
    // A peer may send elements in any order and repeat keys: the map keeps
    // the last value of a key (as inserting one by one does), both come out
    // sorted.
    let m: BTreeMap<i32, i32> =
        binary::decode(&bytes("08 08 00 00 00 04 | 00 00 00 09 00 00 00 01 | 00 00 00 02 00 00 00 02 | 00 00 00 09 00 00 00 03 | 00 00 00 05 00 00 00 04")).unwrap();
    assert_eq!(m.into_iter().collect::<Vec<_>>(), [(2, 2), (5, 4), (9, 3)]);
    let s: BTreeSet<i16> =
        binary::decode(&bytes("06 00 00 00 04 | 00 07 | 00 03 | 00 07 | 00 01")).unwrap();
    assert_eq!(s.into_iter().collect::<Vec<_>>(), [1, 3, 7]);
}

#[test]
fn empty_containers_accept_any_element_type() {
    // Some writers put STOP or another type in the header of an empty container.
    assert_eq!(
        binary::decode::<Vec<i32>>(&bytes("00 00 00 00 00")).unwrap(),
        vec![]
    );
    assert_eq!(
        binary::decode::<Vec<i32>>(&bytes("0b 00 00 00 00")).unwrap(),
        vec![]
    );
    let m: HashMap<i32, i32> = binary::decode(&bytes("00 00 00 00 00 00")).unwrap();
    assert!(m.is_empty());
}

#[test]
fn non_empty_container_with_wrong_element_type_is_invalid_data() {
    let e =
        binary::decode::<Vec<i32>>(&bytes("0a 00 00 00 01 00 00 00 00 00 00 00 01")).unwrap_err();
    assert_eq!(e.protocol_kind(), Some(ProtocolErrorKind::InvalidData));
    let e =
        binary::decode::<BTreeMap<i32, i32>>(&bytes("08 0b 00 00 00 01 00 00 00 01 00 00 00 00"))
            .unwrap_err();
    assert_eq!(e.protocol_kind(), Some(ProtocolErrorKind::InvalidData));
}

#[test]
fn structs() {
    check(
        inner(7, "inner"),
        "08 00 01 00 00 00 07 | 0b 00 02 00 00 00 05 69 6e 6e 65 72 | 00",
    );
    check(Inner::default(), "00");
    let v = AllTypes {
        t: Some(true),
        far: Some(1),
        farther: Some(-1),
        ..AllTypes::default()
    };
    check(
        v,
        "02 00 01 01 | 08 00 28 00 00 00 01 | 08 01 2c ff ff ff ff | 00",
    );
}

#[test]
fn full_struct_round_trips() {
    let v = all_types(true);
    let b = binary::encode(&v).unwrap();
    assert_eq!(binary::decode::<AllTypes>(&b).unwrap(), v);
}

#[test]
fn unknown_fields_of_every_type_are_skipped() {
    // Inner's fields are 1: i32 and 2: string; AllTypes' 1 and 2 are bools.
    // Decoded as Inner, every field of AllTypes is unknown or mistyped and
    // must be skipped whole.
    let b = binary::encode(&all_types(true)).unwrap();
    assert_eq!(binary::decode::<Inner>(&b).unwrap(), Inner::default());
}

#[test]
fn strict_message_header_is_written() {
    let mut out = Vec::new();
    let mut p = BinaryProtocol::new(&mut out, Limits::default());
    for (kind, seqid) in [
        (MessageType::Call, 12345),
        (MessageType::Reply, -1),
        (MessageType::Exception, 0),
        (MessageType::Oneway, i32::MAX),
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
            "80 01 00 01 00 00 00 04 65 63 68 6f 00 00 30 39 \
             80 01 00 02 00 00 00 04 65 63 68 6f ff ff ff ff \
             80 01 00 03 00 00 00 04 65 63 68 6f 00 00 00 00 \
             80 01 00 04 00 00 00 04 65 63 68 6f 7f ff ff ff"
        )
    );
    let mut input = &out[..];
    let mut r = BinaryProtocol::new(&mut input, Limits::default());
    let h = r.read_message_begin().unwrap();
    assert_eq!(
        (h.name.as_str(), h.kind, h.seqid),
        ("echo", MessageType::Call, 12345)
    );
}

#[test]
fn old_non_strict_message_header_is_read() {
    let b = bytes("00 00 00 04 65 63 68 6f | 02 | 00 00 00 07");
    let mut p = BinaryProtocol::new(&b[..], Limits::default());
    let h = p.read_message_begin().unwrap();
    assert_eq!(
        h,
        MessageHeader {
            name: "echo".into(),
            kind: MessageType::Reply,
            seqid: 7
        }
    );
    assert!(p.get_ref().is_empty());

    let mut strict = BinaryProtocol::new(&b[..], Limits::default()).with_strict_read(true);
    let e = strict.read_message_begin().unwrap_err();
    assert_eq!(e.protocol_kind(), Some(ProtocolErrorKind::BadVersion));
}

#[test]
fn message_with_body_round_trips() {
    let mut out = Vec::new();
    let mut p = BinaryProtocol::new(&mut out, Limits::default());
    let header = MessageHeader {
        name: "add".into(),
        kind: MessageType::Call,
        seqid: 1,
    };
    p.write_message_begin(&header).unwrap();
    inner(3, "x").encode(&mut p).unwrap();
    p.write_message_end().unwrap();
    let mut r = BinaryProtocol::new(&out[..], Limits::default());
    assert_eq!(r.read_message_begin().unwrap(), header);
    assert_eq!(Inner::decode(&mut r).unwrap(), inner(3, "x"));
    r.read_message_end().unwrap();
    assert!(r.into_inner().is_empty());
}

#[test]
fn application_error() {
    let e = ApplicationError::new(ApplicationErrorKind::UnknownMethod, "no");
    check(e, "0b 00 01 00 00 00 02 6e 6f | 08 00 02 00 00 00 01 | 00");
    // Unknown fields are skipped; missing fields default; codes outside the
    // named ones are kept.
    let b = bytes("0a 00 09 00 00 00 00 00 00 00 01 | 08 00 02 00 00 00 0c | 00");
    let e: ApplicationError = binary::decode(&b).unwrap();
    assert_eq!(e.kind, ApplicationErrorKind::Other(12));
    assert_eq!(e.message, "");
}

#[test]
fn skip_each_type() {
    let cases: &[(TType, &str)] = &[
        (TType::Bool, "01"),
        (TType::I8, "01"),
        (TType::I16, "00 01"),
        (TType::I32, "00 00 00 01"),
        (TType::I64, "00 00 00 00 00 00 00 01"),
        (TType::Double, "00 00 00 00 00 00 00 01"),
        (TType::String, "00 00 00 02 ff fe"),
        (
            TType::Uuid,
            "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00",
        ),
        (TType::Struct, "08 00 01 00 00 00 01 0c 00 02 00 00"),
        (TType::List, "0b 00 00 00 01 00 00 00 00"),
        (TType::Set, "03 00 00 00 02 01 02"),
        (
            TType::Map,
            "0b 0d 00 00 00 01 00 00 00 00 08 08 00 00 00 00",
        ),
    ];
    for (t, b) in cases {
        let b = bytes(b);
        let mut p = BinaryProtocol::new(&b[..], Limits::default());
        p.skip(*t).unwrap_or_else(|e| panic!("skip {t:?}: {e}"));
        assert!(p.get_ref().is_empty(), "skip {t:?} left bytes");
    }
}

/// A list or set of each element type (fixed-size ones are skipped in one
/// step) is skipped to its end, no further; cut short, it fails.
#[test]
fn skip_lists_and_sets_of_each_element_type() {
    wire_support::check_skips_of_lists_and_sets(
        || BinaryProtocol::new(Vec::new(), Limits::default()),
        BinaryProtocol::into_inner,
        |b, t| {
            let mut p = BinaryProtocol::new(b, Limits::default());
            p.skip(t)?;
            Ok(p.get_ref().len())
        },
    );
}

#[test]
fn trailing_bytes_are_rejected_by_decode() {
    let e = binary::decode::<i8>(&[1, 2]).unwrap_err();
    assert_eq!(e.protocol_kind(), Some(ProtocolErrorKind::InvalidData));
}

#[test]
fn uuid_display() {
    assert_eq!(UUID.to_string(), "12345678-9abc-def0-0123-456789abcdef");
    assert_eq!(Uuid::from(*UUID.as_bytes()), UUID);
}
