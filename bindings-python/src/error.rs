//! The one place a core [`Error`] becomes a Python exception: `TypeError` for a value of the
//! wrong type (the core flags it), else the `RefoldError` subclass of its code, built by
//! `refold_session.errors._from_core` with every field of [`Error::FIELDS`] by name.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;
use refold_session::Error;

pub(crate) fn error_to_py(py: Python<'_>, err: Error) -> PyErr {
    if err.is_wrong_type() {
        return PyTypeError::new_err(err.message().to_owned());
    }
    static FACTORY: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let raised = FACTORY
        .import(py, "refold_session.errors", "_from_core")
        .and_then(|factory| {
            let fields = PyDict::new(py);
            fields.set_item("code", err.code().as_str())?;
            fields.set_item("message", err.message())?;
            fields.set_item("status", err.status())?;
            fields.set_item("request_id", err.request_id())?;
            fields.set_item("retry_after", err.retry_after().map(|w| w.as_secs_f64()))?;
            fields.set_item("attempts", err.attempts())?;
            fields.set_item("server_code", err.server_code())?;
            fields.set_item("http_error_type", err.http_error_type())?;
            factory.call((), Some(&fields))
        });
    match raised {
        Ok(exception) => PyErr::from_value(exception),
        Err(import_failure) => import_failure,
    }
}
