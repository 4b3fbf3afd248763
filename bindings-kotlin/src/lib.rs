//! Kotlin/JVM binding of `refold-session` (uniffi, proc-macro mode).
//!
//! A thin translation: every decision (defaults, environment variables, validation, retries,
//! error codes and messages, token redaction) is the core's. This crate only exposes the core
//! through uniffi; the idiomatic Kotlin layer (`RefoldClient`, `SessionToken`,
//! `RefoldException`) lives in `src/main/kotlin` and wraps the generated
//! `ai.refold.session.ffi` package.
//!
//! Every core call runs on the binding's own multi-thread tokio runtime (`runtime()`), so each
//! client's connections are served by exactly one runtime's I/O driver: the async export spawns
//! a task and awaits its `JoinHandle`, the blocking export runs the call on the calling JVM
//! thread with `block_on` (no hand-off to a worker and back). The runtime's threads are native
//! and never attached to the JVM, so they do not keep a JVM alive.
//! A call returns one record (`FfiMintedToken`, `FfiLinkedAccount`, …): one buffer instead of an
//! object read through getters. The session cache's background refreshes are spawned by the
//! core on the runtime its call runs on: this one.
//!
//! No panic crosses the FFI: every export runs its synchronous part under `catch_unwind`, and a
//! panic inside a task comes back through its `JoinHandle`; both become the core's `internal`
//! error (`Error::from_panic`), i.e. `RefoldException.Internal`.
//!
//! A cache hit skips the runtime: the blocking export answers it from the core's
//! `Client::cached_token` before spawning anything, and the Kotlin layer's suspend and future
//! forms first make one synchronous call (`cached_token`) and only await the async export when
//! it misses. Both return the same record as a mint, in one FFI call.
//!
//! The token calls (the blocking and async mints, `cached_token`) have JNI entry points too
//! (`fast.rs`), which the Kotlin layer uses when it can: one JNI call and one `byte[]` record
//! instead of uniffi's JNA call sequence; they call the same methods below.
//!
//! Text that is not valid Unicode (a lone UTF-16 surrogate) never reaches uniffi's encoder, which
//! would throw `CharacterCodingException`: the Kotlin layer checks first and passes `None` plus
//! the option's name (or `None` for the id), and the core words the error.

// Until this binding moves onto `refold_session::host`: the core's shims of the old API.
#![allow(deprecated)]

use std::any::Any;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::{Arc, OnceLock, RwLock};
use std::task::{Context, Poll};
use std::time::SystemTime;

use refold_session::host::legacy::{
    HostDuration, LegacyCacheOptions as CacheOptions, LegacyOptions as ClientOptions,
    LegacyStoreOptions as StoreOptions, OptionProblem, Timeout,
};
use refold_session::{
    CacheStats, Client, Error, ErrorCode, RequestOptions, SessionToken,
    linked_account_id_not_unicode,
};
use tokio::runtime::Runtime;
use tokio::task::{JoinError, JoinHandle};

mod accounts;
mod fast;
mod json;

uniffi::setup_scaffolding!();

/// What every error carries (docs/contract.md §Errors), straight from the core's `Error`.
///
/// The text is called `detail`: a uniffi error field named `message` clashes with
/// `Throwable.message` in Kotlin. The Kotlin layer sets it as the exception's message.
#[derive(Debug, Clone, uniffi::Record)]
pub struct ErrorInfo {
    /// `ErrorCode::as_str()`.
    pub code: String,
    /// `Error::message()`, verbatim (never contains the API key or a token).
    pub detail: String,
    /// The HTTP status, when a response arrived.
    pub status: Option<i32>,
    /// The `x-request-id` / `request-id` of the last response.
    pub request_id: Option<String>,
    /// What the server asked to wait, in seconds.
    pub retry_after_seconds: Option<f64>,
    /// Requests sent (0 when the call failed before the wire).
    pub attempts: i32,
}

