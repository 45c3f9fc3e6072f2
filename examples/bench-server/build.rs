//! Generates the Bench service from `fixtures/bench/bench.thrift` into
//! `$OUT_DIR`.
//!
//! Sets and maps are `BTreeSet`/`BTreeMap`: the same server CPU per `echo`
//! as hash collections in our measurements, and replies keep the order the
//! load generator sent (sorted), which spares it the order-insensitive
//! comparison and so leaves more of the shared cores to the server.

fn main() -> Result<(), thriftc::Error> {
    thriftc::Builder::new()
        .file("../../fixtures/bench/bench.thrift")
        .gen_client(false)
        .btree_all(true)
        .compile()
}
