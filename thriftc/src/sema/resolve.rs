//! Stage 2: definitions, name lookup, types, enums, fields and services.
//!
//! [`resolve`] drives the rest of the stage: constants ([`super::consts`]),
//! the checks on structs and services (here) and recursion
//! ([`super::graph`]).

use super::include::{Files, SourceDoc};
use super::suggest;
use crate::ast;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::ir::{self, DefId, DefKind, FileIdx, Requiredness, StructKind, TypeKind};
use crate::lint::Lint;
use crate::source::{SourceMap, Span};
use std::collections::{HashMap, HashSet};

/// What a name found by [`Resolver::lookup`] stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Found {
    Def(DefId),
    /// An enum value: the enum and the value's index.
    EnumValue(DefId, usize),
}

pub(super) enum Lookup {
    Found(Found),
    /// `stem.Name` where several files included under that name define it.
    Ambiguous(Vec<FileIdx>),
    NotFound,
}

/// Where a default value (or constant) waits to be evaluated.
#[derive(Clone, Copy, Debug)]
pub(super) enum Slot {
    StructField(DefId, usize),
    Arg(DefId, usize, usize),
}

pub(super) struct Resolver<'a> {
    pub docs: &'a [SourceDoc],
    /// Per file: definition name -> id.
    pub scopes: Vec<HashMap<String, DefId>>,
    /// Per definition: its file and its syntax.
    pub asts: Vec<(FileIdx, &'a ast::Definition)>,
    /// The definitions being built (same indices as `asts`).
    pub defs: Vec<ir::Def>,
    pub diags: &'a mut Diagnostics,
    /// Default values still to evaluate: where, the file, the syntax.
    pub pending_defaults: Vec<(Slot, FileIdx, &'a ast::ConstValue)>,
    pub const_state: Vec<super::consts::ConstState>,
    /// Per definition: does its Rust type implement `Default`? (See
    /// `consts::compute_has_default`; true for all but some structs.)
    pub has_default: Vec<bool>,
    /// What the value being evaluated is, for messages: "constant `C`",
    /// "the default of `S.f`".
    pub value_of: String,
    /// "Did you mean" hints still allowed: each costs a pass over every
    /// visible name, so a file with thousands of errors gets hints only for
    /// the first ones.
    pub hints_left: usize,
    /// The spans of written types that did not resolve (reported; their
    /// placeholder is `i32`), so that no value is checked against them.
    pub placeholders: HashSet<Span>,
}

/// Builds the [`ir::Program`]. On error, returns the sources so the caller
/// can render the diagnostics.
pub(super) fn resolve(files: Files, diags: &mut Diagnostics) -> Result<ir::Program, SourceMap> {
    let Files {
        sources,
        docs,
        roots,
    } = files;
    let mut r = Resolver {
        docs: &docs,
        scopes: Vec::new(),
        asts: Vec::new(),
        defs: Vec::new(),
        diags,
        pending_defaults: Vec::new(),
        const_state: Vec::new(),
        has_default: Vec::new(),
        value_of: String::new(),
        hints_left: 100,
        placeholders: HashSet::new(),
    };
    r.collect_definitions();
    r.build_definitions();
    r.check_typedef_cycles();
    // Before constants: whether a recursive field may be left out of one
    // depends on it.
    r.mark_recursive_fields();
    r.evaluate_constants();
    r.check_services();
    if r.diags.has_errors() {
        r.diags.sort();
        return Err(sources);
    }
    let defs = std::mem::take(&mut r.defs);
    let mut files = Vec::with_capacity(docs.len());
    let mut next_def = 0u32;
    for (i, d) in docs.iter().enumerate() {
        let mut namespaces = Vec::new();
        let mut cpp_includes = Vec::new();
        for h in &d.doc.headers {
            match h {
                ast::Header::Namespace {
                    scope,
                    name,
                    annotations,
                    span,
                } => namespaces.push(ir::Namespace {
                    scope: scope.name.clone(),
                    name: name.name.clone(),
                    annotations: annotations.clone(),
                    span: *span,
                }),
                ast::Header::CppInclude { path, .. } => cpp_includes.push(path.clone()),
                ast::Header::Include { .. } => {}
            }
        }
        let count = d.doc.definitions.len() as u32;
        files.push(ir::File {
            source: d.doc.file,
            path: d.path.clone(),
            stem: d.stem.clone(),
            namespaces,
            includes: d
                .includes
                .iter()
                .map(|inc| FileIdx(inc.file as u32))
                .collect(),
            cpp_includes,
            defs: (next_def..next_def + count).map(DefId).collect(),
        });
        next_def += count;
        debug_assert!(files.len() == i + 1);
    }
    Ok(ir::Program {
        sources,
        files,
        roots: roots.into_iter().map(|r| FileIdx(r as u32)).collect(),
        defs,
    })
}

/// A word for a definition's kind: "a struct", "an enum", ...
pub(super) fn kind_word(kind: &ast::DefinitionKind) -> &'static str {
    match kind {
        ast::DefinitionKind::Const { .. } => "a constant",
        ast::DefinitionKind::Typedef { .. } => "a typedef",
        ast::DefinitionKind::Enum { .. } => "an enum",
        ast::DefinitionKind::Senum { .. } => "a senum",
        ast::DefinitionKind::Struct { kind, .. } => match kind {
            StructKind::Struct => "a struct",
            StructKind::Union => "a union",
            StructKind::Exception => "an exception",
        },
        ast::DefinitionKind::Service { .. } => "a service",
    }
}

