//! The view flavour of a service, generated when [`Options::views`] selects
//! one of its functions or one of a service it extends (at any depth): a
//! handler trait whose selected methods take their arguments as views
//! borrowing the request, and a processor serving it.
//!
//! For `service Bench { Payload echo(1: Payload p), i64 add(1: i64 a, 2: i64 b) }`
//! with `views = ["."]`:
//!
//! ```text
//! pub trait BenchViewHandler: Send + Sync {
//!     fn echo<'a>(&self, p: PayloadRef<'a>)
//!         -> Result<__rt::CowView<Payload, PayloadRef<'a>>, BenchEchoError>;
//!     fn add(&self, a: i64, b: i64) -> Result<i64, BenchAddError>;   // as in BenchHandler
//! }
//! impl<'x, H: BenchViewHandler + ?Sized> __rt::ViewCall<H> for BenchEchoArgsRef<'x> { .. }
//! pub struct BenchViewProcessor<H: ?Sized> { .. }   // implements the runtime's Processor
//! ```
//!
//! - A method gets views when its function is selected and its argument
//!   struct has a view (`<Service><Method>ArgsRef<'a>`, planned when an
//!   argument borrows); every other method has the owned handler's
//!   signature and is served as the owned processor serves it.
//! - A method with views returns `CowView<T, TV<'a>>` when its return type
//!   has a view type `TV` other than its owned type `T` (a `string`, a
//!   `binary`, a struct with a view, containers of them): the handler may
//!   answer with a view borrowing the arguments, or with an owned value.
//!   The lifetime is named only then; elsewhere it is elided.
//! - The error enums are the owned handler's. The `ViewCall` (`ViewOneway`)
//!   impl on the argument view maps the method's outcome to the reply as the
//!   owned processor does; the runtime's `serve_view_call`
//!   (`serve_view_oneway`) decodes the view from the request and writes the
//!   reply.
//! - The trait extends the parent's view trait when the parent service has
//!   a view flavour, its owned handler trait otherwise; the processor falls
//!   through to the matching parent processor. A service without methods
//!   of its own whose ancestors have selected functions gets an empty view
//!   trait, so that the services extending it serve those functions with
//!   views too.
//!
//! Every item here is laid out by the safety net.
//!
//! [`Options::views`]: crate::options::Options::views

use super::services::{
    ProcessorSpec, SERVER_ALLOWS, function_doc, param_names, parent, planned_service,
    render_processor, result_inits, success_field, take_arg, variants,
};
use super::{Ctx, docs, str_lit};
use crate::codegen::plan::{Field, Function, Service, ViewServer};
use crate::codegen::writer::{Writer, wln, wopen};

/// The view trait, the `ViewCall`/`ViewOneway` impls and the processor of
/// a service with a view flavour.
pub fn render_view_server(ctx: &Ctx, w: &mut Writer, s: &Service, view: &ViewServer) {
    let def = ctx.program.def(s.def);
    let service = &def.name.name;
    let handler = view.handler.as_str();
    let processor = view.processor.as_str();

    // The parent's trait and processor: its view flavour if it has one.
    let (supertrait, parent_processor) = match parent(ctx, s.def) {
        Some(p) => {
            let (prefix, ps) = planned_service(ctx, p);
            match &ps.view {
                Some(pv) => (
                    format!("{prefix}{}", pv.handler),
                    Some(format!("{prefix}{}", pv.processor)),
                ),
                None => (
                    format!("{prefix}{}", ps.handler),
                    Some(format!("{prefix}{}", ps.processor)),
                ),
            }
        }
        None => ("Send + Sync".to_owned(), None),
    };

    w.begin_item();
    w.inexact();
    let has_doc = def.doc.as_ref().is_some_and(|d| !d.trim().is_empty());
    docs(w, &def.doc);
    if has_doc {
        w.doc("");
    }
    w.doc(&format!(
        " Implement this to serve `{service}` with arguments borrowed from the request; \
         serve it with [`{processor}`]. The methods the `views` option selects take their \
         `string`s as `&str`, `binary`s as `&[u8]` and structs as their views, and may \
         return a view borrowing them; the others are those of [`{}`]. One handler serves \
         every connection at once: methods take `&self`, so keep mutable state behind a lock \
         or atomics.",
        s.handler
    ));
    for l in SERVER_ALLOWS {
        w.line(l);
    }
    // `CowView<T, TV<'a>>` spells a nested return type twice.
    w.line("#[allow(clippy::type_complexity)]");
    wopen!(w, "pub trait {handler}: {supertrait} {{");
    for f in &s.functions {
        docs(w, &function_doc(ctx, s, f));
        wln!(w, "{};", method_sig(ctx, f));
    }
    w.close("}");
    w.end_item();

    for f in &s.functions {
        if let Some(args_view) = &f.args_view {
            if f.oneway {
                view_oneway_impl(ctx, w, handler, f, args_view.as_str());
            } else {
                view_call_impl(ctx, w, handler, f, args_view.as_str());
            }
        }
    }

    let doc = format!(
        " Serves a [`{handler}`]: dispatches `{service}`'s methods (inherited ones \
         included) by name; the arguments of its methods with views borrow the request \
         as it was read. Give it to the runtime's server, or register it in a multiplexed \
         processor."
    );
    render_processor(
        ctx,
        w,
        s,
        &ProcessorSpec {
            handler,
            processor,
            doc: &doc,
            parent: parent_processor.as_deref(),
            view: true,
        },
    );
}

