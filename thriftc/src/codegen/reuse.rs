//! Parsing generated tokens into syntax trees, reusing the tree of an
//! earlier item of the same shape.
//!
//! Parsing tokens with syn is the most expensive step of code generation,
//! and generated code is very repetitive: thousands of error enums, argument
//! structs and trait impls differ only in names, types and literals. So each
//! top-level item's tokens are reduced to a *shape*: the token tree with
//! every ordinary identifier and every plain string or integer literal
//! replaced by a numbered hole (keywords, punctuation, delimiters and other
//! literals stay). An item whose shape was seen before is not parsed: the
//! tree parsed from the shape (the *template*, with placeholders in the
//! holes) is cloned and the placeholders are replaced by this item's tokens.
//!
//! Why the result equals parsing the item: syn's decisions depend on
//! keywords, punctuation, delimiters and the kind of each literal, never on
//! the text of an ordinary identifier or the value of a plain literal, so
//! the item's tree is the template's with its placeholders replaced. A
//! placeholder that the substitution does not reach (one kept inside a part
//! of the tree it does not visit) makes the template unusable for that
//! item, which is then parsed as usual.
//!
//! Templates are made on a shape's second occurrence (a shape seen once is
//! parsed directly) and kept up to a bounded number of tokens.

use proc_macro2::{Delimiter, Group, Ident, Literal, Spacing, Span, TokenStream, TokenTree};
use std::collections::{HashMap, HashSet};
use syn::visit_mut::{self, VisitMut};

/// Most template tokens kept by one [`Parser`] (about 100 bytes of syntax
/// tree each).
const MAX_TEMPLATE_TOKENS: usize = 1 << 20;

/// Identifiers that take part in parsing decisions: keywords of every
/// edition (strict, reserved and weak) and contextual keywords.
fn is_significant(ident: &str) -> bool {
    matches!(
        ident,
        "_" | "Self"
            | "abstract"
            | "as"
            | "async"
            | "auto"
            | "await"
            | "become"
            | "box"
            | "break"
            | "builtin"
            | "const"
            | "continue"
            | "crate"
            | "default"
            | "do"
            | "dyn"
            | "else"
            | "enum"
            | "extern"
            | "false"
            | "final"
            | "fn"
            | "for"
            | "gen"
            | "if"
            | "impl"
            | "in"
            | "let"
            | "loop"
            | "macro"
            | "macro_rules"
            | "match"
            | "mod"
            | "move"
            | "mut"
            | "override"
            | "priv"
            | "pub"
            | "raw"
            | "ref"
            | "return"
            | "safe"
            | "self"
            | "static"
            | "struct"
            | "super"
            | "trait"
            | "true"
            | "try"
            | "type"
            | "typeof"
            | "union"
            | "unsafe"
            | "unsized"
            | "use"
            | "virtual"
            | "where"
            | "while"
            | "yeet"
            | "yield"
    )
}

/// The text of an identifier, written into `buf` (no allocation per call).
fn ident_text<'b>(ident: &Ident, buf: &'b mut String) -> &'b str {
    use std::fmt::Write;
    buf.clear();
    let _ = write!(buf, "{ident}");
    buf
}

/// Placeholder identifiers are `__thriftc_hole<n>`.
const HOLE: &str = "__thriftc_hole";

/// A parser of generated items that reuses templates (see the module docs).
/// One per thread.
#[derive(Default)]
pub struct Parser {
    templates: HashMap<String, syn::File>,
    /// Hashes of shapes seen once.
    seen: HashSet<u64>,
    template_tokens: usize,
}

/// What fills one hole.
enum Hole {
    Ident(Ident),
    Lit(Literal),
}

impl Parser {
    /// A parser with no templates yet.
    pub fn new() -> Parser {
        Parser::default()
    }

