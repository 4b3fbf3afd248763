//! What core tells an observer about its calls (docs/contract.md §18), by two roads sharing the
//! same measurements: `tracing` spans, live (a span per call, a CLIENT span per attempt, so a
//! `tracing-opentelemetry` layer maps them to OpenTelemetry under the caller's current span),
//! and the [`Telemetry`] hook a binding installs, handed one [`CallTrace`] per call afterwards
//! (the call's own record and one [`AttemptRecord`] per HTTP attempt), whose [`CallTrace::plan`]
//! (module [`plan`]: every name, attribute and instrument) it replays through its host's own
//! OpenTelemetry API. With the feature `opentelemetry`, the attempt span's context is sent as
//! `traceparent` and calls are measured through `opentelemetry::global`. Nothing is measured
//! when no hook, subscriber or meter asks (the option `telemetry: false` turns all of it off).
//! Never the API key, a token, a body or a raw path: routes are templates.

use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use tracing::field::Empty;
use tracing::{Instrument, Span};
use url::Url;

use crate::error::ErrorCode;
use crate::mapping::Call;

pub mod plan;
mod record;
mod traceparent;

pub use plan::TracePlan;
use plan::keys;
pub use record::{AttemptRecord, CacheOutcome, CallRecord, CallTrace};
pub use traceparent::TraceParent;

/// Receives a trace per call. Called on a runtime thread once the call has ended: keep it
/// quick (hand the trace to the host's thread or exporter).
pub trait Telemetry: Send + Sync + 'static {
    fn record(&self, trace: &CallTrace);

    /// Whether the hook takes traces now, asked once per call before anything is measured: a
    /// binding answers `false` while its host has no tracer or meter registered, so a call
    /// then costs what it costs without a hook.
    fn enabled(&self) -> bool {
        true
    }
}

/// What observes a client's calls when its option `telemetry` is on: the spans, the hook if one
/// is installed, and (feature `opentelemetry`) the metrics.
#[derive(Clone)]
pub(crate) struct Observer {
    hook: Option<Arc<dyn Telemetry>>,
    /// The option `telemetry_linked_account_id`.
    linked_account_id: bool,
    #[cfg(feature = "opentelemetry")]
    metrics: otel::Metrics,
}

impl fmt::Debug for Observer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Telemetry")
    }
}

impl Observer {
    pub(crate) fn new(hook: Option<Arc<dyn Telemetry>>, linked_account_id: bool) -> Observer {
        Observer {
            hook,
            linked_account_id,
            #[cfg(feature = "opentelemetry")]
            metrics: otel::Metrics::new(),
        }
    }

    /// The hook, when one is installed and takes traces now.
    fn hook(&self) -> Option<&Arc<dyn Telemetry>> {
        self.hook.as_ref().filter(|hook| hook.enabled())
    }

    /// Whether anything takes the measurements of a call whose span is `span` (`hook`: the
    /// enabled hook).
    fn measures(&self, span: &Span, hook: Option<&Arc<dyn Telemetry>>) -> bool {
        hook.is_some() || !span.is_disabled() || cfg!(feature = "opentelemetry")
    }

    /// Runs `call` as the call `name` inside its span, collecting the attempts the engine
    /// makes within it (in this task) and the cache outcome noted, then records the outcome on
    /// the span and hands the trace to the hook.
    pub(crate) async fn observe<T>(
        &self,
        name: &'static str,
        linked_account_id: Option<&str>,
        parent: Option<TraceParent>,
        call: impl Future<Output = Result<T, crate::error::Error>>,
    ) -> Result<T, crate::error::Error> {
        let linked_account_id = self.account(linked_account_id);
        let span = call_span(name, linked_account_id.as_deref());
        let hook = self.hook();
        if !self.measures(&span, hook) {
            return call.await;
        }
        let collector = Arc::new(Collector::default());
        let started_at = SystemTime::now();
        let clock = Instant::now();
        let result = CURRENT
            .scope(Arc::clone(&collector), call)
            .instrument(span.clone())
            .await;
        let duration = clock.elapsed();
        let (attempts, cache) = collector.take();
        let error = result.as_ref().err().map(|error| error.code());
        self.end_call(&span, cache, error);
        if let Some(hook) = hook {
            emit(
                hook,
                CallTrace {
                    call: CallRecord {
                        name,
                        started_at,
                        duration,
                        error,
                        cache,
                        linked_account_id,
                        parent,
                    },
                    attempts,
                },
            );
        }
        result
    }

