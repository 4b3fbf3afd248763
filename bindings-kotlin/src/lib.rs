//! Kotlin/JVM binding of `refold-session` (uniffi, proc-macro mode).
//!
//! A thin translation: every decision (defaults, environment variables, validation, retries,
//! error codes and messages, token redaction) is the core's. The Kotlin layer's options, per-call
//! options and linked accounts to send cross whole, as the core's `HostValue` (`host_value.rs`),
//! and are read by `refold_session::host` in the Kotlin dialect; results cross as one record
//! each (`FfiMintedToken`, `FfiLinkedAccount`, …); errors as one `ErrorInfo` keyed by the
//! core's code string (`error.rs`). The idiomatic Kotlin layer (`RefoldClient`, `SessionToken`,
//! `RefoldException`) lives in `src/main/kotlin` and wraps the generated `ai.refold.session.ffi`
//! package.
//!
//! Every core call runs on the binding's own multi-thread tokio runtime (`runtime()`), so each
//! client's connections are served by exactly one runtime's I/O driver: the async export spawns
//! a task and awaits its `JoinHandle`, the blocking export runs the call on the calling JVM
//! thread with `block_on`. The runtime's threads are native and never attached to the JVM
//! (except by `fast.rs`, as daemons), so they do not keep a JVM alive.
//!
//! No panic crosses the FFI: every export runs its synchronous part under `catch_unwind`, and a
//! panic inside a task comes back through its `JoinHandle`; both become the core's `internal`
//! error (`Error::from_panic`), i.e. `RefoldException.Internal`.
//!
//! The token calls have JNI entry points too (`fast.rs`), which the Kotlin layer uses when it
//! can: one JNI call answering the Kotlin `SessionToken` itself, made once per token and kept in
//! the core token's host slot, so a cache hit hands back that same object.
//!
//! Text that is not valid Unicode (a lone UTF-16 surrogate) never reaches uniffi's string
//! encoder, which would throw `CharacterCodingException`: an id or token is passed as `None`,
//! and the core words the error; inside host values it has its own tag.

// `FfiError` is the core's error field for field (uniffi lowers it to one buffer at the
// boundary); boxing it would only add an allocation to every failure.
#![allow(clippy::result_large_err)]

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::{Arc, OnceLock, RwLock};
use std::task::{Context, Poll};
use std::time::SystemTime;

use refold_session::host::{self, Dialect, HostInfo};
use refold_session::telemetry::{Telemetry, TraceParent};
use refold_session::{
    CacheStats, Client, Error, REDACTED, RequestOptions, RevokeResult, SessionToken,
    linked_account_id_not_unicode,
};
use tokio::runtime::Runtime;
use tokio::task::{JoinError, JoinHandle};

mod accounts;
mod api;
mod error;
mod fast;
mod host_value;
mod json;
mod logs;
mod telemetry;
mod webhook;

pub use error::{ErrorInfo, FfiError};
pub use webhook::{FfiWebhookEvent, parse_webhook_event, verify_webhook_signature};

uniffi::setup_scaffolding!();

/// The dialect every host value of this binding is read in (camelCase, `java.time.Duration`).
pub(crate) const KOTLIN: &Dialect = &Dialect::KOTLIN;

/// Runs `call`, turning a panic into the `internal` error.
pub(crate) fn guard<T>(call: impl FnOnce() -> Result<T, FfiError>) -> Result<T, FfiError> {
    catch_unwind(AssertUnwindSafe(call))
        .unwrap_or_else(|payload| Err(FfiError::from_panic(payload)))
}

/// The per-call options (`RequestOptions.kt` as a host value; `None`: the client's), with the
/// token call's `fresh`.
pub(crate) fn request_options(
    options: Option<Vec<u8>>,
    fresh: bool,
) -> Result<RequestOptions, FfiError> {
    let mut options = match options {
        Some(bytes) => host::request_options(&host_value::read(bytes)?, KOTLIN)?,
        None => RequestOptions::default(),
    };
    options.fresh |= fresh;
    Ok(options)
}

/// A session token argument; `None` is one the Kotlin layer found not to be valid Unicode,
/// which reaches the core as a lossy decoder has it (U+FFFD), a character no header carries.
pub(crate) fn token_text(token: Option<String>) -> String {
    token.unwrap_or_else(|| char::REPLACEMENT_CHARACTER.to_string())
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
    pub rate_limit_waits: i64,
    pub rate_limit_wait_ms: i64,
    pub rate_limit_refused: i64,
    pub rate_limit_429s: i64,
    pub rate_limit_background_deferred: i64,
    pub rate_limit_fleet_fallbacks: i64,
}

