//! The resolved model of a Thrift program: the one data type between the
//! front end (`sema`) and code generation.
//!
//! Data only, no logic beyond trivial accessors. Every name has been resolved
//! to a [`DefId`], every constant evaluated against its declared type, every
//! field id assigned, and recursive fields marked for boxing.
//!
//! Invariant: a `Program` exists only if the front end reported no error. It
//! may still carry warnings (they were reported separately).
//!
//! The model is read, not built, outside this crate: its types are
//! `#[non_exhaustive]`, so fields and variants can be added (a new Thrift
//! type, a new kind of definition) without breaking code that reads it.
//! Match with a `_` arm and destructure with `..`. `Requiredness` is closed:
//! Thrift has exactly three.

use crate::source::{SourceMap, Span};
use std::path::PathBuf;

/// A whole program: the files named on the command line and everything they
/// include.
///
/// ```
/// use thriftc::ir::{DefKind, Requiredness};
///
/// let idl = "enum Kind { ROUND, SQUARE }\nstruct Shape { 1: Kind kind, 2: optional double size }";
/// let loaded = thriftc::load_str("shapes.thrift", idl).map_err(|failed| failed.to_string())?;
/// let program = &loaded.program;
/// let file = program.file(program.roots[0]);
/// assert_eq!(file.stem, "shapes");
/// let names: Vec<&str> = file.defs.iter().map(|&id| program.def(id).name.name.as_str()).collect();
/// assert_eq!(names, ["Kind", "Shape"]);
/// let DefKind::Struct(shape) = &program.def(file.defs[1]).kind else { unreachable!() };
/// assert_eq!(shape.fields[1].req, Requiredness::Optional);
/// # Ok::<(), String>(())
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub struct Program {
    /// Text of every file read, for spans.
    pub sources: SourceMap,
    /// Every file, includes before the files that include them (a topological
    /// order; ties in load order). Indexed by [`FileIdx`].
    pub files: Vec<File>,
    /// The files named by the user, in the order given.
    pub roots: Vec<FileIdx>,
    /// Every definition of every file. Indexed by [`DefId`].
    pub defs: Vec<Def>,
}

impl Program {
    /// The definition `id` names. Panics if `id` is not from this program.
    pub fn def(&self, id: DefId) -> &Def {
        &self.defs[id.0 as usize]
    }

    /// The file `idx` names. Panics if `idx` is not from this program.
    pub fn file(&self, idx: FileIdx) -> &File {
        &self.files[idx.0 as usize]
    }
}

/// Index of a [`File`] in [`Program::files`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileIdx(pub u32);

/// Index of a [`Def`] in [`Program::defs`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DefId(pub u32);

/// One `.thrift` file.
#[derive(Debug)]
#[non_exhaustive]
pub struct File {
    /// The file's text in [`Program::sources`].
    pub source: crate::source::FileId,
    /// Canonical path of the file.
    pub path: PathBuf,
    /// File stem (`shared` for `shared.thrift`): the file's name in
    /// option paths and messages, and its module's unless a namespace
    /// names it. Qualified names (`shared.SharedStruct`) in an including
    /// file use the stem of the path its own `include` writes, which for a
    /// file reached by several names (a symbolic link) may differ; this is
    /// then the stem of the file's canonical path if it is reached by that
    /// name, else the least of its names.
    pub stem: String,
    /// `namespace LANG NAME` headers, in source order.
    pub namespaces: Vec<Namespace>,
    /// Files included by this file, in source order.
    pub includes: Vec<FileIdx>,
    /// `cpp_include "..."` headers (kept, unused by the Rust generator).
    pub cpp_includes: Vec<String>,
    /// The definitions of this file in source order.
    pub defs: Vec<DefId>,
}

impl File {
    /// The `namespace rs` name, if any.
    pub fn rust_namespace(&self) -> Option<&str> {
        self.namespaces
            .iter()
            .find(|n| n.scope == "rs")
            .map(|n| n.name.as_str())
    }
}

/// `namespace SCOPE NAME (annotations)`; `scope` is `*` for `namespace *`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Namespace {
    /// The language (`rs`, `py`, ...), or `*`.
    pub scope: String,
    /// The namespace, e.g. `tutorial.shared`.
    pub name: String,
    /// Annotations in parentheses after the name.
    pub annotations: Vec<Annotation>,
    /// The whole header.
    pub span: Span,
}

