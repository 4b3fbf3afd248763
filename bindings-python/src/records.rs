//! The core's records as Python objects, one `#[pyclass]` each (re-exported by
//! `refold_session`): [`SessionToken`], [`LinkedAccount`], [`Integration`],
//! [`LinkedAccountPage`], [`CacheStats`], [`RevokeResult`], and one mapping function per
//! record from the core's type. Every record is immutable, compares and hashes by value,
//! pickles (by a state dict of its fields by name) and reads times as aware UTC `datetime`s.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyDict, PyList, PyString, PyTuple};
use pyo3::{IntoPyObjectExt, PyClass};
use refold_session::{CacheStats as CoreStats, REDACTED, format_rfc3339};
use serde_json::{Map, Value};

/// Microseconds since the epoch; times from the core are never before it.
fn micros(time: SystemTime) -> i64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |since| {
        i64::try_from(since.as_micros()).unwrap_or(i64::MAX)
    })
}

/// A time a `datetime` can hold (to 9999-12-31T23:59:59.999999Z), else absent: Refold's text
/// may say 10000-01-01.
fn fitting(time: Option<SystemTime>) -> Option<i64> {
    const LAST_DATETIME_MICROS: i64 = 253_402_300_799_999_999;
    time.map(micros).filter(|at| *at <= LAST_DATETIME_MICROS)
}

/// The core's RFC 3339 text of a time (whole seconds, `Z`).
fn text(at: i64) -> String {
    format_rfc3339(UNIX_EPOCH + Duration::from_micros(at.max(0) as u64))
}

fn texts(at: Option<i64>) -> Option<String> {
    at.map(text)
}

/// An aware UTC `datetime` (`datetime` is imported on the first time read, not at import).
fn datetime(py: Python<'_>, at: i64) -> PyResult<Bound<'_, PyAny>> {
    static EPOCH: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    static TIMEDELTA: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let epoch = EPOCH.get_or_try_init(py, || -> PyResult<_> {
        let module = py.import("datetime")?;
        let utc = module.getattr("timezone")?.getattr("utc")?;
        let kwargs = PyDict::new(py);
        kwargs.set_item("tzinfo", utc)?;
        Ok(module
            .getattr("datetime")?
            .call((1970, 1, 1), Some(&kwargs))?
            .unbind())
    })?;
    let timedelta = TIMEDELTA.get_or_try_init(py, || -> PyResult<_> {
        Ok(py.import("datetime")?.getattr("timedelta")?.unbind())
    })?;
    let kwargs = PyDict::new(py);
    kwargs.set_item("microseconds", at)?;
    let delta = timedelta.bind(py).call((), Some(&kwargs))?;
    epoch.bind(py).add(delta)
}

fn datetimes(py: Python<'_>, at: Option<i64>) -> PyResult<Option<Bound<'_, PyAny>>> {
    at.map(|at| datetime(py, at)).transpose()
}

/// `other` as `T`, or `None` when it is another type (`==` answers `NotImplemented`).
fn same<'py, T: PyClass>(other: &Bound<'py, PyAny>) -> Option<Bound<'py, T>> {
    other.cast::<T>().ok().cloned()
}

/// Reads a pickled state's member.
fn member<'py, T: FromPyObjectOwned<'py>>(state: &Bound<'py, PyDict>, name: &str) -> PyResult<T> {
    let value = state
        .get_item(name)?
        .ok_or_else(|| pyo3::exceptions::PyKeyError::new_err(name.to_owned()))?;
    value.extract().map_err(Into::into)
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

/// A deep copy (the records hand out copies of their dicts, never their own).
fn deep_copy<'py>(py: Python<'py>, value: &Py<PyDict>) -> PyResult<Bound<'py, PyAny>> {
    static DEEPCOPY: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    DEEPCOPY.import(py, "copy", "deepcopy")?.call1((value,))
}

