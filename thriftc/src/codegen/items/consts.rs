//! Constants and typedefs.
//!
//! A constant of a base or enum type is a `pub const`; a `string` is a
//! `&str` and a `binary` a `&[u8]` constant (also where the options ask for
//! shared `ByteString`/`Bytes`: convert with `from_static`); a `uuid` a `const` built by a
//! `const fn`. Containers, structs and unions are `pub static` values built
//! on first use (`std::sync::LazyLock`).

use super::{Ctx, docs};
use crate::codegen::plan::{Const, Ty, Typedef};
use crate::ir::ConstValue;
use proc_macro2::{Literal, TokenStream};
use quote::quote;

/// `pub type Name = <type>;`, with the typedef's doc comment.
pub fn render_typedef(ctx: &Ctx, t: &Typedef) -> TokenStream {
    let name = &t.name;
    let doc = docs(&t.doc);
    let ty = ctx.ty(&t.ty);
    let complex = ctx.allow_complex([&t.ty]);
    quote! {
        #doc
        #complex
        pub type #name = #ty;
    }
}

/// A constant as a `pub const` (base types, enums, strings, binaries,
/// uuids) or a `pub static` `LazyLock` (containers, structs, unions).
pub fn render_const(ctx: &Ctx, c: &Const) -> TokenStream {
    let name = &c.name;
    let doc = docs(&c.doc);
    let resolved = ctx.resolve(&c.ty).clone();
    let declared = ctx.ty(&c.ty);
    match (&resolved, &c.value) {
        (Ty::String | Ty::ByteString, ConstValue::String(s)) => quote! {
            #doc
            pub const #name: &str = #s;
        },
        (Ty::Binary | Ty::Bytes, ConstValue::String(s)) => {
            let lit = Literal::byte_string(s.as_bytes());
            quote! {
                #doc
                pub const #name: &[u8] = #lit;
            }
        }
        (Ty::Bool | Ty::I8 | Ty::I16 | Ty::I32 | Ty::I64 | Ty::Double | Ty::Uuid, _)
        | (_, ConstValue::Enum { .. }) => {
            let v = ctx.value(&c.ty, &c.value);
            quote! {
                #doc
                pub const #name: #declared = #v;
            }
        }
        _ => {
            let v = ctx.value(&c.ty, &c.value);
            let complex = ctx.allow_complex([&c.ty]);
            quote! {
                #doc
                #complex
                pub static #name: ::std::sync::LazyLock<#declared> = ::std::sync::LazyLock::new(|| #v);
            }
        }
    }
}
