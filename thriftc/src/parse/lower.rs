//! Lowering of pest's parse tree (`Pairs<Rule>`) to [`crate::ast`].
//!
//! Every node gets a [`Span`] of byte offsets.
//!
//! Doc comments: pest runs `COMMENT` atomically, so even a non-silent
//! `doc_comment` rule inside it would yield no pairs, and a grammar with explicit doc-comment
//! slots would make a doc comment in any unusual place a syntax error. So
//! [`doc_comments`] finds them with an exact scan of the (already parsed)
//! text, and an item's doc is the doc comment that ends just before it with
//! only blanks in between. A doc comment followed by nothing it could
//! document is dropped, as Apache Thrift does.
//!
//! The grammar guarantees the shape of each pair; should a pair ever differ
//! from what the code expects, an "internal error" diagnostic is reported
//! instead of a panic (bad input must never crash the compiler).

use super::Rule;
use crate::ast::*;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::lint::Lint;
use crate::source::{FileId, Span};
use pest::iterators::{Pair, Pairs};
use std::collections::BTreeMap;

/// Deepest nesting of types and constants accepted; deeper input is
/// rejected rather than risking the stack. 64 matches the runtime's default
/// depth limit (a value of a type nested deeper could not be encoded), and
/// keeps the recursion of code generation (syn, prettyplease) bounded.
const MAX_DEPTH: u32 = 64;

pub(super) fn lower_document(
    file: FileId,
    pair: Pair<'_, Rule>,
    diags: &mut Diagnostics,
) -> Document {
    let input = pair.as_span().get_input();
    let docs = doc_comments(input);
    let mut lower = Lower {
        file,
        input,
        docs,
        diags,
        depth: 0,
    };
    lower.document(pair)
}

struct Lower<'d, 'i> {
    file: FileId,
    input: &'i str,
    /// Doc comments by end offset: (start, text).
    docs: BTreeMap<usize, (usize, &'i str)>,
    diags: &'d mut Diagnostics,
    depth: u32,
}

type P<'i> = Pair<'i, Rule>;

impl Lower<'_, '_> {
    /// The bytes a pair covers, without the blanks and comments pest lets a
    /// rule end with when its last part is optional.
    fn span(&self, pair: &P<'_>) -> Span {
        let s = pair.as_span();
        let end = if is_atomic(pair.as_rule()) {
            s.end()
        } else {
            let from = pair
                .clone()
                .into_inner()
                .last()
                .map_or(s.start(), |p| p.as_span().end());
            token_end(s.get_input(), from, s.end())
        };
        Span::new(self.file, s.start(), end)
    }

    /// Reports a parse tree the lowering did not expect (a bug, not bad input).
    fn bug(&mut self, pair: &P<'_>, context: &str) {
        let span = self.span(pair);
        self.diags.push(
            Diagnostic::error(format!(
                "internal error: unexpected `{:?}` in {context}",
                pair.as_rule()
            ))
            .primary(span, "the parser did not expect this")
            .note("this is a bug in thriftc; please report it with this input"),
        );
    }

    /// The doc comment right before `pair` (only blanks in between).
    fn doc(&self, pair: &P<'_>) -> Doc {
        let start = pair.as_span().start();
        let (&end, &(_, text)) = self.docs.range(..=start).next_back()?;
        if self.input.get(end..start)?.trim().is_empty() {
            clean_doc(text)
        } else {
            None
        }
    }

    fn ident(&self, pair: &P<'_>) -> Ident {
        Ident {
            name: pair.as_str().to_string(),
            span: self.span(pair),
        }
    }

