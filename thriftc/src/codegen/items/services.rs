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
//! - With the option `async_services`, the async flavour follows
//!   (`super::async_services`), sharing the structs and error enums above
//!   and the code that maps a handler's outcome and unpacks a reply.
//!
//! Names: the plan claims the items above in the module's namespace after
//! every planned item, in source order, so a clash with a user's type gets a
//! numeric suffix deterministically. Method names come from the plan; on
//! the client, a name that clashes with the client's own methods (or with an
//! inherited method of another service) gets a suffix.

use super::Ctx;
use super::structs::render_struct;
use super::views::render_view;
use super::{ALLOW_COMPLEX, docs, str_lit};
use crate::codegen::layout::{
    Call, arm, arm_call, arm_struct, call, call_line, chain_turbofish, fn_sig, struct_lit,
};
use crate::codegen::names::{self, RustName, Scope};
use crate::codegen::plan::{Field, Function, Item, Service};
use crate::codegen::writer::{Writer, fits, wln, wopen};
use crate::ir::{self, DefKind};

/// The client's own methods: Thrift functions of these names get a suffix.
const CLIENT_RESERVED: &[&str] = &["new", "multiplexed", "inner", "inner_mut", "into_inner"];

/// Service `id` (its items' names were decided by the plan) and the path
/// prefix to reach its items from the module being rendered
/// (`super::shared::` or nothing).
pub(super) fn planned_service<'c>(ctx: &'c Ctx, id: ir::DefId) -> (String, &'c Service) {
    let info = ctx.krate.def(id);
    let prefix = ctx.module_prefix(info.module);
    match ctx.krate.item(id) {
        Item::Service(s) => (prefix, s),
        _ => unreachable!("a service's definition is planned as a service"),
    }
}

/// The parent service, if any.
pub(super) fn parent(ctx: &Ctx, id: ir::DefId) -> Option<ir::DefId> {
    match &ctx.program.def(id).kind {
        DefKind::Service(s) => s.extends,
        _ => None,
    }
}

/// Renders everything generated for one service.
pub fn render_service(ctx: &Ctx, w: &mut Writer, s: &Service) {
    if !ctx.krate.gen_client && !ctx.krate.gen_server {
        return;
    }
    for f in &s.functions {
        render_struct(ctx, w, &f.args);
        // The argument view serves the view processor only.
        if let (Some(view), true) = (&f.args_view, ctx.krate.gen_server) {
            render_view(ctx, w, &f.args, false, view.as_str());
        }
        render_struct(ctx, w, &f.result);
    }
    for f in &s.functions {
        render_error(ctx, w, s, f, &f.error);
    }
    if ctx.krate.gen_server {
        render_server(ctx, w, s);
        if let Some(view) = &s.view {
            super::view_services::render_view_server(ctx, w, s, view);
        }
    }
    if ctx.krate.gen_client {
        render_client(ctx, w, s);
    }
    if let Some(names) = &s.async_names {
        super::async_services::render_async_service(ctx, w, s, names);
    }
}

/// One error variant per declared exception.
pub(super) struct Variant<'a> {
    pub name: RustName,
    pub field: &'a Field,
}

/// The variants of a function's error enum, plus the names of the
/// `Application` and `Rpc` variants.
pub(super) fn variants(f: &Function) -> (Vec<Variant<'_>>, RustName, RustName) {
    let (names, app, rpc) =
        names::error_variants(exception_fields(f).map(|field| field.thrift_name.as_str()));
    let vs = names
        .into_iter()
        .zip(exception_fields(f))
        .map(|(name, field)| Variant { name, field })
        .collect();
    (vs, app, rpc)
}

/// The exception fields of a result struct (all but `success`).
pub(super) fn exception_fields(f: &Function) -> impl Iterator<Item = &Field> {
    let skip = usize::from(f.returns.is_some());
    f.result.fields.iter().skip(skip)
}

