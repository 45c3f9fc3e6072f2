//! The planned code model: what each definition becomes (items, Rust
//! types, wire types, derives, names), as the renderers read it.

use crate::codegen::names::RustName;
use crate::diagnostic::Diagnostic;
use crate::ir::{ConstValue, DefId, FileIdx, Requiredness, StructKind};
// Named by the doc links only.
#[cfg(doc)]
use crate::options::Options;

/// The whole output: one module per IDL file.
#[derive(Debug)]
pub struct Crate {
    /// One per IDL file, in the program's file order; each becomes a
    /// `<name>.rs` file and a `pub mod <name>`.
    pub modules: Vec<Module>,
    /// What every definition became, indexed by [`DefId`].
    pub defs: Vec<DefInfo>,
    /// The runtime path (`::thriftc_runtime`).
    pub runtime: Code,
    /// Structs get a field keeping unknown fields and write them back
    /// ([`Options::keep_unknown_fields`]).
    pub keep_unknown_fields: bool,
    /// Some type has a borrowed view ([`Options::views`]): every enum,
    /// struct, union and exception then implements `DecodeView` and
    /// `FromView`, so views can hold them.
    pub views: bool,
    /// The hasher of generated hash maps and sets ([`Options::hasher`]);
    /// `None`: std's `RandomState`.
    pub hasher: Option<Code>,
    /// Warnings for the user: what the options asked for that the plan
    /// could not give (e.g. a type selected for a view that gets none),
    /// names that got a number.
    pub notes: Vec<Diagnostic>,
    /// Services get a `<Service>Client` ([`Options::gen_client`]).
    pub gen_client: bool,
    /// Services get a `<Service>Handler` trait and a `<Service>Processor`
    /// ([`Options::gen_server`]).
    pub gen_server: bool,
    /// Services also get their async flavour ([`Options::async_services`]):
    /// every [`Service::async_names`] is set.
    pub async_services: bool,
}

impl Crate {
    /// What a definition became: its module, item, Rust name, wire type and
    /// traits.
    pub fn def(&self, id: DefId) -> &DefInfo {
        &self.defs[id.0 as usize]
    }

    /// The planned item of a definition.
    pub fn item(&self, id: DefId) -> &Item {
        let info = self.def(id);
        &self.modules[info.module].items[info.item]
    }
}

/// One generated file.
#[derive(Debug)]
pub struct Module {
    /// The IDL file it is generated from.
    pub file: FileIdx,
    /// Module (and file) name.
    pub name: RustName,
    /// The IDL file name, for the `@generated` header.
    pub source_name: String,
    /// The file's definitions in source order (index = [`DefInfo::item`]).
    pub items: Vec<Item>,
}

/// What a definition became.
#[derive(Debug, Clone)]
pub struct DefInfo {
    /// Index into [`Crate::modules`].
    pub module: usize,
    /// Index into that module's items.
    pub item: usize,
    /// The Rust name of the generated type, constant or service items' base.
    pub name: RustName,
    /// Wire type of values of this definition (services: `Void`).
    pub wire: Wire,
    /// The traits the generated type derives (see [`Traits`]).
    pub traits: Traits,
    /// The name of the borrowed view type (`<Name>Ref<'a>`) of a struct,
    /// union or exception that has one ([`Options::views`]).
    pub view: Option<RustName>,
}

/// Which optional traits a type implements, i.e. which a generated type
/// derives besides `Debug`, `Clone` and `PartialEq`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Traits {
    /// `Eq`: no `double` inside.
    pub eq: bool,
    /// `Hash`; in this type system also exactly when `Ord` is possible.
    pub hash: bool,
    /// `PartialOrd`: no hash container inside.
    pub partial_ord: bool,
    /// `Default` (derived or written, see [`DefaultImpl`]): no union and no
    /// type without `Default` in a field that must hold a value.
    pub default: bool,
}

