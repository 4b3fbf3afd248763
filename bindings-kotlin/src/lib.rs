//! Kotlin/JVM binding of `refold-session` (uniffi, proc-macro mode).
//!
//! A thin translation: every decision (defaults, environment variables, validation, retries,
//! error codes and messages, token redaction) is the core's. This crate only exposes the core
//! through uniffi; the idiomatic Kotlin layer (`RefoldClient`, `SessionToken`,
//! `RefoldException`) lives in `src/main/kotlin` and wraps the generated
//! `ai.refold.session.ffi` package.
//!
//! Every core call runs as a task on the binding's own multi-thread tokio runtime (`runtime()`),
//! so each client's connection pool lives on exactly one runtime: the async export awaits the
//! task's `JoinHandle`, the blocking export `block_on`s it from the calling JVM thread. The
//! runtime's threads are native and never attached to the JVM, so they do not keep a JVM alive.
//! A call returns one record (`FfiMintedToken`): one buffer instead of an object read through
//! getters, each of which costs JNA allocations.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};
use std::task::{Context, Poll};
use std::time::SystemTime;

use refold_session::{Client, Error, ErrorCode, SessionToken};
use tokio::runtime::Runtime;
use tokio::task::{JoinError, JoinHandle};

uniffi::setup_scaffolding!();

/// Number of native clients alive (built and not yet released), for tests of `close()`.
static LIVE_CLIENTS: AtomicU64 = AtomicU64::new(0);

/// What every error carries (SPEC §4), straight from the core's `Error`.
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
            | FfiError::UnexpectedStatus { info } => info,
        }
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
            // `ErrorCode` is non-exhaustive; a code added to the core without a variant here
            // still reaches Kotlin with its own `code` string.
            _ => FfiError::UnexpectedStatus { info },
        }
    }
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

fn runtime() -> Result<&'static Runtime, FfiError> {
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
            internal_error(
                ErrorCode::Configuration,
                format!("Could not start the native I/O runtime ({err})."),
            )
        })
}

/// An error the core did not produce (the runtime could not start, or a task died).
fn internal_error(code: ErrorCode, detail: String) -> FfiError {
    let info = ErrorInfo {
        code: code.as_str().to_owned(),
        detail,
        status: None,
        request_id: None,
        retry_after_seconds: None,
        attempts: 0,
    };
    match code {
        ErrorCode::Configuration => FfiError::Configuration { info },
        _ => FfiError::Connection { info },
    }
}

/// A task that did not finish: it panicked, or the runtime cancelled it.
fn join_error(err: JoinError) -> FfiError {
    let what = if err.is_panic() {
        "failed unexpectedly (a bug: please report it)"
    } else {
        "was cancelled"
    };
    internal_error(
        ErrorCode::Connection,
        format!("The request {what}; it may or may not have reached Refold."),
    )
}

/// A spawned task that is aborted when its handle is dropped, so that cancelling the awaiting
/// coroutine abandons the request (as dropping the core's future did).
struct AbortOnDrop<T>(JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl<T> Future for AbortOnDrop<T> {
    type Output = Result<T, JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx)
    }
}

type Minted = Result<FfiMintedToken, FfiError>;

/// One core `Client` (one connection pool). `release()` drops it at once; the object itself is
/// freed by the generated `destroy()`/`close()` when no call is in flight.
#[derive(uniffi::Object)]
pub struct FfiClient {
    client: RwLock<Option<Client>>,
}