/// The success field of a result struct.
pub(super) fn success_field(f: &Function) -> Option<&Field> {
    f.returns.as_ref().and_then(|_| f.result.fields.first())
}

/// `impl From<ty> for name` converting with `body` (from `e`).
fn from_impl(w: &mut Writer, ty: &str, name: &str, body: &str) {
    w.begin_item();
    wopen!(w, "impl From<{ty}> for {name} {{");
    fn_sig(
        w,
        "fn from",
        &[("e: ".to_owned(), ty.to_owned())],
        Some("Self"),
        " {",
    );
    w.line(body);
    w.close("}");
    w.close("}");
    w.end_item();
}

fn render_error(ctx: &Ctx, w: &mut Writer, s: &Service, f: &Function, name: &RustName) {
    let rt = ctx.rt();
    let (vs, app, rpc) = variants(f);
    let service = &ctx.program.def(s.def).name.name;
    w.begin_item();
    w.doc(&format!(
        " Errors of `{service}.{}`: its declared exceptions, an application error, or a failed call.",
        f.thrift_name
    ));
    w.line("#[derive(Debug)]");
    w.line("#[allow(clippy::large_enum_variant)]");
    wopen!(w, "pub enum {name} {{");
    for v in &vs {
        if v.field.doc.as_ref().is_some_and(|d| !d.trim().is_empty()) {
            docs(w, &v.field.doc);
        } else {
            w.doc(&format!(
                " The declared exception `{}`.",
                v.field.thrift_name
            ));
        }
        wln!(w, "{}({}),", v.name, ctx.ty(&v.field.ty));
    }
    w.doc(" A `TApplicationException`. A handler returns it to send it as");
    w.doc(" is; a client receives it when the server sent one.");
    wln!(w, "{app}({rt}::ApplicationError),");
    w.doc(" The call failed: on a client, a transport or protocol error");
    w.doc(" before a reply arrived; returned by a handler, an undeclared");
    w.doc(" error, answered as `INTERNAL_ERROR` (the detail is logged, not");
    w.doc(" sent).");
    wln!(w, "{rpc}({rt}::Error),");
    w.close("}");
    w.end_item();

    // `From` for each exception type declared once (a type declared twice
    // would make the conversion ambiguous).
    for v in &vs {
        let key = ty_key(&v.field.ty);
        let count = vs.iter().filter(|o| ty_key(&o.field.ty) == key).count();
        if count == 1 {
            from_impl(
                w,
                &ctx.ty(&v.field.ty),
                name.as_str(),
                &format!("Self::{}(e)", v.name),
            );
        }
    }
    from_impl(
        w,
        "__rt::ApplicationError",
        name.as_str(),
        &format!("Self::{app}(e)"),
    );

    w.begin_item();
    wopen!(w, "impl From<{rt}::Error> for {name} {{");
    w.open("fn from(e: __rt::Error) -> Self {");
    w.open("match e {");
    arm(
        w,
        "__rt::Error::Application(e)",
        &format!("Self::{app}(e)"),
        false,
    );
    arm(w, "e", &format!("Self::{rpc}(e)"), false);
    w.close("}");
    w.close("}");
    w.close("}");
    w.end_item();

    w.begin_item();
    wopen!(w, "impl ::std::fmt::Display for {name} {{");
    w.open("fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {");
    w.open("match self {");
    for v in &vs {
        let text = str_lit(&format!("{}: {{e}}", v.field.thrift_name));
        // A macro call: a line too long is left to the safety net.
        wln!(w, "Self::{}(e) => write!(f, {text}),", v.name);
    }
    arm(
        w,
        &format!("Self::{app}(e)"),
        "::std::fmt::Display::fmt(e, f)",
        false,
    );
    arm(
        w,
        &format!("Self::{rpc}(e)"),
        "::std::fmt::Display::fmt(e, f)",
        false,
    );
    w.close("}");
    w.close("}");
    w.close("}");
    w.end_item();

    w.begin_item();
    wopen!(w, "impl ::std::error::Error for {name} {{");
    w.open("fn source(&self) -> Option<&(dyn ::std::error::Error + 'static)> {");
    w.open("match self {");
    // Displayed as the runtime's error is: its source is that error's.
    arm(
        w,
        &format!("Self::{rpc}(e)"),
        "::std::error::Error::source(e)",
        false,
    );
    w.line("_ => None,");
    w.close("}");
    w.close("}");
    w.close("}");
    w.end_item();
}

