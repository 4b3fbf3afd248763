//! `NativeApi`: any operation of Refold's API by its id, and one page of a paginated list,
//! for a client acting for the organization or scoped to one linked account (by its id or
//! its session token). The arguments go through the binding's one converter and are read by
//! `refold_session::host::api_request`; the files become the core's `ApiFile`s; the call is
//! the core's (`Client::call_with`, `ScopedClient::call_page`…), run like every other call
//! (blocking with the GIL released, or as an asyncio awaitable); its JSON comes back as
//! Python values. Every check (the operation, its parameters, the scope, the page) is the
//! core's.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyList, PyString, PyTuple};
use refold_session::api::{ApiFile, ApiPage, ApiRequest};
use refold_session::host;
use refold_session::{Client, Error, RequestOptions};

use crate::call::{Answer, Outcome, blocking, caught};
use crate::convert::host_value;
use crate::deliver::awaitable;
use crate::error::error_to_py;
use crate::{NativeClient, PYTHON, guard};

/// Whom the calls act for. The session token stays here, never in a message or a `repr`.
#[derive(Clone)]
enum Scope {
    Org,
    LinkedAccount(String),
    SessionToken(String),
}

/// What one call asks of the core.
enum Ask {
    Value,
    Page,
}

/// The generated API's entry: one client's calls in one scope.
#[pyclass(module = "refold_session._native", name = "NativeApi", frozen)]
pub(crate) struct NativeApi {
    owner: Py<NativeClient>,
    scope: Scope,
}

#[pymethods]
impl NativeApi {
    /// The calls of `client`, in the organization's name (the API key).
    #[new]
    fn new(client: Py<NativeClient>) -> NativeApi {
        NativeApi {
            owner: client,
            scope: Scope::Org,
        }
    }

    /// The calls of the same client acting for `linked_account_id` (checked by the core now).
    fn for_linked_account(
        &self,
        py: Python<'_>,
        linked_account_id: &Bound<'_, PyAny>,
    ) -> PyResult<NativeApi> {
        guard(py, || {
            let id = host::linked_account_id(&host_value(linked_account_id)?, PYTHON)
                .map_err(|err| error_to_py(py, err))?;
            self.core(py)?
                .for_linked_account(&id)
                .map_err(|err| error_to_py(py, err))?;
            Ok(self.scoped(py, Scope::LinkedAccount(id)))
        })
    }

    /// The calls of the same client acting with a linked account's session token (checked by
    /// the core now; the API key is never sent with it).
    fn for_session_token(&self, py: Python<'_>, token: &Bound<'_, PyAny>) -> PyResult<NativeApi> {
        guard(py, || {
            let token = host::session_token(&host_value(token)?, PYTHON)
                .map_err(|err| error_to_py(py, err))?;
            self.core(py)?
                .for_session_token(&token)
                .map_err(|err| error_to_py(py, err))?;
            Ok(self.scoped(py, Scope::SessionToken(token)))
        })
    }

    /// The linked account this scope acts for, when it was named by id.
    #[getter]
    fn linked_account_id(&self) -> Option<&str> {
        match &self.scope {
            Scope::LinkedAccount(id) => Some(id),
            _ => None,
        }
    }

    /// Calls `operation_id` and returns its JSON answer as Python values (`None` without a
    /// body), blocking this thread (not the GIL).
    #[allow(clippy::too_many_arguments)]
    fn call(
        &self,
        py: Python<'_>,
        operation_id: String,
        params: &Bound<'_, PyAny>,
        body: &Bound<'_, PyAny>,
        linked_account_id: &Bound<'_, PyAny>,
        files: &Bound<'_, PyAny>,
        options: &Bound<'_, PyAny>,
    ) -> PyResult<Py<PyAny>> {
        guard(py, || {
            let request = api_request(py, &operation_id, params, body, linked_account_id, files)?;
            let options = self.owner.get().call_options(py, options)?;
            self.now(py, Ask::Value, &operation_id, request, options)
        })
    }

