//! Asyncio results, delivered to their event loop in batches.
//!
//! An async call is one `asyncio.Future` of the caller's loop (`loop.create_future()`) and
//! one task on the runtime. The task pushes its outcome into the loop's [`Inbox`] (per loop,
//! per thread, per process); only the push that finds the inbox idle wakes the loop, and the
//! loop then delivers everything that arrived meanwhile in one [`Drain`] call, on its own
//! thread, with the GIL. A batch of completions costs one wake-up, not one per call.
//!
//! Waking the loop: on Unix the inbox owns a socket pair whose read end is watched by the
//! loop (`loop.add_reader`), so the runtime's threads wake it with a one-byte write and never
//! take the GIL. A loop without `add_reader` (Windows' proactor) gets
//! `loop.call_soon_threadsafe(drain)` instead, which does take the GIL (behind [`exit::pass`]).
//!
//! Each thread remembers the inbox of the loop it ran last; the loop keeps its inbox too (as
//! an attribute, when it takes one), so that other threads and alternating loops reuse it.
//!
//! Cancelling the future aborts the task (a done callback); a result that arrives for a future
//! that is already done (cancelled) is dropped, never set. After `os.fork()` a child builds its
//! own inboxes (the parent's tasks do not exist there); nothing here is a lock another thread
//! can hold across a fork except the receiver's, which is only taken with the GIL.

use std::cell::RefCell;
#[cfg(unix)]
use std::io::{Read, Write};
#[cfg(unix)]
use std::os::fd::AsRawFd;
#[cfg(unix)]
use std::os::unix::net::UnixStream;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, PoisonError};

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyWeakrefMethods, PyWeakrefReference};
use refold_session::Error;
use tokio::task::AbortHandle;

use crate::call::Outcome;
use crate::error::error_to_py;
use crate::exit;

/// A finished call: the future to complete and what to complete it with.
type Delivery = (Py<PyAny>, Outcome);

/// The completions waiting for one event loop.
pub(crate) struct Inbox {
    pid: u32,
    sender: Sender<Delivery>,
    /// Only locked by the loop's thread, with the GIL held.
    receiver: Mutex<Receiver<Delivery>>,
    /// Whether a wake-up is on its way (set by the push that found the inbox idle, cleared
    /// by the drain before it takes the deliveries).
    scheduled: AtomicBool,
    wake: Wake,
}

enum Wake {
    /// The loop watches `reader`; a byte written to `writer` wakes it.
    #[cfg(unix)]
    Fd {
        reader: UnixStream,
        writer: UnixStream,
    },
    /// `loop.call_soon_threadsafe`, called with a new [`Drain`] per wake-up from a blocking
    /// thread of the runtime.
    Threadsafe(Py<PyAny>),
}

impl Inbox {
    fn with(wake: Wake) -> Arc<Inbox> {
        let (sender, receiver) = channel();
        Arc::new(Inbox {
            pid: std::process::id(),
            sender,
            receiver: Mutex::new(receiver),
            scheduled: AtomicBool::new(false),
            wake,
        })
    }

    /// A new inbox for `event_loop` (the running loop of this thread), watched by it.
    fn new(event_loop: &Bound<'_, PyAny>) -> PyResult<Arc<Inbox>> {
        let py = event_loop.py();
        #[cfg(unix)]
        if let Ok((reader, writer)) = UnixStream::pair()
            && reader.set_nonblocking(true).is_ok()
            && writer.set_nonblocking(true).is_ok()
        {
            let fd = reader.as_raw_fd();
            let inbox = Inbox::with(Wake::Fd { reader, writer });
            let drain = Drain(Arc::clone(&inbox));
            // Not every loop can watch a descriptor (the proactor loop cannot).
            if event_loop
                .call_method1(intern!(py, "add_reader"), (fd, drain))
                .is_ok()
            {
                return Ok(inbox);
            }
        }
        let call_soon_threadsafe = event_loop.getattr(intern!(py, "call_soon_threadsafe"))?;
        Ok(Inbox::with(Wake::Threadsafe(call_soon_threadsafe.unbind())))
    }

