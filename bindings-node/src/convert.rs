//! JavaScript values into the core's types. Nothing here decides: a value of the wrong type
//! or text that is not Unicode becomes the core's error (or option problem), in its words.

use napi::bindgen_prelude::{
    JsObjectValue, KeyCollectionMode, KeyConversion, KeyFilter, Object, Unknown, Utf16String,
};
use napi::{JsValue, Result, ValueType};
use refold_session::host::legacy::{
    HostDuration, LegacyCacheOptions as CacheOptions, LegacyOptions as ClientOptions,
    LegacyStoreOptions as StoreOptions, OptionProblem,
};
use refold_session::{Error, LinkedAccountInput};
use serde_json::{Map, Number, Value};

use crate::payload::ErrorPayload;

/// JavaScript's `typeof`, with `null` and arrays told apart, for wrong-type messages.
pub fn js_type_name(value: &Unknown<'_>) -> Result<&'static str> {
    Ok(match value.get_type()? {
        ValueType::Undefined => "undefined",
        ValueType::Null => "null",
        ValueType::Boolean => "boolean",
        ValueType::Number => "number",
        ValueType::String => "string",
        ValueType::Symbol => "symbol",
        ValueType::Object if value.is_array()? => "array",
        ValueType::Object => "object",
        ValueType::Function => "function",
        ValueType::External => "external",
        ValueType::BigInt => "bigint",
        _ => "unknown",
    })
}

/// Whether a value is `undefined` or `null` (an option or field left out).
fn absent(value: &Unknown<'_>) -> Result<bool> {
    Ok(matches!(
        value.get_type()?,
        ValueType::Undefined | ValueType::Null
    ))
}

/// The text of a JavaScript string, or `None` when it holds a lone UTF-16 surrogate, which
/// is never replaced (docs/contract.md §Host-language surface, the Unicode rule). napi's
/// UTF-8 conversion turns a lone surrogate into U+FFFD, so only a result holding U+FFFD is
/// read again as UTF-16 to tell a replaced surrogate from a genuine U+FFFD.
///
/// # Safety
/// `value` must be a string.
pub unsafe fn js_text(value: &Unknown<'_>) -> Result<Option<String>> {
    // SAFETY: the caller checked that the value is a string.
    let text: String = unsafe { value.cast()? };
    if !text.contains('\u{FFFD}') {
        return Ok(Some(text));
    }
    // SAFETY: as above.
    let units: Utf16String = unsafe { value.cast()? };
    Ok(String::from_utf16(&units).ok())
}

/// A linked account id argument: a string of valid Unicode, else the core's
/// `invalid_input` (nothing is sent).
pub fn linked_account_id(value: &Unknown<'_>) -> Result<std::result::Result<String, Error>> {
    if value.get_type()? != ValueType::String {
        let received = js_type_name(value)?;
        return Ok(Err(refold_session::linked_account_id_type_error(received)));
    }
    // SAFETY: the value was just checked to be a string.
    Ok(unsafe { js_text(value)? }.ok_or_else(refold_session::linked_account_id_not_unicode))
}

/// A call argument of the wrong type, as the core's `invalid_input` payload (nothing sent).
fn wrong_type(what: &str, expected: &str, received: &str) -> ErrorPayload {
    refold_session::field_type_error(what, expected, received).into()
}

/// The options argument of a call (`{ fresh }`, `{ page, limit }`): `undefined`/`null` gives
/// `None`; another type than an object is refused in the core's words.
pub fn call_options<'v>(
    value: Option<Unknown<'v>>,
) -> Result<std::result::Result<Option<Object<'v>>, ErrorPayload>> {
    let Some(value) = value else {
        return Ok(Ok(None));
    };
    if value.get_type()? == ValueType::Object && !value.is_array()? {
        // SAFETY: the value was just checked to be an object.
        return Ok(Ok(Some(unsafe { value.cast()? })));
    }
    if absent(&value)? {
        return Ok(Ok(None));
    }
    let received = js_type_name(&value)?;
    Ok(Err(wrong_type("options", "an object", received)))
}

