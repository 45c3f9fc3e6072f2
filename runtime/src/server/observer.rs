//! [`ServerObserver`]: hooks a server calls as connections open and close
//! and as calls finish, for metrics, tracing and logs (what Apache Thrift's
//! `TServerEventHandler` and `TProcessorEventHandler` give other
//! languages).
//!
//! See [`ServerObserver`] for when each hook is called.

use std::net::SocketAddr;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::Duration;

use crate::ApplicationError;
use crate::codec::Decode;
use crate::error::ApplicationErrorKind;
use crate::limits::Limits;
use crate::processor::{ProtocolKind, panic_message};
use crate::protocol::binary::BinaryProtocol;
use crate::protocol::compact::CompactProtocol;
use crate::protocol::{MessageType, ProtocolRead};

/// Hooks a server calls as connections open and close and as calls
/// finish, for metrics, tracing and logs; each method does nothing unless
/// implemented.
///
/// Set one with [`ServerBuilder::observer`](super::ServerBuilder::observer)
/// or, with the feature `tokio`, `AsyncServerBuilder::observer`. Every
/// threading mode of the blocking server and the async server call it the
/// same way:
///
/// - [`connection_opened`](ServerObserver::connection_opened) once per
///   accepted connection, before its first call (on the thread that
///   accepted it, for the blocking server; on the connection's task, for
///   the async server);
/// - [`call_started`](ServerObserver::call_started) once per CALL or
///   ONEWAY message read, before its processor runs, and
///   [`call_finished`](ServerObserver::call_finished) once per call started, in the order the connection's messages came,
///   once its reply is written to the socket (or has failed to be), or for
///   ONEWAY once the handler has returned. A message of another type, or
///   one whose header cannot be read, is not a call: the connection closes
///   without one. The thread-per-connection and worker-pool modes read a
///   call's header as soon as it arrives, so a peer that leaves before
///   the rest of its request has arrived gets a call reported
///   [`Undelivered`](CallOutcome::Undelivered); the event-driven mode and
///   the async server decode a message only once all of it has arrived,
///   and report nothing of one that never does;
/// - [`connection_closed`](ServerObserver::connection_closed) once per
///   connection, after its last `call_finished`, however it ends (the peer
///   leaves, a timeout, an error, a stop, a reset). Once
///   [`ServerHandle::stop`](super::ServerHandle::stop) has returned, or the
///   async server's `serve` has, every connection has been reported closed,
///   but for those still busy after the drain timeout (reported when
///   their handlers return).
///
/// The methods run on the server's own threads, in the middle of serving:
/// keep them short (count, record, send to a channel); a slow
/// `connection_opened` on the blocking server holds up accepting. A panic in one is
/// caught and logged at `error`; the server and the connection carry on.
///
/// With no observer set, the server reads no clock and allocates nothing
/// for it (a call costs a branch or two); with one, a connection costs a
/// reference count, and a call two observer calls, a clock read at its
/// start and one at its end, a look at the reply's first field, and a call answered with an EXCEPTION message also a decode of
/// that message (to learn its kind). The blocking server sends each reply
/// once the processor has returned, rather than from within it when it
/// flushes, so that the reply can be looked at first (and before the rest
/// of a frame the processor left unread is read): a processor that keeps
/// working after it has written its reply holds it back until it returns.
/// Generated processors write their reply last.
pub trait ServerObserver: Send + Sync + 'static {
    /// A connection was accepted; called before any of its calls.
    fn connection_opened(&self, connection: &ConnectionInfo) {
        let _ = connection;
    }

    /// A connection is closed; called after its last
    /// [`call_finished`](Self::call_finished).
    fn connection_closed(&self, connection: &ConnectionInfo) {
        let _ = connection;
    }

    /// A call's header was read and its processor is about to run (for
    /// an in-flight count, say); its [`call_finished`](Self::call_finished)
    /// follows, on the same connection's thread or task.
    fn call_started(&self, call: &CallStart<'_>) {
        let _ = call;
    }

    /// A call was answered (or could not be): what it was, how long it
    /// took and how it ended.
    fn call_finished(&self, call: &CallInfo<'_>) {
        let _ = call;
    }
}

