//! Serving one connection: read a message, dispatch it to the processor,
//! send the reply, until the peer leaves, a timeout fires, the input is
//! beyond repair, or the server stops. In the event-driven mode a connection
//! is served only while it has input, and is parked between messages.

use std::io::Read;
use std::net::Shutdown;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::error::{ApplicationError, ApplicationErrorKind, Error};
use crate::processor::{Processor, ProtocolKind, WireProtocol, panic_message, write_exception};
use crate::protocol::binary::BinaryProtocol;
use crate::protocol::compact::CompactProtocol;
use crate::protocol::{MessageHeader, MessageType, ProtocolRead, ProtocolWrite};
#[cfg(target_os = "linux")]
use crate::transport::framed::FRAME_HEADER_LEN;
use crate::transport::socket::sealed::Ops as _;
use crate::transport::socket::{SharedStream, Socket, SocketReader, SocketWriter, TimedStream};
use crate::transport::{Framing, MessageWriter, StreamReader};

use super::listener::Peer;
use super::observer::{self, CallInfo, CallOutcome, reply_outcome};
use super::{Conn, ServerObserver, ServerProcessor, Shared};

/// Serves `conn` with the configured protocol on this thread; returns when
/// it is closed.
pub(super) fn serve<P: ServerProcessor + ?Sized>(shared: &Shared, processor: &P, conn: Conn) {
    if let Some(mut io) = Io::open(shared, &conn, false) {
        io.serve(shared, processor, &conn, false, None);
    }
    close_gently(&conn.stream, LINGER);
    log::debug!("{}: closed", conn.peer);
}

/// How long [`close_gently`] reads a peer's unread input at most.
const LINGER: Duration = Duration::from_secs(1);

/// Prepares `stream` to be closed so that the replies written to it still
/// reach the peer. Closing a socket that has unread input makes the kernel
/// reset the connection and drop what it has not yet delivered, the end of
/// the last reply included (e.g. a client that pipelined a request the
/// server will not answer, during a stop or after an error). When input is
/// left, the server ends its side of the stream (FIN after the last reply),
/// then reads and discards input until the peer closes its side or
/// `linger` passes; nothing is kept. Input arriving later (or, once a stop
/// has shut the read side, after the read finds nothing) can still make
/// the kernel reset the connection.
fn close_gently(stream: &Socket, linger: Duration) {
    let mut scratch = [0u8; 4096];
    // Nothing unread (or the peer has closed): a plain close sends FIN.
    let unread = stream.set_nonblocking(true).is_ok()
        && matches!((&*stream).read(&mut scratch), Ok(n) if n > 0);
    if !unread
        || stream.set_nonblocking(false).is_err()
        || stream.shutdown(Shutdown::Write).is_err()
    {
        return;
    }
    let deadline = Instant::now() + linger;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
            return;
        }
        match (&*stream).read(&mut scratch) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
    }
}

/// Why [`Io::serve`] returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
// Parking is for the event-driven mode, which needs Linux.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
pub(super) enum Served {
    /// The connection is done: drop it.
    Closed,
    /// Every received message is answered and no byte of the next one has
    /// arrived (only when parking was asked for).
    Idle,
    /// Part of the next message has arrived and the rest has not (only when
    /// parking was asked for). `fresh`: its first bytes came after a message
    /// was served in this call (else it may be older).
    Partial { fresh: bool },
    /// The turn is over and bytes of further messages are buffered: serve
    /// the connection again after the others that are ready (only when
    /// parking was asked for).
    Yield,
    /// A reply is partly sent and the peer takes no more for now (only when
    /// parking was asked for): send the rest once the socket has room
    /// ([`Io::send_waiting`]), then serve the connection again.
    Writing,
    /// As [`Served::Writing`], for the last reply of a connection that is
    /// done (e.g. the error reply before a close): send the rest once the
    /// socket has room, then close.
    Closing,
    /// The next frame must be charged to the in-flight byte budget before
    /// its body is read, and the budget has no room now (only when parking
    /// was asked for): serve the connection again once it has
    /// ([`Io::charge_next_now`]).
    Budget,
}

