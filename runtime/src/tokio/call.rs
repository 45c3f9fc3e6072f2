//! The server side of an async call: one received message ([`Call`]), what
//! goes back ([`Reply`]), and the [`AsyncProcessor`] trait between them.
//!
//! A `Call` owns the bytes of its whole message, so decoding its arguments
//! never waits for the network, and the blocking processor's helpers
//! ([`crate::processor`]) build every reply: the error rules are the same
//! (see the table there). One difference follows from holding the whole
//! message: the server knows where a message ends before it decodes it
//! (a frame's length, or, unframed, the completeness check that ran as its
//! bytes arrived), so arguments that fail to decode are answered with
//! `PROTOCOL_ERROR` and the connection stays in step, framed or not. Only
//! a message the check found malformed (so its end is unknown) closes the
//! connection after its reply ([`Reply::closes_connection`]).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::codec::{Decode, Encode};
use crate::error::{ApplicationError, ApplicationErrorKind, Error, Result};
use crate::limits::Limits;
use crate::processor::{self, ProtocolKind};
use crate::protocol::binary::{self, BinaryProtocol};
use crate::protocol::compact::{self, CompactProtocol};
use crate::protocol::{MessageHeader, MessageType, ProtocolRead};
use crate::transport::framed::{FRAME_HEADER_LEN, frame_header};
use crate::transport::{Framing, WriteBytes};
use crate::view::DecodeView;

use super::catch::{CatchUnwind, guarded};
use super::whole::{Whole, past_end};

/// The most a [`Call::view_reply`] reserves for its reply before writing
/// it: the request's size, at least the size a connection reads a message
/// into, at most this.
const VIEW_REPLY_CAPACITY: usize = 64 * 1024;

/// A boxed, sendable future: what [`AsyncProcessor::process`] returns, so
/// processors of different services can sit behind `dyn`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The wire settings of one connection: how its messages are read and
/// written.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Wire {
    pub(crate) protocol: ProtocolKind,
    pub(crate) framing: Framing,
    pub(crate) limits: Limits,
}

/// Runs `$body` with `$i` a protocol reading `$input` (a byte slice) and
/// `$o` one writing into a [`Sink`] (a fresh one, or `$sink`), in the
/// wire's protocol: static dispatch, one branch per protocol. Evaluates to
/// `(body, sink)`.
macro_rules! with_io {
    ($wire:expr, $input:expr, |$i:ident, $o:ident| $body:expr) => {{
        let wire: Wire = $wire;
        with_io!(wire, $input, Sink::new(wire), |$i, $o| $body)
    }};
    ($wire:expr, $input:expr, $sink:expr, |$i:ident, $o:ident| $body:expr) => {{
        let wire: Wire = $wire;
        let sink: Sink = $sink;
        match wire.protocol {
            ProtocolKind::Binary => {
                let mut $i = BinaryProtocol::new($input, wire.limits);
                let mut $o = BinaryProtocol::new(sink, wire.limits);
                let r = $body;
                (r, $o.into_inner())
            }
            ProtocolKind::Compact => {
                let mut $i = CompactProtocol::new($input, wire.limits);
                let mut $o = CompactProtocol::new(sink, wire.limits);
                let r = $body;
                (r, $o.into_inner())
            }
        }
    }};
}

/// Where replies (and the async client's requests) are encoded: whole
/// messages, framed if the connection is. [`flush`](WriteBytes::flush) ends
/// a message; one over the frame limit is dropped then (a `SIZE_LIMIT`
/// error, nothing of it kept), as the socket writer drops it unsent.
#[derive(Debug)]
pub(crate) struct Sink {
    /// Whole messages.
    done: Vec<u8>,
    /// The message being written; framed, behind room for its header.
    current: Vec<u8>,
    framed: bool,
    max_frame: usize,
}

impl Sink {
    pub(crate) fn new(wire: Wire) -> Sink {
        Sink::with_buffer(wire, Vec::new())
    }

    /// A sink that writes into `buf` (its content is dropped, its capacity
    /// used): a buffer done with, so that encoding a message allocates
    /// nothing when it fits.
    pub(crate) fn with_buffer(wire: Wire, mut buf: Vec<u8>) -> Sink {
        buf.clear();
        Sink {
            done: Vec::new(),
            current: buf,
            framed: wire.framing == Framing::Framed,
            max_frame: wire.limits.max_frame_size(),
        }
    }

    /// Drops the message being written.
    pub(crate) fn discard(&mut self) {
        self.current.clear();
    }