fn long(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

impl From<CacheStats> for FfiCacheStats {
    fn from(stats: CacheStats) -> Self {
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
            rate_limit_waits: long(stats.rate_limit_waits),
            rate_limit_wait_ms: long(stats.rate_limit_wait_ms),
            rate_limit_refused: long(stats.rate_limit_refused),
            rate_limit_429s: long(stats.rate_limit_429s),
            rate_limit_background_deferred: long(stats.rate_limit_background_deferred),
            rate_limit_fleet_fallbacks: long(stats.rate_limit_fleet_fallbacks),
        }
    }
}

/// What revoking a session token answered (the core's `RevokeResult`).
#[derive(Clone, Debug, uniffi::Record)]
pub struct FfiRevokeResult {
    pub success: bool,
    pub revoked_count: i64,
}

impl From<RevokeResult> for FfiRevokeResult {
    fn from(result: RevokeResult) -> Self {
        FfiRevokeResult {
            success: result.success,
            revoked_count: long(result.revoked_count),
        }
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
/// field, so the secrets travel as UTF-8 bytes (`ByteArray`, whose `toString()` shows no
/// content); the idiomatic `SessionToken` decodes them and prints the core's redactions.
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
    /// The refresh token (a secret), UTF-8, if Refold sent one.
    pub refresh_token_utf8: Option<Vec<u8>>,
    /// When the refresh token stops working, if known.
    pub refresh_expires_at: Option<SystemTime>,
    /// The refresh token as shown in logs (the core's marker), when there is one.
    pub refresh_redacted: Option<String>,
}

impl std::fmt::Debug for FfiMintedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FfiMintedToken")
            .field("token", &self.redacted)
            .field("linked_account_id", &self.linked_account_id)
            .field("expires_at", &self.expires_at)
            .field("issued_at", &self.issued_at)
            .field("refresh_token", &self.refresh_redacted)
            .field("refresh_expires_at", &self.refresh_expires_at)
            .finish()
    }
}