/// The protocol endpoints of one connection, with their buffers: all the
/// state a connection keeps between messages.
// The variants differ in size by the compact protocol's field-id stack; an
// `Io` lives on its connection thread's stack or boxed in a parking slot.
#[allow(clippy::large_enum_variant)]
pub(super) enum Io {
    Binary(Endpoints<BinaryProtocol<SocketReader>, BinaryProtocol<SocketWriter>>),
    Compact(Endpoints<CompactProtocol<SocketReader>, CompactProtocol<SocketWriter>>),
    /// [`ServerConfig::detect_protocol`](super::ServerConfig::detect_protocol):
    /// the first bytes of the connection, read so far, will choose (`None`
    /// only while it becomes the endpoints they chose).
    Detect(Option<Box<Undetected>>),
}

/// A connection whose protocol and framing its first bytes will choose.
pub(super) struct Undetected {
    reader: SocketReader,
    /// Replies are to be sent without waiting (see [`Io::open`]).
    deferred: bool,
}

pub(super) struct Endpoints<I, O> {
    input: I,
    output: O,
    /// Event-driven: how far the check for a whole next message has come.
    #[cfg(target_os = "linux")]
    check: super::complete::Check,
    /// Event-driven: messages served since the server began to stop; at
    /// [`MESSAGES_PER_TURN`] the connection closes, so that a peer that
    /// keeps sending cannot hold a thread (or the stop) for long.
    served_stopping: usize,
    /// The header of the message being served, read in place: its name's
    /// allocation serves every message of the connection.
    header: MessageHeader,
    /// The connection's protocol and framing (the configured ones, or
    /// those its first bytes chose).
    protocol: ProtocolKind,
    framing: Framing,
    /// The server's observer and this connection's call whose reply waits
    /// to be sent; `None` without an observer.
    observed: Option<Observed>,
}

/// What a connection keeps to tell the server's observer of its calls.
pub(super) struct Observed {
    observer: Arc<dyn ServerObserver>,
    connection: u64,
    /// The call whose reply is flushed but not yet all sent: when it
    /// started and what the reply says. Reported once the rest is sent,
    /// or as [`CallOutcome::Undelivered`] if it never is.
    waiting: Option<(Instant, CallOutcome)>,
}

impl Observed {
    /// Tells the observer that the call `header` names, started at
    /// `started`, ended with `outcome`.
    fn report(&self, header: &MessageHeader, started: Instant, outcome: CallOutcome) {
        let call = CallInfo::new(
            self.connection,
            &header.name,
            header.seqid,
            header.kind == MessageType::Oneway,
            started.elapsed(),
            outcome,
        );
        observer::notify("call_finished", || self.observer.call_finished(&call));
    }
}

impl Io {
    /// Sets up the reader and writer of `conn` for the configured protocol,
    /// framing, limits and timeouts; `None` if the socket cannot be set up.
    /// `deferred`: replies are sent without waiting for the peer (the
    /// event-driven mode, see [`Served::Writing`]).
    pub(super) fn open(shared: &Shared, conn: &Conn, deferred: bool) -> Option<Io> {
        let config = &shared.config;
        let reader = open_reader(shared, conn, config.framing)?;
        if config.detect_protocol {
            return Some(Io::Detect(Some(Box::new(Undetected { reader, deferred }))));
        }
        Some(Io::over(
            shared,
            conn,
            reader,
            config.protocol,
            config.framing,
            deferred,
        ))
    }

