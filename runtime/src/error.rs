//! Typed errors: transport, protocol (Apache's TProtocolException kinds) and
//! application (TApplicationException) errors.

use std::fmt;

/// Result alias used throughout the runtime and by generated code.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Every error the runtime reports.
///
/// Match on the variant, or ask for the kind:
///
/// ```
/// use thriftc_runtime::{Error, ProtocolErrorKind};
///
/// let e = Error::protocol(ProtocolErrorKind::InvalidData, "bool byte 7");
/// assert_eq!(e.protocol_kind(), Some(ProtocolErrorKind::InvalidData));
/// assert!(!e.is_eof());
/// assert_eq!(e.to_string(), "protocol error (InvalidData): bool byte 7");
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The byte stream failed: I/O error, timeout, end of file, frame too big.
    Transport(TransportError),
    /// The bytes do not form valid Thrift data, or exceed a limit.
    Protocol(ProtocolError),
    /// A `TApplicationException`, received from or to be sent to the peer.
    Application(ApplicationError),
}

impl Error {
    /// Shorthand for a protocol error of `kind`.
    pub fn protocol(kind: ProtocolErrorKind, message: impl Into<String>) -> Error {
        Error::Protocol(ProtocolError::new(kind, message))
    }

    /// Shorthand for an application error of `kind`.
    pub fn application(kind: ApplicationErrorKind, message: impl Into<String>) -> Error {
        Error::Application(ApplicationError::new(kind, message))
    }

    /// The protocol error kind, if this is a protocol error.
    pub fn protocol_kind(&self) -> Option<ProtocolErrorKind> {
        match self {
            Error::Protocol(e) => Some(e.kind),
            _ => None,
        }
    }

    /// True when the peer closed the stream (a clean end between messages).
    pub fn is_eof(&self) -> bool {
        matches!(self, Error::Transport(e) if e.kind == TransportErrorKind::EndOfFile)
    }

    /// True when the call failed before any byte of its request reached
    /// the connection, so the server cannot have seen it and making it
    /// again is safe (see [`TransportError::unsent`]). False when that is
    /// not certain, e.g. for a request that was partly written.
    ///
    /// ```
    /// use thriftc_runtime::{Error, TransportError, TransportErrorKind};
    ///
    /// let mut e = TransportError::new(TransportErrorKind::NotOpen, "closed");
    /// assert!(!e.unsent, "not certain: the request may have been sent");
    /// e.unsent = true;
    /// assert!(Error::from(e).is_unsent());
    /// ```
    pub fn is_unsent(&self) -> bool {
        matches!(self, Error::Transport(e) if e.unsent)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Transport(e) => e.fmt(f),
            Error::Protocol(e) => e.fmt(f),
            Error::Application(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for Error {
    /// The source of the error it holds (it displays as that error does).
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Transport(e) => e.source(),
            _ => None,
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Error {
        Error::Transport(TransportError::from(e))
    }
}

impl From<ProtocolError> for Error {
    fn from(e: ProtocolError) -> Error {
        Error::Protocol(e)
    }
}

impl From<TransportError> for Error {
    fn from(e: TransportError) -> Error {
        Error::Transport(e)
    }
}

impl From<ApplicationError> for Error {
    fn from(e: ApplicationError) -> Error {
        Error::Application(e)
    }
}

/// Apache Thrift's `TProtocolException` kinds, with their wire numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ProtocolErrorKind {
    /// `UNKNOWN`: any other problem.
    Unknown = 0,
    /// `INVALID_DATA`: malformed bytes, e.g. an unknown wire type code, a
    /// `string` that is not UTF-8, a missing `required` field, a union with
    /// no field or several set.
    InvalidData = 1,
    /// `NEGATIVE_SIZE`: a string, list, set or map with a negative length.
    NegativeSize = 2,
    /// `SIZE_LIMIT`: a length above a [`Limits`](crate::Limits) value, or larger
    /// than the bytes that can still arrive.
    SizeLimit = 3,
    /// `BAD_VERSION`: a message header with the wrong protocol id or version.
    BadVersion = 4,
    /// `NOT_IMPLEMENTED`: an operation the protocol does not support.
    NotImplemented = 5,
    /// `DEPTH_LIMIT`: structs and containers nested deeper than
    /// [`Limits`](crate::Limits) allows, on read, write or skip.
    DepthLimit = 6,
}

/// Bytes that are not valid Thrift, or exceed a [`Limits`](crate::Limits) value.
///
/// Built with [`ProtocolError::new`] (or [`Error::protocol`]); more fields
/// may be added.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProtocolError {
    /// What went wrong, as Apache Thrift classifies it.
    pub kind: ProtocolErrorKind,
    /// Details for people: what was found, and where.
    pub message: String,
}

impl ProtocolError {
    /// A protocol error of `kind`.
    pub fn new(kind: ProtocolErrorKind, message: impl Into<String>) -> ProtocolError {
        ProtocolError {
            kind,
            message: message.into(),
        }
    }
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "protocol error ({:?}): {}", self.kind, self.message)
    }
}

