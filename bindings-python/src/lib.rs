//! `refold_session._native`: the PyO3 half of the Python binding of `refold-session`.
//!
//! A thin translation: Python values fill a [`refold_session::ClientOptions`] and the
//! arguments of a call; the call runs on this binding's tokio runtime (with the GIL released,
//! or as an asyncio awaitable), and its answer becomes a tuple of fields that the Python half
//! (`refold_session/__init__.py`) wraps, or a core [`refold_session::Error`] becomes the
//! exception class of its code (`refold_session/errors.py`). Every decision (validation,
//! retries, caching, messages, redaction) is the core's.
//!
//! Every entry point catches panics and raises `InternalError` instead of pyo3's
//! `PanicException` (docs/contract.md §Host-language surface, the `internal` policy).

// Until this binding moves onto `refold_session::host`: the core's shims of the old API.
#![allow(deprecated)]

mod call;
mod convert;
mod deliver;
mod exit;
mod runtime;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use refold_session::host::legacy::{LegacyOptions as ClientOptions, Timeout};
use refold_session::{Client, Error, LinkedAccountPages, MAX_PAGE_LIMIT, SessionToken};
use tokio::runtime::Runtime;

use crate::call::{Answer, Op, Outcome, blocking, caught, run};
use crate::convert::{HostOptions, account_input, linked_account_id_arg, page_arg, token_to_py};
use crate::deliver::awaitable;
use crate::runtime::runtime;

/// One client: the options it was built from, what it reports about itself, and, per
/// process, the core client (its connection pool and session cache belong to the process
/// that built it: a child of `os.fork()` builds its own, with an empty cache).
#[pyclass(module = "refold_session._native", name = "NativeClient", frozen)]
struct NativeClient {
    options: ClientOptions,
    endpoint: String,
    environment: &'static str,
    user_agent: String,
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

#[pymethods]
impl NativeClient {
    #[new]
    #[pyo3(signature = (api_key=None, environment=None, base_url=None, timeout=None, max_retries=None, max_idle_connections=None, cache=None, max_connections=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        api_key: Option<&Bound<'_, PyAny>>,
        environment: Option<&Bound<'_, PyAny>>,
        base_url: Option<&Bound<'_, PyAny>>,
        timeout: Option<&Bound<'_, PyAny>>,
        max_retries: Option<&Bound<'_, PyAny>>,
        max_idle_connections: Option<&Bound<'_, PyAny>>,
        cache: Option<&Bound<'_, PyAny>>,
        max_connections: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        guard(py, || {
            // Before the client, which may already log.
            install_log_bridge(py)?;
            let version = py.version_info();
            let mut host = HostOptions::default();
            host.options.api_key = host.text("api_key", api_key)?;
            host.options.environment = host.text("environment", environment)?;
            host.options.base_url = host.text("base_url", base_url)?;
            host.options.timeout = host.seconds("timeout", timeout).map(Timeout::Seconds);
            host.options.max_retries = host.count("max_retries", max_retries);
            host.options.max_idle_connections =
                host.count("max_idle_connections", max_idle_connections);
            host.options.max_connections = host.count("max_connections", max_connections);
            host.options.cache = host.cache(cache)?;
            host.options.binding = Some((
                "python".to_owned(),
                format!("{}.{}.{}", version.major, version.minor, version.patch),
            ));
            // Built now so that problems surface at construction (docs/contract.md §Options).
            let client = refold_session::host::legacy::build(host.options.clone())
                .map_err(|err| host.raise(py, err))?;
            Ok(NativeClient {
                options: host.options,
                endpoint: client.endpoint().to_owned(),
                environment: client.environment().as_str(),
                user_agent: client.user_agent().to_owned(),
                client: Mutex::new(Some(ProcessClient::new(client))),
            })
        })
    }

    /// Gets a session token (from the cache when it is on, unless `fresh`), blocking this
    /// thread (not the GIL) until the core has an answer.
    #[pyo3(signature = (linked_account_id, fresh=false))]
    fn token(
        &self,
        py: Python<'_>,
        linked_account_id: &Bound<'_, PyAny>,
        fresh: bool,
    ) -> PyResult<Py<PyAny>> {
        guard(py, || {
            let id = linked_account_id_arg(linked_account_id)?;
            // A plain hit answers here: no GIL release, no runtime hand-off.
            if let Some(token) = self.cached(py, &id, fresh)? {
                return Ok(token_to_py(py, &token)?.unbind());
            }
            self.now(py, Op::Token { id, fresh })
        })
    }