/// A comparable key for a planned type (to find duplicate exception types).
fn ty_key(ty: &crate::codegen::plan::Ty) -> String {
    format!("{ty:?}")
}

/// The handler-facing type of an argument: its Rust type, `Option<T>` when
/// optional, never boxed.
fn arg_ty(ctx: &Ctx, f: &Field) -> String {
    let t = ctx.ty(&f.ty);
    if f.is_optional() {
        format!("Option<{t}>")
    } else {
        t
    }
}

/// The field initializers of `f`'s result struct with field `set` (if
/// any) holding `v` and every other one `None`:
/// `R { this: Some(v), others: None }`.
pub(super) fn result_inits(ctx: &Ctx, f: &Function, set: Option<&Field>, v: &str) -> Vec<String> {
    let mut inits: Vec<String> = f
        .result
        .fields
        .iter()
        .map(|rf| {
            if set.is_some_and(|s| std::ptr::eq(s, rf)) {
                format!("{}: Some({})", rf.name, ctx.boxed(rf, v.to_owned()))
            } else {
                format!("{}: None", rf.name)
            }
        })
        .collect();
    if let Some(u) = &f.result.unknown_fields {
        inits.push(format!("{u}: Vec::new()"));
    }
    inits
}

/// Reads argument `f` out of the decoded args struct (or its view) named
/// `args` (unboxing).
pub(super) fn take_arg(args: &str, f: &Field) -> String {
    let n = &f.name;
    match (f.boxed, f.is_optional()) {
        (false, _) => format!("{args}.{n}"),
        (true, false) => format!("*{args}.{n}"),
        (true, true) => format!("{args}.{n}.map(|b| *b)"),
    }
}

/// The `Result<T, E>` type of a function, with `E` reached by `prefix`.
pub(super) fn ret_ty(ctx: &Ctx, f: &Function, prefix: &str, error: &RustName) -> String {
    let t = match &f.returns {
        Some(t) => ctx.ty(t),
        None => "()".to_owned(),
    };
    format!("Result<{t}, {prefix}{error}>")
}

/// The parameters of a handler or client method.
pub(super) fn params(ctx: &Ctx, receiver: &str, f: &Function) -> Vec<(String, String)> {
    let mut p = vec![(receiver.to_owned(), String::new())];
    for (a, n) in f.args.fields.iter().zip(param_names(f)) {
        p.push((format!("{n}: "), arg_ty(ctx, a)));
    }
    p
}

/// The parameter names of `f`'s arguments, in order: the field names,
/// except that one of only underscores and digits (`_1`, which clippy
/// rejects as `just_underscores_and_digits`) becomes `arg_1` (`arg_12`,
/// ... if another argument has that name).
pub(super) fn param_names(f: &Function) -> Vec<RustName> {
    let odd = |n: &RustName| n.as_str().chars().all(|c| c == '_' || c.is_ascii_digit());
    let mut scope = Scope::new();
    for a in f.args.fields.iter().filter(|a| !odd(&a.name)) {
        scope.reserve(a.name.unraw());
    }
    f.args
        .fields
        .iter()
        .map(|a| {
            if odd(&a.name) {
                let digits = a.name.as_str().trim_start_matches('_');
                scope.claim(RustName::plain(format!("arg_{digits}")))
            } else {
                a.name.clone()
            }
        })
        .collect()
}

