//! [`Options`]: every setting of code generation, shared by the `thriftc gen`
//! command line and the build.rs builder.
//!
//! Settings that apply to some definitions only take a *path*: the Thrift
//! name of a definition or field, qualified by its file's stem, e.g.
//! `shared.SharedStruct` or `shared.SharedStruct.key`. A path that starts
//! with `.` matches by prefix (`.shared` matches everything in
//! `shared.thrift`); any other path matches by suffix, segment by segment
//! (`SharedStruct.key` matches the field `key` of every `SharedStruct`, and
//! `key` every field called `key`). An empty path matches everything.

use std::path::PathBuf;

/// Code generation settings. `Options::default()` gives the documented
/// defaults; set fields directly (the struct is plain data).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Options {
    /// Path of the runtime crate as generated code names it. Generated code
    /// reaches the runtime only through `<runtime_path>::__codegen`.
    ///
    /// Default `::thriftc_runtime`. Example: `crate::thrift_rt` when the
    /// runtime is re-exported by the user's crate.
    pub runtime_path: String,

    /// Folder the generated files are written to (`<module>.rs` per IDL file
    /// plus `mod.rs`). `None`: the caller decides (the builder uses
    /// `$OUT_DIR`; the command line requires `--out-dir`).
    pub out_dir: Option<PathBuf>,

    /// Use `BTreeSet`/`BTreeMap` for every set and map whose element (key)
    /// type is ordered, instead of `HashSet`/`HashMap`. Default `false`.
    pub btree_all: bool,

    /// Paths of fields (or of whole structs / files, by prefix) whose sets
    /// and maps use `BTreeSet`/`BTreeMap` (where the element type is
    /// ordered). Example: `["bench.Payload.attrs"]`.
    pub btree_paths: Vec<String>,

    /// Paths of fields (or of whole structs / files, by prefix; `["."]` for
    /// all) whose sets and maps are the runtime's `VecSet`/`VecMap`: the
    /// elements (entries) in the order they came on the wire, with no
    /// hashing or ordering to read or write them, written back in that
    /// order, duplicates included. For peers that send sets and maps
    /// already unique, and for proxies that pass them on byte for byte.
    /// Equality then depends on the order. Wins over `btree_paths` and
    /// `btree_all`. Example: `["bench.Payload"]`.
    pub wire_order_paths: Vec<String>,

    /// The `BuildHasher` of every generated `HashMap` and `HashSet`, as a
    /// Rust path to a type implementing `BuildHasher + Default` (e.g.
    /// `foldhash::fast::RandomState`, `ahash::RandomState`, or a
    /// `crate::` alias of a generic one). `None` (the default): std's
    /// `RandomState`, SipHash-1-3 keyed per map, so a peer cannot choose
    /// keys that collide. A faster hasher makes decoding maps and sets
    /// faster; choose one that is randomly seeded when peers are not
    /// trusted. Generated constants and defaults then build maps with
    /// `FromIterator` and `Default` instead of `from` and `new`.
    pub hasher: Option<String>,

    /// Paths of fields, typedefs, constants and functions (or of whole
    /// structs, services and files, by prefix) whose `string` values are
    /// the runtime's `ByteString` and `binary` values its `Bytes`, also
    /// inside lists, sets and maps, instead of `String` and `Vec<u8>`
    /// (like prost-build's `bytes`). Decoded from a `Bytes` buffer
    /// (`thriftc_runtime::binary::decode_bytes`, or a protocol over a
    /// `BytesReader`) they are slices of it: no allocation or copy per
    /// value. Needs the runtime's cargo feature `bytes`. A field of a
    /// typedef'd type follows the typedef's path. A function's path
    /// selects its return type; its arguments are `Service.function.arg`
    /// (or all of a service by prefix, `.file.Service`). Example: `["."]`
    /// (all), `[".bench"]`, `["Payload.raw"]`.
    pub bytes_paths: Vec<String>,

    /// Paths of fields, typedefs, constants and functions (or of whole
    /// structs, services and files, by prefix), chosen like
    /// [`bytes_paths`](Options::bytes_paths), whose `string` values are
    /// the runtime's `CompactString` (from the `compact_str` crate) instead
    /// of `String`, also inside lists, sets and maps: a string of up to 24
    /// bytes is kept inline, so decoding it allocates nothing (a longer one
    /// is allocated as a `String` would be). It derefs to `str`, and a
    /// `HashMap<CompactString, _>` is looked up with a `&str`. For IDL
    /// whose strings are mostly short (names, keys, labels); on the bench
    /// `Payload` (25 strings, all but one of at most 24 bytes) decoding
    /// allocates 12 times instead of 35 and takes about a quarter less
    /// time, a third less with a faster [`hasher`](Options::hasher), whose
    /// gain only shows once the allocations are gone. `binary` values are
    /// unchanged, and
    /// `bytes_paths` wins where both match. Needs the runtime's cargo
    /// feature `compact_str`. Example: `["."]` (all), `["Payload.attrs"]`.
    pub small_strings: Vec<String>,

    /// Paths of structs, unions and exceptions (or of whole files, by
    /// prefix) that also get a borrowed view type `<Name>Ref<'a>`: the same
    /// fields, with `string` as `&'a str`, `binary` as `&'a [u8]` and types
    /// that have a view as their view, decoded from a byte slice without
    /// copying or allocating any string or binary
    /// (`thriftc_runtime::binary::decode_view`). A view implements
    /// `Encode`, and the owned type converts from it (`From<&NameRef>`).
    /// Only types that hold a `string` or `binary` (directly, in a
    /// container, or in a field whose type has a view) get one, and not
    /// those where such a field has an IDL default other than a string
    /// literal or an empty container.
    ///
    /// The same paths select services and their functions: a path matching
    /// a service (`bench.Bench`, `.bench`, `.`) selects all its functions,
    /// `bench.Bench.echo` one function. A service with a selected function,
    /// or extending (at any depth, across includes) a service with one,
    /// also gets a second server flavour, `<Service>ViewHandler` and
    /// `<Service>ViewProcessor` (clients are unchanged): the selected
    /// methods take their arguments as views borrowing the request (the
    /// argument struct gets a view `<Service><Method>ArgsRef<'a>`, and the
    /// struct types the arguments hold, at any depth, get one as if
    /// selected), and when the
    /// return type has a view they return a
    /// `thriftc_runtime::CowView<T, TV<'a>>`, so a method can answer with
    /// what it was given without copying it. A method whose arguments hold
    /// nothing that borrows, and every unselected one, keeps the owned
    /// handler's signature. The view trait extends the parent service's
    /// view trait when the parent has a view flavour, its owned handler trait
    /// otherwise. With [`async_services`](Options::async_services), the
    /// service gets an async view flavour too. Return types are not selected
    /// by the function: name them (or their file) to have them returned as
    /// views.
    ///
    /// Example: `["."]` (all), `["bench.Payload"]`, `[".bench"]`,
    /// `["bench.Bench.echo"]`.
    pub views: Vec<String>,

    /// Paths of fields (or of whole structs and files, by prefix; `["."]`
    /// for all) whose lists, sets and maps stay undecoded in views: the
    /// runtime's `LazyList<'a, T>`, `LazySet<'a, T>` and `LazyMap<'a, K, V>`
    /// of the elements' view types. Reading the view checks every element
    /// as the eager view would but allocates and hashes nothing for the
    /// container; iterating decodes the elements one by one; writing the
    /// view in the protocol it was read in copies the container's bytes in
    /// one piece. For services that pass most of what they receive on
    /// (proxies, routers, echoes). Elements (entries) keep their wire order
    /// and duplicates; lookups are linear; the owned types convert from
    /// them as from any view. Applies to the views of structs, unions and
    /// exceptions ([`views`](Options::views)), to fields with no IDL
    /// default other than an empty container, and not to a field whose
    /// elements can hold its own struct again (a recursive type: each level
    /// of nested lazy containers checks the levels below it again, so only
    /// the IDL, not the input, may set how many there are); owned types are
    /// unchanged. A copy passes the elements on as they were sent
    /// (non-canonical encodings, duplicates and fields this schema does not
    /// know included), within the nesting the reader allowed.
    /// Example: `["."]`, `["bench.Payload.children"]`.
    pub lazy: Vec<String>,

    /// Paths of fields stored boxed (`Box<T>`) even when not recursive, e.g.
    /// to keep a large, rarely set optional field out of line. Recursive
    /// fields are always boxed. Example: `["Tree.payload"]`.
    pub boxed: Vec<String>,

    /// Extra attributes for generated types: `(path, attribute)` pairs;
    /// the attribute is Rust source such as `#[derive(serde::Serialize)]`.
    /// They go on structs, unions, exceptions, enums and service argument
    /// and result structs (path `file.Service.function`), not on views.
    /// serde's derives need the runtime's feature `serde` (see
    /// `Builder::type_attribute`); [`serde`](Options::serde) asks for them
    /// with attributes that fit Thrift's fields.
    /// Example: `("bench.Payload", "#[derive(serde::Serialize)]")`.
    pub type_attributes: Vec<(String, String)>,

    /// Extra attributes for generated fields and union variants, as
    /// `(path, attribute)`. Example: `("Payload.raw", "#[serde(skip)]")`.
    pub field_attributes: Vec<(String, String)>,

    /// Keep fields this schema does not know (sent by a newer peer) when
    /// reading a struct or exception, and write them back unchanged: each
    /// struct gets a field `unknown_fields: Vec<UnknownField>`. Without it,
    /// unknown fields are skipped. Union values of an unknown variant are
    /// always kept (in the union's `Unknown` variant). Default `false`.
    pub keep_unknown_fields: bool,

    /// Derive serde's `Serialize` and `Deserialize` on every generated owned
    /// type (structs, exceptions, unions, enums, and the argument and result
    /// structs of service functions; not views), spelled `::serde::...` so
    /// the user's crate needs only `serde` (feature `derive`) and the
    /// runtime's feature `serde`. Default `false`. The generated attributes
    /// make a document read as the Thrift wire would:
    ///
    /// - an `optional` field is left out when `None` and is `None` when
    ///   missing;
    /// - `unknown_fields` ([`keep_unknown_fields`](Options::keep_unknown_fields))
    ///   is left out when empty and is empty when missing;
    /// - a default-requiredness field that is missing takes its IDL default
    ///   (or its type's default): `#[serde(default)]` on the struct, which
    ///   takes missing fields from the struct's `Default`, when no field's
    ///   absence is an error; otherwise the struct's `required` fields (and
    ///   default-requiredness fields of a type with no `Default`) must be
    ///   present, as a Thrift read requires, and each other field gets its
    ///   own default (`#[serde(default)]`, or a private function building
    ///   the IDL default);
    /// - fields keep their Rust names (snake_case) and union variants
    ///   theirs (CamelCase), as the Rust API spells them, as
    ///   `type_attributes` with serde's derives would (rename them with
    ///   [`field_attributes`](Options::field_attributes) where another
    ///   spelling is needed);
    /// - a `binary` (`Vec<u8>` or `Bytes`, also in lists, sets, maps,
    ///   options and typedefs) is base64 text in human-readable formats
    ///   (`"aGk="`, standard base64 with padding, the encoding of Thrift's
    ///   JSON protocols), and bytes in the
    ///   others; a `double` that is NaN or infinite is `{"double_bits":
    ///   "7ff8000000000000"}` in human-readable formats, so that it reads
    ///   back bit for bit. serde's own forms, an array of numbers and a
    ///   `null` that does not read back, are what `type_attributes` gives.
    ///   The fields get `#[serde(with = ...)]` with the runtime's adapters
    ///   (`thriftc_runtime::serde_as`), which also read serde's array of
    ///   numbers, base64 without padding and `"NaN"`, `"Infinity"`,
    ///   `"-Infinity"`. A field attribute of your own with serde's `with`
    ///   (e.g. `serde_bytes`) on such a field clashes with it (serde's
    ///   "duplicate serde attribute"): use `type_attributes` for that type
    ///   instead of the option;
    /// - an enum is its number (`#[serde(transparent)]`), so values this
    ///   schema does not know round-trip, as on the wire;
    /// - a kept unknown field (or a union's unknown variant) with the id and
    ///   wire type of a known field is refused: no Thrift read keeps one,
    ///   and written back it would be read in place of that field.
    ///
    /// Leaving fields out suits self-describing formats (JSON, CBOR, YAML,
    /// MessagePack with named fields); a format that writes a struct's
    /// fields by position, without names (bincode, postcard), cannot read
    /// back what it wrote when a field was left out: use `type_attributes`
    /// with serde's derives there. Recursive types nest as deep as the input
    /// does: the format bounds that (serde_json at 128 levels), not the
    /// generated code.
    ///
    /// The runtime's crate docs (section *Serde*) describe how runtime
    /// types (UUIDs, kept unknown fields, ...) are represented.
    pub serde: bool,

    /// Generate service clients. Default `true`.
    pub gen_client: bool,

    /// Generate service handler traits and processors. Default `true`.
    pub gen_server: bool,

    /// Also generate async (tokio) services, beside the blocking code: per
    /// service a `<Service>AsyncHandler` trait whose methods return
    /// `impl Future<Output = Result<T, <Service><Method>Error>> + Send`
    /// (implement them with `async fn`), a `<Service>AsyncProcessor` that
    /// the runtime's async server serves, and a `<Service>AsyncClient` with
    /// one `async fn` per function (inherited ones included). They share the
    /// argument and result structs and the error enums with the blocking
    /// code, and follow [`gen_client`](Options::gen_client) and
    /// [`gen_server`](Options::gen_server). Needs the runtime's cargo
    /// feature `tokio`. Default `false`.
    ///
    /// A service with a view flavour ([`views`](Options::views)) also gets
    /// an async one: `<Service>AsyncViewHandler`, whose selected methods
    /// have the view trait's signatures returning futures (`fn echo<'a>(&self,
    /// p: PayloadRef<'a>) -> impl Future<Output = Result<CowView<Payload,
    /// PayloadRef<'a>>, BenchEchoError>> + Send`), and
    /// `<Service>AsyncViewProcessor`, which reads their arguments as views
    /// of the call's bytes, in place: no `string` or `binary` of them is
    /// copied. The trait extends the parent's async view trait when the
    /// parent has a view flavour, its async trait otherwise.
    ///
    /// These names are taken after every other name of the module (the
    /// async view ones last), so turning the option on renames nothing
    /// else; one already taken (a user type `FooAsyncClient`, or a service
    /// `FooAsync` beside `Foo`) gets a number, as other generated names do
    /// (`FooAsyncClient2`).
    pub async_services: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            runtime_path: "::thriftc_runtime".to_owned(),
            out_dir: None,
            btree_all: false,
            btree_paths: Vec::new(),
            wire_order_paths: Vec::new(),
            bytes_paths: Vec::new(),
            small_strings: Vec::new(),
            views: Vec::new(),
            lazy: Vec::new(),
            hasher: None,
            boxed: Vec::new(),
            type_attributes: Vec::new(),
            field_attributes: Vec::new(),
            keep_unknown_fields: false,
            serde: false,
            gen_client: true,
            gen_server: true,
            async_services: false,
        }
    }
}