    /// The whole messages written.
    pub(crate) fn into_bytes(self) -> Vec<u8> {
        self.done
    }
}

impl WriteBytes for Sink {
    #[inline]
    fn write_all(&mut self, buf: &[u8]) -> Result<()> {
        if self.current.is_empty() && self.framed {
            self.current.extend_from_slice(&[0; FRAME_HEADER_LEN]);
        }
        crate::copy::extend(&mut self.current, buf);
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        if self.current.is_empty() {
            return Ok(());
        }
        if self.framed {
            let len = self.current.len() - FRAME_HEADER_LEN;
            match frame_header(len, self.max_frame) {
                Ok(header) => self.current[..FRAME_HEADER_LEN].copy_from_slice(&header),
                Err(e) => {
                    self.current.clear();
                    return Err(e);
                }
            }
        }
        if self.done.is_empty() {
            self.done = std::mem::take(&mut self.current);
        } else {
            self.done.append(&mut self.current);
        }
        Ok(())
    }
}

/// One whole CALL or ONEWAY message the server received: its header, and its
/// arguments still encoded.
pub struct Call {
    header: MessageHeader,
    /// The whole message (framed: with its frame header).
    bytes: Vec<u8>,
    /// Where the arguments struct starts in `bytes`.
    args_at: usize,
    wire: Wire,
    /// The end of the message is known (a frame, or an unframed message the
    /// completeness check found whole): the connection stays in step
    /// whatever its arguments hold.
    in_step: bool,
}

impl fmt::Debug for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Call")
            .field("header", &self.header)
            .field("len", &self.bytes.len())
            .field("protocol", &self.wire.protocol)
            .field("framing", &self.wire.framing)
            .finish_non_exhaustive()
    }
}

impl Call {
    /// A call from one whole unframed `message` in `protocol` (e.g. to test
    /// a processor without a server); its reply is unframed too.
    ///
    /// Errors: the message header does not decode, or the message is not a
    /// CALL or ONEWAY (`INVALID_MESSAGE_TYPE`).
    pub fn new(message: Vec<u8>, protocol: ProtocolKind, limits: Limits) -> Result<Call> {
        let wire = Wire {
            protocol,
            framing: Framing::Buffered,
            limits,
        };
        let call = Call::parse(message, 0, wire, true, String::new())?;
        match call.header.kind {
            MessageType::Call | MessageType::Oneway => Ok(call),
            other => Err(Error::application(
                ApplicationErrorKind::InvalidMessageType,
                format!("a {other:?} message is not a call"),
            )),
        }
    }

    /// Reads the header of the message that starts at `at` in `bytes`,
    /// its name into `name` (a buffer done with: its capacity is reused).
    pub(crate) fn parse(
        bytes: Vec<u8>,
        at: usize,
        wire: Wire,
        in_step: bool,
        name: String,
    ) -> Result<Call> {
        let input = bytes.get(at..).unwrap_or_default();
        let mut header = MessageHeader {
            name,
            kind: MessageType::Call,
            seqid: 0,
        };
        let (parsed, _) = with_io!(wire, input, |i, o| {
            let _ = &mut o;
            i.read_message_begin_into(&mut header)
                .map(|()| i.into_inner().len())
        });
        let rest = parsed?;
        let args_at = bytes.len() - rest;
        Ok(Call::parsed(bytes, header, args_at, wire, in_step))
    }

    /// The call whose message, `bytes`, has `header` and its arguments at
    /// `args_at` (the header already read).
    fn parsed(
        bytes: Vec<u8>,
        header: MessageHeader,
        args_at: usize,
        wire: Wire,
        in_step: bool,
    ) -> Call {
        Call {
            args_at,
            header,
            bytes,
            wire,
            in_step,
        }
    }

    /// The same call, for `method` (the name without its `Service:`).
    pub(crate) fn renamed(mut self, method: &str) -> Call {
        self.header.name = method.to_owned();
        self
    }

    /// The message header (the method name without any `Service:` prefix).
    pub fn header(&self) -> &MessageHeader {
        &self.header
    }

