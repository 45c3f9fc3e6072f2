//! Structs and exceptions: the type, `Default`, the codec impls
//! (`WireType`, `Encode`, `Decode`) and, for exceptions, `Display` and
//! `std::error::Error`.
//!
//! [`render_struct`] and [`render_codec`] also serve the argument and result
//! structs of service functions.

use super::{ALLOW_COMPLEX, Ctx, Flavor, int_lit};
use super::{docs, str_lit};
use crate::codegen::layout::{Call, arm, call, struct_lit, struct_lit_flat, struct_lit_open};
use crate::codegen::plan::{DefaultImpl, Field, Item, Struct, Traits, Ty, Wire};
use crate::codegen::writer::{Writer, fits, wln, wopen};
use crate::ir::{Requiredness, StructKind};

/// The `#[derive(...)]` line for a type with these traits.
/// `copy` marks an enum newtype: `Copy`, and `Debug` implemented by hand.
pub fn derives(traits: Traits, default: bool, copy: bool) -> String {
    let mut d = String::from("#[derive(Clone");
    d.push_str(if copy { ", Copy" } else { ", Debug" });
    if default {
        d.push_str(", Default");
    }
    d.push_str(", PartialEq");
    if traits.eq {
        d.push_str(", Eq");
    }
    if traits.eq && traits.hash {
        d.push_str(", Hash");
    }
    if traits.partial_ord {
        d.push_str(", PartialOrd");
    }
    if traits.ord() {
        d.push_str(", Ord");
    }
    d.push_str(")]");
    d
}

/// The generator's own attributes (serde's, [`Options::serde`]): written as
/// prettyplease prints them, one per line; one too wide is left to the
/// safety net.
///
/// [`Options::serde`]: crate::options::Options::serde
pub fn own_attrs(w: &mut Writer, attrs: &[crate::codegen::plan::Code]) {
    for a in attrs {
        let i = w.indent();
        if !fits(i, i + a.as_str().len()) {
            w.inexact();
        }
        w.line(a.as_str());
    }
}

/// User attributes (from options): written as given, laid out by the
/// safety net.
pub fn user_attrs(w: &mut Writer, attrs: &[crate::codegen::plan::Code]) {
    for a in attrs {
        w.line(a.as_str());
        w.inexact();
    }
}

/// A struct or exception: definition and every impl.
pub fn render_struct(ctx: &Ctx, w: &mut Writer, s: &Struct) {
    let name = s.name.as_str();
    w.begin_item();
    docs(w, &s.doc);
    w.line(&derives(
        s.traits,
        s.default_impl == DefaultImpl::Derive,
        false,
    ));
    own_attrs(w, &s.serde);
    if ctx.fields_too_complex(&s.fields) {
        w.line(ALLOW_COMPLEX);
    }
    user_attrs(w, &s.attrs);
    if s.fields.is_empty() && s.unknown_fields.is_none() {
        wln!(w, "pub struct {name} {{}}");
    } else {
        wopen!(w, "pub struct {name} {{");
        for f in &s.fields {
            docs(w, &f.doc);
            own_attrs(w, &f.serde);
            user_attrs(w, &f.attrs);
            let lead = format!("pub {}: ", f.name);
            crate::codegen::layout::typed_line(w, &lead, &ctx.field_ty(f), ",", 1);
        }
        if let Some(n) = &s.unknown_fields {
            let rt = ctx.rt();
            w.doc(" Fields this schema does not know, as read; written back after");
            w.doc(" the known fields.");
            own_attrs(w, &s.unknown_fields_serde);
            wln!(w, "pub {n}: Vec<{rt}::UnknownField>,");
        }
        w.close("}");
    }
    w.end_item();

    if s.default_impl == DefaultImpl::Manual {
        w.begin_item();
        wopen!(w, "impl Default for {name} {{");
        w.open("fn default() -> Self {");
        let mut inits: Vec<String> = s
            .fields
            .iter()
            .map(|f| {
                if !ctx.simple_default(f) {
                    w.inexact();
                }
                format!("{}: {}", f.name, ctx.field_default(f))
            })
            .collect();
        if let Some(n) = &s.unknown_fields {
            inits.push(format!("{n}: Vec::new()"));
        }
        struct_lit(w, "", "Self", &inits, "");
        w.close("}");
        w.close("}");
        w.end_item();
    }
    render_serde_defaults(ctx, w, s);
    if s.kind == StructKind::Exception {
        w.begin_item();
        wopen!(w, "impl ::std::fmt::Display for {name} {{");
        w.open("fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {");
        // `Name: message` where the exception has a message field (an
        // optional one that is not set shows every field instead).
        let prefix = str_lit(&format!("{}: {{}}", s.thrift_name));
        match s.message.map(|i| &s.fields[i]) {
            Some(m) if m.is_optional() => {
                let text = str_lit(&format!("{}: {{m}}", s.thrift_name));
                wopen!(w, "match &self.{} {{", m.name);
                wln!(w, "Some(m) => write!(f, {text}),");
                w.line("None => ::std::fmt::Debug::fmt(self, f),");
                w.close("}");
            }
            Some(m) => wln!(w, "write!(f, {prefix}, self.{})", m.name),
            None => w.line("::std::fmt::Debug::fmt(self, f)"),
        }
        w.close("}");
        w.close("}");
        w.end_item();
        w.begin_item();
        wln!(w, "impl ::std::error::Error for {name} {{}}");
        w.end_item();
    }
    render_codec(ctx, w, s);
}

