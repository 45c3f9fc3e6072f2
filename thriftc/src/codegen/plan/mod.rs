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
//!
//! The work is split by concern: `model` holds the planned data (its types
//! are re-exported here, as `plan::Crate`, `plan::Item`, ...), `naming` the
//! module and item names and the rename warnings, `traits` the derives (and
//! which fields become optional for want of a `Default`), `views` the
//! `views` and `lazy` options, `serde_option` the `serde` option, and `defs` the
//! planning of each definition; this file holds the entry point, the
//! planner and the helpers they all share (Rust and wire types, Thrift
//! paths, attributes).

mod defs;
mod model;
mod naming;
mod serde_option;
mod traits;
mod views;

pub use model::{
    AsyncNames, Code, Coll, Const, Crate, DefInfo, DefaultImpl, Enum, EnumValue, Field, Function,
    Item, Module, Service, Struct, Traits, Ty, Typedef, ViewServer, Wire,
};
pub(crate) use naming::wanted_module_name;

use super::Error;
use crate::diagnostic::Diagnostic;
use crate::ir::{self, DefId, DefKind, FileIdx};
use crate::lint::Lint;
use crate::options::{Options, path_matches};
use std::collections::HashMap;
use traits::coll_for;

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