    /// [`NativeApi::call`] as an asyncio awaitable.
    #[allow(clippy::too_many_arguments)]
    fn call_async<'py>(
        &self,
        py: Python<'py>,
        operation_id: String,
        params: &Bound<'py, PyAny>,
        body: &Bound<'py, PyAny>,
        linked_account_id: &Bound<'py, PyAny>,
        files: &Bound<'py, PyAny>,
        options: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let request = api_request(py, &operation_id, params, body, linked_account_id, files)?;
            let options = self.owner.get().call_options(py, options)?;
            self.later(py, Ask::Value, &operation_id, request, options)
        })
    }

    /// One page of the paginated list `operation_id` (its `page` parameter, else the first):
    /// `{"items": [...], "next_page": int | None, "body": {...}}`; the core says whether a
    /// next page exists.
    #[allow(clippy::too_many_arguments)]
    fn call_page(
        &self,
        py: Python<'_>,
        operation_id: String,
        params: &Bound<'_, PyAny>,
        body: &Bound<'_, PyAny>,
        linked_account_id: &Bound<'_, PyAny>,
        options: &Bound<'_, PyAny>,
    ) -> PyResult<Py<PyAny>> {
        guard(py, || {
            let none = py.None().into_bound(py);
            let request = api_request(py, &operation_id, params, body, linked_account_id, &none)?;
            let options = self.owner.get().call_options(py, options)?;
            self.now(py, Ask::Page, &operation_id, request, options)
        })
    }

    /// [`NativeApi::call_page`] as an asyncio awaitable.
    #[allow(clippy::too_many_arguments)]
    fn call_page_async<'py>(
        &self,
        py: Python<'py>,
        operation_id: String,
        params: &Bound<'py, PyAny>,
        body: &Bound<'py, PyAny>,
        linked_account_id: &Bound<'py, PyAny>,
        options: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let none = py.None().into_bound(py);
            let request = api_request(py, &operation_id, params, body, linked_account_id, &none)?;
            let options = self.owner.get().call_options(py, options)?;
            self.later(py, Ask::Page, &operation_id, request, options)
        })
    }
}

impl NativeApi {
    fn scoped(&self, py: Python<'_>, scope: Scope) -> NativeApi {
        NativeApi {
            owner: self.owner.clone_ref(py),
            scope,
        }
    }

    fn core(&self, py: Python<'_>) -> PyResult<Client> {
        self.owner.get().core(py)
    }

    fn now(
        &self,
        py: Python<'_>,
        ask: Ask,
        operation_id: &str,
        request: ApiRequest,
        options: RequestOptions,
    ) -> PyResult<Py<PyAny>> {
        let (client, runtime) = self.owner.get().client(py)?;
        let call = send(
            client,
            self.scope.clone(),
            ask,
            operation_id.to_owned(),
            request,
            options,
        );
        blocking(py, runtime, call, |outcome| {
            Ok(Outcome(outcome.and_then(|answer| answer))
                .into_pyobject(py)?
                .unbind())
        })
    }

    fn later<'py>(
        &self,
        py: Python<'py>,
        ask: Ask,
        operation_id: &str,
        request: ApiRequest,
        options: RequestOptions,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (client, runtime) = self.owner.get().client(py)?;
        let scope = self.scope.clone();
        let operation_id = operation_id.to_owned();
        awaitable(py, runtime, move || async move {
            Outcome(send(client, scope, ask, operation_id, request, options).await)
        })
    }
}

/// The core's call in `scope`; a panic while it runs becomes the `internal` error.
async fn send(
    client: Client,
    scope: Scope,
    ask: Ask,
    operation_id: String,
    request: ApiRequest,
    options: RequestOptions,
) -> Result<Answer, Error> {
    caught(async move {
        let scoped = match &scope {
            Scope::Org => None,
            Scope::LinkedAccount(id) => Some(client.for_linked_account(id)?),
            Scope::SessionToken(token) => Some(client.for_session_token(token)?),
        };
        Ok(match (ask, scoped) {
            (Ask::Value, None) => {
                Answer::Json(client.call_with(&operation_id, request, options).await?)
            }
            (Ask::Value, Some(scoped)) => {
                Answer::Json(scoped.call_with(&operation_id, request, options).await?)
            }
            (Ask::Page, None) => {
                Answer::ApiPage(client.call_page(&operation_id, request, options).await?)
            }
            (Ask::Page, Some(scoped)) => {
                Answer::ApiPage(scoped.call_page(&operation_id, request, options).await?)
            }
        })
    })
    .await
}

