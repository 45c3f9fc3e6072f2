//! The text writer items render into: lines at an indentation, in the
//! layout prettyplease gives the same code.
//!
//! Generated code is written as formatted text directly (no token streams,
//! no syntax trees): `thriftc gen` spent most of its time parsing tokens
//! with syn and formatting them with prettyplease. The writer keeps the
//! output identical to prettyplease's by two means:
//!
//! - Layout rules. prettyplease breaks a group of tokens over several lines
//!   only when it does not fit in its margin ([`MARGIN`] columns, at least
//!   [`MIN_SPACE`] past the indentation), or when it must (blocks, and struct
//!   literals wider than [`STRUCT_LIT_MAX`]). Renderers write the one-line
//!   form of a group that fits, and the helpers in [`super::layout`] make
//!   the width decisions prettyplease makes for the constructs we generate.
//! - A safety net. Each top-level item is checked when it ends: if a line
//!   written without an exact width decision is too wide to be sure it is
//!   laid out as prettyplease would, or the item holds a construct the
//!   renderers do not lay out exactly (user attributes, container
//!   constants), the item's text (valid Rust either way) is formatted by
//!   prettyplease ([`super::format`]). Doc comments are exempt from the
//!   width check: prettyplease prints `#[doc]` attributes as `///` lines as
//!   they are.

use super::Error;
use std::fmt::{self, Write as _};

/// prettyplease's line width.
pub const MARGIN: usize = 89;
/// prettyplease's least room after the indentation, however deep.
pub const MIN_SPACE: usize = 60;
/// One level of indentation.
pub const INDENT: usize = 4;
/// A struct literal wider than this (from its path to the space before the
/// closing brace) is always broken over lines by prettyplease.
pub const STRUCT_LIT_MAX: usize = 34;

/// Does text ending at column `end` (counted from the line start) fit on a
/// line indented by `indent`?
pub fn fits(indent: usize, end: usize) -> bool {
    end.saturating_sub(indent) <= MARGIN.saturating_sub(indent).max(MIN_SPACE)
}

/// Counts of how items were written.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    /// Top-level Rust items written.
    pub items: usize,
    /// Of those, items the safety net formatted with prettyplease.
    pub reformatted: usize,
}

/// Where a top-level item's text is in [`Writer::finish`]'s result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemSpan {
    /// Byte range of the item's text.
    pub range: (usize, usize),
    /// Laid out by the writer alone (not by the safety net).
    pub exact: bool,
}

/// Formatted Rust text under construction.
pub struct Writer {
    out: String,
    indent: usize,
    item_start: usize,
    /// The current item is laid out exactly so far.
    exact: bool,
    safety_net: bool,
    stats: Stats,
    spans: Vec<ItemSpan>,
    error: Option<Error>,
}

impl Writer {
    /// An empty writer. With `safety_net` false, items are kept as written
    /// even when they may differ from prettyplease's layout (for tests of
    /// the direct path).
    pub fn new(safety_net: bool) -> Writer {
        Writer::with_capacity(safety_net, 16 << 10)
    }

    /// [`Writer::new`] with room for `capacity` bytes of text.
    pub fn with_capacity(safety_net: bool, capacity: usize) -> Writer {
        Writer {
            out: String::with_capacity(capacity),
            indent: 0,
            item_start: 0,
            exact: true,
            safety_net,
            stats: Stats::default(),
            spans: Vec::new(),
            error: None,
        }
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.out.len()
    }

    /// Nothing written yet.
    pub fn is_empty(&self) -> bool {
        self.out.is_empty()
    }

    /// The current indentation.
    pub fn indent(&self) -> usize {
        self.indent
    }

    /// Indents the following lines one level more.
    pub fn indent_in(&mut self) {
        self.indent += INDENT;
    }

    /// Indents the following lines one level less.
    pub fn indent_out(&mut self) {
        self.indent -= INDENT;
    }

    /// Writes one line from format arguments; its width is checked.
    pub fn ln(&mut self, args: fmt::Arguments<'_>) {
        let start = self.out.len();
        self.push_indent();
        let _ = self.out.write_fmt(args);
        self.check(start);
        self.out.push('\n');
    }

