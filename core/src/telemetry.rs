//! What core tells an observer about its calls (docs/contract.md §18), by two roads sharing the
//! same measurements: `tracing` spans, live (a span per call, a CLIENT span per attempt, so a
//! `tracing-opentelemetry` layer maps them to OpenTelemetry under the caller's current span),
//! and the [`Telemetry`] hook a binding installs, handed one [`CallTrace`] per call afterwards
//! (the call's own record and one [`AttemptRecord`] per HTTP attempt) to replay into its host's
//! own OpenTelemetry API. With the feature `opentelemetry`, the attempt span's context is sent as
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

/// How a session-token call was answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CacheOutcome {
    /// From memory; no request.
    Hit,
    /// Minted by this call.
    Miss,
    /// Waited for another caller's mint of the same account.
    Coalesced,
    /// Adopted from the fleet store; no request.
    StoreHit,
    /// The fleet store failed; minted directly.
    StoreError,
    /// A background refresh ahead of expiry.
    Refresh,
}

impl CacheOutcome {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Hit => "hit",
            Self::Miss => "miss",
            Self::Coalesced => "coalesced",
            Self::StoreHit => "store_hit",
            Self::StoreError => "store_error",
            Self::Refresh => "refresh",
        }
    }
}

/// One HTTP attempt.
#[derive(Clone, Debug, PartialEq)]
pub struct AttemptRecord {
    pub method: &'static str,
    /// The route template, e.g. `/api/v2/public/linked-account/{linked_account_id}`.
    pub route: &'static str,
    pub server_address: String,
    pub server_port: u16,
    /// The HTTP status, when an answer came.
    pub status: Option<u16>,
    /// Our error code, when the attempt failed.
    pub error: Option<ErrorCode>,
    /// 1 for the first attempt (`http.request.resend_count` is one less).
    pub attempt: u32,
    pub started_at: SystemTime,
    /// From the start of its wait for a turn in the request budget to the whole answer.
    pub duration: Duration,
    /// How long it waited for its turn in the request budget (docs/contract.md §16).
    pub budget_wait: Duration,
}

/// One call of the library (a token, a linked-account call, an operation of the API).
#[derive(Clone, Debug, PartialEq)]
pub struct CallRecord {
    /// The call's name, e.g. `get_token_for_linked_account`, `list_persistent_tables`.
    pub name: &'static str,
    pub started_at: SystemTime,
    pub duration: Duration,
    /// Our error code, when the call failed.
    pub error: Option<ErrorCode>,
    /// The token call's cache outcome (`None` for other calls, and without a cache).
    pub cache: Option<CacheOutcome>,
    /// Only when the client's option `telemetry_linked_account_id` is on.
    pub linked_account_id: Option<String>,
    /// The trace context the caller passed (`RequestOptions::traceparent`): the host span
    /// this call's span belongs under.
    pub parent: Option<TraceParent>,
}