/// A call's request as the core reads it from the Python arguments, with its files.
fn api_request(
    py: Python<'_>,
    operation_id: &str,
    params: &Bound<'_, PyAny>,
    body: &Bound<'_, PyAny>,
    linked_account_id: &Bound<'_, PyAny>,
    files: &Bound<'_, PyAny>,
) -> PyResult<ApiRequest> {
    let mut request = host::api_request(
        operation_id,
        &host_value(params)?,
        &host_value(body)?,
        &host_value(linked_account_id)?,
        PYTHON,
    )
    .map_err(|err| error_to_py(py, err))?;
    request.files = api_files(files)?;
    Ok(request)
}

const FILES_SHAPE: &str = "files must be a list of dicts {\"field\": str, \"filename\": str, \
                           \"content_type\": str (optional), \"data\": bytes}";

/// The files of a multipart call: `None`, or a list of `{field, filename, content_type?,
/// data}` dicts, `data` being `bytes` or `bytearray`. Their number and size are the core's
/// to check.
fn api_files(files: &Bound<'_, PyAny>) -> PyResult<Vec<ApiFile>> {
    if files.is_none() {
        return Ok(Vec::new());
    }
    if !(files.is_instance_of::<PyList>() || files.is_instance_of::<PyTuple>()) {
        return Err(PyTypeError::new_err(FILES_SHAPE));
    }
    files.try_iter()?.map(|file| api_file(&file?)).collect()
}

fn api_file(file: &Bound<'_, PyAny>) -> PyResult<ApiFile> {
    let dict = file
        .cast::<PyDict>()
        .map_err(|_| PyTypeError::new_err(FILES_SHAPE))?;
    let text = |name: &str| -> PyResult<Option<String>> {
        match dict.get_item(name)? {
            None => Ok(None),
            Some(value) if value.is_none() => Ok(None),
            Some(value) => match value.cast::<PyString>() {
                Ok(text) => Ok(Some(text.to_cow()?.into_owned())),
                Err(_) => Err(PyTypeError::new_err(FILES_SHAPE)),
            },
        }
    };
    let field = text("field")?.ok_or_else(|| PyTypeError::new_err(FILES_SHAPE))?;
    let filename = text("filename")?.ok_or_else(|| PyTypeError::new_err(FILES_SHAPE))?;
    let content_type = text("content_type")?;
    let data = dict
        .get_item("data")?
        .ok_or_else(|| PyTypeError::new_err(FILES_SHAPE))?;
    let bytes = if let Ok(bytes) = data.cast::<PyBytes>() {
        bytes.as_bytes().to_vec()
    } else if let Ok(array) = data.cast::<PyByteArray>() {
        array.to_vec()
    } else {
        return Err(PyTypeError::new_err(FILES_SHAPE));
    };
    Ok(ApiFile {
        field,
        filename,
        content_type,
        bytes: bytes.into(),
    })
}

/// A page as Python sees it: `{"items", "next_page", "body"}`.
pub(crate) fn page_to_py<'py>(py: Python<'py>, page: &ApiPage) -> PyResult<Bound<'py, PyAny>> {
    let dict = PyDict::new(py);
    let items = PyList::empty(py);
    for item in &page.items {
        items.append(crate::records::json_to_py(py, item)?)?;
    }
    dict.set_item("items", items)?;
    dict.set_item("next_page", page.next_page)?;
    dict.set_item("body", crate::records::json_to_py(py, &page.body)?)?;
    Ok(dict.into_any())
}