/// The core's error, one variant per `ErrorCode`, so that the Kotlin layer maps variants to
/// `RefoldException` subclasses with an exhaustive `when`.
#[derive(Debug, uniffi::Error)]
pub enum FfiError {
    InvalidInput { info: ErrorInfo },
    Configuration { info: ErrorInfo },
    BadRequest { info: ErrorInfo },
    Authentication { info: ErrorInfo },
    PermissionDenied { info: ErrorInfo },
    NotFound { info: ErrorInfo },
    RateLimited { info: ErrorInfo },
    InvalidLinkedAccount { info: ErrorInfo },
    ServerError { info: ErrorInfo },
    Timeout { info: ErrorInfo },
    Connection { info: ErrorInfo },
    InvalidResponse { info: ErrorInfo },
    UnexpectedStatus { info: ErrorInfo },
    Internal { info: ErrorInfo },
}

impl FfiError {
    /// The carried fields, whatever the variant.
    pub fn info(&self) -> &ErrorInfo {
        match self {
            FfiError::InvalidInput { info }
            | FfiError::Configuration { info }
            | FfiError::BadRequest { info }
            | FfiError::Authentication { info }
            | FfiError::PermissionDenied { info }
            | FfiError::NotFound { info }
            | FfiError::RateLimited { info }
            | FfiError::InvalidLinkedAccount { info }
            | FfiError::ServerError { info }
            | FfiError::Timeout { info }
            | FfiError::Connection { info }
            | FfiError::InvalidResponse { info }
            | FfiError::UnexpectedStatus { info }
            | FfiError::Internal { info } => info,
        }
    }

    /// The `internal` error for a caught panic.
    fn from_panic(payload: Box<dyn Any + Send>) -> FfiError {
        Error::from_panic(payload.as_ref()).into()
    }
}

impl std::fmt::Display for FfiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.info().detail)
    }
}

impl std::error::Error for FfiError {}

impl From<Error> for FfiError {
    fn from(err: Error) -> Self {
        let info = ErrorInfo {
            code: err.code().as_str().to_owned(),
            detail: err.message().to_owned(),
            status: err.status().map(i32::from),
            request_id: err.request_id().map(str::to_owned),
            retry_after_seconds: err.retry_after().map(|wait| wait.as_secs_f64()),
            attempts: i32::try_from(err.attempts()).unwrap_or(i32::MAX),
        };
        match err.code() {
            ErrorCode::InvalidInput => FfiError::InvalidInput { info },
            ErrorCode::Configuration => FfiError::Configuration { info },
            ErrorCode::BadRequest => FfiError::BadRequest { info },
            ErrorCode::Authentication => FfiError::Authentication { info },
            ErrorCode::PermissionDenied => FfiError::PermissionDenied { info },
            ErrorCode::NotFound => FfiError::NotFound { info },
            ErrorCode::RateLimited => FfiError::RateLimited { info },
            ErrorCode::InvalidLinkedAccount => FfiError::InvalidLinkedAccount { info },
            ErrorCode::ServerError => FfiError::ServerError { info },
            ErrorCode::Timeout => FfiError::Timeout { info },
            ErrorCode::Connection => FfiError::Connection { info },
            ErrorCode::InvalidResponse => FfiError::InvalidResponse { info },
            ErrorCode::UnexpectedStatus => FfiError::UnexpectedStatus { info },
            // `ErrorCode` is non-exhaustive; a code added to the core without a variant here
            // still reaches Kotlin with its own `code` string.
            _ => FfiError::Internal { info },
        }
    }
}

/// Runs `call`, turning a panic into the `internal` error.
pub(crate) fn guard<T>(call: impl FnOnce() -> Result<T, FfiError>) -> Result<T, FfiError> {
    catch_unwind(AssertUnwindSafe(call))
        .unwrap_or_else(|payload| Err(FfiError::from_panic(payload)))
}

/// The client options but the API key, as the Kotlin layer passes them (docs/contract.md
/// §Options): plain data for the core's `ClientOptions`, every `None` falling back to
/// environment variables and defaults. Numbers travel as the host gave them; the core validates
/// them. The key is a separate argument: uniffi makes records Kotlin data classes whose
/// generated `toString()` would show it.
#[derive(Clone, Debug, uniffi::Record)]
pub struct FfiOptions {
    pub environment: Option<String>,
    pub base_url: Option<String>,
    /// `java.time.Duration` in seconds (errors are worded in seconds).
    pub timeout_seconds: Option<f64>,
    pub max_retries: Option<f64>,
    pub max_idle_connections: Option<f64>,
    pub max_connections: Option<f64>,
    /// The session cache; `None`: off.
    pub cache: Option<FfiCacheOptions>,
    /// The option, as Kotlin spells it, whose text is not valid Unicode (passed as `None`).
    pub not_unicode: Option<String>,
    /// The JVM's `java.version`, for the `user-agent`.
    pub runtime_version: String,
}

