//! Load-shaped behaviour: many requests at once, async delays, HTTP/2.

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_requests_all_succeed() {
    let h = start().await;
    let tasks: Vec<_> = (0..200)
        .map(|_| {
            let client = h.client.clone();
            let url = h.url(TOKEN_PATH);
            tokio::spawn(async move {
                let response = client
                    .post(url)
                    .header("x-api-key", KEY)
                    .body(r#"{"linked_account_id":"acct-1"}"#)
                    .send()
                    .await
                    .unwrap();
                let status = response.status();
                let id = header(&response, "x-request-id").to_owned();
                (status, id, json_of(response).await)
            })
        })
        .collect();
    let mut ids = std::collections::HashSet::new();
    for task in tasks {
        let (status, id, body) = task.await.unwrap();
        assert_eq!(status, 200);
        verified_claims(body["token"].as_str().unwrap(), b"refold-emulator-secret");
        ids.insert(id);
    }
    assert_eq!(ids.len(), 200, "request ids must be unique");
    assert_eq!(h.requests().await["count"], 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delays_do_not_block_worker_threads() {
    let h = start().await;
    let faults: Vec<_> = (0..40)
        .map(|_| json!({ "kind": "delay", "ms": 500 }))
        .collect();
    h.queue(json!(faults)).await;
    let started = Instant::now();
    let tasks: Vec<_> = (0..40)
        .map(|_| {
            let client = h.client.clone();
            let url = h.url(TOKEN_PATH);
            tokio::spawn(async move {
                client
                    .post(url)
                    .header("x-api-key", KEY)
                    .body(r#"{"linked_account_id":"acct-1"}"#)
                    .send()
                    .await
                    .unwrap()
                    .status()
            })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap(), 200);
    }
    let elapsed = started.elapsed();
    // 40 × 500 ms in series would be 20 s (10 s on two blocked workers).
    assert!(elapsed >= Duration::from_millis(500), "{elapsed:?}");
    assert!(
        elapsed < Duration::from_secs(4),
        "delays ran in series: {elapsed:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_prior_knowledge_and_keep_alive_work() {
    let h = start().await;
    let client = client_builder().http2_prior_knowledge().build().unwrap();
    for n in 1..=5 {
        let response = client
            .post(h.url(TOKEN_PATH))
            .header("x-api-key", KEY)
            .body(r#"{"linked_account_id":"acct-1"}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(response.version(), reqwest::Version::HTTP_2);
        assert_eq!(response.status(), 200);
        assert_eq!(header(&response, "x-request-id"), format!("req_{n}"));
        assert!(json_of(response).await["token"].is_string());
    }
}