/// A session token for one linked account, ready to hand to the front end.
///
/// ``repr()`` and ``str()`` show only the token's first 8 characters and never the refresh
/// token; read ``token`` (or call ``to_dict()``) to get it whole. Treat both as secrets. Two
/// tokens are equal when they are the same token for the same account (Refold may answer one
/// token twice, each time with its refresh token's expiry counted from that answer).
#[pyclass(module = "refold_session", name = "SessionToken", frozen)]
pub(crate) struct SessionToken {
    token: String,
    linked_account_id: String,
    expires_at: i64,
    issued_at: Option<i64>,
    refresh_token: Option<String>,
    refresh_expires_at: Option<i64>,
    /// The token as the core shows it (`SessionToken::redacted`).
    shown: String,
}

/// The mapping of a core token.
pub(crate) fn session_token(token: &refold_session::SessionToken) -> SessionToken {
    SessionToken {
        token: token.token().to_owned(),
        linked_account_id: token.linked_account_id().to_owned(),
        expires_at: micros(token.expires_at()),
        issued_at: token.issued_at().map(micros),
        refresh_token: token.refresh_token().map(str::to_owned),
        refresh_expires_at: fitting(token.refresh_expires_at()),
        shown: token.redacted(),
    }
}

#[pymethods]
impl SessionToken {
    /// The token itself.
    #[getter]
    fn token(&self) -> &str {
        &self.token
    }

    /// The linked account the token was minted for.
    #[getter]
    fn linked_account_id(&self) -> &str {
        &self.linked_account_id
    }

    /// When the token stops working (aware, UTC).
    #[getter]
    fn expires_at<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        datetime(py, self.expires_at)
    }

    /// When Refold issued the token (aware, UTC), if the token says.
    #[getter]
    fn issued_at<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        datetimes(py, self.issued_at)
    }

    /// The refresh token Refold answered with, if any (a secret, like the token).
    #[getter]
    fn refresh_token(&self) -> Option<&str> {
        self.refresh_token.as_deref()
    }

    /// When the refresh token stops working (aware, UTC), if there is one.
    #[getter]
    fn refresh_expires_at<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        datetimes(py, self.refresh_expires_at)
    }

    fn __eq__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> Py<PyAny> {
        match same::<SessionToken>(other) {
            Some(other) => {
                let other = other.get();
                let equal =
                    self.token == other.token && self.linked_account_id == other.linked_account_id;
                PyBool::new(py, equal).to_owned().into_any().unbind()
            }
            None => py.NotImplemented(),
        }
    }

    fn __hash__(&self, py: Python<'_>) -> PyResult<isize> {
        (self.token.as_str(), self.linked_account_id.as_str())
            .into_pyobject(py)?
            .hash()
    }

    /// The token whole, for the front end (JSON-ready); times as RFC 3339 text in UTC with
    /// whole seconds, the same text in every language.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        dict.set_item("token", &self.token)?;
        dict.set_item("linked_account_id", &self.linked_account_id)?;
        dict.set_item("expires_at", text(self.expires_at))?;
        dict.set_item("issued_at", texts(self.issued_at))?;
        dict.set_item("refresh_token", &self.refresh_token)?;
        dict.set_item("refresh_expires_at", texts(self.refresh_expires_at))?;
        Ok(dict)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let refresh = self.refresh_token.as_ref().map(|_| REDACTED);
        Ok(format!(
            "SessionToken(token={}, linked_account_id={}, expires_at={}, issued_at={}, refresh_token={}, refresh_expires_at={})",
            repr(py, &self.shown)?,
            repr(py, &self.linked_account_id)?,
            repr(py, self.expires_at(py)?)?,
            repr(py, self.issued_at(py)?)?,
            repr(py, refresh)?,
            repr(py, self.refresh_expires_at(py)?)?,
        ))
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        let this = slf.get();
        let state = PyDict::new(slf.py());
        state.set_item("token", &this.token)?;
        state.set_item("linked_account_id", &this.linked_account_id)?;
        state.set_item("expires_at", this.expires_at)?;
        state.set_item("issued_at", this.issued_at)?;
        state.set_item("refresh_token", &this.refresh_token)?;
        state.set_item("refresh_expires_at", this.refresh_expires_at)?;
        state.set_item("shown", &this.shown)?;
        restore(slf, state)
    }

    /// Rebuilds a pickled token (`__reduce__`'s state).
    #[staticmethod]
    fn _restore(state: &Bound<'_, PyDict>) -> PyResult<Self> {
        Ok(SessionToken {
            token: member(state, "token")?,
            linked_account_id: member(state, "linked_account_id")?,
            expires_at: member(state, "expires_at")?,
            issued_at: member(state, "issued_at")?,
            refresh_token: member(state, "refresh_token")?,
            refresh_expires_at: member(state, "refresh_expires_at")?,
            shown: member(state, "shown")?,
        })
    }
}

