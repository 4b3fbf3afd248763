//! The public client: construction from options, session tokens (through the cache when it
//! is on) and the cache's controls. Requests go through the engine (`engine.rs`); the
//! linked-account calls are in `accounts/`, the calls authenticated by a session token in
//! `sessions.rs`.

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use reqwest::Method;

use crate::cache::{CacheStats, TokenCache};
use crate::engine::{Credentials, Engine, Request, RetryPolicy};
use crate::environment::Environment;
use crate::error::Error;
use crate::mapping::{Call, extract_token};
use crate::options::{ClientOptions, Dialect, RequestOptions, ResolvedConfig};
use crate::ratelimit::Priority;
use crate::redact::REDACTED;
use crate::telemetry::{Observer, Telemetry, TraceParent};
use crate::token::SessionToken;
use crate::validate::validate_linked_account_id;

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
    engine: Engine,
    cache: Option<Arc<TokenCache>>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let config = &self.inner.config;
        f.debug_struct("Client")
            .field("api_key", &REDACTED)
            .field("endpoint", &config.endpoint.as_str())
            .field("timeout", &config.timeout)
            .field("max_retries", &config.max_retries)
            .field("max_idle_connections", &config.max_idle_connections)
            .field("max_connections", &config.max_connections)
            .field("cache", &config.cache)
            .finish()
    }
}

impl Client {
    /// Validates `options`, fills defaults and environment variables, and builds the client
    /// (no request is sent). Bindings build theirs with [`crate::host::build_client`].
    pub fn new(options: ClientOptions) -> Result<Client, Error> {
        Client::from_config(options.resolve(&Dialect::RUST, None)?, None)
    }

    /// With the `test-hooks` feature (never in release builds): a client whose request budget
    /// is its own, as a client in another process has, so one test process can stand for a
    /// fleet of several.
    #[cfg(feature = "test-hooks")]
    pub fn with_own_budget_for_tests(options: ClientOptions) -> Result<Client, Error> {
        let config = options.resolve(&Dialect::RUST, None)?;
        let engine = Engine::new(&config)?.with_own_budget(&config);
        Client::from_parts(config, engine)
    }

    /// The client of checked options, with its spans and reporting its calls to `telemetry` if
    /// given, unless the option `telemetry` is off.
    pub(crate) fn from_config(
        config: ResolvedConfig,
        telemetry: Option<Arc<dyn Telemetry>>,
    ) -> Result<Client, Error> {
        let observer = config
            .telemetry
            .then(|| Observer::new(telemetry, config.telemetry_linked_account_id));
        let engine = Engine::new(&config)?.with_observer(observer);
        Client::from_parts(config, engine)
    }

    fn from_parts(config: ResolvedConfig, engine: Engine) -> Result<Client, Error> {
        let cache = config.cache.clone().map(|cache| {
            Arc::new(TokenCache::new(
                cache,
                &config.api_key,
                config.base.as_str(),
                config.timeout,
            ))
        });
        // With a fleet store, the budget is the fleet's: one ledger in the same Redis.
        if let (Some(budget), Some(store)) = (
            engine.budget(),
            cache.as_ref().and_then(|cache| cache.store()),
        ) {
            budget.attach_redis(
                store.fleet_connection(),
                store.key_prefix(),
                store.timeout(),
            );
        }
        Ok(Client {
            inner: Arc::new(Inner {
                config,
                engine,
                cache,
            }),
        })
    }

