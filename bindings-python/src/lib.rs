//! `refold_session._native`: the PyO3 half of the Python binding of `refold-session`.
//!
//! A thin translation: the options and arguments a Python call was given are converted whole
//! (`convert::host_value`) and read by `refold_session::host` in the Python dialect; the call
//! runs on this binding's tokio runtime (with the GIL released, or as an asyncio awaitable),
//! and its answer becomes the record's `#[pyclass]` (`records`), or a core
//! [`refold_session::Error`] becomes the exception class of its code (`error`). Every
//! decision (validation, retries, caching, messages, redaction) is the core's.
//!
//! Every entry point catches panics and raises `InternalError` instead of pyo3's
//! `PanicException` (docs/contract.md §Host-language surface, the `internal` policy).

mod api;
mod call;
mod convert;
mod deliver;
mod error;
mod exit;
mod records;
mod runtime;
mod telemetry;
mod webhook;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use refold_session::host::{self, Dialect, HostInfo, HostValue};
use refold_session::{
    Client, ClientOptions, Error, ErrorCode, LinkedAccountPages, RequestOptions, SessionToken,
};
use tokio::runtime::Runtime;

use crate::call::{Answer, Op, Outcome, blocking, caught, run, token_to_py};
use crate::convert::{host_value, text_value};
use crate::deliver::awaitable;
use crate::error::error_to_py;
use crate::runtime::runtime;
use crate::telemetry::{Bridge, Hook};

/// This binding's dialect: snake_case names, seconds (or a `timedelta`), unknown names refused.
const PYTHON: &Dialect = &Dialect::PYTHON;

/// One client: the options it was built from, what it reports about itself, and, per
/// process, the core client (its connection pool and session cache belong to the process
/// that built it: a child of `os.fork()` builds its own, with an empty cache).
#[pyclass(module = "refold_session._native", name = "NativeClient", frozen)]
struct NativeClient {
    options: ClientOptions,
    host: HostInfo,
    endpoint: String,
    environment: &'static str,
    user_agent: String,
    /// The bridge to the host's OpenTelemetry, when it is installed and `telemetry` is on.
    bridge: Option<Arc<Bridge>>,
    /// The core client of the process that built it; `None` once closed.
    client: Mutex<Option<ProcessClient>>,
}

/// A core client and the process that built it. Never dropped in another process (a child of
/// `os.fork()` replacing or closing what it inherited, or collecting it): the parent's pooled
/// connections are registered in an epoll instance the two processes share, and closing the
/// child's copies would take the parent's registrations with them (the parent would never
/// notice its next answer on one). The child leaks its copy instead, once per client.
struct ProcessClient {
    pid: u32,
    client: Option<Client>,
}

impl ProcessClient {
    fn new(client: Client) -> ProcessClient {
        ProcessClient {
            pid: std::process::id(),
            client: Some(client),
        }
    }
}

impl Drop for ProcessClient {
    fn drop(&mut self) {
        if self.pid != std::process::id() {
            std::mem::forget(self.client.take());
        }
    }
}