/// Does the method of `f` take views and return a `CowView`?
fn returns_view(ctx: &Ctx, f: &Function) -> bool {
    f.args_view.is_some() && f.returns.as_ref().is_some_and(|t| ctx.borrows(t))
}

/// The signature of the view trait's method for `f` (no `;`).
fn method_sig(ctx: &Ctx, f: &Function) -> String {
    let Some(sig) = view_sig(ctx, f) else {
        return owned_sig(ctx, f);
    };
    format!(
        "fn {}{}({}) -> {}",
        f.name,
        sig.generics,
        sig.params.join(", "),
        sig.ret
    )
}

/// The parts of a method signature that takes views.
pub(super) struct ViewSig {
    /// `<'a>` where the return type borrows, empty otherwise.
    pub generics: &'static str,
    /// `&self`, then `name: Type` per argument.
    pub params: Vec<String>,
    /// `Result<T, E>`, `T` a `CowView` where the return type borrows.
    pub ret: String,
}

/// The view method's signature for `f`, when `f` takes views (`None`: the
/// owned handler's signature).
pub(super) fn view_sig(ctx: &Ctx, f: &Function) -> Option<ViewSig> {
    f.args_view.as_ref()?;
    // The lifetime is named where the return type borrows.
    let named = returns_view(ctx, f);
    let mut params = vec!["&self".to_owned()];
    for (a, n) in f.args.fields.iter().zip(param_names(f)) {
        params.push(format!("{n}: {}", view_arg_ty(ctx, a, named)));
    }
    let ret = match &f.returns {
        Some(t) if named => {
            let rt = ctx.rt();
            format!("{rt}::CowView<{}, {}>", ctx.ty(t), ctx.view_ty(t))
        }
        Some(t) => ctx.ty(t),
        None => "()".to_owned(),
    };
    Some(ViewSig {
        generics: if named { "<'a>" } else { "" },
        params,
        ret: format!("Result<{ret}, {}>", f.error),
    })
}

/// The owned handler's signature of `f`.
fn owned_sig(ctx: &Ctx, f: &Function) -> String {
    let mut params = vec!["&self".to_owned()];
    for (a, n) in f.args.fields.iter().zip(param_names(f)) {
        let t = ctx.ty(&a.ty);
        let t = if a.is_optional() {
            format!("Option<{t}>")
        } else {
            t
        };
        params.push(format!("{n}: {t}"));
    }
    let ret = match &f.returns {
        Some(t) => ctx.ty(t),
        None => "()".to_owned(),
    };
    format!(
        "fn {}({}) -> Result<{ret}, {}>",
        f.name,
        params.join(", "),
        f.error
    )
}

/// The handler-facing view type of an argument (`Option` when optional,
/// never boxed), with the lifetime `'a` when `named`, elided otherwise.
fn view_arg_ty(ctx: &Ctx, a: &Field, named: bool) -> String {
    let t = ctx.view_ty(&a.ty);
    // `view_ty` spells the lifetime only as `&'a ` and `<'a>`.
    let t = if named {
        t
    } else {
        t.replace("&'a ", "&").replace("<'a>", "<'_>")
    };
    if a.is_optional() {
        format!("Option<{t}>")
    } else {
        t
    }
}

/// `match Handler::method(handler, args...) {` (`.await` before the `{`
/// when `awaited`), the arguments read from the view named `args`.
pub(super) fn call_head(handler: &str, f: &Function, args: &str, awaited: bool) -> String {
    let mut list = vec!["handler".to_owned()];
    list.extend(f.args.fields.iter().map(|a| take_arg(args, a)));
    let awaited = if awaited { ".await" } else { "" };
    format!(
        "match {handler}::{}({}){awaited} {{",
        f.name,
        list.join(", ")
    )
}

