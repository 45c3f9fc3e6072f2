//! Recovery after a syntax error: which text to set aside so that parsing
//! can go on, and which names that text defined.
//!
//! The grammar parses a whole file or fails; pest keeps no partial tree.
//! After a failure, [`super::parse`] learns where the complete items at the
//! start of the file end (the `items` rule), and this module takes it from
//! there:
//!
//! - the broken item starts at the first token after them ([`skip_trivia`]);
//! - it runs up to the next token that starts a header or definition at
//!   the start of a line, or after a `}` or `;`, and lies at or past where
//!   the error was found ([`resume_at`]);
//! - that region is replaced by a comment of the same byte length
//!   ([`blank`]), so that every later offset, and with it every span, line
//!   and column, stays what it was in the file, and the file is parsed
//!   again.
//!
//! The names the region defined are kept ([`skipped_names`]), so that uses
//! of them elsewhere are not reported as undefined: the syntax error is the
//! one to fix.
//!
//! The scan here is lexical: it knows comments and strings, and nothing of
//! the grammar. A string ends at the end of its line for the scan (a
//! missing closing quote is a likelier mistake than a string spanning
//! lines that holds a line starting with a keyword).

use crate::ast::Ident;
use crate::source::{FileId, Span};
use std::ops::Range;

/// The words that start a header or a definition: the first of the
/// grammar's keywords.
const ITEM_KEYWORDS: &[&str] = super::KEYWORDS.split_at(11).0;

/// What a token is, as far as recovery cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// Letters, digits, `_` and `.`: names, keywords, numbers.
    Word,
    /// A quoted string (possibly unterminated).
    Str,
    /// Any other character.
    Punct,
}

/// One token: its byte range, its kind and whether only blanks and
/// comments stand between the start of its line and it.
#[derive(Clone, Copy, Debug)]
struct Token {
    start: usize,
    end: usize,
    kind: Kind,
    line_start: bool,
}

/// Splits `text[from..]` into tokens, skipping blanks and comments. An
/// unterminated block comment runs to the end of the text.
fn tokens(text: &str, from: usize) -> impl Iterator<Item = Token> + '_ {
    let bytes = text.as_bytes();
    let mut i = from;
    let mut line_start = from == 0 || bytes.get(from.wrapping_sub(1)) == Some(&b'\n');
    std::iter::from_fn(move || {
        loop {
            let after = skip_one_trivia(bytes, i)?;
            if after == i {
                break;
            }
            if bytes[i..after].contains(&b'\n') {
                line_start = true;
            }
            i = after;
        }
        let start = i;
        let c = *bytes.get(i)?;
        let kind = if c.is_ascii_alphanumeric() || c == b'_' {
            while bytes
                .get(i)
                .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'.')
            {
                i += 1;
            }
            Kind::Word
        } else if c == b'"' || c == b'\'' {
            i += 1;
            while let Some(&b) = bytes.get(i) {
                if b == b'\\' {
                    i += 2;
                } else if b == c {
                    i += 1;
                    break;
                } else if b == b'\n' {
                    break;
                } else {
                    i += 1;
                }
            }
            Kind::Str
        } else {
            // One character, whole (it may take several bytes).
            i += text[i..].chars().next().map_or(1, char::len_utf8);
            Kind::Punct
        };
        i = i.min(bytes.len());
        // Keep the end on a character boundary (an escape may end in the
        // middle of a multi-byte character).
        while !text.is_char_boundary(i) {
            i += 1;
        }
        let token = Token {
            start,
            end: i,
            kind,
            line_start,
        };
        line_start = false;
        Some(token)
    })
}

/// Skips one blank or one comment at `i`: the offset after it, `i` itself
/// when none starts there, `None` at the end of the text.
fn skip_one_trivia(bytes: &[u8], i: usize) -> Option<usize> {
    let c = *bytes.get(i)?;
    Some(match c {
        b' ' | b'\t' | b'\r' | b'\n' => i + 1,
        // A byte-order mark (U+FEFF) counts as blank, as in the grammar.
        0xEF if bytes.get(i + 1..i + 3) == Some(&[0xBB, 0xBF]) => i + 3,
        b'#' => line_end(bytes, i),
        b'/' if bytes.get(i + 1) == Some(&b'/') => line_end(bytes, i),
        b'/' if bytes.get(i + 1) == Some(&b'*') => {
            block_comment_end(bytes, i).unwrap_or(bytes.len())
        }
        _ => i,
    })
}

