//! Unions: a Rust enum with one variant per field plus a variant that keeps
//! a field this schema does not know (a newer peer's variant), so reading it
//! is not an error and writing it back loses nothing.
//!
//! Reading: exactly one known field must be set (`INVALID_DATA` for none or
//! several); unknown fields next to a known one are skipped; a union with
//! only unknown fields reads as the unknown variant (the first one).

use super::structs::derives;
use super::{Ctx, docs, int_lit};
use crate::codegen::plan::{Struct, Wire};
use proc_macro2::TokenStream;
use quote::quote;

/// The union's Rust enum (a variant per field plus the unknown variant) and
/// its codec implementation.
pub fn render_union(ctx: &Ctx, u: &Struct) -> TokenStream {
    let rt = ctx.rt();
    let name = &u.name;
    let thrift_name = &u.thrift_name;
    let doc = docs(&u.doc);
    let attrs = &u.attrs;
    let derive = derives(u.traits, false, false);
    let unknown = u
        .unknown_variant
        .clone()
        .unwrap_or_else(|| crate::codegen::names::variant_name("Unknown"));
    let variants = u.fields.iter().map(|f| {
        let doc = docs(&f.doc);
        let attrs = &f.attrs;
        let n = &f.name;
        let t = ctx.stored_ty(f);
        quote! {
            #doc
            #(#attrs)*
            #n(#t),
        }
    });

    let writes = u.fields.iter().map(|f| {
        let n = &f.name;
        let tn = &f.thrift_name;
        let tt = ctx.ttype(ctx.wire(&f.ty));
        let id = int_lit(f.id.into());
        quote! {
            Self::#n(v) => {
                p.write_field_begin(#tn, #tt, #id)?;
                #rt::Encode::encode(v, p)?;
                p.write_field_end()?;
            }
        }
    });
    let write_body = if u.fields.is_empty() {
        quote! {
            let Self::#unknown(f) = self;
            f.write(p)?;
        }
    } else {
        quote! {
            match self {
                #(#writes)*
                Self::#unknown(f) => f.write(p)?,
            }
        }
    };

    let no_field = format!("union `{thrift_name}` has no field set");
    let several = format!("union `{thrift_name}` has more than one field set");
    let keep_unknown = quote! {
        if unknown.is_none() {
            unknown = Some(Self::#unknown(#rt::UnknownField::read(p, h)?));
        } else {
            p.skip(h.ttype)?;
        }
    };
    let read_body = if u.fields.is_empty() {
        quote! {
            p.read_struct_begin()?;
            let mut unknown = None;
            while let Some(h) = p.read_field_begin()? {
                #keep_unknown
                p.read_field_end()?;
            }
            p.read_struct_end()?;
            unknown.ok_or_else(|| #rt::Error::protocol(#rt::ProtocolErrorKind::InvalidData, #no_field))
        }
    } else {
        let arms = u.fields.iter().map(|f| {
            let n = &f.name;
            let tt = ctx.ttype(ctx.wire(&f.ty));
            let id = int_lit(f.id.into());
            quote!((#id, #tt) => Self::#n(#rt::Decode::decode(p)?),)
        });
        quote! {
            p.read_struct_begin()?;
            let mut value: Option<Self> = None;
            let mut unknown = None;
            while let Some(h) = p.read_field_begin()? {
                let v = match (h.id, h.ttype) {
                    #(#arms)*
                    _ => {
                        #keep_unknown
                        p.read_field_end()?;
                        continue;
                    }
                };
                if value.replace(v).is_some() {
                    return Err(#rt::Error::protocol(#rt::ProtocolErrorKind::InvalidData, #several));
                }
                p.read_field_end()?;
            }
            p.read_struct_end()?;
            value
                .or(unknown)
                .ok_or_else(|| #rt::Error::protocol(#rt::ProtocolErrorKind::InvalidData, #no_field))
        }
    };
    let tt_struct = ctx.ttype(Wire::Struct);
    let complex = ctx.allow_complex(u.fields.iter().map(|f| &f.ty));

    quote! {
        #doc
        #derive
        #complex
        // Variants mirror the IDL: boxing large ones or renaming them would
        // change the API the IDL describes.
        #[allow(clippy::large_enum_variant, clippy::enum_variant_names)]
        #(#attrs)*
        pub enum #name {
            #(#variants)*
            /// A field this schema does not know (sent by a newer peer), kept
            /// as read so that writing the value back loses nothing.
            #unknown(#rt::UnknownField),
        }

        impl #rt::WireType for #name {
            const TTYPE: #rt::TType = #tt_struct;
        }

        impl #rt::Encode for #name {
            fn encode<P: #rt::ProtocolWrite + ?Sized>(&self, p: &mut P) -> #rt::Result<()> {
                p.write_struct_begin(#thrift_name)?;
                #write_body
                p.write_field_stop()?;
                p.write_struct_end()
            }
        }

        impl #rt::Decode for #name {
            fn decode<P: #rt::ProtocolRead + ?Sized>(p: &mut P) -> #rt::Result<Self> {
                #read_body
            }
        }
    }
}
