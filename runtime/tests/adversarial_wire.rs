//! Malformed and hostile wire input, the cases that concern protocols and
//! codecs (framing and server cases live with the transports and the
//! server): each test asserts the typed error and, for the memory cases,
//! that allocation stays bounded, measured with a counting allocator.
//!
//! The cases are numbered `c.1.1`, `c.1.2`, ... in order (tests `c01_...`,
//! `c02_...`); each test's doc comment gives its number, then the case.

mod wire_support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use thriftc_runtime::protocol::{
    MAX_PREALLOC, MAX_PREALLOC_BYTES, MessageHeader, MessageType, ProtocolRead, ProtocolWrite,
    TType,
};
use thriftc_runtime::transport::ReadBytes;
use thriftc_runtime::{
    ApplicationErrorKind, BinaryProtocol, CompactProtocol, Decode, Encode, Error, Limits,
    ProtocolErrorKind, Result, TransportErrorKind, binary, compact,
};
use wire_support::{AllTypes, Inner, Node, all_types, bytes};

// ------------------------------------------------------- counting allocator

/// Counts the bytes live on the current thread and their peak, so tests
/// running in parallel do not see each other's allocations.
struct Counting;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn note(delta: isize) {
    // `try_with`: the thread-locals may be gone while a thread shuts down.
    let _ = LIVE.try_with(|live| {
        let now = live.get() + delta;
        live.set(now);
        let _ = PEAK.try_with(|peak| {
            if now > peak.get() {
                peak.set(now);
            }
        });
    });
}

// SAFETY: every method forwards to `System` with the caller's arguments
// unchanged; the bookkeeping touches only const-initialised thread-local
// cells, which never allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size() as isize);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        note(-(layout.size() as isize));
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(layout.size() as isize);
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // Count the moment both blocks may exist, as a copy would need.
        note(new_size as isize);
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        note(-(layout.size() as isize));
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Runs `f` and returns its result with the most bytes it had allocated at
/// once on this thread (above what was live before).
fn peak_alloc<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let base = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(base));
    let r = f();
    let peak = PEAK.with(Cell::get);
    (r, (peak - base).max(0) as usize)
}

// ------------------------------------------------------------------ helpers

#[derive(Debug, PartialEq)]
enum Kind {
    Protocol(ProtocolErrorKind),
    Eof,
    Application(ApplicationErrorKind),
}

#[track_caller]
fn kind<T: std::fmt::Debug>(r: Result<T>) -> Kind {
    match r {
        Ok(v) => panic!("expected an error, decoded {v:?}"),
        Err(Error::Protocol(e)) => Kind::Protocol(e.kind),
        Err(Error::Transport(e)) if e.kind == TransportErrorKind::EndOfFile => Kind::Eof,
        Err(Error::Application(e)) => Kind::Application(e.kind),
        Err(e) => panic!("unexpected error {e}"),
    }
}

use Kind::{Eof, Protocol as P};
use ProtocolErrorKind::{BadVersion, DepthLimit, InvalidData, NegativeSize, SizeLimit};

fn bin<T: Decode + std::fmt::Debug>(b: &[u8]) -> Kind {
    kind(binary::decode::<T>(b))
}

fn cpt<T: Decode + std::fmt::Debug>(b: &[u8]) -> Kind {
    kind(compact::decode::<T>(b))
}

/// Test input that lives for the rest of the test binary.
fn leak(v: Vec<u8>) -> &'static [u8] {
    Vec::leak(v)
}

/// A stream-like source: reports 100 MiB still to come (what a buffered
/// transport reports: the rest of the maximum message size) but holds only
/// `data`, then ends.
struct Stream<'a> {
    data: &'a [u8],
}

impl ReadBytes for Stream<'_> {
    fn read_exact(&mut self, buf: &mut [u8]) -> Result<()> {
        self.data.read_exact(buf)
    }

    fn remaining(&self) -> usize {
        Limits::DEFAULT_MAX_MESSAGE_SIZE
    }
}

/// A struct that is large in memory and tiny on the wire.
#[derive(Debug, Default, PartialEq, Eq, Hash)]
struct Big {
    blob: [u64; 25],
    id: Option<i32>,
}

impl thriftc_runtime::WireType for Big {
    const TTYPE: TType = TType::Struct;
}

impl Decode for Big {
    fn decode<Pr: ProtocolRead + ?Sized>(p: &mut Pr) -> Result<Self> {
        let mut out = Big::default();
        p.read_struct_begin()?;
        while let Some(f) = p.read_field_begin()? {
            match (f.id, f.ttype) {
                (1, TType::I32) => out.id = Some(p.read_i32()?),
                (_, t) => p.skip(t)?,
            }
            p.read_field_end()?;
        }
        p.read_struct_end()?;
        Ok(out)
    }
}