impl Traits {
    pub(super) const ALL: Traits = Traits {
        eq: true,
        hash: true,
        partial_ord: true,
        default: true,
    };

    /// `Ord`: `Eq`, `Hash` and `PartialOrd` all hold.
    pub fn ord(&self) -> bool {
        self.eq && self.hash && self.partial_ord
    }
}

/// A generated item.
#[derive(Debug)]
pub enum Item {
    /// A struct or exception.
    Struct(Struct),
    /// A union: a Rust enum, one variant per field plus one for an unknown
    /// field.
    Union(Struct),
    /// An enum: a newtype over `i32` with an associated const per value.
    Enum(Enum),
    /// A typedef (or senum): a `pub type` alias.
    Typedef(Typedef),
    /// A constant: a `pub const`, or a lazily built `pub static`.
    Const(Const),
    /// A service: handler trait, processor, client and per-function structs.
    Service(Service),
}

/// Thrift wire types, as the generator names them; each is rendered as the
/// runtime's `TType` variant of the same name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wire {
    /// `bool`.
    Bool,
    /// `byte` / `i8`.
    I8,
    /// `i16`.
    I16,
    /// `i32`, also enums.
    I32,
    /// `i64`.
    I64,
    /// `double`.
    Double,
    /// `string` and `binary`, also senums.
    String,
    /// `uuid`.
    Uuid,
    /// Structs, unions and exceptions.
    Struct,
    /// `map<K, V>`.
    Map,
    /// `set<T>`.
    Set,
    /// `list<T>`.
    List,
    /// No value on the wire: constants and services (never written).
    Void,
}

/// Which Rust collection a set or map becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coll {
    /// `std::collections::HashSet` / `HashMap`.
    Hash,
    /// `std::collections::BTreeSet` / `BTreeMap` (asked for with
    /// [`Options::btree_paths`] or [`Options::btree_all`]).
    BTree,
    /// `VecSet` / `VecMap`: the element type is neither hashable nor
    /// ordered, or wire order was asked for
    /// ([`Options::wire_order_paths`]).
    Vec,
}

/// A Rust type of a field, typedef or constant.
#[derive(Debug, Clone)]
pub enum Ty {
    /// `bool`.
    Bool,
    /// `i8`.
    I8,
    /// `i16`.
    I16,
    /// `i32`.
    I32,
    /// `i64`.
    I64,
    /// `f64`.
    Double,
    /// `String`.
    String,
    /// `Vec<u8>`.
    Binary,
    /// The runtime's `ByteString`: a shared `string` ([`Options::bytes_paths`]).
    ByteString,
    /// The runtime's `Bytes`: a shared `binary` ([`Options::bytes_paths`]).
    Bytes,
    /// The runtime's `CompactString`: a `string` kept inline when short
    /// ([`Options::small_strings`]).
    SmallString,
    /// The runtime's `Uuid`.
    Uuid,
    /// `Vec<T>`.
    List(Box<Ty>),
    /// A set of the given collection kind.
    Set(Coll, Box<Ty>),
    /// A map (key, value) of the given collection kind.
    Map(Coll, Box<Ty>, Box<Ty>),
    /// A generated type (struct, union, exception, enum, typedef).
    Named(DefId),
}

impl Ty {
    /// This type with `string` as `ByteString` and `binary` as `Bytes`,
    /// also inside containers (named types keep their own).
    pub(super) fn shared(self) -> Ty {
        match self {
            Ty::String => Ty::ByteString,
            Ty::Binary => Ty::Bytes,
            Ty::List(e) => Ty::List(Box::new(e.shared())),
            Ty::Set(c, e) => Ty::Set(c, Box::new(e.shared())),
            Ty::Map(c, k, v) => Ty::Map(c, Box::new(k.shared()), Box::new(v.shared())),
            other => other,
        }
    }