impl Options {
    /// The option paths that match nothing in `program` (no file,
    /// definition, field, function or argument), as messages naming the
    /// option: most likely a typo, which would otherwise change nothing
    /// without a word. The command line and the builder print them as
    /// warnings.
    pub fn unmatched_paths(&self, program: &crate::ir::Program) -> Vec<String> {
        use crate::ir::DefKind;
        let mut paths: Vec<Vec<&str>> = Vec::new();
        // `[file stem, service]`: for `bytes_paths` and `small_strings` a
        // path that matches a service by suffix selects none of its types.
        let mut services: Vec<Vec<&str>> = Vec::new();
        // Fields of structs, unions and exceptions: what `lazy` applies to.
        let mut fields: Vec<Vec<&str>> = Vec::new();
        for file in &program.files {
            paths.push(vec![file.stem.as_str()]);
        }
        for def in &program.defs {
            let stem = program.file(def.file).stem.as_str();
            let base = vec![stem, def.name.name.as_str()];
            match &def.kind {
                DefKind::Struct(s) => {
                    for f in &s.fields {
                        fields.push([&base[..], &[f.name.name.as_str()]].concat());
                    }
                }
                DefKind::Service(s) => {
                    services.push(base.clone());
                    for f in &s.functions {
                        let func = [&base[..], &[f.name.name.as_str()]].concat();
                        for a in f.args.iter().chain(&f.throws) {
                            paths.push([&func[..], &[a.name.name.as_str()]].concat());
                        }
                        paths.push(func);
                    }
                }
                _ => {}
            }
            paths.push(base);
        }
        paths.extend(fields.iter().cloned());
        // Each option by its `Builder` method, with the `thriftc gen` flag
        // where that is not the method's name in dashes.
        let lists: [(&str, Vec<&str>); 9] = [
            (
                "`btree_map` (`--btree`)",
                self.btree_paths.iter().map(String::as_str).collect(),
            ),
            (
                "`wire_order`",
                self.wire_order_paths.iter().map(String::as_str).collect(),
            ),
            (
                "`bytes`",
                self.bytes_paths.iter().map(String::as_str).collect(),
            ),
            (
                "`small_strings`",
                self.small_strings.iter().map(String::as_str).collect(),
            ),
            ("`views`", self.views.iter().map(String::as_str).collect()),
            ("`lazy`", self.lazy.iter().map(String::as_str).collect()),
            ("`boxed`", self.boxed.iter().map(String::as_str).collect()),
            (
                "`type_attribute`",
                self.type_attributes
                    .iter()
                    .map(|(p, _)| p.as_str())
                    .collect(),
            ),
            (
                "`field_attribute`",
                self.field_attributes
                    .iter()
                    .map(|(p, _)| p.as_str())
                    .collect(),
            ),
        ];
        let mut out = Vec::new();
        for (option, patterns) in lists {
            let by_type = matches!(option, "`bytes`" | "`small_strings`");
            for pattern in patterns {
                let only_services = by_type && !pattern.starts_with('.');
                let matched = paths
                    .iter()
                    .any(|p| path_matches(pattern, p) && !(only_services && services.contains(p)));
                // `.` asks for every container field there is, and there
                // may be none.
                if matched
                    && option == "`lazy`"
                    && pattern != "."
                    && !fields.iter().any(|p| path_matches(pattern, p))
                {
                    out.push(format!(
                        "option `lazy`: the path `{pattern}` matches no field of a struct, union or \
                         exception, which is what it applies to (`Struct.field`, or by prefix \
                         `.file` and `.file.Struct`)"
                    ));
                    continue;
                }
                if matched {
                    continue;
                }
                let service = only_services && services.iter().any(|p| path_matches(pattern, p));
                out.push(if service {
                    let name = pattern.rsplit('.').next().unwrap_or(pattern);
                    format!(
                        "option {option}: the path `{pattern}` names a service, which selects \
                         none of its types: use `.<file>.{name}` for all of them, \
                         `{name}.<function>` for a return type, \
                         `{name}.<function>.<argument>` for an argument"
                    )
                } else {
                    format!("option {option}: the path `{pattern}` matches nothing in the IDL")
                });
            }
        }
        if !self.lazy.is_empty() && self.views.is_empty() {
            out.push(
                "option `lazy`: no effect without `views` (it makes the containers of views lazy)"
                    .to_owned(),
            );
        }
        out
    }
}

