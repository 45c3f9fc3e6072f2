//! The async client's checks (feature `tokio`), against a scripted server
//! that answers each request with bytes a test chooses: the same outcomes
//! as the blocking client's (wrong seqid, wrong name, EXCEPTION, a body
//! that fails to decode), plus a cancelled call and the read timeout.

mod server_support;
mod tokio_support;

use std::net::{SocketAddr, TcpListener};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use server_support::*;
use thriftc_runtime::client::Multiplexed;
use thriftc_runtime::protocol::{MessageHeader, MessageType, ProtocolRead, TType};
use thriftc_runtime::tokio::{AsyncChannel, AsyncClient};
use thriftc_runtime::{
    ApplicationError, ApplicationErrorKind, BinaryProtocol, CompactProtocol, Error, Framing,
    ProtocolKind, TransportErrorKind,
};
use tokio_support::runtime;

const WAIT: Duration = Duration::from_secs(10);

/// What the scripted server sends for one request: given its header, the
/// bytes of the reply (`None`: no reply, hold the connection open).
type Answer = Box<dyn Fn(&MessageHeader) -> Option<Vec<u8>> + Send>;

/// Serves one connection with `script`, one answer per request, then
/// holds it until the client leaves. Returns the address and a receiver of
/// the headers of the requests it read.
fn scripted(
    p: ProtocolKind,
    f: Framing,
    script: Vec<Answer>,
) -> (SocketAddr, mpsc::Receiver<MessageHeader>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (seen_tx, seen) = mpsc::channel();
    thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        s.set_read_timeout(Some(WAIT)).unwrap();
        let mut reader = replies(&s, f);
        for answer in script {
            if !reader.begin_message().unwrap_or(false) {
                return;
            }
            let header = match p {
                ProtocolKind::Binary => {
                    read_request(&mut BinaryProtocol::new(&mut reader, Default::default()))
                }
                _ => read_request(&mut CompactProtocol::new(&mut reader, Default::default())),
            };
            reader.end_message().unwrap();
            let reply = answer(&header);
            let _ = seen_tx.send(header);
            match reply {
                Some(bytes) => send(&mut s, &bytes),
                None => break,
            }
        }
        closed_within(&mut s, Duration::from_secs(30));
    });
    (addr, seen)
}

fn read_request<P: ProtocolRead>(p: &mut P) -> MessageHeader {
    let h = p.read_message_begin().unwrap();
    p.skip(TType::Struct).unwrap();
    p.read_message_end().unwrap();
    h
}

/// A REPLY to `h` carrying `body`, changed by `edit` (name, seqid).
fn reply_to<B: thriftc_runtime::Encode>(
    p: ProtocolKind,
    f: Framing,
    h: &MessageHeader,
    kind: MessageType,
    edit: impl Fn(&mut MessageHeader),
    body: &B,
) -> Vec<u8> {
    let mut h = h.clone();
    edit(&mut h);
    message(p, f, &h.name, kind, h.seqid, body)
}

fn ok(p: ProtocolKind, f: Framing, v: i32) -> Answer {
    Box::new(move |h| {
        Some(reply_to(
            p,
            f,
            h,
            MessageType::Reply,
            |_| {},
            &Ret::Success(v),
        ))
    })
}

async fn connect(addr: SocketAddr, p: ProtocolKind, f: Framing) -> AsyncClient {
    connector(addr, p, f).connect_async().await.unwrap()
}

fn add_args() -> AddArgs {
    AddArgs { a: 1, b: 2 }
}