/// The private functions building the IDL defaults serde takes for missing
/// fields, where the struct's `Default` cannot be used, and the one reading
/// kept unknown fields (see `Planner::plan_serde`). Laid out by the safety
/// net.
pub fn render_serde_defaults(ctx: &Ctx, w: &mut Writer, s: &Struct) {
    let fields: Vec<(&Field, &String)> = s
        .fields
        .iter()
        .filter_map(|f| f.serde_default_fn.as_ref().map(|func| (f, func)))
        .collect();
    if fields.is_empty() && s.serde_unknown_fn.is_none() {
        return;
    }
    w.begin_item();
    w.inexact();
    wopen!(w, "impl {} {{", s.name);
    for (f, func) in fields {
        if f.boxed {
            // `Box<String>` and the like: the field's own type, which is
            // public API and so not linted there.
            w.line("#[allow(clippy::box_collection)]");
        }
        wopen!(w, "fn {func}() -> {} {{", ctx.field_ty(f));
        w.line(&ctx.field_default(f));
        w.close("}");
    }
    if let Some(func) = &s.serde_unknown_fn {
        render_serde_unknown_fn(ctx, w, s, func);
    }
    w.close("}");
    w.end_item();
}

/// `fn serde_unknown_fields` (`serde_unknown` of a union): reads what serde
/// reads for the kept unknown fields (the unknown variant) through the
/// runtime's `serde_unknown_fields` (`serde_unknown_variant`), given the
/// known fields' ids and wire types, and so refuses an unknown field with
/// those of a known one. A Thrift read never keeps one (it reads it as
/// that field); written back, it would be read as that field, in place of
/// the value the document gave it.
fn render_serde_unknown_fn(ctx: &Ctx, w: &mut Writer, s: &Struct, func: &str) {
    let rt = ctx.rt();
    let union = s.kind == StructKind::Union;
    let held = if union {
        format!("{rt}::UnknownField")
    } else {
        format!("Vec<{rt}::UnknownField>")
    };
    let known: Vec<String> = s
        .fields_by_id()
        .iter()
        .map(|f| format!("({}, {})", int_lit(f.id.into()), ctx.ttype(ctx.wire(&f.ty))))
        .collect();
    wopen!(
        w,
        "fn {func}<'de, D: ::serde::Deserializer<'de>>(d: D) -> ::std::result::Result<{held}, D::Error> {{"
    );
    wln!(
        w,
        "const KNOWN: &[(i16, {rt}::TType)] = &[{}];",
        known.join(", ")
    );
    let what = if union { "union" } else { "struct" };
    let helper = if union {
        "serde_unknown_variant"
    } else {
        "serde_unknown_fields"
    };
    let owner = str_lit(&format!("{what} `{}`", s.thrift_name));
    wln!(w, "{rt}::{helper}(d, KNOWN, {owner})");
    w.close("}");
}

/// `impl __rt::WireType for Name` with `TTYPE` = `tt`.
pub fn wire_type_impl(w: &mut Writer, name: &str, tt: &str) {
    w.begin_item();
    wopen!(w, "impl __rt::WireType for {name} {{");
    wln!(w, "const TTYPE: __rt::TType = {tt};");
    w.close("}");
    w.end_item();
}