    /// Whether `signature_header` is the `x-cobalt-signature` of `raw_body` for this client's
    /// API key ([`crate::webhook::verify_webhook_signature`]): `false`, never an error, for a
    /// missing or malformed header.
    pub fn verify_webhook_signature(&self, raw_body: &[u8], signature_header: &str) -> bool {
        crate::webhook::verify_webhook_signature(
            raw_body,
            signature_header,
            &self.inner.config.api_key,
        )
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

    /// A session token for `linked_account_id`: from the cache when it is on and holds a
    /// usable one, else from Refold (which answers the account's current token while it is
    /// valid), retrying transient failures.
    pub async fn get_token_for_linked_account(
        &self,
        linked_account_id: &str,
    ) -> Result<SessionToken, Error> {
        self.get_token_for_linked_account_with(linked_account_id, RequestOptions::default())
            .await
    }

    /// [`Client::get_token_for_linked_account`] with per-call options; `fresh` bypasses the
    /// cache and has Refold mint a new token (`?force_refresh=true`).
    pub async fn get_token_for_linked_account_with(
        &self,
        linked_account_id: &str,
        options: RequestOptions,
    ) -> Result<SessionToken, Error> {
        // A hit first, before the miss path's future exists: that future is large, and moving
        // it into the observer cost a hit more than the lookup itself.
        if !options.fresh
            && options.check().is_ok()
            && let Some(token) = self.cached_token_within(linked_account_id, options.traceparent)
        {
            return Ok(token);
        }
        match self.engine().observer() {
            None => self.token(linked_account_id, options).await,
            Some(observer) => {
                observer
                    .observe(
                        "get_token_for_linked_account",
                        Some(linked_account_id),
                        options.traceparent,
                        // Boxed: the observer's wrappers move a pointer, not the state machine.
                        Box::pin(self.token(linked_account_id, options)),
                    )
                    .await
            }
        }
    }

    async fn token(
        &self,
        linked_account_id: &str,
        options: RequestOptions,
    ) -> Result<SessionToken, Error> {
        validate_linked_account_id(linked_account_id)?;
        options.check()?;
        let Some(cache) = &self.inner.cache else {
            return self
                .mint(
                    linked_account_id,
                    options.fresh,
                    &options,
                    Priority::Interactive,
                )
                .await;
        };
        let client = Arc::downgrade(&self.inner);
        let refresh = move || {
            let client = Client {
                inner: client.upgrade()?,
            };
            let id = linked_account_id.to_owned();
            // A refresh runs with the client's own settings, whatever this call's, and only on
            // the budget's spare turns.
            Some(async move {
                let defaults = RequestOptions::default();
                client
                    .mint(&id, true, &defaults, Priority::Background)
                    .await
            })
        };
        let mint =
            |force: bool| self.mint(linked_account_id, force, &options, Priority::Interactive);
        cache
            .get(linked_account_id, options.fresh, mint, refresh)
            .await
    }

    /// The cached token of `linked_account_id`, answered synchronously, when the cache holds
    /// one that needs nothing else (enough life left, no refresh due); else `None`, and
    /// [`Client::get_token_for_linked_account`] gives the answer. Bindings call it first so a
    /// hit skips their async machinery (runtime hand-off, completion callbacks). Always `None`
    /// without a cache; counted as a hit when it answers.
    pub fn cached_token(&self, linked_account_id: &str) -> Option<SessionToken> {
        self.cached_token_within(linked_account_id, None)
    }

    /// [`Client::cached_token`] for a call made under the host span `parent` (recorded as the
    /// hit's parent when a telemetry hook is installed).
    pub fn cached_token_within(
        &self,
        linked_account_id: &str,
        parent: Option<TraceParent>,
    ) -> Option<SessionToken> {
        let token = self.inner.cache.as_ref()?.get_now(linked_account_id)?;
        if let Some(observer) = self.engine().observer() {
            observer.hit("get_token_for_linked_account", linked_account_id, parent);
        }
        Some(token)
    }

    /// Drops the cached token of `linked_account_id` (wiped from memory); the next call mints.
    /// Does nothing without a cache.
    pub async fn invalidate(&self, linked_account_id: &str) {
        if let Some(cache) = &self.inner.cache {
            cache.invalidate(linked_account_id).await;
        }
    }

    /// Drops every cached token. Does nothing without a cache.
    pub async fn invalidate_all(&self) {
        if let Some(cache) = &self.inner.cache {
            cache.invalidate_all().await;
        }
    }

    /// The cache of this client, if it has one.
    pub(crate) fn cache(&self) -> Option<&Arc<TokenCache>> {
        self.inner.cache.as_ref()
    }

    /// The cache's counters (with the request budget's), or `None` when the cache is off.
    pub async fn cache_stats(&self) -> Option<CacheStats> {
        let cache = self.inner.cache.as_ref()?;
        let budget = self
            .engine()
            .budget()
            .map(|budget| budget.stats())
            .unwrap_or_default();
        Some(cache.stats(budget).await)
    }

    /// One session-token request with retries; `force` asks Refold for a new token.
    async fn mint(
        &self,
        linked_account_id: &str,
        force: bool,
        options: &RequestOptions,
        priority: Priority,
    ) -> Result<SessionToken, Error> {
        #[cfg(feature = "test-hooks")]
        if linked_account_id == PANIC_LINKED_ACCOUNT_ID {
            panic!("test-hooks: a deliberate panic inside the core");
        }
        #[derive(serde::Serialize)]
        struct RequestBody<'a> {
            linked_account_id: &'a str,
        }
        let body = serde_json::to_vec(&RequestBody { linked_account_id })
            .expect("a JSON object of one string always serialises");
        let mut url = self.inner.config.endpoint.clone();
        if force {
            url.set_query(Some("force_refresh=true"));
        }
        let request = Request {
            method: Method::POST,
            url,
            body: Some(Bytes::from(body)),
            call: Call::SessionToken(linked_account_id),
            retry: RetryPolicy::Transient,
            credentials: Credentials::ApiKey,
            timeout: options.timeout,
            traceparent: options.traceparent,
            max_retries: options.max_retries,
            secrets: Vec::new(),
            priority,
            headers: reqwest::header::HeaderMap::new(),
        };
        self.engine()
            .execute(request, |body, received_at| {
                extract_token(body).map(|answer| {
                    SessionToken::from_answer(answer, linked_account_id.to_owned(), received_at)
                })
            })
            .await
    }

    /// The engine that sends this client's requests.
    pub(crate) fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// The checked options of this client.
    pub(crate) fn config(&self) -> &ResolvedConfig {
        &self.inner.config
    }
}