impl<T: ServerObserver + ?Sized> ServerObserver for Arc<T> {
    fn connection_opened(&self, connection: &ConnectionInfo) {
        (**self).connection_opened(connection);
    }

    fn connection_closed(&self, connection: &ConnectionInfo) {
        (**self).connection_closed(connection);
    }

    fn call_started(&self, call: &CallStart<'_>) {
        (**self).call_started(call);
    }

    fn call_finished(&self, call: &CallInfo<'_>) {
        (**self).call_finished(call);
    }
}

/// One connection of a server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConnectionInfo {
    /// Unique among the connections of one server (counted from 0, in
    /// about the order they were accepted); [`CallInfo::connection`]
    /// names it.
    pub id: u64,
    /// The peer's address over TCP; `None` for a Unix domain socket, whose
    /// clients have no address as a rule.
    pub peer: Option<SocketAddr>,
}

/// One call a server is about to serve.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CallStart<'a> {
    /// The [`ConnectionInfo::id`] of the connection it came on.
    pub connection: u64,
    /// The method name as received, with a multiplexed call's
    /// `Service:` prefix.
    pub method: &'a str,
    /// The sequence id the client chose.
    pub seqid: i32,
    /// Sent as ONEWAY (no reply expected).
    pub oneway: bool,
}

impl<'a> CallStart<'a> {
    /// Tells `observer` that the call `header` names, on `connection`,
    /// starts.
    pub(crate) fn notify(
        observer: &dyn ServerObserver,
        connection: u64,
        header: &'a crate::protocol::MessageHeader,
    ) {
        let call = CallStart {
            connection,
            method: &header.name,
            seqid: header.seqid,
            oneway: header.kind == MessageType::Oneway,
        };
        notify("call_started", || observer.call_started(&call));
    }
}

/// One call a server has finished with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CallInfo<'a> {
    /// The [`ConnectionInfo::id`] of the connection it came on.
    pub connection: u64,
    /// The method name as received, with a multiplexed call's
    /// `Service:` prefix.
    pub method: &'a str,
    /// The sequence id the client chose.
    pub seqid: i32,
    /// Sent as ONEWAY (no reply expected).
    pub oneway: bool,
    /// From when its message header was read to when its reply was
    /// written to the socket (accepted by the kernel, not yet read by the
    /// peer), or failed to be; for ONEWAY, to when the handler returned.
    pub elapsed: Duration,
    /// How it ended.
    pub outcome: CallOutcome,
}

/// How a call ended. More cases may be added.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CallOutcome {
    /// A REPLY message with the method's result was sent.
    Reply,
    /// A REPLY message with an exception the method declares was sent:
    /// the id of its field in the method's `throws` (1 for the first, as
    /// a rule). Error rates by exception can be counted from it.
    DeclaredException(i16),
    /// An EXCEPTION message (`TApplicationException`) was sent, of this
    /// kind: e.g. `UnknownMethod`, `ProtocolError` for arguments that did
    /// not decode, `InternalError` for a handler that panicked or returned
    /// an error the method does not declare.
    Exception(ApplicationErrorKind),
    /// A ONEWAY call: nothing is sent, whatever its handler did.
    Oneway,
    /// No reply reached the socket: the connection failed or closed
    /// during the call (the peer left while its request was read, a
    /// write failed or timed out, the server force-closed it), or the
    /// processor wrote nothing.
    Undelivered,
}

impl ConnectionInfo {
    /// The info of connection `id` with `peer`.
    pub(crate) fn new(id: u64, peer: super::listener::Peer) -> ConnectionInfo {
        let peer = match peer {
            super::listener::Peer::Tcp(addr) => Some(addr),
            #[cfg(unix)]
            super::listener::Peer::Unix { .. } => None,
        };
        ConnectionInfo { id, peer }
    }
}

impl<'a> CallInfo<'a> {
    /// The info of a call (the fields are not all public to build).
    pub(crate) fn new(
        connection: u64,
        method: &'a str,
        seqid: i32,
        oneway: bool,
        elapsed: Duration,
        outcome: CallOutcome,
    ) -> CallInfo<'a> {
        CallInfo {
            connection,
            method,
            seqid,
            oneway,
            elapsed,
            outcome,
        }
    }
}

