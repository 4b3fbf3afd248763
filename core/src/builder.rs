//! The Rust-idiomatic way to fill [`ClientOptions`]: typed setters, then `build`.

use std::sync::Arc;
use std::time::Duration;

use crate::client::Client;
use crate::environment::Environment;
use crate::error::Error;
use crate::options::{ClientOptions, Dialect};
use crate::telemetry::Telemetry;

impl Client {
    /// Starts configuring a client with typed setters.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }
}

/// Builds a [`Client`]. Unset options fall back to environment variables, then to defaults;
/// every problem is reported by [`ClientBuilder::build`] as a `configuration` error.
#[derive(Clone, Default)]
pub struct ClientBuilder {
    options: ClientOptions,
    telemetry: Option<Arc<dyn Telemetry>>,
}

impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("options", &self.options)
            .field("telemetry", &self.telemetry.as_ref().map(|_| "installed"))
            .finish()
    }
}

impl ClientBuilder {
    /// The API key (default: `REFOLD_API_KEY`, then `COBALT_API_KEY`).
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.options.api_key = Some(crate::secret::Secret::new(key));
        self
    }

    /// The deployment (default: `REFOLD_ENVIRONMENT`, else production).
    pub fn environment(mut self, environment: Environment) -> Self {
        self.options.environment = Some(environment);
        self
    }

    /// A base URL that overrides the environment (default: `REFOLD_BASE_URL`). Must be
    /// `https://`, or `http://` to a loopback host.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.options.base_url = Some(url.into());
        self
    }

    /// Per-attempt timeout covering connect, headers and the whole body (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.options.timeout = Some(timeout);
        self
    }

    /// Retries after the first attempt (default 2; 0 disables retries; at most 100).
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.options.max_retries = Some(retries);
        self
    }

    /// Idle connections kept per host, 0 to 10,000 (default:
    /// [`crate::default_max_idle_connections`], a quarter of the open-file limit, at most
    /// 1,024); 0 closes each after use.
    pub fn max_idle_connections(mut self, count: u32) -> Self {
        self.options.max_idle_connections = Some(count);
        self
    }

    /// Requests in flight to the host at once, hence connections in use, 1 to 10,000 (default:
    /// [`crate::default_max_connections`], a quarter of the open-file limit, at most 1,024);
    /// calls beyond it wait, within their timeout, for one to finish.
    pub fn max_connections(mut self, count: u32) -> Self {
        self.options.max_connections = Some(count);
        self
    }

    /// The session cache (off unless set).
    pub fn cache(mut self, cache: crate::options::CacheOptions) -> Self {
        self.options.cache = Some(cache);
        self
    }

    /// The request budget under Refold's rate limit (default: `REFOLD_RATE_LIMIT`, else 20
    /// requests/s with bursts of 5); [`crate::RateLimitOptions::Off`] turns it off.
    pub fn rate_limit(mut self, rate_limit: crate::options::RateLimitOptions) -> Self {
        self.options.rate_limit = Some(rate_limit);
        self
    }

    /// Whether unset options are read from `REFOLD_*` environment variables (default true).
    pub fn read_environment_variables(mut self, read: bool) -> Self {
        self.options.read_environment_variables = Some(read);
        self
    }

    /// The option `telemetry`: whether calls make `tracing` spans (and metrics, feature
    /// `opentelemetry`) and are reported to the hook (default true).
    pub fn telemetry_enabled(mut self, enabled: bool) -> Self {
        self.options.telemetry = Some(enabled);
        self
    }

    /// Whether telemetry names the linked account of a call (default false).
    pub fn telemetry_linked_account_id(mut self, include: bool) -> Self {
        self.options.telemetry_linked_account_id = Some(include);
        self
    }

    /// The options filled so far.
    pub fn options(&self) -> &ClientOptions {
        &self.options
    }

    /// Reports every call to `hook` (docs/contract.md §18); none by default. The option
    /// `telemetry: false` (in [`ClientOptions`]) ignores it.
    pub fn telemetry(mut self, hook: Arc<dyn Telemetry>) -> Self {
        self.telemetry = Some(hook);
        self
    }

    /// Validates the options and builds the client (no request is sent).
    pub fn build(self) -> Result<Client, Error> {
        Client::from_config(self.options.resolve(&Dialect::RUST, None)?, self.telemetry)
    }
}
