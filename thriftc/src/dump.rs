//! A compact, deterministic text dump of a resolved [`Program`], for golden
//! tests and debugging (`ir` `Debug` output is too noisy to review).
//!
//! One block per file (includes first), then one per definition. Names of
//! other files' definitions are written `stem.Name`; fields show id,
//! requiredness, type, name, default value and flags (`implicit-id`, `ref`,
//! `recursive`); doc comments are shown as `///` lines.

use crate::ir::*;
use std::fmt::Write;
use std::path::Path;

/// Dumps `program`; file paths are shown relative to `base` when they are
/// inside it.
pub fn dump(program: &Program, base: &Path) -> String {
    let mut d = Dumper {
        program,
        out: String::new(),
    };
    let base = std::fs::canonicalize(base).unwrap_or_else(|_| base.to_path_buf());
    for (i, file) in program.files.iter().enumerate() {
        let path = file.path.strip_prefix(&base).unwrap_or(&file.path);
        let root = if program.roots.contains(&FileIdx(i as u32)) {
            " (root)"
        } else {
            ""
        };
        let _ = writeln!(d.out, "file {} as `{}`{root}", path.display(), file.stem);
        for ns in &file.namespaces {
            let _ = writeln!(
                d.out,
                "  namespace {} {}{}",
                ns.scope,
                ns.name,
                annotations(&ns.annotations)
            );
        }
        for inc in &file.includes {
            let inc = &program.file(*inc).path;
            let inc = inc.strip_prefix(&base).unwrap_or(inc);
            let _ = writeln!(d.out, "  include {}", inc.display());
        }
        for c in &file.cpp_includes {
            let _ = writeln!(d.out, "  cpp_include {c:?}");
        }
        for &id in &file.defs {
            d.def(id);
        }
        d.out.push('\n');
    }
    while d.out.ends_with("\n\n") {
        d.out.pop();
    }
    d.out
}

struct Dumper<'p> {
    program: &'p Program,
    out: String,
}

fn annotations(list: &[Annotation]) -> String {
    if list.is_empty() {
        return String::new();
    }
    let items: Vec<String> = list
        .iter()
        .map(|a| match &a.value {
            Some(v) => format!("{} = {v:?}", a.key),
            None => a.key.clone(),
        })
        .collect();
    format!(" ({})", items.join(", "))
}

