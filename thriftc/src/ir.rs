//! The resolved model of a Thrift program: the one data type between the
//! front end (`sema`) and code generation.
//!
//! Data only, no logic beyond trivial accessors. Every name has been resolved
//! to a [`DefId`], every constant evaluated against its declared type, every
//! field id assigned, and recursive fields marked for boxing.
//!
//! Invariant: a `Program` exists only if the front end reported no error. It
//! may still carry warnings (they were reported separately).

use crate::source::{SourceMap, Span};
use std::path::PathBuf;

/// A whole program: the files named on the command line and everything they
/// include.
#[derive(Debug)]
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
    pub fn def(&self, id: DefId) -> &Def {
        &self.defs[id.0 as usize]
    }

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
pub struct File {
    pub source: crate::source::FileId,
    /// Canonical path of the file.
    pub path: PathBuf,
    /// File stem (`shared` for `shared.thrift`): the prefix of qualified
    /// names (`shared.SharedStruct`) in files that include this one.
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
pub struct Namespace {
    pub scope: String,
    pub name: String,
    pub annotations: Vec<Annotation>,
    pub span: Span,
}

/// A name as written in the IDL, with where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// `key = "value"` or a bare `flag` (value `None`).
#[derive(Debug, Clone, PartialEq)]
pub struct Annotation {
    pub key: String,
    pub value: Option<String>,
    pub span: Span,
}

/// A `/** ... */` doc comment, cleaned: the comment markers and the leading
/// ` * ` of each line removed, common indentation stripped, trailing blank
/// lines dropped.
pub type Doc = Option<String>;

/// A top-level definition.
#[derive(Debug)]
pub struct Def {
    pub name: Ident,
    /// The file that defines it.
    pub file: FileIdx,
    pub doc: Doc,
    pub annotations: Vec<Annotation>,
    pub kind: DefKind,
    /// The whole definition.
    pub span: Span,
}

#[derive(Debug)]
pub enum DefKind {
    Const(Const),
    Typedef(Typedef),
    Enum(Enum),
    /// Deprecated string enum; its values are the strings.
    Senum(Vec<(String, Span)>),
    /// `struct`, `union` and `exception`.
    Struct(Struct),
    Service(Service),
}

#[derive(Debug)]
pub struct Const {
    pub ty: Type,
    /// Evaluated and checked against `ty` (references to other constants
    /// are replaced by their values).
    pub value: ConstValue,
}

#[derive(Debug)]
pub struct Typedef {
    /// The aliased type as written (may itself name a typedef).
    pub target: Type,
}

#[derive(Debug)]
pub struct Enum {
    /// In source order; values are unique.
    pub values: Vec<EnumValue>,
}

#[derive(Debug)]
pub struct EnumValue {
    pub name: Ident,
    /// Explicit or implicitly assigned (previous + 1, first 0).
    pub value: i32,
    pub doc: Doc,
    pub annotations: Vec<Annotation>,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StructKind {
    Struct,
    Union,
    Exception,
}

#[derive(Debug)]
pub struct Struct {
    pub kind: StructKind,
    /// In source order (not id order).
    pub fields: Vec<Field>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requiredness {
    Required,
    Optional,
    /// Neither keyword written ("default requiredness").
    Default,
}

/// A field of a struct, union or exception; also a function argument or a
/// `throws` entry.
#[derive(Debug)]
pub struct Field {
    /// Explicit id, or the negative id Apache Thrift assigns (-1, -2, ...)
    /// when none is written.
    pub id: i16,
    /// True when the id was assigned, not written.
    pub id_implicit: bool,
    pub name: Ident,
    pub ty: Type,
    pub req: Requiredness,
    /// The default value, evaluated against `ty`.
    pub default: Option<ConstValue>,
    pub doc: Doc,
    pub annotations: Vec<Annotation>,
    /// The `&` reference marker was written.
    pub reference: bool,
    /// The field's type leads back to the struct it is in without passing
    /// through a container: it must be boxed to have a finite size.
    pub recursive: bool,
    pub span: Span,
}

#[derive(Debug)]
pub struct Service {
    /// The service this one `extends`.
    pub extends: Option<DefId>,
    /// Functions of this service only (not inherited), in source order.
    pub functions: Vec<Function>,
}

#[derive(Debug)]
pub struct Function {
    pub name: Ident,
    pub oneway: bool,
    /// `None` for `void`.
    pub returns: Option<Type>,
    pub args: Vec<Field>,
    /// Each has an exception type.
    pub throws: Vec<Field>,
    pub doc: Doc,
    pub annotations: Vec<Annotation>,
    pub span: Span,
}

/// A type as used by a field, typedef, constant or function.
#[derive(Debug, Clone)]
pub struct Type {
    pub kind: TypeKind,
    /// Annotations written after the type, e.g. `(cpp.type = "...")`.
    pub annotations: Vec<Annotation>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum TypeKind {
    Bool,
    /// `byte` and `i8`.
    I8,
    I16,
    I32,
    I64,
    Double,
    /// `string` (and the deprecated `slist`).
    String,
    Binary,
    Uuid,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>, Box<Type>),
    /// A struct, union, exception, enum, senum or typedef. Typedefs are kept
    /// as written (code generation emits the alias name); follow
    /// [`Typedef::target`] to reach the underlying type.
    Named(DefId),
}

/// A constant value, already checked against the type it is used at.
#[derive(Debug, Clone, PartialEq)]
pub enum ConstValue {
    Bool(bool),
    /// Any integer type (range checked); also `double` constants written as
    /// integers are converted to [`ConstValue::Double`].
    Int(i64),
    Double(f64),
    /// `string` and `binary` constants.
    String(String),
    Uuid([u8; 16]),
    List(Vec<ConstValue>),
    Set(Vec<ConstValue>),
    Map(Vec<(ConstValue, ConstValue)>),
    /// An enum value: the enum and the index into [`Enum::values`].
    Enum {
        def: DefId,
        index: usize,
    },
    /// A struct constant written as a map: the struct and, for each field
    /// given, the index into [`Struct::fields`] and its value (in the order
    /// written).
    Struct {
        def: DefId,
        fields: Vec<(usize, ConstValue)>,
    },
}
