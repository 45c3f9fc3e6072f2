//! The server side of a call: the [`Processor`] trait that generated service
//! code implements, the helpers it calls for each method, and
//! [`Multiplexed`], which routes Apache's `Service:method` names.
//!
//! A generated processor matches the method name and hands the rest to
//! [`serve_call`], [`serve_oneway`] or [`unknown_method`], so the rules for
//! errors live here, in one place:
//!
//! | condition | reply |
//! | --- | --- |
//! | arguments fail to decode | `PROTOCOL_ERROR` exception, then `Err` (the server closes an unframed connection, skips to the next frame of a framed one) |
//! | unknown method | arguments skipped, `UNKNOWN_METHOD` "Invalid method name: 'x'", connection kept |
//! | handler returns `Ok(result)` | `REPLY` with the result struct (declared exceptions are fields of it) |
//! | handler returns `Err(ApplicationError)` | `EXCEPTION` with it; [`internal_error`] builds one for undeclared errors |
//! | handler panics | `INTERNAL_ERROR` exception, same seqid; the panic is logged, the connection kept |
//! | the result cannot be encoded | `Err(Error::Application(INTERNAL_ERROR))`: the caller drops the unsent bytes and answers that instead |
//! | a `ONEWAY` message | never any reply, whatever happens |
//!
//! Replies are sent with [`ProtocolWrite::flush`]; the server's writer sends
//! a whole message with one `write`.
//!
//! ```
//! use thriftc_runtime::processor::{serve_call, unknown_method, Processor};
//! use thriftc_runtime::protocol::{MessageHeader, ProtocolRead, ProtocolWrite};
//! use thriftc_runtime::Result;
//! # type PingArgs = (); // stand-ins for generated argument and result structs
//!
//! struct PingProcessor;
//!
//! impl<I: ProtocolRead + ?Sized, O: ProtocolWrite + ?Sized> Processor<I, O> for PingProcessor {
//!     fn process(&self, header: &MessageHeader, input: &mut I, output: &mut O) -> Result<()> {
//!         match header.name.as_str() {
//!             // "ping" => serve_call(header, input, output, |_: PingArgs| Ok(PingResult::Success)),
//!             _ => unknown_method(header, input, output),
//!         }
//!     }
//! }
//! ```

use std::any::Any;
use std::collections::HashMap;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use crate::codec::{Decode, Encode};
use crate::error::{ApplicationError, ApplicationErrorKind, Error, Result, TransportErrorKind};
use crate::limits::Limits;
use crate::protocol::binary::BinaryProtocol;
use crate::protocol::compact::CompactProtocol;
use crate::protocol::{MessageHeader, MessageType, ProtocolRead, ProtocolWrite, TType};

