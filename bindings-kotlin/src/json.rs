//! JSON values Refold returns, across the FFI: inside a linked account (its whole object, the
//! user-defined fields) and a delete's answer. (What the caller sends crosses as a host value,
//! `host_value.rs`, read by the core's JSON rule.)
//!
//! A recursive uniffi enum instead of JSON text: the Kotlin layer maps it to plain Kotlin
//! values (`Map`, `List`, `String`, `Long`, `Double`, `Boolean`, `null`) without a JSON
//! library of its own.

use serde_json::Value;

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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn members_keep_their_order_and_debug_shows_no_value() {
        let value = json!({"s": "x", "big": u64::MAX, "a": [1, "two"]});
        let Value::Object(object) = value else {
            unreachable!()
        };
        let members = members(object);
        assert_eq!(members.len(), 3);
        assert!(matches!(members[1].value, FfiJson::Float { .. }));
        let secret = FfiJson::Text {
            value: "cred_DISTINCTIVE".into(),
        };
        assert!(!format!("{secret:?}").contains("DISTINCTIVE"));
    }
}
