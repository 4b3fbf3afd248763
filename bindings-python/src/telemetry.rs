//! The core's telemetry hook, bridged to the host's OpenTelemetry: each call's trace plan (core's
//! `telemetry::plan`, every name decided) goes to `refold_session._telemetry`, which replays it
//! through the host's API (docs/contract.md §18).
//!
//! Installed only when Python handed a bridge object to the client (the `opentelemetry` API is
//! importable and the option `telemetry` is not off). At each call's start, on the calling
//! thread, [`Bridge::begin`] asks Python for the current span's `traceparent` and whether an
//! SDK is registered; without one, traces are dropped in the hook, unseen by Python.
//!
//! A trace is not handed to Python on the runtime thread that reports it (that would take the
//! GIL once per call from the I/O threads): it is queued, and the thread that already holds
//! the GIL to return the call's answer (the blocking caller, the event loop's drain) records
//! everything queued first. A background refresh has no caller: its trace is recorded from a
//! blocking thread. Only atomics and a receiver locked with the GIL: a fork inherits no held
//! lock, and a child drops its parent's traces.

use std::sync::atomic::{AtomicBool, Ordering::Relaxed, Ordering::SeqCst};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};
use refold_session::telemetry::plan::{
    AttributeValue, Attributes, INSTRUMENTS, InstrumentKind, SCOPE, SCOPE_VERSION,
};
use refold_session::telemetry::{CacheOutcome, CallTrace, Telemetry, TraceParent};

use crate::exit;

/// The Python half (`_telemetry.Bridge`) and what it said last about the host's SDK.
pub(crate) struct Bridge {
    python: Py<PyAny>,
    /// Whether a tracer or meter provider is registered (updated at each call's start).
    recording: AtomicBool,
}

impl Bridge {
    pub(crate) fn new(python: Py<PyAny>) -> Arc<Bridge> {
        Arc::new(Bridge {
            python,
            recording: AtomicBool::new(false),
        })
    }

    /// The `traceparent` of the host's current span (when valid), on the calling thread; notes
    /// whether traces are wanted. A failure of the Python half costs the call nothing.
    pub(crate) fn begin(&self, py: Python<'_>) -> Option<TraceParent> {
        let answer = self
            .python
            .bind(py)
            .call_method0(intern!(py, "begin"))
            .and_then(|answer| answer.extract::<(Option<String>, bool)>());
        match answer {
            Ok((traceparent, recording)) => {
                self.recording.store(recording, Relaxed);
                traceparent.and_then(|text| TraceParent::parse(&text).ok())
            }
            Err(_) => None,
        }
    }
}

/// The hook installed in a core client: queues the traces its bridge wants.
pub(crate) struct Hook(pub(crate) Arc<Bridge>);

impl Telemetry for Hook {
    fn enabled(&self) -> bool {
        self.0.recording.load(Relaxed)
    }

    fn record(&self, trace: &CallTrace) {
        if !self.0.recording.load(Relaxed) {
            return;
        }
        let queue = queue();
        // Full (nothing drained for a long while): the trace is dropped, never queued unbounded.
        let _ = queue.sender.try_send(Queued {
            pid: std::process::id(),
            bridge: Arc::clone(&self.0),
            trace: trace.clone(),
        });
        queue.pending.store(true, SeqCst);
        if trace.call.cache == Some(CacheOutcome::Refresh)
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            // No caller will drain it: a blocking thread (never a worker) takes the GIL.
            runtime.spawn_blocking(|| {
                if let Some(_pass) = exit::pass() {
                    Python::attach(drain);
                }
            });
        }
    }
}

struct Queued {
    pid: u32,
    bridge: Arc<Bridge>,
    trace: CallTrace,
}

struct Queue {
    sender: SyncSender<Queued>,
    /// Only locked with the GIL.
    receiver: Mutex<Receiver<Queued>>,
    /// Whether something may be queued: a drain with nothing to do costs one atomic.
    pending: AtomicBool,
}

static QUEUE: OnceLock<Queue> = OnceLock::new();

/// Most traces waiting for a thread that holds the GIL.
const MAX_QUEUED: usize = 16_384;

fn queue() -> &'static Queue {
    QUEUE.get_or_init(|| {
        let (sender, receiver) = sync_channel(MAX_QUEUED);
        Queue {
            sender,
            receiver: Mutex::new(receiver),
            pending: AtomicBool::new(false),
        }
    })
}

/// Hands every queued trace to Python (with the GIL, on a thread that holds it anyway).
pub(crate) fn drain(py: Python<'_>) {
    let Some(queue) = QUEUE.get() else { return };
    if !queue.pending.swap(false, SeqCst) {
        return;
    }
    let queued: Vec<Queued> = {
        let receiver = queue
            .receiver
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        receiver.try_iter().collect()
    };
    let pid = std::process::id();
    for item in queued.into_iter().filter(|item| item.pid == pid) {
        // The host's exporter failing must not fail the call that drains.
        let _ = trace_to_py(py, &item.trace).and_then(|trace| {
            item.bridge
                .python
                .bind(py)
                .call_method1(intern!(py, "record"), (trace,))
        });
    }
}

/// `(name, kind, unit, description, buckets)`.
type DeclaredInstrument = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Vec<f64>,
);

/// `(scope, version, instruments)`, each instrument `(name, kind, unit, description,
/// buckets)`: core's declaration, made into the host's instruments once.
pub(crate) fn declared() -> (&'static str, &'static str, Vec<DeclaredInstrument>) {
    let instruments = INSTRUMENTS
        .iter()
        .map(|spec| {
            let kind = match spec.kind {
                InstrumentKind::Counter => "counter",
                InstrumentKind::Histogram => "histogram",
            };
            (
                spec.name,
                kind,
                spec.unit,
                spec.description,
                spec.buckets.to_vec(),
            )
        })
        .collect();
    (SCOPE, SCOPE_VERSION, instruments)
}

/// Attributes as a dict (keys and values as the plan has them).
fn attributes_to_py<'py>(py: Python<'py>, attributes: &Attributes) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (key, value) in attributes.iter() {
        match value {
            AttributeValue::Str(text) => dict.set_item(key, text.as_ref())?,
            AttributeValue::Int(number) => dict.set_item(key, number)?,
            AttributeValue::Float(number) => dict.set_item(key, number)?,
        }
    }
    Ok(dict)
}

/// The trace's plan as `(parent, spans, points)`: each span `(name, kind, parent index,
/// start_ns, end_ns, error, attributes)`, each point `(instrument index, value, attributes)`.
fn trace_to_py<'py>(py: Python<'py>, trace: &CallTrace) -> PyResult<Bound<'py, PyTuple>> {
    let plan = trace.plan();
    let spans = PyList::empty(py);
    for span in &plan.spans {
        spans.append((
            span.name.as_ref(),
            span.kind.as_str(),
            span.parent,
            span.start.unix_nanos(),
            span.end.unix_nanos(),
            span.error,
            attributes_to_py(py, &span.attributes)?,
        ))?;
    }
    let points = PyList::empty(py);
    for point in &plan.points {
        points.append((
            point.instrument,
            point.value,
            attributes_to_py(py, &point.attributes)?,
        ))?;
    }
    (plan.parent, spans, points).into_pyobject(py)
}
