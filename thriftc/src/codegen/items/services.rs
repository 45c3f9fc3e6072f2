//! Services: per service, the argument and result structs of each function
//! (Apache's `<method>_args` / `<method>_result` on the wire), one error enum
//! per function, the handler trait, the processor and the client.
//!
//! For `service Calc extends shared.Base { i32 add(1: i32 a, 2: i32 b) throws (1: Overflow o) }`:
//!
//! ```text
//! pub enum CalcAddError { O(Overflow), Application(ApplicationError), Rpc(Error) }
//! pub trait CalcHandler: super::shared::BaseHandler {
//!     fn add(&self, a: i32, b: i32) -> Result<i32, CalcAddError>;
//! }
//! pub struct CalcProcessor<H: ?Sized> { .. }      // implements the runtime's Processor
//! pub struct CalcClient<C> { .. }                 // add(), and every inherited method
//! ```
//!
//! - The handler trait is `Send + Sync` with `&self` methods, so one handler
//!   serves every connection at once; a child service's trait extends its
//!   parent's (also across files, through `super::<module>::`).
//! - The error enum has a variant per declared exception (named after the
//!   `throws` field), `Application` (a `TApplicationException`, sent as is)
//!   and `Rpc` (any other runtime error: on the client, the call failed; from
//!   a handler, answered as `INTERNAL_ERROR` without the detail). `From`
//!   impls make `?` work.
//! - The processor dispatches on the method name, its own methods first,
//!   then its parent's (the parent processor's hidden `dispatch`); the
//!   runtime's `serve_call` / `serve_oneway` / `unknown_method` hold the
//!   error semantics.
//! - The client has one method per function, inherited ones included;
//!   oneway methods return once the call is sent.
//!
//! Names: the plan claims the items above in the module's namespace after
//! every planned item, in source order, so a clash with a user's type gets a
//! numeric suffix deterministically. Method names come from the plan; on
//! the client, a name that clashes with the client's own methods (or with an
//! inherited method of another service) gets a suffix.

use super::structs::render_struct;
use super::{Ctx, docs};
use crate::codegen::names::{self, RustName, Scope};
use crate::codegen::plan::{Field, Function, Item, Service};
use crate::ir::{self, DefKind};
use proc_macro2::TokenStream;
use quote::quote;

/// The client's own methods: Thrift functions of these names get a suffix.
const CLIENT_RESERVED: &[&str] = &["new", "multiplexed", "inner", "inner_mut", "into_inner"];

