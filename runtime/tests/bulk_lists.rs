//! Lists of `i16`, `i32`, `i64` and `double` are read in bulk from the
//! transport's ready bytes, and written in runs through a stack buffer.
//! These tests hold the bulk paths to the one-value-at-a-time paths: same
//! values over a slice, over a stream that delivers a few bytes per read,
//! and over a source without ready bytes; the same error for every
//! truncation and for invalid varints; the same bytes written. Message
//! names, read in place from the ready bytes into a reused header, are held
//! to the same standard.

use std::fmt::Debug;
use std::io::{self, Read};

use proptest::prelude::*;
use thriftc_runtime::error::Result;
use thriftc_runtime::protocol::{MessageHeader, MessageType, ProtocolRead, ProtocolWrite};
use thriftc_runtime::transport::{Framing, ReadBytes, StreamReader};
use thriftc_runtime::{BinaryProtocol, CompactProtocol, Decode, Encode, Limits, ProtocolErrorKind};

/// `R` without its ready bytes: every value goes through `read_exact` (or
/// `read_u8`) one at a time.
struct Plain<R>(R);

impl<R: ReadBytes> ReadBytes for Plain<R> {
    fn read_exact(&mut self, buf: &mut [u8]) -> Result<()> {
        self.0.read_exact(buf)
    }

    fn read_u8(&mut self) -> Result<u8> {
        self.0.read_u8()
    }

    fn remaining(&self) -> usize {
        self.0.remaining()
    }

    fn read_vec(&mut self, len: usize) -> Result<Vec<u8>> {
        self.0.read_vec(len)
    }
}

/// A stream that hands out at most `chunk` bytes per read.
struct Trickle<'a> {
    data: &'a [u8],
    chunk: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(self.chunk).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

#[derive(Clone, Copy, Debug)]
enum Proto {
    Binary,
    Compact,
}

fn encode<T: Encode>(proto: Proto, v: &T) -> Vec<u8> {
    match proto {
        Proto::Binary => thriftc_runtime::binary::encode(v).unwrap(),
        Proto::Compact => thriftc_runtime::compact::encode(v).unwrap(),
    }
}

fn decode_from<T: Decode, R: ReadBytes>(proto: Proto, input: R) -> Result<T> {
    match proto {
        Proto::Binary => T::decode(&mut BinaryProtocol::new(input, Limits::default())),
        Proto::Compact => T::decode(&mut CompactProtocol::new(input, Limits::default())),
    }
}

fn stream(bytes: &[u8], chunk: usize) -> StreamReader<Trickle<'_>> {
    StreamReader::new(
        Trickle { data: bytes, chunk },
        Framing::Buffered,
        Limits::default(),
    )
}

/// Decodes `bytes` over a slice and over streams that deliver 1, 3 and 7
/// bytes per read, each with and without its ready bytes; with and without
/// must agree.
fn decode_every_way<T: Decode + PartialEq + Debug>(proto: Proto, bytes: &[u8]) -> Result<T> {
    let slice = decode_from::<T, _>(proto, bytes);
    let plain = decode_from::<T, _>(proto, Plain(bytes));
    assert_same(&slice, &plain, "slice");
    for chunk in [1, 3, 7] {
        let mut ready = stream(bytes, chunk);
        let mut plain = stream(bytes, chunk);
        if ready.begin_message().unwrap() && plain.begin_message().unwrap() {
            let a = decode_from::<T, _>(proto, &mut ready);
            let b = decode_from::<T, _>(proto, Plain(&mut plain));
            assert_same(&a, &b, &format!("stream of {chunk}-byte reads"));
            if slice.is_ok() {
                assert_same(
                    &a,
                    &slice,
                    &format!("stream of {chunk}-byte reads vs slice"),
                );
            }
        }
    }
    slice
}

#[track_caller]
fn assert_same<T: PartialEq + Debug>(a: &Result<T>, b: &Result<T>, what: &str) {
    match (a, b) {
        (Ok(x), Ok(y)) => assert_eq!(x, y, "{what}"),
        (Err(x), Err(y)) => {
            assert_eq!(x.protocol_kind(), y.protocol_kind(), "{what}: {x} vs {y}");
            assert_eq!(x.is_eof(), y.is_eof(), "{what}: {x} vs {y}");
        }
        _ => panic!("{what}: {a:?} vs {b:?}"),
    }
}

/// Round trip through every reader, then every truncation fails the same
/// way through every reader.
fn check_lists<T: Encode + Decode + PartialEq + Debug>(v: &T) {
    for proto in [Proto::Binary, Proto::Compact] {
        let bytes = encode(proto, v);
        let back: T = decode_every_way(proto, &bytes).expect("round trip");
        assert_eq!(&back, v, "{proto:?}");
        for cut in 0..bytes.len() {
            let err = decode_every_way::<T>(proto, &bytes[..cut]);
            assert!(err.is_err(), "{proto:?}: a prefix of {cut} bytes decoded");
        }
    }
}

