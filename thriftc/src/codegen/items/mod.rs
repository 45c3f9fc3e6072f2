//! Render: planned items to formatted Rust text, written into a
//! [`Writer`]. One module per kind of item; this
//! one holds what they share: the rendering context ([`Ctx`]) with type
//! paths, wire types, constant values, and doc comments (literals: [`super::literals`]).

pub mod async_services;
pub mod consts;
pub mod enums;
pub mod services;
pub mod structs;
pub mod unions;
pub mod view_services;
pub mod views;

pub use super::literals::{byte_str_lit, float_lit, int_lit, str_lit};
use super::plan::{Coll, Crate, DefaultImpl, Field, Function, Item, Ty, Wire};
use super::writer::Writer;
use crate::ir::{self, ConstValue};
use std::cell::Cell;

/// The runtime facade alias in generated code.
pub const RT: &str = "__rt";

/// Rendering context of one module.
pub struct Ctx<'a> {
    /// The plan of the whole output (every module, for cross-module paths).
    pub krate: &'a Crate,
    /// The resolved model the plan was made from.
    pub program: &'a ir::Program,
    /// Index of the module being rendered in [`Crate::modules`].
    pub module: usize,
    uses_rt: Cell<bool>,
    /// Memo of `structs::cheap_default` per definition: the walk would
    /// otherwise repeat for every field that reaches a shared type.
    pub(crate) cheap_defaults:
        std::cell::RefCell<std::collections::HashMap<crate::ir::DefId, bool>>,
}

