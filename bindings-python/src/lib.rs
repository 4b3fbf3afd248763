//! `refold_session._native`: the PyO3 half of the Python binding of `refold-session`.
//!
//! A thin translation: Python values fill a [`refold_session::ClientOptions`], a call runs the
//! core's `get_token_for_linked_account` on this binding's tokio runtime (with the GIL
//! released, or as an asyncio awaitable), and a core [`refold_session::Error`] becomes the
//! exception class of its code, defined in Python (`refold_session/errors.py`). Every
//! decision (validation, retries, messages, redaction) is the core's.
//!
//! Every entry point catches panics and raises `InternalError` instead of pyo3's
//! `PanicException` (docs/contract.md §Host-language surface, the `internal` policy).

mod exit;
mod runtime;

use std::any::Any;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyUnicodeEncodeError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyFloat, PyInt, PyString};
use refold_session::{
    Client, ClientOptions, Error, ErrorCode, OptionProblem, SessionToken, Timeout, format_rfc3339,
    linked_account_id_not_unicode, linked_account_id_type_error,
};
use tokio::runtime::Runtime;

use crate::runtime::{ForkAwareTokio, runtime};

/// How often a blocking call wakes up to let Ctrl-C (`KeyboardInterrupt`) through.
const SIGNAL_CHECK_INTERVAL: Duration = Duration::from_millis(100);

/// One client: the options it was built from, what it reports about itself, and, per
/// process, the core client (its connection pool belongs to the runtime of the process that
/// built it).
#[pyclass(module = "refold_session._native", name = "NativeClient", frozen)]
struct NativeClient {
    options: ClientOptions,
    endpoint: String,
    environment: &'static str,
    user_agent: String,
    /// The pid that built the client, and the client; `None` once closed.
    client: Mutex<Option<(u32, Client)>>,
}

#[pymethods]
impl NativeClient {
    #[new]
    #[pyo3(signature = (api_key=None, environment=None, base_url=None, timeout=None, max_retries=None, max_idle_connections=None))]
    fn new(
        py: Python<'_>,
        api_key: Option<&Bound<'_, PyAny>>,
        environment: Option<&Bound<'_, PyAny>>,
        base_url: Option<&Bound<'_, PyAny>>,
        timeout: Option<&Bound<'_, PyAny>>,
        max_retries: Option<&Bound<'_, PyAny>>,
        max_idle_connections: Option<&Bound<'_, PyAny>>,
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
            host.options.binding = Some((
                "python".to_owned(),
                format!("{}.{}.{}", version.major, version.minor, version.patch),
            ));
            // Built now so that problems surface at construction (docs/contract.md §Options).
            let client = Client::new(host.options.clone()).map_err(|err| host.raise(py, err))?;
            Ok(NativeClient {
                options: host.options,
                endpoint: client.endpoint().to_owned(),
                environment: client.environment().as_str(),
                user_agent: client.user_agent().to_owned(),
                client: Mutex::new(Some((std::process::id(), client))),
            })
        })
    }

    /// Mints a token, blocking this thread (not the GIL) until the core has an answer.
    fn token(&self, py: Python<'_>, linked_account_id: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        guard(py, || {
            let id = linked_account_id_arg(linked_account_id)?;
            let (client, runtime) = self.client(py)?;
            let mut task = runtime.spawn(mint(client, id));
            // Held from re-attaching until this call returns to Python (see `exit`).
            let mut _pass: exit::Pass;
            let joined = loop {
                let waited;
                (waited, _pass) = py.detach(|| {
                    let waited = runtime.block_on(async {
                        tokio::time::timeout(SIGNAL_CHECK_INTERVAL, &mut task).await
                    });
                    (waited, exit::pass_or_park())
                });
                match waited {
                    Ok(joined) => break joined,
                    Err(_still_running) => {
                        if let Err(interrupt) = py.check_signals() {
                            task.abort();
                            return Err(interrupt);
                        }
                    }
                }
            };
            // `mint` catches panics itself; a task is only lost if the runtime drops it.
            let outcome = joined.unwrap_or_else(|lost| Err(Error::internal(&lost.to_string())));
            Ok(Minted(outcome).into_pyobject(py)?.unbind())
        })
    }

    /// Mints a token as an asyncio awaitable (call it from a coroutine on a running loop).
    fn token_async<'py>(
        &self,
        py: Python<'py>,
        linked_account_id: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let id = linked_account_id_arg(linked_account_id)?;
            let (client, runtime) = self.client(py)?;
            let _context = runtime.enter();
            pyo3_async_runtimes::generic::future_into_py::<ForkAwareTokio, _, _>(py, async move {
                Ok(Minted(mint(client, id).await))
            })
        })
    }

    /// Releases the connection pool; later calls raise `RuntimeError`.
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
    fn lock(&self) -> MutexGuard<'_, Option<(u32, Client)>> {
        self.client.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The core client of this process and the runtime to run it on. After `os.fork()` the
    /// child builds its own from the same options: the parent's pool is not usable here.
    /// Called with the GIL held, like [`runtime`], so the lock is never held across a fork.
    fn client(&self, py: Python<'_>) -> PyResult<(Client, &'static Runtime)> {
        let runtime = runtime(py).map_err(|err| error_to_py(py, err))?;
        let pid = std::process::id();
        let mut slot = self.lock();
        let Some((owner, client)) = &*slot else {
            return Err(PyRuntimeError::new_err(
                "This refold_session client is closed; create a new one.",
            ));
        };
        if *owner == pid {
            return Ok((client.clone(), runtime));
        }
        let client = Client::new(self.options.clone()).map_err(|err| error_to_py(py, err))?;
        *slot = Some((pid, client.clone()));
        Ok((client, runtime))
    }
}

