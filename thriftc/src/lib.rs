//! thriftc: a Thrift IDL compiler for Rust.

pub mod ir;
pub mod source;
