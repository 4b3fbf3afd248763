//! Python values in, Python values out: the client options, the linked account payload and
//! every answer of the core, translated without deciding anything (the core validates).

use std::time::{SystemTime, UNIX_EPOCH};

use pyo3::exceptions::{PyTypeError, PyUnicodeEncodeError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use refold_session::host::legacy::{
    HostDuration, LegacyCacheOptions as CacheOptions, LegacyOptions as ClientOptions,
    LegacyStoreOptions as StoreOptions, OptionProblem,
};
use refold_session::{
    CacheStats, Error, ErrorCode, LinkedAccount, LinkedAccountInput, LinkedAccountPage,
    SessionToken, field_not_unicode, field_type_error, format_rfc3339,
    linked_account_id_not_unicode, linked_account_id_type_error,
};
use serde_json::{Map, Number, Value};

use crate::error_to_py;

/// The client options as read from Python. A value of the wrong type is a `TypeError`
/// (docs/contract.md §Options), worded by the core like every other option problem.
#[derive(Default)]
pub(crate) struct HostOptions {
    pub(crate) options: ClientOptions,
    /// Whether the first problem reported is a wrong type.
    wrong_type_first: bool,
}

impl HostOptions {
    fn wrong_type(&mut self, option: &str, expected: &str, value: &Bound<'_, PyAny>) {
        if self.options.host_problem.is_none() {
            self.wrong_type_first = true;
        }
        let problem = OptionProblem::wrong_type(option, expected, &type_name(value));
        self.options.report(problem);
    }

    /// A `str`; one holding a lone surrogate is reported, never replaced.
    pub(crate) fn text(
        &mut self,
        option: &str,
        value: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Option<String>> {
        let Some(value) = value.filter(|value| !value.is_none()) else {
            return Ok(None);
        };
        let Ok(text) = value.cast::<PyString>() else {
            self.wrong_type(option, "a str or None", value);
            return Ok(None);
        };
        match text.to_cow() {
            Ok(text) => Ok(Some(text.into_owned())),
            Err(err) if err.is_instance_of::<PyUnicodeEncodeError>(value.py()) => {
                self.options.report(OptionProblem::not_unicode(option));
                Ok(None)
            }
            Err(err) => Err(err),
        }
    }

    /// An `int` or `float` (not `bool`) of seconds; the core judges its value.
    pub(crate) fn seconds(
        &mut self,
        option: &str,
        value: Option<&Bound<'_, PyAny>>,
    ) -> Option<f64> {
        let value = value.filter(|value| !value.is_none())?;
        if value.is_instance_of::<PyFloat>() || is_int(value) {
            return Some(int_or_float(value));
        }
        self.wrong_type(option, "a number of seconds (int or float)", value);
        None
    }

    /// An `int` (not `bool`); the core judges its value (negative, huge → `configuration`).
    pub(crate) fn count(&mut self, option: &str, value: Option<&Bound<'_, PyAny>>) -> Option<f64> {
        let value = value.filter(|value| !value.is_none())?;
        if is_int(value) {
            return Some(int_or_float(value));
        }
        self.wrong_type(option, "an int", value);
        None
    }

    /// `cache`: `None`/`False` (off), `True` (the core's defaults), or the
    /// `(max_entries, min_remaining, refresh_ahead, store)` that `refold_session` makes of a
    /// `CacheOptions` or a dict (durations already in seconds).
    pub(crate) fn cache(
        &mut self,
        value: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Option<CacheOptions>> {
        let Some(value) = value.filter(|value| !value.is_none()) else {
            return Ok(None);
        };
        if let Ok(on) = value.cast::<PyBool>() {
            return Ok(on.is_true().then(CacheOptions::default));
        }
        let Some(fields) = fields(value, 4) else {
            self.wrong_type("cache", "a bool, a CacheOptions or a dict", value);
            return Ok(None);
        };
        let field = |index| fields.get_item(index).ok();
        Ok(Some(CacheOptions {
            max_entries: self.count("cache max_entries", field(0).as_ref()),
            min_remaining: self
                .seconds("cache min_remaining", field(1).as_ref())
                .map(HostDuration::Seconds),
            refresh_ahead: self
                .seconds("cache refresh_ahead", field(2).as_ref())
                .map(HostDuration::Seconds),
            store: self.store(field(3).as_ref())?,
        }))
    }

    /// `cache.store`: `None` (this process only), or the `(redis_url, encryption_key,
    /// encryption_keys, key_prefix, timeout)` that `refold_session` makes of a
    /// `StoreOptions` or a dict (the timeout in seconds). Unset fields are the core's to fill
    /// from the environment.
    fn store(&mut self, value: Option<&Bound<'_, PyAny>>) -> PyResult<Option<StoreOptions>> {
        let Some(value) = value.filter(|value| !value.is_none()) else {
            return Ok(None);
        };
        let Some(fields) = fields(value, 5) else {
            self.wrong_type("cache store", "a StoreOptions or a dict", value);
            return Ok(None);
        };
        let field = |index| fields.get_item(index).ok();
        let redis_url = self.text("cache store redis_url", field(0).as_ref())?;
        let key = field(1);
        let keys = field(2).filter(|keys| !keys.is_none());
        let mut encryption_keys = Vec::new();
        if let (Some(key), Some(_)) = (key.as_ref().filter(|key| !key.is_none()), &keys) {
            self.wrong_type(
                "cache store encryption_key",
                "None when encryption_keys is given",
                key,
            );
        } else if let Some(key) = self.text("cache store encryption_key", key.as_ref())? {
            encryption_keys.push(key);
        }
        if let Some(keys) = keys {
            let items = if keys.is_instance_of::<PyList>() || keys.is_instance_of::<PyTuple>() {
                keys.try_iter()?.collect::<PyResult<Vec<_>>>()?
            } else {
                self.wrong_type("cache store encryption_keys", "a list of str", &keys);
                Vec::new()
            };
            for item in &items {
                if item.is_none() {
                    self.wrong_type("cache store encryption_keys[]", "a str", item);
                } else if let Some(key) = self.text("cache store encryption_keys[]", Some(item))? {
                    encryption_keys.push(key);
                }
            }
        }
        Ok(Some(StoreOptions {
            redis_url,
            encryption_keys,
            key_prefix: self.text("cache store key_prefix", field(3).as_ref())?,
            timeout: self
                .seconds("cache store timeout", field(4).as_ref())
                .map(HostDuration::Seconds),
        }))
    }

    /// The exception for a failed build: `TypeError` when the first problem was a type.
    pub(crate) fn raise(&self, py: Python<'_>, err: Error) -> PyErr {
        if self.wrong_type_first && err.code() == ErrorCode::Configuration {
            PyTypeError::new_err(err.message().to_owned())
        } else {
            error_to_py(py, err)
        }
    }
}

/// The fields of an options object as `refold_session` passes them: a tuple of `len` items.
fn fields<'py>(value: &Bound<'py, PyAny>, len: usize) -> Option<Bound<'py, PyTuple>> {
    value
        .cast::<PyTuple>()
        .ok()
        .filter(|tuple| tuple.len() == len)
        .cloned()
}

fn is_int(value: &Bound<'_, PyAny>) -> bool {
    value.is_instance_of::<PyInt>() && !value.is_instance_of::<PyBool>()
}

/// A Python number as `f64`; an int too large for a float becomes an infinity of its sign,
/// which the core rejects like any other out-of-range number.
fn int_or_float(value: &Bound<'_, PyAny>) -> f64 {
    value.extract::<f64>().unwrap_or_else(|_| {
        if value.lt(0).unwrap_or(false) {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        }
    })
}

pub(crate) fn type_name(value: &Bound<'_, PyAny>) -> String {
    value
        .get_type()
        .name()
        .map_or_else(|_| "?".to_owned(), |name| name.to_string())
}

/// The id as UTF-8: not a `str` → `TypeError` (docs/contract.md §Host-language surface);
/// holding a lone surrogate → the core's `invalid_input`, and nothing is sent.
pub(crate) fn linked_account_id_arg(value: &Bound<'_, PyAny>) -> PyResult<String> {
    let py = value.py();
    let Ok(text) = value.cast::<PyString>() else {
        let err = linked_account_id_type_error(&type_name(value));
        return Err(PyTypeError::new_err(err.message().to_owned()));
    };
    match text.to_cow() {
        Ok(text) => Ok(text.into_owned()),
        Err(err) if err.is_instance_of::<PyUnicodeEncodeError>(py) => {
            Err(error_to_py(py, linked_account_id_not_unicode()))
        }
        Err(err) => Err(err),
    }
}

/// A page number or limit: an `int` (or a whole `float`) judged by the core
/// (`refold_session::page_argument`); another type is a `TypeError` in the core's words.
pub(crate) fn page_arg(what: &str, value: &Bound<'_, PyAny>, max: u32) -> PyResult<u32> {
    if !(value.is_instance_of::<PyFloat>() || is_int(value)) {
        let err = field_type_error(what, "an int", &type_name(value));
        return Err(PyTypeError::new_err(err.message().to_owned()));
    }
    refold_session::page_argument(what, int_or_float(value), max)
        .map_err(|err| error_to_py(value.py(), err))
}

/// A value of the linked-account payload that has no JSON form.
enum Unusable {
    /// Not a JSON type at all (`TypeError`).
    Type { at: String, received: String },
    /// Text with a lone surrogate, a non-finite float, nesting too deep: the core's
    /// `invalid_input` (`InvalidInputError`).
    Value(Error),
}

/// Deeper than this is surely a mistake (or a cycle): the core never sees it.
const MAX_DEPTH: usize = 64;

/// The linked account to send: the official SDK's payload, `{linked_account_id, name?,
/// udf?, your_app?}`, read by the core (`LinkedAccountInput::from_json`), which reports
/// every problem of shape or value as `invalid_input`. Python values without a JSON form
/// are a `TypeError`; text with a lone surrogate is never replaced.
pub(crate) fn account_input(
    linked_account_id: &Bound<'_, PyAny>,
    name: Option<&Bound<'_, PyAny>>,
    udf: Option<&Bound<'_, PyAny>>,
    your_app: Option<&Bound<'_, PyAny>>,
) -> PyResult<LinkedAccountInput> {
    let py = linked_account_id.py();
    let mut payload = Map::new();
    payload.insert(
        "linked_account_id".into(),
        Value::String(linked_account_id_arg(linked_account_id)?),
    );
    for (key, value) in [("name", name), ("udf", udf), ("your_app", your_app)] {
        if let Some(value) = value.filter(|value| !value.is_none()) {
            let value = to_json(value, key, 0).map_err(|unusable| match unusable {
                Unusable::Type { at, received } => {
                    let expected = "a str, int, float, bool, None, dict or list";
                    let err = field_type_error(&at, expected, &received);
                    PyTypeError::new_err(err.message().to_owned())
                }
                // The core's `invalid_input` (nothing sent), in the core's words.
                Unusable::Value(err) => error_to_py(py, err),
            })?;
            payload.insert(key.into(), value);
        }
    }
    LinkedAccountInput::from_json(&Value::Object(payload)).map_err(|err| error_to_py(py, err))
}

/// A Python value as JSON, naming where a problem is (`at`).
fn to_json(value: &Bound<'_, PyAny>, at: &str, depth: usize) -> Result<Value, Unusable> {
    if depth > MAX_DEPTH {
        return Err(Unusable::Value(field_type_error(
            at,
            "nested at most 64 levels deep",
            "a deeper value",
        )));
    }
    if value.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(flag) = value.cast::<PyBool>() {
        return Ok(Value::Bool(flag.is_true()));
    }
    if is_int(value) {
        let number = if let Ok(small) = value.extract::<i64>() {
            Number::from(small)
        } else if let Ok(large) = value.extract::<u64>() {
            Number::from(large)
        } else {
            finite(int_or_float(value), at)?
        };
        return Ok(Value::Number(number));
    }
    if value.is_instance_of::<PyFloat>() {
        return finite(int_or_float(value), at).map(Value::Number);
    }
    if let Ok(text) = value.cast::<PyString>() {
        return text
            .to_cow()
            .map(|text| Value::String(text.into_owned()))
            .map_err(|_| Unusable::Value(field_not_unicode(at)));
    }
    if let Ok(dict) = value.cast::<PyDict>() {
        let mut object = Map::new();
        for (key, item) in dict.iter() {
            let Ok(key_text) = key.cast::<PyString>() else {
                return Err(Unusable::Type {
                    at: format!("a key of {at}"),
                    received: type_name(&key),
                });
            };
            let Ok(key_text) = key_text.to_cow() else {
                return Err(Unusable::Value(field_not_unicode(&format!(
                    "a key of {at}"
                ))));
            };
            let inner = format!("{at}.{key_text}");
            object.insert(key_text.into_owned(), to_json(&item, &inner, depth + 1)?);
        }
        return Ok(Value::Object(object));
    }
    let items = if let Ok(list) = value.cast::<PyList>() {
        list.iter().collect::<Vec<_>>()
    } else if let Ok(tuple) = value.cast::<PyTuple>() {
        tuple.iter().collect()
    } else {
        return Err(Unusable::Type {
            at: at.to_owned(),
            received: type_name(value),
        });
    };
    items
        .iter()
        .map(|item| to_json(item, &format!("{at}[]"), depth + 1))
        .collect::<Result<_, _>>()
        .map(Value::Array)
}

fn finite(number: f64, at: &str) -> Result<Number, Unusable> {
    Number::from_f64(number).ok_or_else(|| {
        Unusable::Value(field_type_error(at, "a finite number", &number.to_string()))
    })
}

/// JSON from the core (Refold's answer) as Python objects.
pub(crate) fn json_to_py<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(flag) => PyBool::new(py, *flag).to_owned().into_any(),
        Value::Number(number) => {
            if let Some(small) = number.as_i64() {
                small.into_pyobject(py)?.into_any()
            } else if let Some(large) = number.as_u64() {
                large.into_pyobject(py)?.into_any()
            } else {
                number
                    .as_f64()
                    .unwrap_or(f64::NAN)
                    .into_pyobject(py)?
                    .into_any()
            }
        }
        Value::String(text) => PyString::new(py, text).into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(json_to_py(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(object) => object_to_py(py, object)?.into_any(),
    })
}