// -------------------------------------------------------------- the cases

/// c.1.1: string length -1 is NEGATIVE_SIZE, with nothing allocated.
#[test]
fn c01_negative_string_length() {
    let b = bytes("ff ff ff ff 61 62");
    let (k, peak) = peak_alloc(|| bin::<String>(&b));
    assert_eq!(k, P(NegativeSize));
    assert_eq!(bin::<Vec<u8>>(&b), P(NegativeSize));
    // The error's message is the only allocation.
    assert!(peak < 256, "allocated {peak} bytes");
    // Compact: a varint above i32::MAX is a negative length.
    assert_eq!(cpt::<String>(&bytes("ff ff ff ff 0f 61")), P(NegativeSize));
}

/// c.1.2: length 0x7FFFFFFF then EOF: SIZE_LIMIT on a slice; over a stream
/// the bytes run out (EOF) and the allocation follows what arrived.
#[test]
fn c02_huge_string_length_then_eof() {
    let b = bytes("7f ff ff ff 61 62 63");
    let (k, peak) = peak_alloc(|| bin::<String>(&b));
    assert_eq!(k, P(SizeLimit));
    assert!(peak < 256, "allocated {peak} bytes");
    assert_eq!(cpt::<String>(&bytes("ff ff ff ff 07 61")), P(SizeLimit));

    // 0x7FFFFFFF exceeds the 100 MiB message limit even on a stream.
    let mut p = BinaryProtocol::new(Stream { data: &b }, Limits::default());
    assert_eq!(kind(p.read_string()), P(SizeLimit));

    // 80 MiB declared on a stream, 1,000 bytes sent: EOF after reading them,
    // allocating in proportion to what arrived (a 64 KiB first chunk).
    let mut b = bytes("05 00 00 00");
    b.extend_from_slice(&[b'a'; 1000]);
    let (k, peak) = peak_alloc(|| {
        let mut p = BinaryProtocol::new(Stream { data: &b }, Limits::default());
        kind(p.read_binary())
    });
    assert_eq!(k, Eof);
    assert!(
        peak <= 80 * 1024,
        "allocated {peak} bytes for 1,000 received"
    );
    let (k, peak) = peak_alloc(|| {
        let mut c = bytes("80 80 80 28");
        c.extend_from_slice(&[b'a'; 1000]);
        let mut p = CompactProtocol::new(Stream { data: &c }, Limits::default());
        kind(p.read_string())
    });
    assert_eq!(k, Eof);
    assert!(
        peak <= 80 * 1024,
        "allocated {peak} bytes for 1,000 received"
    );
}

/// c.1.3: list<i64> with count 0x7FFFFFFF and 8 bytes: rejected before any
/// reservation.
#[test]
fn c03_huge_list_count() {
    let b = bytes("0a 7f ff ff ff 00 00 00 00 00 00 00 01");
    let (k, peak) = peak_alloc(|| bin::<Vec<i64>>(&b));
    assert_eq!(k, P(SizeLimit));
    assert!(peak < 256, "allocated {peak} bytes");
    let c = bytes("f6 ff ff ff ff 07 02");
    let (k, peak) = peak_alloc(|| cpt::<Vec<i64>>(&c));
    assert_eq!(k, P(SizeLimit));
    assert!(peak < 256, "allocated {peak} bytes");
    // Also through skip.
    let mut p = BinaryProtocol::new(&b[..], Limits::default());
    assert_eq!(kind(p.skip(TType::List)), P(SizeLimit));
}

/// c.1.4: list, set and map count -1 are NEGATIVE_SIZE.
#[test]
fn c04_negative_container_counts() {
    assert_eq!(bin::<Vec<i32>>(&bytes("08 ff ff ff ff")), P(NegativeSize));
    assert_eq!(
        bin::<HashSet<i32>>(&bytes("08 ff ff ff ff")),
        P(NegativeSize)
    );
    assert_eq!(
        bin::<HashMap<i32, i32>>(&bytes("08 08 ff ff ff ff")),
        P(NegativeSize)
    );
    assert_eq!(
        cpt::<Vec<i32>>(&bytes("f5 ff ff ff ff 0f")),
        P(NegativeSize)
    );
    assert_eq!(
        cpt::<HashSet<i32>>(&bytes("f5 ff ff ff ff 0f")),
        P(NegativeSize)
    );
    assert_eq!(
        cpt::<HashMap<i32, i32>>(&bytes("ff ff ff ff 0f 55")),
        P(NegativeSize)
    );
}

