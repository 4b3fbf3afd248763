//! The native half of the OpenTelemetry bridge and of the log bridge (docs/contract.md §18,
//! Node): the core's [`Telemetry`] hook hands each call's trace plan (core's
//! `telemetry::plan`: spans and metric points, every name decided) to JavaScript as JSON text
//! (`telemetry.js` replays it through `@opentelemetry/api`) so that a call's spans have ended
//! when JavaScript resumes: an asynchronous call's with its completion (`dispatch.rs`), a
//! synchronous call's (a cache hit) as it returns ([`TraceHook::record_made_during`]); any
//! other (a background refresh) through one weak threadsafe function per environment. One
//! process-wide `log::Log` hands the core's log lines
//! to the environment that set it up last. Both do nothing until JavaScript switches them on:
//! a trace is dropped at once while no tracer or meter provider is registered.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use napi::bindgen_prelude::{Either, Function, FunctionRef};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{Env, Result, Status};
use napi_derive::napi;
use refold_session::telemetry::{CallTrace, Telemetry};

use crate::dispatch::{guarded, keep_for_completion};
use crate::records::ErrorPayload;

/// Most traces or log lines waiting for the JavaScript thread: beyond it (a blocked event
/// loop) new ones are dropped rather than queued without bound.
const MAX_QUEUED: usize = 16_384;

/// Hands text to one JavaScript callback `(text) => void`; weak, so it never keeps the
/// process alive; bounded by [`MAX_QUEUED`].
type TextSink = ThreadsafeFunction<String, (), String, Status, false, true, MAX_QUEUED>;

fn text_sink(callback: Function<String, ()>) -> Result<TextSink> {
    callback
        .build_threadsafe_function::<String>()
        .callee_handled::<false>()
        .weak::<true>()
        .max_queue_size::<MAX_QUEUED>()
        .build()
}

/// The trace hook of one JavaScript environment, shared by its clients.
#[napi]
pub struct NativeTelemetry {
    pub(crate) hook: Arc<TraceHook>,
}

pub(crate) struct TraceHook {
    traces: TextSink,
    /// The same callback, called directly for the traces a synchronous call made on the
    /// JavaScript thread ([`TraceHook::record_made_during`]).
    here: FunctionRef<String, ()>,
    /// Whether a tracer or meter provider is registered (set from JavaScript when it changes).
    recording: AtomicBool,
}

thread_local! {
    /// The traces made on this JavaScript thread by the synchronous call running now
    /// ([`TraceHook::record_made_during`]); `None` outside one.
    static MADE_HERE: RefCell<Option<Vec<String>>> = const { RefCell::new(None) };
}

/// Puts back what [`MADE_HERE`] held before a synchronous call, even if the call panicked.
struct Restore(Option<Vec<String>>);

impl Drop for Restore {
    fn drop(&mut self) {
        let outer = self.0.take();
        let _ = MADE_HERE.try_with(|here| here.replace(outer));
    }
}

impl TraceHook {
    /// Runs `call`, a synchronous call on the JavaScript thread of `env` (a cache hit), and
    /// records the traces it made before returning: their spans have ended when JavaScript
    /// resumes, as an asynchronous call's have (else they would cross on a later turn of the
    /// event loop). Recorded after the call, not inside it: the application's span processors
    /// then run outside the core.
    pub(crate) fn record_made_during<R>(&self, env: &Env, call: impl FnOnce() -> R) -> R {
        if !self.recording.load(Ordering::Relaxed) {
            return call();
        }
        let restore = Restore(MADE_HERE.with(|here| here.replace(Some(Vec::new()))));
        let result = call();
        let made = MADE_HERE.with(RefCell::take);
        drop(restore);
        if let Some(made) = made.filter(|made| !made.is_empty())
            && let Ok(record) = self.here.borrow_back(env)
        {
            for plan in made {
                // `telemetry.js` never throws; a failing SDK loses that trace only.
                let _ = record.call(plan);
            }
        }
        result
    }
}

/// Runs the synchronous call `call` on the JavaScript thread of `env` through the client's
/// trace hook, if it has one ([`TraceHook::record_made_during`]).
pub(crate) fn recorded_here<R>(
    hook: Option<&Arc<TraceHook>>,
    env: &Env,
    call: impl FnOnce() -> R,
) -> R {
    match hook {
        Some(hook) => hook.record_made_during(env, call),
        None => call(),
    }
}

/// Keeps `plan` for the synchronous call running on this thread, if one is; else gives it back.
fn keep_for_this_call(plan: String) -> Option<String> {
    let mut plan = Some(plan);
    let _ = MADE_HERE.try_with(|here| {
        if let Some(made) = here.borrow_mut().as_mut() {
            made.extend(plan.take());
        }
    });
    plan
}