/// Handles the CALL and ONEWAY messages of one service.
///
/// The caller has read the message header (`header`); `process` reads the
/// rest of the message from `input` and, for a CALL, writes and flushes
/// exactly one reply (REPLY or EXCEPTION) to `output`. Generated processors
/// implement it for every protocol pair:
///
/// ```text
/// impl<I: ProtocolRead + ?Sized, O: ProtocolWrite + ?Sized, H: Handler> Processor<I, O> for FooProcessor<H>
/// ```
///
/// The trait is object safe, so [`Multiplexed`] can hold processors of
/// different services behind `dyn`; the dispatch is one virtual call per
/// message, never per value.
///
/// Errors: `Err(Error::Application(e))` means no reply was sent and the
/// caller should drop unsent output and answer `e`; `Err(Error::Protocol(_))`
/// means the input is out of step (any reply has been sent); transport errors
/// mean the connection is unusable.
///
/// # Wrapping a processor
///
/// Code that must run around each call, with the handler inside it (a
/// tracing span entered for the call, a timer, a check by method name),
/// goes in a processor that wraps another; the server takes it as it takes
/// a generated one. (The server's observer reports calls, but from
/// callbacks: it cannot enclose the handler.)
///
/// ```
/// use std::time::Instant;
/// use thriftc_runtime::processor::Processor;
/// use thriftc_runtime::protocol::{MessageHeader, ProtocolRead, ProtocolWrite};
/// use thriftc_runtime::server::Server;
/// use thriftc_runtime::Result;
///
/// struct Timed<P>(P);
///
/// impl<I, O, P> Processor<I, O> for Timed<P>
/// where
///     I: ProtocolRead + ?Sized,
///     O: ProtocolWrite + ?Sized,
///     P: Processor<I, O>,
/// {
///     fn process(&self, header: &MessageHeader, input: &mut I, output: &mut O) -> Result<()> {
///         // let _span = tracing::info_span!("call", method = %header.name).entered();
///         let start = Instant::now();
///         let result = self.0.process(header, input, output);
///         log::debug!("{} took {:?}", header.name, start.elapsed());
///         result
///     }
/// }
/// # struct Nothing;
/// # impl<I: ProtocolRead + ?Sized, O: ProtocolWrite + ?Sized> Processor<I, O> for Nothing {
/// #     fn process(&self, h: &MessageHeader, i: &mut I, o: &mut O) -> Result<()> {
/// #         thriftc_runtime::processor::unknown_method(h, i, o)
/// #     }
/// # }
/// # let calculator_processor = Nothing;
/// // `CalculatorProcessor::new(handler)` in a real server.
/// let builder = Server::builder(Timed(calculator_processor));
/// # drop(builder);
/// ```
pub trait Processor<I: ProtocolRead + ?Sized, O: ProtocolWrite + ?Sized>: Send + Sync {
    /// Handles the message whose header was just read: reads the arguments,
    /// calls the handler and, for a CALL, writes the reply.
    fn process(&self, header: &MessageHeader, input: &mut I, output: &mut O) -> Result<()>;
}

impl<I, O, P> Processor<I, O> for Arc<P>
where
    I: ProtocolRead + ?Sized,
    O: ProtocolWrite + ?Sized,
    P: Processor<I, O> + ?Sized,
{
    #[inline]
    fn process(&self, header: &MessageHeader, input: &mut I, output: &mut O) -> Result<()> {
        (**self).process(header, input, output)
    }
}

impl<I, O, P> Processor<I, O> for Box<P>
where
    I: ProtocolRead + ?Sized,
    O: ProtocolWrite + ?Sized,
    P: Processor<I, O> + ?Sized,
{
    #[inline]
    fn process(&self, header: &MessageHeader, input: &mut I, output: &mut O) -> Result<()> {
        (**self).process(header, input, output)
    }
}

impl<I, O, P> Processor<I, O> for &P
where
    I: ProtocolRead + ?Sized,
    O: ProtocolWrite + ?Sized,
    P: Processor<I, O> + ?Sized,
{
    #[inline]
    fn process(&self, header: &MessageHeader, input: &mut I, output: &mut O) -> Result<()> {
        (**self).process(header, input, output)
    }
}

/// Serves a two-way method: reads the arguments struct `A`, runs `handler`
/// (panics caught), and replies with the result struct `R` or the
/// [`ApplicationError`] it returned. See the [module docs](self) for every
/// error case.
pub fn serve_call<I, O, A, R, F>(
    header: &MessageHeader,
    input: &mut I,
    output: &mut O,
    handler: F,
) -> Result<()>
where
    I: ProtocolRead + ?Sized,
    O: ProtocolWrite + ?Sized,
    A: Decode,
    R: Encode,
    F: FnOnce(A) -> Result<R, ApplicationError>,
{
    let args = match read_args::<I, A>(input) {
        Ok(args) => args,
        Err(e) => return reject_args(header, output, e),
    };
    reply(header, output, run_handler(header, || handler(args)))
}

/// Runs a handler, a panic turned into `INTERNAL_ERROR`.
pub(crate) fn run_handler<R>(
    header: &MessageHeader,
    f: impl FnOnce() -> Result<R, ApplicationError>,
) -> Result<R, ApplicationError> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(panic) => Err(handler_panicked(&header.name, panic.as_ref())),
    }
}

