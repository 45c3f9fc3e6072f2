//! One version of the IDL as the audit sees it: definitions keyed by file and
//! name, types resolved through typedefs, compared by wire type (struct
//! layouts field by field), and written out as text for messages.

use crate::ir::{
    ConstValue, DefId, DefKind, FileIdx, Function, Program, Requiredness, Struct, StructKind, Type,
    TypeKind,
};
use crate::source::Span;
use std::collections::{BTreeMap, HashSet};
use std::fmt::Write;
use std::path::{Component, Path};

/// How a file is matched between the versions: the `n`th root file named
/// on the command line, or an included file by the path it was included
/// by (relative to the root file's folder, or to the `-I` folder it was
/// found in), with, for several files reached by one path (which happens
/// only when `-I` folders and nested folders overlap), their order among
/// them.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) enum FileKey {
    Root(usize),
    Included(String, usize),
}

/// A definition's identity across versions: its file's key and its name.
pub(super) type DefKey = (FileKey, String);

/// One program, with its definitions keyed and its spans' file offset in
/// the audit's joined source map.
pub(super) struct Side<'a> {
    pub prog: &'a Program,
    file_keys: Vec<FileKey>,
    pub defs: BTreeMap<DefKey, DefId>,
    files: BTreeMap<FileKey, FileIdx>,
    /// Stems shared by several included files: names in them show the
    /// file's path.
    shared_stems: HashSet<String>,
    /// For each typedef, by [`DefId`], the type at the end of its chain
    /// (`None` for other definitions, and on a cycle).
    typedef_ends: Vec<Option<&'a Type>>,
    offset: u32,
}

/// How two types differ, from least to most serious.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Diff {
    Same,
    /// Another Thrift type with the same wire type at every level (and,
    /// for structs, the same field ids and requiredness).
    SameWire,
    /// Another struct whose layout peers of both versions can still read:
    /// fields only one side has are optional or default, shared fields
    /// agree on wire type and on being required.
    Compatible,
    /// The wire type differs somewhere.
    Wire,
}

/// The result of [`compare`]: how the types differ and, when the wire
/// differs inside a struct layout, the clause that says where (`, whose
/// field 1 \`x\` changed type from i32 to string`).
pub(super) struct Comparison {
    pub diff: Diff,
    pub why: Option<String>,
}

/// The wire types of the Thrift protocols.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Wire {
    Bool,
    Byte,
    I16,
    I32,
    I64,
    Double,
    Binary,
    Struct,
    Map,
    Set,
    List,
    Uuid,
}

