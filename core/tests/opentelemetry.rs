//! The feature `opentelemetry` against a live emulator (docs/contract.md §18 `### Rust`): core's
//! spans through tracing-opentelemetry into the SDK's in-memory exporter (kinds, parents under
//! the caller's span, the CLIENT spans' attributes), the attempt span's context on the wire as
//! `traceparent` (the caller's own one wins), and the metrics through the global meter provider.
//! One test: the meter provider is global to the process.
#![cfg(feature = "opentelemetry")]

use opentelemetry::trace::{SpanKind, Status, TraceContextExt, TracerProvider as _};
use opentelemetry::{KeyValue, Value};
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData};
use opentelemetry_sdk::metrics::{InMemoryMetricExporter, PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use refold_session::telemetry::TraceParent;
use refold_session::{CacheOptions, Client, RateLimitOptions, RequestOptions};
use serde_json::json;
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::layer::SubscriberExt;

#[path = "common/emulator.rs"]
mod emulator;

const KEY: &str = "sk_otel_DISTINCTIVE_90b3";
const TOKEN_ROUTE: &str = "/api/v2/public/session-token";

fn attribute<'a>(span: &'a SpanData, key: &str) -> Option<&'a Value> {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| &kv.value)
}

fn has(attributes: &[KeyValue], key: &str, value: Value) -> bool {
    attributes
        .iter()
        .any(|kv| kv.key.as_str() == key && kv.value == value)
}