/// Writing `v` as a list (in bulk) gives the bytes of writing its header and
/// then each element with `one`, in both protocols.
fn check_bulk_write<V>(v: &[V], one: fn(&mut dyn ProtocolWrite, V) -> Result<()>)
where
    V: Copy + Encode,
    Vec<V>: Encode,
{
    for proto in [Proto::Binary, Proto::Compact] {
        let bulk = encode(proto, &v.to_vec());
        let mut single = Vec::new();
        {
            let mut p: Box<dyn ProtocolWrite + '_> = match proto {
                Proto::Binary => Box::new(BinaryProtocol::new(&mut single, Limits::default())),
                Proto::Compact => Box::new(CompactProtocol::new(&mut single, Limits::default())),
            };
            p.write_list_begin(V::TTYPE, v.len()).unwrap();
            for &x in v {
                one(&mut *p, x).unwrap();
            }
            p.write_list_end().unwrap();
        }
        assert_eq!(bulk, single, "{proto:?}, {} elements", v.len());
    }
}

#[test]
fn bulk_writes_equal_single_writes_across_run_boundaries() {
    // Runs are 256 bytes (binary, compact doubles) or 32 varints (compact).
    for n in [0usize, 1, 31, 32, 33, 63, 64, 65, 127, 128, 129, 300] {
        let i16s: Vec<i16> = (0..n).map(|i| (i as i16).wrapping_mul(-7919)).collect();
        check_bulk_write(&i16s, |p, x| p.write_i16(x));
        let i32s: Vec<i32> = (0..n)
            .map(|i| (i as i32).wrapping_mul(-104_729_999))
            .collect();
        check_bulk_write(&i32s, |p, x| p.write_i32(x));
        let i64s: Vec<i64> = (0..n)
            .map(|i| (i as i64).wrapping_mul(-0x1234_5678_9abc))
            .collect();
        check_bulk_write(&i64s, |p, x| p.write_i64(x));
        let doubles: Vec<f64> = (0..n).map(|i| i as f64 * -1.5e300).collect();
        check_bulk_write(&doubles, |p, x| p.write_double(x));
    }
    check_bulk_write(&[i32::MIN, i32::MAX, 0, -1], |p, x| p.write_i32(x));
    check_bulk_write(&[i64::MIN, i64::MAX, 0, -1], |p, x| p.write_i64(x));
    check_bulk_write(&[i16::MIN, i16::MAX, 0, -1], |p, x| p.write_i16(x));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn bulk_writes_equal_single_writes(v in prop::collection::vec(any::<i64>(), 0..100)) {
        check_bulk_write(&v, |p, x| p.write_i64(x));
        let v32: Vec<i32> = v.iter().map(|&x| x as i32).collect();
        check_bulk_write(&v32, |p, x| p.write_i32(x));
    }

    #[test]
    fn i32_lists(v in prop::collection::vec(any::<i32>(), 0..40)) {
        check_lists(&v);
    }

    #[test]
    fn i64_lists(v in prop::collection::vec(any::<i64>(), 0..40)) {
        check_lists(&v);
    }

    #[test]
    fn i16_lists(v in prop::collection::vec(any::<i16>(), 0..40)) {
        check_lists(&v);
    }

    #[test]
    fn double_lists(v in prop::collection::vec(any::<f64>().prop_filter("NaN", |d| !d.is_nan()), 0..40)) {
        check_lists(&v);
    }

    #[test]
    fn nested_lists(v in prop::collection::vec(prop::collection::vec(any::<i32>(), 0..6), 0..6)) {
        check_lists(&v);
    }
}

/// Compact list `[1, x, 2]` of `elem` (a compact type nibble) where `x` is
/// the given varint bytes.
fn compact_list(elem: u8, varint: &[u8]) -> Vec<u8> {
    let mut out = vec![0x30 | elem, 0x02];
    out.extend_from_slice(varint);
    out.push(0x04);
    out
}

fn invalid_data<T: Decode + PartialEq + Debug>(bytes: &[u8]) {
    let e = decode_every_way::<T>(Proto::Compact, bytes).unwrap_err();
    assert_eq!(
        e.protocol_kind(),
        Some(ProtocolErrorKind::InvalidData),
        "{bytes:02x?}: {e}"
    );
}

#[test]
fn invalid_varints_in_lists_are_rejected_like_single_values() {
    // i32 (type 5): six bytes, a fifth byte above 0x0f.
    invalid_data::<Vec<i32>>(&compact_list(5, &[0x80, 0x80, 0x80, 0x80, 0x80, 0x00]));
    invalid_data::<Vec<i32>>(&compact_list(5, &[0xff, 0xff, 0xff, 0xff, 0x10]));
    // i64 (type 6): eleven bytes, a tenth byte above 0x01.
    invalid_data::<Vec<i64>>(&compact_list(6, &[0x80; 10]));
    invalid_data::<Vec<i64>>(&compact_list(
        6,
        &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02],
    ));
    // i16 (type 4): a value outside i16.
    invalid_data::<Vec<i16>>(&compact_list(4, &[0x80, 0x80, 0x04]));
    // The widest valid forms still decode.
    let max = decode_every_way::<Vec<i32>>(
        Proto::Compact,
        &compact_list(5, &[0xfe, 0xff, 0xff, 0xff, 0x0f]),
    );
    assert_eq!(max.unwrap(), [1, i32::MAX, 2]);
    let min = decode_every_way::<Vec<i64>>(
        Proto::Compact,
        &compact_list(
            6,
            &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
        ),
    );
    assert_eq!(min.unwrap(), [1, i64::MIN, 2]);
}

