//! The async (tokio) flavour of a service, generated beside the blocking
//! code when [`Options::async_services`] is on.
//!
//! For `service Calc extends shared.Base { i32 add(1: i32 a, 2: i32 b) throws (1: Overflow o) }`:
//!
//! ```text
//! pub trait CalcAsyncHandler: super::shared::BaseAsyncHandler {
//!     fn add(&self, a: i32, b: i32)
//!         -> impl ::std::future::Future<Output = Result<i32, CalcAddError>> + Send;
//! }
//! pub struct CalcAsyncProcessor<H: ?Sized> { .. }   // implements the runtime's AsyncProcessor
//! pub struct CalcAsyncClient<C> { .. }              // async fn add(), and every inherited method
//! ```
//!
//! - The argument and result structs and the error enums are the blocking
//!   code's (planned and rendered once, in [`super::services`]).
//! - The trait's root is `Send + Sync + 'static` (the runtime's server
//!   shares one handler between its tasks); a child service's trait extends
//!   its parent's async trait, across files too. Users implement the
//!   methods with `async fn`; the returned futures must be `Send`.
//! - The processor's hidden `dispatch` matches the method name, decodes
//!   the arguments from the runtime's `Call`, awaits the handler and maps
//!   its outcome to the reply as the blocking processor does (the same
//!   code: `services::outcome_match`); a name it does not know
//!   goes to the parent processor's `dispatch`, and at the root back to
//!   the caller (`Err(call)`), which answers `UNKNOWN_METHOD`.
//! - The client is the blocking client's code with `async fn`s that await
//!   the channel (`services::render_client_flavour`).
//!
//! With [`Options::views`] too, a service with a view flavour also gets an
//! async one, `<Service>AsyncViewHandler` and `<Service>AsyncViewProcessor`:
//! the blocking view trait's signatures (`super::view_services`) returning
//! futures, served by a processor that reads the arguments as views of the
//! call's bytes (`Call::view_args`) and writes the reply from what may
//! borrow them (`Call::view_reply`). Its trait extends the parent's async
//! view trait where the parent has one, its async trait otherwise.
//!
//! The traits, `dispatch` and the client's methods are laid out by the
//! safety net; the rest is written exactly.
//!
//! [`Options::async_services`]: crate::options::Options::async_services
//! [`Options::views`]: crate::options::Options::views

use super::services::{
    ClientSpec, SERVER_ALLOWS, function_doc, outcome_match, params, parent, planned_service,
    processor_head, render_client_flavour, ret_ty,
};
use super::view_services::{call_head, error_arms, outcome_arms, view_sig};
use super::{ALLOW_COMPLEX, Ctx, docs, str_lit};
use crate::codegen::layout::fn_sig;
use crate::codegen::names::RustName;
use crate::codegen::plan::{AsyncNames, Function, Service};
use crate::codegen::writer::{Writer, wln, wopen};

/// One async server flavour of a service: the owned one, or the one whose
/// selected methods take views.
struct Flavour<'n> {
    handler: &'n str,
    processor: &'n str,
    view: bool,
}

