//! The audit's rules: one variant per kind of change, with its severity and
//! its name, in one place.
//!
//! Errors break the wire between a peer of the old version and a peer of
//! the new one (either reading what the other writes). Warnings are safe on
//! the wire but change the generated Rust API or serde/JSON documents, or
//! deserve a look.

use crate::diagnostic::Severity;

/// A kind of change between two versions of an IDL, reported by
/// [`audit`](super::audit) as a [`Finding`](super::Finding).
///
/// "Field" below also means a function argument (arguments travel as the
/// fields of an `_args` struct); `throws` entries have their own rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Rule {
    /// A field's wire type changed for the same id (`i32` to `i64`,
    /// `list` to `set`, or at any depth of a container), or it now names
    /// another struct whose layout differs on the wire (a field's wire type
    /// or requiredness at any depth, a union for a struct): readers skip a
    /// field whose wire type they do not expect, or reject the value.
    FieldWireTypeChanged,
    /// A field's Thrift type changed but its wire type did not
    /// (`string`/`binary`, `i32`/an enum, one struct for another whose
    /// layout peers of both versions can read, also inside containers):
    /// the Rust type (or JSON form) changes.
    FieldTypeChanged,
    /// A field became `required`: old writers may omit it, new readers
    /// then reject the message.
    FieldBecameRequired,
    /// A `required` field became optional or default: old readers reject
    /// messages that leave it out.
    FieldNoLongerRequired,
    /// A field changed between `optional` and default requiredness: safe
    /// on the wire, but its Rust type changes (`Option<T>` or `T`).
    FieldOptionalityChanged,
    /// A `required` field was removed: old readers reject every message of
    /// new writers.
    RequiredFieldRemoved,
    /// An optional or default field was removed: safe, but its id must not
    /// be reused for something else.
    FieldRemoved,
    /// A `required` field was added: old writers do not write it, new
    /// readers then reject the message.
    RequiredFieldAdded,
    /// A field kept its id under another name: same on the wire, but the
    /// Rust field and the JSON key change.
    FieldRenamed,
    /// A field kept its name under another id (matched by name, after its
    /// old id was removed and the new one added): peers of each version
    /// skip the other's id, so the value is lost.
    FieldRenumbered,
    /// A field's default value changed: peers of the two versions fill in
    /// different values when it is missing.
    FieldDefaultChanged,
    /// A `union` became a `struct` or `exception`, or the reverse: a union
    /// reader rejects a struct with more or less than one field set.
    UnionChanged,
    /// A `struct` became an `exception` or the reverse: same on the wire,
    /// different Rust code.
    StructKindChanged,
    /// An enum value was removed: old peers may still send its number,
    /// which new code keeps as an unknown number.
    EnumValueRemoved,
    /// An enum value's number changed: each version reads the other's
    /// number as another value (or an unknown one).
    EnumValueRenumbered,
    /// A number of an enum now belongs to another name: old peers read it
    /// under the old name.
    EnumNumberReused,
    /// A function (or a whole service) was removed: old clients calling it
    /// get an unknown-method error.
    FunctionRemoved,
    /// A service's `extends` changed, so a function it inherited is gone:
    /// old clients calling it get an unknown-method error.
    InheritedFunctionRemoved,
    /// A function became `oneway` or stopped being `oneway`: one side waits
    /// for a reply the other never sends, or a reply is never read.
    OnewayChanged,
    /// A function's return type changed wire type (also `void` to a value
    /// or back): the reply cannot be read.
    ReturnWireTypeChanged,
    /// A function's return type changed but not its wire type: the Rust
    /// signature changes.
    ReturnTypeChanged,
    /// A `throws` entry was removed: when an old server throws it, a new
    /// client gets an unknown result.
    ExceptionRemoved,
    /// A `throws` entry was added: when a new server throws it, an old
    /// client gets an unknown result.
    ExceptionAdded,
    /// A definition no longer exists: nothing on the wire names a type, but
    /// Rust code using it no longer compiles. (A removed service with
    /// functions is reported as [`Rule::FunctionRemoved`], once, naming
    /// them.)
    DefinitionRemoved,
    /// A definition moved to another file (the only one of its name there
    /// that is new): the same on the wire, but its Rust path changes. It is
    /// then compared with its old self as any definition is.
    DefinitionMoved,
    /// A name now defines another kind of thing (an enum became a struct):
    /// the fields that use it are reported where they are used.
    DefinitionKindChanged,
    /// A typedef now aliases another type: the Rust alias changes; fields
    /// of that type are compared by what they resolve to.
    TypedefChanged,
    /// A constant's type or value changed.
    ConstChanged,
    /// A file's `namespace rs` changed: the Rust module path changes.
    NamespaceChanged,
    /// An enum value with a new number was added (with
    /// [`Options::strict`](super::Options::strict) only): thriftc's code
    /// keeps an unknown number, but peers built by some other generators
    /// lose it (Apache's Java code reads `null`).
    EnumValueAdded,
    /// A field was added to a union (with
    /// [`Options::strict`](super::Options::strict) only): a peer of the old
    /// version reads a value with it set as a union with no field it knows
    /// (thriftc's code: the `Unknown` variant; Apache's Rust code: an
    /// error).
    UnionFieldAdded,
}