    /// Decodes the arguments struct. On failure, the reply to send instead
    /// (`PROTOCOL_ERROR` for a CALL, nothing for a ONEWAY message).
    #[allow(clippy::result_large_err)]
    pub fn args<A: Decode>(&self) -> Result<A, Reply> {
        let (read, sink) = with_io!(self.wire, self.args_input(), |i, o| {
            match processor::read_args::<_, A>(&mut i) {
                Ok(args) => Ok(args),
                Err(e) if self.header.kind == MessageType::Oneway => {
                    log::debug!(
                        "arguments of oneway '{}' failed to decode: {e}",
                        self.header.name
                    );
                    Err(Err(e))
                }
                Err(e) => Err(processor::reject_args(&self.header, &mut o, e)),
            }
        });
        read.map_err(|outcome| self.finish(outcome, sink))
    }

    /// The reply to a CALL: the result struct, or the application error
    /// (an EXCEPTION message); for a ONEWAY message nothing (a failure is
    /// logged).
    pub fn reply<R: Encode>(mut self, result: Result<R, ApplicationError>) -> Reply {
        // The message's bytes are done with (the arguments were decoded
        // into values of their own): the reply is written into them.
        let sink = Sink::with_buffer(self.wire, std::mem::take(&mut self.bytes));
        let mut reply = self.reply_into(sink, result);
        // The name's buffer goes back to the server for the next call.
        reply.name = std::mem::take(&mut self.header.name);
        reply
    }

    /// Decodes the arguments struct as a view that borrows this call's
    /// bytes (`<Service><Method>ArgsRef<'_>`, generated with the options
    /// `views` and `async_services`): no `string` or `binary` of it is
    /// copied or allocated. The checks, and the reply on failure, are
    /// [`args`](Self::args)'.
    #[allow(clippy::result_large_err)]
    pub fn view_args<'c, A: DecodeView<'c>>(&'c self) -> Result<A, Reply> {
        self.read_view().map_err(|e| {
            if self.header.kind == MessageType::Oneway {
                log::debug!(
                    "arguments of oneway '{}' failed to decode: {e}",
                    self.header.name
                );
                return self.finish(Err(e), Sink::new(self.wire));
            }
            let (outcome, sink) = with_io!(self.wire, &[0u8; 0][..], |i, o| {
                let _ = &mut i;
                processor::reject_args(&self.header, &mut o, e)
            });
            self.finish(outcome, sink)
        })
    }

    /// [`view_args`](Self::view_args) for a method declared `oneway`:
    /// nothing is ever sent back, as [`oneway_args`](Self::oneway_args).
    #[allow(clippy::result_large_err)]
    pub fn oneway_view_args<'c, A: DecodeView<'c>>(&'c self) -> Result<A, Reply> {
        self.read_view().map_err(|e| {
            log::debug!(
                "arguments of oneway '{}' failed to decode: {e}",
                self.header.name
            );
            self.finish(Err(e), Sink::new(self.wire))
        })
    }

    /// [`reply`](Self::reply) for a result that may borrow this call (from
    /// the views [`view_args`](Self::view_args) lends): the reply is written
    /// into a buffer of its own.
    pub fn view_reply<R: Encode>(&self, result: Result<R, ApplicationError>) -> Reply {
        // About the request's size (an echo's or a proxy's reply fits it),
        // and at least what the server reads a message into once the
        // buffer is given back to it (`Inbox::recycle`), so that reading
        // into it needs no reallocation.
        let capacity = self
            .bytes
            .len()
            .clamp(super::inbox::INITIAL, VIEW_REPLY_CAPACITY);
        let sink = Sink::with_buffer(self.wire, Vec::with_capacity(capacity));
        self.reply_into(sink, result)
    }

    /// [`oneway`](Self::oneway) for a handler's outcome that may borrow this
    /// call (from the views [`oneway_view_args`](Self::oneway_view_args)
    /// lends).
    pub async fn view_oneway<F>(&self, outcome: F) -> Reply
    where
        F: Future<Output = Result<(), ApplicationError>> + Send,
    {
        match CatchUnwind::new(Box::pin(outcome)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => log::warn!("oneway '{}' failed: {e}", self.header.name),
            Err(panic) => {
                processor::handler_panicked(&self.header.name, panic.as_ref());
            }
        }
        self.finish(Ok(()), Sink::new(self.wire))
    }

    /// Reads the arguments view from the message's bytes. Reading past
    /// their end is malformed data, as for [`args_input`](Self::args_input).
    fn read_view<'c, A: DecodeView<'c>>(&'c self) -> Result<A> {
        let input = self.bytes.get(self.args_at..).unwrap_or_default();
        let read = match self.wire.protocol {
            ProtocolKind::Binary => binary::decode_view_prefix(input, self.wire.limits),
            ProtocolKind::Compact => compact::decode_view_prefix(input, self.wire.limits),
        };
        read.map(|(args, _)| args).map_err(past_end)
    }

