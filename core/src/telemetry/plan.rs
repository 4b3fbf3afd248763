//! What a call's trace becomes in any host's OpenTelemetry, declared once: span names and kinds,
//! attribute keys, the metric instruments and which points a call adds to them. A binding
//! replays a [`TracePlan`] through its host's API without knowing a single name; core's own
//! `tracing` spans and `opentelemetry` metrics use the same keys and points.

use std::borrow::Cow;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::ser::{SerializeMap, SerializeTuple};
use serde::{Serialize, Serializer};

use super::record::{AttemptRecord, CacheOutcome, CallTrace};

/// The instrumentation scope of every tracer and meter that records our calls.
pub const SCOPE: &str = "refold-session";

/// The scope's version: this library's.
pub const SCOPE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Attribute keys (the HTTP client semantic conventions', and ours under `refold.`).
pub mod keys {
    pub const HTTP_REQUEST_METHOD: &str = "http.request.method";
    pub const SERVER_ADDRESS: &str = "server.address";
    pub const SERVER_PORT: &str = "server.port";
    pub const URL_TEMPLATE: &str = "url.template";
    pub const HTTP_RESPONSE_STATUS_CODE: &str = "http.response.status_code";
    pub const ERROR_TYPE: &str = "error.type";
    pub const HTTP_REQUEST_RESEND_COUNT: &str = "http.request.resend_count";
    /// Seconds an attempt waited for its turn in the request budget (only when it was held).
    pub const BUDGET_WAIT: &str = "refold.budget_wait";
    pub const CACHE_OUTCOME: &str = "refold.cache.outcome";
    /// Only with the client option `telemetry_linked_account_id`.
    pub const LINKED_ACCOUNT_ID: &str = "refold.linked_account_id";
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SpanKind {
    /// A call of the library.
    Internal,
    /// One HTTP attempt.
    Client,
}

impl SpanKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Internal => "internal",
            Self::Client => "client",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum AttributeValue {
    Str(Cow<'static, str>),
    Int(i64),
    Float(f64),
}

/// Attributes in the order they are set; serialised as one JSON object.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Attributes(pub Vec<(&'static str, AttributeValue)>);

impl Attributes {
    fn put(&mut self, key: &'static str, value: AttributeValue) {
        self.0.push((key, value));
    }

    fn text(&mut self, key: &'static str, value: impl Into<Cow<'static, str>>) {
        self.put(key, AttributeValue::Str(value.into()));
    }

    fn int(&mut self, key: &'static str, value: impl Into<i64>) {
        self.put(key, AttributeValue::Int(value.into()));
    }

    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &AttributeValue)> {
        self.0.iter().map(|(key, value)| (*key, value))
    }
}

impl Serialize for Attributes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in &self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

/// A point in time since the Unix epoch, serialised as `[seconds, nanoseconds]` (OpenTelemetry
/// JS's `HrTime`; exact where a float of nanoseconds is not).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timestamp {
    pub secs: u64,
    pub nanos: u32,
}

impl Timestamp {
    fn at(time: SystemTime) -> Timestamp {
        let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
        Timestamp {
            secs: since.as_secs(),
            nanos: since.subsec_nanos(),
        }
    }

    fn after(time: SystemTime, duration: Duration) -> Timestamp {
        Timestamp::at(time.checked_add(duration).unwrap_or(time))
    }

    /// Nanoseconds since the epoch (fits an `i64` until 2262).
    pub fn unix_nanos(self) -> u64 {
        self.secs
            .saturating_mul(1_000_000_000)
            .saturating_add(u64::from(self.nanos))
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut pair = serializer.serialize_tuple(2)?;
        pair.serialize_element(&self.secs)?;
        pair.serialize_element(&self.nanos)?;
        pair.end()
    }
}

/// One span to record, ended, with the times core measured.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SpanPlan {
    pub name: Cow<'static, str>,
    pub kind: SpanKind,
    /// The index of this plan's span it belongs under; `None`: under the call's parent (the
    /// host span current when the call began, [`TracePlan::parent`]), else a root.
    pub parent: Option<usize>,
    pub start: Timestamp,
    pub end: Timestamp,
    /// Whether its status is ERROR.
    pub error: bool,
    pub attributes: Attributes,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InstrumentKind {
    /// Whole increments.
    Counter,
    Histogram,
}

/// A metric instrument, made once per meter from [`INSTRUMENTS`].
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Instrument {
    pub name: &'static str,
    pub kind: InstrumentKind,
    pub unit: &'static str,
    pub description: &'static str,
    /// A histogram's advised bucket boundaries (empty: the SDK's default).
    pub buckets: &'static [f64],
}

/// Indexes into [`INSTRUMENTS`].
pub mod instrument {
    pub const REQUEST_DURATION: usize = 0;
    pub const CACHE_HITS: usize = 1;
    pub const CACHE_MISSES: usize = 2;
    pub const CACHE_COALESCED: usize = 3;
    pub const CACHE_REFRESHES: usize = 4;
    pub const CACHE_STORE_ERRORS: usize = 5;
}

/// Every instrument a call can add to.
pub const INSTRUMENTS: [Instrument; 6] = [
    Instrument {
        name: "http.client.request.duration",
        kind: InstrumentKind::Histogram,
        unit: "s",
        description: "Duration of HTTP client requests.",
        // The HTTP semantic conventions' advice.
        buckets: &[
            0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
        ],
    },
    counter(
        "refold.session_cache.hits",
        "Session tokens answered from memory or the fleet store.",
    ),
    counter("refold.session_cache.misses", "Session tokens minted."),
    counter(
        "refold.session_cache.coalesced",
        "Calls that waited for another caller's mint of the same account.",
    ),
    counter(
        "refold.session_cache.refreshes",
        "Background refreshes ahead of expiry.",
    ),
    counter(
        "refold.session_cache.store_errors",
        "Calls that minted directly because the fleet store failed.",
    ),
];

const fn counter(name: &'static str, description: &'static str) -> Instrument {
    Instrument {
        name,
        kind: InstrumentKind::Counter,
        unit: "{call}",
        description,
        buckets: &[],
    }
}

/// One measurement: `value` added to (a counter) or recorded in (a histogram) the instrument
/// `INSTRUMENTS[instrument]`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MetricPoint {
    pub instrument: usize,
    pub value: f64,
    pub attributes: Attributes,
}

