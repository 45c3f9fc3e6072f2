//! Serving one connection: read a message, dispatch it to the processor,
//! send the reply, until the peer leaves, a timeout fires, the input is
//! beyond repair, or the server stops.

use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::error::{ApplicationError, ApplicationErrorKind, Error};
use crate::processor::{Processor, ProtocolKind, WireProtocol, panic_message, write_exception};
use crate::protocol::binary::BinaryProtocol;
use crate::protocol::compact::CompactProtocol;
use crate::protocol::{MessageType, ProtocolRead, ProtocolWrite};
use crate::transport::socket::{SharedStream, SocketReader, SocketWriter, TimedStream};
use crate::transport::{MessageWriter, StreamReader};

use super::{Conn, ServerProcessor, Shared};

/// Serves `conn` with the configured protocol; returns when it is closed.
pub(super) fn serve<P: ServerProcessor + ?Sized>(shared: &Shared, processor: &P, conn: Conn) {
    match shared.config.protocol {
        ProtocolKind::Binary => {
            run::<BinaryProtocol<_>, BinaryProtocol<_>, P>(shared, processor, &conn)
        }
        ProtocolKind::Compact => {
            run::<CompactProtocol<_>, CompactProtocol<_>, P>(shared, processor, &conn)
        }
    }
    log::debug!("{}: closed", conn.peer);
}

fn run<I, O, P>(shared: &Shared, processor: &P, conn: &Conn)
where
    I: ProtocolRead + WireProtocol<SocketReader>,
    O: ProtocolWrite + WireProtocol<SocketWriter>,
    P: Processor<I, O> + ?Sized,
{
    let config = &shared.config;
    let peer = conn.peer;
    let timed = match TimedStream::new(
        conn.stream.clone(),
        config.idle_timeout,
        config.message_timeout,
    ) {
        Ok(t) => t,
        Err(e) => {
            log::debug!("{peer}: cannot set up the socket: {e}");
            return;
        }
    };
    let mut reader = StreamReader::new(timed, config.framing, config.limits);
    if let Some(budget) = &config.in_flight_budget {
        reader = reader.with_budget(
            budget.clone(),
            config.message_timeout,
            Some(shared.stopping.clone()),
        );
    }
    let mut input = I::over(reader, config.limits);
    let mut output = O::over(
        MessageWriter::new(
            SharedStream(conn.stream.clone()),
            config.framing,
            config.limits,
        ),
        config.limits,
    );
    loop {
        if shared.is_stopping() {
            return;
        }
        let reader = input.transport_mut();
        reader.get_mut().wait_idle();
        match reader.begin_message() {
            Ok(true) => {}
            Ok(false) => return,
            Err(e) => return log_end(peer, "waiting for a message", &e),
        }
        if reader.waited_for_budget() {
            reader.get_mut().restart_message();
        } else {
            reader.get_mut().start_message();
        }
        let header = match input.read_message_begin() {
            Ok(h) => h,
            Err(e) => return log_end(peer, "reading a message header", &e),
        };
        if !matches!(header.kind, MessageType::Call | MessageType::Oneway) {
            log::info!(
                "{peer}: unexpected {:?} message '{}' from a client; closing",
                header.kind,
                header.name
            );
            return;
        }
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            processor.process(&header, &mut input, &mut output)
        }));
        match outcome {
            Ok(Ok(())) => {}
            Ok(Err(Error::Application(e))) => {
                // No reply went out: answer with this exception instead.
                output.transport_mut().discard();
                if header.kind == MessageType::Call {
                    if let Err(e) = write_exception(&mut output, &header.name, header.seqid, &e) {
                        return log_end(peer, "writing a reply", &e);
                    }
                }
            }
            Ok(Err(e @ Error::Protocol(_))) => {
                output.transport_mut().discard();
                if !input.transport().can_resync() {
                    return log_end(peer, "reading a request", &e);
                }
                log::info!("{peer}: bad request skipped: {e}");
            }
            Ok(Err(e)) => return log_end(peer, "handling a request", &e),
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
                    let _ = write_exception(&mut output, &header.name, header.seqid, &e);
                }
                // The input may be anywhere inside the message.
                return;
            }
        }
        if let Err(e) = input.transport_mut().end_message() {
            return log_end(peer, "skipping the rest of a frame", &e);
        }
    }
}

/// Logs why a connection ends: quietly for ends and timeouts, louder for
/// malformed input.
fn log_end(peer: std::net::SocketAddr, doing: &str, e: &Error) {
    match e {
        Error::Transport(_) => log::debug!("{peer}: closing while {doing}: {e}"),
        _ => log::info!("{peer}: closing while {doing}: {e}"),
    }
}
