//! Serving methods whose handler takes its arguments as views that borrow
//! the request: [`serve_view_call`] and [`serve_view_oneway`], and the
//! types such a handler returns, [`CowView`] and [`ViewResult`].
//!
//! With the generator's `views` option, a service gets a second handler
//! trait, `<Service>ViewHandler`, whose selected methods take views
//! (`PayloadRef<'a>`, `&'a str`, `&'a [u8]`) instead of owned values, and
//! may return a view borrowing them (`CowView::Borrowed`). Its processor,
//! `<Service>ViewProcessor`, reads those arguments in place:
//!
//! - When the whole arguments struct is already in the reader's buffer (an
//!   unframed request of up to 128 KiB nearly always is), the view borrows
//!   the buffer and no `string` or `binary` is copied.
//! - A framed request that is not is read whole into the buffer first
//!   ([`ProtocolRead::buffer_message`]: the rest of the frame, as it
//!   arrives; the server charges frames over 64 KiB to its in-flight
//!   budget before their body is read), then borrowed the same way.
//! - An unframed one (its end is unknown until it is parsed) is read
//!   through the protocol and written again, value by value, into a buffer
//!   of its own of about its size, which the view borrows.
//!
//! The checks are the same on every path; the handler cannot tell the
//! difference.
//!
//! The error cases are [`serve_call`](crate::processor::serve_call)'s: a
//! `PROTOCOL_ERROR` reply for arguments that fail to decode, an
//! `INTERNAL_ERROR` for a panic, nothing ever for a oneway call.

use crate::codec::{Encode, WireType};
use crate::error::{ApplicationError, Error, ProtocolErrorKind, Result};
use crate::limits::Limits;
use crate::processor::{ProtocolKind, reject_args, reply, run_handler};
use crate::protocol::binary::BinaryProtocol;
use crate::protocol::compact::CompactProtocol;
use crate::protocol::{Lent, MessageHeader, ProtocolRead, ProtocolWrite, TType};
use crate::view::{DecodeView, FromView};

/// One two-way method of a view handler, implemented by generated code on
/// the method's arguments view (`<Service><Method>ArgsRef<'_>`) for
/// [`serve_view_call`].
pub trait ViewCall<H: ?Sized> {
    /// The arguments struct's view.
    type Args<'a>: DecodeView<'a>;
    /// The result struct of the reply; it may borrow the arguments.
    type Reply<'a>: Encode;

    /// Calls the handler: the result struct to reply with (the return value
    /// or a declared exception), or an application error.
    fn call<'a>(handler: &H, args: Self::Args<'a>) -> Result<Self::Reply<'a>, ApplicationError>;
}

/// One oneway method of a view handler, for [`serve_view_oneway`].
pub trait ViewOneway<H: ?Sized> {
    /// The arguments struct's view.
    type Args<'a>: DecodeView<'a>;

    /// Calls the handler.
    fn call<'a>(handler: &H, args: Self::Args<'a>) -> Result<(), ApplicationError>;
}

/// What a view handler's method returns where the return type has a view:
/// an owned value, or a view that borrows the arguments (an echo returns
/// what it was given without copying it). Both encode the same way.
#[derive(Clone, Debug, PartialEq)]
pub enum CowView<T, V> {
    /// An owned value.
    Owned(T),
    /// A view, typically of (part of) the arguments.
    Borrowed(V),
}

impl<T, V> CowView<T, V> {
    /// The owned value: the value itself, or one built from the view.
    pub fn into_owned(self) -> T
    where
        T: FromView<V>,
    {
        match self {
            CowView::Owned(t) => t,
            CowView::Borrowed(v) => T::from_view(&v),
        }
    }
}

impl<T: WireType, V> WireType for CowView<T, V> {
    const TTYPE: TType = T::TTYPE;
}

impl<T: Encode, V: Encode> Encode for CowView<T, V> {
    #[inline]
    fn encode<P: ProtocolWrite + ?Sized>(&self, p: &mut P) -> Result<()> {
        match self {
            CowView::Owned(t) => t.encode(p),
            CowView::Borrowed(v) => v.encode(p),
        }
    }
}

/// The result struct of a reply from a view handler whose return type has
/// a view: the return value (field 0, `success`), or the method's owned
/// result struct (a declared exception set in it).
#[derive(Clone, Debug, PartialEq)]
pub enum ViewResult<V, R> {
    /// The handler returned `V`.
    Success(V),
    /// The result struct as the owned handler would reply with it.
    Other(R),
}

impl<V: Encode + WireType, R: Encode> WireType for ViewResult<V, R> {
    const TTYPE: TType = TType::Struct;
}

impl<V: Encode + WireType, R: Encode> Encode for ViewResult<V, R> {
    fn encode<P: ProtocolWrite + ?Sized>(&self, p: &mut P) -> Result<()> {
        match self {
            ViewResult::Success(v) => {
                p.write_struct_begin("result")?;
                p.write_field_begin("success", V::TTYPE, 0)?;
                v.encode(p)?;
                p.write_field_end()?;
                p.write_field_stop()?;
                p.write_struct_end()
            }
            ViewResult::Other(r) => r.encode(p),
        }
    }
}