/// Wire bytes of a list of `n` structs whose first element is invalid (an
/// unknown field type), so decoding fails at once.
fn poisoned_struct_list(compact: bool, n: usize) -> Vec<u8> {
    let mut b = if compact {
        let mut h = vec![0xfc];
        let mut v = n as u32;
        while v >= 0x80 {
            h.push(v as u8 | 0x80);
            v >>= 7;
        }
        h.push(v as u8);
        h
    } else {
        let mut h = vec![12];
        h.extend_from_slice(&(n as i32).to_be_bytes());
        h
    };
    b.push(0x1e); // field header with an unknown type code
    b.resize(b.len() + n - 1, 0);
    b
}

/// c.1.5: list<Big> (200 B in memory, 1 B on the wire) with count = the
/// remaining bytes: the reservation is capped in bytes, not count × 200 B.
#[test]
fn c05_preallocation_is_capped() {
    let n = 1_000_000;
    assert!(std::mem::size_of::<Big>() >= 200);
    for compact in [false, true] {
        let b = poisoned_struct_list(compact, n);
        let (k, peak) = peak_alloc(|| {
            if compact {
                cpt::<Vec<Big>>(&b)
            } else {
                bin::<Vec<Big>>(&b)
            }
        });
        assert_eq!(k, P(InvalidData));
        let size = std::mem::size_of::<Big>();
        assert!(MAX_PREALLOC * size > MAX_PREALLOC_BYTES);
        let cap = MAX_PREALLOC_BYTES + 4096;
        assert!(peak <= cap, "compact={compact}: allocated {peak} bytes");
        // The counter sees the capped reservation itself.
        assert!(peak >= MAX_PREALLOC_BYTES / size * size);
        assert!(
            peak <= 2 * b.len(),
            "compact={compact}: {peak} > 2 × {}",
            b.len()
        );
    }
    // Sets and maps reserve no more.
    let mut m = bytes("0c 08 00 0f 42 40");
    m.push(0x1e);
    m.resize(m.len() + 1_000_000 * 5, 0);
    let (k, peak) = peak_alloc(|| bin::<HashMap<i32, Big>>(&m));
    assert_eq!(k, P(InvalidData));
    assert!(peak <= 2 * m.len(), "map: allocated {peak} bytes");
}

/// A struct far wider in memory than on the wire (2 KiB against 1 byte).
#[derive(Debug, PartialEq)]
struct Wide {
    pad: [u64; 256],
}

impl thriftc_runtime::WireType for Wide {
    const TTYPE: TType = TType::Struct;
}

impl Decode for Wide {
    fn decode<Pr: ProtocolRead + ?Sized>(p: &mut Pr) -> Result<Self> {
        p.read_struct_begin()?;
        while let Some(f) = p.read_field_begin()? {
            p.skip(f.ttype)?;
            p.read_field_end()?;
        }
        p.read_struct_end()?;
        Ok(Wide { pad: [0; 256] })
    }
}

/// c.1.5b: on a stream, `remaining()` is the rest of the message budget, not
/// bytes that arrived: a list header declaring 4,096 wide structs followed by
/// nothing reserves at most `MAX_PREALLOC_BYTES`, not 4,096 × 2 KiB.
#[test]
fn c05b_stream_preallocation_is_capped_in_bytes() {
    let size = std::mem::size_of::<Wide>();
    assert!(size >= 2048);
    let cap = MAX_PREALLOC_BYTES + 4096;
    let b = bytes("0c 00 00 10 00");
    let (k, peak) = peak_alloc(|| {
        let mut p = BinaryProtocol::new(Stream { data: &b }, Limits::default());
        kind(Vec::<Wide>::decode(&mut p))
    });
    assert_eq!(k, Eof);
    assert!(peak <= cap, "binary: allocated {peak} bytes");
    let c = bytes("fc 80 20");
    let (k, peak) = peak_alloc(|| {
        let mut p = CompactProtocol::new(Stream { data: &c }, Limits::default());
        kind(Vec::<Wide>::decode(&mut p))
    });
    assert_eq!(k, Eof);
    assert!(peak <= cap, "compact: allocated {peak} bytes");
    // Maps and sets of wide values, and unknown-field values, likewise.
    let m = bytes("08 0c 00 00 10 00");
    let (k, peak) = peak_alloc(|| {
        let mut p = BinaryProtocol::new(Stream { data: &m }, Limits::default());
        kind(HashMap::<i32, Wide>::decode(&mut p))
    });
    assert_eq!(k, Eof);
    assert!(peak <= cap, "hash map: allocated {peak} bytes");
    let (k, peak) = peak_alloc(|| {
        let mut p = BinaryProtocol::new(Stream { data: &m }, Limits::default());
        kind(thriftc_runtime::VecMap::<i32, Wide>::decode(&mut p))
    });
    assert_eq!(k, Eof);
    assert!(peak <= cap, "vec map: allocated {peak} bytes");
    // A list of 4,096 nested lists, kept as an unknown value.
    let l = bytes("0f 00 00 10 00");
    let (k, peak) = peak_alloc(|| {
        let mut p = BinaryProtocol::new(Stream { data: &l }, Limits::default());
        kind(thriftc_runtime::unknown::Value::read(&mut p, TType::List))
    });
    assert_eq!(k, Eof);
    assert!(peak <= cap, "unknown list: allocated {peak} bytes");
}

