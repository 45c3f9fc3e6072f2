//! thriftc: a Thrift IDL compiler for Rust.

pub mod ast;
pub mod codegen;
pub mod diagnostic;
pub mod ir;
pub mod options;
pub mod parse;
pub mod sema;
pub mod source;
pub mod dump;

pub use diagnostic::{Diagnostic, Diagnostics, Severity};
pub use sema::{Failed, FileSystem, Loaded, MemoryFs, RealFs, load, load_str, load_with};
