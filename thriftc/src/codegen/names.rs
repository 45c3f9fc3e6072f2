//! Every Rust identifier the generator emits is decided here.
//!
//! Thrift names are converted with `heck` (`UpperCamelCase` for types and
//! variants, `snake_case` for fields, functions and modules,
//! `SCREAMING_SNAKE_CASE` for constants), then made legal Rust:
//!
//! - a name that starts with a digit gets a leading `_`;
//! - a Rust keyword becomes a raw identifier (`type` → `r#type`), except the
//!   four that cannot be raw (`self`, `Self`, `super`, `crate`), which get a
//!   trailing `_` (`self_`); module names never use raw identifiers (they
//!   name files), so every keyword gets a trailing `_` there;
//! - type names that would shadow a prelude item the generated code relies on
//!   (`Option`, `Result`, `Box`, ...) get a trailing `_` too.
//!
//! Two Thrift names that convert to the same Rust name in one scope are
//! resolved by [`Scope`]: the first (in source order) keeps the name, later
//! ones get a numeric suffix (`foo_bar`, `foo_bar2`, ...). The outcome depends
//! only on the order of the input, so output is deterministic.

use heck::{ToShoutySnakeCase, ToSnakeCase, ToUpperCamelCase};
use std::collections::HashSet;

/// Keywords that can be written as raw identifiers (`r#type`): strict and
/// reserved keywords of the 2015–2024 editions.
const RAW_KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "do", "dyn",
    "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let",
    "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref", "return",
    "static", "struct", "trait", "true", "try", "type", "typeof", "unsafe", "unsized", "use",
    "virtual", "where", "while", "yield",
];

/// Keywords that cannot be raw identifiers.
const NON_RAW_KEYWORDS: &[&str] = &["self", "Self", "super", "crate", "_"];

/// Names of the prelude and of std items that generated code refers to
/// unqualified, and the generic parameters of generated items; a generated
/// type of that name would shadow them (or be shadowed by them).
const RESERVED_TYPE_NAMES: &[&str] = &[
    "Option",
    "Some",
    "None",
    "Result",
    "Ok",
    "Err",
    "Box",
    "String",
    "Vec",
    "Default",
    "Clone",
    "Copy",
    "Debug",
    "PartialEq",
    "Eq",
    "Hash",
    "PartialOrd",
    "Ord",
    "Send",
    "Sync",
    "Sized",
    "Drop",
    "Fn",
    "FnMut",
    "FnOnce",
    "Iterator",
    "IntoIterator",
    "Extend",
    "From",
    "Into",
    "ToString",
    "ToOwned",
    "AsRef",
    "AsMut",
    "TryFrom",
    "TryInto",
    "FromIterator",
    "Unpin",
    "LazyLock",
    // Generic parameters of generated items (`fn decode<P: ..>`,
    // `impl<C: Channel> Client<C>`, `Processor<H>`, `dispatch<I, O>`): a
    // type of that name would be shadowed inside them.
    "C",
    "H",
    "I",
    "O",
    "P",
];

/// A legal Rust identifier as text: either plain (`foo`) or raw (`r#type`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RustName(String);

impl RustName {
    /// The identifier as written in source (`r#type` for a raw one).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name without the `r#` prefix of a raw identifier.
    pub fn unraw(&self) -> &str {
        self.0.strip_prefix("r#").unwrap_or(&self.0)
    }

    /// A name built by the generator itself; `name` must be a legal,
    /// non-keyword identifier (it is not converted or checked).
    pub fn plain(name: String) -> RustName {
        debug_assert!(legalize(name.clone(), false, "_") == RustName(name.clone()));
        RustName(name)
    }

