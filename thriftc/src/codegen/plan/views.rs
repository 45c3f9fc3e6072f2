//! The `views` option (which structs get a borrowed view, which services a
//! view flavour, which function arguments a view) and the `lazy` option
//! (which containers may stay undecoded in a view).

use super::{Module, Planner};
use crate::codegen::names::{self, Scope};
use crate::diagnostic::Diagnostic;
use crate::ir::{self, ConstValue, DefId, DefKind};
use crate::lint::Lint;
use crate::options::path_matches;

impl Planner<'_> {
    /// The components of [`Planner::holds`].
    pub(super) fn holding_components(&self) -> Vec<usize> {
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
    pub(super) fn lazy_allowed(&self, owner: DefId, t: &ir::Type) -> bool {
        let mut inside = Vec::new();
        self.structs_in(t, &mut inside);
        let own = self.holds[owner.0 as usize];
        inside.iter().all(|&d| self.holds[d] != own)
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
    pub(super) fn plan_views(&mut self, modules: &[Module], scopes: &mut [Scope]) {
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
    pub(super) fn has_view_server(&self, service: DefId) -> bool {
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
    pub(super) fn args_view(&mut self, service: DefId, f: &ir::Function) -> bool {
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
}