/// A call's spans (the call's first, then one CLIENT span per attempt, in order) and metric
/// points.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TracePlan {
    /// The host span the call was made under (its W3C traceparent), if any.
    pub parent: Option<String>,
    pub spans: Vec<SpanPlan>,
    pub points: Vec<MetricPoint>,
}

impl CallTrace {
    /// What this trace becomes in the host's OpenTelemetry.
    pub fn plan(&self) -> TracePlan {
        let call = &self.call;
        let mut attributes = Attributes::default();
        if let Some(outcome) = call.cache {
            attributes.text(keys::CACHE_OUTCOME, outcome.as_str());
        }
        if let Some(code) = call.error {
            attributes.text(keys::ERROR_TYPE, code.as_str());
        }
        if let Some(id) = &call.linked_account_id {
            attributes.text(keys::LINKED_ACCOUNT_ID, id.clone());
        }
        let mut spans = Vec::with_capacity(1 + self.attempts.len());
        spans.push(SpanPlan {
            name: call_span_name(call.name),
            kind: SpanKind::Internal,
            parent: None,
            start: Timestamp::at(call.started_at),
            end: Timestamp::after(call.started_at, call.duration),
            error: call.error.is_some(),
            attributes,
        });
        let mut points = Vec::with_capacity(1 + self.attempts.len());
        for attempt in &self.attempts {
            let mut attributes = attempt_attributes(attempt);
            if attempt.attempt > 1 {
                attributes.int(keys::HTTP_REQUEST_RESEND_COUNT, attempt.attempt - 1);
            }
            if !attempt.budget_wait.is_zero() {
                attributes.put(
                    keys::BUDGET_WAIT,
                    AttributeValue::Float(attempt.budget_wait.as_secs_f64()),
                );
            }
            spans.push(SpanPlan {
                name: attempt_span_name(attempt.method, attempt.route).into(),
                kind: SpanKind::Client,
                parent: Some(0),
                start: Timestamp::at(attempt.started_at),
                end: Timestamp::after(attempt.started_at, attempt.duration),
                error: attempt.error.is_some(),
                attributes,
            });
            points.push(attempt_point(attempt));
        }
        points.extend(call.cache.map(cache_point));
        TracePlan {
            parent: call.parent.map(|parent| parent.as_str().to_owned()),
            spans,
            points,
        }
    }
}