    /// The endpoints of `conn` in `protocol` and `framing`, reading
    /// through `reader`.
    fn over(
        shared: &Shared,
        conn: &Conn,
        mut reader: SocketReader,
        protocol: ProtocolKind,
        framing: Framing,
        deferred: bool,
    ) -> Io {
        reader.set_framing(framing);
        let mut io = match protocol {
            ProtocolKind::Binary => {
                Io::Binary(Endpoints::over(conn, reader, protocol, framing, shared))
            }
            ProtocolKind::Compact => {
                Io::Compact(Endpoints::over(conn, reader, protocol, framing, shared))
            }
        };
        // With an observer, a reply is looked at before it is sent: it
        // waits in the writer until the connection sends it.
        if deferred || shared.config.observer.is_some() {
            if let Some(writer) = io.writer() {
                writer.defer_sends();
            }
        }
        io
    }

    /// The writer; none before the protocol is known.
    fn writer(&mut self) -> Option<&mut SocketWriter> {
        match self {
            Io::Binary(e) => Some(e.output.transport_mut()),
            Io::Compact(e) => Some(e.output.transport_mut()),
            Io::Detect(_) => None,
        }
    }

    /// With [`Io::Detect`], reads the first bytes of the connection until
    /// they choose the protocol and framing, and becomes the endpoints for
    /// them: `Ok` then (or when the protocol was known), with when the
    /// first bytes arrived if this call read them (the first message's
    /// deadline runs from then), else why serving ends for now. With `park`
    /// (the event-driven mode), and during a stop, no read waits.
    fn detect(
        &mut self,
        shared: &Shared,
        conn: &Conn,
        park: bool,
    ) -> Result<Option<Instant>, Served> {
        let Io::Detect(slot) = self else {
            return Ok(None);
        };
        let Some(undetected) = slot.as_deref_mut() else {
            return Err(Served::Closed);
        };
        let reader = &mut undetected.reader;
        let mut first_bytes = None;
        let (protocol, framing) = loop {
            if let Some(chosen) = detect(reader.unread()) {
                break chosen;
            }
            // During a stop, what has arrived is read (and answered once
            // whole, as on any connection), nothing more is waited for.
            let read = if park || shared.is_stopping() {
                read_now(reader)
            } else {
                reader.fill_now(0, |stream, buf| stream.read(buf))
            };
            match read {
                Ok(0) => return Err(Served::Closed),
                Ok(_) => {
                    // The idle timeout until the first byte, then the
                    // message timeout, as for any message.
                    if first_bytes.is_none() {
                        first_bytes = Some(Instant::now());
                        reader.get_mut().start_message();
                    }
                }
                Err(e) if park && e.kind() == std::io::ErrorKind::WouldBlock => {
                    return Err(if reader.buffered() == 0 {
                        Served::Idle
                    } else {
                        Served::Partial { fresh: false }
                    });
                }
                Err(e) => {
                    log::debug!("{}: closing while reading its first bytes: {e}", conn.peer);
                    return Err(Served::Closed);
                }
            }
        };
        log::debug!("{}: {protocol:?}, {framing:?}", conn.peer);
        let Undetected { reader, deferred } = *slot.take().ok_or(Served::Closed)?;
        *self = Io::over(shared, conn, reader, protocol, framing, deferred);
        Ok(first_bytes)
    }

    /// Sends the rest of a reply that [`Served::Writing`] left waiting:
    /// `Ok(true)` once it is all sent, `Ok(false)` when the peer takes no
    /// more for now. `blocking`: wait as a blocking write does, under the
    /// write timeout (during a stop).
    #[cfg(target_os = "linux")]
    pub(super) fn send_waiting(&mut self, blocking: bool) -> crate::error::Result<bool> {
        let Some(writer) = self.writer() else {
            // Nothing was written before the protocol was known.
            return Ok(true);
        };
        let sent = if blocking {
            writer.send_rest().map(|()| true)
        } else {
            writer.send_waiting_now().map_err(Into::into)
        };
        match (self, &sent) {
            (_, Ok(false)) | (Io::Detect(_), _) => {}
            (Io::Binary(e), _) => e.report_waiting(sent.is_ok()),
            (Io::Compact(e), _) => e.report_waiting(sent.is_ok()),
        }
        sent
    }