    fn document(&mut self, pair: P<'_>) -> Document {
        let mut headers = Vec::new();
        let mut definitions = Vec::new();
        let mut skipped = Skipped::default();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::include => {
                    let span = self.span(&p);
                    let path = self.first_string(p);
                    headers.push(Header::Include { path, span });
                }
                Rule::cpp_include => {
                    let span = self.span(&p);
                    let path = self.first_string(p);
                    headers.push(Header::CppInclude { path, span });
                }
                Rule::namespace => headers.push(self.namespace(p)),
                Rule::const_def
                | Rule::typedef_def
                | Rule::enum_def
                | Rule::senum_def
                | Rule::struct_def
                | Rule::union_def
                | Rule::exception_def
                | Rule::service_def => {
                    let doc = self.doc(&p);
                    // A definition with an error (a literal too large, an
                    // unknown escape) is left out, and its name kept among
                    // the skipped ones: its placeholder values would only
                    // cause more errors.
                    let reported = self.diags.len();
                    if let Some(def) = self.definition(p, doc) {
                        if !self.diags.iter().skip(reported).any(Diagnostic::is_error) {
                            definitions.push(def);
                        } else {
                            skipped.names.push(def.name);
                        }
                    }
                }
                Rule::EOI => {}
                _ => self.bug(&p, "a document"),
            }
        }
        Document {
            file: self.file,
            headers,
            definitions,
            skipped,
        }
    }

    fn first_string(&mut self, pair: P<'_>) -> String {
        for p in pair.into_inner() {
            if p.as_rule() == Rule::string_lit {
                return self.string(&p);
            }
        }
        String::new()
    }

    fn namespace(&mut self, pair: P<'_>) -> Header {
        let span = self.span(&pair);
        let mut scope = None;
        let mut name = None;
        let mut annotations = Vec::new();
        for p in children(pair) {
            match p.as_rule() {
                Rule::kw_namespace => {}
                Rule::namespace_scope => scope = Some(self.ident(&p)),
                Rule::namespace_name => {
                    let mut ident = self.ident(&p);
                    if ident.name.starts_with('"') {
                        ident.name = ident.name.trim_matches('"').to_string();
                    }
                    name = Some(ident);
                }
                Rule::annotations => annotations = self.annotations(p),
                _ => self.bug(&p, "a namespace"),
            }
        }
        let missing = || Ident {
            name: String::new(),
            span,
        };
        Header::Namespace {
            scope: scope.unwrap_or_else(missing),
            name: name.unwrap_or_else(missing),
            annotations,
            span,
        }
    }

    fn definition(&mut self, pair: P<'_>, doc: Doc) -> Option<Definition> {
        let span = self.span(&pair);
        let rule = pair.as_rule();
        let mut name: Option<Ident> = None;
        let mut annotations = Vec::new();
        let mut ty: Option<Type> = None;
        let mut value: Option<ConstValue> = None;
        let mut enum_values = Vec::new();
        let mut senum_values = Vec::new();
        let mut fields = Vec::new();
        let mut functions = Vec::new();
        let mut extends = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::kw_const
                | Rule::kw_typedef
                | Rule::kw_enum
                | Rule::kw_senum
                | Rule::kw_struct
                | Rule::kw_union
                | Rule::kw_exception
                | Rule::kw_service
                | Rule::kw_xsd_all => {}
                Rule::identifier => name = Some(self.ident(&p)),
                Rule::field_type => ty = Some(self.field_type(p)),
                Rule::double_lit
                | Rule::int_lit
                | Rule::string_lit
                | Rule::bool_lit
                | Rule::const_list
                | Rule::const_map
                | Rule::const_ref => value = Some(self.const_value(p)),
                Rule::annotations => annotations = self.annotations(p),
                Rule::enum_value => {
                    let doc = self.doc(&p);
                    enum_values.push(self.enum_value(p, doc));
                }
                Rule::senum_value => {
                    let s = self.span(&p);
                    let text = self.first_string(p);
                    senum_values.push((text, s));
                }
                Rule::field => {
                    let doc = self.doc(&p);
                    fields.push(self.field(p, doc));
                }
                Rule::function => {
                    let doc = self.doc(&p);
                    functions.push(self.function(p, doc));
                }
                Rule::extends => {
                    for q in children(p) {
                        if q.as_rule() == Rule::identifier {
                            extends = Some(self.ident(&q));
                        }
                    }
                }
                _ => self.bug(&p, "a definition"),
            }
        }
        let kind = match rule {
            Rule::const_def => DefinitionKind::Const {
                ty: ty?,
                value: value?,
            },
            Rule::typedef_def => DefinitionKind::Typedef { target: ty? },
            Rule::enum_def => DefinitionKind::Enum {
                values: enum_values,
            },
            Rule::senum_def => DefinitionKind::Senum {
                values: senum_values,
            },
            Rule::struct_def => DefinitionKind::Struct {
                kind: StructKind::Struct,
                fields,
            },
            Rule::union_def => DefinitionKind::Struct {
                kind: StructKind::Union,
                fields,
            },
            Rule::exception_def => DefinitionKind::Struct {
                kind: StructKind::Exception,
                fields,
            },
            Rule::service_def => DefinitionKind::Service { extends, functions },
            _ => return None,
        };
        Some(Definition {
            name: name?,
            doc,
            annotations,
            kind,
            span,
        })
    }

    fn enum_value(&mut self, pair: P<'_>, doc: Doc) -> EnumValue {
        let span = self.span(&pair);
        let mut name = None;
        let mut value = None;
        let mut annotations = Vec::new();
        for p in children(pair) {
            match p.as_rule() {
                Rule::identifier => name = Some(self.ident(&p)),
                Rule::int_lit => value = Some((self.int(&p), self.span(&p))),
                Rule::annotations => annotations = self.annotations(p),
                _ => self.bug(&p, "an enum value"),
            }
        }
        EnumValue {
            name: name.unwrap_or_else(|| Ident {
                name: String::new(),
                span,
            }),
            value,
            doc,
            annotations,
            span,
        }
    }

    fn field(&mut self, pair: P<'_>, doc: Doc) -> Field {
        let span = self.span(&pair);
        let mut id = None;
        let mut req = Requiredness::Default;
        let mut req_span = None;
        let mut ty = None;
        let mut reference = false;
        let mut name = None;
        let mut default = None;
        let mut annotations = Vec::new();
        for p in children(pair) {
            match p.as_rule() {
                Rule::field_id => {
                    for q in children(p) {
                        if q.as_rule() == Rule::int_lit {
                            id = Some((self.int(&q), self.span(&q)));
                        }
                    }
                }
                Rule::requiredness => {
                    req_span = Some(self.span(&p));
                    req = if p.as_str() == "required" {
                        Requiredness::Required
                    } else {
                        Requiredness::Optional
                    }
                }
                Rule::field_type => ty = Some(self.field_type(p)),
                Rule::field_reference => reference = true,
                Rule::field_name => name = Some(self.ident(&p)),
                Rule::double_lit
                | Rule::int_lit
                | Rule::string_lit
                | Rule::bool_lit
                | Rule::const_list
                | Rule::const_map
                | Rule::const_ref => default = Some(self.const_value(p)),
                // xsd_* are XML Schema hints for other generators: accepted,
                // not kept.
                Rule::kw_xsd_optional | Rule::kw_xsd_nillable | Rule::xsd_attrs => {}
                Rule::annotations => annotations = self.annotations(p),
                _ => self.bug(&p, "a field"),
            }
        }
        Field {
            id,
            req,
            req_span,
            ty: ty.unwrap_or(Type {
                kind: TypeKind::Base(BaseType::I32),
                annotations: Vec::new(),
                span,
            }),
            reference,
            name: name.unwrap_or_else(|| Ident {
                name: String::new(),
                span,
            }),
            default,
            doc,
            annotations,
            span,
        }
    }

    fn function(&mut self, pair: P<'_>, doc: Doc) -> Function {
        let span = self.span(&pair);
        let mut name = None;
        let mut oneway_span = None;
        let mut returns = None;
        let mut args = Vec::new();
        let mut throws = Vec::new();
        let mut throws_span = None;
        let mut annotations = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::kw_oneway => oneway_span = Some(self.span(&p)),
                Rule::kw_async => {
                    let span = self.span(&p);
                    oneway_span = Some(span);
                    self.diags.push(
                        Diagnostic::warning("`async` is the old spelling of `oneway`")
                            .lint(Lint::DeprecatedSyntax)
                            .primary(span, "read as `oneway`")
                            .help("write `oneway`"),
                    );
                }
                Rule::kw_void => {}
                Rule::field_type => returns = Some(self.field_type(p)),
                Rule::identifier => name = Some(self.ident(&p)),
                Rule::field => {
                    let doc = self.doc(&p);
                    args.push(self.field(p, doc));
                }
                Rule::throws => {
                    throws_span = Some(self.span(&p));
                    for q in p.into_inner() {
                        match q.as_rule() {
                            Rule::kw_throws => {}
                            Rule::field => {
                                let doc = self.doc(&q);
                                throws.push(self.field(q, doc));
                            }
                            _ => self.bug(&q, "a throws list"),
                        }
                    }
                }
                Rule::annotations => annotations = self.annotations(p),
                _ => self.bug(&p, "a function"),
            }
        }
        Function {
            name: name.unwrap_or_else(|| Ident {
                name: String::new(),
                span,
            }),
            oneway: oneway_span.is_some(),
            oneway_span,
            returns,
            args,
            throws,
            throws_span,
            doc,
            annotations,
            span,
        }
    }

    fn field_type(&mut self, pair: P<'_>) -> Type {
        let span = self.span(&pair);
        self.depth += 1;
        let ty = if self.depth > MAX_DEPTH {
            self.too_deep(span);
            None
        } else {
            self.field_type_inner(pair, span)
        };
        self.depth -= 1;
        ty.unwrap_or(Type {
            kind: TypeKind::Base(BaseType::I32),
            annotations: Vec::new(),
            span,
        })
    }

    fn too_deep(&mut self, span: Span) {
        if !self
            .diags
            .iter()
            .any(|d| d.message.starts_with("nesting too deep"))
        {
            self.diags.push(
                Diagnostic::error(format!("nesting too deep (more than {MAX_DEPTH} levels)"))
                    .primary(span, "too deep"),
            );
        }
    }

    fn field_type_inner(&mut self, pair: P<'_>, span: Span) -> Option<Type> {
        let mut kind = None;
        let mut annotations = Vec::new();
        for p in children(pair) {
            match p.as_rule() {
                Rule::base_type => {
                    kind = Some(TypeKind::Base(match p.as_str() {
                        "bool" => BaseType::Bool,
                        "byte" | "i8" => BaseType::I8,
                        "i16" => BaseType::I16,
                        "i32" => BaseType::I32,
                        "i64" => BaseType::I64,
                        "double" => BaseType::Double,
                        "string" => BaseType::String,
                        "binary" => BaseType::Binary,
                        "uuid" => BaseType::Uuid,
                        "slist" => BaseType::Slist,
                        _ => {
                            self.bug(&p, "a base type");
                            BaseType::I32
                        }
                    }))
                }
                Rule::type_name => {
                    for q in children(p) {
                        if q.as_rule() == Rule::identifier {
                            kind = Some(TypeKind::Named(self.ident(&q)));
                        }
                    }
                }
                Rule::map_type | Rule::set_type | Rule::list_type => {
                    let rule = p.as_rule();
                    let mut elems = Vec::new();
                    for q in children(p) {
                        match q.as_rule() {
                            Rule::kw_map | Rule::kw_set | Rule::kw_list => {}
                            Rule::field_type => elems.push(self.field_type(q)),
                            Rule::cpp_type => {
                                let s = self.span(&q);
                                let value = self.first_string(q);
                                annotations.push(Annotation {
                                    key: "cpp_type".to_string(),
                                    value: Some(value),
                                    span: s,
                                });
                            }
                            _ => self.bug(&q, "a container type"),
                        }
                    }
                    let mut elems = elems.into_iter().map(Box::new);
                    kind = match (rule, elems.next(), elems.next()) {
                        (Rule::map_type, Some(k), Some(v)) => Some(TypeKind::Map(k, v)),
                        (Rule::set_type, Some(t), None) => Some(TypeKind::Set(t)),
                        (Rule::list_type, Some(t), None) => Some(TypeKind::List(t)),
                        _ => None,
                    };
                }
                Rule::annotations => annotations.extend(self.annotations(p)),
                _ => self.bug(&p, "a type"),
            }
        }
        Some(Type {
            kind: kind?,
            annotations,
            span,
        })
    }

    fn annotations(&mut self, pair: P<'_>) -> Vec<Annotation> {
        let mut out = Vec::new();
        for p in children(pair) {
            if p.as_rule() != Rule::annotation {
                self.bug(&p, "annotations");
                continue;
            }
            let span = self.span(&p);
            let mut key = String::new();
            let mut value = None;
            for q in children(p) {
                match q.as_rule() {
                    Rule::identifier => key = q.as_str().to_string(),
                    Rule::string_lit => value = Some(self.string(&q)),
                    _ => self.bug(&q, "an annotation"),
                }
            }
            out.push(Annotation { key, value, span });
        }
        out
    }

    fn const_value(&mut self, pair: P<'_>) -> ConstValue {
        let span = self.span(&pair);
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            self.depth -= 1;
            self.too_deep(span);
            return ConstValue {
                kind: ConstKind::Int {
                    value: 0,
                    hex: false,
                },
                span,
            };
        }
        let kind = match pair.as_rule() {
            Rule::int_lit => ConstKind::Int {
                value: self.int(&pair),
                hex: is_hex(pair.as_str()),
            },
            Rule::double_lit => ConstKind::Double(self.double(&pair)),
            Rule::string_lit => ConstKind::String(self.string(&pair)),
            Rule::bool_lit => ConstKind::Bool(pair.as_str() == "true"),
            Rule::const_ref => ConstKind::Ref(self.ident(&pair)),
            Rule::const_list => {
                let mut items = Vec::new();
                for p in children(pair) {
                    items.push(self.const_value(p));
                }
                ConstKind::List(items)
            }
            Rule::const_map => {
                let mut entries = Vec::new();
                for p in children(pair) {
                    let mut kv = children(p).map(|q| self.const_value(q)).collect::<Vec<_>>();
                    if kv.len() == 2 {
                        let v = kv.pop();
                        let k = kv.pop();
                        if let (Some(k), Some(v)) = (k, v) {
                            entries.push((k, v));
                        }
                    }
                }
                ConstKind::Map(entries)
            }
            _ => {
                self.bug(&pair, "a constant");
                ConstKind::Int {
                    value: 0,
                    hex: false,
                }
            }
        };
        self.depth -= 1;
        ConstValue { kind, span }
    }

    /// An integer literal; one that does not fit in 64 bits is an error.
    fn int(&mut self, pair: &P<'_>) -> i64 {
        let text = pair.as_str();
        match parse_int(text) {
            Some(v) => v,
            None => {
                let span = self.span(pair);
                self.diags.push(
                    Diagnostic::error("integer literal too large")
                        .primary(span, "does not fit in 64 bits")
                        .note("Thrift integers are at most 64-bit signed (i64)"),
                );
                0
            }
        }
    }

    /// A floating-point literal; one beyond the range of `double` is an
    /// error (it would silently become infinity).
    fn double(&mut self, pair: &P<'_>) -> f64 {
        match pair.as_str().parse::<f64>() {
            Ok(v) if v.is_finite() => v,
            _ => {
                let span = self.span(pair);
                self.diags.push(
                    Diagnostic::error("floating-point literal too large")
                        .primary(span, "beyond the range of a double")
                        .note("the largest double is about 1.8e308"),
                );
                0.0
            }
        }
    }

    /// A string literal without its quotes, escapes processed. An unknown
    /// escape is an error, as in Apache's compiler (which rejects it):
    /// dropping the backslash would silently give another value than the
    /// author meant (`"\d"`, `"\u00e9"`).
    fn string(&mut self, pair: &P<'_>) -> String {
        let raw = pair.as_str();
        let inner = raw.get(1..raw.len().saturating_sub(1)).unwrap_or("");
        let (text, bad) = unescape(inner);
        let span = self.span(pair);
        if inner.contains('\n') {
            // Apache's compiler ends a string at the end of its line: a file
            // with this literal builds here and fails there.
            self.diags.push(
                Diagnostic::warning("a string literal runs over a line break")
                    .lint(Lint::MultilineString)
                    .primary(span, "Apache Thrift's compiler refuses this literal")
                    .help(r"keep it on one line; write \n for a line break in the value"),
            );
        }
        for at in bad {
            // The escape's two characters (backslash and the one after):
            // offsets within the literal, past its opening quote.
            let start = span.start + 1 + at as u32;
            let len = inner[at + 1..].chars().next().map_or(1, char::len_utf8) as u32 + 1;
            self.diags.push(
                Diagnostic::error("unknown escape in a string literal")
                    .primary(
                        Span {
                            start,
                            end: (start + len).min(span.end),
                            ..span
                        },
                        "not an escape Thrift knows",
                    )
                    .note(r#"the escapes are \\, \", \', \n, \r and \t; write \\ for a backslash"#),
            );
        }
        text
    }
}

