//! The client: one bounded connection pool, the attempt loop with retries, and reading
//! responses within our own limits (docs/contract.md §Limits).

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use http_body_util::BodyExt as _;
use hyper::Method;
use hyper::Uri;
use hyper::header::{self, HeaderMap, HeaderValue};

use crate::accounts::{
    LinkedAccount, LinkedAccountInput, LinkedAccountPage, MAX_PAGES, validate_page,
};
use crate::builder::ClientBuilder;
use crate::cache::{CacheStats, TokenCache};
use crate::endpoint::{LINKED_ACCOUNT_PATH, api_url, linked_account_url};
use crate::environment::Environment;
use crate::error::{Error, ErrorCode};
use crate::mapping::{
    Call, extract_token, oversized_error, status_error, timeout_error, transport_error,
    with_response_context,
};
use crate::options::{ClientOptions, POOL_IDLE_TIMEOUT, ResolvedConfig};
use crate::retry::delay_before_retry;
use crate::token::SessionToken;
use crate::transport::{Body, Transport, TransportOptions};
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
    transport: Transport,
    /// Every request's headers, prepared once: accept, content-type, user-agent, x-api-key.
    headers: HeaderMap,
    /// The session-token URL, parsed once.
    endpoint: Uri,
    cache: Option<Arc<TokenCache>>,
}

/// Per-call options of [`Client::get_token_for_linked_account_with`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CallOptions {
    /// Bypass the cache: mint a new token and store it (for a front end that just got a 401).
    pub fresh: bool,
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
            .field("max_connections", &config.max_connections)
            .field("cache", &config.cache)
            .finish()
    }
}