    /// Parses the tokens of a sequence of items (what `syn::parse2` into a
    /// `syn::File` gives for them). An error may also mean that the items
    /// were split in the wrong places (the split is a heuristic): the caller
    /// then parses the same tokens with `syn::parse2`. (Keeping a copy here
    /// would cost a deep copy of every token: a stream is consumed by
    /// iterating it, and copied if shared.)
    pub fn parse(&mut self, tokens: TokenStream) -> syn::Result<syn::File> {
        let mut items = Vec::new();
        for chunk in split_items(tokens) {
            items.extend(self.parse_item(chunk)?.items);
        }
        Ok(syn::File {
            shebang: None,
            attrs: Vec::new(),
            items,
        })
    }

    fn parse_item(&mut self, tokens: TokenStream) -> syn::Result<syn::File> {
        let mut shape = Shape {
            key: String::new(),
            holes: Vec::new(),
            count: 0,
            reusable: true,
            buf: String::new(),
        };
        let tokens = shape.add(tokens);
        if !shape.reusable {
            return syn::parse2(tokens);
        }
        if let Some(template) = self.templates.get(&shape.key) {
            return match instantiate(template, &shape.holes) {
                Some(file) => Ok(file),
                None => syn::parse2(tokens),
            };
        }
        let hash = {
            use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
            BuildHasherDefault::<DefaultHasher>::default().hash_one(&shape.key)
        };
        if self.seen.insert(hash) || self.template_tokens + shape.count > MAX_TEMPLATE_TOKENS {
            return syn::parse2(tokens);
        }
        // Second occurrence: make the template.
        let mut n = 0;
        let Ok(template) = syn::parse2::<syn::File>(skeleton(tokens.clone(), &mut n)) else {
            return syn::parse2(tokens);
        };
        let file = instantiate(&template, &shape.holes);
        self.template_tokens += shape.count;
        self.templates.insert(shape.key, template);
        match file {
            Some(file) => Ok(file),
            None => syn::parse2(tokens),
        }
    }
}

/// Is this literal a hole: a plain string (`"..."`) or an unsuffixed
/// decimal integer?
fn lit_is_hole(text: &str) -> bool {
    text.starts_with('"') || (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
}

/// The shape of some tokens (see the module docs).
struct Shape {
    key: String,
    holes: Vec<Hole>,
    /// Tokens seen.
    count: usize,
    /// No identifier looks like a placeholder (else the item is parsed as
    /// usual).
    reusable: bool,
    buf: String,
}

impl Shape {
    /// Appends the shape of `tokens`; returns the same tokens, moved into a
    /// new stream (iterating a stream consumes it).
    fn add(&mut self, tokens: TokenStream) -> TokenStream {
        let mut out = Vec::new();
        for tt in tokens {
            self.count += 1;
            match tt {
                TokenTree::Ident(i) => {
                    let text = ident_text(&i, &mut self.buf);
                    if text.starts_with(HOLE) {
                        self.reusable = false;
                    }
                    if is_significant(text) {
                        self.key.push_str(text);
                        self.key.push(' ');
                    } else {
                        self.key.push('\u{1}');
                        self.holes.push(Hole::Ident(i.clone()));
                    }
                    out.push(TokenTree::Ident(i));
                }
                TokenTree::Punct(p) => {
                    self.key.push(p.as_char());
                    if p.spacing() == Spacing::Joint {
                        self.key.push('\u{2}');
                    }
                    out.push(TokenTree::Punct(p));
                }
                TokenTree::Literal(l) => {
                    let text = l.to_string();
                    if lit_is_hole(&text) {
                        self.key.push(if text.starts_with('"') {
                            '\u{3}'
                        } else {
                            '\u{4}'
                        });
                        self.holes.push(Hole::Lit(l.clone()));
                    } else {
                        self.key.push('\u{5}');
                        self.key.push_str(&text);
                        self.key.push('\u{5}');
                    }
                    out.push(TokenTree::Literal(l));
                }
                TokenTree::Group(g) => {
                    let delimiter = g.delimiter();
                    self.key.push(match delimiter {
                        Delimiter::Parenthesis => '(',
                        Delimiter::Brace => '{',
                        Delimiter::Bracket => '[',
                        Delimiter::None => '\u{6}',
                    });
                    let span = g.span();
                    let inner = g.stream();
                    drop(g);
                    let inner = self.add(inner);
                    self.key.push('\u{7}');
                    let mut group = Group::new(delimiter, inner);
                    group.set_span(span);
                    out.push(TokenTree::Group(group));
                }
            }
        }
        out.into_iter().collect()
    }
}

/// `tokens` with holes replaced by numbered placeholders, in the order
/// [`shape`] lists them.
fn skeleton(tokens: TokenStream, n: &mut usize) -> TokenStream {
    tokens
        .into_iter()
        .map(|tt| match tt {
            TokenTree::Ident(i) if !is_significant(&i.to_string()) => {
                let hole = *n;
                *n += 1;
                TokenTree::Ident(Ident::new(&format!("{HOLE}{hole}"), Span::call_site()))
            }
            TokenTree::Literal(l) => {
                let text = l.to_string();
                if !lit_is_hole(&text) {
                    return TokenTree::Literal(l);
                }
                let hole = *n;
                *n += 1;
                TokenTree::Literal(if text.starts_with('"') {
                    Literal::string(&format!("{HOLE}{hole}"))
                } else {
                    Literal::usize_unsuffixed(hole)
                })
            }
            TokenTree::Group(g) => {
                let inner = skeleton(g.stream(), n);
                TokenTree::Group(Group::new(g.delimiter(), inner))
            }
            tt => tt,
        })
        .collect()
}

/// The template with its placeholders replaced by `holes`; `None` if some
/// hole was not reached or did not fit.
fn instantiate(template: &syn::File, holes: &[Hole]) -> Option<syn::File> {
    let mut file = template.clone();
    let mut s = Substitute {
        holes,
        hit: vec![false; holes.len()],
        ok: true,
        buf: String::new(),
    };
    s.visit_file_mut(&mut file);
    (s.ok && s.hit.iter().all(|h| *h)).then_some(file)
}

struct Substitute<'a> {
    holes: &'a [Hole],
    hit: Vec<bool>,
    ok: bool,
    buf: String,
}

