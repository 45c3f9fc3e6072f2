//! Syntax tree of one `.thrift` file, as written: spans and doc comments, no logic.
//!
//! Names are not resolved here: a type or constant written as `shared.Foo`
//! is an [`Ident`] with that text. [`crate::sema`] turns a set of documents
//! into the resolved [`crate::ir::Program`].

use crate::source::{FileId, Span};

pub use crate::ir::{Annotation, Doc, Ident, Requiredness, StructKind};

/// One parsed file.
#[derive(Debug, Clone)]
pub struct Document {
    pub file: FileId,
    pub headers: Vec<Header>,
    pub definitions: Vec<Definition>,
}

/// `include`, `cpp_include` or `namespace`.
#[derive(Debug, Clone)]
pub enum Header {
    /// `include "path"`: the path as written (escapes processed).
    Include { path: String, span: Span },
    /// `cpp_include "path"`.
    CppInclude { path: String, span: Span },
    /// `namespace SCOPE NAME (annotations)`.
    Namespace {
        scope: Ident,
        name: Ident,
        annotations: Vec<Annotation>,
        span: Span,
    },
}

/// A top-level definition.
#[derive(Debug, Clone)]
pub struct Definition {
    pub name: Ident,
    pub doc: Doc,
    pub annotations: Vec<Annotation>,
    pub kind: DefinitionKind,
    /// From the keyword to the end of the definition.
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum DefinitionKind {
    Const {
        ty: Type,
        value: ConstValue,
    },
    Typedef {
        target: Type,
    },
    Enum {
        values: Vec<EnumValue>,
    },
    /// Deprecated string enum.
    Senum {
        values: Vec<(String, Span)>,
    },
    /// `struct`, `union` or `exception`.
    Struct {
        kind: StructKind,
        fields: Vec<Field>,
    },
    Service {
        extends: Option<Ident>,
        functions: Vec<Function>,
    },
}

/// `NAME [= VALUE]` in an enum.
#[derive(Debug, Clone)]
pub struct EnumValue {
    pub name: Ident,
    /// The explicit value and its span.
    pub value: Option<(i64, Span)>,
    pub doc: Doc,
    pub annotations: Vec<Annotation>,
    pub span: Span,
}

/// A field, argument or `throws` entry.
#[derive(Debug, Clone)]
pub struct Field {
    /// The id as written, with its span.
    pub id: Option<(i64, Span)>,
    pub req: Requiredness,
    pub ty: Type,
    /// `&` written after the type.
    pub reference: bool,
    pub name: Ident,
    pub default: Option<ConstValue>,
    pub doc: Doc,
    pub annotations: Vec<Annotation>,
    pub span: Span,
}

/// A service function.
#[derive(Debug, Clone)]
pub struct Function {
    pub name: Ident,
    pub oneway: bool,
    /// The `oneway` keyword, when written.
    pub oneway_span: Option<Span>,
    /// `None` for `void`.
    pub returns: Option<Type>,
    pub args: Vec<Field>,
    pub throws: Vec<Field>,
    /// The `throws` clause, when written.
    pub throws_span: Option<Span>,
    pub doc: Doc,
    pub annotations: Vec<Annotation>,
    pub span: Span,
}

/// A type as written.
#[derive(Debug, Clone)]
pub struct Type {
    pub kind: TypeKind,
    /// Annotations after the type, and `cpp_type "..."` as the annotation
    /// `cpp_type`.
    pub annotations: Vec<Annotation>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum TypeKind {
    Base(BaseType),
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>, Box<Type>),
    /// `Foo` or `file.Foo`, unresolved.
    Named(Ident),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BaseType {
    Bool,
    /// `byte` or `i8`.
    I8,
    I16,
    I32,
    I64,
    Double,
    String,
    Binary,
    Uuid,
    /// Deprecated `slist` (a string).
    Slist,
}

/// A constant expression as written.
#[derive(Debug, Clone)]
pub struct ConstValue {
    pub kind: ConstKind,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum ConstKind {
    Int(i64),
    Double(f64),
    String(String),
    Bool(bool),
    List(Vec<ConstValue>),
    /// `{k: v}`: a map or a struct constant.
    Map(Vec<(ConstValue, ConstValue)>),
    /// A constant name, `Enum.VALUE` or `file.Enum.VALUE`, unresolved.
    Ref(Ident),
}