impl Client {
    /// Validates `options`, fills defaults and environment variables, and builds the client
    /// (no request is sent). Every binding and the CLI come through here.
    pub fn new(options: ClientOptions) -> Result<Client, Error> {
        let config = options.resolve()?;
        let setup_error = |err: &(dyn std::error::Error + 'static)| {
            Error::internal(&format!(
                "the HTTP client could not be set up: {}",
                crate::mapping::describe_chain(err, &config.api_key)
            ))
        };
        let endpoint = parse_uri(&config.endpoint).map_err(|err| setup_error(&err))?;
        let transport = Transport::new(
            &endpoint,
            &TransportOptions {
                connect_timeout: config.connect_timeout,
                pool_idle_timeout: POOL_IDLE_TIMEOUT,
                max_idle_per_host: config.max_idle_connections,
                max_per_host: config.max_connections,
            },
        )
        .map_err(|err| setup_error(&*err))?;
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        headers.insert(
            header::USER_AGENT,
            HeaderValue::from_str(&config.user_agent).map_err(|err| setup_error(&err))?,
        );
        headers.insert("x-api-key", config.api_key_header.clone());
        if let Some(auth) = &transport.proxy_authorization {
            headers.insert(header::PROXY_AUTHORIZATION, auth.clone());
        }
        let cache = config.cache.clone().map(|cache| {
            Arc::new(TokenCache::new(
                cache,
                &config.api_key,
                config.base.as_str(),
                config.timeout,
            ))
        });
        Ok(Client {
            inner: Arc::new(Inner {
                config,
                transport,
                headers,
                endpoint,
                cache,
            }),
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

    /// A session token for `linked_account_id`: from the cache when it is on and holds a
    /// usable one, else minted (retrying transient failures).
    pub async fn get_token_for_linked_account(
        &self,
        linked_account_id: &str,
    ) -> Result<SessionToken, Error> {
        self.get_token_for_linked_account_with(linked_account_id, CallOptions::default())
            .await
    }

    /// [`Client::get_token_for_linked_account`] with per-call options.
    pub async fn get_token_for_linked_account_with(
        &self,
        linked_account_id: &str,
        options: CallOptions,
    ) -> Result<SessionToken, Error> {
        validate_linked_account_id(linked_account_id)?;
        let Some(cache) = &self.inner.cache else {
            return self.mint(linked_account_id).await;
        };
        let client = Arc::downgrade(&self.inner);
        let refresh = move || {
            let client = Client {
                inner: client.upgrade()?,
            };
            let id = linked_account_id.to_owned();
            Some(async move { client.mint(&id).await })
        };
        cache
            .get(
                linked_account_id,
                options.fresh,
                self.mint(linked_account_id),
                refresh,
            )
            .await
    }

    /// The cached token of `linked_account_id`, answered synchronously, when the cache holds
    /// one that needs nothing else (enough life left, no refresh due); else `None`, and
    /// [`Client::get_token_for_linked_account`] gives the answer. Bindings call it first so a
    /// hit skips their async machinery (runtime hand-off, completion callbacks). Always `None`
    /// without a cache; counted as a hit when it answers.
    pub fn cached_token(&self, linked_account_id: &str) -> Option<SessionToken> {
        self.inner.cache.as_ref()?.get_now(linked_account_id)
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

    /// The cache's counters, or `None` when the cache is off.
    pub async fn cache_stats(&self) -> Option<CacheStats> {
        match &self.inner.cache {
            Some(cache) => Some(cache.stats().await),
            None => None,
        }
    }

    /// One mint: a session-token request with retries.
    async fn mint(&self, linked_account_id: &str) -> Result<SessionToken, Error> {
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
        let request = Request {
            method: Method::POST,
            url: self.inner.endpoint.clone(),
            body: Some(Bytes::from(body)),
            call: Call::SessionToken(linked_account_id),
            retry: RetryPolicy::Transient,
            secrets: Vec::new(),
        };
        self.execute(request, |body, received_at| {
            extract_token(body).map(|token| {
                SessionToken::from_response(token, linked_account_id.to_owned(), received_at)
            })
        })
        .await
    }

    /// Creates the linked account, or updates it if it exists (`PUT`; retried like every
    /// idempotent call).
    pub async fn upsert_linked_account(
        &self,
        input: &LinkedAccountInput,
    ) -> Result<LinkedAccount, Error> {
        self.write_linked_account(Method::PUT, input).await
    }

    /// Creates the linked account; one that exists already is `bad_request`. A `POST` is not
    /// idempotent: it is retried only when the request never left (e.g. connection refused).
    pub async fn create_linked_account(
        &self,
        input: &LinkedAccountInput,
    ) -> Result<LinkedAccount, Error> {
        self.write_linked_account(Method::POST, input).await
    }

    async fn write_linked_account(
        &self,
        method: Method,
        input: &LinkedAccountInput,
    ) -> Result<LinkedAccount, Error> {
        input.validate()?;
        let id = input.linked_account_id.as_str();
        let (call, retry) = if method == Method::POST {
            (Call::Create(id), RetryPolicy::OnlyUnsent)
        } else {
            (Call::Upsert(id), RetryPolicy::Transient)
        };
        let body = serde_json::to_vec(&input.to_body()).expect("JSON values always serialise");
        let request = Request {
            method,
            url: self.uri(&api_url(&self.inner.config.base, LINKED_ACCOUNT_PATH))?,
            body: Some(Bytes::from(body)),
            call,
            retry,
            secrets: input.secrets(),
        };
        self.execute(request, decode_account).await
    }

    /// The linked account `linked_account_id`; an unknown one is `not_found`.
    pub async fn get_linked_account(
        &self,
        linked_account_id: &str,
    ) -> Result<LinkedAccount, Error> {
        validate_linked_account_id(linked_account_id)?;
        let request = Request {
            method: Method::GET,
            url: self.uri(&linked_account_url(
                &self.inner.config.base,
                linked_account_id,
            ))?,
            body: None,
            call: Call::Get(linked_account_id),
            retry: RetryPolicy::Transient,
            secrets: Vec::new(),
        };
        self.execute(request, decode_account).await
    }

    /// Deletes the linked account; an unknown one is `not_found`. Returns Refold's answer
    /// (e.g. `{"message": …}`).
    pub async fn delete_linked_account(
        &self,
        linked_account_id: &str,
    ) -> Result<serde_json::Map<String, serde_json::Value>, Error> {
        validate_linked_account_id(linked_account_id)?;
        let request = Request {
            method: Method::DELETE,
            url: self.uri(&linked_account_url(
                &self.inner.config.base,
                linked_account_id,
            ))?,
            body: None,
            call: Call::Delete(linked_account_id),
            retry: RetryPolicy::Transient,
            secrets: Vec::new(),
        };
        let answer = self
            .execute(request, |body, _| match serde_json::from_slice(body) {
                Ok(serde_json::Value::Object(answer)) => Ok(answer),
                // An empty 2xx body is a successful delete too.
                _ if body.iter().all(u8::is_ascii_whitespace) => Ok(serde_json::Map::new()),
                _ => Err(unexpected_body("a JSON object")),
            })
            .await;
        // A deleted (or unknown) account's cached token must not be served any more.
        if answer.is_ok()
            || answer
                .as_ref()
                .is_err_and(|e| e.code() == ErrorCode::NotFound)
        {
            self.invalidate(linked_account_id).await;
        }
        answer
    }

    /// One page of linked accounts, in creation order: `page` from 1, `limit` from 1 to 100.
    pub async fn list_linked_accounts(
        &self,
        page: u32,
        limit: u32,
    ) -> Result<LinkedAccountPage, Error> {
        validate_page(page, limit)?;
        let mut url = api_url(&self.inner.config.base, LINKED_ACCOUNT_PATH);
        url.query_pairs_mut()
            .append_pair("page", &page.to_string())
            .append_pair("limit", &limit.to_string());
        let request = Request {
            method: Method::GET,
            url: self.uri(&url)?,
            body: None,
            call: Call::List,
            retry: RetryPolicy::Transient,
            secrets: Vec::new(),
        };
        self.execute(request, |body, _| {
            serde_json::from_slice(body)
                .ok()
                .and_then(|json| LinkedAccountPage::from_json(json, page, limit))
                .ok_or_else(|| unexpected_body("a page of linked accounts"))
        })
        .await
    }

    /// Every linked account, page after page (`limit` per request), as a stream. It ends after
    /// the last page, after an error, or after [`crate::MAX_PAGES`] pages.
    pub fn linked_accounts(
        &self,
        limit: u32,
    ) -> impl futures_core::Stream<Item = Result<LinkedAccount, Error>> + Send + 'static {
        let pages = LinkedAccountPages::new(self.clone(), limit);
        futures_util::stream::unfold(
            (pages, std::collections::VecDeque::new()),
            |(mut pages, mut buffered)| async move {
                loop {
                    if let Some(account) = buffered.pop_front() {
                        return Some((Ok(account), (pages, buffered)));
                    }
                    match pages.next_page().await? {
                        Ok(page) => buffered.extend(page.accounts),
                        Err(error) => return Some((Err(error), (pages, buffered))),
                    }
                }
            },
        )
    }

    /// `url` as a request target; a URL hyper cannot take is an internal error.
    fn uri(&self, url: &url::Url) -> Result<Uri, Error> {
        parse_uri(url).map_err(|err| {
            Error::internal(&format!(
                "the request URL could not be used: {}",
                crate::mapping::describe_chain(&err, &self.inner.config.api_key)
            ))
        })
    }

    /// Sends `request`, retrying as its policy allows, and decodes a 2xx body with `decode`.
    async fn execute<T>(
        &self,
        request: Request<'_>,
        decode: impl Fn(&[u8], SystemTime) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let max_attempts = self.inner.config.max_retries.saturating_add(1);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let error = match self.attempt(&request, &decode).await {
                Ok(value) => return Ok(value),
                Err(error) => error.redact(&request.secrets),
            };
            let may_retry = match request.retry {
                RetryPolicy::Transient => error.is_retryable(),
                RetryPolicy::OnlyUnsent => error.is_retryable() && error.nothing_sent(),
            };
            if !may_retry || attempt >= max_attempts {
                let mut error = error.with_attempts(attempt);
                if attempt > 1 {
                    error = error.append_message(&format!("(Gave up after {attempt} attempts.)"));
                }
                return Err(error);
            }
            let delay = delay_before_retry(attempt, error.retry_after());
            log::debug!(
                "{:?} attempt {attempt} failed with {} (status {:?}); retrying in {} ms",
                request.method,
                error.code(),
                error.status(),
                delay.as_millis()
            );
            tokio::time::sleep(delay).await;
        }
    }

    /// One request, bounded by the per-attempt timeout (connect, headers and whole body).
    async fn attempt<T>(
        &self,
        request: &Request<'_>,
        decode: &impl Fn(&[u8], SystemTime) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let config = &self.inner.config;
        let exchange = async {
            let body = request.body.clone().map_or_else(Body::default, Body::new);
            let mut http_request = hyper::Request::new(body);
            *http_request.method_mut() = request.method.clone();
            *http_request.uri_mut() = request.url.clone();
            *http_request.headers_mut() = self.inner.headers.clone();
            self.inner
                .transport
                .pool
                .exchange(http_request, |response| {
                    self.read_response(response, request.call, decode)
                })
                .await
                .map_err(|err| {
                    transport_error(&err, err.is_connect(), &config.endpoint, &config.api_key)
                })?
        };
        match tokio::time::timeout(config.timeout, exchange).await {
            Ok(outcome) => outcome,
            Err(_elapsed) => Err(timeout_error(config.timeout, &config.endpoint)),
        }
    }

    /// Reads at most [`MAX_BODY_BYTES`] of a 2xx and [`MAX_ERROR_BODY_BYTES`] of anything
    /// else. The announced `Content-Length` never sizes a buffer beyond those limits: a
    /// server may announce anything.
    async fn read_response<T>(
        &self,
        response: hyper::Response<hyper::body::Incoming>,
        call: Call<'_>,
        decode: &impl Fn(&[u8], SystemTime) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let config = &self.inner.config;
        let key = config.api_key.as_str();
        let (parts, mut response) = response.into_parts();
        let status = parts.status.as_u16();
        let headers = parts.headers;
        let received_at = SystemTime::now();
        let success = parts.status.is_success();
        let limit = if success {
            MAX_BODY_BYTES
        } else {
            MAX_ERROR_BODY_BYTES
        };
        let announced = hyper::body::Body::size_hint(&response).exact();
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
            let chunk = match response.frame().await {
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(chunk) => chunk,
                    // Trailers carry nothing we read.
                    Err(_) => continue,
                },
                None => break,
                // The status already arrived: an error body cut short is still that error.
                Some(Err(_)) if !success => break,
                Some(Err(err)) => return Err(transport_error(&err, false, &config.endpoint, key)),
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
            let error = status_error(call, status, &body, key);
            return Err(with_response_context(error, status, &headers, key));
        }
        let decoded = if oversized {
            Err(oversized_error())
        } else {
            decode(&body, received_at)
        };
        decoded.map_err(|error| with_response_context(error, status, &headers, key))
    }
}

/// A URL the crate built (always absolute http(s)) as hyper's `Uri`.
fn parse_uri(url: &url::Url) -> Result<Uri, hyper::http::uri::InvalidUri> {
    url.as_str().parse()
}

/// One logical request: where it goes, what it carries and how it may be retried.
struct Request<'a> {
    method: Method,
    url: Uri,
    body: Option<Bytes>,
    call: Call<'a>,
    retry: RetryPolicy,
    /// Values to remove from any error message besides the API key.
    secrets: Vec<String>,
}

