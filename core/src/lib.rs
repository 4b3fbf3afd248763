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
//! Every failure is an [`Error`] with a language-neutral [`ErrorCode`]; transient failures
//! (429, 502–504, timeouts, dropped connections) are retried with backoff, and the API key
//! and tokens never appear in messages or `Debug` output. Requires a tokio runtime.

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
mod mapping;
mod options;
#[cfg(test)]
mod properties;
pub mod webhook;
// Built ahead of its wiring into the engine, the options and the cache (issue #24).
#[allow(dead_code, unused_imports)]
mod ratelimit;
mod redact;
mod retry;
mod store;
mod time;
mod token;
mod validate;

pub use accounts::{
    DEFAULT_PAGE_LIMIT, LinkedAccount, LinkedAccountInput, LinkedAccountPage, LinkedAccountPages,
    MAX_PAGE_LIMIT, MAX_PAGES, YourApp, page_argument,
};
pub use body::{MAX_BODY_BYTES, MAX_ERROR_BODY_BYTES};
pub use builder::ClientBuilder;
pub use cache::{CacheStats, DEFAULT_MAX_ENTRIES, DEFAULT_MIN_REMAINING, DEFAULT_REFRESH_AHEAD};
#[cfg(feature = "test-hooks")]
pub use client::PANIC_LINKED_ACCOUNT_ID;
pub use client::{CallOptions, Client};
pub use connections::{
    DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_IDLE_CONNECTIONS, POOL_IDLE_TIMEOUT,
    default_max_connections, default_max_idle_connections,
};
pub use endpoint::{LINKED_ACCOUNT_PATH, SESSION_TOKEN_PATH};
pub use environment::Environment;
pub use error::{Error, ErrorCode};
pub use options::{
    CacheOptions, ClientOptions, DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT, OptionProblem, Timeout,
};
pub use redact::REDACTED;
pub use store::{DEFAULT_KEY_PREFIX, DEFAULT_STORE_TIMEOUT, StoreOptions};
pub use time::{HostDuration, LATEST_UNIX_SECONDS, format_rfc3339};
pub use token::{SessionToken, TOKEN_LIFETIME};
pub use validate::{
    MAX_LINKED_ACCOUNT_ID_BYTES, field_not_unicode, field_type_error,
    linked_account_id_not_unicode, linked_account_id_type_error, validate_linked_account_id,
};

/// This crate's version, as sent in the `user-agent`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