/// A linked account id argument, read by the core (`str` or `TypeError`).
fn linked_account_id(py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<String> {
    host::linked_account_id(&host_value(value)?, PYTHON).map_err(|err| error_to_py(py, err))
}

/// A session token argument (`str`), read by the core.
fn session_token(py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<String> {
    host::session_token(&host_value(value)?, PYTHON).map_err(|err| error_to_py(py, err))
}

/// The per-call options (a dict of `timeout`, `max_retries`, `fresh`), read by the core.
fn request_options(py: Python<'_>, options: &Bound<'_, PyAny>) -> PyResult<RequestOptions> {
    if options.cast::<PyDict>().is_ok_and(|dict| dict.is_empty()) {
        return Ok(RequestOptions::default());
    }
    host::request_options(&host_value(options)?, PYTHON).map_err(|err| error_to_py(py, err))
}

/// The linked account payload (a dict of `linked_account_id`, `name`, `udf`, `your_app`).
fn account_input(
    py: Python<'_>,
    account: &Bound<'_, PyAny>,
) -> PyResult<refold_session::LinkedAccountInput> {
    host::linked_account_input(&host_value(account)?, PYTHON).map_err(|err| error_to_py(py, err))
}

/// A page argument map (`page`, `limit`), read by the core.
fn page_arguments(py: Python<'_>, arguments: &Bound<'_, PyAny>) -> PyResult<host::PageArguments> {
    host::page_arguments(&host_value(arguments)?, PYTHON).map_err(|err| error_to_py(py, err))
}

#[pymethods]
impl NativeClient {
    /// Builds the core client from the options dict, whole; no request is sent. `telemetry`
    /// is the bridge to the host's OpenTelemetry (`_telemetry.Bridge`), when it is installed.
    #[new]
    #[pyo3(signature = (options, telemetry=None))]
    fn new(
        py: Python<'_>,
        options: &Bound<'_, PyAny>,
        telemetry: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        guard(py, || {
            // Before the client, which may already log.
            install_log_bridge(py)?;
            let options = host::client_options(&host_value(options)?, PYTHON)
                .map_err(|err| error_to_py(py, err))?;
            let version = py.version_info();
            let host = HostInfo::new(
                Dialect::PYTHON,
                format!("{}.{}.{}", version.major, version.minor, version.patch),
            );
            let bridge = telemetry
                .filter(|bridge| !bridge.is_none() && options.telemetry != Some(false))
                .map(|bridge| Bridge::new(bridge.clone().unbind()));
            // Built now so that problems surface at construction (docs/contract.md §Options).
            let client = build(&options, &host, &bridge).map_err(|err| error_to_py(py, err))?;
            Ok(NativeClient {
                options,
                host,
                bridge,
                endpoint: client.endpoint().to_owned(),
                environment: client.environment().as_str(),
                user_agent: client.user_agent().to_owned(),
                client: Mutex::new(Some(ProcessClient::new(client))),
            })
        })
    }

    /// Gets a session token (from the cache when it is on, unless `fresh`), blocking this
    /// thread (not the GIL) until the core has an answer.
    fn token(
        &self,
        py: Python<'_>,
        linked_account_id: &Bound<'_, PyAny>,
        options: &Bound<'_, PyAny>,
    ) -> PyResult<Py<PyAny>> {
        guard(py, || {
            let (id, options) = self.token_arguments(py, linked_account_id, options)?;
            // A plain hit answers here: no GIL release, no runtime hand-off.
            if let Some(token) = self.cached(py, &id, &options)? {
                return Ok(token_to_py(py, &token)?.unbind());
            }
            self.now(py, Op::Token(id), options)
        })
    }

    /// [`NativeClient::token`] for asyncio: the token itself for a plain hit (the caller
    /// returns it without awaiting anything: no yield to the event loop, nothing run on the
    /// runtime), else an awaitable of it.
    fn token_async<'py>(
        &self,
        py: Python<'py>,
        linked_account_id: &Bound<'py, PyAny>,
        options: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let (id, options) = self.token_arguments(py, linked_account_id, options)?;
            if let Some(token) = self.cached(py, &id, &options)? {
                return token_to_py(py, &token);
            }
            self.later(py, Op::Token(id), options)
        })
    }

    fn upsert(
        &self,
        py: Python<'_>,
        account: &Bound<'_, PyAny>,
        options: &Bound<'_, PyAny>,
    ) -> PyResult<Py<PyAny>> {
        guard(py, || {
            let op = Op::Upsert(account_input(py, account)?);
            self.now(py, op, self.call_options(py, options)?)
        })
    }

    fn upsert_async<'py>(
        &self,
        py: Python<'py>,
        account: &Bound<'py, PyAny>,
        options: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let op = Op::Upsert(account_input(py, account)?);
            self.later(py, op, self.call_options(py, options)?)
        })
    }

    fn create(
        &self,
        py: Python<'_>,
        account: &Bound<'_, PyAny>,
        options: &Bound<'_, PyAny>,
    ) -> PyResult<Py<PyAny>> {
        guard(py, || {
            let op = Op::Create(account_input(py, account)?);
            self.now(py, op, self.call_options(py, options)?)
        })
    }

    fn create_async<'py>(
        &self,
        py: Python<'py>,
        account: &Bound<'py, PyAny>,
        options: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let op = Op::Create(account_input(py, account)?);
            self.later(py, op, self.call_options(py, options)?)
        })
    }

    fn get(
        &self,
        py: Python<'_>,
        linked_account_id: &Bound<'_, PyAny>,
        options: &Bound<'_, PyAny>,
    ) -> PyResult<Py<PyAny>> {
        guard(py, || {
            let op = Op::Get(self::linked_account_id(py, linked_account_id)?);
            self.now(py, op, self.call_options(py, options)?)
        })
    }

    fn get_async<'py>(
        &self,
        py: Python<'py>,
        linked_account_id: &Bound<'py, PyAny>,
        options: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let op = Op::Get(self::linked_account_id(py, linked_account_id)?);
            self.later(py, op, self.call_options(py, options)?)
        })
    }

    fn delete(
        &self,
        py: Python<'_>,
        linked_account_id: &Bound<'_, PyAny>,
        options: &Bound<'_, PyAny>,
    ) -> PyResult<Py<PyAny>> {
        guard(py, || {
            let op = Op::Delete(self::linked_account_id(py, linked_account_id)?);
            self.now(py, op, self.call_options(py, options)?)
        })
    }

    fn delete_async<'py>(
        &self,
        py: Python<'py>,
        linked_account_id: &Bound<'py, PyAny>,
        options: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let op = Op::Delete(self::linked_account_id(py, linked_account_id)?);
            self.later(py, op, self.call_options(py, options)?)
        })
    }

    /// One page: `arguments` is the dict `{page, limit}`.
    fn list(
        &self,
        py: Python<'_>,
        arguments: &Bound<'_, PyAny>,
        options: &Bound<'_, PyAny>,
    ) -> PyResult<Py<PyAny>> {
        guard(py, || {
            let op = Op::List(page_arguments(py, arguments)?);
            self.now(py, op, self.call_options(py, options)?)
        })
    }

    fn list_async<'py>(
        &self,
        py: Python<'py>,
        arguments: &Bound<'py, PyAny>,
        options: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let op = Op::List(page_arguments(py, arguments)?);
            self.later(py, op, self.call_options(py, options)?)
        })
    }

    /// A walk over every page of linked accounts: `arguments` is the dict `{limit}`.
    fn pages(
        slf: &Bound<'_, Self>,
        arguments: &Bound<'_, PyAny>,
        options: &Bound<'_, PyAny>,
    ) -> PyResult<NativePages> {
        let py = slf.py();
        guard(py, || {
            let limit = page_arguments(py, arguments)?.limit;
            let options = slf.get().call_options(py, options)?;
            let (client, _) = slf.get().client(py)?;
            Ok(NativePages {
                owner: slf.clone().unbind(),
                pid: std::process::id(),
                walk: Arc::new(Mutex::new(Walk::Ready(LinkedAccountPages::with_options(
                    client, limit, options,
                )))),
            })
        })
    }

    /// Revokes a session token (authenticated by the token, not the API key).
    fn revoke(
        &self,
        py: Python<'_>,
        token: &Bound<'_, PyAny>,
        options: &Bound<'_, PyAny>,
    ) -> PyResult<Py<PyAny>> {
        guard(py, || {
            let op = Op::Revoke(session_token(py, token)?);
            self.now(py, op, self.call_options(py, options)?)
        })
    }

    fn revoke_async<'py>(
        &self,
        py: Python<'py>,
        token: &Bound<'py, PyAny>,
        options: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let op = Op::Revoke(session_token(py, token)?);
            self.later(py, op, self.call_options(py, options)?)
        })
    }

    /// The linked account a session token belongs to.
    fn active_account(
        &self,
        py: Python<'_>,
        token: &Bound<'_, PyAny>,
        options: &Bound<'_, PyAny>,
    ) -> PyResult<Py<PyAny>> {
        guard(py, || {
            let op = Op::ActiveAccount(session_token(py, token)?);
            self.now(py, op, self.call_options(py, options)?)
        })
    }

    fn active_account_async<'py>(
        &self,
        py: Python<'py>,
        token: &Bound<'py, PyAny>,
        options: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let op = Op::ActiveAccount(session_token(py, token)?);
            self.later(py, op, self.call_options(py, options)?)
        })
    }

    fn invalidate(
        &self,
        py: Python<'_>,
        linked_account_id: &Bound<'_, PyAny>,
    ) -> PyResult<Py<PyAny>> {
        guard(py, || {
            let op = Op::Invalidate(self::linked_account_id(py, linked_account_id)?);
            self.now(py, op, RequestOptions::default())
        })
    }

    fn invalidate_async<'py>(
        &self,
        py: Python<'py>,
        linked_account_id: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let op = Op::Invalidate(self::linked_account_id(py, linked_account_id)?);
            self.later(py, op, RequestOptions::default())
        })
    }

    fn invalidate_all(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        guard(py, || {
            self.now(py, Op::InvalidateAll, RequestOptions::default())
        })
    }

    fn invalidate_all_async<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            self.later(py, Op::InvalidateAll, RequestOptions::default())
        })
    }

    fn cache_stats(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        guard(py, || self.now(py, Op::Stats, RequestOptions::default()))
    }

    fn cache_stats_async<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || self.later(py, Op::Stats, RequestOptions::default()))
    }

    /// `Client::verify_webhook_signature`: the delivery checked with this client's API key.
    fn verify_webhook_signature(
        &self,
        py: Python<'_>,
        raw_body: &Bound<'_, PyAny>,
        signature_header: &Bound<'_, PyAny>,
    ) -> PyResult<bool> {
        guard(py, || {
            let client = self.core(py)?;
            webhook::verify_with_client(py, &client, raw_body, signature_header)
        })
    }

    /// Releases the connection pool and the cached tokens; later calls raise `RuntimeError`.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        guard(py, || {
            let dropped = self.lock().take();
            drop(dropped);
            Ok(())
        })
    }

    #[getter]
    fn closed(&self) -> bool {
        self.lock().is_none()
    }

    /// The full session-token URL this client posts to.
    #[getter]
    fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The deployment name (ignoring a base URL override).
    #[getter]
    fn environment(&self) -> &'static str {
        self.environment
    }

    /// The user-agent sent with each request.
    #[getter]
    fn user_agent(&self) -> &str {
        &self.user_agent
    }
}

