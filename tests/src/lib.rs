//! Shared helpers for the integration tests of thriftc.

use thriftc_runtime::{Bytes, Decode, DecodeView, Encode, Error, binary, compact};

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
