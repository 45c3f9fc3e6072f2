//! Each definition planned as an item: structs, exceptions and unions with
//! their fields, enums, typedefs, constants, and services with their
//! functions' argument and result structs.

use super::serde_option::SERDE_DERIVE;
use super::{
    Code, Const, DefaultImpl, Enum, EnumValue, Field, Function, Item, Planner, Pref, Service,
    Struct, Ty, Typedef, ViewServer,
};
use crate::codegen::Error;
use crate::codegen::names::{self, RustName, Scope};
use crate::diagnostic::Diagnostic;
use crate::ir::{self, ConstValue, DefId, DefKind, Requiredness, StructKind};
use crate::lint::Lint;
use crate::options::path_matches;

impl Planner<'_> {
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

    pub(super) fn plan_def(&mut self, id: DefId, scope: &mut Scope) -> Result<Item, Error> {
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

/// An empty `list`, `set` or `map` value.
fn is_empty_container(v: &ir::ConstValue) -> bool {
    match v {
        ir::ConstValue::List(items) | ir::ConstValue::Set(items) => items.is_empty(),
        ir::ConstValue::Map(entries) => entries.is_empty(),
        _ => false,
    }
}