    /// [`NativeClient::token`] for asyncio: the token's fields at once for a plain hit (the
    /// caller returns them without awaiting anything: no yield to the event loop, nothing run
    /// on the runtime), else an awaitable of them.
    #[pyo3(signature = (linked_account_id, fresh=false))]
    fn token_async<'py>(
        &self,
        py: Python<'py>,
        linked_account_id: &Bound<'py, PyAny>,
        fresh: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let id = linked_account_id_arg(linked_account_id)?;
            if let Some(token) = self.cached(py, &id, fresh)? {
                return token_to_py(py, &token);
            }
            self.later(py, Op::Token { id, fresh })
        })
    }

    #[pyo3(signature = (linked_account_id, name=None, udf=None, your_app=None))]
    fn upsert(
        &self,
        py: Python<'_>,
        linked_account_id: &Bound<'_, PyAny>,
        name: Option<&Bound<'_, PyAny>>,
        udf: Option<&Bound<'_, PyAny>>,
        your_app: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        guard(py, || {
            let input = account_input(linked_account_id, name, udf, your_app)?;
            self.now(py, Op::Upsert(input))
        })
    }

    #[pyo3(signature = (linked_account_id, name=None, udf=None, your_app=None))]
    fn upsert_async<'py>(
        &self,
        py: Python<'py>,
        linked_account_id: &Bound<'py, PyAny>,
        name: Option<&Bound<'py, PyAny>>,
        udf: Option<&Bound<'py, PyAny>>,
        your_app: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let input = account_input(linked_account_id, name, udf, your_app)?;
            self.later(py, Op::Upsert(input))
        })
    }

    #[pyo3(signature = (linked_account_id, name=None, udf=None, your_app=None))]
    fn create(
        &self,
        py: Python<'_>,
        linked_account_id: &Bound<'_, PyAny>,
        name: Option<&Bound<'_, PyAny>>,
        udf: Option<&Bound<'_, PyAny>>,
        your_app: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        guard(py, || {
            let input = account_input(linked_account_id, name, udf, your_app)?;
            self.now(py, Op::Create(input))
        })
    }

    #[pyo3(signature = (linked_account_id, name=None, udf=None, your_app=None))]
    fn create_async<'py>(
        &self,
        py: Python<'py>,
        linked_account_id: &Bound<'py, PyAny>,
        name: Option<&Bound<'py, PyAny>>,
        udf: Option<&Bound<'py, PyAny>>,
        your_app: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let input = account_input(linked_account_id, name, udf, your_app)?;
            self.later(py, Op::Create(input))
        })
    }

    fn get(&self, py: Python<'_>, linked_account_id: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        guard(py, || {
            self.now(py, Op::Get(linked_account_id_arg(linked_account_id)?))
        })
    }

    fn get_async<'py>(
        &self,
        py: Python<'py>,
        linked_account_id: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            self.later(py, Op::Get(linked_account_id_arg(linked_account_id)?))
        })
    }

    fn delete(&self, py: Python<'_>, linked_account_id: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        guard(py, || {
            self.now(py, Op::Delete(linked_account_id_arg(linked_account_id)?))
        })
    }

    fn delete_async<'py>(
        &self,
        py: Python<'py>,
        linked_account_id: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            self.later(py, Op::Delete(linked_account_id_arg(linked_account_id)?))
        })
    }

    fn list(
        &self,
        py: Python<'_>,
        page: &Bound<'_, PyAny>,
        limit: &Bound<'_, PyAny>,
    ) -> PyResult<Py<PyAny>> {
        guard(py, || self.now(py, list_op(page, limit)?))
    }

    fn list_async<'py>(
        &self,
        py: Python<'py>,
        page: &Bound<'py, PyAny>,
        limit: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || self.later(py, list_op(page, limit)?))
    }

    /// A walk over every page of linked accounts, `limit` per request.
    fn pages(slf: &Bound<'_, Self>, limit: &Bound<'_, PyAny>) -> PyResult<NativePages> {
        let py = slf.py();
        guard(py, || {
            let limit = page_arg("limit", limit, MAX_PAGE_LIMIT)?;
            let (client, _) = slf.get().client(py)?;
            Ok(NativePages {
                owner: slf.clone().unbind(),
                pid: std::process::id(),
                walk: Arc::new(Mutex::new(Walk::Ready(LinkedAccountPages::new(
                    client, limit,
                )))),
            })
        })
    }

    fn invalidate(
        &self,
        py: Python<'_>,
        linked_account_id: &Bound<'_, PyAny>,
    ) -> PyResult<Py<PyAny>> {
        guard(py, || {
            self.now(
                py,
                Op::Invalidate(linked_account_id_arg(linked_account_id)?),
            )
        })
    }

    fn invalidate_async<'py>(
        &self,
        py: Python<'py>,
        linked_account_id: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            self.later(
                py,
                Op::Invalidate(linked_account_id_arg(linked_account_id)?),
            )
        })
    }

    fn invalidate_all(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        guard(py, || self.now(py, Op::InvalidateAll))
    }

    fn invalidate_all_async<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || self.later(py, Op::InvalidateAll))
    }

    fn cache_stats(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        guard(py, || self.now(py, Op::Stats))
    }

    fn cache_stats_async<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || self.later(py, Op::Stats))
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
        let client = refold_session::host::legacy::build(self.options.clone())
            .map_err(|err| error_to_py(py, err))?;
        *slot = Some(ProcessClient::new(client.clone()));
        Ok(client)
    }

    /// The cached token of `id` when the core answers it at once (a plain hit, counted as
    /// one); `None` for `fresh` calls and whenever the async path must answer.
    fn cached(&self, py: Python<'_>, id: &str, fresh: bool) -> PyResult<Option<SessionToken>> {
        if fresh {
            return Ok(None);
        }
        Ok(self.core(py)?.cached_token(id))
    }

    /// Runs `op`, blocking this thread (not the GIL); the answer's fields, or its exception.
    fn now(&self, py: Python<'_>, op: Op) -> PyResult<Py<PyAny>> {
        let (client, runtime) = self.client(py)?;
        blocking(py, runtime, run(client, op), |outcome| {
            Ok(Outcome(outcome.and_then(|answer| answer))
                .into_pyobject(py)?
                .unbind())
        })
    }

    /// `op` as an asyncio awaitable.
    fn later<'py>(&self, py: Python<'py>, op: Op) -> PyResult<Bound<'py, PyAny>> {
        let (client, runtime) = self.client(py)?;
        awaitable(py, runtime, move || async move {
            Outcome(run(client, op).await)
        })
    }
}

