//! The `serde` option: derives and attributes of structs, exceptions and
//! unions, and the runtime adapters for `binary` and `double` values.

use super::{Code, DefaultImpl, Field, Planner, Pref, Struct, Ty};
use crate::ir::{self, DefKind, StructKind};

/// serde's derives, by absolute paths: the user's crate needs only `serde`.
pub(super) const SERDE_DERIVE: &str = "#[derive(::serde::Serialize, ::serde::Deserialize)]";

impl Planner<'_> {
    /// serde's derives and attributes of a struct, exception or union
    /// ([`Options::serde`]), from its fields as planned; planned again
    /// after a change to them (a function's result struct). A document
    /// reads as the wire does: a missing optional field is `None`, missing
    /// unknown fields none, a missing default-requiredness field its IDL
    /// default (or its type's default), and a missing field whose absence
    /// fails a Thrift read fails the serde read too. With no such field,
    /// `#[serde(default)]` on the struct takes every missing field from the
    /// struct's `Default`, which holds the IDL defaults; with one, each
    /// other field gets its own default. Optional fields and empty unknown
    /// fields are left out when written. Kept unknown fields (a union's
    /// unknown variant) are read by a function that refuses one with the id
    /// and wire type of a known field, which only a document can hold.
    pub(super) fn plan_serde(&self, s: &mut Struct) {
        if !self.options.serde {
            return;
        }
        s.serde = vec![Code::new(SERDE_DERIVE)];
        s.unknown_fields_serde.clear();
        s.serde_unknown_fn = None;
        let union = s.kind == StructKind::Union;
        for f in &mut s.fields {
            f.serde.clear();
            if let Some(with) = self.serde_with(f, union) {
                f.serde.push(Code(with));
            }
        }
        if union {
            if !s.fields.is_empty() {
                // Variants are named in CamelCase: no clash with the
                // function's name.
                s.unknown_fields_serde.push(Code(format!(
                    "#[serde(deserialize_with = \"{}::serde_unknown\")]",
                    s.name.as_str()
                )));
                s.serde_unknown_fn = Some("serde_unknown".to_owned());
            }
            return;
        }
        let whole =
            s.default_impl != DefaultImpl::None && !s.fields.iter().any(Field::absence_fails);
        if whole {
            s.serde.push(Code::new("#[serde(default)]"));
        }
        for f in &mut s.fields {
            f.serde_default_fn = None;
            if f.is_optional() {
                f.serde.push(Code::new(
                    "#[serde(default, skip_serializing_if = \"Option::is_none\")]",
                ));
            } else if whole || f.absence_fails() {
                // Taken from the struct's `Default`, or must be present.
            } else if f.default.is_some() {
                // A legal field name starts with at most one `_` (before a
                // digit), and a snake-case name has no `__`.
                let func = format!("serde_default_{}", f.name.unraw().trim_start_matches('_'));
                f.serde.push(Code(format!(
                    "#[serde(default = \"{}::{func}\")]",
                    s.name.as_str()
                )));
                f.serde_default_fn = Some(func);
            } else {
                f.serde.push(Code::new("#[serde(default)]"));
            }
        }
        if s.unknown_fields.is_some() {
            s.unknown_fields_serde = vec![Code::new(
                "#[serde(default, skip_serializing_if = \"Vec::is_empty\")]",
            )];
            if !s.fields.is_empty() {
                // `serde_default_` functions have another prefix.
                s.unknown_fields_serde.push(Code(format!(
                    "#[serde(deserialize_with = \"{}::serde_unknown_fields\")]",
                    s.name.as_str()
                )));
                s.serde_unknown_fn = Some("serde_unknown_fields".to_owned());
            }
        }
    }

    /// serde's `with` attribute for a field whose type holds a `binary` or
    /// a `double` ([`Options::serde`]): the runtime's adapters write
    /// `binary` as base64 and a NaN or infinite `double` with its bits in
    /// human-readable formats, where serde's own forms are an array of
    /// numbers and a `null` that does not read back.
    /// A union's variants hold their values whatever their requiredness
    /// (`union`).
    fn serde_with(&self, f: &Field, union: bool) -> Option<String> {
        // Generated modules reach the runtime's facade as `__rt`.
        let rt = format!("{}::serde_as", crate::codegen::items::RT);
        let mut adapter = self.serde_adapter(&f.ty, &rt)?;
        if f.boxed {
            adapter = format!("{rt}::Boxed<{adapter}>");
        }
        if f.is_optional() && !union {
            adapter = format!("{rt}::Opt<{adapter}>");
        }
        Some(format!("#[serde(with = \"{rt}::As::<{adapter}>\")]"))
    }

    /// The adapter (a type path under `rt`) of a value of type `ty`, when
    /// it holds a `binary` or a `double` (see [`Planner::serde_with`]).
    /// Typedefs are followed to the end of their chains; the kind of a set
    /// or map does not matter, as each adapter takes every kind.
    fn serde_adapter(&self, ty: &Ty, rt: &str) -> Option<String> {
        let inner = |t: &Ty| self.serde_adapter(t, rt);
        match ty {
            Ty::Binary | Ty::Bytes => Some(format!("{rt}::Binary")),
            Ty::Double => Some(format!("{rt}::Double")),
            Ty::List(e) => inner(e).map(|a| format!("{rt}::List<{a}>")),
            Ty::Set(_, e) => inner(e).map(|a| format!("{rt}::Set<{a}>")),
            Ty::Map(_, k, v) => match (inner(k), inner(v)) {
                (None, None) => None,
                (k, v) => {
                    let same = || format!("{rt}::Same");
                    Some(format!(
                        "{rt}::Map<{}, {}>",
                        k.unwrap_or_else(same),
                        v.unwrap_or_else(same)
                    ))
                }
            },
            Ty::Named(id) => match &self.program.def(*id).kind {
                DefKind::Typedef(td) => {
                    let end = self.through_typedefs(&td.target);
                    if matches!(end.kind, ir::TypeKind::Named(_)) {
                        // A struct, union, exception or enum.
                        return None;
                    }
                    self.serde_adapter(&self.ty(end, Pref::Hash), rt)
                }
                _ => None,
            },
            _ => None,
        }
    }
}