/// c.1.6: count 0x40000000 × 4 bytes must not wrap to 0.
#[test]
fn c06_count_times_size_does_not_wrap() {
    assert_eq!(
        bin::<Vec<i32>>(&bytes("08 40 00 00 00 00 00 00 01")),
        P(SizeLimit)
    );
    assert_eq!(
        bin::<BTreeMap<i64, i64>>(&bytes("0a 0a 40 00 00 00")),
        P(SizeLimit)
    );
    assert_eq!(
        cpt::<Vec<f64>>(&bytes("f7 80 80 80 80 04 00")),
        P(SizeLimit)
    );
}

/// c.1.7: unknown element type with count 2^31-1 is INVALID_DATA at once.
#[test]
fn c07_unknown_element_type() {
    let t = Instant::now();
    assert_eq!(bin::<Vec<i32>>(&bytes("11 7f ff ff ff")), P(InvalidData));
    let mut p = BinaryProtocol::new(leak(bytes("11 7f ff ff ff")), Limits::default());
    assert_eq!(kind(p.skip(TType::List)), P(InvalidData));
    let mut p = BinaryProtocol::new(leak(bytes("08 11 7f ff ff ff")), Limits::default());
    assert_eq!(kind(p.skip(TType::Map)), P(InvalidData));
    assert_eq!(cpt::<Vec<i32>>(&bytes("fe ff ff ff ff 07")), P(InvalidData));
    let mut p = CompactProtocol::new(leak(bytes("fe ff ff ff ff 07")), Limits::default());
    assert_eq!(kind(p.skip(TType::Set)), P(InvalidData));
    // An unknown field type code inside a struct being skipped.
    let mut p = BinaryProtocol::new(leak(bytes("11 00 01 00")), Limits::default());
    assert_eq!(kind(p.skip(TType::Struct)), P(InvalidData));
    assert!(t.elapsed() < Duration::from_secs(1));
}

/// c.1.8: STOP or VOID element types with a count are INVALID_DATA.
#[test]
fn c08_stop_or_void_elements() {
    for code in ["00", "01"] {
        let b = bytes(&format!("{code} 00 0f 42 40"));
        let mut p = BinaryProtocol::new(&b[..], Limits::default());
        assert_eq!(kind(p.read_list_begin()), P(InvalidData), "list of {code}");
        let mut p = BinaryProtocol::new(&b[..], Limits::default());
        assert_eq!(kind(p.skip(TType::Set)), P(InvalidData), "set of {code}");
        let m = bytes(&format!("08 {code} 00 0f 42 40"));
        let mut p = BinaryProtocol::new(&m[..], Limits::default());
        assert_eq!(kind(p.skip(TType::Map)), P(InvalidData), "map to {code}");
    }
    let mut p = CompactProtocol::new(leak(bytes("f0 c0 84 3d")), Limits::default());
    assert_eq!(kind(p.read_list_begin()), P(InvalidData));
    let mut p = CompactProtocol::new(leak(bytes("c0 84 3d 50")), Limits::default());
    assert_eq!(kind(p.read_map_begin()), P(InvalidData));
    // Skipping a STOP or VOID value directly is refused too.
    let mut p = BinaryProtocol::new(&[][..], Limits::default());
    assert_eq!(kind(p.skip(TType::Void)), P(InvalidData));
}

