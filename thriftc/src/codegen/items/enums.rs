//! Enums: a newtype over `i32` with one associated constant per value.
//!
//! Why not a Rust `enum` with a catch-all `Unknown(i32)` variant: a newer
//! peer may send values this schema does not know, and they must round-trip
//! unchanged. With a catch-all variant the same number has two spellings
//! (`Kind::Small` and `Kind::Unknown(1)`) that compare unequal, and an IDL
//! value named `UNKNOWN` clashes with it. The newtype has exactly one
//! representation per number, and known values stay as convenient as enum
//! variants: `Kind::SMALL` is a constant usable in `match` patterns (the
//! type derives `PartialEq` and `Eq`), `Kind::VALUES` lists them (each number
//! once), `name()` gives the IDL name, and `Debug` prints it. `Default` is the first value
//! declared (a valid value, unlike a blanket `0`).

use super::structs::{derives, own_attrs, user_attrs, wire_type_impl};
use super::{Ctx, int_lit};
use super::{docs, str_lit};
use crate::codegen::layout::{Call, arm_call, call};
use crate::codegen::plan::{Enum, Traits, Wire};
use crate::codegen::writer::{Writer, fits, wln, wopen};

/// The enum's newtype with its value constants, `VALUES` and `name()`, and
/// its `Debug`, `Default`, `From` (to and from `i32`) and codec
/// implementations.
pub fn render_enum(ctx: &Ctx, w: &mut Writer, e: &Enum) {
    let rt = ctx.rt();
    let name = e.name.as_str();
    let first_is_zero = e.values.first().is_none_or(|v| v.value == 0);
    let all = Traits {
        eq: true,
        hash: true,
        partial_ord: true,
        default: true,
    };
    w.begin_item();
    docs(w, &e.doc);
    w.line(&derives(all, first_is_zero, true));
    own_attrs(w, &e.serde);
    user_attrs(w, &e.attrs);
    wln!(w, "pub struct {name}(pub i32);");
    w.end_item();

    w.begin_item();
    wopen!(w, "impl {name} {{");
    for v in &e.values {
        docs(w, &v.doc);
        let lead = format!("pub const {}: {name} = ", v.name);
        let value = Call::apply(name, vec![Call::atom(int_lit(v.value.into()))]);
        call(w, &lead, &value, ";", 1);
    }
    w.doc(" Every value this schema declares, in IDL order; a number with");
    w.doc(" several names once, under its first.");
    let lead = format!("pub const {}: &'static [{name}] = &[", e.values_const);
    let mut seen = std::collections::HashSet::new();
    let items: Vec<String> = e
        .values
        .iter()
        .filter(|v| seen.insert(v.value))
        .map(|v| format!("Self::{}", v.name))
        .collect();
    let flat = format!("{lead}{}];", items.join(", "));
    let i = w.indent();
    if items.is_empty() || fits(i, i + flat.len()) {
        w.line(&flat);
    } else {
        w.open(&lead);
        for it in &items {
            wln!(w, "{it},");
        }
        w.close("];");
    }
    w.doc(" The IDL name of a value this schema declares.");
    w.open("pub fn name(self) -> Option<&'static str> {");
    if e.values.is_empty() {
        w.line("None");
    } else {
        w.open("match self {");
        // Several IDL names may share a value: the first one wins.
        let mut seen = std::collections::HashSet::new();
        for v in e.values.iter().filter(|v| seen.insert(v.value)) {
            let pat = Call::atom(format!("Self::{}", v.name));
            let body = Call::apply("Some", vec![Call::atom(str_lit(&v.thrift_name))]);
            arm_call(w, &pat, &body);
        }
        w.line("_ => None,");
        w.close("}");
    }
    w.close("}");
    w.close("}");
    w.end_item();

    if !first_is_zero {
        w.begin_item();
        wopen!(w, "impl Default for {name} {{");
        w.open("fn default() -> Self {");
        wln!(w, "Self::{}", e.values[0].name);
        w.close("}");
        w.close("}");
        w.end_item();
    }

    w.begin_item();
    wopen!(w, "impl ::std::fmt::Debug for {name} {{");
    w.open("fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {");
    w.open("match self.name() {");
    w.line("Some(n) => f.write_str(n),");
    let unknown_fmt = str_lit(&format!("{}({{}})", e.thrift_name));
    // A macro call: its broken layout is left to the safety net.
    wln!(w, "None => write!(f, {unknown_fmt}, self.0),");
    w.close("}");
    w.close("}");
    w.close("}");
    w.end_item();

    w.begin_item();
    wopen!(w, "impl From<i32> for {name} {{");
    w.open("fn from(v: i32) -> Self {");
    w.line("Self(v)");
    w.close("}");
    w.close("}");
    w.end_item();

    w.begin_item();
    wopen!(w, "impl From<{name}> for i32 {{");
    wopen!(w, "fn from(v: {name}) -> i32 {{");
    w.line("v.0");
    w.close("}");
    w.close("}");
    w.end_item();

    wire_type_impl(w, name, ctx.ttype(Wire::I32));

    w.begin_item();
    wopen!(w, "impl {rt}::Encode for {name} {{");
    w.line("#[inline]");
    w.open("fn encode<P: __rt::ProtocolWrite + ?Sized>(&self, p: &mut P) -> __rt::Result<()> {");
    w.line("p.write_i32(self.0)");
    w.close("}");
    w.close("}");
    w.end_item();

    w.begin_item();
    wopen!(w, "impl {rt}::Decode for {name} {{");
    w.line("#[inline]");
    w.open("fn decode<P: __rt::ProtocolRead + ?Sized>(p: &mut P) -> __rt::Result<Self> {");
    w.line("p.read_i32().map(Self)");
    w.close("}");
    w.close("}");
    w.end_item();
}