/// The session cache's settings as Kotlin gives them (`java.time.Duration`s in seconds, so
/// the core's errors speak seconds, as for the timeout); the core validates and defaults.
#[derive(Clone, Debug, uniffi::Record)]
pub struct FfiCacheOptions {
    pub max_entries: Option<f64>,
    pub min_remaining_seconds: Option<f64>,
    pub refresh_ahead_seconds: Option<f64>,
    /// The fleet store on Redis; `None`: in-process only.
    pub store: Option<FfiStoreOptions>,
}

/// The fleet store's settings (docs/contract.md §Fleet store); unset ones come from the
/// environment in the core. The Redis URL (it may hold a password) and the encryption keys
/// travel as UTF-8 bytes: uniffi makes records Kotlin data classes whose generated
/// `toString()` would show strings, not a `ByteArray`'s content.
#[derive(Clone, uniffi::Record)]
pub struct FfiStoreOptions {
    pub redis_url_utf8: Option<Vec<u8>>,
    pub encryption_keys_utf8: Vec<Vec<u8>>,
    pub key_prefix: Option<String>,
    pub timeout_seconds: Option<f64>,
}

impl std::fmt::Debug for FfiStoreOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FfiStoreOptions")
            .field("key_prefix", &self.key_prefix)
            .field("timeout_seconds", &self.timeout_seconds)
            .finish_non_exhaustive()
    }
}

impl FfiCacheOptions {
    /// The core's cache options; text that is not UTF-8 (the Kotlin layer never sends any)
    /// is reported by option name, as for every other option.
    fn into_core(self, problems: &mut Vec<OptionProblem>) -> CacheOptions {
        let mut text = |option: &str, bytes: Vec<u8>| {
            String::from_utf8(bytes).unwrap_or_else(|_| {
                problems.push(OptionProblem::not_unicode(option));
                String::new()
            })
        };
        let store = self.store.map(|store| StoreOptions {
            redis_url: store
                .redis_url_utf8
                .map(|url| text("cache.store.redisUrl", url)),
            encryption_keys: store
                .encryption_keys_utf8
                .into_iter()
                .map(|key| text("cache.store.encryptionKeys", key))
                .collect(),
            key_prefix: store.key_prefix,
            timeout: store.timeout_seconds.map(HostDuration::Seconds),
        });
        CacheOptions {
            max_entries: self.max_entries,
            min_remaining: self.min_remaining_seconds.map(HostDuration::Seconds),
            refresh_ahead: self.refresh_ahead_seconds.map(HostDuration::Seconds),
            store,
        }
    }
}

/// The cache's counters (`u64` clamped to Kotlin's `Long`).
#[derive(Clone, Debug, uniffi::Record)]
pub struct FfiCacheStats {
    pub hits: i64,
    pub misses: i64,
    pub coalesced: i64,
    pub refreshes: i64,
    pub refresh_failures: i64,
    pub evictions: i64,
    pub entries: i64,
    pub store_hits: i64,
    pub store_errors: i64,
}

impl From<CacheStats> for FfiCacheStats {
    fn from(stats: CacheStats) -> Self {
        let long = |value: u64| i64::try_from(value).unwrap_or(i64::MAX);
        FfiCacheStats {
            hits: long(stats.hits),
            misses: long(stats.misses),
            coalesced: long(stats.coalesced),
            refreshes: long(stats.refreshes),
            refresh_failures: long(stats.refresh_failures),
            evictions: long(stats.evictions),
            entries: long(stats.entries),
            store_hits: long(stats.store_hits),
            store_errors: long(stats.store_errors),
        }
    }
}

