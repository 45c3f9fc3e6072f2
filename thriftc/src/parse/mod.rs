//! The pest grammar and the lowering of its parse tree to the AST.
//!
//! [`parse`] is the whole stage: text in, [`ast::Document`] out, or
//! diagnostics. pest's `Pairs` never leave this module. A syntax error names
//! what was expected in Thrift words (`expected a field type or `}``), never
//! pest rule names: see `expected_name`.

mod lower;
mod recover;

use crate::ast;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::source::{FileId, Span};
use pest::Parser as _;
use pest::error::{ErrorVariant, InputLocation};
use std::collections::BTreeSet;
use std::sync::Mutex;

/// The parser generated from `grammar.pest`, in a private module so that
/// pest's `Rule` enum (one variant per grammar rule) stays an implementation
/// detail of this stage.
mod grammar {
    /// The pest parser generated from `grammar.pest`.
    #[derive(pest_derive::Parser)]
    #[grammar = "parse/grammar.pest"]
    pub(crate) struct ThriftParser;
}

use grammar::{Rule, ThriftParser};

/// At most this many syntax errors are reported per file; the rest of the
/// file is then skipped.
pub const MAX_SYNTAX_ERRORS: usize = 50;

/// Parses one file. Syntax errors (and errors found while lowering, such as
/// an integer literal too large) are pushed to `diags`.
///
/// A syntax error does not end the parse: the broken header or definition
/// is skipped, up to the next one that starts a line (see `recover.rs`),
/// and parsing goes on, so every syntax error of the file is reported (at
/// most [`MAX_SYNTAX_ERRORS`]). The document holds everything that parsed;
/// [`ast::Document::skipped`] names what did not.
///
/// ```
/// use std::path::Path;
/// use thriftc::Diagnostics;
/// use thriftc::ast::{DefinitionKind, Header};
/// use thriftc::parse::parse;
/// use thriftc::source::SourceMap;
///
/// let mut sources = SourceMap::new();
/// let text = "include \"shared.thrift\"\nstruct Point { 1: i32 x 2: i32 y }";
/// let file = sources.add(Path::new("point.thrift"), text.into());
/// let mut diags = Diagnostics::new();
/// let doc = parse(file, text, &mut diags);
/// assert!(diags.is_empty());
/// assert!(matches!(&doc.headers[0], Header::Include { path, .. } if path == "shared.thrift"));
/// assert!(matches!(&doc.definitions[0].kind, DefinitionKind::Struct { fields, .. } if fields.len() == 2));
///
/// let broken = "include \"shared.thrift\"\nstruct Point { 1: i32 }\nstruct Size { 1 i32 w }\nenum E { A }";
/// let file = sources.add(Path::new("broken.thrift"), broken.into());
/// let doc = parse(file, broken, &mut diags);
/// assert_eq!(diags.error_count(), 2);
/// assert_eq!((doc.headers.len(), doc.definitions.len()), (1, 1));
/// assert_eq!(doc.skipped.names[0].name, "Point");
/// assert_eq!(doc.skipped.names[1].name, "Size");
/// ```
pub fn parse(file: FileId, text: &str, diags: &mut Diagnostics) -> ast::Document {
    // The text as parsed: the file, with each broken item found so far
    // replaced by a comment of the same length.
    let mut work: Option<String> = None;
    let mut skipped = ast::Skipped::default();
    let mut errors = 0;
    loop {
        let current = work.as_deref().unwrap_or(text);
        let error = match ThriftParser::parse(Rule::document, current) {
            Ok(mut pairs) => {
                let Some(document) = pairs.next() else {
                    return empty_document(file, skipped);
                };
                return with_skipped(lower::lower_document(file, document, diags), skipped);
            }
            Err(error) => error,
        };
        let gave_up = matches!(error.variant, ErrorVariant::CustomError { .. });
        let mut d = syntax_error(file, current, error);
        let mut at = d.labels.first().map_or(0, |l| l.span.start as usize);
        // The items that parsed, and where the broken one starts.
        let (prefix, start, last_item) = match ThriftParser::parse(Rule::items, current) {
            Ok(mut pairs) => match pairs.next() {
                Some(items) => {
                    let end = items.as_span().end();
                    let last = items.clone().into_inner().last();
                    let last = last.map(|item| item.as_span().start());
                    (Some(items), recover::skip_trivia(current, end), last)
                }
                None => (None, None, None),
            },
            Err(_) => (None, None, None),
        };
        // Where the text to skip starts (the broken item, unless the item
        // before it is the cause).
        let mut skip_from = start;
        // A string or comment never closed swallows the rest of the file:
        // pest then fails at its end, which is not where the mistake is.
        let mut comment_to_end = false;
        if let Some(unclosed) = start
            .filter(|_| !gave_up)
            .and_then(|start| recover::unclosed(current, start))
        {
            let (opened, width, what, note) = match unclosed {
                recover::Unclosed::Str(i) => (
                    i,
                    1,
                    "string literal",
                    format!(
                        "a string ends at the next unescaped `{}`, even on a later line",
                        &current[i..i + 1]
                    ),
                ),
                recover::Unclosed::Comment(i) => (
                    i,
                    2,
                    "block comment",
                    "the rest of the file is in the comment: close it with `*/`".to_string(),
                ),
            };
            if opened < at {
                d = Diagnostic::error(format!("unterminated {what}"))
                    .primary(
                        Span::new(file, opened, opened + width),
                        "opened here and never closed",
                    )
                    .note(note);
                at = opened;
                comment_to_end = matches!(unclosed, recover::Unclosed::Comment(_));
            }
        }
        // A string running over lines (in the broken item or the one
        // before it) that ends on the line of the error may be missing its
        // closing quote, and have ended at the opening quote of a later
        // string: say so, and skip from the item holding it to the next
        // item after its first line.
        if let Some((open, end)) = start
            .filter(|_| !gave_up && !comment_to_end)
            .and_then(|start| recover::multiline_string(current, last_item.unwrap_or(start), at))
            .filter(|&(_, end)| end <= at && !current[end..at].contains('\n'))
        {
            if Some(open) < start {
                skip_from = last_item;
            }
            // Offsets are those of the file (`current` only has comments
            // where `text` has skipped items).
            let line = text.get(..end).map_or(0, |t| t.matches('\n').count()) + 1;
            let quote = &current[open..open + 1];
            d = d
                .secondary(
                    Span::new(file, open, open + 1),
                    format!("this string runs on to line {line}"),
                )
                .help(format!("is the closing `{quote}` of this string missing?"));
            at = open;
        }
        // A file that ends inside an item: show where its `{` opened (the
        // item's, and the innermost when that is another).
        if !gave_up && at >= current.len() {
            let open = recover::unclosed_braces(current, start.unwrap_or(0));
            let (outer, inner) = (open.first(), open.last().filter(|_| open.len() > 1));
            for &brace in outer.into_iter().chain(inner) {
                d = d.secondary(
                    Span::new(file, brace, brace + 1),
                    "this `{` is never closed",
                );
            }
        }
        errors += 1;
        let too_many = errors >= MAX_SYNTAX_ERRORS;
        if too_many {
            d = d.note(format!(
                "thriftc stops reading a file after {MAX_SYNTAX_ERRORS} syntax errors; \
                 the rest of this file was not checked"
            ));
        }
        diags.push(d);
        let region = match skip_from {
            // Everything after an unclosed comment is in it.
            Some(start) if comment_to_end => start..current.len(),
            Some(start) if !gave_up && !too_many => start..recover::resume_at(current, start, at),
            // Stop: whatever follows the items that parsed is skipped.
            Some(start) => start..current.len(),
            None => current.len()..current.len(),
        };
        let (names, include) = recover::skipped_names(file, current, region.clone());
        skipped.names.extend(names);
        skipped.include |= include;
        if gave_up || too_many || region.is_empty() {
            let Some(prefix) = prefix else {
                return empty_document(file, skipped);
            };
            // Errors in the skipped text are not reported: lower only
            // what parsed.
            let doc = lower::lower_document(file, prefix, diags);
            return with_skipped(doc, skipped);
        }
        let mut next = current.to_string();
        recover::blank(&mut next, region);
        work = Some(next);
    }
}

