//! Shared, mutable state of one emulator: accounts, issued tokens, the rate
//! limiter, the fault queue, the request log and the run-time settings.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError, Weak};
use std::time::Duration;

use bytes::Bytes;
use hyper::Method;
use hyper::header::{AUTHORIZATION, HeaderMap};
use serde_json::{Map, Value, json};

use tokio::sync::watch;

use crate::accounts::Store;
use crate::app_connections::AppConnections;
use crate::collection::Collection;
use crate::config::{DEFAULT_REFRESH_TOKEN_TTL, EmulatorConfig};
use crate::credentials::DefaultApps;
use crate::faults::Fault;
use crate::ids::ObjectIds;
use crate::rate_limit::{Budget, Limiter, RateLimit};
use crate::schedules::Scheduler;
use crate::sessions::{Issued, Sessions};
use crate::token::{Signed, TokenKind, TokenSigner, unix_now};
use crate::webhooks::{self, Deliveries, Event};

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
    rate_limited: bool,
}

/// Everything a public-API request touches under one lock, so counting,
/// logging and taking a fault happen atomically and in arrival order.
#[derive(Default)]
struct Recorder {
    count: u64,
    /// Of `count`, those the rate limit refused.
    rate_limited: u64,
    log: VecDeque<LogEntry>,
    faults: VecDeque<Fault>,
}

/// Background work under way at once (execution runs, deliveries); more
/// is refused.
const MAX_TASKS: usize = 1024;
/// Workflows the control plane made fail.
const MAX_WORKFLOW_ERRORS: usize = 1000;