impl From<&SessionToken> for FfiMintedToken {
    fn from(token: &SessionToken) -> Self {
        FfiMintedToken {
            token_utf8: token.token().as_bytes().to_vec(),
            linked_account_id: token.linked_account_id().to_owned(),
            expires_at: token.expires_at(),
            issued_at: token.issued_at(),
            redacted: token.redacted(),
            refresh_token_utf8: token.refresh_token().map(|text| text.as_bytes().to_vec()),
            refresh_expires_at: token.refresh_expires_at(),
            refresh_redacted: token.refresh_token().map(|_| REDACTED.to_owned()),
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
    /// Builds a client from the Kotlin layer's options as a host value (every check, default,
    /// environment variable and message is the core's, in the Kotlin dialect); `runtime_version`
    /// is the JVM's `java.version`, for the `user-agent`. `observed`: the Kotlin layer found
    /// the OpenTelemetry API and JNI bound, so the client reports its calls (`telemetry.rs`).
    #[uniffi::constructor]
    pub fn new(
        options: Vec<u8>,
        runtime_version: String,
        observed: bool,
    ) -> Result<Arc<Self>, FfiError> {
        guard(|| {
            let options = host::client_options(&host_value::read(options)?, KOTLIN)?;
            let hook = observed.then(|| Arc::new(telemetry::JvmTelemetry) as Arc<dyn Telemetry>);
            let client = host::build_observed_client(
                options,
                HostInfo::new(Dialect::KOTLIN, runtime_version),
                hook,
            )?;
            live_clients::built();
            Ok(Arc::new(FfiClient {
                client: RwLock::new(Some(client)),
                #[cfg(feature = "test-hooks")]
                spawned: Default::default(),
            }))
        })
    }

    /// A strong reference of this client for the JNI entry points (`fast.rs`), as this crate's
    /// own `Arc::into_raw` (not uniffi's handle), given back once with `NativeFast.free`.
    pub fn fast_handle(self: Arc<Self>) -> u64 {
        Arc::into_raw(self) as usize as u64
    }

    /// Mints a session token (the core validates the id and the options, sends, retries and
    /// maps errors; with the cache on, answers from it unless `fresh`) as a task on the
    /// binding's runtime, and awaits it without blocking a thread. Dropping the future
    /// (cancelling the coroutine) aborts the task. `None` after `release()`. An id of `None`
    /// is one the Kotlin layer found not to be valid Unicode.
    pub async fn get_token_for_linked_account(
        &self,
        linked_account_id: Option<String>,
        fresh: bool,
        options: Option<Vec<u8>>,
    ) -> Result<Option<FfiMintedToken>, FfiError> {
        let token = self
            .run(move |client| mint(client, linked_account_id, fresh, options))
            .await?;
        Ok(token.as_ref().map(FfiMintedToken::from))
    }

    /// The same, blocking the calling (JVM) thread until done. A cache hit (`cached_token`) is
    /// answered on the calling thread without touching the runtime.
    pub fn get_token_for_linked_account_blocking(
        &self,
        linked_account_id: Option<String>,
        fresh: bool,
        options: Option<Vec<u8>>,
    ) -> Result<Option<FfiMintedToken>, FfiError> {
        Ok(self
            .mint_blocking(linked_account_id, fresh, options)?
            .as_ref()
            .map(FfiMintedToken::from))
    }

    /// The cached token of the account when the core's cache answers it synchronously (enough
    /// life left, no refresh due; counted as a hit), else `None` and the caller takes the async
    /// path. Never blocks and spawns nothing. `None` without a cache, after `release()`, or
    /// for an id of `None` (not valid Unicode).
    pub fn cached_token(
        &self,
        linked_account_id: Option<String>,
    ) -> Result<Option<FfiMintedToken>, FfiError> {
        Ok(self
            .hit(linked_account_id.as_deref(), None)?
            .as_ref()
            .map(FfiMintedToken::from))
    }

    /// Revokes a session token (Bearer, no API key); it leaves the cache and the store.
    pub async fn revoke_session_token(
        &self,
        token: Option<String>,
        options: Option<Vec<u8>>,
    ) -> Result<Option<FfiRevokeResult>, FfiError> {
        self.run(move |client| revoke(client, token, options)).await
    }

    pub fn revoke_session_token_blocking(
        &self,
        token: Option<String>,
        options: Option<Vec<u8>>,
    ) -> Result<Option<FfiRevokeResult>, FfiError> {
        self.run_blocking(move |client| revoke(client, token, options))
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
    pub(crate) fn count_run(&self) {
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
    /// in — one thread hand-off per call instead of two. Its background work (the cache's
    /// refreshes) still goes to the runtime.
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

    /// The blocking token call: the cache's synchronous answer when it has one (not `fresh`,
    /// no per-call options but a traceparent), else the core's call on this thread.
    pub(crate) fn mint_blocking(
        &self,
        linked_account_id: Option<String>,
        fresh: bool,
        options: Option<Vec<u8>>,
    ) -> Result<Option<SessionToken>, FfiError> {
        let options = request_options(options, fresh)?;
        let traced_only = RequestOptions {
            traceparent: options.traceparent,
            ..RequestOptions::default()
        };
        if options == traced_only
            && let Some(hit) = self.hit(linked_account_id.as_deref(), options.traceparent)?
        {
            return Ok(Some(hit));
        }
        self.run_blocking(move |client| mint_with(client, linked_account_id, options))
    }

    /// `cached_token`'s answer, read under the client's lock (no clone of the client), recorded
    /// under `parent`.
    pub(crate) fn hit(
        &self,
        linked_account_id: Option<&str>,
        parent: Option<TraceParent>,
    ) -> Result<Option<SessionToken>, FfiError> {
        guard(|| {
            let slot = match self.client.read() {
                Ok(guard) => guard,
                Err(poisoned) => poisoned.into_inner(),
            };
            Ok(slot
                .as_ref()
                .zip(linked_account_id)
                .and_then(|(client, id)| client.cached_token_within(id, parent)))
        })
    }

    pub(crate) fn current(&self) -> Option<Client> {
        match self.client.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }
}

/// One mint (or cache answer).
pub(crate) async fn mint(
    client: Client,
    linked_account_id: Option<String>,
    fresh: bool,
    options: Option<Vec<u8>>,
) -> Result<SessionToken, FfiError> {
    mint_with(client, linked_account_id, request_options(options, fresh)?).await
}

/// [`mint`] with its options read.
pub(crate) async fn mint_with(
    client: Client,
    linked_account_id: Option<String>,
    options: RequestOptions,
) -> Result<SessionToken, FfiError> {
    let id = linked_account_id.ok_or_else(linked_account_id_not_unicode)?;
    Ok(client
        .get_token_for_linked_account_with(&id, options)
        .await?)
}

async fn revoke(
    client: Client,
    token: Option<String>,
    options: Option<Vec<u8>>,
) -> Result<FfiRevokeResult, FfiError> {
    let options = request_options(options, false)?;
    Ok(client
        .revoke_session_token_with(&token_text(token), options)
        .await?
        .into())
}

/// Test-only probes.
#[cfg(feature = "test-hooks")]
#[uniffi::export]
impl FfiClient {
    /// How many calls this client has run on the runtime, spawned or blocking (test builds
    /// only): a cache hit answered on the fast path runs none.
    pub fn spawned_task_count(&self) -> u64 {
        self.spawned.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// Test builds only: an error with every field set, for the tests comparing the JNI path's
/// error records with the uniffi path.
#[cfg(feature = "test-hooks")]
pub(crate) fn test_error(code: String) -> FfiError {
    FfiError::Refold {
        info: ErrorInfo {
            detail: format!("detail of {code} \u{e9}\u{1f600}"),
            code,
            status: Some(418),
            request_id: Some("req-test".into()),
            retry_after: Some(std::time::Duration::from_millis(1250)),
            attempts: 3,
            server_code: Some("SERVER_CODE".into()),
            http_error_type: Some("BAD_REQUEST".into()),
        },
    }
}

/// Test builds only: [`test_error`] thrown through uniffi.
#[cfg(feature = "test-hooks")]
#[uniffi::export]
pub fn ffi_error_for_test(code: String) -> Result<(), FfiError> {
    Err(test_error(code))
}

/// Test builds only: how many times the JNI entry points (`fast.rs`) were called.
#[cfg(feature = "test-hooks")]
#[uniffi::export]
pub fn fast_call_count() -> u64 {
    fast::FAST_CALLS.load(std::sync::atomic::Ordering::SeqCst)
}

/// This library's version, the `version` of the OpenTelemetry instrumentation scope.
#[uniffi::export]
pub fn package_version() -> String {
    refold_session::VERSION.to_owned()
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

    /// The host-value form of a map of text keys (what `HostValue.kt` writes).
    fn host_map(members: &[(&str, &[u8])]) -> Vec<u8> {
        let mut bytes = vec![8];
        bytes.extend_from_slice(&(members.len() as u32).to_be_bytes());
        for (key, value) in members {
            bytes.push(5);
            bytes.extend_from_slice(&(key.len() as u32).to_be_bytes());
            bytes.extend_from_slice(key.as_bytes());
            bytes.extend_from_slice(value);
        }
        bytes
    }

    fn text(value: &str) -> Vec<u8> {
        let mut bytes = vec![5];
        bytes.extend_from_slice(&(value.len() as u32).to_be_bytes());
        bytes.extend_from_slice(value.as_bytes());
        bytes
    }

    fn options(extra: &[(&str, &[u8])]) -> Vec<u8> {
        let key = text("k");
        let url = text("http://127.0.0.1:9");
        let mut members: Vec<(&str, &[u8])> =
            vec![("apiKey", key.as_slice()), ("baseUrl", url.as_slice())];
        members.extend_from_slice(extra);
        host_map(&members)
    }

    #[test]
    fn option_problems_are_the_core_s_in_the_kotlin_dialect() {
        let mut negative = vec![9];
        negative.extend_from_slice(&(-1.0f64).to_be_bytes());
        let err = FfiClient::new(
            options(&[("timeout", negative.as_slice())]),
            "test".into(),
            false,
        )
        .err()
        .expect("a configuration error");
        assert_eq!(err.info().code, "configuration");
        assert!(err.info().detail.starts_with("timeout "), "{err:?}");
        let err = FfiClient::new(
            options(&[("environment", &[6u8][..])]),
            "test".into(),
            false,
        )
        .err()
        .expect("a configuration error");
        assert!(err.info().detail.starts_with("environment "), "{err:?}");
    }

    #[test]
    fn release_drops_the_client() {
        let client = FfiClient::new(options(&[]), "test".into(), false).expect("valid options");
        let info = client.info().unwrap().expect("not released");
        assert!(
            info.user_agent.ends_with("(kotlin test)"),
            "{}",
            info.user_agent
        );
        assert_eq!(
            info.endpoint,
            "http://127.0.0.1:9/api/v2/public/session-token"
        );
        client.release().unwrap();
        assert!(client.info().unwrap().is_none());
        assert!(
            client
                .get_token_for_linked_account_blocking(Some("acct".into()), false, None)
                .unwrap()
                .is_none()
        );
        client.release().unwrap();
    }

    #[test]
    fn panics_become_internal_errors() {
        let err = guard::<()>(|| panic!("boom")).expect_err("caught");
        assert_eq!(err.info().code, "internal");
    }

    #[cfg(feature = "test-hooks")]
    #[test]
    fn a_panic_in_the_core_is_internal_on_both_paths() {
        let client = FfiClient::new(options(&[]), "test".into(), false).expect("valid options");
        let id = || Some(refold_session::PANIC_LINKED_ACCOUNT_ID.to_owned());
        let err = client
            .get_token_for_linked_account_blocking(id(), false, None)
            .expect_err("internal");
        assert_eq!(err.info().code, "internal", "{err:?}");
        let err = runtime()
            .unwrap()
            .block_on(client.get_token_for_linked_account(id(), false, None))
            .expect_err("internal");
        assert_eq!(err.info().code, "internal", "{err:?}");
    }
}