/// Every `/** ... */` comment of a file that parsed, by end offset: (start,
/// text). Skips strings and other comments exactly as the grammar does.
fn doc_comments(text: &str) -> BTreeMap<usize, (usize, &str)> {
    let bytes = text.as_bytes();
    let mut docs = BTreeMap::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            quote @ (b'"' | b'\'') => {
                i += 1;
                while i < bytes.len() && bytes[i] != quote {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'#' => i = skip_line(bytes, i, bytes.len()),
            b'/' if bytes.get(i + 1) == Some(&b'/') => i = skip_line(bytes, i, bytes.len()),
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let start = i;
                let is_doc = bytes.get(i + 2) == Some(&b'*') && bytes.get(i + 3) != Some(&b'/');
                i += 2;
                while i < bytes.len() && !(bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/')) {
                    i += 1;
                }
                i = (i + 2).min(bytes.len());
                if is_doc {
                    if let Some(doc) = text.get(start..i) {
                        docs.insert(i, (start, doc));
                    }
                }
            }
            _ => i += 1,
        }
    }
    docs
}

/// Rules whose text may hold blanks or comment markers that are not
/// trailing trivia (keywords need no entry: they are all letters).
fn is_atomic(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::namespace_scope
            | Rule::namespace_name
            | Rule::base_type
            | Rule::int_lit
            | Rule::double_lit
            | Rule::string_lit
            | Rule::bool_lit
            | Rule::identifier
            | Rule::field_name
    )
}