impl Rule {
    /// Every rule, in the order of the table above.
    pub const ALL: &'static [Rule] = &[
        Rule::FieldWireTypeChanged,
        Rule::FieldTypeChanged,
        Rule::FieldBecameRequired,
        Rule::FieldNoLongerRequired,
        Rule::FieldOptionalityChanged,
        Rule::RequiredFieldRemoved,
        Rule::FieldRemoved,
        Rule::RequiredFieldAdded,
        Rule::FieldRenamed,
        Rule::FieldRenumbered,
        Rule::FieldDefaultChanged,
        Rule::UnionChanged,
        Rule::StructKindChanged,
        Rule::EnumValueRemoved,
        Rule::EnumValueRenumbered,
        Rule::EnumNumberReused,
        Rule::FunctionRemoved,
        Rule::InheritedFunctionRemoved,
        Rule::OnewayChanged,
        Rule::ReturnWireTypeChanged,
        Rule::ReturnTypeChanged,
        Rule::ExceptionRemoved,
        Rule::ExceptionAdded,
        Rule::DefinitionRemoved,
        Rule::DefinitionMoved,
        Rule::DefinitionKindChanged,
        Rule::TypedefChanged,
        Rule::ConstChanged,
        Rule::NamespaceChanged,
        Rule::EnumValueAdded,
        Rule::UnionFieldAdded,
    ];

    /// [`Severity::Error`] for changes that break the wire,
    /// [`Severity::Warning`] for the others.
    pub fn severity(self) -> Severity {
        use Rule::*;
        match self {
            FieldWireTypeChanged
            | FieldBecameRequired
            | FieldNoLongerRequired
            | RequiredFieldRemoved
            | RequiredFieldAdded
            | FieldRenumbered
            | UnionChanged
            | EnumValueRenumbered
            | FunctionRemoved
            | InheritedFunctionRemoved
            | OnewayChanged
            | ReturnWireTypeChanged => Severity::Error,
            FieldTypeChanged
            | FieldOptionalityChanged
            | FieldRemoved
            | FieldRenamed
            | FieldDefaultChanged
            | StructKindChanged
            | EnumValueRemoved
            | EnumNumberReused
            | ReturnTypeChanged
            | ExceptionRemoved
            | ExceptionAdded
            | DefinitionRemoved
            | DefinitionMoved
            | DefinitionKindChanged
            | TypedefChanged
            | ConstChanged
            | NamespaceChanged
            | EnumValueAdded
            | UnionFieldAdded => Severity::Warning,
        }
    }

    /// Whether the rule reports an addition safe between thriftc peers,
    /// checked only with [`Options::strict`](super::Options::strict).
    pub fn strict_only(self) -> bool {
        matches!(self, Rule::EnumValueAdded | Rule::UnionFieldAdded)
    }

    /// The rule named `name` (`field-renamed`), if any
    /// (`field_renamed` too, as lint names are read).
    pub fn from_name(name: &str) -> Option<Rule> {
        let name = name.trim().replace('_', "-");
        Rule::ALL.iter().copied().find(|r| r.name() == name)
    }

    /// The rule's name in kebab case, e.g. `field-wire-type-changed`.
    pub fn name(self) -> String {
        let debug = format!("{self:?}");
        let mut name = String::with_capacity(debug.len() + 4);
        for (i, c) in debug.chars().enumerate() {
            if c.is_ascii_uppercase() {
                if i > 0 {
                    name.push('-');
                }
                name.push(c.to_ascii_lowercase());
            } else {
                name.push(c);
            }
        }
        name
    }
}