    /// Writes the reply for `result` into `sink`.
    fn reply_into<R: Encode>(&self, sink: Sink, result: Result<R, ApplicationError>) -> Reply {
        let (outcome, sink) = with_io!(self.wire, &[0u8; 0][..], sink, |i, o| {
            let _ = &mut i;
            processor::reply(&self.header, &mut o, result)
        });
        self.finish(outcome, sink)
    }

    /// Decodes the arguments struct of a method declared `oneway`. Nothing
    /// is ever sent back for one, even when it arrives as a CALL message:
    /// on failure (logged) the reply is empty, as
    /// [`serve_oneway`](crate::processor::serve_oneway) does.
    #[allow(clippy::result_large_err)]
    pub fn oneway_args<A: Decode>(&self) -> Result<A, Reply> {
        let (read, _) = with_io!(self.wire, self.args_input(), |i, o| {
            let _ = &mut o;
            processor::read_args::<_, A>(&mut i)
        });
        read.map_err(|e| {
            log::debug!(
                "arguments of oneway '{}' failed to decode: {e}",
                self.header.name
            );
            self.finish(Err(e), Sink::new(self.wire))
        })
    }

    /// Runs a method declared `oneway` (its handler's `outcome`) and ends
    /// the call: nothing is sent back, whatever the message type; a failure
    /// or a panic of `outcome` is logged.
    pub async fn oneway<F>(self, outcome: F) -> Reply
    where
        F: Future<Output = Result<(), ApplicationError>> + Send,
    {
        self.view_oneway(outcome).await
    }

    /// The reply to a method the processor does not have: `UNKNOWN_METHOD`
    /// "Invalid method name: 'x'" (nothing for a ONEWAY message).
    pub fn unknown_method(self) -> Reply {
        let (outcome, sink) = with_io!(self.wire, self.args_input(), |i, o| {
            processor::unknown_method(&self.header, &mut i, &mut o)
        });
        self.finish(outcome, sink)
    }

    /// The reply when processing the call panicked: `INTERNAL_ERROR`
    /// "Internal error processing m" with the same name and seqid (the
    /// panic is logged); nothing for a ONEWAY message.
    pub(crate) fn panicked(
        header: &MessageHeader,
        wire: Wire,
        in_step: bool,
        panic: &(dyn std::any::Any + Send),
    ) -> Reply {
        let e = processor::handler_panicked(&header.name, panic);
        if header.kind == MessageType::Call {
            return Call::exception(header, wire, in_step, &e);
        }
        Reply {
            bytes: Vec::new(),
            close: !in_step,
            name: String::new(),
        }
    }

    /// What the server needs, beside the name, to answer a panic of this
    /// call's processing.
    pub(crate) fn parts(&self) -> (MessageType, i32, Wire, bool) {
        (self.header.kind, self.header.seqid, self.wire, self.in_step)
    }

    /// The encoded arguments (and what follows them in the message).
    /// Reading past their end is malformed data, answered `PROTOCOL_ERROR`,
    /// not the end of the stream: the connection stays if the message's end
    /// is known (`in_step`), and closes after the reply otherwise.
    fn args_input(&self) -> Whole<'_> {
        Whole::new(self.bytes.get(self.args_at..).unwrap_or_default())
    }

    /// The reply for the outcome of a processor helper, as the blocking
    /// server treats it: an application error means nothing was sent and
    /// is answered instead; a protocol error (bad arguments, answered
    /// already) keeps the connection if the message's end is known; a
    /// transport error (the message ended early, a reply that cannot be
    /// written) closes it.
    fn finish(&self, outcome: Result<()>, mut sink: Sink) -> Reply {
        let close = match outcome {
            Ok(()) | Err(Error::Protocol(_)) => false,
            Err(Error::Application(e)) => {
                sink.discard();
                if self.header.kind == MessageType::Call {
                    return Call::exception(&self.header, self.wire, self.in_step, &e);
                }
                false
            }
            Err(e) => {
                log::debug!("'{}': closing the connection: {e}", self.header.name);
                true
            }
        };
        Reply {
            bytes: sink.into_bytes(),
            close: close || !self.in_step,
            name: String::new(),
        }
    }

    /// The reply that is an EXCEPTION carrying `e`.
    fn exception(header: &MessageHeader, wire: Wire, in_step: bool, e: &ApplicationError) -> Reply {
        let (sent, sink) = with_io!(wire, &[0u8; 0][..], |i, o| {
            let _ = &mut i;
            processor::write_exception(&mut o, &header.name, header.seqid, e)
        });
        Reply {
            close: sent.is_err() || !in_step,
            bytes: sink.into_bytes(),
            name: String::new(),
        }
    }
}