/// Does the option path `pattern` match the Thrift path `segments`
/// (`["shared", "SharedStruct", "key"]`)? See the module docs for the rules.
///
/// ```
/// use thriftc::options::path_matches;
///
/// let field = ["shared", "SharedStruct", "key"];
/// assert!(path_matches("shared.SharedStruct.key", &field));
/// assert!(path_matches("SharedStruct.key", &field)); // by suffix
/// assert!(path_matches(".shared", &field)); // by prefix: all of shared.thrift
/// assert!(!path_matches("Other.key", &field));
/// assert!(!path_matches(".other", &field));
/// ```
pub fn path_matches(pattern: &str, segments: &[&str]) -> bool {
    if pattern.is_empty() || pattern == "." {
        return true;
    }
    if let Some(prefix) = pattern.strip_prefix('.') {
        let pat: Vec<&str> = prefix.split('.').collect();
        pat.len() <= segments.len() && pat.iter().zip(segments).all(|(a, b)| a == b)
    } else {
        let pat: Vec<&str> = pattern.split('.').collect();
        pat.len() <= segments.len()
            && pat
                .iter()
                .rev()
                .zip(segments.iter().rev())
                .all(|(a, b)| a == b)
    }
}

#[cfg(test)]
mod tests {
    use super::{Options, path_matches};