pub(crate) fn object_to_py<'py>(
    py: Python<'py>,
    object: &Map<String, Value>,
) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (key, item) in object {
        dict.set_item(key, json_to_py(py, item)?)?;
    }
    Ok(dict)
}

/// A token as the tuple `SessionToken._from_fields` takes: (token, linked_account_id,
/// expires_at and issued_at as Unix microseconds, the redacted token, expires_at and
/// issued_at as the core's RFC 3339 text).
pub(crate) fn token_to_py<'py>(
    py: Python<'py>,
    token: &SessionToken,
) -> PyResult<Bound<'py, PyAny>> {
    let fields = (
        token.token(),
        token.linked_account_id(),
        unix_micros(token.expires_at()),
        token.issued_at().map(unix_micros),
        token.redacted(),
        format_rfc3339(token.expires_at()),
        token.issued_at().map(format_rfc3339),
    );
    Ok(fields.into_pyobject(py)?.into_any())
}

/// An account as the tuple `LinkedAccount._from_fields` takes: (id, account_id,
/// environment, name, udf, created_at and updated_at as Unix microseconds, the same as the
/// core's RFC 3339 text, the whole object).
pub(crate) fn account_to_py<'py>(
    py: Python<'py>,
    account: &LinkedAccount,
) -> PyResult<Bound<'py, PyAny>> {
    let udf = PyDict::new(py);
    for (key, value) in account.udf() {
        udf.set_item(key, json_to_py(py, value)?)?;
    }
    // A time a `datetime` cannot hold (Refold's text may say 10000-01-01) counts as absent.
    let created_at = account.created_at().filter(|time| fits_datetime(*time));
    let updated_at = account.updated_at().filter(|time| fits_datetime(*time));
    let fields = (
        account.id(),
        account.account_id(),
        account.environment(),
        account.name(),
        udf,
        created_at.map(unix_micros),
        updated_at.map(unix_micros),
        created_at.map(format_rfc3339),
        updated_at.map(format_rfc3339),
        object_to_py(py, account.json())?,
    );
    Ok(fields.into_pyobject(py)?.into_any())
}