pub(super) const SERVER_ALLOWS: &[&str] = &[
    "#[allow(",
    "    clippy::disallowed_names,",
    "    clippy::result_large_err,",
    "    clippy::too_many_arguments,",
    "    clippy::new_ret_no_self,",
    "    clippy::wrong_self_convention",
    ")]",
];

fn render_server(ctx: &Ctx, w: &mut Writer, s: &Service) {
    let def = ctx.program.def(s.def);
    let service = &def.name.name;
    let handler = s.handler.as_str();
    let processor = s.processor.as_str();

    // The trait.
    let supertrait = match parent(ctx, s.def) {
        Some(p) => {
            let (prefix, ps) = planned_service(ctx, p);
            format!("{prefix}{}", ps.handler)
        }
        None => "Send + Sync".to_owned(),
    };
    w.begin_item();
    let has_doc = def.doc.as_ref().is_some_and(|d| !d.trim().is_empty());
    docs(w, &def.doc);
    if has_doc {
        w.doc("");
    }
    w.doc(&format!(
        " Implement this to serve `{service}`; serve it with [`{processor}`]. One \
         handler serves every connection at once: methods take `&self`, so keep \
         mutable state behind a lock or atomics."
    ));
    // Method names come from the IDL: `new`, `to_x`, `is_x` are whatever
    // the service means by them.
    for l in SERVER_ALLOWS {
        w.line(l);
    }
    if s.functions.is_empty() {
        wln!(w, "pub trait {handler}: {supertrait} {{}}");
    } else {
        wopen!(w, "pub trait {handler}: {supertrait} {{");
        for f in &s.functions {
            docs(w, &function_doc(ctx, s, f));
            if ctx.fn_too_complex(f) {
                w.line(ALLOW_COMPLEX);
            }
            let ret = ret_ty(ctx, f, "", &f.error);
            fn_sig(
                w,
                &format!("fn {}", f.name),
                &params(ctx, "&self", f),
                Some(&ret),
                ";",
            );
        }
        w.close("}");
    }
    w.end_item();

    let parent_processor = parent(ctx, s.def).map(|p| {
        let (prefix, ps) = planned_service(ctx, p);
        format!("{prefix}{}", ps.processor)
    });
    let doc = format!(
        " Serves a [`{handler}`]: dispatches `{service}`'s methods (inherited ones \
         included) by name. Give it to the runtime's server, or register it in a \
         multiplexed processor."
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
            view: false,
        },
    );
}

/// What a processor serves: the handler trait, the processor's name and
/// doc line, the processor of the parent service, and whether it is the
/// view flavour (methods with an argument view decode it from the request).
pub(super) struct ProcessorSpec<'n> {
    pub handler: &'n str,
    pub processor: &'n str,
    pub doc: &'n str,
    pub parent: Option<&'n str>,
    pub view: bool,
}

/// The parts of a processor that do not depend on how it serves: the
/// struct holding an `Arc` of the handler, `Clone`, `new`, and the start of
/// the item `impl<H: handler + ?Sized> processor<H> {` with `from_arc` and
/// `handler`; the caller writes the rest of that impl (its `dispatch`),
/// closes it and ends the item.
pub(super) fn processor_head(w: &mut Writer, handler: &str, processor: &str, doc: &str) {
    w.begin_item();
    w.doc(doc);
    wopen!(w, "pub struct {processor}<H: ?Sized> {{");
    w.line("handler: ::std::sync::Arc<H>,");
    w.close("}");
    w.end_item();

    w.begin_item();
    wopen!(w, "impl<H: ?Sized> Clone for {processor}<H> {{");
    w.open("fn clone(&self) -> Self {");
    struct_lit(
        w,
        "",
        "Self",
        &["handler: ::std::sync::Arc::clone(&self.handler)".to_owned()],
        "",
    );
    w.close("}");
    w.close("}");
    w.end_item();

    w.begin_item();
    wopen!(w, "impl<H: {handler}> {processor}<H> {{");
    w.doc(" Serves `handler`.");
    w.open("pub fn new(handler: H) -> Self {");
    struct_lit(
        w,
        "",
        "Self",
        &["handler: ::std::sync::Arc::new(handler)".to_owned()],
        "",
    );
    w.close("}");
    w.close("}");
    w.end_item();

    w.begin_item();
    wopen!(w, "impl<H: {handler} + ?Sized> {processor}<H> {{");
    w.doc(" Serves a handler shared with other code (e.g. to read its");
    w.doc(" state while it serves).");
    w.open("pub fn from_arc(handler: ::std::sync::Arc<H>) -> Self {");
    w.line("Self { handler }");
    w.close("}");
    w.doc(" The handler.");
    w.open("pub fn handler(&self) -> &::std::sync::Arc<H> {");
    w.line("&self.handler");
    w.close("}");
}