/// Binary bytes of `Node` nested `depth` deep through field 2.
fn nested_nodes(depth: usize) -> Vec<u8> {
    let mut b = Vec::with_capacity(depth * 4);
    for _ in 1..depth {
        b.extend_from_slice(&[12, 0, 2]);
    }
    b.resize(b.len() + depth, 0);
    b
}

/// c.1.9: a recursive struct nested 100,000 deep stops at depth 64.
#[test]
fn c09_deep_recursive_struct() {
    assert_eq!(bin::<Node>(&nested_nodes(100_000)), P(DepthLimit));
    assert_eq!(bin::<Node>(&nested_nodes(65)), P(DepthLimit));
    assert!(binary::decode::<Node>(&nested_nodes(64)).is_ok());
    let mut c = vec![0x2c; 99_999];
    c.resize(200_000, 0);
    assert_eq!(cpt::<Node>(&c), P(DepthLimit));
    // The limit is configurable.
    let r =
        binary::decode_with_limits::<Node>(&nested_nodes(10), Limits::default().with_max_depth(9));
    assert_eq!(kind(r), P(DepthLimit));
}

/// c.1.10: an unknown field holding list<list<…>> 100,000 deep fails with
/// DEPTH_LIMIT while it is skipped.
#[test]
fn c10_deep_unknown_field_is_skipped_with_a_bound() {
    let mut b = bytes("0f 00 63");
    for _ in 0..100_000 {
        b.extend_from_slice(&bytes("0f 00 00 00 01"));
    }
    assert_eq!(bin::<Inner>(&b), P(DepthLimit));
    let mut c = bytes("09 c6 01");
    c.resize(c.len() + 100_000, 0x19);
    assert_eq!(cpt::<Inner>(&c), P(DepthLimit));
    // Maps and structs nest the same way.
    let mut m = bytes("0d 00 63");
    for _ in 0..100_000 {
        m.extend_from_slice(&bytes("08 0d 00 00 00 01 00 00 00 00"));
    }
    assert_eq!(bin::<Inner>(&m), P(DepthLimit));
}

fn chain(depth: usize) -> Node {
    let mut n = Node {
        value: Some(0),
        next: None,
    };
    for i in 1..depth {
        n = Node {
            value: Some(i as i32),
            next: Some(Box::new(n)),
        };
    }
    n
}

/// c.1.11: writing a value 65 deep is a DEPTH_LIMIT error.
#[test]
fn c11_write_depth() {
    assert!(binary::encode(&chain(64)).is_ok());
    assert_eq!(kind(binary::encode(&chain(65))), P(DepthLimit));
    assert!(compact::encode(&chain(64)).is_ok());
    assert_eq!(kind(compact::encode(&chain(65))), P(DepthLimit));
    let lists: Vec<Vec<Vec<i8>>> = vec![vec![vec![1]]];
    let r = binary::encode_into(&lists, &mut Vec::new(), Limits::default().with_max_depth(2));
    assert_eq!(kind(r), P(DepthLimit));
}

fn read_header_binary(b: &[u8], strict: bool) -> Kind {
    let mut p = BinaryProtocol::new(b, Limits::default()).with_strict_read(strict);
    kind(p.read_message_begin())
}

/// c.1.12: a bad version word is BAD_VERSION; so is an old header under
/// strict reading.
#[test]
fn c12_bad_version() {
    assert_eq!(
        read_header_binary(&bytes("80 02 00 01 00 00 00 00 00 00 00 00"), false),
        P(BadVersion)
    );
    assert_eq!(
        read_header_binary(&bytes("ff ff 00 01 00 00 00 00 00 00 00 00"), false),
        P(BadVersion)
    );
    assert_eq!(
        read_header_binary(&bytes("00 00 00 01 61 01 00 00 00 00"), true),
        P(BadVersion)
    );
}

/// c.1.13: a non-strict header with name length 0x7FFFFFF0 is SIZE_LIMIT.
#[test]
fn c13_huge_message_name() {
    let b = bytes("7f ff ff f0 61 62 63 64");
    let (k, peak) = peak_alloc(|| read_header_binary(&b, false));
    assert_eq!(k, P(SizeLimit));
    assert!(peak < 256, "allocated {peak} bytes");
    assert_eq!(
        read_header_binary(&bytes("80 01 00 01 7f ff ff f0 61"), false),
        P(SizeLimit)
    );
    let mut p = CompactProtocol::new(leak(bytes("82 21 00 f0 ff ff ff 07 61")), Limits::default());
    assert_eq!(kind(p.read_message_begin()), P(SizeLimit));
}

