//! Generates the calculator service (and the shared file it includes) into
//! `$OUT_DIR`, blocking and async flavours; `src/lib.rs` includes the
//! result.

fn main() -> Result<(), thriftc::Error> {
    thriftc::Builder::new()
        .file("idl/calculator.thrift")
        .async_services(true)
        .compile()
}