/// Answers a call with the handler's `result`: the result struct or the
/// application error; nothing for a ONEWAY message (a failure is logged).
pub(crate) fn reply<O: ProtocolWrite + ?Sized, R: Encode>(
    header: &MessageHeader,
    output: &mut O,
    result: Result<R, ApplicationError>,
) -> Result<()> {
    if header.kind == MessageType::Oneway {
        if let Err(e) = result {
            log::warn!("oneway-sent call to '{}' failed: {e}", header.name);
        }
        return Ok(());
    }
    match result {
        Ok(value) => write_reply(header, output, &value),
        Err(e) => write_exception(output, &header.name, header.seqid, &e),
    }
}

/// Serves a oneway method: reads the arguments struct `A` and runs `handler`.
/// Nothing is ever written, even when the handler fails or panics (both are
/// logged).
pub fn serve_oneway<I, O, A, F>(
    header: &MessageHeader,
    input: &mut I,
    _output: &mut O,
    handler: F,
) -> Result<()>
where
    I: ProtocolRead + ?Sized,
    O: ProtocolWrite + ?Sized,
    A: Decode,
    F: FnOnce(A) -> Result<(), ApplicationError>,
{
    let args = match read_args::<I, A>(input) {
        Ok(args) => args,
        Err(e) => {
            log::debug!(
                "arguments of oneway '{}' failed to decode: {e}",
                header.name
            );
            return Err(e);
        }
    };
    match catch_unwind(AssertUnwindSafe(|| handler(args))) {
        Ok(Ok(())) => {}
        Ok(Err(e)) => log::warn!("oneway '{}' failed: {e}", header.name),
        Err(panic) => {
            handler_panicked(&header.name, panic.as_ref());
        }
    }
    Ok(())
}

/// Answers a method this processor does not have: skips the arguments and
/// replies `UNKNOWN_METHOD` "Invalid method name: 'x'" with the same name and
/// seqid. The connection stays usable.
pub fn unknown_method<I, O>(header: &MessageHeader, input: &mut I, output: &mut O) -> Result<()>
where
    I: ProtocolRead + ?Sized,
    O: ProtocolWrite + ?Sized,
{
    if let Err(e) = input
        .skip(TType::Struct)
        .and_then(|()| input.read_message_end())
    {
        return reject_args(header, output, e);
    }
    log::debug!("unknown method '{}'", header.name);
    if header.kind == MessageType::Oneway {
        return Ok(());
    }
    let e = ApplicationError::new(
        ApplicationErrorKind::UnknownMethod,
        format!("Invalid method name: '{}'", header.name),
    );
    write_exception(output, &header.name, header.seqid, &e)
}

/// Writes and flushes an EXCEPTION message carrying `error`.
pub fn write_exception<O: ProtocolWrite + ?Sized>(
    output: &mut O,
    name: &str,
    seqid: i32,
    error: &ApplicationError,
) -> Result<()> {
    output.write_message_begin_parts(name, MessageType::Exception, seqid)?;
    error.encode(output)?;
    output.write_message_end()?;
    match output.flush() {
        // Over the frame limit, nothing was sent: the same kind of error
        // without its message still fits any sensible limit.
        Err(Error::Transport(t))
            if t.kind == TransportErrorKind::SizeLimit && !error.message.is_empty() =>
        {
            log::warn!(
                "the error reply to '{name}' is over the frame limit; sent without its message: {}",
                error.message
            );
            write_exception(output, name, seqid, &ApplicationError::new(error.kind, ""))
        }
        sent => sent,
    }
}

/// The reply for a handler error that the method does not declare:
/// `INTERNAL_ERROR` "Internal error processing m". The detail is logged, not
/// sent to the client.
pub fn internal_error(method: &str, detail: &dyn fmt::Display) -> ApplicationError {
    log::error!("handler for '{method}' failed: {detail}");
    ApplicationError::new(
        ApplicationErrorKind::InternalError,
        format!("Internal error processing {method}"),
    )
}

pub(crate) fn read_args<I: ProtocolRead + ?Sized, A: Decode>(input: &mut I) -> Result<A> {
    let args = A::decode(input)?;
    input.read_message_end()?;
    Ok(args)
}

