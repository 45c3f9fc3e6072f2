//! Plan: the resolved model ([`ir::Program`]) turned into a Rust code model
//! ([`Crate`]): modules, final identifiers, Rust types, derives and
//! attributes. Every decision about *what* to generate is made here; the
//! renderers in `items/` only spell it out.
//!
//! Graph analyses (all over the whole program, across files):
//! - which sets and maps can be `HashSet`/`HashMap` (element type `Eq + Hash`)
//!   or, when asked for, `BTreeSet`/`BTreeMap`; the others, and those asked
//!   for in wire order, are `VecSet`/`VecMap`;
//! - which of `Eq`, `Hash`, `PartialOrd`, `Ord` and `Default` each type can
//!   implement (fixpoints: a `double` blocks `Eq`/`Hash`/`Ord`, a hash
//!   container blocks `Hash`/`PartialOrd`/`Ord`, a union has no `Default`);
//! - which structs get a borrowed view, and which services a view flavour
//!   (option `views`).
//!
//! The fixpoints are worklists over the definitions that name each other:
//! only the users of a definition that changed are looked at again, so the
//! work stays linear in the program, however long its chains of types.

use super::Error;
use super::names::{self, RustName, Scope};
use crate::diagnostic::Diagnostic;
use crate::ir::{self, ConstValue, DefId, DefKind, FileIdx, Requiredness, StructKind};
use crate::lint::Lint;
use crate::options::{Options, path_matches};
use crate::source::Span;
use std::collections::HashMap;

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