/// A document with no headers or definitions.
fn empty_document(file: FileId, skipped: ast::Skipped) -> ast::Document {
    ast::Document {
        file,
        headers: Vec::new(),
        definitions: Vec::new(),
        skipped,
    }
}

/// `doc`, with the names recovery skipped added to those lowering left out.
fn with_skipped(mut doc: ast::Document, skipped: ast::Skipped) -> ast::Document {
    doc.skipped.names.extend(skipped.names);
    doc.skipped.names.sort_by_key(|n| n.span);
    doc.skipped.include |= skipped.include;
    doc
}

/// pest's detailed error tracking is a process-wide switch; the second,
/// detailed parse of a file with an error runs under this lock.
static DETAIL_LOCK: Mutex<()> = Mutex::new(());

/// Builds the diagnostic of a syntax error: re-parses with pest's detailed
/// tracking to learn which tokens and rules were expected at the farthest
/// position, and names them in Thrift words.
fn syntax_error(file: FileId, text: &str, error: pest::error::Error<Rule>) -> Diagnostic {
    if let ErrorVariant::CustomError { message } = &error.variant {
        // pest's guards against stack exhaustion and runaway work.
        let pos = match error.location {
            InputLocation::Pos(p) | InputLocation::Span((p, _)) => p.min(text.len()),
        };
        return Diagnostic::error("nesting too deep: the file is too complex to parse")
            .primary(
                Span::new(file, pos, next_char_end(text, pos)),
                "gave up here",
            )
            .note(format!("the parser stopped: {message}"));
    }
    let (plain_pos, mut rules): (usize, Vec<Rule>) = match (&error.location, &error.variant) {
        (InputLocation::Pos(p), ErrorVariant::ParsingError { positives, .. }) => {
            (*p, positives.clone())
        }
        (InputLocation::Span((s, _)), ErrorVariant::ParsingError { positives, .. }) => {
            (*s, positives.clone())
        }
        (InputLocation::Pos(p), _) | (InputLocation::Span((p, _)), _) => (*p, Vec::new()),
    };
    let mut pos = plain_pos;
    let mut tokens = Vec::new();
    {
        let _guard = DETAIL_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        pest::set_error_detail(true);
        let detailed = ThriftParser::parse(Rule::document, text);
        pest::set_error_detail(false);
        if let Err(e) = detailed {
            if let Some(attempts) = e.parse_attempts() {
                if attempts.max_position >= pos {
                    pos = attempts.max_position;
                    for stack in attempts.call_stacks() {
                        if let Some(rule) = stack.deepest.get_rule() {
                            rules.push(*rule);
                        }
                    }
                    tokens = attempts
                        .expected_tokens()
                        .into_iter()
                        .map(|t| t.to_string())
                        .collect();
                }
            }
        }
    }
    let mut expected: BTreeSet<String> = BTreeSet::new();
    let mut saw_annotations = false;
    for rule in rules {
        if matches!(rule, Rule::annotations | Rule::annotation) {
            saw_annotations = true;
        }
        if let Some(name) = expected_name(rule) {
            expected.insert(name.to_string());
        }
    }
    // Several rules start the same way; name only the biggest.
    if expected.contains("a field") {
        for covered in ["a type", "a field id", "`required` or `optional`"] {
            expected.remove(covered);
        }
    }
    if expected.contains("a function") {
        expected.remove("a type");
    }
    let punctuation: Vec<String> = tokens
        .iter()
        .filter(|t| {
            matches!(
                t.as_str(),
                "{" | "}" | "(" | ")" | "[" | "]" | "<" | ">" | ":" | "=" | "&" | "," | ";"
            )
        })
        .cloned()
        .collect();
    expected.extend(punctuation.into_iter().map(|t| format!("`{t}`")));
    // Separators are optional almost everywhere, and `(` mostly starts
    // optional annotations: name them only when nothing else fits.
    // A definition can follow almost anything at the end of one; name it
    // only when nothing inside the current item fits.
    let separator = |t: &str| t == "`,`" || t == "`;`" || (saw_annotations && t == "`(`");
    if expected
        .iter()
        .any(|t| t != "a definition" && !separator(t))
    {
        expected.remove("a definition");
    }
    if expected.contains("a value") {
        for covered in ["a name", "a string", "an integer", "a field", "`[`", "`{`"] {
            expected.remove(covered);
        }
    }
    if expected.contains("`:`") {
        // After a field id only its colon fits.
        expected.remove("a field");
    }
    if expected.iter().any(|t| !separator(t)) {
        expected.retain(|t| !separator(t));
    } else if expected.len() > 1 && saw_annotations {
        expected.remove("`(`");
    }
    // pest may stop before the blanks that precede the offending token.
    let mut pos = pos.min(text.len());
    while let Some(c) = text[pos..].chars().next().filter(|c| c.is_whitespace()) {
        pos += c.len_utf8();
    }
    // Where a name was expected but a keyword was written (`struct struct`),
    // the keyword check's lookahead leaves pest past the keyword: point at it.
    if expected.contains("a name") {
        if let Some(start) = keyword_before(text, pos).filter(|&start| plain_pos <= start) {
            pos = start;
        }
    }
    let found = found_here(text, pos);
    // A keyword where a name belongs is underlined whole.
    let keyword = KEYWORDS
        .iter()
        .find(|k| expected.contains("a name") && found.trim_matches('`') == **k);
    let found = if keyword.is_some() {
        format!("the keyword {found}")
    } else {
        found
    };
    let message = if expected.is_empty() {
        format!("syntax error: unexpected {found}")
    } else {
        format!("expected {}, found {found}", or_list(&expected))
    };
    let end = keyword.map_or_else(|| next_char_end(text, pos), |k| pos + k.len());
    // Where only a name fits, the keyword is the mistake: say so. (Where
    // something else fits too, it may be the start of what is missing.)
    let only_a_name = keyword.filter(|_| expected.len() == 1);
    let label = if only_a_name.is_some() {
        "a keyword, not a name"
    } else {
        "unexpected here"
    };
    let mut d = Diagnostic::error(message).primary(Span::new(file, pos, end), label);
    if let Some(keyword) = only_a_name {
        d = d.help(format!(
            "`{keyword}` is a reserved word of Thrift and cannot be used as a name here: \
             rename it"
        ));
    } else if let Some(hint) = keyword_hint(&text[pos..]) {
        d = d.help(format!("did you mean `{hint}`?"));
    } else if let Some((old, lang)) = old_namespace(&text[pos..]) {
        d = d.help(format!(
            "`{old}` is the old form of a namespace, which Thrift no longer reads: \
             write `namespace {lang} NAME`"
        ));
    } else if expected.contains("a definition") {
        if let Some(header) = ["include", "cpp_include", "namespace"]
            .into_iter()
            .find(|h| found == format!("`{h}`"))
        {
            d = d.help(format!(
                "`{header}` is a header: move it above the first definition \
                 (headers come first in a file)"
            ));
        }
    }
    d
}

