//! Async services on tokio (feature `tokio`): an [`AsyncChannel`] that
//! generated async clients call through, the [`Call`] / [`Reply`] /
//! [`AsyncProcessor`] pieces that generated async processors are made of,
//! and clients ([`AsyncClient`], one call at a time; [`SharedClient`], one
//! connection that many tasks call through at once; [`SharedPool`], a few
//! such connections, opened again when they break) and a server
//! ([`AsyncServer`]) that carry them over TCP or, on Unix platforms, Unix
//! domain sockets ([`AsyncServerBuilder::bind_unix`];
//! [`Connector::unix`](crate::Connector::unix) with
//! [`connect_async`](crate::Connector::connect_async) or
//! [`connect_shared`](crate::Connector::connect_shared); [`SharedPool`]
//! over any connector). The clients and the server's connections are
//! generic over the stream ([`AsyncStream`]: tokio's `TcpStream`,
//! `UnixStream`, or [`AsyncSocket`] for either), so each kind has the same
//! code, compiled for it; only TCP sets `TCP_NODELAY`.
//!
//! The generator writes, per service and with its option `async_services`
//! (`Builder::async_services(true)`, `thriftc gen --async`), beside the
//! blocking code:
//! - `FooAsyncHandler`: one `fn m(&self, ..) -> impl Future<Output =
//!   Result<T, FooMError>> + Send` per function (implement it with
//!   `async fn`);
//! - `FooAsyncProcessor<H>`: an [`AsyncProcessor`];
//! - `FooAsyncClient<C: AsyncChannel>`: one `async fn` per function;
//! - with the option `views` too, `FooAsyncViewHandler` and
//!   `FooAsyncViewProcessor<H>`: the selected methods take views that
//!   borrow the call's bytes ([`Call::view_args`]) and may answer with
//!   views of them ([`Call::view_reply`]).
//!
//! Wire behaviour is the blocking runtime's: the same messages, the same
//! error replies (see [`crate::processor`]), the same reply checks (see
//! [`crate::client`]). Both sides read a message whole before decoding it
//! (a frame by its length; unframed, a check that follows the message's
//! structure as its bytes arrive), so no decode waits for the network and
//! no buffer is sized by a length the peer announces before its bytes are
//! there.
//!
//! A processor written by hand (generated ones look the same), served and
//! called:
//!
//! ```
//! use thriftc_runtime::tokio::{
//!     AsyncChannel, AsyncClient, AsyncProcessor, AsyncServer, BoxFuture, Call, Reply,
//! };
//! # use thriftc_runtime::protocol::{ProtocolRead, ProtocolWrite, TType};
//! # /// `struct { 1: i32 }`: stands for generated argument and result structs.
//! # struct Num(i32);
//! # impl thriftc_runtime::WireType for Num { const TTYPE: TType = TType::Struct; }
//! # impl thriftc_runtime::Encode for Num {
//! #     fn encode<P: ProtocolWrite + ?Sized>(&self, p: &mut P) -> thriftc_runtime::Result<()> {
//! #         p.write_struct_begin("Num")?;
//! #         p.write_field_begin("n", TType::I32, 1)?;
//! #         p.write_i32(self.0)?;
//! #         p.write_field_end()?;
//! #         p.write_field_stop()?;
//! #         p.write_struct_end()
//! #     }
//! # }
//! # impl thriftc_runtime::Decode for Num {
//! #     fn decode<P: ProtocolRead + ?Sized>(p: &mut P) -> thriftc_runtime::Result<Self> {
//! #         let mut n = 0;
//! #         p.read_struct_begin()?;
//! #         while let Some(f) = p.read_field_begin()? {
//! #             match f.ttype {
//! #                 TType::I32 => n = p.read_i32()?,
//! #                 t => p.skip(t)?,
//! #             }
//! #             p.read_field_end()?;
//! #         }
//! #         p.read_struct_end()?;
//! #         Ok(Num(n))
//! #     }
//! # }
//!
//! struct Doubler;
//!
//! impl AsyncProcessor for Doubler {
//!     fn process(&self, call: Call) -> BoxFuture<'_, Reply> {
//!         Box::pin(async move {
//!             match call.header().name.as_str() {
//!                 "double" => {
//!                     let args: Num = match call.args() {
//!                         Ok(args) => args,
//!                         Err(reply) => return reply, // PROTOCOL_ERROR
//!                     };
//!                     call.reply(Ok(Num(args.0 * 2)))
//!                 }
//!                 _ => call.unknown_method(),
//!             }
//!         })
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> thriftc_runtime::Result<()> {
//! let server = AsyncServer::builder(Doubler).bind("127.0.0.1:0").await?;
//! let (addr, handle) = (server.local_addr(), server.handle());
//! let serving = tokio::spawn(server.serve());
//!
//! let mut client = AsyncClient::connect(addr).await?;
//! let doubled: Num = client.call("double", &Num(21)).await?;
//! assert_eq!(doubled.0, 42);
//!
//! handle.stop(); // stops accepting, answers what has arrived, drains
//! serving.await.expect("the server task")?;
//! # Ok(()) }
//! ```

mod alarm;
mod call;
mod catch;
pub(crate) mod client;
mod inbox;
mod listener;
mod observe;
mod pool;
mod server;
mod shared;
mod stop;
pub(crate) mod stream;
mod whole;

pub use call::{AsyncMultiplexed, AsyncProcessor, BoxFuture, Call, Reply};
pub use client::AsyncClient;
pub use pool::SharedPool;
pub use server::{ABORT_GRACE, AsyncServer, AsyncServerBuilder, AsyncServerHandle};
pub use shared::SharedClient;
pub use stream::{AsyncSocket, AsyncStream};

/// A configured timeout as the async side applies it: zero means no
/// limit, as on the blocking side (whose sockets take no zero timeout),
/// rather than a deadline that has always passed.
pub(crate) fn limit(t: Option<std::time::Duration>) -> Option<std::time::Duration> {
    t.filter(|d| !d.is_zero())
}

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