/// The offset of the `\n` that ends the line holding `i` (or the end).
fn line_end(bytes: &[u8], i: usize) -> usize {
    bytes[i..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |p| i + p)
}

/// The offset after the `*/` closing the block comment that starts at `i`;
/// `None` when it is never closed.
fn block_comment_end(bytes: &[u8], i: usize) -> Option<usize> {
    bytes
        .get(i + 2..)?
        .windows(2)
        .position(|w| w == b"*/")
        .map(|p| i + 2 + p + 2)
}

/// Where the broken item starts: the first token at or after `from` (the
/// end of the items that parsed). An unterminated block comment is itself
/// the broken item. `None` when only blanks and comments are left.
pub(super) fn skip_trivia(text: &str, from: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = from.min(bytes.len());
    loop {
        if bytes.get(i..i + 2) == Some(b"/*") && block_comment_end(bytes, i).is_none() {
            return Some(i);
        }
        let after = skip_one_trivia(bytes, i)?;
        if after == i {
            return Some(i);
        }
        i = after;
    }
}

/// A string or block comment that is never closed, by where it starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Unclosed {
    /// A string opened by the quote at this offset.
    Str(usize),
    /// A block comment opened by the `/*` at this offset.
    Comment(usize),
}

/// The first string or block comment at or after `from` (a token boundary)
/// that is never closed, read as the grammar reads them: a string may span
/// lines, a `\\` escapes the character after it.
pub(super) fn unclosed(text: &str, from: usize) -> Option<Unclosed> {
    let mut found = None;
    scan_strings(text, from, |start, end| {
        if end.is_none() {
            found = Some(Unclosed::Str(start));
        }
        end.is_none()
    })
    .map(Unclosed::Comment)
    .or(found)
}

/// The last string that opens in `text[from..to]` and spans lines (read
/// as the grammar reads strings): its opening quote and its end. Where an
/// error follows one on the line it ends, its closing quote is likely
/// missing (the string then ends at the opening quote of a later one).
pub(super) fn multiline_string(text: &str, from: usize, to: usize) -> Option<(usize, usize)> {
    let mut found = None;
    scan_strings(text, from, |start, end| {
        if start >= to {
            return true;
        }
        if let Some(end) = end.filter(|&end| text[start..end].contains('\n')) {
            found = Some((start, end));
        }
        false
    });
    found
}

/// Calls `visit` with the start and end (`None`: never closed) of each
/// string from `from` on, skipping comments, until it returns true. The
/// start of a block comment never closed, if the scan gets there.
fn scan_strings(
    text: &str,
    from: usize,
    mut visit: impl FnMut(usize, Option<usize>) -> bool,
) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = from;
    while i < bytes.len() {
        match bytes[i] {
            quote @ (b'"' | b'\'') => {
                let start = i;
                i += 1;
                let end = loop {
                    match bytes.get(i) {
                        None => break None,
                        Some(b'\\') => i += 2,
                        Some(&b) if b == quote => break Some(i + 1),
                        Some(_) => i += 1,
                    }
                };
                if visit(start, end) {
                    return None;
                }
                i = end.unwrap_or(bytes.len());
            }
            b'#' => i = line_end(bytes, i),
            b'/' if bytes.get(i + 1) == Some(&b'/') => i = line_end(bytes, i),
            b'/' if bytes.get(i + 1) == Some(&b'*') => match block_comment_end(bytes, i) {
                Some(end) => i = end,
                None => return Some(i),
            },
            _ => i += 1,
        }
    }
    None
}