impl NativeClient {
    fn lock(&self) -> MutexGuard<'_, Option<ProcessClient>> {
        self.client.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The core client of this process and the runtime to run it on. After `os.fork()` the
    /// child builds its own from the same options: the parent's pool is not usable here, and
    /// the child starts with an empty cache. Called with the GIL held, like [`runtime`], so
    /// the lock is never held across a fork.
    fn client(&self, py: Python<'_>) -> PyResult<(Client, &'static Runtime)> {
        let runtime = runtime(py).map_err(|err| error_to_py(py, err))?;
        Ok((self.core(py)?, runtime))
    }

    /// The core client of this process (see [`NativeClient::client`]), without the runtime.
    fn core(&self, py: Python<'_>) -> PyResult<Client> {
        let pid = std::process::id();
        let mut slot = self.lock();
        let Some(current) = &*slot else {
            return Err(PyRuntimeError::new_err(
                "This refold_session client is closed; create a new one.",
            ));
        };
        if current.pid == pid
            && let Some(client) = &current.client
        {
            return Ok(client.clone());
        }
        let client =
            build(&self.options, &self.host, &self.bridge).map_err(|err| error_to_py(py, err))?;
        *slot = Some(ProcessClient::new(client.clone()));
        Ok(client)
    }

    /// The id and options of a token call; a `str` id and no options (the usual call) skip
    /// the conversion.
    fn token_arguments(
        &self,
        py: Python<'_>,
        linked_account_id: &Bound<'_, PyAny>,
        options: &Bound<'_, PyAny>,
    ) -> PyResult<(String, RequestOptions)> {
        let id = match linked_account_id.cast::<PyString>() {
            Ok(text) => match text_value(text)? {
                HostValue::Text(id) => id,
                other => {
                    host::linked_account_id(&other, PYTHON).map_err(|err| error_to_py(py, err))?
                }
            },
            Err(_) => self::linked_account_id(py, linked_account_id)?,
        };
        Ok((id, self.call_options(py, options)?))
    }