/// c.1.14: message type 0, 5 or 0xFF is INVALID_MESSAGE_TYPE.
#[test]
fn c14_bad_message_type() {
    let bad = Kind::Application(ApplicationErrorKind::InvalidMessageType);
    for t in ["00", "05", "ff"] {
        let b = bytes(&format!("80 01 00 {t} 00 00 00 01 61 00 00 00 01"));
        assert_eq!(read_header_binary(&b, false), bad, "strict, type {t}");
        let b = bytes(&format!("00 00 00 01 61 {t} 00 00 00 01"));
        assert_eq!(read_header_binary(&b, false), bad, "non-strict, type {t}");
    }
    for byte in ["01", "a1", "e1"] {
        let mut p = CompactProtocol::new(
            leak(bytes(&format!("82 {byte} 00 01 61"))),
            Limits::default(),
        );
        assert_eq!(kind(p.read_message_begin()), bad, "compact {byte}");
    }
}

/// c.1.15: over-long varints are INVALID_DATA (5 bytes max for 32 bits, 10
/// for 64).
#[test]
fn c15_long_varints() {
    assert_eq!(cpt::<i32>(&bytes("80 80 80 80 80 01")), P(InvalidData));
    assert_eq!(cpt::<i32>(&bytes("ff ff ff ff 1f")), P(InvalidData));
    assert_eq!(
        cpt::<i64>(&bytes("80 80 80 80 80 80 80 80 80 80 01")),
        P(InvalidData)
    );
    assert_eq!(
        cpt::<i64>(&bytes("ff ff ff ff ff ff ff ff ff 03")),
        P(InvalidData)
    );
    // Lengths and counts are 32-bit varints too.
    assert_eq!(
        cpt::<String>(&bytes("80 80 80 80 80 80 80 80 80 80 01")),
        P(InvalidData)
    );
    // A varint cut short is EOF.
    assert_eq!(cpt::<i64>(&bytes("80 80")), Eof);
}

/// c.1.16: a field-id delta past 32767 is INVALID_DATA.
#[test]
fn c16_field_id_overflow() {
    // Field 32767 (long form, unknown, i8), then a delta of 1.
    assert_eq!(
        cpt::<Inner>(&bytes("03 fe ff 03 00 13 00 00")),
        P(InvalidData)
    );
    assert_eq!(
        cpt::<Inner>(&bytes("03 f0 ff 03 00 f3 00 00")),
        P(InvalidData)
    );
    // A long-form id outside i16 is INVALID_DATA as well.
    assert_eq!(cpt::<Inner>(&bytes("03 80 80 04 00 00")), P(InvalidData));
}

/// c.1.17: compact protocol id or version wrong is BAD_VERSION; a count
/// above i32::MAX is NEGATIVE_SIZE or SIZE_LIMIT.
#[test]
fn c17_compact_header_and_counts() {
    for h in ["80 21 00 00", "82 22 00 00", "82 20 00 00", "81 21 00 00"] {
        let mut p = CompactProtocol::new(leak(bytes(h)), Limits::default());
        assert_eq!(kind(p.read_message_begin()), P(BadVersion), "{h}");
    }
    assert_eq!(
        cpt::<Vec<i8>>(&bytes("f3 80 80 80 80 08 00")),
        P(NegativeSize)
    );
    assert_eq!(cpt::<Vec<i8>>(&bytes("f3 ff ff ff ff 07 00")), P(SizeLimit));
    assert_eq!(
        cpt::<HashMap<i8, i8>>(&bytes("ff ff ff ff 07 33 00")),
        P(SizeLimit)
    );
}

/// c.1.18: compact bool list elements as 0/1 and as 1/2 are both read.
#[test]
fn c18_compact_bool_list_encodings() {
    assert_eq!(
        compact::decode::<Vec<bool>>(&bytes("31 01 00 01")).unwrap(),
        [true, false, true]
    );
    assert_eq!(
        compact::decode::<Vec<bool>>(&bytes("32 01 02 01")).unwrap(),
        [true, false, true]
    );
}

crate::thrift_struct!(TextAndBytes {
    1 => text: String,
    2 => raw: Vec<u8>,
});

