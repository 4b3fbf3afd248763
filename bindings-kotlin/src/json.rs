//! JSON values across the FFI: what Refold returns inside a linked account (its whole object,
//! the user-defined fields, a delete's answer) and what the caller sends in `udf` and
//! `your_app.auth_credentials`.
//!
//! A recursive uniffi enum instead of JSON text: the Kotlin layer maps it to and from plain
//! Kotlin values (`Map`, `List`, `String`, `Long`, `Double`, `Boolean`, `null`) without a JSON
//! library of its own, and every rule about the values stays in the core.

use serde_json::{Map, Number, Value};

use crate::FfiError;

/// One JSON value. Integers that fit `i64` travel as `Int`, every other number as `Float`.
#[derive(Clone, uniffi::Enum)]
pub enum FfiJson {
    Null,
    Bool { value: bool },
    Int { value: i64 },
    Float { value: f64 },
    Text { value: String },
    Array { items: Vec<FfiJson> },
    Object { members: Vec<FfiJsonMember> },
}

/// One member of a JSON object, in the object's order.
#[derive(Clone, uniffi::Record)]
pub struct FfiJsonMember {
    pub name: String,
    pub value: FfiJson,
}

/// Never prints the values: they may be credentials on their way in.
impl std::fmt::Debug for FfiJson {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FfiJson(…)")
    }
}

impl std::fmt::Debug for FfiJsonMember {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FfiJsonMember")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl From<Value> for FfiJson {
    fn from(value: Value) -> Self {
        match value {
            Value::Null => FfiJson::Null,
            Value::Bool(value) => FfiJson::Bool { value },
            Value::Number(number) => match number.as_i64() {
                Some(value) => FfiJson::Int { value },
                // u64 beyond i64, or a float: as close as a double gets.
                None => FfiJson::Float {
                    value: number.as_f64().unwrap_or(f64::NAN),
                },
            },
            Value::String(value) => FfiJson::Text { value },
            Value::Array(items) => FfiJson::Array {
                items: items.into_iter().map(FfiJson::from).collect(),
            },
            Value::Object(object) => FfiJson::Object {
                members: members(object),
            },
        }
    }
}

/// An object's members, in its order.
pub fn members(object: impl IntoIterator<Item = (String, Value)>) -> Vec<FfiJsonMember> {
    object
        .into_iter()
        .map(|(name, value)| FfiJsonMember {
            name,
            value: value.into(),
        })
        .collect()
}

impl FfiJson {
    /// The value for the core. The Kotlin layer never sends a non-finite number (it reports
    /// one as a type problem, worded by the core), so meeting one here is a bug: `internal`.
    pub fn into_value(self) -> Result<Value, FfiError> {
        Ok(match self {
            FfiJson::Null => Value::Null,
            FfiJson::Bool { value } => Value::Bool(value),
            FfiJson::Int { value } => Value::Number(value.into()),
            FfiJson::Float { value } => {
                Value::Number(Number::from_f64(value).ok_or_else(|| {
                    FfiError::from(refold_session::Error::internal(
                        "a non-finite number reached the native layer",
                    ))
                })?)
            }
            FfiJson::Text { value } => Value::String(value),
            FfiJson::Array { items } => Value::Array(
                items
                    .into_iter()
                    .map(FfiJson::into_value)
                    .collect::<Result<_, _>>()?,
            ),
            FfiJson::Object { members } => Value::Object(object(members)?),
        })
    }
}

/// Members as a JSON object (a repeated name: the last one wins, as in JSON parsers).
pub fn object(members: Vec<FfiJsonMember>) -> Result<Map<String, Value>, FfiError> {
    members
        .into_iter()
        .map(|member| Ok((member.name, member.value.into_value()?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_survive_the_round_trip() {
        let value = json!({"s": "x", "n": null, "b": true, "i": -3, "f": 1.5,
            "big": u64::MAX, "a": [1, "two", [3]], "o": {"k": {"deep": []}}});
        let back = FfiJson::from(value.clone()).into_value().unwrap();
        assert_eq!(back["s"], value["s"]);
        assert_eq!(back["a"], value["a"]);
        assert_eq!(back["o"], value["o"]);
        assert_eq!(back["i"], -3);
        assert_eq!(back["big"].as_f64(), Some(u64::MAX as f64));
    }

    #[test]
    fn a_non_finite_number_is_internal_and_debug_shows_no_value() {
        let err = FfiJson::Float { value: f64::NAN }
            .into_value()
            .expect_err("not JSON");
        assert_eq!(err.info().code, "internal");
        let secret = FfiJson::Text {
            value: "cred_DISTINCTIVE".into(),
        };
        assert!(!format!("{secret:?}").contains("DISTINCTIVE"));
    }
}