/// A member of a call's options object (`undefined` when there is no object).
pub fn member<'v>(options: &Option<Object<'v>>, name: &str) -> Result<Option<Unknown<'v>>> {
    match options {
        Some(options) => Ok(Some(options.get_named_property::<Unknown<'v>>(name)?)),
        None => Ok(None),
    }
}

/// A page number or a limit: `undefined`/`null` gives `default`; a number is judged by the
/// core (`refold_session::page_argument`); another type is refused in the core's words.
pub fn page_argument(
    what: &str,
    value: Option<Unknown<'_>>,
    default: u32,
    max: u32,
) -> Result<std::result::Result<u32, ErrorPayload>> {
    let Some(value) = value else {
        return Ok(Ok(default));
    };
    if absent(&value)? {
        return Ok(Ok(default));
    }
    if value.get_type()? != ValueType::Number {
        let received = js_type_name(&value)?;
        return Ok(Err(wrong_type(what, "a number", received)));
    }
    // SAFETY: the value was just checked to be a number.
    let number: f64 = unsafe { value.cast()? };
    Ok(refold_session::page_argument(what, number, max).map_err(ErrorPayload::from))
}

/// A boolean flag of a call's options (`fresh`): absent is `false`.
pub fn flag(
    what: &str,
    value: Option<Unknown<'_>>,
) -> Result<std::result::Result<bool, ErrorPayload>> {
    let Some(value) = value else {
        return Ok(Ok(false));
    };
    match value.get_type()? {
        ValueType::Undefined | ValueType::Null => Ok(Ok(false)),
        // SAFETY: the value was just checked to be a boolean.
        ValueType::Boolean => Ok(Ok(unsafe { value.cast::<bool>()? })),
        _ => {
            let received = js_type_name(&value)?;
            Ok(Err(wrong_type(what, "a boolean", received)))
        }
    }
}

/// Reads optional options of any JavaScript type into `options`: absent (`undefined`/`null`)
/// gives `None`; a wrong type or text that is not Unicode is reported as an
/// [`OptionProblem`] (the core words the error).
pub struct OptionReader<'o> {
    pub options: &'o mut ClientOptions,
}