fn is_type(kind: &ast::DefinitionKind) -> bool {
    !matches!(
        kind,
        ast::DefinitionKind::Const { .. } | ast::DefinitionKind::Service { .. }
    )
}

impl<'a> Resolver<'a> {
    /// Assigns a [`DefId`] to every definition (files in order) and reports
    /// duplicate names within a file.
    fn collect_definitions(&mut self) {
        for (fi, d) in self.docs.iter().enumerate() {
            let mut scope: HashMap<String, DefId> = HashMap::new();
            for def in &d.doc.definitions {
                let id = DefId(self.asts.len() as u32);
                self.asts.push((FileIdx(fi as u32), def));
                if def.name.name.contains('.') {
                    self.diags.push(
                        Diagnostic::error(format!(
                            "a definition name cannot contain `.`: `{}`",
                            def.name.name
                        ))
                        .primary(def.name.span, "dots are for qualified names (`file.Name`)"),
                    );
                    continue;
                }
                if let Some(&first) = scope.get(&def.name.name) {
                    let first_span = self.asts[first.0 as usize].1.name.span;
                    self.diags.push(
                        Diagnostic::error(format!("`{}` is defined twice", def.name.name))
                            .primary(def.name.span, "defined again here")
                            .secondary(first_span, "first defined here"),
                    );
                    continue;
                }
                scope.insert(def.name.name.clone(), id);
            }
            self.scopes.push(scope);
        }
    }

    /// Looks a name up as seen from `file`: a local definition, `stem.Name`
    /// in a directly included file (`stem` being the name `file`'s own
    /// `include` gives it), `Enum.VALUE` or `stem.Enum.VALUE`.
    pub(super) fn lookup(&self, file: FileIdx, name: &str) -> Lookup {
        if let Some(found) = self.lookup_in(file, name) {
            return Lookup::Found(found);
        }
        if let Some((stem, rest)) = name.split_once('.') {
            let mut hits = Vec::new();
            let mut files = Vec::new();
            // Through this file's own includes: the name each gives its file.
            for inc in &self.docs[file.0 as usize].includes {
                let target = FileIdx(inc.file as u32);
                if inc.qualifier == stem && !files.contains(&target) {
                    files.push(target);
                    if let Some(found) = self.lookup_in(target, rest) {
                        hits.push((target, found));
                    }
                }
            }
            match hits.len() {
                0 => {}
                1 => return Lookup::Found(hits[0].1),
                _ => return Lookup::Ambiguous(hits.into_iter().map(|h| h.0).collect()),
            }
        }
        Lookup::NotFound
    }

    /// `Name` or `Enum.VALUE` defined in `file` itself.
    fn lookup_in(&self, file: FileIdx, name: &str) -> Option<Found> {
        let scope = &self.scopes[file.0 as usize];
        if let Some(&id) = scope.get(name) {
            return Some(Found::Def(id));
        }
        let (enum_name, value) = name.rsplit_once('.')?;
        let &id = scope.get(enum_name)?;
        if let ast::DefinitionKind::Enum { values } = &self.asts[id.0 as usize].1.kind {
            let index = values.iter().position(|v| v.name.name == value)?;
            return Some(Found::EnumValue(id, index));
        }
        None
    }

    /// Every name visible from `file` that `want` accepts, spelled as the
    /// file would write it (for "did you mean" hints).
    pub(super) fn visible_names(
        &self,
        file: FileIdx,
        want: &dyn Fn(&ast::DefinitionKind) -> bool,
        with_enum_values: bool,
    ) -> Vec<String> {
        let mut names = Vec::new();
        let add_file = |f: FileIdx, prefix: &str, names: &mut Vec<String>| {
            for def in &self.docs[f.0 as usize].doc.definitions {
                if want(&def.kind) {
                    names.push(format!("{prefix}{}", def.name.name));
                }
                if with_enum_values {
                    if let ast::DefinitionKind::Enum { values } = &def.kind {
                        for v in values {
                            names.push(format!("{prefix}{}.{}", def.name.name, v.name.name));
                        }
                    }
                }
            }
        };
        add_file(file, "", &mut names);
        for inc in &self.docs[file.0 as usize].includes {
            let prefix = format!("{}.", inc.qualifier);
            add_file(FileIdx(inc.file as u32), &prefix, &mut names);
        }
        names
    }

