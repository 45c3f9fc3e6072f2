//! What the one-pass completeness checks of both protocols share
//! ([`binary_len`](super::binary_len), [`compact_len`](super::compact_len)):
//! the bytes being read, the frames of the structs and containers being
//! passed over, and the walk through them ([`body_end`]). Each protocol
//! says how its field headers and values are read ([`Skim`]).
//!
//! The walk keeps its nesting in a small array on the stack and reads each
//! token once; a message nested deeper than [`MAX_NESTING`] gets `None`,
//! as does one that has not wholly arrived or is malformed (the caller's
//! resumable check then decides).

/// The nesting the pass follows (structs and containers, the argument
/// struct included); a message nested deeper gets `None`.
pub(crate) const MAX_NESTING: usize = 64;

/// A struct or container being passed over.
#[derive(Clone, Copy)]
pub(super) enum Frame {
    /// The next token is a field header or STOP; `last_id` is the last
    /// field's id (the compact protocol's base for the next id's delta).
    Struct { last_id: i16 },
    /// `left` more values of type code `elem` (a list or set).
    Values { elem: u8, left: usize },
    /// `left` more keys and values, alternating: a key when `left` is even.
    Entries { key: u8, value: u8, left: usize },
}

/// What a value at hand opens: nothing (it was passed over whole), or a
/// struct or container whose contents come next.
pub(super) enum Opens {
    Nothing,
    Frame(Frame),
}

/// A field header read.
pub(super) enum Field {
    /// STOP: the struct ends.
    Stop,
    /// A field whose value, of this type code, follows.
    Value(u8),
    /// A field whose value was in its header (a compact `bool`).
    Done,
}

/// How a protocol's field headers and values are read, for [`body_end`].
/// `None` from any of them: not all there, or malformed.
pub(super) trait Skim {
    /// A field header, given the struct's last field id (updated).
    fn field(b: &mut Bytes<'_>, last_id: &mut i16) -> Option<Field>;

    /// Passes over a value of type `code`, or its header when it is a
    /// struct or container with contents to follow.
    fn value(b: &mut Bytes<'_>, code: u8) -> Option<Opens>;

    /// Passes over the contents of a container at once when they are runs
    /// of fixed-size values or strings (`true`), else leaves them.
    fn pass_run(b: &mut Bytes<'_>, frame: Frame) -> Option<bool>;
}

/// The bytes of a message (at most the size limit's worth) and a position
/// in them; every read past their end is `None`.
pub(super) struct Bytes<'a> {
    pub(super) buf: &'a [u8],
    pub(super) at: usize,
}

impl<'a> Bytes<'a> {
    /// The first `max` bytes of `bytes` (all of them if fewer), from the
    /// start.
    pub(super) fn new(bytes: &'a [u8], max: usize) -> Bytes<'a> {
        Bytes {
            buf: &bytes[..bytes.len().min(max)],
            at: 0,
        }
    }

    #[inline]
    pub(super) fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        let b = *self.buf.get(self.at..)?.first_chunk::<N>()?;
        self.at += N;
        Some(b)
    }

    #[inline]
    pub(super) fn byte(&mut self) -> Option<u8> {
        self.array().map(|[b]| b)
    }

    /// Passes over `n` bytes.
    #[inline]
    pub(super) fn pass(&mut self, n: usize) -> Option<()> {
        let end = self.at.checked_add(n)?;
        if end > self.buf.len() {
            return None;
        }
        self.at = end;
        Some(())
    }

    /// Passes over `n` bytes that must be UTF-8 (a message name).
    pub(super) fn name(&mut self, n: usize) -> Option<()> {
        let start = self.at;
        self.pass(n)?;
        crate::utf8::str(&self.buf[start..self.at]).map(drop)
    }

    /// A container's count of `n` values of at least `min` bytes each (no
    /// STOP or VOID values, whose `min` is 0, unless empty), if they can
    /// all be there.
    #[inline]
    pub(super) fn count(&self, n: i32, min: usize) -> Option<usize> {
        let n = usize::try_from(n).ok()?;
        if n != 0 && min == 0 {
            return None;
        }
        (n.checked_mul(min)? <= self.buf.len() - self.at).then_some(n)
    }
}

/// The end of the argument struct that starts at `b.at`, read with `S`.
pub(super) fn body_end<S: Skim>(mut b: Bytes<'_>, max_depth: u32) -> Option<usize> {
    let max_depth = (max_depth as usize).min(MAX_NESTING);
    if max_depth == 0 {
        return None;
    }
    let mut stack = [Frame::Struct { last_id: 0 }; MAX_NESTING];
    let mut depth = 1;
    loop {
        // The innermost frame's values, up to its end or the first one
        // that opens a struct or container of its own.
        let opened = match &mut stack[depth - 1] {
            Frame::Struct { last_id } => loop {
                let code = match S::field(&mut b, last_id)? {
                    Field::Stop => break None,
                    Field::Done => continue,
                    Field::Value(code) => code,
                };
                if let Opens::Frame(frame) = S::value(&mut b, code)? {
                    break Some(frame);
                }
            },
            Frame::Values { elem, left } => loop {
                if *left == 0 {
                    break None;
                }
                *left -= 1;
                if let Opens::Frame(frame) = S::value(&mut b, *elem)? {
                    break Some(frame);
                }
            },
            Frame::Entries { key, value, left } => loop {
                if *left == 0 {
                    break None;
                }
                *left -= 1;
                let code = if *left % 2 == 1 { *key } else { *value };
                if let Opens::Frame(frame) = S::value(&mut b, code)? {
                    break Some(frame);
                }
            },
        };
        let Some(frame) = opened else {
            // The innermost frame ended.
            depth -= 1;
            if depth == 0 {
                return Some(b.at);
            }
            continue;
        };
        // One level deeper, as the decoders count (even for contents
        // passed over at once).
        if depth >= max_depth {
            return None;
        }
        if !S::pass_run(&mut b, frame)? {
            stack[depth] = frame;
            depth += 1;
        }
    }
}