/// `refold.<call name>`.
pub fn call_span_name(call: &'static str) -> Cow<'static, str> {
    // The token call, the hot one, without an allocation.
    const TOKEN: &str = "refold.get_token_for_linked_account";
    if TOKEN.strip_prefix("refold.") == Some(call) {
        Cow::Borrowed(TOKEN)
    } else {
        Cow::Owned(format!("refold.{call}"))
    }
}

/// `{method} {route template}`.
pub fn attempt_span_name(method: &str, route: &str) -> String {
    format!("{method} {route}")
}

/// The attributes an attempt's span and its duration point share.
fn attempt_attributes(attempt: &AttemptRecord) -> Attributes {
    let mut attributes = Attributes(Vec::with_capacity(8));
    attributes.text(keys::HTTP_REQUEST_METHOD, attempt.method);
    attributes.text(keys::SERVER_ADDRESS, attempt.server_address.clone());
    attributes.int(keys::SERVER_PORT, attempt.server_port);
    attributes.text(keys::URL_TEMPLATE, attempt.route);
    if let Some(status) = attempt.status {
        attributes.int(keys::HTTP_RESPONSE_STATUS_CODE, status);
    }
    if let Some(code) = attempt.error {
        attributes.text(keys::ERROR_TYPE, code.as_str());
    }
    attributes
}

/// The attempt's duration in `http.client.request.duration`.
pub(crate) fn attempt_point(attempt: &AttemptRecord) -> MetricPoint {
    MetricPoint {
        instrument: instrument::REQUEST_DURATION,
        value: attempt.duration.as_secs_f64(),
        attributes: attempt_attributes(attempt),
    }
}

/// The counter a cache outcome adds one to (a store hit is a hit).
pub(crate) fn cache_point(outcome: CacheOutcome) -> MetricPoint {
    let instrument = match outcome {
        CacheOutcome::Hit | CacheOutcome::StoreHit => instrument::CACHE_HITS,
        CacheOutcome::Miss => instrument::CACHE_MISSES,
        CacheOutcome::Coalesced => instrument::CACHE_COALESCED,
        CacheOutcome::Refresh => instrument::CACHE_REFRESHES,
        CacheOutcome::StoreError => instrument::CACHE_STORE_ERRORS,
    };
    MetricPoint {
        instrument,
        value: 1.0,
        attributes: Attributes::default(),
    }
}

#[cfg(test)]
mod plan_tests {
    use super::*;
    use crate::error::ErrorCode;
    use crate::telemetry::record::CallRecord;
    use crate::telemetry::traceparent::TraceParent;

    fn attempt(number: u32, status: u16, error: Option<ErrorCode>) -> AttemptRecord {
        AttemptRecord {
            method: "POST",
            route: "/api/v2/public/session-token",
            server_address: "127.0.0.1".into(),
            server_port: 8080,
            status: Some(status),
            error,
            attempt: number,
            started_at: UNIX_EPOCH + Duration::new(1_700_000_000, 999_999_999),
            duration: Duration::from_millis(2),
            budget_wait: Duration::ZERO,
        }
    }

    #[test]
    fn a_retried_miss_becomes_a_call_span_two_client_spans_and_three_points() {
        let parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let trace = CallTrace {
            call: CallRecord {
                name: "get_token_for_linked_account",
                started_at: UNIX_EPOCH + Duration::new(1_700_000_000, 0),
                duration: Duration::from_millis(10),
                error: None,
                cache: Some(CacheOutcome::Miss),
                linked_account_id: None,
                parent: Some(TraceParent::parse(parent).unwrap()),
            },
            attempts: vec![
                attempt(1, 503, Some(ErrorCode::ServerError)),
                AttemptRecord {
                    budget_wait: Duration::from_millis(50),
                    ..attempt(2, 200, None)
                },
            ],
        };
        let plan = trace.plan();
        assert_eq!(plan.parent.as_deref(), Some(parent));
        let names: Vec<_> = plan.spans.iter().map(|span| span.name.as_ref()).collect();
        assert_eq!(
            names,
            [
                "refold.get_token_for_linked_account",
                "POST /api/v2/public/session-token",
                "POST /api/v2/public/session-token"
            ]
        );
        let [call, first, second] = &plan.spans[..] else {
            panic!("three spans")
        };
        assert_eq!(
            (call.kind, call.parent, call.error),
            (SpanKind::Internal, None, false)
        );
        assert_eq!(
            (first.kind, first.parent, first.error),
            (SpanKind::Client, Some(0), true)
        );
        assert_eq!(
            call.end,
            Timestamp {
                secs: 1_700_000_000,
                nanos: 10_000_000
            }
        );
        // The end carries into the next second.
        assert_eq!(
            first.end,
            Timestamp {
                secs: 1_700_000_001,
                nanos: 1_999_999
            }
        );
        let keys: Vec<_> = second.attributes.iter().map(|(key, _)| key).collect();
        assert_eq!(
            keys,
            [
                keys::HTTP_REQUEST_METHOD,
                keys::SERVER_ADDRESS,
                keys::SERVER_PORT,
                keys::URL_TEMPLATE,
                keys::HTTP_RESPONSE_STATUS_CODE,
                keys::HTTP_REQUEST_RESEND_COUNT,
                keys::BUDGET_WAIT
            ]
        );
        let instruments: Vec<_> = plan.points.iter().map(|point| point.instrument).collect();
        assert_eq!(
            instruments,
            [
                instrument::REQUEST_DURATION,
                instrument::REQUEST_DURATION,
                instrument::CACHE_MISSES
            ]
        );
        // A duration point carries no span-only attribute.
        assert!(
            plan.points[1]
                .attributes
                .iter()
                .all(|(key, _)| key != keys::HTTP_REQUEST_RESEND_COUNT && key != keys::BUDGET_WAIT)
        );
        let json = serde_json::to_value(&plan).unwrap();
        assert_eq!(json["spans"][1]["attributes"]["error.type"], "server_error");
        assert_eq!(json["spans"][1]["attributes"]["server.port"], 8080);
        assert_eq!(
            json["spans"][0]["start"],
            serde_json::json!([1_700_000_000u64, 0])
        );
        assert_eq!(json["spans"][0]["kind"], "internal");
    }

    #[test]
    fn every_cache_outcome_counts_once_and_a_store_hit_is_a_hit() {
        for (outcome, instrument) in [
            (CacheOutcome::Hit, instrument::CACHE_HITS),
            (CacheOutcome::StoreHit, instrument::CACHE_HITS),
            (CacheOutcome::Miss, instrument::CACHE_MISSES),
            (CacheOutcome::Coalesced, instrument::CACHE_COALESCED),
            (CacheOutcome::Refresh, instrument::CACHE_REFRESHES),
            (CacheOutcome::StoreError, instrument::CACHE_STORE_ERRORS),
        ] {
            let point = cache_point(outcome);
            assert_eq!((point.instrument, point.value), (instrument, 1.0));
            assert_eq!(INSTRUMENTS[instrument].kind, InstrumentKind::Counter);
        }
        assert_eq!(
            INSTRUMENTS[instrument::REQUEST_DURATION].kind,
            InstrumentKind::Histogram
        );
    }
}
