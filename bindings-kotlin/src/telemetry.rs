//! The core's telemetry hook for the JVM: each call's trace plan (core's `telemetry::plan`, every
//! name decided), as one byte record, handed to `NativeFast.record(byte[])` on the thread that
//! ends the call (a runtime thread, attached as a daemon, or the calling JVM thread for a
//! synchronous cache hit), where `OpenTelemetryBridge.kt` replays it through the application's
//! OpenTelemetry.
//!
//! The Kotlin layer installs the hook only when the OpenTelemetry API is on the classpath and
//! JNI is bound (`NativeFast.available`), and says whether an OpenTelemetry is registered
//! ([`set_recording`]): without one, a trace is dropped here, before anything is encoded or
//! crosses into the JVM.
//!
//! # The record (big-endian, the string and option encodings of `fast.rs`): core's plan
//!
//! ```text
//! plan:       opt str parent · i32 span count · span… · i32 point count · point…
//! span:       str name · u8 kind (0 internal, 1 client) · i32 parent (-1: the call's parent)
//!             · i64 start (ns since the epoch) · i64 end · u8 error · attributes
//! point:      i32 instrument · f64 value (as its IEEE bits, i64) · attributes
//! attributes: i32 count · (str key · u8 type (0 text, 1 long, 2 double) · value)…
//! ```

use std::sync::atomic::{AtomicBool, Ordering};

use refold_session::telemetry::plan::{
    AttributeValue, Attributes, INSTRUMENTS, InstrumentKind, SCOPE, SCOPE_VERSION, SpanKind,
};
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
    let plan = trace.plan();
    let mut record = Record::new(256 + 256 * plan.spans.len());
    record.opt(plan.parent.as_deref(), |r, parent| r.str(parent.as_bytes()));
    record.i32(count(plan.spans.len()));
    for span in &plan.spans {
        record.str(span.name.as_bytes());
        record.u8(match span.kind {
            SpanKind::Internal => 0,
            SpanKind::Client => 1,
        });
        record.i32(span.parent.map_or(-1, count));
        record.i64(nanos(span.start.unix_nanos()));
        record.i64(nanos(span.end.unix_nanos()));
        record.u8(u8::from(span.error));
        attributes(&mut record, &span.attributes);
    }
    record.i32(count(plan.points.len()));
    for point in &plan.points {
        record.i32(count(point.instrument));
        record.i64(point.value.to_bits() as i64);
        attributes(&mut record, &point.attributes);
    }
    record
}

fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

fn nanos(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn attributes(record: &mut Record, attributes: &Attributes) {
    record.i32(count(attributes.0.len()));
    for (key, value) in attributes.iter() {
        record.str(key.as_bytes());
        match value {
            AttributeValue::Str(text) => {
                record.u8(0);
                record.str(text.as_bytes());
            }
            AttributeValue::Int(number) => {
                record.u8(1);
                record.i64(*number);
            }
            AttributeValue::Float(number) => {
                record.u8(2);
                record.i64(number.to_bits() as i64);
            }
        }
    }
}

/// One metric instrument as core declares it (`telemetry::plan::INSTRUMENTS`).
#[derive(uniffi::Record)]
pub struct TelemetryInstrument {
    pub name: String,
    /// `counter` or `histogram`.
    pub kind: String,
    pub unit: String,
    pub description: String,
    /// A histogram's advised bucket boundaries (empty: the SDK's default).
    pub buckets: Vec<f64>,
}

/// The instrumentation scope and instruments every trace record's points refer to by index.
#[derive(uniffi::Record)]
pub struct TelemetryDeclaration {
    pub scope: String,
    pub version: String,
    pub instruments: Vec<TelemetryInstrument>,
}

/// Core's declaration of the scope and instruments, made into the JVM's once.
#[uniffi::export]
pub fn telemetry_declaration() -> TelemetryDeclaration {
    TelemetryDeclaration {
        scope: SCOPE.to_owned(),
        version: SCOPE_VERSION.to_owned(),
        instruments: INSTRUMENTS
            .iter()
            .map(|spec| TelemetryInstrument {
                name: spec.name.to_owned(),
                kind: match spec.kind {
                    InstrumentKind::Counter => "counter",
                    InstrumentKind::Histogram => "histogram",
                }
                .to_owned(),
                unit: spec.unit.to_owned(),
                description: spec.description.to_owned(),
                buckets: spec.buckets.to_vec(),
            })
            .collect(),
    }
}