fn repr<'py>(py: Python<'py>, value: impl IntoPyObject<'py>) -> PyResult<String> {
    let value = value.into_bound_py_any(py)?;
    Ok(value.repr()?.to_string())
}

/// `(Class._restore, (state,))`, the pickle of a record.
fn restore<'py, T: PyClass>(
    slf: &Bound<'py, T>,
    state: Bound<'py, PyDict>,
) -> PyResult<Bound<'py, PyTuple>> {
    let rebuild = slf.as_any().get_type().getattr("_restore")?;
    PyTuple::new(
        slf.py(),
        [rebuild, PyTuple::new(slf.py(), [state])?.into_any()],
    )
}

/// An application a linked account has connected (an entry of its ``integrations``).
#[pyclass(module = "refold_session", name = "Integration", frozen, eq, hash)]
#[derive(PartialEq, Eq, Hash, Clone)]
pub(crate) struct Integration {
    /// The application's slug (Refold's ``type``, e.g. ``"hubspot"``).
    #[pyo3(get, name = "type")]
    kind: String,
    /// Its display name.
    #[pyo3(get)]
    name: String,
    /// Your custom app's id, or ``None`` for Refold's own apps.
    #[pyo3(get)]
    app_id: Option<String>,
    /// Its icon (a URL), when given.
    #[pyo3(get)]
    icon: Option<String>,
    /// Whether the end-user must connect it again.
    #[pyo3(get)]
    reauth_required: Option<bool>,
    created_at: Option<i64>,
    updated_at: Option<i64>,
}

fn integration(entry: &refold_session::Integration) -> Integration {
    Integration {
        kind: entry.r#type.clone(),
        name: entry.name.clone(),
        app_id: entry.app_id.clone(),
        icon: entry.icon.clone(),
        reauth_required: entry.reauth_required,
        created_at: fitting(entry.created_at),
        updated_at: fitting(entry.updated_at),
    }
}

#[pymethods]
impl Integration {
    /// When it was connected (aware, UTC), if Refold said.
    #[getter]
    fn created_at<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        datetimes(py, self.created_at)
    }

    /// When it last changed (aware, UTC), if Refold said.
    #[getter]
    fn updated_at<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        datetimes(py, self.updated_at)
    }

    /// The fields, JSON-ready (times as RFC 3339 text, or ``None``).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        dict.set_item("type", &self.kind)?;
        dict.set_item("name", &self.name)?;
        dict.set_item("app_id", &self.app_id)?;
        dict.set_item("icon", &self.icon)?;
        dict.set_item("reauth_required", self.reauth_required)?;
        dict.set_item("created_at", texts(self.created_at))?;
        dict.set_item("updated_at", texts(self.updated_at))?;
        Ok(dict)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "Integration(type={}, name={}, app_id={}, reauth_required={})",
            repr(py, &self.kind)?,
            repr(py, &self.name)?,
            repr(py, &self.app_id)?,
            repr(py, self.reauth_required)?,
        ))
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        let this = slf.get();
        let state = this.to_dict(slf.py())?;
        state.set_item("created_at", this.created_at)?;
        state.set_item("updated_at", this.updated_at)?;
        restore(slf, state)
    }

    #[staticmethod]
    fn _restore(state: &Bound<'_, PyDict>) -> PyResult<Self> {
        Ok(Integration {
            kind: member(state, "type")?,
            name: member(state, "name")?,
            app_id: member(state, "app_id")?,
            icon: member(state, "icon")?,
            reauth_required: member(state, "reauth_required")?,
            created_at: member(state, "created_at")?,
            updated_at: member(state, "updated_at")?,
        })
    }
}

