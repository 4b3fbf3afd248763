//! The telemetry hook against a live emulator (docs/contract.md §18): one trace per call, one
//! record per attempt, cache outcomes, route templates, the traceparent on the wire, and no
//! secret anywhere.

use std::sync::{Arc, Mutex};

use refold_session::api::ApiRequest;
use refold_session::telemetry::{CacheOutcome, CallTrace, Telemetry, TraceParent};
use refold_session::{CacheOptions, Client, ErrorCode, RateLimitOptions, RequestOptions};
use serde_json::json;

#[path = "common/emulator.rs"]
mod emulator;

const KEY: &str = "sk_telemetry_DISTINCTIVE_e81c";

#[derive(Default)]
struct Recorder {
    traces: Mutex<Vec<CallTrace>>,
}

impl Telemetry for Recorder {
    fn record(&self, trace: &CallTrace) {
        self.traces.lock().unwrap().push(trace.clone());
    }
}

impl Recorder {
    fn take(&self) -> Vec<CallTrace> {
        std::mem::take(&mut *self.traces.lock().unwrap())
    }
}

fn client(emulator: &refold_emulator::Emulator, recorder: &Arc<Recorder>, cache: bool) -> Client {
    client_naming_accounts(emulator, recorder, cache, false)
}

fn client_naming_accounts(
    emulator: &refold_emulator::Emulator,
    recorder: &Arc<Recorder>,
    cache: bool,
    name_accounts: bool,
) -> Client {
    let mut builder = Client::builder()
        .telemetry_linked_account_id(name_accounts)
        .api_key(KEY)
        .base_url(emulator.base_url())
        .max_retries(2)
        .read_environment_variables(false)
        .rate_limit(RateLimitOptions::Off)
        .telemetry(recorder.clone());
    if cache {
        builder = builder.cache(CacheOptions::default());
    }
    builder.build().unwrap()
}

#[tokio::test]
async fn a_token_call_is_one_trace_with_its_attempts_and_cache_outcome() {
    let emulator = emulator::start(KEY).await;
    let recorder = Arc::new(Recorder::default());
    let client = client(&emulator, &recorder, true);
    emulator::faults(&emulator, json!([{"kind": "status", "status": 503}])).await;
    let token = client.get_token_for_linked_account("tel-1").await.unwrap();
    let again = client.get_token_for_linked_account("tel-1").await.unwrap();
    let parent =
        TraceParent::parse("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01").unwrap();
    assert!(client.cached_token_within("tel-1", Some(parent)).is_some());
    assert_eq!(token.token(), again.token());

    let traces = recorder.take();
    assert_eq!(traces.len(), 3, "{traces:?}");
    let miss = &traces[0];
    assert_eq!(miss.call.name, "get_token_for_linked_account");
    assert_eq!(miss.call.cache, Some(CacheOutcome::Miss));
    assert_eq!(miss.call.error, None);
    assert_eq!(miss.call.linked_account_id, None, "not unless opted in");
    assert_eq!(miss.attempts.len(), 2, "the 503, then the token");
    let (first, second) = (&miss.attempts[0], &miss.attempts[1]);
    assert_eq!(
        (first.attempt, first.status, first.error),
        (1, Some(503), Some(ErrorCode::ServerError))
    );
    assert_eq!(
        (second.attempt, second.status, second.error),
        (2, Some(200), None)
    );
    assert_eq!(second.method, "POST");
    assert_eq!(second.route, "/api/v2/public/session-token");
    assert_eq!(second.server_address, "127.0.0.1");
    assert!(second.server_port > 0);
    assert!(miss.call.duration >= first.duration + second.duration);
    for hit in &traces[1..] {
        assert_eq!(hit.call.cache, Some(CacheOutcome::Hit));
        assert!(hit.attempts.is_empty(), "a hit sends nothing");
    }
    assert_eq!(traces[1].call.parent, None);
    assert_eq!(
        traces[2].call.parent,
        Some(parent),
        "a synchronous hit keeps its parent"
    );
    let shown = format!("{traces:?}");
    assert!(!shown.contains(KEY) && !shown.contains(token.token()));
}

#[tokio::test]
async fn concurrent_misses_are_one_miss_and_coalesced_waits() {
    let emulator = emulator::start(KEY).await;
    let recorder = Arc::new(Recorder::default());
    let client = client_naming_accounts(&emulator, &recorder, true, true);
    let (a, b) = tokio::join!(
        client.get_token_for_linked_account("tel-2"),
        client.get_token_for_linked_account("tel-2")
    );
    assert_eq!(a.unwrap().token(), b.unwrap().token());
    let mut outcomes: Vec<_> = recorder
        .take()
        .into_iter()
        .map(|trace| {
            (
                trace.call.cache,
                trace.attempts.len(),
                trace.call.linked_account_id,
            )
        })
        .collect();
    outcomes.sort_by_key(|(cache, _, _)| cache.map(CacheOutcome::as_str));
    assert_eq!(
        outcomes,
        vec![
            (Some(CacheOutcome::Coalesced), 0, Some("tel-2".to_owned())),
            (Some(CacheOutcome::Miss), 1, Some("tel-2".to_owned())),
        ]
    );
}