/// The end of the last token in `input[from..to]`: skips blanks and
/// comments (the tail of a rule holds only punctuation, blanks, comments).
fn token_end(input: &str, from: usize, to: usize) -> usize {
    let bytes = input.as_bytes();
    let mut i = from;
    let mut end = from;
    while i < to {
        match bytes[i] {
            b' ' | b'\t' | b'\r' | b'\n' => i += 1,
            b'#' => i = skip_line(bytes, i, to),
            b'/' if bytes.get(i + 1) == Some(&b'/') => i = skip_line(bytes, i, to),
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i < to && !(bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/')) {
                    i += 1;
                }
                i = (i + 2).min(to);
            }
            _ => {
                // One character of punctuation (or a BOM: 3 bytes).
                let len = input[i..].chars().next().map_or(1, char::len_utf8);
                i += len;
                end = i;
            }
        }
    }
    end
}

fn skip_line(bytes: &[u8], mut i: usize, to: usize) -> usize {
    while i < to && bytes[i] != b'\n' {
        i += 1;
    }
    i
}

/// The children of a pair.
fn children<'i>(pair: P<'i>) -> Pairs<'i, Rule> {
    pair.into_inner()
}

/// Parses `[+-]digits` or `[+-]0xHEX`; `None` when it does not fit in i64.
pub(crate) fn parse_int(text: &str) -> Option<i64> {
    let (negative, rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let magnitude: i128 = if let Some(hex) = rest.strip_prefix("0x") {
        i128::from(u64::from_str_radix(hex, 16).ok()?)
    } else {
        i128::from(rest.parse::<u64>().ok()?)
    };
    let value = if negative { -magnitude } else { magnitude };
    i64::try_from(value).ok()
}

/// Whether an integer literal is written in hex: `0x...`, signed or not.
fn is_hex(text: &str) -> bool {
    text.trim_start_matches(['+', '-']).starts_with("0x")
}

/// Processes backslash escapes: `\\`, `\"`, `\'`, `\n`, `\r`, `\t`. Also
/// returns the byte offsets of unknown escapes (their backslash), which
/// stand for the escaped character.
fn unescape(s: &str) -> (String, Vec<usize>) {
    if !s.contains('\\') {
        return (s.to_string(), Vec::new());
    }
    let mut out = String::with_capacity(s.len());
    let mut bad = Vec::new();
    let mut chars = s.char_indices();
    while let Some((at, c)) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next().map(|(_, c)| c) {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some(c @ ('\\' | '"' | '\'')) => out.push(c),
            Some(other) => {
                bad.push(at);
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    (out, bad)
}

/// Cleans a `/** ... */` comment: markers and leading `*` removed, common
/// indentation stripped, blank lines at either end dropped.
pub(crate) fn clean_doc(raw: &str) -> Doc {
    let inner = raw
        .strip_prefix("/**")
        .and_then(|s| s.strip_suffix("*/"))
        .unwrap_or("");
    let lines: Vec<&str> = inner
        .lines()
        .map(|line| {
            let t = line.trim_start();
            match t.strip_prefix('*') {
                Some(rest) => rest,
                None => line,
            }
            .trim_end()
        })
        .collect();
    let indent = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    let lines: Vec<&str> = lines
        .iter()
        .map(|l| l.get(indent..).unwrap_or_else(|| l.trim_start()))
        .collect();
    let first = lines.iter().position(|l| !l.is_empty())?;
    let last = lines.iter().rposition(|l| !l.is_empty())?;
    Some(lines[first..=last].join("\n"))
}