impl std::error::Error for ProtocolError {}

/// Transport failure kinds (Apache's `TTransportException` kinds).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// `UNKNOWN`: an I/O error of another kind (see [`TransportError::source`]).
    Unknown = 0,
    /// `NOT_OPEN`: not connected (a connect refused, say), or the
    /// connection was closed, reset or aborted.
    NotOpen = 1,
    /// `ALREADY_OPEN`: the transport is already open.
    AlreadyOpen = 2,
    /// `TIMED_OUT`: a read or write timeout, or a deadline, expired.
    TimedOut = 3,
    /// `END_OF_FILE`: the peer closed the stream (between messages, or in the
    /// middle of one).
    EndOfFile = 4,
    /// A frame or message larger than the configured limit, or a negative size.
    SizeLimit = 5,
    /// A frame or message length below zero.
    NegativeSize = 6,
}

/// A failure of the byte stream.
///
/// Built with [`TransportError::new`], or from an [`std::io::Error`]: its
/// text is then in `message` (so `Display` says all), and the error itself
/// in the field `source`. As `std::io::Error` does with an error it wraps,
/// [`Error::source`](std::error::Error::source) passes over it to its own
/// source (usually none), so that a report of the chain (`anyhow`'s
/// `{:#}`, a log's "caused by") does not say it twice. More fields may be
/// added.
#[derive(Debug)]
#[non_exhaustive]
pub struct TransportError {
    /// What went wrong, as Apache Thrift classifies it.
    pub kind: TransportErrorKind,
    /// Details for people.
    pub message: String,
    /// The I/O error behind it, if any (its kind, its OS error code).
    pub source: Option<std::io::Error>,
    /// Set only when it is certain that no byte of the failed call's
    /// request reached the connection. The async shared client sets it
    /// when it refused the call (the connection was already unusable) or
    /// the call was still queued, not yet taken by its writer, when the
    /// connection broke; its pool sets it on the calls it had no
    /// connection for (a connect failed, or the place is backing off).
    /// The server cannot have seen such a call, so making it again is safe
    /// even when it is not idempotent; the pool does so once (for the
    /// marks its connections set, not one that an `Encode` or `Decode`
    /// impl sets). False otherwise: the request was written, in full or in
    /// part, or that is not certain. [`TransportError::new`] and errors from
    /// [`std::io::Error`] leave it false.
    pub unsent: bool,
}

impl TransportError {
    /// A transport error of `kind` with no I/O error behind it.
    pub fn new(kind: TransportErrorKind, message: impl Into<String>) -> TransportError {
        TransportError {
            kind,
            message: message.into(),
            source: None,
            unsent: false,
        }
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "transport error ({:?}): {}", self.kind, self.message)
    }
}

impl std::error::Error for TransportError {
    /// The source of the I/O error behind it: the I/O error's text is in
    /// `message` already (see the type's docs).
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_ref().and_then(std::error::Error::source)
    }
}