impl OptionReader<'_> {
    pub fn string(&mut self, name: &str, value: Option<Unknown<'_>>) -> Result<Option<String>> {
        let Some(value) = value else { return Ok(None) };
        match value.get_type()? {
            ValueType::Undefined | ValueType::Null => Ok(None),
            ValueType::String => {
                // SAFETY: the value was just checked to be a string.
                let text = unsafe { js_text(&value)? };
                if text.is_none() {
                    self.options.report(OptionProblem::not_unicode(name));
                }
                Ok(text)
            }
            _ => {
                let received = js_type_name(&value)?;
                self.options
                    .report(OptionProblem::wrong_type(name, "a string", received));
                Ok(None)
            }
        }
    }

    pub fn number(&mut self, name: &str, value: Option<Unknown<'_>>) -> Result<Option<f64>> {
        let Some(value) = value else { return Ok(None) };
        match value.get_type()? {
            ValueType::Undefined | ValueType::Null => Ok(None),
            // SAFETY: the value was just checked to be a number.
            ValueType::Number => Ok(Some(unsafe { value.cast::<f64>()? })),
            _ => {
                let received = js_type_name(&value)?;
                self.options
                    .report(OptionProblem::wrong_type(name, "a number", received));
                Ok(None)
            }
        }
    }

    /// A length of time given in milliseconds.
    pub fn millis(
        &mut self,
        name: &str,
        value: Option<Unknown<'_>>,
    ) -> Result<Option<HostDuration>> {
        Ok(self.number(name, value)?.map(HostDuration::Milliseconds))
    }

    /// An options object (`undefined`/`null`: `None`), or a wrong-type report.
    fn object<'v>(
        &mut self,
        name: &str,
        expected: &str,
        value: Unknown<'v>,
    ) -> Result<Option<Object<'v>>> {
        if value.get_type()? == ValueType::Object && !value.is_array()? {
            // SAFETY: the value was just checked to be an object.
            return Ok(Some(unsafe { value.cast()? }));
        }
        if !absent(&value)? {
            let received = js_type_name(&value)?;
            self.options
                .report(OptionProblem::wrong_type(name, expected, received));
        }
        Ok(None)
    }

    /// `cache`: `true` for the defaults, an object of settings (`store` among them), or
    /// `false`/absent for none.
    pub fn cache(&mut self, value: Option<Unknown<'_>>) -> Result<Option<CacheOptions>> {
        let Some(value) = value else { return Ok(None) };
        if value.get_type()? == ValueType::Boolean {
            // SAFETY: the value was just checked to be a boolean.
            let on: bool = unsafe { value.cast()? };
            return Ok(on.then(CacheOptions::default));
        }
        let Some(settings) = self.object("cache", "a boolean or an object", value)? else {
            return Ok(None);
        };
        let field = |name: &str| settings.get_named_property::<Unknown<'_>>(name).map(Some);
        Ok(Some(CacheOptions {
            max_entries: self.number("cache.maxEntries", field("maxEntries")?)?,
            min_remaining: self.millis("cache.minRemainingMs", field("minRemainingMs")?)?,
            refresh_ahead: self.millis("cache.refreshAheadMs", field("refreshAheadMs")?)?,
            store: self.store(field("store")?)?,
        }))
    }

    /// `cache.store`: `true` or an object of settings (`{}`: all from the environment) for
    /// the fleet store on Redis, or `false`/absent for none. `encryptionKey` is one key,
    /// `encryptionKeys` a list (rotation); not both.
    fn store(&mut self, value: Option<Unknown<'_>>) -> Result<Option<StoreOptions>> {
        let Some(value) = value else { return Ok(None) };
        if value.get_type()? == ValueType::Boolean {
            // SAFETY: the value was just checked to be a boolean.
            let on: bool = unsafe { value.cast()? };
            return Ok(on.then(StoreOptions::default));
        }
        let Some(settings) = self.object("cache.store", "a boolean or an object", value)? else {
            return Ok(None);
        };
        let field = |name: &str| settings.get_named_property::<Unknown<'_>>(name).map(Some);
        let redis_url = self.string("cache.store.redisUrl", field("redisUrl")?)?;
        let key = self.string("cache.store.encryptionKey", field("encryptionKey")?)?;
        let keys = self.strings("cache.store.encryptionKeys", field("encryptionKeys")?)?;
        let encryption_keys = match (key, keys) {
            (Some(_), Some(_)) => {
                self.options.report(OptionProblem::wrong_type(
                    "cache.store.encryptionKey",
                    "absent when encryptionKeys is given",
                    "a string",
                ));
                Vec::new()
            }
            (Some(key), None) => vec![key],
            (None, keys) => keys.unwrap_or_default(),
        };
        Ok(Some(StoreOptions {
            redis_url,
            encryption_keys,
            key_prefix: self.string("cache.store.keyPrefix", field("keyPrefix")?)?,
            timeout: self.millis("cache.store.timeoutMs", field("timeoutMs")?)?,
        }))
    }

    /// An array of strings (`undefined`/`null`: `None`).
    fn strings(&mut self, name: &str, value: Option<Unknown<'_>>) -> Result<Option<Vec<String>>> {
        let Some(value) = value else { return Ok(None) };
        if absent(&value)? {
            return Ok(None);
        }
        if !value.is_array()? {
            let received = js_type_name(&value)?;
            self.options.report(OptionProblem::wrong_type(
                name,
                "an array of strings",
                received,
            ));
            return Ok(None);
        }
        // SAFETY: the value was just checked to be an array.
        let array: Object<'_> = unsafe { value.cast()? };
        let item_name = format!("{name}[]");
        let mut items = Vec::new();
        for index in 0..array.get_array_length()? {
            let item: Unknown<'_> = array.get_element(index)?;
            if absent(&item)? {
                let received = js_type_name(&item)?;
                self.options
                    .report(OptionProblem::wrong_type(&item_name, "a string", received));
            } else if let Some(text) = self.string(&item_name, Some(item))? {
                items.push(text);
            }
        }
        Ok(Some(items))
    }
}

/// Deeper than this is surely a mistake (or a cycle): the core never sees it.
const MAX_DEPTH: usize = 64;

