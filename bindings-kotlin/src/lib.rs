//! Kotlin/JVM binding of `refold-session` (uniffi, proc-macro mode).
//!
//! A thin translation: every decision (defaults, environment variables, validation, retries,
//! error codes and messages, token redaction) is the core's. This crate only exposes the core
//! through uniffi; the idiomatic Kotlin layer (`RefoldClient`, `SessionToken`,
//! `RefoldException`) lives in `src/main/kotlin` and wraps the generated
//! `ai.refold.session.ffi` package.
//!
//! Async calls run on uniffi's tokio support (`async_runtime = "tokio"`), the binding's one
//! runtime; its threads are native and never attached to the JVM, so they do not keep a JVM
//! alive.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use refold_session::{Client, Error, ErrorCode, SessionToken};

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

/// A minted token. An object rather than a record so that no generated `toString()` can
/// show the token: `Display` (Kotlin `toString()`) is the core's redacted form.
#[derive(uniffi::Object)]
#[uniffi::export(Display)]
pub struct FfiSessionToken {
    inner: SessionToken,
}

#[uniffi::export]
impl FfiSessionToken {
    /// The token itself (a secret).
    pub fn token(&self) -> String {
        self.inner.token().to_owned()
    }

    /// The linked account the token was minted for.
    pub fn linked_account_id(&self) -> String {
        self.inner.linked_account_id().to_owned()
    }

    /// When the token stops working.
    pub fn expires_at(&self) -> SystemTime {
        self.inner.expires_at()
    }

    /// When Refold issued it, if the token says.
    pub fn issued_at(&self) -> Option<SystemTime> {
        self.inner.issued_at()
    }

    /// The token as shown in logs: the core's redaction.
    pub fn redacted(&self) -> String {
        self.inner.redacted()
    }
}

impl std::fmt::Display for FfiSessionToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.inner)
    }
}

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

#[uniffi::export(async_runtime = "tokio")]
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

    /// Mints a session token (the core validates the id, sends, retries and maps errors).
    /// `None` after `release()`.
    pub async fn get_token_for_linked_account(
        &self,
        linked_account_id: String,
    ) -> Result<Option<Arc<FfiSessionToken>>, FfiError> {
        let Some(client) = self.current() else {
            return Ok(None);
        };
        let token = client
            .get_token_for_linked_account(&linked_account_id)
            .await?;
        Ok(Some(Arc::new(FfiSessionToken { inner: token })))
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