/// A linked account (one end-user of yours) as Refold returns it.
///
/// The typed properties cover what Refold documents; ``json`` is the whole object as
/// received, so fields Refold adds later are not lost. ``repr()`` shows the typed fields.
#[pyclass(module = "refold_session", name = "LinkedAccount", frozen)]
pub(crate) struct LinkedAccount {
    /// Refold's own id of the account (``_id``).
    #[pyo3(get)]
    id: Option<String>,
    /// Your id of the end-user: the ``linked_account_id`` tokens are minted for.
    #[pyo3(get)]
    account_id: String,
    /// The organisation the account belongs to.
    #[pyo3(get)]
    associated_org: Option<String>,
    /// The Refold environment the account lives in (e.g. ``"test"``).
    #[pyo3(get)]
    environment: Option<String>,
    /// The display name.
    #[pyo3(get)]
    name: Option<String>,
    udf: Py<PyDict>,
    integrations: Option<Py<PyTuple>>,
    /// Whether Refold made it as a seed account.
    #[pyo3(get)]
    is_seed: Option<bool>,
    /// The tenant's id of the account, when it has one.
    #[pyo3(get)]
    tenant_account_id: Option<String>,
    /// Whether an upsert created it (rather than updating it).
    #[pyo3(get)]
    new_account: Option<bool>,
    created_at: Option<i64>,
    updated_at: Option<i64>,
    json: Py<PyDict>,
}

/// The mapping of a core account.
pub(crate) fn linked_account(
    py: Python<'_>,
    account: &refold_session::LinkedAccount,
) -> PyResult<LinkedAccount> {
    let udf = PyDict::new(py);
    for (key, value) in account.udf() {
        udf.set_item(key, json_to_py(py, value)?)?;
    }
    let integrations = match account.integrations() {
        Some(entries) => {
            let entries = entries
                .iter()
                .map(|entry| Py::new(py, integration(entry)))
                .collect::<PyResult<Vec<_>>>()?;
            Some(PyTuple::new(py, entries)?.unbind())
        }
        None => None,
    };
    Ok(LinkedAccount {
        id: account.id().map(str::to_owned),
        account_id: account.account_id().to_owned(),
        associated_org: account.associated_org().map(str::to_owned),
        environment: account.environment().map(str::to_owned),
        name: account.name().map(str::to_owned),
        udf: udf.unbind(),
        integrations,
        is_seed: account.is_seed(),
        tenant_account_id: account.tenant_account_id().map(str::to_owned),
        new_account: account.new_account(),
        created_at: fitting(account.created_at()),
        updated_at: fitting(account.updated_at()),
        json: object_to_py(py, account.json())?.unbind(),
    })
}

