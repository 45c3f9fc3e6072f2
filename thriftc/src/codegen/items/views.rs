//! Borrowed views (`<Name>Ref<'a>`, [`Options::views`]): a struct, union or
//! exception with the same fields, its `string`s as `&'a str` and its
//! `binary`s as `&'a [u8]`, decoded from a byte slice without copying them.
//!
//! Per view: the type, `WireType`, `Encode` and `DecodeView` (the owned
//! type's codec, written by the struct and union renderers with
//! [`Flavor::View`]), and `FromView` plus `From<&NameRef<'_>>` on the owned
//! type. When the output has any view, every enum, struct, union and
//! exception without one implements `DecodeView` and `FromView` by itself,
//! so that a view can hold it. Views are laid out by the safety net.
//!
//! [`Options::views`]: crate::options::Options::views

use super::structs::{derives, render_decode, render_encode, wire_type_impl};
use super::unions::{render_union_decode, render_union_encode, unknown_variant};
use super::{ALLOW_COMPLEX, Ctx, Flavor, docs};
use crate::codegen::plan::{DefaultImpl, Struct, Wire};
use crate::codegen::writer::Writer;

/// The view of a struct, exception or union that has one; for one without,
/// the impls that let views hold it (when the output has views).
pub fn render_views(ctx: &Ctx, w: &mut Writer, s: &Struct, union: bool) {
    let view = s
        .def
        .and_then(|id| ctx.krate.def(id).view.as_ref())
        .map(|v| v.as_str().to_owned());
    match view {
        Some(view) => render_view(ctx, w, s, union, &view),
        None if ctx.krate.views => render_self_view(ctx, w, s.name.as_str(), false),
        None => {}
    }
}

/// The view `view` of a struct, exception or union (also of a service
/// function's argument struct): the type, its codec, and the owned type's
/// conversions from it.
pub fn render_view(ctx: &Ctx, w: &mut Writer, s: &Struct, union: bool, view: &str) {
    let name = s.name.as_str();
    let rt = ctx.rt();
    let traits = s.traits;
    let default = s.default_impl == DefaultImpl::Derive;

    // The type.
    w.begin_item();
    w.inexact();
    w.doc(&format!(
        " A borrowed view of [`{name}`]: its `string`s and `binary`s are slices"
    ));
    w.doc(" of the bytes it was decoded from (`decode_view`).");
    if let Some(doc) = &s.doc {
        if !doc.trim().is_empty() {
            w.doc("");
            docs(w, &s.doc);
        }
    }
    w.line(&derives(traits, default, false));
    if ctx.fields_too_complex(&s.fields) {
        w.line(ALLOW_COMPLEX);
    }
    if union {
        w.line("#[allow(clippy::large_enum_variant, clippy::enum_variant_names)]");
        w.open(&format!("pub enum {view}<'a> {{"));
        for f in &s.fields {
            docs(w, &f.doc);
            let t = ctx.view_stored_ty(f);
            w.line(&format!("{}({t}),", f.name));
        }
        w.doc(" A field this schema does not know, kept as read.");
        w.line(&format!("{}({rt}::UnknownField),", unknown_variant(s)));
    } else {
        w.open(&format!("pub struct {view}<'a> {{"));
        for f in &s.fields {
            docs(w, &f.doc);
            w.line(&format!("pub {}: {},", f.name, ctx.view_field_ty(f)));
        }
        if let Some(n) = &s.unknown_fields {
            w.doc(" Fields this schema does not know, as read.");
            w.line(&format!("pub {n}: Vec<{rt}::UnknownField>,"));
        }
    }
    w.close("}");
    w.end_item();

    if s.default_impl == DefaultImpl::Manual {
        w.begin_item();
        w.inexact();
        w.open(&format!("impl Default for {view}<'_> {{"));
        w.open("fn default() -> Self {");
        w.open("Self {");
        for f in &s.fields {
            let v = ctx.field_default_in(Flavor::View(view), f);
            w.line(&format!("{}: {v},", f.name));
        }
        if let Some(n) = &s.unknown_fields {
            w.line(&format!("{n}: Vec::new(),"));
        }
        w.close("}");
        w.close("}");
        w.close("}");
        w.end_item();
    }

    // The codec.
    wire_type_impl(w, &format!("{view}<'_>"), ctx.ttype(Wire::Struct));
    let flavor = Flavor::View(view);
    if union {
        render_union_encode(ctx, w, s, flavor);
        render_union_decode(ctx, w, s, flavor);
    } else {
        render_encode(ctx, w, s, flavor);
        render_decode(ctx, w, s, flavor);
    }

    // The owned type from the view.
    w.begin_item();
    w.inexact();
    w.open(&format!(
        "impl<'a> {rt}::FromView<{view}<'a>> for {name} {{"
    ));
    w.open(&format!("fn from_view(v: &{view}<'a>) -> Self {{"));
    if union {
        w.open("match v {");
        for f in &s.fields {
            let n = &f.name;
            w.line(&format!(
                "{view}::{n}(x) => Self::{n}(__rt::FromView::from_view(x)),"
            ));
        }
        let u = unknown_variant(s);
        w.line(&format!("{view}::{u}(f) => Self::{u}(f.clone()),"));
        w.close("}");
    } else {
        w.open("Self {");
        for f in &s.fields {
            let n = &f.name;
            if f.is_optional() {
                w.line(&format!(
                    "{n}: v.{n}.as_ref().map(__rt::FromView::from_view),"
                ));
            } else {
                w.line(&format!("{n}: __rt::FromView::from_view(&v.{n}),"));
            }
        }
        if let Some(n) = &s.unknown_fields {
            w.line(&format!("{n}: v.{n}.clone(),"));
        }
        w.close("}");
    }
    w.close("}");
    w.close("}");
    w.end_item();

    w.begin_item();
    w.inexact();
    w.open(&format!("impl From<&{view}<'_>> for {name} {{"));
    w.open(&format!("fn from(v: &{view}<'_>) -> Self {{"));
    w.line("__rt::FromView::from_view(v)");
    w.close("}");
    w.close("}");
    w.end_item();
}

/// `DecodeView` and `FromView` of a type without a view (an enum, or a
/// struct that does not borrow or was not selected), so views can hold it.
/// `copy`: the type is `Copy` (an enum).
pub fn render_self_view(ctx: &Ctx, w: &mut Writer, name: &str, copy: bool) {
    let rt = ctx.rt();
    w.begin_item();
    w.inexact();
    w.open(&format!("impl<'a> {rt}::DecodeView<'a> for {name} {{"));
    w.open("fn decode_view<P: __rt::ViewRead<'a> + ?Sized>(p: &mut P) -> __rt::Result<Self> {");
    w.line("__rt::Decode::decode(p)");
    w.close("}");
    w.close("}");
    w.end_item();
    w.begin_item();
    w.inexact();
    w.open(&format!("impl {rt}::FromView<{name}> for {name} {{"));
    w.open(&format!("fn from_view(v: &{name}) -> Self {{"));
    w.line(if copy { "*v" } else { "v.clone()" });
    w.close("}");
    w.close("}");
    w.end_item();
}
