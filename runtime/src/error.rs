//! Typed errors: transport, protocol (Apache's TProtocolException kinds) and
//! application (TApplicationException) errors.

use std::fmt;

/// Result alias used throughout the runtime and by generated code.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Every error the runtime reports.
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
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Transport(e) => e.source.as_ref().map(|e| e as _),
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
    Unknown = 0,
    InvalidData = 1,
    NegativeSize = 2,
    SizeLimit = 3,
    BadVersion = 4,
    NotImplemented = 5,
    DepthLimit = 6,
}

/// Bytes that are not valid Thrift, or exceed a [`Limits`](crate::Limits) value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProtocolError {
    pub kind: ProtocolErrorKind,
    pub message: String,
}

impl ProtocolError {
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
    Unknown = 0,
    NotOpen = 1,
    AlreadyOpen = 2,
    TimedOut = 3,
    EndOfFile = 4,
    /// A frame or message larger than the configured limit, or a negative size.
    SizeLimit = 5,
    NegativeSize = 6,
}

/// A failure of the byte stream.
#[derive(Debug)]
pub struct TransportError {
    pub kind: TransportErrorKind,
    pub message: String,
    /// The I/O error behind it, if any.
    pub source: Option<std::io::Error>,
}

impl TransportError {
    pub fn new(kind: TransportErrorKind, message: impl Into<String>) -> TransportError {
        TransportError {
            kind,
            message: message.into(),
            source: None,
        }
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "transport error ({:?}): {}", self.kind, self.message)
    }
}

impl std::error::Error for TransportError {}

impl From<std::io::Error> for TransportError {
    fn from(e: std::io::Error) -> TransportError {
        use std::io::ErrorKind as K;
        let kind = match e.kind() {
            K::UnexpectedEof => TransportErrorKind::EndOfFile,
            K::TimedOut | K::WouldBlock => TransportErrorKind::TimedOut,
            K::NotConnected => TransportErrorKind::NotOpen,
            _ => TransportErrorKind::Unknown,
        };
        TransportError {
            kind,
            message: e.to_string(),
            source: Some(e),
        }
    }
}

/// `TApplicationException` type codes (doc/specs/thrift-rpc.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ApplicationErrorKind {
    Unknown,
    UnknownMethod,
    InvalidMessageType,
    WrongMethodName,
    BadSequenceId,
    MissingResult,
    InternalError,
    ProtocolError,
    InvalidTransform,
    InvalidProtocol,
    UnsupportedClientType,
    /// A code this runtime does not name (e.g. fbthrift's 11..16); kept.
    Other(i32),
}

impl ApplicationErrorKind {
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
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApplicationError {
    pub kind: ApplicationErrorKind,
    pub message: String,
}

impl ApplicationError {
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