    #[test]
    fn paths_that_match_nothing_are_reported() {
        let idl = "struct Payload { 1: string title }\nservice S { void f(1: i32 x) }\n";
        let loaded = crate::load_str("bench.thrift", idl).unwrap();
        let o = Options {
            views: vec![".".into(), "Payload".into(), "Paylaod".into()],
            bytes_paths: vec!["Payload.title".into(), ".bench".into(), ".other".into()],
            small_strings: vec![
                "Payload.titel".into(),
                "S".into(),
                "S.f".into(),
                ".bench.S".into(),
            ],
            boxed: vec!["S.f.x".into(), "S.f".into()],
            field_attributes: vec![("Payload.nope".into(), "#[doc(hidden)]".into())],
            btree_paths: vec!["Nope".into()],
            ..Options::default()
        };
        let got = o.unmatched_paths(&loaded.program);
        // Each option is named as `Builder` users and `thriftc gen` users
        // know it, not by its field.
        assert_eq!(
            got,
            [
                "option `btree_map` (`--btree`): the path `Nope` matches nothing in the IDL",
                "option `bytes`: the path `.other` matches nothing in the IDL",
                "option `small_strings`: the path `Payload.titel` matches nothing in the IDL",
                "option `small_strings`: the path `S` names a service, which selects none of its \
                 types: use `.<file>.S` for all of them, `S.<function>` for a return type, \
                 `S.<function>.<argument>` for an argument",
                "option `views`: the path `Paylaod` matches nothing in the IDL",
                "option `field_attribute`: the path `Payload.nope` matches nothing in the IDL",
            ]
        );
        assert!(
            Options::default()
                .unmatched_paths(&loaded.program)
                .is_empty()
        );
        let lazy_alone = Options {
            lazy: vec![".".into()],
            ..Options::default()
        };
        assert_eq!(
            lazy_alone.unmatched_paths(&loaded.program),
            ["option `lazy`: no effect without `views` (it makes the containers of views lazy)"]
        );
        // `lazy` applies to fields: a struct by suffix, a function or an
        // argument selects none.
        let lazy_not_fields = Options {
            views: vec![".".into()],
            lazy: vec![
                "Payload".into(),
                "S.f".into(),
                "S.f.x".into(),
                "Payload.title".into(),
                ".bench.Payload".into(),
            ],
            ..Options::default()
        };
        let got = lazy_not_fields.unmatched_paths(&loaded.program);
        let named: Vec<&str> = got.iter().filter_map(|m| m.split('`').nth(3)).collect();
        assert_eq!(named, ["Payload", "S.f", "S.f.x"], "{got:?}");
        // `.` asks for every container field there is: an IDL without one
        // is no mistake of the option.
        let only_a_service =
            crate::load_str("svc.thrift", "service S { void f(1: i32 x) }\n").unwrap();
        let everything = Options {
            views: vec![".".into()],
            lazy: vec![".".into()],
            ..Options::default()
        };
        assert_eq!(
            everything.unmatched_paths(&only_a_service.program),
            Vec::<String>::new()
        );
        let named_field = Options {
            lazy: vec!["S.f.x".into()],
            ..everything
        };
        assert_eq!(
            named_field.unmatched_paths(&only_a_service.program).len(),
            1
        );
    }

    #[test]
    fn prefix_and_suffix() {
        let p = ["shared", "SharedStruct", "key"];
        assert!(path_matches(".shared", &p));
        assert!(path_matches(".shared.SharedStruct", &p));
        assert!(!path_matches(".SharedStruct", &p));
        assert!(path_matches("SharedStruct.key", &p));
        assert!(path_matches("key", &p));
        assert!(!path_matches("Other.key", &p));
        assert!(path_matches("", &p));
        assert!(!path_matches("a.shared.SharedStruct.key", &p));
    }
}