impl<'a> Side<'a> {
    pub fn new(prog: &'a Program, offset: u32) -> Side<'a> {
        let file_keys = file_keys(prog);
        let mut stems: BTreeMap<&str, usize> = BTreeMap::new();
        for (file, key) in prog.files.iter().zip(&file_keys) {
            if let FileKey::Included(..) = key {
                *stems.entry(file.stem.as_str()).or_insert(0) += 1;
            }
        }
        let shared_stems = stems
            .into_iter()
            .filter(|&(_, n)| n > 1)
            .map(|(s, _)| s.to_owned())
            .collect();
        let mut defs = BTreeMap::new();
        for (i, def) in prog.defs.iter().enumerate() {
            let key = file_keys[def.file.0 as usize].clone();
            defs.insert((key, def.name.name.clone()), DefId(i as u32));
        }
        let files = file_keys
            .iter()
            .enumerate()
            .map(|(i, k)| (k.clone(), FileIdx(i as u32)))
            .collect();
        Side {
            prog,
            file_keys,
            defs,
            files,
            shared_stems,
            typedef_ends: typedef_ends(prog),
            offset,
        }
    }

    /// The file with this key, if this version has it.
    pub fn file(&self, key: &FileKey) -> Option<FileIdx> {
        self.files.get(key).copied()
    }

    /// The key of a file of this version.
    pub fn file_key(&self, file: FileIdx) -> &FileKey {
        &self.file_keys[file.0 as usize]
    }

    /// The key of a definition of this version.
    pub fn key(&self, id: DefId) -> DefKey {
        let def = self.prog.def(id);
        (self.file_key(def.file).clone(), def.name.name.clone())
    }

    /// A span of this version moved into the audit's joined source map.
    pub fn span(&self, span: Span) -> Span {
        Span {
            file: crate::source::FileId(span.file.0 + self.offset),
            ..span
        }
    }

    /// The name users write for a definition: bare in a root file,
    /// `stem.Name` in an included one, followed by the file's path when
    /// several included files share the stem.
    pub fn name(&self, id: DefId) -> String {
        let def = self.prog.def(id);
        let stem = &self.prog.file(def.file).stem;
        self.qualified(id, self.shared_stems.contains(stem))
    }

    /// [`Side::name`], with the file's path for any included file when
    /// `path` is set.
    fn qualified(&self, id: DefId, path: bool) -> String {
        let def = self.prog.def(id);
        match self.file_key(def.file) {
            FileKey::Root(_) => def.name.name.clone(),
            FileKey::Included(key, _) => {
                let stem = &self.prog.file(def.file).stem;
                if path {
                    format!("{stem}.{} (in {key})", def.name.name)
                } else {
                    format!("{stem}.{}", def.name.name)
                }
            }
        }
    }

    /// Follows typedefs to the type they stand for, to the end of the
    /// chain however long (see [`typedef_ends`]). Only a typedef cycle,
    /// which a checked program does not have, leaves a typedef, which then
    /// compares unlike anything (see [`Side::wire`]).
    pub fn resolve<'t>(&'t self, ty: &'t Type) -> &'t Type {
        match &ty.kind {
            TypeKind::Named(id) => match self.typedef_ends.get(id.0 as usize) {
                Some(Some(end)) => end,
                _ => ty,
            },
            _ => ty,
        }
    }

    /// The wire type of a type resolved through typedefs; `None` for what
    /// has none (a typedef left by [`Side::resolve`], which only a
    /// typedef cycle leaves, a constant or a service).
    fn wire(&self, ty: &Type) -> Option<Wire> {
        Some(match &self.resolve(ty).kind {
            TypeKind::Bool => Wire::Bool,
            TypeKind::I8 => Wire::Byte,
            TypeKind::I16 => Wire::I16,
            TypeKind::I32 => Wire::I32,
            TypeKind::I64 => Wire::I64,
            TypeKind::Double => Wire::Double,
            TypeKind::String | TypeKind::Binary => Wire::Binary,
            TypeKind::Uuid => Wire::Uuid,
            TypeKind::List(_) => Wire::List,
            TypeKind::Set(_) => Wire::Set,
            TypeKind::Map(..) => Wire::Map,
            TypeKind::Named(id) => match &self.prog.def(*id).kind {
                DefKind::Enum(_) => Wire::I32,
                DefKind::Senum(_) => Wire::Binary,
                DefKind::Struct(_) => Wire::Struct,
                DefKind::Typedef(_) | DefKind::Const(_) | DefKind::Service(_) => return None,
            },
        })
    }

    /// A type as written, with what a typedef stands for:
    /// `map<string, UserId (i64)>`.
    pub fn describe(&self, ty: &Type) -> String {
        self.describe_with(ty, false)
    }

    /// [`Side::describe`], with the file's path of every type of an
    /// included file when `paths` is set (for two types whose names read
    /// the same).
    pub fn describe_with(&self, ty: &Type, paths: bool) -> String {
        match &ty.kind {
            TypeKind::List(t) => format!("list<{}>", self.describe_with(t, paths)),
            TypeKind::Set(t) => format!("set<{}>", self.describe_with(t, paths)),
            TypeKind::Map(k, v) => format!(
                "map<{}, {}>",
                self.describe_with(k, paths),
                self.describe_with(v, paths)
            ),
            TypeKind::Named(id) => {
                let stem = &self.prog.file(self.prog.def(*id).file).stem;
                let name = self.qualified(*id, paths || self.shared_stems.contains(stem));
                let resolved = self.resolve(ty);
                if std::ptr::eq(resolved, ty) {
                    name
                } else {
                    format!("{name} ({})", self.describe_with(resolved, paths))
                }
            }
            base => base.base_name().unwrap_or_default().into(),
        }
    }

    /// A type as written, with names by their keys: what a typedef's own
    /// text is compared by.
    pub fn spelled(&self, ty: &Type) -> String {
        match &ty.kind {
            TypeKind::List(t) => format!("list<{}>", self.spelled(t)),
            TypeKind::Set(t) => format!("set<{}>", self.spelled(t)),
            TypeKind::Map(k, v) => format!("map<{}, {}>", self.spelled(k), self.spelled(v)),
            TypeKind::Named(id) => format!("{:?}", self.key(*id)),
            _ => self.describe(ty),
        }
    }

    /// A constant value as text, for messages.
    pub fn value(&self, value: &ConstValue) -> String {
        let mut out = String::new();
        self.write_value(&mut out, value, false);
        out
    }

    /// A constant value as text for comparison: the elements of a set and
    /// the entries of a map sorted (their order means nothing), as are
    /// the fields of a struct value.
    pub fn value_key(&self, value: &ConstValue) -> String {
        let mut out = String::new();
        self.write_value(&mut out, value, true);
        out
    }

    fn write_value(&self, out: &mut String, value: &ConstValue, sorted: bool) {
        let join = |out: &mut String, open: &str, items: Vec<String>, close: &str| {
            out.push_str(open);
            out.push_str(&items.join(", "));
            out.push_str(close);
        };
        let text = |v: &ConstValue| {
            let mut s = String::new();
            self.write_value(&mut s, v, sorted);
            s
        };
        match value {
            ConstValue::Bool(b) => {
                let _ = write!(out, "{b}");
            }
            ConstValue::Int(i) => {
                let _ = write!(out, "{i}");
            }
            ConstValue::Double(d) => {
                let _ = write!(out, "{d:?}");
            }
            ConstValue::String(s) => {
                let _ = write!(out, "{s:?}");
            }
            ConstValue::Uuid(bytes) => {
                for (i, b) in bytes.iter().enumerate() {
                    if matches!(i, 4 | 6 | 8 | 10) {
                        out.push('-');
                    }
                    let _ = write!(out, "{b:02x}");
                }
            }
            ConstValue::List(items) => join(out, "[", items.iter().map(text).collect(), "]"),
            ConstValue::Set(items) => {
                let mut items: Vec<String> = items.iter().map(text).collect();
                if sorted {
                    items.sort();
                }
                join(out, "{", items, "}");
            }
            ConstValue::Map(entries) => {
                let mut entries: Vec<String> = entries
                    .iter()
                    .map(|(k, v)| format!("{}: {}", text(k), text(v)))
                    .collect();
                if sorted {
                    entries.sort();
                }
                join(out, "{", entries, "}");
            }
            ConstValue::Enum { def, index } => {
                let _ = write!(out, "{}", self.name(*def));
                if let DefKind::Enum(e) = &self.prog.def(*def).kind {
                    if let Some(v) = e.values.get(*index) {
                        let _ = write!(out, ".{} ({})", v.name.name, v.value);
                    }
                }
            }
            ConstValue::Struct { def, fields } => {
                let _ = write!(out, "{} {{", self.name(*def));
                let DefKind::Struct(s) = &self.prog.def(*def).kind else {
                    out.push('}');
                    return;
                };
                let mut fields: Vec<(usize, String)> =
                    fields.iter().map(|(i, v)| (*i, text(v))).collect();
                if sorted {
                    fields.sort();
                }
                for (i, (index, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    let name = s.fields.get(*index).map_or("?", |f| f.name.name.as_str());
                    let _ = write!(out, " {name}: {v}");
                }
                out.push_str(" }");
            }
        }
    }

    /// Every function of a service, its own first, then inherited ones
    /// (nearest base first), each with the service that declares it.
    pub fn functions(&self, service: DefId) -> Vec<(&'a Function, DefId)> {
        let mut out = Vec::new();
        let mut next = Some(service);
        // `extends` chains are acyclic in a checked program: the bound only
        // stops a cycle in one that was not checked.
        for _ in 0..=self.prog.defs.len() {
            let Some(id) = next else { break };
            let DefKind::Service(s) = &self.prog.def(id).kind else {
                break;
            };
            out.extend(s.functions.iter().map(|f| (f, id)));
            next = s.extends;
        }
        out
    }

    /// The services a service extends, nearest first.
    pub fn bases(&self, service: DefId) -> Vec<DefId> {
        let mut out = Vec::new();
        let mut next = match &self.prog.def(service).kind {
            DefKind::Service(s) => s.extends,
            _ => None,
        };
        while let Some(id) = next {
            if out.len() > self.prog.defs.len() {
                break;
            }
            out.push(id);
            next = match &self.prog.def(id).kind {
                DefKind::Service(s) => s.extends,
                _ => None,
            };
        }
        out
    }
}

/// The end of every typedef chain, by [`DefId`]: the first type on it that
/// is not a typedef, `None` for definitions that are not typedefs.
///
/// The checker reports typedef cycles, so in a checked program every chain
/// ends. Each definition is visited once (chains that share a tail share
/// its end), so this takes linear time whatever the chains' lengths; a
/// typedef on a cycle (only in a program that was not checked) gets `None`.
fn typedef_ends(prog: &Program) -> Vec<Option<&Type>> {
    let n = prog.defs.len();
    let mut ends: Vec<Option<&Type>> = vec![None; n];
    // 0: not visited, 1: on the chain being followed, 2: end known.
    let mut state = vec![0u8; n];
    let mut chain: Vec<usize> = Vec::new();
    for start in 0..n {
        if state[start] != 0 {
            continue;
        }
        chain.clear();
        let mut at = start;
        let end = loop {
            match state[at] {
                2 => break ends[at],
                1 => break None,
                _ => {}
            }
            let DefKind::Typedef(td) = &prog.defs[at].kind else {
                break None;
            };
            state[at] = 1;
            chain.push(at);
            match &td.target.kind {
                TypeKind::Named(id)
                    if (id.0 as usize) < n
                        && matches!(prog.defs[id.0 as usize].kind, DefKind::Typedef(_)) =>
                {
                    at = id.0 as usize;
                }
                _ => break Some(&td.target),
            }
        };
        for &i in &chain {
            ends[i] = end;
            state[i] = 2;
        }
    }
    ends
}

/// The key of every file of a program, indexed by [`FileIdx`].
///
/// Roots are keyed by their position on the command line. Every other
/// file by the path it was first reached by, breadth-first from the roots
/// as the loader reads them: its `include` path joined to the including
/// file's path when found beside that file, else the `include` path alone
/// (found in an `-I` folder). A program's files reached by one path (an
/// `-I` folder overlapping another) are told apart by their order.
fn file_keys(prog: &Program) -> Vec<FileKey> {
    let n = prog.files.len();
    let mut root_of: Vec<Option<usize>> = vec![None; n];
    for (i, r) in prog.roots.iter().enumerate() {
        if let Some(slot) = root_of.get_mut(r.0 as usize) {
            slot.get_or_insert(i);
        }
    }
    let mut paths: Vec<Option<String>> = vec![None; n];
    let mut order: Vec<usize> = Vec::with_capacity(n);
    let mut queue: std::collections::VecDeque<usize> = std::collections::VecDeque::new();
    let mut seen = vec![false; n];
    for r in &prog.roots {
        let r = r.0 as usize;
        if r < n && !seen[r] {
            seen[r] = true;
            queue.push_back(r);
        }
    }
    while let Some(i) = queue.pop_front() {
        let file = &prog.files[i];
        if file.includes.is_empty() {
            continue;
        }
        let written = include_paths(prog, i);
        // The folder of the including file's own key ("" for a root).
        let base = match &paths[i] {
            Some(p) => Path::new(p).parent().unwrap_or(Path::new("")).to_path_buf(),
            None => Default::default(),
        };
        for (k, inc) in file.includes.iter().enumerate() {
            let j = inc.0 as usize;
            if j >= n || seen[j] {
                continue;
            }
            seen[j] = true;
            queue.push_back(j);
            if root_of[j].is_some() {
                continue;
            }
            let path = match written.as_ref().and_then(|w| w.get(k)) {
                Some(w) if found_beside(prog, i, w, j) => join(&base, w),
                Some(w) => join(Path::new(""), w),
                None => prog.files[j].stem.clone(),
            };
            paths[j] = Some(path);
            order.push(j);
        }
    }
    // Files no root reaches (none in a checked program) come last.
    for (j, path) in paths.iter_mut().enumerate() {
        if root_of[j].is_none() && !seen[j] {
            *path = Some(prog.files[j].stem.clone());
            order.push(j);
        }
    }
    let mut keys: Vec<FileKey> = (0..n)
        .map(|i| FileKey::Root(root_of[i].unwrap_or(0)))
        .collect();
    let mut count: BTreeMap<String, usize> = BTreeMap::new();
    for j in order {
        let path = paths[j].take().unwrap_or_default();
        let c = count.entry(path.clone()).or_insert(0);
        keys[j] = FileKey::Included(path, *c);
        *c += 1;
    }
    keys
}

/// The `include` paths of a file, in source order, when they pair up with
/// [`File::includes`](crate::ir::File::includes) (always in a checked
/// program).
fn include_paths(prog: &Program, i: usize) -> Option<Vec<String>> {
    let file = &prog.files[i];
    let text = &prog.sources.try_get(file.source)?.text;
    let mut diags = crate::diagnostic::Diagnostics::new();
    let doc = crate::parse::parse(file.source, text, &mut diags);
    let written: Vec<String> = doc
        .headers
        .into_iter()
        .filter_map(|h| match h {
            crate::ast::Header::Include { path, .. } => Some(path),
            _ => None,
        })
        .collect();
    (written.len() == file.includes.len()).then_some(written)
}

/// Whether file `j`, included by file `i` as `written`, was found in the
/// folder of file `i` (rather than in an `-I` folder).
fn found_beside(prog: &Program, i: usize, written: &str, j: usize) -> bool {
    use crate::sema::normalize;
    let (fi, fj) = (&prog.files[i], &prog.files[j]);
    let beside = |from: &Path| normalize(&from.parent().unwrap_or(Path::new("")).join(written));
    let display = |f: &crate::ir::File| {
        prog.sources
            .try_get(f.source)
            .map(|s| normalize(Path::new(&s.display)))
    };
    if let (Some(di), Some(dj)) = (display(fi), display(fj)) {
        if beside(&di) == dj {
            return true;
        }
    }
    beside(&fi.path) == fj.path
}

/// `base` joined with `path`, `.` and `..` resolved where they can be,
/// with `/` between components.
fn join(base: &Path, path: &str) -> String {
    let joined = crate::sema::normalize(&base.join(path));
    let parts: Vec<String> = joined
        .components()
        .filter(|c| !matches!(c, Component::CurDir))
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    parts.join("/")
}

/// Compares a type of the old version with one of the new version.
///
/// Types are compared by what they resolve to, by wire type at every level
/// of a container. Two structs that are one definition (the same key) are
/// the same type here: their changes are reported where they are defined.
/// Two different structs are compared by layout, field by field at any
/// depth, each pair of definitions once (so recursive types end).
pub(super) fn compare(old: &Side, old_ty: &Type, new: &Side, new_ty: &Type) -> Comparison {
    let mut pending = Vec::new();
    let diff = shallow(old, old_ty, new, new_ty, &mut pending);
    if diff == Diff::Wire {
        return Comparison { diff, why: None };
    }
    // Breadth-first over pairs of struct definitions, each with the pair it
    // was reached from and the clause that says how.
    let mut visited: HashSet<(DefId, DefId)> = HashSet::new();
    let mut pairs: Vec<((DefId, DefId), Option<usize>, String)> = Vec::new();
    for pair in pending.drain(..) {
        if visited.insert(pair) {
            pairs.push((pair, None, String::new()));
        }
    }
    let mut diff = diff;
    let mut next = 0;
    while next < pairs.len() {
        let ((a, b), _, _) = pairs[next];
        let mut found = Vec::new();
        match layout(old, a, new, b, &mut found) {
            Ok(d) => diff = diff.max(d),
            Err(reason) => {
                let mut clauses = vec![reason];
                let mut at = Some(next);
                while let Some(i) = at {
                    if !pairs[i].2.is_empty() {
                        clauses.push(pairs[i].2.clone());
                    }
                    at = pairs[i].1;
                }
                clauses.reverse();
                return Comparison {
                    diff: Diff::Wire,
                    why: Some(clauses.concat()),
                };
            }
        }
        for (pair, how) in found {
            if visited.insert(pair) {
                pairs.push((pair, Some(next), how));
            }
        }
        next += 1;
    }
    Comparison { diff, why: None }
}

/// Compares two types down to the structs they name: pairs of different
/// struct definitions go to `pending` to be compared by layout.
fn shallow(
    old: &Side,
    old_ty: &Type,
    new: &Side,
    new_ty: &Type,
    pending: &mut Vec<(DefId, DefId)>,
) -> Diff {
    let (o, n) = (old.resolve(old_ty), new.resolve(new_ty));
    match (&o.kind, &n.kind) {
        (TypeKind::List(a), TypeKind::List(b)) | (TypeKind::Set(a), TypeKind::Set(b)) => {
            shallow(old, a, new, b, pending)
        }
        (TypeKind::Map(ok, ov), TypeKind::Map(nk, nv)) => {
            shallow(old, ok, new, nk, pending).max(shallow(old, ov, new, nv, pending))
        }
        (ok, nk) => {
            let (Some(ow), Some(nw)) = (old.wire(o), new.wire(n)) else {
                return Diff::Wire;
            };
            if ow != nw {
                return Diff::Wire;
            }
            match (ok, nk) {
                (TypeKind::Named(a), TypeKind::Named(b)) => {
                    if old.key(*a) == new.key(*b) {
                        Diff::Same
                    } else {
                        if ow == Wire::Struct {
                            pending.push((*a, *b));
                        }
                        Diff::SameWire
                    }
                }
                (TypeKind::Named(_), _) | (_, TypeKind::Named(_)) => Diff::SameWire,
                _ if std::mem::discriminant(ok) == std::mem::discriminant(nk) => Diff::Same,
                _ => Diff::SameWire,
            }
        }
    }
}

/// Compares the layouts of two struct definitions: `Err` with the clause
/// that says where the wire differs, else how much they differ. Pairs of
/// structs named by their fields go to `found`, each with its clause.
fn layout(
    old: &Side,
    a: DefId,
    new: &Side,
    b: DefId,
    found: &mut Vec<((DefId, DefId), String)>,
) -> Result<Diff, String> {
    let (DefKind::Struct(sa), DefKind::Struct(sb)) = (&old.prog.def(a).kind, &new.prog.def(b).kind)
    else {
        return Ok(Diff::SameWire);
    };
    let union = |s: &Struct| s.kind == StructKind::Union;
    if union(sa) != union(sb) {
        let (u, other) = if union(sa) {
            (old.name(a), new.name(b))
        } else {
            (new.name(b), old.name(a))
        };
        return Err(format!(", of which `{u}` is a union and `{other}` is not"));
    }
    let required = |req| req == Requiredness::Required;
    let new_by_id: BTreeMap<i16, &crate::ir::Field> = sb.fields.iter().map(|f| (f.id, f)).collect();
    let old_ids: HashSet<i16> = sa.fields.iter().map(|f| f.id).collect();
    let mut diff = Diff::SameWire;
    for of in &sa.fields {
        let field = format!("field {} `{}`", of.id, of.name.name);
        let Some(&nf) = new_by_id.get(&of.id) else {
            if required(of.req) {
                return Err(format!(", whose required {field} was removed"));
            }
            diff = diff.max(Diff::Compatible);
            continue;
        };
        let mut pairs = Vec::new();
        match shallow(old, &of.ty, new, &nf.ty, &mut pairs) {
            Diff::Wire => {
                return Err(format!(
                    ", whose {field} changed type from {} to {}",
                    old.describe(&of.ty),
                    new.describe(&nf.ty)
                ));
            }
            d => diff = diff.max(d),
        }
        if !pairs.is_empty() {
            let how = format!(
                ", whose {field} changed type from {} to {}",
                old.describe(&of.ty),
                new.describe(&nf.ty)
            );
            found.extend(pairs.into_iter().map(|p| (p, how.clone())));
        }
        match (required(of.req), required(nf.req)) {
            (false, true) => return Err(format!(", whose {field} became required")),
            (true, false) => return Err(format!(", whose {field} is no longer required")),
            _ if of.req != nf.req => diff = diff.max(Diff::Compatible),
            _ => {}
        }
    }
    for nf in &sb.fields {
        if old_ids.contains(&nf.id) {
            continue;
        }
        if required(nf.req) {
            return Err(format!(
                ", whose new field {} `{}` is required",
                nf.id, nf.name.name
            ));
        }
        diff = diff.max(Diff::Compatible);
    }
    Ok(diff)
}