impl From<std::io::Error> for TransportError {
    fn from(e: std::io::Error) -> TransportError {
        use std::io::ErrorKind as K;
        let kind = match e.kind() {
            K::UnexpectedEof => TransportErrorKind::EndOfFile,
            K::TimedOut | K::WouldBlock => TransportErrorKind::TimedOut,
            // As Apache Thrift's libraries classify them (its Rust crate:
            // refused, reset, not connected), with the other ways a
            // connection turns out closed.
            K::NotConnected
            | K::ConnectionRefused
            | K::ConnectionReset
            | K::ConnectionAborted
            | K::BrokenPipe => TransportErrorKind::NotOpen,
            _ => TransportErrorKind::Unknown,
        };
        TransportError {
            kind,
            message: e.to_string(),
            source: Some(e),
            unsent: false,
        }
    }
}

/// `TApplicationException` type codes (doc/specs/thrift-rpc.md).
///
/// Kinds are equal when their wire codes are: `Other(6)` equals
/// `InternalError`, as both are sent as 6.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum ApplicationErrorKind {
    /// `UNKNOWN` (0): any other failure.
    Unknown,
    /// `UNKNOWN_METHOD` (1): the server has no function of that name.
    UnknownMethod,
    /// `INVALID_MESSAGE_TYPE` (2): a message type that was not expected here,
    /// e.g. a REPLY sent to a server.
    InvalidMessageType,
    /// `WRONG_METHOD_NAME` (3): the reply names another function than the call.
    WrongMethodName,
    /// `BAD_SEQUENCE_ID` (4): the reply's sequence id is not the call's.
    BadSequenceId,
    /// `MISSING_RESULT` (5): the reply holds neither a result nor a declared
    /// exception.
    MissingResult,
    /// `INTERNAL_ERROR` (6): the handler failed (panicked, or returned an
    /// error the function does not declare).
    InternalError,
    /// `PROTOCOL_ERROR` (7): the server could not decode the arguments.
    ProtocolError,
    /// `INVALID_TRANSFORM` (8): a transform (e.g. compression) is not supported.
    InvalidTransform,
    /// `INVALID_PROTOCOL` (9): the protocol is not supported.
    InvalidProtocol,
    /// `UNSUPPORTED_CLIENT_TYPE` (10): the client type is not supported.
    UnsupportedClientType,
    /// A code this runtime does not name (e.g. fbthrift's 11..16); kept.
    Other(i32),
}

impl PartialEq for ApplicationErrorKind {
    fn eq(&self, other: &Self) -> bool {
        self.as_i32() == other.as_i32()
    }
}

impl Eq for ApplicationErrorKind {}

impl std::hash::Hash for ApplicationErrorKind {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_i32().hash(state);
    }
}

impl ApplicationErrorKind {
    /// The kind for a wire code; unnamed codes become [`ApplicationErrorKind::Other`].
    pub fn from_i32(v: i32) -> ApplicationErrorKind {
        use ApplicationErrorKind::*;
        match v {
            0 => Unknown,
            1 => UnknownMethod,
            2 => InvalidMessageType,
            3 => WrongMethodName,
            4 => BadSequenceId,
            5 => MissingResult,
            6 => InternalError,
            7 => ProtocolError,
            8 => InvalidTransform,
            9 => InvalidProtocol,
            10 => UnsupportedClientType,
            other => Other(other),
        }
    }

    /// The wire code (the inverse of [`ApplicationErrorKind::from_i32`]).
    pub fn as_i32(self) -> i32 {
        use ApplicationErrorKind::*;
        match self {
            Unknown => 0,
            UnknownMethod => 1,
            InvalidMessageType => 2,
            WrongMethodName => 3,
            BadSequenceId => 4,
            MissingResult => 5,
            InternalError => 6,
            ProtocolError => 7,
            InvalidTransform => 8,
            InvalidProtocol => 9,
            UnsupportedClientType => 10,
            Other(v) => v,
        }
    }
}

/// A `TApplicationException`: wire form `struct { 1: string message, 2: i32 type }`
/// sent as an EXCEPTION message.
///
/// Built with [`ApplicationError::new`] (or [`Error::application`]); more
/// fields may be added.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ApplicationError {
    /// The exception's type (wire field 2).
    pub kind: ApplicationErrorKind,
    /// The exception's message (wire field 1).
    pub message: String,
}