/// The linked account to send, from the official SDK's payload `{linked_account_id, name?,
/// udf?, your_app?}`: read as JSON with `JSON.stringify`'s rules for what it leaves out
/// (`undefined`, functions and symbols as members), then by the core
/// (`LinkedAccountInput::from_json`), which reports every problem of shape or value as
/// `invalid_input`. Text with a lone surrogate is never replaced: it is refused, like a
/// value JSON cannot carry (a bigint, a non-finite number, nesting deeper than 64).
pub fn account_input(
    value: &Unknown<'_>,
) -> Result<std::result::Result<LinkedAccountInput, ErrorPayload>> {
    let json = match to_json(value, "the linked account", 0)? {
        Ok(json) => json.unwrap_or(Value::Null),
        Err(error) => return Ok(Err(error.into())),
    };
    Ok(LinkedAccountInput::from_json(&json).map_err(ErrorPayload::from))
}

/// A JavaScript value as JSON, naming where a problem is (`at`); `None` for a value
/// `JSON.stringify` leaves out.
fn to_json(
    value: &Unknown<'_>,
    at: &str,
    depth: usize,
) -> Result<std::result::Result<Option<Value>, Error>> {
    if depth > MAX_DEPTH {
        return Ok(Err(refold_session::field_type_error(
            at,
            "nested at most 64 levels deep",
            "a deeper value",
        )));
    }
    let json = match value.get_type()? {
        ValueType::Undefined | ValueType::Function | ValueType::Symbol => None,
        ValueType::Null => Some(Value::Null),
        // SAFETY (every cast below): the value's type was just checked.
        ValueType::Boolean => Some(Value::Bool(unsafe { value.cast::<bool>()? })),
        ValueType::Number => {
            let number = unsafe { value.cast::<f64>()? };
            // Whole numbers stay integers, as JSON.stringify writes them.
            let json = if number.fract() == 0.0 && number.abs() < 9_007_199_254_740_992.0 {
                Some(Number::from(number as i64))
            } else {
                Number::from_f64(number)
            };
            match json {
                Some(number) => Some(Value::Number(number)),
                None => {
                    return Ok(Err(refold_session::field_type_error(
                        at,
                        "a finite number",
                        &number.to_string(),
                    )));
                }
            }
        }
        ValueType::String => match unsafe { js_text(value)? } {
            Some(text) => Some(Value::String(text)),
            None if at == "linked_account_id" => {
                return Ok(Err(refold_session::linked_account_id_not_unicode()));
            }
            None => return Ok(Err(refold_session::field_not_unicode(at))),
        },
        ValueType::Object if value.is_array()? => {
            let array: Object<'_> = unsafe { value.cast()? };
            let length = array.get_array_length()?;
            let mut items = Vec::with_capacity(length.min(1024) as usize);
            let inner = format!("{at}[]");
            for index in 0..length {
                let item: Unknown<'_> = array.get_element(index)?;
                match to_json(&item, &inner, depth + 1)? {
                    Ok(json) => items.push(json.unwrap_or(Value::Null)),
                    Err(unusable) => return Ok(Err(unusable)),
                }
            }
            Some(Value::Array(items))
        }
        ValueType::Object => {
            let object: Object<'_> = unsafe { value.cast()? };
            let keys = object.get_all_property_names(
                KeyCollectionMode::OwnOnly,
                KeyFilter::Enumerable,
                KeyConversion::NumbersToStrings,
            )?;
            let mut members = Map::new();
            for index in 0..keys.get_array_length()? {
                let key: Unknown<'_> = keys.get_element(index)?;
                if key.get_type()? != ValueType::String {
                    continue; // a symbol key: JSON.stringify leaves it out
                }
                let Some(name) = (unsafe { js_text(&key)? }) else {
                    let field = format!("a member name of {at}");
                    return Ok(Err(refold_session::field_not_unicode(&field)));
                };
                let item: Unknown<'_> = object.get_property(key)?;
                let inner = if depth == 0 {
                    name.clone()
                } else {
                    format!("{at}.{name}")
                };
                match to_json(&item, &inner, depth + 1)? {
                    Ok(Some(json)) => {
                        members.insert(name, json);
                    }
                    Ok(None) => {}
                    Err(unusable) => return Ok(Err(unusable)),
                }
            }
            Some(Value::Object(members))
        }
        _ => {
            let received = js_type_name(value)?;
            return Ok(Err(refold_session::field_type_error(
                at,
                "a string, number, boolean, null, object or array",
                received,
            )));
        }
    };
    Ok(Ok(json))
}
