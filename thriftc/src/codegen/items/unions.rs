//! Unions: a Rust enum with one variant per field plus a variant that keeps
//! a field this schema does not know (a newer peer's variant), so reading it
//! is not an error and writing it back loses nothing.
//!
//! Reading: exactly one known field must be set (`INVALID_DATA` for none or
//! several); unknown fields next to a known one are skipped; a union with
//! only unknown fields reads as the unknown variant (the first one).

use super::structs::{
    derives, own_attrs, render_serde_defaults, user_attrs, wire_type_impl, write_field_begin,
};
use super::{ALLOW_COMPLEX, Ctx, Flavor, int_lit};
use super::{docs, str_lit};
use crate::codegen::layout::arm;
use crate::codegen::plan::{Struct, Wire};
use crate::codegen::writer::{Writer, wln, wopen};

/// The union's Rust enum (a variant per field plus the unknown variant) and
/// its codec implementation.
pub fn render_union(ctx: &Ctx, w: &mut Writer, u: &Struct) {
    let rt = ctx.rt();
    let name = u.name.as_str();
    let unknown = unknown_variant(u);

    w.begin_item();
    docs(w, &u.doc);
    w.line(&derives(u.traits, false, false));
    own_attrs(w, &u.serde);
    if ctx.fields_too_complex(&u.fields) {
        w.line(ALLOW_COMPLEX);
    }
    // Variants mirror the IDL: boxing large ones or renaming them would
    // change the API the IDL describes.
    w.line("#[allow(clippy::large_enum_variant, clippy::enum_variant_names)]");
    user_attrs(w, &u.attrs);
    wopen!(w, "pub enum {name} {{");
    for f in &u.fields {
        docs(w, &f.doc);
        own_attrs(w, &f.serde);
        user_attrs(w, &f.attrs);
        wln!(w, "{}({}),", f.name, ctx.stored_ty(f));
    }
    w.doc(" A field this schema does not know (sent by a newer peer), kept");
    w.doc(" as read so that writing the value back loses nothing.");
    own_attrs(w, &u.unknown_fields_serde);
    wln!(w, "{unknown}({rt}::UnknownField),");
    w.close("}");
    w.end_item();
    render_serde_defaults(ctx, w, u);

    wire_type_impl(w, name, ctx.ttype(Wire::Struct));
    render_union_encode(ctx, w, u, Flavor::Owned);
    render_union_decode(ctx, w, u, Flavor::Owned);
}

/// The name of a union's variant for an unknown field.
pub fn unknown_variant(u: &Struct) -> crate::codegen::names::RustName {
    u.unknown_variant
        .clone()
        .unwrap_or_else(|| crate::codegen::names::variant_name("Unknown"))
}

/// `Encode` of a union or of its view.
pub fn render_union_encode(ctx: &Ctx, w: &mut Writer, u: &Struct, flavor: Flavor<'_>) {
    let thrift_name = &u.thrift_name;
    let unknown = unknown_variant(u);
    w.begin_item();
    flavor.encode_head(ctx, w, u.name.as_str());
    w.open("fn encode<P: __rt::ProtocolWrite + ?Sized>(&self, p: &mut P) -> __rt::Result<()> {");
    wln!(w, "p.write_struct_begin({})?;", str_lit(thrift_name));
    if u.fields.is_empty() {
        wln!(w, "let Self::{unknown}(f) = self;");
        w.line("f.write(p)?;");
    } else {
        w.open("match self {");
        for f in &u.fields {
            let tt = ctx.ttype(ctx.wire(&f.ty));
            wopen!(w, "Self::{}(v) => {{", f.name);
            write_field_begin(w, str_lit(&f.thrift_name), tt, int_lit(f.id.into()));
            w.line("__rt::Encode::encode(v, p)?;");
            w.line("p.write_field_end()?;");
            w.close("}");
        }
        arm(w, &format!("Self::{unknown}(f)"), "f.write(p)?", false);
        w.close("}");
    }
    w.line("p.write_field_stop()?;");
    w.line("p.write_struct_end()");
    w.close("}");
    w.close("}");
    w.end_item();
}

/// `Decode` of a union, or `DecodeView` of its view.
pub fn render_union_decode(ctx: &Ctx, w: &mut Writer, u: &Struct, flavor: Flavor<'_>) {
    let thrift_name = &u.thrift_name;
    let unknown = unknown_variant(u);
    let no_field = str_lit(&format!("union `{thrift_name}` has no field set"));
    let several = str_lit(&format!(
        "union `{thrift_name}` has more than one field set"
    ));
    w.begin_item();
    flavor.decode_head(ctx, w, u.name.as_str());
    w.line("p.read_struct_begin()?;");
    if u.fields.is_empty() {
        // Rare; its layout is left to the safety net.
        w.inexact();
        w.line("let mut unknown = None;");
        w.open("while let Some(h) = p.read_field_begin()? {");
        keep_unknown(w, &unknown);
        w.line("p.read_field_end()?;");
        w.close("}");
        w.line("p.read_struct_end()?;");
        wln!(
            w,
            "unknown.ok_or_else(|| __rt::Error::protocol(__rt::ProtocolErrorKind::InvalidData, {no_field}))"
        );
    } else {
        w.line("let mut value: Option<Self> = None;");
        w.line("let mut unknown = None;");
        w.open("while let Some(h) = p.read_field_begin()? {");
        w.open("let v = match (h.id, h.ttype) {");
        for f in &u.fields {
            let tt = ctx.ttype(ctx.wire(&f.ty));
            let pat = format!("({}, {tt})", int_lit(f.id.into()));
            let body = format!("Self::{}({})", f.name, flavor.decode_call());
            arm(w, &pat, &body, false);
        }
        w.open("_ => {");
        keep_unknown(w, &unknown);
        w.line("p.read_field_end()?;");
        w.line("continue;");
        w.close("}");
        w.close("};");
        w.open("if value.replace(v).is_some() {");
        // Never fits on one line: the message alone is too long.
        w.open("return Err(");
        w.open("__rt::Error::protocol(");
        w.line("__rt::ProtocolErrorKind::InvalidData,");
        w.line_fitted(&format!("{several},")); // a literal: cannot break
        w.close("),");
        w.close(");");
        w.close("}");
        w.line("p.read_field_end()?;");
        w.close("}");
        w.line("p.read_struct_end()?;");
        w.open("value");
        w.line(".or(unknown)");
        w.open(".ok_or_else(|| __rt::Error::protocol(");
        w.line("__rt::ProtocolErrorKind::InvalidData,");
        w.line_fitted(&format!("{no_field},")); // a literal: cannot break
        w.close("))");
        w.indent_out();
    }
    w.close("}");
    w.close("}");
    w.end_item();
}

/// Keeps the first unknown field of a union, skips the others.
fn keep_unknown(w: &mut Writer, unknown: &crate::codegen::names::RustName) {
    w.open("if unknown.is_none() {");
    wln!(
        w,
        "unknown = Some(Self::{unknown}(__rt::UnknownField::read(p, h)?));"
    );
    w.close("} else {");
    w.indent_in();
    w.line("p.skip(h.ttype)?;");
    w.close("}");
}
