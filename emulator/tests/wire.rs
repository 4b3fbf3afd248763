//! Byte-level checks over a raw TCP socket, for faults whose point is what
//! does (not) go over the wire.

mod common;

use std::time::Duration;

use common::*;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Sends one HTTP/1.1 token request and reads until the server closes.
async fn exchange(h: &Harness) -> Vec<u8> {
    let body = r#"{"linked_account_id":"acct-1"}"#;
    let request = format!(
        "POST {TOKEN_PATH} HTTP/1.1\r\nhost: x\r\nx-api-key: {KEY}\r\n\
         content-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = TcpStream::connect(h.emulator.addr()).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut received = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut received))
        .await
        .expect("server closes the connection")
        .ok();
    received
}

fn split_response(raw: &[u8]) -> (String, &[u8]) {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("complete head");
    (
        String::from_utf8_lossy(&raw[..end]).to_lowercase(),
        &raw[end + 4..],
    )
}

fn content_length(head: &str) -> usize {
    head.lines()
        .find_map(|l| l.strip_prefix("content-length: "))
        .expect("content-length")
        .parse()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_sends_no_bytes_at_all() {
    let h = start().await;
    h.queue(json!([{ "kind": "close" }])).await;
    assert!(exchange(&h).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncate_sends_exactly_half_of_the_announced_body() {
    let h = start().await;
    h.queue(json!([{ "kind": "truncate" }])).await;
    let raw = exchange(&h).await;
    let (head, body) = split_response(&raw);
    assert!(head.starts_with("http/1.1 200"), "{head}");
    let announced = content_length(&head);
    assert_eq!(body.len(), announced / 2);
    assert!(body.starts_with(b"{\"token\":\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_normal_answer_is_complete_with_content_length() {
    let h = start().await;
    let raw = exchange(&h).await;
    let (head, body) = split_response(&raw);
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(head.contains("x-request-id: req_1"));
    assert_eq!(body.len(), content_length(&head));
    let value: serde_json::Value = serde_json::from_slice(body).unwrap();
    assert!(value["token"].is_string());
}
