//! A local HTTP server that stands in for Refold's API, for demos, every
//! language's tests and the benchmarks. It answers as Refold's
//! documentation says (docs/contract.md §Emulator; the full reference is
//! emulator/README.md):
//!
//! - session tokens: `POST /api/v2/public/session-token` (an account's
//!   still-valid token is answered again unless `?force_refresh=true`),
//!   `POST …/session-token/revoke`, `GET /api/v2/public/session/active-linked-account`;
//! - linked accounts: `/api/v2/public/linked-account` and `…/{id}`;
//! - the applications a linked account sees, through the public API and the
//!   front-end API `@cobaltio/cobalt-js` calls with a session token (CORS
//!   for any origin);
//! - errors as `{status_code, http_error_type, error, message}`, and
//!   Refold's rate limit (20 requests per second, bursts of 5) per API key.
//!
//! Every route is a row of one table (`routes.rs`). The unauthenticated
//! control plane under `/__emulator/` queues faults, reads the request log
//! and changes settings at run time, which is why the server only binds
//! loopback addresses.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use refold_emulator::{Emulator, EmulatorConfig};
//!
//! let emulator = Emulator::start(EmulatorConfig {
//!     addr: "127.0.0.1:0".parse().unwrap(),
//!     any_linked_account: true,
//!     ..EmulatorConfig::default()
//! })
//! .await?;
//! println!("listening on {}", emulator.base_url());
//! emulator.shutdown().await;
//! # Ok(())
//! # }
//! ```

mod account_api;
mod accounts;
mod app_connections;
mod apps;
mod body;
mod config;
mod conn;
mod control;
mod faults;
mod frontend;
mod ids;
mod inject;
mod public;
mod rate_limit;
mod respond;
mod router;
mod routes;
mod server;
mod session_api;
mod sessions;
mod state;
mod token;

pub use config::{
    DEFAULT_ADDR, DEFAULT_API_KEY, DEFAULT_REFRESH_TOKEN_TTL, DEFAULT_TOKEN_TTL, EmulatorConfig,
    LEGACY_TOKEN_TTL, MAX_TOKEN_TTL_SECS,
};
pub use rate_limit::{MAX_RATE_BURST, MAX_RATE_REQUESTS, RateLimit, RatePeriod};
pub use server::Emulator;
pub use token::verify_token;
