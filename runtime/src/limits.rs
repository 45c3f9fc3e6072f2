//! [`Limits`]: the one set of bounds that protocols, transports and the
//! server enforce on data from the wire.
//!
//! ```
//! use thriftc_runtime::Limits;
//!
//! let limits = Limits::default().with_max_depth(32).with_max_frame_size(1 << 20);
//! assert_eq!(limits.max_depth(), 32);
//! assert_eq!(limits.max_message_size(), 100 * 1024 * 1024);
//! ```

/// Bounds on wire data. The defaults are Apache Thrift's
/// (`doc/specs/thrift-tconfiguration.md`): 100 MiB per message, 16,384,000
/// bytes per frame, 64 levels of nesting.
///
/// Protocols take a `Limits` at construction and use
/// [`max_depth`](Limits::max_depth) for reading, writing and skipping; string
/// lengths and container counts are checked against the bytes the transport
/// can still deliver ([`ReadBytes::remaining`](crate::transport::ReadBytes::remaining)),
/// which the transports bound by [`max_message_size`](Limits::max_message_size)
/// and [`max_frame_size`](Limits::max_frame_size).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Limits {
    max_message_size: usize,
    max_frame_size: usize,
    max_depth: u32,
}

impl Limits {
    /// Default maximum message size: 100 MiB.
    pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 100 * 1024 * 1024;
    /// Default maximum frame size of the framed transport: 16,384,000 bytes.
    pub const DEFAULT_MAX_FRAME_SIZE: usize = 16_384_000;
    /// Default maximum nesting of structs and containers: 64.
    pub const DEFAULT_MAX_DEPTH: u32 = 64;

    /// The defaults (same as [`Limits::default`]).
    #[inline]
    pub const fn new() -> Limits {
        Limits {
            max_message_size: Self::DEFAULT_MAX_MESSAGE_SIZE,
            max_frame_size: Self::DEFAULT_MAX_FRAME_SIZE,
            max_depth: Self::DEFAULT_MAX_DEPTH,
        }
    }

    /// The most bytes one message may take on the wire.
    #[inline]
    pub const fn max_message_size(&self) -> usize {
        self.max_message_size
    }

    /// The largest frame the framed transport accepts (and writes).
    #[inline]
    pub const fn max_frame_size(&self) -> usize {
        self.max_frame_size
    }

    /// The deepest nesting of structs, lists, sets and maps, counted on
    /// read, write and skip. A top-level struct is depth 1.
    #[inline]
    pub const fn max_depth(&self) -> u32 {
        self.max_depth
    }

    /// Sets the maximum message size in bytes.
    #[must_use]
    #[inline]
    pub const fn with_max_message_size(mut self, bytes: usize) -> Limits {
        self.max_message_size = bytes;
        self
    }

    /// Sets the maximum frame size in bytes.
    #[must_use]
    #[inline]
    pub const fn with_max_frame_size(mut self, bytes: usize) -> Limits {
        self.max_frame_size = bytes;
        self
    }

    /// Sets the maximum nesting depth.
    #[must_use]
    #[inline]
    pub const fn with_max_depth(mut self, depth: u32) -> Limits {
        self.max_depth = depth;
        self
    }
}

impl Default for Limits {
    #[inline]
    fn default() -> Limits {
        Limits::new()
    }
}

#[cfg(test)]
mod tests {
    use super::Limits;

    #[test]
    fn defaults_are_apache_values() {
        let l = Limits::default();
        assert_eq!(l.max_message_size(), 104_857_600);
        assert_eq!(l.max_frame_size(), 16_384_000);
        assert_eq!(l.max_depth(), 64);
    }

    #[test]
    fn setters_change_one_value() {
        let l = Limits::new().with_max_depth(3).with_max_message_size(10);
        assert_eq!((l.max_depth(), l.max_message_size()), (3, 10));
        assert_eq!(l.max_frame_size(), Limits::DEFAULT_MAX_FRAME_SIZE);
    }
}
