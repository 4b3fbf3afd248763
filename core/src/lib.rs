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

mod client;
mod config;
mod error;
mod mapping;
mod redact;
mod retry;
mod token;
mod validate;

pub use client::{Client, MAX_BODY_BYTES};
pub use config::{
    ClientBuilder, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT, Environment,
    SESSION_TOKEN_PATH,
};
pub use error::{Error, ErrorCode};
pub use redact::{REDACTED, redact_token};
pub use token::{SessionToken, TOKEN_LIFETIME};
pub use validate::{
    MAX_LINKED_ACCOUNT_ID_BYTES, linked_account_id_type_error, validate_linked_account_id,
};

/// This crate's version, as sent in the `user-agent`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