    /// The cached token of `id` when the core answers it at once (a plain hit, counted as
    /// one); `None` for `fresh` calls and whenever the async path must answer.
    fn cached(
        &self,
        py: Python<'_>,
        id: &str,
        options: &RequestOptions,
    ) -> PyResult<Option<SessionToken>> {
        if options.fresh {
            return Ok(None);
        }
        let token = self.core(py)?.cached_token_within(id, options.traceparent);
        // A hit's trace was queued on this thread: recorded before the token returns.
        telemetry::drain(py);
        Ok(token)
    }

    /// A call's options (read by the core), with the `traceparent` of the host's current
    /// span unless the caller gave one.
    pub(crate) fn call_options(
        &self,
        py: Python<'_>,
        options: &Bound<'_, PyAny>,
    ) -> PyResult<RequestOptions> {
        let mut options = request_options(py, options)?;
        if let Some(bridge) = &self.bridge {
            let current = bridge.begin(py);
            if options.traceparent.is_none() {
                options.traceparent = current;
            }
        }
        Ok(options)
    }

    /// Runs `op`, blocking this thread (not the GIL); the answer's record, or its exception.
    fn now(&self, py: Python<'_>, op: Op, options: RequestOptions) -> PyResult<Py<PyAny>> {
        let (client, runtime) = self.client(py)?;
        blocking(py, runtime, run(client, op, options), |outcome| {
            Ok(Outcome(outcome.and_then(|answer| answer))
                .into_pyobject(py)?
                .unbind())
        })
    }

