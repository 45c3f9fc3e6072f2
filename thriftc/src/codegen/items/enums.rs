//! Enums: a newtype over `i32` with one associated constant per value.
//!
//! Why not a Rust `enum` with a catch-all `Unknown(i32)` variant: a newer
//! peer may send values this schema does not know, and they must round-trip
//! unchanged. With a catch-all variant the same number has two spellings
//! (`Kind::Small` and `Kind::Unknown(1)`) that compare unequal, and an IDL
//! value named `UNKNOWN` clashes with it. The newtype has exactly one
//! representation per number, and known values stay as convenient as enum
//! variants: `Kind::SMALL` is a constant usable in `match` patterns (the
//! type derives `PartialEq` and `Eq`), `Kind::VALUES` lists them, `name()`
//! gives the IDL name, and `Debug` prints it. `Default` is the first value
//! declared (a valid value, unlike a blanket `0`).

use super::structs::derives;
use super::{Ctx, docs, int_lit};
use crate::codegen::plan::{Enum, Traits, Wire};
use proc_macro2::TokenStream;
use quote::quote;

/// The enum's newtype with its value constants, `VALUES` and `name()`, and
/// its `Debug`, `Default`, `From` (to and from `i32`) and codec
/// implementations.
pub fn render_enum(ctx: &Ctx, e: &Enum) -> TokenStream {
    let rt = ctx.rt();
    let name = &e.name;
    let doc = docs(&e.doc);
    let attrs = &e.attrs;
    let first_is_zero = e.values.first().is_none_or(|v| v.value == 0);
    let derive = derives(
        Traits {
            eq: true,
            hash: true,
            partial_ord: true,
            default: true,
        },
        first_is_zero,
        true,
    );
    let consts = e.values.iter().map(|v| {
        let doc = docs(&v.doc);
        let n = &v.name;
        let val = int_lit(v.value.into());
        quote! {
            #doc
            pub const #n: #name = #name(#val);
        }
    });
    let all = e.values.iter().map(|v| {
        let n = &v.name;
        quote!(Self::#n)
    });
    let values_const = &e.values_const;
    let name_fn = if e.values.is_empty() {
        quote!(None)
    } else {
        // Several IDL names may share a value: the first one wins.
        let mut seen = std::collections::HashSet::new();
        let arms = e.values.iter().filter(|v| seen.insert(v.value)).map(|v| {
            let n = &v.name;
            let tn = &v.thrift_name;
            quote!(Self::#n => Some(#tn),)
        });
        quote! {
            match self {
                #(#arms)*
                _ => None,
            }
        }
    };
    let default_impl = (!first_is_zero).then(|| {
        let first = &e.values[0].name;
        quote! {
            impl Default for #name {
                fn default() -> Self {
                    Self::#first
                }
            }
        }
    });
    let tt = ctx.ttype(Wire::I32);
    let unknown_fmt = format!("{}({{}})", e.thrift_name);

    quote! {
        #doc
        #derive
        #(#attrs)*
        pub struct #name(pub i32);

        impl #name {
            #(#consts)*

            /// Every value this schema declares, in IDL order.
            pub const #values_const: &'static [#name] = &[#(#all),*];

            /// The IDL name of a value this schema declares.
            pub fn name(self) -> Option<&'static str> {
                #name_fn
            }
        }

        #default_impl

        impl ::std::fmt::Debug for #name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                match self.name() {
                    Some(n) => f.write_str(n),
                    None => write!(f, #unknown_fmt, self.0),
                }
            }
        }

        impl From<i32> for #name {
            fn from(v: i32) -> Self {
                Self(v)
            }
        }

        impl From<#name> for i32 {
            fn from(v: #name) -> i32 {
                v.0
            }
        }

        impl #rt::WireType for #name {
            const TTYPE: #rt::TType = #tt;
        }

        impl #rt::Encode for #name {
            #[inline]
            fn encode<P: #rt::ProtocolWrite + ?Sized>(&self, p: &mut P) -> #rt::Result<()> {
                p.write_i32(self.0)
            }
        }

        impl #rt::Decode for #name {
            #[inline]
            fn decode<P: #rt::ProtocolRead + ?Sized>(p: &mut P) -> #rt::Result<Self> {
                p.read_i32().map(Self)
            }
        }
    }
}
