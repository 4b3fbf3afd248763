//! The request budget Refold documents (20/s, bursts of 5): exact under
//! concurrency, per API key, session-token calls against the org, 429s in
//! the documented shape with `Retry-After`, counted in the log, and
//! changed at run time.

mod common;

use std::time::{Duration, Instant};

use common::*;
use refold_emulator::{EmulatorConfig, RateLimit};
use serde_json::{Value, json};

async fn limited(rate_limit: &str) -> Harness {
    start_with(EmulatorConfig {
        linked_accounts: vec![ACCOUNT.to_owned()],
        api_keys: vec![KEY.to_owned(), "second-key".to_owned()],
        rate_limit: RateLimit::parse(rate_limit).unwrap(),
        ..local_config()
    })
    .await
}

async fn config(h: &Harness, body: Value) -> Value {
    let response = h
        .client
        .post(h.url("/__emulator/config"))
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    json_of(response).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refolds_limit_is_on_by_default() {
    assert_eq!(
        EmulatorConfig::default().rate_limit,
        Some(RateLimit::REFOLD)
    );
    let h = start_with(EmulatorConfig {
        linked_accounts: vec![ACCOUNT.to_owned()],
        rate_limit: EmulatorConfig::default().rate_limit,
        ..local_config()
    })
    .await;
    let current = h
        .client
        .get(h.url("/__emulator/config"))
        .send()
        .await
        .unwrap();
    assert_eq!(json_of(current).await["rate_limit"], "20/s,5");
    let started = Instant::now();
    let statuses = futures(&h, 20).await;
    let allowance = (started.elapsed().as_secs_f64() * 20.0).ceil() as usize + 1;
    let admitted = statuses.iter().filter(|s| **s == 200).count();
    assert!((5..=5 + allowance).contains(&admitted), "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 200 || *s == 429));
}

/// `n` session-token requests at once; their statuses.
async fn futures(h: &Harness, n: usize) -> Vec<u16> {
    let calls: Vec<_> = (0..n)
        .map(|_| {
            let client = h.client.clone();
            let url = h.url(TOKEN_PATH);
            tokio::spawn(async move {
                client
                    .post(url)
                    .header("x-api-key", KEY)
                    .body(json!({ "linked_account_id": ACCOUNT }).to_string())
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for call in calls {
        statuses.push(call.await.unwrap());
    }
    statuses
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_at_once_admit_the_burst_and_refuse_the_rest() {
    let h = limited("100/s,5").await;
    // Open the connections first, so the burst is not spread by handshakes.
    let warm: Vec<u16> = futures(&h, 5).await;
    assert!(warm.iter().all(|s| *s == 200), "{warm:?}");
    tokio::time::sleep(Duration::from_millis(100)).await;
    h.reset().await;

    let started = Instant::now();
    let statuses = futures(&h, 200).await;
    let elapsed = started.elapsed();
    let admitted = statuses.iter().filter(|s| **s == 200).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(admitted + refused, 200, "{statuses:?}");
    // The burst, plus at most what the rate allowed while they arrived.
    let allowance = (elapsed.as_secs_f64() * 100.0).ceil() as usize + 1;
    assert!(
        (5..=5 + allowance).contains(&admitted),
        "{admitted} admitted in {elapsed:?}"
    );
    let log = h.requests().await;
    assert_eq!(log["count"], 200);
    assert_eq!(log["admitted"], admitted);
    assert_eq!(log["rate_limited"], refused);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paced_at_the_limit_all_are_admitted() {
    let h = limited("50/s,5").await;
    let started = Instant::now();
    for n in 0..60u32 {
        // On schedule, whatever the last call took.
        let due = started + Duration::from_millis(20) * n;
        tokio::time::sleep_until(due.into()).await;
        let response = h.mint(ACCOUNT).await;
        assert_eq!(response.status(), 200, "request {n}");
    }
    let log = h.requests().await;
    assert_eq!(
        (log["admitted"].as_u64(), log["rate_limited"].as_u64()),
        (Some(60), Some(0))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_is_documented_429_with_retry_after_and_takes_no_fault() {
    let h = limited("1/min,1").await;
    assert_eq!(h.mint(ACCOUNT).await.status(), 200);
    h.queue(json!([{ "kind": "status", "status": 503 }])).await;
    let response = h.mint(ACCOUNT).await;
    assert_eq!(response.status(), 429);
    assert!(header(&response, "x-request-id").starts_with("req_"));
    // Whole seconds, rounded up: just under a minute.
    let retry_after: u64 = header(&response, "retry-after").parse().unwrap();
    assert!((59..=60).contains(&retry_after), "{retry_after}");
    assert!(response.headers().get("retry-after-ms").is_none());
    assert_eq!(
        json_of(response).await,
        json!({ "status_code": 429, "http_error_type": "TOO_MANY_REQUESTS",
                "error": "RATE_LIMIT_EXCEEDED", "message": "Rate limit exceeded" })
    );
    let log = h.requests().await;
    assert_eq!(log["count"], 2);
    assert_eq!(log["rate_limited"], 1);
    assert_eq!(log["requests"][1]["rate_limited"], true);
    assert!(log["requests"][0].get("rate_limited").is_none());
    // The fault waits for an admitted request.
    config(&h, json!({ "rate_limit": "off" })).await;
    assert_eq!(h.mint(ACCOUNT).await.status(), 503);
    assert_eq!(h.mint(ACCOUNT).await.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_key_has_its_budget_and_session_tokens_spend_the_orgs() {
    let h = limited("1/min,2").await;
    let mut token = String::new();
    for _ in 0..2 {
        let response = h.mint(ACCOUNT).await;
        assert_eq!(response.status(), 200);
        token = json_of(response).await["token"]
            .as_str()
            .unwrap()
            .to_owned();
    }
    assert_eq!(h.mint(ACCOUNT).await.status(), 429);
    // Another key is another budget.
    let other = h
        .post_token(
            Some("second-key"),
            json!({ "linked_account_id": ACCOUNT }).to_string(),
        )
        .await
        .unwrap();
    assert_eq!(other.status(), 200);
    // Session-token calls spend the org's, apart from the keys'.
    let front_end = |token: String| {
        h.client
            .get(h.url("/api/v2/f-sdk/application"))
            .header("authorization", format!("Bearer {token}"))
            .send()
    };
    assert_eq!(front_end(token.clone()).await.unwrap().status(), 200);
    assert_eq!(front_end(token.clone()).await.unwrap().status(), 200);
    let refused = front_end(token).await.unwrap();
    assert_eq!(refused.status(), 429);
    // Browsers can read it.
    assert!(refused.headers().get("vary").is_some());
    // Requests with neither share one budget too.
    for expected in [401, 401, 429] {
        let response = h.post_token(None, "{}".into()).await.unwrap();
        assert_eq!(response.status(), expected);
    }
    // Not routes, not limited: 404s, 405s, the control plane.
    for _ in 0..5 {
        let missing = h.client.get(h.url("/nope")).send().await.unwrap();
        assert_eq!(missing.status(), 404);
        let wrong = h.client.get(h.url(TOKEN_PATH)).send().await.unwrap();
        assert_eq!(wrong.status(), 405);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_limit_changes_at_run_time_and_a_reset_restores_it() {
    let h = limited("1/min,1").await;
    assert_eq!(h.mint(ACCOUNT).await.status(), 200);
    assert_eq!(h.mint(ACCOUNT).await.status(), 429);
    let answer = config(&h, json!({ "rate_limit": "1000000/s,1000000" })).await;
    assert_eq!(answer["rate_limit"], "1000000/s,1000000");
    for _ in 0..20 {
        assert_eq!(h.mint(ACCOUNT).await.status(), 200);
    }
    assert_eq!(
        config(&h, json!({ "rate_limit": null })).await["rate_limit"],
        "off"
    );
    assert_eq!(
        config(&h, json!({ "rate_limit": "2/s" })).await["rate_limit"],
        "2/s,1"
    );
    assert_eq!(h.mint(ACCOUNT).await.status(), 200);
    assert_eq!(h.mint(ACCOUNT).await.status(), 429);
    for bad in [
        json!({ "rate_limit": "0/s" }),
        json!({ "rate_limit": "fast" }),
        json!({ "rate_limit": 5 }),
    ] {
        let response = h
            .client
            .post(h.url("/__emulator/config"))
            .body(bad.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{bad}");
    }
    h.reset().await;
    let current = h
        .client
        .get(h.url("/__emulator/config"))
        .send()
        .await
        .unwrap();
    assert_eq!(json_of(current).await["rate_limit"], "1/min,1");
    // A fresh budget after the reset.
    assert_eq!(h.mint(ACCOUNT).await.status(), 200);
    assert_eq!(h.mint(ACCOUNT).await.status(), 429);
}