impl<'a> Ctx<'a> {
    /// A context for rendering module `module` of `krate`.
    pub fn new(krate: &'a Crate, program: &'a ir::Program, module: usize) -> Ctx<'a> {
        Ctx {
            krate,
            program,
            module,
            uses_rt: Cell::new(false),
            cheap_defaults: Default::default(),
        }
    }

    /// The runtime facade alias (`__rt`); marks the module as needing the
    /// `use <runtime>::__codegen as __rt;` line.
    pub fn rt(&self) -> &'static str {
        self.uses_rt.set(true);
        RT
    }

    /// Whether [`Ctx::rt`] was used.
    pub fn uses_rt(&self) -> bool {
        self.uses_rt.get()
    }

    /// The path prefix to reach items of module `module` from the current
    /// one: nothing, or `super::<module>::`.
    pub fn module_prefix(&self, module: usize) -> String {
        if module == self.module {
            String::new()
        } else {
            format!("super::{}::", self.krate.modules[module].name)
        }
    }

    /// Path to a generated definition from the current module: `Name` or
    /// `super::module::Name`.
    pub fn def_path(&self, id: ir::DefId) -> String {
        let info = self.krate.def(id);
        if info.module == self.module {
            info.name.as_str().to_owned()
        } else {
            format!(
                "super::{}::{}",
                self.krate.modules[info.module].name, info.name
            )
        }
    }

    /// The Rust type of a planned type.
    pub fn ty(&self, ty: &Ty) -> String {
        let mut s = String::new();
        self.push_ty(&mut s, ty);
        s
    }

    fn push_ty(&self, s: &mut String, ty: &Ty) {
        match ty {
            Ty::Bool => s.push_str("bool"),
            Ty::I8 => s.push_str("i8"),
            Ty::I16 => s.push_str("i16"),
            Ty::I32 => s.push_str("i32"),
            Ty::I64 => s.push_str("i64"),
            Ty::Double => s.push_str("f64"),
            Ty::String => s.push_str("String"),
            Ty::Binary => s.push_str("Vec<u8>"),
            Ty::ByteString => {
                s.push_str(self.rt());
                s.push_str("::ByteString");
            }
            Ty::Bytes => {
                s.push_str(self.rt());
                s.push_str("::Bytes");
            }
            Ty::SmallString => {
                s.push_str(self.rt());
                s.push_str("::CompactString");
            }
            Ty::Uuid => {
                s.push_str(self.rt());
                s.push_str("::Uuid");
            }
            Ty::List(e) => {
                s.push_str("Vec<");
                self.push_ty(s, e);
                s.push('>');
            }
            Ty::Set(c, e) => {
                match c {
                    Coll::Hash => s.push_str("::std::collections::HashSet<"),
                    Coll::BTree => s.push_str("::std::collections::BTreeSet<"),
                    Coll::Vec => {
                        s.push_str(self.rt());
                        s.push_str("::VecSet<");
                    }
                }
                self.push_ty(s, e);
                self.push_hasher(s, *c);
                s.push('>');
            }
            Ty::Map(c, k, v) => {
                match c {
                    Coll::Hash => s.push_str("::std::collections::HashMap<"),
                    Coll::BTree => s.push_str("::std::collections::BTreeMap<"),
                    Coll::Vec => {
                        s.push_str(self.rt());
                        s.push_str("::VecMap<");
                    }
                }
                self.push_ty(s, k);
                s.push_str(", ");
                self.push_ty(s, v);
                self.push_hasher(s, *c);
                s.push('>');
            }
            Ty::Named(id) => s.push_str(&self.def_path(*id)),
        }
    }

    /// `, Hasher` after the parameters of a hash set or map, when the
    /// options name a hasher.
    fn push_hasher(&self, s: &mut String, c: Coll) {
        if let (Coll::Hash, Some(h)) = (c, &self.krate.hasher) {
            s.push_str(", ");
            s.push_str(h.as_str());
        }
    }

    /// Does a value of this type borrow in a view: a `string` or `binary`
    /// inside, or a type with a view?
    pub fn borrows(&self, ty: &Ty) -> bool {
        match self.resolve(ty) {
            Ty::String | Ty::Binary | Ty::ByteString | Ty::Bytes | Ty::SmallString => true,
            Ty::List(e) | Ty::Set(_, e) => self.borrows(e),
            Ty::Map(_, k, v) => self.borrows(k) || self.borrows(v),
            Ty::Named(id) => self.krate.def(*id).view.is_some(),
            _ => false,
        }
    }

    /// The type of a value in a view (lifetime `'a`): `&'a str`, `&'a [u8]`,
    /// `<Name>Ref<'a>` where the owned type has them; types that do not
    /// borrow stay as they are.
    pub fn view_ty(&self, ty: &Ty) -> String {
        if !self.borrows(ty) {
            return self.ty(ty);
        }
        match self.resolve(ty) {
            Ty::String | Ty::ByteString | Ty::SmallString => "&'a str".to_owned(),
            Ty::Binary | Ty::Bytes => "&'a [u8]".to_owned(),
            Ty::List(e) => format!("Vec<{}>", self.view_ty(e)),
            Ty::Set(c, e) => {
                let mut s = format!("{}<{}", self.coll_head(*c, false), self.view_ty(e));
                self.push_hasher(&mut s, *c);
                s.push('>');
                s
            }
            Ty::Map(c, k, v) => {
                let (k, v) = (self.view_ty(k), self.view_ty(v));
                let mut s = format!("{}<{k}, {v}", self.coll_head(*c, true));
                self.push_hasher(&mut s, *c);
                s.push('>');
                s
            }
            Ty::Named(id) => {
                let info = self.krate.def(*id);
                let view = info.view.as_ref().map_or("", |v| v.as_str());
                format!("{}{view}<'a>", self.module_prefix(info.module))
            }
            other => self.ty(other),
        }
    }

    fn coll_head(&self, c: Coll, map: bool) -> String {
        match (c, map) {
            (Coll::Hash, false) => "::std::collections::HashSet".to_owned(),
            (Coll::BTree, false) => "::std::collections::BTreeSet".to_owned(),
            (Coll::Vec, false) => format!("{}::VecSet", self.rt()),
            (Coll::Hash, true) => "::std::collections::HashMap".to_owned(),
            (Coll::BTree, true) => "::std::collections::BTreeMap".to_owned(),
            (Coll::Vec, true) => format!("{}::VecMap", self.rt()),
        }
    }

    /// The type a field or variant of a view stores, without `Option`:
    /// lazy when planned so and a container, else [`Ctx::view_ty`]; boxed
    /// if planned.
    pub fn view_stored_ty(&self, f: &Field) -> String {
        let t = if f.lazy { self.lazy_ty(&f.ty) } else { None };
        let t = t.unwrap_or_else(|| self.view_ty(&f.ty));
        if f.boxed { format!("Box<{t}>") } else { t }
    }

    /// The runtime's undecoded container of a list, set or map whose
    /// elements are view types (lifetime `'a`); `None` for other types.
    fn lazy_ty(&self, ty: &Ty) -> Option<String> {
        let rt = self.rt();
        match self.resolve(ty) {
            Ty::List(e) => Some(format!("{rt}::LazyList<'a, {}>", self.view_ty(e))),
            Ty::Set(_, e) => Some(format!("{rt}::LazySet<'a, {}>", self.view_ty(e))),
            Ty::Map(_, k, v) => Some(format!(
                "{rt}::LazyMap<'a, {}, {}>",
                self.view_ty(k),
                self.view_ty(v)
            )),
            _ => None,
        }
    }

    /// The declared type of a field of a view (`Option`, `Box` as planned).
    pub fn view_field_ty(&self, f: &Field) -> String {
        let t = self.view_stored_ty(f);
        if f.is_optional() {
            format!("Option<{t}>")
        } else {
            t
        }
    }

    /// [`Ctx::value`] for a view: a `string` default is a `&'static str`
    /// literal and a `binary` one a byte string literal; an empty container
    /// is built as for the owned type (the plan gives views no other
    /// defaults of types that borrow).
    pub fn view_value(&self, ty: &Ty, v: &ConstValue) -> String {
        let empty = match v {
            ConstValue::List(items) | ConstValue::Set(items) => items.is_empty(),
            ConstValue::Map(entries) => entries.is_empty(),
            _ => false,
        };
        if empty || !self.borrows(ty) {
            return self.value(ty, v);
        }
        match (self.resolve(ty), v) {
            (Ty::Binary | Ty::Bytes, ConstValue::String(s)) => {
                format!("{}.as_slice()", byte_str_lit(s.as_bytes()))
            }
            (_, ConstValue::String(s)) => str_lit(s),
            _ => "Default::default()".to_owned(),
        }
    }

    /// The type a field is stored as, without `Option` (boxed if planned).
    pub fn stored_ty(&self, f: &Field) -> String {
        let t = self.ty(&f.ty);
        if f.boxed { format!("Box<{t}>") } else { t }
    }

    /// The declared type of a struct field (`Option<...>` when optional).
    pub fn field_ty(&self, f: &Field) -> String {
        let t = self.stored_ty(f);
        if f.is_optional() {
            format!("Option<{t}>")
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
            Ty::String | Ty::Binary | Ty::ByteString | Ty::Bytes | Ty::SmallString => Wire::String,
            Ty::Uuid => Wire::Uuid,
            Ty::List(_) => Wire::List,
            Ty::Set(..) => Wire::Set,
            Ty::Map(..) => Wire::Map,
            Ty::Named(id) => self.krate.def(*id).wire,
        }
    }

    /// `__rt::TType::X`.
    pub fn ttype(&self, w: Wire) -> &'static str {
        self.uses_rt.set(true);
        match w {
            Wire::Bool => "__rt::TType::Bool",
            Wire::I8 => "__rt::TType::I8",
            Wire::I16 => "__rt::TType::I16",
            Wire::I32 => "__rt::TType::I32",
            Wire::I64 => "__rt::TType::I64",
            Wire::Double => "__rt::TType::Double",
            Wire::String => "__rt::TType::String",
            Wire::Uuid => "__rt::TType::Uuid",
            Wire::Struct => "__rt::TType::Struct",
            Wire::Map => "__rt::TType::Map",
            Wire::Set => "__rt::TType::Set",
            Wire::List => "__rt::TType::List",
            Wire::Void => "__rt::TType::Void",
        }
    }

    /// A typedef's target, followed to a non-typedef type (to the end of
    /// the chain, however long: chains have no cycle, the bound only stops
    /// one).
    pub fn resolve<'t>(&'t self, ty: &'t Ty) -> &'t Ty {
        let mut ty = ty;
        for _ in 0..=self.krate.defs.len() {
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

    /// Is the expression [`Ctx::value`] gives for `v` one the writer lays
    /// out exactly (a literal, a path, a short call)? Containers, structs
    /// and uuids are left to the safety net.
    pub fn is_simple_value(&self, v: &ConstValue) -> bool {
        matches!(
            v,
            ConstValue::Bool(_)
                | ConstValue::Int(_)
                | ConstValue::Double(_)
                | ConstValue::String(_)
                | ConstValue::Enum { .. }
        )
    }

    /// An expression of type `ty` with the constant value `v` (one line).
    pub fn value(&self, ty: &Ty, v: &ConstValue) -> String {
        let ty = self.resolve(ty);
        match (ty, v) {
            (_, ConstValue::Bool(b)) => b.to_string(),
            (Ty::Double, ConstValue::Int(i)) => float_lit(*i as f64),
            (_, ConstValue::Int(i)) => int_lit(*i),
            (_, ConstValue::Double(d)) => float_lit(*d),
            (Ty::Binary, ConstValue::String(s)) => {
                format!("{}.to_vec()", byte_str_lit(s.as_bytes()))
            }
            (Ty::Bytes, ConstValue::String(s)) => {
                let rt = self.rt();
                format!("{rt}::Bytes::from_static({})", byte_str_lit(s.as_bytes()))
            }
            (Ty::ByteString, ConstValue::String(s)) => {
                let rt = self.rt();
                format!("{rt}::ByteString::from_static({})", str_lit(s))
            }
            (Ty::SmallString, ConstValue::String(s)) => {
                let rt = self.rt();
                format!("{rt}::CompactString::const_new({})", str_lit(s))
            }
            (_, ConstValue::String(s)) => format!("String::from({})", str_lit(s)),
            (_, ConstValue::Uuid(u)) => {
                let rt = self.rt();
                let bytes: Vec<String> = u.iter().map(|b| b.to_string()).collect();
                format!("{rt}::Uuid::from_bytes([{}])", bytes.join(", "))
            }
            (Ty::List(e), ConstValue::List(items) | ConstValue::Set(items)) => {
                if items.is_empty() {
                    "Vec::new()".to_owned()
                } else {
                    let items: Vec<String> = items.iter().map(|i| self.value(e, i)).collect();
                    // An array, not `vec![..]`: prettyplease lays out an
                    // expression, where it would print a macro's tokens as
                    // they are (`- 1`, `Point { x : 1 }`).
                    format!("Vec::from([{}])", items.join(", "))
                }
            }
            (Ty::Set(c, e), ConstValue::Set(items) | ConstValue::List(items)) => {
                let vals: Vec<_> = items.iter().map(|i| self.value(e, i)).collect();
                self.collection(*c, false, vals)
            }
            (Ty::Map(c, k, val), ConstValue::Map(entries)) => {
                let vals: Vec<_> = entries
                    .iter()
                    .map(|(a, b)| format!("({}, {})", self.value(k, a), self.value(val, b)))
                    .collect();
                self.collection(*c, true, vals)
            }
            (_, ConstValue::Enum { def, index }) => {
                let path = self.def_path(*def);
                match self.krate.item(*def) {
                    Item::Enum(e) => match e.values.get(*index) {
                        Some(v) => format!("{path}::{}", v.name),
                        None => format!("{path}::default()"),
                    },
                    _ => format!("{path}::default()"),
                }
            }
            (_, ConstValue::Struct { def, fields }) => self.struct_value(*def, fields),
            // The front end checked every value against its type; anything
            // else cannot occur. Fall back to the type's default.
            _ => "Default::default()".to_owned(),
        }
    }

    fn collection(&self, c: Coll, map: bool, vals: Vec<String>) -> String {
        let std_path = match (c, map) {
            (Coll::Hash, false) => "::std::collections::HashSet",
            (Coll::BTree, false) => "::std::collections::BTreeSet",
            (Coll::Hash, true) => "::std::collections::HashMap",
            (Coll::BTree, true) => "::std::collections::BTreeMap",
            (Coll::Vec, _) => {
                let rt = self.rt();
                let ctor = if map { "VecMap" } else { "VecSet" };
                return if vals.is_empty() {
                    format!("{rt}::{ctor}::new()")
                } else {
                    format!("{rt}::{ctor}(Vec::from([{}]))", vals.join(", "))
                };
            }
        };
        // `new` and `from` are std's `RandomState` only.
        match (&self.krate.hasher, vals.is_empty()) {
            (None, true) => format!("{std_path}::new()"),
            (None, false) => format!("{std_path}::from([{}])", vals.join(", ")),
            (Some(_), true) => format!("{std_path}::default()"),
            (Some(_), false) => {
                format!(
                    "::std::iter::FromIterator::from_iter([{}])",
                    vals.join(", ")
                )
            }
        }
    }

    fn struct_value(&self, def: ir::DefId, given: &[(usize, ConstValue)]) -> String {
        let path = self.def_path(def);
        match self.krate.item(def) {
            Item::Union(u) => match given.first() {
                Some((i, v)) if *i < u.fields.len() => {
                    let f = &u.fields[*i];
                    let v = self.boxed(f, self.value(&f.ty, v));
                    format!("{path}::{}({v})", f.name)
                }
                _ => "Default::default()".to_owned(),
            },
            Item::Struct(s) => {
                // A left-out field takes its default. When the struct has
                // `Default`, that is `..Default::default()`: writing each
                // default out in full would repeat nested defaults at every
                // level (exponential in the nesting).
                let base = s.default_impl != DefaultImpl::None;
                let mut omitted = false;
                let mut inits: Vec<String> = Vec::new();
                for (i, f) in s.fields.iter().enumerate() {
                    let v = match given.iter().rev().find(|(j, _)| *j == i) {
                        Some((_, v)) => {
                            let v = self.boxed(f, self.value(&f.ty, v));
                            if f.is_optional() {
                                format!("Some({v})")
                            } else {
                                v
                            }
                        }
                        None if base => {
                            omitted = true;
                            continue;
                        }
                        None => self.field_default(f),
                    };
                    inits.push(format!("{}: {v}", f.name));
                }
                if omitted {
                    return if inits.is_empty() {
                        format!("{path}::default()")
                    } else {
                        format!("{path} {{ {}, ..Default::default() }}", inits.join(", "))
                    };
                }
                if let Some(n) = &s.unknown_fields {
                    inits.push(format!("{n}: Vec::new()"));
                }
                // With a trailing comma, as prettyplease prints one.
                if inits.is_empty() {
                    format!("{path} {{}}")
                } else {
                    format!("{path} {{ {}, }}", inits.join(", "))
                }
            }
            _ => "Default::default()".to_owned(),
        }
    }

    /// Wraps a value expression in `Box::new` for a boxed field.
    pub fn boxed(&self, f: &Field, v: String) -> String {
        if f.boxed { format!("Box::new({v})") } else { v }
    }

    /// The value of a struct field in `Default::default()`.
    pub fn field_default(&self, f: &Field) -> String {
        self.field_default_in(Flavor::Owned, f)
    }

    /// [`Ctx::field_default`] for the owned type or its view.
    pub fn field_default_in(&self, flavor: Flavor<'_>, f: &Field) -> String {
        let value = |v| match flavor {
            // A lazy field's only default is an empty container.
            Flavor::View(_) if f.lazy => "Default::default()".to_owned(),
            _ => self.boxed(f, flavor.value(self, &f.ty, v)),
        };
        match (&f.default, f.is_optional()) {
            (Some(v), true) => format!("Some({})", value(v)),
            (None, true) => "None".to_owned(),
            (Some(v), false) => value(v),
            (None, false) => "Default::default()".to_owned(),
        }
    }

    /// Is the field's default value laid out exactly (see
    /// [`Ctx::is_simple_value`])?
    pub fn simple_default(&self, f: &Field) -> bool {
        f.default.as_ref().is_none_or(|v| self.is_simple_value(v))
    }

    /// Is the expression [`Ctx::value`] gives for `v` cheap enough to build
    /// eagerly (`unwrap_or(v)`): literals and paths, and struct and union
    /// literals made only of those? That is also what clippy evaluates
    /// eagerly: `unwrap_or_else(|| v)` of such a value trips its
    /// `unnecessary_lazy_evaluations`, and `unwrap_or(v)` of a call its
    /// `or_fun_call`.
    pub fn is_cheap_value(&self, v: &ConstValue) -> bool {
        let ConstValue::Struct { def, fields } = v else {
            return self.is_cheap(v);
        };
        let given = |i: usize| fields.iter().rev().find(|(j, _)| *j == i).map(|(_, v)| v);
        match self.krate.item(*def) {
            Item::Union(u) => fields.first().is_some_and(|(i, v)| {
                u.fields
                    .get(*i)
                    .is_some_and(|f| !f.boxed && self.is_cheap_value(v))
            }),
            Item::Struct(s) => {
                s.unknown_fields.is_none()
                    && s.fields.iter().enumerate().all(|(i, f)| {
                        match (given(i).or(f.default.as_ref()), f.is_optional()) {
                            (Some(v), _) => !f.boxed && self.is_cheap_value(v),
                            // `None`.
                            (None, true) => true,
                            // `Default::default()`: a call.
                            (None, false) => false,
                        }
                    })
            }
            _ => false,
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

    /// Whether one of the types is as deeply nested as clippy's
    /// `type_complexity` objects to (its score: 10 × nesting depth per type,
    /// limit 250; we allow from 200 to stay clear of rounding). The nesting
    /// is spelled by the IDL, and a generated alias would only move it.
    pub fn too_complex<'t>(&self, tys: impl IntoIterator<Item = &'t Ty>) -> bool {
        // Fields wrap the type in `Option`/`Box`: one more level.
        tys.into_iter()
            .any(|t| self.complexity(t, 2) >= COMPLEX_FROM)
    }

    /// Whether one of the fields' types is [`too_complex`], a boxed field
    /// (`Option<Box<T>>`, `Box<T>`) one level deeper.
    ///
    /// [`too_complex`]: Ctx::too_complex
    pub fn fields_too_complex(&self, fields: &[Field]) -> bool {
        fields
            .iter()
            .any(|f| self.complexity(&f.ty, 2 + u32::from(f.boxed)) >= COMPLEX_FROM)
    }

    /// Whether a service function's signature is [`too_complex`]: an
    /// argument (maybe an `Option`), or the `Result<T, E>` it returns
    /// (`Result` and the error type score 30; `T` is one level in).
    ///
    /// [`too_complex`]: Ctx::too_complex
    pub fn fn_too_complex(&self, f: &Function) -> bool {
        f.returns
            .as_ref()
            .is_some_and(|t| 30 + self.complexity(t, 2) >= COMPLEX_FROM)
            || self.too_complex(f.args.fields.iter().map(|a| &a.ty))
    }

    /// clippy's `type_complexity` score of `ty` written `nest` levels deep:
    /// 10 × the level of every type written, its own and those of its
    /// parameters (`u8` in `Vec<u8>`, the hasher of a hash set or map when
    /// the options name one).
    fn complexity(&self, ty: &Ty, nest: u32) -> u32 {
        let hasher = |c: &Coll| match (c, &self.krate.hasher) {
            (Coll::Hash, Some(_)) => 10 * (nest + 1),
            _ => 0,
        };
        10 * nest
            + match ty {
                Ty::Binary => 10 * (nest + 1),
                Ty::List(e) => self.complexity(e, nest + 1),
                Ty::Set(c, e) => self.complexity(e, nest + 1) + hasher(c),
                Ty::Map(c, k, v) => {
                    self.complexity(k, nest + 1) + self.complexity(v, nest + 1) + hasher(c)
                }
                _ => 0,
            }
    }
}

/// The [`Ctx::too_complex`] score from which a type gets [`ALLOW_COMPLEX`].
const COMPLEX_FROM: u32 = 200;

/// What a struct renderer writes: the owned type's codec, or its borrowed
/// view's (named here).
#[derive(Clone, Copy, Debug)]
pub enum Flavor<'n> {
    /// The generated type: `Decode`.
    Owned,
    /// The view `<Name>Ref<'a>` of the type: `DecodeView<'a>`.
    View(&'n str),
}

impl Flavor<'_> {
    /// Opens the `Encode` impl of type `name` (or of its view).
    pub fn encode_head(self, ctx: &Ctx, w: &mut Writer, name: &str) {
        let rt = ctx.rt();
        match self {
            Flavor::Owned => w.open(&format!("impl {rt}::Encode for {name} {{")),
            Flavor::View(view) => {
                w.inexact();
                w.open(&format!("impl {rt}::Encode for {view}<'_> {{"));
            }
        }
    }

    /// Opens the decoding impl and its function.
    pub fn decode_head(self, ctx: &Ctx, w: &mut Writer, name: &str) {
        let rt = ctx.rt();
        match self {
            Flavor::Owned => {
                w.open(&format!("impl {rt}::Decode for {name} {{"));
                w.open(
                    "fn decode<P: __rt::ProtocolRead + ?Sized>(p: &mut P) -> __rt::Result<Self> {",
                );
            }
            Flavor::View(view) => {
                // Views are laid out by the safety net.
                w.inexact();
                w.open(&format!("impl<'a> {rt}::DecodeView<'a> for {view}<'a> {{"));
                w.open(
                    "fn decode_view<P: __rt::ViewRead<'a> + ?Sized>(p: &mut P) -> __rt::Result<Self> {",
                );
            }
        }
    }

    /// The expression reading one value (a field or variant).
    pub fn decode_call(self) -> &'static str {
        match self {
            Flavor::Owned => "__rt::Decode::decode(p)?",
            Flavor::View(_) => "__rt::DecodeView::decode_view(p)?",
        }
    }

    /// A constant value of `ty` as this flavor stores it.
    pub fn value(self, ctx: &Ctx, ty: &Ty, v: &ConstValue) -> String {
        match self {
            Flavor::Owned => ctx.value(ty, v),
            Flavor::View(_) => ctx.view_value(ty, v),
        }
    }
}

