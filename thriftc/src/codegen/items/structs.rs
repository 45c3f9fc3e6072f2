//! Structs and exceptions: the type, `Default`, the codec impls
//! (`WireType`, `Encode`, `Decode`) and, for exceptions, `Display` and
//! `std::error::Error`.
//!
//! [`render_struct`] and [`render_codec`] also serve the argument and result
//! structs of service functions.

use super::{Ctx, docs, int_lit};
use crate::codegen::plan::{DefaultImpl, Struct, Traits};
use crate::ir::{Requiredness, StructKind};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

/// The `#[derive(...)]` list for a type with these traits.
/// `copy` marks an enum newtype: `Copy`, and `Debug` implemented by hand.
pub fn derives(traits: Traits, default: bool, copy: bool) -> TokenStream {
    let mut d = vec![quote!(Clone)];
    if copy {
        d.push(quote!(Copy));
    } else {
        d.push(quote!(Debug));
    }
    if default {
        d.push(quote!(Default));
    }
    d.push(quote!(PartialEq));
    if traits.eq {
        d.push(quote!(Eq));
    }
    if traits.eq && traits.hash {
        d.push(quote!(Hash));
    }
    if traits.partial_ord {
        d.push(quote!(PartialOrd));
    }
    if traits.ord() {
        d.push(quote!(Ord));
    }
    quote!(#[derive(#(#d),*)])
}

/// A struct or exception: definition and every impl.
pub fn render_struct(ctx: &Ctx, s: &Struct) -> TokenStream {
    let name = &s.name;
    let doc = docs(&s.doc);
    let attrs = &s.attrs;
    let derive = derives(s.traits, s.default_impl == DefaultImpl::Derive, false);
    let fields = s.fields.iter().map(|f| {
        let doc = docs(&f.doc);
        let attrs = &f.attrs;
        let n = &f.name;
        let t = ctx.field_ty(f);
        quote! {
            #doc
            #(#attrs)*
            pub #n: #t,
        }
    });
    let unknown = s.unknown_fields.as_ref().map(|n| {
        let rt = ctx.rt();
        quote! {
            /// Fields this schema does not know, as read; written back after
            /// the known fields.
            pub #n: Vec<#rt::UnknownField>,
        }
    });
    let default_impl = (s.default_impl == DefaultImpl::Manual).then(|| {
        let inits = s.fields.iter().map(|f| {
            let n = &f.name;
            let v = ctx.field_default(f);
            quote!(#n: #v,)
        });
        let unknown = s.unknown_fields.as_ref().map(|n| quote!(#n: Vec::new(),));
        quote! {
            impl Default for #name {
                fn default() -> Self {
                    Self { #(#inits)* #unknown }
                }
            }
        }
    });
    let exception = (s.kind == StructKind::Exception).then(|| {
        quote! {
            impl ::std::fmt::Display for #name {
                fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                    ::std::fmt::Debug::fmt(self, f)
                }
            }

            impl ::std::error::Error for #name {}
        }
    });
    let codec = render_codec(ctx, s);
    let complex = ctx.allow_complex(s.fields.iter().map(|f| &f.ty));
    quote! {
        #doc
        #derive
        #complex
        #(#attrs)*
        pub struct #name {
            #(#fields)*
            #unknown
        }

        #default_impl
        #exception
        #codec
    }
}

/// `WireType`, `Encode` and `Decode` of a struct or exception.
pub fn render_codec(ctx: &Ctx, s: &Struct) -> TokenStream {
    let rt = ctx.rt();
    let name = &s.name;
    let thrift_name = &s.thrift_name;
    let by_id = s.fields_by_id();

    // Encode: every set field in id order, then kept unknown fields.
    let writes = by_id.iter().map(|f| {
        let n = &f.name;
        let tn = &f.thrift_name;
        let tt = ctx.ttype(ctx.wire(&f.ty));
        let id = int_lit(f.id.into());
        if f.is_optional() {
            quote! {
                if let Some(v) = &self.#n {
                    p.write_field_begin(#tn, #tt, #id)?;
                    #rt::Encode::encode(v, p)?;
                    p.write_field_end()?;
                }
            }
        } else {
            quote! {
                p.write_field_begin(#tn, #tt, #id)?;
                #rt::Encode::encode(&self.#n, p)?;
                p.write_field_end()?;
            }
        }
    });
    let write_unknown = s.unknown_fields.as_ref().map(|n| {
        quote! {
            for f in &self.#n {
                f.write(p)?;
            }
        }
    });

    // Decode: any order; a known id with the expected wire type is read,
    // anything else skipped (or kept).
    let local = |f: &crate::codegen::plan::Field| format_ident!("f_{}", f.name.unraw());
    let decls = s.fields.iter().map(|f| {
        let l = local(f);
        quote!(let mut #l = None;)
    });
    let arms = by_id.iter().map(|f| {
        let l = local(f);
        let tt = ctx.ttype(ctx.wire(&f.ty));
        let id = int_lit(f.id.into());
        quote!((#id, #tt) => #l = Some(#rt::Decode::decode(p)?),)
    });
    let (unknown_decl, other) = match &s.unknown_fields {
        Some(_) => (
            quote!(let mut unknown = Vec::new();),
            quote!(unknown.push(#rt::UnknownField::read(p, h)?)),
        ),
        None => (TokenStream::new(), quote!(p.skip(h.ttype)?)),
    };
    let body = if s.fields.is_empty() {
        quote!(#other;)
    } else {
        quote! {
            match (h.id, h.ttype) {
                #(#arms)*
                _ => #other,
            }
        }
    };
    let inits = s.fields.iter().map(|f| {
        let n = &f.name;
        let l = local(f);
        let missing = || {
            let msg = format!(
                "required field `{}` of `{}` is missing",
                f.thrift_name, s.thrift_name
            );
            quote!(#l.ok_or_else(|| #rt::Error::protocol(#rt::ProtocolErrorKind::InvalidData, #msg))?)
        };
        let v = match (f.req, &f.default) {
            (Requiredness::Optional, _) => quote!(#l),
            (Requiredness::Required, _) => missing(),
            (Requiredness::Default, Some(d)) => {
                let dv = ctx.boxed(f, ctx.value(&f.ty, d));
                if ctx.is_cheap(d) && !f.boxed {
                    quote!(#l.unwrap_or(#dv))
                } else {
                    quote!(#l.unwrap_or_else(|| #dv))
                }
            }
            (Requiredness::Default, None) if f.ty_default => quote!(#l.unwrap_or_default()),
            (Requiredness::Default, None) => missing(),
        };
        quote!(#n: #v,)
    });
    let unknown_init = s.unknown_fields.as_ref().map(|n| quote!(#n: unknown,));
    let tt_struct = ctx.ttype(crate::codegen::plan::Wire::Struct);

    quote! {
        impl #rt::WireType for #name {
            const TTYPE: #rt::TType = #tt_struct;
        }

        impl #rt::Encode for #name {
            fn encode<P: #rt::ProtocolWrite + ?Sized>(&self, p: &mut P) -> #rt::Result<()> {
                p.write_struct_begin(#thrift_name)?;
                #(#writes)*
                #write_unknown
                p.write_field_stop()?;
                p.write_struct_end()
            }
        }

        impl #rt::Decode for #name {
            fn decode<P: #rt::ProtocolRead + ?Sized>(p: &mut P) -> #rt::Result<Self> {
                p.read_struct_begin()?;
                #(#decls)*
                #unknown_decl
                while let Some(h) = p.read_field_begin()? {
                    #body
                    p.read_field_end()?;
                }
                p.read_struct_end()?;
                Ok(Self {
                    #(#inits)*
                    #unknown_init
                })
            }
        }
    }
}