/// Service `id` (its items' names were decided by the plan) and the path
/// prefix to reach its items from the module being rendered
/// (`super::shared::` or nothing).
fn planned_service<'c>(ctx: &'c Ctx, id: ir::DefId) -> (TokenStream, &'c Service) {
    let info = ctx.krate.def(id);
    let prefix = if info.module == ctx.module {
        TokenStream::new()
    } else {
        let m = &ctx.krate.modules[info.module].name;
        quote!(super::#m::)
    };
    match ctx.krate.item(id) {
        Item::Service(s) => (prefix, s),
        _ => unreachable!("a service's definition is planned as a service"),
    }
}

/// The parent service, if any.
fn parent(ctx: &Ctx, id: ir::DefId) -> Option<ir::DefId> {
    match &ctx.program.def(id).kind {
        DefKind::Service(s) => s.extends,
        _ => None,
    }
}

/// Renders everything generated for one service.
pub fn render_service(ctx: &Ctx, s: &Service) -> TokenStream {
    if !ctx.krate.gen_client && !ctx.krate.gen_server {
        return TokenStream::new();
    }
    let structs = s.functions.iter().map(|f| {
        let args = render_struct(ctx, &f.args);
        let result = render_struct(ctx, &f.result);
        quote!(#args #result)
    });
    let errors = s
        .functions
        .iter()
        .map(|f| render_error(ctx, s, f, &f.error));
    let server = ctx.krate.gen_server.then(|| render_server(ctx, s));
    let client = ctx.krate.gen_client.then(|| render_client(ctx, s));
    quote! {
        #(#structs)*
        #(#errors)*
        #server
        #client
    }
}

/// One error variant per declared exception.
struct Variant<'a> {
    name: RustName,
    field: &'a Field,
}

/// The variants of a function's error enum, plus the names of the
/// `Application` and `Rpc` variants.
fn variants(f: &Function) -> (Vec<Variant<'_>>, RustName, RustName) {
    let mut scope = Scope::new();
    let app = names::variant_name("Application");
    let rpc = names::variant_name("Rpc");
    scope.reserve(app.unraw());
    scope.reserve(rpc.unraw());
    let vs = exception_fields(f)
        .map(|field| Variant {
            name: scope.claim(names::variant_name(&field.thrift_name)),
            field,
        })
        .collect();
    (vs, app, rpc)
}

/// The exception fields of a result struct (all but `success`).
fn exception_fields(f: &Function) -> impl Iterator<Item = &Field> {
    let skip = usize::from(f.returns.is_some());
    f.result.fields.iter().skip(skip)
}

/// The success field of a result struct.
fn success_field(f: &Function) -> Option<&Field> {
    f.returns.as_ref().and_then(|_| f.result.fields.first())
}

fn render_error(ctx: &Ctx, s: &Service, f: &Function, name: &RustName) -> TokenStream {
    let rt = ctx.rt();
    let (vs, app, rpc) = variants(f);
    let service = &ctx.program.def(s.def).name.name;
    let doc = format!(
        " Errors of `{service}.{}`: its declared exceptions, an application error, or a failed call.",
        f.thrift_name
    );
    let variant_defs = vs.iter().map(|v| {
        let n = &v.name;
        let t = ctx.ty(&v.field.ty);
        let d = docs(&v.field.doc);
        let default_doc = format!(" The declared exception `{}`.", v.field.thrift_name);
        let d = if d.is_empty() {
            quote!(#[doc = #default_doc])
        } else {
            d
        };
        quote! {
            #d
            #n(#t),
        }
    });
    // `From` for each exception type declared once (a type declared twice
    // would make the conversion ambiguous).
    let froms = vs.iter().filter_map(|v| {
        let key = ty_key(&v.field.ty);
        let count = vs.iter().filter(|w| ty_key(&w.field.ty) == key).count();
        (count == 1).then(|| {
            let n = &v.name;
            let t = ctx.ty(&v.field.ty);
            quote! {
                impl From<#t> for #name {
                    fn from(e: #t) -> Self {
                        Self::#n(e)
                    }
                }
            }
        })
    });
    let display_arms = vs.iter().map(|v| {
        let n = &v.name;
        let text = format!("{}: {{:?}}", v.field.thrift_name);
        quote!(Self::#n(e) => write!(f, #text, e),)
    });
    quote! {
        #[doc = #doc]
        #[derive(Debug)]
        #[allow(clippy::large_enum_variant)]
        pub enum #name {
            #(#variant_defs)*
            /// A `TApplicationException`. A handler returns it to send it as
            /// is; a client receives it when the server sent one.
            #app(#rt::ApplicationError),
            /// The call failed: on a client, a transport or protocol error
            /// before a reply arrived; returned by a handler, an undeclared
            /// error, answered as `INTERNAL_ERROR` (the detail is logged, not
            /// sent).
            #rpc(#rt::Error),
        }

        #(#froms)*

        impl From<#rt::ApplicationError> for #name {
            fn from(e: #rt::ApplicationError) -> Self {
                Self::#app(e)
            }
        }

        impl From<#rt::Error> for #name {
            fn from(e: #rt::Error) -> Self {
                match e {
                    #rt::Error::Application(e) => Self::#app(e),
                    e => Self::#rpc(e),
                }
            }
        }

        impl ::std::fmt::Display for #name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                match self {
                    #(#display_arms)*
                    Self::#app(e) => ::std::fmt::Display::fmt(e, f),
                    Self::#rpc(e) => ::std::fmt::Display::fmt(e, f),
                }
            }
        }

        impl ::std::error::Error for #name {
            fn source(&self) -> Option<&(dyn ::std::error::Error + 'static)> {
                match self {
                    Self::#rpc(e) => Some(e),
                    _ => None,
                }
            }
        }
    }
}

/// A comparable key for a planned type (to find duplicate exception types).
fn ty_key(ty: &crate::codegen::plan::Ty) -> String {
    format!("{ty:?}")
}