/// A name as written in the IDL, with where it was written.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Ident {
    /// The text, e.g. `Foo`, or `shared.Foo` before resolution.
    pub name: String,
    /// Where it was written.
    pub span: Span,
}

/// `key = "value"` or a bare `flag` (value `None`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Annotation {
    /// The name before `=`, e.g. `rust.name`.
    pub key: String,
    /// The string after `=`, if any.
    pub value: Option<String>,
    /// The whole annotation.
    pub span: Span,
}

/// A `/** ... */` doc comment, cleaned: the comment markers and the leading
/// ` * ` of each line removed, common indentation stripped, trailing blank
/// lines dropped.
pub type Doc = Option<String>;

/// A top-level definition.
#[derive(Debug)]
#[non_exhaustive]
pub struct Def {
    /// The defined name.
    pub name: Ident,
    /// The file that defines it.
    pub file: FileIdx,
    /// The `/** ... */` comment before the definition.
    pub doc: Doc,
    /// Annotations in parentheses after the definition.
    pub annotations: Vec<Annotation>,
    /// What is defined, with its body.
    pub kind: DefKind,
    /// The whole definition.
    pub span: Span,
}

/// The body of a [`Def`], by keyword.
#[derive(Debug)]
#[non_exhaustive]
pub enum DefKind {
    /// `const`.
    Const(Const),
    /// `typedef`.
    Typedef(Typedef),
    /// `enum`.
    Enum(Enum),
    /// Deprecated string enum; its values are the strings.
    Senum(Vec<(String, Span)>),
    /// `struct`, `union` and `exception`.
    Struct(Struct),
    /// `service`.
    Service(Service),
}

/// `const TYPE NAME = VALUE`.
#[derive(Debug)]
#[non_exhaustive]
pub struct Const {
    /// The declared type.
    pub ty: Type,
    /// Evaluated and checked against `ty` (references to other constants
    /// are replaced by their values).
    pub value: ConstValue,
}

/// `typedef TYPE NAME`: an alias.
#[derive(Debug)]
#[non_exhaustive]
pub struct Typedef {
    /// The aliased type as written (may itself name a typedef).
    pub target: Type,
}

/// `enum NAME { ... }`: named `i32` values.
#[derive(Debug)]
#[non_exhaustive]
pub struct Enum {
    /// In source order; values are unique.
    pub values: Vec<EnumValue>,
}

/// One value of an [`Enum`].
#[derive(Debug)]
#[non_exhaustive]
pub struct EnumValue {
    /// The value's name.
    pub name: Ident,
    /// Explicit or implicitly assigned (previous + 1, first 0).
    pub value: i32,
    /// The doc comment before the value.
    pub doc: Doc,
    /// Annotations after the value.
    pub annotations: Vec<Annotation>,
    /// From the name to the end of the value.
    pub span: Span,
}

/// Which keyword defined a [`Struct`]. The three share one wire format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StructKind {
    /// `struct`.
    Struct,
    /// `union`: at most one field set.
    Union,
    /// `exception`: a struct that functions can list in `throws`.
    Exception,
}

/// A `struct`, `union` or `exception`.
#[derive(Debug)]
#[non_exhaustive]
pub struct Struct {
    /// Which of the three.
    pub kind: StructKind,
    /// In source order (not id order).
    pub fields: Vec<Field>,
}

/// A field's `required` / `optional` keyword.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requiredness {
    /// `required`: always written; a reader fails when it is missing.
    Required,
    /// `optional`: written only when set (an `Option` in Rust).
    Optional,
    /// Neither keyword written ("default requiredness").
    Default,
}

/// A field of a struct, union or exception; also a function argument or a
/// `throws` entry.
#[derive(Debug)]
#[non_exhaustive]
pub struct Field {
    /// Explicit id, or the negative id Apache Thrift assigns (-1, -2, ...)
    /// when none is written.
    pub id: i16,
    /// True when the id was assigned, not written.
    pub id_implicit: bool,
    /// The field's name.
    pub name: Ident,
    /// The declared type.
    pub ty: Type,
    /// `required`, `optional` or neither.
    pub req: Requiredness,
    /// The default value, evaluated against `ty`.
    pub default: Option<ConstValue>,
    /// The doc comment before the field.
    pub doc: Doc,
    /// Annotations after the field.
    pub annotations: Vec<Annotation>,
    /// The `&` reference marker was written.
    pub reference: bool,
    /// The field's type leads back to the struct it is in without passing
    /// through a container: it must be boxed to have a finite size.
    pub recursive: bool,
    /// The whole field.
    pub span: Span,
}

