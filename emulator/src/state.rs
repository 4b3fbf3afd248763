//! Shared, mutable state of one emulator: accounts, the fault queue and the
//! request log.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use bytes::Bytes;
use hyper::Method;
use hyper::header::HeaderMap;
use serde_json::{Map, Value, json};

use crate::accounts::Store;
use crate::config::EmulatorConfig;
use crate::faults::Fault;
use crate::frontend::Connections;
use crate::token::{TokenSigner, unix_now};

/// How many public-API requests `GET /__emulator/requests` shows.
const LOG_CAPACITY: usize = 100;
/// The most body bytes kept per logged request; longer bodies are cut (and
/// flagged), so the log holds at most about 100 × 64 KiB of bodies.
pub(crate) const LOG_BODY_LIMIT: usize = 64 * 1024;
/// What replaces a secret in the log.
const REDACTED: &str = "[redacted]";

/// A public-API request as it arrived (see [`State::record`] for what the
/// log keeps of its body).
pub(crate) struct LoggedRequest {
    pub method: Method,
    pub path: String,
    pub query: Option<String>,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// What the log keeps of a request.
struct LogEntry {
    request: LoggedRequest,
    /// The body's real length when the logged one was cut.
    cut_from: Option<usize>,
}

/// Everything a public-API request touches under one lock, so counting,
/// logging and taking a fault happen atomically and in arrival order.
#[derive(Default)]
struct Recorder {
    count: u64,
    log: VecDeque<LogEntry>,
    faults: VecDeque<Fault>,
}

pub(crate) struct State {
    api_keys: Vec<String>,
    any_linked_account: bool,
    pub accounts: Store,
    /// Applications connected per linked account (front-end API).
    pub connections: Connections,
    org_id: String,
    signer: TokenSigner,
    recorder: Mutex<Recorder>,
    request_ids: AtomicU64,
    /// Client TCP connections currently open (see [`OpenConnection`]).
    open_connections: AtomicU64,
    /// Client TCP connections accepted since start (a client that keeps its connections
    /// opens about as many as it has calls in flight).
    accepted_connections: AtomicU64,
    /// Lifetime of minted tokens in seconds, changeable at run time.
    token_ttl: AtomicU64,
    /// The configured lifetime, restored by a reset.
    configured_token_ttl: u64,
}

/// Counts one open client connection for as long as it lives: created on
/// accept, dropped when the connection's task ends by whatever path.
pub(crate) struct OpenConnection(Arc<State>);

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.open_connections.fetch_sub(1, Ordering::Relaxed);
    }
}

impl State {
    pub(crate) fn new(config: EmulatorConfig) -> Self {
        let token_ttl = config.token_ttl.as_secs();
        Self {
            api_keys: config.effective_api_keys(),
            any_linked_account: config.any_linked_account,
            accounts: Store::new(&config.org_id, config.linked_accounts),
            connections: Connections::default(),
            org_id: config.org_id.clone(),
            signer: TokenSigner::new(&config.signing_secret, config.org_id),
            recorder: Mutex::default(),
            request_ids: AtomicU64::new(0),
            open_connections: AtomicU64::new(0),
            accepted_connections: AtomicU64::new(0),
            token_ttl: AtomicU64::new(token_ttl),
            configured_token_ttl: token_ttl,
        }
    }

    /// A token for `linked_account_id`, issued now, with the current lifetime.
    pub(crate) fn sign_token(&self, linked_account_id: &str) -> String {
        self.signer.sign(
            linked_account_id,
            unix_now(),
            self.token_ttl.load(Ordering::Relaxed),
        )
    }

    /// The claims of a token this emulator signed (expiry not checked).
    pub(crate) fn verify_token(&self, token: &str) -> Option<Value> {
        self.signer.verify(token)
    }

    /// The configured `org_id` (the tokens' claim).
    pub(crate) fn org_id(&self) -> &str {
        &self.org_id
    }

    /// The lifetime of tokens minted from now on, in seconds.
    pub(crate) fn token_ttl(&self) -> u64 {
        self.token_ttl.load(Ordering::Relaxed)
    }

    /// Changes the lifetime of tokens minted from now on (already validated).
    pub(crate) fn set_token_ttl(&self, seconds: u64) {
        self.token_ttl.store(seconds, Ordering::Relaxed);
    }

    /// Counts a just-accepted connection until the guard is dropped.
    pub(crate) fn connection_opened(self: &Arc<Self>) -> OpenConnection {
        self.open_connections.fetch_add(1, Ordering::Relaxed);
        self.accepted_connections.fetch_add(1, Ordering::Relaxed);
        OpenConnection(self.clone())
    }

    /// How many client connections are open now.
    pub(crate) fn open_connections(&self) -> u64 {
        self.open_connections.load(Ordering::Relaxed)
    }

    /// How many client connections were accepted since start.
    pub(crate) fn accepted_connections(&self) -> u64 {
        self.accepted_connections.load(Ordering::Relaxed)
    }

    /// The next `x-request-id` number (1-based).
    pub(crate) fn next_request_id(&self) -> u64 {
        self.request_ids.fetch_add(1, Ordering::Relaxed) + 1
    }

