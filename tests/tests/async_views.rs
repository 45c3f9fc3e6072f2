//! The async view flavour of services (options `views` and
//! `async_services`: the golden `views_services_views_async`), whose
//! selected methods take their arguments as views borrowing the call's
//! bytes:
//!
//! - on single messages (`Call::new`), `MoreTextAsyncViewProcessor` answers
//!   every call with the bytes `MoreTextAsyncProcessor` gets from an owned
//!   handler of the same behaviour: replies borrowed from the arguments and
//!   owned ones, declared exceptions, application and internal errors,
//!   oneway calls (never answered, even as a CALL), unknown methods and
//!   arguments that do not decode (`PROTOCOL_ERROR`, truncated ones
//!   included); also methods inherited through a service with no methods of
//!   its own; arguments cut at every byte, a string that is not UTF-8 and
//!   nesting over the depth limit, rejected with the same bytes;
//! - served by the runtime's `AsyncServer` and called by the generated async
//!   client in both protocols and framings: borrowed replies, a message of
//!   200 KB, a panicking view handler (`INTERNAL_ERROR`, the connection
//!   still serves), and a oneway call reaching the handler.

#![deny(warnings)]

#[allow(dead_code)]
#[rustfmt::skip]
#[path = "../golden/rs/views_services_views_async/mod.rs"]
mod idl;

#[macro_use]
mod view_requests;

use idl::view_services::*;
use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;
use thriftc_runtime::protocol::{MessageHeader, MessageType, ProtocolRead, ProtocolWrite};
use thriftc_runtime::tokio::{AsyncClient, AsyncProcessor, AsyncServer, Call};
use thriftc_runtime::{
    ApplicationError, ApplicationErrorKind, BinaryProtocol, CompactProtocol, Connector, CowView,
    Error, Framing, Limits, ProtocolKind,
};
use thriftc_tests::{PROTOS, Proto};
use tokio::sync::mpsc;
use view_requests::request;

/// The longest any step may take: nothing waits without a bound.
const LIMIT: Duration = Duration::from_secs(20);

/// `f`, or a panic naming `what` when it takes longer than [`LIMIT`].
async fn bounded<F: Future>(what: &str, f: F) -> F::Output {
    match tokio::time::timeout(LIMIT, f).await {
        Ok(v) => v,
        Err(_) => panic!("{what}: not done within {LIMIT:?}"),
    }
}

/// `upper(PANIC)` makes both handlers panic.
const PANIC: &str = "panic";

/// Both handlers: the owned one, and the view one answering the same with
/// views of its arguments where it can. `fired` gets the bytes of every
/// `fire` the view handler serves.
struct Owned;
struct Views {
    fired: Option<mpsc::UnboundedSender<Vec<u8>>>,
}

fn views() -> Views {
    Views { fired: None }
}

impl BaseAsyncHandler for Owned {}
impl BaseAsyncHandler for Views {}

fn rejected(why: &str) -> Rejected {
    Rejected {
        why: why.to_owned(),
    }
}

fn nothing(n: i32) -> Result<(), TextNothingError> {
    match n {
        n if n < 0 => Err(ApplicationError::new(ApplicationErrorKind::Unknown, "negative").into()),
        13 => Err(TextNothingError::Rpc(Error::from(ApplicationError::new(
            ApplicationErrorKind::Unknown,
            "unlucky",
        )))),
        _ => Ok(()),
    }
}

impl TextAsyncHandler for Owned {
    async fn echo(&self, s: String) -> Result<String, TextEchoError> {
        Ok(s)
    }
    async fn split(&self, s: String, sep: String) -> Result<Vec<String>, TextSplitError> {
        Ok(s.split(sep.as_str()).map(str::to_owned).collect())
    }
    async fn bytes(&self, b: Vec<u8>) -> Result<Vec<u8>, TextBytesError> {
        match b.len() {
            0 => Err(rejected("empty").into()),
            9.. => Err(TooLong { limit: 8 }.into()),
            _ => Ok(b),
        }
    }
    async fn tag(&self, mut n: Note, extra: String) -> Result<Note, TextTagError> {
        if !extra.is_empty() {
            n.tags.push(extra);
        }
        Ok(n)
    }
    async fn count(&self, words: Vec<String>) -> Result<Count, TextCountError> {
        if words.iter().any(|w| w == "bad") {
            return Err(rejected("bad word").into());
        }
        Ok(Count {
            n: words.len() as i32,
        })
    }
    async fn index(&self, notes: Vec<Note>) -> Result<HashMap<String, Note>, TextIndexError> {
        Ok(notes.into_iter().map(|n| (n.text.clone(), n)).collect())
    }
    async fn fire(&self, _b: Vec<u8>) -> Result<(), TextFireError> {
        Ok(())
    }
    async fn nothing(&self, n: i32) -> Result<(), TextNothingError> {
        nothing(n)
    }
}