    /// Serves messages until the connection is done or, with `park`, until
    /// no whole message is buffered (the event-driven mode, which calls this
    /// when the socket is readable). `partial_since`: when the first bytes
    /// of the buffered part of a message arrived, if they did before this
    /// call; its deadline runs from then.
    pub(super) fn serve<P: ServerProcessor + ?Sized>(
        &mut self,
        shared: &Shared,
        processor: &P,
        conn: &Conn,
        park: bool,
        partial_since: Option<Instant>,
    ) -> Served {
        let partial_since = match self.detect(shared, conn, park) {
            Ok(first_bytes) => partial_since.or(first_bytes),
            Err(served) => return served,
        };
        match self {
            Io::Binary(e) => e.serve(shared, processor, conn, park, partial_since),
            Io::Compact(e) => e.serve(shared, processor, conn, park, partial_since),
            Io::Detect(_) => Served::Closed,
        }
    }

    /// Charges the frame whose header starts the unread input to the
    /// in-flight budget, without waiting (see [`Served::Budget`]): `false`
    /// when the budget still has no room for it. For the first of the
    /// connections that wait for the budget.
    #[cfg(target_os = "linux")]
    pub(super) fn charge_next_now(&mut self, limits: crate::Limits) -> bool {
        match self {
            Io::Binary(e) => charge_next_now(e.input.transport_mut(), limits),
            Io::Compact(e) => charge_next_now(e.input.transport_mut(), limits),
            // No frame is known yet.
            Io::Detect(_) => true,
        }
    }

    /// Gives back buffers that grew past their initial size, with nothing
    /// unread or unsent (for a connection parked for a while).
    #[cfg(target_os = "linux")]
    pub(super) fn shrink_idle(&mut self) {
        match self {
            Io::Binary(e) => e.shrink_idle(),
            Io::Compact(e) => e.shrink_idle(),
            Io::Detect(_) => {}
        }
    }
}

impl<I, O> Endpoints<I, O> {
    /// Reports the call whose reply waited, once the rest is sent (`sent`)
    /// or could not be; nothing if none waited.
    fn report_waiting(&mut self, sent: bool) {
        report_waiting(&mut self.observed, &self.header, sent);
    }
}

impl<I, O> Drop for Endpoints<I, O> {
    /// A connection closed while a reply waited: it was not delivered.
    fn drop(&mut self) {
        self.report_waiting(false);
    }
}

