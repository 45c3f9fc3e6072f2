//! Rust literals spelled as proc-macro2 spells them and prettyplease
//! prints them: strings, byte strings, integers and floats.

use proc_macro2::Literal;

/// A string literal as proc-macro2 spells it (and prettyplease prints it).
pub fn str_lit(s: &str) -> String {
    if s.bytes()
        .all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\')
    {
        let mut out = String::with_capacity(s.len() + 2);
        out.push('"');
        out.push_str(s);
        out.push('"');
        out
    } else {
        Literal::string(s).to_string()
    }
}

/// A byte string literal as proc-macro2 spells it.
pub fn byte_str_lit(s: &[u8]) -> String {
    Literal::byte_string(s).to_string()
}

/// An integer literal (negative ones as `-n`; `i64::MIN` by name).
pub fn int_lit(i: i64) -> String {
    if i == i64::MIN {
        "i64::MIN".to_owned()
    } else {
        i.to_string()
    }
}

/// A float literal; non-finite values by name.
pub fn float_lit(d: f64) -> String {
    if d.is_nan() {
        "f64::NAN".to_owned()
    } else if d.is_infinite() {
        if d > 0.0 {
            "f64::INFINITY".to_owned()
        } else {
            "f64::NEG_INFINITY".to_owned()
        }
    } else if d.is_sign_negative() {
        format!("-{}", positive_float_lit(-d))
    } else {
        positive_float_lit(d)
    }
}

/// A non-negative float literal. A value whose decimal text starts like a
/// `std::f64::consts` constant (IDL `3.14159`) is written as an exact
/// quotient (`314159.0 / 100000.0`, correctly rounded to the same double):
/// clippy's `approx_constant` rejects such literals, but the IDL means
/// exactly this value.
fn positive_float_lit(d: f64) -> String {
    let text = shortest_float_text(d);
    if text.contains('e') || !looks_like_std_constant(&text) {
        return text;
    }
    if let Some((int, frac)) = text.split_once('.') {
        let digits: Option<u64> = format!("{int}{frac}").parse().ok();
        if let Some(n) = digits.filter(|n| *n < (1 << 53) && frac.len() <= 22) {
            let num = Literal::f64_unsuffixed(n as f64);
            let den = Literal::f64_unsuffixed(10f64.powi(frac.len() as i32));
            return format!("{num} / {den}");
        }
    }
    format!("f64::from_bits({})", d.to_bits())
}

/// The shortest literal that reads back as `d` (finite, not negative),
/// spelled as Rust's own `{:?}` spells it: the fewest digits that
/// round-trip, written out between 1e-4 and 1e16 (`0.25`, `1000.0`), in
/// exponent form outside (`6.022e23`, `1e-9`, `5e-324`), where written
/// out the largest double would take 309 digits and the smallest 324
/// places.
fn shortest_float_text(d: f64) -> String {
    format!("{d:?}")
}

/// The test clippy's `approx_constant` applies (a prefix of, or the
/// rounding of, a known constant, with at least 3 digits).
fn looks_like_std_constant(text: &str) -> bool {
    use std::f64::consts as c;
    const KNOWN: &[f64] = &[
        c::E,
        c::FRAC_1_PI,
        c::FRAC_1_SQRT_2,
        c::FRAC_2_PI,
        c::FRAC_2_SQRT_PI,
        c::FRAC_PI_2,
        c::FRAC_PI_3,
        c::FRAC_PI_4,
        c::FRAC_PI_6,
        c::FRAC_PI_8,
        c::LN_10,
        c::LN_2,
        c::LOG10_E,
        c::LOG2_E,
        c::LOG2_10,
        c::LOG10_2,
        c::PI,
        c::SQRT_2,
        c::TAU,
    ];
    text.len() > 3
        && KNOWN.iter().any(|k| {
            k.to_string().starts_with(text)
                || format!("{k:.*}", text.len().saturating_sub(2)) == text
        })
}