    /// A call answered without a request (a synchronous cache hit): a call span of its own,
    /// under the caller's current span, and no attempt.
    pub(crate) fn hit(
        &self,
        name: &'static str,
        linked_account_id: &str,
        parent: Option<TraceParent>,
    ) {
        let linked_account_id = self.account(Some(linked_account_id));
        let span = call_span(name, linked_account_id.as_deref());
        self.end_call(&span, Some(CacheOutcome::Hit), None);
        if let Some(hook) = self.hook() {
            emit(
                hook,
                CallTrace {
                    call: CallRecord {
                        name,
                        started_at: SystemTime::now(),
                        duration: Duration::ZERO,
                        error: None,
                        cache: Some(CacheOutcome::Hit),
                        linked_account_id,
                        parent,
                    },
                    attempts: Vec::new(),
                },
            );
        }
    }

    /// Records how a call ended on its span (and in the cache counters).
    fn end_call(&self, span: &Span, cache: Option<CacheOutcome>, error: Option<ErrorCode>) {
        if let Some(outcome) = cache {
            span.record(keys::CACHE_OUTCOME, outcome.as_str());
        }
        if let Some(code) = error {
            span.record(keys::ERROR_TYPE, code.as_str());
            span.record("otel.status_code", "error");
        }
        #[cfg(feature = "opentelemetry")]
        if let Some(outcome) = cache {
            self.metrics.record(&plan::cache_point(outcome));
        }
    }

    /// The attempt `number` (1-based) of the current call: its CLIENT span, under the call's.
    pub(crate) fn attempt<'a>(
        &'a self,
        method: &'static str,
        route: &'static str,
        url: &'a Url,
        number: u32,
    ) -> AttemptWatch<'a> {
        let server_address = url.host_str().unwrap_or_default();
        let server_port = url.port_or_known_default().unwrap_or(0);
        // Integers as i64: tracing-opentelemetry keeps those as numbers (u64 become text).
        let span = tracing::info_span!(
            target: "refold_session",
            "refold.attempt",
            "otel.name" = format!("{method} {route}"),
            "otel.kind" = "client",
            { keys::HTTP_REQUEST_METHOD } = method,
            { keys::SERVER_ADDRESS } = server_address,
            { keys::SERVER_PORT } = i64::from(server_port),
            { keys::URL_TEMPLATE } = route,
            { keys::HTTP_REQUEST_RESEND_COUNT } = (number > 1).then(|| i64::from(number - 1)),
            { keys::HTTP_RESPONSE_STATUS_CODE } = Empty,
            { keys::ERROR_TYPE } = Empty,
            "otel.status_code" = Empty,
            { keys::BUDGET_WAIT } = Empty,
        );
        let recording = in_call() || !span.is_disabled() || cfg!(feature = "opentelemetry");
        AttemptWatch {
            observer: self,
            span,
            recording,
            method,
            route,
            server_address,
            server_port,
            number,
            started_at: SystemTime::now(),
            clock: Instant::now(),
        }
    }

    fn account(&self, id: Option<&str>) -> Option<String> {
        id.filter(|_| self.linked_account_id).map(str::to_owned)
    }
}

/// A call's span: `refold.<call name>`, INTERNAL, under the caller's current span.
fn call_span(name: &'static str, linked_account_id: Option<&str>) -> Span {
    // The token call, the hot one, has a callsite of its own, so a subscriber sees its name.
    if name == "get_token_for_linked_account" {
        tracing::info_span!(
            target: "refold_session",
            "refold.get_token_for_linked_account",
            "otel.name" = "refold.get_token_for_linked_account",
            "otel.kind" = "internal",
            { keys::CACHE_OUTCOME } = Empty,
            { keys::ERROR_TYPE } = Empty,
            "otel.status_code" = Empty,
            { keys::LINKED_ACCOUNT_ID } = linked_account_id,
        )
    } else {
        tracing::info_span!(
            target: "refold_session",
            "refold.call",
            "otel.name" = format!("refold.{name}"),
            "otel.kind" = "internal",
            { keys::CACHE_OUTCOME } = Empty,
            { keys::ERROR_TYPE } = Empty,
            "otel.status_code" = Empty,
            { keys::LINKED_ACCOUNT_ID } = linked_account_id,
        )
    }
}

