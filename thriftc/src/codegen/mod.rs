//! Code generation: the resolved model to formatted Rust source files.
//!
//! Pipeline (each stage its own module): `plan` turns an [`ir::Program`]
//! into a Rust code model (all names decided by `names`); `items`
//! writes each planned item as formatted text into a `writer::Writer`;
//! `emit` joins a module's items under the `@generated` header.
//! [`generate`] runs all three; [`write_files`] writes the result.
//!
//! Why text is written directly: the output used to be built with `quote!`,
//! parsed back with syn and formatted with prettyplease. On the synthetic
//! bench IDL (8,086 lines; 9.3 MB, 242k lines of Rust out) those stages
//! cost about 200 ms (`quote!`), 600-900 ms (syn) and 185 ms (prettyplease)
//! of CPU, several times Apache's whole `thrift --gen rs` run (0.1 s).
//! Writing the same text directly takes about 17 ms on one thread (10 ms
//! on two), and `thriftc gen` went from 0.55 s to about 0.06 s wall
//! (Apache's: 0.10 s on the same machine, alternating runs).
//!
//! How the output stays prettyplease's layout: every item is a prettyplease
//! fixed point (formatting it again changes nothing). The goldens are
//! unchanged; the output of the `quote!` days differs only where
//! prettyplease itself is not idempotent (a match arm's body that reaches
//! the margin with the `;` prettyplease adds when it wraps it in braces),
//! which is now laid out as prettyplease lays out its own output.
//! `writer` and `layout` reproduce prettyplease's width decisions for
//! the constructs we generate, and each top-level item that the writer
//! cannot be sure about (a line too wide for its rules, user attributes,
//! container constants) goes through prettyplease (`format`, the safety
//! net: 2 of 16,497 items on the bench IDL). The parity tests render every
//! fixture, a reduced synthetic IDL and IDL with very long names and deep
//! nesting, and every construct with names of every length from 0 to 40
//! characters more, under several option sets: with the safety net off
//! each item the writer claims to lay out exactly must be a prettyplease
//! fixed point, and with it on the whole files must be, for any number of
//! threads; the goldens check the final files.
//!
//! Output: one `<module>.rs` per IDL file (module name from `namespace rs`,
//! else the file stem) and a `mod.rs` declaring them; generated code refers
//! to types of other files as `super::<module>::Type`, so the folder can be
//! mounted anywhere (`#[path = ".../mod.rs"] mod idl;`).

// The stages are public for the project's own tests and benchmarks, which
// drive them one by one; they are not part of the API and may change in any
// release. The API is `generate`, `GeneratedFile` and `write_files`.
#[doc(hidden)]
pub mod emit;
#[doc(hidden)]
pub mod format;
#[doc(hidden)]
pub mod items;
#[doc(hidden)]
pub mod layout;
#[doc(hidden)]
pub mod literals;
#[doc(hidden)]
pub mod names;
#[doc(hidden)]
pub mod plan;
#[doc(hidden)]
pub mod writer;

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::ir;
use crate::lint::Lint;
use crate::options::Options;
use std::fmt;

pub use emit::write_files;

/// One generated source file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// File name inside the output folder (`shared.rs`, `mod.rs`; the
    /// `Builder` puts its modules in a subfolder for an include file of
    /// another name: `greeter_idl/shared.rs`).
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

/// The warnings of generating `program` with `options`, each with its
/// [`Lint`]: paths that match nothing ([`Options::unmatched_paths`]), types
/// selected for a view that get none, options that conflict, names that
/// get a number in Rust. Those about a place in the IDL point at it. Only
/// the options' warnings when the options are themselves invalid
/// (generation reports that). Apply [`LintLevels`](crate::LintLevels)
/// to them as to the IDL's warnings.
pub fn warnings(program: &ir::Program, options: &Options) -> Diagnostics {
    let mut out = Diagnostics::new();
    for message in options.unmatched_paths(program) {
        out.push(Diagnostic::warning(message).lint(Lint::UnusedOption));
    }
    if let Ok(krate) = plan::plan(program, options) {
        for message in renamed_modules(program, &krate.modules) {
            out.push(Diagnostic::warning(message).lint(Lint::Renamed));
        }
        for d in krate.notes {
            out.push(d);
        }
    }
    // In the order of the IDL, whatever order planning found them in.
    out.sort();
    out
}

/// [`warnings`] as one line of text each: `file:line:col: message` for
/// those with a place.
#[deprecated(note = "use `codegen::warnings`, which gives each warning its lint and place")]
pub fn option_warnings(program: &ir::Program, options: &Options) -> Vec<String> {
    warnings(program, options)
        .iter()
        .map(|d| {
            let place = d
                .labels
                .iter()
                .find(|l| l.primary)
                .and_then(|l| {
                    let f = program.sources.try_get(l.span.file)?;
                    let (line, col) = f.line_col(l.span.start as usize);
                    Some(format!("{}:{line}:{col}: ", f.display))
                })
                .unwrap_or_default();
            format!("{place}{}", d.message)
        })
        .collect()
}

/// The modules whose name got a suffix (`common2`) because another IDL file
/// wanted the same one: which file gets which name then depends on the
/// order the files are given in, silently.
fn renamed_modules(program: &ir::Program, modules: &[plan::Module]) -> Vec<String> {
    let wanted = |m: &plan::Module| plan::wanted_module_name(program.file(m.file));
    let shown = |m: &plan::Module| {
        program
            .sources
            .try_get(program.file(m.file).source)
            .map_or_else(|| m.source_name.clone(), |f| f.display.clone())
    };
    let mut out = Vec::new();
    for m in modules {
        let want = wanted(m);
        if m.name.unraw() == want.unraw() {
            continue;
        }
        // The files that want the name too, or hold it.
        let others: Vec<String> = modules
            .iter()
            .filter(|o| {
                o.file != m.file
                    && (wanted(o).unraw() == want.unraw() || o.name.unraw() == want.unraw())
            })
            .map(|o| format!("`{}`", shown(o)))
            .collect();
        if others.is_empty() {
            continue;
        }
        out.push(format!(
            "the module of `{}` is named `{}`, not `{}`: {} also asks for `{}`, and the order \
             the files are given in decides which gets it; choose a module name with \
             `namespace rs <name>` in one of them",
            shown(m),
            m.name.unraw(),
            want.unraw(),
            others.join(", "),
            want.unraw()
        ));
    }
    out
}

#[cfg(test)]
mod parity_tests;
#[cfg(test)]
mod tests;