/// A processor: the struct, its constructors, `dispatch` and the runtime's
/// `Processor` impl.
pub(super) fn render_processor(ctx: &Ctx, w: &mut Writer, s: &Service, spec: &ProcessorSpec<'_>) {
    let rt = ctx.rt();
    let handler = spec.handler;
    let processor = spec.processor;
    processor_head(w, handler, processor, spec.doc);
    w.doc(" Serves one call of `header.name` if it is a method of this");
    w.doc(" service (or of one it extends); `None` otherwise, with nothing");
    w.doc(" read.");
    w.line("#[doc(hidden)]");
    for l in [
        "pub fn dispatch<I, O>(",
        "    handler: &H,",
        "    header: &__rt::MessageHeader,",
        "    input: &mut I,",
        "    output: &mut O,",
        ") -> Option<__rt::Result<()>>",
        "where",
        "    I: __rt::ProtocolRead + ?Sized,",
        "    O: __rt::ProtocolWrite + ?Sized,",
        "{",
    ] {
        w.line(l);
    }
    w.indent_in();
    // A service with no methods of its own answers what its parent
    // answers (a `match` with only the fallback arm would trip
    // `clippy::match_single_binding`), or nothing without a parent.
    if s.functions.is_empty() {
        match spec.parent {
            Some(pp) => wln!(w, "{pp}::<H>::dispatch(handler, header, input, output)"),
            None => {
                w.line("let _ = (handler, header, input, output);");
                w.line("None");
            }
        }
    } else {
        w.open("match header.name.as_str() {");
        for f in &s.functions {
            match &f.args_view {
                Some(view) if spec.view => view_dispatch_arm(w, f, view),
                _ => dispatch_arm(ctx, w, handler, f),
            }
        }
        match spec.parent {
            Some(pp) => {
                let body = format!("{pp}::<H>::dispatch(handler, header, input, output)");
                let i = w.indent();
                if fits(i, i + 5 + body.len()) {
                    w.line_fitted(&format!("_ => {body},"));
                } else {
                    w.open("_ => {");
                    let i = w.indent();
                    if fits(i, i + body.len()) {
                        w.line_fitted(&body);
                    } else {
                        wopen!(w, "{pp}::<");
                        w.line("H,");
                        w.close(">::dispatch(handler, header, input, output)");
                    }
                    w.close("}");
                }
            }
            None => w.line("_ => None,"),
        }
        w.close("}");
    }
    w.close("}");
    w.close("}");
    w.end_item();

    w.begin_item();
    wln!(w, "impl<I, O, H> {rt}::Processor<I, O> for {processor}<H>");
    for l in [
        "where",
        "    I: __rt::ProtocolRead + ?Sized,",
        "    O: __rt::ProtocolWrite + ?Sized,",
    ] {
        w.line(l);
    }
    wln!(w, "    H: {handler} + ?Sized,");
    for l in [
        "{",
        "    fn process(",
        "        &self,",
        "        header: &__rt::MessageHeader,",
        "        input: &mut I,",
        "        output: &mut O,",
        "    ) -> __rt::Result<()> {",
        "        match Self::dispatch(&self.handler, header, input, output) {",
        "            Some(r) => r,",
        "            None => __rt::unknown_method(header, input, output),",
        "        }",
        "    }",
        "}",
    ] {
        w.line(l);
    }
    w.end_item();
}

