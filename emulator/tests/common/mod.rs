//! Shared helpers for the integration tests: an in-process emulator on a
//! free loopback port and a real HTTP client pointed at it.

// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use refold_emulator::{Emulator, EmulatorConfig};
use serde_json::{Value, json};
use sha2::Sha256;

pub const KEY: &str = "emulator-key";
pub const ACCOUNT: &str = "acct-1";
pub const TOKEN_PATH: &str = "/api/v2/public/session-token";
pub const ACCOUNT_PATH: &str = "/api/v2/public/linked-account";

pub struct Harness {
    pub emulator: Emulator,
    pub client: reqwest::Client,
}

/// An emulator with the default key and one known account, `acct-1`.
pub async fn start() -> Harness {
    start_with(EmulatorConfig {
        linked_accounts: vec![ACCOUNT.to_owned()],
        ..local_config()
    })
    .await
}

/// The default configuration on a free loopback port, without the rate
/// limit (only tests of the limit turn it on).
pub fn local_config() -> EmulatorConfig {
    EmulatorConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        rate_limit: None,
        ..EmulatorConfig::default()
    }
}

pub async fn start_with(config: EmulatorConfig) -> Harness {
    let emulator = Emulator::start(config).await.expect("emulator starts");
    Harness {
        emulator,
        client: client_builder().build().unwrap(),
    }
}

/// A client that talks straight to loopback and never follows redirects.
pub fn client_builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
}

impl Harness {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.emulator.base_url())
    }

    /// A session-token request with the default key for `id`.
    pub async fn mint(&self, id: &str) -> reqwest::Response {
        self.post_token(Some(KEY), json!({ "linked_account_id": id }).to_string())
            .await
            .expect("request succeeds")
    }

    /// A session-token request that always mints (`?force_refresh=true`).
    pub async fn mint_fresh(&self, id: &str) -> reqwest::Response {
        self.client
            .post(self.url(&format!("{TOKEN_PATH}?force_refresh=true")))
            .header("x-api-key", KEY)
            .body(json!({ "linked_account_id": id }).to_string())
            .send()
            .await
            .expect("request succeeds")
    }

    pub async fn post_token(
        &self,
        key: Option<&str>,
        body: String,
    ) -> reqwest::Result<reqwest::Response> {
        let mut request = self
            .client
            .post(self.url(TOKEN_PATH))
            .header("content-type", "application/json")
            .body(body);
        if let Some(key) = key {
            request = request.header("x-api-key", key);
        }
        request.send().await
    }

    /// Queues `faults` (a JSON array) and checks they were accepted.
    pub async fn queue(&self, faults: Value) {
        let (status, body) = self.queue_raw(faults.to_string()).await;
        assert_eq!(status, 200, "faults rejected: {body}");
        assert_eq!(body["queued"], faults.as_array().unwrap().len());
    }

    pub async fn queue_raw(&self, faults: String) -> (u16, Value) {
        let response = self
            .client
            .post(self.url("/__emulator/faults"))
            .body(faults)
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), json_of(response).await)
    }

    pub async fn requests(&self) -> Value {
        let response = self
            .client
            .get(self.url("/__emulator/requests"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        json_of(response).await
    }

    pub async fn reset(&self) {
        let response = self
            .client
            .post(self.url("/__emulator/reset"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(json_of(response).await, json!({ "ok": true }));
    }
}

pub async fn json_of(response: reqwest::Response) -> Value {
    let bytes = response.bytes().await.expect("body");
    serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&bytes)))
}

pub fn header<'a>(response: &'a reqwest::Response, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .unwrap_or_else(|| panic!("missing header {name}"))
        .to_str()
        .unwrap()
}

/// Verifies an HS256 JWT independently of the emulator's own code and
/// returns its claims.
pub fn verified_claims(token: &str, secret: &[u8]) -> Value {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "not a JWT: {token}");
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
    assert_eq!(header, json!({ "alg": "HS256", "typ": "JWT" }));
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).unwrap();
    mac.update(format!("{}.{}", parts[0], parts[1]).as_bytes());
    mac.verify_slice(&URL_SAFE_NO_PAD.decode(parts[2]).unwrap())
        .expect("signature verifies");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap()
}

pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A raw HTTP/1.1 session-token request for `ACCOUNT` with the default key.
pub fn raw_token_request() -> String {
    let body = format!(r#"{{"linked_account_id":"{ACCOUNT}"}}"#);
    format!(
        "POST {TOKEN_PATH} HTTP/1.1\r\nhost: x\r\nx-api-key: {KEY}\r\n\
         content-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
}

/// What a raw client saw: every byte, when the first `expect` bytes had
/// arrived, and when the server closed the connection.
pub struct RawExchange {
    pub bytes: Vec<u8>,
    pub all_expected_after: Option<std::time::Duration>,
    pub closed_after: std::time::Duration,
}

/// Sends `request` on a fresh TCP connection and reads until the server
/// closes it (at most 10 s).
pub async fn raw_exchange(
    addr: std::net::SocketAddr,
    request: &[u8],
    expect: usize,
) -> RawExchange {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let started = std::time::Instant::now();
    let mut bytes = Vec::new();
    let mut all_expected_after = None;
    let mut buf = [0u8; 8192];
    loop {
        let read = tokio::time::timeout(std::time::Duration::from_secs(10), stream.read(&mut buf))
            .await
            .expect("the server closes the connection within 10 s");
        match read {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                bytes.extend_from_slice(&buf[..n]);
                if all_expected_after.is_none() && bytes.len() >= expect {
                    all_expected_after = Some(started.elapsed());
                }
            }
        }
    }
    RawExchange {
        bytes,
        all_expected_after,
        closed_after: started.elapsed(),
    }
}

/// Who makes an API call.
#[derive(Clone, Copy)]
pub enum As<'a> {
    Nobody,
    /// The key alone (org level).
    Key,
    /// The key with a `linked_account_id` header.
    KeyFor(&'a str),
    /// A wrong key.
    WrongKey,
    /// A session token.
    Token(&'a str),
}

impl Harness {
    /// An API call: its status and its body as JSON (`null` when empty).
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        who: As<'_>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self.client.request(method, self.url(path));
        request = match who {
            As::Nobody => request,
            As::Key => request.header("x-api-key", KEY),
            As::KeyFor(account) => request
                .header("x-api-key", KEY)
                .header("linked_account_id", account),
            As::WrongKey => request.header("x-api-key", "not-the-key"),
            As::Token(token) => request.header("authorization", format!("Bearer {token}")),
        };
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let response = request.send().await.expect("request succeeds");
        let status = response.status().as_u16();
        let bytes = response.bytes().await.expect("body");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&bytes)))
        };
        (status, body)
    }

    /// A call that must answer `status`; its body.
    pub async fn expect(
        &self,
        status: u16,
        method: &str,
        path: &str,
        who: As<'_>,
        body: Option<Value>,
    ) -> Value {
        let (got, answer) = self.call(method, path, who, body).await;
        assert_eq!(got, status, "{method} {path}: {answer}");
        answer
    }

    /// A fresh session token for `account`.
    pub async fn token(&self, account: &str) -> String {
        let response = self.mint_fresh(account).await;
        assert_eq!(response.status(), 200);
        json_of(response).await["token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// `POST /__emulator/config` with `settings`; checks it was accepted.
    pub async fn configure(&self, settings: Value) -> Value {
        let response = self
            .client
            .post(self.url("/__emulator/config"))
            .body(settings.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        json_of(response).await
    }

    /// A control-plane call: status and JSON body.
    pub async fn control(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        self.call(method, path, As::Nobody, body).await
    }

    /// Polls `check` (up to 30 s, every 20 ms) until it gives a value.
    pub async fn eventually<T, F, Fut>(&self, what: &str, mut check: F) -> T
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Option<T>>,
    {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            if let Some(found) = check().await {
                return found;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "timed out waiting for {what}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
}

/// `/a/{b}/c` with every parameter replaced by `value`.
pub fn concrete(template: &str, value: &str) -> String {
    template
        .split('/')
        .map(|segment| {
            if segment.starts_with('{') {
                value
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}