#[pymethods]
impl LinkedAccount {
    /// The user-defined fields, name → value (a new dict on each access).
    #[getter]
    fn udf<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        deep_copy(py, &self.udf)
    }

    /// The applications the account has connected, or ``None`` when Refold did not say
    /// (e.g. in a create answer).
    #[getter]
    fn integrations<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyTuple>> {
        self.integrations
            .as_ref()
            .map(|entries| entries.bind(py).clone())
    }

    /// When the account was created (aware, UTC), if Refold said.
    #[getter]
    fn created_at<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        datetimes(py, self.created_at)
    }

    /// When the account last changed (aware, UTC), if Refold said.
    #[getter]
    fn updated_at<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        datetimes(py, self.updated_at)
    }

    /// The whole object Refold returned (a new copy on each access).
    #[getter]
    fn json<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        deep_copy(py, &self.json)
    }

    /// The typed fields, JSON-ready, times as RFC 3339 text in UTC with whole seconds (the
    /// same text in every language), or ``None``.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        dict.set_item("id", &self.id)?;
        dict.set_item("account_id", &self.account_id)?;
        dict.set_item("associated_org", &self.associated_org)?;
        dict.set_item("environment", &self.environment)?;
        dict.set_item("name", &self.name)?;
        dict.set_item("udf", self.udf(py)?)?;
        let integrations = match &self.integrations {
            Some(entries) => {
                let list = PyList::empty(py);
                for entry in entries.bind(py).iter() {
                    list.append(entry.cast::<Integration>()?.get().to_dict(py)?)?;
                }
                Some(list)
            }
            None => None,
        };
        dict.set_item("integrations", integrations)?;
        dict.set_item("is_seed", self.is_seed)?;
        dict.set_item("tenant_account_id", &self.tenant_account_id)?;
        dict.set_item("new_account", self.new_account)?;
        dict.set_item("created_at", texts(self.created_at))?;
        dict.set_item("updated_at", texts(self.updated_at))?;
        Ok(dict)
    }

    fn __eq__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let Some(other) = same::<LinkedAccount>(other) else {
            return Ok(py.NotImplemented());
        };
        let equal = self.state(py)?.eq(other.get().state(py)?)?;
        Ok(PyBool::new(py, equal).to_owned().into_any().unbind())
    }

    fn __hash__(&self, py: Python<'_>) -> PyResult<isize> {
        (self.account_id.as_str(), self.id.as_deref())
            .into_pyobject(py)?
            .hash()
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "LinkedAccount(account_id={}, name={}, environment={}, id={}, udf={}, integrations={}, created_at={}, updated_at={})",
            repr(py, &self.account_id)?,
            repr(py, &self.name)?,
            repr(py, &self.environment)?,
            repr(py, &self.id)?,
            repr(py, self.udf.bind(py))?,
            repr(py, self.integrations(py))?,
            repr(py, self.created_at(py)?)?,
            repr(py, self.updated_at(py)?)?,
        ))
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        restore(slf, slf.get().state(slf.py())?)
    }

    #[staticmethod]
    fn _restore(state: &Bound<'_, PyDict>) -> PyResult<Self> {
        Ok(LinkedAccount {
            id: member(state, "id")?,
            account_id: member(state, "account_id")?,
            associated_org: member(state, "associated_org")?,
            environment: member(state, "environment")?,
            name: member(state, "name")?,
            udf: member(state, "udf")?,
            integrations: member(state, "integrations")?,
            is_seed: member(state, "is_seed")?,
            tenant_account_id: member(state, "tenant_account_id")?,
            new_account: member(state, "new_account")?,
            created_at: member(state, "created_at")?,
            updated_at: member(state, "updated_at")?,
            json: member(state, "json")?,
        })
    }
}

impl LinkedAccount {
    /// Every field by name (times as microseconds): what `==` compares and pickle keeps.
    fn state<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let state = PyDict::new(py);
        state.set_item("id", &self.id)?;
        state.set_item("account_id", &self.account_id)?;
        state.set_item("associated_org", &self.associated_org)?;
        state.set_item("environment", &self.environment)?;
        state.set_item("name", &self.name)?;
        state.set_item("udf", self.udf.bind(py))?;
        state.set_item("integrations", &self.integrations)?;
        state.set_item("is_seed", self.is_seed)?;
        state.set_item("tenant_account_id", &self.tenant_account_id)?;
        state.set_item("new_account", self.new_account)?;
        state.set_item("created_at", self.created_at)?;
        state.set_item("updated_at", self.updated_at)?;
        state.set_item("json", self.json.bind(py))?;
        Ok(state)
    }
}

/// One page of ``list_linked_accounts``; iterating it (or ``len()``) goes over its
/// ``accounts``.
#[pyclass(module = "refold_session", name = "LinkedAccountPage", frozen)]
pub(crate) struct LinkedAccountPage {
    accounts: Py<PyTuple>,
    /// This page's number (from 1).
    #[pyo3(get)]
    page: u32,
    /// Accounts per page.
    #[pyo3(get)]
    limit: u32,
    /// Accounts in all pages.
    #[pyo3(get)]
    total: u64,
    /// Pages in all.
    #[pyo3(get)]
    total_pages: u32,
    /// The number of this page's first account, from 1.
    #[pyo3(get)]
    paging_counter: u64,
    /// Whether a page comes before this one.
    #[pyo3(get)]
    has_prev_page: bool,
    /// The previous page's number, or ``None`` on the first page.
    #[pyo3(get)]
    prev_page: Option<u32>,
    /// Whether a page comes after this one.
    #[pyo3(get)]
    has_next_page: bool,
    /// The next page's number, or ``None`` after the last page.
    #[pyo3(get)]
    next_page: Option<u32>,
}