    /// Reports an undefined name, with a hint when a visible name is close.
    pub(super) fn undefined(
        &mut self,
        file: FileIdx,
        ident: &ast::Ident,
        what: &str,
        want: &dyn Fn(&ast::DefinitionKind) -> bool,
        with_enum_values: bool,
    ) {
        if self.was_skipped(file, &ident.name) {
            return;
        }
        let mut names = if self.hints_left > 0 {
            self.hints_left -= 1;
            self.visible_names(file, want, with_enum_values)
        } else {
            Vec::new()
        };
        if what == "type" {
            // A misspelt base type (`Strin`, `i23`) is as likely as a
            // misspelt definition.
            names.extend(BASE_TYPES.iter().map(|t| t.to_string()));
        }
        let mut d = Diagnostic::error(format!("cannot find {what} `{}`", ident.name))
            .primary(ident.span, "not defined");
        if let Some(best) = suggest::closest(&ident.name, names.iter().map(String::as_str)) {
            d = d.help(format!("did you mean `{best}`?"));
        } else if let Some((stem, _)) = ident.name.split_once('.') {
            let included = self.docs[file.0 as usize]
                .includes
                .iter()
                .any(|inc| inc.qualifier == stem);
            if !included && !self.scopes[file.0 as usize].contains_key(stem) {
                d = d.note(format!(
                    "no included file is named `{stem}.thrift`; qualified names need an `include`"
                ));
            }
        }
        self.diags.push(d);
    }

    /// Whether `name`, seen from `file`, may name a definition that a
    /// syntax error made the parser skip: `Name` or `Enum.VALUE` skipped in
    /// `file`, `stem.Name` or `stem.Enum.VALUE` skipped in a file `file`
    /// includes as `stem`, any qualified name in a file whose skipped
    /// text held an `include`, or `stem.Name` where `file`'s include
    /// named `stem` could not be read. Its use is then no error of its
    /// own.
    pub(super) fn was_skipped(&self, file: FileIdx, name: &str) -> bool {
        let skipped_in = |f: usize, name: &str| {
            let first = name.split('.').next().unwrap_or(name);
            self.docs[f]
                .doc
                .skipped
                .names
                .iter()
                .any(|n| n.name == first)
        };
        let doc = &self.docs[file.0 as usize];
        if skipped_in(file.0 as usize, name) {
            return true;
        }
        let Some((stem, rest)) = name.split_once('.') else {
            return false;
        };
        doc.doc.skipped.include
            || doc.lost.iter().any(|lost| lost == stem)
            || doc
                .includes
                .iter()
                .any(|inc| inc.qualifier == stem && skipped_in(inc.file, rest))
    }

    pub(super) fn ambiguous(&mut self, ident: &ast::Ident, files: &[FileIdx]) {
        let mut d = Diagnostic::error(format!("`{}` is ambiguous", ident.name))
            .primary(ident.span, "defined in more than one included file");
        let qualifier = ident.name.split_once('.').map_or("", |(q, _)| q);
        for f in files {
            for inc in &self.docs[self.asts_file_of_ident(ident)].includes {
                if inc.file == f.0 as usize && inc.qualifier == qualifier {
                    d = d.secondary(inc.span, format!("`{}` is included here", inc.qualifier));
                }
            }
        }
        self.diags
            .push(d.note("two included files have the same name; rename one of them"));
    }

    fn asts_file_of_ident(&self, ident: &ast::Ident) -> usize {
        self.docs
            .iter()
            .position(|d| d.doc.file == ident.span.file)
            .unwrap_or(0)
    }

    /// The name of a definition as `file` would write it: qualified by the
    /// name `from` includes its file by (the file's own stem when `from`
    /// does not include it).
    pub(super) fn def_name(&self, id: DefId, from: FileIdx) -> String {
        let (file, def) = self.asts[id.0 as usize];
        if file == from {
            return def.name.name.clone();
        }
        let qualifier = self.docs[from.0 as usize]
            .includes
            .iter()
            .find(|inc| inc.file == file.0 as usize)
            .map_or(&self.docs[file.0 as usize].stem, |inc| &inc.qualifier);
        format!("{qualifier}.{}", def.name.name)
    }