impl MoreTextAsyncHandler for Owned {
    async fn upper(&self, s: String) -> Result<String, MoreTextUpperError> {
        assert_ne!(s, PANIC, "told to panic");
        Ok(s.to_uppercase())
    }
}

impl TextAsyncViewHandler for Views {
    async fn echo<'a>(&self, s: &'a str) -> Result<CowView<String, &'a str>, TextEchoError> {
        // A handler may await while it holds the views.
        tokio::task::yield_now().await;
        Ok(CowView::Borrowed(s))
    }
    async fn split<'a>(
        &self,
        s: &'a str,
        sep: &'a str,
    ) -> Result<CowView<Vec<String>, Vec<&'a str>>, TextSplitError> {
        Ok(CowView::Borrowed(s.split(sep).collect()))
    }
    async fn bytes<'a>(&self, b: &'a [u8]) -> Result<CowView<Vec<u8>, &'a [u8]>, TextBytesError> {
        match b.len() {
            0 => Err(rejected("empty").into()),
            9.. => Err(TooLong { limit: 8 }.into()),
            // An owned answer is as good as a borrowed one.
            1 => Ok(CowView::Owned(b.to_vec())),
            _ => Ok(CowView::Borrowed(b)),
        }
    }
    async fn tag<'a>(
        &self,
        mut n: NoteRef<'a>,
        extra: &'a str,
    ) -> Result<CowView<Note, NoteRef<'a>>, TextTagError> {
        if !extra.is_empty() {
            n.tags.push(extra);
        }
        Ok(CowView::Borrowed(n))
    }
    async fn count(&self, words: Vec<&str>) -> Result<Count, TextCountError> {
        if words.contains(&"bad") {
            return Err(rejected("bad word").into());
        }
        Ok(Count {
            n: words.len() as i32,
        })
    }
    async fn index<'a>(
        &self,
        notes: Vec<NoteRef<'a>>,
    ) -> Result<CowView<HashMap<String, Note>, HashMap<&'a str, NoteRef<'a>>>, TextIndexError> {
        Ok(CowView::Borrowed(
            notes.into_iter().map(|n| (n.text, n)).collect(),
        ))
    }
    async fn fire(&self, b: &[u8]) -> Result<(), TextFireError> {
        if let Some(tx) = &self.fired {
            tx.send(b.to_vec()).expect("the test listens");
        }
        Ok(())
    }
    async fn nothing(&self, n: i32) -> Result<(), TextNothingError> {
        nothing(n)
    }
}

impl MoreTextAsyncViewHandler for Views {
    async fn upper<'a>(&self, s: &'a str) -> Result<CowView<String, &'a str>, MoreTextUpperError> {
        assert_ne!(s, PANIC, "told to panic");
        if s.chars().any(char::is_lowercase) {
            Ok(CowView::Owned(s.to_uppercase()))
        } else {
            Ok(CowView::Borrowed(s))
        }
    }
}

fn kind(proto: Proto) -> ProtocolKind {
    match proto {
        Proto::Binary => ProtocolKind::Binary,
        Proto::Compact => ProtocolKind::Compact,
    }
}

/// What `processor` answers to `request` (nothing for oneway), and whether
/// the connection would close after it. A panic is answered as the server
/// answers it.
async fn serve(proto: Proto, processor: &impl AsyncProcessor, request: &[u8]) -> (Vec<u8>, bool) {
    let call = Call::new(request.to_vec(), kind(proto), Limits::default()).expect("a call");
    let reply = processor.process(call).await;
    (reply.as_bytes().to_vec(), reply.closes_connection())
}