#[test]
fn a_reply_with_another_seqid_makes_the_client_unusable() {
    for (p, f) in COMBOS {
        let wrong: Answer = Box::new(move |h| {
            Some(reply_to(
                p,
                f,
                h,
                MessageType::Reply,
                |h| h.seqid += 7,
                &Ret::Success(1),
            ))
        });
        let (addr, _) = scripted(p, f, vec![wrong]);
        runtime().block_on(async {
            let mut c = connect(addr, p, f).await;
            let r = c.call::<_, Ret<i32>>("add", &add_args()).await;
            assert!(
                matches!(&r, Err(Error::Application(e)) if e.kind == ApplicationErrorKind::BadSequenceId),
                "{r:?}"
            );
            assert!(!c.is_usable());
            let r = c.call::<_, Ret<i32>>("add", &add_args()).await;
            assert!(matches!(r, Err(Error::Transport(t)) if t.kind == TransportErrorKind::NotOpen));
        });
    }
}

#[test]
fn a_reply_with_another_name_makes_the_client_unusable() {
    for (p, f) in COMBOS {
        let wrong: Answer = Box::new(move |h| {
            Some(reply_to(
                p,
                f,
                h,
                MessageType::Reply,
                |h| h.name = "sub".into(),
                &Ret::Success(1),
            ))
        });
        let (addr, _) = scripted(p, f, vec![wrong]);
        runtime().block_on(async {
            let mut c = connect(addr, p, f).await;
            let r = c.call::<_, Ret<i32>>("add", &add_args()).await;
            assert!(
                matches!(&r, Err(Error::Application(e)) if e.kind == ApplicationErrorKind::WrongMethodName),
                "{r:?}"
            );
            assert!(!c.is_usable());
        });
    }
}

#[test]
fn a_multiplexed_call_accepts_replies_named_either_way() {
    let (p, f) = (ProtocolKind::Binary, Framing::Framed);
    let bare: Answer = Box::new(move |h| {
        let name = h.name.split_once(':').unwrap().1.to_owned();
        Some(reply_to(
            p,
            f,
            h,
            MessageType::Reply,
            move |h| h.name = name.clone(),
            &Ret::Success(1),
        ))
    });
    let (addr, seen) = scripted(p, f, vec![bare, ok(p, f, 2)]);
    runtime().block_on(async {
        let mut c = connect(addr, p, f).await;
        let mut m = Multiplexed::new(&mut c, "Calc");
        assert_eq!(
            m.call::<_, Ret<i32>>("add", &add_args()).await.unwrap(),
            Ret::Success(1)
        );
        assert_eq!(
            m.call::<_, Ret<i32>>("add", &add_args()).await.unwrap(),
            Ret::Success(2)
        );
    });
    assert_eq!(seen.recv_timeout(WAIT).unwrap().name, "Calc:add");
}

#[test]
fn an_exception_is_returned_and_the_client_stays_usable() {
    for (p, f) in COMBOS {
        let exception: Answer = Box::new(move |h| {
            let e =
                ApplicationError::new(ApplicationErrorKind::BadSequenceId, "sent by the server");
            Some(reply_to(p, f, h, MessageType::Exception, |_| {}, &e))
        });
        let (addr, _) = scripted(p, f, vec![exception, ok(p, f, 3)]);
        runtime().block_on(async {
            let mut c = connect(addr, p, f).await;
            match c.call::<_, Ret<i32>>("add", &add_args()).await {
                Err(Error::Application(e)) => {
                    assert_eq!(e.kind, ApplicationErrorKind::BadSequenceId);
                    assert_eq!(e.message, "sent by the server");
                }
                other => panic!("{other:?}"),
            }
            assert!(c.is_usable(), "{p:?} {f:?}");
            let r = c.call::<_, Ret<i32>>("add", &add_args()).await.unwrap();
            assert_eq!(r, Ret::Success(3));
        });
    }
}