impl FfiOptions {
    /// The core's options: these plus the API key.
    fn into_core(self, api_key: Option<String>) -> ClientOptions {
        let mut problems = Vec::new();
        let cache = self.cache.map(|cache| cache.into_core(&mut problems));
        let mut core = ClientOptions {
            api_key,
            environment: self.environment,
            base_url: self.base_url,
            timeout: self.timeout_seconds.map(Timeout::Seconds),
            max_retries: self.max_retries,
            max_idle_connections: self.max_idle_connections,
            max_connections: self.max_connections,
            cache,
            binding: Some(("kotlin".into(), self.runtime_version)),
            ..ClientOptions::default()
        };
        if let Some(option) = self.not_unicode {
            core.report(OptionProblem::not_unicode(&option));
        }
        for problem in problems {
            core.report(problem);
        }
        core
    }
}

/// What a client reports about itself (docs/contract.md §Host-language surface); fixed for
/// its lifetime, so the Kotlin layer reads it once.
#[derive(Debug, Clone, uniffi::Record)]
pub struct FfiClientInfo {
    /// The full session-token URL requests go to.
    pub endpoint: String,
    /// The environment's name (`production`, `sandbox` or `staging`).
    pub environment: String,
    /// The `user-agent` header sent.
    pub user_agent: String,
}

/// A minted token, returned whole (one buffer, no object handle or getters to call back).
///
/// uniffi turns records into Kotlin data classes whose generated `toString()` prints every
/// field, so the secret travels as UTF-8 bytes (`ByteArray`, whose `toString()` shows no
/// content); the idiomatic `SessionToken` decodes it and prints `redacted` instead.
#[derive(Clone, uniffi::Record)]
pub struct FfiMintedToken {
    /// The token itself (a secret), UTF-8.
    pub token_utf8: Vec<u8>,
    /// The linked account the token was minted for.
    pub linked_account_id: String,
    /// When the token stops working.
    pub expires_at: SystemTime,
    /// When Refold issued it, if the token says.
    pub issued_at: Option<SystemTime>,
    /// The token as shown in logs: the core's redaction.
    pub redacted: String,
}

impl std::fmt::Debug for FfiMintedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FfiMintedToken")
            .field("token", &self.redacted)
            .field("linked_account_id", &self.linked_account_id)
            .field("expires_at", &self.expires_at)
            .field("issued_at", &self.issued_at)
            .finish()
    }
}

impl From<SessionToken> for FfiMintedToken {
    fn from(token: SessionToken) -> Self {
        FfiMintedToken {
            token_utf8: token.token().as_bytes().to_vec(),
            linked_account_id: token.linked_account_id().to_owned(),
            expires_at: token.expires_at(),
            issued_at: token.issued_at(),
            redacted: token.redacted(),
        }
    }
}

/// The binding's one tokio runtime (multi-thread, two named workers), built on first use.
/// Every core call runs as a task on it, so a client's connection pool only ever lives on this
/// runtime. Its threads are native and never attached to the JVM, so they do not keep a JVM
/// alive; being a static, it is never dropped (nothing to join at exit).
static RUNTIME: OnceLock<Result<Runtime, String>> = OnceLock::new();

pub(crate) fn runtime() -> Result<&'static Runtime, FfiError> {
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("refold-session-io")
                .enable_all()
                .build()
                .map_err(|err| err.to_string())
        })
        .as_ref()
        .map_err(|err| {
            Error::internal(&format!("the native I/O runtime could not start: {err}")).into()
        })
}

/// A task that did not finish: it panicked (the core's `internal` error for that panic), or
/// the runtime cancelled it (only possible if the runtime shut down, which it never does).
fn join_error(err: JoinError) -> FfiError {
    match err.try_into_panic() {
        Ok(payload) => FfiError::from_panic(payload),
        Err(_) => Error::internal("the request's task was cancelled").into(),
    }
}

/// A core call spawned on the binding's runtime: aborted when dropped, so that cancelling the
/// awaiting coroutine abandons the request (as dropping the core's future would); resolves to
/// the task's outcome, a panic inside the task included.
pub(crate) struct Task<T>(pub(crate) JoinHandle<Result<T, FfiError>>);