    /// Queues a finished call (from any thread, without the GIL) and wakes the loop if no
    /// wake-up is on its way already.
    fn push(self: &Arc<Self>, future: Py<PyAny>, outcome: Outcome) {
        // The receiver lives as long as `self`: sending cannot fail.
        let _ = self.sender.send((future, outcome));
        if !self.scheduled.swap(true, SeqCst) {
            self.wake();
        }
    }

    fn wake(self: &Arc<Self>) {
        match &self.wake {
            #[cfg(unix)]
            Wake::Fd { writer, .. } => {
                // A full socket (WouldBlock) is readable already; a closed loop reads nothing,
                // and its futures are unreachable anyway.
                let _ = (&*writer).write(&[1]);
            }
            Wake::Threadsafe(_) => {
                // Taking the GIL can wait for long: not on a worker thread of the runtime.
                let inbox = Arc::clone(self);
                tokio::task::spawn_blocking(move || inbox.call_soon_threadsafe());
            }
        }
    }

    /// Schedules a [`Drain`] with `loop.call_soon_threadsafe` (see [`Wake::Threadsafe`]).
    fn call_soon_threadsafe(self: &Arc<Self>) {
        let Wake::Threadsafe(call_soon_threadsafe) = &self.wake else {
            return;
        };
        // Not once the interpreter is shutting down (see `exit`): the loops are gone.
        let Some(_pass) = exit::pass() else { return };
        Python::attach(|py| {
            let scheduled = Bound::new(py, Drain(Arc::clone(self)))
                .and_then(|drain| call_soon_threadsafe.bind(py).call1((drain,)));
            if scheduled.is_err() {
                // A closed loop: its futures can never be awaited; drop the results.
                drop(self.take());
            }
        });
    }

    /// Everything queued so far (with the GIL: see `receiver`).
    fn take(&self) -> Vec<Delivery> {
        let receiver = self.receiver.lock().unwrap_or_else(PoisonError::into_inner);
        receiver.try_iter().collect()
    }
}

/// Run by the event loop (on its thread): completes the futures of everything queued.
#[pyclass(module = "refold_session._native", name = "_Drain", frozen)]
struct Drain(Arc<Inbox>);

#[pymethods]
impl Drain {
    fn __call__(&self, py: Python<'_>) {
        #[cfg(unix)]
        if let Wake::Fd { reader, .. } = &self.0.wake {
            // Consume the wake-up bytes first, then clear the flag: a push after this read
            // writes a new byte (or finds the flag still set and is delivered below).
            let mut buffer = [0u8; 64];
            while matches!((&*reader).read(&mut buffer), Ok(n) if n > 0) {}
        }
        self.0.scheduled.swap(false, SeqCst);
        // The calls' traces were queued before their answers: recorded first.
        crate::telemetry::drain(py);
        for (future, outcome) in self.0.take() {
            deliver(py, future.bind(py), outcome);
        }
    }
}

/// Sets `future`'s result or exception, unless it is done already (cancelled); a panic while
/// converting the outcome is the `internal` error.
fn deliver(py: Python<'_>, future: &Bound<'_, PyAny>, outcome: Outcome) {
    let pending = future
        .call_method0(intern!(py, "done"))
        .and_then(|done| done.is_truthy())
        .is_ok_and(|done| !done);
    if !pending {
        return;
    }
    let converted = catch_unwind(AssertUnwindSafe(|| outcome.into_pyobject(py)))
        .unwrap_or_else(|panic| Err(error_to_py(py, Error::from_panic(panic.as_ref()))));
    // Cannot fail on a pending future; an error here has nowhere to go.
    let _ = match converted {
        Ok(value) => future.call_method1(intern!(py, "set_result"), (value,)),
        Err(err) => future.call_method1(intern!(py, "set_exception"), (err.into_value(py),)),
    };
}

/// The done callback of a call's future: aborts its task (a no-op once the task finished),
/// so that cancelling the awaitable stops the work.
#[pyclass(module = "refold_session._native", name = "_Abort", frozen)]
struct Abort(AbortHandle);