    /// This type with `string` as `CompactString`, also inside containers
    /// (named types keep their own).
    pub(super) fn small(self) -> Ty {
        match self {
            Ty::String => Ty::SmallString,
            Ty::List(e) => Ty::List(Box::new(e.small())),
            Ty::Set(c, e) => Ty::Set(c, Box::new(e.small())),
            Ty::Map(c, k, v) => Ty::Map(c, Box::new(k.small()), Box::new(v.small())),
            other => other,
        }
    }
}

/// A struct, exception or union (also the argument and result structs of
/// service functions, which have no [`DefId`]).
#[derive(Debug)]
pub struct Struct {
    /// The definition, `None` for a function's argument or result struct.
    pub def: Option<DefId>,
    /// The IDL name, given to `write_struct_begin` and named in read errors
    /// (`<function>_args` / `<function>_result` for functions).
    pub thrift_name: String,
    /// The Rust type name.
    pub name: RustName,
    /// Struct, union or exception (an exception also implements
    /// `std::error::Error`).
    pub kind: StructKind,
    /// The IDL doc comment, rendered as `///` lines.
    pub doc: Option<String>,
    /// In source order.
    pub fields: Vec<Field>,
    /// The traits the type derives.
    pub traits: Traits,
    /// How `Default` is provided (structs only; unions have none).
    pub default_impl: DefaultImpl,
    /// Name of the field keeping unknown fields (structs, with
    /// [`Options::keep_unknown_fields`]).
    pub unknown_fields: Option<RustName>,
    /// Name of the variant for an unknown field id (unions).
    pub unknown_variant: Option<RustName>,
    /// Extra attributes from [`Options::type_attributes`].
    pub attrs: Vec<Code>,
    /// serde's derives and container attributes ([`Options::serde`]),
    /// written after the derives (see `Planner::plan_serde`).
    pub serde: Vec<Code>,
    /// serde's attributes of the `unknown_fields` field (of the unknown
    /// variant, in a union).
    pub unknown_fields_serde: Vec<Code>,
    /// The private associated function that reads the kept unknown fields
    /// (the unknown variant) with serde and refuses one with the id and
    /// wire type of a known field, which no Thrift read keeps there: written
    /// back, it would be read as that field, in place of the value the
    /// document gave it. `None` without the option or known fields.
    pub serde_unknown_fn: Option<String>,
    /// The index in `fields` of the `string` field an exception's
    /// `Display` shows: the one its `message` annotation names (as
    /// Apache's generators use it), else one named `message`.
    pub message: Option<usize>,
}

impl Struct {
    /// Fields sorted by id (the write order).
    pub fn fields_by_id(&self) -> Vec<&Field> {
        let mut v: Vec<&Field> = self.fields.iter().collect();
        v.sort_by_key(|f| f.id);
        v
    }
}

/// How a struct gets its `Default` implementation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefaultImpl {
    /// No `Default` (unions, and structs with a field type lacking it).
    None,
    /// `#[derive(Default)]`.
    Derive,
    /// A written `impl Default`: some field has a non-trivial IDL default.
    Manual,
}

/// A struct field or union variant.
#[derive(Debug)]
pub struct Field {
    /// The Thrift field id.
    pub id: i16,
    /// The IDL name, given to `write_field_begin` and named in read errors.
    pub thrift_name: String,
    /// Field name (snake_case) for structs, variant name for unions.
    pub name: RustName,
    /// The value's Rust type (before `Option`/`Box`).
    pub ty: Ty,
    /// `optional` fields are `Option<T>`; `required` ones fail the read
    /// when absent; default ones fall back to [`Field::default`] or the
    /// type's `Default`. A default one with no IDL default whose type has
    /// no `Default` is planned `optional` (see
    /// `Planner::demote_fields_without_default`).
    pub req: Requiredness,
    /// The IDL default, unless it equals the type's `Default` value.
    pub default: Option<ConstValue>,
    /// Stored as `Box<T>` (recursive, or asked for).
    pub boxed: bool,
    /// The IDL doc comment, rendered as `///` lines.
    pub doc: Option<String>,
    /// Extra attributes from [`Options::field_attributes`].
    pub attrs: Vec<Code>,
    /// The field's type implements `Default`.
    pub ty_default: bool,
    /// In the view, a list, set or map is left undecoded (`LazyList`,
    /// ...; [`Options::lazy`]): asked for, and no IDL default to build.
    pub lazy: bool,
    /// serde's field attributes ([`Options::serde`]).
    pub serde: Vec<Code>,
    /// The private associated function of the struct that builds the
    /// field's IDL default for serde (`#[serde(default = "...")]`), when the
    /// struct's own `Default` cannot be used for it.
    pub serde_default_fn: Option<String>,
}

