//! Generates Rust for `idl/greeter.thrift` (and `idl/common/people.thrift`,
//! which it includes) into `$OUT_DIR`.
//!
//! thriftc prints `cargo:rerun-if-changed` for both IDL files, so cargo runs
//! this script again when one of them changes, and only then. An error in
//! the IDL fails the build with the same `file:line:col` report as
//! `thriftc check`.

fn main() -> Result<(), thriftc::Error> {
    thriftc::compile(&["idl/greeter.thrift"], &["idl/common"])
}