/// The word at the start of `rest` if it is one of the per-language
/// headers that came before `namespace LANG NAME` (`cpp_namespace`,
/// `java_package`, ...; old IDL still has them, Apache's compiler refuses
/// them too), with the language it names.
fn old_namespace(rest: &str) -> Option<(&'static str, &'static str)> {
    const OLD: [(&str, &str); 10] = [
        ("cpp_namespace", "cpp"),
        ("java_package", "java"),
        ("php_namespace", "php"),
        ("py_module", "py"),
        ("perl_package", "perl"),
        ("ruby_namespace", "rb"),
        ("smalltalk_category", "st"),
        ("smalltalk_prefix", "st"),
        ("xsd_namespace", "xsd"),
        ("delphi_namespace", "delphi"),
    ];
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    OLD.iter().copied().find(|(old, _)| *old == &rest[..end])
}

/// Words of Thrift that cannot be names (as in the grammar's `keyword`);
/// the first eleven start a header or definition (recovery's
/// `ITEM_KEYWORDS`).
const KEYWORDS: [&str; 32] = [
    "include",
    "cpp_include",
    "namespace",
    "const",
    "typedef",
    "enum",
    "senum",
    "struct",
    "union",
    "exception",
    "service",
    "extends",
    "throws",
    "oneway",
    "void",
    "required",
    "optional",
    "map",
    "set",
    "list",
    "bool",
    "byte",
    "i8",
    "i16",
    "i32",
    "i64",
    "double",
    "string",
    "binary",
    "slist",
    "true",
    "false",
];

