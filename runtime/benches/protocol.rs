//! Encode and decode of the `Payload` struct of `fixtures/bench/bench.thrift`
//! (1,033 bytes in the binary protocol) with the binary and compact
//! protocols, to and from memory.
//!
//! `Payload`, `Inner` and `Kind` are the generated code of that IDL (the
//! golden file of `tests/golden/rs/bench_bench`), so the figures measure the
//! protocol layer under the code users get.
//!
//! Run: `cargo bench -p thriftc-runtime --bench protocol`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use thriftc_runtime::{BinaryProtocol, CompactProtocol, Decode, Encode, Limits, Result};

// The generated code itself (the golden that `thriftc gen` must reproduce
// byte for byte), so the figures are those of the code users get.
#[allow(dead_code)]
#[rustfmt::skip] // generated (prettyplease), compared byte for byte
#[path = "../../tests/golden/rs/bench_bench/bench.rs"]
mod bench;

use bench::{Inner, Kind, Payload};

fn child(i: i32) -> Inner {
    Inner {
        id: 1000 + i,
        name: format!("child-{i:02}-name"),
        score: 0.5 + i as f64 * 1.25,
        tags: (0..6).map(|t| t * 10 + i).collect(),
    }
}

/// The values the performance harness's load generator sends.
fn payload() -> Payload {
    Payload {
        count: 42,
        timestamp: 1_700_000_000_123,
        ratio: 0.625,
        active: true,
        title: "benchmark payload: the quick brown fox jumps over the lazy dog".to_string(),
        raw: (0..64u32).map(|i| (i * 7 % 251) as u8).collect(),
        note: Some("optional note is present".to_string()),
        values: (0..16).map(|i| i * 1_000_003 - 5).collect(),
        attrs: (0..8)
            .map(|i| (format!("attr_{i:02}"), i * 3 - 7))
            .collect(),
        labels: (0..8).map(|i| format!("label-{i:03}")).collect(),
        inner: Inner {
            id: 7,
            name: "inner-struct".to_string(),
            score: 3.5,
            tags: vec![1, 2, 3, 5, 8, 13, 21, 34],
        },
        children: (0..5).map(child).collect(),
        kind: Kind::MEDIUM,
    }
}

fn encode_binary(v: &Payload, buf: &mut Vec<u8>) -> Result<()> {
    buf.clear();
    v.encode(&mut BinaryProtocol::new(buf, Limits::default()))
}

fn encode_compact(v: &Payload, buf: &mut Vec<u8>) -> Result<()> {
    buf.clear();
    v.encode(&mut CompactProtocol::new(buf, Limits::default()))
}

fn decode_binary(b: &[u8]) -> Result<Payload> {
    Payload::decode(&mut BinaryProtocol::new(b, Limits::default()))
}

fn decode_compact(b: &[u8]) -> Result<Payload> {
    Payload::decode(&mut CompactProtocol::new(b, Limits::default()))
}

fn bench(c: &mut Criterion) {
    let v = payload();
    let mut bin = Vec::with_capacity(4096);
    encode_binary(&v, &mut bin).unwrap();
    assert_eq!(bin.len(), 1033, "the harness's payload is 1,033 bytes");
    assert_eq!(decode_binary(&bin).unwrap(), v);
    let mut cpt = Vec::with_capacity(4096);
    encode_compact(&v, &mut cpt).unwrap();
    assert_eq!(decode_compact(&cpt).unwrap(), v);

    let mut g = c.benchmark_group("binary");
    g.throughput(Throughput::Bytes(bin.len() as u64));
    let mut buf = Vec::with_capacity(4096);
    g.bench_function("encode", |b| {
        b.iter(|| {
            encode_binary(black_box(&v), &mut buf).unwrap();
            black_box(&buf);
        })
    });
    g.bench_function("decode", |b| {
        b.iter(|| black_box(decode_binary(black_box(&bin)).unwrap()))
    });
    g.finish();

    let mut g = c.benchmark_group("compact");
    g.throughput(Throughput::Bytes(cpt.len() as u64));
    g.bench_function("encode", |b| {
        b.iter(|| {
            encode_compact(black_box(&v), &mut buf).unwrap();
            black_box(&buf);
        })
    });
    g.bench_function("decode", |b| {
        b.iter(|| black_box(decode_compact(black_box(&cpt)).unwrap()))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
