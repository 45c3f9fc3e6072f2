//! Width decisions: the constructs whose layout depends on the room left
//! on the line, written the way prettyplease lays them out.
//!
//! prettyplease (an Oppen-style printer) measures a group of tokens from
//! its start to the next place the enclosing group could break, and breaks
//! the group when that does not fit the line. Each helper here knows, for
//! one construct we generate, which text that measure covers, and writes
//! either the one-line form or the broken form. A broken form whose lines
//! still do not fit is left to the safety net (the lines are width-checked).

use super::writer::{STRUCT_LIT_MAX, Writer, fits, wopen};

/// A match arm: `pat => body,`, or, when that does not fit, `body` in a
/// block (with `;` when `semi`: an assignment). The arm's trailing comma is
/// not measured.
pub fn arm(w: &mut Writer, pat: &str, body: &str, semi: bool) {
    let i = w.indent();
    if fits(i, i + pat.len() + 4 + body.len()) {
        w.line_fitted_parts(&[pat, " => ", body, ","]);
    } else {
        w.line_parts(&[pat, " => {"]);
        w.indent_in();
        if semi {
            w.ln(format_args!("{body};"));
        } else {
            w.line(body);
        }
        w.close("}");
    }
}

/// The one-line text of a struct literal.
pub fn struct_lit_flat(path: &str, fields: &[String]) -> String {
    if fields.is_empty() {
        return format!("{path} {{}}");
    }
    let mut s =
        String::with_capacity(path.len() + 4 + fields.iter().map(|f| f.len() + 2).sum::<usize>());
    s.push_str(path);
    s.push_str(" { ");
    for (k, f) in fields.iter().enumerate() {
        if k > 0 {
            s.push_str(", ");
        }
        s.push_str(f);
    }
    s.push_str(" }");
    s
}

/// prettyplease always breaks a struct literal wider than
/// [`STRUCT_LIT_MAX`], measured without the closing brace but with the
/// break before it (one column) when the literal is empty: `Path {}` is
/// measured as `Path {` plus one.
pub fn struct_lit_forced(flat: &str) -> bool {
    let measured = if flat.ends_with(" {}") {
        flat.len()
    } else {
        flat.len() - 1
    };
    measured > STRUCT_LIT_MAX
}

/// Starts `lead` + a struct literal + `tail` (all of `tail` measured with
/// the literal; `lead` holds no place prettyplease could break). Writes the whole line and returns `true` when it stays on
/// one line; otherwise writes `lead path {`, indents, and returns `false`:
/// the caller writes one line per field, then `w.close("}" + tail)`.
pub fn struct_lit_open(w: &mut Writer, lead: &str, path: &str, flat: &str, tail: &str) -> bool {
    let i = w.indent();
    if flat.ends_with(" {}") {
        // `Path {}`: a long one is broken into `Path {` and `}`, unless its
        // first line has already run past the margin when prettyplease
        // reaches the brace (then it has printed the group as is).
        if struct_lit_forced(flat) && fits(i, i + lead.len() + path.len() + 2) {
            w.line_fitted_parts(&[lead, path, " {"]);
            w.indent_in();
            return false;
        }
        w.line_fitted(&format!("{lead}{flat}{tail}"));
        return true;
    }
    if !struct_lit_forced(flat) && fits(i, i + lead.len() + flat.len() + tail.len()) {
        w.line_fitted(&format!("{lead}{flat}{tail}"));
        true
    } else {
        // The leads we use (`Ok(`, `let x = `) and a plain path cannot
        // break: prettyplease prints this line so however long it is.
        w.line_fitted_parts(&[lead, path, " {"]);
        w.indent_in();
        false
    }
}

/// `lead` + a struct literal of simple fields + `tail`.
pub fn struct_lit(w: &mut Writer, lead: &str, path: &str, fields: &[String], tail: &str) {
    let flat = struct_lit_flat(path, fields);
    if !struct_lit_open(w, lead, path, &flat, tail) {
        for f in fields {
            w.ln(format_args!("{f},"));
        }
        w.close(&format!("}}{tail}"));
    }
}

/// A call `head(args)` or a tuple-struct pattern `Path(pats)`, or an atom
/// (no parentheses, or empty ones): prettyplease puts the arguments one
/// per line, each with a trailing comma, when they do not fit.
#[derive(Debug, Clone)]
pub enum Call {
    /// Text without breaks.
    Atom(String),
    /// `head(args)`, at least one argument.
    Apply(String, Vec<Call>),
}

impl Call {
    /// An atom.
    pub fn atom(text: impl Into<String>) -> Call {
        Call::Atom(text.into())
    }

    /// `head(args)`.
    pub fn apply(head: impl Into<String>, args: Vec<Call>) -> Call {
        Call::Apply(head.into(), args)
    }