    /// `op` as an asyncio awaitable.
    fn later<'py>(
        &self,
        py: Python<'py>,
        op: Op,
        options: RequestOptions,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (client, runtime) = self.client(py)?;
        awaitable(py, runtime, move || async move {
            Outcome(run(client, op, options).await)
        })
    }
}

/// The core client, observed by `bridge` when there is one.
fn build(
    options: &ClientOptions,
    host: &HostInfo,
    bridge: &Option<Arc<Bridge>>,
) -> Result<Client, Error> {
    let hook = bridge.as_ref().map(|bridge| {
        Arc::new(Hook(Arc::clone(bridge))) as Arc<dyn refold_session::telemetry::Telemetry>
    });
    host::build_observed_client(options.clone(), host.clone(), hook)
}

/// Where a walk over the pages is.
enum Walk {
    Ready(LinkedAccountPages),
    /// A page is being fetched.
    Fetching,
    /// After the last page, an error, or the core's page limit.
    Done,
}

/// The pages of `NativeClient.pages`, one request per `next_page`: the core's
/// [`LinkedAccountPages`] (bounded; an empty page ends it), under Python's iterators.
#[pyclass(module = "refold_session._native", name = "NativePages", frozen)]
struct NativePages {
    owner: Py<NativeClient>,
    /// The process the walk belongs to (its client's pool does not cross a fork).
    pid: u32,
    walk: Arc<Mutex<Walk>>,
}

#[pymethods]
impl NativePages {
    /// The next page's fields, or `None` after the last one; blocks like the client's calls.
    fn next_page(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        guard(py, || {
            let (walk, runtime) = match self.start(py)? {
                Some(started) => started,
                None => return Ok(py.None()),
            };
            let state = Arc::clone(&self.walk);
            blocking(py, runtime, fetch(walk, state), |outcome| {
                let outcome = outcome.unwrap_or_else(|lost| {
                    *lock_walk(&self.walk) = Walk::Done;
                    Outcome(Err(lost))
                });
                Ok(outcome.into_pyobject(py)?.unbind())
            })
        })
    }

    /// [`NativePages::next_page`] as an asyncio awaitable.
    fn next_page_async<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let (walk, runtime) = match self.start(py)? {
                Some(started) => started,
                None => {
                    let runtime = runtime(py).map_err(|err| error_to_py(py, err))?;
                    return awaitable(py, runtime, || async { Outcome(Ok(Answer::Page(None))) });
                }
            };
            let state = Arc::clone(&self.walk);
            awaitable(py, runtime, move || fetch(walk, state))
        })
    }
}

impl NativePages {
    /// The walk to advance, taken out of its slot, or `None` when it is over.
    fn start(&self, py: Python<'_>) -> PyResult<Option<(LinkedAccountPages, &'static Runtime)>> {
        if self.pid != std::process::id() {
            return Err(PyRuntimeError::new_err(
                "This iteration over linked accounts began before os.fork(); start a new one in this process.",
            ));
        }
        // Raises if the client was closed meanwhile.
        let (_, runtime) = self.owner.get().client(py)?;
        let mut walk = lock_walk(&self.walk);
        match std::mem::replace(&mut *walk, Walk::Fetching) {
            Walk::Ready(pages) => Ok(Some((pages, runtime))),
            Walk::Done => {
                *walk = Walk::Done;
                Ok(None)
            }
            Walk::Fetching => Err(PyRuntimeError::new_err(
                "A page of linked accounts is being fetched already; wait for it before asking for the next.",
            )),
        }
    }
}