/// An attempt being observed: its span (entered around the attempt), and the start of its
/// record.
pub(crate) struct AttemptWatch<'a> {
    observer: &'a Observer,
    span: Span,
    recording: bool,
    method: &'static str,
    route: &'static str,
    server_address: &'a str,
    server_port: u16,
    number: u32,
    started_at: SystemTime,
    clock: Instant,
}

impl AttemptWatch<'_> {
    /// Whether anything takes this attempt's measurements (else the attempt runs bare).
    pub(crate) fn recording(&self) -> bool {
        self.recording
    }

    pub(crate) fn span(&self) -> &Span {
        &self.span
    }

    /// The attempt span's OpenTelemetry context as a `traceparent` (feature `opentelemetry`,
    /// with a `tracing-opentelemetry` layer installed), so the server's side is its child.
    pub(crate) fn traceparent(&self) -> Option<TraceParent> {
        #[cfg(feature = "opentelemetry")]
        {
            otel::traceparent(&self.span)
        }
        #[cfg(not(feature = "opentelemetry"))]
        {
            None
        }
    }

    /// The budget refused the attempt a turn: nothing was sent (no attempt record).
    pub(crate) fn refused(self, error: ErrorCode) {
        self.span.record(keys::ERROR_TYPE, error.as_str());
        self.span.record("otel.status_code", "error");
    }

    /// The attempt ended with `status` (when an answer came) and `error` (when it failed),
    /// having waited `budget_wait` for its turn.
    pub(crate) fn finish(
        self,
        status: Option<u16>,
        error: Option<ErrorCode>,
        budget_wait: Duration,
    ) {
        let duration = self.clock.elapsed();
        let span = &self.span;
        if let Some(status) = status {
            span.record(keys::HTTP_RESPONSE_STATUS_CODE, i64::from(status));
        }
        if let Some(code) = error {
            span.record(keys::ERROR_TYPE, code.as_str());
            span.record("otel.status_code", "error");
        }
        if !budget_wait.is_zero() {
            span.record(keys::BUDGET_WAIT, budget_wait.as_secs_f64());
        }
        let record = AttemptRecord {
            method: self.method,
            route: self.route,
            server_address: self.server_address.to_owned(),
            server_port: self.server_port,
            status,
            error,
            attempt: self.number,
            started_at: self.started_at,
            duration,
            budget_wait,
        };
        #[cfg(feature = "opentelemetry")]
        self.observer.metrics.record(&plan::attempt_point(&record));
        #[cfg(not(feature = "opentelemetry"))]
        let _ = self.observer;
        note_attempt(record);
    }
}

fn emit(hook: &Arc<dyn Telemetry>, trace: CallTrace) {
    // A hook that panics must not take the call (or the runtime thread) with it.
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| hook.record(&trace)));
}

/// A call's name, route template and linked account, as records give them.
pub(crate) fn identify(call: Call<'_>) -> (&'static str, &'static str, Option<&str>) {
    const ACCOUNTS: &str = "/api/v2/public/linked-account";
    const ACCOUNT: &str = "/api/v2/public/linked-account/{linked_account_id}";
    match call {
        Call::SessionToken(id) => (
            "get_token_for_linked_account",
            "/api/v2/public/session-token",
            Some(id),
        ),
        Call::Upsert(id) => ("upsert_linked_account", ACCOUNTS, Some(id)),
        Call::Create(id) => ("create_linked_account", ACCOUNTS, Some(id)),
        Call::Get(id) => ("get_linked_account", ACCOUNT, Some(id)),
        Call::Delete(id) => ("delete_linked_account", ACCOUNT, Some(id)),
        Call::List => ("list_linked_accounts", ACCOUNTS, None),
        Call::Revoke => (
            "revoke_session_token",
            "/api/v2/public/session-token/revoke",
            None,
        ),
        Call::ActiveAccount => (
            "get_active_linked_account",
            "/api/v2/public/session/active-linked-account",
            None,
        ),
        Call::Operation { name, route, .. } => (name, route, None),
    }
}

/// Whether the current task runs inside an observed call.
pub(crate) fn in_call() -> bool {
    CURRENT.try_with(|_| ()).is_ok()
}