impl Dumper<'_> {
    fn doc(&mut self, doc: &Doc, indent: &str) {
        if let Some(doc) = doc {
            for line in doc.lines() {
                let _ = writeln!(
                    self.out,
                    "{indent}///{}{line}",
                    if line.is_empty() { "" } else { " " }
                );
            }
        }
    }

    /// `Name` within the same file, `stem.Name` otherwise.
    fn name(&self, id: DefId, from: FileIdx) -> String {
        let def = self.program.def(id);
        if def.file == from {
            def.name.name.clone()
        } else {
            format!("{}.{}", self.program.file(def.file).stem, def.name.name)
        }
    }

    fn ty(&self, ty: &Type, from: FileIdx) -> String {
        let base = match &ty.kind {
            TypeKind::List(t) => format!("list<{}>", self.ty(t, from)),
            TypeKind::Set(t) => format!("set<{}>", self.ty(t, from)),
            TypeKind::Map(k, v) => format!("map<{}, {}>", self.ty(k, from), self.ty(v, from)),
            TypeKind::Named(id) => self.name(*id, from),
            base => base.base_name().unwrap_or_default().to_string(),
        };
        format!("{base}{}", annotations(&ty.annotations))
    }

    fn value(&self, v: &ConstValue, from: FileIdx) -> String {
        match v {
            ConstValue::Bool(b) => b.to_string(),
            ConstValue::Int(i) => i.to_string(),
            ConstValue::Double(d) => format!("{d:?}"),
            ConstValue::String(s) => format!("{s:?}"),
            ConstValue::Uuid(u) => {
                let hex: String = u.iter().map(|b| format!("{b:02x}")).collect();
                format!(
                    "uuid {}-{}-{}-{}-{}",
                    &hex[0..8],
                    &hex[8..12],
                    &hex[12..16],
                    &hex[16..20],
                    &hex[20..32]
                )
            }
            ConstValue::List(items) => format!("[{}]", self.values(items, from)),
            ConstValue::Set(items) => format!("set[{}]", self.values(items, from)),
            ConstValue::Map(entries) => {
                let items: Vec<String> = entries
                    .iter()
                    .map(|(k, v)| format!("{}: {}", self.value(k, from), self.value(v, from)))
                    .collect();
                format!("{{{}}}", items.join(", "))
            }
            ConstValue::Enum { def, index } => match &self.program.def(*def).kind {
                DefKind::Enum(e) => format!(
                    "{}.{} ({})",
                    self.name(*def, from),
                    e.values[*index].name.name,
                    e.values[*index].value
                ),
                _ => format!("{}[{index}]", self.name(*def, from)),
            },
            ConstValue::Struct { def, fields } => {
                let DefKind::Struct(s) = &self.program.def(*def).kind else {
                    return self.name(*def, from);
                };
                let items: Vec<String> = fields
                    .iter()
                    .map(|(i, v)| format!("{}: {}", s.fields[*i].name.name, self.value(v, from)))
                    .collect();
                format!("{} {{{}}}", self.name(*def, from), items.join(", "))
            }
        }
    }

    fn values(&self, items: &[ConstValue], from: FileIdx) -> String {
        items
            .iter()
            .map(|v| self.value(v, from))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn field(&self, f: &Field, from: FileIdx) -> String {
        let req = match f.req {
            Requiredness::Required => "required ",
            Requiredness::Optional => "optional ",
            Requiredness::Default => "",
        };
        let mut s = format!("{}: {req}{} {}", f.id, self.ty(&f.ty, from), f.name.name);
        if let Some(v) = &f.default {
            let _ = write!(s, " = {}", self.value(v, from));
        }
        s.push_str(&annotations(&f.annotations));
        let mut flags = Vec::new();
        if f.id_implicit {
            flags.push("implicit-id");
        }
        if f.reference {
            flags.push("ref");
        }
        if f.recursive {
            flags.push("recursive");
        }
        if !flags.is_empty() {
            let _ = write!(s, " [{}]", flags.join(", "));
        }
        s
    }

    fn def(&mut self, id: DefId) {
        let def = self.program.def(id);
        let from = def.file;
        self.doc(&def.doc, "  ");
        let ann = annotations(&def.annotations);
        let name = &def.name.name;
        match &def.kind {
            DefKind::Const(c) => {
                let line = format!(
                    "  const {} {name} = {}{ann}",
                    self.ty(&c.ty, from),
                    self.value(&c.value, from)
                );
                let _ = writeln!(self.out, "{line}");
            }
            DefKind::Typedef(t) => {
                let line = format!("  typedef {} {name}{ann}", self.ty(&t.target, from));
                let _ = writeln!(self.out, "{line}");
            }
            DefKind::Enum(e) => {
                let _ = writeln!(self.out, "  enum {name}{ann}");
                for v in &e.values {
                    self.doc(&v.doc, "    ");
                    let _ = writeln!(
                        self.out,
                        "    {} = {}{}",
                        v.name.name,
                        v.value,
                        annotations(&v.annotations)
                    );
                }
            }
            DefKind::Senum(values) => {
                let items: Vec<String> = values.iter().map(|(s, _)| format!("{s:?}")).collect();
                let _ = writeln!(self.out, "  senum {name} {{{}}}{ann}", items.join(", "));
            }
            DefKind::Struct(s) => {
                let kind = match s.kind {
                    StructKind::Struct => "struct",
                    StructKind::Union => "union",
                    StructKind::Exception => "exception",
                };
                let _ = writeln!(self.out, "  {kind} {name}{ann}");
                for f in &s.fields {
                    self.doc(&f.doc, "    ");
                    let line = self.field(f, from);
                    let _ = writeln!(self.out, "    {line}");
                }
            }
            DefKind::Service(s) => {
                let extends = s
                    .extends
                    .map(|b| format!(" extends {}", self.name(b, from)))
                    .unwrap_or_default();
                let _ = writeln!(self.out, "  service {name}{extends}{ann}");
                for f in &s.functions {
                    self.doc(&f.doc, "    ");
                    let args: Vec<String> = f.args.iter().map(|a| self.field(a, from)).collect();
                    let ret = f
                        .returns
                        .as_ref()
                        .map_or("void".to_string(), |t| self.ty(t, from));
                    let mut line = format!(
                        "    {}{ret} {}({})",
                        if f.oneway { "oneway " } else { "" },
                        f.name.name,
                        args.join(", ")
                    );
                    if !f.throws.is_empty() {
                        let throws: Vec<String> =
                            f.throws.iter().map(|t| self.field(t, from)).collect();
                        let _ = write!(line, " throws ({})", throws.join(", "));
                    }
                    line.push_str(&annotations(&f.annotations));
                    let _ = writeln!(self.out, "{line}");
                    for a in f.args.iter().chain(&f.throws) {
                        if let Some(doc) = &a.doc {
                            let first = doc.lines().next().unwrap_or_default();
                            let more = if doc.lines().count() > 1 { " ..." } else { "" };
                            let _ =
                                writeln!(self.out, "      `{}`: /// {first}{more}", a.name.name);
                        }
                    }
                }
            }
        }
    }
}