#[test]
fn a_reply_whose_body_fails_to_decode_is_skipped() {
    for (p, f) in COMBOS {
        // `AddArgs` as the result type needs two i32 fields: a string
        // field 0 is no `AddArgs`, but is a whole message.
        let mismatch: Answer = Box::new(move |h| {
            Some(reply_to(
                p,
                f,
                h,
                MessageType::Reply,
                |_| {},
                &Ret::Success("x".to_owned()),
            ))
        });
        let (addr, _) = scripted(p, f, vec![mismatch, ok(p, f, 4)]);
        runtime().block_on(async {
            let mut c = connect(addr, p, f).await;
            let r = c.call::<_, AddArgs>("add", &add_args()).await;
            assert!(matches!(r, Err(Error::Protocol(_))), "{r:?}");
            assert!(c.is_usable(), "{p:?} {f:?}");
            let r = c.call::<_, Ret<i32>>("add", &add_args()).await.unwrap();
            assert_eq!(r, Ret::Success(4));
        });
    }
}

#[test]
fn a_malformed_reply_makes_the_client_unusable() {
    let (p, f) = (ProtocolKind::Binary, Framing::Buffered);
    let malformed: Answer = Box::new(move |h| {
        let mut bytes = reply_to(p, f, h, MessageType::Reply, |_| {}, &NoArgs);
        bytes.pop();
        // A field of the unknown type 0x7f.
        bytes.extend([0x7f, 0, 1, 0]);
        Some(bytes)
    });
    let (addr, _) = scripted(p, f, vec![malformed]);
    runtime().block_on(async {
        let mut c = connect(addr, p, f).await;
        let r = c.call::<_, Ret<i32>>("add", &add_args()).await;
        assert!(matches!(r, Err(Error::Protocol(_))), "{r:?}");
        assert!(!c.is_usable());
    });
}

#[test]
fn a_call_future_dropped_before_its_reply_leaves_the_client_unusable() {
    let (p, f) = (ProtocolKind::Compact, Framing::Framed);
    let hold: Answer = Box::new(|_| None);
    let (addr, seen) = scripted(p, f, vec![hold]);
    runtime().block_on(async {
        let mut c = connect(addr, p, f).await;
        let args = add_args();
        let call = c.call::<_, Ret<i32>>("add", &args);
        // Dropped once the server has the request.
        tokio::select! {
            r = call => panic!("no reply was sent, got {r:?}"),
            _ = tokio::task::spawn_blocking(move || seen.recv_timeout(WAIT).unwrap()) => {}
        }
        assert!(!c.is_usable());
        let r = c.call::<_, Ret<i32>>("add", &add_args()).await;
        assert!(matches!(r, Err(Error::Transport(t)) if t.kind == TransportErrorKind::NotOpen));
    });
}

#[test]
fn no_whole_reply_within_the_read_timeout_is_a_timeout() {
    for f in [Framing::Buffered, Framing::Framed] {
        let p = ProtocolKind::Binary;
        // Half a reply, then nothing.
        let half: Answer = Box::new(move |h| {
            let bytes = reply_to(p, f, h, MessageType::Reply, |_| {}, &Ret::Success(1));
            Some(bytes[..bytes.len() / 2].to_vec())
        });
        let (addr, _) = scripted(p, f, vec![half]);
        runtime().block_on(async {
            let connector = connector(addr, p, f).read_timeout(Duration::from_millis(100));
            let mut c = connector.connect_async().await.unwrap();
            let r = c.call::<_, Ret<i32>>("add", &add_args()).await;
            assert!(
                matches!(&r, Err(Error::Transport(t)) if t.kind == TransportErrorKind::TimedOut),
                "{r:?}"
            );
            assert!(!c.is_usable());
        });
    }
}

#[test]
fn a_server_that_closes_before_replying_is_end_of_file() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let closer = thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut b = [0u8; 64];
        let _ = std::io::Read::read(&mut s, &mut b);
    });
    runtime().block_on(async {
        let mut c = AsyncClient::connect(addr).await.unwrap();
        let r = c.call::<_, Ret<i32>>("add", &add_args()).await;
        assert!(
            matches!(&r, Err(Error::Transport(t)) if t.kind == TransportErrorKind::EndOfFile),
            "{r:?}"
        );
        assert!(!c.is_usable());
    });
    closer.join().unwrap();
}