/// Arguments that failed to decode: a `PROTOCOL_ERROR` reply for a CALL
/// (unless the stream itself failed), then the error.
pub(crate) fn reject_args<O: ProtocolWrite + ?Sized>(
    header: &MessageHeader,
    output: &mut O,
    e: Error,
) -> Result<()> {
    if matches!(e, Error::Transport(_)) {
        return Err(e);
    }
    log::debug!("arguments of '{}' failed to decode: {e}", header.name);
    if header.kind == MessageType::Call {
        let reply = ApplicationError::new(
            ApplicationErrorKind::ProtocolError,
            format!("Bad arguments for '{}': {e}", header.name),
        );
        write_exception(output, &header.name, header.seqid, &reply)?;
    }
    Err(e)
}

pub(crate) fn write_reply<O: ProtocolWrite + ?Sized, R: Encode>(
    header: &MessageHeader,
    output: &mut O,
    value: &R,
) -> Result<()> {
    let encoded = output
        .write_message_begin_parts(&header.name, MessageType::Reply, header.seqid)
        .and_then(|()| value.encode(output))
        .and_then(|()| output.write_message_end());
    match encoded {
        // A reply over the frame limit is discarded before any byte of it
        // is sent: the call is answered with an exception instead, and the
        // connection stays in step.
        Ok(()) => match output.flush() {
            Err(Error::Transport(t)) if t.kind == TransportErrorKind::SizeLimit => {
                Err(Error::Application(internal_error(
                    &header.name,
                    &format_args!("the result cannot be sent: {t}"),
                )))
            }
            sent => sent,
        },
        Err(Error::Transport(t)) => Err(Error::Transport(t)),
        Err(e) => Err(Error::Application(internal_error(
            &header.name,
            &format_args!("the result cannot be encoded: {e}"),
        ))),
    }
}

pub(crate) fn handler_panicked(method: &str, panic: &(dyn Any + Send)) -> ApplicationError {
    internal_error(method, &format_args!("panic: {}", panic_message(panic)))
}

/// The message of a caught panic (the payload `catch_unwind` returns): the
/// `&str` or `String` given to `panic!`, else `(non-string panic payload)`.
pub fn panic_message(panic: &(dyn Any + Send)) -> &str {
    if let Some(s) = panic.downcast_ref::<&str>() {
        s
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s
    } else {
        "(non-string panic payload)"
    }
}

// ------------------------------------------------------------ multiplexing

/// Routes Apache's multiplexed names (`Service:method`) to one processor
/// per service, stripping the prefix before delegating (replies carry the
/// bare method name, as Apache's `TMultiplexedProcessor` sends them).
///
/// `P` is the processor type behind the `Arc`s: for the server, the default
/// `dyn` [`ServerProcessor`](crate::server::ServerProcessor); for the async
/// server, `dyn AsyncProcessor` (`tokio::AsyncMultiplexed`, feature
/// `tokio`). Names without a `:` go to the default processor if one is
/// set.
///
/// Name the type where it is made (`let mut mux: Multiplexed = ...`):
/// without it, the first [`register`](Self::register) fixes `P` to that
/// processor's type, and a processor of another service does not fit.
///
/// ```
/// use std::sync::Arc;
/// use thriftc_runtime::processor::{Multiplexed, Processor, unknown_method};
/// use thriftc_runtime::protocol::{MessageHeader, ProtocolRead, ProtocolWrite};
/// use thriftc_runtime::{Result, Server};
///
/// // Stand-ins for two generated processors (`GreeterProcessor::new(..)`).
/// struct Greeter;
/// struct Admin;
/// impl<I: ProtocolRead + ?Sized, O: ProtocolWrite + ?Sized> Processor<I, O> for Greeter {
///     fn process(&self, header: &MessageHeader, input: &mut I, output: &mut O) -> Result<()> {
///         unknown_method(header, input, output)
///     }
/// }
/// impl<I: ProtocolRead + ?Sized, O: ProtocolWrite + ?Sized> Processor<I, O> for Admin {
///     fn process(&self, header: &MessageHeader, input: &mut I, output: &mut O) -> Result<()> {
///         unknown_method(header, input, output)
///     }
/// }
///
/// let mut mux: Multiplexed = Multiplexed::new();
/// mux.register("Greeter", Arc::new(Greeter));
/// mux.register("Admin", Arc::new(Admin));
/// let handle = Server::builder(mux).bind("127.0.0.1:0")?.spawn()?;
/// // Clients: `GreeterClient::multiplexed(connection, "Greeter")`.
/// handle.stop();
/// # Ok::<(), thriftc_runtime::Error>(())
/// ```
pub struct Multiplexed<P: ?Sized = dyn crate::server::ServerProcessor> {
    services: HashMap<String, Arc<P>>,
    default: Option<Arc<P>>,
}

