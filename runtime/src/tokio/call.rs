//! The server side of an async call: one received message ([`Call`]), what
//! goes back ([`Reply`]), and the [`AsyncProcessor`] trait between them.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::codec::{Decode, Encode};
use crate::error::ApplicationError;
use crate::protocol::MessageHeader;

/// A boxed, sendable future: what [`AsyncProcessor::process`] returns, so
/// processors of different services can sit behind `dyn`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One whole CALL or ONEWAY message the server received: its header, and its
/// arguments still encoded.
#[derive(Debug)]
pub struct Call {
    header: MessageHeader,
}

impl Call {
    /// The message header (the method name without any `Service:` prefix).
    pub fn header(&self) -> &MessageHeader {
        &self.header
    }

    /// Decodes the arguments struct. On failure, the reply to send instead
    /// (`PROTOCOL_ERROR` for a CALL, nothing for a ONEWAY message).
    #[allow(clippy::result_large_err)]
    pub fn args<A: Decode>(&self) -> Result<A, Reply> {
        todo!()
    }

    /// The reply to a CALL: the result struct, or the application error
    /// (an EXCEPTION message); for a ONEWAY message nothing (a failure is
    /// logged).
    pub fn reply<R: Encode>(self, result: Result<R, ApplicationError>) -> Reply {
        let _ = result;
        todo!()
    }

    /// The end of a ONEWAY method: nothing is sent; a failure is logged.
    pub fn oneway(self, result: Result<(), ApplicationError>) -> Reply {
        let _ = result;
        todo!()
    }

    /// The reply to a method the processor does not have: `UNKNOWN_METHOD`
    /// "Invalid method name: 'x'" (nothing for a ONEWAY message).
    pub fn unknown_method(self) -> Reply {
        todo!()
    }
}

/// What the server sends back for one [`Call`]: a whole encoded message, or
/// nothing (ONEWAY).
#[derive(Debug)]
pub struct Reply {}

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
/// processor per service, as [`crate::processor::Multiplexed`] does for
/// blocking ones.
#[derive(Default)]
pub struct AsyncMultiplexed {}