impl<I, O> Endpoints<I, O>
where
    I: ProtocolRead + WireProtocol<SocketReader>,
    O: ProtocolWrite + WireProtocol<SocketWriter>,
{
    fn over(
        conn: &Conn,
        input: SocketReader,
        protocol: ProtocolKind,
        framing: Framing,
        shared: &Shared,
    ) -> Self {
        let limits = shared.config.limits;
        Endpoints {
            #[cfg(target_os = "linux")]
            check: Default::default(),
            served_stopping: 0,
            header: MessageHeader::empty(),
            protocol,
            framing,
            observed: shared.config.observer.as_ref().map(|observer| Observed {
                observer: observer.clone(),
                connection: conn.id,
                waiting: None,
            }),
            input: I::over(input, limits),
            output: O::over(
                MessageWriter::new(SharedStream(conn.stream.clone()), framing, limits)
                    .splice_shared_values(true),
                limits,
            ),
        }
    }

    #[cfg(target_os = "linux")]
    fn shrink_idle(&mut self) {
        // The name of a call whose reply waits is still to be reported.
        if self.observed.as_ref().is_none_or(|o| o.waiting.is_none()) {
            forget_long_name(&mut self.header);
        }
        self.input.transport_mut().shrink_idle();
        self.output
            .transport_mut()
            .shrink_idle(crate::transport::buffered::INITIAL_BUFFER_SIZE);
    }

    fn serve<P>(
        &mut self,
        shared: &Shared,
        processor: &P,
        conn: &Conn,
        park: bool,
        partial_since: Option<Instant>,
    ) -> Served
    where
        P: Processor<I, O> + ?Sized,
    {
        let served = self.serve_messages(shared, processor, conn, park, partial_since);
        let writer = self.output.transport_mut();
        if served != Served::Closed || !writer.is_waiting() {
            return served;
        }
        // A last reply (e.g. the error that ends the connection) still goes
        // out: parked for room when parking, else waiting as a blocking
        // write does.
        #[cfg(target_os = "linux")]
        if park {
            let sent = writer.send_waiting_now();
            if !matches!(sent, Ok(false)) {
                self.report_waiting(sent.is_ok());
            }
            return match sent {
                Ok(false) => Served::Closing,
                Ok(true) | Err(_) => Served::Closed,
            };
        }
        let sent = writer.send_rest();
        if let Err(e) = &sent {
            log::debug!("{}: closing while writing a reply: {e}", conn.peer);
        }
        self.report_waiting(sent.is_ok());
        served
    }

    // Without the event-driven mode (not Linux), `first` is only written.
    #[cfg_attr(not(target_os = "linux"), allow(unused_variables, unused_assignments))]
    fn serve_messages<P>(
        &mut self,
        shared: &Shared,
        processor: &P,
        conn: &Conn,
        park: bool,
        mut partial_since: Option<Instant>,
    ) -> Served
    where
        P: Processor<I, O> + ?Sized,
    {
        let peer = conn.peer;
        let Endpoints {
            input,
            output,
            #[cfg(target_os = "linux")]
            check,
            served_stopping,
            header,
            protocol,
            framing,
            observed,
        } = self;
        #[cfg(target_os = "linux")]
        let wire = (*protocol, *framing);
        let mut first = true;
        let mut served = 0;
        loop {
            // During a stop, every mode still answers requests that have
            // wholly arrived (they arrived before the stop closed the
            // connection's input), up to a turn's worth, then closes. The
            // blocking modes check here, without waiting for more bytes; the
            // event-driven mode below.
            let stopping = shared.is_stopping();
            if stopping && !park {
                #[cfg(target_os = "linux")]
                {
                    let reader = input.transport_mut();
                    if *served_stopping >= MESSAGES_PER_TURN
                        || gather(reader, shared, peer, true, check, wire).is_some()
                    {
                        return Served::Closed;
                    }
                    *served_stopping += 1;
                }
                #[cfg(not(target_os = "linux"))]
                return Served::Closed;
            }
            // A long name (a peer may send one as long as its buffer) is
            // not kept while the connection waits for its next message, in
            // a read or parked.
            forget_long_name(header);
            let reader = input.transport_mut();
            #[cfg(target_os = "linux")]
            if park {
                // A turn ends after a few messages, so that a client that
                // keeps its pipeline full shares the threads with the others.
                if served >= MESSAGES_PER_TURN && !stopping {
                    return if reader.buffered() == 0 {
                        Served::Idle
                    } else {
                        Served::Yield
                    };
                }
                // During a stop, what has arrived is answered, up to a
                // turn's worth of messages.
                if stopping && *served_stopping >= MESSAGES_PER_TURN {
                    return Served::Closed;
                }
                if let Some(parked) = gather(reader, shared, peer, first || stopping, check, wire) {
                    return if stopping { Served::Closed } else { parked };
                }
                if stopping {
                    *served_stopping += 1;
                }
            }
            first = false;
            served += 1;
            reader.get_mut().wait_idle();
            match reader.begin_message() {
                Ok(true) => {}
                Ok(false) => return Served::Closed,
                Err(e) => return log_end(peer, "waiting for a message", &e),
            }
            if reader.waited_for_budget() {
                reader.get_mut().restart_message();
            } else if let Some(since) = partial_since.take() {
                // Parked with part of this message: the deadline runs from
                // its first bytes (it matters if the rest is read with
                // blocking reads).
                reader.get_mut().start_message_at(since);
            } else {
                reader.get_mut().start_message();
            }
            if let Err(e) = input.read_message_begin_into(header) {
                return log_end(peer, "reading a message header", &e);
            }
            let header = &*header;
            if !matches!(header.kind, MessageType::Call | MessageType::Oneway) {
                log::info!(
                    "{peer}: unexpected {:?} message '{}' from a client; closing",
                    header.kind,
                    header.name
                );
                return Served::Closed;
            }
            // The observer's clock: read only when there is one.
            let started = observed.as_ref().map(|o| {
                observer::CallStart::notify(&*o.observer, o.connection, header);
                Instant::now()
            });
            let outcome = catch_unwind(AssertUnwindSafe(|| {
                processor.process(header, input, output)
            }));
            // The stream failed: no reply can go out.
            let mut failed = false;
            let mut end = match outcome {
                Ok(Ok(())) => None,
                Ok(Err(Error::Application(e))) => {
                    // No reply went out: answer with this exception instead.
                    output.transport_mut().discard();
                    match header.kind {
                        MessageType::Call => {
                            write_exception(output, &header.name, header.seqid, &e)
                                .err()
                                .map(|e| {
                                    failed = true;
                                    log_end(peer, "writing a reply", &e)
                                })
                        }
                        _ => None,
                    }
                }
                Ok(Err(e @ Error::Protocol(_))) => {
                    output.transport_mut().discard();
                    if input.transport().can_resync() {
                        log::info!("{peer}: bad request skipped: {e}");
                        None
                    } else {
                        Some(log_end(peer, "reading a request", &e))
                    }
                }
                Ok(Err(e)) => {
                    failed = true;
                    Some(log_end(peer, "handling a request", &e))
                }
                Err(panic) => {
                    log::error!(
                        "{peer}: processing '{}' panicked: {}",
                        header.name,
                        panic_message(panic.as_ref())
                    );
                    output.transport_mut().discard();
                    if header.kind == MessageType::Call {
                        let e = ApplicationError::new(
                            ApplicationErrorKind::InternalError,
                            format!("Internal error processing {}", header.name),
                        );
                        let _ = write_exception(output, &header.name, header.seqid, &e);
                    }
                    // The input may be anywhere inside the message.
                    Some(Served::Closed)
                }
            };
            let writer = output.transport_mut();
            // What the observer will be told, once the reply (if any) is
            // sent: it waits in the writer until then.
            if let (Some(observed), Some(started)) = (observed.as_mut(), started) {
                let outcome = match writer.waiting_message() {
                    // Written, also by a processor that failed after: it
                    // goes out, and its sending decides.
                    Some(reply) => reply_outcome(*protocol, reply),
                    None if failed => CallOutcome::Undelivered,
                    None if header.kind == MessageType::Oneway => CallOutcome::Oneway,
                    None => CallOutcome::Undelivered,
                };
                if writer.is_waiting() {
                    // Reported once it is sent (or cannot be).
                    observed.waiting = Some((started, outcome));
                } else {
                    observed.report(header, started, outcome);
                }
            }
            // Blocking: a reply waits only with an observer, which has
            // looked at it; it goes out now, before the rest of its frame
            // is read (which may take until the message timeout).
            if !park && writer.is_waiting() {
                let sent = writer.send_rest();
                report_waiting(observed, header, sent.is_ok());
                if let Err(e) = sent {
                    return log_end(peer, "writing a reply", &e);
                }
            }
            if end.is_none() {
                if let Err(e) = input.transport_mut().end_message() {
                    end = Some(log_end(peer, "skipping the rest of a frame", &e));
                }
            }
            if let Some(served) = end {
                // A waiting reply is sent by `serve`.
                return served;
            }
            #[cfg(target_os = "linux")]
            if park {
                // Sent without waiting; the rest once the peer makes room,
                // with no thread held meanwhile.
                let sent = writer.send_waiting_now();
                if !matches!(sent, Ok(false)) {
                    report_waiting(observed, header, sent.is_ok());
                }
                match sent {
                    Ok(true) => continue,
                    Ok(false) => return Served::Writing,
                    Err(e) => return log_end(peer, "writing a reply", &e.into()),
                }
            }
        }
    }
}