fn note(text: &str, tags: &[&str]) -> Note {
    Note {
        text: text.to_owned(),
        tags: tags.iter().map(|t| t.to_string()).collect(),
    }
}

#[tokio::test]
async fn an_async_view_processor_answers_as_the_owned_one() {
    let owned = MoreTextAsyncProcessor::new(Owned);
    let views = MoreTextAsyncViewProcessor::new(views());
    let call = MessageType::Call;
    for proto in PROTOS {
        let mut requests = more_text_calls!(proto);
        // Arguments cut short: the message runs past its end, in a length
        // (which is checked against what is left) and in the STOP byte
        // (which is not).
        for cut in [3, 1] {
            let mut r = request(proto, "echo", call, &TextEchoArgs { s: "abc".into() });
            r.truncate(r.len() - cut);
            requests.push(r);
        }
        let answered = requests.len();
        // Never answered: a oneway method, as ONEWAY or as CALL, and the
        // latter with arguments that do not decode.
        requests.push(request(
            proto,
            "fire",
            MessageType::Oneway,
            &TextFireArgs { b: vec![1] },
        ));
        requests.push(request(proto, "fire", call, &TextFireArgs { b: vec![1] }));
        requests.push(request(proto, "fire", call, &TextNothingArgs { n: 1 }));
        for (i, r) in requests.iter().enumerate() {
            let want = serve(proto, &owned, r).await;
            let got = serve(proto, &views, r).await;
            assert_eq!(want.0.is_empty(), i >= answered, "{proto:?} request {i}");
            assert_eq!(got, want, "{proto:?} request {i}");
        }
    }
}

/// `upper(PANIC)`: the server answers `INTERNAL_ERROR` for both handlers,
/// under the method's name, and keeps the connection.
#[tokio::test]
async fn a_panicking_view_handler_is_answered_as_an_owned_one() {
    for proto in PROTOS {
        let r = request(
            proto,
            "upper",
            MessageType::Call,
            &MoreTextUpperArgs { s: PANIC.into() },
        );
        let owned = MoreTextAsyncProcessor::new(Owned);
        let views = MoreTextAsyncViewProcessor::new(views());
        let want = serve_guarded(proto, owned, &r).await;
        let got = serve_guarded(proto, views, &r).await;
        assert!(!want.is_empty());
        assert_eq!(got, want, "{proto:?}");
    }
}

/// What a multiplexer (which catches panics as the server does) answers to
/// `request` for `processor` under the service name `S`.
async fn serve_guarded(proto: Proto, processor: impl AsyncProcessor, request: &[u8]) -> Vec<u8> {
    let mut m = thriftc_runtime::tokio::AsyncMultiplexed::new();
    m.register("S", std::sync::Arc::new(processor));
    let renamed = rename(proto, request, "S:upper");
    let call = Call::new(renamed, kind(proto), Limits::default()).expect("a call");
    let reply = m.process(call).await;
    assert!(!reply.closes_connection());
    reply.as_bytes().to_vec()
}

/// `request` with its method name replaced by `name`.
fn rename(proto: Proto, request: &[u8], name: &str) -> Vec<u8> {
    let (header, rest) = match proto {
        Proto::Binary => {
            let mut p = BinaryProtocol::new(request, Limits::default());
            let h = p.read_message_begin().unwrap();
            (h, p.into_inner())
        }
        Proto::Compact => {
            let mut p = CompactProtocol::new(request, Limits::default());
            let h = p.read_message_begin().unwrap();
            (h, p.into_inner())
        }
    };
    let header = MessageHeader {
        name: name.to_owned(),
        ..header
    };
    let mut out = Vec::new();
    match proto {
        Proto::Binary => BinaryProtocol::new(&mut out, Limits::default())
            .write_message_begin(&header)
            .unwrap(),
        Proto::Compact => CompactProtocol::new(&mut out, Limits::default())
            .write_message_begin(&header)
            .unwrap(),
    }
    out.extend_from_slice(rest);
    out
}