/// The arms mapping the `Application` and `Rpc` errors.
pub(super) fn error_arms(w: &mut Writer, f: &Function) {
    let (_, app, rpc) = variants(f);
    let e = f.error.as_str();
    let wire = str_lit(&f.thrift_name);
    wln!(w, "Err({e}::{app}(e)) => Err(e),");
    wln!(
        w,
        "Err({e}::{rpc}(e)) => Err(__rt::internal_error({wire}, &e)),"
    );
}

/// `impl ViewCall` on the argument view of a two-way method.
fn view_call_impl(ctx: &Ctx, w: &mut Writer, handler: &str, f: &Function, args_view: &str) {
    let rt = ctx.rt();
    let result = f.result.name.as_str();
    w.begin_item();
    w.inexact();
    wopen!(
        w,
        "impl<'x, H: {handler} + ?Sized> {rt}::ViewCall<H> for {args_view}<'x> {{"
    );
    wln!(w, "type Args<'a> = {args_view}<'a>;");
    if returns_view(ctx, f) {
        let t = f.returns.as_ref().expect("a view reply has a return type");
        wln!(
            w,
            "type Reply<'a> = __rt::ViewResult<__rt::CowView<{}, {}>, {result}>;",
            ctx.ty(t),
            ctx.view_ty(t)
        );
    } else {
        wln!(w, "type Reply<'a> = {result};");
    }
    w.open(
        "fn call<'a>(handler: &H, args: Self::Args<'a>) -> ::std::result::Result<Self::Reply<'a>, __rt::ApplicationError> {",
    );
    w.open(&call_head(handler, f, "args", false));
    outcome_arms(ctx, w, f, false);
    w.close("}");
    w.close("}");
    w.close("}");
    w.end_item();
}

/// The arms of a `match` on the outcome of a two-way method with views: the
/// result struct to reply with (a `ViewResult` when the return type
/// borrows), or the application error. `typed`: the `ViewResult` of a
/// success names its result struct, for a `match` whose type nothing else
/// fixes.
pub(super) fn outcome_arms(ctx: &Ctx, w: &mut Writer, f: &Function, typed: bool) {
    let result = f.result.name.as_str();
    let view_reply = returns_view(ctx, f);
    let e = f.error.as_str();
    // `R { set: Some(v), others: None }`
    let build = |set: Option<&Field>, v: &str| -> String {
        let inits = result_inits(ctx, f, set, v);
        if inits.is_empty() {
            format!("{result} {{}}")
        } else {
            format!("{result} {{ {} }}", inits.join(", "))
        }
    };
    let wrap = |r: String| {
        if view_reply {
            format!("__rt::ViewResult::Other({r})")
        } else {
            r
        }
    };
    match success_field(f) {
        Some(_) if view_reply && typed => wln!(
            w,
            "Ok(v) => Ok(__rt::ViewResult::<_, {result}>::Success(v)),"
        ),
        Some(_) if view_reply => w.line("Ok(v) => Ok(__rt::ViewResult::Success(v)),"),
        Some(sf) => wln!(w, "Ok(v) => Ok({}),", build(Some(sf), "v")),
        None => wln!(w, "Ok(()) => Ok({}),", build(None, "")),
    }
    let (vs, _, _) = variants(f);
    for v in &vs {
        wln!(
            w,
            "Err({e}::{}(e)) => Ok({}),",
            v.name,
            wrap(build(Some(v.field), "e"))
        );
    }
    error_arms(w, f);
}

/// `impl ViewOneway` on the argument view of a oneway method.
fn view_oneway_impl(ctx: &Ctx, w: &mut Writer, handler: &str, f: &Function, args_view: &str) {
    let rt = ctx.rt();
    w.begin_item();
    w.inexact();
    wopen!(
        w,
        "impl<'x, H: {handler} + ?Sized> {rt}::ViewOneway<H> for {args_view}<'x> {{"
    );
    wln!(w, "type Args<'a> = {args_view}<'a>;");
    w.open(
        "fn call<'a>(handler: &H, args: Self::Args<'a>) -> ::std::result::Result<(), __rt::ApplicationError> {",
    );
    w.open(&call_head(handler, f, "args", false));
    w.line("Ok(()) => Ok(()),");
    error_arms(w, f);
    w.close("}");
    w.close("}");
    w.close("}");
    w.end_item();
}