fn list_op(page: &Bound<'_, PyAny>, limit: &Bound<'_, PyAny>) -> PyResult<Op> {
    Ok(Op::List {
        page: page_arg("page", page, u32::MAX)?,
        limit: page_arg("limit", limit, MAX_PAGE_LIMIT)?,
    })
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
fn guard<T>(py: Python<'_>, body: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    catch_unwind(AssertUnwindSafe(body))
        .unwrap_or_else(|panic| Err(error_to_py(py, Error::from_panic(panic.as_ref()))))
}

/// Builds the Python exception for a core error: `errors._from_core` picks the class of the
/// code; code, message and fields are passed through unchanged.
fn error_to_py(py: Python<'_>, err: Error) -> PyErr {
    exception(
        py,
        err.code().as_str(),
        err.message(),
        err.status(),
        err.request_id(),
        err.retry_after().map(|wait| wait.as_secs_f64()),
        err.attempts(),
    )
}

/// The exception of `code` with these fields (see [`error_to_py`]).
fn exception(
    py: Python<'_>,
    code: &str,
    message: &str,
    status: Option<u16>,
    request_id: Option<&str>,
    retry_after: Option<f64>,
    attempts: u32,
) -> PyErr {
    static FACTORY: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let raised = FACTORY
        .get_or_try_init(py, || {
            Ok::<_, PyErr>(
                py.import("refold_session.errors")?
                    .getattr("_from_core")?
                    .unbind(),
            )
        })
        .and_then(|factory| {
            factory
                .bind(py)
                .call1((code, message, status, request_id, retry_after, attempts))
        });
    match raised {
        Ok(exception) => PyErr::from_value(exception),
        Err(import_failure) => import_failure,
    }
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
    module.add("VERSION", refold_session::VERSION)?;
    module.add(
        "DEFAULT_TIMEOUT",
        refold_session::DEFAULT_TIMEOUT.as_secs_f64(),
    )?;
    module.add("DEFAULT_MAX_RETRIES", refold_session::DEFAULT_MAX_RETRIES)?;
    module.add(
        "DEFAULT_MAX_IDLE_CONNECTIONS",
        refold_session::DEFAULT_MAX_IDLE_CONNECTIONS,
    )?;
    module.add(
        "DEFAULT_MAX_CONNECTIONS",
        refold_session::DEFAULT_MAX_CONNECTIONS,
    )?;
    module.add("DEFAULT_PAGE_LIMIT", refold_session::DEFAULT_PAGE_LIMIT)?;
    module.add("MAX_PAGE_LIMIT", refold_session::MAX_PAGE_LIMIT)?;
    Ok(())
}
