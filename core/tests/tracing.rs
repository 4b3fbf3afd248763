//! Core's `tracing` spans against a live emulator (docs/contract.md §18): a span per call under
//! the caller's current span, a CLIENT span per attempt under it, the HTTP client conventions'
//! fields, a cache hit without a CLIENT span, the option `telemetry: false`, and no secret in
//! any field.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use refold_session::api::ApiRequest;
use refold_session::{CacheOptions, Client, RateLimitOptions, RequestOptions};
use serde_json::json;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Instrument, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

#[path = "common/emulator.rs"]
mod emulator;

const KEY: &str = "sk_tracing_DISTINCTIVE_5d20";
const TOKEN_ROUTE: &str = "/api/v2/public/session-token";

/// A span as the subscriber saw it: its name, parent and every field recorded.
#[derive(Clone, Debug)]
struct Seen {
    id: u64,
    name: &'static str,
    target: String,
    parent: Option<u64>,
    fields: HashMap<String, String>,
    closed: bool,
}

impl Seen {
    fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }
}

/// A layer keeping every span (ids are reused once closed: the open one is the live one).
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<Seen>>>);

struct Fields<'a>(&'a mut HashMap<String, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Capture {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let parent = ctx
            .span(id)
            .and_then(|span| span.parent())
            .map(|parent| parent.id().into_u64());
        let mut fields = HashMap::new();
        attrs.record(&mut Fields(&mut fields));
        self.0.lock().unwrap().push(Seen {
            id: id.into_u64(),
            name: attrs.metadata().name(),
            target: attrs.metadata().target().to_owned(),
            parent,
            fields,
            closed: false,
        });
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, _: Context<'_, S>) {
        let mut spans = self.0.lock().unwrap();
        if let Some(seen) = spans
            .iter_mut()
            .rev()
            .find(|seen| seen.id == id.into_u64() && !seen.closed)
        {
            values.record(&mut Fields(&mut seen.fields));
        }
    }

    fn on_close(&self, id: Id, _: Context<'_, S>) {
        let mut spans = self.0.lock().unwrap();
        if let Some(seen) = spans
            .iter_mut()
            .rev()
            .find(|seen| seen.id == id.into_u64() && !seen.closed)
        {
            seen.closed = true;
        }
    }
}

impl Capture {
    /// The spans seen so far: the test's own and core's (not the transport's).
    fn spans(&self) -> Vec<Seen> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|seen| seen.target == "refold_session" || seen.name == "handler")
            .cloned()
            .collect()
    }
}

/// Every `log` line of this test binary (the logger is global; installed once).
fn log_lines() -> &'static Mutex<Vec<(log::Level, String)>> {
    static LINES: std::sync::OnceLock<Mutex<Vec<(log::Level, String)>>> =
        std::sync::OnceLock::new();
    struct Keep;
    impl log::Log for Keep {
        fn enabled(&self, _: &log::Metadata<'_>) -> bool {
            true
        }
        fn log(&self, record: &log::Record<'_>) {
            if record.target().starts_with("refold_session") {
                let line = (record.level(), record.args().to_string());
                log_lines().lock().unwrap().push(line);
            }
        }
        fn flush(&self) {}
    }
    LINES.get_or_init(|| {
        log::set_logger(&Keep).unwrap();
        log::set_max_level(log::LevelFilter::Debug);
        Mutex::default()
    })
}

fn client(emulator: &refold_emulator::Emulator, cache: bool, name_accounts: bool) -> Client {
    let mut builder = Client::builder()
        .telemetry_linked_account_id(name_accounts)
        .api_key(KEY)
        .base_url(emulator.base_url())
        .max_retries(2)
        .read_environment_variables(false)
        .rate_limit(RateLimitOptions::Off);
    if cache {
        builder = builder.cache(CacheOptions::default());
    }
    builder.build().unwrap()
}

fn children<'a>(spans: &'a [Seen], parent: &Seen) -> Vec<&'a Seen> {
    spans
        .iter()
        .filter(|seen| seen.parent == Some(parent.id) && seen.target == "refold_session")
        .collect()
}

fn assert_no_secret(spans: &[Seen], secrets: &[&str]) {
    for seen in spans {
        for (name, value) in &seen.fields {
            for secret in secrets {
                assert!(
                    !value.contains(secret),
                    "{name} of {} holds a secret",
                    seen.name
                );
            }
        }
    }
}