/// One arm of `dispatch`: decode the arguments, call the handler, encode
/// its outcome (always broken over lines: the closure holds a block).
fn dispatch_arm(ctx: &Ctx, w: &mut Writer, handler: &str, f: &Function) {
    let wire = str_lit(&f.thrift_name);
    wopen!(w, "{wire} => {{");
    w.open("Some(");
    wopen!(
        w,
        "__rt::{}(",
        if f.oneway {
            "serve_oneway"
        } else {
            "serve_call"
        }
    );
    w.line("header,");
    w.line("input,");
    w.line("output,");
    wopen!(w, "|__args: {}| {{", f.args.name);
    outcome_match(ctx, w, handler, f, false);
    w.close("}");
    w.close("},");
    w.close("),");
    w.close(")");
    w.close("}");
}

/// `match Handler::m(handler, __args.a, ..) {` (`).await {` when
/// `awaited`) and its arms: the handler's outcome as the reply's outcome, a
/// `Result<R, ApplicationError>` with `R` the result struct (`()` for a
/// oneway method). The value goes into the result struct, a declared
/// exception into its field, `Application` is sent as is, and `Rpc` is
/// answered as `INTERNAL_ERROR`. The caller closes the `match` (after the
/// arms, one level in).
pub(super) fn outcome_match(ctx: &Ctx, w: &mut Writer, handler: &str, f: &Function, awaited: bool) {
    let e = f.error.as_str();
    let wire = str_lit(&f.thrift_name);
    let (vs, app, rpc) = variants(f);
    let mut args = vec!["handler".to_owned()];
    args.extend(f.args.fields.iter().map(|a| take_arg("__args", a)));
    let tail = if awaited { ").await {" } else { ") {" };
    call_line(w, &format!("match {handler}::{}(", f.name), &args, tail);
    w.indent_in();
    let err = |v: &RustName| {
        Call::apply(
            "Err",
            vec![Call::apply(format!("{e}::{v}"), vec![Call::atom("e")])],
        )
    };
    if f.oneway {
        w.line("Ok(()) => Ok(()),");
    } else {
        let result_ty = f.result.name.as_str();
        let build = |set: Option<&Field>, v: &str| result_inits(ctx, f, set, v);
        match success_field(f) {
            Some(sf) => {
                let pat = Call::apply("Ok", vec![Call::atom("v")]);
                arm_struct(w, &pat, "Ok(", result_ty, &build(Some(sf), "v"), ")");
            }
            None => {
                let pat = Call::atom("Ok(())");
                arm_struct(w, &pat, "Ok(", result_ty, &build(None, ""), ")");
            }
        }
        for v in &vs {
            let fields = build(Some(v.field), "e");
            arm_struct(w, &err(&v.name), "Ok(", result_ty, &fields, ")");
        }
    }
    arm_call(w, &err(&app), &Call::apply("Err", vec![Call::atom("e")]));
    let internal = Call::apply(
        "__rt::internal_error",
        vec![Call::atom(wire), Call::atom("&e")],
    );
    arm_call(w, &err(&rpc), &Call::apply("Err", vec![internal]));
}

/// One arm of a view processor's `dispatch` for a method with an argument
/// view: the runtime decodes the view and calls the method through its
/// `ViewCall` (`ViewOneway`) impl.
fn view_dispatch_arm(w: &mut Writer, f: &Function, view: &RustName) {
    let wire = str_lit(&f.thrift_name);
    let serve = if f.oneway {
        "serve_view_oneway"
    } else {
        "serve_view_call"
    };
    w.inexact();
    wln!(
        w,
        "{wire} => Some(__rt::{serve}::<{view}<'_>, H, I, O>(handler, header, input, output)),"
    );
}