impl<T> Drop for Task<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl<T> Future for Task<T> {
    type Output = Result<T, FfiError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let handle = &mut self.0;
        match catch_unwind(AssertUnwindSafe(|| Pin::new(handle).poll(cx))) {
            Ok(Poll::Ready(outcome)) => Poll::Ready(outcome.map_err(join_error).and_then(|x| x)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(payload) => Poll::Ready(Err(FfiError::from_panic(payload))),
        }
    }
}

/// One core `Client` (one connection pool). `release()` drops it at once; the object itself is
/// freed by the generated `destroy()`/`close()` when no call is in flight.
#[derive(uniffi::Object)]
pub struct FfiClient {
    client: RwLock<Option<Client>>,
    /// Calls this client ran on the runtime, spawned or on a blocking caller's thread (test
    /// builds only, for the fast path's tests).
    #[cfg(feature = "test-hooks")]
    spawned: std::sync::atomic::AtomicU64,
}

impl Drop for FfiClient {
    fn drop(&mut self) {
        let slot = match self.client.get_mut() {
            Ok(slot) => slot,
            Err(poisoned) => poisoned.into_inner(),
        };
        if slot.take().is_some() {
            live_clients::released();
        }
    }
}

#[uniffi::export]
impl FfiClient {
    /// Builds a client with the core's `Client::new` (every check, default and environment
    /// variable is the core's).
    #[uniffi::constructor]
    pub fn new(api_key: Option<String>, options: FfiOptions) -> Result<Arc<Self>, FfiError> {
        guard(|| {
            let client = refold_session::host::legacy::build(options.into_core(api_key))?;
            live_clients::built();
            Ok(Arc::new(FfiClient {
                client: RwLock::new(Some(client)),
                #[cfg(feature = "test-hooks")]
                spawned: Default::default(),
            }))
        })
    }

    /// Mints a session token (the core validates the id, sends, retries and maps errors; with
    /// the cache on, answers from it unless `fresh`) as a task on the binding's runtime, and
    /// awaits it without blocking a thread. Dropping the future (cancelling the coroutine)
    /// aborts the task. `None` after `release()`. An id of `None` is one the Kotlin layer
    /// found not to be valid Unicode.
    pub async fn get_token_for_linked_account(
        &self,
        linked_account_id: Option<String>,
        fresh: bool,
    ) -> Result<Option<FfiMintedToken>, FfiError> {
        self.run(move |client| mint(client, linked_account_id, fresh))
            .await
    }

    /// The same, blocking the calling (JVM) thread until the task is done: one FFI call, no
    /// future handle, poll or callback. A cache hit (`cached_token`) is answered on the calling
    /// thread without touching the runtime. Never called from the runtime's own threads.
    pub fn get_token_for_linked_account_blocking(
        &self,
        linked_account_id: Option<String>,
        fresh: bool,
    ) -> Result<Option<FfiMintedToken>, FfiError> {
        if !fresh && let Some(hit) = self.hit(linked_account_id.as_deref())? {
            return Ok(Some(hit));
        }
        self.run_blocking(move |client| mint(client, linked_account_id, fresh))
    }

    /// The cached token of the account when the core's cache answers it synchronously (enough
    /// life left, no refresh due; counted as a hit), else `None` and the caller takes the async
    /// path. Never blocks and spawns nothing: the suspend and future forms call it first.
    /// `None` without a cache, after `release()`, or for an id of `None` (not valid Unicode).
    pub fn cached_token(
        &self,
        linked_account_id: Option<String>,
    ) -> Result<Option<FfiMintedToken>, FfiError> {
        self.hit(linked_account_id.as_deref())
    }

    /// Drops the cached token of the account (nothing without a cache, or for an id that is
    /// not valid Unicode, which is never cached). `false` after `release()`.
    pub fn invalidate(&self, linked_account_id: Option<String>) -> Result<bool, FfiError> {
        let done = self.run_blocking(move |client| async move {
            if let Some(id) = linked_account_id {
                client.invalidate(&id).await;
            }
            Ok(())
        })?;
        Ok(done.is_some())
    }