    /// A type as Thrift would write it, seen from `from`.
    pub(super) fn type_name(&self, ty: &ir::Type, from: FileIdx) -> String {
        match &ty.kind {
            TypeKind::List(t) => format!("list<{}>", self.type_name(t, from)),
            TypeKind::Set(t) => format!("set<{}>", self.type_name(t, from)),
            TypeKind::Map(k, v) => format!(
                "map<{}, {}>",
                self.type_name(k, from),
                self.type_name(v, from)
            ),
            TypeKind::Named(id) => self.def_name(*id, from),
            base => base.base_name().unwrap_or_default().into(),
        }
    }

    /// Resolves a written type. Undefined names are reported; the result
    /// then holds a placeholder (no program is built after an error).
    pub(super) fn resolve_type(&mut self, file: FileIdx, ty: &ast::Type) -> ir::Type {
        let kind = match &ty.kind {
            ast::TypeKind::Base(b) => match b {
                ast::BaseType::Bool => TypeKind::Bool,
                ast::BaseType::I8 => TypeKind::I8,
                ast::BaseType::I16 => TypeKind::I16,
                ast::BaseType::I32 => TypeKind::I32,
                ast::BaseType::I64 => TypeKind::I64,
                ast::BaseType::Double => TypeKind::Double,
                ast::BaseType::String => TypeKind::String,
                ast::BaseType::Binary => TypeKind::Binary,
                ast::BaseType::Uuid => TypeKind::Uuid,
                ast::BaseType::Slist => {
                    self.diags.push(
                        Diagnostic::warning("`slist` is deprecated")
                            .lint(Lint::DeprecatedSyntax)
                            .primary(ty.span, "read as `string`")
                            .help("write `string`"),
                    );
                    TypeKind::String
                }
            },
            ast::TypeKind::List(t) => TypeKind::List(Box::new(self.resolve_type(file, t))),
            ast::TypeKind::Set(t) => TypeKind::Set(Box::new(self.resolve_type(file, t))),
            ast::TypeKind::Map(k, v) => TypeKind::Map(
                Box::new(self.resolve_type(file, k)),
                Box::new(self.resolve_type(file, v)),
            ),
            ast::TypeKind::Named(ident) => match self.lookup(file, &ident.name) {
                Lookup::Found(Found::Def(id)) if is_type(&self.asts[id.0 as usize].1.kind) => {
                    TypeKind::Named(id)
                }
                Lookup::Found(Found::Def(id)) => {
                    let def = self.asts[id.0 as usize].1;
                    self.diags.push(
                        Diagnostic::error(format!(
                            "`{}` is {}, not a type",
                            ident.name,
                            kind_word(&def.kind)
                        ))
                        .primary(ident.span, "expected a type")
                        .secondary(def.name.span, "defined here"),
                    );
                    self.placeholders.insert(ty.span);
                    TypeKind::I32
                }
                Lookup::Found(Found::EnumValue(..)) => {
                    self.diags.push(
                        Diagnostic::error(format!("`{}` is an enum value, not a type", ident.name))
                            .primary(ident.span, "expected a type"),
                    );
                    self.placeholders.insert(ty.span);
                    TypeKind::I32
                }
                Lookup::Ambiguous(files) => {
                    self.ambiguous(ident, &files);
                    self.placeholders.insert(ty.span);
                    TypeKind::I32
                }
                Lookup::NotFound => {
                    self.undefined(file, ident, "type", &is_type, false);
                    self.placeholders.insert(ty.span);
                    TypeKind::I32
                }
            },
        };
        ir::Type {
            kind,
            annotations: ty.annotations.clone(),
            span: ty.span,
        }
    }

    /// Builds every [`ir::Def`]: types resolved, enum values assigned,
    /// fields checked. Constants and defaults are filled in later.
    fn build_definitions(&mut self) {
        for i in 0..self.asts.len() {
            let (file, def) = self.asts[i];
            let id = DefId(i as u32);
            let kind = match &def.kind {
                ast::DefinitionKind::Const { ty, .. } => DefKind::Const(ir::Const {
                    ty: self.resolve_type(file, ty),
                    value: ir::ConstValue::Bool(false),
                }),
                ast::DefinitionKind::Typedef { target } => DefKind::Typedef(ir::Typedef {
                    target: self.resolve_type(file, target),
                }),
                ast::DefinitionKind::Enum { values } => {
                    DefKind::Enum(self.build_enum(&def.name.name, values))
                }
                ast::DefinitionKind::Senum { values } => {
                    self.diags.push(
                        Diagnostic::warning("`senum` is deprecated")
                            .lint(Lint::DeprecatedSyntax)
                            .primary(def.name.span, "a string enum")
                            .help("use an `enum`, or `string` with constants"),
                    );
                    DefKind::Senum(values.clone())
                }
                ast::DefinitionKind::Struct { kind, fields } => {
                    let fields = self.build_fields(file, fields, FieldsOf::Struct(*kind), id, 0);
                    DefKind::Struct(ir::Struct {
                        kind: *kind,
                        fields,
                    })
                }
                ast::DefinitionKind::Service { extends, functions } => {
                    let extends = extends.as_ref().and_then(|e| self.resolve_extends(file, e));
                    let functions = functions
                        .iter()
                        .enumerate()
                        .map(|(fi, f)| self.build_function(file, id, fi, f))
                        .collect();
                    DefKind::Service(ir::Service { extends, functions })
                }
            };
            self.defs.push(ir::Def {
                name: def.name.clone(),
                file,
                doc: def.doc.clone(),
                annotations: def.annotations.clone(),
                kind,
                span: def.span,
            });
        }
    }