/// Runs one observer method; a panic in it is logged, not passed on.
pub(crate) fn notify(what: &str, f: impl FnOnce()) {
    if let Err(panic) = catch_unwind(AssertUnwindSafe(f)) {
        log::error!(
            "the server observer panicked in {what}: {}",
            panic_message(panic.as_ref())
        );
        // A payload whose drop panics too must not escape either.
        if catch_unwind(AssertUnwindSafe(|| drop(panic))).is_err() {
            log::error!("the server observer's panic payload panicked when dropped");
        }
    }
}

/// What a reply the server wrote says of its call: `message` is the
/// reply message as encoded in `protocol`, without a frame header. REPLY
/// is [`CallOutcome::Reply`], or [`CallOutcome::DeclaredException`] when
/// the first field of its result struct is not field 0 (`success`);
/// EXCEPTION is [`CallOutcome::Exception`] with the kind its body carries
/// (`Unknown` if the body does not decode). Bytes that are no message
/// header (never written by this runtime) count as a REPLY.
pub(crate) fn reply_outcome(protocol: ProtocolKind, message: &[u8]) -> CallOutcome {
    // The limits bound nothing here (the bytes are the server's own), but
    // depth is counted as ever.
    let limits = Limits::default();
    if message_type(protocol, message) != Some(MessageType::Exception as u8) {
        let field = match protocol {
            ProtocolKind::Binary => first_field(&mut BinaryProtocol::new(message, limits)),
            ProtocolKind::Compact => first_field(&mut CompactProtocol::new(message, limits)),
        };
        return match field {
            Some(id) if id != 0 => CallOutcome::DeclaredException(id),
            _ => CallOutcome::Reply,
        };
    }
    let kind = match protocol {
        ProtocolKind::Binary => exception_kind(&mut BinaryProtocol::new(message, limits)),
        ProtocolKind::Compact => exception_kind(&mut CompactProtocol::new(message, limits)),
    };
    CallOutcome::Exception(kind.unwrap_or(ApplicationErrorKind::Unknown))
}

/// The id of the first field of the struct a message carries (`None`:
/// none, or the bytes do not say).
fn first_field<P: ProtocolRead>(p: &mut P) -> Option<i16> {
    p.read_message_begin().ok()?;
    p.read_struct_begin().ok()?;
    p.read_field_begin().ok()?.map(|h| h.id)
}

/// The kind of the `TApplicationException` a message carries.
fn exception_kind<P: ProtocolRead>(p: &mut P) -> Option<ApplicationErrorKind> {
    p.read_message_begin().ok()?;
    ApplicationError::decode(p).ok().map(|e| e.kind)
}

