//! Webhook deliveries (docs/contract.md §15): the signature check and the event, each the
//! core's `refold_session::webhook`. A body is `bytes` (or any buffer) or `str` (its UTF-8);
//! a header is `str`, `bytes` (ASGI's raw headers) or `None`.

use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyMemoryView, PyString};
use refold_session::host;
use refold_session::webhook::{self, WebhookEvent};

use crate::error::error_to_py;
use crate::guard;

/// The raw body's bytes; `TypeError` (the core's wording) for anything else.
fn body(py: Python<'_>, raw_body: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    if raw_body.is_instance_of::<PyString>() {
        return match raw_body.extract::<String>() {
            Ok(text) => Ok(text.into_bytes()),
            Err(_) => Err(type_error(py, "a str holding a lone surrogate")),
        };
    }
    if let Ok(bytes) = raw_body.cast::<PyBytes>() {
        return Ok(bytes.as_bytes().to_vec());
    }
    if let Ok(bytes) = raw_body.cast::<PyByteArray>() {
        return Ok(bytes.to_vec());
    }
    if raw_body.is_instance_of::<PyMemoryView>() {
        return Ok(raw_body
            .call_method0("tobytes")?
            .cast::<PyBytes>()?
            .as_bytes()
            .to_vec());
    }
    let name = raw_body.get_type().name()?.to_string();
    Err(type_error(py, &name))
}

fn type_error(py: Python<'_>, received: &str) -> PyErr {
    error_to_py(py, host::webhook_body_type_error("bytes or str", received))
}

/// The header's text: `None` (so `false`) for anything but UTF-8 `str` or `bytes`.
fn header(value: &Bound<'_, PyAny>) -> Option<String> {
    if value.is_instance_of::<PyString>() {
        return value.extract::<String>().ok();
    }
    if let Ok(bytes) = value.cast::<PyBytes>() {
        return std::str::from_utf8(bytes.as_bytes())
            .ok()
            .map(str::to_owned);
    }
    None
}

/// `webhook::verify_webhook_signature` with `api_key` (any other type than `str`: `False`).
#[pyfunction]
pub(crate) fn verify_webhook_signature(
    py: Python<'_>,
    raw_body: &Bound<'_, PyAny>,
    signature_header: &Bound<'_, PyAny>,
    api_key: &Bound<'_, PyAny>,
) -> PyResult<bool> {
    let body = body(py, raw_body)?;
    let key = if api_key.is_instance_of::<PyString>() {
        api_key.extract::<String>().ok()
    } else {
        None
    };
    let (Some(signature), Some(key)) = (header(signature_header), key) else {
        return Ok(false);
    };
    guard(py, || {
        Ok(webhook::verify_webhook_signature(&body, &signature, &key))
    })
}

/// `Client::verify_webhook_signature` of `client`.
pub(crate) fn verify_with_client(
    py: Python<'_>,
    client: &refold_session::Client,
    raw_body: &Bound<'_, PyAny>,
    signature_header: &Bound<'_, PyAny>,
) -> PyResult<bool> {
    let body = body(py, raw_body)?;
    let Some(signature) = header(signature_header) else {
        return Ok(false);
    };
    guard(
        py,
        || Ok(client.verify_webhook_signature(&body, &signature)),
    )
}

/// `WebhookEvent::parse`: the event's members by their Python names, `dedup_key` and `raw`
/// (the payload as JSON text), which `refold_session.webhooks.WebhookEvent` is built from.
#[pyfunction]
pub(crate) fn parse_webhook_event<'py>(
    py: Python<'py>,
    raw_body: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyDict>> {
    let body = body(py, raw_body)?;
    let event = guard(py, || {
        WebhookEvent::parse(&body).map_err(|err| error_to_py(py, err))
    })?;
    let members = PyDict::new(py);
    members.set_item("event_type", event.event_type.as_str())?;
    members.set_item("linked_account_id", &event.linked_account_id)?;
    members.set_item("org_id", &event.org_id)?;
    members.set_item("environment", &event.environment)?;
    members.set_item("kind", &event.kind)?;
    members.set_item("slug", &event.slug)?;
    members.set_item("created_at", &event.created_at)?;
    members.set_item("instance_id", &event.instance_id)?;
    members.set_item("workflow_id", &event.workflow_id)?;
    members.set_item("workflow_name", &event.workflow_name)?;
    members.set_item("config_id", &event.config_id)?;
    members.set_item("status", &event.status)?;
    members.set_item("dedup_key", event.dedup_key())?;
    members.set_item("raw", event.raw.to_string())?;
    Ok(members)
}
