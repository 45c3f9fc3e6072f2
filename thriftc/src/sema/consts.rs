//! Constants and default values: evaluated and checked against their types.
//!
//! A value written in the IDL is checked where it is used: integer ranges,
//! enum membership, element, key and value types of containers, fields of
//! struct constants written as maps. A reference to another constant is
//! replaced by that constant's value (converted to the type at the use, e.g.
//! an `i8` constant used as an `i64`).

use super::resolve::{Found, Lookup, Resolver, Slot};
use super::suggest;
use crate::ast;
use crate::diagnostic::Diagnostic;
use crate::ir::{self, ConstValue, DefId, DefKind, FileIdx, TypeKind};
use crate::lint::Lint;
use crate::source::Span;
use std::collections::HashMap;

/// Evaluation state of a constant definition.
#[derive(Clone, Debug)]
pub(super) enum ConstState {
    Todo,
    InProgress,
    Done(Option<ConstValue>),
}

impl Resolver<'_> {
    /// Evaluates every constant and every default value.
    pub(super) fn evaluate_constants(&mut self) {
        self.compute_has_default();
        self.const_state = vec![ConstState::Todo; self.defs.len()];
        for i in 0..self.defs.len() {
            if matches!(self.defs[i].kind, DefKind::Const(_)) {
                if let Some(v) = self.const_def_value(DefId(i as u32)) {
                    if let DefKind::Const(c) = &mut self.defs[i].kind {
                        c.value = v;
                    }
                }
            }
        }
        let pending = std::mem::take(&mut self.pending_defaults);
        for (slot, file, value) in pending {
            let def = &self.defs[slot_def(slot).0 as usize];
            let (ty, what) = match (slot, &def.kind) {
                (Slot::StructField(_, f), DefKind::Struct(s)) => (
                    s.fields[f].ty.clone(),
                    format!(
                        "the default of `{}.{}`",
                        def.name.name, s.fields[f].name.name
                    ),
                ),
                (Slot::Arg(_, func, a), DefKind::Service(s)) => {
                    let func = &s.functions[func];
                    (
                        func.args[a].ty.clone(),
                        format!(
                            "the default of argument `{}` of `{}.{}`",
                            func.args[a].name.name, def.name.name, func.name.name
                        ),
                    )
                }
                _ => continue,
            };
            self.value_of = what;
            let Some(v) = self.eval(file, value, &ty) else {
                continue;
            };
            match slot {
                Slot::StructField(d, f) => {
                    if let DefKind::Struct(s) = &mut self.defs[d.0 as usize].kind {
                        s.fields[f].default = Some(v);
                    }
                }
                Slot::Arg(d, func, a) => {
                    if let DefKind::Service(s) = &mut self.defs[d.0 as usize].kind {
                        s.functions[func].args[a].default = Some(v);
                    }
                }
            }
        }
        self.value_of.clear();
        self.check_default_cycles();
    }

    /// Reports every struct field default that contains itself. A field
    /// left out of a struct value is built from its default value, so
    /// `struct S { 1: optional S s = {} }` stands for `{"s": {"s": ...}}`
    /// without end. Graph: one node per field default, an edge to each
    /// default that a value of the node's default leaves to be filled
    /// (through lists, sets, maps and the fields it gives); a default on a
    /// cycle (a strongly connected component with more than one node, or a
    /// node with an edge to itself) never ends. Everything here is
    /// iterative: the values are walked with a stack, the components found
    /// by the iterative Tarjan of `graph`.
    fn check_default_cycles(&mut self) {
        // Nodes: (struct, field) of every evaluated field default.
        let mut node_of: HashMap<(DefId, usize), usize> = HashMap::new();
        let mut nodes: Vec<(DefId, usize)> = Vec::new();
        for (i, def) in self.defs.iter().enumerate() {
            if let DefKind::Struct(s) = &def.kind {
                for (f, field) in s.fields.iter().enumerate() {
                    if field.default.is_some() {
                        node_of.insert((DefId(i as u32), f), nodes.len());
                        nodes.push((DefId(i as u32), f));
                    }
                }
            }
        }
        if nodes.is_empty() {
            return;
        }
        let mut edges: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
        for (n, &(def, field)) in nodes.iter().enumerate() {
            let DefKind::Struct(s) = &self.defs[def.0 as usize].kind else {
                continue;
            };
            let Some(value) = &s.fields[field].default else {
                continue;
            };
            let mut todo: Vec<&ConstValue> = vec![value];
            while let Some(v) = todo.pop() {
                match v {
                    ConstValue::List(items) | ConstValue::Set(items) => todo.extend(items),
                    ConstValue::Map(entries) => {
                        todo.extend(entries.iter().flat_map(|(k, v)| [k, v]));
                    }
                    ConstValue::Struct { def, fields } => {
                        todo.extend(fields.iter().map(|(_, v)| v));
                        // A union value is its one given field; a struct
                        // value fills the others.
                        let DefKind::Struct(t) = &self.defs[def.0 as usize].kind else {
                            continue;
                        };
                        if t.kind == ir::StructKind::Union {
                            continue;
                        }
                        for g in 0..t.fields.len() {
                            if !fields.iter().any(|(i, _)| *i == g) {
                                if let Some(&target) = node_of.get(&(*def, g)) {
                                    edges[n].push(target);
                                }
                            }
                        }
                    }
                    _ => {}
                }
            }
            edges[n].sort_unstable();
            edges[n].dedup();
        }
        let component = super::graph::strongly_connected(&edges);
        let mut size = vec![0usize; nodes.len()];
        for &c in &component {
            size[c] += 1;
        }
        // A path back is worked out (a search over the component) for the
        // first reports only, so a huge cycle stays cheap.
        let mut paths_left = 50usize;
        for n in 0..nodes.len() {
            let c = component[n];
            if size[c] < 2 && !edges[n].contains(&n) {
                continue;
            }
            let (def, field) = nodes[n];
            let d = &self.defs[def.0 as usize];
            let DefKind::Struct(s) = &d.kind else {
                continue;
            };
            let here = format!("{}.{}", d.name.name, s.fields[field].name.name);
            let span = match &self.asts[def.0 as usize].1.kind {
                ast::DefinitionKind::Struct { fields, .. } => fields
                    .get(field)
                    .and_then(|f| f.default.as_ref())
                    .map_or(s.fields[field].span, |v| v.span),
                _ => s.fields[field].span,
            };
            let mut diag =
                Diagnostic::error(format!("the default value of `{here}` contains itself"))
                    .primary(span, "this value never ends")
                    .note(
                        "a field left out of a struct value takes its default value, \
                         which leads back here",
                    );
            if paths_left > 0 {
                paths_left -= 1;
                let path = cycle_path(&edges, &component, n);
                let names: Vec<String> = path
                    .iter()
                    .take(8)
                    .map(|&m| {
                        let (def, field) = nodes[m];
                        let d = &self.defs[def.0 as usize];
                        match &d.kind {
                            DefKind::Struct(s) => {
                                format!("`{}.{}`", d.name.name, s.fields[field].name.name)
                            }
                            _ => String::new(),
                        }
                    })
                    .collect();
                let mut chain = vec![format!("`{here}`")];
                chain.extend(names);
                if path.len() > 8 {
                    chain.push("...".to_owned());
                }
                chain.push(format!("`{here}`"));
                diag = diag.note(format!("the way back: {}", chain.join(" -> ")));
            }
            diag = diag.help("remove this default, or one of the others on the way back");
            self.diags.push(diag);
        }
    }

    /// The value of a constant definition, evaluating it on first use.
    /// `None` after an error (already reported) or on a cycle.
    fn const_def_value(&mut self, id: DefId) -> Option<ConstValue> {
        match &self.const_state[id.0 as usize] {
            ConstState::Done(v) => return v.clone(),
            ConstState::InProgress => return None,
            ConstState::Todo => {}
        }
        self.const_state[id.0 as usize] = ConstState::InProgress;
        let (file, def) = self.asts[id.0 as usize];
        let what = format!("constant `{}`", def.name.name);
        let outer = std::mem::replace(&mut self.value_of, what);
        let value = match (&def.kind, &self.defs[id.0 as usize].kind) {
            (ast::DefinitionKind::Const { value, .. }, DefKind::Const(c)) => {
                let ty = c.ty.clone();
                self.eval(file, value, &ty)
            }
            _ => None,
        };
        self.value_of = outer;
        self.const_state[id.0 as usize] = ConstState::Done(value.clone());
        value
    }

    /// Evaluates `value` (written in `file`) as a value of type `ty`.
    pub(super) fn eval(
        &mut self,
        file: FileIdx,
        value: &ast::ConstValue,
        ty: &ir::Type,
    ) -> Option<ConstValue> {
        let target = self.resolve_typedefs(ty);
        // A type that did not resolve was reported: its placeholder says
        // nothing about which values fit.
        if self.placeholders.contains(&ty.span) || self.placeholders.contains(&target.span) {
            return None;
        }
        match &value.kind {
            &ast::ConstKind::Int { value: i, hex } => {
                let i = if hex {
                    self.wrap_hex(file, i, ty, value.span)
                } else {
                    i
                };
                self.coerce(file, ConstValue::Int(i), ty, value.span, "an integer")
            }
            ast::ConstKind::Double(d) => self.coerce(
                file,
                ConstValue::Double(*d),
                ty,
                value.span,
                "a floating point number",
            ),
            ast::ConstKind::Bool(b) => {
                self.coerce(file, ConstValue::Bool(*b), ty, value.span, "a boolean")
            }
            ast::ConstKind::String(s) => self.coerce(
                file,
                ConstValue::String(s.clone()),
                ty,
                value.span,
                "a string",
            ),
            ast::ConstKind::Ref(ident) => self.eval_ref(file, ident, ty),
            ast::ConstKind::List(items) => match &target.kind {
                TypeKind::List(elem) | TypeKind::Set(elem) => {
                    let mut out = Vec::with_capacity(items.len());
                    let mut ok = true;
                    for item in items {
                        match self.eval(file, item, elem) {
                            Some(v) => out.push(v),
                            None => ok = false,
                        }
                    }
                    if !ok {
                        return None;
                    }
                    if matches!(target.kind, TypeKind::Set(_)) {
                        Some(ConstValue::Set(out))
                    } else {
                        Some(ConstValue::List(out))
                    }
                }
                // An empty `[]` also stands for an empty map, as Apache
                // Thrift reads it (a non-empty list is no map).
                TypeKind::Map(..) if items.is_empty() => Some(ConstValue::Map(Vec::new())),
                _ => self.mismatch(file, ty, value.span, "a list"),
            },
            ast::ConstKind::Map(entries) => match &target.kind {
                TypeKind::Map(k, v) => {
                    let mut out = Vec::with_capacity(entries.len());
                    let mut ok = true;
                    for (key, val) in entries {
                        let key = self.eval(file, key, k);
                        let val = self.eval(file, val, v);
                        match (key, val) {
                            (Some(key), Some(val)) => out.push((key, val)),
                            _ => ok = false,
                        }
                    }
                    ok.then_some(ConstValue::Map(out))
                }
                TypeKind::Named(id)
                    if matches!(self.defs[id.0 as usize].kind, DefKind::Struct(_)) =>
                {
                    self.eval_struct(file, *id, entries, ty, value.span)
                }
                // An empty `{}` also stands for an empty list or set.
                TypeKind::List(_) if entries.is_empty() => Some(ConstValue::List(Vec::new())),
                TypeKind::Set(_) if entries.is_empty() => Some(ConstValue::Set(Vec::new())),
                _ => self.mismatch(file, ty, value.span, "a map"),
            },
        }
    }

    /// A hex literal `i` used as a value of `ty`: when `ty` is `i8`, `i16`
    /// or `i32` and `i` is above its maximum but within its unsigned
    /// range (`0xFFFFFFFF` for an `i32`), the value of those bits in two's
    /// complement (-1), with a warning; else `i` unchanged (checked by
    /// [`Resolver::coerce`]). Apache Thrift takes such a literal with a
    /// warning at most, and its C++ code reads it so.
    fn wrap_hex(&mut self, file: FileIdx, i: i64, ty: &ir::Type, span: Span) -> i64 {
        let bits = match self.resolve_typedefs(ty).kind {
            TypeKind::I8 => 8,
            TypeKind::I16 => 16,
            TypeKind::I32 => 32,
            _ => return i,
        };
        let max = (1i64 << (bits - 1)) - 1;
        if i <= max || i >= 1i64 << bits {
            return i;
        }
        let wrapped = i - (1i64 << bits);
        let name = self.type_name(ty, file);
        self.diags.push(
            Diagnostic::warning(format!(
                "hex literal {i:#X} is above the maximum of `{name}`: read as {wrapped}"
            ))
            .lint(Lint::WrappedConstant)
            .primary(span, format!("read as {wrapped} (two's complement)"))
            .note(format!(
                "the largest `{name}` is {max} ({max:#X}); a hex literal up to {:#X} is taken \
                 as its bits, as Apache Thrift's C++ code takes it",
                (1i64 << bits) - 1
            ))
            .help(format!(
                "write {wrapped}, or give the value a wider type such as `i64`"
            )),
        );
        wrapped
    }

    /// A struct constant written as a map of field names to values.
    fn eval_struct(
        &mut self,
        file: FileIdx,
        id: DefId,
        entries: &[(ast::ConstValue, ast::ConstValue)],
        ty: &ir::Type,
        span: Span,
    ) -> Option<ConstValue> {
        let DefKind::Struct(s) = &self.defs[id.0 as usize].kind else {
            return None;
        };
        let fields: Vec<(String, ir::Type)> = s
            .fields
            .iter()
            .map(|f| (f.name.name.clone(), f.ty.clone()))
            .collect();
        // Fields that must be given: no `Default` to fall back on.
        let needed: Vec<usize> = (0..s.fields.len())
            .filter(|&i| !self.falls_back(id, i))
            .collect();
        let struct_name = self.type_name(ty, file);
        let mut out = Vec::with_capacity(entries.len());
        let mut ok = true;
        let mut seen: Vec<(usize, Span)> = Vec::new();
        for (key, val) in entries {
            let ast::ConstKind::String(name) = &key.kind else {
                self.diags.push(
                    Diagnostic::error(format!(
                        "a constant of struct `{struct_name}` needs field names as keys"
                    ))
                    .primary(key.span, "expected a field name in quotes")
                    .help("write `{\"field\": value, ...}`"),
                );
                ok = false;
                continue;
            };
            let Some(index) = fields.iter().position(|(n, _)| n == name) else {
                let mut d =
                    Diagnostic::error(format!("struct `{struct_name}` has no field `{name}`"))
                        .primary(key.span, "unknown field");
                if let Some(best) = suggest::closest(name, fields.iter().map(|(n, _)| n.as_str())) {
                    d = d.help(format!("did you mean `{best}`?"));
                }
                self.diags.push(d);
                ok = false;
                continue;
            };
            if let Some((_, first)) = seen.iter().find(|(i, _)| *i == index) {
                self.diags.push(
                    Diagnostic::error(format!("field `{name}` is given twice"))
                        .primary(key.span, "given again here")
                        .secondary(*first, "first given here"),
                );
                ok = false;
                continue;
            }
            seen.push((index, key.span));
            let field_ty = fields[index].1.clone();
            match self.eval(file, val, &field_ty) {
                Some(v) => out.push((index, v)),
                None => ok = false,
            }
        }
        let is_union = matches!(
            &self.defs[id.0 as usize].kind,
            DefKind::Struct(s) if s.kind == ir::StructKind::Union
        );
        if ok && is_union && out.len() > 1 {
            let span = entries.get(1).map_or(ty.span, |(k, _)| k.span);
            self.diags.push(
                Diagnostic::error(format!(
                    "a constant of union `{struct_name}` sets {} fields",
                    out.len()
                ))
                .primary(span, "second field")
                .note("exactly one field of a union is set"),
            );
            return None;
        }
        if ok && is_union && out.is_empty() {
            self.diags.push(
                Diagnostic::error(format!(
                    "{} sets no field of union `{struct_name}`",
                    self.value_of
                ))
                .primary(span, "empty union value")
                .note("exactly one field of a union is set"),
            );
            return None;
        }
        let missing: Vec<&str> = needed
            .iter()
            .filter(|&&i| !seen.iter().any(|(j, _)| *j == i))
            .map(|&i| fields[i].0.as_str())
            .collect();
        if ok && !is_union && !missing.is_empty() {
            let (list, verb) = match missing.as_slice() {
                [one] => (format!("`{one}`"), "has"),
                [init @ .., last] => (format!("`{}` and `{last}`", init.join("`, `")), "have"),
                [] => unreachable!("checked non-empty"),
            };
            self.diags.push(
                Diagnostic::error(format!(
                    "{} leaves out {list} of `{struct_name}`, which {verb} no default value",
                    self.value_of
                ))
                .primary(span, format!("{list} missing"))
                .help(format!(
                    "give {list} a value here, or a default value (or `optional`) in `{struct_name}`"
                )),
            );
            return None;
        }
        ok.then_some(ConstValue::Struct {
            def: id,
            fields: out,
        })
    }

    /// Fills [`Resolver::has_default`]: does the Rust type of each
    /// definition implement `Default`, as code generation decides it? A
    /// union never does; a struct or exception does when each field is
    /// `optional`, has a default value, or has a type with `Default`. Least
    /// fixpoint (a struct that needs itself to be built has none), by a
    /// worklist: a struct is looked at again only when one it holds
    /// directly gains `Default` (containers always have it).
    fn compute_has_default(&mut self) {
        let n = self.defs.len();
        self.has_default = self
            .defs
            .iter()
            .map(|d| !matches!(d.kind, DefKind::Struct(_)))
            .collect();
        let mut users: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (i, def) in self.defs.iter().enumerate() {
            if let DefKind::Struct(s) = &def.kind {
                for f in &s.fields {
                    if let TypeKind::Named(t) = self.resolve_typedefs(&f.ty).kind {
                        users[t.0 as usize].push(i);
                    }
                }
            }
        }
        let mut queue: Vec<usize> = (0..n).rev().collect();
        while let Some(i) = queue.pop() {
            if self.has_default[i] {
                continue;
            }
            let DefKind::Struct(s) = &self.defs[i].kind else {
                continue;
            };
            let id = DefId(i as u32);
            if s.kind != ir::StructKind::Union
                && (0..s.fields.len()).all(|f| self.falls_back(id, f))
            {
                self.has_default[i] = true;
                queue.extend(users[i].iter().copied().filter(|&u| !self.has_default[u]));
            }
        }
    }

    /// Can field `field` of struct `id` be left out of a value, that is
    /// filled without the IDL naming it: `optional`, with a default value
    /// (as written; a default that fails is reported on its own), or with
    /// no requiredness keyword (code generation makes it an `Option` when
    /// its type has no `Default`: see `codegen::plan`'s
    /// `demote_fields_without_default`), or of a type with `Default`?
    fn falls_back(&self, id: DefId, field: usize) -> bool {
        let DefKind::Struct(s) = &self.defs[id.0 as usize].kind else {
            return true;
        };
        let f = &s.fields[field];
        let written_default = match &self.asts[id.0 as usize].1.kind {
            ast::DefinitionKind::Struct { fields, .. } => {
                fields.get(field).is_some_and(|f| f.default.is_some())
            }
            _ => false,
        };
        f.req == ir::Requiredness::Optional
            || written_default
            || f.req == ir::Requiredness::Default
            || match self.resolve_typedefs(&f.ty).kind {
                TypeKind::Named(t) => self.has_default[t.0 as usize],
                _ => true,
            }
    }

    /// A name used as a value: another constant, or an enum value.
    fn eval_ref(&mut self, file: FileIdx, ident: &ast::Ident, ty: &ir::Type) -> Option<ConstValue> {
        match self.lookup(file, &ident.name) {
            Lookup::Found(Found::EnumValue(e, index)) => self.coerce(
                file,
                ConstValue::Enum { def: e, index },
                ty,
                ident.span,
                "an enum value",
            ),
            Lookup::Found(Found::Def(id)) => {
                if !matches!(self.defs[id.0 as usize].kind, DefKind::Const(_)) {
                    let def = self.asts[id.0 as usize].1;
                    self.diags.push(
                        Diagnostic::error(format!(
                            "`{}` is {}, not a constant",
                            ident.name,
                            super::resolve::kind_word(&def.kind)
                        ))
                        .primary(ident.span, "expected a value")
                        .secondary(def.name.span, "defined here"),
                    );
                    return None;
                }
                if matches!(self.const_state[id.0 as usize], ConstState::InProgress) {
                    self.diags.push(
                        Diagnostic::error(format!("constant `{}` depends on itself", ident.name))
                            .primary(ident.span, "cyclic reference"),
                    );
                    return None;
                }
                let v = self.const_def_value(id)?;
                let what = match &self.defs[id.0 as usize].kind {
                    DefKind::Const(c) => format!(
                        "constant `{}` of type `{}`",
                        ident.name,
                        self.type_name(&c.ty, file)
                    ),
                    _ => String::new(),
                };
                self.coerce(file, v, ty, ident.span, &what)
            }
            Lookup::Ambiguous(files) => {
                self.ambiguous(ident, &files);
                None
            }
            Lookup::NotFound => {
                // A name that may be defined where a syntax error or a
                // file not read hid it is not reported, nor hinted at.
                if self.was_skipped(file, &ident.name) {
                    return None;
                }
                // A value of the expected enum under another prefix
                // (another enum's name, `Size.RED`, or an include's,
                // `shared.RED`) is read as the expected enum's value of
                // that name, as Apache Thrift reads it, with a warning.
                // Written bare (`RED`), it is an error with a hint naming
                // it in full, as Apache Thrift rejects it.
                let target = self.resolve_typedefs(ty);
                let (prefix, last) = match ident.name.rsplit_once('.') {
                    Some((prefix, last)) => (Some(prefix), last),
                    None => (None, ident.name.as_str()),
                };
                if let TypeKind::Named(e) = target.kind {
                    if let DefKind::Enum(en) = &self.defs[e.0 as usize].kind {
                        if let Some(index) = en.values.iter().position(|v| v.name.name == last) {
                            let number = en.values[index].value;
                            let enum_name = self.def_name(e, file);
                            let Some(prefix) = prefix else {
                                self.diags.push(
                                    Diagnostic::error(format!(
                                        "cannot find constant `{}`",
                                        ident.name
                                    ))
                                    .primary(ident.span, "not defined")
                                    .help(format!("did you mean `{enum_name}.{last}`?")),
                                );
                                return None;
                            };
                            self.diags.push(
                                Diagnostic::warning(format!(
                                    "`{}` is read as `{enum_name}.{last}`, a value of the \
                                     expected enum",
                                    ident.name
                                ))
                                .lint(Lint::EnumMismatch)
                                .primary(
                                    ident.span,
                                    format!(
                                        "no `{last}` under `{prefix}`: taken from enum \
                                         `{enum_name}`, where `{last}` = {number}"
                                    ),
                                )
                                .note(
                                    "Apache Thrift reads a value under any prefix as the \
                                     expected enum's value of that name",
                                )
                                .help(format!("write `{enum_name}.{last}`")),
                            );
                            return Some(ConstValue::Enum { def: e, index });
                        }
                    }
                }
                let is_const =
                    |k: &ast::DefinitionKind| matches!(k, ast::DefinitionKind::Const { .. });
                self.undefined(file, ident, "constant", &is_const, true);
                None
            }
        }
    }

    fn mismatch(
        &mut self,
        file: FileIdx,
        ty: &ir::Type,
        span: Span,
        found: &str,
    ) -> Option<ConstValue> {
        let expected = self.type_name(ty, file);
        let resolved = self.resolve_typedefs(ty);
        let mut d = Diagnostic::error(format!(
            "expected a value of type `{expected}`, found {found}"
        ))
        .primary(span, format!("expected `{expected}`"));
        let under = self.type_name(&resolved, file);
        if under != expected {
            d = d.note(format!("`{expected}` is `{under}`"));
        }
        if let TypeKind::Named(id) = resolved.kind {
            if let DefKind::Struct(_) = self.defs[id.0 as usize].kind {
                d = d.help(format!(
                    "write a constant of `{expected}` as a map: `{{\"field\": value}}`"
                ));
            }
        }
        self.diags.push(d);
        None
    }

    /// Converts an evaluated value to type `ty`, checking that it fits.
    fn coerce(
        &mut self,
        file: FileIdx,
        v: ConstValue,
        ty: &ir::Type,
        span: Span,
        what: &str,
    ) -> Option<ConstValue> {
        let target = self.resolve_typedefs(ty);
        let int_range = |k: &TypeKind| -> Option<(i64, i64, &'static str)> {
            Some(match k {
                TypeKind::I8 => (i64::from(i8::MIN), i64::from(i8::MAX), "i8"),
                TypeKind::I16 => (i64::from(i16::MIN), i64::from(i16::MAX), "i16"),
                TypeKind::I32 => (i64::from(i32::MIN), i64::from(i32::MAX), "i32"),
                TypeKind::I64 => (i64::MIN, i64::MAX, "i64"),
                _ => return None,
            })
        };
        // An enum value used as an integer is its number.
        let v = match (&v, &target.kind) {
            (ConstValue::Enum { def, index }, k)
                if int_range(k).is_some() || matches!(k, TypeKind::Double) =>
            {
                match &self.defs[def.0 as usize].kind {
                    DefKind::Enum(e) => ConstValue::Int(i64::from(e.values[*index].value)),
                    _ => v,
                }
            }
            _ => v,
        };
        match (v, &target.kind) {
            (ConstValue::Int(i), k) if int_range(k).is_some() => {
                let (min, max, name) = int_range(k)?;
                if i < min || i > max {
                    self.diags.push(
                        Diagnostic::error(format!(
                            "{i} does not fit in `{}`",
                            self.type_name(ty, file)
                        ))
                        .primary(span, format!("out of range for {name}"))
                        .note(format!("{name} holds {min}..={max}")),
                    );
                    return None;
                }
                Some(ConstValue::Int(i))
            }
            (ConstValue::Bool(b), k) if int_range(k).is_some() => {
                Some(ConstValue::Int(i64::from(b)))
            }
            (ConstValue::Int(i), TypeKind::Double) => Some(ConstValue::Double(i as f64)),
            (ConstValue::Double(d), TypeKind::Double) => Some(ConstValue::Double(d)),
            (ConstValue::Bool(b), TypeKind::Bool) => Some(ConstValue::Bool(b)),
            (ConstValue::Int(i), TypeKind::Bool) => match i {
                0 => Some(ConstValue::Bool(false)),
                1 => Some(ConstValue::Bool(true)),
                _ => {
                    self.diags.push(
                        Diagnostic::error(format!("{i} is not a `bool`"))
                            .primary(span, "expected `true`, `false`, 0 or 1"),
                    );
                    None
                }
            },
            (ConstValue::String(s), TypeKind::String | TypeKind::Binary) => {
                Some(ConstValue::String(s))
            }
            (ConstValue::String(s), TypeKind::Uuid) => match parse_uuid(&s) {
                Some(u) => Some(ConstValue::Uuid(u)),
                None => {
                    self.diags.push(
                        Diagnostic::error(format!("`{s}` is not a uuid"))
                            .primary(span, "invalid uuid")
                            .note("write a uuid as \"00112233-4455-6677-8899-aabbccddeeff\""),
                    );
                    None
                }
            },
            (ConstValue::Uuid(u), TypeKind::Uuid) => Some(ConstValue::Uuid(u)),
            (ConstValue::Int(i), TypeKind::Named(e))
                if matches!(self.defs[e.0 as usize].kind, DefKind::Enum(_)) =>
            {
                let DefKind::Enum(en) = &self.defs[e.0 as usize].kind else {
                    return None;
                };
                match en.values.iter().position(|v| i64::from(v.value) == i) {
                    Some(index) => Some(ConstValue::Enum { def: *e, index }),
                    None => {
                        let names: Vec<String> = en
                            .values
                            .iter()
                            .map(|v| format!("{} = {}", v.name.name, v.value))
                            .collect();
                        let enum_name = self.def_name(*e, file);
                        self.diags.push(
                            Diagnostic::error(format!("enum `{enum_name}` has no value {i}"))
                                .primary(span, "not a value of the enum")
                                .note(if names.is_empty() {
                                    format!("`{enum_name}` has no values")
                                } else {
                                    format!("`{enum_name}` has: {}", names.join(", "))
                                }),
                        );
                        None
                    }
                }
            }
            (ConstValue::Enum { def, index }, TypeKind::Named(e)) if def == *e => {
                Some(ConstValue::Enum { def, index })
            }
            (ConstValue::Enum { def, index }, TypeKind::Named(e))
                if matches!(self.defs[e.0 as usize].kind, DefKind::Enum(_)) =>
            {
                let found = self.def_name(def, file);
                let expected = self.def_name(*e, file);
                let mut error = Diagnostic::error(format!(
                    "expected a value of enum `{expected}`, found a value of enum `{found}`"
                ))
                .primary(span, format!("expected `{expected}`"));
                // Apache Thrift reads any prefix as the expected enum's:
                // say so where the expected enum has the name too.
                let name = match &self.defs[def.0 as usize].kind {
                    DefKind::Enum(en) => en.values.get(index).map(|v| v.name.name.clone()),
                    _ => None,
                };
                if let (Some(name), DefKind::Enum(target)) = (name, &self.defs[e.0 as usize].kind) {
                    if target.values.iter().any(|v| v.name.name == name) {
                        error = error.note(format!(
                            "Apache Thrift reads it as `{expected}.{name}`, a different value; \
                             thriftc does not guess"
                        ));
                        error = error.help(format!("write `{expected}.{name}` if that is meant"));
                    }
                }
                self.diags.push(error);
                None
            }
            (ConstValue::String(s), TypeKind::Named(e))
                if matches!(self.defs[e.0 as usize].kind, DefKind::Senum(_)) =>
            {
                let DefKind::Senum(values) = &self.defs[e.0 as usize].kind else {
                    return None;
                };
                if values.iter().any(|(v, _)| *v == s) {
                    Some(ConstValue::String(s))
                } else {
                    let name = self.def_name(*e, file);
                    self.diags.push(
                        Diagnostic::error(format!("senum `{name}` has no value \"{s}\""))
                            .primary(span, "not a value of the senum"),
                    );
                    None
                }
            }
            (
                ConstValue::List(items) | ConstValue::Set(items),
                TypeKind::List(elem) | TypeKind::Set(elem),
            ) => {
                let elem = (**elem).clone();
                let is_set = matches!(target.kind, TypeKind::Set(_));
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    out.push(self.coerce(file, item, &elem, span, what)?);
                }
                Some(if is_set {
                    ConstValue::Set(out)
                } else {
                    ConstValue::List(out)
                })
            }
            (ConstValue::Map(entries), TypeKind::Map(k, val)) => {
                let (k, val) = ((**k).clone(), (**val).clone());
                let mut out = Vec::with_capacity(entries.len());
                for (a, b) in entries {
                    out.push((
                        self.coerce(file, a, &k, span, what)?,
                        self.coerce(file, b, &val, span, what)?,
                    ));
                }
                Some(ConstValue::Map(out))
            }
            (ConstValue::Struct { def, fields }, TypeKind::Named(e)) if def == *e => {
                Some(ConstValue::Struct { def, fields })
            }
            _ => self.mismatch(file, ty, span, what),
        }
    }
}

