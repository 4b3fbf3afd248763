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
//! - every other operation of Refold's API description (102 in all), with
//!   the state a flow needs (events, configs, webhooks, workflows,
//!   executions, schedules that fire, tables, datarefs, variables, MCP
//!   servers, …) or its documented example, each request checked against
//!   the description;
//! - signed webhook deliveries with Refold's retries;
//! - errors as `{status_code, http_error_type, error, message}`, and
//!   Refold's rate limit (20 requests per second, bursts of 5) per API key.
//!
//! Every route is a row of one table (`routes.rs`; Refold's operations are
//! generated rows, `generated/routes.rs`). The unauthenticated
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
mod actions;
mod app_connections;
mod apps;
mod body;
mod collection;
mod config;
mod configs;
mod conn;
mod connect;
mod control;
mod credentials;
mod datarefs;
mod events;
mod executions;
mod faults;
mod frontend;
mod generated;
mod human_tasks;
mod ids;
mod inject;
mod mcp_servers;
mod multipart;
mod operations;
mod public;
mod rate_limit;
mod respond;
mod router;
mod routes;
mod schedules;
mod server;
mod session_api;
mod sessions;
mod state;
mod tables;
mod token;
mod validation;
mod variables;
mod webhooks;
mod webhooks_api;
mod workflows;

pub use config::{
    DEFAULT_ADDR, DEFAULT_API_KEY, DEFAULT_EXECUTION_TIME, DEFAULT_REFRESH_TOKEN_TTL,
    DEFAULT_SCHEDULE_MINUTE, DEFAULT_TOKEN_TTL, DEFAULT_WEBHOOK_BACKOFF, EmulatorConfig,
    LEGACY_TOKEN_TTL, MAX_EXECUTION_TIME, MAX_SCHEDULE_MINUTE, MAX_TOKEN_TTL_SECS,
    MAX_WEBHOOK_BACKOFF, MIN_SCHEDULE_MINUTE, MIN_WEBHOOK_BACKOFF,
};
pub use operations::{ApiRoute, api_routes};
pub use rate_limit::{MAX_RATE_BURST, MAX_RATE_REQUESTS, RateLimit, RatePeriod};
pub use server::Emulator;
pub use token::verify_token;
pub use webhooks::{SIGNATURE_HEADER, signature as webhook_signature};