#[tokio::test]
async fn spans_traceparents_and_metrics_reach_opentelemetry() {
    let metric_exporter = InMemoryMetricExporter::default();
    let meters = SdkMeterProvider::builder()
        .with_reader(PeriodicReader::builder(metric_exporter.clone()).build())
        .build();
    // Before the client: its instruments come from the provider set when it is built.
    opentelemetry::global::set_meter_provider(meters.clone());
    let span_exporter = InMemorySpanExporter::default();
    let tracers = SdkTracerProvider::builder()
        .with_simple_exporter(span_exporter.clone())
        .build();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(tracers.tracer("test")));
    let guard = tracing::subscriber::set_default(subscriber);

    let emulator = emulator::start(KEY).await;
    let port = i64::from(
        url::Url::parse(&emulator.base_url())
            .unwrap()
            .port()
            .unwrap(),
    );
    let client = Client::builder()
        .api_key(KEY)
        .base_url(emulator.base_url())
        .max_retries(2)
        .read_environment_variables(false)
        .rate_limit(RateLimitOptions::Off)
        .cache(CacheOptions::default())
        .build()
        .unwrap();
    emulator::faults(&emulator, json!([{"kind": "status", "status": 503}])).await;
    let handler = tracing::info_span!("handler");
    let handler_context = handler.context();
    let token = async {
        let token = client.get_token_for_linked_account("otl-1").await.unwrap();
        client.get_token_for_linked_account("otl-1").await.unwrap();
        let (a, b) = tokio::join!(
            client.get_token_for_linked_account("otl-2"),
            client.get_token_for_linked_account("otl-2")
        );
        a.unwrap();
        b.unwrap();
        token
    }
    .instrument(handler.clone())
    .await;
    drop(handler);
    // The caller's own traceparent is sent as given.
    let theirs =
        TraceParent::parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").unwrap();
    client
        .get_token_for_linked_account_with("otl-3", RequestOptions::new().traceparent(theirs))
        .await
        .unwrap();
    drop(guard);
    tracers.force_flush().unwrap();
    meters.force_flush().unwrap();

    let spans = span_exporter.get_finished_spans().unwrap();
    let handler = spans.iter().find(|span| span.name == "handler").unwrap();
    let handler_ids = handler_context.span().span_context().clone();
    assert_eq!(handler.span_context.span_id(), handler_ids.span_id());
    let calls: Vec<_> = spans
        .iter()
        .filter(|span| span.parent_span_id == handler_ids.span_id())
        .collect();
    assert_eq!(
        calls.len(),
        4,
        "a miss, a hit, a miss and a coalesced wait: {calls:#?}"
    );
    for call in &calls {
        assert_eq!(call.name, "refold.get_token_for_linked_account");
        assert_eq!(call.span_kind, SpanKind::Internal);
        assert_eq!(call.span_context.trace_id(), handler_ids.trace_id());
    }
    let miss = calls
        .iter()
        .find(|call| {
            attribute(call, "refold.cache.outcome") == Some(&"miss".into())
                && spans
                    .iter()
                    .filter(|span| span.parent_span_id == call.span_context.span_id())
                    .count()
                    == 2
        })
        .expect("the retried miss");
    let attempts: Vec<_> = spans
        .iter()
        .filter(|span| span.parent_span_id == miss.span_context.span_id())
        .collect();
    for attempt in &attempts {
        assert_eq!(attempt.name, format!("POST {TOKEN_ROUTE}"));
        assert_eq!(attempt.span_kind, SpanKind::Client);
        assert_eq!(
            attribute(attempt, "http.request.method"),
            Some(&"POST".into())
        );
        assert_eq!(attribute(attempt, "server.port"), Some(&port.into()));
        assert_eq!(
            attribute(attempt, "url.template"),
            Some(&TOKEN_ROUTE.into())
        );
        assert_eq!(attribute(attempt, "otel.kind"), None, "mapped, not copied");
    }
    let (first, second) = if attribute(attempts[0], "http.request.resend_count").is_none() {
        (attempts[0], attempts[1])
    } else {
        (attempts[1], attempts[0])
    };
    assert_eq!(
        attribute(first, "http.response.status_code"),
        Some(&503i64.into())
    );
    assert_eq!(attribute(first, "error.type"), Some(&"server_error".into()));
    assert!(matches!(first.status, Status::Error { .. }));
    assert_eq!(
        attribute(second, "http.request.resend_count"),
        Some(&1i64.into())
    );
    assert_eq!(attribute(second, "error.type"), None);
    let hits = calls
        .iter()
        .filter(|call| attribute(call, "refold.cache.outcome") == Some(&"hit".into()));
    for hit in hits {
        assert!(
            spans
                .iter()
                .all(|span| span.parent_span_id != hit.span_context.span_id()),
            "a hit sends nothing"
        );
    }
    for span in &spans {
        for kv in &span.attributes {
            let text = kv.value.to_string();
            assert!(
                !text.contains(KEY) && !text.contains(token.token()),
                "{kv:?}"
            );
        }
    }

    // The wire: each attempt's own context, so Refold's side is the attempt's child.
    let log = emulator::control(&emulator, "/__emulator/requests").await;
    let sent: Vec<String> = log["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|request| request["path"].as_str() == Some(TOKEN_ROUTE))
        .map(|request| {
            request["headers"]["traceparent"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        sent.len(),
        4,
        "two for the retried miss, one each for otl-2 and otl-3"
    );
    for attempt in [first, second] {
        let expected = format!(
            "00-{}-{}-01",
            handler_ids.trace_id(),
            attempt.span_context.span_id()
        );
        assert!(sent.contains(&expected), "{expected} in {sent:?}");
    }
    assert_eq!(sent[3], theirs.as_str(), "the caller's traceparent wins");

    // The metrics: one duration per attempt of this emulator, and the cache outcomes.
    let exported = metric_exporter.get_finished_metrics().unwrap();
    let last = exported.last().expect("a collection");
    let metrics: Vec<_> = last
        .scope_metrics()
        .filter(|scope| scope.scope().name() == "refold-session")
        .flat_map(|scope| scope.metrics())
        .collect();
    let durations = metrics
        .iter()
        .find(|metric| metric.name() == "http.client.request.duration")
        .unwrap();
    assert_eq!(durations.unit(), "s");
    let AggregatedMetrics::F64(MetricData::Histogram(histogram)) = durations.data() else {
        panic!("a histogram of seconds");
    };
    let count = |status: i64| -> u64 {
        histogram
            .data_points()
            .filter(|point| {
                let attributes: Vec<KeyValue> = point.attributes().cloned().collect();
                has(&attributes, "server.port", port.into())
                    && has(&attributes, "http.response.status_code", status.into())
                    && has(&attributes, "url.template", TOKEN_ROUTE.into())
            })
            .map(|point| point.count())
            .sum()
    };
    assert_eq!((count(503), count(200)), (1, 3));
    let counter = |name: &str| -> u64 {
        let metric = metrics.iter().find(|metric| metric.name() == name);
        match metric.map(|metric| metric.data()) {
            Some(AggregatedMetrics::U64(MetricData::Sum(sum))) => {
                sum.data_points().map(|point| point.value()).sum()
            }
            None => 0,
            Some(other) => panic!("{name}: {other:?}"),
        }
    };
    assert_eq!(
        [
            counter("refold.session_cache.misses"),
            counter("refold.session_cache.hits"),
            counter("refold.session_cache.coalesced"),
        ],
        [3, 1, 1]
    );
}
