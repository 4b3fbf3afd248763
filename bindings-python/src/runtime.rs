//! The one tokio runtime of this binding, re-created in a child after `os.fork()`.
//!
//! A runtime built before a fork is dead in the child (its worker threads were not copied),
//! so the runtime is remembered together with the pid that built it. The slot is only ever
//! locked by a thread holding the GIL, and `os.fork()` runs with the GIL held, so no other
//! thread can own the lock at the moment of a fork.

use std::sync::{Mutex, PoisonError};

use pyo3::prelude::*;
use refold_session::Error;
use tokio::runtime::Runtime;

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
