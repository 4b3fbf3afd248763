//! `refold_session._native`: the PyO3 half of the Python binding of `refold-session`.
//!
//! A thin translation: Python values become [`refold_session::ClientBuilder`] options, a call
//! runs the core's `get_token_for_linked_account` on this binding's tokio runtime (with the
//! GIL released, or as an asyncio awaitable), and a core [`refold_session::Error`] becomes the
//! exception class of its code, defined in Python (`refold_session/errors.py`). Every
//! decision (validation, retries, messages, redaction) is the core's.

mod exit;
mod runtime;

use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use pyo3::exceptions::{PyRuntimeError, PyTypeError};
use pyo3::panic::PanicException;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyFloat, PyInt, PyString};
use refold_session::{Client, ClientBuilder, Error, SessionToken};
use tokio::runtime::Runtime;

use crate::runtime::{ForkAwareTokio, runtime};

/// How often a blocking call wakes up to let Ctrl-C (`KeyboardInterrupt`) through.
const SIGNAL_CHECK_INTERVAL: Duration = Duration::from_millis(100);

/// One client: the options it was built from and, per process, the core client itself
/// (its connection pool belongs to the runtime of the process that built it).
#[pyclass(module = "refold_session._native", name = "NativeClient", frozen)]
struct NativeClient {
    state: Mutex<State>,
}

struct State {
    builder: ClientBuilder,
    /// The pid that built the client; `None` once closed.
    client: Option<(u32, Client)>,
}

#[pymethods]
impl NativeClient {
    #[new]
    #[pyo3(signature = (api_key=None, environment=None, base_url=None, timeout=None, max_retries=None))]
    fn new(
        py: Python<'_>,
        api_key: Option<&Bound<'_, PyAny>>,
        environment: Option<&Bound<'_, PyAny>>,
        base_url: Option<&Bound<'_, PyAny>>,
        timeout: Option<&Bound<'_, PyAny>>,
        max_retries: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        // Before the builder, which may already log.
        install_log_bridge(py)?;
        let version = py.version_info();
        let mut builder = Client::builder().binding(
            "python",
            format!("{}.{}.{}", version.major, version.minor, version.patch),
        );
        if let Some(key) = optional_str("api_key", api_key)? {
            builder = builder.api_key(key);
        }
        if let Some(name) = optional_str("environment", environment)? {
            builder = builder.environment_name(name);
        }
        if let Some(url) = optional_str("base_url", base_url)? {
            builder = builder.base_url(url);
        }
        if let Some(seconds) = optional_number("timeout", timeout)? {
            builder = builder.timeout_secs_f64(seconds);
        }
        if let Some(retries) = optional_int("max_retries", max_retries)? {
            builder = builder.max_retries_f64(retries);
        }
        // Built now so that configuration problems surface at construction (SPEC §2).
        let client = builder
            .clone()
            .build()
            .map_err(|err| error_to_py(py, err))?;
        Ok(NativeClient {
            state: Mutex::new(State {
                builder,
                client: Some((std::process::id(), client)),
            }),
        })
    }

    /// Mints a token, blocking this thread (not the GIL) until the core has an answer.
    fn token(&self, py: Python<'_>, linked_account_id: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let id = linked_account_id_arg(linked_account_id)?;
        let (client, runtime) = self.client(py)?;
        let mut task = runtime.spawn(async move { client.get_token_for_linked_account(&id).await });
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
        let outcome = joined.map_err(|err| PanicException::new_err(err.to_string()))?;
        Ok(Minted(outcome).into_pyobject(py)?.unbind())
    }

    /// Mints a token as an asyncio awaitable (call it from a coroutine on a running loop).
    fn token_async<'py>(
        &self,
        py: Python<'py>,
        linked_account_id: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let id = linked_account_id_arg(linked_account_id)?;
        let (client, runtime) = self.client(py)?;
        let _context = runtime.enter();
        pyo3_async_runtimes::generic::future_into_py::<ForkAwareTokio, _, _>(py, async move {
            Ok(Minted(client.get_token_for_linked_account(&id).await))
        })
    }

    /// Releases the connection pool; later calls raise `RuntimeError`.
    fn close(&self) {
        let dropped = self.lock().client.take();
        drop(dropped);
    }

    #[getter]
    fn closed(&self) -> bool {
        self.lock().client.is_none()
    }

    /// The session-token URL this client posts to.
    #[getter]
    fn endpoint(&self, py: Python<'_>) -> PyResult<String> {
        Ok(self.client(py)?.0.endpoint().to_owned())
    }

    /// The deployment name (ignoring a base URL override).
    #[getter]
    fn environment(&self, py: Python<'_>) -> PyResult<&'static str> {
        Ok(self.client(py)?.0.environment().as_str())
    }

    /// The user-agent sent with each request.
    #[getter]
    fn user_agent(&self, py: Python<'_>) -> PyResult<String> {
        Ok(self.client(py)?.0.user_agent().to_owned())
    }
}