/// The `#[allow]` line for [`Ctx::too_complex`] types.
pub const ALLOW_COMPLEX: &str = "#[allow(clippy::type_complexity)]";

/// One doc line made inert (a line outside a code fence; see [`docs`]).
///
/// IDL doc comments are plain text written for every target language, not
/// Markdown, so each line is made inert before rustdoc sees it: leading
/// whitespace is dropped (four spaces would start a code block, compiled as
/// a doctest), tabs are expanded (clippy's `tabs_in_doc_comments`), list
/// and quote markers are escaped (`\- item`, `\> quote`: a list item or
/// quote followed by an unmarked line trips clippy's `doc_lazy_continuation`),
/// and an unlabelled code fence (backticks or tildes) becomes a `text` fence
/// (never a doctest). Outside inline code, a `<` that would open an HTML tag
/// or a `[` that would be read as a link to an item is escaped, and a bare
/// URL becomes an autolink, so that rustdoc's lints pass; see
/// [`inline_inert`].
pub fn doc_line(line: &str) -> String {
    let l = expand_tabs(line.trim());
    if let Some((_, n, info)) = fence(&l) {
        // A block rustdoc would compile as a doctest (unlabelled, `rust`,
        // or only rustdoc's own attributes such as `no_run`) becomes
        // `text`: an IDL's examples are not code of the generated crate.
        return if runs_as_doctest(info) {
            format!("{}text", &l[..n])
        } else {
            l
        };
    }
    // After this, no `<` that could open an HTML block (inside which
    // rustdoc would not see our fences) is left unescaped.
    let l = inline_inert(&l);
    let marker = |m: char| {
        l.strip_prefix(m)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(' '))
    };
    // A line of only `=`, `-`, `_` or `*` would underline the line before
    // as a heading, or be a rule.
    let rule = l.chars().all(|c| matches!(c, '=' | '-' | '_' | '*' | ' '));
    if l.starts_with('>') || marker('-') || marker('*') || marker('+') || (rule && !l.is_empty()) {
        return format!("\\{l}");
    }
    let digits = l.bytes().take_while(u8::is_ascii_digit).count();
    if digits > 0 && matches!(l.as_bytes().get(digits), Some(b'.' | b')')) {
        let rest = &l[digits..];
        if rest.len() == 1 || rest.as_bytes()[1] == b' ' {
            return format!("{}\\{rest}", &l[..digits]);
        }
    }
    l
}