impl<P: ?Sized> Default for Multiplexed<P> {
    fn default() -> Self {
        Multiplexed {
            services: HashMap::new(),
            default: None,
        }
    }
}

impl<P: ?Sized> fmt::Debug for Multiplexed<P> {
    /// The registered service names (sorted) and whether a default is set.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut services: Vec<&str> = self.services.keys().map(String::as_str).collect();
        services.sort_unstable();
        f.debug_struct("Multiplexed")
            .field("services", &services)
            .field("default", &self.default.is_some())
            .finish()
    }
}

impl<P: ?Sized> Multiplexed<P> {
    /// No services yet.
    pub fn new() -> Multiplexed<P> {
        Multiplexed::default()
    }

    /// Serves `service`'s methods (called as `service:method`) with
    /// `processor`. A second registration of the same name replaces the first.
    ///
    /// # Panics
    ///
    /// If `service` contains `:`: calls split their name at the first `:`,
    /// so no call could reach it.
    pub fn register(&mut self, service: impl Into<String>, processor: Arc<P>) -> &mut Self {
        let service = service.into();
        assert!(
            !service.contains(':'),
            "multiplexed service name `{service}` contains `:`, which separates a call's \
             service from its method: no call could reach it"
        );
        self.services.insert(service, processor);
        self
    }

    /// Serves names without a `service:` prefix (clients that do not
    /// multiplex) with `processor`.
    pub fn register_default(&mut self, processor: Arc<P>) -> &mut Self {
        self.default = Some(processor);
        self
    }
}

impl<I, O, P> Processor<I, O> for Multiplexed<P>
where
    I: ProtocolRead + ?Sized,
    O: ProtocolWrite + ?Sized,
    P: Processor<I, O> + ?Sized,
{
    fn process(&self, header: &MessageHeader, input: &mut I, output: &mut O) -> Result<()> {
        match self.route(&header.name) {
            Some((p, Some(method))) => {
                let inner = MessageHeader {
                    name: method.to_owned(),
                    kind: header.kind,
                    seqid: header.seqid,
                };
                p.process(&inner, input, output)
            }
            Some((p, None)) => p.process(header, input, output),
            None => unknown_method(header, input, output),
        }
    }
}

impl<P: ?Sized> Multiplexed<P> {
    /// The processor serving a call named `name`, with the method name to
    /// give it when a `service:` prefix was stripped (`None`: the name
    /// stays); `None` when no processor serves it.
    pub(crate) fn route<'n>(&self, name: &'n str) -> Option<(&Arc<P>, Option<&'n str>)> {
        match name.split_once(':') {
            Some((service, method)) => self.services.get(service).map(|p| (p, Some(method))),
            None => self.default.as_ref().map(|p| (p, None)),
        }
    }
}

// ------------------------------------------------------- protocol choice

/// Which wire protocol a server or client speaks. More protocols (e.g.
/// Apache's JSON protocol) may be added.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ProtocolKind {
    /// Apache's `TBinaryProtocol` (strict headers written, both read).
    #[default]
    Binary,
    /// Apache's `TCompactProtocol`.
    Compact,
}

/// A protocol that can be built over any transport: lets the server and the
/// client construct the protocol they were configured with, statically.
pub trait WireProtocol<T>: Sized {
    /// The protocol over `transport`, enforcing `limits`.
    fn over(transport: T, limits: Limits) -> Self;
    /// The transport.
    fn transport(&self) -> &T;
    /// The transport, mutably.
    fn transport_mut(&mut self) -> &mut T;
}

impl<T> WireProtocol<T> for BinaryProtocol<T> {
    #[inline]
    fn over(transport: T, limits: Limits) -> Self {
        BinaryProtocol::new(transport, limits)
    }
    #[inline]
    fn transport(&self) -> &T {
        self.get_ref()
    }
    #[inline]
    fn transport_mut(&mut self) -> &mut T {
        self.get_mut()
    }
}

