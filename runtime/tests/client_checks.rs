//! The client's checks of every reply (sequence id, method name, message
//! type, a result with a field set) against a scripted fake server, when a
//! bad reply leaves the connection usable (framed) or not, its timeouts,
//! and use from many threads.

mod server_support;

use std::net::{SocketAddr, TcpListener};
use std::thread;
use std::time::{Duration, Instant};

use server_support::*;
use thriftc_runtime::client::{Channel, Multiplexed};
use thriftc_runtime::protocol::{MessageHeader, MessageType, ProtocolRead, TType};
use thriftc_runtime::transport::StreamReader;
use thriftc_runtime::{
    ApplicationError, ApplicationErrorKind, BinaryProtocol, Error, Framing, ProtocolKind,
    TransportErrorKind,
};

/// What the fake server does with each request.
enum Answer {
    /// Send these bytes (a whole reply, built from the request header).
    Bytes(Vec<u8>),
    /// Send nothing and keep the connection open.
    Silence,
    /// Close the connection.
    Close,
    /// Send the first byte of these bytes after the pause, and the rest
    /// after another pause.
    Slowly(Vec<u8>, Duration),
}

/// Serves one connection with `script`, binary and unframed; returns the
/// headers it received.
fn fake_server(
    script: impl Fn(&MessageHeader) -> Answer + Send + 'static,
) -> (SocketAddr, thread::JoinHandle<Vec<MessageHeader>>) {
    fake_server_on(Framing::Buffered, script)
}

/// [`fake_server`] reading requests in `framing` (the script frames its
/// answers itself).
fn fake_server_on(
    framing: Framing,
    script: impl Fn(&MessageHeader) -> Answer + Send + 'static,
) -> (SocketAddr, thread::JoinHandle<Vec<MessageHeader>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let t = thread::spawn(move || {
        let (s, _) = listener.accept().unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut w = s.try_clone().unwrap();
        let r = StreamReader::new(s, framing, Default::default());
        let mut p = BinaryProtocol::new(r, Default::default());
        let mut seen = Vec::new();
        loop {
            match p.get_mut().begin_message() {
                Ok(true) => {}
                _ => return seen,
            }
            let h = p.read_message_begin().unwrap();
            p.skip(TType::Struct).unwrap();
            p.read_message_end().unwrap();
            p.get_mut().end_message().unwrap();
            let answer = script(&h);
            seen.push(h);
            match answer {
                Answer::Bytes(b) => {
                    use std::io::Write;
                    w.write_all(&b).unwrap();
                }
                Answer::Slowly(b, pause) => {
                    use std::io::Write;
                    thread::sleep(pause);
                    if w.write_all(&b[..1]).is_err() {
                        return seen;
                    }
                    thread::sleep(pause);
                    if w.write_all(&b[1..]).is_err() {
                        return seen;
                    }
                }
                Answer::Silence => {}
                Answer::Close => return seen,
            }
        }
    });
    (addr, t)
}

fn reply(name: &str, kind: MessageType, seqid: i32, value: i32) -> Answer {
    Answer::Bytes(message(
        ProtocolKind::Binary,
        Framing::Buffered,
        name,
        kind,
        seqid,
        &Ret::Success(value),
    ))
}

fn app_kind<T: std::fmt::Debug>(r: thriftc_runtime::Result<T>) -> ApplicationErrorKind {
    match r {
        Err(Error::Application(a)) => a.kind,
        other => panic!("expected an application error, got {other:?}"),
    }
}

fn fake_client(addr: SocketAddr) -> thriftc_runtime::Client {
    connector(addr, ProtocolKind::Binary, Framing::Buffered)
        .read_timeout(Duration::from_millis(500))
        .connect()
        .unwrap()
}