/// The module name a file asks for (`namespace rs`, or its stem); it gets
/// a suffix when another file took it first.
pub(crate) fn wanted_module_name(file: &ir::File) -> RustName {
    names::module_name(file.rust_namespace().unwrap_or(&file.stem))
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
    const ALL: Traits = Traits {
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

/// Which collections the options ask for at a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pref {
    /// `HashSet`/`HashMap` (the default).
    Hash,
    /// `BTreeSet`/`BTreeMap` where the element (key) is ordered
    /// ([`Options::btree_paths`], [`Options::btree_all`]).
    BTree,
    /// `VecSet`/`VecMap`, in wire order ([`Options::wire_order_paths`]).
    Wire,
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
    fn shared(self) -> Ty {
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
    fn small(self) -> Ty {
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

/// Builds the plan.
pub fn plan(program: &ir::Program, options: &Options) -> Result<Crate, Error> {
    let runtime = Code::path(&options.runtime_path).ok_or_else(|| {
        Error::BadOption(format!(
            "runtime path `{}` (a Rust path such as `::thriftc_runtime` or `crate::rt`)",
            options.runtime_path
        ))
    })?;
    let hasher = match &options.hasher {
        None => None,
        Some(h) => Some(Code::path(h).ok_or_else(|| {
            Error::BadOption(format!(
                "hasher `{h}` (a Rust path to a type such as `foldhash::fast::RandomState`)"
            ))
        })?),
    };
    let mut p = Planner {
        program,
        options,
        module_of_file: HashMap::new(),
        defs: Vec::new(),
        notes: Vec::new(),
        placed_notes: std::cell::RefCell::default(),
        holds: Vec::new(),
        demoted: std::collections::HashSet::new(),
    };
    if !options.lazy.is_empty() {
        p.holds = p.holding_components();
    }
    if options.serde {
        // The option derives them: a second derive does not compile.
        for (path, attr) in &options.type_attributes {
            // `Deserialize` alone conflicts too (it does not contain
            // `Serialize`: the `s` is lower case there).
            if attr.contains("derive")
                && (attr.contains("Serialize") || attr.contains("Deserialize"))
            {
                p.notes.push(
                    Diagnostic::warning(format!(
                        "option `serde`: the type attribute `{attr}` for `{path}` derives \
                         serde's traits, which the option derives already (conflicting \
                         implementations)"
                    ))
                    .lint(Lint::OptionConflict)
                    .help("remove one of them"),
                );
            }
        }
    }
    let mut modules = p.name_modules();
    let mut scopes = p.name_defs(&modules);
    p.compute_traits();
    p.demote_fields_without_default();
    p.plan_views(&modules, &mut scopes);
    for (mi, module) in modules.iter_mut().enumerate() {
        let file = program.file(module.file);
        for &id in &file.defs {
            let item = p.plan_def(id, &mut scopes[mi])?;
            debug_assert_eq!(p.defs[id.0 as usize].item, module.items.len());
            module.items.push(item);
        }
        p.name_service_items(module, &mut scopes[mi]);
    }
    for (mi, module) in modules.iter_mut().enumerate() {
        p.name_view_servers(module, &mut scopes[mi]);
        if options.async_services {
            p.name_async_services(module, &mut scopes[mi]);
            p.name_async_view_servers(module, &mut scopes[mi]);
        }
    }
    let args_views = modules.iter().flat_map(|m| &m.items).any(|i| match i {
        Item::Service(s) => s.functions.iter().any(|f| f.args_view.is_some()),
        _ => false,
    });
    let views = args_views || p.defs.iter().any(|d| d.view.is_some());
    let mut notes = p.notes;
    notes.extend(p.placed_notes.into_inner());
    Ok(Crate {
        modules,
        views,
        notes,
        hasher,
        defs: p.defs,
        runtime,
        keep_unknown_fields: options.keep_unknown_fields,
        gen_client: options.gen_client,
        gen_server: options.gen_server,
        async_services: options.async_services,
    })
}

struct Planner<'a> {
    program: &'a ir::Program,
    options: &'a Options,
    module_of_file: HashMap<FileIdx, usize>,
    defs: Vec<DefInfo>,
    notes: Vec<Diagnostic>,
    /// Warnings with a place in the IDL: names that got a number because
    /// an earlier name of their scope converts to the same Rust name (see
    /// [`Planner::note_renamed`]), a `message` annotation that names no
    /// `string` field.
    placed_notes: std::cell::RefCell<Vec<Diagnostic>>,
    /// Per definition, its strongly connected component in the graph of
    /// structs holding structs (through containers too), when the `lazy`
    /// option is used: see [`Planner::lazy_allowed`].
    holds: Vec<usize>,
    /// Fields (definition index, field index) with no requiredness keyword
    /// and no IDL default whose type has no `Default`: stored as `Option`
    /// ([`Planner::demote_fields_without_default`]).
    demoted: std::collections::HashSet<(usize, usize)>,
}

impl<'a> Planner<'a> {
    /// A field with no requiredness keyword and no IDL default whose type
    /// has no `Default` (a union, or a struct that needs one of its fields
    /// given) has no value to take when a peer leaves it out, as Apache's
    /// generators and thriftpy2 do with any field not `required`: reading
    /// would refuse the whole message. Such fields are stored as
    /// `Option<T>`, as Apache's Rust generator stores every field that is
    /// not `required`, and the traits are computed again (more structs
    /// then have a `Default`). That includes a field that holds its own
    /// struct again (`struct Node { 1: Node next }`), which could never be
    /// absent otherwise, so no finite value of the type would exist.
    ///
    /// As few fields as possible: a field whose struct lacks `Default`
    /// only because of such a field of its own waits for that one to be
    /// demoted (the struct then has a `Default`), round by round.
    fn demote_fields_without_default(&mut self) {
        loop {
            let mut candidates = Vec::new();
            for (i, def) in self.program.defs.iter().enumerate() {
                let DefKind::Struct(s) = &def.kind else {
                    continue;
                };
                if s.kind == StructKind::Union {
                    continue;
                }
                let base = self.def_path(DefId(i as u32));
                for (j, f) in s.fields.iter().enumerate() {
                    if f.req != Requiredness::Default
                        || f.default.is_some()
                        || self.demoted.contains(&(i, j))
                    {
                        continue;
                    }
                    let mut path = base.clone();
                    path.push(&f.name.name);
                    if !self.traits_of(&f.ty, self.pref_for(&path)).default {
                        candidates.push((i, j));
                    }
                }
            }
            if candidates.is_empty() {
                return;
            }
            let pending: std::collections::HashSet<(usize, usize)> =
                candidates.iter().copied().collect();
            // Waits: a field of a struct that has a candidate of its own.
            let waits = |&(i, j): &(usize, usize)| {
                let DefKind::Struct(s) = &self.program.defs[i].kind else {
                    return false;
                };
                let f = &s.fields[j];
                if f.recursive {
                    return false;
                }
                let ir::TypeKind::Named(id) = &self.through_typedefs(&f.ty).kind else {
                    return false;
                };
                match &self.program.def(*id).kind {
                    DefKind::Struct(inner) if inner.kind != StructKind::Union => {
                        let k = id.0 as usize;
                        (0..inner.fields.len()).any(|m| pending.contains(&(k, m)))
                    }
                    _ => false,
                }
            };
            let mut now: Vec<(usize, usize)> =
                candidates.iter().copied().filter(|c| !waits(c)).collect();
            if now.is_empty() {
                // Structs that wait for each other: all of them.
                now = candidates;
            }
            self.demoted.extend(now);
            self.compute_traits();
        }
    }

    /// The requiredness field `j` of definition `i` is planned with.
    fn req_of(&self, i: usize, j: usize, f: &ir::Field) -> Requiredness {
        if self.demoted.contains(&(i, j)) {
            Requiredness::Optional
        } else {
            f.req
        }
    }

    /// The components of [`Planner::holds`].
    fn holding_components(&self) -> Vec<usize> {
        let n = self.program.defs.len();
        let mut edges: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (i, def) in self.program.defs.iter().enumerate() {
            if let DefKind::Struct(s) = &def.kind {
                for f in &s.fields {
                    self.structs_in(&f.ty, &mut edges[i]);
                }
            }
        }
        crate::sema::graph::strongly_connected(&edges)
    }

    /// `t` with typedefs followed to the end of their chain: iteratively,
    /// as chains may be long (the front end checked they have no cycle;
    /// the bound only stops one).
    fn through_typedefs<'t>(&'t self, mut t: &'t ir::Type) -> &'t ir::Type {
        for _ in 0..=self.program.defs.len() {
            let ir::TypeKind::Named(id) = &t.kind else {
                return t;
            };
            match &self.program.def(*id).kind {
                DefKind::Typedef(td) => t = &td.target,
                _ => return t,
            }
        }
        t
    }

    /// The structs (unions, exceptions) a value of type `t` can hold
    /// directly or inside containers, typedefs followed.
    fn structs_in(&self, t: &ir::Type, out: &mut Vec<usize>) {
        use ir::TypeKind as K;
        match &self.through_typedefs(t).kind {
            K::List(e) | K::Set(e) => self.structs_in(e, out),
            K::Map(k, v) => {
                self.structs_in(k, out);
                self.structs_in(v, out);
            }
            K::Named(id) => {
                if let DefKind::Struct(_) = &self.program.def(*id).kind {
                    out.push(id.0 as usize);
                }
            }
            _ => {}
        }
    }

    /// May field type `t` of definition `owner` be lazy? Not when its
    /// elements can hold `owner` again (a recursive type through a
    /// container): a lazy container is checked in full each time the one
    /// holding it is read, so walking nested lazy containers costs their
    /// size once per level, and only the nesting of the IDL's types, not
    /// the input, may set that factor.
    fn lazy_allowed(&self, owner: DefId, t: &ir::Type) -> bool {
        let mut inside = Vec::new();
        self.structs_in(t, &mut inside);
        let own = self.holds[owner.0 as usize];
        inside.iter().all(|&d| self.holds[d] != own)
    }
    /// The field an exception's `Display` shows (see [`Struct::message`]).
    /// A `message` annotation that names no `string` field of it is
    /// noted, and `Display` then shows every field.
    fn message_field(&self, def: &ir::Def, s: &ir::Struct) -> Option<usize> {
        let named = def.annotations.iter().rev().find(|a| a.key == "message");
        let wanted = named.map_or("message", |a| a.value.as_deref().unwrap_or(""));
        let found = s
            .fields
            .iter()
            .position(|f| f.name.name == wanted && self.is_string(&f.ty));
        if found.is_none() {
            if let Some(a) = named {
                self.placed_notes.borrow_mut().push(
                    Diagnostic::warning(format!(
                        "the annotation `message` of exception `{}` names `{wanted}`, which is \
                         not a `string` field of it",
                        def.name.name
                    ))
                    .lint(Lint::BadAnnotation)
                    .primary(a.span, "names no `string` field")
                    .note("the exception's `Display` shows every field"),
                );
            }
        }
        found
    }

    /// Is `ty` a `string`, through typedefs?
    fn is_string(&self, ty: &ir::Type) -> bool {
        matches!(self.through_typedefs(ty).kind, ir::TypeKind::String)
    }

    /// Notes the fields of `st`, planned from `ir_fields` (in order) under
    /// `path`, whose Rust name got a number.
    fn note_field_renames(&self, ir_fields: &[ir::Field], st: &Struct, path: &[&str]) {
        for (f, planned) in ir_fields.iter().zip(&st.fields) {
            let wanted = if st.kind == StructKind::Union {
                names::variant_name(&f.name.name)
            } else {
                names::field_name(&f.name.name)
            };
            let what = format!("`{}.{}`", path.join("."), f.name.name);
            self.note_renamed(f.name.span, &what, &wanted, &planned.name);
        }
    }

    /// Notes `thrift` (written at `span`, `what` it names) when its Rust
    /// name `got` is not the `wanted` one: an earlier name of the same
    /// scope converts to `wanted` too, so this one got a number, and which
    /// one does depends on the order of the IDL.
    fn note_renamed(&self, span: Span, what: &str, wanted: &RustName, got: &RustName) {
        self.note_renamed_as(
            span,
            what,
            wanted,
            got,
            "an earlier name beside it has it (rename one in the IDL to choose)",
        );
    }

    /// [`note_renamed`](Self::note_renamed), saying `why` `wanted` was taken.
    fn note_renamed_as(
        &self,
        span: Span,
        what: &str,
        wanted: &RustName,
        got: &RustName,
        why: &str,
    ) {
        if wanted == got {
            return;
        }
        self.placed_notes.borrow_mut().push(
            Diagnostic::warning(format!("{what} is `{got}` in Rust, not `{wanted}`"))
                .lint(Lint::Renamed)
                .primary(span, format!("`{got}` in Rust"))
                .note(why),
        );
    }

    /// Module names: `namespace rs` or the file stem, unique.
    fn name_modules(&mut self) -> Vec<Module> {
        let mut scope = Scope::new();
        scope.reserve("mod");
        let mut modules = Vec::new();
        for (i, file) in self.program.files.iter().enumerate() {
            let name = scope.claim(wanted_module_name(file));
            let source_name = file
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| format!("{}.thrift", file.stem));
            self.module_of_file.insert(FileIdx(i as u32), modules.len());
            modules.push(Module {
                file: FileIdx(i as u32),
                name,
                source_name,
                items: Vec::new(),
            });
        }
        modules
    }

    /// Names of every definition, per module scope.
    fn name_defs(&mut self, modules: &[Module]) -> Vec<Scope> {
        let mut scopes: Vec<Scope> = modules
            .iter()
            .map(|_| {
                let mut s = Scope::new();
                s.reserve("__rt");
                s
            })
            .collect();
        let mut item_counts = vec![0usize; modules.len()];
        // Def ids are assigned file by file; name in each file's order.
        let mut infos: Vec<Option<DefInfo>> = vec![None; self.program.defs.len()];
        for (mi, module) in modules.iter().enumerate() {
            for &id in &self.program.file(module.file).defs {
                let def = self.program.def(id);
                let thrift = def.name.name.as_str();
                let (name, wire) = match &def.kind {
                    DefKind::Const(_) => (names::const_name(thrift), Wire::Void),
                    DefKind::Struct(_) => (names::type_name(thrift), Wire::Struct),
                    DefKind::Enum(_) => (names::type_name(thrift), Wire::I32),
                    DefKind::Senum(_) => (names::type_name(thrift), Wire::String),
                    DefKind::Typedef(_) => (names::type_name(thrift), Wire::Void),
                    DefKind::Service(_) => (names::type_name(thrift), Wire::Void),
                };
                let got = scopes[mi].claim(name.clone());
                let what = format!("`{}.{thrift}`", self.program.file(module.file).stem);
                self.note_renamed(def.name.span, &what, &name, &got);
                let name = got;
                infos[id.0 as usize] = Some(DefInfo {
                    module: mi,
                    item: item_counts[mi],
                    name,
                    wire,
                    traits: Traits::ALL,
                    view: None,
                });
                item_counts[mi] += 1;
            }
        }
        self.defs = infos
            .into_iter()
            .map(|i| {
                i.unwrap_or(DefInfo {
                    module: 0,
                    item: usize::MAX,
                    name: names::type_name("Unused"),
                    wire: Wire::Void,
                    traits: Traits::ALL,
                    view: None,
                })
            })
            .collect();
        // Typedef wire types are their chains' ends' (chains are acyclic:
        // the front end checked them), each chain followed to its end once
        // however long it is and in whatever order its links are declared.
        let defs = &self.program.defs;
        let mut known = vec![false; defs.len()];
        for start in 0..defs.len() {
            let mut chain = Vec::new();
            let mut at = start;
            let end = loop {
                match &defs[at].kind {
                    DefKind::Typedef(t) if !known[at] && chain.len() <= defs.len() => {
                        chain.push(at);
                        match t.target.kind {
                            ir::TypeKind::Named(id) => at = id.0 as usize,
                            _ => break self.wire_of(&t.target),
                        }
                    }
                    _ => break self.defs[at].wire,
                }
            };
            for d in chain {
                self.defs[d].wire = end;
                known[d] = true;
            }
        }
        scopes
    }

    /// Which structs, unions and exceptions get a borrowed view
    /// ([`Options::views`]), and its name (`<Name>Ref`, claimed after every
    /// definition's own name).
    ///
    /// A selected type gets a view when it borrows: a field holds a
    /// `string` or `binary` (also inside containers and typedefs) or a type
    /// with a view (a least fixpoint: recursion through views is fine).
    /// A type is left out when a field that could borrow (a `string`,
    /// `binary` or struct inside) has an IDL default other than a string
    /// literal or an empty container: a view could not hold that default
    /// without owning it.
    fn plan_views(&mut self, modules: &[Module], scopes: &mut [Scope]) {
        if self.options.views.is_empty() {
            return;
        }
        let n = self.program.defs.len();
        let mut notes = Vec::new();
        // The struct types the arguments of selected functions hold, at any
        // depth, count as selected.
        let mut by_function = vec![false; n];
        for (i, def) in self.program.defs.iter().enumerate() {
            let DefKind::Service(svc) = &def.kind else {
                continue;
            };
            for f in &svc.functions {
                if self.function_selected(DefId(i as u32), &f.name.name) {
                    for a in &f.args {
                        self.mark_structs(&a.ty, &mut by_function);
                    }
                }
            }
        }
        let candidate: Vec<bool> = (0..n)
            .map(|i| {
                let id = DefId(i as u32);
                let DefKind::Struct(s) = &self.program.def(id).kind else {
                    return false;
                };
                let path = self.def_path(id);
                if !by_function[i] && !self.options.views.iter().any(|p| path_matches(p, &path)) {
                    return false;
                }
                let blocking = self.view_blocker(&s.fields);
                if let Some(f) = blocking {
                    notes.push(
                        Diagnostic::warning(format!(
                            "option `views`: `{}` gets no view: its field `{}` has a default a \
                             view cannot hold without owning it",
                            path.join("."),
                            f.name.name
                        ))
                        .lint(Lint::UnusedOption)
                        .primary(f.name.span, "a default a view cannot borrow"),
                    );
                }
                blocking.is_none()
            })
            .collect();
        self.notes.extend(notes);
        // A worklist, as for the traits: when a struct gets a view, the
        // candidates that hold it (directly or through typedefs) are looked
        // at again.
        let users = self.trait_users();
        let mut view = vec![false; n];
        let mut queue: std::collections::VecDeque<usize> = (0..n).collect();
        let mut queued = vec![true; n];
        // Typedefs passed through while propagating one change.
        let mut seen = vec![false; n];
        let mut touched = Vec::new();
        while let Some(i) = queue.pop_front() {
            queued[i] = false;
            if view[i] || !candidate[i] {
                continue;
            }
            let DefKind::Struct(s) = &self.program.defs[i].kind else {
                continue;
            };
            if !s.fields.iter().any(|f| self.borrows(&f.ty, &view)) {
                continue;
            }
            view[i] = true;
            // Its users, and through typedefs theirs.
            let mut reach = vec![i];
            while let Some(j) = reach.pop() {
                for &u in &users[j] {
                    if matches!(self.program.defs[u].kind, DefKind::Typedef(_)) {
                        if !std::mem::replace(&mut seen[u], true) {
                            touched.push(u);
                            reach.push(u);
                        }
                    } else if !queued[u] {
                        queued[u] = true;
                        queue.push_back(u);
                    }
                }
            }
            for u in touched.drain(..) {
                seen[u] = false;
            }
        }
        for (mi, module) in modules.iter().enumerate() {
            for &id in &self.program.file(module.file).defs {
                if view[id.0 as usize] {
                    let info = &mut self.defs[id.0 as usize];
                    let name = names::type_name(&format!("{}Ref", info.name.unraw()));
                    info.view = Some(scopes[mi].claim(name));
                }
            }
        }
    }

    /// Does [`Options::views`] select function `name` of service `service`:
    /// a path matching the service (`bench.Bench`, `.bench`, `.`) or the
    /// function (`bench.Bench.echo`)?
    fn function_selected(&self, service: DefId, name: &str) -> bool {
        let mut path = self.def_path(service);
        let views = &self.options.views;
        if views.iter().any(|p| path_matches(p, &path)) {
            return true;
        }
        path.push(name);
        views.iter().any(|p| path_matches(p, &path))
    }

    /// Does service `service` get a view flavour ([`Service::view`]):
    /// [`Options::views`] selects one of its functions or one of a service
    /// it extends (at any depth, across includes)? So the view flavours of
    /// a chain of services reach down to every selected function: a
    /// service between two with selected functions gets one with no
    /// methods of its own.
    fn has_view_server(&self, service: DefId) -> bool {
        let mut id = Some(service);
        // The front end rejects cycles of `extends`; bounded all the same.
        for _ in 0..self.program.defs.len() {
            let Some(cur) = id else { break };
            let DefKind::Service(svc) = &self.program.def(cur).kind else {
                break;
            };
            if svc
                .functions
                .iter()
                .any(|f| self.function_selected(cur, &f.name.name))
            {
                return true;
            }
            id = svc.extends;
        }
        false
    }

    /// Marks the structs, unions and exceptions a value of type `t` holds:
    /// through containers, typedefs and their fields, so that the
    /// arguments of a selected function borrow all the way down.
    /// A worklist, not recursion: a long chain of structs holding each
    /// other must not exhaust the stack.
    fn mark_structs(&self, t: &ir::Type, marks: &mut [bool]) {
        use ir::TypeKind as K;
        let mut todo: Vec<&ir::Type> = vec![t];
        while let Some(t) = todo.pop() {
            match &self.through_typedefs(t).kind {
                K::List(e) | K::Set(e) => todo.push(e),
                K::Map(k, v) => todo.extend([&**k, &**v]),
                K::Named(id) => match &self.program.def(*id).kind {
                    DefKind::Struct(s) if !marks[id.0 as usize] => {
                        marks[id.0 as usize] = true;
                        todo.extend(s.fields.iter().map(|f| &f.ty));
                    }
                    _ => {}
                },
                _ => {}
            }
        }
    }

    /// The first field that keeps a struct (or a function's arguments)
    /// from a view: one that could borrow with an IDL default other than a
    /// string literal or an empty container, which a view could not hold
    /// without owning it.
    fn view_blocker<'f>(&self, fields: &'f [ir::Field]) -> Option<&'f ir::Field> {
        fields.iter().find(|f| match &f.default {
            None => false,
            Some(ConstValue::String(_)) => false,
            Some(ConstValue::List(v) | ConstValue::Set(v)) if v.is_empty() => false,
            Some(ConstValue::Map(v)) if v.is_empty() => false,
            Some(_) => self.may_borrow(&f.ty),
        })
    }

    /// Does the argument struct of function `f` of `service` get a view: the
    /// function is selected, an argument borrows (given the planned views)
    /// and none keeps it from a view (see [`Planner::view_blocker`])?
    fn args_view(&mut self, service: DefId, f: &ir::Function) -> bool {
        if !self.function_selected(service, &f.name.name) {
            return false;
        }
        let view: Vec<bool> = self.defs.iter().map(|d| d.view.is_some()).collect();
        if !f.args.iter().any(|a| self.borrows(&a.ty, &view)) {
            return false;
        }
        if let Some(a) = self.view_blocker(&f.args) {
            let mut path = self.def_path(service).join(".");
            path.push('.');
            path.push_str(&f.name.name);
            self.notes.push(
                Diagnostic::warning(format!(
                    "option `views`: the arguments of `{path}` get no view: its argument `{}` \
                     has a default a view cannot hold without owning it",
                    a.name.name
                ))
                .lint(Lint::UnusedOption)
                .primary(a.name.span, "a default a view cannot borrow"),
            );
            return false;
        }
        true
    }

    /// Could a value of this type borrow in a view, whatever gets one: a
    /// `string`, `binary` or struct inside?
    fn may_borrow(&self, t: &ir::Type) -> bool {
        use ir::TypeKind as K;
        match &self.through_typedefs(t).kind {
            K::String | K::Binary => true,
            K::List(e) | K::Set(e) => self.may_borrow(e),
            K::Map(k, v) => self.may_borrow(k) || self.may_borrow(v),
            K::Named(id) => matches!(
                &self.program.def(*id).kind,
                DefKind::Struct(_) | DefKind::Senum(_)
            ),
            _ => false,
        }
    }

    /// Does a value of this type borrow in a view, given which definitions
    /// have views (`view`, by def index)?
    fn borrows(&self, t: &ir::Type, view: &[bool]) -> bool {
        use ir::TypeKind as K;
        match &self.through_typedefs(t).kind {
            K::String | K::Binary => true,
            K::List(e) | K::Set(e) => self.borrows(e, view),
            K::Map(k, v) => self.borrows(k, view) || self.borrows(v, view),
            K::Named(id) => match &self.program.def(*id).kind {
                DefKind::Senum(_) => true,
                DefKind::Struct(_) => view[id.0 as usize],
                _ => false,
            },
            _ => false,
        }
    }

    fn wire_of(&self, t: &ir::Type) -> Wire {
        use ir::TypeKind as K;
        match &t.kind {
            K::Bool => Wire::Bool,
            K::I8 => Wire::I8,
            K::I16 => Wire::I16,
            K::I32 => Wire::I32,
            K::I64 => Wire::I64,
            K::Double => Wire::Double,
            K::String | K::Binary => Wire::String,
            K::Uuid => Wire::Uuid,
            K::List(_) => Wire::List,
            K::Set(_) => Wire::Set,
            K::Map(..) => Wire::Map,
            K::Named(id) => self.defs[id.0 as usize].wire,
        }
    }

    /// The Thrift path of a definition: `[file stem, name]`.
    fn def_path(&self, id: DefId) -> Vec<&'a str> {
        let program = self.program;
        let def = program.def(id);
        vec![program.file(def.file).stem.as_str(), def.name.name.as_str()]
    }

    /// The planned Rust type of an IR type at the Thrift path `path` (of a
    /// field, typedef, constant or function): the collections and the
    /// `string`/`binary` representation the options ask for there.
    fn ty_at(&self, t: &ir::Type, path: &[&str]) -> Ty {
        let ty = self.ty(t, self.pref_for(path));
        let matches = |paths: &[String]| paths.iter().any(|p| path_matches(p, path));
        if matches(&self.options.bytes_paths) {
            ty.shared()
        } else if matches(&self.options.small_strings) {
            ty.small()
        } else {
            ty
        }
    }

    /// The collections asked for at `path`: wire order before ordered
    /// before hashed.
    fn pref_for(&self, path: &[&str]) -> Pref {
        let matches = |paths: &[String]| paths.iter().any(|p| path_matches(p, path));
        if matches(&self.options.wire_order_paths) {
            Pref::Wire
        } else if self.options.btree_all || matches(&self.options.btree_paths) {
            Pref::BTree
        } else {
            Pref::Hash
        }
    }

    /// Traits of an IR type given the current table and the collections
    /// asked for.
    fn traits_of(&self, t: &ir::Type, btree: Pref) -> Traits {
        use ir::TypeKind as K;
        match &t.kind {
            K::Bool | K::I8 | K::I16 | K::I32 | K::I64 | K::String | K::Binary | K::Uuid => {
                Traits::ALL
            }
            K::Double => Traits {
                eq: false,
                hash: false,
                partial_ord: true,
                default: true,
            },
            K::List(e) => Traits {
                default: true,
                ..self.traits_of(e, btree)
            },
            K::Set(e) => {
                let et = self.traits_of(e, btree);
                self.coll_traits(coll_for(et, btree), et, Traits::ALL)
            }
            K::Map(k, v) => {
                let kt = self.traits_of(k, btree);
                let vt = self.traits_of(v, btree);
                self.coll_traits(coll_for(kt, btree), kt, vt)
            }
            K::Named(id) => self.defs[id.0 as usize].traits,
        }
    }

    fn coll_traits(&self, coll: Coll, k: Traits, v: Traits) -> Traits {
        match coll {
            Coll::Hash => Traits {
                eq: v.eq,
                hash: false,
                partial_ord: false,
                default: true,
            },
            Coll::BTree | Coll::Vec => Traits {
                eq: k.eq && v.eq,
                hash: k.hash && v.hash,
                partial_ord: k.partial_ord && v.partial_ord,
                default: true,
            },
        }
    }

    /// Fixpoints over the type graph (see the module docs).
    fn compute_traits(&mut self) {
        let users = self.trait_users();
        // 1: Eq and Hash (greatest fixpoint; the choice of collection
        // depends on them).
        self.fixpoint(&users, |cur, t| {
            let (eq, hash) = (cur.eq && t.eq, cur.hash && t.hash && t.eq);
            let changed = (eq, hash) != (cur.eq, cur.hash);
            cur.eq = eq;
            cur.hash = hash;
            changed
        });
        // 2: PartialOrd (greatest fixpoint).
        self.fixpoint(&users, |cur, t| {
            let changed = cur.partial_ord && !t.partial_ord;
            cur.partial_ord &= t.partial_ord;
            changed
        });
        // 3: Default (least fixpoint: a struct that needs itself to be
        // built has none).
        for (i, def) in self.program.defs.iter().enumerate() {
            if matches!(def.kind, DefKind::Struct(_) | DefKind::Typedef(_)) {
                self.defs[i].traits.default = false;
            }
        }
        self.fixpoint(&users, |cur, t| {
            let changed = !cur.default && t.default;
            cur.default |= t.default;
            changed
        });
    }

    /// For each definition, the structs and typedefs whose traits are
    /// derived from it (they name it in a field or as their target, also
    /// inside containers).
    fn trait_users(&self) -> Vec<Vec<usize>> {
        use ir::TypeKind as K;
        let mut users = vec![Vec::new(); self.program.defs.len()];
        for (i, def) in self.program.defs.iter().enumerate() {
            let mut todo: Vec<&ir::Type> = match &def.kind {
                DefKind::Typedef(t) => vec![&t.target],
                DefKind::Struct(s) => s.fields.iter().map(|f| &f.ty).collect(),
                _ => continue,
            };
            while let Some(t) = todo.pop() {
                match &t.kind {
                    K::List(e) | K::Set(e) => todo.push(e),
                    K::Map(k, v) => todo.extend([&**k, &**v]),
                    K::Named(id) => users[id.0 as usize].push(i),
                    _ => {}
                }
            }
        }
        for u in &mut users {
            u.sort_unstable();
            u.dedup();
        }
        users
    }

    /// Applies `update` (which merges the traits derived from a
    /// definition's parts into its current ones and says whether they
    /// changed) until nothing changes. A worklist: only the users of a
    /// definition that changed are looked at again, so a long chain of
    /// structs holding each other costs a pass per change, not a pass over
    /// every definition per link. `update` moves each flag one way only,
    /// so this ends.
    fn fixpoint(&mut self, users: &[Vec<usize>], update: impl Fn(&mut Traits, Traits) -> bool) {
        let n = self.program.defs.len();
        let mut queue: std::collections::VecDeque<usize> = (0..n).collect();
        let mut queued = vec![true; n];
        while let Some(i) = queue.pop_front() {
            queued[i] = false;
            let Some(t) = self.derived_traits(DefId(i as u32)) else {
                continue;
            };
            if update(&mut self.defs[i].traits, t) {
                for &u in &users[i] {
                    if !queued[u] {
                        queued[u] = true;
                        queue.push_back(u);
                    }
                }
            }
        }
    }

    /// The traits a definition gets from its parts under the current table;
    /// `None` for definitions without a fixed set (enums, consts, services).
    fn derived_traits(&self, id: DefId) -> Option<Traits> {
        let def = self.program.def(id);
        match &def.kind {
            DefKind::Typedef(t) => {
                let path = self.def_path(id);
                Some(self.traits_of(&t.target, self.pref_for(&path)))
            }
            DefKind::Struct(s) => {
                let mut acc = Traits::ALL;
                let base = self.def_path(id);
                for (j, f) in s.fields.iter().enumerate() {
                    let mut path = base.clone();
                    path.push(&f.name.name);
                    let t = self.traits_of(&f.ty, self.pref_for(&path));
                    acc.eq &= t.eq;
                    acc.hash &= t.hash;
                    acc.partial_ord &= t.partial_ord;
                    acc.default &= t.default
                        || self.req_of(id.0 as usize, j, f) == Requiredness::Optional
                        || (f.default.is_some() && s.kind != StructKind::Union);
                }
                if s.kind == StructKind::Union {
                    acc.default = false;
                }
                Some(acc)
            }
            DefKind::Enum(_) | DefKind::Senum(_) | DefKind::Const(_) | DefKind::Service(_) => None,
        }
    }

    /// The planned Rust type of an IR type.
    fn ty(&self, t: &ir::Type, btree: Pref) -> Ty {
        use ir::TypeKind as K;
        match &t.kind {
            K::Bool => Ty::Bool,
            K::I8 => Ty::I8,
            K::I16 => Ty::I16,
            K::I32 => Ty::I32,
            K::I64 => Ty::I64,
            K::Double => Ty::Double,
            K::String => Ty::String,
            K::Binary => Ty::Binary,
            K::Uuid => Ty::Uuid,
            K::List(e) => Ty::List(Box::new(self.ty(e, btree))),
            K::Set(e) => {
                let coll = coll_for(self.traits_of(e, btree), btree);
                Ty::Set(coll, Box::new(self.ty(e, btree)))
            }
            K::Map(k, v) => {
                let coll = coll_for(self.traits_of(k, btree), btree);
                Ty::Map(
                    coll,
                    Box::new(self.ty(k, btree)),
                    Box::new(self.ty(v, btree)),
                )
            }
            K::Named(id) => Ty::Named(*id),
        }
    }

    fn type_attrs(&self, path: &[&str]) -> Result<Vec<Code>, Error> {
        parse_attrs(&self.options.type_attributes, path)
    }

    fn field_attrs(&self, path: &[&str]) -> Result<Vec<Code>, Error> {
        parse_attrs(&self.options.field_attributes, path)
    }

    fn plan_def(&mut self, id: DefId, scope: &mut Scope) -> Result<Item, Error> {
        let def = self.program.def(id);
        let info = self.defs[id.0 as usize].clone();
        let path = self.def_path(id);
        let doc = def.doc.clone();
        Ok(match &def.kind {
            DefKind::Struct(s) => {
                let mut st = self.plan_struct(
                    Some(id),
                    &def.name.name,
                    info.name.clone(),
                    s.kind,
                    doc,
                    &s.fields,
                    &path,
                )?;
                self.note_field_renames(&s.fields, &st, &path);
                if s.kind == StructKind::Exception {
                    st.message = self.message_field(def, s);
                }
                if s.kind == StructKind::Union {
                    Item::Union(st)
                } else {
                    Item::Struct(st)
                }
            }
            DefKind::Enum(e) => {
                let mut vscope = Scope::new();
                let values_const = names::const_name("VALUES");
                vscope.reserve(values_const.as_str());
                let values = e
                    .values
                    .iter()
                    .map(|v| {
                        let wanted = names::const_name(&v.name.name);
                        let name = vscope.claim(wanted.clone());
                        let what = format!("`{}.{}`", path.join("."), v.name.name);
                        if wanted == values_const {
                            self.note_renamed_as(
                                v.name.span,
                                &what,
                                &wanted,
                                &name,
                                "the generated constant listing every value of the enum is \
                                 named `VALUES`",
                            );
                        } else {
                            self.note_renamed(v.name.span, &what, &wanted, &name);
                        }
                        EnumValue {
                            thrift_name: v.name.name.clone(),
                            name,
                            value: v.value,
                            doc: v.doc.clone(),
                        }
                    })
                    .collect();
                Item::Enum(Enum {
                    def: id,
                    thrift_name: def.name.name.clone(),
                    name: info.name,
                    doc,
                    values,
                    values_const,
                    attrs: self.type_attrs(&path)?,
                    serde: if self.options.serde {
                        vec![Code::new(SERDE_DERIVE), Code::new("#[serde(transparent)]")]
                    } else {
                        Vec::new()
                    },
                })
            }
            DefKind::Senum(_) => Item::Typedef(Typedef {
                def: id,
                name: info.name,
                doc,
                ty: Ty::String,
            }),
            DefKind::Typedef(t) => Item::Typedef(Typedef {
                def: id,
                name: info.name,
                doc,
                ty: self.ty_at(&t.target, &path),
            }),
            DefKind::Const(c) => Item::Const(Const {
                def: id,
                name: info.name,
                doc,
                ty: self.ty_at(&c.ty, &path),
                value: c.value.clone(),
            }),
            DefKind::Service(s) => {
                let mut functions = Vec::new();
                let mut fscope = Scope::new();
                for f in &s.functions {
                    let wanted = names::field_name(&f.name.name);
                    let method = fscope.claim(wanted.clone());
                    let what = format!("`{}.{}`", path.join("."), f.name.name);
                    self.note_renamed(f.name.span, &what, &wanted, &method);
                    let stem = format!(
                        "{}{}",
                        info.name.unraw(),
                        names::type_name(&f.name.name).unraw()
                    );
                    let fpath_text = format!("{}.{}", path.join("."), f.name.name);
                    let args_name = self.claim_generated(
                        scope,
                        names::type_name(&format!("{stem}Args")),
                        f.name.span,
                        &|| format!("the argument struct of `{fpath_text}`"),
                    );
                    let result_name = self.claim_generated(
                        scope,
                        names::type_name(&format!("{stem}Result")),
                        f.name.span,
                        &|| format!("the result struct of `{fpath_text}`"),
                    );
                    let mut fpath = path.clone();
                    fpath.push(&f.name.name);
                    let args = self.plan_struct(
                        None,
                        &format!("{}_args", f.name.name),
                        args_name,
                        StructKind::Struct,
                        None,
                        &f.args,
                        &fpath,
                    )?;
                    // A result struct's fields are the `throws` list, whose
                    // renames are noted with the error enum's variants.
                    self.note_field_renames(&f.args, &args, &fpath);
                    let mut result = self.plan_struct(
                        None,
                        &format!("{}_result", f.name.name),
                        result_name,
                        StructKind::Struct,
                        None,
                        &f.throws,
                        &fpath,
                    )?;
                    for fld in &mut result.fields {
                        fld.req = Requiredness::Optional;
                    }
                    let (variants, ..) =
                        names::error_variants(f.throws.iter().map(|t| t.name.name.as_str()));
                    for (t, got) in f.throws.iter().zip(&variants) {
                        let what = format!(
                            "the error variant of `{}.{}.{}`",
                            path.join("."),
                            f.name.name,
                            t.name.name
                        );
                        let wanted = names::variant_name(&t.name.name);
                        let why = if ["Application", "Rpc"].contains(&wanted.as_str()) {
                            "the error enum has a variant of that name of its own (rename the \
                             field in the IDL to change it)"
                        } else {
                            "an earlier name beside it has it (rename one in the IDL to choose)"
                        };
                        self.note_renamed_as(t.name.span, &what, &wanted, got, why);
                    }
                    let returns = f.returns.as_ref().map(|t| self.ty_at(t, &fpath));
                    let args_view = self
                        .args_view(id, f)
                        .then(|| names::type_name(&format!("{stem}ArgsRef")));
                    if let Some(ty) = &returns {
                        // An exception may itself be named `success` (or
                        // `success_`, ...): the first of `success`,
                        // `success_`, `success_2`, ... no field has.
                        let taken = |n: &str| result.fields.iter().any(|f| f.name.unraw() == n);
                        let name = std::iter::once("success".to_owned())
                            .chain(std::iter::once("success_".to_owned()))
                            .chain((2..).map(|n| format!("success_{n}")))
                            .find(|n| !taken(n))
                            .expect("a free name among infinitely many");
                        result.fields.insert(
                            0,
                            Field {
                                id: 0,
                                thrift_name: "success".to_owned(),
                                name: RustName::plain(name),
                                ty: ty.clone(),
                                req: Requiredness::Optional,
                                default: None,
                                boxed: false,
                                doc: None,
                                attrs: Vec::new(),
                                ty_default: true,
                                lazy: false,
                                serde: Vec::new(),
                                serde_default_fn: None,
                            },
                        );
                    }
                    result.traits = self.struct_traits(&result.fields, false);
                    result.default_impl = DefaultImpl::Derive;
                    self.plan_serde(&mut result);
                    functions.push(Function {
                        thrift_name: f.name.name.clone(),
                        name: method,
                        oneway: f.oneway,
                        returns,
                        args,
                        result,
                        // Named by `name_service_items` once every item
                        // of the module has its name.
                        error: info.name.clone(),
                        // Claimed by `name_view_servers`, after that.
                        args_view,
                    });
                }
                let selected = self.has_view_server(id);
                Item::Service(Service {
                    def: id,
                    // Named by `name_view_servers`.
                    view: selected.then(|| ViewServer {
                        handler: info.name.clone(),
                        processor: info.name.clone(),
                    }),
                    handler: info.name.clone(),
                    processor: info.name.clone(),
                    client: info.name.clone(),
                    // Named by `name_async_services`.
                    async_names: None,
                    name: info.name,
                    functions,
                })
            }
        })
    }

    /// Plans a struct, exception or union from its fields. `path` is the
    /// Thrift path of the owner (for option matching).
    #[allow(clippy::too_many_arguments)] // internal; mirrors the struct it builds
    fn plan_struct(
        &self,
        def: Option<DefId>,
        thrift_name: &str,
        name: RustName,
        kind: StructKind,
        doc: Option<String>,
        ir_fields: &[ir::Field],
        path: &[&str],
    ) -> Result<Struct, Error> {
        let union = kind == StructKind::Union;
        let mut scope = Scope::new();
        let mut fields = Vec::new();
        for (j, f) in ir_fields.iter().enumerate() {
            let req = match def {
                Some(d) => self.req_of(d.0 as usize, j, f),
                None => f.req,
            };
            let mut fpath = path.to_vec();
            fpath.push(&f.name.name);
            let rust = if union {
                names::variant_name(&f.name.name)
            } else {
                names::field_name(&f.name.name)
            };
            let ty = self.ty_at(&f.ty, &fpath);
            let ty_default = self.traits_of(&f.ty, self.pref_for(&fpath)).default;
            let default = f
                .default
                .clone()
                .filter(|v| req == Requiredness::Optional || !self.is_zero_value(&ty, v));
            fields.push(Field {
                id: f.id,
                thrift_name: f.name.name.clone(),
                name: scope.claim(rust),
                ty,
                req,
                boxed: f.recursive || self.options.boxed.iter().any(|p| path_matches(p, &fpath)),
                doc: f.doc.clone(),
                attrs: self.field_attrs(&fpath)?,
                ty_default,
                // Fields of definitions only: argument and result structs
                // keep eager containers (a handler's signature spells them).
                // An optional field keeps an empty container as its default
                // (`Some` of it); a lazy one is empty too.
                lazy: default.as_ref().is_none_or(is_empty_container)
                    && self.options.lazy.iter().any(|p| path_matches(p, &fpath))
                    && def.is_some_and(|d| self.lazy_allowed(d, &f.ty)),
                default,
                serde: Vec::new(),
                serde_default_fn: None,
            });
        }
        // Named after the IDL's fields, as the unknown variant of a union
        // is: turning the option on renames none of them.
        let unknown_fields = (!union && self.options.keep_unknown_fields)
            .then(|| scope.claim(names::field_name("unknown_fields")));
        let unknown_variant = union.then(|| scope.claim(names::variant_name("Unknown")));
        // A field took the name: say what the generated one is called.
        let generated = [
            (
                &unknown_fields,
                "field that keeps unknown fields",
                "unknown_fields",
            ),
            (&unknown_variant, "variant for unknown fields", "Unknown"),
        ];
        for (name, what, wanted) in generated {
            if let (Some(name), Some(id)) = (name, def) {
                if name.as_str() != wanted {
                    let d = self.program.def(id);
                    self.placed_notes.borrow_mut().push(
                        Diagnostic::warning(format!(
                            "the {what} of `{}` is `{name}`, not `{wanted}`",
                            path.join(".")
                        ))
                        .lint(Lint::Renamed)
                        .primary(d.name.span, format!("its {what} is `{name}`"))
                        .note(format!("a field of it is named `{wanted}`")),
                    );
                }
            }
        }
        let traits = match def {
            Some(id) => self.defs[id.0 as usize].traits,
            None => self.struct_traits(&fields, union),
        };
        let default_impl = if union || !traits.default {
            DefaultImpl::None
        } else if fields.iter().any(|f| f.default.is_some()) {
            DefaultImpl::Manual
        } else {
            DefaultImpl::Derive
        };
        let mut s = Struct {
            def,
            thrift_name: thrift_name.to_owned(),
            name,
            kind,
            doc,
            fields,
            traits,
            default_impl,
            unknown_fields,
            unknown_variant,
            attrs: self.type_attrs(path)?,
            serde: Vec::new(),
            unknown_fields_serde: Vec::new(),
            serde_unknown_fn: None,
            message: None,
        };
        self.plan_serde(&mut s);
        Ok(s)
    }

    /// serde's derives and attributes of a struct, exception or union
    /// ([`Options::serde`]), from its fields as planned; planned again
    /// after a change to them (a function's result struct). A document
    /// reads as the wire does: a missing optional field is `None`, missing
    /// unknown fields none, a missing default-requiredness field its IDL
    /// default (or its type's default), and a missing field whose absence
    /// fails a Thrift read fails the serde read too. With no such field,
    /// `#[serde(default)]` on the struct takes every missing field from the
    /// struct's `Default`, which holds the IDL defaults; with one, each
    /// other field gets its own default. Optional fields and empty unknown
    /// fields are left out when written. Kept unknown fields (a union's
    /// unknown variant) are read by a function that refuses one with the id
    /// and wire type of a known field, which only a document can hold.
    fn plan_serde(&self, s: &mut Struct) {
        if !self.options.serde {
            return;
        }
        s.serde = vec![Code::new(SERDE_DERIVE)];
        s.unknown_fields_serde.clear();
        s.serde_unknown_fn = None;
        let union = s.kind == StructKind::Union;
        for f in &mut s.fields {
            f.serde.clear();
            if let Some(with) = self.serde_with(f, union) {
                f.serde.push(Code(with));
            }
        }
        if union {
            if !s.fields.is_empty() {
                // Variants are named in CamelCase: no clash with the
                // function's name.
                s.unknown_fields_serde.push(Code(format!(
                    "#[serde(deserialize_with = \"{}::serde_unknown\")]",
                    s.name.as_str()
                )));
                s.serde_unknown_fn = Some("serde_unknown".to_owned());
            }
            return;
        }
        let whole =
            s.default_impl != DefaultImpl::None && !s.fields.iter().any(Field::absence_fails);
        if whole {
            s.serde.push(Code::new("#[serde(default)]"));
        }
        for f in &mut s.fields {
            f.serde_default_fn = None;
            if f.is_optional() {
                f.serde.push(Code::new(
                    "#[serde(default, skip_serializing_if = \"Option::is_none\")]",
                ));
            } else if whole || f.absence_fails() {
                // Taken from the struct's `Default`, or must be present.
            } else if f.default.is_some() {
                // A legal field name starts with at most one `_` (before a
                // digit), and a snake-case name has no `__`.
                let func = format!("serde_default_{}", f.name.unraw().trim_start_matches('_'));
                f.serde.push(Code(format!(
                    "#[serde(default = \"{}::{func}\")]",
                    s.name.as_str()
                )));
                f.serde_default_fn = Some(func);
            } else {
                f.serde.push(Code::new("#[serde(default)]"));
            }
        }
        if s.unknown_fields.is_some() {
            s.unknown_fields_serde = vec![Code::new(
                "#[serde(default, skip_serializing_if = \"Vec::is_empty\")]",
            )];
            if !s.fields.is_empty() {
                // `serde_default_` functions have another prefix.
                s.unknown_fields_serde.push(Code(format!(
                    "#[serde(deserialize_with = \"{}::serde_unknown_fields\")]",
                    s.name.as_str()
                )));
                s.serde_unknown_fn = Some("serde_unknown_fields".to_owned());
            }
        }
    }

    /// serde's `with` attribute for a field whose type holds a `binary` or
    /// a `double` ([`Options::serde`]): the runtime's adapters write
    /// `binary` as base64 and a NaN or infinite `double` with its bits in
    /// human-readable formats, where serde's own forms are an array of
    /// numbers and a `null` that does not read back.
    /// A union's variants hold their values whatever their requiredness
    /// (`union`).
    fn serde_with(&self, f: &Field, union: bool) -> Option<String> {
        // Generated modules reach the runtime's facade as `__rt`.
        let rt = format!("{}::serde_as", super::items::RT);
        let mut adapter = self.serde_adapter(&f.ty, &rt)?;
        if f.boxed {
            adapter = format!("{rt}::Boxed<{adapter}>");
        }
        if f.is_optional() && !union {
            adapter = format!("{rt}::Opt<{adapter}>");
        }
        Some(format!("#[serde(with = \"{rt}::As::<{adapter}>\")]"))
    }

    /// The adapter (a type path under `rt`) of a value of type `ty`, when
    /// it holds a `binary` or a `double` (see [`Planner::serde_with`]).
    /// Typedefs are followed to the end of their chains; the kind of a set
    /// or map does not matter, as each adapter takes every kind.
    fn serde_adapter(&self, ty: &Ty, rt: &str) -> Option<String> {
        let inner = |t: &Ty| self.serde_adapter(t, rt);
        match ty {
            Ty::Binary | Ty::Bytes => Some(format!("{rt}::Binary")),
            Ty::Double => Some(format!("{rt}::Double")),
            Ty::List(e) => inner(e).map(|a| format!("{rt}::List<{a}>")),
            Ty::Set(_, e) => inner(e).map(|a| format!("{rt}::Set<{a}>")),
            Ty::Map(_, k, v) => match (inner(k), inner(v)) {
                (None, None) => None,
                (k, v) => {
                    let same = || format!("{rt}::Same");
                    Some(format!(
                        "{rt}::Map<{}, {}>",
                        k.unwrap_or_else(same),
                        v.unwrap_or_else(same)
                    ))
                }
            },
            Ty::Named(id) => match &self.program.def(*id).kind {
                DefKind::Typedef(td) => {
                    let end = self.through_typedefs(&td.target);
                    if matches!(end.kind, ir::TypeKind::Named(_)) {
                        // A struct, union, exception or enum.
                        return None;
                    }
                    self.serde_adapter(&self.ty(end, Pref::Hash), rt)
                }
                _ => None,
            },
            _ => None,
        }
    }

    /// Traits of a struct that is not a definition (function args/results).
    fn struct_traits(&self, fields: &[Field], union: bool) -> Traits {
        let mut acc = Traits::ALL;
        for f in fields {
            let t = self.ty_traits(&f.ty);
            acc.eq &= t.eq;
            acc.hash &= t.hash;
            acc.partial_ord &= t.partial_ord;
            acc.default &= t.default || f.is_optional() || f.default.is_some();
        }
        if union {
            acc.default = false;
        }
        acc
    }

    fn ty_traits(&self, ty: &Ty) -> Traits {
        match ty {
            Ty::Bool
            | Ty::I8
            | Ty::I16
            | Ty::I32
            | Ty::I64
            | Ty::String
            | Ty::Binary
            | Ty::ByteString
            | Ty::Bytes
            | Ty::SmallString
            | Ty::Uuid => Traits::ALL,
            Ty::Double => Traits {
                eq: false,
                hash: false,
                partial_ord: true,
                default: true,
            },
            Ty::List(e) => Traits {
                default: true,
                ..self.ty_traits(e)
            },
            Ty::Set(c, e) => self.coll_traits(*c, self.ty_traits(e), Traits::ALL),
            Ty::Map(c, k, v) => self.coll_traits(*c, self.ty_traits(k), self.ty_traits(v)),
            Ty::Named(id) => self.defs[id.0 as usize].traits,
        }
    }

    /// Is `v` what `Default::default()` gives for `ty`?
    fn is_zero_value(&self, ty: &Ty, v: &ConstValue) -> bool {
        match (ty, v) {
            (Ty::Named(id), _) => match &self.program.def(*id).kind {
                DefKind::Typedef(t) => {
                    let target = self.ty(&t.target, Pref::Hash);
                    self.is_zero_value(&target, v)
                }
                _ => false,
            },
            (_, ConstValue::Bool(b)) => !b,
            (_, ConstValue::Int(i)) => *i == 0,
            (_, ConstValue::Double(d)) => d.to_bits() == 0,
            (_, ConstValue::String(s)) => s.is_empty(),
            (_, ConstValue::List(l)) | (_, ConstValue::Set(l)) => l.is_empty(),
            (_, ConstValue::Map(m)) => m.is_empty(),
            (_, ConstValue::Uuid(u)) => u == &[0; 16],
            _ => false,
        }
    }
}