/// What the server sends back for one [`Call`]: a whole encoded message, or
/// nothing (ONEWAY), and whether the connection closes after it.
#[derive(Debug)]
pub struct Reply {
    bytes: Vec<u8>,
    close: bool,
    /// The buffer of the answered call's name, given back for the next
    /// call's (empty: none).
    name: String,
}

impl Reply {
    /// The bytes to send (framed if the connection is); empty for none.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// True when nothing is sent (ONEWAY).
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// True when the connection closes after this reply: the end of the
    /// message it answers is unknown, or the reply could not be written.
    pub fn closes_connection(&self) -> bool {
        self.close
    }

    /// The bytes to send, and the buffer of the answered call's name
    /// (empty: none), for the next call's.
    pub(crate) fn into_parts(self) -> (Vec<u8>, String) {
        (self.bytes, self.name)
    }
}

/// Serves the calls of one service (or several: [`AsyncMultiplexed`]).
/// Generated `FooAsyncProcessor`s implement it; panics in the future are
/// caught by the server and answered with `INTERNAL_ERROR`.
pub trait AsyncProcessor: Send + Sync + 'static {
    /// Serves one call.
    fn process(&self, call: Call) -> BoxFuture<'_, Reply>;
}

impl<P: AsyncProcessor + ?Sized> AsyncProcessor for Arc<P> {
    fn process(&self, call: Call) -> BoxFuture<'_, Reply> {
        (**self).process(call)
    }
}

/// Routes Apache's multiplexed names (`Service:method`) to one async
/// processor per service: the blocking server's
/// [`Multiplexed`](crate::processor::Multiplexed) over async processors.
/// The prefix is stripped before delegating (replies carry the bare method
/// name), names without a `:` go to the default processor if one is set,
/// and any other name is answered `UNKNOWN_METHOD`.
pub type AsyncMultiplexed = crate::processor::Multiplexed<dyn AsyncProcessor>;