#[test]
fn good_replies_are_decoded_and_seqids_increase() {
    let (addr, server) = fake_server(|h| reply(&h.name, MessageType::Reply, h.seqid, h.seqid * 10));
    let mut c = fake_client(addr);
    assert!(c.stream().nodelay().unwrap(), "TCP_NODELAY");
    for i in 1..=3 {
        let r: Ret<i32> = c.call("add", &AddArgs { a: 1, b: 2 }).unwrap();
        assert_eq!(r, Ret::Success(i * 10));
    }
    c.call_oneway("fire", &Args1(1)).unwrap();
    drop(c);
    let seen = server.join().unwrap();
    let kinds: Vec<_> = seen.iter().map(|h| (h.kind, h.seqid)).collect();
    assert_eq!(
        kinds,
        [
            (MessageType::Call, 1),
            (MessageType::Call, 2),
            (MessageType::Call, 3),
            (MessageType::Oneway, 4)
        ]
    );
}

#[test]
fn wrong_seqid_is_bad_sequence_id_and_the_client_stops() {
    let (addr, server) = fake_server(|h| reply(&h.name, MessageType::Reply, h.seqid + 1, 0));
    let mut c = fake_client(addr);
    assert_eq!(
        app_kind(c.call::<_, Ret<i32>>("add", &NoArgs)),
        ApplicationErrorKind::BadSequenceId
    );
    assert!(!c.is_usable());
    match c.call::<_, Ret<i32>>("add", &NoArgs) {
        Err(Error::Transport(t)) => assert_eq!(t.kind, TransportErrorKind::NotOpen),
        other => panic!("{other:?}"),
    }
    drop(c);
    assert_eq!(server.join().unwrap().len(), 1);
}

#[test]
fn wrong_method_name_is_wrong_method_name() {
    let (addr, _server) = fake_server(|h| reply("other", MessageType::Reply, h.seqid, 0));
    let mut c = fake_client(addr);
    assert_eq!(
        app_kind(c.call::<_, Ret<i32>>("add", &NoArgs)),
        ApplicationErrorKind::WrongMethodName
    );
    assert!(!c.is_usable());
}

#[test]
fn call_or_oneway_as_a_reply_is_invalid_message_type() {
    for kind in [MessageType::Call, MessageType::Oneway] {
        let (addr, _server) = fake_server(move |h| reply(&h.name, kind, h.seqid, 0));
        let mut c = fake_client(addr);
        assert_eq!(
            app_kind(c.call::<_, Ret<i32>>("add", &NoArgs)),
            ApplicationErrorKind::InvalidMessageType
        );
    }
}

