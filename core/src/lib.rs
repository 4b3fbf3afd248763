//! Mint Refold (formerly Cobalt) session tokens for your end-users' linked accounts.
//!
//! ```no_run
//! # async fn run() -> Result<(), refold_session::Error> {
//! let refold = refold_session::Client::builder().api_key("sk_...").build()?;
//! let session = refold.get_token_for_linked_account("user-42").await?;
//! println!("hand to the front end: {}", session.token());
//! # Ok(()) }
//! ```
//!
//! Every failure is an [`Error`] with a language-neutral [`ErrorCode`] and Refold's own code
//! ([`Error::server_code`]); transient failures (429, 502–504, timeouts, dropped connections)
//! are retried with backoff, and the API key and tokens never appear in messages or `Debug`
//! output. Every call takes per-call [`RequestOptions`] (its `*_with` form). Requires a tokio
//! runtime. Bindings read their hosts' values through [`host`].
//!
//! # Tracing
//!
//! Each call is a `tracing` span (target `refold_session`, level INFO) under the caller's
//! current span, and each HTTP attempt a CLIENT span under it, with the OpenTelemetry HTTP
//! client conventions' fields (docs/contract.md §18 `### Rust`); the client option `telemetry:
//! false` turns them off. With the feature `opentelemetry`, an attempt sends its span's
//! OpenTelemetry context as `traceparent`, and calls are measured through
//! `opentelemetry::global` (`http.client.request.duration`, `refold.session_cache.*`). Logs go
//! through the `log` facade. To see the spans in OpenTelemetry:
//!
//! ```no_run
//! use opentelemetry::trace::TracerProvider as _;
//! use tracing::Instrument;
//! use tracing_subscriber::layer::SubscriberExt;
//!
//! # async fn run(exporter: opentelemetry_sdk::trace::InMemorySpanExporter) -> Result<(), refold_session::Error> {
//! let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder()
//!     .with_simple_exporter(exporter) // your OTLP exporter
//!     .build();
//! let subscriber = tracing_subscriber::registry()
//!     .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("my-backend")));
//! tracing::subscriber::set_global_default(subscriber).expect("one global subscriber");
//!
//! let refold = refold_session::Client::builder().api_key("sk_...").build()?;
//! // `refold.get_token_for_linked_account` and its `POST /api/v2/public/session-token`
//! // attempts become children of the handler's span.
//! let session = refold
//!     .get_token_for_linked_account("user-42")
//!     .instrument(tracing::info_span!("handler"))
//!     .await?;
//! # let _ = session; Ok(()) }
//! ```

mod accounts;
pub mod api;
mod body;
mod builder;
mod cache;
mod client;
mod connections;
mod endpoint;
mod engine;
mod environment;
mod error;
pub mod host;
mod mapping;
mod options;
#[cfg(test)]
mod properties;
mod ratelimit;
mod redact;
mod retry;
mod secret;
mod sessions;
mod store;
pub mod telemetry;
mod time;
mod token;
mod validate;
pub mod webhook;

#[allow(deprecated)]
pub use accounts::page_argument;
pub use accounts::{
    DEFAULT_PAGE_LIMIT, Integration, LinkedAccount, LinkedAccountInput, LinkedAccountPage,
    LinkedAccountPages, MAX_PAGE_LIMIT, MAX_PAGES, YourApp,
};
pub use body::{MAX_BODY_BYTES, MAX_ERROR_BODY_BYTES};
pub use builder::ClientBuilder;
pub use cache::{CacheStats, DEFAULT_MAX_ENTRIES, DEFAULT_MIN_REMAINING, DEFAULT_REFRESH_AHEAD};
pub use client::Client;
#[cfg(feature = "test-hooks")]
pub use client::PANIC_LINKED_ACCOUNT_ID;
pub use connections::{
    DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_IDLE_CONNECTIONS, POOL_IDLE_TIMEOUT,
    default_max_connections, default_max_idle_connections,
};
pub use endpoint::{
    ACTIVE_LINKED_ACCOUNT_PATH, LINKED_ACCOUNT_PATH, REVOKE_PATH, SESSION_TOKEN_PATH,
};
pub use environment::Environment;
pub use error::{Error, ErrorCode, UnknownErrorCode};
pub use options::{
    CacheOptions, ClientOptions, DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT, RateLimitOptions,
    RequestOptions, StoreOptions,
};
pub use redact::REDACTED;
pub use secret::Secret;
pub use sessions::RevokeResult;
pub use store::{DEFAULT_KEY_PREFIX, DEFAULT_STORE_TIMEOUT};
pub use time::{LATEST_UNIX_SECONDS, format_rfc3339};
pub use token::{SessionToken, TOKEN_LIFETIME};
pub use validate::{
    MAX_LINKED_ACCOUNT_ID_BYTES, MAX_SESSION_TOKEN_BYTES, linked_account_id_not_unicode,
    linked_account_id_type_error, validate_linked_account_id, validate_session_token,
};
#[allow(deprecated)]
pub use validate::{field_not_unicode, field_type_error};

#[cfg(feature = "uniffi")]
uniffi::setup_scaffolding!();

/// This crate's version, as sent in the `user-agent`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
