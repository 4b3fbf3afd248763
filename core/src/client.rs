//! The client: one bounded connection pool, the attempt loop with retries, and reading
//! responses within our own limits (docs/contract.md §Limits).

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use reqwest::header::{self, HeaderMap, HeaderValue};

use crate::builder::ClientBuilder;
use crate::environment::Environment;
use crate::error::Error;
use crate::mapping::{
    extract_token, oversized_error, status_error, timeout_error, transport_error,
    with_response_context,
};
use crate::options::{ClientOptions, POOL_IDLE_TIMEOUT, ResolvedConfig};
use crate::retry::delay_before_retry;
use crate::token::SessionToken;
use crate::validate::validate_linked_account_id;

/// Largest 2xx body read: a bigger one is `invalid_response`.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Of an error response only the start is read: enough for any useful message.
pub const MAX_ERROR_BODY_BYTES: usize = 64 * 1024;
/// The first reservation for a body of unknown length; it grows with what arrives.
const INITIAL_BODY_CAPACITY: usize = 512;

/// With the `test-hooks` feature (never in release builds), minting for this id panics, so
/// each binding can prove that a panic reaches its caller as an `internal` error.
#[cfg(feature = "test-hooks")]
pub const PANIC_LINKED_ACCOUNT_ID: &str = "__refold_test_hooks_panic__";

/// Mints session tokens. Cheap to clone; clones share one connection pool, and a client
/// may be used from many tasks and threads at once.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    config: ResolvedConfig,
    http: reqwest::Client,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let config = &self.inner.config;
        f.debug_struct("Client")
            .field("api_key", &crate::redact::REDACTED)
            .field("endpoint", &config.endpoint.as_str())
            .field("timeout", &config.timeout)
            .field("max_retries", &config.max_retries)
            .field("max_idle_connections", &config.max_idle_connections)
            .finish()
    }
}

impl Client {
    /// Validates `options`, fills defaults and environment variables, and builds the client
    /// (no request is sent). Every binding and the CLI come through here.
    pub fn new(options: ClientOptions) -> Result<Client, Error> {
        let config = options.resolve()?;
        let mut default_headers = HeaderMap::new();
        default_headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        default_headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        let http = reqwest::Client::builder()
            // A redirect would forward x-api-key to another host: a 3xx is an error instead.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(config.connect_timeout)
            .pool_idle_timeout(POOL_IDLE_TIMEOUT)
            .pool_max_idle_per_host(config.max_idle_connections)
            .tcp_nodelay(true)
            .user_agent(config.user_agent.clone())
            .default_headers(default_headers)
            .build()
            .map_err(|err| {
                Error::internal(&format!(
                    "the HTTP client could not be set up: {}",
                    crate::mapping::describe_chain(&err, &config.api_key)
                ))
            })?;
        Ok(Client {
            inner: Arc::new(Inner { config, http }),
        })
    }

    /// Starts configuring a client with typed setters.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client configured only from environment variables and defaults.
    pub fn from_env() -> Result<Client, Error> {
        Client::new(ClientOptions::default())
    }

    /// The deployment this client talks to (ignoring a base URL override).
    pub fn environment(&self) -> Environment {
        self.inner.config.environment
    }

    /// The full session-token URL requests go to.
    pub fn endpoint(&self) -> &str {
        self.inner.config.endpoint.as_str()
    }

    /// The `user-agent` header sent with every request.
    pub fn user_agent(&self) -> &str {
        &self.inner.config.user_agent
    }