#[test]
fn exceptions_are_returned_and_the_connection_stays_usable() {
    let (addr, _server) = fake_server(|h| {
        if h.seqid == 1 {
            let e = ApplicationError::new(ApplicationErrorKind::InternalError, "it broke");
            Answer::Bytes(message(
                ProtocolKind::Binary,
                Framing::Buffered,
                &h.name,
                MessageType::Exception,
                h.seqid,
                &e,
            ))
        } else {
            reply(&h.name, MessageType::Reply, h.seqid, 5)
        }
    });
    let mut c = fake_client(addr);
    match c.call::<_, Ret<i32>>("add", &NoArgs) {
        Err(Error::Application(a)) => {
            assert_eq!(
                a,
                ApplicationError::new(ApplicationErrorKind::InternalError, "it broke")
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(c.is_usable());
    assert_eq!(
        c.call::<_, Ret<i32>>("add", &NoArgs).unwrap(),
        Ret::Success(5)
    );
}

#[test]
fn a_result_with_no_field_set_is_missing_result() {
    let (addr, _server) = fake_server(|h| {
        Answer::Bytes(message(
            ProtocolKind::Binary,
            Framing::Buffered,
            &h.name,
            MessageType::Reply,
            h.seqid,
            &Ret::<i32>::Missing,
        ))
    });
    let mut c = fake_client(addr);
    // The result struct decodes with no field set; generated clients turn
    // that into MISSING_RESULT with this helper.
    let r: Ret<i32> = c.call("add", &NoArgs).unwrap();
    assert_eq!(r, Ret::Missing);
    let e = thriftc_runtime::__codegen::missing_result("add");
    assert_eq!(app_kind::<()>(Err(e)), ApplicationErrorKind::MissingResult);
    assert!(c.is_usable());
}

#[test]
fn multiplexed_calls_accept_either_reply_name() {
    let (addr, server) = fake_server(|h| {
        let name = if h.seqid == 1 {
            h.name.clone()
        } else {
            h.name.split_once(':').unwrap().1.to_owned()
        };
        reply(&name, MessageType::Reply, h.seqid, 1)
    });
    let mut c = fake_client(addr);
    let mut m = Multiplexed::new(&mut c, "Calc");
    assert_eq!(
        m.call::<_, Ret<i32>>("add", &NoArgs).unwrap(),
        Ret::Success(1)
    );
    assert_eq!(
        m.call::<_, Ret<i32>>("add", &NoArgs).unwrap(),
        Ret::Success(1)
    );
    drop(c);
    let names: Vec<_> = server.join().unwrap().into_iter().map(|h| h.name).collect();
    assert_eq!(names, ["Calc:add", "Calc:add"]);
}

/// Calls `add`, which must fail with `TimedOut`; returns how long it took.
fn call_times_out(c: &mut thriftc_runtime::Client) -> Duration {
    let started = Instant::now();
    match c.call::<_, Ret<i32>>("add", &NoArgs) {
        Err(Error::Transport(t)) => {
            assert_eq!(t.kind, TransportErrorKind::TimedOut, "{t}");
            // Says what waited, not the socket's "Resource temporarily
            // unavailable".
            assert_eq!(
                t.message, "no whole reply to 'add' within 500ms (the read timeout)",
                "{t}"
            );
        }
        other => panic!("{other:?}"),
    }
    started.elapsed()
}

#[test]
fn a_silent_server_times_out_and_a_closing_one_is_eof() {
    let (addr, _server) = fake_server(|_| Answer::Silence);
    let mut c = fake_client(addr);
    let took = call_times_out(&mut c);
    assert!(
        took >= Duration::from_millis(400) && took < Duration::from_secs(3),
        "{took:?}"
    );
    assert!(!c.is_usable());

    let (addr, _server) = fake_server(|_| Answer::Close);
    let mut c = fake_client(addr);
    let e = c.call::<_, Ret<i32>>("add", &NoArgs).unwrap_err();
    assert!(e.is_eof(), "{e}");
    let text = e.to_string();
    assert!(
        text.contains("before replying to 'add'") && text.contains("protocol and framing"),
        "{text}"
    );
}

#[test]
fn a_reply_that_is_not_thrift_says_what_it_looks_like() {
    let (addr, _server) =
        fake_server(|_| Answer::Bytes(b"HTTP/1.1 400 Bad Request\r\n\r\n".to_vec()));
    let mut c = fake_client(addr);
    let e = c.call::<_, Ret<i32>>("add", &NoArgs).unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains("\"HTTP\": is the peer a Thrift server?"),
        "{text}"
    );
}

#[test]
fn the_read_timeout_bounds_the_whole_reply() {
    // Each part of the reply comes within the 500 ms read timeout, the
    // whole reply does not: the call must fail near 500 ms, not at 700.
    let (addr, _server) = fake_server(|h| {
        let Answer::Bytes(b) = reply(&h.name, MessageType::Reply, h.seqid, 3) else {
            unreachable!()
        };
        Answer::Slowly(b, Duration::from_millis(350))
    });
    let mut c = fake_client(addr);
    let took = call_times_out(&mut c);
    assert!(
        took >= Duration::from_millis(450) && took < Duration::from_millis(650),
        "{took:?}"
    );
}

#[test]
fn unencodable_arguments_send_nothing_and_keep_the_connection() {
    let (addr, server) = fake_server(|h| reply(&h.name, MessageType::Reply, h.seqid, 3));
    let mut c = fake_client(addr);
    assert!(c.call::<_, Ret<i32>>("add", &Args1(Unencodable)).is_err());
    assert!(c.is_usable());
    assert_eq!(
        c.call::<_, Ret<i32>>("add", &NoArgs).unwrap(),
        Ret::Success(3)
    );
    drop(c);
    assert_eq!(server.join().unwrap().len(), 1);
}

#[test]
fn connect_errors_are_reported() {
    let addr = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let started = Instant::now();
    let e = connector(addr, ProtocolKind::Binary, Framing::Buffered)
        .connect_timeout(Duration::from_millis(500))
        .connect()
        .unwrap_err();
    // Refused: `NOT_OPEN`, as Apache's libraries classify it.
    assert!(
        matches!(&e, Error::Transport(t) if t.kind == TransportErrorKind::NotOpen),
        "{e}"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
    // The message says where it tried to connect.
    assert!(
        e.to_string()
            .contains(&format!("cannot connect to {addr}: ")),
        "{e}"
    );
}

#[test]
fn one_connector_serves_many_threads() {
    let server = builder(Calc::default())
        .framing(Framing::Framed)
        .protocol(ProtocolKind::Compact)
        .bind("127.0.0.1:0")
        .unwrap()
        .spawn()
        .unwrap();
    let connector = connector(server.local_addr(), ProtocolKind::Compact, Framing::Framed);
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let connector = connector.clone();
            thread::spawn(move || {
                let mut c = connector.connect().unwrap();
                for i in 0..200 {
                    assert_eq!(add(&mut c, t, i).unwrap(), t + i);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    server.stop();
}

/// A binary reply to `name` whose result struct holds a `string` that is
/// not UTF-8 (field 0 of a `Ret<String>`): a body that fails to decode.
fn undecodable_reply(name: &str, seqid: i32, framing: Framing) -> Vec<u8> {
    let mut body = vec![0x80, 1, 0, 2];
    body.extend((name.len() as u32).to_be_bytes());
    body.extend(name.as_bytes());
    body.extend(seqid.to_be_bytes());
    // Field 0, type string, length 1, 0xff; stop.
    body.extend([11, 0, 0, 0, 0, 0, 1, 0xff, 0]);
    match framing {
        Framing::Framed => {
            let mut out = (body.len() as u32).to_be_bytes().to_vec();
            out.extend(body);
            out
        }
        _ => body,
    }
}

#[test]
fn a_framed_reply_that_does_not_decode_leaves_the_connection_usable() {
    // The first reply is the right one but its body does not decode: an
    // error, and the next call reads the next frame.
    let (addr, server) = fake_server_on(Framing::Framed, |h| {
        Answer::Bytes(if h.seqid == 1 {
            undecodable_reply(&h.name, h.seqid, Framing::Framed)
        } else {
            message(
                ProtocolKind::Binary,
                Framing::Framed,
                &h.name,
                MessageType::Reply,
                h.seqid,
                &Ret::Success("fine".to_string()),
            )
        })
    });
    let mut c = connector(addr, ProtocolKind::Binary, Framing::Framed)
        .read_timeout(Duration::from_millis(500))
        .connect()
        .unwrap();
    let bad = c.call::<_, Ret<String>>("echo", &NoArgs);
    assert!(matches!(bad, Err(Error::Protocol(_))), "{bad:?}");
    assert!(c.is_usable());
    let good = c.call::<_, Ret<String>>("echo", &NoArgs).unwrap();
    assert_eq!(good, Ret::Success("fine".to_string()));
    drop(c);
    assert_eq!(server.join().unwrap().len(), 2);
}

#[test]
fn an_unframed_reply_that_does_not_decode_ends_the_connection() {
    // Unframed, the end of the bad reply is unknown: the stream is out of
    // step, and the client says so instead of reading on.
    let (addr, _server) =
        fake_server(|h| Answer::Bytes(undecodable_reply(&h.name, h.seqid, Framing::Buffered)));
    let mut c = fake_client(addr);
    let bad = c.call::<_, Ret<String>>("echo", &NoArgs);
    assert!(matches!(bad, Err(Error::Protocol(_))), "{bad:?}");
    assert!(!c.is_usable());
    let again = c.call::<_, Ret<String>>("echo", &NoArgs);
    assert!(
        matches!(&again, Err(Error::Transport(t)) if t.kind == TransportErrorKind::NotOpen),
        "{again:?}"
    );
}
