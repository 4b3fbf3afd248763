//! Keeps our threads from attaching to a finalizing interpreter.
//!
//! Before Python 3.14, a thread that asks for the GIL while the interpreter finalizes is
//! ended with `pthread_exit`; unwinding that through Rust frames aborts the whole process
//! (seen as a random SIGABRT at exit after asyncio calls). So every attach from a thread of
//! ours — delivering an asyncio result, forwarding a log record, returning from a blocking
//! call — first takes a [`Pass`]. An `atexit` hook (which runs before finalization starts)
//! closes the gate and waits, with the GIL released, for the passes in flight; afterwards no
//! new pass is given: asyncio results are dropped (their loops are gone), log records are
//! skipped, and a blocking call that returns parks its thread until the process exits, as
//! Python 3.14 itself does.
//!
//! Only atomics are used, so a fork can never inherit a held lock; the child resets the
//! count (`os.register_at_fork`).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::time::{Duration, Instant};

use pyo3::prelude::*;

static CLOSED: AtomicBool = AtomicBool::new(false);
static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);

/// The longest the exit hook waits for attaches in flight.
const DRAIN_LIMIT: Duration = Duration::from_secs(1);

/// Permission to attach to the interpreter; hold it until detached again.
pub(crate) struct Pass(());

impl Drop for Pass {
    fn drop(&mut self) {
        IN_FLIGHT.fetch_sub(1, SeqCst);
    }
}

/// A pass, unless the interpreter is shutting down.
pub(crate) fn pass() -> Option<Pass> {
    IN_FLIGHT.fetch_add(1, SeqCst);
    if CLOSED.load(SeqCst) {
        IN_FLIGHT.fetch_sub(1, SeqCst);
        return None;
    }
    Some(Pass(()))
}

/// A pass, or never return: for a thread that must re-attach but the process is exiting.
pub(crate) fn pass_or_park() -> Pass {
    match pass() {
        Some(pass) => pass,
        None => loop {
            std::thread::park();
        },
    }
}

/// Registered with `atexit`: closes the gate and waits for the attaches in flight.
#[pyfunction]
pub(crate) fn _close_before_exit(py: Python<'_>) {
    CLOSED.store(true, SeqCst);
    py.detach(|| {
        let started = Instant::now();
        while IN_FLIGHT.load(SeqCst) > 0 && started.elapsed() < DRAIN_LIMIT {
            std::thread::sleep(Duration::from_millis(1));
        }
    });
}

/// Registered with `os.register_at_fork(after_in_child=…)`: the parent's threads that held
/// passes do not exist in the child.
#[pyfunction]
pub(crate) fn _after_fork_in_child() {
    IN_FLIGHT.store(0, SeqCst);
    CLOSED.store(false, SeqCst);
}

/// The log bridge, behind the gate.
pub(crate) struct GatedLogger(pub(crate) pyo3_log::Logger);

impl log::Log for GatedLogger {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        self.0.enabled(metadata)
    }

    fn log(&self, record: &log::Record<'_>) {
        // Cheap Rust-side filtering first; a pass only for records that reach Python.
        if !self.0.enabled(record.metadata()) {
            return;
        }
        if let Some(_pass) = pass() {
            self.0.log(record);
        }
    }

    fn flush(&self) {}
}
