//! Large shared binaries (option `bytes_paths`, `Bytes`) through a real
//! server and client: the bench IDL's `blob` (golden `bench_bench_bytes`)
//! returns its argument. The server reads a large value that is all in its
//! read buffer without a copy (lending the buffer) and sends a large reply
//! value from where it is; the client does the same with its reply. This
//! checks that, across sizes around the thresholds, every protocol and
//! framing and both server modes, every reply is the value sent, and that
//! replies a client keeps stay intact while later calls reuse its buffers;
//! also for large `ByteString`s inside a struct (`echo`).

#![deny(warnings)]

#[allow(dead_code)]
#[rustfmt::skip]
#[path = "../golden/rs/bench_bench_bytes/mod.rs"]
mod shared;

use shared::bench::{
    BenchAddError, BenchBlobError, BenchClient, BenchEchoError, BenchHandler, BenchPingError,
    BenchProcessor, Payload,
};
use thriftc_runtime::client::Client;
use thriftc_runtime::{ByteString, Bytes};
use thriftc_tests::ServerMode;

struct Echo;

impl BenchHandler for Echo {
    fn ping(&self) -> Result<(), BenchPingError> {
        Ok(())
    }
    fn add(&self, a: i64, b: i64) -> Result<i64, BenchAddError> {
        Ok(a.wrapping_add(b))
    }
    fn echo(&self, p: Payload) -> Result<Payload, BenchEchoError> {
        Ok(p)
    }
    fn blob(&self, data: Bytes) -> Result<Bytes, BenchBlobError> {
        Ok(data)
    }
}

/// Sizes around the lending and splicing thresholds (16 KiB, a quarter of
/// the read buffer), up to values larger than the read buffer (128 KiB).
const SIZES: [usize; 9] = [
    0,
    1,
    16 * 1024 - 1,
    16 * 1024,
    33_000,
    100_000,
    131_000,
    300_000,
    2_000_000,
];

fn value(n: usize, k: usize) -> Bytes {
    (0..n)
        .map(|i| (i * 7 + k) as u8)
        .collect::<Vec<u8>>()
        .into()
}

/// Runs `f` against a fresh server and a client of it, in every server
/// mode, protocol and framing; `f` gets a label of the combination.
fn each_server(mut f: impl FnMut(&str, &mut BenchClient<Client>)) {
    for mode in ServerMode::all() {
        let server = mode.serve(BenchProcessor::new(Echo));
        let mut client = BenchClient::new(mode.connect(&server));
        f(&mode.label(), &mut client);
        server.stop();
    }
}

#[test]
fn large_blobs_round_trip_and_kept_replies_stay_intact() {
    each_server(|what, client| {
        let mut kept = Vec::new();
        for round in 0..2 {
            for (i, &n) in SIZES.iter().enumerate() {
                let k = round * SIZES.len() + i;
                let sent = value(n, k);
                let got = client.blob(sent.clone()).expect(what);
                assert_eq!(got.len(), n, "{what}: {n} bytes");
                assert!(got == sent, "{what}: the reply to {n} bytes differs");
                // Small calls between the large ones reuse the buffers.
                assert_eq!(client.add(k as i64, 1).expect(what), k as i64 + 1);
                kept.push((k, n, got));
            }
        }
        for (k, n, got) in &kept {
            assert!(*got == value(*n, *k), "{what}: kept reply {k} changed");
        }
    });
}

#[test]
fn structs_with_large_strings_and_binaries_round_trip() {
    let text = |n: usize, k: usize| -> ByteString {
        (0..n)
            .map(|i| char::from(b'a' + ((i + k) % 26) as u8))
            .chain(std::iter::once('é'))
            .collect::<String>()
            .into()
    };
    each_server(|what, client| {
        let mut kept = Vec::new();
        for (k, n) in [10, 40_000, 17_000, 90_000, 5].into_iter().enumerate() {
            let mut p = Payload {
                title: text(n, k),
                raw: value(n / 2, k),
                note: Some(text(n / 3, k + 1)),
                ..Payload::default()
            };
            p.inner.name = text(n, k + 2);
            let got = client.echo(p.clone()).expect(what);
            assert!(got == p, "{what}: the reply to {n}-byte strings differs");
            kept.push((got, p));
        }
        for (got, p) in &kept {
            assert!(got == p, "{what}: a kept reply changed");
        }
    });
}
