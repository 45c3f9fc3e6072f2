//! A view handler whose views keep their containers undecoded (options
//! `views` and `lazy`: the golden `bench_bench_views_lazy`), served by the
//! runtime's server and called by the generated client, as the bench server
//! does: `echo` gets the request's `Payload` as a `PayloadRef` whose lists,
//! set and map are `LazyList`/`LazySet`/`LazyMap` slices of the server's
//! read buffer, and returns it borrowed, so the reply copies them in one
//! piece. Every reply must equal what was sent, in every server mode,
//! protocol and framing, for requests that fit the read buffer and requests
//! larger than it; also when the handler changes a field, looks into the
//! containers, or answers with an owned copy. A view read in one protocol
//! and written in the other is written element by element.

#![deny(warnings)]

#[allow(dead_code)]
#[rustfmt::skip]
#[path = "../golden/rs/bench_bench_views_lazy/mod.rs"]
mod lazy;

use lazy::bench::{
    BenchAddError, BenchBlobError, BenchClient, BenchEchoError, BenchPingError, BenchViewHandler,
    BenchViewProcessor, Inner, Kind, Payload, PayloadRef,
};
use std::collections::{HashMap, HashSet};
use thriftc_runtime::client::Client;
use thriftc_runtime::{ApplicationError, ApplicationErrorKind, CowView};
use thriftc_tests::ServerMode;

/// Echoes what it is given, borrowed; `count` asks for something else:
/// 1 an owned copy, 2 a changed title, 3 a summary of the containers in the
/// title (read through the lazy containers), 4 an error.
struct Echo;

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
        match p.count {
            1 => Ok(CowView::Owned(Payload::from(&p))),
            2 => Ok(CowView::Borrowed(PayloadRef {
                title: "changed",
                ..p
            })),
            3 => {
                let mut owned = Payload::from(&p);
                owned.title = summary(&p);
                Ok(CowView::Owned(owned))
            }
            4 => Err(ApplicationError::new(ApplicationErrorKind::Unknown, p.title).into()),
            _ => Ok(CowView::Borrowed(p)),
        }
    }

    fn blob<'a>(&self, data: &'a [u8]) -> Result<CowView<Vec<u8>, &'a [u8]>, BenchBlobError> {
        Ok(CowView::Borrowed(data))
    }
}

/// The containers as the handler sees them, iterated lazily.
fn summary(p: &PayloadRef<'_>) -> String {
    let values: i64 = p.values.iter().sum();
    let attr = p.attrs.get("attr_3").unwrap_or(-1);
    let labels = p.labels.iter().filter(|l| l.starts_with("label-")).count();
    let tags: i32 = p.children.iter().flat_map(|c| c.tags.iter()).sum();
    let names: Vec<&str> = p.children.iter().map(|c| c.name).collect();
    format!("{values} {attr} {labels} {tags} {}", names.join(","))
}

/// The same summary of the owned value.
fn owned_summary(p: &Payload) -> String {
    let values: i64 = p.values.iter().sum();
    let attr = p.attrs.get("attr_3").copied().unwrap_or(-1);
    let labels = p.labels.iter().filter(|l| l.starts_with("label-")).count();
    let tags: i32 = p.children.iter().flat_map(|c| c.tags.iter()).sum();
    let names: Vec<&str> = p.children.iter().map(|c| c.name.as_str()).collect();
    format!("{values} {attr} {labels} {tags} {}", names.join(","))
}

fn payload(k: usize, title_len: usize) -> Payload {
    let inner = |i: usize| Inner {
        id: i as i32,
        name: format!("child-{k}-{i}"),
        score: 0.25 * i as f64,
        tags: (0..(i + title_len / 50_000) as i32).collect(),
    };
    Payload {
        count: 0,
        timestamp: 1_700_000_000_000 + k as i64,
        ratio: 0.5,
        active: k.is_multiple_of(2),
        title: "t".repeat(title_len) + "é",
        raw: (0..title_len / 2).map(|i| (i + k) as u8).collect(),
        note: (!k.is_multiple_of(3)).then(|| format!("note {k}")),
        values: (0..16 + title_len as i64 / 1000)
            .map(|i| i * 1_000_003 - k as i64)
            .collect(),
        attrs: (0..8 + title_len as i32 / 10_000)
            .map(|i| (format!("attr_{i}"), i * 3 - 7))
            .collect::<HashMap<_, _>>(),
        labels: (0..8 + title_len / 10_000)
            .map(|i| format!("label-{i:03}"))
            .collect::<HashSet<_>>(),
        inner: inner(k),
        children: (0..5 + title_len / 200_000).map(inner).collect(),
        kind: Kind::from((k % 5) as i32),
    }
}

/// Runs `f` against a fresh server and a client of it, in every server
/// mode, protocol and framing; `f` gets a label of the combination.
fn each_server(mut f: impl FnMut(&str, &mut BenchClient<Client>)) {
    for mode in ServerMode::all() {
        let server = mode.serve(BenchViewProcessor::new(Echo));
        let mut client = BenchClient::new(mode.connect(&server));
        f(&mode.label(), &mut client);
        server.stop();
    }
}

#[test]
fn echo_replies_with_what_it_was_sent_small_and_large() {
    each_server(|what, client| {
        // Small requests are read in place; those past the read buffer
        // (128 KiB) are gathered into one buffer first, then read from it.
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
fn owned_changed_inspected_and_failed_replies() {
    each_server(|what, client| {
        let mut p = payload(7, 100);
        p.count = 1;
        assert!(client.echo(p.clone()).expect(what) == p, "{what}: owned");

        p.count = 2;
        let got = client.echo(p.clone()).expect(what);
        let want = Payload {
            title: "changed".into(),
            ..p.clone()
        };
        assert!(got == want, "{what}: changed view");

        p.count = 3;
        let got = client.echo(p.clone()).expect(what);
        assert_eq!(
            got.title,
            owned_summary(&p),
            "{what}: containers seen lazily"
        );

        p.count = 4;
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
fn a_view_read_in_one_protocol_is_written_in_the_other() {
    use thriftc_runtime::{binary, compact};
    let p = payload(5, 300);
    let b = binary::encode(&p).unwrap();
    let c = compact::encode(&p).unwrap();
    // Same protocol: the bytes as read (containers copied whole).
    let v: PayloadRef<'_> = binary::decode_view(&b).unwrap();
    assert_eq!(binary::encode(&v).unwrap(), b);
    // The other one: element by element.
    let again: Payload = compact::decode(&compact::encode(&v).unwrap()).unwrap();
    assert!(again == p, "binary view written compact differs");
    let v: PayloadRef<'_> = compact::decode_view(&c).unwrap();
    assert_eq!(compact::encode(&v).unwrap(), c);
    let again: Payload = binary::decode(&binary::encode(&v).unwrap()).unwrap();
    assert!(again == p, "compact view written binary differs");
    assert_eq!(summary(&v), owned_summary(&p));
}