/// Serves a two-way method of a view handler: reads the arguments view
/// `C::Args` (in place when they are all buffered), calls the handler
/// (panics caught) and replies with its result struct or application
/// error, as [`serve_call`](crate::processor::serve_call) does.
pub fn serve_view_call<C, H, I, O>(
    handler: &H,
    header: &MessageHeader,
    input: &mut I,
    output: &mut O,
) -> Result<()>
where
    C: ViewCall<H>,
    H: ?Sized,
    I: ProtocolRead + ?Sized,
    O: ProtocolWrite + ?Sized,
{
    if let Some((replied, used)) = call_in_place::<C, H, I, O>(handler, header, input, output) {
        input.consume_lent(used);
        input.read_message_end()?;
        return replied;
    }
    // Not all buffered: a framed request is, once the rest of its frame has
    // been read.
    match input.buffer_message() {
        Ok(true) => {
            if let Some((replied, used)) =
                call_in_place::<C, H, I, O>(handler, header, input, output)
            {
                input.consume_lent(used);
                input.read_message_end()?;
                return replied;
            }
        }
        Ok(false) => {}
        Err(e) => return reject_args(header, output, e),
    }
    let (copy, kind, limits) = match copy_args(input) {
        Ok(copied) => copied,
        Err(e) => return reject_args(header, output, e),
    };
    let lent = Lent {
        bytes: &copy,
        protocol: kind,
        limits,
    };
    let args = match lent.read::<C::Args<'_>>() {
        Ok((args, _)) => args,
        Err(e) => return reject_args(header, output, e),
    };
    reply(
        header,
        output,
        run_handler(header, || C::call(handler, args)),
    )
}

/// Serves a oneway method of a view handler: reads the arguments view and
/// calls the handler. Nothing is ever written; failures and panics are
/// logged, as [`serve_oneway`](crate::processor::serve_oneway) does.
pub fn serve_view_oneway<C, H, I, O>(
    handler: &H,
    header: &MessageHeader,
    input: &mut I,
    _output: &mut O,
) -> Result<()>
where
    C: ViewOneway<H>,
    H: ?Sized,
    I: ProtocolRead + ?Sized,
    O: ProtocolWrite + ?Sized,
{
    if let Some(used) = oneway_in_place::<C, H, I>(handler, header, input) {
        input.consume_lent(used);
        return input.read_message_end();
    }
    let buffered = input.buffer_message();
    if let Ok(true) = buffered {
        if let Some(used) = oneway_in_place::<C, H, I>(handler, header, input) {
            input.consume_lent(used);
            return input.read_message_end();
        }
    }
    let args = buffered
        .and_then(|_| copy_args(input))
        .and_then(|(copy, kind, limits)| {
            let lent = Lent {
                bytes: &copy,
                protocol: kind,
                limits,
            };
            let (args, _) = lent.read::<C::Args<'_>>()?;
            log_oneway(header, run_handler(header, || C::call(handler, args)));
            Ok(())
        });
    if let Err(e) = &args {
        log::debug!(
            "arguments of oneway '{}' failed to decode: {e}",
            header.name
        );
    }
    args
}

/// Reads the arguments in place from what `input` lends, calls the handler
/// and replies: the outcome and the bytes to consume, or `None` (nothing
/// done) when the arguments are not all there or do not decode.
fn call_in_place<C, H, I, O>(
    handler: &H,
    header: &MessageHeader,
    input: &I,
    output: &mut O,
) -> Option<(Result<()>, usize)>
where
    C: ViewCall<H>,
    H: ?Sized,
    I: ProtocolRead + ?Sized,
    O: ProtocolWrite + ?Sized,
{
    let (args, used) = input.lend()?.read::<C::Args<'_>>().ok()?;
    let result = run_handler(header, || C::call(handler, args));
    Some((reply(header, output, result), used))
}

/// [`call_in_place`] for a oneway method: the bytes to consume.
fn oneway_in_place<C, H, I>(handler: &H, header: &MessageHeader, input: &I) -> Option<usize>
where
    C: ViewOneway<H>,
    H: ?Sized,
    I: ProtocolRead + ?Sized,
{
    let (args, used) = input.lend()?.read::<C::Args<'_>>().ok()?;
    log_oneway(header, run_handler(header, || C::call(handler, args)));
    Some(used)
}

fn log_oneway(header: &MessageHeader, result: Result<(), ApplicationError>) {
    if let Err(e) = result {
        log::warn!("oneway '{}' failed: {e}", header.name);
    }
}

/// Reads the arguments struct through `input` (which checks and bounds it
/// as for any read) and writes it again, in the same protocol, into a
/// buffer of its own for a view to borrow: about the request's size, value
/// by value, nothing kept per value. Also returns the protocol and the
/// limits to read the copy with (the input's; it has already bounded the
/// size).
fn copy_args<I: ProtocolRead + ?Sized>(input: &mut I) -> Result<(Vec<u8>, ProtocolKind, Limits)> {
    let (kind, limits) = input
        .lend()
        .map_or((ProtocolKind::Binary, Limits::default()), |l| {
            (l.protocol, l.limits)
        });
    let mut copy = Vec::new();
    // Writing counts no depth: reading has bounded it.
    let unbounded = Limits::default()
        .with_max_depth(u32::MAX)
        .with_max_message_size(usize::MAX);
    match kind {
        ProtocolKind::Binary => copy_value(
            input,
            &mut BinaryProtocol::new(&mut copy, unbounded),
            TType::Struct,
        )?,
        ProtocolKind::Compact => copy_value(
            input,
            &mut CompactProtocol::new(&mut copy, unbounded),
            TType::Struct,
        )?,
    }
    input.read_message_end()?;
    Ok((copy, kind, limits.with_max_message_size(usize::MAX)))
}

