//! Many tasks calling one async server (feature `tokio`), three ways:
//!
//! - `shared`: every task calls through one `SharedClient` connection (its
//!   requests pipelined, replies matched by seqid);
//! - `own_connection`: each task has an `AsyncClient` of its own;
//! - `one_at_a_time`: one `AsyncClient` makes all the calls in turn.
//!
//! Each iteration is 16 tasks × 32 calls of a small method, client and
//! server in this process on one multi-threaded runtime; compare the three
//! within one run.
//!
//! Run: `cargo bench -p thriftc-runtime --features tokio --bench shared_client`.

use std::net::SocketAddr;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use thriftc_runtime::protocol::{ProtocolRead, ProtocolWrite, TType};
use thriftc_runtime::tokio::{
    AsyncChannel, AsyncClient, AsyncProcessor, AsyncServer, BoxFuture, Call, Reply, SharedClient,
};
use thriftc_runtime::{Decode, Encode, Result, WireType};

const TASKS: i32 = 16;
const CALLS: i32 = 32;

/// `struct { 1: i32 }`: both the arguments and the result.
struct Num(i32);

impl WireType for Num {
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
        let mut n = 0;
        p.read_struct_begin()?;
        while let Some(f) = p.read_field_begin()? {
            match f.ttype {
                TType::I32 => n = p.read_i32()?,
                t => p.skip(t)?,
            }
            p.read_field_end()?;
        }
        p.read_struct_end()?;
        Ok(Num(n))
    }
}

/// Answers `n + 1`.
struct Increment;

impl AsyncProcessor for Increment {
    fn process(&self, call: Call) -> BoxFuture<'_, Reply> {
        Box::pin(async move {
            match call.args::<Num>() {
                Ok(n) => call.reply(Ok(Num(n.0 + 1))),
                Err(reply) => reply,
            }
        })
    }
}

/// `CALLS` calls through `client`, each answer checked.
async fn calls<C: AsyncChannel>(mut client: C, task: i32) {
    for i in 0..CALLS {
        let n = task * 1000 + i;
        let r: Num = client.call("inc", &Num(n)).await.expect("a call");
        assert_eq!(r.0, n + 1);
    }
}

async fn shared(client: &SharedClient) {
    let tasks: Vec<_> = (0..TASKS)
        .map(|t| tokio::spawn(calls(client.clone(), t)))
        .collect();
    for t in tasks {
        t.await.expect("a task");
    }
}

async fn own_connections(clients: &mut Vec<AsyncClient>) {
    let tasks: Vec<_> = clients
        .drain(..)
        .enumerate()
        .map(|(t, mut c)| {
            tokio::spawn(async move {
                calls(&mut c, t as i32).await;
                c
            })
        })
        .collect();
    for t in tasks {
        clients.push(t.await.expect("a task"));
    }
}

async fn one_at_a_time(client: &mut AsyncClient) {
    for t in 0..TASKS {
        calls(&mut *client, t).await;
    }
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let addr: SocketAddr = rt.block_on(async {
        let server = AsyncServer::builder(Increment)
            .bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = server.local_addr();
        tokio::spawn(server.serve());
        addr
    });
    let mut g = c.benchmark_group("16_tasks_x_32_calls");
    g.throughput(Throughput::Elements((TASKS * CALLS) as u64));

    let client = rt.block_on(SharedClient::connect(addr)).expect("connect");
    g.bench_function("shared", |b| b.iter(|| rt.block_on(shared(&client))));

    let mut clients: Vec<AsyncClient> = rt.block_on(async {
        let mut v = Vec::new();
        for _ in 0..TASKS {
            v.push(AsyncClient::connect(addr).await.expect("connect"));
        }
        v
    });
    g.bench_function("own_connection", |b| {
        b.iter(|| rt.block_on(own_connections(&mut clients)))
    });

    let mut single = rt.block_on(AsyncClient::connect(addr)).expect("connect");
    g.bench_function("one_at_a_time", |b| {
        b.iter(|| rt.block_on(one_at_a_time(&mut single)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
