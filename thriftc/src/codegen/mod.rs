//! Code generation: the resolved model to formatted Rust source files.
//!
//! Pipeline (each stage its own module): [`plan`] turns an [`ir::Program`]
//! into a Rust code model (all names decided by [`names`]); [`items`]
//! renders each planned item with `quote!`; [`emit`] parses the tokens with
//! syn, formats with prettyplease and adds the `@generated` header. [`generate`] runs all
//! three; [`emit::write_files`] writes the result.
//!
//! Output: one `<module>.rs` per IDL file (module name from `namespace rs`,
//! else the file stem) and a `mod.rs` declaring them; generated code refers
//! to types of other files as `super::<module>::Type`, so the folder can be
//! mounted anywhere (`#[path = ".../mod.rs"] mod idl;`).

pub mod emit;
pub mod format;
pub mod items;
pub mod layout;
pub mod names;
pub mod plan;
pub mod writer;

use crate::ir;
use crate::options::Options;
use std::fmt;

pub use emit::write_files;

/// One generated source file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// File name inside the output folder (`shared.rs`, `mod.rs`).
    pub name: String,
    /// The file's text: formatted Rust source.
    pub contents: String,
}

/// Code generation failures (the input is already valid IDL).
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// An option value is not usable (an attribute or path that does not
    /// parse as Rust).
    BadOption(String),
    /// The generator produced code that does not parse: a bug.
    Internal(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::BadOption(s) => write!(f, "invalid option: {s}"),
            Error::Internal(s) => write!(f, "internal error in code generation: {s}"),
        }
    }
}

impl std::error::Error for Error {}

/// Generates the Rust files of a program.
pub fn generate(program: &ir::Program, options: &Options) -> Result<Vec<GeneratedFile>, Error> {
    let krate = plan::plan(program, options)?;
    emit::emit(&krate, program)
}

#[cfg(test)]
mod parity_tests;
#[cfg(test)]
mod tests;