    /// Writes one line; its width is checked.
    pub fn line(&mut self, text: &str) {
        let start = self.out.len();
        self.push_indent();
        self.out.push_str(text);
        self.check(start);
        self.out.push('\n');
    }

    /// Writes one line whose layout the caller decided exactly (it may be
    /// one column wider than the margin: prettyplease does not count a
    /// match arm's trailing comma).
    pub fn line_fitted(&mut self, text: &str) {
        self.push_indent();
        self.out.push_str(text);
        self.out.push('\n');
    }

    /// [`Writer::line`] from pieces.
    pub fn line_parts(&mut self, parts: &[&str]) {
        let start = self.out.len();
        self.push_indent();
        for p in parts {
            self.out.push_str(p);
        }
        self.check(start);
        self.out.push('\n');
    }

    /// [`Writer::line_fitted`] from pieces.
    pub fn line_fitted_parts(&mut self, parts: &[&str]) {
        self.push_indent();
        for p in parts {
            self.out.push_str(p);
        }
        self.out.push('\n');
    }

    /// Writes a line and indents the following ones.
    pub fn open(&mut self, text: &str) {
        self.line(text);
        self.indent += INDENT;
    }

    /// [`Writer::open`] from format arguments.
    pub fn open_fmt(&mut self, args: fmt::Arguments<'_>) {
        self.ln(args);
        self.indent += INDENT;
    }

    /// Unindents, then writes a line.
    pub fn close(&mut self, text: &str) {
        self.indent -= INDENT;
        self.line(text);
    }

    /// One `///` line (prettyplease prints a `#[doc = "..."]` attribute so).
    pub fn doc(&mut self, text: &str) {
        self.push_indent();
        self.out.push_str("///");
        self.out.push_str(text);
        self.out.push('\n');
    }

    /// Marks the current item as not laid out exactly: the safety net
    /// formats it.
    pub fn inexact(&mut self) {
        self.exact = false;
    }

    /// Starts a top-level item.
    pub fn begin_item(&mut self) {
        debug_assert_eq!(self.indent, 0, "items start at the left margin");
        self.item_start = self.out.len();
        self.exact = true;
    }

    /// Ends a top-level item; the safety net formats it if needed.
    pub fn end_item(&mut self) {
        self.stats.items += 1;
        if !self.exact {
            self.stats.reformatted += 1;
            if self.safety_net {
                self.reformat();
            }
        }
        self.spans.push(ItemSpan {
            range: (self.item_start, self.out.len()),
            exact: self.exact,
        });
    }

    fn reformat(&mut self) {
        match super::format::format_items(&self.out[self.item_start..]) {
            Ok(text) => {
                self.out.truncate(self.item_start);
                self.out.push_str(&text);
            }
            Err(e) => {
                if self.error.is_none() {
                    self.error = Some(e);
                }
            }
        }
    }

    /// The items written so far, in order.
    pub fn spans(&self) -> &[ItemSpan] {
        &self.spans
    }

    /// How the items were written.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// The text, or the first failure of the safety net (a bug: the text
    /// did not parse).
    pub fn finish(self) -> Result<String, Error> {
        match self.error {
            Some(e) => Err(e),
            None => Ok(self.out),
        }
    }

    fn push_indent(&mut self) {
        const SPACES: &str = "                                                                ";
        let mut n = self.indent;
        while n > 0 {
            let k = n.min(SPACES.len());
            self.out.push_str(&SPACES[..k]);
            n -= k;
        }
    }

    fn check(&mut self, start: usize) {
        if !fits(self.indent, self.out.len() - start) {
            self.exact = false;
        }
    }
}

/// Writes a line from format arguments: `wln!(w, "x = {};", v)`.
macro_rules! wln {
    ($w:expr, $($arg:tt)*) => {
        $w.ln(format_args!($($arg)*))
    };
}

/// Writes a line and indents: `wopen!(w, "impl {} {{", name)`.
macro_rules! wopen {
    ($w:expr, $($arg:tt)*) => {
        $w.open_fmt(format_args!($($arg)*))
    };
}

pub(crate) use {wln, wopen};
