//! Render: planned items to token streams. One module per kind of item;
//! this one holds what they share: the rendering context ([`Ctx`]) with
//! type paths, wire types, constant values and doc attributes.

pub mod consts;
pub mod enums;
pub mod services;
pub mod structs;
pub mod unions;

use super::plan::{Coll, Crate, Field, Item, Ty, Wire};
use crate::ir::{self, ConstValue, DefKind};
use proc_macro2::{Literal, TokenStream};
use quote::quote;
use std::cell::Cell;

/// Rendering context of one module.
pub struct Ctx<'a> {
    /// The plan of the whole output (every module, for cross-module paths).
    pub krate: &'a Crate,
    /// The resolved model the plan was made from.
    pub program: &'a ir::Program,
    /// Index of the module being rendered in [`Crate::modules`].
    pub module: usize,
    uses_rt: Cell<bool>,
}

impl<'a> Ctx<'a> {
    /// A context for rendering module `module` of `krate`.
    pub fn new(krate: &'a Crate, program: &'a ir::Program, module: usize) -> Ctx<'a> {
        Ctx {
            krate,
            program,
            module,
            uses_rt: Cell::new(false),
        }
    }

    /// The runtime facade alias (`__rt`); marks the module as needing the
    /// `use <runtime>::__codegen as __rt;` line.
    pub fn rt(&self) -> TokenStream {
        self.uses_rt.set(true);
        quote!(__rt)
    }

    /// Whether [`Ctx::rt`] was used.
    pub fn uses_rt(&self) -> bool {
        self.uses_rt.get()
    }

    /// Path to a generated definition from the current module: `Name` or
    /// `super::module::Name`.
    pub fn def_path(&self, id: ir::DefId) -> TokenStream {
        let info = self.krate.def(id);
        let name = &info.name;
        if info.module == self.module {
            quote!(#name)
        } else {
            let m = &self.krate.modules[info.module].name;
            quote!(super::#m::#name)
        }
    }

    /// The Rust type of a planned type.
    pub fn ty(&self, ty: &Ty) -> TokenStream {
        match ty {
            Ty::Bool => quote!(bool),
            Ty::I8 => quote!(i8),
            Ty::I16 => quote!(i16),
            Ty::I32 => quote!(i32),
            Ty::I64 => quote!(i64),
            Ty::Double => quote!(f64),
            Ty::String => quote!(String),
            Ty::Binary => quote!(Vec<u8>),
            Ty::ByteString => {
                let rt = self.rt();
                quote!(#rt::ByteString)
            }
            Ty::Bytes => {
                let rt = self.rt();
                quote!(#rt::Bytes)
            }
            Ty::Uuid => {
                let rt = self.rt();
                quote!(#rt::Uuid)
            }
            Ty::List(e) => {
                let e = self.ty(e);
                quote!(Vec<#e>)
            }
            Ty::Set(c, e) => {
                let e = self.ty(e);
                match c {
                    Coll::Hash => quote!(::std::collections::HashSet<#e>),
                    Coll::BTree => quote!(::std::collections::BTreeSet<#e>),
                    Coll::Vec => {
                        let rt = self.rt();
                        quote!(#rt::VecSet<#e>)
                    }
                }
            }
            Ty::Map(c, k, v) => {
                let k = self.ty(k);
                let v = self.ty(v);
                match c {
                    Coll::Hash => quote!(::std::collections::HashMap<#k, #v>),
                    Coll::BTree => quote!(::std::collections::BTreeMap<#k, #v>),
                    Coll::Vec => {
                        let rt = self.rt();
                        quote!(#rt::VecMap<#k, #v>)
                    }
                }
            }
            Ty::Named(id) => self.def_path(*id),
        }
    }

    /// The type a field is stored as, without `Option` (boxed if planned).
    pub fn stored_ty(&self, f: &Field) -> TokenStream {
        let t = self.ty(&f.ty);
        if f.boxed { quote!(Box<#t>) } else { t }
    }

    /// The declared type of a struct field (`Option<...>` when optional).
    pub fn field_ty(&self, f: &Field) -> TokenStream {
        let t = self.stored_ty(f);
        if f.is_optional() {
            quote!(Option<#t>)
        } else {
            t
        }
    }

    /// The wire type of a planned type.
    pub fn wire(&self, ty: &Ty) -> Wire {
        match ty {
            Ty::Bool => Wire::Bool,
            Ty::I8 => Wire::I8,
            Ty::I16 => Wire::I16,
            Ty::I32 => Wire::I32,
            Ty::I64 => Wire::I64,
            Ty::Double => Wire::Double,
            Ty::String | Ty::Binary | Ty::ByteString | Ty::Bytes => Wire::String,
            Ty::Uuid => Wire::Uuid,
            Ty::List(_) => Wire::List,
            Ty::Set(..) => Wire::Set,
            Ty::Map(..) => Wire::Map,
            Ty::Named(id) => self.krate.def(*id).wire,
        }
    }

    /// `__rt::TType::X`.
    pub fn ttype(&self, w: Wire) -> TokenStream {
        let rt = self.rt();
        let v = match w {
            Wire::Bool => quote!(Bool),
            Wire::I8 => quote!(I8),
            Wire::I16 => quote!(I16),
            Wire::I32 => quote!(I32),
            Wire::I64 => quote!(I64),
            Wire::Double => quote!(Double),
            Wire::String => quote!(String),
            Wire::Uuid => quote!(Uuid),
            Wire::Struct => quote!(Struct),
            Wire::Map => quote!(Map),
            Wire::Set => quote!(Set),
            Wire::List => quote!(List),
            Wire::Void => quote!(Void),
        };
        quote!(#rt::TType::#v)
    }

    /// A typedef's target, followed to a non-typedef type.
    pub fn resolve<'t>(&'t self, ty: &'t Ty) -> &'t Ty {
        let mut ty = ty;
        for _ in 0..64 {
            match ty {
                Ty::Named(id) => match self.krate.item(*id) {
                    Item::Typedef(t) => ty = &t.ty,
                    _ => return ty,
                },
                _ => return ty,
            }
        }
        ty
    }

    /// An expression of type `ty` with the constant value `v`.
    pub fn value(&self, ty: &Ty, v: &ConstValue) -> TokenStream {
        let ty = self.resolve(ty);
        match (ty, v) {
            (_, ConstValue::Bool(b)) => quote!(#b),
            (Ty::Double, ConstValue::Int(i)) => float_lit(*i as f64),
            (_, ConstValue::Int(i)) => int_lit(*i),
            (_, ConstValue::Double(d)) => float_lit(*d),
            (Ty::Binary, ConstValue::String(s)) => {
                let lit = Literal::byte_string(s.as_bytes());
                quote!(#lit.to_vec())
            }
            (Ty::Bytes, ConstValue::String(s)) => {
                let rt = self.rt();
                let lit = Literal::byte_string(s.as_bytes());
                quote!(#rt::Bytes::from_static(#lit))
            }
            (Ty::ByteString, ConstValue::String(s)) => {
                let rt = self.rt();
                quote!(#rt::ByteString::from_static(#s))
            }
            (_, ConstValue::String(s)) => quote!(String::from(#s)),
            (_, ConstValue::Uuid(u)) => {
                let rt = self.rt();
                let bytes = u.iter().map(|b| Literal::u8_unsuffixed(*b));
                quote!(#rt::Uuid::from_bytes([#(#bytes),*]))
            }
            (Ty::List(e), ConstValue::List(items) | ConstValue::Set(items)) => {
                if items.is_empty() {
                    quote!(Vec::new())
                } else {
                    let items = items.iter().map(|i| self.value(e, i));
                    quote!(vec![#(#items),*])
                }
            }
            (Ty::Set(c, e), ConstValue::Set(items) | ConstValue::List(items)) => {
                let vals: Vec<_> = items.iter().map(|i| self.value(e, i)).collect();
                self.collection(*c, false, vals)
            }
            (Ty::Map(c, k, val), ConstValue::Map(entries)) => {
                let vals: Vec<_> = entries
                    .iter()
                    .map(|(a, b)| {
                        let a = self.value(k, a);
                        let b = self.value(val, b);
                        quote!((#a, #b))
                    })
                    .collect();
                self.collection(*c, true, vals)
            }
            (_, ConstValue::Enum { def, index }) => {
                let path = self.def_path(*def);
                match self.krate.item(*def) {
                    Item::Enum(e) => match e.values.get(*index) {
                        Some(v) => {
                            let n = &v.name;
                            quote!(#path::#n)
                        }
                        None => quote!(#path::default()),
                    },
                    _ => quote!(#path::default()),
                }
            }
            (_, ConstValue::Struct { def, fields }) => self.struct_value(*def, fields),
            // The front end checked every value against its type; anything
            // else cannot occur. Fall back to the type's default.
            _ => quote!(Default::default()),
        }
    }

    fn collection(&self, c: Coll, map: bool, vals: Vec<TokenStream>) -> TokenStream {
        let std_path = match (c, map) {
            (Coll::Hash, false) => quote!(::std::collections::HashSet),
            (Coll::BTree, false) => quote!(::std::collections::BTreeSet),
            (Coll::Hash, true) => quote!(::std::collections::HashMap),
            (Coll::BTree, true) => quote!(::std::collections::BTreeMap),
            (Coll::Vec, _) => {
                let rt = self.rt();
                let ctor = if map {
                    quote!(#rt::VecMap)
                } else {
                    quote!(#rt::VecSet)
                };
                return if vals.is_empty() {
                    quote!(#ctor::new())
                } else {
                    quote!(#ctor(vec![#(#vals),*]))
                };
            }
        };
        if vals.is_empty() {
            quote!(#std_path::new())
        } else {
            quote!(#std_path::from([#(#vals),*]))
        }
    }

    fn struct_value(&self, def: ir::DefId, given: &[(usize, ConstValue)]) -> TokenStream {
        let path = self.def_path(def);
        match self.krate.item(def) {
            Item::Union(u) => match given.first() {
                Some((i, v)) if *i < u.fields.len() => {
                    let f = &u.fields[*i];
                    let n = &f.name;
                    let v = self.boxed(f, self.value(&f.ty, v));
                    quote!(#path::#n(#v))
                }
                _ => quote!(Default::default()),
            },
            Item::Struct(s) => {
                let inits = s.fields.iter().enumerate().map(|(i, f)| {
                    let n = &f.name;
                    let v = match given.iter().rev().find(|(j, _)| *j == i) {
                        Some((_, v)) => {
                            let v = self.boxed(f, self.value(&f.ty, v));
                            if f.is_optional() { quote!(Some(#v)) } else { v }
                        }
                        None => self.field_default(f),
                    };
                    quote!(#n: #v)
                });
                let unknown = s.unknown_fields.as_ref().map(|n| quote!(#n: Vec::new(),));
                quote!(#path { #(#inits,)* #unknown })
            }
            _ => quote!(Default::default()),
        }
    }

    /// Wraps a value expression in `Box::new` for a boxed field.
    pub fn boxed(&self, f: &Field, v: TokenStream) -> TokenStream {
        if f.boxed { quote!(Box::new(#v)) } else { v }
    }

    /// The value of a struct field in `Default::default()`.
    pub fn field_default(&self, f: &Field) -> TokenStream {
        match (&f.default, f.is_optional()) {
            (Some(v), true) => {
                let v = self.boxed(f, self.value(&f.ty, v));
                quote!(Some(#v))
            }
            (None, true) => quote!(None),
            (Some(v), false) => self.boxed(f, self.value(&f.ty, v)),
            (None, false) => quote!(Default::default()),
        }
    }

    /// Is this constant cheap enough to build eagerly (`unwrap_or(v)`)?
    pub fn is_cheap(&self, v: &ConstValue) -> bool {
        matches!(
            v,
            ConstValue::Bool(_)
                | ConstValue::Int(_)
                | ConstValue::Double(_)
                | ConstValue::Enum { .. }
                | ConstValue::Uuid(_)
        )
    }

    /// `#[allow(clippy::type_complexity)]` when one of the types is as
    /// deeply nested as clippy objects to (its score: 10 × nesting depth per
    /// type, limit 250; we allow from 200 to stay clear of rounding). The
    /// nesting is spelled by the IDL, and a generated alias would only move
    /// it.
    pub fn allow_complex<'t>(&self, tys: impl IntoIterator<Item = &'t Ty>) -> TokenStream {
        fn score(ty: &Ty, nest: u32) -> u32 {
            10 * nest
                + match ty {
                    Ty::List(e) | Ty::Set(_, e) => score(e, nest + 1),
                    Ty::Map(_, k, v) => score(k, nest + 1) + score(v, nest + 1),
                    _ => 0,
                }
        }
        // Fields wrap the type in `Option`/`Box`: one more level.
        if tys.into_iter().any(|t| score(t, 2) >= 200) {
            quote!(#[allow(clippy::type_complexity)])
        } else {
            TokenStream::new()
        }
    }

    /// Is `id` a definition of this kind?
    pub fn is_kind(&self, id: ir::DefId, f: impl Fn(&DefKind) -> bool) -> bool {
        f(&self.program.def(id).kind)
    }
}

/// An integer literal (negative ones as `-n`; `i64::MIN` by name).
pub fn int_lit(i: i64) -> TokenStream {
    if i == i64::MIN {
        quote!(i64::MIN)
    } else if i < 0 {
        let lit = Literal::i64_unsuffixed(-i);
        quote!(-#lit)
    } else {
        let lit = Literal::i64_unsuffixed(i);
        quote!(#lit)
    }
}

/// A float literal; non-finite values by name.
pub fn float_lit(d: f64) -> TokenStream {
    if d.is_nan() {
        quote!(f64::NAN)
    } else if d.is_infinite() {
        if d > 0.0 {
            quote!(f64::INFINITY)
        } else {
            quote!(f64::NEG_INFINITY)
        }
    } else if d.is_sign_negative() {
        let lit = positive_float_lit(-d);
        quote!(-#lit)
    } else {
        let lit = positive_float_lit(d);
        quote!(#lit)
    }
}

/// A non-negative float literal. A value whose decimal text starts like a
/// `std::f64::consts` constant (IDL `3.14159`) is written as an exact
/// quotient (`314159.0 / 100000.0`, correctly rounded to the same double):
/// clippy's `approx_constant` rejects such literals, but the IDL means
/// exactly this value.
fn positive_float_lit(d: f64) -> TokenStream {
    let lit = Literal::f64_unsuffixed(d);
    let text = lit.to_string();
    if !looks_like_std_constant(&text) {
        return quote!(#lit);
    }
    if let Some((int, frac)) = text.split_once('.') {
        let digits: Option<u64> = format!("{int}{frac}").parse().ok();
        if let Some(n) = digits.filter(|n| *n < (1 << 53) && frac.len() <= 22) {
            let num = Literal::f64_unsuffixed(n as f64);
            let den = Literal::f64_unsuffixed(10f64.powi(frac.len() as i32));
            return quote!(#num / #den);
        }
    }
    let bits = Literal::u64_unsuffixed(d.to_bits());
    quote!(f64::from_bits(#bits))
}

/// The test clippy's `approx_constant` applies (a prefix of, or the
/// rounding of, a known constant, with at least 3 digits).
fn looks_like_std_constant(text: &str) -> bool {
    use std::f64::consts as c;
    const KNOWN: &[f64] = &[
        c::E,
        c::FRAC_1_PI,
        c::FRAC_1_SQRT_2,
        c::FRAC_2_PI,
        c::FRAC_2_SQRT_PI,
        c::FRAC_PI_2,
        c::FRAC_PI_3,
        c::FRAC_PI_4,
        c::FRAC_PI_6,
        c::FRAC_PI_8,
        c::LN_10,
        c::LN_2,
        c::LOG10_E,
        c::LOG2_E,
        c::LOG2_10,
        c::LOG10_2,
        c::PI,
        c::SQRT_2,
        c::TAU,
    ];
    text.len() > 3
        && KNOWN.iter().any(|k| {
            k.to_string().starts_with(text)
                || format!("{k:.*}", text.len().saturating_sub(2)) == text
        })
}

/// `#[doc = "..."]` attributes, one per line (prettyplease prints `///`).
///
/// IDL doc comments are plain text written for every target language, not
/// Markdown, so each line is made inert before rustdoc sees it: leading
/// whitespace is dropped (four spaces would start a code block, compiled as
/// a doctest), list markers are escaped (`\- item`: a list with unindented
/// continuation lines trips clippy's doc lints), and an unlabelled code
/// fence becomes a `text` fence (never a doctest).
pub fn docs(doc: &Option<String>) -> TokenStream {
    let Some(doc) = doc else {
        return TokenStream::new();
    };
    if doc.trim().is_empty() {
        return TokenStream::new();
    }
    let lines = doc.lines().map(|l| {
        let l = doc_line(l);
        let text = if l.is_empty() {
            String::new()
        } else {
            format!(" {l}")
        };
        quote!(#[doc = #text])
    });
    quote!(#(#lines)*)
}

/// One doc line made inert (see [`docs`]).
pub fn doc_line(line: &str) -> String {
    let l = line.trim();
    if l.starts_with("```") {
        return if l.trim_start_matches('`').is_empty() {
            "```text".to_owned()
        } else {
            l.to_owned()
        };
    }
    if l.starts_with("- ") || l.starts_with("* ") || l.starts_with("+ ") || l == "-" || l == "*" {
        return format!("\\{l}");
    }
    let digits = l.bytes().take_while(u8::is_ascii_digit).count();
    if digits > 0 && matches!(l.as_bytes().get(digits), Some(b'.' | b')')) {
        let rest = &l[digits..];
        if rest.len() == 1 || rest.as_bytes()[1] == b' ' {
            return format!("{}\\{rest}", &l[..digits]);
        }
    }
    l.to_owned()
}