/// `WireType`, `Encode` and `Decode` of a struct or exception.
pub fn render_codec(ctx: &Ctx, w: &mut Writer, s: &Struct) {
    wire_type_impl(w, s.name.as_str(), ctx.ttype(Wire::Struct));
    render_encode(ctx, w, s, Flavor::Owned);
    render_decode(ctx, w, s, Flavor::Owned);
}

/// `Encode` of a struct or exception, or of its view: every set field in
/// id order, then kept unknown fields.
pub fn render_encode(ctx: &Ctx, w: &mut Writer, s: &Struct, flavor: Flavor<'_>) {
    let by_id = s.fields_by_id();
    w.begin_item();
    flavor.encode_head(ctx, w, s.name.as_str());
    w.open("fn encode<P: __rt::ProtocolWrite + ?Sized>(&self, p: &mut P) -> __rt::Result<()> {");
    wln!(w, "p.write_struct_begin({})?;", str_lit(&s.thrift_name));
    for f in &by_id {
        let n = &f.name;
        let tn = str_lit(&f.thrift_name);
        let tt = ctx.ttype(ctx.wire(&f.ty));
        let id = int_lit(f.id.into());
        if f.is_optional() {
            wopen!(w, "if let Some(v) = &self.{n} {{");
            write_field_begin(w, tn, tt, id);
            w.line("__rt::Encode::encode(v, p)?;");
            w.line("p.write_field_end()?;");
            w.close("}");
        } else {
            write_field_begin(w, tn, tt, id);
            let encode = Call::apply(
                "__rt::Encode::encode",
                vec![Call::atom(format!("&self.{n}")), Call::atom("p")],
            );
            call(w, "", &encode, "?;", 2);
            w.line("p.write_field_end()?;");
        }
    }
    if let Some(n) = &s.unknown_fields {
        wopen!(w, "for f in &self.{n} {{");
        w.line("f.write(p)?;");
        w.close("}");
    }
    w.line("p.write_field_stop()?;");
    w.line("p.write_struct_end()");
    w.close("}");
    w.close("}");
    w.end_item();
}

/// `Decode` of a struct or exception, or `DecodeView` of its view: any
/// order; a known id with the expected wire type is read, anything else
/// skipped (or kept).
pub fn render_decode(ctx: &Ctx, w: &mut Writer, s: &Struct, flavor: Flavor<'_>) {
    let by_id = s.fields_by_id();
    let in_place = reads_in_place(ctx, s);
    // The owned type reads into `self` (`decode_into`), a view into a
    // local default.
    let target = match flavor {
        Flavor::Owned => "self",
        Flavor::View(_) => "out",
    };
    w.begin_item();
    flavor.decode_head(ctx, w, s.name.as_str());
    if in_place {
        match flavor {
            Flavor::Owned => decode_in_place_head(w),
            Flavor::View(_) => w.line("let mut out = Self::default();"),
        }
    }
    w.line("p.read_struct_begin()?;");
    let unknown_push;
    let other = if in_place {
        match &s.unknown_fields {
            Some(n) => {
                unknown_push = format!("{target}.{n}.push(__rt::UnknownField::read(p, h)?)");
                unknown_push.as_str()
            }
            None => "p.skip(h.ttype)?",
        }
    } else {
        for f in &s.fields {
            wln!(w, "let mut {} = None;", local(f));
        }
        match &s.unknown_fields {
            Some(_) => {
                w.line("let mut unknown = Vec::new();");
                "unknown.push(__rt::UnknownField::read(p, h)?)"
            }
            None => "p.skip(h.ttype)?",
        }
    };
    w.open("while let Some(h) = p.read_field_begin()? {");
    if s.fields.is_empty() {
        wln!(w, "{other};");
    } else {
        w.open("match (h.id, h.ttype) {");
        for f in &by_id {
            let tt = ctx.ttype(ctx.wire(&f.ty));
            let pat = format!("({}, {tt})", int_lit(f.id.into()));
            let body = match (in_place, f.is_optional()) {
                (true, true) => format!("{target}.{} = Some({})", f.name, flavor.decode_call()),
                (true, false) => format!("{target}.{} = {}", f.name, flavor.decode_call()),
                (false, _) => format!("{} = Some({})", local(f), flavor.decode_call()),
            };
            arm(w, &pat, &body, true);
        }
        arm(w, "_", other, false);
        w.close("}");
    }
    w.line("p.read_field_end()?;");
    w.close("}");
    if in_place {
        match flavor {
            Flavor::Owned => {
                w.line("p.read_struct_end()");
                w.close("}");
                decode_elems_in_place(w);
            }
            Flavor::View(_) => {
                w.line("p.read_struct_end()?;");
                w.line("Ok(out)");
                w.close("}");
            }
        }
    } else {
        w.line("p.read_struct_end()?;");
        decode_result(ctx, w, s, flavor);
        w.close("}");
    }
    w.close("}");
    w.end_item();
}