/// The mapping of a core page.
pub(crate) fn linked_account_page(
    py: Python<'_>,
    page: &refold_session::LinkedAccountPage,
) -> PyResult<LinkedAccountPage> {
    let accounts = page
        .accounts
        .iter()
        .map(|account| Py::new(py, linked_account(py, account)?))
        .collect::<PyResult<Vec<_>>>()?;
    Ok(LinkedAccountPage {
        accounts: PyTuple::new(py, accounts)?.unbind(),
        page: page.page,
        limit: page.limit,
        total: page.total,
        total_pages: page.total_pages,
        paging_counter: page.paging_counter,
        has_prev_page: page.has_prev_page,
        prev_page: page.prev_page,
        has_next_page: page.has_next_page,
        next_page: page.next_page,
    })
}

#[pymethods]
impl LinkedAccountPage {
    /// The accounts of this page, in creation order.
    #[getter]
    fn accounts<'py>(&self, py: Python<'py>) -> Bound<'py, PyTuple> {
        self.accounts.bind(py).clone()
    }

    fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.accounts.bind(py).try_iter().map(Bound::into_any)
    }

    fn __len__(&self, py: Python<'_>) -> usize {
        self.accounts.bind(py).len()
    }

    fn __eq__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let Some(other) = same::<LinkedAccountPage>(other) else {
            return Ok(py.NotImplemented());
        };
        let equal = self.state(py)?.eq(other.get().state(py)?)?;
        Ok(PyBool::new(py, equal).to_owned().into_any().unbind())
    }

    fn __hash__(&self, py: Python<'_>) -> PyResult<isize> {
        (self.page, self.limit, self.accounts.bind(py))
            .into_pyobject(py)?
            .hash()
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "LinkedAccountPage(page={}, limit={}, total={}, total_pages={}, next_page={}, accounts={})",
            self.page,
            self.limit,
            self.total,
            self.total_pages,
            repr(py, self.next_page)?,
            repr(py, self.accounts.bind(py).to_list())?,
        ))
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        restore(slf, slf.get().state(slf.py())?)
    }

    #[staticmethod]
    fn _restore(state: &Bound<'_, PyDict>) -> PyResult<Self> {
        Ok(LinkedAccountPage {
            accounts: member(state, "accounts")?,
            page: member(state, "page")?,
            limit: member(state, "limit")?,
            total: member(state, "total")?,
            total_pages: member(state, "total_pages")?,
            paging_counter: member(state, "paging_counter")?,
            has_prev_page: member(state, "has_prev_page")?,
            prev_page: member(state, "prev_page")?,
            has_next_page: member(state, "has_next_page")?,
            next_page: member(state, "next_page")?,
        })
    }
}

impl LinkedAccountPage {
    fn state<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let state = PyDict::new(py);
        state.set_item("accounts", self.accounts.bind(py))?;
        state.set_item("page", self.page)?;
        state.set_item("limit", self.limit)?;
        state.set_item("total", self.total)?;
        state.set_item("total_pages", self.total_pages)?;
        state.set_item("paging_counter", self.paging_counter)?;
        state.set_item("has_prev_page", self.has_prev_page)?;
        state.set_item("prev_page", self.prev_page)?;
        state.set_item("has_next_page", self.has_next_page)?;
        state.set_item("next_page", self.next_page)?;
        Ok(state)
    }
}