/// The start of the Thrift keyword that ends right before `pos` (blanks
/// allowed in between), if there is one.
fn keyword_before(text: &str, pos: usize) -> Option<usize> {
    let before = text.get(..pos)?.trim_end();
    let start = before
        .char_indices()
        .rev()
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_'))
        .map_or(0, |(i, c)| i + c.len_utf8());
    let word = &before[start..];
    KEYWORDS.contains(&word).then_some(start)
}

/// A Thrift keyword close to the misspelt word at the start of `rest`.
fn keyword_hint(rest: &str) -> Option<&'static str> {
    const HINTS: [&str; 22] = [
        "include",
        "cpp_include",
        "namespace",
        "const",
        "typedef",
        "enum",
        "struct",
        "union",
        "exception",
        "service",
        "extends",
        "throws",
        "oneway",
        "void",
        "required",
        "optional",
        "string",
        "binary",
        "double",
        "list",
        "map",
        "bool",
    ];
    let word: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(40)
        .collect();
    if word.len() < 3 || HINTS.contains(&word.as_str()) {
        return None;
    }
    HINTS
        .iter()
        .map(|k| (crate::sema::edit_distance(&word, k), *k))
        .filter(|(d, _)| *d <= 1 || (*d <= 2 && word.len() >= 6))
        .min()
        .map(|(_, k)| k)
}