impl Field {
    /// Stored as `Option<T>`.
    pub fn is_optional(&self) -> bool {
        self.req == Requiredness::Optional
    }

    /// Does a missing value fail the read: `required`, or default
    /// requiredness with neither an IDL default nor a type `Default`?
    pub fn absence_fails(&self) -> bool {
        match (self.req, &self.default) {
            (Requiredness::Required, _) => true,
            (Requiredness::Default, None) => !self.ty_default,
            _ => false,
        }
    }
}

/// An IDL enum: a newtype over `i32`, so values a newer schema adds
/// survive a read and a write.
#[derive(Debug)]
pub struct Enum {
    /// The definition.
    pub def: DefId,
    /// The IDL name (for `Debug` of unknown values).
    pub thrift_name: String,
    /// The Rust type name.
    pub name: RustName,
    /// The IDL doc comment, rendered as `///` lines.
    pub doc: Option<String>,
    /// In source order; each an associated const.
    pub values: Vec<EnumValue>,
    /// Name of the associated const listing all values.
    pub values_const: RustName,
    /// Extra attributes from [`Options::type_attributes`].
    pub attrs: Vec<Code>,
    /// serde's derives and `#[serde(transparent)]` ([`Options::serde`]):
    /// an enum is its number, so unknown values round-trip.
    pub serde: Vec<Code>,
}

/// One enum value: an associated `const` of the enum type.
#[derive(Debug)]
pub struct EnumValue {
    /// The IDL name, returned by the enum's `name()`.
    pub thrift_name: String,
    /// The const's name (`SCREAMING_SNAKE_CASE`).
    pub name: RustName,
    /// The number sent on the wire.
    pub value: i32,
    /// The IDL doc comment, rendered as `///` lines.
    pub doc: Option<String>,
}

/// A typedef or senum: `pub type Name = <ty>;`.
#[derive(Debug)]
pub struct Typedef {
    /// The definition.
    pub def: DefId,
    /// The alias name.
    pub name: RustName,
    /// The IDL doc comment, rendered as `///` lines.
    pub doc: Option<String>,
    /// The aliased type (`String` for a senum).
    pub ty: Ty,
}

/// A constant: `pub const` for base types, enums, strings and uuids, a
/// lazily built `pub static` for containers, structs and unions.
#[derive(Debug)]
pub struct Const {
    /// The definition.
    pub def: DefId,
    /// The constant's name (`SCREAMING_SNAKE_CASE`).
    pub name: RustName,
    /// The IDL doc comment, rendered as `///` lines.
    pub doc: Option<String>,
    /// The declared type.
    pub ty: Ty,
    /// The resolved value, rendered as a Rust expression of `ty`.
    pub value: ConstValue,
}

