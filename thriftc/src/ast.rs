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
    /// The file in the [`SourceMap`](crate::source::SourceMap).
    pub file: FileId,
    /// `include`, `cpp_include` and `namespace` lines, in source order.
    pub headers: Vec<Header>,
    /// Top-level definitions, in source order.
    pub definitions: Vec<Definition>,
    /// What syntax errors made the parser skip (empty for a file without
    /// errors).
    pub skipped: Skipped,
}

/// The text a syntax error made the parser skip, as far as later stages
/// care: uses of what it defined are not reported again as undefined.
#[derive(Debug, Clone, Default)]
pub struct Skipped {
    /// The names of the skipped definitions (those whose name could be
    /// read), at their place in the source.
    pub names: Vec<Ident>,
    /// Whether an `include` header was skipped (qualified names may then
    /// have lost the file they name).
    pub include: bool,
}

/// `include`, `cpp_include` or `namespace`.
#[derive(Debug, Clone)]
pub enum Header {
    /// `include "path"`: the path as written (escapes processed).
    Include {
        /// The included path, relative to the including file or an include
        /// directory.
        path: String,
        /// The whole header.
        span: Span,
    },
    /// `cpp_include "path"`.
    CppInclude {
        /// The path as written.
        path: String,
        /// The whole header.
        span: Span,
    },
    /// `namespace SCOPE NAME (annotations)`.
    Namespace {
        /// The language, e.g. `rs`, or `*` for every language.
        scope: Ident,
        /// The namespace, e.g. `tutorial.shared`.
        name: Ident,
        /// Annotations in parentheses after the name.
        annotations: Vec<Annotation>,
        /// The whole header.
        span: Span,
    },
}

/// A top-level definition.
#[derive(Debug, Clone)]
pub struct Definition {
    /// The defined name.
    pub name: Ident,
    /// The `/** ... */` comment before the definition.
    pub doc: Doc,
    /// Annotations in parentheses after the definition.
    pub annotations: Vec<Annotation>,
    /// What is defined, with its body.
    pub kind: DefinitionKind,
    /// From the keyword to the end of the definition.
    pub span: Span,
}

/// The body of a [`Definition`], by keyword.
#[derive(Debug, Clone)]
pub enum DefinitionKind {
    /// `const TYPE NAME = VALUE`.
    Const {
        /// The declared type.
        ty: Type,
        /// The value as written, not yet checked against `ty`.
        value: ConstValue,
    },
    /// `typedef TYPE NAME`.
    Typedef {
        /// The aliased type.
        target: Type,
    },
    /// `enum NAME { ... }`.
    Enum {
        /// The values, in source order.
        values: Vec<EnumValue>,
    },
    /// Deprecated string enum.
    Senum {
        /// The strings with their spans.
        values: Vec<(String, Span)>,
    },
    /// `struct`, `union` or `exception`.
    Struct {
        /// Which of the three keywords.
        kind: StructKind,
        /// The fields, in source order.
        fields: Vec<Field>,
    },
    /// `service NAME [extends BASE] { ... }`.
    Service {
        /// The base service, unresolved.
        extends: Option<Ident>,
        /// The functions, in source order.
        functions: Vec<Function>,
    },
}

/// `NAME [= VALUE]` in an enum.
#[derive(Debug, Clone)]
pub struct EnumValue {
    /// The value's name.
    pub name: Ident,
    /// The explicit value and its span.
    pub value: Option<(i64, Span)>,
    /// The doc comment before the value.
    pub doc: Doc,
    /// Annotations after the value.
    pub annotations: Vec<Annotation>,
    /// From the name to the end of the value.
    pub span: Span,
}

/// A field, argument or `throws` entry.
#[derive(Debug, Clone)]
pub struct Field {
    /// The id as written, with its span.
    pub id: Option<(i64, Span)>,
    /// `required`, `optional` or neither.
    pub req: Requiredness,
    /// The `required` or `optional` keyword, when written.
    pub req_span: Option<Span>,
    /// The declared type.
    pub ty: Type,
    /// `&` written after the type.
    pub reference: bool,
    /// The field's name.
    pub name: Ident,
    /// The default value after `=`, not yet checked against `ty`.
    pub default: Option<ConstValue>,
    /// The doc comment before the field.
    pub doc: Doc,
    /// Annotations after the field.
    pub annotations: Vec<Annotation>,
    /// The whole field.
    pub span: Span,
}

/// A service function.
#[derive(Debug, Clone)]
pub struct Function {
    /// The function's name.
    pub name: Ident,
    /// Declared `oneway`: the client sends the call and expects no reply.
    pub oneway: bool,
    /// The `oneway` keyword, when written.
    pub oneway_span: Option<Span>,
    /// `None` for `void`.
    pub returns: Option<Type>,
    /// The arguments, in source order.
    pub args: Vec<Field>,
    /// The `throws` entries, in source order.
    pub throws: Vec<Field>,
    /// The `throws` clause, when written.
    pub throws_span: Option<Span>,
    /// The doc comment before the function.
    pub doc: Doc,
    /// Annotations after the function.
    pub annotations: Vec<Annotation>,
    /// The whole function.
    pub span: Span,
}

/// A type as written.
#[derive(Debug, Clone)]
pub struct Type {
    /// Which type.
    pub kind: TypeKind,
    /// Annotations after the type, and `cpp_type "..."` as the annotation
    /// `cpp_type`.
    pub annotations: Vec<Annotation>,
    /// The type as written.
    pub span: Span,
}

/// The shape of a [`Type`].
#[derive(Debug, Clone)]
pub enum TypeKind {
    /// A built-in type such as `i32` or `string`.
    Base(BaseType),
    /// `list<T>`.
    List(Box<Type>),
    /// `set<T>`.
    Set(Box<Type>),
    /// `map<K, V>`.
    Map(Box<Type>, Box<Type>),
    /// `Foo` or `file.Foo`, unresolved.
    Named(Ident),
}

/// Thrift's built-in types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BaseType {
    /// `bool`.
    Bool,
    /// `byte` or `i8`.
    I8,
    /// `i16`.
    I16,
    /// `i32`.
    I32,
    /// `i64`.
    I64,
    /// `double` (64-bit floating point).
    Double,
    /// `string` (UTF-8 text).
    String,
    /// `binary` (bytes).
    Binary,
    /// `uuid` (16 bytes).
    Uuid,
    /// Deprecated `slist` (a string).
    Slist,
}

/// A constant expression as written.
#[derive(Debug, Clone)]
pub struct ConstValue {
    /// The expression.
    pub kind: ConstKind,
    /// The expression as written.
    pub span: Span,
}

/// The shape of a [`ConstValue`].
#[derive(Debug, Clone)]
pub enum ConstKind {
    /// An integer literal.
    Int {
        /// Its value, sign included.
        value: i64,
        /// Written in hex (`0xFF`, `-0x1`): such a literal above its
        /// integer type's maximum is read as two's complement.
        hex: bool,
    },
    /// A floating-point literal.
    Double(f64),
    /// A string literal, escapes processed.
    String(String),
    /// `true` or `false`.
    Bool(bool),
    /// `[a, b, ...]`: a list or set constant.
    List(Vec<ConstValue>),
    /// `{k: v}`: a map or a struct constant.
    Map(Vec<(ConstValue, ConstValue)>),
    /// A constant name, `Enum.VALUE` or `file.Enum.VALUE`, unresolved.
    Ref(Ident),
}