impl Planner<'_> {
    /// Claims `wanted` in `scope` for `what` (the item generated for the
    /// IDL name at `span`), noting a rename: another item of the module (a
    /// definition of the IDL, or an item generated for another) has it.
    fn claim_generated(
        &self,
        scope: &mut Scope,
        wanted: RustName,
        span: Span,
        what: &dyn Fn() -> String,
    ) -> RustName {
        let got = scope.claim(wanted.clone());
        if got != wanted {
            self.note_renamed_as(
                span,
                &what(),
                &wanted,
                &got,
                "another item of the module has that name: a definition of the IDL, or an \
                 item generated for one (rename the definition in the IDL to choose)",
            );
        }
        got
    }

    /// The IDL spans of a service's name and of its functions' names, in
    /// order.
    fn service_spans(&self, def: DefId) -> (Span, Vec<Span>) {
        let d = self.program.def(def);
        let functions = match &d.kind {
            DefKind::Service(s) => s.functions.iter().map(|f| f.name.span).collect(),
            _ => Vec::new(),
        };
        (d.name.span, functions)
    }

    /// The service path `file.Service` of `def`, for warnings.
    fn service_path(&self, def: DefId) -> String {
        self.def_path(def).join(".")
    }

    /// Names the items generated for each service of `module` (handler
    /// trait, processor, client, one error enum per function), claimed in
    /// `scope` (the module's namespace, which by now holds every planned
    /// item and every argument and result struct) in source order, so a
    /// clash with a user's type gets a numeric suffix deterministically,
    /// and a warning.
    fn name_service_items(&self, module: &mut Module, scope: &mut Scope) {
        for item in &mut module.items {
            let Item::Service(s) = item else { continue };
            let base = s.name.unraw().to_owned();
            let (span, spans) = self.service_spans(s.def);
            let path = self.service_path(s.def);
            let mut claim = |suffix: &str, what: &str| {
                self.claim_generated(
                    scope,
                    names::type_name(&format!("{base}{suffix}")),
                    span,
                    &|| format!("the {what} of `{path}`"),
                )
            };
            s.handler = claim("Handler", "handler trait");
            s.processor = claim("Processor", "processor");
            s.client = claim("Client", "client");
            for (i, f) in s.functions.iter_mut().enumerate() {
                // From the method's Rust name, so `fooBar` and `foo_bar`
                // (methods `foo_bar`, `foo_bar2`) give `FooBarError`,
                // `FooBar2Error`.
                let stem = names::type_name(f.name.unraw());
                f.error = self.claim_generated(
                    scope,
                    names::type_name(&format!("{base}{}Error", stem.unraw())),
                    spans.get(i).copied().unwrap_or(span),
                    &|| format!("the error enum of `{path}.{}`", f.thrift_name),
                );
            }
        }
    }

    /// Names the items of the view flavour of each service that has one
    /// (`<Service>ViewHandler`, `<Service>ViewProcessor`, the argument views
    /// `<Service><Method>ArgsRef`), claimed in `scope` after every other item
    /// of the module, so that asking for views changes no other name.
    fn name_view_servers(&self, module: &mut Module, scope: &mut Scope) {
        for item in &mut module.items {
            let Item::Service(s) = item else { continue };
            let Some(view) = &mut s.view else { continue };
            let base = s.name.unraw().to_owned();
            let (span, spans) = self.service_spans(s.def);
            let path = self.service_path(s.def);
            let mut claim = |suffix: &str, what: &str| {
                self.claim_generated(
                    scope,
                    names::type_name(&format!("{base}{suffix}")),
                    span,
                    &|| format!("the {what} of `{path}`"),
                )
            };
            view.handler = claim("ViewHandler", "view handler trait");
            view.processor = claim("ViewProcessor", "view processor");
            for (i, f) in s.functions.iter_mut().enumerate() {
                let Some(wanted) = f.args_view.take() else {
                    continue;
                };
                f.args_view = Some(self.claim_generated(
                    scope,
                    wanted,
                    spans.get(i).copied().unwrap_or(span),
                    &|| format!("the arguments view of `{path}.{}`", f.thrift_name),
                ));
            }
        }
    }

    /// Names the items of the async flavour of each service
    /// (`<Service>AsyncHandler`, `<Service>AsyncProcessor`,
    /// `<Service>AsyncClient`), claimed in `scope` after every other item of
    /// the module (views included), so that asking for async services
    /// changes no other name; a user type of one of these names keeps it,
    /// and the generated item gets a numeric suffix, as the blocking items
    /// do.
    fn name_async_services(&self, module: &mut Module, scope: &mut Scope) {
        for item in &mut module.items {
            let Item::Service(s) = item else { continue };
            let base = s.name.unraw().to_owned();
            let (span, _) = self.service_spans(s.def);
            let path = self.service_path(s.def);
            let mut claim = |suffix: &str, what: &str| {
                self.claim_generated(
                    scope,
                    names::type_name(&format!("{base}{suffix}")),
                    span,
                    &|| format!("the {what} of `{path}`"),
                )
            };
            s.async_names = Some(AsyncNames {
                handler: claim("AsyncHandler", "async handler trait"),
                processor: claim("AsyncProcessor", "async processor"),
                client: claim("AsyncClient", "async client"),
                view: None,
            });
        }
    }

    /// Names the async view flavour of each service that has a view flavour
    /// (`<Service>AsyncViewHandler`, `<Service>AsyncViewProcessor`), claimed
    /// after every other item of the module, the async ones included, so
    /// that it renames nothing that existed without it.
    fn name_async_view_servers(&self, module: &mut Module, scope: &mut Scope) {
        for item in &mut module.items {
            let Item::Service(s) = item else { continue };
            if s.view.is_none() {
                continue;
            }
            let (span, _) = self.service_spans(s.def);
            let path = self.service_path(s.def);
            let Some(names) = &mut s.async_names else {
                continue;
            };
            let base = s.name.unraw().to_owned();
            let mut claim = |suffix: &str, what: &str| {
                self.claim_generated(
                    scope,
                    names::type_name(&format!("{base}{suffix}")),
                    span,
                    &|| format!("the {what} of `{path}`"),
                )
            };
            names.view = Some(ViewServer {
                handler: claim("AsyncViewHandler", "async view handler trait"),
                processor: claim("AsyncViewProcessor", "async view processor"),
            });
        }
    }
}