/// Reports the call whose reply waited in `observed`, once the rest is
/// sent (`sent`) or could not be; nothing if none waited.
fn report_waiting(observed: &mut Option<Observed>, header: &MessageHeader, sent: bool) {
    let Some(observed) = observed else {
        return;
    };
    if let Some((started, outcome)) = observed.waiting.take() {
        let outcome = if sent {
            outcome
        } else {
            CallOutcome::Undelivered
        };
        observed.report(header, started, outcome);
    }
}

/// The reader of `conn` in `framing`, with the configured limits, timeouts
/// and in-flight budget; `None` if the socket cannot be set up.
fn open_reader(shared: &Shared, conn: &Conn, framing: Framing) -> Option<SocketReader> {
    let config = &shared.config;
    let timed = match TimedStream::new(
        conn.stream.clone(),
        config.idle_timeout,
        config.message_timeout,
    ) {
        Ok(t) => t,
        Err(e) => {
            log::debug!("{}: cannot set up the socket: {e}", conn.peer);
            return None;
        }
    };
    let mut reader = StreamReader::new(timed, framing, config.limits);
    if let Some(budget) = &config.in_flight_budget {
        reader = reader.with_budget(
            budget.clone(),
            config.message_timeout,
            Some(shared.stopping.clone()),
        );
    }
    Some(reader)
}