impl<'a> Substitute<'a> {
    /// The hole a placeholder identifier stands for.
    fn ident_hole(&mut self, ident: &Ident) -> Option<&'a Ident> {
        let n: usize = ident_text(ident, &mut self.buf)
            .strip_prefix(HOLE)?
            .parse()
            .ok()?;
        match self.holes.get(n) {
            Some(Hole::Ident(real)) => {
                self.hit[n] = true;
                Some(real)
            }
            _ => {
                self.ok = false;
                None
            }
        }
    }

    /// The hole a placeholder literal stands for.
    fn lit_hole(&mut self, text: &str) -> Option<&'a Literal> {
        let n: usize = match text.strip_prefix('"') {
            Some(rest) => rest.strip_prefix(HOLE)?.strip_suffix('"')?.parse().ok()?,
            None => text.parse().ok()?,
        };
        match self.holes.get(n) {
            Some(Hole::Lit(real)) => {
                self.hit[n] = true;
                Some(real)
            }
            _ => {
                self.ok = false;
                None
            }
        }
    }

    fn tokens(&mut self, tokens: &TokenStream) -> TokenStream {
        tokens
            .clone()
            .into_iter()
            .map(|tt| match tt {
                TokenTree::Ident(i) => match self.ident_hole(&i) {
                    Some(real) => TokenTree::Ident(real.clone()),
                    None => TokenTree::Ident(i),
                },
                TokenTree::Literal(l) => match self.lit_hole(&l.to_string()) {
                    Some(real) => TokenTree::Literal(real.clone()),
                    None => TokenTree::Literal(l),
                },
                TokenTree::Group(g) => {
                    let mut out = Group::new(g.delimiter(), self.tokens(&g.stream()));
                    out.set_span(g.span());
                    TokenTree::Group(out)
                }
                tt => tt,
            })
            .collect()
    }
}