    pub(crate) fn api_key_ok(&self, headers: &HeaderMap) -> bool {
        headers
            .get("x-api-key")
            .is_some_and(|v| self.api_keys.iter().any(|k| k.as_bytes() == v.as_bytes()))
    }

    pub(crate) fn account_known(&self, id: &str) -> bool {
        self.any_linked_account || self.accounts.contains(id)
    }

    /// Counts and logs a public-API request and takes the fault it gets.
    ///
    /// The log keeps the body byte for byte, except that any
    /// `auth_credentials` member is replaced by `"[redacted]"` (the body is
    /// then re-serialised) and that only the first [`LOG_BODY_LIMIT`] bytes
    /// are kept.
    pub(crate) fn record(&self, mut request: LoggedRequest) -> Option<Fault> {
        if let Some(redacted) = redact_credentials(&request.body) {
            request.body = redacted;
        }
        let mut cut_from = None;
        if request.body.len() > LOG_BODY_LIMIT {
            cut_from = Some(request.body.len());
            // A copy, so the log does not pin the whole request buffer.
            request.body = Bytes::copy_from_slice(&request.body[..LOG_BODY_LIMIT]);
        }
        let mut recorder = lock(&self.recorder);
        recorder.count += 1;
        if recorder.log.len() == LOG_CAPACITY {
            recorder.log.pop_front();
        }
        recorder.log.push_back(LogEntry { request, cut_from });
        recorder.faults.pop_front()
    }

    /// Replaces the fault queue; returns its length.
    pub(crate) fn set_faults(&self, faults: Vec<Fault>) -> usize {
        let mut recorder = lock(&self.recorder);
        recorder.faults = faults.into();
        recorder.faults.len()
    }

    /// Forgets faults, counters, the log and run-time settings; linked
    /// accounts stay.
    pub(crate) fn reset(&self) {
        let mut recorder = lock(&self.recorder);
        *recorder = Recorder::default();
        self.request_ids.store(0, Ordering::Relaxed);
        self.token_ttl
            .store(self.configured_token_ttl, Ordering::Relaxed);
    }

    /// The `GET /__emulator/requests` document.
    pub(crate) fn requests_json(&self) -> Value {
        let recorder = lock(&self.recorder);
        let requests: Vec<Value> = recorder.log.iter().map(request_json).collect();
        json!({ "count": recorder.count, "requests": requests })
    }
}

fn request_json(entry: &LogEntry) -> Value {
    let request = &entry.request;
    let mut headers = Map::new();
    for (name, value) in &request.headers {
        // The key is a secret; tests only need to know one was sent.
        let value = if name == "x-api-key" {
            REDACTED.into()
        } else {
            String::from_utf8_lossy(value.as_bytes()).into_owned()
        };
        match headers.get_mut(name.as_str()) {
            // Repeated headers are folded as HTTP allows.
            Some(Value::String(existing)) => {
                existing.push_str(", ");
                existing.push_str(&value);
            }
            _ => {
                headers.insert(name.as_str().to_owned(), Value::String(value));
            }
        }
    }
    let mut logged = json!({
        "method": request.method.as_str(),
        "path": request.path,
        "query": request.query,
        "headers": headers,
        "body": String::from_utf8_lossy(&request.body),
    });
    if let Some(length) = entry.cut_from {
        logged["body_truncated"] = true.into();
        logged["body_bytes"] = length.into();
    }
    logged
}

/// The body with every `auth_credentials` member's value replaced by
/// `"[redacted]"`, or `None` when it holds none (the common case, checked
/// without parsing). A body that mentions them but is not JSON is replaced
/// whole.
fn redact_credentials(body: &[u8]) -> Option<Bytes> {
    const NEEDLE: &[u8] = b"auth_credentials";
    // A `\u` escape could spell the name without the literal bytes.
    let literal = body.windows(NEEDLE.len()).any(|w| w == NEEDLE);
    if !literal && !body.windows(2).any(|w| w == b"\\u") {
        return None;
    }
    let Ok(mut value) = serde_json::from_slice::<Value>(body) else {
        return literal
            .then(|| Bytes::from_static(b"[redacted: not JSON, mentions auth_credentials]"));
    };
    // With the literal present, re-serialise even if the parsed value lost
    // the member (a repeated key): the raw bytes still hold it.
    if redact_value(&mut value) || literal {
        Some(Bytes::from(value.to_string()))
    } else {
        None
    }
}

/// Redacts `auth_credentials` members at any depth; true if it found one.
fn redact_value(value: &mut Value) -> bool {
    match value {
        Value::Object(members) => {
            let mut found = false;
            for (name, member) in members.iter_mut() {
                if name == "auth_credentials" {
                    *member = Value::String(REDACTED.to_owned());
                    found = true;
                } else {
                    found |= redact_value(member);
                }
            }
            found
        }
        Value::Array(items) => items
            .iter_mut()
            .fold(false, |found, item| redact_value(item) | found),
        _ => false,
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere must not wedge the emulator for the rest of a test run.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