    /// Appends a suffix (the result is never raw: `r#type` + `2` = `type2`).
    /// After a digit the suffix is set off by an underscore: `arg_1` + 2 is
    /// `arg_1_2` and `S1` + 2 is `S1_2`, not `arg_12` and `S12` (which read
    /// as other numbers; an underscore between digits is still upper camel
    /// case to rustc).
    fn with_suffix(&self, n: usize) -> RustName {
        let digit = |s: &str| s.ends_with(|c: char| c.is_ascii_digit());
        // `C_` (a type renamed away from a generic parameter) becomes `C2`,
        // not `C_2`, which is not upper camel case.
        let base = self.unraw();
        let base = match base.strip_suffix('_') {
            Some(b) if !b.is_empty() && !b.ends_with('_') && !digit(b) => b,
            _ => base,
        };
        if digit(base) {
            RustName(format!("{base}_{n}"))
        } else {
            RustName(format!("{base}{n}"))
        }
    }
}

impl std::fmt::Display for RustName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Makes converted text a legal identifier (see the module docs).
fn legalize(mut s: String, raw_ok: bool, fallback: &str) -> RustName {
    // Identifiers must be ASCII alphanumerics and `_` here (Thrift allows
    // `.` in identifiers; heck already turned most punctuation into `_`).
    s.retain(|c| c.is_ascii_alphanumeric() || c == '_');
    if s.is_empty() {
        s.push_str(fallback);
    }
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, '_');
    }
    if NON_RAW_KEYWORDS.contains(&s.as_str()) {
        s.push('_');
    } else if RAW_KEYWORDS.contains(&s.as_str()) {
        if raw_ok {
            s.insert_str(0, "r#");
        } else {
            s.push('_');
        }
    }
    RustName(s)
}

/// `UpperCamelCase`, keeping an underscore between two digits (`S1_2`
/// stays `S1_2`, not `S12`, which is another name; rustc accepts it as
/// camel case).
fn upper_camel(thrift: &str) -> String {
    let bytes = thrift.as_bytes();
    let mut out = String::with_capacity(thrift.len());
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let between_digits = b == b'_'
            && i > 0
            && bytes[i - 1].is_ascii_digit()
            && bytes.get(i + 1).is_some_and(u8::is_ascii_digit);
        if between_digits {
            out.push_str(&thrift[start..i].to_upper_camel_case());
            out.push('_');
            start = i + 1;
        }
    }
    out.push_str(&thrift[start..].to_upper_camel_case());
    out
}

/// A struct, union, exception, enum, typedef or service name: `UpperCamelCase`.
pub fn type_name(thrift: &str) -> RustName {
    let name = legalize(upper_camel(thrift), true, "Unnamed");
    if RESERVED_TYPE_NAMES.contains(&name.as_str()) {
        return RustName(format!("{}_", name.0));
    }
    name
}

/// A union variant: `UpperCamelCase`.
pub fn variant_name(thrift: &str) -> RustName {
    legalize(upper_camel(thrift), true, "Unnamed")
}

/// A struct field or function name: `snake_case`.
pub fn field_name(thrift: &str) -> RustName {
    legalize(thrift.to_snake_case(), true, "unnamed")
}

/// A constant or enum value: `SCREAMING_SNAKE_CASE`.
pub fn const_name(thrift: &str) -> RustName {
    legalize(thrift.to_shouty_snake_case(), true, "UNNAMED")
}

/// A module (and file) name: `snake_case`, never raw.
pub fn module_name(thrift: &str) -> RustName {
    legalize(thrift.to_snake_case(), false, "unnamed")
}

/// One namespace of names (the items of a module, the fields of a struct,
/// the values of an enum): hands out unique names in request order.
#[derive(Debug, Default, Clone)]
pub struct Scope {
    taken: HashSet<String>,
}

impl Scope {
    /// An empty namespace: every name is free.
    pub fn new() -> Scope {
        Scope::default()
    }

    /// Marks names as used (e.g. names of generated helpers) so later
    /// requests avoid them.
    pub fn reserve(&mut self, name: &str) {
        self.taken.insert(name.to_owned());
    }