/// The end of the character at `pos` (an empty span at the end of input).
fn next_char_end(text: &str, pos: usize) -> usize {
    text[pos..]
        .chars()
        .next()
        .map_or(pos, |c| pos + c.len_utf8())
}

/// Describes the text at `pos`: the word or character found there.
fn found_here(text: &str, pos: usize) -> String {
    let rest = &text[pos..];
    let Some(c) = rest.chars().next() else {
        return "end of file".to_string();
    };
    if c.is_ascii_alphanumeric() || c == '_' {
        let word: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '.')
            .take(40)
            .collect();
        format!("`{word}`")
    } else if c.is_whitespace() {
        "whitespace".to_string()
    } else {
        format!("`{c}`")
    }
}

/// `a`, `a or b`, `a, b or c`.
fn or_list(items: &BTreeSet<String>) -> String {
    // Put punctuation after words so that the message reads naturally.
    let mut items: Vec<&String> = items.iter().collect();
    items.sort_by_key(|s| (s.starts_with('`'), s.as_str()));
    match items.as_slice() {
        [] => String::new(),
        [one] => (*one).clone(),
        [init @ .., last] => {
            let init: Vec<&str> = init.iter().map(|s| s.as_str()).collect();
            format!("{} or {last}", init.join(", "))
        }
    }
}

