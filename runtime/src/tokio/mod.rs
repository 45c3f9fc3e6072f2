//! Async services on tokio (feature `tokio`): an [`AsyncChannel`] that
//! generated async clients call through, and the [`Call`] / [`Reply`] /
//! [`AsyncProcessor`] pieces that generated async processors are made of.
//!
//! The generator writes, per service and with its option `async_services`
//! (`Builder::async_services(true)`, `thriftc gen --async`), beside the
//! blocking code:
//! - `FooAsyncHandler`: one `fn m(&self, ..) -> impl Future<Output =
//!   Result<T, FooMError>> + Send` per function (implement it with
//!   `async fn`);
//! - `FooAsyncProcessor<H>`: an [`AsyncProcessor`];
//! - `FooAsyncClient<C: AsyncChannel>`: one `async fn` per function.
//!
//! Wire behaviour is the blocking runtime's: the same messages, the same
//! error replies (see [`crate::processor`]), the same reply checks (see
//! [`crate::client`]).

mod call;
pub(crate) mod client;
mod inbox;
mod server;

pub use call::{AsyncMultiplexed, AsyncProcessor, BoxFuture, Call, Reply};
pub use client::AsyncClient;
pub use server::{AsyncServer, AsyncServerBuilder, AsyncServerHandle};

use std::future::Future;

use crate::client::Multiplexed;
use crate::codec::{Decode, Encode};
use crate::error::Result;

/// Something that makes calls asynchronously: an async client, a `&mut`
/// one, or a [`Multiplexed`] view of one. Generated async clients are
/// generic over it.
pub trait AsyncChannel: Send {
    /// Sends a CALL of `method` with the arguments struct `args` and returns
    /// the decoded result struct `R` (declared exceptions are fields of it).
    /// Errors as [`Channel::call`](crate::Channel::call).
    fn call<A: Encode + Sync, R: Decode + Send>(
        &mut self,
        method: &str,
        args: &A,
    ) -> impl Future<Output = Result<R>> + Send;

    /// Sends a ONEWAY message; no reply is read.
    fn call_oneway<A: Encode + Sync>(
        &mut self,
        method: &str,
        args: &A,
    ) -> impl Future<Output = Result<()>> + Send;
}

impl<C: AsyncChannel + ?Sized> AsyncChannel for &mut C {
    fn call<A: Encode + Sync, R: Decode + Send>(
        &mut self,
        method: &str,
        args: &A,
    ) -> impl Future<Output = Result<R>> + Send {
        (**self).call(method, args)
    }

    fn call_oneway<A: Encode + Sync>(
        &mut self,
        method: &str,
        args: &A,
    ) -> impl Future<Output = Result<()>> + Send {
        (**self).call_oneway(method, args)
    }
}

impl<C: AsyncChannel> AsyncChannel for Multiplexed<C> {
    async fn call<A: Encode + Sync, R: Decode + Send>(
        &mut self,
        method: &str,
        args: &A,
    ) -> Result<R> {
        let name = format!("{}:{method}", self.service());
        self.inner_mut().call(&name, args).await
    }

    async fn call_oneway<A: Encode + Sync>(&mut self, method: &str, args: &A) -> Result<()> {
        let name = format!("{}:{method}", self.service());
        self.inner_mut().call_oneway(&name, args).await
    }
}