impl ApplicationError {
    /// An application error of `kind`.
    pub fn new(kind: ApplicationErrorKind, message: impl Into<String>) -> ApplicationError {
        ApplicationError {
            kind,
            message: message.into(),
        }
    }
}

impl fmt::Display for ApplicationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "application error ({:?}): {}", self.kind, self.message)
    }
}

impl std::error::Error for ApplicationError {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;
    use std::io;

    /// The I/O error's text is in the message and the error in the field;
    /// the chain of sources does not repeat it, at either level.
    #[test]
    fn an_io_cause_is_kept_and_said_once() {
        let io = || io::Error::new(io::ErrorKind::ConnectionReset, "reset by peer");
        let transport = TransportError::from(io());
        assert_eq!(transport.kind, TransportErrorKind::NotOpen);
        assert_eq!(
            transport.source.as_ref().map(io::Error::kind),
            Some(io::ErrorKind::ConnectionReset)
        );
        assert_eq!(
            transport.to_string(),
            "transport error (NotOpen): reset by peer"
        );
        assert!(transport.source().is_none());
        let err = Error::from(io());
        assert_eq!(err.to_string(), transport.to_string());
        assert!(err.source().is_none());

        // An I/O error with a source of its own: that one is the next link.
        #[derive(Debug)]
        struct Wrapped(io::Error);
        impl fmt::Display for Wrapped {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("wrapped")
            }
        }
        impl std::error::Error for Wrapped {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let outer = io::Error::other(Wrapped(io::Error::other("disk on fire")));
        let err = Error::from(outer);
        let next = err.source().expect("the I/O error's own source");
        assert_eq!(next.to_string(), "disk on fire");
    }

    #[test]
    fn io_errors_get_the_kinds_apache_gives_them() {
        use TransportErrorKind as T;
        use io::ErrorKind as K;
        for (io_kind, kind) in [
            (K::ConnectionRefused, T::NotOpen),
            (K::ConnectionReset, T::NotOpen),
            (K::ConnectionAborted, T::NotOpen),
            (K::NotConnected, T::NotOpen),
            (K::BrokenPipe, T::NotOpen),
            (K::TimedOut, T::TimedOut),
            (K::WouldBlock, T::TimedOut),
            (K::UnexpectedEof, T::EndOfFile),
            (K::NotFound, T::Unknown),
            (K::PermissionDenied, T::Unknown),
        ] {
            let e = TransportError::from(io::Error::from(io_kind));
            assert_eq!(e.kind, kind, "{io_kind:?}");
        }
    }

    #[test]
    fn errors_without_a_cause_have_no_source() {
        let plain = TransportError::new(TransportErrorKind::NotOpen, "closed");
        assert!(plain.source().is_none());
        assert!(Error::from(plain).source().is_none());
        assert!(
            Error::protocol(ProtocolErrorKind::InvalidData, "x")
                .source()
                .is_none()
        );
        assert!(
            Error::application(ApplicationErrorKind::InternalError, "x")
                .source()
                .is_none()
        );
    }

    #[test]
    fn application_error_kinds_are_equal_when_their_codes_are() {
        use std::collections::HashSet;
        assert_eq!(
            ApplicationErrorKind::Other(6),
            ApplicationErrorKind::InternalError
        );
        assert_eq!(
            ApplicationErrorKind::Other(42),
            ApplicationErrorKind::Other(42)
        );
        assert_ne!(
            ApplicationErrorKind::Other(42),
            ApplicationErrorKind::Other(43)
        );
        assert_ne!(
            ApplicationErrorKind::Other(7),
            ApplicationErrorKind::InternalError
        );
        let set: HashSet<_> = [
            ApplicationErrorKind::Other(1),
            ApplicationErrorKind::UnknownMethod,
            ApplicationErrorKind::from_i32(1),
        ]
        .into_iter()
        .collect();
        assert_eq!(set.len(), 1);
    }

    #[test]
    fn errors_are_send_sync_and_static() {
        fn check<T: Send + Sync + 'static>() {}
        check::<Error>();
        check::<TransportError>();
        check::<ProtocolError>();
        check::<ApplicationError>();
    }
}