/// Where parsing resumes after a broken item starting at `start`, whose
/// error was found at `error`: the first token past `start`, at or past
/// `error`, that starts a header or definition and begins a line or follows
/// a `}` or `;`. The end of the text when there is none.
pub(super) fn resume_at(text: &str, start: usize, error: usize) -> usize {
    let mut previous: Option<Token> = None;
    for token in tokens(text, start) {
        if token.start > start
            && token.start >= error
            && token.kind == Kind::Word
            && ITEM_KEYWORDS.contains(&&text[token.start..token.end])
        {
            let after_close = previous.is_some_and(|p| {
                p.kind == Kind::Punct && matches!(&text[p.start..p.end], "}" | ";")
            });
            if token.line_start || after_close {
                return token.start;
            }
        }
        previous = Some(token);
    }
    text.len()
}

/// The `{` from `from` on that no `}` closes, outermost first: where a
/// file ending inside an item opened its body (of a struct, service,
/// enum, or a constant's map).
pub(super) fn unclosed_braces(text: &str, from: usize) -> Vec<usize> {
    let mut open = Vec::new();
    for token in tokens(text, from).filter(|t| t.kind == Kind::Punct) {
        match &text[token.start..token.end] {
            "{" => open.push(token.start),
            "}" => {
                open.pop();
            }
            _ => {}
        }
    }
    open
}

/// Replaces `text[region]` by a comment of the same byte length (blanks if
/// it is too short for one), so that offsets after it do not move.
pub(super) fn blank(text: &mut String, region: Range<usize>) {
    let len = region.len();
    let filler = if len >= 4 {
        format!("/*{}*/", " ".repeat(len - 4))
    } else {
        " ".repeat(len)
    };
    text.replace_range(region, &filler);
}

/// What a region set aside defined: the names of its definitions (those
/// that can be read), and whether it held an `include`.
pub(super) fn skipped_names(file: FileId, text: &str, region: Range<usize>) -> (Vec<Ident>, bool) {
    let Some(slice) = text.get(..region.end) else {
        return (Vec::new(), false);
    };
    let tokens: Vec<Token> = tokens(slice, region.start).collect();
    let word = |t: &Token| (t.kind == Kind::Word).then(|| &slice[t.start..t.end]);
    let punct = |t: Option<&Token>, c: &str| {
        t.is_some_and(|t| t.kind == Kind::Punct && &slice[t.start..t.end] == c)
    };
    let mut names = Vec::new();
    let mut include = false;
    let mut i = 0;
    while i < tokens.len() {
        let keyword = word(&tokens[i]).unwrap_or("");
        i += 1;
        let name_at = match keyword {
            "include" => {
                include = true;
                continue;
            }
            "enum" | "senum" | "struct" | "union" | "exception" | "service" => i,
            "const" | "typedef" => {
                // Skip the type: a word, container arguments in `<>`, a
                // `cpp_type "..."`, annotations in `()`.
                let mut j = i + 1;
                loop {
                    if tokens.get(j).and_then(word) == Some("cpp_type") {
                        j += 2;
                    } else if punct(tokens.get(j), "<") {
                        j = after_balanced(slice, &tokens, j, "<", ">");
                    } else if punct(tokens.get(j), "(") {
                        j = after_balanced(slice, &tokens, j, "(", ")");
                    } else {
                        break;
                    }
                }
                j
            }
            _ => continue,
        };
        let Some(token) = tokens.get(name_at) else {
            break;
        };
        if let Some(name) = word(token) {
            let is_name = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                && !name.contains('.')
                && !super::KEYWORDS.contains(&name);
            if is_name {
                names.push(Ident {
                    name: name.to_string(),
                    span: Span::new(file, token.start, token.end),
                });
            }
        }
    }
    (names, include)
}