/// The start of `decode` of a struct read in place: `decode` fills
/// `Self::default()` with `decode_into`, which follows.
fn decode_in_place_head(w: &mut Writer) {
    w.line("let mut out = Self::default();");
    w.line("__rt::Decode::decode_into(&mut out, p)?;");
    w.line("Ok(out)");
    w.close("}");
    w.line("fn decode_into<P: __rt::ProtocolRead + ?Sized>(");
    w.indent_in();
    w.line("&mut self,");
    w.line("p: &mut P,");
    w.indent_out();
    w.open(") -> __rt::Result<()> {");
}

/// `decode_elems` of a struct read in place: each element of a list is
/// read into a default pushed onto it.
fn decode_elems_in_place(w: &mut Writer) {
    w.line("fn decode_elems<P: __rt::ProtocolRead + ?Sized>(");
    w.indent_in();
    w.line("p: &mut P,");
    w.line("len: usize,");
    w.line("out: &mut Vec<Self>,");
    w.indent_out();
    w.open(") -> __rt::Result<()> {");
    w.line("__rt::decode_elems_in_place(p, len, out)");
    w.close("}");
}

/// Does `decode` read the fields straight into `Self::default()`
/// (`decode_into`), and a list's elements into defaults pushed onto it
/// (`decode_elems`)? A view's `decode_view` then reads into a local
/// default. For structs whose `Default` is derived (so a missing field
/// takes its type's default, as the IDL asks) and that have no field whose
/// absence is an error. Measured on the bench `Payload`: a
/// tenth fewer instructions and a sixth less time than reading each field
/// into an `Option` and building the struct at the end, which moves every
/// field once more. Only where that default costs nothing (see
/// [`cheap_default`]): a field that is then read would have its default
/// built, and thrown away, on every decode.
fn reads_in_place(ctx: &Ctx, s: &Struct) -> bool {
    s.default_impl == DefaultImpl::Derive
        && !s.fields.is_empty()
        && !s.fields.iter().any(is_missing_error)
        && s.fields.iter().all(|f| cheap_field(ctx, f, 0))
}

/// Whether the default of field `f` allocates nothing and builds no IDL
/// default: `None`, or an unboxed value of a [`cheap_default`] type.
fn cheap_field(ctx: &Ctx, f: &Field, depth: u32) -> bool {
    f.is_optional() || (!f.boxed && f.default.is_none() && cheap_default(ctx, &f.ty, depth))
}

/// Whether `Default` of `ty` allocates nothing and builds no IDL default:
/// numbers, strings, binaries and containers (empty), enums, and structs
/// whose `Default` is derived over such fields. Not a struct with a written
/// `Default` (it builds its IDL defaults), nor one holding a boxed field
/// (`Box::default` allocates). Each definition is walked once (memo in
/// [`Ctx`]); `depth` bounds the native stack: past 64 levels the answer is
/// no, which only means the other way of decoding.
fn cheap_default(ctx: &Ctx, ty: &Ty, depth: u32) -> bool {
    let Ty::Named(id) = ty else {
        return true;
    };
    if let Some(&known) = ctx.cheap_defaults.borrow().get(id) {
        return known;
    }
    let cheap = depth <= 64
        && match ctx.krate.item(*id) {
            Item::Enum(_) => true,
            Item::Typedef(t) => cheap_default(ctx, &t.ty, depth + 1),
            Item::Struct(s) => {
                s.default_impl == DefaultImpl::Derive
                    && s.fields.iter().all(|f| cheap_field(ctx, f, depth + 1))
            }
            Item::Union(_) | Item::Const(_) | Item::Service(_) => false,
        };
    ctx.cheap_defaults.borrow_mut().insert(*id, cheap);
    cheap
}

/// The local that `decode` reads field `f` into: `f_` and the field's
/// name without leading underscores (`_1` → `f_1`, not `f__1`, which is not
/// snake case). Distinct fields get distinct locals: a legalized field name
/// starts with at most the one `_` put before a leading digit.
pub fn local(f: &Field) -> String {
    format!("f_{}", f.name.unraw().trim_start_matches('_'))
}