/// c.1.19: invalid UTF-8 in a string is INVALID_DATA; in a binary field or
/// an unknown field it is accepted.
#[test]
fn c19_invalid_utf8() {
    let s = bytes("0b 00 01 00 00 00 02 c3 28 00");
    assert_eq!(bin::<TextAndBytes>(&s), P(InvalidData));
    let b = bytes("0b 00 02 00 00 00 02 c3 28 00");
    assert_eq!(
        binary::decode::<TextAndBytes>(&b).unwrap().raw,
        Some(vec![0xc3, 0x28])
    );
    let u = bytes("0b 00 09 00 00 00 02 c3 28 00");
    assert_eq!(
        binary::decode::<TextAndBytes>(&u).unwrap(),
        TextAndBytes::default()
    );
    assert_eq!(
        cpt::<TextAndBytes>(&bytes("18 02 c3 28 00")),
        P(InvalidData)
    );
    assert_eq!(
        compact::decode::<TextAndBytes>(&bytes("28 02 c3 28 00"))
            .unwrap()
            .raw,
        Some(vec![0xc3, 0x28])
    );
    // Message names are strings.
    assert_eq!(
        read_header_binary(&bytes("80 01 00 01 00 00 00 01 ff 00 00 00 00"), false),
        P(InvalidData)
    );
}

/// c.1.20: a known field id with the wrong wire type is skipped and the
/// rest of the struct is decoded.
#[test]
fn c20_known_field_with_wrong_type() {
    // Inner { 1: i32 id, 2: string name }: field 1 sent as a string.
    let b = bytes("0b 00 01 00 00 00 01 78 | 0b 00 02 00 00 00 01 79 | 00");
    assert_eq!(
        binary::decode::<Inner>(&b).unwrap(),
        Inner {
            id: None,
            name: Some("y".into())
        }
    );
    let c = bytes("18 01 78 | 18 01 79 | 00");
    assert_eq!(
        compact::decode::<Inner>(&c).unwrap(),
        Inner {
            id: None,
            name: Some("y".into())
        }
    );
}

/// c.1.21: unknown ids (−1, 0, 32767, duplicates) are skipped; a duplicate
/// known id: the last one wins.
#[test]
fn c21_unknown_and_duplicate_ids() {
    let b = bytes(
        "08 ff ff 00 00 00 01 | 08 00 00 00 00 00 02 | 08 7f ff 00 00 00 03 | 08 7f ff 00 00 00 04 \
         | 08 00 01 00 00 00 05 | 08 00 01 00 00 00 06 | 00",
    );
    assert_eq!(
        binary::decode::<Inner>(&b).unwrap(),
        Inner {
            id: Some(6),
            name: None
        }
    );
    let c =
        bytes("05 01 02 | 05 00 04 | 05 fe ff 03 06 | 05 fe ff 03 08 | 05 02 0a | 05 02 0c | 00");
    assert_eq!(
        compact::decode::<Inner>(&c).unwrap(),
        Inner {
            id: Some(6),
            name: None
        }
    );
}

/// A call message carrying `all_types` in field 1 of its argument struct.
fn message(compact: bool) -> Vec<u8> {
    fn write<W: ProtocolWrite>(mut p: W) {
        p.write_message_begin(&MessageHeader {
            name: "echo".into(),
            kind: MessageType::Call,
            seqid: 9,
        })
        .unwrap();
        p.write_struct_begin("args").unwrap();
        p.write_field_begin("v", TType::Struct, 1).unwrap();
        all_types(true).encode(&mut p).unwrap();
        p.write_field_end().unwrap();
        p.write_field_stop().unwrap();
        p.write_struct_end().unwrap();
        p.write_message_end().unwrap();
    }
    let mut out = Vec::new();
    if compact {
        write(CompactProtocol::new(&mut out, Limits::default()));
    } else {
        write(BinaryProtocol::new(&mut out, Limits::default()));
    }
    out
}

/// Reads a message as a server would: header, then the args struct through
/// the typed decoder (field 1 as `AllTypes`), then skipping it again.
fn read_message<R: ProtocolRead>(mut p: R) -> Result<()> {
    let _ = p.read_message_begin()?;
    p.read_struct_begin()?;
    while let Some(f) = p.read_field_begin()? {
        if (f.id, f.ttype) == (1, TType::Struct) {
            AllTypes::decode(&mut p)?;
        } else {
            p.skip(f.ttype)?;
        }
        p.read_field_end()?;
    }
    p.read_struct_end()?;
    p.read_message_end()
}

fn read_any(compact: bool, b: &[u8]) -> Result<()> {
    if compact {
        read_message(CompactProtocol::new(b, Limits::default()))
    } else {
        read_message(BinaryProtocol::new(b, Limits::default()))
    }
}

fn skip_any(compact: bool, b: &[u8]) -> Result<()> {
    fn go<R: ProtocolRead>(mut p: R) -> Result<()> {
        p.read_message_begin()?;
        p.skip(TType::Struct)
    }
    if compact {
        go(CompactProtocol::new(b, Limits::default()))
    } else {
        go(BinaryProtocol::new(b, Limits::default()))
    }
}