/// Adds an attempt to the observed call of the current task, if any.
fn note_attempt(record: AttemptRecord) {
    let _ = CURRENT.try_with(|collector| collector.attempts.lock().unwrap().push(record));
}

/// Notes how the cache answered the observed call of the current task, if any (the first
/// outcome noted wins: a miss that adopts the store's token is a store hit).
pub(crate) fn note_cache(outcome: CacheOutcome) {
    let _ = CURRENT.try_with(|collector| {
        let mut cache = collector.cache.lock().unwrap();
        match (*cache, outcome) {
            (None, _) | (Some(CacheOutcome::Miss), _) => *cache = Some(outcome),
            _ => {}
        }
    });
}

#[derive(Default)]
struct Collector {
    attempts: Mutex<Vec<AttemptRecord>>,
    cache: Mutex<Option<CacheOutcome>>,
}

impl Collector {
    fn take(&self) -> (Vec<AttemptRecord>, Option<CacheOutcome>) {
        (
            std::mem::take(&mut *self.attempts.lock().unwrap()),
            *self.cache.lock().unwrap(),
        )
    }
}

tokio::task_local! {
    static CURRENT: Arc<Collector>;
}

/// The feature `opentelemetry`: spans' contexts onto the wire, and the metrics of §18 through
/// the global meter provider (its instruments are made when the client is built: set the
/// provider first).
#[cfg(feature = "opentelemetry")]
mod otel {
    use std::sync::Arc;

    use opentelemetry::metrics::{Counter, Histogram};
    use opentelemetry::trace::TraceContextExt;
    use opentelemetry::{InstrumentationScope, KeyValue, Value, global};
    use tracing::Span;
    use tracing_opentelemetry::OpenTelemetrySpanExt;

    use crate::telemetry::TraceParent;
    use crate::telemetry::plan::{
        AttributeValue, INSTRUMENTS, InstrumentKind, MetricPoint, SCOPE, SCOPE_VERSION,
    };

    /// `span`'s OpenTelemetry span context as a traceparent, when it has a valid one.
    pub(super) fn traceparent(span: &Span) -> Option<TraceParent> {
        if span.is_disabled() {
            return None;
        }
        let context = span.context();
        let otel_span = context.span();
        let ids = otel_span.span_context();
        if !ids.is_valid() {
            return None;
        }
        let text = format!(
            "00-{}-{}-{:02x}",
            ids.trace_id(),
            ids.span_id(),
            ids.trace_flags().to_u8()
        );
        TraceParent::parse(&text).ok()
    }

    enum Made {
        Counter(Counter<u64>),
        Histogram(Histogram<f64>),
    }

    /// [`INSTRUMENTS`], made with the global meter provider's meter.
    #[derive(Clone)]
    pub(super) struct Metrics(Arc<[Made]>);

    impl Metrics {
        pub(super) fn new() -> Metrics {
            let meter = global::meter_with_scope(
                InstrumentationScope::builder(SCOPE)
                    .with_version(SCOPE_VERSION)
                    .build(),
            );
            Metrics(
                INSTRUMENTS
                    .iter()
                    .map(|spec| match spec.kind {
                        InstrumentKind::Counter => Made::Counter(
                            meter
                                .u64_counter(spec.name)
                                .with_unit(spec.unit)
                                .with_description(spec.description)
                                .build(),
                        ),
                        InstrumentKind::Histogram => Made::Histogram(
                            meter
                                .f64_histogram(spec.name)
                                .with_unit(spec.unit)
                                .with_description(spec.description)
                                .with_boundaries(spec.buckets.to_vec())
                                .build(),
                        ),
                    })
                    .collect(),
            )
        }

        pub(super) fn record(&self, point: &MetricPoint) {
            let attributes: Vec<KeyValue> = point
                .attributes
                .iter()
                .map(|(key, value)| {
                    let value = match value {
                        AttributeValue::Str(text) => Value::from(text.clone()),
                        AttributeValue::Int(number) => Value::I64(*number),
                        AttributeValue::Float(number) => Value::F64(*number),
                    };
                    KeyValue::new(key, value)
                })
                .collect();
            match &self.0[point.instrument] {
                Made::Counter(counter) => counter.add(point.value as u64, &attributes),
                Made::Histogram(histogram) => histogram.record(point.value, &attributes),
            }
        }
    }
}