impl NativeClient {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The core client of this process and the runtime to run it on. After `os.fork()` the
    /// child builds its own from the same options: the parent's pool is not usable here.
    /// Called with the GIL held, like [`runtime`], so the lock is never held across a fork.
    fn client(&self, py: Python<'_>) -> PyResult<(Client, &'static Runtime)> {
        let runtime = runtime(py)?;
        let pid = std::process::id();
        let mut state = self.lock();
        let Some((owner, client)) = &state.client else {
            return Err(PyRuntimeError::new_err(
                "This refold_session client is closed; create a new one.",
            ));
        };
        if *owner == pid {
            return Ok((client.clone(), runtime));
        }
        let client = state
            .builder
            .clone()
            .build()
            .map_err(|err| error_to_py(py, err))?;
        state.client = Some((pid, client.clone()));
        Ok((client, runtime))
    }
}

/// The outcome of one call, converted to Python on the thread that holds the GIL: the
/// fields of a `SessionToken`, or the exception of the error's code.
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
        );
        Ok(fields.into_pyobject(py)?.into_any())
    }
}

fn unix_micros(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_micros()).unwrap_or(i64::MAX),
        Err(before) => i64::try_from(before.duration().as_micros()).map_or(i64::MIN, |us| -us),
    }
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

fn type_name(value: &Bound<'_, PyAny>) -> String {
    value
        .get_type()
        .name()
        .map_or_else(|_| "?".to_owned(), |name| name.to_string())
}

fn linked_account_id_arg(value: &Bound<'_, PyAny>) -> PyResult<String> {
    let text = value.cast::<PyString>().map_err(|_| {
        PyTypeError::new_err(format!(
            "linked_account_id must be a str, not {}",
            type_name(value)
        ))
    })?;
    Ok(text.to_cow()?.into_owned())
}

fn optional_str(name: &str, value: Option<&Bound<'_, PyAny>>) -> PyResult<Option<String>> {
    match value {
        None => Ok(None),
        Some(value) if value.is_none() => Ok(None),
        Some(value) => match value.cast::<PyString>() {
            Ok(text) => Ok(Some(text.to_cow()?.into_owned())),
            Err(_) => Err(PyTypeError::new_err(format!(
                "{name} must be a str or None, not {}",
                type_name(value)
            ))),
        },
    }
}

/// An `int` or `float` (not `bool`), as seconds; the core judges its value.
fn optional_number(name: &str, value: Option<&Bound<'_, PyAny>>) -> PyResult<Option<f64>> {
    match value {
        None => Ok(None),
        Some(value) if value.is_none() => Ok(None),
        Some(value)
            if !value.is_instance_of::<PyBool>()
                && (value.is_instance_of::<PyInt>() || value.is_instance_of::<PyFloat>()) =>
        {
            // An int too large for a float is no valid timeout either: let the core say so.
            Ok(Some(value.extract::<f64>().unwrap_or(f64::INFINITY)))
        }
        Some(value) => Err(PyTypeError::new_err(format!(
            "{name} must be a number of seconds (int or float), not {}",
            type_name(value)
        ))),
    }
}

/// An `int` (not `bool`); the core judges its value (negative or huge → `configuration`).
fn optional_int(name: &str, value: Option<&Bound<'_, PyAny>>) -> PyResult<Option<f64>> {
    match value {
        None => Ok(None),
        Some(value) if value.is_none() => Ok(None),
        Some(value) if value.is_instance_of::<PyInt>() && !value.is_instance_of::<PyBool>() => {
            Ok(Some(match value.extract::<i64>() {
                Ok(count) => count as f64,
                Err(_) => f64::INFINITY,
            }))
        }
        Some(value) => Err(PyTypeError::new_err(format!(
            "{name} must be an int, not {}",
            type_name(value)
        ))),
    }
}

/// Whether the `log` → `logging` bridge is set up (or another logger was there first).
static LOG_BRIDGE: AtomicBool = AtomicBool::new(false);

/// Sends the core's log records to Python's `logging` under `refold_session.*`; nothing else
/// (reqwest, hyper…) is forwarded. Skipped if another logger is already installed.
///
/// Done on the first client built rather than at import, because `pyo3_log` imports
/// `logging` (≈ 10 ms with `traceback`, `tokenize`…). No log record is emitted before a
/// client exists, and until then the `log` crate's max level is `Off`. Only an atomic flag:
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
    Ok(())
}