#[tokio::test]
async fn operations_are_traced_by_route_template_and_carry_the_traceparent() {
    let emulator = emulator::start(KEY).await;
    let recorder = Arc::new(Recorder::default());
    let client = client(&emulator, &recorder, false);
    let traceparent =
        TraceParent::parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").unwrap();
    let error = client
        .call_with(
            "getExecutionById",
            ApiRequest::new()
                .param("execution_id", "exec-secret-id")
                .linked_account_id("tel-3"),
            RequestOptions::new().traceparent(traceparent),
        )
        .await
        .unwrap_err();
    assert_eq!(error.code(), ErrorCode::NotFound);
    client
        .get_token_for_linked_account_with("tel-3", RequestOptions::new().traceparent(traceparent))
        .await
        .unwrap();

    let traces = recorder.take();
    assert_eq!(traces.len(), 2);
    let call = &traces[0];
    assert_eq!(call.call.name, "get_execution");
    assert_eq!(call.call.error, Some(ErrorCode::NotFound));
    assert_eq!(call.call.cache, None);
    assert_eq!(call.attempts.len(), 1, "a 404 is not retried");
    assert_eq!(
        call.attempts[0].route,
        "/api/v2/public/execution/{execution_id}"
    );
    assert_eq!(call.attempts[0].status, Some(404));
    assert!(
        !format!("{traces:?}").contains("exec-secret-id"),
        "never a raw path"
    );
    assert_eq!(traces[1].call.cache, None, "no cache: no outcome");
    for trace in &traces {
        assert_eq!(
            trace.call.parent,
            Some(traceparent),
            "the host span it belongs under"
        );
    }

    let log = emulator::control(&emulator, "/__emulator/requests").await;
    for request in log["requests"].as_array().unwrap() {
        assert_eq!(request["headers"]["traceparent"], traceparent.as_str());
    }
}

#[tokio::test]
async fn a_hook_that_panics_does_not_fail_the_call() {
    struct Panics;
    impl Telemetry for Panics {
        fn record(&self, _: &CallTrace) {
            panic!("a broken exporter");
        }
    }
    let emulator = emulator::start(KEY).await;
    let client = Client::builder()
        .api_key(KEY)
        .base_url(emulator.base_url())
        .read_environment_variables(false)
        .rate_limit(RateLimitOptions::Off)
        .telemetry(Arc::new(Panics))
        .build()
        .unwrap();
    assert!(client.get_token_for_linked_account("tel-4").await.is_ok());
}

#[tokio::test]
async fn an_attempt_records_its_wait_in_the_budget_every_call_shares() {
    let emulator = emulator::start(KEY).await;
    let recorder = Arc::new(Recorder::default());
    let client = Client::builder()
        .api_key(KEY)
        .base_url(emulator.base_url())
        .read_environment_variables(false)
        .rate_limit(RateLimitOptions::Limit {
            requests_per_second: Some(4),
            burst: Some(1),
        })
        .telemetry(recorder.clone())
        .build()
        .unwrap();
    for id in ["tel-5", "tel-6"] {
        client.get_token_for_linked_account(id).await.unwrap();
    }
    // An operation of the generated API spends the same budget (the limit is per organization).
    client
        .call("listWebhooks", ApiRequest::new())
        .await
        .unwrap();
    let waits: Vec<_> = recorder
        .take()
        .iter()
        .map(|trace| trace.attempts[0].budget_wait)
        .collect();
    assert!(
        waits[1..].iter().all(|wait| !wait.is_zero()),
        "at 4/s with no burst to spare, later calls (the operation too) wait: {waits:?}"
    );
}

#[tokio::test]
async fn the_option_telemetry_false_ignores_the_hook() {
    let emulator = emulator::start(KEY).await;
    let recorder = Arc::new(Recorder::default());
    let client = Client::builder()
        .telemetry_enabled(false)
        .api_key(KEY)
        .base_url(emulator.base_url())
        .read_environment_variables(false)
        .rate_limit(RateLimitOptions::Off)
        .telemetry(recorder.clone())
        .build()
        .unwrap();
    let traceparent =
        TraceParent::parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").unwrap();
    client
        .get_token_for_linked_account_with(
            "tel-off",
            RequestOptions::new().traceparent(traceparent),
        )
        .await
        .unwrap();
    assert!(recorder.take().is_empty(), "nothing recorded");
    let log = emulator::control(&emulator, "/__emulator/requests").await;
    let requests = log["requests"].as_array().unwrap();
    assert_eq!(requests.len(), 1);
    assert!(
        requests[0]["headers"].get("traceparent").is_none(),
        "telemetry off: no trace context leaves either"
    );
}

/// A hook that takes traces only while its switch is on.
struct Switched {
    on: std::sync::atomic::AtomicBool,
    recorder: Recorder,
}

impl Telemetry for Switched {
    fn record(&self, trace: &CallTrace) {
        self.recorder.record(trace);
    }

    fn enabled(&self) -> bool {
        self.on.load(std::sync::atomic::Ordering::Relaxed)
    }
}

#[tokio::test]
async fn a_hook_that_is_not_enabled_is_not_handed_the_call() {
    let emulator = emulator::start(KEY).await;
    let hook = Arc::new(Switched {
        on: false.into(),
        recorder: Recorder::default(),
    });
    let client = Client::builder()
        .api_key(KEY)
        .base_url(emulator.base_url())
        .read_environment_variables(false)
        .rate_limit(RateLimitOptions::Off)
        .cache(CacheOptions::default())
        .telemetry(hook.clone())
        .build()
        .unwrap();
    client.get_token_for_linked_account("tel-sw").await.unwrap();
    assert!(client.cached_token("tel-sw").is_some());
    assert!(hook.recorder.take().is_empty(), "off: nothing handed over");
    hook.on.store(true, std::sync::atomic::Ordering::Relaxed);
    client.get_token_for_linked_account("tel-sw").await.unwrap();
    assert!(client.cached_token("tel-sw").is_some());
    let traces = hook.recorder.take();
    assert_eq!(traces.len(), 2, "on: the async hit and the synchronous one");
}