/// The bytes [`detect`] needs at most: a frame's header and the first
/// byte of its message.
const DETECT_LEN: usize = 5;

/// The largest method name buffer a connection keeps from one message to
/// the next.
const NAME_KEEP: usize = 256;

/// Drops the name buffer of `header` if it is longer than [`NAME_KEEP`].
fn forget_long_name(header: &mut MessageHeader) {
    if header.name.capacity() > NAME_KEEP {
        header.name = String::new();
    }
}

/// The protocol and framing the first bytes of a connection announce, once
/// enough have arrived (`None` before): a strict binary message starts
/// with `0x80` (its version word), a compact one with `0x82` (its protocol
/// id); a frame starts with its length, whose first byte is below `0x80`
/// (a length is at most 2^31 - 1), and then its message. Anything else is
/// an old non-strict binary message (its name's length first), unframed.
/// (A framed non-strict binary message reads as unframed, and fails.) Any
/// other first byte from `0x80` on starts no valid message or frame: read
/// as binary, it is refused at once, as a binary server refuses it.
pub(crate) fn detect(first: &[u8]) -> Option<(ProtocolKind, Framing)> {
    const BINARY: u8 = 0x80;
    const COMPACT: u8 = 0x82;
    Some(match *first.first()? {
        COMPACT => (ProtocolKind::Compact, Framing::Buffered),
        0x80.. => (ProtocolKind::Binary, Framing::Buffered),
        _ => match *first.get(DETECT_LEN - 1)? {
            BINARY => (ProtocolKind::Binary, Framing::Framed),
            COMPACT => (ProtocolKind::Compact, Framing::Framed),
            _ => (ProtocolKind::Binary, Framing::Buffered),
        },
    })
}

/// Reads what has arrived without waiting (the event-driven mode).
#[cfg(target_os = "linux")]
fn read_now(reader: &mut SocketReader) -> std::io::Result<usize> {
    reader.fill_now(0, |stream, buf| stream.read_now(buf))
}

/// The event-driven mode needs Linux: never called elsewhere.
#[cfg(not(target_os = "linux"))]
fn read_now(_: &mut SocketReader) -> std::io::Result<usize> {
    Err(std::io::ErrorKind::Unsupported.into())
}

