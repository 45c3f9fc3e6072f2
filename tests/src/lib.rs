//! Shared helpers for the integration tests of thriftc.

use thriftc_runtime::protocol::{MessageHeader, MessageType, ProtocolWrite};
use thriftc_runtime::{
    BinaryProtocol, Bytes, CompactProtocol, Decode, DecodeView, Encode, Error, Framing,
    ProtocolKind, binary, compact,
};

/// One of the two wire protocols, for tests that run in both.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proto {
    Binary,
    Compact,
}

/// Both protocols.
pub const PROTOS: [Proto; 2] = [Proto::Binary, Proto::Compact];

/// Encodes `v` in `proto`; panics if it cannot be encoded.
pub fn encode<T: Encode>(proto: Proto, v: &T) -> Vec<u8> {
    match proto {
        Proto::Binary => binary::encode(v),
        Proto::Compact => compact::encode(v),
    }
    .expect("encode")
}

/// Decodes one value from `bytes` (all of them).
pub fn decode<T: Decode>(proto: Proto, bytes: &[u8]) -> Result<T, Error> {
    match proto {
        Proto::Binary => binary::decode(bytes),
        Proto::Compact => compact::decode(bytes),
    }
}

/// Decodes one value from a shared buffer (`Bytes`/`ByteString` values are
/// slices of it).
pub fn decode_shared<T: Decode>(proto: Proto, bytes: Bytes) -> Result<T, Error> {
    match proto {
        Proto::Binary => binary::decode_bytes(bytes),
        Proto::Compact => compact::decode_bytes(bytes),
    }
}

/// Decodes a borrowed view of one value from `bytes`.
pub fn decode_view<'a, V: DecodeView<'a>>(proto: Proto, bytes: &'a [u8]) -> Result<V, Error> {
    match proto {
        Proto::Binary => binary::decode_view(bytes),
        Proto::Compact => compact::decode_view(bytes),
    }
}

/// Changes `bytes`: each `(position, value)` overwrites one byte; then the
/// input is cut at `cut` (when shorter) or `extra` bytes are appended.
pub fn mutate(bytes: &[u8], edits: &[(usize, u8)], cut: usize, extra: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    for &(pos, b) in edits {
        let n = out.len();
        out[pos % n] = b;
    }
    if cut < out.len() {
        out.truncate(cut);
    } else {
        out.extend_from_slice(extra);
    }
    out
}

/// A small deterministic generator (xorshift64*), so that a failure names
/// the case to replay.
pub struct Rng(pub u64);

impl Rng {
    /// The next value.
    #[allow(clippy::should_implement_trait)] // not an iterator: never ends
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A value in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// One way of serving: a server mode (`event`: the event-driven mode, else a
/// thread per connection), a protocol and a framing.
#[derive(Clone, Copy, Debug)]
pub struct ServerMode {
    pub event: bool,
    pub protocol: thriftc_runtime::ProtocolKind,
    pub framing: thriftc_runtime::Framing,
}

impl ServerMode {
    /// Every server mode this platform has, each protocol, each framing.
    pub fn all() -> Vec<ServerMode> {
        use thriftc_runtime::{Framing, ProtocolKind};
        let events: &[bool] = if cfg!(target_os = "linux") {
            &[false, true]
        } else {
            &[false]
        };
        let mut modes = Vec::new();
        for &event in events {
            for protocol in [ProtocolKind::Binary, ProtocolKind::Compact] {
                for framing in [Framing::Buffered, Framing::Framed] {
                    modes.push(ServerMode {
                        event,
                        protocol,
                        framing,
                    });
                }
            }
        }
        modes
    }

    /// Serves `processor` on a free local port in this mode.
    pub fn serve<P>(self, processor: P) -> thriftc_runtime::ServerHandle
    where
        P: thriftc_runtime::server::ServerProcessor + 'static,
    {
        let mut b = thriftc_runtime::Server::builder(processor)
            .protocol(self.protocol)
            .framing(self.framing)
            .drain_timeout(std::time::Duration::from_secs(5));
        if self.event {
            b = b.event_driven(2);
        }
        b.bind("127.0.0.1:0")
            .expect("bind a free port")
            .spawn()
            .expect("start the server")
    }

    /// A client connection to `server` in this mode.
    pub fn connect(self, server: &thriftc_runtime::ServerHandle) -> thriftc_runtime::Client {
        thriftc_runtime::Connector::new(("127.0.0.1", server.local_addr().port()))
            .expect("address")
            .protocol(self.protocol)
            .framing(self.framing)
            .read_timeout(std::time::Duration::from_secs(10))
            .connect()
            .expect("connect")
    }

    /// A label for failure messages.
    pub fn label(self) -> String {
        format!(
            "{:?} {:?} event={}",
            self.protocol, self.framing, self.event
        )
    }
}

/// One message as a client sends it: `args` under a header of `name`,
/// `kind` and `seqid`, framed or not.
pub fn message(
    protocol: ProtocolKind,
    framing: Framing,
    name: &str,
    kind: MessageType,
    seqid: i32,
    args: &impl Encode,
) -> Vec<u8> {
    let header = MessageHeader {
        name: name.to_owned(),
        kind,
        seqid,
    };
    let mut body = Vec::new();
    match protocol {
        ProtocolKind::Binary => {
            let mut p = BinaryProtocol::new(&mut body, Default::default());
            p.write_message_begin(&header).unwrap();
            args.encode(&mut p).unwrap();
            p.write_message_end().unwrap();
        }
        ProtocolKind::Compact => {
            let mut p = CompactProtocol::new(&mut body, Default::default());
            p.write_message_begin(&header).unwrap();
            args.encode(&mut p).unwrap();
            p.write_message_end().unwrap();
        }
        other => unimplemented!("not covered by these tests: {other:?}"),
    }
    match framing {
        Framing::Buffered => body,
        Framing::Framed => {
            let mut out = (body.len() as u32).to_be_bytes().to_vec();
            out.extend_from_slice(&body);
            out
        }
        other => unimplemented!("not covered by these tests: {other:?}"),
    }
}