/// A function's doc comment, or a line naming it.
pub(super) fn function_doc(ctx: &Ctx, s: &Service, f: &Function) -> Option<String> {
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
pub(super) fn client_functions<'c>(ctx: &'c Ctx, id: ir::DefId) -> Vec<(ir::DefId, &'c Function)> {
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

pub(super) const CLIENT_ALLOWS: &[&str] = &[
    "#[allow(",
    "    clippy::disallowed_names,",
    "    clippy::result_large_err,",
    "    clippy::too_many_arguments,",
    "    clippy::should_implement_trait,",
    "    clippy::wrong_self_convention",
    ")]",
];

fn render_client(ctx: &Ctx, w: &mut Writer, s: &Service) {
    let rt = ctx.rt();
    let service = &ctx.program.def(s.def).name.name;
    let doc = format!(
        " A client of `{service}` (inherited methods included): one typed method per \
         function, over any channel: a connection, or a multiplexed view of one. One \
         call at a time; open one client per thread to call concurrently."
    );
    render_client_flavour(
        ctx,
        w,
        s,
        &ClientSpec {
            client: s.client.as_str(),
            bound: &format!("{rt}::Channel"),
            doc: &doc,
            asynchronous: false,
        },
    );
}

/// What a client is: its name, the channel trait it calls through, its
/// doc line, and whether its methods are `async fn`s.
pub(super) struct ClientSpec<'n> {
    pub client: &'n str,
    pub bound: &'n str,
    pub doc: &'n str,
    pub asynchronous: bool,
}

/// A client: the struct, its constructors and accessors, `multiplexed`,
/// and one method per function (inherited ones included).
pub(super) fn render_client_flavour(ctx: &Ctx, w: &mut Writer, s: &Service, spec: &ClientSpec<'_>) {
    let rt = ctx.rt();
    let client = spec.client;
    let bound = spec.bound;

    w.begin_item();
    w.doc(spec.doc);
    w.line("#[derive(Debug)]");
    wopen!(w, "pub struct {client}<C> {{");
    w.line("channel: C,");
    w.close("}");
    w.end_item();

    w.begin_item();
    wopen!(w, "impl<C: {bound}> {client}<C> {{");
    for l in [
        "/// Calls through `channel` (e.g. a connected runtime client).",
        "pub fn new(channel: C) -> Self {",
        "    Self { channel }",
        "}",
        "/// The channel.",
        "pub fn inner(&self) -> &C {",
        "    &self.channel",
        "}",
        "/// The channel, mutably.",
        "pub fn inner_mut(&mut self) -> &mut C {",
        "    &mut self.channel",
        "}",
        "/// Gives the channel back.",
        "pub fn into_inner(self) -> C {",
        "    self.channel",
        "}",
    ] {
        w.line(l);
    }
    w.close("}");
    w.end_item();

    w.begin_item();
    wopen!(w, "impl<C: {bound}> {client}<{rt}::Multiplexed<C>> {{");
    w.doc(" Calls the service registered as `service` on a multiplexed");
    w.doc(" server (method names sent as `service:method`).");
    w.open("pub fn multiplexed(channel: C, service: impl Into<String>) -> Self {");
    struct_lit(
        w,
        "",
        "Self",
        &["channel: __rt::Multiplexed::new(channel, service)".to_owned()],
        "",
    );
    w.close("}");
    w.close("}");
    w.end_item();

    w.begin_item();
    for l in CLIENT_ALLOWS {
        w.line(l);
    }
    let functions = client_functions(ctx, s.def);
    if functions.is_empty() {
        wln!(w, "impl<C: {bound}> {client}<C> {{}}");
        w.end_item();
        return;
    }
    if spec.asynchronous {
        // `async fn`, `.await?` chains and `impl Future` bounds: laid out
        // by the safety net.
        w.inexact();
    }
    wopen!(w, "impl<C: {bound}> {client}<C> {{");
    client_methods(ctx, w, &functions, spec.asynchronous);
    w.close("}");
    w.end_item();
}