/// Event-driven: reads what has arrived, without waiting, until a whole
/// message is buffered (`None`: decode it) or nothing more has arrived (the
/// connection is to be parked, idle or with part of a message), or the
/// stream ended. After a message was served (`woken` false) with nothing
/// left unread, it parks without trying a read: the socket's readiness is
/// checked again when it is re-armed.
///
/// The buffer grows with what arrives, up to the frame (whose header says
/// how large it is) or, unframed, the message size limit; `check` carries
/// the completeness check from one read to the next, so that its cost is
/// linear in the bytes received however they are split. No read waits: a
/// peer that sends part of a message, of any size, holds no thread. A
/// frame the in-flight budget must see first is charged once its header
/// has arrived, without waiting: [`Served::Budget`] when the budget has no
/// room.
#[cfg(target_os = "linux")]
fn gather(
    reader: &mut SocketReader,
    shared: &Shared,
    peer: Peer,
    woken: bool,
    check: &mut super::complete::Check,
    (protocol, framing): (ProtocolKind, Framing),
) -> Option<Served> {
    use super::complete::{Arrived, Check};
    let config = &shared.config;
    if !woken && reader.buffered() == 0 {
        return Some(Served::Idle);
    }
    loop {
        let unread = reader.unread();
        // Unframed, a message may take up to the size limit; it is bounded
        // per connection, as when a blocking read decodes it.
        let mut room = config.limits.max_message_size();
        if framing == Framing::Framed {
            match Check::frame_len(unread, config.limits) {
                Some(Ok(len)) => {
                    room = len.saturating_add(FRAME_HEADER_LEN);
                    // First come, first served: behind the frames that
                    // already wait for the budget.
                    let queue = shared
                        .poller
                        .get()
                        .is_some_and(super::event::Poller::budget_has_waiters);
                    if !reader.charge_next_now(len, queue) {
                        return Some(Served::Budget);
                    }
                }
                // Reported by the decoder.
                Some(Err(_)) => {
                    check.reset();
                    return None;
                }
                None => {}
            }
        }
        let unread = reader.unread();
        match check.check(unread, framing, protocol, config.limits) {
            Arrived::Whole | Arrived::Unknown => {
                check.reset();
                return None;
            }
            Arrived::Part => {}
        }
        match reader.fill_now(room, |stream, buf| stream.read_now(buf)) {
            Ok(0) => {
                if reader.buffered() > 0 {
                    log::debug!("{peer}: closed in the middle of a message");
                }
                return Some(Served::Closed);
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                return Some(if reader.buffered() == 0 {
                    Served::Idle
                } else {
                    Served::Partial { fresh: !woken }
                });
            }
            Err(e) if reader.buffered() >= room => {
                // Not expected: the check ends a message that fills the
                // room. The decoder reads on (and reports it).
                log::debug!("{peer}: {e}");
                check.reset();
                return None;
            }
            Err(e) => {
                log::debug!("{peer}: closing while reading: {e}");
                return Some(Served::Closed);
            }
        }
    }
}

/// [`Io::charge_next_now`] for one reader.
#[cfg(target_os = "linux")]
fn charge_next_now(reader: &mut SocketReader, limits: crate::Limits) -> bool {
    match super::complete::Check::frame_len(reader.unread(), limits) {
        Some(Ok(len)) => reader.charge_next_now(len, false),
        _ => true,
    }
}

/// Messages a connection is served in one turn of the event-driven mode.
#[cfg(target_os = "linux")]
const MESSAGES_PER_TURN: usize = 16;

/// Logs why a connection ends: quietly for ends and timeouts, louder for
/// malformed input.
fn log_end(peer: Peer, doing: &str, e: &Error) -> Served {
    match e {
        Error::Transport(_) => log::debug!("{peer}: closing while {doing}: {e}"),
        _ => log::info!("{peer}: closing while {doing}: {e}"),
    }
    Served::Closed
}