    /// Assigns the values of enum `name`, reporting names defined twice,
    /// values beyond i32, and numbers given to a second name.
    fn build_enum(&mut self, name: &str, values: &[ast::EnumValue]) -> ir::Enum {
        let mut out = Vec::with_capacity(values.len());
        let mut names: HashMap<&str, Span> = HashMap::new();
        // The first name given each number.
        let mut numbers: HashMap<i32, &ast::Ident> = HashMap::new();
        let mut next: i64 = 0;
        for v in values {
            let (value, span) = match v.value {
                Some((n, span)) => (n, span),
                None => (next, v.name.span),
            };
            let value = match i32::try_from(value) {
                Ok(value) => {
                    self.check_enum_number(name, &mut numbers, &v.name, value);
                    value
                }
                Err(_) => {
                    self.diags.push(
                        Diagnostic::error(format!("enum value {value} does not fit in i32"))
                            .primary(span, "out of range")
                            .note("enum values are i32: -2147483648..=2147483647"),
                    );
                    0
                }
            };
            next = i64::from(value) + 1;
            if let Some(first) = names.get(v.name.name.as_str()) {
                self.diags.push(
                    Diagnostic::error(format!("duplicate enum value name `{}`", v.name.name))
                        .primary(v.name.span, "defined again here")
                        .secondary(*first, "first defined here"),
                );
            } else {
                names.insert(&v.name.name, v.name.span);
            }
            out.push(ir::EnumValue {
                name: v.name.clone(),
                value,
                doc: v.doc.clone(),
                annotations: v.annotations.clone(),
                span: v.span,
            });
        }
        ir::Enum { values: out }
    }

