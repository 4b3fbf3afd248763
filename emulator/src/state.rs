//! Shared, mutable state of one emulator: accounts, the fault queue and the
//! request log.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};

use bytes::Bytes;
use hyper::Method;
use hyper::header::HeaderMap;
use serde_json::{Map, Value, json};

use crate::config::EmulatorConfig;
use crate::faults::Fault;
use crate::token::{TokenSigner, unix_now};

/// How many session-token requests `GET /__emulator/requests` shows.
const LOG_CAPACITY: usize = 100;

/// A session-token request as it arrived.
pub(crate) struct LoggedRequest {
    pub method: Method,
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// Everything a session-token request touches under one lock, so counting,
/// logging and taking a fault happen atomically and in arrival order.
#[derive(Default)]
struct Recorder {
    count: u64,
    log: VecDeque<LoggedRequest>,
    faults: VecDeque<Fault>,
}

pub(crate) struct State {
    api_keys: Vec<String>,
    any_linked_account: bool,
    /// Linked account id -> optional display name.
    accounts: RwLock<HashMap<String, Option<String>>>,
    signer: TokenSigner,
    recorder: Mutex<Recorder>,
    request_ids: AtomicU64,
    /// Client TCP connections currently open (see [`OpenConnection`]).
    open_connections: AtomicU64,
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
            accounts: RwLock::new(
                config
                    .linked_accounts
                    .into_iter()
                    .map(|id| (id, None))
                    .collect(),
            ),
            signer: TokenSigner::new(&config.signing_secret, config.org_id),
            recorder: Mutex::default(),
            request_ids: AtomicU64::new(0),
            open_connections: AtomicU64::new(0),
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
        OpenConnection(self.clone())
    }

    /// How many client connections are open now.
    pub(crate) fn open_connections(&self) -> u64 {
        self.open_connections.load(Ordering::Relaxed)
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
        self.any_linked_account || read(&self.accounts).contains_key(id)
    }

    /// Creates or updates an account; `name: None` keeps the current name.
    /// Returns the stored name.
    pub(crate) fn upsert_account(
        &self,
        id: String,
        name: Option<Option<String>>,
    ) -> Option<String> {
        let mut accounts = self
            .accounts
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        let slot = accounts.entry(id).or_default();
        if let Some(name) = name {
            *slot = name;
        }
        slot.clone()
    }

    /// Counts and logs a session-token request and takes the fault it gets.
    pub(crate) fn record(&self, request: LoggedRequest) -> Option<Fault> {
        let mut recorder = lock(&self.recorder);
        recorder.count += 1;
        if recorder.log.len() == LOG_CAPACITY {
            recorder.log.pop_front();
        }
        recorder.log.push_back(request);
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

fn request_json(request: &LoggedRequest) -> Value {
    let mut headers = Map::new();
    for (name, value) in &request.headers {
        // The key is a secret; tests only need to know one was sent.
        let value = if name == "x-api-key" {
            "[redacted]".into()
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
    json!({
        "method": request.method.as_str(),
        "path": request.path,
        "headers": headers,
        "body": String::from_utf8_lossy(&request.body),
    })
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere must not wedge the emulator for the rest of a test run.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}
