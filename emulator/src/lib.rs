//! A local HTTP server that stands in for the Refold session-token and
//! linked-account APIs.
//!
//! It speaks the wire protocol of the real service (docs/contract.md §Wire
//! protocol and §Emulator) for demos, every language's tests and the
//! benchmarks:
//!
//! - `POST /api/v2/public/session-token` mints HS256 JWTs after checking the
//!   `x-api-key` header, the body and the linked account;
//! - `/api/v2/public/linked-account` creates (`POST`), upserts (`PUT`) and
//!   lists (`GET ?page&limit`) linked accounts, and `…/{id}` reads (`GET`)
//!   and deletes (`DELETE`) one, with Refold's document shapes;
//! - the front-end API a browser calls with a session token through
//!   `@cobaltio/cobalt-js` (`/api/v2/f-sdk/application[/{slug}]`,
//!   `/api/v2/app/{slug}/save`, `/api/v1/linked-acc/integration/{slug}`,
//!   `/api/v3/org/basics`, `/api/v1/{slug}/integrate`), each checking the
//!   token's signature, expiry and linked account, with CORS for any origin;
//! - `/__emulator/faults`, `/__emulator/reset` and `/__emulator/requests`
//!   form an unauthenticated control plane for fault injection and
//!   inspection, which is why the server only binds loopback addresses.
//!
//! # Fault injection
//!
//! `POST /__emulator/faults` takes a JSON array (at most 10 000 faults)
//! that replaces the queue; each fault is consumed, in arrival order, by one
//! later public-API request (session-token or linked-account), before any
//! other check. Every fault may carry `"headers": {"name": "value"}`, set on
//! whatever response it produces. On the linked-account routes, the body
//! faults (`stall_body`, `truncate`, `oversized`) reshape the route's real
//! answer instead of a token.
//!
//! | fault | effect |
//! | --- | --- |
//! | `{"kind":"status","status":503,"body":…}` | that status (200–599); a JSON `body` is sent as `application/json`, a JSON string raw as `text/plain`, none as an empty body |
//! | `{"kind":"delay","ms":500}` | waits, then answers normally |
//! | `{"kind":"stall_body","ms":500}` | a 200 token response that pauses after half its body |
//! | `{"kind":"close"}` | drops the connection without a byte (HTTP/2: resets the stream) |
//! | `{"kind":"truncate"}` | a 200 announcing a token body, half of it sent, then the connection drops |
//! | `{"kind":"raw","status":200,"content_type":"text/plain","body":"…"}` | exactly that; all fields optional |
//! | `{"kind":"oversized","bytes":2097152}` | a valid `{"token":…,"padding":"xxx…"}` of that size |
//! | `{"kind":"redirect","status":302,"location":"…"}` | a 3xx with `location` (default `/api/v2/public/session-token-moved`) |
//! | `{"kind":"wire","status_line":"HTTP/1.1 500 X","wire_headers":[["a","1"],["a","2"]],"body":"…","pause_ms":0}` | exactly those bytes on the socket (`body_base64` for non-UTF-8), bypassing hyper; after `pause_ms` the connection closes (HTTP/2: resets the stream) |
//!
//! An invalid list is answered 400 with a message naming the fault and field,
//! and leaves the queue as it was. `POST /__emulator/reset` clears faults,
//! counters and the log; `GET /__emulator/requests` returns
//! `{"count", "requests": [{"method", "path", "query", "headers", "body"}]}`
//! (the last 100 public-API requests, `x-api-key` and `auth_credentials`
//! redacted). `GET
//! /__emulator/connections` returns `{"open": N, "accepted": M}`, the client
//! connections open now (the asking one included) and accepted since start. `GET`/`POST /__emulator/config` read
//! and change `{"token_ttl_s": N}`, the lifetime of minted tokens
//! ([`EmulatorConfig::token_ttl`] at start; a reset restores it).
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

mod accounts;
mod api;
mod body;
mod config;
mod conn;
mod control;
mod faults;
mod frontend;
mod ids;
mod respond;
mod router;
mod server;
mod state;
mod token;

pub use config::{
    DEFAULT_ADDR, DEFAULT_API_KEY, DEFAULT_TOKEN_TTL, EmulatorConfig, MAX_TOKEN_TTL_SECS,
};
pub use server::Emulator;
pub use token::verify_token;