/// The client options as read from Python. A value of the wrong type is a `TypeError`
/// (docs/contract.md §Options), worded by the core like every other option problem.
#[derive(Default)]
struct HostOptions {
    options: ClientOptions,
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
    fn text(&mut self, option: &str, value: Option<&Bound<'_, PyAny>>) -> PyResult<Option<String>> {
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
    fn seconds(&mut self, option: &str, value: Option<&Bound<'_, PyAny>>) -> Option<f64> {
        let value = value.filter(|value| !value.is_none())?;
        if value.is_instance_of::<PyFloat>() || is_int(value) {
            return Some(int_or_float(value));
        }
        self.wrong_type(option, "a number of seconds (int or float)", value);
        None
    }

    /// An `int` (not `bool`); the core judges its value (negative, huge → `configuration`).
    fn count(&mut self, option: &str, value: Option<&Bound<'_, PyAny>>) -> Option<f64> {
        let value = value.filter(|value| !value.is_none())?;
        if is_int(value) {
            return Some(int_or_float(value));
        }
        self.wrong_type(option, "an int", value);
        None
    }

    /// The exception for a failed build: `TypeError` when the first problem was a type.
    fn raise(&self, py: Python<'_>, err: Error) -> PyErr {
        if self.wrong_type_first && err.code() == ErrorCode::Configuration {
            PyTypeError::new_err(err.message().to_owned())
        } else {
            error_to_py(py, err)
        }
    }
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

fn type_name(value: &Bound<'_, PyAny>) -> String {
    value
        .get_type()
        .name()
        .map_or_else(|_| "?".to_owned(), |name| name.to_string())
}

/// The id as UTF-8: not a `str` → `TypeError` (docs/contract.md §Host-language surface);
/// holding a lone surrogate → the core's `invalid_input`, and nothing is sent.
fn linked_account_id_arg(value: &Bound<'_, PyAny>) -> PyResult<String> {
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

/// Runs one entry point; a panic inside it becomes `InternalError`.
fn guard<T>(py: Python<'_>, body: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    catch_unwind(AssertUnwindSafe(body))
        .unwrap_or_else(|panic| Err(error_to_py(py, Error::from_panic(panic.as_ref()))))
}

/// One call of the core, with a panic while it runs turned into the `internal` error.
async fn mint(client: Client, id: String) -> Result<SessionToken, Error> {
    let call = std::pin::pin!(client.get_token_for_linked_account(&id));
    CatchPanic(call)
        .await
        .unwrap_or_else(|panic| Err(Error::from_panic(panic.as_ref())))
}

/// A future's output, or the payload of a panic raised while polling it.
struct CatchPanic<F>(F);

impl<F: Future + Unpin> Future for CatchPanic<F> {
    type Output = Result<F::Output, Box<dyn Any + Send>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let future = Pin::new(&mut self.0);
        match catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(output)) => Poll::Ready(Ok(output)),
            Err(panic) => Poll::Ready(Err(panic)),
        }
    }
}

/// The outcome of one call, converted to Python on the thread that holds the GIL: the
/// fields of a `SessionToken` (times as Unix microseconds and as the core's RFC 3339 text),
/// or the exception of the error's code.
struct Minted(Result<SessionToken, Error>);

impl<'py> IntoPyObject<'py> for Minted {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let token = self.0.map_err(|err| error_to_py(py, err))?;
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
}

/// Microseconds since the epoch; token times are never before it, nor past year 9999
/// (docs/contract.md §Limits), so they fit a `datetime`.
fn unix_micros(time: SystemTime) -> i64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |since| {
        i64::try_from(since.as_micros()).unwrap_or(i64::MAX)
    })
}

/// Builds the Python exception for a core error: `errors._from_core` picks the class of the
/// code; code, message and fields are passed through unchanged.
fn error_to_py(py: Python<'_>, err: Error) -> PyErr {
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
            factory.bind(py).call1((
                err.code().as_str(),
                err.message(),
                err.status(),
                err.request_id(),
                err.retry_after().map(|wait| wait.as_secs_f64()),
                err.attempts(),
            ))
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
    Ok(())
}