impl AsyncProcessor for AsyncMultiplexed {
    fn process(&self, call: Call) -> BoxFuture<'_, Reply> {
        let target = self
            .route(&call.header.name)
            .map(|(p, method)| (p, method.map(str::to_owned)));
        match target {
            // A panic is answered under the bare name, as the blocking
            // multiplexer's processor answers it.
            Some((p, Some(method))) => Box::pin(guarded(&**p, call.renamed(&method))),
            Some((p, None)) => p.process(call),
            None => Box::pin(std::future::ready(call.unknown_method())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::TransportErrorKind;
    use crate::protocol::{ProtocolWrite, TType};

    /// `struct { 1: i32 }` as arguments and result.
    #[derive(Debug)]
    struct Num(i32);

    impl crate::codec::WireType for Num {
        const TTYPE: TType = TType::Struct;
    }

    impl Encode for Num {
        fn encode<P: ProtocolWrite + ?Sized>(&self, p: &mut P) -> Result<()> {
            p.write_struct_begin("Num")?;
            p.write_field_begin("n", TType::I32, 1)?;
            p.write_i32(self.0)?;
            p.write_field_end()?;
            p.write_field_stop()?;
            p.write_struct_end()
        }
    }

    impl Decode for Num {
        fn decode<P: ProtocolRead + ?Sized>(p: &mut P) -> Result<Self> {
            let mut n = None;
            p.read_struct_begin()?;
            while let Some(f) = p.read_field_begin()? {
                match f.ttype {
                    TType::I32 => n = Some(p.read_i32()?),
                    t => p.skip(t)?,
                }
                p.read_field_end()?;
            }
            p.read_struct_end()?;
            n.map(Num).ok_or_else(|| {
                Error::protocol(crate::ProtocolErrorKind::InvalidData, "field 1 missing")
            })
        }
    }

    fn message(kind: MessageType, body: &dyn Fn(&mut BinaryProtocol<&mut Vec<u8>>)) -> Vec<u8> {
        let mut out = Vec::new();
        let mut p = BinaryProtocol::new(&mut out, Limits::default());
        p.write_message_begin_parts("double", kind, 7).unwrap();
        body(&mut p);
        p.write_message_end().unwrap();
        out
    }

    fn read(reply: &Reply) -> (MessageHeader, Vec<u8>) {
        let mut p = BinaryProtocol::new(reply.as_bytes(), Limits::default());
        let h = p.read_message_begin().unwrap();
        (h, p.into_inner().to_vec())
    }

    #[test]
    fn a_call_decodes_its_arguments_and_encodes_its_reply() {
        let bytes = message(MessageType::Call, &|p| Num(21).encode(p).unwrap());
        let call = Call::new(bytes, ProtocolKind::Binary, Limits::default()).unwrap();
        assert_eq!(
            (call.header().name.as_str(), call.header().seqid),
            ("double", 7)
        );
        let Num(n) = call.args().unwrap();
        let reply = call.reply(Ok(Num(n * 2)));
        assert!(!reply.closes_connection());
        let (h, body) = read(&reply);
        assert_eq!((h.kind, h.seqid), (MessageType::Reply, 7));
        let out = Num::decode(&mut BinaryProtocol::new(&body[..], Limits::default())).unwrap();
        assert_eq!(out.0, 42);
    }

    /// The reply is written where the request was: no allocation when it
    /// fits.
    #[test]
    fn a_reply_reuses_the_buffer_of_its_call() {
        let mut bytes = message(MessageType::Call, &|p| Num(21).encode(p).unwrap());
        bytes.reserve(256);
        let at = bytes.as_ptr();
        let call = Call::new(bytes, ProtocolKind::Binary, Limits::default()).unwrap();
        let Num(n) = call.args().unwrap();
        let reply = call.reply(Ok(Num(n * 2)));
        assert_eq!(reply.as_bytes().as_ptr(), at);
        let (h, body) = read(&reply);
        assert_eq!((h.kind, h.seqid), (MessageType::Reply, 7));
        let out = Num::decode(&mut BinaryProtocol::new(&body[..], Limits::default())).unwrap();
        assert_eq!(out.0, 42);
    }

    #[test]
    fn bad_arguments_are_answered_protocol_error_and_oneway_never() {
        // An empty struct: field 1 is missing.
        let empty = message(MessageType::Call, &|p| {
            p.write_struct_begin("a").unwrap();
            p.write_field_stop().unwrap();
            p.write_struct_end().unwrap();
        });
        let call = Call::new(empty, ProtocolKind::Binary, Limits::default()).unwrap();
        let reply = call.args::<Num>().unwrap_err();
        let (h, body) = read(&reply);
        assert_eq!(h.kind, MessageType::Exception);
        let e = ApplicationError::decode(&mut BinaryProtocol::new(&body[..], Limits::default()));
        assert_eq!(e.unwrap().kind, ApplicationErrorKind::ProtocolError);
        assert!(!reply.closes_connection(), "the message's end is known");

        let oneway = message(MessageType::Oneway, &|p| Num(1).encode(p).unwrap());
        let call = Call::new(oneway.clone(), ProtocolKind::Binary, Limits::default()).unwrap();
        assert!(call.unknown_method().is_empty());
        let call = Call::new(oneway, ProtocolKind::Binary, Limits::default()).unwrap();
        assert!(
            call.reply::<Num>(Err(ApplicationError::new(
                ApplicationErrorKind::Unknown,
                "x"
            )))
            .is_empty()
        );
    }

    #[test]
    fn only_calls_and_oneway_messages_are_calls() {
        let bytes = message(MessageType::Reply, &|p| Num(1).encode(p).unwrap());
        match Call::new(bytes, ProtocolKind::Binary, Limits::default()) {
            Err(Error::Application(e)) => {
                assert_eq!(e.kind, ApplicationErrorKind::InvalidMessageType);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_framed_sink_drops_a_message_over_the_frame_limit() {
        let wire = Wire {
            protocol: ProtocolKind::Binary,
            framing: Framing::Framed,
            limits: Limits::default().with_max_frame_size(4),
        };
        let mut sink = Sink::new(wire);
        sink.write_all(b"12345").unwrap();
        match sink.flush() {
            Err(Error::Transport(t)) => assert_eq!(t.kind, TransportErrorKind::SizeLimit),
            other => panic!("{other:?}"),
        }
        sink.write_all(b"1234").unwrap();
        sink.flush().unwrap();
        sink.write_all(b"ab").unwrap();
        sink.flush().unwrap();
        assert_eq!(sink.into_bytes(), b"\0\0\0\x041234\0\0\0\x02ab");
    }
}
