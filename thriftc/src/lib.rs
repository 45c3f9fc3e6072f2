//! thriftc: a Thrift IDL compiler for Rust.

pub mod ast;
pub mod builder;
pub mod codegen;
pub mod diagnostic;
pub mod dump;
pub mod ir;
pub mod options;
pub mod parse;
pub mod sema;
pub mod source;

pub use builder::{Builder, Error, compile};
pub use codegen::GeneratedFile;
pub use diagnostic::{Diagnostic, Diagnostics, Severity};
pub use options::Options;
pub use sema::{Failed, FileSystem, Loaded, MemoryFs, RealFs, load, load_str, load_with};