impl<'n> Flavour<'n> {
    fn owned(names: &'n AsyncNames) -> Flavour<'n> {
        Flavour {
            handler: names.handler.as_str(),
            processor: names.processor.as_str(),
            view: false,
        }
    }

    /// The flavour a child service's flavour extends: the parent's view
    /// flavour for a view flavour, where the parent has one.
    fn of_parent(names: &'n AsyncNames, view: bool) -> Flavour<'n> {
        match (&names.view, view) {
            (Some(v), true) => Flavour {
                handler: v.handler.as_str(),
                processor: v.processor.as_str(),
                view: true,
            },
            _ => Flavour::owned(names),
        }
    }
}

/// The async handler traits, processors and client of a service, as
/// `gen_server` and `gen_client` ask.
pub fn render_async_service(ctx: &Ctx, w: &mut Writer, s: &Service, names: &AsyncNames) {
    if ctx.krate.gen_server {
        let owned = Flavour::owned(names);
        render_handler(ctx, w, s, names, &owned);
        render_processor(ctx, w, s, &owned);
        if let Some(v) = &names.view {
            let view = Flavour {
                handler: v.handler.as_str(),
                processor: v.processor.as_str(),
                view: true,
            };
            render_handler(ctx, w, s, names, &view);
            render_processor(ctx, w, s, &view);
        }
    }
    if ctx.krate.gen_client {
        let rt = ctx.rt();
        let service = &ctx.program.def(s.def).name.name;
        let doc = format!(
            " An async client of `{service}` (inherited methods included): one typed \
             `async fn` per function, over any async channel: a connection, or a \
             multiplexed view of one. One call at a time; open one client per task to \
             call concurrently."
        );
        render_client_flavour(
            ctx,
            w,
            s,
            &ClientSpec {
                client: names.client.as_str(),
                bound: &format!("{rt}::tokio::AsyncChannel"),
                doc: &doc,
                asynchronous: true,
            },
        );
    }
}

/// The parent service's flavour that `flavour` of `s` extends, with the
/// path prefix to reach it.
fn parent_flavour<'c>(ctx: &'c Ctx, s: &Service, view: bool) -> Option<(String, Flavour<'c>)> {
    let p = parent(ctx, s.def)?;
    let (prefix, ps) = planned_service(ctx, p);
    // Every service of the crate is planned with the same options.
    let names = ps.async_names.as_ref()?;
    Some((prefix, Flavour::of_parent(names, view)))
}

fn render_handler(ctx: &Ctx, w: &mut Writer, s: &Service, names: &AsyncNames, fl: &Flavour) {
    let def = ctx.program.def(s.def);
    let service = &def.name.name;
    let processor = fl.processor;
    let supertrait = match parent_flavour(ctx, s, fl.view) {
        Some((prefix, pf)) => format!("{prefix}{}", pf.handler),
        None => "Send + Sync + 'static".to_owned(),
    };
    w.begin_item();
    // `impl Future` return types: laid out by the safety net.
    w.inexact();
    let has_doc = def.doc.as_ref().is_some_and(|d| !d.trim().is_empty());
    docs(w, &def.doc);
    if has_doc {
        w.doc("");
    }
    if fl.view {
        w.doc(&format!(
            " Implement this to serve `{service}` on tokio with arguments borrowed from the \
             request; serve it with [`{processor}`]. The methods the `views` option selects \
             take their `string`s as `&str`, `binary`s as `&[u8]` and structs as their views, \
             and may return a view borrowing them; the others are those of [`{}`]. Implement \
             the methods with `async fn` (their futures must be `Send`). One handler serves \
             every connection at once: methods take `&self`, so keep mutable state behind a \
             lock or atomics.",
            names.handler
        ));
    } else {
        w.doc(&format!(
            " Implement this to serve `{service}` on tokio; serve it with [`{processor}`]. \
             Implement the methods with `async fn` (their futures must be `Send`). One \
             handler serves every connection at once: methods take `&self`, so keep mutable \
             state behind a lock or atomics."
        ));
    }
    for l in SERVER_ALLOWS {
        w.line(l);
    }
    if fl.view {
        // `CowView<T, TV<'a>>` spells a nested return type twice.
        w.line("#[allow(clippy::type_complexity)]");
    }
    let handler = fl.handler;
    if s.functions.is_empty() {
        wln!(w, "pub trait {handler}: {supertrait} {{}}");
    } else {
        wopen!(w, "pub trait {handler}: {supertrait} {{");
        for f in &s.functions {
            docs(w, &function_doc(ctx, s, f));
            match view_sig(ctx, f).filter(|_| fl.view) {
                Some(sig) => wln!(
                    w,
                    "fn {}{}({}) -> impl ::std::future::Future<Output = {}> + Send;",
                    f.name,
                    sig.generics,
                    sig.params.join(", "),
                    sig.ret
                ),
                None => {
                    if ctx.fn_too_complex(f) {
                        w.line(ALLOW_COMPLEX);
                    }
                    let ret = format!(
                        "impl ::std::future::Future<Output = {}> + Send",
                        ret_ty(ctx, f, "", &f.error)
                    );
                    fn_sig(
                        w,
                        &format!("fn {}", f.name),
                        &params(ctx, "&self", f),
                        Some(&ret),
                        ";",
                    );
                }
            }
        }
        w.close("}");
    }
    w.end_item();
}

fn render_processor(ctx: &Ctx, w: &mut Writer, s: &Service, fl: &Flavour) {
    let rt = ctx.rt();
    let service = &ctx.program.def(s.def).name.name;
    let handler = fl.handler;
    let processor = fl.processor;
    let parent =
        parent_flavour(ctx, s, fl.view).map(|(prefix, pf)| format!("{prefix}{}", pf.processor));
    let doc = if fl.view {
        format!(
            " Serves a [`{handler}`]: dispatches `{service}`'s methods (inherited ones \
             included) by name; the arguments of its methods with views borrow the \
             request's bytes. Give it to the runtime's async server, or register it in an \
             async multiplexed processor."
        )
    } else {
        format!(
            " Serves a [`{handler}`]: dispatches `{service}`'s methods (inherited ones \
             included) by name. Give it to the runtime's async server, or register it in an \
             async multiplexed processor."
        )
    };
    processor_head(w, handler, processor, &doc);
    // `async fn` and `.await`: laid out by the safety net.
    w.inexact();
    w.doc(" Serves `call` if its method is one of this service (or of one");
    w.doc(" it extends); gives it back otherwise, with nothing read.");
    w.line("#[doc(hidden)]");
    wln!(
        w,
        "pub async fn dispatch(handler: &H, call: {rt}::tokio::Call) -> Result<{rt}::tokio::Reply, {rt}::tokio::Call> {{"
    );
    w.indent_in();
    if s.functions.is_empty() {
        // A `match` with only the fallback arm would trip
        // `clippy::match_single_binding`.
        match &parent {
            Some(pp) => wln!(w, "{pp}::<H>::dispatch(handler, call).await"),
            None => {
                w.line("let _ = handler;");
                w.line("Err(call)");
            }
        }
    } else {
        w.open("match call.header().name.as_str() {");
        for f in &s.functions {
            match f.args_view.as_ref().filter(|_| fl.view) {
                Some(view) => view_dispatch_arm(ctx, w, handler, f, view),
                None => dispatch_arm(ctx, w, handler, f),
            }
        }
        match &parent {
            Some(pp) => wln!(w, "_ => {pp}::<H>::dispatch(handler, call).await,"),
            None => w.line("_ => Err(call),"),
        }
        w.close("}");
    }
    w.close("}");
    w.close("}");
    w.end_item();

    w.begin_item();
    wln!(
        w,
        "impl<H: {handler} + ?Sized> {rt}::tokio::AsyncProcessor for {processor}<H> {{"
    );
    w.indent_in();
    for l in [
        "fn process(",
        "    &self,",
        "    call: __rt::tokio::Call,",
        ") -> __rt::tokio::BoxFuture<'_, __rt::tokio::Reply> {",
        "    Box::pin(async move {",
        "        match Self::dispatch(&self.handler, call).await {",
        "            Ok(reply) => reply,",
        "            Err(call) => call.unknown_method(),",
        "        }",
        "    })",
        "}",
    ] {
        w.line(l);
    }
    w.close("}");
    w.end_item();
}

/// One arm of the async `dispatch`: decode the arguments (a reply instead
/// when they do not decode), await the handler, reply with its outcome.
fn dispatch_arm(ctx: &Ctx, w: &mut Writer, handler: &str, f: &Function) {
    let wire = str_lit(&f.thrift_name);
    wopen!(w, "{wire} => {{");
    // A method declared `oneway` is never answered, even when it arrives
    // as a CALL message: its arguments and its handler (panics included)
    // go through the `oneway` forms, which send nothing.
    let read = if f.oneway { "oneway_args" } else { "args" };
    wln!(w, "let __args: {} = match call.{read}() {{", f.args.name);
    w.line("    Ok(args) => args,");
    w.line("    Err(reply) => return Ok(reply),");
    w.line("};");
    if f.oneway {
        wopen!(w, "let __outcome = async move {{");
        outcome_match(ctx, w, handler, f, true);
        w.close("}");
        w.close("};");
        w.line("Ok(call.oneway(__outcome).await)");
    } else {
        w.line("let __outcome = ");
        outcome_match(ctx, w, handler, f, true);
        w.close("};");
        w.line("Ok(call.reply(__outcome))");
    }
    w.close("}");
}

/// [`dispatch_arm`] for a method that takes views: the arguments view
/// `view` borrows the call, and so may the outcome, so the call replies
/// without being consumed (`view_reply`, `view_oneway`).
fn view_dispatch_arm(ctx: &Ctx, w: &mut Writer, handler: &str, f: &Function, view: &RustName) {
    let wire = str_lit(&f.thrift_name);
    wopen!(w, "{wire} => {{");
    let read = if f.oneway {
        "oneway_view_args"
    } else {
        "view_args"
    };
    wln!(w, "let __args: {view}<'_> = match call.{read}() {{");
    w.line("    Ok(args) => args,");
    w.line("    Err(reply) => return Ok(reply),");
    w.line("};");
    if f.oneway {
        wopen!(w, "let __outcome = async move {{");
        w.open(&call_head(handler, f, "__args", true));
        w.line("Ok(()) => Ok(()),");
        error_arms(w, f);
        w.close("}");
        w.close("};");
        w.line("Ok(call.view_oneway(__outcome).await)");
    } else {
        w.open(&format!(
            "let __outcome = {}",
            call_head(handler, f, "__args", true)
        ));
        outcome_arms(ctx, w, f, true);
        w.close("};");
        w.line("Ok(call.view_reply(__outcome))");
    }
    w.close("}");
}