/// The collection for a set element (map key) with traits `t`.
fn coll_for(t: Traits, pref: Pref) -> Coll {
    match pref {
        Pref::Wire => Coll::Vec,
        _ if !(t.eq && t.hash) => Coll::Vec,
        Pref::BTree if t.partial_ord => Coll::BTree,
        _ => Coll::Hash,
    }
}

fn parse_attrs(list: &[(String, String)], path: &[&str]) -> Result<Vec<Code>, Error> {
    let mut out = Vec::new();
    for (pat, attr) in list {
        if path_matches(pat, path) {
            let code = Code::attributes(attr).ok_or_else(|| {
                Error::BadOption(format!(
                    "attribute `{attr}` for `{pat}` (one or more outer attributes such as \
                     `#[derive(Hash)]`)"
                ))
            })?;
            out.push(code);
        }
    }
    Ok(out)
}

/// Rust source text known to parse as what it stands for (outer
/// attributes, the runtime path). Kept as text so the plan can be shared
/// between threads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Code(String);

/// serde's derives, by absolute paths: the user's crate needs only `serde`.
const SERDE_DERIVE: &str = "#[derive(::serde::Serialize, ::serde::Deserialize)]";

impl Code {
    /// Attributes written by the generator itself.
    fn new(text: &str) -> Code {
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

/// An empty `list`, `set` or `map` value.
fn is_empty_container(v: &ir::ConstValue) -> bool {
    match v {
        ir::ConstValue::List(items) | ir::ConstValue::Set(items) => items.is_empty(),
        ir::ConstValue::Map(entries) => entries.is_empty(),
        _ => false,
    }
}
