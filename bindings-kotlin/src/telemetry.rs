//! The core's telemetry hook for the JVM: each call's trace, as one byte record, handed to
//! `NativeFast.record(byte[])` on the thread that ends the call (a runtime thread, attached as
//! a daemon, or the calling JVM thread for a synchronous cache hit), where the Kotlin bridge
//! (`Tracing.kt`) turns it into spans and metrics of the application's OpenTelemetry.
//!
//! The Kotlin layer installs the hook only when the OpenTelemetry API is on the classpath and
//! JNI is bound (`NativeFast.available`), and says whether an OpenTelemetry is registered
//! ([`set_recording`]): without one, a trace is dropped here, before anything is encoded or
//! crosses into the JVM.
//!
//! # The record (big-endian, the string, option and time encodings of `fast.rs`)
//!
//! ```text
//! trace:   str name · time started · duration · opt str error · opt str cache
//!          · opt str linked_account_id · opt str parent · i32 attempt count · attempt…
//! attempt: str method · str route · str server_address · i32 port · opt i32 status
//!          · opt str error · i32 attempt · time started · duration · duration budget_wait
//! ```

use std::sync::atomic::{AtomicBool, Ordering};

use refold_session::telemetry::{CallTrace, Telemetry};

use crate::fast::{self, Record};

/// Whether the application has an OpenTelemetry registered (set by the Kotlin layer).
static RECORDING: AtomicBool = AtomicBool::new(false);

pub(crate) fn set_recording(on: bool) {
    RECORDING.store(on, Ordering::Relaxed);
}

/// The hook every client built with `observed` carries.
pub(crate) struct JvmTelemetry;

impl Telemetry for JvmTelemetry {
    fn record(&self, trace: &CallTrace) {
        if RECORDING.load(Ordering::Relaxed) {
            fast::deliver_trace(&trace_record(trace));
        }
    }

    fn enabled(&self) -> bool {
        RECORDING.load(Ordering::Relaxed)
    }
}

pub(crate) fn trace_record(trace: &CallTrace) -> Record {
    let call = &trace.call;
    let mut record = Record::new(128 + 160 * trace.attempts.len());
    record.str(call.name.as_bytes());
    record.time(call.started_at);
    record.duration(call.duration, 1);
    record.opt(call.error, |r, code| r.str(code.as_str().as_bytes()));
    record.opt(call.cache, |r, cache| r.str(cache.as_str().as_bytes()));
    record.opt(call.linked_account_id.as_deref(), |r, id| {
        r.str(id.as_bytes())
    });
    record.opt(call.parent.as_ref(), |r, parent| {
        r.str(parent.as_str().as_bytes())
    });
    record.i32(i32::try_from(trace.attempts.len()).unwrap_or(i32::MAX));
    for attempt in &trace.attempts {
        record.str(attempt.method.as_bytes());
        record.str(attempt.route.as_bytes());
        record.str(attempt.server_address.as_bytes());
        record.i32(i32::from(attempt.server_port));
        record.opt(attempt.status, |r, status| r.i32(i32::from(status)));
        record.opt(attempt.error, |r, code| r.str(code.as_str().as_bytes()));
        record.i32(i32::try_from(attempt.attempt).unwrap_or(i32::MAX));
        record.time(attempt.started_at);
        record.duration(attempt.duration, 1);
        record.duration(attempt.budget_wait, 1);
    }
    record
}