/// Copies one value of type `t` from `i` to `o`, as `skip` reads it (the
/// same checks, the same depth count).
fn copy_value<I, O>(i: &mut I, o: &mut O, t: TType) -> Result<()>
where
    I: ProtocolRead + ?Sized,
    O: ProtocolWrite + ?Sized,
{
    match t {
        TType::Bool => o.write_bool(i.read_bool()?),
        TType::I8 => o.write_i8(i.read_i8()?),
        TType::I16 => o.write_i16(i.read_i16()?),
        TType::I32 => o.write_i32(i.read_i32()?),
        TType::I64 => o.write_i64(i.read_i64()?),
        TType::Double => o.write_double(i.read_double()?),
        TType::Uuid => o.write_uuid(&i.read_uuid()?),
        // As bytes: the view checks UTF-8 where the schema says `string`.
        TType::String => o.write_binary(&i.read_binary()?),
        TType::Struct => {
            i.read_struct_begin()?;
            o.write_struct_begin("")?;
            while let Some(f) = i.read_field_begin()? {
                o.write_field_begin("", f.ttype, f.id)?;
                copy_value(i, o, f.ttype)?;
                i.read_field_end()?;
                o.write_field_end()?;
            }
            i.read_struct_end()?;
            o.write_field_stop()?;
            o.write_struct_end()
        }
        TType::List | TType::Set => {
            let list = t == TType::List;
            let h = if list {
                i.read_list_begin()?
            } else {
                i.read_set_begin()?
            };
            if list {
                o.write_list_begin(h.elem, h.len)?;
            } else {
                o.write_set_begin(h.elem, h.len)?;
            }
            for _ in 0..h.len {
                copy_value(i, o, h.elem)?;
            }
            if list {
                i.read_list_end()?;
                o.write_list_end()
            } else {
                i.read_set_end()?;
                o.write_set_end()
            }
        }
        TType::Map => {
            let h = i.read_map_begin()?;
            o.write_map_begin(h.key, h.value, h.len)?;
            for _ in 0..h.len {
                copy_value(i, o, h.key)?;
                copy_value(i, o, h.value)?;
            }
            i.read_map_end()?;
            o.write_map_end()
        }
        TType::Stop | TType::Void => Err(Error::protocol(
            ProtocolErrorKind::InvalidData,
            "cannot read a STOP or VOID value",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::binary;
    use crate::error::{ApplicationErrorKind, Error};
    use crate::processor::{WireProtocol, write_exception, write_reply};
    use crate::protocol::MessageType;
    use crate::protocol::compact::CompactProtocol;
    use crate::protocol::{ProtocolWrite, binary::BinaryProtocol};
    use crate::transport::{Framing, StreamReader};
    use crate::view::ViewRead;
    use crate::{Decode, ProtocolKind};
    use std::cell::Cell;
    use std::io::Read;

    /// The arguments `struct { 1: string text }`, as a view.
    #[derive(Debug)]
    struct TextRef<'a>(&'a str);

    impl WireType for TextRef<'_> {
        const TTYPE: TType = TType::Struct;
    }

    impl<'a> DecodeView<'a> for TextRef<'a> {
        fn decode_view<P: ViewRead<'a> + ?Sized>(p: &mut P) -> Result<Self> {
            let mut text = None;
            p.read_struct_begin()?;
            while let Some(f) = p.read_field_begin()? {
                match (f.id, f.ttype) {
                    (1, TType::String) => text = Some(p.read_str_view()?),
                    (_, t) => p.skip(t)?,
                }
                p.read_field_end()?;
            }
            p.read_struct_end()?;
            text.map(TextRef).ok_or_else(|| {
                Error::protocol(crate::ProtocolErrorKind::InvalidData, "field 1 missing")
            })
        }
    }

    /// The owned result struct with the declared exception `{1: string}`.
    struct Failed(String);

    impl WireType for Failed {
        const TTYPE: TType = TType::Struct;
    }

    impl Encode for Failed {
        fn encode<P: ProtocolWrite + ?Sized>(&self, p: &mut P) -> Result<()> {
            p.write_struct_begin("r")?;
            p.write_field_begin("oops", TType::Struct, 1)?;
            p.write_struct_begin("Oops")?;
            p.write_field_begin("why", TType::String, 1)?;
            p.write_string(&self.0)?;
            p.write_field_end()?;
            p.write_field_stop()?;
            p.write_struct_end()?;
            p.write_field_end()?;
            p.write_field_stop()?;
            p.write_struct_end()
        }
    }

    /// The handler: records where the text it was given lives.
    #[derive(Default)]
    struct Handler {
        seen: Cell<Option<(usize, usize)>>,
    }

    impl Handler {
        fn see(&self, text: &str) {
            self.seen.set(Some((text.as_ptr() as usize, text.len())));
        }
    }

    /// `echo(text)`: returns the text it was given, borrowed; `fail` the
    /// declared exception; `boom` panics; `deny` an application error.
    impl<'x> ViewCall<Handler> for TextRef<'x> {
        type Args<'a> = TextRef<'a>;
        type Reply<'a> = ViewResult<CowView<String, &'a str>, Failed>;

        fn call<'a>(
            h: &Handler,
            args: Self::Args<'a>,
        ) -> Result<Self::Reply<'a>, ApplicationError> {
            h.see(args.0);
            match args.0 {
                "fail" => Ok(ViewResult::Other(Failed("because".into()))),
                "boom" => panic!("handler bug (expected by the test)"),
                "deny" => Err(ApplicationError::new(ApplicationErrorKind::Unknown, "no")),
                "owned" => Ok(ViewResult::Success(CowView::Owned("mine".into()))),
                text => Ok(ViewResult::Success(CowView::Borrowed(text))),
            }
        }
    }

    impl<'x> ViewOneway<Handler> for TextRef<'x> {
        type Args<'a> = TextRef<'a>;

        fn call<'a>(h: &Handler, args: Self::Args<'a>) -> Result<(), ApplicationError> {
            h.see(args.0);
            if args.0 == "boom" {
                panic!("oneway handler bug (expected by the test)");
            }
            Ok(())
        }
    }

    fn writer(kind: ProtocolKind, out: &mut Vec<u8>) -> Box<dyn ProtocolWrite + '_> {
        match kind {
            ProtocolKind::Binary => Box::new(BinaryProtocol::new(out, Limits::default())),
            ProtocolKind::Compact => Box::new(CompactProtocol::new(out, Limits::default())),
        }
    }

    /// A message `name(1: text)`, as a `kind` request, followed by `after`.
    fn request(kind: ProtocolKind, mtype: MessageType, text: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut p = writer(kind, &mut out);
        p.write_message_begin(&MessageHeader {
            name: "echo".into(),
            kind: mtype,
            seqid: 7,
        })
        .unwrap();
        p.write_struct_begin("args").unwrap();
        p.write_field_begin("text", TType::String, 1).unwrap();
        p.write_binary(text).unwrap();
        p.write_field_end().unwrap();
        p.write_field_stop().unwrap();
        p.write_struct_end().unwrap();
        p.write_message_end().unwrap();
        drop(p);
        out
    }

    /// A stream handing out at most `chunk` bytes per read.
    struct Chunks<'a> {
        data: &'a [u8],
        chunk: usize,
    }

    impl Read for Chunks<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = buf.len().min(self.chunk).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    /// What serving one request left: the result, the reply's bytes, where
    /// the handler's text lived, and the header of the message after it.
    struct Served {
        result: Result<()>,
        reply: Vec<u8>,
        seen: Option<(usize, usize)>,
        /// The handler's text was a slice of the reader's buffer as it was
        /// when the arguments began.
        in_place: bool,
        /// ... or of the buffer it had after the call (grown to a frame).
        in_place_anywhere: bool,
        /// The size of the reader's buffer after the message.
        buffer_after: usize,
        next: Option<MessageHeader>,
    }

    /// Serves the first message of `stream` (two messages back to back)
    /// through a `StreamReader` that gets `chunk` bytes per read.
    fn serve(kind: ProtocolKind, stream: &[u8], chunk: usize, oneway: bool) -> Served {
        serve_framing(kind, Framing::Buffered, stream, chunk, oneway)
    }

    /// `messages` as frames.
    fn framed(messages: &[Vec<u8>]) -> Vec<u8> {
        let mut out = Vec::new();
        for m in messages {
            out.extend((m.len() as i32).to_be_bytes());
            out.extend(m);
        }
        out
    }

    fn serve_framing(
        kind: ProtocolKind,
        framing: Framing,
        stream: &[u8],
        chunk: usize,
        oneway: bool,
    ) -> Served {
        let reader = StreamReader::new(
            Chunks {
                data: stream,
                chunk,
            },
            framing,
            Limits::default(),
        );
        match kind {
            ProtocolKind::Binary => {
                serve_on(BinaryProtocol::new(reader, Limits::default()), kind, oneway)
            }
            ProtocolKind::Compact => serve_on(
                CompactProtocol::new(reader, Limits::default()),
                kind,
                oneway,
            ),
        }
    }

    trait Reader: ProtocolRead {
        fn begin(&mut self) -> bool;
        fn end(&mut self);
        /// Where the reader's buffered bytes are.
        fn window(&self) -> std::ops::Range<usize>;
        /// Where the reader's whole buffer is.
        fn buffer(&self) -> std::ops::Range<usize>;
    }

    macro_rules! reader {
        ($p:ident) => {
            impl<R: Read> Reader for $p<StreamReader<R>> {
                fn begin(&mut self) -> bool {
                    self.transport_mut().begin_message().unwrap()
                }

                fn end(&mut self) {
                    self.transport_mut().end_message().unwrap()
                }

                fn window(&self) -> std::ops::Range<usize> {
                    let r = self.transport().unread().as_ptr_range();
                    r.start as usize..r.end as usize
                }

                fn buffer(&self) -> std::ops::Range<usize> {
                    self.transport().buffer_range()
                }
            }
        };
    }
    reader!(BinaryProtocol);
    reader!(CompactProtocol);

    fn serve_on<P: Reader>(mut input: P, kind: ProtocolKind, oneway: bool) -> Served {
        let handler = Handler::default();
        assert!(input.begin());
        let header = input.read_message_begin().unwrap();
        let window = input.window();
        let mut reply = Vec::new();
        let result = if oneway {
            serve_view_oneway::<TextRef<'_>, _, _, _>(
                &handler,
                &header,
                &mut input,
                &mut *writer(kind, &mut reply),
            )
        } else {
            serve_view_call::<TextRef<'_>, _, _, _>(
                &handler,
                &header,
                &mut input,
                &mut *writer(kind, &mut reply),
            )
        };
        let seen = handler.seen.get();
        let after = input.buffer();
        let in_place_anywhere = seen.is_some_and(|(at, len)| after.contains(&at) || len == 0);
        if result.is_ok() {
            input.end();
        }
        let buffer_after = input.buffer().len();
        let next = (result.is_ok() && input.begin()).then(|| input.read_message_begin().unwrap());
        Served {
            result,
            reply,
            seen,
            in_place: seen.is_some_and(|(at, len)| window.contains(&at) || len == 0),
            in_place_anywhere,
            buffer_after,
            next,
        }
    }

    /// The reply `serve_call` would write for the same outcome.
    fn expected(kind: ProtocolKind, text: &str) -> Vec<u8> {
        let mut out = Vec::new();
        let mut p = writer(kind, &mut out);
        let header = MessageHeader {
            name: "echo".into(),
            kind: MessageType::Reply,
            seqid: 7,
        };
        match text {
            "fail" => write_reply(&header, &mut *p, &Failed("because".into())).unwrap(),
            "boom" | "deny" => {
                let e = if text == "boom" {
                    ApplicationError::new(
                        ApplicationErrorKind::InternalError,
                        "Internal error processing echo",
                    )
                } else {
                    ApplicationError::new(ApplicationErrorKind::Unknown, "no")
                };
                write_exception(&mut *p, "echo", 7, &e).unwrap();
            }
            text => {
                let value = if text == "owned" { "mine" } else { text };
                let r: ViewResult<&str, Failed> = ViewResult::Success(value);
                write_reply(&header, &mut *p, &r).unwrap();
            }
        }
        drop(p);
        out
    }

    const KINDS: [ProtocolKind; 2] = [ProtocolKind::Binary, ProtocolKind::Compact];

    #[test]
    fn arguments_all_buffered_are_read_in_place_and_the_reply_is_serve_calls() {
        for kind in KINDS {
            for text in [
                "hello",
                "",
                "fail",
                "boom",
                "deny",
                "owned",
                &"x".repeat(3000),
            ] {
                let mut stream = request(kind, MessageType::Call, text.as_bytes());
                let first = stream.len();
                stream.extend(request(kind, MessageType::Call, b"next"));
                let s = serve(kind, &stream, usize::MAX, false);
                s.result.unwrap();
                assert_eq!(s.reply, expected(kind, text), "{kind:?} {text:?}");
                // The text the handler got is a slice of the reader's buffer.
                let (_, len) = s.seen.expect("the handler ran");
                assert_eq!(len, text.len());
                assert!(s.in_place, "{kind:?} {text:?}");
                assert_eq!(s.next.expect("the next message").name, "echo", "{first}");
            }
        }
    }

    #[test]
    fn arguments_that_arrive_in_pieces_are_read_through_the_protocol() {
        for kind in KINDS {
            for chunk in [1, 3, 7, 64] {
                for text in ["hello", "fail", "boom", "owned", &"y".repeat(500)] {
                    let mut stream = request(kind, MessageType::Call, text.as_bytes());
                    stream.extend(request(kind, MessageType::Call, b"next"));
                    let s = serve(kind, &stream, chunk, false);
                    s.result.unwrap();
                    assert_eq!(s.reply, expected(kind, text), "{kind:?} {chunk} {text:?}");
                    assert_eq!(s.seen.map(|s| s.1), Some(text.len()));
                    if chunk < 8 {
                        assert!(!s.in_place, "{kind:?} {chunk} {text:?}");
                    }
                    assert_eq!(s.next.expect("the next message").seqid, 7);
                }
            }
        }
    }

    #[test]
    fn framed_arguments_are_read_in_place_however_they_arrive() {
        // Past the first buffer (4 KiB) and past the largest (128 KiB): the
        // rest of the frame is read into the buffer, which grows to hold it.
        for kind in KINDS {
            for chunk in [1000, 7, usize::MAX] {
                for n in [10, 5_000, 300_000] {
                    let text = "z".repeat(n);
                    let stream = framed(&[
                        request(kind, MessageType::Call, text.as_bytes()),
                        request(kind, MessageType::Call, b"next"),
                    ]);
                    let s = serve_framing(kind, Framing::Framed, &stream, chunk, false);
                    s.result.unwrap();
                    assert_eq!(s.reply, expected(kind, &text), "{kind:?} {chunk} {n}");
                    assert_eq!(s.seen.map(|s| s.1), Some(n));
                    assert!(s.in_place_anywhere, "{kind:?} {chunk} {n}: copied");
                    assert_eq!(s.next.expect("the next message").seqid, 7);
                    assert!(s.buffer_after <= crate::transport::buffered::READ_BUFFER_SIZE);
                }
            }
        }
    }

    #[test]
    fn the_handler_borrows_the_readers_buffer_when_in_place() {
        // A slice input lends itself: the handler's text points into it.
        for kind in KINDS {
            let stream = request(kind, MessageType::Call, b"in place");
            let mut input: Box<dyn ProtocolRead> = match kind {
                ProtocolKind::Binary => {
                    Box::new(BinaryProtocol::new(&stream[..], Limits::default()))
                }
                ProtocolKind::Compact => {
                    Box::new(CompactProtocol::new(&stream[..], Limits::default()))
                }
            };
            let header = input.read_message_begin().unwrap();
            let handler = Handler::default();
            let mut reply = Vec::new();
            serve_view_call::<TextRef<'_>, _, _, _>(
                &handler,
                &header,
                &mut *input,
                &mut *writer(kind, &mut reply),
            )
            .unwrap();
            let (at, len) = handler.seen.get().unwrap();
            let range = stream.as_ptr_range();
            assert!(
                (range.start as usize..range.end as usize).contains(&at),
                "{kind:?}"
            );
            assert_eq!(&stream[at - range.start as usize..][..len], b"in place");
            assert_eq!(reply, expected(kind, "in place"));
        }
    }

    #[test]
    fn bad_arguments_get_protocol_error_on_both_paths() {
        for kind in KINDS {
            for chunk in [usize::MAX, 2] {
                // Not UTF-8.
                let stream = request(kind, MessageType::Call, &[0xff, 0xfe]);
                let s = serve(kind, &stream, chunk, false);
                assert!(
                    matches!(s.result, Err(Error::Protocol(_))),
                    "{kind:?} {chunk}"
                );
                assert!(s.seen.is_none());
                let mut r: Box<dyn ProtocolRead> = match kind {
                    ProtocolKind::Binary => {
                        Box::new(BinaryProtocol::new(&s.reply[..], Limits::default()))
                    }
                    ProtocolKind::Compact => {
                        Box::new(CompactProtocol::new(&s.reply[..], Limits::default()))
                    }
                };
                let h = r.read_message_begin().unwrap();
                assert_eq!((h.kind, h.seqid), (MessageType::Exception, 7));
                let e = ApplicationError::decode(&mut *r).unwrap();
                assert_eq!(
                    e.kind,
                    ApplicationErrorKind::ProtocolError,
                    "{kind:?} {chunk}"
                );
            }
        }
    }

    #[test]
    fn truncated_arguments_are_an_error_not_a_wait_past_the_end() {
        for kind in KINDS {
            let mut stream = request(kind, MessageType::Call, b"cut short");
            stream.truncate(stream.len() - 4);
            let s = serve(kind, &stream, usize::MAX, false);
            assert!(s.result.is_err(), "{kind:?}");
            assert!(s.seen.is_none());
        }
    }

    #[test]
    fn oneway_calls_never_reply_on_either_path() {
        for kind in KINDS {
            for chunk in [usize::MAX, 3] {
                for text in ["fire", "boom"] {
                    let mut stream = request(kind, MessageType::Oneway, text.as_bytes());
                    stream.extend(request(kind, MessageType::Call, b"next"));
                    let s = serve(kind, &stream, chunk, true);
                    s.result.unwrap();
                    assert!(s.reply.is_empty(), "{kind:?} {chunk} {text}");
                    assert_eq!(s.seen.map(|s| s.1), Some(text.len()));
                    assert!(s.next.is_some());
                }
                // A two-way method called with a ONEWAY message: no reply.
                let stream = request(kind, MessageType::Oneway, b"hello");
                let s = serve(kind, &stream, chunk, false);
                s.result.unwrap();
                assert!(s.reply.is_empty());
            }
        }
    }

    #[test]
    fn cow_view_encodes_either_side_the_same_and_converts_to_owned() {
        let owned: CowView<String, &str> = CowView::Owned("same".into());
        let borrowed: CowView<String, &str> = CowView::Borrowed("same");
        assert_eq!(
            binary::encode(&owned).unwrap(),
            binary::encode(&borrowed).unwrap()
        );
        assert_eq!(borrowed.into_owned(), "same");
    }

    type Extra = fn(&mut dyn ProtocolWrite);

    /// `echo(1: "hi", <extra fields>)`.
    fn request_with(kind: ProtocolKind, extra: Extra) -> Vec<u8> {
        let mut out = Vec::new();
        // Writing unchecked: the tests want inputs past the read limits.
        let lim = Limits::default().with_max_depth(u32::MAX);
        let mut p: Box<dyn ProtocolWrite + '_> = match kind {
            ProtocolKind::Binary => Box::new(BinaryProtocol::new(&mut out, lim)),
            ProtocolKind::Compact => Box::new(CompactProtocol::new(&mut out, lim)),
        };
        p.write_message_begin(&MessageHeader {
            name: "echo".into(),
            kind: MessageType::Call,
            seqid: 7,
        })
        .unwrap();
        p.write_struct_begin("args").unwrap();
        p.write_field_begin("text", TType::String, 1).unwrap();
        p.write_binary(b"hi").unwrap();
        p.write_field_end().unwrap();
        extra(&mut *p);
        p.write_field_stop().unwrap();
        p.write_struct_end().unwrap();
        p.write_message_end().unwrap();
        drop(p);
        out
    }

    fn nested_structs(p: &mut dyn ProtocolWrite, n: usize) {
        for _ in 0..n {
            p.write_field_begin("s", TType::Struct, 9).unwrap();
            p.write_struct_begin("S").unwrap();
        }
        for _ in 0..n {
            p.write_field_stop().unwrap();
            p.write_struct_end().unwrap();
            p.write_field_end().unwrap();
        }
    }

    fn nested_lists(p: &mut dyn ProtocolWrite, n: usize) {
        p.write_field_begin("l", TType::List, 9).unwrap();
        for i in 0..n {
            p.write_list_begin(if i + 1 == n { TType::I32 } else { TType::List }, 1)
                .unwrap();
        }
        p.write_i32(5).unwrap();
        for _ in 0..n {
            p.write_list_end().unwrap();
        }
        p.write_field_end().unwrap();
    }

    /// Unknown fields of every shape: the copy path (unframed, 1 byte per
    /// read) accepts and rejects exactly what the in-place path does, with
    /// the same reply.
    #[test]
    fn the_copy_path_accepts_what_reading_in_place_accepts() {
        let cases: Vec<(&str, Extra)> = vec![
            ("bool fields", |p| {
                for (id, b) in [(2, true), (3, false), (4, true)] {
                    p.write_field_begin("b", TType::Bool, id).unwrap();
                    p.write_bool(b).unwrap();
                    p.write_field_end().unwrap();
                }
            }),
            ("bool list and set", |p| {
                p.write_field_begin("l", TType::List, 2).unwrap();
                p.write_list_begin(TType::Bool, 3).unwrap();
                for b in [true, false, true] {
                    p.write_bool(b).unwrap();
                }
                p.write_list_end().unwrap();
                p.write_field_end().unwrap();
                p.write_field_begin("s", TType::Set, 3).unwrap();
                p.write_set_begin(TType::Bool, 2).unwrap();
                p.write_bool(false).unwrap();
                p.write_bool(true).unwrap();
                p.write_set_end().unwrap();
                p.write_field_end().unwrap();
            }),
            ("maps, empty and of bools", |p| {
                p.write_field_begin("m", TType::Map, 2).unwrap();
                p.write_map_begin(TType::I32, TType::Bool, 0).unwrap();
                p.write_map_end().unwrap();
                p.write_field_end().unwrap();
                p.write_field_begin("m", TType::Map, 3).unwrap();
                p.write_map_begin(TType::Bool, TType::List, 1).unwrap();
                p.write_bool(true).unwrap();
                p.write_list_begin(TType::Bool, 1).unwrap();
                p.write_bool(false).unwrap();
                p.write_list_end().unwrap();
                p.write_map_end().unwrap();
                p.write_field_end().unwrap();
            }),
            ("empty containers of STOP", |p| {
                p.write_field_begin("l", TType::List, 2).unwrap();
                p.write_list_begin(TType::Stop, 0).unwrap();
                p.write_list_end().unwrap();
                p.write_field_end().unwrap();
                p.write_field_begin("m", TType::Map, 3).unwrap();
                p.write_map_begin(TType::Stop, TType::Stop, 0).unwrap();
                p.write_map_end().unwrap();
                p.write_field_end().unwrap();
            }),
            ("uuid and negative ids", |p| {
                p.write_field_begin("u", TType::Uuid, -3).unwrap();
                p.write_uuid(&[7; 16]).unwrap();
                p.write_field_end().unwrap();
                p.write_field_begin("d", TType::Double, 200).unwrap();
                p.write_double(1.5).unwrap();
                p.write_field_end().unwrap();
            }),
            ("list of STOP, not empty", |p| {
                p.write_field_begin("l", TType::List, 2).unwrap();
                p.write_list_begin(TType::Stop, 2).unwrap();
                p.write_list_end().unwrap();
                p.write_field_end().unwrap();
            }),
            ("structs 62 deep", |p| nested_structs(p, 62)),
            ("structs 63 deep", |p| nested_structs(p, 63)),
            ("structs 64 deep", |p| nested_structs(p, 64)),
            ("structs 200 deep", |p| nested_structs(p, 200)),
            ("lists 62 deep", |p| nested_lists(p, 62)),
            ("lists 63 deep", |p| nested_lists(p, 63)),
            ("lists 64 deep", |p| nested_lists(p, 64)),
            ("lists 5000 deep", |p| nested_lists(p, 5000)),
        ];
        for kind in KINDS {
            for (name, extra) in &cases {
                let stream = request_with(kind, *extra);
                let whole = serve(kind, &stream, usize::MAX, false);
                let piece = serve(kind, &stream, 1, false);
                let framed_s = serve_framing(
                    kind,
                    Framing::Framed,
                    &framed(std::slice::from_ref(&stream)),
                    3,
                    false,
                );
                let ok = |s: &Served| s.result.as_ref().map(drop).map_err(|e| e.to_string());
                assert_eq!(
                    ok(&whole).is_ok(),
                    ok(&piece).is_ok(),
                    "{kind:?} {name}: {:?} vs {:?}",
                    ok(&whole),
                    ok(&piece)
                );
                assert_eq!(
                    ok(&whole).is_ok(),
                    ok(&framed_s).is_ok(),
                    "{kind:?} {name} framed"
                );
                assert_eq!(whole.reply, piece.reply, "{kind:?} {name}");
                assert_eq!(whole.reply, framed_s.reply, "{kind:?} {name} framed");
            }
        }
    }

    /// Non-canonical bool bytes: both paths agree.
    #[test]
    fn the_copy_path_and_reading_in_place_agree_on_odd_bool_bytes() {
        let list: Extra = |p| {
            p.write_field_begin("l", TType::List, 2).unwrap();
            p.write_list_begin(TType::Bool, 1).unwrap();
            p.write_bool(true).unwrap();
            p.write_list_end().unwrap();
            p.write_field_end().unwrap();
        };
        for kind in KINDS {
            let base = request_with(kind, list);
            // The element is the byte before the args STOP.
            let at = base.len() - 2;
            for b in [0u8, 1, 2, 3, 0x11, 0xff] {
                let mut stream = base.clone();
                stream[at] = b;
                let whole = serve(kind, &stream, usize::MAX, false);
                let piece = serve(kind, &stream, 1, false);
                let ok = |s: &Served| s.result.as_ref().map(drop).map_err(|e| e.to_string());
                assert_eq!(ok(&whole), ok(&piece), "{kind:?} byte {b}");
                assert_eq!(whole.reply, piece.reply, "{kind:?} byte {b}");
            }
        }
    }

    /// Serves the one message of `stream` and nothing after it: whether it
    /// succeeded, and the reply.
    fn serve_once(
        kind: ProtocolKind,
        framing: Framing,
        stream: &[u8],
        chunk: usize,
    ) -> (bool, Vec<u8>) {
        let mut reader = StreamReader::new(
            Chunks {
                data: stream,
                chunk,
            },
            framing,
            Limits::default(),
        );
        assert!(reader.begin_message().unwrap());
        let handler = Handler::default();
        let mut reply = Vec::new();
        let mut input: Box<dyn ProtocolRead + '_> = match kind {
            ProtocolKind::Binary => Box::new(BinaryProtocol::new(reader, Limits::default())),
            ProtocolKind::Compact => Box::new(CompactProtocol::new(reader, Limits::default())),
        };
        let header = input.read_message_begin().unwrap();
        let result = serve_view_call::<TextRef<'_>, _, _, _>(
            &handler,
            &header,
            &mut *input,
            &mut *writer(kind, &mut reply),
        );
        (result.is_ok(), reply)
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        /// Arguments with bytes changed at random: no panic, and the same
        /// outcome and reply whether they are read in place or not.
        #[test]
        fn damaged_arguments_get_the_same_answer_on_every_path(
            compact in proptest::prelude::any::<bool>(),
            edits in proptest::collection::vec((proptest::prelude::any::<u16>(), proptest::prelude::any::<u8>()), 1..6),
            chunk in 1usize..8,
        ) {
            let kind = if compact { ProtocolKind::Compact } else { ProtocolKind::Binary };
            let extra: Extra = |p| {
                p.write_field_begin("m", TType::Map, 2).unwrap();
                p.write_map_begin(TType::String, TType::List, 2).unwrap();
                for k in ["a", "bc"] {
                    p.write_string(k).unwrap();
                    p.write_list_begin(TType::I32, 3).unwrap();
                    for v in [1, -300, 70_000] {
                        p.write_i32(v).unwrap();
                    }
                    p.write_list_end().unwrap();
                }
                p.write_map_end().unwrap();
                p.write_field_end().unwrap();
                p.write_field_begin("b", TType::Bool, 3).unwrap();
                p.write_bool(true).unwrap();
                p.write_field_end().unwrap();
            };
            let mut stream = request_with(kind, extra);
            // The header (`echo`, seqid 7) stays intact: edit the arguments.
            let header_len = if compact { 8 } else { 16 };
            let body = stream.len() - header_len;
            for (at, b) in edits {
                stream[header_len + usize::from(at) % body] = b;
            }
            // Unframed: read in place, or copied as it arrives.
            let whole = serve_once(kind, Framing::Buffered, &stream, usize::MAX);
            let piece = serve_once(kind, Framing::Buffered, &stream, chunk);
            proptest::prop_assert_eq!(&whole, &piece);
            // Framed (where a length past the frame is bad data, not a wait
            // for more): in place at once, or once the frame is read whole.
            let frame = framed(std::slice::from_ref(&stream));
            let whole = serve_once(kind, Framing::Framed, &frame, usize::MAX);
            let piece = serve_once(kind, Framing::Framed, &frame, chunk);
            proptest::prop_assert_eq!(&whole, &piece);
        }
    }
}