// A chain whose middle service has no methods: `Views` implements the view
// traits only, so `BottomAsyncViewProcessor` serves `Top`'s method through
// `Middle`'s view flavour, with views.
impl TopAsyncHandler for Owned {
    async fn top(&self, s: String) -> Result<String, TopTopError> {
        Ok(s.to_uppercase())
    }
}
impl MiddleAsyncHandler for Owned {}
impl BottomAsyncHandler for Owned {
    async fn bottom(&self, s: String) -> Result<String, BottomBottomError> {
        Ok(s.to_lowercase())
    }
}
impl TopAsyncViewHandler for Views {
    async fn top<'a>(&self, s: &'a str) -> Result<CowView<String, &'a str>, TopTopError> {
        if s.chars().any(char::is_lowercase) {
            Ok(CowView::Owned(s.to_uppercase()))
        } else {
            Ok(CowView::Borrowed(s))
        }
    }
}
impl MiddleAsyncViewHandler for Views {}
impl BottomAsyncViewHandler for Views {
    async fn bottom<'a>(&self, s: &'a str) -> Result<CowView<String, &'a str>, BottomBottomError> {
        if s.chars().any(char::is_uppercase) {
            Ok(CowView::Owned(s.to_lowercase()))
        } else {
            Ok(CowView::Borrowed(s))
        }
    }
}

#[tokio::test]
async fn methods_inherited_through_a_service_without_methods_are_served_with_views() {
    let call = MessageType::Call;
    for proto in PROTOS {
        let requests = [
            request(proto, "top", call, &TopTopArgs { s: "ab".into() }),
            request(proto, "top", call, &TopTopArgs { s: "AB".into() }),
            request(proto, "bottom", call, &BottomBottomArgs { s: "Ab".into() }),
            request(proto, "bottom", call, &BottomBottomArgs { s: "ab".into() }),
            request(proto, "missing", call, &TopTopArgs { s: "x".into() }),
        ];
        for (i, r) in requests.iter().enumerate() {
            let want = serve(proto, &BottomAsyncProcessor::new(Owned), r).await;
            assert!(!want.0.is_empty(), "{proto:?} request {i}");
            let got = serve(proto, &BottomAsyncViewProcessor::new(views()), r).await;
            assert_eq!(got, want, "{proto:?} request {i}");
            // The middle service's processors answer its parent's methods,
            // and `bottom` as an unknown method.
            let middle = serve(proto, &MiddleAsyncProcessor::new(Owned), r).await;
            let middle_views = serve(proto, &MiddleAsyncViewProcessor::new(views()), r).await;
            assert_eq!(middle_views, middle, "{proto:?} request {i}");
            assert_eq!(middle == want, !matches!(i, 2 | 3), "{proto:?} request {i}");
        }
    }
}

#[tokio::test]
async fn a_server_serves_an_async_view_handler() {
    for proto in [ProtocolKind::Binary, ProtocolKind::Compact] {
        for framing in [Framing::Buffered, Framing::Framed] {
            let (tx, mut fired) = mpsc::unbounded_channel();
            let server =
                AsyncServer::builder(MoreTextAsyncViewProcessor::new(Views { fired: Some(tx) }))
                    .protocol(proto)
                    .framing(framing)
                    .drain_timeout(Duration::from_secs(5))
                    .bind("127.0.0.1:0")
                    .await
                    .expect("bind a free port");
            let addr = server.local_addr();
            let handle = server.handle();
            let task = tokio::spawn(server.serve());

            let connector = Connector::new(addr)
                .expect("address")
                .protocol(proto)
                .framing(framing)
                .read_timeout(LIMIT);
            let conn: AsyncClient = bounded("connect", connector.connect_async())
                .await
                .expect("connect");
            let mut client = MoreTextAsyncClient::new(conn);
            let what = format!("{proto:?} {framing:?}");

            assert_eq!(
                client.echo("héllo".into()).await.unwrap(),
                "héllo",
                "{what}"
            );
            // Larger than any one read: the view borrows the whole message.
            let big = "x".repeat(200_000);
            assert_eq!(client.echo(big.clone()).await.unwrap(), big, "{what}");
            assert_eq!(
                client.split("a b".into(), " ".into()).await.unwrap(),
                ["a", "b"],
                "{what}"
            );
            match client.bytes(vec![0; 9]).await {
                Err(TextBytesError::TooLong(e)) => assert_eq!(e.limit, 8, "{what}"),
                other => panic!("{what}: expected `too_long`, got {other:?}"),
            }
            let tagged = client.tag(note("n", &["a"]), "b".into()).await.unwrap();
            assert_eq!(tagged, note("n", &["a", "b"]), "{what}");
            match client.upper(PANIC.into()).await {
                Err(MoreTextUpperError::Application(e)) => {
                    assert_eq!(e.kind, ApplicationErrorKind::InternalError, "{what}");
                }
                other => panic!("{what}: expected INTERNAL_ERROR, got {other:?}"),
            }
            // The connection still serves after the panic.
            assert_eq!(client.upper("abc".into()).await.unwrap(), "ABC", "{what}");
            client.fire(vec![4, 5]).await.unwrap();
            let got = bounded("a oneway call is served", fired.recv()).await;
            assert_eq!(got.as_deref(), Some(&[4u8, 5][..]), "{what}");

            handle.stop();
            bounded("the server stops", task)
                .await
                .expect("the serving task did not panic")
                .expect("the server ran without an error");
        }
    }
}

