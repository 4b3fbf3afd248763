//! Python values in: the one converter of this binding, from any Python value to the core's
//! [`HostValue`], which `refold_session::host` reads (options, per-call options, ids, page
//! arguments, the linked account payload). Nothing is judged here.

use pyo3::exceptions::PyUnicodeEncodeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple, PyType};
use refold_session::host::{HostValue, MAX_DEPTH};

/// `value` as a host value; below [`MAX_DEPTH`] + 1 levels it is `TooDeep` (so a cyclic
/// value terminates). A `bool` is a `Bool` (never an integer), a `timedelta` a `Duration`
/// in seconds, and any other type `Other` with its Python name.
pub(crate) fn host_value(value: &Bound<'_, PyAny>) -> PyResult<HostValue> {
    convert(value, 0)
}

fn convert(value: &Bound<'_, PyAny>, depth: usize) -> PyResult<HostValue> {
    if depth > MAX_DEPTH {
        return Ok(HostValue::TooDeep);
    }
    if value.is_none() {
        return Ok(HostValue::Null);
    }
    if let Ok(flag) = value.cast::<PyBool>() {
        return Ok(HostValue::Bool(flag.is_true()));
    }
    if let Ok(text) = value.cast::<PyString>() {
        return text_value(text);
    }
    if value.is_instance_of::<PyInt>() {
        return Ok(HostValue::Integer(integer(value)));
    }
    if let Ok(number) = value.cast::<PyFloat>() {
        return Ok(HostValue::Number(number.value()));
    }
    if let Ok(dict) = value.cast::<PyDict>() {
        let mut members = Vec::with_capacity(dict.len());
        for (key, item) in dict.iter() {
            // A key names its member (it is not nested below it).
            members.push((convert(&key, depth)?, convert(&item, depth + 1)?));
        }
        return Ok(HostValue::Map(members));
    }
    if value.is_instance_of::<PyList>() || value.is_instance_of::<PyTuple>() {
        let items = value
            .try_iter()?
            .map(|item| convert(&item?, depth + 1))
            .collect::<PyResult<_>>()?;
        return Ok(HostValue::List(items));
    }
    if value.is_instance(timedelta(value.py())?)? {
        let seconds: f64 = value.call_method0("total_seconds")?.extract()?;
        return Ok(HostValue::Duration(seconds));
    }
    Ok(HostValue::Other(type_name(value)))
}

/// A `str` as text; one holding a lone surrogate is `NotUnicode`, never replaced.
pub(crate) fn text_value(text: &Bound<'_, PyString>) -> PyResult<HostValue> {
    match text.to_cow() {
        Ok(text) => Ok(HostValue::Text(text.into_owned())),
        Err(err) if err.is_instance_of::<PyUnicodeEncodeError>(text.py()) => {
            Ok(HostValue::NotUnicode)
        }
        Err(err) => Err(err),
    }
}

/// An `int`; one beyond `i128` saturates to the bound of its sign.
fn integer(value: &Bound<'_, PyAny>) -> i128 {
    value.extract::<i128>().unwrap_or_else(|_| {
        if value.lt(0).unwrap_or(false) {
            i128::MIN
        } else {
            i128::MAX
        }
    })
}

/// `datetime.timedelta`, imported on the first value that is none of the basic types (so
/// `import refold_session` does not import `datetime`).
fn timedelta(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    static TIMEDELTA: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    TIMEDELTA.import(py, "datetime", "timedelta")
}

fn type_name(value: &Bound<'_, PyAny>) -> String {
    value
        .get_type()
        .name()
        .map_or_else(|_| "?".to_owned(), |name| name.to_string())
}