impl VisitMut for Substitute<'_> {
    fn visit_ident_mut(&mut self, i: &mut Ident) {
        if let Some(real) = self.ident_hole(i) {
            *i = real.clone();
        }
    }

    fn visit_lit_mut(&mut self, lit: &mut syn::Lit) {
        let text = match lit {
            syn::Lit::Str(s) => s.token().to_string(),
            syn::Lit::Int(i) => i.token().to_string(),
            _ => return,
        };
        if let Some(real) = self.lit_hole(&text) {
            *lit = syn::Lit::new(real.clone());
        }
    }

    fn visit_index_mut(&mut self, index: &mut syn::Index) {
        let text = index.index.to_string();
        if let Some(real) = self.lit_hole(&text) {
            match real.to_string().parse() {
                Ok(v) => index.index = v,
                Err(_) => self.ok = false,
            }
        }
    }

    fn visit_macro_mut(&mut self, mac: &mut syn::Macro) {
        visit_mut::visit_path_mut(self, &mut mac.path);
        mac.tokens = self.tokens(&mac.tokens);
    }

    fn visit_meta_list_mut(&mut self, list: &mut syn::MetaList) {
        visit_mut::visit_path_mut(self, &mut list.path);
        list.tokens = self.tokens(&list.tokens);
    }
}