#[napi]
impl NativeTelemetry {
    /// Whether traces are handed to JavaScript (`false`: dropped in the hook, no crossing).
    #[napi]
    pub fn set_recording(&self, recording: bool) {
        self.hook.recording.store(recording, Ordering::Relaxed);
    }
}

/// Creates the environment's trace hook around `callback(traceJson)`.
#[napi]
pub fn create_telemetry(
    callback: Function<String, ()>,
) -> Result<Either<NativeTelemetry, ErrorPayload>> {
    guarded(
        std::panic::AssertUnwindSafe(|| {
            Ok(Either::A(NativeTelemetry {
                hook: Arc::new(TraceHook {
                    here: callback.create_ref()?,
                    traces: text_sink(callback)?,
                    recording: AtomicBool::new(false),
                }),
            }))
        }),
        Either::B,
    )
}

impl Telemetry for TraceHook {
    fn enabled(&self) -> bool {
        self.recording.load(Ordering::Relaxed)
    }

    fn record(&self, trace: &CallTrace) {
        if !self.recording.load(Ordering::Relaxed) {
            return;
        }
        // Fails only when the environment is gone: then nobody records the trace.
        let Ok(plan) = serde_json::to_string(&trace.plan()) else {
            return;
        };
        // A call's trace rides with its completion, a synchronous call's is recorded as it
        // returns; any other (a background refresh) goes alone.
        if let Some(plan) = keep_for_completion(plan).and_then(keep_for_this_call) {
            let _ = self
                .traces
                .call(plan, ThreadsafeFunctionCallMode::NonBlocking);
        }
    }
}

/// The instruments every trace's metric points refer to by index, with the instrumentation
/// scope: `{scope, version, instruments}` as JSON (core's declaration, `telemetry.js` makes them).
#[napi]
pub fn telemetry_instruments() -> String {
    use refold_session::telemetry::plan::{INSTRUMENTS, SCOPE, SCOPE_VERSION};
    serde_json::json!({
        "scope": SCOPE,
        "version": SCOPE_VERSION,
        "instruments": INSTRUMENTS,
    })
    .to_string()
}

// ---------------------------------------------------------------------------------------------
// Logs.

/// Where the core's log lines go: the environment that called `setLogSink` last.
static LOG_SINK: Mutex<Option<TextSink>> = Mutex::new(None);

/// Forwards the core's own lines (not its dependencies') as `"<level> <message>"`.
struct LogBridge;

impl log::Log for LogBridge {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.target().starts_with("refold_session")
    }

    fn log(&self, record: &log::Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let level = match record.level() {
            log::Level::Error => "error",
            log::Level::Warn => "warn",
            log::Level::Info => "info",
            log::Level::Debug | log::Level::Trace => "debug",
        };
        let line = format!("{level} {}", record.args());
        if let Ok(sink) = LOG_SINK.lock()
            && let Some(sink) = sink.as_ref()
        {
            let _ = sink.call(line, ThreadsafeFunctionCallMode::NonBlocking);
        }
    }

    fn flush(&self) {}
}

/// Sends the core's log lines from `level` up (`debug`, `info`, `warn`, `error`; anything
/// else: none) to `callback("<level> <message>")`, for the whole process.
#[napi]
pub fn set_log_sink(callback: Function<String, ()>, level: String) -> Result<()> {
    static INSTALLED: OnceLock<bool> = OnceLock::new();
    let filter = match level.as_str() {
        "debug" => log::LevelFilter::Debug,
        "info" => log::LevelFilter::Info,
        "warn" => log::LevelFilter::Warn,
        "error" => log::LevelFilter::Error,
        _ => log::LevelFilter::Off,
    };
    let sink = text_sink(callback)?;
    if let Ok(mut slot) = LOG_SINK.lock() {
        *slot = Some(sink);
    }
    // Another logger already installed in this process (none is, in an addon) keeps its place.
    if *INSTALLED.get_or_init(|| log::set_logger(&LogBridge).is_ok()) {
        log::set_max_level(filter);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_instruments_are_cores_declaration() {
        let declared: serde_json::Value =
            serde_json::from_str(&super::telemetry_instruments()).unwrap();
        assert_eq!(declared["scope"], "refold-session");
        let instruments = declared["instruments"].as_array().unwrap();
        assert_eq!(
            instruments.len(),
            refold_session::telemetry::plan::INSTRUMENTS.len()
        );
        assert_eq!(instruments[0]["name"], "http.client.request.duration");
        assert_eq!(instruments[0]["kind"], "histogram");
    }
}