#[pymethods]
impl Abort {
    fn __call__(&self, _future: &Bound<'_, PyAny>) {
        self.0.abort();
    }
}

/// How this thread last found its running loop: that loop (weakly, when it can be) and its
/// inbox.
enum LoopRef {
    Weak(Py<PyWeakrefReference>),
    Strong(Py<PyAny>),
}

impl LoopRef {
    fn is(&self, py: Python<'_>, event_loop: &Bound<'_, PyAny>) -> bool {
        match self {
            LoopRef::Weak(weak) => weak
                .bind(py)
                .upgrade()
                .is_some_and(|found| found.is(event_loop)),
            LoopRef::Strong(found) => found.bind(py).is(event_loop),
        }
    }
}

thread_local! {
    static INBOX: RefCell<Option<(LoopRef, Arc<Inbox>)>> = const { RefCell::new(None) };
}

/// The inbox of `event_loop`, the running loop of this thread: the one this thread used last
/// if it is the same loop (in this process), else the one kept on the loop, else a new one.
fn inbox(event_loop: &Bound<'_, PyAny>) -> PyResult<Arc<Inbox>> {
    let py = event_loop.py();
    let pid = std::process::id();
    let known = INBOX.with(|slot| match &*slot.borrow() {
        Some((found, inbox)) if inbox.pid == pid && found.is(py, event_loop) => {
            Some(Arc::clone(inbox))
        }
        _ => None,
    });
    if let Some(inbox) = known {
        return Ok(inbox);
    }
    let name = intern!(py, "_refold_session_inbox");
    let kept = event_loop
        .getattr_opt(name)
        .ok()
        .flatten()
        .and_then(|kept| kept.cast_into::<Drain>().ok())
        .map(|drain| Arc::clone(&drain.get().0))
        .filter(|inbox| inbox.pid == pid);
    let inbox = match kept {
        Some(inbox) => inbox,
        None => {
            let inbox = Inbox::new(event_loop)?;
            // Kept on the loop when it takes attributes (asyncio's do, uvloop's do not), so
            // that threads and alternating loops find it again instead of adding readers.
            let _ = event_loop.setattr(name, Drain(Arc::clone(&inbox)));
            inbox
        }
    };
    let found = match PyWeakrefReference::new(event_loop) {
        Ok(weak) => LoopRef::Weak(weak.unbind()),
        Err(_) => LoopRef::Strong(event_loop.clone().unbind()),
    };
    // Replaced outside the borrow: dropping the previous entry may run Python code.
    let previous = INBOX.with(|slot| slot.replace(Some((found, Arc::clone(&inbox)))));
    drop(previous);
    Ok(inbox)
}

/// `asyncio.get_running_loop` (raises `RuntimeError` outside a running loop).
fn running_loop(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    static GET_RUNNING_LOOP: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    GET_RUNNING_LOOP
        .get_or_try_init(py, || {
            Ok::<_, PyErr>(py.import("asyncio")?.getattr("get_running_loop")?.unbind())
        })?
        .bind(py)
        .call0()
}

/// The future `make` builds, as an asyncio future of the running loop, run as a task of
/// `runtime`. The core's futures are large (kilobytes): they are built and boxed on the
/// runtime's thread, so that the loop's thread only moves `make` (a few words) into the task.
pub(crate) fn awaitable<'py, F>(
    py: Python<'py>,
    runtime: &'static tokio::runtime::Runtime,
    make: impl FnOnce() -> F + Send + 'static,
) -> PyResult<Bound<'py, PyAny>>
where
    F: Future<Output = Outcome> + Send + 'static,
{
    let event_loop = running_loop(py)?;
    let inbox = inbox(&event_loop)?;
    let waiting = event_loop.call_method0(intern!(py, "create_future"))?;
    let target = waiting.clone().unbind();
    let task = runtime.spawn(async move {
        let outcome = Box::pin(make()).await;
        inbox.push(target, outcome);
    });
    let abort = Bound::new(py, Abort(task.abort_handle()))?;
    if let Err(err) = waiting.call_method1(intern!(py, "add_done_callback"), (abort,)) {
        task.abort();
        return Err(err);
    }
    Ok(waiting)
}