/// The inline part of [`doc_line`], for rustdoc's lints: outside code spans
/// (backtick runs closed on the same line),
/// - a `\\` before ASCII punctuation or at the end is doubled, so that it
///   shows (`\\d+\\.\\d+`, `C:\\path\\`): IDL docs are plain text;
/// - a `<` followed by a letter, `/`, `!` or `?` (an HTML tag or comment
///   to Markdown) becomes `\\<` (`invalid_html_tags`), except an autolink
///   (`<https://...>`);
/// - a `[` becomes `\\[` (`broken_intra_doc_links`: `map[key]`,
///   `[optional]`), except an inline link to an absolute URL
///   (`[text](https://...)`), kept whole;
/// - a bare `http://` or `https://` URL is wrapped in `<...>` (`bare_urls`;
///   it ends before brackets, and trailing punctuation and an unbalanced `)`
///   stay outside).
///
/// A line that defines a link reference to an absolute URL
/// (`[name]: https://...`) is left alone.
pub fn inline_inert(line: &str) -> String {
    let absolute = |dest: &str| {
        ["http://", "https://", "mailto:"]
            .iter()
            .any(|scheme| dest.len() > scheme.len() && dest.starts_with(scheme))
    };
    let is_reference = line.strip_prefix('[').is_some_and(|rest| {
        rest.find("]:").is_some_and(|end| {
            end > 0 && !rest[..end].contains(['[', ']']) && absolute(rest[end + 2..].trim())
        })
    });
    if is_reference {
        return line.to_owned();
    }
    let mut out = String::with_capacity(line.len() + 8);
    let mut rest = line;
    while let Some(c) = rest.chars().next() {
        if c == '`' {
            let run = rest.bytes().take_while(|&b| b == b'`').count();
            let ticks = &rest[..run];
            // A code span ends at the next run of exactly as many backticks.
            let mut end = None;
            let mut at = run;
            while let Some(found) = rest[at..].find(ticks) {
                let start = at + found;
                let len = rest[start..].bytes().take_while(|&b| b == b'`').count();
                if len == run {
                    end = Some(start + run);
                    break;
                }
                at = start + len;
            }
            let take = end.unwrap_or(run);
            out.push_str(&rest[..take]);
            rest = &rest[take..];
            continue;
        }
        if c == '\\' {
            let next = rest[1..].chars().next();
            if next.is_none_or(|n| n.is_ascii_punctuation()) {
                out.push('\\');
            }
            out.push('\\');
            rest = &rest[1..];
            continue;
        }
        if c == '<' {
            let autolink = ["<http://", "<https://", "<mailto:"]
                .iter()
                .any(|p| rest.starts_with(p));
            match rest.find('>') {
                Some(end) if autolink && !rest[..end].contains(char::is_whitespace) => {
                    out.push_str(&rest[..=end]);
                    rest = &rest[end + 1..];
                    continue;
                }
                _ => {}
            }
            if rest[1..]
                .chars()
                .next()
                .is_some_and(|n| n.is_ascii_alphabetic() || matches!(n, '/' | '!' | '?'))
            {
                out.push('\\');
            }
            out.push('<');
            rest = &rest[1..];
            continue;
        }
        if c == '[' {
            // An inline link to an absolute URL, whose text holds no other
            // bracket or code: kept whole. Anything else is a link to an
            // item that does not exist, to rustdoc.
            let link = rest.find("](").and_then(|mid| {
                let text = &rest[1..mid];
                let dest_len = rest[mid + 2..].find(')')?;
                let dest = &rest[mid + 2..mid + 2 + dest_len];
                let plain = !text.contains(['[', ']', '`', '\\'])
                    && !dest.contains(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '('));
                (plain && absolute(dest)).then_some(mid + 3 + dest_len)
            });
            if let Some(len) = link {
                out.push_str(&rest[..len]);
                rest = &rest[len..];
                continue;
            }
            out.push_str("\\[");
            rest = &rest[1..];
            continue;
        }
        if rest.starts_with("http://") || rest.starts_with("https://") {
            let len = rest
                .find(|c: char| {
                    c.is_whitespace() || matches!(c, '<' | '>' | '"' | '`' | '[' | ']' | '{' | '}')
                })
                .unwrap_or(rest.len());
            let mut url = &rest[..len];
            loop {
                let before = url.len();
                url = url.trim_end_matches(['.', ',', ';', ':', '!', '?', '\'', '*', '_', '\\']);
                if url.ends_with(')') && url.matches('(').count() < url.matches(')').count() {
                    url = &url[..url.len() - 1];
                }
                if url.len() == before {
                    break;
                }
            }
            // Only a scheme: not a URL.
            if url.len() > "https://".len() {
                out.push('<');
                out.push_str(url);
                out.push('>');
                rest = &rest[url.len()..];
                continue;
            }
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// Whether rustdoc may compile a code block with this info string (or
/// complain about it): unless it is one plain word naming another
/// language, the block is made a `text` block. Rust, rustdoc's attributes
/// (`no_run`, `ignore-*`, `edition*`, error codes), several words and
/// `{...}` attribute sets all count.
fn runs_as_doctest(info: &str) -> bool {
    let plain = !info.is_empty()
        && info
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '+' | '.'));
    let rustdoc = matches!(
        info,
        "rust"
            | "ignore"
            | "should_panic"
            | "no_run"
            | "compile_fail"
            | "test_harness"
            | "standalone_crate"
    ) || info.starts_with("ignore-")
        || info.starts_with("edition")
        || (info.len() == 5
            && info.starts_with('E')
            && info[1..].bytes().all(|b| b.is_ascii_digit()));
    !plain || rustdoc
}