/// A page as the tuple `LinkedAccountPage._from_fields` takes: (accounts, page, limit,
/// total, total_pages, next_page).
pub(crate) fn page_to_py<'py>(
    py: Python<'py>,
    page: &LinkedAccountPage,
) -> PyResult<Bound<'py, PyAny>> {
    let accounts = PyList::empty(py);
    for account in &page.accounts {
        accounts.append(account_to_py(py, account)?)?;
    }
    let fields = (
        accounts,
        page.page,
        page.limit,
        page.total,
        page.total_pages,
        page.next_page,
    );
    Ok(fields.into_pyobject(py)?.into_any())
}

/// The cache's counters as the tuple `CacheStats._from_fields` takes, or `None` (cache off).
pub(crate) fn stats_to_py<'py>(
    py: Python<'py>,
    stats: Option<&CacheStats>,
) -> PyResult<Bound<'py, PyAny>> {
    let Some(stats) = stats else {
        return Ok(py.None().into_bound(py));
    };
    let fields = (
        stats.hits,
        stats.misses,
        stats.coalesced,
        stats.refreshes,
        stats.refresh_failures,
        stats.evictions,
        stats.entries,
        stats.store_hits,
        stats.store_errors,
    );
    Ok(fields.into_pyobject(py)?.into_any())
}

/// Microseconds since the epoch; times from the core are never before it, and token times
/// never past year 9999 (docs/contract.md §Limits), so they fit a `datetime`.
fn unix_micros(time: SystemTime) -> i64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |since| {
        i64::try_from(since.as_micros()).unwrap_or(i64::MAX)
    })
}

/// Whether `time` is at most 9999-12-31T23:59:59.999999Z, the last `datetime`.
fn fits_datetime(time: SystemTime) -> bool {
    const LAST_DATETIME_MICROS: i64 = 253_402_300_799_999_999;
    unix_micros(time) <= LAST_DATETIME_MICROS
}
