//! Generates the Bench service from `fixtures/bench/bench.thrift` into
//! `$OUT_DIR`.

fn main() -> Result<(), thriftc::Error> {
    thriftc::Builder::new()
        .file("../../fixtures/bench/bench.thrift")
        .gen_client(false)
        .compile()
}