/// A call and its attempts (none for a cache hit), in order.
#[derive(Clone, Debug, PartialEq)]
pub struct CallTrace {
    pub call: CallRecord,
    pub attempts: Vec<AttemptRecord>,
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
            span.record("refold.cache.outcome", outcome.as_str());
        }
        if let Some(code) = error {
            span.record("error.type", code.as_str());
            span.record("otel.status_code", "error");
        }
        #[cfg(feature = "opentelemetry")]
        if let Some(outcome) = cache {
            self.metrics.count(outcome);
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
            "http.request.method" = method,
            "server.address" = server_address,
            "server.port" = i64::from(server_port),
            "url.template" = route,
            "http.request.resend_count" = (number > 1).then(|| i64::from(number - 1)),
            "http.response.status_code" = Empty,
            "error.type" = Empty,
            "otel.status_code" = Empty,
            "refold.budget_wait" = Empty,
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
            "refold.cache.outcome" = Empty,
            "error.type" = Empty,
            "otel.status_code" = Empty,
            "refold.linked_account_id" = linked_account_id,
        )
    } else {
        tracing::info_span!(
            target: "refold_session",
            "refold.call",
            "otel.name" = format!("refold.{name}"),
            "otel.kind" = "internal",
            "refold.cache.outcome" = Empty,
            "error.type" = Empty,
            "otel.status_code" = Empty,
            "refold.linked_account_id" = linked_account_id,
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
        self.span.record("error.type", error.as_str());
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
            span.record("http.response.status_code", i64::from(status));
        }
        if let Some(code) = error {
            span.record("error.type", code.as_str());
            span.record("otel.status_code", "error");
        }
        if !budget_wait.is_zero() {
            span.record("refold.budget_wait", budget_wait.as_secs_f64());
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
        self.observer.metrics.measure(&record);
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
    use opentelemetry::metrics::{Counter, Histogram};
    use opentelemetry::trace::TraceContextExt;
    use opentelemetry::{InstrumentationScope, KeyValue, global};
    use tracing::Span;
    use tracing_opentelemetry::OpenTelemetrySpanExt;

    use crate::telemetry::AttemptRecord;
    use crate::telemetry::CacheOutcome;
    use crate::telemetry::TraceParent;

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

    #[derive(Clone)]
    pub(super) struct Metrics {
        duration: Histogram<f64>,
        hits: Counter<u64>,
        misses: Counter<u64>,
        coalesced: Counter<u64>,
        refreshes: Counter<u64>,
        store_errors: Counter<u64>,
    }

    impl Metrics {
        pub(super) fn new() -> Metrics {
            let meter = global::meter_with_scope(
                InstrumentationScope::builder("refold-session")
                    .with_version(env!("CARGO_PKG_VERSION"))
                    .build(),
            );
            let counter = |name: &'static str, description: &'static str| {
                meter
                    .u64_counter(name)
                    .with_description(description)
                    .build()
            };
            Metrics {
                duration: meter
                    .f64_histogram("http.client.request.duration")
                    .with_unit("s")
                    .with_description("Duration of HTTP client requests.")
                    // The HTTP semantic conventions' advice.
                    .with_boundaries(vec![
                        0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5,
                        10.0,
                    ])
                    .build(),
                hits: counter(
                    "refold.session_cache.hits",
                    "Session tokens answered from memory or the fleet store.",
                ),
                misses: counter("refold.session_cache.misses", "Session tokens minted."),
                coalesced: counter(
                    "refold.session_cache.coalesced",
                    "Calls that waited for another caller's mint of the same account.",
                ),
                refreshes: counter(
                    "refold.session_cache.refreshes",
                    "Background refreshes ahead of expiry.",
                ),
                store_errors: counter(
                    "refold.session_cache.store_errors",
                    "Calls that minted directly because the fleet store failed.",
                ),
            }
        }

        pub(super) fn count(&self, outcome: CacheOutcome) {
            let counter = match outcome {
                CacheOutcome::Hit | CacheOutcome::StoreHit => &self.hits,
                CacheOutcome::Miss => &self.misses,
                CacheOutcome::Coalesced => &self.coalesced,
                CacheOutcome::Refresh => &self.refreshes,
                CacheOutcome::StoreError => &self.store_errors,
            };
            counter.add(1, &[]);
        }

        pub(super) fn measure(&self, attempt: &AttemptRecord) {
            let mut attributes = vec![
                KeyValue::new("http.request.method", attempt.method),
                KeyValue::new("server.address", attempt.server_address.clone()),
                KeyValue::new("server.port", i64::from(attempt.server_port)),
                KeyValue::new("url.template", attempt.route),
            ];
            if let Some(status) = attempt.status {
                attributes.push(KeyValue::new(
                    "http.response.status_code",
                    i64::from(status),
                ));
            }
            if let Some(code) = attempt.error {
                attributes.push(KeyValue::new("error.type", code.as_str()));
            }
            self.duration
                .record(attempt.duration.as_secs_f64(), &attributes);
        }
    }
}

/// A W3C `traceparent` (version 00: `00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>`),
/// sent on every attempt of the call that carries it so the server's spans join the host's
/// trace. Lower-case hex; an all-zero trace or parent id is invalid, as the standard says.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TraceParent([u8; TraceParent::LEN]);

impl TraceParent {
    const LEN: usize = 55;

    /// `text` as a traceparent, else `invalid_input` (its content is not quoted).
    pub fn parse(text: &str) -> Result<TraceParent, crate::error::Error> {
        let bytes = text.as_bytes();
        let hex = |range: std::ops::Range<usize>| {
            bytes[range]
                .iter()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
        };
        let zero = |range: std::ops::Range<usize>| bytes[range].iter().all(|b| *b == b'0');
        let valid = bytes.len() == Self::LEN
            && bytes.starts_with(b"00-")
            && bytes[35] == b'-'
            && bytes[52] == b'-'
            && hex(3..35)
            && hex(36..52)
            && hex(53..55)
            && !zero(3..35)
            && !zero(36..52);
        if !valid {
            return Err(crate::error::Error::invalid_input(
                "traceparent must be a W3C traceparent of version 00 \
                 (00-<32 hex>-<16 hex>-<2 hex>, lower case, ids not all zero).",
            ));
        }
        let mut out = [0u8; Self::LEN];
        out.copy_from_slice(bytes);
        Ok(TraceParent(out))
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("checked ASCII")
    }
}

impl fmt::Debug for TraceParent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for TraceParent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for TraceParent {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        TraceParent::parse(&text).map_err(|error| serde::de::Error::custom(error.message()))
    }
}

#[cfg(feature = "uniffi")]
uniffi::custom_type!(TraceParent, String, {
    try_lift: |text| TraceParent::parse(&text)
        .map_err(|error| uniffi::deps::anyhow::Error::msg(error.message().to_owned())),
    lower: |value| value.as_str().to_owned(),
});

#[cfg(test)]
mod telemetry_tests {
    use super::*;

    #[test]
    fn traceparents_are_checked() {
        let good = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        assert_eq!(TraceParent::parse(good).unwrap().as_str(), good);
        for bad in [
            "",
            "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\n",
        ] {
            assert!(TraceParent::parse(bad).is_err(), "{bad:?}");
        }
    }
}