    /// Returns `name`, or `name2`, `name3`, ... if taken; the result is
    /// taken from then on.
    pub fn claim(&mut self, name: RustName) -> RustName {
        if self.taken.insert(name.unraw().to_owned()) {
            return name;
        }
        let mut n = 2;
        loop {
            let candidate = name.with_suffix(n);
            if self.taken.insert(candidate.unraw().to_owned()) {
                return candidate;
            }
            n += 1;
        }
    }
}

/// The variants of a function's error enum, from its `throws` field names
/// in order, then the `Application` and `Rpc` variants, which keep their
/// names (a `throws` field `rpc` gets `Rpc2`).
pub fn error_variants<'a>(
    throws: impl IntoIterator<Item = &'a str>,
) -> (Vec<RustName>, RustName, RustName) {
    let mut scope = Scope::new();
    let app = variant_name("Application");
    let rpc = variant_name("Rpc");
    scope.reserve(app.unraw());
    scope.reserve(rpc.unraw());
    let variants = throws
        .into_iter()
        .map(|t| scope.claim(variant_name(t)))
        .collect();
    (variants, app, rpc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases() {
        assert_eq!(type_name("my_struct").as_str(), "MyStruct");
        assert_eq!(type_name("HTTPServer").as_str(), "HttpServer");
        assert_eq!(field_name("fooBar").as_str(), "foo_bar");
        assert_eq!(field_name("ID").as_str(), "id");
        assert_eq!(const_name("maxSize").as_str(), "MAX_SIZE");
        assert_eq!(variant_name("first_name").as_str(), "FirstName");
    }

    #[test]
    fn keywords() {
        assert_eq!(field_name("type").as_str(), "r#type");
        assert_eq!(field_name("self").as_str(), "self_");
        assert_eq!(field_name("super").as_str(), "super_");
        assert_eq!(field_name("crate").as_str(), "crate_");
        assert_eq!(type_name("Self").as_str(), "Self_");
        assert_eq!(field_name("async").as_str(), "r#async");
        assert_eq!(field_name("gen").as_str(), "r#gen");
        assert_eq!(module_name("type").as_str(), "type_");
        assert_eq!(module_name("mod").as_str(), "mod_");
    }

    #[test]
    fn digits_and_prelude() {
        assert_eq!(field_name("1st").as_str(), "_1st");
        assert_eq!(type_name("Result").as_str(), "Result_");
        assert_eq!(type_name("option").as_str(), "Option_");
        assert_eq!(type_name("").as_str(), "Unnamed");
        for generic in ["C", "H", "I", "O", "P", "c", "p"] {
            let upper = generic.to_ascii_uppercase();
            assert_eq!(type_name(generic).as_str(), format!("{upper}_"));
        }
    }

    #[test]
    fn an_underscore_between_digits_stays_in_camel_case() {
        assert_eq!(type_name("S1_2").as_str(), "S1_2");
        assert_eq!(type_name("S12").as_str(), "S12");
        assert_eq!(type_name("version_1_2_beta").as_str(), "Version1_2Beta");
        assert_eq!(type_name("a_b_1").as_str(), "AB1");
        assert_eq!(variant_name("V_1_0").as_str(), "V1_0");
    }

    #[test]
    fn collisions_are_deterministic() {
        let mut scope = Scope::new();
        assert_eq!(scope.claim(field_name("fooBar")).as_str(), "foo_bar");
        assert_eq!(scope.claim(field_name("foo_bar")).as_str(), "foo_bar2");
        assert_eq!(scope.claim(field_name("FOO_BAR")).as_str(), "foo_bar3");
        scope.reserve("unknown_fields");
        assert_eq!(
            scope.claim(field_name("unknownFields")).as_str(),
            "unknown_fields2"
        );
        let mut scope = Scope::new();
        assert_eq!(scope.claim(field_name("type")).as_str(), "r#type");
        assert_eq!(scope.claim(field_name("Type")).as_str(), "type2");
    }
}