/// A service: its functions' argument and result structs are planned here
/// so the service renderer can reuse the struct renderer.
#[derive(Debug)]
pub struct Service {
    /// The definition.
    pub def: DefId,
    /// The service's Rust name, the base of the names below.
    pub name: RustName,
    /// In source order; each a handler and client method.
    pub functions: Vec<Function>,
    /// `<Service>Handler`: the trait.
    pub handler: RustName,
    /// `<Service>Processor`.
    pub processor: RustName,
    /// `<Service>Client`.
    pub client: RustName,
    /// `<Service>ViewHandler` and `<Service>ViewProcessor`: the server
    /// flavour whose selected methods take their arguments as views of the
    /// request ([`Options::views`] selects one of its functions or one of
    /// a service it extends, at any depth).
    pub view: Option<ViewServer>,
    /// `<Service>AsyncHandler`, `<Service>AsyncProcessor` and
    /// `<Service>AsyncClient`: the async (tokio) flavour
    /// ([`Options::async_services`]).
    pub async_names: Option<AsyncNames>,
}

/// The names of a service's async flavour (see [`Service::async_names`]).
#[derive(Debug)]
pub struct AsyncNames {
    /// `<Service>AsyncHandler`: the trait.
    pub handler: RustName,
    /// `<Service>AsyncProcessor`.
    pub processor: RustName,
    /// `<Service>AsyncClient`.
    pub client: RustName,
    /// `<Service>AsyncViewHandler` and `<Service>AsyncViewProcessor`: the
    /// async server flavour whose selected methods take views, for a
    /// service with a view flavour ([`Service::view`]).
    pub view: Option<ViewServer>,
}

/// The names of a service's view flavour (see [`Service::view`]).
#[derive(Debug)]
pub struct ViewServer {
    /// `<Service>ViewHandler`: the trait.
    pub handler: RustName,
    /// `<Service>ViewProcessor`.
    pub processor: RustName,
}

/// A service function: a method of the handler trait and of the client,
/// and a match arm of the processor.
#[derive(Debug)]
pub struct Function {
    /// The IDL name, the method name in message headers.
    pub thrift_name: String,
    /// snake_case method name.
    pub name: RustName,
    /// `oneway`: no reply; the client returns once the call is sent.
    pub oneway: bool,
    /// The return type, `None` for `void` (the method returns `()`).
    pub returns: Option<Ty>,
    /// `<Service><Method>Args`: one field per argument (ids as declared).
    pub args: Struct,
    /// `<Service><Method>Result`: optional `success` (id 0, absent for
    /// `void`) plus one optional field per declared exception.
    pub result: Struct,
    /// `<Service><Method>Error`: the function's error enum.
    pub error: RustName,
    /// `<Service><Method>ArgsRef<'a>`: the borrowed view of the argument
    /// struct, when [`Options::views`] selects the function and an argument
    /// borrows; the view handler then takes the arguments as views.
    pub args_view: Option<RustName>,
}

/// Rust source text known to parse as what it stands for (outer
/// attributes, the runtime path). Kept as text so the plan can be shared
/// between threads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Code(pub(super) String);

impl Code {
    /// Attributes written by the generator itself.
    pub(super) fn new(text: &str) -> Code {
        debug_assert!(Code::attributes(text).is_some(), "{text}");
        Code(text.to_owned())
    }

    /// One or more outer attributes (`#[derive(Hash)] #[serde(default)]`);
    /// `None` if `text` is anything else.
    pub fn attributes(text: &str) -> Option<Code> {
        use syn::parse::Parser;
        let attrs = syn::Attribute::parse_outer.parse_str(text).ok()?;
        (!attrs.is_empty()).then(|| Code(text.to_owned()))
    }

    /// A plain Rust path (`::thriftc_runtime`, `crate::rt`), spelled
    /// canonically; `None` if `text` is anything else (a keyword segment,
    /// generic arguments, stray tokens).
    pub fn path(text: &str) -> Option<Code> {
        let path: syn::Path = syn::parse_str(text).ok()?;
        if path.segments.iter().any(|s| !s.arguments.is_none()) {
            return None;
        }
        let mut out = String::new();
        if path.leading_colon.is_some() {
            out.push_str("::");
        }
        for (i, s) in path.segments.iter().enumerate() {
            if i > 0 {
                out.push_str("::");
            }
            out.push_str(&s.ident.to_string());
        }
        Some(Code(out))
    }

    /// The source text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
