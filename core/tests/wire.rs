//! What goes on the wire, and sharing one client, against a live emulator.

use std::collections::HashSet;

use refold_emulator::Emulator;
use refold_session::{Client, ErrorCode, RateLimitOptions};
use serde_json::Value;

#[path = "common/emulator.rs"]
mod emulator;

const KEY: &str = "sk_wire_DISTINCTIVE_51d0";

async fn emulator() -> Emulator {
    emulator::start(KEY).await
}

fn client(emulator: &Emulator) -> Client {
    Client::builder()
        .read_environment_variables(false)
        .rate_limit(RateLimitOptions::Off)
        .api_key(KEY)
        .base_url(emulator.base_url())
        .build()
        .unwrap()
}

async fn request_log(emulator: &Emulator) -> Value {
    reqwest::get(format!("{}/__emulator/requests", emulator.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn sends_the_documented_request() {
    let emulator = emulator().await;
    let session = client(&emulator)
        .get_token_for_linked_account("wire-1")
        .await
        .unwrap();
    assert_eq!(session.linked_account_id(), "wire-1");

    let log = request_log(&emulator).await;
    let request = &log["requests"][0];
    assert_eq!(request["method"], "POST");
    assert_eq!(request["path"], "/api/v2/public/session-token");
    let headers = &request["headers"];
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(headers["accept"], "application/json");
    assert_eq!(headers["x-api-key"], "[redacted]");
    let agent = headers["user-agent"].as_str().unwrap();
    assert!(
        agent.starts_with(&format!(
            "refold-session/{} (rust ",
            refold_session::VERSION
        )),
        "{agent}"
    );
    assert_eq!(request["body"], r#"{"linked_account_id":"wire-1"}"#);
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_client_serves_many_tasks() {
    let emulator = emulator().await;
    let client = client(&emulator);
    let tasks: Vec<_> = (0..300)
        .map(|i| {
            let client = client.clone();
            tokio::spawn(async move {
                client
                    .get_token_for_linked_account(&format!("user-{i}"))
                    .await
                    .map(|session| session.linked_account_id().to_owned())
            })
        })
        .collect();
    let mut seen = HashSet::new();
    for task in tasks {
        seen.insert(task.await.unwrap().unwrap());
    }
    assert_eq!(seen.len(), 300);
    assert_eq!(request_log(&emulator).await["count"], 300);
    emulator.shutdown().await;
}

#[tokio::test]
async fn debug_output_never_shows_the_key_or_token() {
    let emulator = emulator().await;
    let client = client(&emulator);
    let session = client
        .get_token_for_linked_account("debug-1")
        .await
        .unwrap();
    let shown = format!("{client:?} {session:?}");
    assert!(!shown.contains(KEY), "{shown}");
    assert!(!shown.contains(session.token()), "{shown}");
    assert!(shown.contains(&session.token()[..8]));
    emulator.shutdown().await;
}

#[tokio::test]
async fn invalid_input_never_reaches_the_wire() {
    let emulator = emulator().await;
    let client = client(&emulator);
    for bad in ["", "   ", "nul\0", &"z".repeat(2048)] {
        let err = client.get_token_for_linked_account(bad).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidInput);
        assert_eq!(err.attempts(), 0);
        assert!(!err.is_retryable());
    }
    assert_eq!(request_log(&emulator).await["count"], 0);
    emulator.shutdown().await;
}

#[tokio::test]
async fn https_to_a_plain_http_port_is_a_connection_error() {
    let emulator = emulator().await;
    let https = emulator.base_url().replace("http://", "https://");
    let client = Client::builder()
        .read_environment_variables(false)
        .rate_limit(RateLimitOptions::Off)
        .api_key(KEY)
        .base_url(https)
        .max_retries(0)
        .build()
        .unwrap();
    let err = client
        .get_token_for_linked_account("tls-1")
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Connection, "{err}");
    assert_eq!(err.status(), None);
    assert!(!err.message().contains(KEY));
    emulator.shutdown().await;
}

#[tokio::test]
async fn session_token_calls_send_the_token_and_never_the_api_key() {
    let emulator = emulator().await;
    let client = client(&emulator);
    let session = client
        .get_token_for_linked_account_with(
            "wire-bearer",
            refold_session::RequestOptions::new().fresh(),
        )
        .await
        .unwrap();
    let account = client
        .get_active_linked_account(session.token())
        .await
        .unwrap();
    assert_eq!(account.account_id(), "wire-bearer");
    let revoked = client.revoke_session_token(session.token()).await.unwrap();
    assert!(revoked.success);

    let log = request_log(&emulator).await;
    let requests = log["requests"].as_array().unwrap();
    assert_eq!(
        requests[0]["query"], "force_refresh=true",
        "fresh forces a new token"
    );
    for (request, method, path) in [
        (
            &requests[1],
            "GET",
            "/api/v2/public/session/active-linked-account",
        ),
        (&requests[2], "POST", "/api/v2/public/session-token/revoke"),
    ] {
        assert_eq!(request["method"], method);
        assert_eq!(request["path"], path);
        let headers = request["headers"].as_object().unwrap();
        assert_eq!(headers["authorization"], "Bearer [redacted]");
        assert!(!headers.contains_key("x-api-key"), "{headers:?}");
    }
    assert_eq!(requests[2]["body"], "", "the revocation's body is unused");

    // Checked before anything is sent; the token is never quoted.
    for bad in ["", "has space", "new\nline"] {
        let err = client.revoke_session_token(bad).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidInput);
        assert_eq!(err.attempts(), 0);
    }
    assert_eq!(request_log(&emulator).await["count"], 3);
    emulator.shutdown().await;
}
