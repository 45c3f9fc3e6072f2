//! Interoperability with the Python Thrift libraries: Apache Thrift's
//! `thrift` package and thriftpy2, over the binary and compact protocols, in
//! both directions. `tests/peers/peer.py` encodes (we decode and compare
//! values) and decodes (it compares with its own copy of the value).
//!
//! The interpreter is `$THRIFTC_PYTHON` (set by `cargo xtask test`), else
//! `python3`; both modules must be importable.

mod wire_support;

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use thriftc_runtime::protocol::{MessageHeader, MessageType, ProtocolRead, ProtocolWrite};
use thriftc_runtime::{
    ApplicationError, ApplicationErrorKind, BinaryProtocol, CompactProtocol, Decode, Encode,
    Limits, binary, compact,
};
use wire_support::{AllTypes, Inner, all_types, from_hex, inner, to_hex};

fn python() -> String {
    std::env::var("THRIFTC_PYTHON").unwrap_or_else(|_| "python3".to_string())
}

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peers/peer.py")
}

/// Fails the test (once per binary) when Python or the modules are missing.
fn require_peers() {
    static CHECK: OnceLock<Result<(), String>> = OnceLock::new();
    let r = CHECK.get_or_init(|| {
        let py = python();
        match Command::new(&py)
            .args(["-c", "import thrift.protocol.TCompactProtocol, thriftpy2"])
            .output()
        {
            Ok(o) if o.status.success() => Ok(()),
            Ok(o) => Err(format!(
                "`{py}` cannot import the Python Thrift peers (`thrift`, `thriftpy2`): {}\n\
                 run `cargo xtask test`, which sets up the Python peers, or set \
                 THRIFTC_PYTHON to a python with `pip install thrift thriftpy2`",
                String::from_utf8_lossy(&o.stderr).trim()
            )),
            Err(e) => Err(format!(
                "cannot run `{py}` ({e}); run `cargo xtask test`, which sets up the Python \
                 peers, or set THRIFTC_PYTHON"
            )),
        }
    });
    if let Err(msg) = r {
        panic!("{msg}");
    }
}

/// Runs the peer; returns its stdout. Panics with its stderr on failure.
fn peer(lib: &str, proto: &str, action: &str, stdin: Option<&[u8]>) -> String {
    require_peers();
    let mut child = Command::new(python())
        .arg(script())
        .args([lib, proto, action])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn python peer");
    {
        let mut input = child.stdin.take().expect("stdin");
        if let Some(bytes) = stdin {
            input
                .write_all(to_hex(bytes).as_bytes())
                .expect("write to peer");
        }
    }
    let out = child.wait_with_output().expect("peer output");
    assert!(
        out.status.success(),
        "peer {lib} {proto} {action} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 peer output")
}

fn has_uuid(lib: &str) -> bool {
    lib == "apache"
}

fn encode(proto: &str, v: &impl Encode) -> Vec<u8> {
    match proto {
        "compact" => compact::encode(v).unwrap(),
        _ => binary::encode(v).unwrap(),
    }
}

fn decode<T: Decode>(proto: &str, b: &[u8]) -> T {
    match proto {
        "compact" => compact::decode(b),
        _ => binary::decode(b),
    }
    .unwrap_or_else(|e| panic!("decoding {proto} bytes {}: {e}", to_hex(b)))
}

fn peer_encodes_we_decode(lib: &str, proto: &str) {
    let b = from_hex(&peer(lib, proto, "encode", None));
    let v: AllTypes = decode(proto, &b);
    assert_eq!(v, all_types(has_uuid(lib)));
}

fn we_encode_peer_decodes(lib: &str, proto: &str) {
    let b = encode(proto, &all_types(has_uuid(lib)));
    assert_eq!(peer(lib, proto, "decode", Some(&b)).trim(), "ok");
}

/// Reads a message header and an `Inner` body.
fn read_message<P: ProtocolRead>(mut p: P) -> (MessageHeader, Inner) {
    let h = p.read_message_begin().unwrap();
    let body = Inner::decode(&mut p).unwrap();
    p.read_message_end().unwrap();
    (h, body)
}

fn write_message<P: ProtocolWrite>(mut p: P) {
    p.write_message_begin(&MessageHeader {
        name: "pong".into(),
        kind: MessageType::Reply,
        seqid: i32::MAX,
    })
    .unwrap();
    inner(-3, "pong \u{2713}").encode(&mut p).unwrap();
    p.write_message_end().unwrap();
    p.flush().unwrap();
}

fn messages(lib: &str, proto: &str) {
    let b = from_hex(&peer(lib, proto, "encode-message", None));
    let got = if proto == "compact" {
        read_message(CompactProtocol::new(&b[..], Limits::default()))
    } else {
        read_message(BinaryProtocol::new(&b[..], Limits::default()))
    };
    let want = MessageHeader {
        name: "echo".into(),
        kind: MessageType::Call,
        seqid: 12345,
    };
    assert_eq!(got, (want, inner(7, "inner")));

    let mut out = Vec::new();
    if proto == "compact" {
        write_message(CompactProtocol::new(&mut out, Limits::default()));
    } else {
        write_message(BinaryProtocol::new(&mut out, Limits::default()));
    }
    assert_eq!(peer(lib, proto, "decode-message", Some(&out)).trim(), "ok");
}

fn exceptions(lib: &str, proto: &str) {
    let b = from_hex(&peer(lib, proto, "encode-exception", None));
    let e: ApplicationError = decode(proto, &b);
    assert_eq!(
        e,
        ApplicationError::new(ApplicationErrorKind::UnknownMethod, "no such method: frob")
    );
    let out = encode(
        proto,
        &ApplicationError::new(ApplicationErrorKind::InternalError, "boom \u{2713}"),
    );
    assert_eq!(
        peer(lib, proto, "decode-exception", Some(&out)).trim(),
        "ok"
    );
}

macro_rules! peer_tests {
    ($($name:ident: $lib:literal, $proto:literal;)*) => {
        mod peer_encodes {
            $(#[test] fn $name() { super::peer_encodes_we_decode($lib, $proto) })*
        }
        mod peer_decodes {
            $(#[test] fn $name() { super::we_encode_peer_decodes($lib, $proto) })*
        }
        mod messages {
            $(#[test] fn $name() { super::messages($lib, $proto) })*
        }
        mod exceptions {
            $(#[test] fn $name() { super::exceptions($lib, $proto) })*
        }
    };
}

peer_tests! {
    apache_binary: "apache", "binary";
    apache_compact: "apache", "compact";
    thriftpy2_binary: "thriftpy2", "binary";
    thriftpy2_compact: "thriftpy2", "compact";
}

/// Apache's library writes old non-strict headers when asked to; we read them.
#[test]
fn apache_non_strict_message_is_read() {
    let b = from_hex(&peer("apache", "binary-nonstrict", "encode-message", None));
    assert_eq!(
        &b[..4],
        &[0, 0, 0, 4],
        "non-strict header starts with the name length"
    );
    let (h, body) = read_message(BinaryProtocol::new(&b[..], Limits::default()));
    assert_eq!(
        (h.name.as_str(), h.kind, h.seqid),
        ("echo", MessageType::Call, 12345)
    );
    assert_eq!(body, inner(7, "inner"));
}