/// The handler-facing type of an argument: its Rust type, `Option<T>` when
/// optional, never boxed.
fn arg_ty(ctx: &Ctx, f: &Field) -> TokenStream {
    let t = ctx.ty(&f.ty);
    if f.is_optional() {
        quote!(Option<#t>)
    } else {
        t
    }
}

/// Reads argument `f` out of the decoded args struct `__args` (unboxing).
fn take_arg(f: &Field) -> TokenStream {
    let n = &f.name;
    match (f.boxed, f.is_optional()) {
        (false, _) => quote!(__args.#n),
        (true, false) => quote!(*__args.#n),
        (true, true) => quote!(__args.#n.map(|b| *b)),
    }
}

/// Stores a handler-facing value `v` into field `f` of an args struct.
fn put_arg(f: &Field, v: TokenStream) -> TokenStream {
    match (f.boxed, f.is_optional()) {
        (false, _) => v,
        (true, false) => quote!(Box::new(#v)),
        (true, true) => quote!(#v.map(Box::new)),
    }
}

/// The `Result<T, E>` type of a function, with `E` reached by `prefix`.
fn ret_ty(ctx: &Ctx, f: &Function, prefix: &TokenStream, error: &RustName) -> TokenStream {
    let t = match &f.returns {
        Some(t) => ctx.ty(t),
        None => quote!(()),
    };
    quote!(Result<#t, #prefix #error>)
}

fn render_server(ctx: &Ctx, s: &Service) -> TokenStream {
    let rt = ctx.rt();
    let def = ctx.program.def(s.def);
    let service = &def.name.name;
    let handler = &s.handler;
    let processor = &s.processor;

    // The trait.
    let supertrait = match parent(ctx, s.def) {
        Some(p) => {
            let (prefix, ps) = planned_service(ctx, p);
            let h = &ps.handler;
            quote!(#prefix #h)
        }
        None => quote!(Send + Sync),
    };
    let empty = TokenStream::new();
    let methods = s.functions.iter().map(|f| {
        let e = &f.error;
        let doc = docs(&function_doc(ctx, s, f));
        let n = &f.name;
        let params = f.args.fields.iter().map(|a| {
            let an = &a.name;
            let t = arg_ty(ctx, a);
            quote!(#an: #t)
        });
        let ret = ret_ty(ctx, f, &empty, e);
        quote! {
            #doc
            fn #n(&self, #(#params),*) -> #ret;
        }
    });
    let trait_doc = docs(&def.doc);
    let separator = (!trait_doc.is_empty()).then(|| quote!(#[doc = ""]));
    let trait_doc2 = format!(
        " Implement this to serve `{service}`; serve it with [`{processor}`]. One \
         handler serves every connection at once: methods take `&self`, so keep \
         mutable state behind a lock or atomics."
    );

    // The dispatch function: own methods, then the parent's.
    let arms = s.functions.iter().map(|f| {
        let e = &f.error;
        let wire = &f.thrift_name;
        let n = &f.name;
        let args_ty = &f.args.name;
        let result_ty = &f.result.name;
        let call_args = f.args.fields.iter().map(take_arg);
        let call = quote!(#handler::#n(handler, #(#call_args),*));
        let (vs, app, rpc) = variants(f);
        if f.oneway {
            quote! {
                #wire => Some(#rt::serve_oneway(header, input, output, |__args: #args_ty| {
                    match #call {
                        Ok(()) => Ok(()),
                        Err(#e::#app(e)) => Err(e),
                        Err(#e::#rpc(e)) => Err(#rt::internal_error(#wire, &e)),
                    }
                })),
            }
        } else {
            let unknown = f
                .result
                .unknown_fields
                .as_ref()
                .map(|u| quote!(#u: Vec::new(),));
            // `R { this: Some(v), others: None }`
            let build = |set: Option<&Field>, v: TokenStream| {
                let inits = f.result.fields.iter().map(|rf| {
                    let rn = &rf.name;
                    if set.is_some_and(|s| std::ptr::eq(s, rf)) {
                        let v = ctx.boxed(rf, v.clone());
                        quote!(#rn: Some(#v))
                    } else {
                        quote!(#rn: None)
                    }
                });
                quote!(#result_ty { #(#inits,)* #unknown })
            };
            let ok_arm = match success_field(f) {
                Some(sf) => {
                    let b = build(Some(sf), quote!(v));
                    quote!(Ok(v) => Ok(#b),)
                }
                None => {
                    let b = build(None, TokenStream::new());
                    quote!(Ok(()) => Ok(#b),)
                }
            };
            let exc_arms = vs.iter().map(|v| {
                let vn = &v.name;
                let b = build(Some(v.field), quote!(e));
                quote!(Err(#e::#vn(e)) => Ok(#b),)
            });
            quote! {
                #wire => Some(#rt::serve_call(header, input, output, |__args: #args_ty| {
                    match #call {
                        #ok_arm
                        #(#exc_arms)*
                        Err(#e::#app(e)) => Err(e),
                        Err(#e::#rpc(e)) => Err(#rt::internal_error(#wire, &e)),
                    }
                })),
            }
        }
    });
    let fallback = match parent(ctx, s.def) {
        Some(p) => {
            let (prefix, ps) = planned_service(ctx, p);
            let pp = &ps.processor;
            quote!(_ => #prefix #pp::<H>::dispatch(handler, header, input, output),)
        }
        None => quote!(_ => None,),
    };
    // A service with no methods of its own and no parent answers nothing.
    let dispatch_body = if s.functions.is_empty() && parent(ctx, s.def).is_none() {
        quote! {
            let _ = (handler, header, input, output);
            None
        }
    } else {
        quote! {
            match header.name.as_str() {
                #(#arms)*
                #fallback
            }
        }
    };
    let proc_doc = format!(
        " Serves a [`{handler}`]: dispatches `{service}`'s methods (inherited ones \
         included) by name. Give it to the runtime's server, or register it in a \
         multiplexed processor."
    );

    quote! {
        #trait_doc
        #separator
        #[doc = #trait_doc2]
        // Method names come from the IDL: `new`, `to_x`, `is_x` are whatever
        // the service means by them.
        #[allow(
            clippy::result_large_err,
            clippy::too_many_arguments,
            clippy::new_ret_no_self,
            clippy::wrong_self_convention
        )]
        pub trait #handler: #supertrait {
            #(#methods)*
        }

        #[doc = #proc_doc]
        pub struct #processor<H: ?Sized> {
            handler: ::std::sync::Arc<H>,
        }

        impl<H: ?Sized> Clone for #processor<H> {
            fn clone(&self) -> Self {
                Self { handler: ::std::sync::Arc::clone(&self.handler) }
            }
        }

        impl<H: #handler> #processor<H> {
            /// Serves `handler`.
            pub fn new(handler: H) -> Self {
                Self { handler: ::std::sync::Arc::new(handler) }
            }
        }

        impl<H: #handler + ?Sized> #processor<H> {
            /// Serves a handler shared with other code (e.g. to read its
            /// state while it serves).
            pub fn from_arc(handler: ::std::sync::Arc<H>) -> Self {
                Self { handler }
            }

            /// The handler.
            pub fn handler(&self) -> &::std::sync::Arc<H> {
                &self.handler
            }

            /// Serves one call of `header.name` if it is a method of this
            /// service (or of one it extends); `None` otherwise, with nothing
            /// read.
            #[doc(hidden)]
            pub fn dispatch<I, O>(
                handler: &H,
                header: &#rt::MessageHeader,
                input: &mut I,
                output: &mut O,
            ) -> Option<#rt::Result<()>>
            where
                I: #rt::ProtocolRead + ?Sized,
                O: #rt::ProtocolWrite + ?Sized,
            {
                #dispatch_body
            }
        }

        impl<I, O, H> #rt::Processor<I, O> for #processor<H>
        where
            I: #rt::ProtocolRead + ?Sized,
            O: #rt::ProtocolWrite + ?Sized,
            H: #handler + ?Sized,
        {
            fn process(
                &self,
                header: &#rt::MessageHeader,
                input: &mut I,
                output: &mut O,
            ) -> #rt::Result<()> {
                match Self::dispatch(&self.handler, header, input, output) {
                    Some(r) => r,
                    None => #rt::unknown_method(header, input, output),
                }
            }
        }
    }
}

/// A function's doc comment, or a line naming it.
fn function_doc(ctx: &Ctx, s: &Service, f: &Function) -> Option<String> {
    let def = ctx.program.def(s.def);
    let ir_fn = match &def.kind {
        DefKind::Service(svc) => svc.functions.iter().find(|g| g.name.name == f.thrift_name),
        _ => None,
    };
    match ir_fn.and_then(|g| g.doc.clone()) {
        Some(d) if !d.trim().is_empty() => Some(d),
        _ => Some(format!("`{}.{}`.", def.name.name, f.thrift_name)),
    }
}

/// The functions a client of service `id` offers: its own, then those of
/// the services it extends (nearest first), each with its service.
fn client_functions<'c>(ctx: &'c Ctx, id: ir::DefId) -> Vec<(ir::DefId, &'c Function)> {
    let mut out = Vec::new();
    let mut cur = Some(id);
    let mut depth = 0;
    while let Some(d) = cur {
        // The front end rejects `extends` cycles; the bound guards anyway.
        if depth > 256 {
            break;
        }
        depth += 1;
        if let Item::Service(s) = ctx.krate.item(d) {
            for f in &s.functions {
                out.push((d, f));
            }
        }
        cur = parent(ctx, d);
    }
    out
}

fn render_client(ctx: &Ctx, s: &Service) -> TokenStream {
    let rt = ctx.rt();
    let def = ctx.program.def(s.def);
    let service = &def.name.name;
    let client = &s.client;
    let mut scope = Scope::new();
    for r in CLIENT_RESERVED {
        scope.reserve(r);
    }
    let methods = client_functions(ctx, s.def).into_iter().map(|(owner, f)| {
        let (prefix, owner_svc) = planned_service(ctx, owner);
        let error = &f.error;
        let n = scope.claim(f.name.clone());
        let doc = docs(&function_doc(ctx, owner_svc, f));
        let wire = &f.thrift_name;
        let args_ty = &f.args.name;
        let result_ty = &f.result.name;
        let params = f.args.fields.iter().map(|a| {
            let an = &a.name;
            let t = arg_ty(ctx, a);
            quote!(#an: #t)
        });
        let inits = f.args.fields.iter().map(|a| {
            let an = &a.name;
            if a.boxed {
                let v = put_arg(a, quote!(#an));
                quote!(#an: #v)
            } else {
                quote!(#an)
            }
        });
        let unknown = f
            .args
            .unknown_fields
            .as_ref()
            .map(|u| quote!(#u: Vec::new(),));
        let ret = ret_ty(ctx, f, &prefix, error);
        let build = quote! {
            let __args = #prefix #args_ty { #(#inits,)* #unknown };
        };
        let body = if f.oneway {
            quote! {
                #build
                self.channel.call_oneway(#wire, &__args)?;
                Ok(())
            }
        } else {
            let (vs, _, _) = variants(f);
            let unbox = |fld: &Field, v: TokenStream| if fld.boxed { quote!(*#v) } else { v };
            let exc = vs.iter().map(|v| {
                let fname = &v.field.name;
                let vn = &v.name;
                let e = unbox(v.field, quote!(e));
                quote! {
                    if let Some(e) = __reply.#fname {
                        return Err(#prefix #error::#vn(#e));
                    }
                }
            });
            let finish = match success_field(f) {
                Some(sf) => {
                    let sn = &sf.name;
                    let v = unbox(sf, quote!(v));
                    quote! {
                        if let Some(v) = __reply.#sn {
                            return Ok(#v);
                        }
                        #(#exc)*
                        Err(#rt::missing_result(#wire).into())
                    }
                }
                None => quote! {
                    #(#exc)*
                    Ok(())
                },
            };
            let binding = if f.result.fields.is_empty() {
                quote!(let _)
            } else {
                quote!(let __reply)
            };
            quote! {
                #build
                #binding = self.channel.call::<_, #prefix #result_ty>(#wire, &__args)?;
                #finish
            }
        };
        quote! {
            #doc
            pub fn #n(&mut self, #(#params),*) -> #ret {
                #body
            }
        }
    });
    let doc = format!(
        " A client of `{service}` (inherited methods included): one typed method per \
         function, over any channel: a connection, or a multiplexed view of one. One \
         call at a time; open one client per thread to call concurrently."
    );
    quote! {
        #[doc = #doc]
        #[derive(Debug)]
        pub struct #client<C> {
            channel: C,
        }

        impl<C: #rt::Channel> #client<C> {
            /// Calls through `channel` (e.g. a connected runtime client).
            pub fn new(channel: C) -> Self {
                Self { channel }
            }

            /// The channel.
            pub fn inner(&self) -> &C {
                &self.channel
            }

            /// The channel, mutably.
            pub fn inner_mut(&mut self) -> &mut C {
                &mut self.channel
            }

            /// Gives the channel back.
            pub fn into_inner(self) -> C {
                self.channel
            }
        }

        impl<C: #rt::Channel> #client<#rt::Multiplexed<C>> {
            /// Calls the service registered as `service` on a multiplexed
            /// server (method names sent as `service:method`).
            pub fn multiplexed(channel: C, service: impl Into<String>) -> Self {
                Self { channel: #rt::Multiplexed::new(channel, service) }
            }
        }

        #[allow(
            clippy::result_large_err,
            clippy::too_many_arguments,
            clippy::should_implement_trait,
            clippy::wrong_self_convention
        )]
        impl<C: #rt::Channel> #client<C> {
            #(#methods)*
        }
    }
}
