//! Names: of modules, of definitions, of the items generated for services
//! (claimed after the others), and the warnings for names that got a number.

use super::{AsyncNames, DefInfo, Item, Module, Planner, Struct, Traits, ViewServer, Wire};
use crate::codegen::names::{self, RustName, Scope};
use crate::diagnostic::Diagnostic;
use crate::ir::{self, DefId, DefKind, FileIdx, StructKind};
use crate::lint::Lint;
use crate::source::Span;

/// The module name a file asks for (`namespace rs`, or its stem); it gets
/// a suffix when another file took it first.
pub(crate) fn wanted_module_name(file: &ir::File) -> RustName {
    names::module_name(file.rust_namespace().unwrap_or(&file.stem))
}

impl Planner<'_> {
    /// Notes the fields of `st`, planned from `ir_fields` (in order) under
    /// `path`, whose Rust name got a number.
    pub(super) fn note_field_renames(&self, ir_fields: &[ir::Field], st: &Struct, path: &[&str]) {
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
    pub(super) fn note_renamed(&self, span: Span, what: &str, wanted: &RustName, got: &RustName) {
        self.note_renamed_as(
            span,
            what,
            wanted,
            got,
            "an earlier name beside it has it (rename one in the IDL to choose)",
        );
    }

    /// [`note_renamed`](Self::note_renamed), saying `why` `wanted` was taken.
    pub(super) fn note_renamed_as(
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
    pub(super) fn name_modules(&mut self) -> Vec<Module> {
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
    pub(super) fn name_defs(&mut self, modules: &[Module]) -> Vec<Scope> {
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

    /// Claims `wanted` in `scope` for `what` (the item generated for the
    /// IDL name at `span`), noting a rename: another item of the module (a
    /// definition of the IDL, or an item generated for another) has it.
    pub(super) fn claim_generated(
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

    /// Claims `<Service><suffix>` for the `what` of service `def` (named
    /// `name` in Rust): its handler trait, client, ..., noting a rename at
    /// the service's name.
    fn claim_service_item(
        &self,
        scope: &mut Scope,
        def: DefId,
        name: &RustName,
        suffix: &str,
        what: &str,
    ) -> RustName {
        self.claim_generated(
            scope,
            names::type_name(&format!("{}{suffix}", name.unraw())),
            self.program.def(def).name.span,
            &|| format!("the {what} of `{}`", self.def_path(def).join(".")),
        )
    }

    /// Claims `wanted` for the `what` of function `index` of service `def`
    /// (`the error enum`), noting a rename at the function's name.
    fn claim_function_item(
        &self,
        scope: &mut Scope,
        def: DefId,
        index: usize,
        wanted: RustName,
        what: &str,
    ) -> RustName {
        let d = self.program.def(def);
        let function = match &d.kind {
            DefKind::Service(s) => s.functions.get(index),
            _ => None,
        };
        let span = function.map_or(d.name.span, |f| f.name.span);
        let name = function.map_or("", |f| f.name.name.as_str());
        self.claim_generated(scope, wanted, span, &|| {
            format!("the {what} of `{}.{name}`", self.def_path(def).join("."))
        })
    }

    /// Names the items generated for each service of `module` (handler
    /// trait, processor, client, one error enum per function), claimed in
    /// `scope` (the module's namespace, which by now holds every planned
    /// item and every argument and result struct) in source order, so a
    /// clash with a user's type gets a numeric suffix deterministically,
    /// and a warning.
    pub(super) fn name_service_items(&self, module: &mut Module, scope: &mut Scope) {
        for item in &mut module.items {
            let Item::Service(s) = item else { continue };
            let (def, name) = (s.def, s.name.clone());
            s.handler = self.claim_service_item(scope, def, &name, "Handler", "handler trait");
            s.processor = self.claim_service_item(scope, def, &name, "Processor", "processor");
            s.client = self.claim_service_item(scope, def, &name, "Client", "client");
            for (i, f) in s.functions.iter_mut().enumerate() {
                // From the method's Rust name, so `fooBar` and `foo_bar`
                // (methods `foo_bar`, `foo_bar2`) give `FooBarError`,
                // `FooBar2Error`.
                let stem = names::type_name(f.name.unraw());
                let wanted = names::type_name(&format!("{}{}Error", name.unraw(), stem.unraw()));
                f.error = self.claim_function_item(scope, def, i, wanted, "error enum");
            }
        }
    }

    /// Names the items of the view flavour of each service that has one
    /// (`<Service>ViewHandler`, `<Service>ViewProcessor`, the argument views
    /// `<Service><Method>ArgsRef`), claimed in `scope` after every other item
    /// of the module, so that asking for views changes no other name.
    pub(super) fn name_view_servers(&self, module: &mut Module, scope: &mut Scope) {
        for item in &mut module.items {
            let Item::Service(s) = item else { continue };
            let (def, name) = (s.def, s.name.clone());
            let Some(view) = &mut s.view else { continue };
            view.handler =
                self.claim_service_item(scope, def, &name, "ViewHandler", "view handler trait");
            view.processor =
                self.claim_service_item(scope, def, &name, "ViewProcessor", "view processor");
            for (i, f) in s.functions.iter_mut().enumerate() {
                if let Some(wanted) = f.args_view.take() {
                    f.args_view =
                        Some(self.claim_function_item(scope, def, i, wanted, "arguments view"));
                }
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
    pub(super) fn name_async_services(&self, module: &mut Module, scope: &mut Scope) {
        for item in &mut module.items {
            let Item::Service(s) = item else { continue };
            let (def, name) = (s.def, s.name.clone());
            let mut claim =
                |suffix: &str, what: &str| self.claim_service_item(scope, def, &name, suffix, what);
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
    pub(super) fn name_async_view_servers(&self, module: &mut Module, scope: &mut Scope) {
        for item in &mut module.items {
            let Item::Service(s) = item else { continue };
            if s.view.is_none() {
                continue;
            }
            let (def, name) = (s.def, s.name.clone());
            let Some(names) = &mut s.async_names else {
                continue;
            };
            let mut claim =
                |suffix: &str, what: &str| self.claim_service_item(scope, def, &name, suffix, what);
            names.view = Some(ViewServer {
                handler: claim("AsyncViewHandler", "async view handler trait"),
                processor: claim("AsyncViewProcessor", "async view processor"),
            });
        }
    }
}