#[tokio::test]
async fn a_retried_miss_is_one_call_span_with_two_client_spans_and_a_hit_has_none() {
    let lines = log_lines();
    let capture = Capture::default();
    let _guard =
        tracing::subscriber::set_default(tracing_subscriber::registry().with(capture.clone()));
    let emulator = emulator::start(KEY).await;
    let client = client(&emulator, true, false);
    emulator::faults(&emulator, json!([{"kind": "status", "status": 503}])).await;
    let handler = tracing::info_span!("handler");
    let token = client
        .get_token_for_linked_account("trc-1")
        .instrument(handler.clone())
        .await
        .unwrap();
    let again = client
        .get_token_for_linked_account("trc-1")
        .instrument(handler.clone())
        .await
        .unwrap();
    handler.in_scope(|| assert!(client.cached_token("trc-1").is_some()));
    drop(handler);

    let spans = capture.spans();
    let handler = spans.iter().find(|seen| seen.name == "handler").unwrap();
    let calls = children(&spans, handler);
    assert_eq!(
        calls.len(),
        3,
        "a miss, an async hit, a synchronous hit: {calls:#?}"
    );
    for call in &calls {
        assert_eq!(call.name, "refold.get_token_for_linked_account");
        assert_eq!(
            call.field("otel.name"),
            Some("refold.get_token_for_linked_account")
        );
        assert_eq!(call.field("otel.kind"), Some("internal"));
        assert_eq!(
            call.field("refold.linked_account_id"),
            None,
            "not unless opted in"
        );
        assert_eq!(call.field("error.type"), None);
        assert!(call.closed);
    }
    let (miss, hits) = (calls[0], &calls[1..]);
    assert_eq!(miss.field("refold.cache.outcome"), Some("miss"));
    let attempts = children(&spans, miss);
    assert_eq!(attempts.len(), 2, "the 503, then the token: {attempts:#?}");
    let port = url::Url::parse(&emulator.base_url())
        .unwrap()
        .port()
        .unwrap()
        .to_string();
    for attempt in &attempts {
        assert_eq!(attempt.name, "refold.attempt");
        assert_eq!(
            attempt.field("otel.name"),
            Some(format!("POST {TOKEN_ROUTE}").as_str())
        );
        assert_eq!(attempt.field("otel.kind"), Some("client"));
        assert_eq!(attempt.field("http.request.method"), Some("POST"));
        assert_eq!(attempt.field("server.address"), Some("127.0.0.1"));
        assert_eq!(attempt.field("server.port"), Some(port.as_str()));
        assert_eq!(attempt.field("url.template"), Some(TOKEN_ROUTE));
    }
    let (first, second) = (attempts[0], attempts[1]);
    assert_eq!(first.field("http.response.status_code"), Some("503"));
    assert_eq!(first.field("error.type"), Some("server_error"));
    assert_eq!(first.field("otel.status_code"), Some("error"));
    assert_eq!(
        first.field("http.request.resend_count"),
        None,
        "the first send"
    );
    assert_eq!(second.field("http.response.status_code"), Some("200"));
    assert_eq!(second.field("error.type"), None);
    assert_eq!(second.field("http.request.resend_count"), Some("1"));
    for hit in hits {
        assert_eq!(hit.field("refold.cache.outcome"), Some("hit"));
        assert!(children(&spans, hit).is_empty(), "a hit sends nothing");
    }
    assert_eq!(token.token(), again.token());
    assert_no_secret(&spans, &[KEY, token.token()]);
    // The retry is one debug line (through `log`), naming no secret.
    let lines = lines.lock().unwrap();
    let retries: Vec<_> = lines
        .iter()
        .filter(|(_, line)| line.contains("attempt 1 failed with server_error"))
        .collect();
    assert_eq!(retries.len(), 1, "{lines:?}");
    assert_eq!(retries[0].0, log::Level::Debug);
    for (_, line) in lines.iter() {
        assert!(
            !line.contains(KEY) && !line.contains(token.token()),
            "{line}"
        );
    }
}

#[tokio::test]
async fn an_operation_is_named_for_its_call_and_its_route_template() {
    let capture = Capture::default();
    let _guard =
        tracing::subscriber::set_default(tracing_subscriber::registry().with(capture.clone()));
    let emulator = emulator::start(KEY).await;
    let client = client(&emulator, false, true);
    let error = client
        .call(
            "getExecutionById",
            ApiRequest::new()
                .param("execution_id", "exec-raw-id-7")
                .linked_account_id("trc-2"),
        )
        .await
        .unwrap_err();
    assert_eq!(error.code().as_str(), "not_found");
    let token = client
        .get_token_for_linked_account_with("trc-2", RequestOptions::new())
        .await
        .unwrap();

    let spans = capture.spans();
    let roots: Vec<_> = spans.iter().filter(|seen| seen.parent.is_none()).collect();
    assert_eq!(roots.len(), 2, "no span of the caller's: roots {roots:#?}");
    let operation = roots[0];
    assert_eq!(operation.name, "refold.call");
    assert_eq!(operation.field("otel.name"), Some("refold.get_execution"));
    assert_eq!(operation.field("error.type"), Some("not_found"));
    assert_eq!(operation.field("otel.status_code"), Some("error"));
    assert_eq!(operation.field("refold.cache.outcome"), None);
    let attempts = children(&spans, operation);
    assert_eq!(attempts.len(), 1, "a 404 is not retried");
    assert_eq!(
        attempts[0].field("otel.name"),
        Some("GET /api/v2/public/execution/{execution_id}")
    );
    assert_eq!(attempts[0].field("http.response.status_code"), Some("404"));
    let minted = roots[1];
    assert_eq!(
        minted.field("refold.linked_account_id"),
        Some("trc-2"),
        "opted in"
    );
    assert_eq!(
        minted.field("refold.cache.outcome"),
        None,
        "no cache: no outcome"
    );
    assert_no_secret(&spans, &[KEY, token.token(), "exec-raw-id-7"]);
}

#[tokio::test]
async fn the_option_telemetry_false_makes_no_span() {
    let capture = Capture::default();
    let _guard =
        tracing::subscriber::set_default(tracing_subscriber::registry().with(capture.clone()));
    let emulator = emulator::start(KEY).await;
    let client = Client::builder()
        .telemetry_enabled(false)
        .api_key(KEY)
        .base_url(emulator.base_url())
        .read_environment_variables(false)
        .rate_limit(RateLimitOptions::Off)
        .cache(CacheOptions::default())
        .build()
        .unwrap();
    client.get_token_for_linked_account("trc-3").await.unwrap();
    client.get_token_for_linked_account("trc-3").await.unwrap();
    assert!(client.cached_token("trc-3").is_some());
    assert!(capture.spans().is_empty(), "{:#?}", capture.spans());
}
