//! Encode and decode of the `Payload` struct of `fixtures/bench/bench.thrift`
//! (1,033 bytes in the binary protocol) with the binary and compact
//! protocols, to and from memory.
//!
//! `Payload`, `Inner` and `Kind` are written out here the way the code
//! generator emits them (fields in id order, decode by `(id, wire type)`,
//! unknown fields skipped, default-requiredness fields as plain values), so
//! the figures measure the protocol layer under generated code.
//!
//! Run: `cargo bench -p thriftc-runtime --bench protocol`.

use std::collections::{HashMap, HashSet};
use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use thriftc_runtime::protocol::{ProtocolRead, ProtocolWrite, TType};
use thriftc_runtime::{BinaryProtocol, CompactProtocol, Decode, Encode, Limits, Result, WireType};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Kind(pub i32);

impl Kind {
    pub const MEDIUM: Kind = Kind(2);
}

impl WireType for Kind {
    const TTYPE: TType = TType::I32;
}

impl Encode for Kind {
    #[inline]
    fn encode<P: ProtocolWrite + ?Sized>(&self, p: &mut P) -> Result<()> {
        p.write_i32(self.0)
    }
}

impl Decode for Kind {
    #[inline]
    fn decode<P: ProtocolRead + ?Sized>(p: &mut P) -> Result<Self> {
        p.read_i32().map(Kind)
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Inner {
    pub id: i32,
    pub name: String,
    pub score: f64,
    pub tags: Vec<i32>,
}

impl WireType for Inner {
    const TTYPE: TType = TType::Struct;
}

impl Encode for Inner {
    fn encode<P: ProtocolWrite + ?Sized>(&self, p: &mut P) -> Result<()> {
        p.write_struct_begin("Inner")?;
        p.write_field_begin("id", TType::I32, 1)?;
        Encode::encode(&self.id, p)?;
        p.write_field_end()?;
        p.write_field_begin("name", TType::String, 2)?;
        Encode::encode(&self.name, p)?;
        p.write_field_end()?;
        p.write_field_begin("score", TType::Double, 3)?;
        Encode::encode(&self.score, p)?;
        p.write_field_end()?;
        p.write_field_begin("tags", TType::List, 4)?;
        Encode::encode(&self.tags, p)?;
        p.write_field_end()?;
        p.write_field_stop()?;
        p.write_struct_end()
    }
}

impl Decode for Inner {
    fn decode<P: ProtocolRead + ?Sized>(p: &mut P) -> Result<Self> {
        p.read_struct_begin()?;
        let mut f_id = None;
        let mut f_name = None;
        let mut f_score = None;
        let mut f_tags = None;
        while let Some(h) = p.read_field_begin()? {
            match (h.id, h.ttype) {
                (1, TType::I32) => f_id = Some(Decode::decode(p)?),
                (2, TType::String) => f_name = Some(Decode::decode(p)?),
                (3, TType::Double) => f_score = Some(Decode::decode(p)?),
                (4, TType::List) => f_tags = Some(Decode::decode(p)?),
                _ => p.skip(h.ttype)?,
            }
            p.read_field_end()?;
        }
        p.read_struct_end()?;
        Ok(Self {
            id: f_id.unwrap_or_default(),
            name: f_name.unwrap_or_default(),
            score: f_score.unwrap_or_default(),
            tags: f_tags.unwrap_or_default(),
        })
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Payload {
    pub count: i32,
    pub timestamp: i64,
    pub ratio: f64,
    pub active: bool,
    pub title: String,
    pub raw: Vec<u8>,
    pub note: Option<String>,
    pub values: Vec<i64>,
    pub attrs: HashMap<String, i32>,
    pub labels: HashSet<String>,
    pub inner: Inner,
    pub children: Vec<Inner>,
    pub kind: Kind,
}

impl WireType for Payload {
    const TTYPE: TType = TType::Struct;
}

impl Encode for Payload {
    fn encode<P: ProtocolWrite + ?Sized>(&self, p: &mut P) -> Result<()> {
        p.write_struct_begin("Payload")?;
        p.write_field_begin("count", TType::I32, 1)?;
        Encode::encode(&self.count, p)?;
        p.write_field_end()?;
        p.write_field_begin("timestamp", TType::I64, 2)?;
        Encode::encode(&self.timestamp, p)?;
        p.write_field_end()?;
        p.write_field_begin("ratio", TType::Double, 3)?;
        Encode::encode(&self.ratio, p)?;
        p.write_field_end()?;
        p.write_field_begin("active", TType::Bool, 4)?;
        Encode::encode(&self.active, p)?;
        p.write_field_end()?;
        p.write_field_begin("title", TType::String, 5)?;
        Encode::encode(&self.title, p)?;
        p.write_field_end()?;
        p.write_field_begin("raw", TType::String, 6)?;
        Encode::encode(&self.raw, p)?;
        p.write_field_end()?;
        if let Some(v) = &self.note {
            p.write_field_begin("note", TType::String, 7)?;
            Encode::encode(v, p)?;
            p.write_field_end()?;
        }
        p.write_field_begin("values", TType::List, 8)?;
        Encode::encode(&self.values, p)?;
        p.write_field_end()?;
        p.write_field_begin("attrs", TType::Map, 9)?;
        Encode::encode(&self.attrs, p)?;
        p.write_field_end()?;
        p.write_field_begin("labels", TType::Set, 10)?;
        Encode::encode(&self.labels, p)?;
        p.write_field_end()?;
        p.write_field_begin("inner", TType::Struct, 11)?;
        Encode::encode(&self.inner, p)?;
        p.write_field_end()?;
        p.write_field_begin("children", TType::List, 12)?;
        Encode::encode(&self.children, p)?;
        p.write_field_end()?;
        p.write_field_begin("kind", TType::I32, 13)?;
        Encode::encode(&self.kind, p)?;
        p.write_field_end()?;
        p.write_field_stop()?;
        p.write_struct_end()
    }
}

impl Decode for Payload {
    fn decode<P: ProtocolRead + ?Sized>(p: &mut P) -> Result<Self> {
        p.read_struct_begin()?;
        let mut f_count = None;
        let mut f_timestamp = None;
        let mut f_ratio = None;
        let mut f_active = None;
        let mut f_title = None;
        let mut f_raw = None;
        let mut f_note = None;
        let mut f_values = None;
        let mut f_attrs = None;
        let mut f_labels = None;
        let mut f_inner = None;
        let mut f_children = None;
        let mut f_kind = None;
        while let Some(h) = p.read_field_begin()? {
            match (h.id, h.ttype) {
                (1, TType::I32) => f_count = Some(Decode::decode(p)?),
                (2, TType::I64) => f_timestamp = Some(Decode::decode(p)?),
                (3, TType::Double) => f_ratio = Some(Decode::decode(p)?),
                (4, TType::Bool) => f_active = Some(Decode::decode(p)?),
                (5, TType::String) => f_title = Some(Decode::decode(p)?),
                (6, TType::String) => f_raw = Some(Decode::decode(p)?),
                (7, TType::String) => f_note = Some(Decode::decode(p)?),
                (8, TType::List) => f_values = Some(Decode::decode(p)?),
                (9, TType::Map) => f_attrs = Some(Decode::decode(p)?),
                (10, TType::Set) => f_labels = Some(Decode::decode(p)?),
                (11, TType::Struct) => f_inner = Some(Decode::decode(p)?),
                (12, TType::List) => f_children = Some(Decode::decode(p)?),
                (13, TType::I32) => f_kind = Some(Decode::decode(p)?),
                _ => p.skip(h.ttype)?,
            }
            p.read_field_end()?;
        }
        p.read_struct_end()?;
        Ok(Self {
            count: f_count.unwrap_or_default(),
            timestamp: f_timestamp.unwrap_or_default(),
            ratio: f_ratio.unwrap_or_default(),
            active: f_active.unwrap_or_default(),
            title: f_title.unwrap_or_default(),
            raw: f_raw.unwrap_or_default(),
            note: f_note,
            values: f_values.unwrap_or_default(),
            attrs: f_attrs.unwrap_or_default(),
            labels: f_labels.unwrap_or_default(),
            inner: f_inner.unwrap_or_default(),
            children: f_children.unwrap_or_default(),
            kind: f_kind.unwrap_or_default(),
        })
    }
}

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