/// The methods of a client (`functions`: see [`client_functions`]), each
/// named after its function unless that clashes with the client's own
/// methods or another function's method; `async fn`s when `asynchronous`.
pub(super) fn client_methods(
    ctx: &Ctx,
    w: &mut Writer,
    functions: &[(ir::DefId, &Function)],
    asynchronous: bool,
) {
    let mut scope = Scope::new();
    for r in CLIENT_RESERVED {
        scope.reserve(r);
    }
    for &(owner, f) in functions {
        let (prefix, owner_svc) = planned_service(ctx, owner);
        let n = scope.claim(f.name.clone());
        client_method(ctx, w, &prefix, owner_svc, f, &n, asynchronous);
    }
}

/// One client method: build the args struct, call (and await the call
/// when `asynchronous`), unpack the result.
fn client_method(
    ctx: &Ctx,
    w: &mut Writer,
    prefix: &str,
    owner: &Service,
    f: &Function,
    n: &RustName,
    asynchronous: bool,
) {
    let error = &f.error;
    let wire = str_lit(&f.thrift_name);
    docs(w, &function_doc(ctx, owner, f));
    if ctx.fn_too_complex(f) {
        w.line(ALLOW_COMPLEX);
    }
    let ret = ret_ty(ctx, f, prefix, error);
    let head = if asynchronous {
        format!("pub async fn {n}")
    } else {
        format!("pub fn {n}")
    };
    fn_sig(w, &head, &params(ctx, "&mut self", f), Some(&ret), " {");
    let mut inits: Vec<String> = f
        .args
        .fields
        .iter()
        .zip(param_names(f))
        .map(|(a, pn)| {
            let an = &a.name;
            match (a.boxed, a.is_optional()) {
                (false, _) if *an == pn => an.to_string(),
                (false, _) => format!("{an}: {pn}"),
                (true, false) => format!("{an}: Box::new({pn})"),
                (true, true) => format!("{an}: {pn}.map(Box::new)"),
            }
        })
        .collect();
    if let Some(u) = &f.args.unknown_fields {
        inits.push(format!("{u}: Vec::new()"));
    }
    let args_path = format!("{prefix}{}", f.args.name);
    struct_lit(w, "let __args = ", &args_path, &inits, ";");
    let sent = if asynchronous { ".await?;" } else { "?;" };
    if f.oneway {
        wln!(w, "self.channel.call_oneway({wire}, &__args){sent}");
        w.line("Ok(())");
    } else {
        let (vs, _, _) = variants(f);
        let binding = if f.result.fields.is_empty() {
            "let _ = "
        } else {
            "let __reply = "
        };
        let result_path = format!("{prefix}{}", f.result.name);
        chain_turbofish(
            w,
            binding,
            ["self", "channel", "call"],
            &["_", &result_path],
            &format!("{wire}, &__args"),
            sent,
        );
        let unbox = |fld: &Field, v: &str| {
            if fld.boxed {
                format!("*{v}")
            } else {
                v.to_owned()
            }
        };
        if let Some(sf) = success_field(f) {
            wopen!(w, "if let Some(v) = __reply.{} {{", sf.name);
            let ok = Call::apply("Ok", vec![Call::atom(unbox(sf, "v"))]);
            call(w, "return ", &ok, ";", 1);
            w.close("}");
        }
        for v in &vs {
            wopen!(w, "if let Some(e) = __reply.{} {{", v.field.name);
            let e = Call::apply(
                format!("{prefix}{error}::{}", v.name),
                vec![Call::atom(unbox(v.field, "e"))],
            );
            call(w, "return ", &Call::apply("Err", vec![e]), ";", 1);
            w.close("}");
        }
        if success_field(f).is_some() {
            wln!(w, "Err(__rt::missing_result({wire}).into())");
        } else {
            w.line("Ok(())");
        }
    }
    w.close("}");
}