    /// Drops every cached token. `false` after `release()`.
    pub fn invalidate_all(&self) -> Result<bool, FfiError> {
        let done = self.run_blocking(|client| async move {
            client.invalidate_all().await;
            Ok(())
        })?;
        Ok(done.is_some())
    }

    /// The cache's counters; `None` when the cache is off (or after `release()`).
    pub fn cache_stats(&self) -> Result<Option<FfiCacheStats>, FfiError> {
        let stats = self.run_blocking(|client| async move {
            Ok(client.cache_stats().await.map(FfiCacheStats::from))
        })?;
        Ok(stats.flatten())
    }

    /// The client's endpoint, environment and user-agent; `None` after `release()`.
    pub fn info(&self) -> Result<Option<FfiClientInfo>, FfiError> {
        guard(|| {
            Ok(self.current().map(|client| FfiClientInfo {
                endpoint: client.endpoint().to_owned(),
                environment: client.environment().as_str().to_owned(),
                user_agent: client.user_agent().to_owned(),
            }))
        })
    }

    /// Releases the connection pool now; later calls return `None`. Idempotent. (Not named
    /// `close`: the generated Kotlin class already has `AutoCloseable.close()`.)
    pub fn release(&self) -> Result<(), FfiError> {
        guard(|| {
            let released = match self.client.write() {
                Ok(mut guard) => guard.take(),
                Err(poisoned) => poisoned.into_inner().take(),
            };
            if released.is_some() {
                live_clients::released();
            }
            Ok(())
        })
    }
}

impl FfiClient {
    /// Spawns `call` (given a clone of the core client) as a task on the binding's runtime;
    /// `None` after `release()`.
    fn spawn<T, F>(&self, call: impl FnOnce(Client) -> F) -> Result<Option<Task<T>>, FfiError>
    where
        T: Send + 'static,
        F: Future<Output = Result<T, FfiError>> + Send + 'static,
    {
        let Some(client) = self.current() else {
            return Ok(None);
        };
        self.count_run();
        Ok(Some(Task(runtime()?.spawn(call(client)))))
    }

    /// Counts a call run on the runtime (test builds only).
    fn count_run(&self) {
        #[cfg(feature = "test-hooks")]
        self.spawned
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }

    /// The async form of every call: awaits the spawned task.
    pub(crate) async fn run<T, F>(
        &self,
        call: impl FnOnce(Client) -> F,
    ) -> Result<Option<T>, FfiError>
    where
        T: Send + 'static,
        F: Future<Output = Result<T, FfiError>> + Send + 'static,
    {
        let Some(task) = guard(|| self.spawn(call))? else {
            return Ok(None);
        };
        task.await.map(Some)
    }

    /// The blocking form of every call: runs it on the calling thread (`block_on`), which
    /// writes the request itself and is woken by the runtime's I/O driver when the answer is
    /// in — one thread hand-off per call instead of two (a spawned task on a worker, then back).
    /// Its background work (the cache's refreshes) still goes to the runtime.
    pub(crate) fn run_blocking<T, F>(
        &self,
        call: impl FnOnce(Client) -> F,
    ) -> Result<Option<T>, FfiError>
    where
        T: Send + 'static,
        F: Future<Output = Result<T, FfiError>> + Send + 'static,
    {
        guard(|| {
            let Some(client) = self.current() else {
                return Ok(None);
            };
            self.count_run();
            // A panic inside unwinds to `guard` on this thread: the core's `internal` error.
            runtime()?.block_on(call(client)).map(Some)
        })
    }

    /// `cached_token`'s answer, read under the client's lock (no clone of the client).
    fn hit(&self, linked_account_id: Option<&str>) -> Result<Option<FfiMintedToken>, FfiError> {
        guard(|| {
            let slot = match self.client.read() {
                Ok(guard) => guard,
                Err(poisoned) => poisoned.into_inner(),
            };
            let hit = slot
                .as_ref()
                .zip(linked_account_id)
                .and_then(|(client, id)| client.cached_token(id));
            Ok(hit.map(FfiMintedToken::from))
        })
    }

    pub(crate) fn current(&self) -> Option<Client> {
        match self.client.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }
}

