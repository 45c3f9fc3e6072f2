//! One version of the IDL as the audit sees it: definitions keyed by file and
//! name, types resolved through typedefs, compared by wire type, and written
//! out as text for messages.

use crate::ir::{ConstValue, DefId, DefKind, FileIdx, Function, Program, Type, TypeKind};
use crate::source::Span;
use std::collections::BTreeMap;
use std::fmt::Write;

/// How a file is matched between the versions: the `n`th root file named
/// on the command line, or an included file by stem (and, for several
/// included files with one stem, their order among them).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum FileKey {
    Root(usize),
    Included(String, usize),
}

/// A definition's identity across versions: its file's key and its name.
pub(super) type DefKey = (FileKey, String);

/// Typedef chains and `extends` chains are acyclic in a checked program;
/// the bound only guards against a bug turning into a hang.
const MAX_CHAIN: usize = 256;

/// One program, with its definitions keyed and its spans' file offset in
/// the audit's joined source map.
pub(super) struct Side<'a> {
    pub prog: &'a Program,
    file_keys: Vec<FileKey>,
    pub defs: BTreeMap<DefKey, DefId>,
    files: BTreeMap<FileKey, FileIdx>,
    offset: u32,
}

/// How two types differ, from least to most serious.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Diff {
    Same,
    /// Another Thrift type with the same wire type at every level.
    SameWire,
    /// The wire type differs somewhere.
    Wire,
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
        let mut file_keys = Vec::with_capacity(prog.files.len());
        let mut stems: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, file) in prog.files.iter().enumerate() {
            let key = match prog.roots.iter().position(|r| r.0 as usize == i) {
                Some(root) => FileKey::Root(root),
                None => {
                    let n = stems.entry(file.stem.as_str()).or_insert(0);
                    *n += 1;
                    FileKey::Included(file.stem.clone(), *n - 1)
                }
            };
            file_keys.push(key);
        }
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
    /// `stem.Name` in an included one.
    pub fn name(&self, id: DefId) -> String {
        let def = self.prog.def(id);
        match self.file_key(def.file) {
            FileKey::Root(_) => def.name.name.clone(),
            FileKey::Included(stem, _) => format!("{stem}.{}", def.name.name),
        }
    }

    /// Follows typedefs to the type they stand for.
    pub fn resolve<'t>(&'t self, mut ty: &'t Type) -> &'t Type {
        for _ in 0..MAX_CHAIN {
            match &ty.kind {
                TypeKind::Named(id) => match &self.prog.def(*id).kind {
                    DefKind::Typedef(t) => ty = &t.target,
                    _ => return ty,
                },
                _ => return ty,
            }
        }
        ty
    }

    /// The wire type of a type resolved through typedefs.
    fn wire(&self, ty: &Type) -> Wire {
        match &self.resolve(ty).kind {
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
                // Only structs remain among the kinds a type can name.
                DefKind::Struct(_)
                | DefKind::Typedef(_)
                | DefKind::Const(_)
                | DefKind::Service(_) => Wire::Struct,
            },
        }
    }

    /// A type as written, with what a typedef stands for:
    /// `map<string, UserId (i64)>`.
    pub fn describe(&self, ty: &Type) -> String {
        match &ty.kind {
            TypeKind::Bool => "bool".into(),
            TypeKind::I8 => "i8".into(),
            TypeKind::I16 => "i16".into(),
            TypeKind::I32 => "i32".into(),
            TypeKind::I64 => "i64".into(),
            TypeKind::Double => "double".into(),
            TypeKind::String => "string".into(),
            TypeKind::Binary => "binary".into(),
            TypeKind::Uuid => "uuid".into(),
            TypeKind::List(t) => format!("list<{}>", self.describe(t)),
            TypeKind::Set(t) => format!("set<{}>", self.describe(t)),
            TypeKind::Map(k, v) => format!("map<{}, {}>", self.describe(k), self.describe(v)),
            TypeKind::Named(id) => {
                let name = self.name(*id);
                let resolved = self.resolve(ty);
                if std::ptr::eq(resolved, ty) {
                    name
                } else {
                    format!("{name} ({})", self.describe(resolved))
                }
            }
        }
    }

    /// A constant value as text, for comparison and messages.
    pub fn value(&self, value: &ConstValue) -> String {
        let mut out = String::new();
        self.write_value(&mut out, value);
        out
    }

    fn write_value(&self, out: &mut String, value: &ConstValue) {
        let list = |out: &mut String, open: &str, items: &[ConstValue], close: &str| {
            out.push_str(open);
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                self.write_value(out, item);
            }
            out.push_str(close);
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
            ConstValue::List(items) => list(out, "[", items, "]"),
            ConstValue::Set(items) => list(out, "{", items, "}"),
            ConstValue::Map(entries) => {
                out.push('{');
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    self.write_value(out, k);
                    out.push_str(": ");
                    self.write_value(out, v);
                }
                out.push('}');
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
                for (i, (index, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    let name = s.fields.get(*index).map_or("?", |f| f.name.name.as_str());
                    let _ = write!(out, " {name}: ");
                    self.write_value(out, v);
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
        for _ in 0..MAX_CHAIN {
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
            if out.len() >= MAX_CHAIN {
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

/// Compares a type of the old version with one of the new version.
pub(super) fn compare(old: &Side, old_ty: &Type, new: &Side, new_ty: &Type) -> Diff {
    let (o, n) = (old.resolve(old_ty), new.resolve(new_ty));
    match (&o.kind, &n.kind) {
        (TypeKind::List(a), TypeKind::List(b)) | (TypeKind::Set(a), TypeKind::Set(b)) => {
            compare(old, a, new, b)
        }
        (TypeKind::Map(ok, ov), TypeKind::Map(nk, nv)) => {
            compare(old, ok, new, nk).max(compare(old, ov, new, nv))
        }
        (ok, nk) => {
            if old.wire(o) != new.wire(n) {
                Diff::Wire
            } else if match (ok, nk) {
                (TypeKind::Named(a), TypeKind::Named(b)) => old.key(*a) == new.key(*b),
                (TypeKind::Named(_), _) | (_, TypeKind::Named(_)) => false,
                _ => std::mem::discriminant(ok) == std::mem::discriminant(nk),
            } {
                Diff::Same
            } else {
                Diff::SameWire
            }
        }
    }
}