    /// Mints a session token for `linked_account_id`, retrying transient failures.
    pub async fn get_token_for_linked_account(
        &self,
        linked_account_id: &str,
    ) -> Result<SessionToken, Error> {
        validate_linked_account_id(linked_account_id)?;
        #[cfg(feature = "test-hooks")]
        if linked_account_id == PANIC_LINKED_ACCOUNT_ID {
            panic!("test-hooks: a deliberate panic inside the core");
        }
        #[derive(serde::Serialize)]
        struct RequestBody<'a> {
            linked_account_id: &'a str,
        }
        let body = Bytes::from(
            serde_json::to_vec(&RequestBody { linked_account_id })
                .expect("a JSON object of one string always serialises"),
        );
        let max_attempts = self.inner.config.max_retries.saturating_add(1);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let error = match self.attempt(body.clone(), linked_account_id).await {
                Ok(token) => return Ok(token),
                Err(error) => error,
            };
            if !error.is_retryable() || attempt >= max_attempts {
                let mut error = error.with_attempts(attempt);
                if attempt > 1 {
                    error = error.append_message(&format!("(Gave up after {attempt} attempts.)"));
                }
                return Err(error);
            }
            let delay = delay_before_retry(attempt, error.retry_after());
            log::debug!(
                "session-token attempt {attempt} failed with {} (status {:?}); retrying in {} ms",
                error.code(),
                error.status(),
                delay.as_millis()
            );
            tokio::time::sleep(delay).await;
        }
    }

    /// One request, bounded by the per-attempt timeout (connect, headers and whole body).
    async fn attempt(&self, body: Bytes, linked_account_id: &str) -> Result<SessionToken, Error> {
        let config = &self.inner.config;
        let exchange = async {
            let response = self
                .inner
                .http
                .post(config.endpoint.clone())
                .header("x-api-key", config.api_key_header.clone())
                .body(body)
                .send()
                .await
                .map_err(|err| transport_error(&err, &config.endpoint, &config.api_key))?;
            self.read_response(response, linked_account_id).await
        };
        match tokio::time::timeout(config.timeout, exchange).await {
            Ok(outcome) => outcome,
            Err(_elapsed) => Err(timeout_error(config.timeout, &config.endpoint)),
        }
    }

    /// Reads at most [`MAX_BODY_BYTES`] of a 2xx and [`MAX_ERROR_BODY_BYTES`] of anything
    /// else. The announced `Content-Length` never sizes a buffer beyond those limits: a
    /// server may announce anything.
    async fn read_response(
        &self,
        mut response: reqwest::Response,
        linked_account_id: &str,
    ) -> Result<SessionToken, Error> {
        let config = &self.inner.config;
        let status = response.status().as_u16();
        // Taken, not cloned: the body is still readable without them.
        let headers = std::mem::take(response.headers_mut());
        let received_at = SystemTime::now();
        let success = response.status().is_success();
        let limit = if success {
            MAX_BODY_BYTES
        } else {
            MAX_ERROR_BODY_BYTES
        };
        let announced = response.content_length();
        let key = config.api_key.as_str();
        if success && announced.is_some_and(|len| len > limit as u64) {
            return Err(with_response_context(
                oversized_error(),
                status,
                &headers,
                key,
            ));
        }
        let capacity =
            announced.map_or(INITIAL_BODY_CAPACITY, |len| len.min(limit as u64) as usize);
        let mut body = Vec::with_capacity(capacity);
        let mut oversized = false;
        loop {
            let chunk = match response.chunk().await {
                Ok(Some(chunk)) => chunk,
                Ok(None) => break,
                // The status already arrived: an error body cut short is still that error.
                Err(_) if !success => break,
                Err(err) => return Err(transport_error(&err, &config.endpoint, &config.api_key)),
            };
            let room = limit - body.len();
            if chunk.len() > room {
                body.extend_from_slice(&chunk[..room]);
                oversized = true;
                break;
            }
            body.extend_from_slice(&chunk);
        }

        if !success {
            let error = status_error(status, &body, linked_account_id, key);
            return Err(with_response_context(error, status, &headers, key));
        }
        let token = if oversized {
            Err(oversized_error())
        } else {
            extract_token(&body)
        };
        match token {
            Ok(token) => Ok(SessionToken::from_response(
                token,
                linked_account_id.to_owned(),
                received_at,
            )),
            Err(error) => Err(with_response_context(error, status, &headers, key)),
        }
    }
}