/// c.1.23: every prefix of a valid message fails with EOF (or SIZE_LIMIT,
/// when a declared length is longer than what is left), never panics.
#[test]
fn c23_every_truncation_is_an_error() {
    for compact in [false, true] {
        let m = message(compact);
        read_any(compact, &m).expect("the whole message decodes");
        skip_any(compact, &m).expect("the whole message skips");
        for cut in 0..m.len() {
            for r in [read_any(compact, &m[..cut]), skip_any(compact, &m[..cut])] {
                match kind(r) {
                    Eof | P(SizeLimit) => {}
                    other => panic!("compact={compact} cut={cut}: {other:?}"),
                }
            }
        }
    }
}

/// c.1.24: random single-byte mutations of valid messages never panic and
/// never hang. Decoding one of these messages takes microseconds; the bound
/// below is far above that so that only a loop that stops consuming bytes,
/// not a loaded machine, can trip it (speed itself is measured by benches).
#[test]
fn c24_random_mutations() {
    for compact in [false, true] {
        let m = message(compact);
        let mut runner = TestRunner::new(Config {
            cases: 3000,
            failure_persistence: None,
            ..Config::default()
        });
        let len = m.len();
        let strategy = (0..len, any::<u8>(), 0..len, any::<u8>());
        runner
            .run(&strategy, |(i, b, j, c)| {
                let mut x = m.clone();
                x[i] = b;
                x[j] ^= c;
                let t = Instant::now();
                let _ = read_any(compact, &x);
                let _ = skip_any(compact, &x);
                prop_assert!(
                    t.elapsed() < Duration::from_secs(2),
                    "took {:?}",
                    t.elapsed()
                );
                Ok(())
            })
            .unwrap_or_else(|e| panic!("compact={compact}: {e}"));
    }
}

/// c.2.30: within-limit fan-out (a million empty structs in a million
/// bytes) decodes in linear time with memory proportional to the input.
#[test]
fn c30_fan_out_is_linear() {
    let n = 1_000_000;
    let mut b = vec![12];
    b.extend_from_slice(&(n as i32).to_be_bytes());
    b.resize(b.len() + n, 0);
    let t = Instant::now();
    let (v, peak) = peak_alloc(|| binary::decode::<Vec<Inner>>(&b).map(|v| v.len()));
    assert_eq!(v.unwrap(), n);
    let per_elem = std::mem::size_of::<Inner>();
    // A growing Vec peaks at old + new buffers: under 3 × final size.
    assert!(
        peak <= 3 * n * per_elem,
        "allocated {peak} bytes for {n} elements of {per_elem} bytes"
    );
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "took {:?}",
        t.elapsed()
    );
    // Compact: the same list, and one that claims a byte more than is there.
    let mut c = vec![0xfc, 0xc0, 0x84, 0x3d];
    c.resize(c.len() + n, 0);
    assert_eq!(compact::decode::<Vec<Inner>>(&c).unwrap().len(), n);
    c[1] = 0xc1;
    assert_eq!(cpt::<Vec<Inner>>(&c), P(SizeLimit));
}

/// A map or set that repeats one key many times costs memory for the
/// distinct keys only (ordered collections are built in bulk while keys
/// increase; the first repeat switches to inserting one by one).
#[test]
fn repeated_keys_cost_memory_for_distinct_keys_only() {
    let n = 200_000;
    // map<string, string>: n entries ("", ""), 8 bytes each on the wire.
    let mut b = vec![11, 11];
    b.extend_from_slice(&(n as i32).to_be_bytes());
    b.resize(b.len() + 8 * n, 0);
    let (m, peak) = peak_alloc(|| binary::decode::<BTreeMap<String, String>>(&b));
    assert_eq!(m.unwrap().len(), 1);
    // The preallocation cap (64 KiB) and one tree node; keeping all n
    // entries would take 200,000 x 48 bytes.
    assert!(
        peak < 128 * 1024,
        "allocated {peak} bytes for one distinct key"
    );
    // set<string>: n empty strings.
    let mut b = vec![11];
    b.extend_from_slice(&(n as i32).to_be_bytes());
    b.resize(b.len() + 4 * n, 0);
    let (s, peak) = peak_alloc(|| binary::decode::<BTreeSet<String>>(&b));
    assert_eq!(s.unwrap().len(), 1);
    assert!(
        peak < 128 * 1024,
        "allocated {peak} bytes for one distinct element"
    );
}