impl Drop for FfiClient {
    fn drop(&mut self) {
        let slot = match self.client.get_mut() {
            Ok(slot) => slot,
            Err(poisoned) => poisoned.into_inner(),
        };
        if slot.take().is_some() {
            LIVE_CLIENTS.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

#[uniffi::export]
impl FfiClient {
    /// Builds a client; every `None` falls back to the core's environment variables and
    /// defaults. `timeout_seconds` and `max_retries` go through the core's untyped-number
    /// setters, so the core validates them. `runtime_version` names the JVM in the user-agent.
    #[uniffi::constructor]
    pub fn new(
        api_key: Option<String>,
        environment: Option<String>,
        base_url: Option<String>,
        timeout_seconds: Option<f64>,
        max_retries: Option<f64>,
        runtime_version: String,
    ) -> Result<Arc<Self>, FfiError> {
        let mut builder = Client::builder().binding("kotlin", runtime_version);
        if let Some(key) = api_key {
            builder = builder.api_key(key);
        }
        if let Some(name) = environment {
            builder = builder.environment_name(name);
        }
        if let Some(url) = base_url {
            builder = builder.base_url(url);
        }
        if let Some(seconds) = timeout_seconds {
            builder = builder.timeout_secs_f64(seconds);
        }
        if let Some(retries) = max_retries {
            builder = builder.max_retries_f64(retries);
        }
        let client = builder.build()?;
        LIVE_CLIENTS.fetch_add(1, Ordering::SeqCst);
        Ok(Arc::new(FfiClient {
            client: RwLock::new(Some(client)),
        }))
    }

    /// Mints a session token (the core validates the id, sends, retries and maps errors) as a
    /// task on the binding's runtime, and awaits it without blocking a thread. Dropping the
    /// future (cancelling the coroutine) aborts the task. `None` after `release()`.
    pub async fn get_token_for_linked_account(
        &self,
        linked_account_id: String,
    ) -> Result<Option<FfiMintedToken>, FfiError> {
        let Some(task) = self.spawn_mint(linked_account_id)? else {
            return Ok(None);
        };
        task.await.map_err(join_error)?.map(Some)
    }

    /// The same, blocking the calling (JVM) thread until the task is done: one FFI call, no
    /// future handle, poll or callback. Never called from the runtime's own threads.
    pub fn get_token_for_linked_account_blocking(
        &self,
        linked_account_id: String,
    ) -> Result<Option<FfiMintedToken>, FfiError> {
        let Some(task) = self.spawn_mint(linked_account_id)? else {
            return Ok(None);
        };
        runtime()?.block_on(task).map_err(join_error)?.map(Some)
    }

    /// The `user-agent` this client sends.
    pub fn user_agent(&self) -> Option<String> {
        self.current().map(|client| client.user_agent().to_owned())
    }

    /// The session-token URL this client posts to.
    pub fn endpoint(&self) -> Option<String> {
        self.current().map(|client| client.endpoint().to_owned())
    }

    /// Releases the connection pool now; later calls return `None`. Idempotent. (Not named
    /// `close`: the generated Kotlin class already has `AutoCloseable.close()`.)
    pub fn release(&self) {
        let released = match self.client.write() {
            Ok(mut guard) => guard.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        };
        if released.is_some() {
            LIVE_CLIENTS.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

impl FfiClient {
    /// Spawns the core call on the binding's runtime; `None` after `release()`.
    fn spawn_mint(
        &self,
        linked_account_id: String,
    ) -> Result<Option<AbortOnDrop<Minted>>, FfiError> {
        let Some(client) = self.current() else {
            return Ok(None);
        };
        let handle = runtime()?.spawn(async move {
            let token = client
                .get_token_for_linked_account(&linked_account_id)
                .await?;
            Ok(FfiMintedToken::from(token))
        });
        Ok(Some(AbortOnDrop(handle)))
    }

    fn current(&self) -> Option<Client> {
        match self.client.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }
}

/// How many native clients are alive (built and neither closed nor freed).
#[uniffi::export]
pub fn live_client_count() -> u64 {
    LIVE_CLIENTS.load(Ordering::SeqCst)
}

/// The core's version, as sent in the user-agent.
#[uniffi::export]
pub fn core_version() -> String {
    refold_session::VERSION.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_keep_the_core_code_and_message() {
        let err = FfiClient::new(Some("   ".into()), None, None, None, None, "test".into())
            .err()
            .expect("a blank key is a configuration error");
        assert!(matches!(err, FfiError::Configuration { .. }));
        assert_eq!(err.info().code, "configuration");
        assert_eq!(err.info().attempts, 0);
        assert!(!err.info().detail.is_empty());
    }

    #[test]
    fn close_releases_the_client() {
        let client = FfiClient::new(
            Some("k".into()),
            None,
            Some("http://127.0.0.1:9".into()),
            Some(1.0),
            Some(0.0),
            "test".into(),
        )
        .expect("valid options");
        assert!(client.user_agent().unwrap().ends_with("(kotlin test)"));
        client.release();
        assert!(client.user_agent().is_none());
        client.release();
    }
}
