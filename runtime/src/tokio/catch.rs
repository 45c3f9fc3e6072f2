//! Panics in processors and handlers: [`CatchUnwind`] turns a panic while a
//! future is made or polled into a value, and [`guarded`] answers one as
//! the blocking server does (`INTERNAL_ERROR`, nothing for ONEWAY).

use std::any::Any;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

use super::call::{AsyncProcessor, BoxFuture, Call, Reply};
use crate::protocol::MessageHeader;

/// A future whose panics while polled are caught and returned as `Err`
/// (the future is dropped then and never polled again).
pub(crate) struct CatchUnwind<'a, T>(Option<BoxFuture<'a, T>>);

impl<'a, T> CatchUnwind<'a, T> {
    pub(crate) fn new(future: BoxFuture<'a, T>) -> CatchUnwind<'a, T> {
        CatchUnwind(Some(future))
    }
}

impl<T> Future for CatchUnwind<'_, T> {
    type Output = Result<T, Box<dyn Any + Send>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let Some(future) = self.0.as_mut() else {
            return Poll::Pending;
        };
        match catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(value)) => {
                self.0 = None;
                Poll::Ready(Ok(value))
            }
            Err(panic) => {
                self.0 = None;
                Poll::Ready(Err(panic))
            }
        }
    }
}

/// Runs `processor` on `call`; a panic, while the future is made or
/// polled, becomes the `INTERNAL_ERROR` reply to the call under the name
/// it has here (nothing for ONEWAY).
pub(crate) async fn guarded(processor: &dyn AsyncProcessor, call: Call) -> Reply {
    guarded_in(processor, call, &mut String::new()).await
}

/// [`guarded`], keeping the call's name for a panic's reply in `name` (a
/// buffer reused from call to call: no allocation per call).
pub(crate) async fn guarded_in(
    processor: &dyn AsyncProcessor,
    call: Call,
    name: &mut String,
) -> Reply {
    let (kind, seqid, wire, in_step) = call.parts();
    name.clone_from(&call.header().name);
    let outcome = match catch_unwind(AssertUnwindSafe(|| processor.process(call))) {
        Ok(future) => CatchUnwind::new(future).await,
        Err(panic) => Err(panic),
    };
    let reply = outcome.unwrap_or_else(|panic| {
        let header = MessageHeader {
            name: std::mem::take(name),
            kind,
            seqid,
        };
        Call::panicked(&header, wire, in_step, panic.as_ref())
    });
    // A long name (a peer may send one up to the message size limit) is
    // not kept for the rest of the connection.
    if name.capacity() > NAME_KEEP {
        *name = String::new();
    }
    reply
}

/// The largest name buffer kept from one call to the next (by
/// [`guarded_in`], and by a connection for the next call's name).
pub(crate) const NAME_KEEP: usize = 256;
