//! Generates the Bench service from `fixtures/bench/bench.thrift` into
//! `$OUT_DIR`.
//!
//! Sets and maps are kept in wire order (option `wire_order`: the runtime's
//! `VecSet`/`VecMap`): the load generator sends them unique and sorted, so
//! reading them needs no hashing or ordering (about 4,000 fewer
//! instructions per `echo` than `BTreeSet`/`BTreeMap`), and replies keep
//! the order it sent, which spares it the order-insensitive comparison and
//! so leaves more of the shared cores to the server.
//!
//! `blob`'s argument and result are `Bytes` (option `bytes`): the 64 KiB
//! value is read from the request without a copy and sent from where it
//! is.
//!
//! `echo` is served through the view handler (option `views`, path
//! `Bench.echo`): its `Payload` arrives as a `PayloadRef` read in place
//! from the server's read buffer and goes back borrowed, so no string or
//! binary of it is copied or allocated (about 18% fewer user-space
//! instructions per call than the owned handler).
//!
//! Its lists, set and map stay undecoded (option `lazy`: the runtime's
//! `LazyList`/`LazySet`/`LazyMap`): checked when the request is read,
//! copied whole into the reply. An `echo` then costs about 6,800
//! user-space instructions instead of 12,700 (callgrind, whole server).
//!
//! The async flavour (option `async_services`) is served with `--async`,
//! with views too: `echo` is served through `BenchAsyncViewHandler`, whose
//! `PayloadRef` borrows the bytes of the call.

fn main() -> Result<(), thriftc::Error> {
    thriftc::Builder::new()
        .file("../../fixtures/bench/bench.thrift")
        .gen_client(false)
        .wire_order(["."])
        .bytes(["Bench.blob", "Bench.blob.data"])
        .views(["Bench.echo"])
        .lazy(["."])
        .async_services(true)
        .compile()
}