    /// Two names may share a number (Apache Thrift allows it, silently),
    /// but the generated enum knows a number by its first name only: a
    /// warning at the second, saying so.
    fn check_enum_number<'n>(
        &mut self,
        enum_name: &str,
        numbers: &mut HashMap<i32, &'n ast::Ident>,
        name: &'n ast::Ident,
        value: i32,
    ) {
        let Some(first) = numbers.get(&value) else {
            numbers.insert(value, name);
            return;
        };
        if first.name == name.name {
            // The same name again: reported as a duplicate name.
            return;
        }
        let first_span = first.span;
        let (first, second) = (&first.name, &name.name);
        let warning = Diagnostic::warning(format!(
            "`{enum_name}.{second}` has the same number as `{enum_name}.{first}` ({value})"
        ))
        .lint(Lint::EnumAlias)
        .primary(name.span, format!("{value} again"))
        .secondary(first_span, format!("first given {value} here"))
        .note(format!(
            "the generated enum knows {value} as `{first}`: a received {value} prints as \
             `{first}` (`name()`, `Debug`) and `VALUES` lists it once; `{second}` is a second \
             name for the same value"
        ))
        .help(format!(
            "give `{second}` a number of its own, unless it is meant as a second name for \
             `{first}`"
        ));
        self.diags.push(warning);
    }

    fn build_fields(
        &mut self,
        file: FileIdx,
        fields: &'a [ast::Field],
        of: FieldsOf,
        owner: DefId,
        function: usize,
    ) -> Vec<ir::Field> {
        let mut out = Vec::with_capacity(fields.len());
        let mut ids: HashMap<i16, Span> = HashMap::new();
        let mut names: HashMap<&str, Span> = HashMap::new();
        let mut next_implicit: i16 = -1;
        for (index, f) in fields.iter().enumerate() {
            let (id, id_implicit) = match f.id {
                Some((n, span)) => match i16::try_from(n) {
                    Ok(n) if n > 0 => (n, false),
                    // As Apache's compiler does (without `--allow-neg-keys`):
                    // an id of 0 or below (however large) counts as none, so
                    // that both put the same ids on the wire.
                    _ if n <= 0 => {
                        let id = next_implicit;
                        next_implicit = next_implicit.saturating_sub(1);
                        self.diags.push(
                            Diagnostic::warning(format!(
                                "field `{}` has id {n}, which is not positive",
                                f.name.name
                            ))
                            .lint(Lint::ImplicitFieldId)
                            .primary(span, format!("given id {id} instead"))
                            .note(
                                "Apache Thrift numbers a field with an id of 0 or below as one \
                                 without an id (-1, -2, ...); thriftc does the same, so that \
                                 both agree on the wire",
                            )
                            .help("write a positive id"),
                        );
                        (id, true)
                    }
                    _ => {
                        self.diags.push(
                            Diagnostic::error(format!("field id {n} is out of range"))
                                .primary(span, "not an i16")
                                .note("field ids are i16: at most 32767"),
                        );
                        (0, false)
                    }
                },
                None => {
                    let id = next_implicit;
                    next_implicit = next_implicit.saturating_sub(1);
                    self.diags.push(
                        Diagnostic::warning(format!("field `{}` has no id", f.name.name))
                            .lint(Lint::ImplicitFieldId)
                            .primary(f.name.span, format!("given id {id}"))
                            .help(format!(
                                "write an explicit id (`N: ... {}`) so that the wire format cannot change by accident",
                                f.name.name
                            )),
                    );
                    (id, true)
                }
            };
            let id_span = f.id.map_or(f.name.span, |(_, s)| s);
            if let Some(first) = ids.get(&id) {
                self.diags.push(
                    Diagnostic::error(format!("duplicate field id {id} in {}", of.describe()))
                        .primary(id_span, format!("`{}` uses id {id}", f.name.name))
                        .secondary(*first, "first used here"),
                );
            } else {
                ids.insert(id, id_span);
            }
            if let Some(first) = names.get(f.name.name.as_str()) {
                self.diags.push(
                    Diagnostic::error(format!(
                        "duplicate field name `{}` in {}",
                        f.name.name,
                        of.describe()
                    ))
                    .primary(f.name.span, "defined again here")
                    .secondary(*first, "first defined here"),
                );
            } else {
                names.insert(&f.name.name, f.name.span);
            }
            let req = self.field_requiredness(f, of);
            let ty = self.resolve_type(file, &f.ty);
            if let Some(default) = &f.default {
                let slot = match of {
                    FieldsOf::Struct(_) => Some(Slot::StructField(owner, index)),
                    FieldsOf::Args => Some(Slot::Arg(owner, function, index)),
                    FieldsOf::Throws => None,
                };
                if let Some(slot) = slot {
                    self.pending_defaults.push((slot, file, default));
                }
            }
            out.push(ir::Field {
                id,
                id_implicit,
                name: f.name.clone(),
                ty,
                req,
                default: None,
                doc: f.doc.clone(),
                annotations: f.annotations.clone(),
                reference: f.reference,
                recursive: false,
                span: f.span,
            });
        }
        out
    }

    /// The requiredness field `f` gets in `of`. A keyword Apache's
    /// compiler ignores there is ignored with a warning, as it does:
    /// `required` on a union field (exactly one field of a union is set,
    /// whatever the keywords say) and `optional` on an argument or a
    /// `throws` entry (an argument is always sent; a `throws` entry is
    /// always optional in the result).
    fn field_requiredness(&mut self, f: &ast::Field, of: FieldsOf) -> Requiredness {
        let span = f.req_span.unwrap_or(f.span);
        match (of, f.req) {
            (FieldsOf::Struct(StructKind::Union), Requiredness::Required) => {
                self.diags.push(
                    Diagnostic::warning(format!(
                        "`required` is ignored on union field `{}`",
                        f.name.name
                    ))
                    .lint(Lint::IgnoredKeyword)
                    .primary(span, "ignored: a union field is never required")
                    .note("exactly one field of a union is set, whichever it is")
                    .help("remove `required`"),
                );
                Requiredness::Default
            }
            (FieldsOf::Args | FieldsOf::Throws, Requiredness::Optional) => {
                let (what, why) = if of == FieldsOf::Args {
                    (
                        "argument",
                        "an argument is always sent, as Apache Thrift sends it",
                    )
                } else {
                    (
                        "`throws` entry",
                        "a `throws` entry is always optional in the reply",
                    )
                };
                self.diags.push(
                    Diagnostic::warning(format!(
                        "`optional` is ignored on {what} `{}`",
                        f.name.name
                    ))
                    .lint(Lint::IgnoredKeyword)
                    .primary(span, format!("ignored: {why}"))
                    .help("remove `optional`"),
                );
                Requiredness::Default
            }
            (_, req) => req,
        }
    }

    fn resolve_extends(&mut self, file: FileIdx, base: &ast::Ident) -> Option<DefId> {
        let is_service = |k: &ast::DefinitionKind| matches!(k, ast::DefinitionKind::Service { .. });
        match self.lookup(file, &base.name) {
            Lookup::Found(Found::Def(id)) if is_service(&self.asts[id.0 as usize].1.kind) => {
                Some(id)
            }
            Lookup::Found(Found::Def(id)) => {
                let def = self.asts[id.0 as usize].1;
                self.diags.push(
                    Diagnostic::error(format!(
                        "a service can only extend a service, but `{}` is {}",
                        base.name,
                        kind_word(&def.kind)
                    ))
                    .primary(base.span, "not a service")
                    .secondary(def.name.span, "defined here"),
                );
                None
            }
            Lookup::Found(Found::EnumValue(..)) => {
                self.diags.push(
                    Diagnostic::error(format!("`{}` is an enum value, not a service", base.name))
                        .primary(base.span, "not a service"),
                );
                None
            }
            Lookup::Ambiguous(files) => {
                self.ambiguous(base, &files);
                None
            }
            Lookup::NotFound => {
                self.undefined(file, base, "service", &is_service, false);
                None
            }
        }
    }

    fn build_function(
        &mut self,
        file: FileIdx,
        service: DefId,
        index: usize,
        f: &'a ast::Function,
    ) -> ir::Function {
        let returns = f.returns.as_ref().map(|t| self.resolve_type(file, t));
        let args = self.build_fields(file, &f.args, FieldsOf::Args, service, index);
        let throws = self.build_fields(file, &f.throws, FieldsOf::Throws, service, index);
        if f.oneway {
            let oneway = f.oneway_span.unwrap_or(f.name.span);
            if let Some(ret) = &f.returns {
                self.diags.push(
                    Diagnostic::error(format!(
                        "oneway function `{}` must return `void`",
                        f.name.name
                    ))
                    .primary(ret.span, "a oneway call gets no reply")
                    .secondary(oneway, "declared oneway here"),
                );
            }
            if !f.throws.is_empty() {
                self.diags.push(
                    Diagnostic::error(format!("oneway function `{}` cannot throw", f.name.name))
                        .primary(
                            f.throws_span.unwrap_or(f.span),
                            "a oneway call gets no reply",
                        )
                        .secondary(oneway, "declared oneway here"),
                );
            }
        }
        for (t, written) in throws.iter().zip(&f.throws) {
            let target = self.resolve_typedefs(&t.ty);
            let ok = match target.kind {
                TypeKind::Named(id) => matches!(
                    &self.asts[id.0 as usize].1.kind,
                    ast::DefinitionKind::Struct {
                        kind: StructKind::Exception,
                        ..
                    }
                ),
                _ => false,
            };
            // A name that failed to resolve (here or in a typedef) was
            // reported.
            let placeholder = self.placeholders.contains(&written.ty.span)
                || self.placeholders.contains(&target.span);
            if !ok && !placeholder {
                let what = match target.kind {
                    TypeKind::Named(id) => kind_word(&self.asts[id.0 as usize].1.kind).to_string(),
                    _ => format!("`{}`", self.type_name(&target, file)),
                };
                self.diags.push(
                    Diagnostic::error(format!(
                        "`throws` lists `{}`, which is not an exception",
                        self.type_name(&t.ty, file)
                    ))
                    .primary(t.ty.span, format!("this is {what}"))
                    .help("only types declared with `exception` can be thrown"),
                );
            }
        }
        ir::Function {
            name: f.name.clone(),
            oneway: f.oneway,
            returns,
            args,
            throws,
            doc: f.doc.clone(),
            annotations: f.annotations.clone(),
            span: f.span,
        }
    }

    /// Follows typedefs to the type they stand for. A chain without a cycle
    /// has at most one link per definition; the bound stops a cycle
    /// (reported separately).
    pub(super) fn resolve_typedefs(&self, ty: &ir::Type) -> ir::Type {
        let mut t = ty.clone();
        for _ in 0..=self.defs.len() {
            match &t.kind {
                TypeKind::Named(id) => match self.defs.get(id.0 as usize).map(|d| &d.kind) {
                    Some(DefKind::Typedef(td)) => t = td.target.clone(),
                    _ => return t,
                },
                _ => return t,
            }
        }
        t
    }

    /// Reports typedefs that (through other typedefs) name themselves, each
    /// cycle once, at its first definition. Every typedef is walked once
    /// (linear in the number of definitions, however long the chains).
    fn check_typedef_cycles(&mut self) {
        #[derive(Clone, Copy, PartialEq)]
        enum Walk {
            New,
            OnPath,
            Done,
        }
        let mut walk = vec![Walk::New; self.defs.len()];
        let mut cycles = Vec::new();
        for start in 0..self.defs.len() {
            let mut path: Vec<usize> = Vec::new();
            let mut at = start;
            while let DefKind::Typedef(td) = &self.defs[at].kind {
                match walk[at] {
                    Walk::Done => break,
                    Walk::OnPath => {
                        // The cycle is the path from `at` on.
                        let from = path.iter().position(|&d| d == at).unwrap_or(0);
                        cycles.push(path[from..].to_vec());
                        break;
                    }
                    Walk::New => {}
                }
                walk[at] = Walk::OnPath;
                path.push(at);
                match td.target.kind {
                    TypeKind::Named(id) => at = id.0 as usize,
                    _ => break,
                }
            }
            for d in path {
                walk[d] = Walk::Done;
            }
        }
        // Each named from its first definition, in the order it links, and
        // reported in the order of those definitions.
        for cycle in &mut cycles {
            let first = (0..cycle.len()).min_by_key(|&k| cycle[k]).unwrap_or(0);
            cycle.rotate_left(first);
        }
        cycles.sort_unstable_by_key(|c| c[0]);
        for cycle in cycles {
            let names: Vec<&str> = cycle
                .iter()
                .map(|&d| self.defs[d].name.name.as_str())
                .collect();
            let i = cycle[0];
            self.diags.push(
                Diagnostic::error(format!(
                    "typedef `{}` refers to itself",
                    self.defs[i].name.name
                ))
                .primary(self.defs[i].name.span, "cyclic typedef")
                .note(format!("cycle: {} -> {}", names.join(" -> "), names[0])),
            );
        }
    }

    /// Checks `extends` chains (cycles) and duplicate function names, also
    /// against inherited functions.
    fn check_services(&mut self) {
        for i in 0..self.defs.len() {
            let DefKind::Service(service) = &self.defs[i].kind else {
                continue;
            };
            let file = self.defs[i].file;
            // Inherited functions: name -> (service, span).
            let mut inherited: HashMap<&str, (DefId, Span)> = HashMap::new();
            let mut chain = vec![DefId(i as u32)];
            let mut base = service.extends;
            let mut cycle = false;
            while let Some(b) = base {
                if chain.contains(&b) {
                    cycle = b == DefId(i as u32) && chain.iter().all(|d| d.0 >= i as u32);
                    break;
                }
                chain.push(b);
                let DefKind::Service(bs) = &self.defs[b.0 as usize].kind else {
                    break;
                };
                for f in &bs.functions {
                    inherited
                        .entry(f.name.name.as_str())
                        .or_insert((b, f.name.span));
                }
                base = bs.extends;
            }
            let mut problems = Vec::new();
            if cycle {
                let names: Vec<String> = chain.iter().map(|d| self.def_name(*d, file)).collect();
                problems.push(
                    Diagnostic::error(format!(
                        "service `{}` extends itself",
                        self.defs[i].name.name
                    ))
                    .primary(self.defs[i].name.span, "cyclic `extends`")
                    .note(format!(
                        "cycle: {} -> {}",
                        names.join(" -> "),
                        names[0]
                    )),
                );
            }
            let mut own: HashMap<&str, Span> = HashMap::new();
            for f in &service.functions {
                if let Some(first) = own.get(f.name.name.as_str()) {
                    problems.push(
                        Diagnostic::error(format!("duplicate function `{}`", f.name.name))
                            .primary(f.name.span, "defined again here")
                            .secondary(*first, "first defined here"),
                    );
                    continue;
                }
                own.insert(&f.name.name, f.name.span);
                if let Some((base, span)) = inherited.get(f.name.name.as_str()) {
                    problems.push(
                        Diagnostic::error(format!(
                            "function `{}` is already defined in base service `{}`",
                            f.name.name,
                            self.def_name(*base, file)
                        ))
                        .primary(f.name.span, "defined again here")
                        .secondary(*span, "inherited from here")
                        .note("a service cannot redefine (override) an inherited function"),
                    );
                }
            }
            for p in problems {
                self.diags.push(p);
            }
        }
    }
}

/// Which list of fields is being built (for messages and checks).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum FieldsOf {
    Struct(StructKind),
    Args,
    Throws,
}

impl FieldsOf {
    fn describe(self) -> &'static str {
        match self {
            FieldsOf::Struct(StructKind::Struct) => "struct",
            FieldsOf::Struct(StructKind::Union) => "union",
            FieldsOf::Struct(StructKind::Exception) => "exception",
            FieldsOf::Args => "argument list",
            FieldsOf::Throws => "throws list",
        }
    }
}

/// The base type names of the language, offered as hints for an unknown type.
const BASE_TYPES: &[&str] = &[
    "bool", "byte", "i8", "i16", "i32", "i64", "double", "string", "binary", "uuid",
];
