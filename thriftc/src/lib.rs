//! thriftc: a Thrift IDL compiler for Rust, made to run from `build.rs`.
//!
//! thriftc reads Thrift IDL files and everything they include, checks them
//! (every problem is reported with `file:line:col`, the source line and a
//! caret), and generates formatted, warning-free Rust for the
//! [`thriftc-runtime`](https://docs.rs/thriftc-runtime) crate: structs,
//! unions, enums, exceptions, constants, and for each service a handler
//! trait, a processor for the runtime's threaded server, and a client.
//!
//! This crate is both a library (this page: the build script API) and the
//! `thriftc` command (`thriftc check`, `thriftc gen`, `thriftc audit`;
//! behind the default feature `cli`).
//!
//! # A build.rs in five steps
//!
//! **1. Dependencies.** The runtime for your code, thriftc for the build
//! script. `default-features = false` leaves the command line's crates
//! (clap) out of your build:
//!
//! ```toml
//! [dependencies]
//! thriftc-runtime = "0.1"
//!
//! [build-dependencies]
//! thriftc = { version = "0.1", default-features = false }
//! ```
//!
//! **2. The IDL.** Say `idl/greeter.thrift`, which includes a file kept in
//! `idl/common/`:
//!
//! ```thrift
//! include "people.thrift"
//!
//! service Greeter {
//!   string greet(1: people.Person who) throws (1: people.Unwelcome unwelcome)
//! }
//! ```
//!
//! **3. `build.rs`**, next to `Cargo.toml`. Paths are relative to it; the
//! second list holds the folders searched for included files (after the
//! including file's own folder):
//!
//! ```no_run
//! fn main() -> Result<(), thriftc::Error> {
//!     thriftc::compile(&["idl/greeter.thrift"], &["idl/common"])
//! }
//! ```
//!
//! **4. One line in your crate** brings in everything generated, one module
//! per IDL file (named after its `namespace rs`, else its file name), here
//! `idl::people` and `idl::greeter`. In a binary, what the program does not
//! use warns as dead code, hence the `allow`; in a library, make the module
//! `pub` instead:
//!
//! ```ignore
//! #[allow(dead_code)]
//! mod idl {
//!     include!(concat!(env!("OUT_DIR"), "/_thrift.rs"));
//! }
//! ```
//!
//! **5. Use it.** Implement the handler trait, serve it, call it:
//!
//! ```ignore
//! use idl::greeter::{GreeterClient, GreeterGreetError, GreeterHandler, GreeterProcessor};
//! use idl::people::Person;
//! use thriftc_runtime::{Connector, Server};
//!
//! struct Greeter;
//!
//! impl GreeterHandler for Greeter {
//!     fn greet(&self, who: Person) -> Result<String, GreeterGreetError> {
//!         Ok(format!("Hello, {}!", who.name))
//!     }
//! }
//!
//! let server = Server::builder(GreeterProcessor::new(Greeter))
//!     .bind("127.0.0.1:9090")?
//!     .spawn()?;
//! let mut client = GreeterClient::new(Connector::new("127.0.0.1:9090")?.connect()?);
//! let person = Person { name: "Ada".into(), ..Person::default() };
//! assert_eq!(client.greet(person)?, "Hello, Ada!");
//! server.stop();
//! ```
//!
//! `examples/quickstart` in the repository is this program, complete.
//!
//! # What the build script does
//!
//! - **Writes into `$OUT_DIR`** one `<module>.rs` per IDL file, `mod.rs`
//!   (declares the modules, for `#[path]` users) and the *include file*
//!   `_thrift.rs` (each module as `pub mod <module> { include!("<module>.rs"); }`).
//!   Generated code refers to other files' types as `super::<module>::Type`,
//!   so the modules must stay together, in any module of your crate. A file
//!   is only written when its content changed. With another include file
//!   name ([`Builder::include_file`]), the modules and `mod.rs` go into a
//!   subfolder named after it (`greeter_idl.rs` includes
//!   `greeter_idl/<module>.rs`), so builders sharing `$OUT_DIR` keep apart.
//! - **Tells cargo when to run again:** `cargo:rerun-if-changed` for every IDL
//!   file it read, the included ones too. Editing any of them regenerates;
//!   editing your Rust sources does not rerun the script.
//! - **Reports IDL warnings** as `cargo:warning` lines, and **fails the
//!   build on IDL errors** with the same report as `thriftc check`:
//!
//! ```text
//! error: cannot find type `people.Persn`
//!   --> idl/greeter.thrift:4:19
//!   |
//! 4 |   string greet(1: people.Persn who)
//!   |                   ^^^^^^^^^^^^ not defined
//!   |
//!   = help: did you mean `people.Person`?
//!
//! thriftc: the IDL has errors (1 error)
//! ```
//!
//! That text is [`Error`]'s `Display` *and* `Debug`, so `?` from `main` and
//! `.unwrap()` show it alike.
//! - **Names every kind of warning** (`warning[enum-alias]: ...`, see
//!   [`Lint`]): [`Builder::allow`] hides one kind, [`Builder::deny`] makes it
//!   an error, [`Builder::deny_warnings`] makes them all errors. `thriftc
//!   check` and `thriftc gen` take the same as `-A NAME` and `-D NAME` (`-D
//!   warnings` for all), for CI.
//!
//! # What is generated
//!
//! Each IDL file becomes a module of plain Rust items. For this IDL
//! (`store.thrift`, no `namespace rs`, so the module is `store`):
//!
//! ```thrift
//! enum Color { RED = 1, GREEN = 2 }
//! struct Item {
//!   1: required string name
//!   2: optional string note
//!   3: i32 quantity = 1
//!   4: Color color = Color.GREEN
//! }
//! union Lookup { 1: string by_name, 2: i64 by_id }
//! exception NotFound { 1: string what }
//! service Store {
//!   void reset()
//!   oneway void log(1: string line)
//!   Item get(1: Lookup key) throws (1: NotFound not_found)
//! }
//! ```
//!
//! - **Enums** are newtypes over `i32` with a constant per value
//!   (`pub struct Color(pub i32)`, `Color::RED`), so a number a newer peer
//!   sends is kept; `Color::VALUES` lists the declared ones and
//!   `name()` gives a value's IDL name.
//! - **Structs** have public fields named in snake_case: `optional` ones
//!   are `Option`s, the others plain values (`pub name: String`,
//!   `pub note: Option<String>`, `pub quantity: i32`). `Default` applies
//!   the IDL defaults (`quantity: 1`, `color: Color::GREEN`), so
//!   `Item { name: "pen".into(), ..Item::default() }` is the usual way to
//!   build one. A `required` field missing on the wire fails the read.
//!   A union has no `Default` (no variant is more natural than another),
//!   so a field with no requiredness keyword and no IDL default whose
//!   type has none (a union, or a struct with such a `required` field) is
//!   an `Option`, as `optional` fields are: a peer may leave it out (as
//!   Apache's generators and thriftpy2 do with any unset field that is
//!   not `required`), and it then reads as `None`. A struct with a
//!   `required` union field has no `Default`: write all of its fields.
//! - **Unions** are Rust enums with a CamelCase variant per field and an
//!   `Unknown` variant for a field a newer schema added
//!   (`Lookup::ByName(String)`, `Lookup::ById(i64)`,
//!   `Lookup::Unknown(UnknownField)`): a `match` needs an arm for it.
//! - **Exceptions** are structs that also implement `std::error::Error`.
//!   Their `Display` is `Name: message` when they have a message field:
//!   the `string` field their `message` annotation names (`exception
//!   NotFound { 1: string what } (message = "what")`, as Apache's
//!   generators read it), else one named `message`; without one it shows
//!   every field, as `Debug` does.
//! - **Per function, an error enum** `<Service><Function>Error`
//!   (`StoreGetError`): a variant per declared exception, named after its
//!   `throws` field in CamelCase (`StoreGetError::NotFound(NotFound)` from
//!   `not_found`), then `Application(ApplicationError)` (a
//!   `TApplicationException`) and `Rpc(thriftc_runtime::Error)` (the call
//!   failed: transport or protocol). It converts `From` each of them, so a
//!   handler writes `Err(NotFound { .. }.into())` and `?` on runtime
//!   errors. A function that declares nothing gets the last two variants
//!   (`StoreResetError`). Its `Display` names the `throws` field before
//!   the exception's own (`not_found: NotFound: no item 7`).
//! - **Per service**: the handler trait `StoreHandler` (`Send + Sync`, one
//!   `&self` method per function: `fn reset(&self) -> Result<(),
//!   StoreResetError>`, `fn get(&self, key: Lookup) -> Result<Item,
//!   StoreGetError>`; a `oneway` one returns `Result<(), StoreLogError>`
//!   too, and its error is only logged), `StoreProcessor::new(handler)` to
//!   serve it, and `StoreClient::new(channel)`, whose `&mut self` methods
//!   have the same signatures (a declared exception comes back as its
//!   variant; a `oneway` call returns once its request is sent). The
//!   argument and result structs (`StoreGetArgs`, `StoreGetResult`) are
//!   public too, for attributes. With
//!   [`async_services`](Builder::async_services), `StoreAsyncHandler`
//!   (implement it with `async fn`), `StoreAsyncProcessor` and
//!   `StoreAsyncClient` come beside them. With [`views`](Builder::views)
//!   selecting `Store` or some of its functions, `StoreViewHandler` (whose
//!   selected methods take views of the request, such as `key:
//!   LookupRef<'a>`, and may return views of them) and
//!   `StoreViewProcessor` too, and with both options
//!   `StoreAsyncViewHandler` and `StoreAsyncViewProcessor`.
//! - **Names** are converted with `heck`: UpperCamelCase for types and
//!   variants, snake_case for fields, functions and modules,
//!   SCREAMING_SNAKE_CASE for constants. A Rust keyword becomes a raw
//!   identifier (`type` → `r#type`); the four that cannot be raw (`self`,
//!   `Self`, `super`, `crate`), and type names that would shadow an item
//!   the generated code uses (`Ok`, `Option`, `Result`, `Box`, ...), get a
//!   trailing `_` (`self_`, `Ok_`). Where two names convert to the same
//!   Rust name in one scope, the first in source order keeps it and later
//!   ones get a number (`fooBar` and `foo_bar` → `foo_bar`, `foo_bar2`);
//!   so do `throws` fields named like the built-in variants (`rpc` →
//!   `Rpc2`, beside `Rpc`). Each such number is a warning at the name in
//!   the IDL. The wire keeps the IDL names.
//!
//! Every generated type implements the runtime's `Encode` and `Decode`,
//! `Clone`, `Debug` and `PartialEq`. To read the code itself, open the
//! files in `$OUT_DIR` (or generate them with `thriftc gen`, or
//! [`Builder::generate`]); this check runs as a test:
//!
//! ```
//! # let dir = std::env::temp_dir().join(format!("thriftc-doc-gen-{}", std::process::id()));
//! # std::fs::create_dir_all(&dir).unwrap();
//! # let path = dir.join("store.thrift");
//! # std::fs::write(&path, r#"
//! # enum Color { RED = 1, GREEN = 2 }
//! # struct Item {
//! #   1: required string name
//! #   2: optional string note
//! #   3: i32 quantity = 1
//! #   4: Color color = Color.GREEN
//! # }
//! # union Lookup { 1: string by_name, 2: i64 by_id }
//! # exception NotFound { 1: string what }
//! # service Store {
//! #   void reset()
//! #   oneway void log(1: string line)
//! #   Item get(1: Lookup key) throws (1: NotFound not_found)
//! # }
//! # "#)?;
//! let files = thriftc::Builder::new().file(&path).generate()?;
//! let store = &files.iter().find(|f| f.name == "store.rs").unwrap().contents;
//! for item in [
//!     "pub struct Color(pub i32);",
//!     "pub const RED: Color = Color(1);",
//!     "pub note: Option<String>,",
//!     "ByName(String),",
//!     "Unknown(__rt::UnknownField),",
//!     "impl ::std::error::Error for NotFound {}",
//!     "pub enum StoreGetError {",
//!     "NotFound(NotFound),",
//!     "impl From<NotFound> for StoreGetError {",
//!     "pub trait StoreHandler: Send + Sync {",
//!     "fn reset(&self) -> Result<(), StoreResetError>;",
//!     "fn log(&self, line: String) -> Result<(), StoreLogError>;",
//!     "fn get(&self, key: Lookup) -> Result<Item, StoreGetError>;",
//!     "pub fn get(&mut self, key: Lookup) -> Result<Item, StoreGetError> {",
//! ] {
//!     assert!(store.contains(item), "{item}");
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Settings
//!
//! [`compile`] uses the defaults. For anything else use a [`Builder`]; its
//! settings are the fields of [`Options`], the struct the `thriftc gen`
//! command line fills too. Settings that concern some definitions take a
//! *path* of Thrift names, qualified by the file's stem: `people.Person`
//! (a type), `people.Person.name` (a field), `.people` (everything in
//! `people.thrift`), `.` (everything); a path without a leading dot matches
//! by suffix, so `Person.name` also works (see [`options`]). A path that
//! matches nothing is reported as a warning.
//!
//! Generated types already implement `Clone`, `Debug`, `PartialEq` and,
//! where their fields allow, `Eq`, `Hash`, `PartialOrd`, `Ord` and
//! `Default` (deriving one of them again does not compile); attributes add
//! the rest. Here for a `Person` that also has a `photo` binary field:
//!
//! ```no_run
//! fn main() -> Result<(), thriftc::Error> {
//!     thriftc::Builder::new()
//!         .file("idl/greeter.thrift")
//!         .include_dir("idl/common")
//!         // serde's derives on every type (runtime feature `serde`).
//!         .serde(true)
//!         // Extra attributes, on types or fields.
//!         .type_attribute("people.Person", "#[doc(alias = \"guest\")]")
//!         .field_attribute("people.Person.name", "#[doc = \"Full name.\"]")
//!         // BTreeMap/BTreeSet instead of HashMap/HashSet: some fields, or all.
//!         .btree_map([".people"])
//!         // Box a large field although it is not recursive.
//!         .boxed("people.Person.photo")
//!         // `string`/`binary` as the runtime's shared ByteString/Bytes,
//!         // decoded without a copy (runtime feature `bytes`).
//!         .bytes(["people.Person.photo"])
//!         // Only the client side of services.
//!         .gen_server(false)
//!         // Async (tokio) clients too, beside the blocking ones (runtime
//!         // feature `tokio`).
//!         .async_services(true)
//!         // Keep fields sent by a newer schema and write them back.
//!         .keep_unknown_fields(true)
//!         // Where generated code finds the runtime (if you re-export it).
//!         .runtime_path("::thriftc_runtime")
//!         // Another include file name, e.g. when two builders share OUT_DIR:
//!         // the modules then go into `$OUT_DIR/greeter_idl/`.
//!         .include_file("greeter_idl.rs")
//!         .compile()
//! }
//! ```
//!
//! # Without writing files
//!
//! [`Builder::generate`] returns the files instead of writing them (and
//! prints nothing), e.g. to inspect or post-process them:
//!
//! ```
//! # let dir = std::env::temp_dir().join(format!("thriftc-doc-{}", std::process::id()));
//! # std::fs::create_dir_all(&dir).unwrap();
//! # let path = dir.join("points.thrift");
//! std::fs::write(&path, "struct Point { 1: i32 x, 2: i32 y }")?;
//! let files = thriftc::Builder::new().file(&path).generate()?;
//! let points = files.iter().find(|f| f.name == "points.rs").unwrap();
//! assert!(points.contents.contains("pub struct Point"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # The command line
//!
//! Install it from the repository with `cargo install --path thriftc`, then:
//!
//! ```text
//! thriftc check -I idl/common idl/greeter.thrift
//! thriftc gen -I idl/common --out-dir src/idl idl/greeter.thrift
//! thriftc gen -I idl/common --out-dir src/idl --check idl/greeter.thrift   # in CI
//! thriftc audit -I idl/common --old-include-dir v1/idl/common v1/idl/greeter.thrift idl/greeter.thrift   # v1/: the last release
//! ```
//!
//! # The library's layers
//!
//! For tools built on thriftc: [`load`] (or [`load_with`] over any
//! [`FileSystem`], [`load_str`] for one text) parses and checks IDL into an
//! [`ir::Program`], [`codegen::generate`] turns that into
//! [`GeneratedFile`]s, and [`Diagnostics`] render problems. [`audit`]
//! compares two versions of a program for wire compatibility.
//!
//! # Features
//!
//! - `cli` (default): the `thriftc` binary, with `clap` and `clap_complete`.
//!   Build scripts turn it off.

#![warn(missing_docs)]

// Modules whose every public item is documented are checked by
// `missing_docs`; the others are listed with an `allow` until they are.
//
// `ast`, `parse` and `dump` (the syntax tree, the parser, the model's text
// form) are public for the project's own tests and benchmarks only: not part
// of the API, they may change in any release. Tools read the checked model,
// `ir`.
#[doc(hidden)]
pub mod ast;
pub mod audit;
pub mod builder;
pub mod codegen;
pub mod diagnostic;
#[doc(hidden)]
pub mod dump;
pub mod ir;
pub mod lint;
pub mod options;
#[doc(hidden)]
pub mod parse;
pub mod sema;
pub mod source;

pub use builder::{Builder, Error, compile};
pub use codegen::GeneratedFile;
pub use diagnostic::{Diagnostic, Diagnostics, Severity};
pub use lint::{Level, Lint, LintLevels};
pub use options::Options;
pub use sema::{Failed, FileSystem, Loaded, MemoryFs, RealFs, load, load_str, load_with};