#[derive(Clone, Copy)]
enum RetryPolicy {
    /// Idempotent: every retryable failure is retried.
    Transient,
    /// Not idempotent: only failures before the request left are retried.
    OnlyUnsent,
}

fn decode_account(body: &[u8], _received_at: SystemTime) -> Result<LinkedAccount, Error> {
    match serde_json::from_slice(body) {
        Ok(serde_json::Value::Object(object)) => LinkedAccount::from_json(object),
        _ => None,
    }
    .ok_or_else(|| unexpected_body("a linked account"))
}

fn unexpected_body(expected: &str) -> Error {
    Error::new(
        ErrorCode::InvalidResponse,
        format!(
            "Refold answered with something other than {expected}; check the base URL points \
             at the Refold API."
        ),
    )
}

/// Walks the pages of `list_linked_accounts`: what the bindings' iterators and
/// [`Client::linked_accounts`] are built on.
pub struct LinkedAccountPages {
    client: Client,
    next: Option<u32>,
    limit: u32,
    fetched: u32,
}

impl LinkedAccountPages {
    /// Pages of `limit` accounts (checked on the first fetch), from page 1.
    pub fn new(client: Client, limit: u32) -> Self {
        LinkedAccountPages {
            client,
            next: Some(1),
            limit,
            fetched: 0,
        }
    }

    /// The next page, or `None` after the last one, an error, or [`crate::MAX_PAGES`] pages.
    pub async fn next_page(&mut self) -> Option<Result<LinkedAccountPage, Error>> {
        let page = self.next.take()?;
        if self.fetched >= MAX_PAGES {
            return None;
        }
        self.fetched += 1;
        let result = self.client.list_linked_accounts(page, self.limit).await;
        if let Ok(fetched) = &result {
            // An empty page ends the walk even if the server claims more.
            if !fetched.accounts.is_empty() {
                self.next = fetched.next_page;
            }
        }
        Some(result)
    }
}
