//! The one converter of JavaScript values into the core's `HostValue`, which every host rule
//! in `refold_session::host` reads (options, ids, page arguments, JSON). Nothing here judges a
//! value: it only says what JavaScript holds, as `JSON.stringify` sees members.

use std::mem::MaybeUninit;

use napi::bindgen_prelude::{
    JsObjectValue, KeyCollectionMode, KeyConversion, KeyFilter, Object, Unknown, Utf16String,
};
use napi::{JsValue, Result, ValueType};
use refold_session::host::{HostValue, MAX_DEPTH};

/// `value` as a host value (`undefined`: `Missing`).
pub fn host_value(value: &Unknown<'_>) -> Result<HostValue> {
    Converter { too_deep: false }.convert(value, 0, Position::Root)
}

/// An optional argument as a host value (left out: `Missing`).
pub fn optional(value: Option<&Unknown<'_>>) -> Result<HostValue> {
    match value {
        Some(value) => host_value(value),
        None => Ok(HostValue::Missing),
    }
}

/// Where a value sits: `JSON.stringify` leaves functions and symbols out as members and
/// writes them as `null` in arrays (both `Missing` to the core), but they are values of
/// their own type at the top.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Position {
    Root,
    Inside,
}

struct Converter {
    /// A value went deeper than the core reads: from then on every array and object is
    /// `TooDeep` too, so a cyclic value whose members share themselves (`a = {x: a, y: a}`)
    /// costs one path to the limit, not a walk of every path.
    too_deep: bool,
}

impl Converter {
    fn convert(&mut self, value: &Unknown<'_>, depth: usize, at: Position) -> Result<HostValue> {
        Ok(match value.get_type()? {
            ValueType::Undefined => HostValue::Missing,
            ValueType::Null => HostValue::Null,
            // SAFETY (every cast below): the value's type was just checked.
            ValueType::Boolean => HostValue::Bool(unsafe { value.cast::<bool>()? }),
            ValueType::Number => HostValue::Number(unsafe { value.cast::<f64>()? }),
            ValueType::String => match unsafe { text(value)? } {
                Some(text) => HostValue::Text(text),
                None => HostValue::NotUnicode,
            },
            ValueType::Function | ValueType::Symbol if at == Position::Inside => HostValue::Missing,
            ValueType::Object if self.too_deep || depth > MAX_DEPTH => {
                self.too_deep = true;
                HostValue::TooDeep
            }
            ValueType::Object if value.is_array()? => {
                let array: Object<'_> = unsafe { value.cast()? };
                let length = array.get_array_length()?;
                // The caller's own array sizes this, within what one allocation may reserve.
                let mut items = Vec::with_capacity(length.min(1024) as usize);
                for index in 0..length {
                    let item: Unknown<'_> = array.get_element(index)?;
                    items.push(self.convert(&item, depth + 1, Position::Inside)?);
                }
                HostValue::List(items)
            }
            ValueType::Object => {
                let object: Object<'_> = unsafe { value.cast()? };
                let keys = object.get_all_property_names(
                    KeyCollectionMode::OwnOnly,
                    KeyFilter::Enumerable,
                    KeyConversion::NumbersToStrings,
                )?;
                let count = keys.get_array_length()?;
                let mut members = Vec::with_capacity(count.min(1024) as usize);
                for index in 0..count {
                    let key: Unknown<'_> = keys.get_element(index)?;
                    if key.get_type()? != ValueType::String {
                        continue; // a symbol key: JSON leaves it out
                    }
                    let name = match unsafe { text(&key)? } {
                        Some(name) => HostValue::Text(name),
                        None => HostValue::NotUnicode,
                    };
                    let member: Unknown<'_> = object.get_property(key)?;
                    members.push((name, self.convert(&member, depth + 1, Position::Inside)?));
                }
                HostValue::Map(members)
            }
            ValueType::BigInt => HostValue::Other("bigint".to_owned()),
            ValueType::Function => HostValue::Other("function".to_owned()),
            ValueType::Symbol => HostValue::Other("symbol".to_owned()),
            ValueType::External => HostValue::Other("external".to_owned()),
            _ => HostValue::Other("unknown".to_owned()),
        })
    }
}

/// The text of `value` when it is a string holding Unicode text, else `None`.
pub fn string_text(value: &Unknown<'_>) -> Result<Option<String>> {
    if value.get_type()? != ValueType::String {
        return Ok(None);
    }
    // SAFETY: the value's type was just checked.
    unsafe { text(value) }
}

/// Strings up to this many UTF-16 units (ids, keys, most values) are read without a heap buffer.
const SHORT_TEXT: usize = 256;

/// The text of a JavaScript string, or `None` when it holds a lone UTF-16 surrogate (never
/// replaced). Read as UTF-16, which a JavaScript string is: its length is known without a scan
/// (napi's UTF-8 read measures the UTF-8 length first), a short one lands in a buffer on the
/// stack (a zeroed heap buffer per read was the larger part of a cache hit's time), and a lone
/// surrogate is an error of the conversion itself.
///
/// # Safety
/// `value` must be a string.
unsafe fn text(value: &Unknown<'_>) -> Result<Option<String>> {
    let raw = value.value();
    let mut units = [MaybeUninit::<u16>::uninit(); SHORT_TEXT];
    let mut written = 0usize;
    // SAFETY: `units` is writable for its length; napi writes at most length − 1 units and a
    // terminator, and reports how many it wrote.
    let status = unsafe {
        napi::sys::napi_get_value_string_utf16(
            raw.env,
            raw.value,
            units.as_mut_ptr().cast(),
            units.len(),
            &mut written,
        )
    };
    if status != napi::sys::Status::napi_ok {
        return Err(napi::Error::from_reason("a string could not be read"));
    }
    if written < SHORT_TEXT - 1 {
        // SAFETY: napi initialized the first `written` units.
        let units = unsafe { std::slice::from_raw_parts(units.as_ptr().cast::<u16>(), written) };
        return Ok(from_utf16(units));
    }
    // Possibly cut short: read it whole.
    // SAFETY: the caller checked that the value is a string.
    let units: Utf16String = unsafe { value.cast()? };
    Ok(from_utf16(&units))
}

/// UTF-16 as a `String` (`None` for a lone surrogate); ASCII, the usual id, in one copy.
fn from_utf16(units: &[u16]) -> Option<String> {
    if units.iter().all(|unit| *unit < 0x80) {
        return Some(units.iter().map(|unit| char::from(*unit as u8)).collect());
    }
    String::from_utf16(units).ok()
}
