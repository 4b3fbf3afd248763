//! Every fault kind, its ordering and its consumption.

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::json;

const SECRET: &[u8] = b"refold-emulator-secret";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_fault_with_headers_and_json_body_is_used_once() {
    let h = start().await;
    h.queue(json!([{
        "kind": "status", "status": 503,
        "headers": { "retry-after": "1" },
        "body": { "message": "try later" }
    }]))
    .await;
    let response = h.mint(ACCOUNT).await;
    assert_eq!(response.status(), 503);
    assert_eq!(header(&response, "retry-after"), "1");
    assert_eq!(header(&response, "content-type"), "application/json");
    assert_eq!(header(&response, "x-request-id"), "req_1");
    assert_eq!(json_of(response).await, json!({ "message": "try later" }));
    // Consumed: the next request is normal.
    assert_eq!(h.mint(ACCOUNT).await.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_fault_string_body_is_raw_text_and_no_body_is_empty() {
    let h = start().await;
    h.queue(json!([
        { "kind": "status", "status": 502, "body": "upstream {broken" },
        { "kind": "status", "status": 429 },
    ]))
    .await;
    let text = h.mint(ACCOUNT).await;
    assert_eq!(text.status(), 502);
    assert_eq!(header(&text, "content-type"), "text/plain");
    assert_eq!(text.text().await.unwrap(), "upstream {broken");
    let empty = h.mint(ACCOUNT).await;
    assert_eq!(empty.status(), 429);
    assert_eq!(empty.bytes().await.unwrap().len(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_200_fault_serves_an_opaque_token() {
    let h = start().await;
    h.queue(json!([{ "kind": "status", "status": 200, "body": { "token": "opaque-123" } }]))
        .await;
    let response = h.mint(ACCOUNT).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), r#"{"token":"opaque-123"}"#);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_apply_before_the_api_key_check() {
    let h = start().await;
    h.queue(json!([{ "kind": "status", "status": 500 }])).await;
    let response = h.post_token(None, "garbage".into()).await.unwrap();
    assert_eq!(response.status(), 500);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_are_applied_in_order_and_a_new_list_replaces_the_queue() {
    let h = start().await;
    h.queue(json!([
        { "kind": "status", "status": 503 },
        { "kind": "status", "status": 429 },
    ]))
    .await;
    assert_eq!(h.mint(ACCOUNT).await.status(), 503);
    h.queue(json!([{ "kind": "status", "status": 418 }])).await;
    // 429 was dropped by the replacement.
    assert_eq!(h.mint(ACCOUNT).await.status(), 418);
    assert_eq!(h.mint(ACCOUNT).await.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn linked_account_requests_take_faults_in_arrival_order_but_404s_do_not() {
    let h = start().await;
    h.queue(json!([
        { "kind": "status", "status": 503 },
        { "kind": "status", "status": 429 },
    ]))
    .await;
    assert_eq!(
        h.client
            .get(h.url("/elsewhere"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let account = h
        .client
        .post(h.url(ACCOUNT_PATH))
        .header("x-api-key", KEY)
        .body(r#"{"linked_account_id":"x"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(account.status(), 503);
    assert!(header(&account, "x-request-id").starts_with("req_"));
    assert_eq!(h.mint(ACCOUNT).await.status(), 429);
    assert_eq!(h.mint(ACCOUNT).await.status(), 200);
    // The faulted create did not happen.
    assert_eq!(h.mint("x").await.status(), 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delay_waits_then_processes_normally_with_fault_headers() {
    let h = start().await;
    h.queue(json!([
        { "kind": "delay", "ms": 300, "headers": { "x-fault": "delayed" } },
        { "kind": "delay", "ms": 10 },
    ]))
    .await;
    let started = Instant::now();
    let response = h.mint(ACCOUNT).await;
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "x-fault"), "delayed");
    let token = json_of(response).await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        verified_claims(&token, SECRET)["linked_account_id"],
        ACCOUNT
    );
    // After the delay the normal checks still run.
    let response = h
        .post_token(Some("wrong"), r#"{"linked_account_id":"acct-1"}"#.into())
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stall_body_sends_headers_then_pauses_mid_body() {
    let h = start().await;
    h.queue(json!([{ "kind": "stall_body", "ms": 400 }])).await;
    let started = Instant::now();
    let response = h.mint(ACCOUNT).await;
    let headers_after = started.elapsed();
    assert_eq!(response.status(), 200);
    let announced: usize = header(&response, "content-length").parse().unwrap();
    let body = response.bytes().await.expect("full body arrives");
    let total = started.elapsed();
    assert!(
        headers_after < Duration::from_millis(400),
        "headers took {headers_after:?}"
    );
    assert!(
        total >= Duration::from_millis(400),
        "body took only {total:?}"
    );
    assert_eq!(body.len(), announced);
    let token: serde_json::Value = serde_json::from_slice(&body).unwrap();
    verified_claims(token["token"].as_str().unwrap(), SECRET);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_drops_the_connection_without_an_answer() {
    let h = start().await;
    h.queue(json!([{ "kind": "close" }])).await;
    let result = h
        .post_token(
            Some(KEY),
            json!({ "linked_account_id": ACCOUNT }).to_string(),
        )
        .await;
    let err = result.expect_err("a closed connection is an error");
    assert!(!err.is_status(), "{err:?}");
    // The server itself is fine afterwards.
    assert_eq!(h.mint(ACCOUNT).await.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncate_announces_a_full_body_and_sends_half() {
    let h = start().await;
    h.queue(json!([{ "kind": "truncate" }])).await;
    let response = h.mint(ACCOUNT).await;
    assert_eq!(response.status(), 200);
    let announced: usize = header(&response, "content-length").parse().unwrap();
    assert!(
        announced > 100,
        "content-length of a token body, got {announced}"
    );
    assert!(
        response.bytes().await.is_err(),
        "a truncated body must fail"
    );
    assert_eq!(h.mint(ACCOUNT).await.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_sends_status_content_type_and_body_as_is() {
    let h = start().await;
    h.queue(json!([
        { "kind": "raw", "status": 502, "content_type": "text/html", "body": "<html>oops</html>" },
        { "kind": "raw", "body": "{\"token\": " },
    ]))
    .await;
    let html = h.mint(ACCOUNT).await;
    assert_eq!(html.status(), 502);
    assert_eq!(header(&html, "content-type"), "text/html");
    assert_eq!(html.text().await.unwrap(), "<html>oops</html>");
    let broken = h.mint(ACCOUNT).await;
    assert_eq!(broken.status(), 200);
    assert_eq!(header(&broken, "content-type"), "text/plain");
    assert_eq!(broken.text().await.unwrap(), "{\"token\": ");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_is_valid_json_of_the_requested_size() {
    let h = start().await;
    h.queue(json!([{ "kind": "oversized" }, { "kind": "oversized", "bytes": 10_000 }]))
        .await;
    for expected in [2 * 1024 * 1024, 10_000] {
        let response = h.mint(ACCOUNT).await;
        assert_eq!(response.status(), 200);
        assert_eq!(header(&response, "content-type"), "application/json");
        let announced: usize = header(&response, "content-length").parse().unwrap();
        let body = response.bytes().await.unwrap();
        assert_eq!(body.len(), announced);
        assert_eq!(body.len(), expected);
        let value: serde_json::Value = serde_json::from_slice(&body).unwrap();
        verified_claims(value["token"].as_str().unwrap(), SECRET);
        assert!(
            value["padding"]
                .as_str()
                .unwrap()
                .bytes()
                .all(|b| b == b'x')
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirect_defaults_and_overrides() {
    let h = start().await;
    h.queue(json!([
        { "kind": "redirect" },
        { "kind": "redirect", "status": 307, "location": "http://127.0.0.1:9/elsewhere" },
    ]))
    .await;
    let default = h.mint(ACCOUNT).await;
    assert_eq!(default.status(), 302);
    assert_eq!(
        header(&default, "location"),
        "/api/v2/public/session-token-moved"
    );
    let custom = h.mint(ACCOUNT).await;
    assert_eq!(custom.status(), 307);
    assert_eq!(header(&custom, "location"), "http://127.0.0.1:9/elsewhere");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_fault_lists_are_400_and_leave_the_queue_alone() {
    let h = start().await;
    h.queue(json!([{ "kind": "status", "status": 503 }])).await;
    for (faults, needle) in [
        ("not json", "not valid JSON"),
        (r#"{"kind":"close"}"#, "JSON array"),
        (
            r#"[{"kind":"close"},{"kind":"nope"}]"#,
            "fault 1: unknown kind",
        ),
        (r#"[{"kind":"delay"}]"#, "missing field `ms`"),
        (r#"[{"kind":"status","status":"503"}]"#, "`status` must be"),
        (
            r#"[{"kind":"close","headers":{"bad header":"x"}}]"#,
            "header name",
        ),
    ] {
        let (status, body) = h.queue_raw(faults.into()).await;
        assert_eq!(status, 400, "{faults}");
        let message = body["message"].as_str().unwrap();
        assert!(message.contains(needle), "{faults}: {message}");
    }
    assert_eq!(h.mint(ACCOUNT).await.status(), 503);
}

/// Queues one `wire` fault and returns what a raw HTTP/1.1 client receives
/// for the next session-token request, checking it is exactly `expected`.
async fn wire_roundtrip(h: &Harness, fault: serde_json::Value, expected: &[u8]) -> RawExchange {
    h.queue(json!([fault])).await;
    let seen = raw_exchange(
        h.emulator.addr(),
        raw_token_request().as_bytes(),
        expected.len(),
    )
    .await;
    assert_eq!(
        String::from_utf8_lossy(&seen.bytes),
        String::from_utf8_lossy(expected)
    );
    assert_eq!(seen.bytes, expected);
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wire_sends_status_line_duplicate_headers_and_body_byte_for_byte() {
    let h = start().await;
    wire_roundtrip(
        &h,
        json!({
            "kind": "wire",
            "status_line": "HTTP/1.1 500 X",
            "wire_headers": [["x-dup", "1"], ["X-Dup", "2"], ["content-type", "text/plain"]],
            "body": "é oops",
        }),
        "HTTP/1.1 500 X\r\nx-dup: 1\r\nX-Dup: 2\r\ncontent-type: text/plain\r\n\r\né oops"
            .as_bytes(),
    )
    .await;
    // Used once; the emulator is fine afterwards.
    assert_eq!(h.mint(ACCOUNT).await.status(), 200);
    // Counted and logged like any faulted request.
    let log = h.requests().await;
    assert_eq!(log["count"], 2);
    assert_eq!(log["requests"][0]["path"], TOKEN_PATH);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wire_sends_lying_content_lengths_as_given() {
    let h = start().await;
    for (length, body) in [
        ("100000000000", "x"),
        ("18446744073709551613", "x"),
        ("abc", "{}"),
        ("-1", "{}"),
        ("2", r#"{"token":"longer than announced"}"#),
    ] {
        let expected =
            format!("HTTP/1.1 200 OK\r\ncontent-length: {length}\r\nx-a: b\r\n\r\n{body}");
        wire_roundtrip(
            &h,
            json!({
                "kind": "wire",
                "status_line": "HTTP/1.1 200 OK",
                "wire_headers": [["content-length", length], ["x-a", "b"]],
                "body": body,
            }),
            expected.as_bytes(),
        )
        .await;
    }
    assert_eq!(h.requests().await["count"], 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wire_body_base64_carries_arbitrary_bytes_and_defaults_are_bare() {
    let h = start().await;
    let mut expected = b"HTTP/1.1 200 OK\r\n\r\n".to_vec();
    expected.extend_from_slice(&[0, 0xff, 0xfe, b'\r', b'\n']);
    // Padding is optional.
    for encoded in ["AP/+DQo=", "AP/+DQo"] {
        wire_roundtrip(
            &h,
            json!({ "kind": "wire", "status_line": "HTTP/1.1 200 OK", "body_base64": encoded }),
            &expected,
        )
        .await;
    }
    // No headers and no body: the status line and the empty line only.
    wire_roundtrip(
        &h,
        json!({ "kind": "wire", "status_line": "HTTP/1.0 204 No Content" }),
        b"HTTP/1.0 204 No Content\r\n\r\n",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wire_pause_keeps_the_connection_open_then_closes_it() {
    let h = start().await;
    let expected = b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nhalf";
    let seen = wire_roundtrip(
        &h,
        json!({
            "kind": "wire",
            "status_line": "HTTP/1.1 200 OK",
            "wire_headers": [["content-length", "10"]],
            "body": "half",
            "pause_ms": 400,
        }),
        expected,
    )
    .await;
    let arrived = seen.all_expected_after.expect("all bytes arrived");
    assert!(
        arrived < Duration::from_millis(300),
        "bytes took {arrived:?}"
    );
    assert!(
        seen.closed_after >= Duration::from_millis(400),
        "closed after only {:?}",
        seen.closed_after
    );
    // Without a pause the close follows the bytes at once.
    let seen = wire_roundtrip(
        &h,
        json!({ "kind": "wire", "status_line": "HTTP/1.1 200 OK" }),
        b"HTTP/1.1 200 OK\r\n\r\n",
    )
    .await;
    assert!(
        seen.closed_after < Duration::from_millis(300),
        "{:?}",
        seen.closed_after
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wire_on_http2_resets_the_stream_only() {
    let h = start().await;
    h.queue(json!([{ "kind": "wire", "status_line": "HTTP/1.1 200 OK", "body": "x" }]))
        .await;
    let client = client_builder().http2_prior_knowledge().build().unwrap();
    let send = || {
        client
            .post(h.url(TOKEN_PATH))
            .header("x-api-key", KEY)
            .body(json!({ "linked_account_id": ACCOUNT }).to_string())
            .send()
    };
    assert!(send().await.is_err());
    assert_eq!(send().await.unwrap().status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_wire_faults_are_400() {
    let h = start().await;
    for (fault, needle) in [
        (json!({ "kind": "wire" }), "missing field `status_line`"),
        (
            json!({ "kind": "wire", "status_line": 200 }),
            "`status_line` must be a string",
        ),
        (
            json!({ "kind": "wire", "status_line": "HTTP/1.1 200 OK", "headers": { "a": "b" } }),
            "use `wire_headers`",
        ),
        (
            json!({ "kind": "wire", "status_line": "x", "wire_headers": { "a": "b" } }),
            "array of [name, value] pairs",
        ),
        (
            json!({ "kind": "wire", "status_line": "x", "wire_headers": [["a", "b"], ["c"]] }),
            "`wire_headers[1]` must be a [name, value] pair",
        ),
        (
            json!({ "kind": "wire", "status_line": "x", "wire_headers": [["a", 1]] }),
            "`wire_headers[0]`",
        ),
        (
            json!({ "kind": "wire", "status_line": "x", "body": "a", "body_base64": "YQ==" }),
            "at most one of",
        ),
        (
            json!({ "kind": "wire", "status_line": "x", "body": 5 }),
            "`body` must be a string",
        ),
        (
            json!({ "kind": "wire", "status_line": "x", "body_base64": "***" }),
            "not valid base64",
        ),
        (
            json!({ "kind": "wire", "status_line": "x", "pause_ms": 600_001 }),
            "`pause_ms` must be at most 600000",
        ),
        (
            json!({ "kind": "wire", "status_line": "x", "pause_ms": -1 }),
            "non-negative integer",
        ),
        (
            json!({ "kind": "wire", "status_line": "x", "ms": 1 }),
            "unknown field `ms`",
        ),
    ] {
        let (status, body) = h.queue_raw(json!([fault]).to_string()).await;
        assert_eq!(status, 400, "{fault}");
        let message = body["message"].as_str().unwrap();
        assert!(message.contains(needle), "{fault}: {message}");
    }
}
