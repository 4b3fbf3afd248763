//! Host values as JSON (docs/contract.md §8, the JSON rule): nesting at most [`MAX_DEPTH`]
//! levels, finite numbers, valid Unicode, text keys; one path notation (`udf.born`,
//! `items[3].name`) and one wording in every language. Every problem is `invalid_input`
//! (nothing is sent); a value of a type JSON cannot carry is also flagged as a wrong type
//! (Python raises `TypeError`).

use serde_json::{Map, Number, Value};

use super::value::{HostValue, MAX_DEPTH};
use crate::accounts::LinkedAccountInput;
use crate::error::{Error, ErrorCode};
use crate::options::{Dialect, show_number, wrong_type};
use crate::validate::{
    field_not_unicode_error, field_type_error_of, linked_account_id_not_unicode,
    linked_account_id_type_error,
};

/// Below 2^53 a whole float is an exact integer.
const EXACT_INTEGER_LIMIT: f64 = 9_007_199_254_740_992.0;

/// `value` as JSON; `what` names it in messages (the root of every path). A `Missing` member
/// is left out and a `Missing` list item is `null`, as `JSON.stringify` does.
pub fn json(value: &HostValue, what: &str, dialect: &Dialect) -> Result<Value, Error> {
    to_json(value, what, 0, dialect).map(|json| json.unwrap_or(Value::Null))
}

/// The linked account to send, from the official SDK's payload `{linked_account_id, name?,
/// udf?, your_app?}` (a map; Python passes its keyword arguments as one): each member as JSON
/// (paths `udf.born`), then the shape checked by [`LinkedAccountInput::from_json`].
pub fn linked_account_input(
    value: &HostValue,
    dialect: &Dialect,
) -> Result<LinkedAccountInput, Error> {
    let HostValue::Map(members) = value else {
        let json = json(value, "the linked account", dialect)?;
        return LinkedAccountInput::from_json(&json);
    };
    let mut payload = Map::new();
    for (key, member) in members {
        let key = match key {
            HostValue::Text(key) => key,
            HostValue::NotUnicode => {
                return Err(field_not_unicode_error("a key of the linked account"));
            }
            other => return Err(key_type(other, "the linked account", dialect)),
        };
        if key == "linked_account_id" {
            match member {
                HostValue::Text(id) => {
                    payload.insert(key.clone(), Value::String(id.clone()));
                    continue;
                }
                HostValue::NotUnicode => return Err(linked_account_id_not_unicode()),
                HostValue::Missing => continue,
                other => {
                    return Err(
                        linked_account_id_type_error(other.type_name(dialect)).with_wrong_type()
                    );
                }
            }
        }
        if let Some(json) = to_json(member, key, 1, dialect)? {
            payload.insert(key.clone(), json);
        }
    }
    LinkedAccountInput::from_json(&Value::Object(payload))
}

fn key_type(key: &HostValue, at: &str, dialect: &Dialect) -> Error {
    wrong_type(
        ErrorCode::InvalidInput,
        &format!("a key of {at}"),
        dialect.words.expect_text,
        key.type_name(dialect),
    )
}

/// `value` at `at`, `depth` levels down; `None` for a value JSON leaves out.
fn to_json(
    value: &HostValue,
    at: &str,
    depth: usize,
    dialect: &Dialect,
) -> Result<Option<Value>, Error> {
    if depth > MAX_DEPTH || matches!(value, HostValue::TooDeep) {
        return Err(field_type_error_of(
            at,
            &format!("nested at most {MAX_DEPTH} levels deep"),
            "a deeper value",
        ));
    }
    Ok(Some(match value {
        HostValue::Missing => return Ok(None),
        HostValue::Null => Value::Null,
        HostValue::Bool(flag) => Value::Bool(*flag),
        HostValue::Integer(integer) => Value::Number(integer_number(*integer)),
        HostValue::Number(number) => Value::Number(float_number(*number, at, dialect)?),
        HostValue::Text(text) => Value::String(text.clone()),
        HostValue::NotUnicode => return Err(field_not_unicode_error(at)),
        HostValue::List(items) => {
            let mut list = Vec::with_capacity(items.len().min(1024));
            for (index, item) in items.iter().enumerate() {
                let inner = format!("{at}[{index}]");
                list.push(to_json(item, &inner, depth + 1, dialect)?.unwrap_or(Value::Null));
            }
            Value::Array(list)
        }
        HostValue::Map(members) => {
            let mut object = Map::new();
            for (key, member) in members {
                let key = match key {
                    HostValue::Text(key) => key,
                    HostValue::NotUnicode => {
                        return Err(field_not_unicode_error(&format!("a key of {at}")));
                    }
                    other => return Err(key_type(other, at, dialect)),
                };
                let inner = format!("{at}.{key}");
                if let Some(json) = to_json(member, &inner, depth + 1, dialect)? {
                    object.insert(key.clone(), json);
                }
            }
            Value::Object(object)
        }
        other => {
            return Err(wrong_type(
                ErrorCode::InvalidInput,
                at,
                dialect.words.expect_json,
                other.type_name(dialect),
            ));
        }
    }))
}

/// An integer as JSON: exact within `i64` and `u64`, else the nearest float.
fn integer_number(integer: i128) -> Number {
    if let Ok(small) = i64::try_from(integer) {
        Number::from(small)
    } else if let Ok(large) = u64::try_from(integer) {
        Number::from(large)
    } else {
        Number::from_f64(integer as f64).expect("an i128 is a finite float")
    }
}

/// A float as JSON: finite, else `invalid_input`; whole ones become integers where the host's
/// own JSON writes them so.
fn float_number(number: f64, at: &str, dialect: &Dialect) -> Result<Number, Error> {
    if dialect.whole_numbers_as_integers
        && number.fract() == 0.0
        && number.abs() < EXACT_INTEGER_LIMIT
    {
        return Ok(Number::from(number as i64));
    }
    Number::from_f64(number)
        .ok_or_else(|| field_type_error_of(at, "a finite number", &show_number(number)))
}
