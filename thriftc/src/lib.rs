//! thriftc: a Thrift IDL compiler for Rust.

pub mod ast;
pub mod codegen;
pub mod diagnostic;
pub mod ir;
pub mod parse;
pub mod sema;
pub mod source;