/// The message type code in a message header: binary strict, the low
/// byte of its version word (`0x80 0x01 _ type`); binary non-strict, the
/// byte after its name (`len:i32 name type`); compact, the top three bits
/// of its second byte (`0x82 type<<5|version`).
fn message_type(protocol: ProtocolKind, message: &[u8]) -> Option<u8> {
    match protocol {
        ProtocolKind::Binary => match *message.first()? {
            0x80.. => Some(*message.get(3)? & 0x07),
            _ => {
                let len: [u8; 4] = message.get(..4)?.try_into().ok()?;
                let len = usize::try_from(i32::from_be_bytes(len)).ok()?;
                message.get(len.checked_add(4)?).copied()
            }
        },
        ProtocolKind::Compact => match message {
            [0x82, second, ..] => Some(second >> 5),
            _ => None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::processor::write_exception;
    use crate::protocol::{ProtocolWrite, TType};

    /// A message in `protocol`: an EXCEPTION carrying an error of `error`,
    /// or a REPLY whose result struct holds `field` (an `i32`) or nothing.
    fn message(
        protocol: ProtocolKind,
        kind: MessageType,
        error: ApplicationErrorKind,
        field: Option<i16>,
    ) -> Vec<u8> {
        fn write<P: ProtocolWrite>(
            p: &mut P,
            kind: MessageType,
            error: ApplicationErrorKind,
            field: Option<i16>,
        ) {
            if kind == MessageType::Exception {
                let e = ApplicationError::new(error, "what went wrong");
                write_exception(p, "Calc:add", 9, &e).unwrap();
            } else {
                p.write_message_begin_parts("Calc:add", kind, 9).unwrap();
                p.write_struct_begin("r").unwrap();
                if let Some(id) = field {
                    p.write_field_begin("x", TType::I32, id).unwrap();
                    p.write_i32(7).unwrap();
                    p.write_field_end().unwrap();
                }
                p.write_field_stop().unwrap();
                p.write_struct_end().unwrap();
                p.write_message_end().unwrap();
            }
        }
        let limits = Limits::default();
        match protocol {
            ProtocolKind::Binary => {
                let mut p = BinaryProtocol::new(Vec::new(), limits);
                write(&mut p, kind, error, field);
                p.into_inner()
            }
            ProtocolKind::Compact => {
                let mut p = CompactProtocol::new(Vec::new(), limits);
                write(&mut p, kind, error, field);
                p.into_inner()
            }
        }
    }

    /// A REPLY whose result struct holds `field`, or nothing.
    fn result(protocol: ProtocolKind, field: Option<i16>) -> Vec<u8> {
        message(
            protocol,
            MessageType::Reply,
            ApplicationErrorKind::Unknown,
            field,
        )
    }

    #[test]
    fn a_reply_with_a_declared_exception_says_its_field() {
        for protocol in [ProtocolKind::Binary, ProtocolKind::Compact] {
            let outcome = |field| reply_outcome(protocol, &result(protocol, field));
            assert_eq!(outcome(Some(0)), CallOutcome::Reply, "{protocol:?}");
            assert_eq!(outcome(None), CallOutcome::Reply, "{protocol:?}: void");
            assert_eq!(outcome(Some(1)), CallOutcome::DeclaredException(1));
            assert_eq!(outcome(Some(3)), CallOutcome::DeclaredException(3));
        }
    }

    #[test]
    fn a_reply_is_a_reply_and_an_exception_carries_its_kind() {
        use ApplicationErrorKind as K;
        for protocol in [ProtocolKind::Binary, ProtocolKind::Compact] {
            let reply = result(protocol, Some(0));
            assert_eq!(reply_outcome(protocol, &reply), CallOutcome::Reply);
            for kind in [
                K::UnknownMethod,
                K::ProtocolError,
                K::InternalError,
                K::Other(42),
            ] {
                let e = message(protocol, MessageType::Exception, kind, None);
                assert_eq!(
                    reply_outcome(protocol, &e),
                    CallOutcome::Exception(kind),
                    "{protocol:?}"
                );
            }
        }
    }

    #[test]
    fn the_type_is_read_from_each_header_form() {
        // Binary strict, non-strict, compact.
        assert_eq!(
            message_type(ProtocolKind::Binary, &[0x80, 1, 0, 3]),
            Some(3)
        );
        assert_eq!(
            message_type(ProtocolKind::Binary, &[0, 0, 0, 2, b'h', b'i', 2]),
            Some(2)
        );
        assert_eq!(message_type(ProtocolKind::Compact, &[0x82, 0x61]), Some(3));
        assert_eq!(message_type(ProtocolKind::Compact, &[0x82, 0x41]), Some(2));
    }

    #[test]
    fn bytes_that_are_no_header_read_as_a_reply_without_panicking() {
        for protocol in [ProtocolKind::Binary, ProtocolKind::Compact] {
            for bytes in [
                &[][..],
                &[0x80],
                &[0x82],
                &[0x7f, 0xff, 0xff, 0xff],
                &[0xff, 0xff, 0xff, 0xff],
            ] {
                assert_eq!(reply_outcome(protocol, bytes), CallOutcome::Reply);
            }
        }
        // An EXCEPTION header with no body: its kind is unknown.
        assert_eq!(
            reply_outcome(ProtocolKind::Binary, &[0x80, 1, 0, 3]),
            CallOutcome::Exception(ApplicationErrorKind::Unknown)
        );
    }
}
