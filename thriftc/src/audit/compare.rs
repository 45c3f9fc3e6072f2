//! The comparison itself: files, definitions, fields, enum values and
//! functions of the old version against the new one, one [`Finding`] per
//! change a rule covers.

use super::Finding;
use super::rules::Rule;
use super::side::{Diff, Side, compare};
use crate::diagnostic::Diagnostic;
use crate::ir::{
    Def, DefId, DefKind, Enum, EnumValue, Field, Function, Requiredness, StructKind, Type,
};
use crate::source::Span;
use std::collections::{BTreeMap, BTreeSet};

/// What a list of fields belongs to, for messages: `field 3 \`count\` of
/// struct \`Order\``.
struct Owner<'s> {
    /// `struct \`Order\``, `function \`Users.get\``.
    what: &'s str,
    /// `field`, `argument` or `exception`.
    member: &'static str,
    /// The list is a `throws` clause.
    throws: bool,
    /// The fields are a union's.
    union: bool,
}

pub(super) struct Auditor<'a> {
    pub old: Side<'a>,
    pub new: Side<'a>,
    pub findings: Vec<Finding>,
    /// Report additions only other generators' peers may refuse
    /// ([`Rule::strict_only`]).
    pub strict: bool,
}

impl Auditor<'_> {
    fn push(&mut self, rule: Rule, message: String, span: Span, label: &str, note: Option<&str>) {
        if rule.strict_only() && !self.strict {
            return;
        }
        let diagnostic = match rule.severity() {
            crate::Severity::Error => Diagnostic::error(message),
            _ => Diagnostic::warning(message),
        }
        .primary(span, label)
        .code(rule.name());
        let diagnostic = match note {
            Some(note) => diagnostic.note(note),
            None => diagnostic,
        };
        self.findings.push(Finding { rule, diagnostic });
    }

    /// An old and a new type as text, with the files' paths when their
    /// names would read the same (two included files with one stem).
    fn describe_pair(&self, old: &Type, new: &Type) -> (String, String) {
        let (o, n) = (self.old.describe(old), self.new.describe(new));
        if o == n && self.old.spelled(old) != self.new.spelled(new) {
            (
                self.old.describe_with(old, true),
                self.new.describe_with(new, true),
            )
        } else {
            (o, n)
        }
    }

    pub fn run(&mut self) {
        self.namespaces();
        let old_defs: Vec<_> = self.old.defs.iter().map(|(k, v)| (k.clone(), *v)).collect();
        for (key, old_id) in old_defs {
            match self.new.defs.get(&key).copied() {
                Some(new_id) => self.definition(old_id, new_id),
                None => match self.moved_to(&key.1) {
                    Some(new_id) => {
                        self.moved(old_id, new_id);
                        self.definition(old_id, new_id);
                    }
                    None => self.removed(old_id),
                },
            }
        }
    }

    /// Where a definition named `name`, gone from its old file, went: the
    /// one definition of that name that the new version has in a file
    /// where the old version had none of that name.
    fn moved_to(&self, name: &str) -> Option<DefId> {
        let mut found = self
            .new
            .defs
            .iter()
            .filter(|((_, n), _)| n == name)
            .filter(|(key, _)| !self.old.defs.contains_key(*key))
            .map(|(_, id)| *id);
        let first = found.next()?;
        found.next().is_none().then_some(first)
    }

    /// A definition that moved to another file: the same on the wire (the
    /// wire never names a file), another Rust path.
    fn moved(&mut self, old_id: DefId, new_id: DefId) {
        let (old_name, new_name) = (self.old.name(old_id), self.new.name(new_id));
        let message = format!(
            "{} `{old_name}` moved to another file, as `{new_name}`: the same on the wire, but its Rust path changes",
            kind_word(self.old.prog.def(old_id)),
        );
        let span = self.new.span(self.new.prog.def(new_id).name.span);
        self.push(Rule::DefinitionMoved, message, span, "moved here", None);
    }

    fn namespaces(&mut self) {
        for (i, old_file) in self.old.prog.files.iter().enumerate() {
            let key = self.old.file_key(crate::ir::FileIdx(i as u32)).clone();
            let Some(new_idx) = self.new.file(&key) else {
                continue;
            };
            let new_file = self.new.prog.file(new_idx);
            let (o, n) = (old_file.rust_namespace(), new_file.rust_namespace());
            if o == n {
                continue;
            }
            let rs = |f: &crate::ir::File| {
                f.namespaces
                    .iter()
                    .find(|n| n.scope == "rs")
                    .map(|n| n.span)
            };
            let span = match (rs(new_file), rs(old_file)) {
                (Some(span), _) => self.new.span(span),
                (None, Some(span)) => self.old.span(span),
                (None, None) => continue,
            };
            let show = |ns: Option<&str>, stem: &str| match ns {
                Some(ns) => format!("`{ns}`"),
                None => format!("none (the module is named `{stem}`)"),
            };
            let message = format!(
                "`namespace rs` of `{}` changed from {} to {}: the Rust module path changes",
                new_file
                    .path
                    .file_name()
                    .map_or(new_file.stem.clone(), |n| n.to_string_lossy().into_owned()),
                show(o, &old_file.stem),
                show(n, &new_file.stem)
            );
            self.push(Rule::NamespaceChanged, message, span, "changed here", None);
        }
    }

    /// A definition of the old version that the new one lacks.
    fn removed(&mut self, id: DefId) {
        let def = self.old.prog.def(id);
        let name = self.old.name(id);
        let functions = match def.kind {
            DefKind::Service(_) => self.old.functions(id),
            _ => Vec::new(),
        };
        if !functions.is_empty() {
            // One finding for the service, naming its functions (inherited
            // ones too: its clients called them through it).
            let names: Vec<String> = functions
                .iter()
                .map(|(f, _)| format!("`{}`", f.name.name))
                .collect();
            let calling = match names.as_slice() {
                [one] => format!("its function {one}"),
                many => format!("any of its {} functions ({})", many.len(), many.join(", ")),
            };
            let message = format!(
                "service `{name}` was removed: old clients calling {calling} get an \
                 unknown-method error"
            );
            let span = self.old.span(def.name.span);
            self.push(Rule::FunctionRemoved, message, span, "removed", None);
            return;
        }
        let message = format!(
            "{} `{name}` was removed: nothing on the wire names it, but Rust code using it no longer compiles",
            kind_word(def)
        );
        let span = self.old.span(def.name.span);
        self.push(Rule::DefinitionRemoved, message, span, "removed", None);
    }

    /// A definition present in both versions.
    fn definition(&mut self, old_id: DefId, new_id: DefId) {
        let (o, n) = (self.old.prog.def(old_id), self.new.prog.def(new_id));
        let name = self.new.name(new_id);
        let at = self.new.span(n.name.span);
        match (&o.kind, &n.kind) {
            (DefKind::Struct(a), DefKind::Struct(b)) => {
                if a.kind != b.kind {
                    let union = |k| k == StructKind::Union;
                    let rule = if union(a.kind) != union(b.kind) {
                        Rule::UnionChanged
                    } else {
                        Rule::StructKindChanged
                    };
                    let message = format!(
                        "`{name}` changed from {} to {}",
                        article(kind_word(o)),
                        article(kind_word(n))
                    );
                    let note = if rule == Rule::UnionChanged {
                        "a union reader rejects a value with more or less than one field set"
                    } else {
                        "the same on the wire, but the generated Rust code changes"
                    };
                    self.push(rule, message, at, "changed here", Some(note));
                }
                let what = format!("{} `{name}`", kind_word(n));
                // A union in both versions: one that became a struct is
                // reported as such.
                let owner = Owner {
                    what: &what,
                    member: "field",
                    throws: false,
                    union: a.kind == StructKind::Union && b.kind == StructKind::Union,
                };
                self.fields(&owner, &a.fields, &b.fields);
            }
            (DefKind::Enum(a), DefKind::Enum(b)) => self.enumeration(&name, a, b),
            (DefKind::Service(_), DefKind::Service(_)) => self.service(old_id, new_id),
            (DefKind::Typedef(a), DefKind::Typedef(b)) => {
                // Only a typedef whose own target changed: one that names a
                // changed typedef is compared where that one is defined.
                let own = self.old.spelled(&a.target) != self.new.spelled(&b.target);
                if own && compare(&self.old, &a.target, &self.new, &b.target).diff != Diff::Same {
                    let (ot, nt) = self.describe_pair(&a.target, &b.target);
                    let message = format!(
                        "typedef `{name}` changed from {ot} to {nt}: the Rust alias changes"
                    );
                    let span = self.new.span(b.target.span);
                    let note = "fields of this type are compared by the type it now stands for";
                    self.push(
                        Rule::TypedefChanged,
                        message,
                        span,
                        "changed here",
                        Some(note),
                    );
                }
            }
            (DefKind::Const(a), DefKind::Const(b)) => {
                let (ot, nt) = self.describe_pair(&a.ty, &b.ty);
                let (ov, nv) = (self.old.value(&a.value), self.new.value(&b.value));
                let type_changed = compare(&self.old, &a.ty, &self.new, &b.ty).diff != Diff::Same;
                let value_changed = self.old.value_key(&a.value) != self.new.value_key(&b.value);
                if type_changed || value_changed {
                    let message = if type_changed {
                        format!("constant `{name}` changed from {ot} = {ov} to {nt} = {nv}")
                    } else {
                        format!("constant `{name}` changed value from {ov} to {nv}")
                    };
                    self.push(Rule::ConstChanged, message, at, "changed here", None);
                }
            }
            (DefKind::Senum(_), DefKind::Senum(_)) => {}
            (DefKind::Service(_), _) => {
                for (f, _) in self.old.functions(old_id) {
                    let message = format!(
                        "service `{name}` is now {}: old clients calling its function `{}` get an unknown-method error",
                        article(kind_word(n)),
                        f.name.name
                    );
                    self.push(
                        Rule::FunctionRemoved,
                        message,
                        at,
                        "no longer a service",
                        None,
                    );
                }
            }
            _ => {
                let message = format!(
                    "`{name}` changed from {} to {}",
                    article(kind_word(o)),
                    article(kind_word(n))
                );
                let note = "fields and functions that use it are reported where they use it";
                self.push(
                    Rule::DefinitionKindChanged,
                    message,
                    at,
                    "changed here",
                    Some(note),
                );
            }
        }
    }

    /// Fields (or arguments, or `throws` entries) matched by id.
    fn fields(&mut self, owner: &Owner, old: &[Field], new: &[Field]) {
        let (what, member) = (owner.what, owner.member);
        // Maps, not scans: a generated IDL may have thousands of fields.
        let new_by_id: BTreeMap<i16, &Field> = new.iter().map(|f| (f.id, f)).collect();
        let new_by_name: BTreeMap<&str, &Field> =
            new.iter().map(|f| (f.name.name.as_str(), f)).collect();
        let old_ids: BTreeSet<i16> = old.iter().map(|f| f.id).collect();
        for o in old {
            let Some(&n) = new_by_id.get(&o.id) else {
                // A name that reappears under an id the old version lacks:
                // the field was renumbered.
                let renumbered = new_by_name
                    .get(o.name.name.as_str())
                    .filter(|n| !owner.throws && !old_ids.contains(&n.id));
                if let Some(n) = renumbered {
                    let message = format!(
                        "{member} `{}` of {what} changed id from {} to {}: peers of each version skip the other's id, so its value is lost",
                        n.name.name, o.id, n.id
                    );
                    let note = "fields are matched by id: keep the old id, or add a new field and keep the old one";
                    let span = self.new.span(n.span);
                    self.push(
                        Rule::FieldRenumbered,
                        message,
                        span,
                        "id changed",
                        Some(note),
                    );
                    continue;
                }
                let (rule, why) = if owner.throws {
                    (
                        Rule::ExceptionRemoved,
                        "when a server of the old version throws it, clients of the new version get an unknown result",
                    )
                } else if o.req == Requiredness::Required {
                    (
                        Rule::RequiredFieldRemoved,
                        "peers of the old version reject every message without it",
                    )
                } else {
                    (
                        Rule::FieldRemoved,
                        "safe on the wire, but its id must not be reused for another field",
                    )
                };
                let required = if rule == Rule::RequiredFieldRemoved {
                    "required "
                } else {
                    ""
                };
                let message = format!(
                    "{required}{member} {} `{}` of {what} was removed: {why}",
                    o.id, o.name.name
                );
                let moved = new_by_name.get(o.name.name.as_str()).map(|n| {
                    format!(
                        "a {member} named `{}` now has id {}: fields are matched by id",
                        n.name.name, n.id
                    )
                });
                let span = self.old.span(o.span);
                self.push(rule, message, span, "removed", moved.as_deref());
                continue;
            };
            let desc = format!("{member} {} `{}` of {what}", n.id, n.name.name);
            if o.name.name != n.name.name {
                let message = format!(
                    "{member} {} of {what} was renamed from `{}` to `{}`: the Rust name and the JSON key change",
                    n.id, o.name.name, n.name.name
                );
                let span = self.new.span(n.name.span);
                self.push(Rule::FieldRenamed, message, span, "renamed", None);
            }
            let span = self.new.span(n.ty.span);
            let cmp = compare(&self.old, &o.ty, &self.new, &n.ty);
            let (ot, nt) = self.describe_pair(&o.ty, &n.ty);
            match cmp.diff {
                Diff::Same => {}
                Diff::SameWire | Diff::Compatible => {
                    let message = format!(
                        "{desc} changed type from {ot} to {nt}: {}, but the Rust type changes",
                        same_or_compatible(cmp.diff)
                    );
                    self.push(Rule::FieldTypeChanged, message, span, "type changed", None);
                }
                Diff::Wire => {
                    let message = format!(
                        "{desc} changed type from {ot} to {nt}{}: peers of the old version cannot read it",
                        cmp.why.as_deref().unwrap_or("")
                    );
                    let note = "a reader skips a field whose wire type it does not expect, so the value is lost";
                    self.push(
                        Rule::FieldWireTypeChanged,
                        message,
                        span,
                        "wire type changed",
                        Some(note),
                    );
                }
            }
            if owner.throws {
                continue;
            }
            let span = self.new.span(n.span);
            match (o.req, n.req) {
                (a, b) if a == b => {}
                (_, Requiredness::Required) => {
                    let message = format!(
                        "{desc} became required: peers of the old version may leave it out, and new readers reject such messages"
                    );
                    self.push(
                        Rule::FieldBecameRequired,
                        message,
                        span,
                        "now required",
                        None,
                    );
                }
                (Requiredness::Required, _) => {
                    let message = format!(
                        "{desc} is no longer required: peers of the old version reject messages without it"
                    );
                    self.push(
                        Rule::FieldNoLongerRequired,
                        message,
                        span,
                        "no longer required",
                        None,
                    );
                }
                (a, b) => {
                    let message = format!(
                        "{desc} changed from {} to {}: safe on the wire, but its Rust type changes",
                        req_word(a),
                        req_word(b)
                    );
                    self.push(
                        Rule::FieldOptionalityChanged,
                        message,
                        span,
                        "changed here",
                        None,
                    );
                }
            }
            let od = o.default.as_ref().map(|v| self.old.value(v));
            let nd = n.default.as_ref().map(|v| self.new.value(v));
            let od_key = o.default.as_ref().map(|v| self.old.value_key(v));
            let nd_key = n.default.as_ref().map(|v| self.new.value_key(v));
            if od_key != nd_key {
                // No default written: the type's own value (or `None`).
                let show = |v: Option<String>| v.unwrap_or_else(|| "none written".into());
                let message = format!(
                    "the default value of {desc} changed from {} to {}",
                    show(od),
                    show(nd)
                );
                let note = "peers of the two versions fill in different values when it is missing";
                self.push(
                    Rule::FieldDefaultChanged,
                    message,
                    span,
                    "default changed",
                    Some(note),
                );
            }
        }
        for n in new {
            if old_ids.contains(&n.id) {
                continue;
            }
            let renumbered = !owner.throws
                && old
                    .iter()
                    .any(|o| o.name.name == n.name.name && !new_by_id.contains_key(&o.id));
            let span = self.new.span(n.span);
            if owner.throws {
                let message = format!(
                    "{what} now throws {} (id {}): when a server of the new version throws it, clients of the old version get an unknown result",
                    self.new.describe(&n.ty),
                    n.id
                );
                self.push(Rule::ExceptionAdded, message, span, "added", None);
            } else if owner.union && !renumbered {
                let message = format!(
                    "new field {} `{}` of {what}: a peer of the old version reads a value with it \
                     set as a union with no field it knows",
                    n.id, n.name.name
                );
                let note = "thriftc's code reads it as the `Unknown` variant; code from other \
                            generators may refuse it (Apache's Rust code fails to read it)";
                self.push(Rule::UnionFieldAdded, message, span, "added", Some(note));
            } else if n.req == Requiredness::Required && !renumbered {
                let message = format!(
                    "new required {member} {} `{}` of {what}: peers of the old version do not write it, and new readers reject messages without it",
                    n.id, n.name.name
                );
                self.push(
                    Rule::RequiredFieldAdded,
                    message,
                    span,
                    "added as required",
                    None,
                );
            }
        }
    }

    /// Enum values matched by name.
    fn enumeration(&mut self, name: &str, old: &Enum, new: &Enum) {
        let new_by_name: BTreeMap<&str, &EnumValue> = new
            .values
            .iter()
            .map(|v| (v.name.name.as_str(), v))
            .collect();
        let mut old_by_number: BTreeMap<i32, Vec<&str>> = BTreeMap::new();
        for v in &old.values {
            old_by_number
                .entry(v.value)
                .or_default()
                .push(v.name.name.as_str());
        }
        for o in &old.values {
            match new_by_name.get(o.name.name.as_str()).copied() {
                None => {
                    let message = format!(
                        "value `{}` ({}) of enum `{name}` was removed: peers of the old version may still send {}, which new code keeps as an unknown number",
                        o.name.name, o.value, o.value
                    );
                    let span = self.old.span(o.span);
                    self.push(Rule::EnumValueRemoved, message, span, "removed", None);
                }
                Some(n) if n.value != o.value => {
                    let message = format!(
                        "value `{}` of enum `{name}` changed from {} to {}: peers of the two versions read each other's numbers as other values",
                        n.name.name, o.value, n.value
                    );
                    let span = self.new.span(n.span);
                    self.push(
                        Rule::EnumValueRenumbered,
                        message,
                        span,
                        "number changed",
                        None,
                    );
                }
                Some(_) => {}
            }
        }
        for n in &new.values {
            let Some(before) = old_by_number.get(&n.value) else {
                if !old.values.iter().any(|o| o.name.name == n.name.name) {
                    let message = format!(
                        "new value `{}` ({}) of enum `{name}`: peers of the old version receive \
                         a number they do not know",
                        n.name.name, n.value
                    );
                    let note = "thriftc's code keeps it as an unknown number, as Apache's Rust, \
                                C++ and Python code do; Apache's Java code reads it as `null` \
                                (and then refuses a `required` field)";
                    let span = self.new.span(n.span);
                    self.push(Rule::EnumValueAdded, message, span, "added", Some(note));
                }
                continue;
            };
            let kept = before
                .iter()
                .any(|b| new_by_name.get(b).is_some_and(|v| v.value == n.value));
            if kept {
                continue;
            }
            let message = format!(
                "number {} of enum `{name}` now means `{}` (it meant `{}`): peers of the old version read it as `{}`",
                n.value,
                n.name.name,
                before.join("`, `"),
                before[0]
            );
            let span = self.new.span(n.span);
            self.push(Rule::EnumNumberReused, message, span, "number reused", None);
        }
    }

    /// Functions of a service (with inherited ones) matched by name.
    fn service(&mut self, old_id: DefId, new_id: DefId) {
        let name = self.new.name(new_id);
        let old_fns = self.old.functions(old_id);
        let new_fns: BTreeMap<&str, (&Function, DefId)> = self
            .new
            .functions(new_id)
            .into_iter()
            .rev()
            .map(|(f, from)| (f.name.name.as_str(), (f, from)))
            .collect();
        let new_bases: Vec<_> = self
            .new
            .bases(new_id)
            .into_iter()
            .map(|b| self.new.key(b))
            .collect();
        let at = self.new.span(self.new.prog.def(new_id).name.span);
        for (of, from) in old_fns {
            let inherited_old = from != old_id;
            match new_fns.get(of.name.name.as_str()) {
                None if !inherited_old => {
                    let message = format!(
                        "function `{}` of service `{name}` was removed: old clients calling it get an unknown-method error",
                        of.name.name
                    );
                    let span = self.old.span(of.name.span);
                    self.push(Rule::FunctionRemoved, message, span, "removed", None);
                }
                None => {
                    // The base that declared it, when still a base, reports
                    // the removal itself.
                    if new_bases.contains(&self.old.key(from)) {
                        continue;
                    }
                    let message = format!(
                        "service `{name}` no longer has function `{}`, which it inherited from `{}`: old clients calling it get an unknown-method error",
                        of.name.name,
                        self.old.name(from)
                    );
                    self.push(
                        Rule::InheritedFunctionRemoved,
                        message,
                        at,
                        "`extends` changed",
                        None,
                    );
                }
                Some(&(nf, nfrom)) => {
                    if inherited_old && nfrom != new_id && self.old.key(from) == self.new.key(nfrom)
                    {
                        continue;
                    }
                    let what = format!("function `{name}.{}`", nf.name.name);
                    self.function(&what, of, nf);
                }
            }
        }
    }

    fn function(&mut self, what: &str, old: &Function, new: &Function) {
        let at = self.new.span(new.name.span);
        if old.oneway != new.oneway {
            let message = if new.oneway {
                format!(
                    "{what} became oneway: clients of the old version wait for a reply that never comes"
                )
            } else {
                format!(
                    "{what} is no longer oneway: servers of the old version never reply, clients of the new version wait"
                )
            };
            self.push(Rule::OnewayChanged, message, at, "changed here", None);
        }
        let (ot, nt, cmp) = match (&old.returns, &new.returns) {
            (None, None) => ("void".into(), "void".into(), None),
            (Some(a), Some(b)) => {
                let (ot, nt) = self.describe_pair(a, b);
                (ot, nt, Some(compare(&self.old, a, &self.new, b)))
            }
            (a, b) => {
                let show = |side: &Side, t: Option<&crate::ir::Type>| {
                    t.map_or("void".into(), |t| side.describe(t))
                };
                (
                    show(&self.old, a.as_ref()),
                    show(&self.new, b.as_ref()),
                    None,
                )
            }
        };
        let (diff, why) = match (cmp, old.returns.is_some() == new.returns.is_some()) {
            (Some(c), _) => (c.diff, c.why),
            (None, true) => (Diff::Same, None),
            (None, false) => (Diff::Wire, None),
        };
        let span = new.returns.as_ref().map_or(at, |t| self.new.span(t.span));
        match diff {
            Diff::Same => {}
            Diff::SameWire | Diff::Compatible => {
                let message = format!(
                    "{what} changed return type from {ot} to {nt}: {}, but the Rust signature changes",
                    same_or_compatible(diff)
                );
                self.push(Rule::ReturnTypeChanged, message, span, "type changed", None);
            }
            Diff::Wire => {
                let message = format!(
                    "{what} changed return type from {ot} to {nt}{}: clients of the old version cannot read the reply",
                    why.as_deref().unwrap_or("")
                );
                self.push(
                    Rule::ReturnWireTypeChanged,
                    message,
                    span,
                    "wire type changed",
                    None,
                );
            }
        }
        let args = Owner {
            what,
            member: "argument",
            throws: false,
            union: false,
        };
        self.fields(&args, &old.args, &new.args);
        let throws = Owner {
            what,
            member: "exception",
            throws: true,
            union: false,
        };
        self.fields(&throws, &old.throws, &new.throws);
    }
}

/// How a type change that keeps the wire readable is described.
fn same_or_compatible(diff: Diff) -> &'static str {
    if diff == Diff::Compatible {
        "compatible on the wire (the two layouts differ only in fields that are not required)"
    } else {
        "the same on the wire"
    }
}

/// The keyword of a definition.
fn kind_word(def: &Def) -> &'static str {
    match &def.kind {
        DefKind::Const(_) => "constant",
        DefKind::Typedef(_) => "typedef",
        DefKind::Enum(_) => "enum",
        DefKind::Senum(_) => "senum",
        DefKind::Struct(s) => match s.kind {
            StructKind::Struct => "struct",
            StructKind::Union => "union",
            StructKind::Exception => "exception",
        },
        DefKind::Service(_) => "service",
    }
}

fn article(word: &str) -> String {
    match word {
        "enum" | "exception" => format!("an {word}"),
        _ => format!("a {word}"),
    }
}

fn req_word(req: Requiredness) -> &'static str {
    match req {
        Requiredness::Required => "required",
        Requiredness::Optional => "optional",
        Requiredness::Default => "default requiredness",
    }
}
