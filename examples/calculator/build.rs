//! Generates the calculator service (and the shared file it includes) into
//! `$OUT_DIR`; `src/lib.rs` includes the result.

fn main() -> Result<(), thriftc::Error> {
    thriftc::Builder::new()
        .file("idl/calculator.thrift")
        .compile()
}