/// `service NAME [extends BASE] { ... }`.
#[derive(Debug)]
#[non_exhaustive]
pub struct Service {
    /// The service this one `extends`.
    pub extends: Option<DefId>,
    /// Functions of this service only (not inherited), in source order.
    pub functions: Vec<Function>,
}

/// A function of a [`Service`].
#[derive(Debug)]
#[non_exhaustive]
pub struct Function {
    /// The function's name.
    pub name: Ident,
    /// Declared `oneway`: the client sends the call and waits for no reply.
    pub oneway: bool,
    /// `None` for `void`.
    pub returns: Option<Type>,
    /// The arguments (their ids are the argument struct's field ids).
    pub args: Vec<Field>,
    /// Each has an exception type.
    pub throws: Vec<Field>,
    /// The doc comment before the function.
    pub doc: Doc,
    /// Annotations after the function.
    pub annotations: Vec<Annotation>,
    /// The whole function.
    pub span: Span,
}

/// A type as used by a field, typedef, constant or function.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Type {
    /// Which type.
    pub kind: TypeKind,
    /// Annotations written after the type, e.g. `(cpp.type = "...")`.
    pub annotations: Vec<Annotation>,
    /// The type as written.
    pub span: Span,
}

/// The shape of a [`Type`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum TypeKind {
    /// `bool`.
    Bool,
    /// `byte` and `i8`.
    I8,
    /// `i16`.
    I16,
    /// `i32`.
    I32,
    /// `i64`.
    I64,
    /// `double` (64-bit floating point).
    Double,
    /// `string` (and the deprecated `slist`).
    String,
    /// `binary` (bytes).
    Binary,
    /// `uuid` (16 bytes).
    Uuid,
    /// `list<T>`.
    List(Box<Type>),
    /// `set<T>`.
    Set(Box<Type>),
    /// `map<K, V>`.
    Map(Box<Type>, Box<Type>),
    /// A struct, union, exception, enum, senum or typedef. Typedefs are kept
    /// as written (code generation emits the alias name); follow
    /// [`Typedef::target`] to reach the underlying type.
    Named(DefId),
}

impl TypeKind {
    /// The IDL name of a base type (`i32`, `binary`, ...); `None` for
    /// containers and named types.
    pub fn base_name(&self) -> Option<&'static str> {
        Some(match self {
            TypeKind::Bool => "bool",
            TypeKind::I8 => "i8",
            TypeKind::I16 => "i16",
            TypeKind::I32 => "i32",
            TypeKind::I64 => "i64",
            TypeKind::Double => "double",
            TypeKind::String => "string",
            TypeKind::Binary => "binary",
            TypeKind::Uuid => "uuid",
            TypeKind::List(_) | TypeKind::Set(_) | TypeKind::Map(..) | TypeKind::Named(_) => {
                return None;
            }
        })
    }
}

/// A constant value, already checked against the type it is used at.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ConstValue {
    /// `true` or `false`.
    Bool(bool),
    /// Any integer type (range checked); also `double` constants written as
    /// integers are converted to [`ConstValue::Double`].
    Int(i64),
    /// A floating-point value.
    Double(f64),
    /// `string` and `binary` constants.
    String(String),
    /// A `uuid` constant: its 16 bytes in the order written.
    Uuid([u8; 16]),
    /// A `list` constant, in the order written.
    List(Vec<ConstValue>),
    /// A `set` constant, in the order written.
    Set(Vec<ConstValue>),
    /// A `map` constant: entries in the order written.
    Map(Vec<(ConstValue, ConstValue)>),
    /// An enum value: the enum and the index into [`Enum::values`].
    Enum {
        /// The enum.
        def: DefId,
        /// Index into the enum's [`Enum::values`].
        index: usize,
    },
    /// A struct constant written as a map: the struct and, for each field
    /// given, the index into [`Struct::fields`] and its value (in the order
    /// written).
    Struct {
        /// The struct, union or exception.
        def: DefId,
        /// For each field given: the index into [`Struct::fields`] and the value.
        fields: Vec<(usize, ConstValue)>,
    },
}