/// `p.write_field_begin(name, ttype, id)?;` (a call on a short receiver
/// at the start of a line: prettyplease breaks only its arguments).
pub fn write_field_begin(w: &mut Writer, name: String, tt: &str, id: String) {
    let c = Call::apply(
        "p.write_field_begin",
        vec![Call::atom(name), Call::atom(tt), Call::atom(id)],
    );
    call(w, "", &c, "?;", 2);
}

/// The `Ok(Self { .. })` ending `decode`.
fn decode_result(ctx: &Ctx, w: &mut Writer, s: &Struct, flavor: Flavor<'_>) {
    let mut inits: Vec<String> = Vec::with_capacity(s.fields.len() + 1);
    for f in &s.fields {
        inits.push(format!("{}: {}", f.name, field_value(ctx, w, s, f, flavor)));
    }
    if let Some(n) = &s.unknown_fields {
        inits.push(format!("{n}: unknown"));
    }
    let flat = struct_lit_flat("Self", &inits);
    if struct_lit_open(w, "Ok(", "Self", &flat, ")") {
        return;
    }
    let last = inits.len() - 1;
    for (k, f) in s.fields.iter().enumerate() {
        if is_missing_error(f) {
            write_missing(w, s, f);
        } else {
            field_init(w, f, &inits[k], k == last);
        }
    }
    if let Some(n) = &s.unknown_fields {
        wln!(w, "{n}: unknown,");
    }
    w.close("})");
}

/// Does a missing value of `f` fail the read?
fn is_missing_error(f: &Field) -> bool {
    f.absence_fails()
}

/// The error for a missing field (always broken over lines: it never fits).
fn missing_message(s: &Struct, f: &Field) -> String {
    str_lit(&format!(
        "required field `{}` of `{}` is missing",
        f.thrift_name, s.thrift_name
    ))
}

/// A field's value in `Ok(Self { .. })` as one line.
fn field_value(ctx: &Ctx, w: &mut Writer, s: &Struct, f: &Field, flavor: Flavor<'_>) -> String {
    let l = local(f);
    if is_missing_error(f) {
        return format!(
            "{l}.ok_or_else(|| __rt::Error::protocol(__rt::ProtocolErrorKind::InvalidData, {}))?",
            missing_message(s, f)
        );
    }
    match (f.req, &f.default) {
        (Requiredness::Default, Some(d)) => {
            if !ctx.is_simple_value(d) {
                w.inexact();
            }
            let dv = ctx.boxed(f, flavor.value(ctx, &f.ty, d));
            // A view's string and binary defaults are literals.
            let cheap =
                ctx.is_cheap_value(d) || matches!(flavor, Flavor::View(_)) && ctx.borrows(&f.ty);
            if cheap && !f.boxed {
                format!("{l}.unwrap_or({dv})")
            } else {
                format!("{l}.unwrap_or_else(|| {dv})")
            }
        }
        (Requiredness::Default, None) => format!("{l}.unwrap_or_default()"),
        _ => l,
    }
}

/// `name: value,` in a broken `Ok(Self { .. })`. A value `f_name.method(..)`
/// that does not fit breaks before `.method` (the comma after the last
/// field is only printed when broken: not measured).
fn field_init(w: &mut Writer, f: &Field, init: &str, last: bool) {
    let i = w.indent();
    let head_len = f.name.as_str().len() + 2 + local(f).len();
    if fits(i, i + init.len() + usize::from(!last)) || init.len() == head_len {
        wln!(w, "{init},");
        return;
    }
    // `name: f_name` + `.method(..)`.
    let (head, call) = init.split_at(head_len);
    w.line(head);
    w.indent_in();
    wln!(w, "{call},");
    w.indent_out();
}

/// `name: f_name.ok_or_else(..)?,` in prettyplease's broken layout.
fn write_missing(w: &mut Writer, s: &Struct, f: &Field) {
    let i = w.indent();
    let head = format!("{}: {}", f.name, local(f));
    // The chain breaks before `.ok_or_else` unless all of it fits, which
    // the message never lets it.
    debug_assert!(!fits(i, i + head.len() + 100));
    w.line(&head);
    w.indent_in();
    w.line(".ok_or_else(|| __rt::Error::protocol(");
    w.indent_in();
    w.line("__rt::ProtocolErrorKind::InvalidData,");
    // A string literal, the last argument: nothing left to break.
    w.line_fitted(&format!("{},", missing_message(s, f)));
    w.indent_out();
    w.line("))?,");
    w.indent_out();
}
