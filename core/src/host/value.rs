//! A value as a dynamically typed host holds it, converted by the binding's one converter:
//! what every host rule in `host` reads.

use std::fmt;

use crate::options::Dialect;

/// Deepest nesting a converter descends into: below it, it emits [`HostValue::TooDeep`] (so a
/// cyclic value terminates), and the JSON rule refuses anything deeper.
pub const MAX_DEPTH: usize = 64;

/// A host value. A binding converts its native values with one function: JavaScript
/// `undefined` (and, as object members, functions and symbols, which JSON leaves out) is
/// `Missing`; a string holding a lone UTF-16 surrogate is `NotUnicode` (never replaced); an
/// integer beyond `i128` saturates; a value of any other type is `Other` with the host's name
/// for its type; below [`MAX_DEPTH`] + 1 levels it emits `TooDeep` instead of descending.
#[derive(Clone, PartialEq)]
pub enum HostValue {
    Missing,
    Null,
    Bool(bool),
    /// A floating-point number (every JavaScript number; a Python `float`).
    Number(f64),
    /// An integer (a Python `int`, a JVM `Long`).
    Integer(i128),
    Text(String),
    /// Text that does not encode to UTF-8.
    NotUnicode,
    List(Vec<HostValue>),
    /// Members in the host's order; keys are host values too (Python dict keys need not be
    /// strings).
    Map(Vec<(HostValue, HostValue)>),
    /// The host's own length of time (Python `timedelta`), in seconds; may be negative.
    Duration(f64),
    /// A value of another type, named as the host names it (`bigint`, `datetime`…).
    Other(String),
    TooDeep,
}

impl HostValue {
    /// A map from `(name, value)` pairs with text keys.
    pub fn map<K: Into<String>>(members: impl IntoIterator<Item = (K, HostValue)>) -> HostValue {
        HostValue::Map(
            members
                .into_iter()
                .map(|(key, value)| (HostValue::Text(key.into()), value))
                .collect(),
        )
    }

    /// Text.
    pub fn text(text: impl Into<String>) -> HostValue {
        HostValue::Text(text.into())
    }

    /// Absent: `Missing` or `Null` (an option left out).
    pub(crate) fn is_absent(&self) -> bool {
        matches!(self, HostValue::Missing | HostValue::Null)
    }

    /// What the host calls this kind of value, for "must be …, not …".
    pub(crate) fn type_name<'a>(&'a self, dialect: &'a Dialect) -> &'a str {
        let words = &dialect.words;
        match self {
            HostValue::Missing => "undefined",
            HostValue::Null => words.null,
            HostValue::Bool(_) => words.boolean,
            HostValue::Number(_) => words.number,
            HostValue::Integer(_) => words.integer,
            HostValue::Text(_) | HostValue::NotUnicode => words.text,
            HostValue::List(_) => words.list,
            HostValue::Map(_) => words.map,
            HostValue::Duration(_) => words.duration,
            HostValue::Other(name) => name,
            HostValue::TooDeep => "a deeper value",
        }
    }
}

/// Never shows text or numbers: a value may be a secret on its way in.
impl fmt::Debug for HostValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HostValue::Missing => f.write_str("Missing"),
            HostValue::Null => f.write_str("Null"),
            HostValue::Bool(_) => f.write_str("Bool(…)"),
            HostValue::Number(_) => f.write_str("Number(…)"),
            HostValue::Integer(_) => f.write_str("Integer(…)"),
            HostValue::Text(_) => f.write_str("Text(…)"),
            HostValue::NotUnicode => f.write_str("NotUnicode"),
            HostValue::List(items) => write!(f, "List({} items)", items.len()),
            HostValue::Map(members) => write!(f, "Map({} members)", members.len()),
            HostValue::Duration(_) => f.write_str("Duration(…)"),
            HostValue::Other(name) => write!(f, "Other({name})"),
            HostValue::TooDeep => f.write_str("TooDeep"),
        }
    }
}