/// A code fence line (three or more backticks or tildes, then an info
/// string): its character, length and info string.
fn fence(l: &str) -> Option<(char, usize, &str)> {
    let c = l.chars().next().filter(|c| matches!(c, '`' | '~'))?;
    let n = l.len() - l.trim_start_matches(c).len();
    let info = l[n..].trim();
    // A backtick "fence" whose info string has a backtick is inline code.
    (n >= 3 && !(c == '`' && info.contains('`'))).then_some((c, n, info))
}

/// `line` with its tabs expanded to spaces (tab stops every four columns).
pub(crate) fn expand_tabs(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut col = 0;
    for c in line.chars() {
        if c == '\t' {
            let n = 4 - col % 4;
            out.extend(std::iter::repeat_n(' ', n));
            col += n;
        } else {
            out.push(c);
            col += 1;
        }
    }
    out
}

/// Doc comment lines for an IDL doc comment: [`doc_line`] for each line
/// outside a code fence; a line inside one is only trimmed and has its
/// tabs expanded, and a fence is closed by a bare fence of its character
/// at least as long.
pub fn docs(w: &mut Writer, doc: &Option<String>) {
    let Some(doc) = doc else { return };
    if doc.trim().is_empty() {
        return;
    }
    let mut open: Option<(char, usize)> = None;
    // A lone carriage return would end the doc comment in Rust's eyes.
    for l in doc.lines().flat_map(|l| l.split('\r')) {
        let l = visible_direction(l);
        let l = match open {
            None => {
                let l = doc_line(&l);
                open = fence(&l).map(|(c, n, _)| (c, n));
                l
            }
            Some((c, n)) => {
                let l = expand_tabs(l.trim());
                if matches!(fence(&l), Some((fc, len, "")) if fc == c && len >= n) {
                    open = None;
                }
                l
            }
        };
        if l.is_empty() {
            w.doc("");
        } else {
            w.doc(&format!(" {l}"));
        }
    }
}

/// `line` with the code points that change the visible direction of text
/// written as escapes (`\u{202e}`): rustc rejects them in comments (lint
/// `text_direction_codepoint_in_comment`, an error by default), and they
/// could make the documentation read other than it is.
fn visible_direction(line: &str) -> std::borrow::Cow<'_, str> {
    let bidi = |c: char| matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    if !line.contains(bidi) {
        return line.into();
    }
    line.chars()
        .map(|c| {
            if bidi(c) {
                format!("\\u{{{:x}}}", u32::from(c))
            } else {
                c.to_string()
            }
        })
        .collect::<String>()
        .into()
}
