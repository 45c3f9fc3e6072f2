//! Generates the Bench service from `fixtures/bench/bench.thrift` into
//! `$OUT_DIR`.
//!
//! Sets and maps are `BTreeSet`/`BTreeMap`: the same server CPU per `echo`
//! as hash collections in our measurements, and replies keep the order the
//! load generator sent (sorted), which spares it the order-insensitive
//! comparison and so leaves more of the shared cores to the server.
//!
//! `blob`'s argument and result are `Bytes` (option `bytes`): the 64 KiB
//! value is read from the request without a copy and sent from where it
//! is.

fn main() -> Result<(), thriftc::Error> {
    thriftc::Builder::new()
        .file("../../fixtures/bench/bench.thrift")
        .gen_client(false)
        .btree_all(true)
        .bytes(["Bench.blob", "Bench.blob.data"])
        .views(["Bench.echo"])
        .compile()
}