pub(crate) struct State {
    api_keys: Vec<String>,
    any_linked_account: bool,
    pub accounts: Store,
    /// Applications connected per linked account (front-end API).
    pub app_connections: AppConnections,
    /// Session tokens issued, for reuse and revocation.
    pub sessions: Sessions,
    pub limiter: Limiter,
    configured_rate_limit: Option<RateLimit>,
    legacy_session_token: AtomicBool,
    configured_legacy_session_token: bool,
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
    /// Ids of the documents below.
    pub ids: ObjectIds,
    /// Event definitions of the org's default custom application.
    pub events: Collection,
    /// App installations per linked account.
    pub configs: Collection,
    pub webhooks: Collection,
    /// Public workflows (no account) and private ones (their account).
    pub workflows: Collection,
    /// Published versions of private workflows.
    pub workflow_versions: Collection,
    pub executions: Collection,
    pub schedules: Collection,
    pub tables: Collection,
    pub datarefs: Collection,
    pub variable_values: Collection,
    pub mcp_servers: Collection,
    pub human_tasks: Collection,
    /// What `createConnectUrl` stashed, by session token id.
    pub hosted_properties: Mutex<HashMap<u64, Value>>,
    /// The default-app credential keys of each linked account.
    pub default_apps: DefaultApps,
    pub deliveries: Deliveries,
    pub scheduler: Scheduler,
    /// Workflows whose executions error, with the error message.
    workflow_errors: Mutex<HashMap<String, String>>,
    /// How long an asynchronous execution runs, in milliseconds.
    execution_ms: AtomicU64,
    configured_execution_ms: u64,
    /// This state, for background tasks; set once it is shared.
    this: OnceLock<Weak<State>>,
    /// True once the emulator stops: background tasks end.
    stopped: watch::Sender<bool>,
    tasks: AtomicUsize,
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
            app_connections: AppConnections::default(),
            sessions: Sessions::default(),
            limiter: Limiter::new(config.rate_limit),
            configured_rate_limit: config.rate_limit,
            legacy_session_token: AtomicBool::new(config.legacy_session_token),
            configured_legacy_session_token: config.legacy_session_token,
            org_id: config.org_id.clone(),
            signer: TokenSigner::new(&config.signing_secret, config.org_id),
            recorder: Mutex::default(),
            request_ids: AtomicU64::new(0),
            open_connections: AtomicU64::new(0),
            accepted_connections: AtomicU64::new(0),
            token_ttl: AtomicU64::new(token_ttl),
            configured_token_ttl: token_ttl,
            ids: ObjectIds::new(),
            events: Collection::new("event definitions"),
            configs: Collection::new("configs"),
            webhooks: Collection::new("webhooks"),
            workflows: Collection::new("workflows"),
            workflow_versions: Collection::new("workflow versions"),
            executions: Collection::new("executions"),
            schedules: Collection::new("schedules"),
            tables: Collection::new("persistent tables"),
            datarefs: Collection::new("datarefs"),
            variable_values: Collection::new("variable values"),
            mcp_servers: Collection::new("MCP servers"),
            human_tasks: Collection::new("human tasks"),
            hosted_properties: Mutex::default(),
            default_apps: DefaultApps::default(),
            deliveries: Deliveries::new(config.webhook_backoff),
            scheduler: Scheduler::new(config.schedule_minute),
            workflow_errors: Mutex::default(),
            execution_ms: AtomicU64::new(millis(config.execution_time)),
            configured_execution_ms: millis(config.execution_time),
            this: OnceLock::new(),
            stopped: watch::Sender::new(false),
            tasks: AtomicUsize::new(0),
        }
    }

    /// Called once the state is shared: seeds the documents every org has
    /// and lets handlers start background work.
    pub(crate) fn started(self: &Arc<Self>) {
        let _ = self.this.set(Arc::downgrade(self));
        crate::workflows::seed(self);
        crate::human_tasks::seed(self);
    }

    /// Ends every background task (the emulator stops).
    pub(crate) fn stop(&self) {
        self.stopped.send_replace(true);
    }

    /// Runs `task` in the background until it ends or the emulator stops;
    /// false (nothing started) when too much runs already, the emulator is
    /// stopping, or there is no runtime.
    pub(crate) fn spawn<F, Fut>(&self, task: F) -> bool
    where
        F: FnOnce(Arc<State>) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let (Some(state), Ok(runtime)) = (
            self.this.get().and_then(Weak::upgrade),
            tokio::runtime::Handle::try_current(),
        ) else {
            return false;
        };
        if *self.stopped.borrow() || self.tasks.fetch_add(1, Ordering::AcqRel) >= MAX_TASKS {
            if !*self.stopped.borrow() {
                self.tasks.fetch_sub(1, Ordering::AcqRel);
            }
            return false;
        }
        let mut stopped = self.stopped.subscribe();
        let work = task(state.clone());
        runtime.spawn(async move {
            tokio::select! {
                _ = stopped.wait_for(|stop| *stop) => {}
                () = work => {}
            }
            state.tasks.fetch_sub(1, Ordering::AcqRel);
        });
        true
    }

    /// The configured API key number `index` (the first if out of range).
    pub(crate) fn api_key_at(&self, index: usize) -> &str {
        self.api_keys
            .get(index)
            .or_else(|| self.api_keys.first())
            .map_or("", String::as_str)
    }

    /// A fresh ObjectId, now.
    pub(crate) fn new_id(&self) -> String {
        self.ids.next(crate::ids::now_millis())
    }

    /// Connects `slug` for `account` and sends `Connection Created`; false
    /// if the connection store is full.
    pub(crate) fn connect_app(&self, account: &str, slug: &'static str) -> bool {
        if !self.app_connections.set(account, slug, true) {
            return false;
        }
        webhooks::emit(
            self,
            Event::connection(self, webhooks::CONNECTION_CREATED, account, slug),
        );
        true
    }

    /// Disconnects `slug`; sends `Connection Deleted` when it was connected.
    pub(crate) fn disconnect_app(&self, account: &str, slug: &'static str) {
        let was = self.app_connections.connected_at(account, slug).is_some();
        self.app_connections.set(account, slug, false);
        if was {
            webhooks::emit(
                self,
                Event::connection(self, webhooks::CONNECTION_DELETED, account, slug),
            );
        }
    }

    /// Marks a connection expired (it needs re-authentication) and sends
    /// `Connection Expired`; false when it is not connected.
    pub(crate) fn expire_app(&self, account: &str, slug: &'static str) -> bool {
        if !self.app_connections.expire(account, slug) {
            return false;
        }
        webhooks::emit(
            self,
            Event::connection(self, webhooks::CONNECTION_EXPIRED, account, slug),
        );
        true
    }

    /// Everything kept for a deleted linked account goes, and each of its
    /// connections is reported deleted.
    pub(crate) fn forget_account(&self, account: &str) {
        for slug in self.app_connections.slugs(account) {
            self.disconnect_app(account, slug);
        }
        self.app_connections.forget(account);
        self.sessions.forget(account);
        self.default_apps.forget(account);
        for collection in [
            &self.configs,
            &self.workflows,
            &self.workflow_versions,
            &self.schedules,
            &self.tables,
            &self.datarefs,
            &self.variable_values,
            &self.mcp_servers,
        ] {
            collection.forget_account(account);
        }
    }

    /// How long an asynchronous execution runs.
    pub(crate) fn execution_time(&self) -> Duration {
        Duration::from_millis(self.execution_ms.load(Ordering::Relaxed))
    }

    pub(crate) fn set_execution_ms(&self, ms: u64) {
        self.execution_ms.store(ms, Ordering::Relaxed);
    }

    /// The error a workflow's executions end with, if the control plane
    /// set one.
    pub(crate) fn workflow_error(&self, workflow_id: &str) -> Option<String> {
        lock(&self.workflow_errors).get(workflow_id).cloned()
    }

    /// Makes the workflow's executions error with `message` (`None`:
    /// complete again); false when too many workflows are set.
    pub(crate) fn set_workflow_error(&self, workflow_id: &str, message: Option<String>) -> bool {
        let mut errors = lock(&self.workflow_errors);
        match message {
            None => {
                errors.remove(workflow_id);
                true
            }
            Some(_) if errors.len() >= MAX_WORKFLOW_ERRORS && !errors.contains_key(workflow_id) => {
                false
            }
            Some(message) => {
                errors.insert(workflow_id.to_owned(), message);
                true
            }
        }
    }

    /// A session token for `linked_account_id`, issued now, with the
    /// current lifetime.
    pub(crate) fn sign_session(&self, linked_account_id: &str) -> Signed {
        self.signer.sign(
            linked_account_id,
            unix_now(),
            self.token_ttl(),
            TokenKind::Session,
        )
    }

    /// A session token and its refresh token for `linked_account_id`,
    /// issued at `now`. The refresh token lives 30 days, or as long as the
    /// session token if that is longer.
    pub(crate) fn sign_pair(&self, linked_account_id: &str, now: u64) -> Issued {
        let ttl = self.token_ttl();
        let session = self
            .signer
            .sign(linked_account_id, now, ttl, TokenKind::Session);
        let refresh_ttl = ttl.max(DEFAULT_REFRESH_TOKEN_TTL.as_secs());
        let refresh = self
            .signer
            .sign(linked_account_id, now, refresh_ttl, TokenKind::Refresh);
        Issued {
            token: session.token,
            refresh_token: refresh.token,
            jti: session.jti,
            refresh_jti: refresh.jti,
            exp: session.exp,
            refresh_exp: refresh.exp,
        }
    }

    /// The `jti` of the next token: accounts created now accept tokens
    /// from it on.
    pub(crate) fn next_token_id(&self) -> u64 {
        self.signer.next_jti()
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

    /// The index of the request's `x-api-key` among the configured keys.
    pub(crate) fn api_key(&self, headers: &HeaderMap) -> Option<usize> {
        let sent = headers.get("x-api-key")?;
        self.api_keys
            .iter()
            .position(|k| k.as_bytes() == sent.as_bytes())
    }

    /// Whose rate-limit budget a request spends: its API key's, else its
    /// org's when it carries a session token this emulator signed.
    pub(crate) fn budget(&self, api_key: Option<usize>, bearer: Option<&str>) -> Budget {
        match api_key {
            Some(index) => Budget::ApiKey(index),
            None if bearer.and_then(|t| self.verify_token(t)).is_some() => Budget::Org,
            None => Budget::Unauthenticated,
        }
    }

    pub(crate) fn account_known(&self, id: &str) -> bool {
        self.any_linked_account || self.accounts.contains(id)
    }

    /// Whether a token numbered `jti` still speaks for `account`: the
    /// account exists and was not re-created since the token was issued.
    pub(crate) fn token_account_valid(&self, account: &str, jti: u64) -> bool {
        match self.accounts.tokens_from(account) {
            Some(first) => jti >= first,
            None => self.any_linked_account,
        }
    }

    /// Whether the session-token route answers as the older guide does.
    pub(crate) fn legacy_session_token(&self) -> bool {
        self.legacy_session_token.load(Ordering::Relaxed)
    }

    pub(crate) fn set_legacy_session_token(&self, legacy: bool) {
        self.legacy_session_token.store(legacy, Ordering::Relaxed);
    }

    /// Counts and logs a public-API request and takes the fault it gets.
    ///
    /// The log keeps the body byte for byte, except that any
    /// `auth_credentials` member is replaced by `"[redacted]"` (the body is
    /// then re-serialised) and that only the first [`LOG_BODY_LIMIT`] bytes
    /// are kept.
    /// A request the rate limit refused is counted and logged (flagged)
    /// but takes no fault.
    pub(crate) fn record(&self, mut request: LoggedRequest, rate_limited: bool) -> Option<Fault> {
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
        recorder.log.push_back(LogEntry {
            request,
            cut_from,
            rate_limited,
        });
        if rate_limited {
            recorder.rate_limited += 1;
            return None;
        }
        recorder.faults.pop_front()
    }

    /// Replaces the fault queue; returns its length.
    pub(crate) fn set_faults(&self, faults: Vec<Fault>) -> usize {
        let mut recorder = lock(&self.recorder);
        recorder.faults = faults.into();
        recorder.faults.len()
    }

    /// Forgets faults, counters, the log, the tokens kept for reuse and
    /// the rate limiter's budgets, and restores the configured settings;
    /// linked accounts, connected apps and revocations stay.
    pub(crate) fn reset(&self) {
        let mut recorder = lock(&self.recorder);
        *recorder = Recorder::default();
        self.request_ids.store(0, Ordering::Relaxed);
        self.token_ttl
            .store(self.configured_token_ttl, Ordering::Relaxed);
        self.limiter.set_limit(self.configured_rate_limit);
        self.set_legacy_session_token(self.configured_legacy_session_token);
        self.sessions.forget_all();
        self.deliveries.reset();
        self.scheduler.reset();
        self.set_execution_ms(self.configured_execution_ms);
        lock(&self.workflow_errors).clear();
    }

    /// The `GET /__emulator/requests` document.
    pub(crate) fn requests_json(&self) -> Value {
        let recorder = lock(&self.recorder);
        let requests: Vec<Value> = recorder.log.iter().map(request_json).collect();
        json!({
            "count": recorder.count,
            "admitted": recorder.count - recorder.rate_limited,
            "rate_limited": recorder.rate_limited,
            "requests": requests,
        })
    }
}

fn request_json(entry: &LogEntry) -> Value {
    let request = &entry.request;
    let mut headers = Map::new();
    for (name, value) in &request.headers {
        // Keys and tokens are secrets; tests only need to know one was sent.
        let value = if name == "x-api-key" {
            REDACTED.into()
        } else if name == AUTHORIZATION {
            let scheme = value
                .to_str()
                .ok()
                .and_then(|v| v.trim().split_once(' '))
                .map_or("", |(scheme, _)| scheme);
            format!("{scheme} {REDACTED}").trim_start().to_owned()
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
    if entry.rate_limited {
        logged["rate_limited"] = true.into();
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

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere must not wedge the emulator for the rest of a test run.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