    fn flat_len(&self) -> usize {
        match self {
            Call::Atom(s) => s.len(),
            Call::Apply(h, args) => {
                h.len() + 2 + args.iter().map(|a| a.flat_len() + 2).sum::<usize>() - 2
            }
        }
    }

    fn push_flat(&self, out: &mut String) {
        match self {
            Call::Atom(s) => out.push_str(s),
            Call::Apply(h, args) => {
                out.push_str(h);
                out.push('(');
                for (k, a) in args.iter().enumerate() {
                    if k > 0 {
                        out.push_str(", ");
                    }
                    a.push_flat(out);
                }
                out.push(')');
            }
        }
    }

    /// The one-line text.
    pub fn flat(&self) -> String {
        let mut s = String::with_capacity(self.flat_len());
        self.push_flat(&mut s);
        s
    }
}

/// `lead` + `c` + `tail` on one line, or with the arguments of `c` one per
/// line (recursively) when that does not fit. `counted`: how much of
/// `tail` prettyplease measures with the call; `lead` holds no place
/// prettyplease could break.
pub fn call(w: &mut Writer, lead: &str, c: &Call, tail: &str, counted: usize) {
    let i = w.indent();
    if fits(i, i + lead.len() + c.flat_len() + counted) {
        let mut line = String::with_capacity(lead.len() + c.flat_len() + tail.len());
        line.push_str(lead);
        c.push_flat(&mut line);
        line.push_str(tail);
        w.line_fitted(&line);
        return;
    }
    match c {
        Call::Atom(s) => w.line_parts(&[lead, s, tail]),
        Call::Apply(head, args) => {
            // Nothing on this line can break (a path and a parenthesis after
            // a lead that cannot break either): prettyplease prints it so
            // however long it is.
            w.line_fitted_parts(&[lead, head, "("]);
            w.indent_in();
            let last = args.len() - 1;
            for (k, a) in args.iter().enumerate() {
                call(w, "", a, ",", usize::from(k != last));
            }
            w.indent_out();
            let i = w.indent();
            if fits(i, i + 1 + counted) {
                w.line_fitted_parts(&[")", tail]);
            } else {
                w.line_parts(&[")", tail]);
            }
        }
    }
}

/// Writes the pattern of a match arm that does not fit on one line, ending
/// with ` => ` + `rest_flat` + `,` when the body fits after a broken
/// pattern (returns `true`: the arm is done), else with ` => {` (returns
/// `false`: the caller writes the body, indented, and the closing `}`).
fn arm_pattern(w: &mut Writer, pat: &Call, rest_flat: Option<&str>) -> bool {
    let i = w.indent();
    // The pattern is measured up to ` => `.
    if fits(i, i + pat.flat_len() + 4) || matches!(pat, Call::Atom(_)) {
        w.line_parts(&[&pat.flat(), " => {"]);
        return false;
    }
    match rest_flat {
        // After a broken pattern the arm's body starts after `) => `.
        Some(rest) if fits(i, i + 5 + rest.len()) => {
            // Measured: ` => ` with the pattern, `rest` by the arm; the
            // comma is not.
            call(w, "", pat, &format!(" => {rest},"), 4 + rest.len());
            true
        }
        _ => {
            call(w, "", pat, " => {", 4);
            false
        }
    }
}

/// A match arm of calls: `pat => body,`, or broken as prettyplease does
/// (the pattern's arguments one per line, the body in a block).
pub fn arm_call(w: &mut Writer, pat: &Call, body: &Call) {
    let i = w.indent();
    let body_flat = body.flat();
    if fits(i, i + pat.flat_len() + 4 + body_flat.len()) {
        w.line_fitted_parts(&[&pat.flat(), " => ", &body_flat, ","]);
        return;
    }
    if arm_pattern(w, pat, Some(&body_flat)) {
        return;
    }
    w.indent_in();
    call(w, "", body, "", 0);
    w.close("}");
}

/// A match arm whose body is `lead` + a struct literal + `tail` (`Ok(R {
/// .. })`): a literal that must break breaks the arm too.
pub fn arm_struct(
    w: &mut Writer,
    pat: &Call,
    lead: &str,
    path: &str,
    fields: &[String],
    tail: &str,
) {
    let flat = struct_lit_flat(path, fields);
    let forced = struct_lit_forced(&flat);
    let i = w.indent();
    let body_len = lead.len() + flat.len() + tail.len();
    if !forced && fits(i, i + pat.flat_len() + 4 + body_len) {
        w.line_fitted(&format!("{} => {lead}{flat}{tail},", pat.flat()));
        return;
    }
    let rest = format!("{lead}{flat}{tail}");
    if arm_pattern(w, pat, (!forced).then_some(rest.as_str())) {
        return;
    }
    w.indent_in();
    struct_lit(w, lead, path, fields, tail);
    w.close("}");
}

