//! A view handler (option `views`: the golden `bench_bench_views`) served
//! by the runtime's server and called by the generated client: `echo` gets
//! the request's `Payload` as a `PayloadRef` borrowing the server's read
//! buffer and returns it borrowed, `blob` gets and returns a `&[u8]`. Every
//! reply must equal what an owned handler would send, in every server mode,
//! protocol and framing, for requests that fit the read buffer (read in
//! place) and requests larger than it (read through the protocol first),
//! and whether the handler returns a view or an owned value.

#![deny(warnings)]

#[allow(dead_code)]
#[rustfmt::skip]
#[path = "../golden/rs/bench_bench_views/mod.rs"]
mod views;

use std::sync::atomic::{AtomicUsize, Ordering};
use thriftc_runtime::client::Client;
use thriftc_runtime::{ApplicationError, ApplicationErrorKind, CowView};
use thriftc_tests::ServerMode;
use views::bench::{
    BenchAddError, BenchBlobError, BenchClient, BenchEchoError, BenchPingError, BenchViewHandler,
    BenchViewProcessor, Inner, Kind, Payload, PayloadRef,
};

/// Echoes what it is given: borrowed, except where the request asks for an
/// owned copy (`count == 1`), a changed value (`count == 2`) or an error
/// (`count == 3`).
#[derive(Default)]
struct Echo {
    calls: AtomicUsize,
}

impl BenchViewHandler for Echo {
    fn ping(&self) -> Result<(), BenchPingError> {
        Ok(())
    }

    fn add(&self, a: i64, b: i64) -> Result<i64, BenchAddError> {
        Ok(a.wrapping_add(b))
    }

    fn echo<'a>(
        &self,
        p: PayloadRef<'a>,
    ) -> Result<CowView<Payload, PayloadRef<'a>>, BenchEchoError> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        match p.count {
            1 => Ok(CowView::Owned(Payload::from(&p))),
            2 => {
                let mut p = p;
                p.title = "changed";
                p.labels.insert("added");
                Ok(CowView::Borrowed(p))
            }
            3 => Err(ApplicationError::new(ApplicationErrorKind::Unknown, p.title).into()),
            _ => Ok(CowView::Borrowed(p)),
        }
    }

    fn blob<'a>(&self, data: &'a [u8]) -> Result<CowView<Vec<u8>, &'a [u8]>, BenchBlobError> {
        Ok(if data.len() % 2 == 1 {
            CowView::Owned(data.to_vec())
        } else {
            CowView::Borrowed(data)
        })
    }
}

fn payload(k: usize, title_len: usize) -> Payload {
    let inner = |i: usize| Inner {
        id: i as i32,
        name: format!("child-{k}-{i}"),
        score: 0.25 * i as f64,
        tags: (0..i as i32).collect(),
    };
    Payload {
        count: 0,
        timestamp: 1_700_000_000_000 + k as i64,
        ratio: 0.5,
        active: k.is_multiple_of(2),
        title: "t".repeat(title_len) + "é",
        raw: (0..title_len / 2).map(|i| (i + k) as u8).collect(),
        note: (!k.is_multiple_of(3)).then(|| format!("note {k}")),
        values: (0..16).map(|i| i * 1_000_003 - k as i64).collect(),
        attrs: (0..8).map(|i| (format!("attr_{i}"), i * 3 - 7)).collect(),
        labels: (0..8).map(|i| format!("label-{i:03}")).collect(),
        inner: inner(k),
        children: (0..5).map(inner).collect(),
        kind: Kind::from((k % 5) as i32),
    }
}

/// Runs `f` against a fresh server and a client of it, in every server
/// mode, protocol and framing; `f` gets a label of the combination.
fn each_server(mut f: impl FnMut(&str, &mut BenchClient<Client>)) {
    for mode in ServerMode::all() {
        let server = mode.serve(BenchViewProcessor::new(Echo::default()));
        let mut client = BenchClient::new(mode.connect(&server));
        f(&mode.label(), &mut client);
        server.stop();
    }
}

#[test]
fn echo_replies_with_what_it_was_sent_small_and_large() {
    each_server(|what, client| {
        // Small requests are read in place; those past the read buffer
        // (128 KiB) arrive in pieces and are read through the protocol.
        for (k, n) in [0, 10, 1_000, 20_000, 200_000, 1_500_000, 30]
            .into_iter()
            .enumerate()
        {
            let p = payload(k, n);
            let got = client.echo(p.clone()).expect(what);
            assert!(got == p, "{what}: echo of a {n}-byte title differs");
            assert_eq!(client.add(k as i64, 2).expect(what), k as i64 + 2, "{what}");
        }
    });
}

#[test]
fn owned_changed_and_failed_replies() {
    each_server(|what, client| {
        let mut p = payload(7, 100);
        p.count = 1;
        assert!(client.echo(p.clone()).expect(what) == p, "{what}: owned");

        p.count = 2;
        let got = client.echo(p.clone()).expect(what);
        let mut want = p.clone();
        want.title = "changed".into();
        want.labels.insert("added".into());
        assert!(got == want, "{what}: changed view");

        p.count = 3;
        p.title = "refused".into();
        match client.echo(p.clone()) {
            Err(BenchEchoError::Application(e)) => {
                assert_eq!(e.kind, ApplicationErrorKind::Unknown, "{what}");
                assert_eq!(e.message, "refused", "{what}");
            }
            other => panic!("{what}: expected the application error, got {other:?}"),
        }
        // The connection goes on.
        client.ping().expect(what);
    });
}

#[test]
fn blobs_of_every_size_round_trip_borrowed_or_owned() {
    each_server(|what, client| {
        for (k, n) in [0usize, 1, 2, 16_383, 16_384, 100_001, 300_000, 2_000_000]
            .into_iter()
            .enumerate()
        {
            let sent: Vec<u8> = (0..n).map(|i| (i * 7 + k) as u8).collect();
            let got = client.blob(sent.clone()).expect(what);
            assert!(got == sent, "{what}: blob of {n} bytes differs");
        }
    });
}