/// Splits the tokens of a sequence of items into one stream per item:
/// attributes and visibility, then up to a `;` for `const`, `static`,
/// `type` and `use` items, else up to the first brace group (or `;`).
fn split_items(tokens: TokenStream) -> Vec<TokenStream> {
    let mut out = Vec::new();
    let mut cur: Vec<TokenTree> = Vec::new();
    // The item's kind is known (its first keyword after `pub`).
    let mut decided = false;
    let mut semi_item = false;
    for tt in tokens {
        let end = match &tt {
            TokenTree::Punct(p) => p.as_char() == ';',
            TokenTree::Group(g) => g.delimiter() == Delimiter::Brace && !semi_item,
            TokenTree::Ident(i) if !decided => {
                let text = i.to_string();
                if text != "pub" {
                    decided = true;
                    semi_item = matches!(text.as_str(), "const" | "static" | "type" | "use");
                }
                false
            }
            TokenTree::Ident(_) | TokenTree::Literal(_) => false,
        };
        cur.push(tt);
        if end {
            out.push(cur.drain(..).collect());
            decided = false;
            semi_item = false;
        }
    }
    if !cur.is_empty() {
        out.push(cur.into_iter().collect());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    /// Formats `tokens` twice through `parser` (the second time from a
    /// template when the shape repeats) and plainly; all must agree.
    fn check(parser: &mut Parser, tokens: TokenStream) {
        let plain = prettyplease::unparse(&syn::parse2(tokens.clone()).unwrap());
        let first = prettyplease::unparse(&parser.parse(tokens.clone()).unwrap());
        assert_eq!(first, plain);
        let again = prettyplease::unparse(&parser.parse(tokens).unwrap());
        assert_eq!(again, plain);
    }

    #[test]
    fn same_shape_other_names_and_literals() {
        let mut parser = Parser::new();
        let items = [
            quote! {
                /// Doc one.
                #[derive(Debug, Clone)]
                pub struct A { pub x: i32, pub r#type: Option<Vec<u8>> }
                impl A {
                    pub fn get(&self) -> i32 { let v = self.x; write!(f, "a: {}", v); v + 1 }
                }
                pub const LIMIT: i32 = 5;
                pub const START: A = A { x: 1, r#type: None };
            },
            quote! {
                /// Another doc, longer than the first one by some words.
                #[derive(Debug, Clone)]
                pub struct SomeMuchLongerNameThatChangesLineBreaking { pub field_with_long_name: i64, pub kind: HashMap<String, Vec<SomeMuchLongerNameThatChangesLineBreaking>> }
                impl SomeMuchLongerNameThatChangesLineBreaking {
                    pub fn get_the_value(&self) -> i64 { let value = self.field_with_long_name; format!(out, "b: {}", value); value + 1234567 }
                }
                pub const OTHER_LIMIT: i64 = 70000;
                pub const BEGIN: Foo = Foo { y: 2, kind: Default };
            },
            quote! {
                /// Three.
                #[derive(Debug, Clone)]
                pub struct B { pub y: u8, pub z: Option<Vec<u8>> }
                impl B {
                    pub fn get(&self) -> u8 { let v = self.y; vec!(w, "c: {}", v); v + 2 }
                }
                pub const L: u8 = 0;
                pub const S: B = B { y: 1, z: None };
            },
            quote! {
                /// The same shape as the first and third, with names long enough to break lines differently.
                #[derive(Debug, Clone)]
                pub struct AVeryLongStructNameIndeedForTesting { pub a_very_long_field_name_for_testing: AVeryLongStructNameIndeedForTesting, pub another_quite_long_field: Option<Vec<AVeryLongStructNameIndeedForTesting>> }
                impl AVeryLongStructNameIndeedForTesting {
                    pub fn a_long_method_name(&self) -> AVeryLongStructNameIndeedForTesting { let the_value = self.a_very_long_field_name_for_testing; write!(formatter_argument, "a long format string: {}", the_value); the_value + 1234567890 }
                }
                pub const LIMIT_WITH_A_LONG_NAME: AVeryLongStructNameIndeedForTesting = 5;
                pub const START_WITH_A_LONG_NAME: AVeryLongStructNameIndeedForTesting = AVeryLongStructNameIndeedForTesting { x: 1, r#type: None };
            },
        ];
        for item in &items {
            check(&mut parser, item.clone());
        }
        // The impls and the two consts of all four share three templates;
        // each struct (its doc comment, a raw string, is part of its shape)
        // has its own, made when `check` parses it the second time.
        assert_eq!(parser.templates.len(), 7);
    }

    #[test]
    fn shorthand_fields_and_tuple_indices() {
        let mut parser = Parser::new();
        for (a, b, i) in [("channel", "C", 0usize), ("inner", "D", 1), ("x", "E", 2)] {
            let a = Ident::new(a, Span::call_site());
            let b = Ident::new(b, Span::call_site());
            let i = syn::Index::from(i);
            check(
                &mut parser,
                quote! {
                    impl<T> #b<T> {
                        pub fn new(#a: T) -> Self { Self { #a } }
                        pub fn first(&self) -> &T { &self.#i }
                    }
                },
            );
        }
    }

    #[test]
    fn placeholder_like_names_are_parsed_plainly() {
        let mut parser = Parser::new();
        for name in ["__thriftc_hole0", "__thriftc_hole1", "__thriftc_hole0"] {
            let n = Ident::new(name, Span::call_site());
            check(
                &mut parser,
                quote!(pub struct S { pub #n: i32, pub b: i64 }),
            );
        }
    }

    #[test]
    fn keywords_change_the_shape() {
        let mut parser = Parser::new();
        check(
            &mut parser,
            quote!(
                pub fn f() {
                    let x = a;
                }
            ),
        );
        check(
            &mut parser,
            quote!(
                pub fn f() {
                    let x = a;
                }
            ),
        );
        check(
            &mut parser,
            quote!(
                pub fn f() {
                    let x = self;
                }
            ),
        );
        check(
            &mut parser,
            quote!(
                pub fn f() {
                    let mut x = a;
                }
            ),
        );
    }

    #[test]
    fn items_split_where_they_end() {
        let chunks = split_items(quote! {
            #[doc = "x"] pub struct A;
            pub struct B(i32);
            pub struct C { a: i32 }
            pub const D: C = C { a: 1 };
            pub static E: X = X::new(|| { 1 });
            pub(crate) type F = Vec<u8>;
            impl<T: Send> G for H<T> where T: Sync { fn g(&self) {} }
            use a::b as c;
        });
        assert_eq!(chunks.len(), 8);
    }
}