/// Declares the Python `CacheStats` from one list of the core's counters (docs/contract.md §5):
/// the class, its mapping, its pickling and its `repr` all follow the list.
macro_rules! cache_stats_record {
    ($($(#[doc = $doc:literal])* $name:ident,)+) => {
        /// The session cache's counters since the client was built; ``entries`` is the number
        /// of linked accounts cached now; ``rate_limit_*`` are the request budget's.
        #[pyclass(module = "refold_session", name = "CacheStats", frozen, eq, hash)]
        #[derive(PartialEq, Eq, Hash)]
        pub(crate) struct CacheStats {
            $($(#[doc = $doc])* #[pyo3(get)] $name: u64,)+
        }

        /// The mapping of the core's counters.
        pub(crate) fn cache_stats(stats: &CoreStats) -> CacheStats {
            CacheStats { $($name: stats.$name,)+ }
        }

        impl CacheStats {
            fn named(&self) -> Vec<(&'static str, u64)> {
                vec![$((stringify!($name), self.$name),)+]
            }

            fn from_state(state: &Bound<'_, PyDict>) -> PyResult<Self> {
                Ok(CacheStats { $($name: member(state, stringify!($name))?,)+ })
            }
        }
    };
}

cache_stats_record! {
    /// Calls answered from the cache without a request.
    hits,
    /// Calls that started a mint (no usable token cached, or ``fresh=True``).
    misses,
    /// Calls that waited for a mint another call had started.
    coalesced,
    /// Background refreshes that stored a new token.
    refreshes,
    /// Background refreshes that failed.
    refresh_failures,
    /// Tokens dropped because the cache was full or their time was up.
    evictions,
    /// Linked accounts cached now.
    entries,
    /// Tokens found in the fleet store; 0 without a store.
    store_hits,
    /// Fleet-store calls that failed or took too long; 0 without a store.
    store_errors,
    /// Calls that waited for their turn in the request budget.
    rate_limit_waits,
    /// Total time calls waited for their turn, in milliseconds.
    rate_limit_wait_ms,
    /// Calls the budget refused without sending anything (``RateLimitedError``).
    rate_limit_refused,
    /// 429 answers seen.
    rate_limit_429s,
    /// Background refreshes that found no spare turn at first.
    rate_limit_background_deferred,
    /// Admissions decided locally because the fleet's Redis failed.
    rate_limit_fleet_fallbacks,
}

#[pymethods]
impl CacheStats {
    /// The counters by name.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        for (name, value) in self.named() {
            dict.set_item(name, value)?;
        }
        Ok(dict)
    }

    fn __repr__(&self) -> String {
        let shown: Vec<String> = self
            .named()
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect();
        format!("CacheStats({})", shown.join(", "))
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        restore(slf, slf.get().to_dict(slf.py())?)
    }

    #[staticmethod]
    fn _restore(state: &Bound<'_, PyDict>) -> PyResult<Self> {
        CacheStats::from_state(state)
    }
}

/// Refold's answer to a revocation.
#[pyclass(module = "refold_session", name = "RevokeResult", frozen, eq, hash)]
#[derive(PartialEq, Eq, Hash)]
pub(crate) struct RevokeResult {
    /// Whether Refold revoked it.
    #[pyo3(get)]
    success: bool,
    /// How many tokens Refold revoked (the token and its refresh token's family).
    #[pyo3(get)]
    revoked_count: u64,
}

/// The mapping of the core's answer.
pub(crate) fn revoke_result(result: &refold_session::RevokeResult) -> RevokeResult {
    RevokeResult {
        success: result.success,
        revoked_count: result.revoked_count,
    }
}

#[pymethods]
impl RevokeResult {
    /// ``{"success", "revoked_count"}``.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        dict.set_item("success", self.success)?;
        dict.set_item("revoked_count", self.revoked_count)?;
        Ok(dict)
    }

    fn __repr__(&self) -> String {
        let success = if self.success { "True" } else { "False" };
        format!(
            "RevokeResult(success={success}, revoked_count={})",
            self.revoked_count
        )
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        restore(slf, slf.get().to_dict(slf.py())?)
    }

    #[staticmethod]
    fn _restore(state: &Bound<'_, PyDict>) -> PyResult<Self> {
        Ok(RevokeResult {
            success: member(state, "success")?,
            revoked_count: member(state, "revoked_count")?,
        })
    }
}
