//! Constants and typedefs.
//!
//! A constant of a base or enum type is a `pub const`; a `string` is a
//! `&str` and a `binary` a `&[u8]` constant (also where the options ask for
//! shared `ByteString`/`Bytes`: convert with `from_static`); a `uuid` a `const` built by a
//! `const fn`. Containers, structs and unions are `pub static` values built
//! on first use (`std::sync::LazyLock`).

use super::{ALLOW_COMPLEX, Ctx};
use super::{byte_str_lit, docs, str_lit};
use crate::codegen::layout::typed_line;
use crate::codegen::plan::{Const, Ty, Typedef};
use crate::codegen::writer::{Writer, wln};
use crate::ir::ConstValue;

/// `pub type Name = <type>;`, with the typedef's doc comment.
pub fn render_typedef(ctx: &Ctx, w: &mut Writer, t: &Typedef) {
    w.begin_item();
    docs(w, &t.doc);
    if ctx.too_complex([&t.ty]) {
        w.line(ALLOW_COMPLEX);
    }
    let ty = ctx.ty(&t.ty);
    typed_line(w, &format!("pub type {} = ", t.name), &ty, ";", 1);
    w.end_item();
}

/// A constant as a `pub const` (base types, enums, strings, binaries,
/// uuids) or a `pub static` `LazyLock` (containers, structs, unions).
pub fn render_const(ctx: &Ctx, w: &mut Writer, c: &Const) {
    let name = c.name.as_str();
    let resolved = ctx.resolve(&c.ty).clone();
    // The declared type is spelled only where it is written: spelling a
    // `ByteString` or `Bytes` type marks the runtime as used, and a module
    // of `&str` and `&[u8]` constants alone must not import it.
    w.begin_item();
    docs(w, &c.doc);
    match (&resolved, &c.value) {
        (Ty::String | Ty::ByteString | Ty::SmallString, ConstValue::String(s)) => {
            wln!(w, "pub const {name}: &str = {};", str_lit(s));
        }
        (Ty::Binary | Ty::Bytes, ConstValue::String(s)) => {
            wln!(
                w,
                "pub const {name}: &[u8] = {};",
                byte_str_lit(s.as_bytes())
            );
        }
        (Ty::Bool | Ty::I8 | Ty::I16 | Ty::I32 | Ty::I64 | Ty::Double | Ty::Uuid, _)
        | (_, ConstValue::Enum { .. }) => {
            if !ctx.is_simple_value(&c.value) {
                w.inexact();
            }
            let declared = ctx.ty(&c.ty);
            let v = ctx.value(&c.ty, &c.value);
            wln!(w, "pub const {name}: {declared} = {v};");
        }
        _ => {
            // Containers and structs: laid out by the safety net.
            w.inexact();
            let declared = ctx.ty(&c.ty);
            let v = ctx.value(&c.ty, &c.value);
            if ctx.too_complex([&c.ty]) {
                w.line(ALLOW_COMPLEX);
            }
            // An empty container is built by a function without arguments,
            // passed as it is (`|| Vec::new()` trips clippy's
            // `redundant_closure`).
            let init = match v.strip_suffix("()") {
                Some(f) if !f.contains(['(', ')', ' ', '!']) => f.to_owned(),
                _ => format!("|| {v}"),
            };
            wln!(
                w,
                "pub static {name}: ::std::sync::LazyLock<{declared}> = ::std::sync::LazyLock::new({init});"
            );
        }
    }
    w.end_item();
}