#[test]
fn a_request_over_the_frame_limit_is_not_sent_and_the_client_stays_usable() {
    let (p, f) = (ProtocolKind::Binary, Framing::Framed);
    let (addr, seen) = scripted(p, f, vec![ok(p, f, 5)]);
    runtime().block_on(async {
        let limits = thriftc_runtime::Limits::default().with_max_frame_size(100);
        let mut c = connector(addr, p, f)
            .limits(limits)
            .connect_async()
            .await
            .unwrap();
        let r = c.call::<_, Ret<i32>>("echo", &Args1("x".repeat(200))).await;
        assert!(
            matches!(&r, Err(Error::Transport(t)) if t.kind == TransportErrorKind::SizeLimit),
            "{r:?}"
        );
        assert!(c.is_usable());
        let r = c.call::<_, Ret<i32>>("add", &add_args()).await.unwrap();
        assert_eq!(r, Ret::Success(5));
    });
    assert_eq!(seen.recv_timeout(WAIT).unwrap().name, "add");
}

/// A framed REPLY to `h` whose result struct ends inside its frame
/// (field 0 of type i32, 2 of its 4 bytes).
fn truncated(h: &MessageHeader) -> Option<Vec<u8>> {
    let mut body = message(
        ProtocolKind::Binary,
        Framing::Buffered,
        &h.name,
        MessageType::Reply,
        h.seqid,
        &NoArgs,
    );
    body.pop();
    body.extend([0x08, 0x00, 0x00, 0x00, 0x00]);
    let mut out = (body.len() as u32).to_be_bytes().to_vec();
    out.extend(body);
    Some(out)
}

/// A reply body that ends inside its frame is a protocol error and the
/// client stays usable (the next reply is the next frame), blocking or
/// async.
#[test]
fn a_reply_truncated_inside_its_frame_leaves_the_client_usable() {
    let (p, f) = (ProtocolKind::Binary, Framing::Framed);
    let (addr, _) = scripted(p, f, vec![Box::new(truncated), ok(p, f, 4)]);
    use thriftc_runtime::client::Channel as _;
    let mut c = thriftc_runtime::Connector::new(addr)
        .unwrap()
        .protocol(p)
        .framing(f)
        .connect()
        .unwrap();
    let r = c.call::<_, Ret<i32>>("add", &AddArgs { a: 1, b: 2 });
    let blocking = format!("{r:?}");
    assert!(matches!(r, Err(Error::Protocol(_))), "blocking: {r:?}");
    assert!(c.is_usable(), "blocking");
    assert_eq!(
        c.call::<_, Ret<i32>>("add", &AddArgs { a: 1, b: 2 })
            .unwrap(),
        Ret::Success(4)
    );

    let (addr, _) = scripted(p, f, vec![Box::new(truncated), ok(p, f, 4)]);
    runtime().block_on(async {
        let mut c = connect(addr, p, f).await;
        let r = c.call::<_, Ret<i32>>("add", &AddArgs { a: 1, b: 2 }).await;
        assert!(
            matches!(r, Err(Error::Protocol(_))),
            "async: {r:?} (blocking: {blocking})"
        );
        assert!(c.is_usable(), "async");
        let r = c
            .call::<_, Ret<i32>>("add", &AddArgs { a: 1, b: 2 })
            .await
            .unwrap();
        assert_eq!(r, Ret::Success(4));
    });
}

#[test]
fn a_failed_connect_names_where_it_tried_to_connect() {
    let addr = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    runtime().block_on(async {
        let connector = thriftc_runtime::Connector::new(addr)
            .unwrap()
            .connect_timeout(WAIT);
        let expected = format!("cannot connect to {addr}: ");
        let e = AsyncClient::connect(addr).await.unwrap_err();
        assert!(e.to_string().contains(&expected), "{e}");
        let e = connector.connect_async().await.unwrap_err();
        assert!(e.to_string().contains(&expected), "{e}");
        let e = connector.connect_shared().await.unwrap_err();
        assert!(e.to_string().contains(&expected), "{e}");
    });
}