/// The nodes after `start` on a shortest path from `start` back to itself,
/// `start` left out (empty for an edge to itself). A breadth-first search
/// inside `start`'s component, which holds such a path.
fn cycle_path(edges: &[Vec<usize>], component: &[usize], start: usize) -> Vec<usize> {
    if edges[start].contains(&start) {
        return Vec::new();
    }
    let mut parent: HashMap<usize, usize> = HashMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(v) = queue.pop_front() {
        for &w in &edges[v] {
            if component[w] != component[start] || parent.contains_key(&w) {
                continue;
            }
            parent.insert(w, v);
            if w == start {
                let mut path = Vec::new();
                let mut at = v;
                while at != start {
                    path.push(at);
                    at = parent[&at];
                }
                path.reverse();
                return path;
            }
            queue.push_back(w);
        }
    }
    Vec::new()
}

/// The definition a default value belongs to.
fn slot_def(slot: Slot) -> DefId {
    match slot {
        Slot::StructField(d, _) | Slot::Arg(d, _, _) => d,
    }
}

/// Parses `00112233-4455-6677-8899-aabbccddeeff` (optionally in braces).
fn parse_uuid(s: &str) -> Option<[u8; 16]> {
    let s = s
        .strip_prefix('{')
        .and_then(|t| t.strip_suffix('}'))
        .unwrap_or(s);
    let groups: Vec<&str> = s.split('-').collect();
    let lens: Vec<usize> = groups.iter().map(|g| g.len()).collect();
    if lens != [8, 4, 4, 4, 12] {
        return None;
    }
    let hex: String = groups.concat();
    // `from_str_radix` alone would take a leading `+` as a sign.
    if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mut out = [0u8; 16];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::parse_uuid;

    #[test]
    fn uuids_parse_in_both_forms() {
        let u = parse_uuid("00112233-4455-6677-8899-aabbccddeeff").unwrap();
        assert_eq!(u[0], 0x00);
        assert_eq!(u[15], 0xff);
        assert_eq!(
            parse_uuid("{00112233-4455-6677-8899-AABBCCDDEEFF}"),
            Some(u)
        );
        assert_eq!(parse_uuid("00112233445566778899aabbccddeeff"), None);
        assert_eq!(parse_uuid("0011223g-4455-6677-8899-aabbccddeeff"), None);
        // Signs are not hex digits, in any group.
        assert_eq!(parse_uuid("+0112233-4455-6677-8899-aabbccddeeff"), None);
        assert_eq!(parse_uuid("00112233-+455-6677-8899-aabbccddeeff"), None);
        assert_eq!(parse_uuid("00112233-4455-6677-8899-aabbccddee+f"), None);
    }
}