fn lock_walk(walk: &Mutex<Walk>) -> MutexGuard<'_, Walk> {
    walk.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Fetches the next page and puts the walk back (or ends it: after the last page, an error,
/// or a panic).
async fn fetch(mut pages: LinkedAccountPages, walk: Arc<Mutex<Walk>>) -> Outcome {
    let fetched = caught(async { Ok(pages.next_page().await) }).await;
    let page = fetched.and_then(Option::transpose);
    *lock_walk(&walk) = match &page {
        Ok(Some(_)) => Walk::Ready(pages),
        _ => Walk::Done,
    };
    Outcome(page.map(Answer::Page))
}

/// Runs one entry point; a panic inside it becomes `InternalError`.
pub(crate) fn guard<T>(py: Python<'_>, body: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    catch_unwind(AssertUnwindSafe(body))
        .unwrap_or_else(|panic| Err(error_to_py(py, Error::from_panic(panic.as_ref()))))
}

/// Whether the `log` → `logging` bridge is set up (or another logger was there first).
static LOG_BRIDGE: AtomicBool = AtomicBool::new(false);

/// Sends the core's log records to Python's `logging` under `refold_session.*`; nothing else
/// (reqwest, hyper…) is forwarded. Skipped if another logger is already installed.
///
/// Done on the first client built rather than at import, because `pyo3_log` imports
/// `logging`, which is slow to import (see bench/README.md). No log record is emitted before
/// a client exists, and until then the `log` crate's max level is `Off`. Only an atomic flag:
/// never a lock a fork could inherit held (importing `logging` may let other threads run);
/// two threads racing here both build a logger and the `log` crate keeps one.
fn install_log_bridge(py: Python<'_>) -> PyResult<()> {
    if LOG_BRIDGE.load(SeqCst) {
        return Ok(());
    }
    let logger = pyo3_log::Logger::new(py, pyo3_log::Caching::Loggers)?
        .filter(log::LevelFilter::Off)
        .filter_target("refold_session".to_owned(), log::LevelFilter::Trace);
    if log::set_boxed_logger(Box::new(exit::GatedLogger(logger))).is_ok() {
        log::set_max_level(log::LevelFilter::Trace);
    }
    LOG_BRIDGE.store(true, SeqCst);
    Ok(())
}

#[pymodule]
#[pyo3(name = "_native")]
fn native_module(module: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = module.py();
    py.import("atexit")?.call_method1(
        "register",
        (wrap_pyfunction!(exit::_close_before_exit, module)?,),
    )?;
    let kwargs = pyo3::types::PyDict::new(py);
    kwargs.set_item(
        "after_in_child",
        wrap_pyfunction!(exit::_after_fork_in_child, module)?,
    )?;
    py.import("os")?
        .call_method("register_at_fork", (), Some(&kwargs))?;
    module.add_class::<NativeClient>()?;
    module.add_class::<NativePages>()?;
    module.add_class::<api::NativeApi>()?;
    module.add_class::<records::SessionToken>()?;
    module.add_class::<records::LinkedAccount>()?;
    module.add_class::<records::Integration>()?;
    module.add_class::<records::LinkedAccountPage>()?;
    module.add_class::<records::CacheStats>()?;
    module.add_class::<records::RevokeResult>()?;
    module.add_function(wrap_pyfunction!(webhook::verify_webhook_signature, module)?)?;
    module.add_function(wrap_pyfunction!(webhook::parse_webhook_event, module)?)?;
    // The error classes' table is keyed by these (`errors.py`; a test compares the two).
    let codes: Vec<&str> = ErrorCode::ALL.iter().map(|code| code.as_str()).collect();
    module.add("ERROR_CODES", codes)?;
    module.add("VERSION", refold_session::VERSION)?;
    module.add("TELEMETRY", telemetry::declared())?;
    Ok(())
}
