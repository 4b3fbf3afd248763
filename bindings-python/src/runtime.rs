//! The one tokio runtime of this binding, re-created in a child after `os.fork()`, and its
//! adapter for pyo3-async-runtimes.
//!
//! A runtime built before a fork is dead in the child (its worker threads were not copied),
//! so the runtime is remembered together with the pid that built it. The slot is only ever
//! locked by a thread holding the GIL, and `os.fork()` runs with the GIL held, so no other
//! thread can own the lock at the moment of a fork.

use std::cell::OnceCell;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Mutex, PoisonError};

use pyo3::prelude::*;
use pyo3_async_runtimes::TaskLocals;
use pyo3_async_runtimes::generic::{ContextExt, Runtime as AsyncRuntime};
use refold_session::Error;
use tokio::runtime::{Handle, Runtime};

static RUNTIME: Mutex<Option<(u32, &'static Runtime)>> = Mutex::new(None);

/// This process's runtime, started on first use. Needs the GIL (see the module docs). One
/// that cannot start is the core's `internal` error (docs/contract.md §Errors).
pub(crate) fn runtime(_py: Python<'_>) -> Result<&'static Runtime, Error> {
    let pid = std::process::id();
    let mut slot = RUNTIME.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((owner, runtime)) = *slot
        && owner == pid
    {
        return Ok(runtime);
    }
    let forked = slot.is_some();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("refold-session-io")
        .build()
        .map_err(|err| Error::internal(&format!("the I/O threads could not start: {err}")))?;
    // Leaked on purpose: a runtime is never dropped, because dropping one inherited across a
    // fork would wait forever for worker threads that do not exist in this process, and the
    // threads of a live one end with the process anyway.
    let runtime: &'static Runtime = Box::leak(Box::new(runtime));
    *slot = Some((pid, runtime));
    if forked {
        log::debug!(target: "refold_session::python", "started new I/O threads after fork (pid {pid})");
    }
    Ok(runtime)
}

/// pyo3-async-runtimes' view of [`runtime`]. Its `spawn` runs either inside a task of our
/// runtime or under [`Runtime::enter`], so `Handle::current()` always finds ours.
pub(crate) struct ForkAwareTokio;

tokio::task_local! {
    static TASK_LOCALS: OnceCell<TaskLocals>;
}

impl AsyncRuntime for ForkAwareTokio {
    type JoinError = tokio::task::JoinError;
    type JoinHandle = tokio::task::JoinHandle<()>;

    fn spawn<F>(fut: F) -> Self::JoinHandle
    where
        F: Future<Output = ()> + Send + 'static,
    {
        Handle::current().spawn(fut)
    }

    fn spawn_blocking<F>(f: F) -> Self::JoinHandle
    where
        F: FnOnce() + Send + 'static,
    {
        // pyo3-async-runtimes attaches to Python in these (to deliver a result): not once
        // the interpreter is shutting down (see `exit`); `f` is then dropped unrun.
        Handle::current().spawn_blocking(move || {
            if let Some(_pass) = crate::exit::pass() {
                f();
            }
        })
    }
}

impl ContextExt for ForkAwareTokio {
    fn scope<F, R>(locals: TaskLocals, fut: F) -> Pin<Box<dyn Future<Output = R> + Send>>
    where
        F: Future<Output = R> + Send + 'static,
    {
        let cell = OnceCell::new();
        let _ = cell.set(locals);
        Box::pin(TASK_LOCALS.scope(cell, fut))
    }

    fn get_task_locals() -> Option<TaskLocals> {
        TASK_LOCALS
            .try_with(|cell| cell.get().cloned())
            .unwrap_or_default()
    }
}
