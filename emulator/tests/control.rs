//! The control plane: request log, counters and reset.

mod common;

use common::*;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_log_redacts_the_key_and_keeps_bodies_byte_exact() {
    let h = start().await;
    let id = "quote\" back\\slash é 日本";
    let body = json!({ "linked_account_id": id }).to_string();
    let response = h.post_token(Some(KEY), body.clone()).await.unwrap();
    // The account is unknown, which does not matter for the log.
    assert_eq!(response.status(), 500);

    let log = h.requests().await;
    assert_eq!(log["count"], 1);
    let requests = log["requests"].as_array().unwrap();
    assert_eq!(requests.len(), 1);
    let logged = &requests[0];
    assert_eq!(logged["method"], "POST");
    assert_eq!(logged["path"], TOKEN_PATH);
    assert_eq!(logged["body"].as_str().unwrap(), body);
    // Escapes and non-ASCII arrive untouched, exactly as the client wrote them.
    assert!(
        logged["body"]
            .as_str()
            .unwrap()
            .contains(r#""quote\" back\\slash é 日本""#)
    );
    let decoded: serde_json::Value =
        serde_json::from_str(logged["body"].as_str().unwrap()).unwrap();
    assert_eq!(decoded["linked_account_id"], id);
    assert_eq!(logged["headers"]["x-api-key"], "[redacted]");
    assert_eq!(logged["headers"]["content-type"], "application/json");
    assert!(
        !log.to_string().contains(KEY),
        "the key leaked into the log"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn count_includes_faulted_requests() {
    let h = start().await;
    h.queue(json!([{ "kind": "close" }, { "kind": "status", "status": 503 }]))
        .await;
    assert!(h.post_token(Some(KEY), "{}".into()).await.is_err());
    assert_eq!(h.mint(ACCOUNT).await.status(), 503);
    assert_eq!(h.mint(ACCOUNT).await.status(), 200);
    let log = h.requests().await;
    assert_eq!(log["count"], 3);
    assert_eq!(log["requests"].as_array().unwrap().len(), 3);
    assert_eq!(log["requests"][0]["body"], "{}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_keeps_the_last_hundred_oldest_first() {
    let h = start().await;
    for n in 0..105 {
        h.post_token(Some(KEY), format!("{{\"n\":{n}}}"))
            .await
            .unwrap();
    }
    let log = h.requests().await;
    assert_eq!(log["count"], 105);
    let requests = log["requests"].as_array().unwrap();
    assert_eq!(requests.len(), 100);
    assert_eq!(requests[0]["body"], "{\"n\":5}");
    assert_eq!(requests[99]["body"], "{\"n\":104}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_clears_faults_counters_and_log_but_keeps_accounts() {
    let h = start().await;
    let created = h
        .client
        .post(h.url(ACCOUNT_PATH))
        .header("x-api-key", KEY)
        .body(r#"{"linked_account_id":"kept"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 200);
    assert_eq!(h.mint(ACCOUNT).await.status(), 200);
    h.queue(json!([{ "kind": "status", "status": 503 }])).await;

    h.reset().await;

    let log = h.requests().await;
    assert_eq!(log, json!({ "count": 0, "requests": [] }));
    let response = h.mint("kept").await;
    assert_eq!(
        response.status(),
        200,
        "fault survived reset or account lost"
    );
    assert_eq!(header(&response, "x-request-id"), "req_1");
    assert_eq!(h.requests().await["count"], 1);
}