/// The index after the token closing the bracket opened at `tokens[open]`.
fn after_balanced(text: &str, tokens: &[Token], open: usize, left: &str, right: &str) -> usize {
    let mut depth = 0usize;
    for (j, t) in tokens.iter().enumerate().skip(open) {
        let s = &text[t.start..t.end];
        if s == left {
            depth += 1;
        } else if s == right {
            depth = depth.saturating_sub(1);
            if depth == 0 {
                return j + 1;
            }
        }
    }
    tokens.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resumes_at_the_next_item_starting_a_line_or_after_a_brace() {
        let text = "struct A { 1 i32 x, 2: string service }\nstruct B {}";
        assert_eq!(resume_at(text, 0, 13), text.find("struct B").unwrap());
        let text = "struct A { 1 i32 x } struct B {}";
        assert_eq!(resume_at(text, 0, 13), text.find("struct B").unwrap());
        // Not inside comments or strings; the end when nothing follows.
        let text = "struct A { 1 i32 x } // struct B {}\n const string S = \"\n struct C";
        assert_eq!(resume_at(text, 0, 13), text.find("const").unwrap());
        assert_eq!(
            resume_at(text, text.find("const").unwrap(), 0),
            text.len() - 8
        );
        let text = "struct A { 1 i32 x /* struct B {} */";
        assert_eq!(resume_at(text, 0, 13), text.len());
        // Never the broken item's own keyword, nor one in the middle of a line.
        assert_eq!(resume_at("struct struct {}", 0, 0), 16);
    }

    #[test]
    fn the_broken_item_starts_after_blanks_and_comments() {
        assert_eq!(skip_trivia("  // x\n /* y */ struct", 0), Some(16));
        assert_eq!(skip_trivia("  /* never closed", 0), Some(2));
        assert_eq!(skip_trivia("  // nothing\n", 0), None);
        assert_eq!(skip_trivia("", 0), None);
    }

    #[test]
    fn unclosed_strings_and_comments_are_found() {
        let text = "const string S = \"a\\\"\nb\" // \"\nconst string T = 'x";
        assert_eq!(unclosed(text, 0), Some(Unclosed::Str(text.len() - 2)));
        let text = "# /*\nstruct A {} /* /* */ '\\'' /*";
        assert_eq!(unclosed(text, 0), Some(Unclosed::Comment(text.len() - 2)));
        assert_eq!(unclosed("struct A { 1: string s = \"\" }", 0), None);
        assert_eq!(unclosed("\"x\\", 0), Some(Unclosed::Str(0)));
    }

    #[test]
    fn strings_spanning_lines_are_found() {
        let text = "const string A = \"a\"\n// \"x\nconst string B = \"b\nc\" 'd\ne'";
        let b = text.find("\"b").unwrap();
        let d = text.find("'d").unwrap();
        assert_eq!(multiline_string(text, 0, text.len()), Some((d, d + 5)));
        assert_eq!(multiline_string(text, 0, d), Some((b, b + 5)));
        assert_eq!(multiline_string(text, 0, b), None);
        assert_eq!(multiline_string(text, d + 1, text.len()), None);
    }

    #[test]
    fn braces_never_closed_are_found_outermost_first() {
        let text = "struct A { 1: i32 x }\nservice S {\n  // }\n  void f(1: map<i32, i32> m = { 1: 2 \"}\"";
        let service = text.find("S {").unwrap() + 2;
        let map = text.find("= {").unwrap() + 2;
        assert_eq!(unclosed_braces(text, 0), [service, map]);
        assert_eq!(unclosed_braces(text, service + 1), [map]);
        assert_eq!(unclosed_braces("struct A { 1: i32 x }", 0), []);
        // More closing than opening braces: nothing is open.
        assert_eq!(unclosed_braces("} } {", 0), [4]);
    }

    #[test]
    fn blanking_keeps_the_length() {
        let mut text = "struct é { }\nenum".to_string();
        blank(&mut text, 0..13);
        assert_eq!(text, "/*         */\nenum");
        let mut text = "ab cd".to_string();
        blank(&mut text, 0..2);
        assert_eq!(text, "   cd");
    }

    #[test]
    fn names_of_skipped_definitions() {
        let text = "struct A { 1 i32 x }\nconst map<string, list<i32>> (a = \"b\") M = {}\n\
                    typedef list cpp_type \"x\" <i32> L\nservice S extends T {}\n\
                    include \"a.thrift\"\nenum { }\nstruct string {}";
        let (names, include) = skipped_names(FileId(0), text, 0..text.len());
        let names: Vec<&str> = names.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(names, ["A", "M", "L", "S"]);
        assert!(include);
        let (names, include) = skipped_names(FileId(0), "const", 0..5);
        assert!(names.is_empty() && !include);
    }
}
