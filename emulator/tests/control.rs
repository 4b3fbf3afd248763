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
    assert_eq!(response.status(), 400);

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
    assert_eq!(
        log,
        json!({ "count": 0, "admitted": 0, "rate_limited": 0, "requests": [] })
    );
    let response = h.mint("kept").await;
    assert_eq!(
        response.status(),
        200,
        "fault survived reset or account lost"
    );
    assert_eq!(header(&response, "x-request-id"), "req_1");
    assert_eq!(h.requests().await["count"], 1);
}

/// `GET /__emulator/connections` on a fresh connection (which counts itself).
async fn open_connections(addr: std::net::SocketAddr) -> u64 {
    connection_counts(addr).await["open"]
        .as_u64()
        .expect("open is a count")
}

async fn connection_counts(addr: std::net::SocketAddr) -> serde_json::Value {
    let request = b"GET /__emulator/connections HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n";
    let seen = raw_exchange(addr, request, usize::MAX).await;
    let text = String::from_utf8(seen.bytes).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").expect("a complete answer");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    serde_json::from_str(body).unwrap()
}

/// Polls until the count is `expected`: the server notices a close a moment
/// after the client makes it.
async fn wait_for_open(addr: std::net::SocketAddr, expected: u64) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let open = open_connections(addr).await;
        if open == expected {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{open} connections open, expected {expected}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_counts_every_connection_accepted_since_start() {
    let h = start().await;
    let addr = h.emulator.addr();
    let before = connection_counts(addr).await["accepted"]
        .as_u64()
        .expect("accepted is a count");
    for _ in 0..3 {
        drop(tokio::net::TcpStream::connect(addr).await.unwrap());
    }
    // Closed connections stay counted; the asking connection counts itself.
    let after = connection_counts(addr).await["accepted"].as_u64().unwrap();
    assert_eq!(after, before + 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_counts_open_client_connections_including_the_asking_one() {
    let h = start().await;
    let addr = h.emulator.addr();
    wait_for_open(addr, 1).await;

    let mut idle = Vec::new();
    for _ in 0..5 {
        idle.push(tokio::net::TcpStream::connect(addr).await.unwrap());
    }
    wait_for_open(addr, 6).await;

    // A keep-alive client connection counts while it is pooled.
    assert_eq!(h.mint(ACCOUNT).await.status(), 200);
    wait_for_open(addr, 7).await;

    drop(idle.drain(..3));
    wait_for_open(addr, 4).await;
    drop(idle);
    drop(h.client);
    wait_for_open(addr, 1).await;

    // Faults that drop the connection release it too.
    let h2 = start().await;
    h2.queue(serde_json::json!([{ "kind": "close" }, { "kind": "wire", "status_line": "HTTP/1.1 200 OK" }]))
        .await;
    for _ in 0..2 {
        raw_exchange(h2.emulator.addr(), raw_token_request().as_bytes(), 0).await;
    }
    drop(h2.client);
    wait_for_open(h2.emulator.addr(), 1).await;
    let wrong = client_builder()
        .build()
        .unwrap()
        .post(format!("{}/__emulator/connections", h2.emulator.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 405);
    assert_eq!(header(&wrong, "allow"), "GET");
}

async fn config_call(h: &Harness, body: &str) -> (u16, serde_json::Value) {
    let response = h
        .client
        .post(h.url("/__emulator/config"))
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), json_of(response).await)
}

/// The lifetime of a token minted now (`force_refresh`: a reused one was
/// minted earlier).
async fn minted_lifetime(h: &Harness) -> u64 {
    let response = h.mint_fresh(ACCOUNT).await;
    assert_eq!(response.status(), 200);
    let token = json_of(response).await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let claims = verified_claims(&token, b"refold-emulator-secret");
    claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_ttl_comes_from_the_config_and_changes_at_run_time() {
    let h = start_with(refold_emulator::EmulatorConfig {
        linked_accounts: vec![ACCOUNT.to_owned()],
        token_ttl: std::time::Duration::from_secs(90),
        ..local_config()
    })
    .await;
    assert_eq!(minted_lifetime(&h).await, 90);
    let current = h
        .client
        .get(h.url("/__emulator/config"))
        .send()
        .await
        .unwrap();
    let settings = |ttl: u64| {
        json!({
            "token_ttl_s": ttl,
            "rate_limit": "off",
            "legacy_session_token": false,
            "webhook_backoff_ms": 1000,
            "schedule_minute_ms": 60000,
            "execution_ms": 50,
        })
    };
    assert_eq!(json_of(current).await, settings(90));

    assert_eq!(
        config_call(&h, r#"{"token_ttl_s": 5}"#).await,
        (200, settings(5))
    );
    assert_eq!(minted_lifetime(&h).await, 5);
    let ten_years = 10 * 365 * 86_400u64;
    assert_eq!(
        config_call(&h, &format!(r#"{{"token_ttl_s": {ten_years}}}"#)).await,
        (200, settings(ten_years))
    );
    assert_eq!(minted_lifetime(&h).await, ten_years);
    // An empty object changes nothing.
    assert_eq!(config_call(&h, "{}").await, (200, settings(ten_years)));

    for bad in [
        r#"{"token_ttl_s": 0}"#,
        r#"{"token_ttl_s": -5}"#,
        r#"{"token_ttl_s": 1.5}"#,
        r#"{"token_ttl_s": "60"}"#,
        r#"{"token_ttl_s": null}"#,
        r#"{"token_ttl_s": 315360001}"#,
        r#"{"token_ttl_s": 1e30}"#,
        r#"{"ttl": 60}"#,
        r#"{"token_ttl_s": 60, "rate_limit": "fast"}"#,
        r#"{"token_ttl_s": 60, "rate_limit": 20}"#,
        r#"{"token_ttl_s": 60, "legacy_session_token": "yes"}"#,
        "[60]",
        "nope",
    ] {
        let (status, body) = config_call(&h, bad).await;
        assert_eq!(status, 400, "{bad}");
        assert!(body["message"].is_string(), "{bad}");
    }
    assert_eq!(
        minted_lifetime(&h).await,
        ten_years,
        "a rejected call changed it"
    );

    // A reset restores the configured lifetime.
    h.reset().await;
    assert_eq!(minted_lifetime(&h).await, 90);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_rejects_a_token_ttl_out_of_range() {
    for ttl in [0, 10 * 365 * 86_400 + 1] {
        let err = refold_emulator::Emulator::start(refold_emulator::EmulatorConfig {
            token_ttl: std::time::Duration::from_secs(ttl),
            ..local_config()
        })
        .await
        .unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput, "{ttl}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_keeps_the_first_64_kib_of_a_large_body() {
    let h = start().await;
    let body = format!("{{\"pad\":\"{}\"}}", "é".repeat(50_000));
    let response = h.post_token(Some(KEY), body.clone()).await.unwrap();
    assert_eq!(response.status(), 400);
    let log = h.requests().await;
    let logged = &log["requests"][0];
    assert_eq!(logged["body_truncated"], true);
    assert_eq!(logged["body_bytes"], body.len());
    // Cut at a byte boundary, shown lossily: the kept prefix is intact.
    let shown = logged["body"].as_str().unwrap();
    assert!(body.starts_with(shown.trim_end_matches('\u{fffd}')));
    assert!(shown.len() <= 64 * 1024 + 3);
    // Small bodies are not flagged.
    h.mint(ACCOUNT).await;
    let log = h.requests().await;
    assert!(log["requests"][1].get("body_truncated").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_requests_are_refused_early() {
    let h = start().await;
    // A request head over 64 KiB: 431, nothing logged.
    let response = h
        .client
        .post(h.url(TOKEN_PATH))
        .header("x-api-key", KEY)
        .header("x-big", "a".repeat(70 * 1024))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 431);
    // A body over 1 MiB: 413, nothing logged.
    let response = h
        .post_token(Some(KEY), "x".repeat(1024 * 1024 + 1))
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    assert_eq!(h.requests().await["count"], 0);
    // More than 10 000 faults in one list: 400, the queue unchanged.
    let faults = vec![json!({ "kind": "close" }); 10_001];
    let (status, body) = h.queue_raw(json!(faults).to_string()).await;
    assert_eq!(status, 400);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("at most 10000 faults")
    );
    assert_eq!(h.mint(ACCOUNT).await.status(), 200);
}
