//! A 64 KiB `binary` (the harness's `blob`) through the socket transports,
//! as a `Vec<u8>` and as a shared `Bytes` (feature `bytes`):
//!
//! - `read`: decoded from a `StreamReader` over an endless stream of framed
//!   messages (each read fills the buffer, as a socket that has the data
//!   does). `Vec<u8>` copies the value out of the read buffer; `Bytes` is
//!   lent from it.
//! - `write`: encoded into a `MessageWriter` that splices shared values, over
//!   `io::sink()`. `Vec<u8>` is copied into the writer's buffer; `Bytes` is
//!   sent from where it is.
//!
//! Run: `cargo bench -p thriftc-runtime --features bytes --bench stream_blob`.

use std::hint::black_box;
use std::io::Read;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use thriftc_runtime::protocol::ProtocolWrite;
use thriftc_runtime::transport::{MessageWriter, StreamReader};
use thriftc_runtime::{BinaryProtocol, Bytes, Decode, Encode, Framing, Limits};

const LEN: usize = 64 * 1024;

/// An endless stream of one framed message; each read fills what it is
/// given.
struct Frames {
    frame: Vec<u8>,
    pos: usize,
}

impl Read for Frames {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut n = 0;
        while n < buf.len() {
            let k = (buf.len() - n).min(self.frame.len() - self.pos);
            buf[n..n + k].copy_from_slice(&self.frame[self.pos..self.pos + k]);
            n += k;
            self.pos = (self.pos + k) % self.frame.len();
        }
        Ok(n)
    }
}

fn reader() -> StreamReader<Frames> {
    let value: Vec<u8> = (0..LEN).map(|i| (i * 7 % 251) as u8).collect();
    let mut body = Vec::new();
    value
        .encode(&mut BinaryProtocol::new(&mut body, Limits::default()))
        .unwrap();
    let mut frame = (body.len() as u32).to_be_bytes().to_vec();
    frame.extend_from_slice(&body);
    StreamReader::new(Frames { frame, pos: 0 }, Framing::Framed, Limits::default())
}

fn read<T: Decode>(r: &mut StreamReader<Frames>) -> T {
    assert!(r.begin_message().unwrap());
    let v = T::decode(&mut BinaryProtocol::new(&mut *r, Limits::default())).unwrap();
    r.end_message().unwrap();
    v
}

fn write<T: Encode>(w: &mut MessageWriter<std::io::Sink>, v: &T) {
    let mut p = BinaryProtocol::new(w, Limits::default());
    v.encode(&mut p).unwrap();
    p.flush().unwrap();
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("blob64k");
    g.throughput(Throughput::Bytes(LEN as u64));
    let mut r = reader();
    g.bench_function("read/vec", |b| {
        b.iter(|| black_box(read::<Vec<u8>>(&mut r)))
    });
    let mut r = reader();
    g.bench_function("read/bytes", |b| {
        b.iter(|| black_box(read::<Bytes>(&mut r)))
    });
    let value: Vec<u8> = (0..LEN).map(|i| i as u8).collect();
    let shared = Bytes::from(value.clone());
    let mut w = MessageWriter::new(std::io::sink(), Framing::Framed, Limits::default())
        .splice_shared_values(true);
    g.bench_function("write/vec", |b| b.iter(|| write(&mut w, black_box(&value))));
    g.bench_function("write/bytes", |b| {
        b.iter(|| write(&mut w, black_box(&shared)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