impl<T> WireProtocol<T> for CompactProtocol<T> {
    #[inline]
    fn over(transport: T, limits: Limits) -> Self {
        CompactProtocol::new(transport, limits)
    }
    #[inline]
    fn transport(&self) -> &T {
        self.get_ref()
    }
    #[inline]
    fn transport_mut(&mut self) -> &mut T {
        self.get_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::binary::BinaryProtocol;

    /// Echoes an `i32` argument struct `{1: i32}` as the result `{0: i32}`.
    struct Echo;

    impl<I: ProtocolRead + ?Sized, O: ProtocolWrite + ?Sized> Processor<I, O> for Echo {
        fn process(&self, h: &MessageHeader, i: &mut I, o: &mut O) -> Result<()> {
            match h.name.as_str() {
                "echo" => serve_call(h, i, o, |a: Field<i32>| Ok(Field(a.0))),
                "boom" => serve_call(h, i, o, |_: Field<i32>| -> Result<Field<i32>, _> {
                    panic!("handler bug (expected by the test)")
                }),
                "fire" => serve_oneway(h, i, o, |_: Field<i32>| Ok(())),
                _ => unknown_method(h, i, o),
            }
        }
    }

    #[test]
    fn multiplexed_debug_names_the_services() {
        let mut mux: Multiplexed<Echo> = Multiplexed::new();
        assert_eq!(
            format!("{mux:?}"),
            "Multiplexed { services: [], default: false }"
        );
        mux.register("Zeta", Arc::new(Echo))
            .register("Alpha", Arc::new(Echo))
            .register_default(Arc::new(Echo));
        assert_eq!(
            format!("{mux:?}"),
            r#"Multiplexed { services: ["Alpha", "Zeta"], default: true }"#
        );
    }

    #[test]
    #[should_panic(expected = "contains `:`")]
    fn a_multiplexed_name_no_call_could_reach_is_refused() {
        Multiplexed::<Echo>::new().register("Calc:v2", Arc::new(Echo));
    }

    /// `struct { 1: T }` as arguments; written back as field 0 for results.
    struct Field<T>(T);

    impl<T> crate::codec::WireType for Field<T> {
        const TTYPE: TType = TType::Struct;
    }

    impl Encode for Field<i32> {
        fn encode<P: ProtocolWrite + ?Sized>(&self, p: &mut P) -> Result<()> {
            p.write_struct_begin("r")?;
            p.write_field_begin("success", TType::I32, 0)?;
            p.write_i32(self.0)?;
            p.write_field_end()?;
            p.write_field_stop()?;
            p.write_struct_end()
        }
    }

    impl Decode for Field<i32> {
        fn decode<P: ProtocolRead + ?Sized>(p: &mut P) -> Result<Self> {
            let mut v = None;
            p.read_struct_begin()?;
            while let Some(f) = p.read_field_begin()? {
                match (f.id, f.ttype) {
                    (_, TType::I32) => v = Some(p.read_i32()?),
                    (_, t) => p.skip(t)?,
                }
                p.read_field_end()?;
            }
            p.read_struct_end()?;
            v.map(Field).ok_or_else(|| {
                Error::protocol(crate::ProtocolErrorKind::InvalidData, "field 1 missing")
            })
        }
    }

    fn request(name: &str, kind: MessageType, body: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut p = BinaryProtocol::new(&mut out, Limits::default());
        p.write_message_begin(&MessageHeader {
            name: name.into(),
            kind,
            seqid: 7,
        })
        .unwrap();
        out.extend_from_slice(body);
        out
    }

    /// Runs `processor` on one request; returns its result and the reply.
    fn run<P: for<'a> Processor<BinaryProtocol<&'a [u8]>, BinaryProtocol<Vec<u8>>>>(
        processor: &P,
        bytes: &[u8],
    ) -> (Result<()>, Option<(MessageHeader, Vec<u8>)>) {
        let mut input = BinaryProtocol::new(bytes, Limits::default());
        let header = input.read_message_begin().unwrap();
        let mut output = BinaryProtocol::new(Vec::new(), Limits::default());
        let r = processor.process(&header, &mut input, &mut output);
        let out = output.into_inner();
        if out.is_empty() {
            return (r, None);
        }
        let mut reply = BinaryProtocol::new(&out[..], Limits::default());
        let h = reply.read_message_begin().unwrap();
        let rest = reply.into_inner().to_vec();
        (r, Some((h, rest)))
    }

    const ARG_5: &[u8] = &[8, 0, 1, 0, 0, 0, 5, 0];

    #[test]
    fn a_call_is_answered_with_a_reply() {
        let (r, reply) = run(&Echo, &request("echo", MessageType::Call, ARG_5));
        r.unwrap();
        let (h, body) = reply.unwrap();
        assert_eq!(
            (h.name.as_str(), h.kind, h.seqid),
            ("echo", MessageType::Reply, 7)
        );
        assert_eq!(body, [8, 0, 0, 0, 0, 0, 5, 0]);
    }

    #[test]
    fn a_panic_is_an_internal_error_with_the_same_seqid() {
        let (r, reply) = run(&Echo, &request("boom", MessageType::Call, ARG_5));
        r.unwrap();
        let (h, body) = reply.unwrap();
        assert_eq!((h.kind, h.seqid), (MessageType::Exception, 7));
        let e = ApplicationError::decode(&mut BinaryProtocol::new(&body[..], Limits::default()));
        assert_eq!(e.unwrap().kind, ApplicationErrorKind::InternalError);
    }

    #[test]
    fn undecodable_arguments_get_protocol_error_and_an_err() {
        // A string where an i32 is expected: field 1 never set.
        let body = [11, 0, 1, 0, 0, 0, 1, b'x', 0];
        let (r, reply) = run(&Echo, &request("echo", MessageType::Call, &body));
        assert!(matches!(r, Err(Error::Protocol(_))));
        let (h, body) = reply.unwrap();
        assert_eq!((h.kind, h.seqid), (MessageType::Exception, 7));
        let e = ApplicationError::decode(&mut BinaryProtocol::new(&body[..], Limits::default()));
        assert_eq!(e.unwrap().kind, ApplicationErrorKind::ProtocolError);
    }

    #[test]
    fn unknown_methods_skip_their_arguments() {
        let bytes = request(
            "nope",
            MessageType::Call,
            &[12, 0, 1, 8, 0, 1, 0, 0, 0, 1, 0, 0],
        );
        let (r, reply) = run(&Echo, &bytes);
        r.unwrap();
        let (h, body) = reply.unwrap();
        assert_eq!((h.name.as_str(), h.kind), ("nope", MessageType::Exception));
        let e = ApplicationError::decode(&mut BinaryProtocol::new(&body[..], Limits::default()));
        assert_eq!(e.unwrap().message, "Invalid method name: 'nope'");
    }

    #[test]
    fn oneway_messages_never_get_a_reply() {
        for name in ["fire", "echo", "boom", "nope"] {
            let (r, reply) = run(&Echo, &request(name, MessageType::Oneway, ARG_5));
            r.unwrap();
            assert!(reply.is_none(), "{name}");
        }
    }

    #[test]
    fn multiplexed_routes_by_prefix_and_replies_with_the_bare_name() {
        type In<'a> = BinaryProtocol<&'a [u8]>;
        type Out = BinaryProtocol<Vec<u8>>;
        let mut mux: Multiplexed<dyn for<'a> Processor<In<'a>, Out>> = Multiplexed::new();
        mux.register("Svc", Arc::new(Echo));
        let (r, reply) = run(&mux, &request("Svc:echo", MessageType::Call, ARG_5));
        r.unwrap();
        assert_eq!(reply.unwrap().0.name, "echo");
        let (_, reply) = run(&mux, &request("Other:echo", MessageType::Call, ARG_5));
        assert_eq!(reply.unwrap().0.kind, MessageType::Exception);
        let (_, reply) = run(&mux, &request("echo", MessageType::Call, ARG_5));
        assert_eq!(reply.unwrap().0.kind, MessageType::Exception);
        mux.register_default(Arc::new(Echo));
        let (_, reply) = run(&mux, &request("echo", MessageType::Call, ARG_5));
        assert_eq!(reply.unwrap().0.kind, MessageType::Reply);
    }
}