/// Splits `Head<A, B<C>>` into `Head` and its top-level arguments.
fn split_generic(ty: &str) -> Option<(&str, Vec<&str>)> {
    let open = ty.find('<')?;
    if !ty.ends_with('>') {
        return None;
    }
    let inner = &ty[open + 1..ty.len() - 1];
    let mut args = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (k, b) in inner.bytes().enumerate() {
        match b {
            b'<' | b'(' | b'[' => depth += 1,
            b'>' | b')' | b']' => depth = depth.checked_sub(1)?,
            b',' if depth == 0 => {
                args.push(inner[start..k].trim());
                start = k + 1;
            }
            _ => {}
        }
    }
    args.push(inner[start..].trim());
    Some((&ty[..open], args))
}

/// `lead` + type + `tail` on one line, or with the type's generic
/// arguments one per line when that does not fit. `counted`: how much of
/// `tail` prettyplease measures with the type (a trailing comma that is
/// only printed when broken is not).
pub fn typed_line(w: &mut Writer, lead: &str, ty: &str, tail: &str, counted: usize) {
    let i = w.indent();
    if fits(i, i + lead.len() + ty.len() + counted) {
        w.line_fitted(&format!("{lead}{ty}{tail}"));
        return;
    }
    match split_generic(ty) {
        Some((head, args)) => {
            wopen!(w, "{lead}{head}<");
            let last = args.len() - 1;
            for (k, a) in args.iter().enumerate() {
                typed_line(w, "", a, ",", usize::from(k != last));
            }
            w.close(&format!(">{tail}"));
        }
        None => w.line(&format!("{lead}{ty}{tail}")),
    }
}

/// A function signature: `head(params) -> ret` + `tail` (` {` or `;`),
/// with the parameters one per line when it does not fit. A parameter is
/// `(lead, type)`, e.g. `("a: ", "i32")` or `("&self", "")`. After ` {`
/// the following lines are indented.
pub fn fn_sig(
    w: &mut Writer,
    head: &str,
    params: &[(String, String)],
    ret: Option<&str>,
    tail: &str,
) {
    let i = w.indent();
    let mut flat = String::with_capacity(128);
    flat.push_str(head);
    flat.push('(');
    for (k, (lead, ty)) in params.iter().enumerate() {
        if k > 0 {
            flat.push_str(", ");
        }
        flat.push_str(lead);
        flat.push_str(ty);
    }
    flat.push(')');
    if let Some(r) = ret {
        flat.push_str(" -> ");
        flat.push_str(r);
    }
    flat.push_str(tail);
    if fits(i, i + flat.len()) {
        w.line_fitted(&flat);
    } else {
        wopen!(w, "{head}(");
        let last = params.len().saturating_sub(1);
        for (k, (lead, ty)) in params.iter().enumerate() {
            // `,` then a space between parameters; after the last one the
            // comma is only printed when broken (not measured).
            typed_line(w, lead, ty, ",", usize::from(k != last));
        }
        w.indent_out();
        match ret {
            Some(r) => typed_line(w, ") -> ", r, tail, tail.len()),
            None => w.line(&format!("){tail}")),
        }
    }
    if tail.ends_with('{') {
        w.indent_in();
    }
}

/// `lead` + call arguments + `tail` (all measured): one line, or one
/// argument per line.
pub fn call_line(w: &mut Writer, lead: &str, args: &[String], tail: &str) {
    let i = w.indent();
    let len = lead.len() + tail.len() + args.iter().map(|a| a.len() + 2).sum::<usize>();
    if fits(i, i + len.saturating_sub(2)) {
        w.line_fitted(&format!("{lead}{}{tail}", args.join(", ")));
    } else {
        w.open(lead);
        for a in args {
            w.ln(format_args!("{a},"));
        }
        w.close(tail);
    }
}

/// `lead` + `recv.field.method::<turbofish>(args)` + `tail` (a statement;
/// `chain` is `[recv, field, method]`): one line, or the chain broken before
/// each `.`, and the turbofish broken too when it does not fit.
pub fn chain_turbofish(
    w: &mut Writer,
    lead: &str,
    chain: [&str; 3],
    turbofish: &[&str],
    args: &str,
    tail: &str,
) {
    let [recv, field, method] = chain;
    let i = w.indent();
    let tf = turbofish.join(", ");
    let flat = format!("{lead}{recv}.{field}.{method}::<{tf}>({args}){tail}");
    if fits(i, i + flat.len()) {
        w.line_fitted(&flat);
        return;
    }
    wopen!(w, "{lead}{recv}");
    wln_field(w, field);
    let call = format!(".{method}::<{tf}>({args}){tail}");
    if fits(w.indent(), w.indent() + call.len()) {
        w.line_fitted(&call);
    } else {
        wopen!(w, ".{method}::<");
        for t in turbofish {
            w.ln(format_args!("{t},"));
        }
        w.close(&format!(">({args}){tail}"));
    }
    w.indent_out();
}

fn wln_field(w: &mut Writer, field: &str) {
    w.ln(format_args!(".{field}"));
}