#[test]
fn a_count_beyond_the_input_is_rejected_before_reading() {
    // Binary list<i32> claiming 1000 elements with 8 bytes behind it.
    let mut bytes = vec![8, 0, 0, 0x03, 0xe8];
    bytes.extend_from_slice(&[0; 8]);
    let e = decode_every_way::<Vec<i32>>(Proto::Binary, &bytes).unwrap_err();
    assert_eq!(e.protocol_kind(), Some(ProtocolErrorKind::SizeLimit));
}

#[test]
fn bulk_reads_leave_the_rest_of_the_input() {
    // A list followed by another value: the bulk read consumes exactly the
    // list's bytes.
    for proto in [Proto::Binary, Proto::Compact] {
        let mut bytes = encode(proto, &vec![1i64, -2, 300]);
        bytes.extend(encode(proto, &7i32));
        let mut input = &bytes[..];
        let (list, next) = match proto {
            Proto::Binary => {
                let mut p = BinaryProtocol::new(&mut input, Limits::default());
                (Vec::<i64>::decode(&mut p).unwrap(), p.read_i32().unwrap())
            }
            Proto::Compact => {
                let mut p = CompactProtocol::new(&mut input, Limits::default());
                (Vec::<i64>::decode(&mut p).unwrap(), p.read_i32().unwrap())
            }
        };
        assert_eq!((list, next), (vec![1, -2, 300], 7), "{proto:?}");
        assert!(input.is_empty());
    }
}

/// Three messages (names of 4, 10 and 3 bytes; the third not UTF-8) read
/// one after another into one header, over a slice, without ready bytes,
/// and over streams of 1- and 3-byte reads.
#[test]
fn message_headers_are_read_into_one_header() {
    fn messages(proto: Proto) -> Vec<u8> {
        let mut out = Vec::new();
        for (name, seqid) in [("ping", 7), ("long_named", -1), ("abc", 9)] {
            let header = MessageHeader {
                name: name.into(),
                kind: MessageType::Oneway,
                seqid,
            };
            let limits = Limits::default();
            match proto {
                Proto::Binary => BinaryProtocol::new(&mut out, limits).write_message_begin(&header),
                Proto::Compact => {
                    CompactProtocol::new(&mut out, limits).write_message_begin(&header)
                }
            }
            .unwrap();
        }
        let at = out.windows(3).rposition(|w| w == b"abc").unwrap();
        out[at..at + 3].copy_from_slice(&[0xff, 0xfe, 0xfd]);
        out
    }

    fn read_all<P: ProtocolRead>(mut p: P, what: &str) {
        let mut h = MessageHeader {
            name: String::new(),
            kind: MessageType::Call,
            seqid: 0,
        };
        p.read_message_begin_into(&mut h).unwrap();
        assert_eq!(
            (h.name.as_str(), h.kind, h.seqid),
            ("ping", MessageType::Oneway, 7),
            "{what}"
        );
        p.read_message_begin_into(&mut h).unwrap();
        assert_eq!((h.name.as_str(), h.seqid), ("long_named", -1), "{what}");
        let e = p.read_message_begin_into(&mut h).unwrap_err();
        assert_eq!(
            e.protocol_kind(),
            Some(ProtocolErrorKind::InvalidData),
            "{what}: {e}"
        );
    }

    for proto in [Proto::Binary, Proto::Compact] {
        let bytes = messages(proto);
        let limits = Limits::default();
        let what = format!("{proto:?}");
        let mut streams = [stream(&bytes, 1), stream(&bytes, 3)];
        for s in &mut streams {
            assert!(s.begin_message().unwrap());
        }
        let [one, three] = &mut streams;
        match proto {
            Proto::Binary => {
                read_all(BinaryProtocol::new(&bytes[..], limits), &what);
                read_all(BinaryProtocol::new(Plain(&bytes[..]), limits), &what);
                read_all(BinaryProtocol::new(one, limits), &what);
                read_all(BinaryProtocol::new(three, limits), &what);
            }
            Proto::Compact => {
                read_all(CompactProtocol::new(&bytes[..], limits), &what);
                read_all(CompactProtocol::new(Plain(&bytes[..]), limits), &what);
                read_all(CompactProtocol::new(one, limits), &what);
                read_all(CompactProtocol::new(three, limits), &what);
            }
        }
    }
}