/// The Thrift words for a rule, as used in "expected ..." messages; `None`
/// for rules that never name what the user should write.
pub(crate) fn expected_name(rule: Rule) -> Option<&'static str> {
    use Rule::*;
    Some(match rule {
        document | items | include | cpp_include | namespace | const_def | typedef_def
        | enum_def | senum_def | struct_def | union_def | exception_def | service_def
        | kw_include | kw_cpp_include | kw_namespace | kw_const | kw_typedef | kw_enum
        | kw_senum | kw_struct | kw_union | kw_exception | kw_service => "a definition",
        namespace_scope => "a namespace language (e.g. `rs` or `*`)",
        namespace_name => "a namespace name",
        enum_value => "an enum value",
        senum_value => "a string",
        extends | kw_extends => "`extends`",
        field => "a field",
        field_id => "a field id",
        requiredness | kw_required | kw_optional => "`required` or `optional`",
        function | kw_oneway | kw_async => "a function",
        throws | kw_throws => "`throws`",
        field_type | type_name | base_type | map_type | set_type | list_type | kw_map | kw_set
        | kw_list | kw_void => "a type",
        annotation => "an annotation",
        const_list | const_map | const_entry | const_ref | double_lit | bool_lit => "a value",
        int_lit => "an integer",
        string_lit => "a string",
        identifier | field_name => "a name",
        annotations | field_reference | xsd_attrs | cpp_type | kw_cpp_type | kw_xsd_all
        | kw_xsd_optional | kw_xsd_nillable | kw_xsd_attrs => return None,
        EOI | doc_comment | WHITESPACE | COMMENT | block_comment | line_comment | header
        | definition | function_type | container_type | const_value | list_sep | exponent
        | ident_word | ident_start | ident_char | keyword => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first_error(text: &str) -> String {
        let mut diags = Diagnostics::new();
        parse(FileId(0), text, &mut diags);
        diags
            .iter()
            .next()
            .map(|d| d.message.clone())
            .unwrap_or_default()
    }

    #[test]
    fn syntax_errors_name_what_was_expected() {
        let cases = [
            ("struct S { 1: list<i32 x }", "expected `>`, found `x`"),
            ("const i32 X 5", "expected `=`, found `5`"),
            (
                "struct A { 1: i32 a; } }",
                "expected a definition, found `}`",
            ),
            ("struct A { 1: i32 a = }", "expected a value, found `}`"),
            ("struct A { 1 i32 a }", "expected `:`, found `i32`"),
            ("struct A { 1: required }", "expected a type, found `}`"),
            ("enum E { A = 1 B = }", "expected an integer, found `}`"),
            ("service S extends { }", "expected a name, found `{`"),
            (
                "struct S { 1: map<i32 i32> m }",
                "expected `,`, found `i32`",
            ),
            (
                "struct A {\n  1: i32 a\n",
                "expected a field, `=` or `}`, found end of file",
            ),
            ("strcut A {}", "expected a definition, found `strcut`"),
            (
                "struct struct {}",
                "expected a name, found the keyword `struct`",
            ),
            (
                "typedef i32 list",
                "expected a name, found the keyword `list`",
            ),
            (
                "struct S { 1: bool true }",
                "expected a name, found the keyword `true`",
            ),
        ];
        for (text, message) in cases {
            assert_eq!(first_error(text), message, "for {text:?}");
        }
    }

    /// The first error of `text`, which must have one.
    fn first_diagnostic(text: &str) -> Diagnostic {
        let mut diags = Diagnostics::new();
        parse(FileId(0), text, &mut diags);
        diags.into_iter().next().expect("a syntax error")
    }

    /// The text each label of `d` underlines, with its message.
    fn labelled<'t>(text: &'t str, d: &Diagnostic) -> Vec<(&'t str, String)> {
        d.labels
            .iter()
            .map(|l| {
                let span = &text[l.span.start as usize..l.span.end as usize];
                (span, l.message.clone())
            })
            .collect()
    }

    /// A keyword where a name belongs is underlined whole, with a hint to
    /// rename it (also where it looks like a misspelt keyword: `senum`).
    #[test]
    fn a_keyword_for_a_name_is_underlined_whole_and_named_reserved() {
        for (text, keyword) in [
            ("struct service {\n  1: i32 x\n}\n", "service"),
            ("enum E { A, senum }\n", "senum"),
            ("struct S { 1: bool true }", "true"),
        ] {
            let d = first_diagnostic(text);
            assert_eq!(
                d.message,
                format!("expected a name, found the keyword `{keyword}`"),
                "for {text:?}"
            );
            assert_eq!(
                labelled(text, &d),
                [(keyword, "a keyword, not a name".to_string())],
                "for {text:?}"
            );
            assert_eq!(
                d.notes,
                [format!(
                    "help: `{keyword}` is a reserved word of Thrift and cannot be used as a \
                     name here: rename it"
                )],
                "for {text:?}"
            );
        }
        // Where something else fits too, the keyword is underlined whole
        // with no hint; other unexpected text keeps a one-character caret.
        let text = "service S {\n  void f(1: i32 a\n  void g()\n}\n";
        let d = first_diagnostic(text);
        assert_eq!(
            d.message,
            "expected a field or a name, found the keyword `void`"
        );
        assert_eq!(
            labelled(text, &d),
            [("void", "unexpected here".to_string())]
        );
        assert!(d.notes.is_empty(), "{d:?}");
        let text = "service S extends { }";
        let d = first_diagnostic(text);
        assert_eq!(labelled(text, &d), [("{", "unexpected here".to_string())]);
    }

    /// A file ending inside an item points at the `{` never closed: the
    /// item's, and the innermost when that is another.
    #[test]
    fn end_of_file_inside_braces_points_at_where_they_open() {
        let never_closed = || "this `{` is never closed".to_string();
        let text = "struct Ok { 1: i32 x }\nstruct User {\n  1: i64 id\n  2: string name\n";
        let d = first_diagnostic(text);
        assert_eq!(d.message, "expected a field, `=` or `}`, found end of file");
        assert_eq!(
            labelled(text, &d),
            [("", "unexpected here".to_string()), ("{", never_closed())]
        );
        let user = text.find("User {").unwrap() + 5;
        assert_eq!(d.labels[1].span.start as usize, user);

        let text = "service S {\n  void f(1: map<i32, i32> m = { 1: 2 })\n  \
                    void g(1: map<i32, i32> m = { 1: 2";
        let d = first_diagnostic(text);
        let inner = text.rfind('{').unwrap();
        let starts: Vec<usize> = d.labels[1..]
            .iter()
            .map(|l| l.span.start as usize)
            .collect();
        assert_eq!(starts, [text.find('{').unwrap(), inner], "{d:?}");

        // An error before the end gets no such label.
        let d = first_diagnostic("struct A {\n  1 i32 x\n");
        assert_eq!(d.labels.len(), 1, "{d:?}");
    }

    /// The headers that `namespace LANG NAME` replaced get a hint naming
    /// the `namespace` to write; other words do not.
    #[test]
    fn old_namespace_headers_name_the_namespace_to_write() {
        let help = |text: &str| {
            let mut diags = Diagnostics::new();
            parse(FileId(0), text, &mut diags);
            let d = diags.iter().next().expect("a syntax error");
            (d.message.clone(), d.notes.first().cloned())
        };
        let (message, help_text) = help("cpp_namespace thrift.test\nstruct A {}\n");
        assert_eq!(message, "expected a definition, found `cpp_namespace`");
        assert_eq!(
            help_text.as_deref(),
            Some(
                "help: `cpp_namespace` is the old form of a namespace, which Thrift no longer \
                 reads: write `namespace cpp NAME`"
            )
        );
        let (_, help_text) = help("struct A {}\nruby_namespace Foo\n");
        assert!(help_text.unwrap().ends_with("write `namespace rb NAME`"));
        for text in ["cpp_namespacex foo\n", "package foo\n"] {
            assert_eq!(help(text).1, None, "for {text:?}");
        }
    }

    /// A header after a definition is named as one, with where it goes.
    #[test]
    fn headers_after_definitions_are_told_to_move_up() {
        for (text, header) in [
            ("struct A {}\nnamespace rs x\n", "namespace"),
            ("const i32 X = 1\ninclude \"a.thrift\"\n", "include"),
            ("enum E { A }\ncpp_include \"<map>\"\n", "cpp_include"),
        ] {
            let mut diags = Diagnostics::new();
            parse(FileId(0), text, &mut diags);
            let d = diags.iter().next().expect("a syntax error");
            assert_eq!(
                d.message,
                format!("expected a definition, found `{header}`"),
                "for {text:?}"
            );
            assert_eq!(
                d.notes,
                [format!(
                    "help: `{header}` is a header: move it above the first definition \
                     (headers come first in a file)"
                )],
                "for {text:?}"
            );
        }
    }

    #[test]
    fn string_escapes() {
        let mut diags = Diagnostics::new();
        let text = r#"const string A = "a\\b\"c\'d\ne\rf\tg" const string B = 'x\"y'"#;
        let doc = parse(FileId(0), text, &mut diags);
        assert!(diags.is_empty(), "{diags:?}");
        let value = |i: usize| match &doc.definitions[i].kind {
            ast::DefinitionKind::Const { value, .. } => format!("{:?}", value.kind),
            other => panic!("{other:?}"),
        };
        assert!(value(0).contains(r#""a\\b\"c'd\ne\rf\tg""#), "{}", value(0));
        assert!(value(1).contains(r#""x\"y""#), "{}", value(1));

        // Unknown escapes: one error each, on the escape, all reported.
        let mut diags = Diagnostics::new();
        let text = "const string A = \"\\d é\\é \\u00e9\"";
        parse(FileId(0), text, &mut diags);
        let spans: Vec<(u32, u32)> = diags
            .iter()
            .map(|d| {
                assert_eq!(d.message, "unknown escape in a string literal");
                let s = d.labels[0].span;
                (s.start, s.end)
            })
            .collect();
        assert_eq!(spans, [(18, 20), (23, 26), (27, 29)], "{text}");
    }

    /// A literal with a line break in it (Apache's compiler refuses one)
    /// keeps its value and gets one warning, on the literal, wherever it
    /// stands; `\n` escapes and one-line literals get none.
    #[test]
    fn strings_over_line_breaks_are_read_with_a_warning() {
        let mut diags = Diagnostics::new();
        let text = "const string A = \"a\nb\"\nconst string B = \"c\\nd\"\n\
                    struct S { 1: string s = 'e\nf' } (note = \"g\nh\")\n";
        let doc = parse(FileId(0), text, &mut diags);
        assert_eq!(diags.error_count(), 0, "{diags:?}");
        let spans: Vec<&str> = diags
            .iter()
            .map(|d| {
                assert_eq!(d.message, "a string literal runs over a line break");
                let s = d.labels[0].span;
                &text[s.start as usize..s.end as usize]
            })
            .collect();
        assert_eq!(spans, ["\"a\nb\"", "'e\nf'", "\"g\nh\""]);
        let ast::DefinitionKind::Const { value, .. } = &doc.definitions[0].kind else {
            panic!("a const")
        };
        assert!(
            format!("{:?}", value.kind).contains(r#""a\nb""#),
            "{value:?}"
        );
    }

    #[test]
    fn broken_files_keep_their_headers() {
        let mut diags = Diagnostics::new();
        let doc = parse(FileId(0), "include \"a.thrift\"\nstruct {", &mut diags);
        assert_eq!(diags.error_count(), 1);
        assert_eq!(doc.headers.len(), 1);
        assert!(doc.definitions.is_empty());
    }

    #[test]
    fn doc_comments_attach_to_the_next_item() {
        let mut diags = Diagnostics::new();
        let text = "/** S */\nstruct S {\n  /** a */ 1: i32 a // x\n  /** lost */\n}\n/**/ enum E { /** A */ A }";
        let doc = parse(FileId(0), text, &mut diags);
        assert!(diags.is_empty());
        assert_eq!(doc.definitions[0].doc.as_deref(), Some("S"));
        let ast::DefinitionKind::Struct { fields, .. } = &doc.definitions[0].kind else {
            panic!("a struct")
        };
        assert_eq!(fields[0].doc.as_deref(), Some("a"));
        assert_eq!(doc.definitions[1].doc, None);
        let ast::DefinitionKind::Enum { values } = &doc.definitions[1].kind else {
            panic!("an enum")
        };
        assert_eq!(values[0].doc.as_deref(), Some("A"));
    }
}