/// What `processor` answers to `request` read with `limits`.
async fn serve_with(
    proto: Proto,
    processor: &impl AsyncProcessor,
    request: &[u8],
    limits: Limits,
) -> Option<(Vec<u8>, bool)> {
    let call = Call::new(request.to_vec(), kind(proto), limits).ok()?;
    let reply = processor.process(call).await;
    Some((reply.as_bytes().to_vec(), reply.closes_connection()))
}

/// Arguments cut at every byte, a string that is not UTF-8 and a nesting
/// over the depth limit: the view processor rejects them with the owned
/// one's bytes (the same error text) and the same connection decision.
#[tokio::test]
async fn malformed_arguments_are_rejected_as_the_owned_processor_rejects_them() {
    let owned = MoreTextAsyncProcessor::new(Owned);
    let views = MoreTextAsyncViewProcessor::new(views());
    let call = MessageType::Call;
    for proto in PROTOS {
        let tag = request(
            proto,
            "tag",
            call,
            &TextTagArgs {
                n: note("n", &["x", "y"]),
                extra: "z".into(),
            },
        );
        let index = request(
            proto,
            "index",
            call,
            &TextIndexArgs {
                notes: vec![note("a", &["t"])],
            },
        );
        let mut compared = 0;
        for full in [&tag, &index] {
            for cut in 1..full.len() {
                let r = &full[..cut];
                let want = serve_with(proto, &owned, r, Limits::default()).await;
                let got = serve_with(proto, &views, r, Limits::default()).await;
                assert_eq!(got, want, "{proto:?} cut at {cut}");
                compared += usize::from(want.is_some());
            }
        }
        assert!(compared > 20, "{proto:?}: most cuts keep the header whole");

        // "é" is two bytes; its first one becomes 0xff.
        let mut not_utf8 = request(proto, "echo", call, &TextEchoArgs { s: "é".into() });
        let at = not_utf8.len() - 3;
        assert_eq!(not_utf8[at], 0xc3, "{proto:?}");
        not_utf8[at] = 0xff;
        let deep = request(proto, "index", call, &TextIndexArgs { notes: vec![] });
        for (r, limits) in [
            (&not_utf8, Limits::default()),
            (&deep, Limits::default().with_max_depth(1)),
        ] {
            let want = serve_with(proto, &owned, r, limits).await.expect("a call");
            let got = serve_with(proto, &views, r, limits).await.expect("a call");
            assert_eq!(
                reply_kind(proto, &want.0),
                MessageType::Exception,
                "{proto:?}"
            );
            assert!(!want.1, "{proto:?}: the connection stays");
            assert_eq!(got, want, "{proto:?}");
        }
    }
}

/// The message type of the reply `bytes`.
fn reply_kind(proto: Proto, bytes: &[u8]) -> MessageType {
    let header = match proto {
        Proto::Binary => BinaryProtocol::new(bytes, Limits::default()).read_message_begin(),
        Proto::Compact => CompactProtocol::new(bytes, Limits::default()).read_message_begin(),
    };
    header.expect("a reply").kind
}