/// One mint (or cache answer), as the record Kotlin receives.
async fn mint(
    client: Client,
    linked_account_id: Option<String>,
    fresh: bool,
) -> Result<FfiMintedToken, FfiError> {
    let id = linked_account_id.ok_or_else(linked_account_id_not_unicode)?;
    let token = client
        .get_token_for_linked_account_with(
            &id,
            RequestOptions {
                fresh,
                ..Default::default()
            },
        )
        .await?;
    Ok(FfiMintedToken::from(token))
}

/// Test-only probes of a client.
#[cfg(feature = "test-hooks")]
#[uniffi::export]
impl FfiClient {
    /// How many calls this client has run on the runtime, spawned or blocking (test builds
    /// only): a cache hit answered on the fast path runs none.
    pub fn spawned_task_count(&self) -> u64 {
        self.spawned.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// Test builds only: an error of `FfiError` variant `variant` (declaration order) with every
/// field set, for the tests comparing the JNI path's error records with the uniffi path.
#[cfg(feature = "test-hooks")]
pub(crate) fn test_error(variant: i32) -> FfiError {
    let info = ErrorInfo {
        code: format!("code-{variant}"),
        detail: format!("detail {variant} \u{e9}\u{1f600}"),
        status: Some(400 + variant),
        request_id: Some(format!("req-{variant}")),
        retry_after_seconds: Some(f64::from(variant) + 0.25),
        attempts: variant + 1,
    };
    match variant {
        0 => FfiError::InvalidInput { info },
        1 => FfiError::Configuration { info },
        2 => FfiError::BadRequest { info },
        3 => FfiError::Authentication { info },
        4 => FfiError::PermissionDenied { info },
        5 => FfiError::NotFound { info },
        6 => FfiError::RateLimited { info },
        7 => FfiError::InvalidLinkedAccount { info },
        8 => FfiError::ServerError { info },
        9 => FfiError::Timeout { info },
        10 => FfiError::Connection { info },
        11 => FfiError::InvalidResponse { info },
        12 => FfiError::UnexpectedStatus { info },
        _ => FfiError::Internal { info },
    }
}

/// Test builds only: [`test_error`] thrown through uniffi.
#[cfg(feature = "test-hooks")]
#[uniffi::export]
pub fn ffi_error_for_test(variant: i32) -> Result<(), FfiError> {
    Err(test_error(variant))
}

/// Test builds only: how many times the JNI entry points (`fast.rs`) were called.
#[cfg(feature = "test-hooks")]
#[uniffi::export]
pub fn fast_call_count() -> u64 {
    fast::FAST_CALLS.load(std::sync::atomic::Ordering::SeqCst)
}

/// Where this copy of the library has its JNI entry points (`fast.rs`): the Kotlin layer
/// passes it to `NativeFast.init` to make sure that the library it loaded for JNI is the very
/// copy uniffi's JNA bindings use (one runtime, one set of clients).
#[uniffi::export]
pub fn fast_entry_address() -> u64 {
    fast::entry_address()
}

/// Native clients alive (built and neither released nor freed), counted in test builds only,
/// for the tests of `close()`.
mod live_clients {
    #[cfg(feature = "test-hooks")]
    static LIVE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

    pub fn built() {
        #[cfg(feature = "test-hooks")]
        LIVE.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn released() {
        #[cfg(feature = "test-hooks")]
        LIVE.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }

    /// How many native clients are alive (test builds only).
    #[cfg(feature = "test-hooks")]
    #[uniffi::export]
    pub fn live_client_count() -> u64 {
        LIVE.load(std::sync::atomic::Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> FfiOptions {
        FfiOptions {
            environment: None,
            base_url: Some("http://127.0.0.1:9".into()),
            timeout_seconds: Some(1.0),
            max_retries: Some(0.0),
            max_idle_connections: Some(4.0),
            max_connections: Some(8.0),
            cache: None,
            not_unicode: None,
            runtime_version: "test".into(),
        }
    }

    #[test]
    fn errors_keep_the_core_code_and_message() {
        let err = FfiClient::new(Some("   ".into()), options())
            .err()
            .expect("a blank key is a configuration error");
        assert!(matches!(err, FfiError::Configuration { .. }));
        assert_eq!(err.info().code, "configuration");
        assert_eq!(err.info().attempts, 0);
        assert!(!err.info().detail.is_empty());
    }

    #[test]
    fn text_that_is_not_unicode_is_worded_by_the_core() {
        let err = FfiClient::new(
            None,
            FfiOptions {
                not_unicode: Some("apiKey".into()),
                ..options()
            },
        )
        .err()
        .expect("a configuration error");
        assert!(matches!(err, FfiError::Configuration { .. }));
        assert!(err.info().detail.starts_with("apiKey is not valid Unicode"));

        let client = FfiClient::new(Some("k".into()), options()).expect("valid options");
        let err = client
            .get_token_for_linked_account_blocking(None, false)
            .expect_err("an invalid_input error");
        assert!(matches!(err, FfiError::InvalidInput { .. }));
        assert_eq!(err.info().attempts, 0);
    }

    #[test]
    fn store_options_reach_the_core_and_never_show_their_secrets() {
        let store = |url: &[u8], key: &[u8]| FfiOptions {
            cache: Some(FfiCacheOptions {
                max_entries: None,
                min_remaining_seconds: None,
                refresh_ahead_seconds: None,
                store: Some(FfiStoreOptions {
                    redis_url_utf8: Some(url.to_vec()),
                    encryption_keys_utf8: vec![key.to_vec()],
                    key_prefix: Some("app:".into()),
                    timeout_seconds: Some(0.5),
                }),
            }),
            ..options()
        };
        let key = b"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
        let shown = format!("{:?}", store(b"redis://:pw_DISTINCTIVE@127.0.0.1:1", key));
        assert!(
            !shown.contains("DISTINCTIVE") && !shown.contains("AAECAw"),
            "{shown}"
        );
        FfiClient::new(Some("k".into()), store(b"redis://127.0.0.1:1", key))
            .expect("valid store options")
            .release()
            .unwrap();
        // The core checks them: a key that is not 32 bytes is a configuration error.
        let err = FfiClient::new(Some("k".into()), store(b"redis://127.0.0.1:1", b"AAEC"))
            .err()
            .expect("a configuration error");
        assert!(matches!(err, FfiError::Configuration { .. }), "{err:?}");
        // Bytes that are not UTF-8 (the Kotlin layer never sends any) are named, never shown.
        let err = FfiClient::new(Some("k".into()), store(b"redis://\xff", key))
            .err()
            .expect("a configuration error");
        assert!(
            err.info()
                .detail
                .starts_with("cache.store.redisUrl is not valid Unicode"),
            "{err:?}"
        );
    }

    #[test]
    fn release_drops_the_client() {
        let client = FfiClient::new(Some("k".into()), options()).expect("valid options");
        let info = client.info().unwrap().expect("not released");
        assert!(info.user_agent.ends_with("(kotlin test)"));
        assert_eq!(info.environment, "production");
        assert_eq!(
            info.endpoint,
            "http://127.0.0.1:9/api/v2/public/session-token"
        );
        client.release().unwrap();
        assert!(client.info().unwrap().is_none());
        assert!(
            client
                .get_token_for_linked_account_blocking(Some("acct".into()), false)
                .unwrap()
                .is_none()
        );
        client.release().unwrap();
    }

    #[test]
    fn panics_become_internal_errors() {
        let err = guard::<()>(|| panic!("boom")).expect_err("caught");
        assert!(matches!(err, FfiError::Internal { .. }));
        assert_eq!(err.info().code, "internal");
    }

    #[cfg(feature = "test-hooks")]
    #[test]
    fn a_panic_in_the_core_is_internal_on_both_paths() {
        let client = FfiClient::new(Some("k".into()), options()).expect("valid options");
        let id = || Some(refold_session::PANIC_LINKED_ACCOUNT_ID.to_owned());
        let err = client
            .get_token_for_linked_account_blocking(id(), false)
            .expect_err("internal");
        assert!(matches!(err, FfiError::Internal { .. }), "{err:?}");
        let err = runtime()
            .unwrap()
            .block_on(client.get_token_for_linked_account(id(), false))
            .expect_err("internal");
        assert!(matches!(err, FfiError::Internal { .. }), "{err:?}");
    }
}
