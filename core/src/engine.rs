//! The request engine: a logical request becomes attempts, retried as its policy allows
//! (docs/contract.md §Retries). Each attempt waits for its turn in the client's request budget
//! (§Rate limit), then for a place under `max_connections`, then sends and reads the whole
//! answer, all within the per-attempt timeout; the answer becomes a value or an error and is
//! reported to the budget.

use std::sync::Arc;
use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use reqwest::Method;
use reqwest::header::{self, HeaderMap, HeaderValue};
use tokio::sync::Semaphore;
use tokio::time::Instant;
use tracing::Instrument;
use url::Url;

use crate::body::{MAX_BODY_BYTES, MAX_ERROR_BODY_BYTES, oversized_error, read_limited};
use crate::connections::POOL_IDLE_TIMEOUT;
use crate::error::Error;
use crate::mapping::{
    Call, describe_chain, status_error, timeout_error, transport_error, with_response_context,
};
use crate::options::ResolvedConfig;
use crate::ratelimit::{Budget, Priority, RateLimit, deadline_within, shared_budget};
use crate::retry::delay_before_retry;
use crate::telemetry::{self, CacheOutcome, Observer, TraceParent};

/// The method as records name it.
fn method_name(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "_OTHER",
    }
}

/// One logical request: where it goes, what it carries, how it is authenticated and how it
/// may be retried.
pub(crate) struct Request<'a> {
    pub method: Method,
    pub url: Url,
    pub body: Option<Bytes>,
    pub call: Call<'a>,
    pub retry: RetryPolicy,
    pub credentials: Credentials,
    /// This call's own per-attempt timeout and retries, else the client's.
    pub timeout: Option<Duration>,
    pub max_retries: Option<u32>,
    /// This call's trace context, sent as `traceparent` on each attempt.
    pub traceparent: Option<TraceParent>,
    /// Values to remove from any error message besides the API key.
    pub secrets: Vec<String>,
    /// Its place in the request budget: a caller waiting, or a background refresh.
    pub priority: Priority,
    /// Headers of this request besides the credentials (an operation's header parameters,
    /// `linked_account_id`, a multipart `content-type`); they replace the client's defaults.
    pub headers: HeaderMap,
}

/// How a request authenticates.
pub(crate) enum Credentials {
    /// The client's API key in `x-api-key`.
    ApiKey,
    /// A session token in `authorization: Bearer …`, and no API key.
    Bearer(HeaderValue),
    /// None: a public operation.
    None,
}

#[derive(Clone, Copy)]
pub(crate) enum RetryPolicy {
    /// Idempotent: every retryable failure is retried.
    Transient,
    /// Not idempotent: only failures before the request left are retried.
    OnlyUnsent,
}

/// Sends one client's requests: its HTTP client (connection pool, TLS, proxy), the places
/// under `max_connections`, and the settings every attempt uses.
pub(crate) struct Engine {
    http: reqwest::Client,
    /// One permit per request in flight: at most `max_connections` connections are in use.
    in_flight: Semaphore,
    api_key_header: HeaderValue,
    timeout: Duration,
    max_retries: u32,
    /// For messages: the host named, the key redacted.
    endpoint: Url,
    api_key: String,
    /// The budget shared by every client of this API key and base URL; `None` when off.
    budget: Option<Arc<Budget>>,
    /// The limit as configured (the budget paces a little below it, [`paced`]).
    rate_limit: Option<RateLimit>,
    /// The spans and the telemetry hook, unless the option `telemetry` is off.
    observer: Option<Observer>,
}

/// The budget paces at this fraction of the configured rate. A client that always has calls
/// waiting and sends exactly at the limit meets a 429 the first time the network delays one
/// request more than the next; 5 % below it, the server's budget regains what such delays took.
const PACE: f64 = 0.95;

/// The limit a budget paces at for a configured one: [`PACE`] of its rate, and a fifth of the
/// burst (at least one turn) kept as slack, so requests sent at the budget's pace still arrive
/// within the limit when the network delays some more than the next (a burst on new
/// connections, then pooled ones). Refold's 20/s with bursts of 5 keeps one turn, 50 ms; a
/// limit scaled up with the ratio kept keeps the same time.
fn paced(limit: RateLimit) -> RateLimit {
    let slack = limit.burst().div_ceil(5);
    let burst = limit.burst().saturating_sub(slack).max(1);
    RateLimit::new(limit.requests_per_second() * PACE, burst).unwrap_or(limit)
}

/// What an observed attempt learns on its way: the status that came, the time it waited for
/// its turn in the request budget.
#[derive(Default)]
struct AttemptProbe {
    status: AtomicU16,
    waited_us: AtomicU64,
}

/// Why an attempt did not produce a value.
enum AttemptError {
    /// The budget had no turn for it before its deadline: nothing was sent.
    Refused(Error),
    /// It was sent (or failed on the way) and failed.
    Failed(Error),
}

impl Engine {
    pub(crate) fn new(config: &ResolvedConfig) -> Result<Engine, Error> {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        headers.insert(
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
            .user_agent(config.user_agent.as_str())
            .default_headers(headers)
            .build()
            .map_err(|err| {
                Error::internal(&format!(
                    "the HTTP client could not be set up: {}",
                    describe_chain(&err, &config.api_key)
                ))
            })?;
        Ok(Engine {
            http,
            in_flight: Semaphore::new(config.max_connections),
            api_key_header: config.api_key_header.clone(),
            timeout: config.timeout,
            max_retries: config.max_retries,
            endpoint: config.endpoint.clone(),
            api_key: config.api_key.clone(),
            budget: config
                .rate_limit
                .map(|limit| shared_budget(&config.api_key, config.base.as_str(), paced(limit))),
            rate_limit: config.rate_limit,
            observer: None,
        })
    }

    /// This engine reports its calls to `observer`.
    pub(crate) fn with_observer(mut self, observer: Option<Observer>) -> Engine {
        self.observer = observer;
        self
    }

    /// What observes this client's calls, unless the option `telemetry` is off.
    pub(crate) fn observer(&self) -> Option<&Observer> {
        self.observer.as_ref()
    }

    /// This client's budget becomes its own, shared with no other client of the process.
    #[cfg(feature = "test-hooks")]
    pub(crate) fn with_own_budget(mut self, config: &ResolvedConfig) -> Engine {
        self.budget = config.rate_limit.map(|limit| {
            crate::ratelimit::own_budget(&config.api_key, config.base.as_str(), paced(limit))
        });
        self
    }

    /// The request budget, unless it is off.
    pub(crate) fn budget(&self) -> Option<&Arc<Budget>> {
        self.budget.as_ref()
    }

    /// Sends `request`, retrying as its policy allows, and decodes a 2xx body with `decode`.
    /// A retry's sleep and its wait in the budget together stay within one timeout.
    pub(crate) async fn execute<T>(
        &self,
        request: Request<'_>,
        decode: impl Fn(&[u8], SystemTime) -> Result<T, Error>,
    ) -> Result<T, Error> {
        match &self.observer {
            // A request on its own (not within an observed token call) is a call of its own.
            Some(observer) if !telemetry::in_call() => {
                let (name, _, account) = telemetry::identify(request.call);
                let background = request.priority == Priority::Background;
                observer
                    .observe(name, account, request.traceparent, async {
                        if background {
                            telemetry::note_cache(CacheOutcome::Refresh);
                        }
                        self.send(request, decode).await
                    })
                    .await
            }
            _ => self.send(request, decode).await,
        }
    }

    async fn send<T>(
        &self,
        request: Request<'_>,
        decode: impl Fn(&[u8], SystemTime) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let max_attempts = request
            .max_retries
            .unwrap_or(self.max_retries)
            .saturating_add(1);
        let mut attempt = 0;
        let mut waiting_since = Instant::now();
        let mut failed: Option<Error> = None;
        loop {
            attempt += 1;
            let outcome = match &self.observer {
                // With the option `telemetry: false` no trace context leaves either.
                None => {
                    self.attempt(&request, &decode, waiting_since, None, None)
                        .await
                }
                Some(observer) => {
                    self.observed_attempt(observer, &request, &decode, waiting_since, attempt)
                        .await
                }
            };
            let error = match outcome {
                Ok(value) => return Ok(value),
                Err(AttemptError::Failed(error)) => error.redact(&request.secrets),
                Err(AttemptError::Refused(refusal)) => {
                    return Err(match failed {
                        // Nothing was ever sent: the budget's own answer.
                        None => refusal.with_attempts(0),
                        Some(error) => {
                            let sent = attempt - 1;
                            error.with_attempts(sent).append_message(&format!(
                                "(Gave up after {sent} attempts: the request budget had no \
                                 turn for another within the timeout.)"
                            ))
                        }
                    });
                }
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
            failed = Some(error);
            waiting_since = Instant::now();
            tokio::time::sleep(delay).await;
        }
    }

    /// [`Engine::attempt`] inside its span, recorded for the observed call. Without a
    /// `traceparent` of the caller's, the span's own context is sent (feature `opentelemetry`).
    async fn observed_attempt<T>(
        &self,
        observer: &Observer,
        request: &Request<'_>,
        decode: &impl Fn(&[u8], SystemTime) -> Result<T, Error>,
        waiting_since: Instant,
        number: u32,
    ) -> Result<T, AttemptError> {
        let (_, route, _) = telemetry::identify(request.call);
        let watch = observer.attempt(method_name(&request.method), route, &request.url, number);
        let traceparent = request.traceparent.or_else(|| watch.traceparent());
        if !watch.recording() {
            return self
                .attempt(request, decode, waiting_since, None, traceparent)
                .await;
        }
        let probe = AttemptProbe::default();
        let outcome = self
            .attempt(request, decode, waiting_since, Some(&probe), traceparent)
            .instrument(watch.span().clone())
            .await;
        let error = match &outcome {
            Ok(_) => None,
            Err(AttemptError::Refused(refusal)) => {
                watch.refused(refusal.code());
                return outcome;
            }
            Err(AttemptError::Failed(error)) => Some(error.code()),
        };
        let status = probe.status.load(Ordering::Relaxed);
        watch.finish(
            (status != 0).then_some(status),
            error,
            Duration::from_micros(probe.waited_us.load(Ordering::Relaxed)),
        );
        outcome
    }

    /// One attempt, bounded by the per-attempt timeout: the wait for a turn in the budget
    /// (which ends one timeout after `waiting_since`, so a retry's sleep counts), the wait for
    /// a place under `max_connections` (a call that gives up waiting has sent nothing),
    /// connect, headers and the whole body.
    async fn attempt<T>(
        &self,
        request: &Request<'_>,
        decode: &impl Fn(&[u8], SystemTime) -> Result<T, Error>,
        waiting_since: Instant,
        probe: Option<&AttemptProbe>,
        traceparent: Option<TraceParent>,
    ) -> Result<T, AttemptError> {
        let started = Instant::now();
        let timeout = request.timeout.unwrap_or(self.timeout);
        let admitted = match &self.budget {
            None => None,
            Some(budget) => {
                let deadline = deadline_within(timeout.saturating_sub(waiting_since.elapsed()));
                match budget.admit(request.priority, deadline).await {
                    Ok(admission) => {
                        if let Some(probe) = probe {
                            let waited = admission.waited().as_micros();
                            probe.waited_us.store(waited as u64, Ordering::Relaxed);
                        }
                        if !admission.waited().is_zero() {
                            log::debug!(
                                "{:?} waited {} ms for its turn in the request budget",
                                request.method,
                                admission.waited().as_millis()
                            );
                        }
                        Some((budget, admission))
                    }
                    Err(refused) => {
                        let limit = self.rate_limit.unwrap_or(budget.limit());
                        return Err(AttemptError::Refused(refused.into_error(limit)));
                    }
                }
            }
        };
        let exchange = async {
            let _in_flight = self
                .in_flight
                .acquire()
                .await
                .expect("the semaphore is never closed");
            let mut builder = self
                .http
                .request(request.method.clone(), request.url.clone());
            builder = match &request.credentials {
                Credentials::ApiKey => builder.header("x-api-key", self.api_key_header.clone()),
                Credentials::Bearer(value) => builder.header(header::AUTHORIZATION, value.clone()),
                Credentials::None => builder,
            };
            if !request.headers.is_empty() {
                builder = builder.headers(request.headers.clone());
            }
            if let Some(traceparent) = &traceparent {
                builder = builder.header(
                    "traceparent",
                    HeaderValue::from_str(traceparent.as_str()).expect("checked ASCII"),
                );
            }
            if let Some(body) = &request.body {
                builder = builder.body(body.clone());
            }
            let response = builder
                .send()
                .await
                .map_err(|err| transport_error(&err, &self.endpoint, &self.api_key))?;
            if let Some(probe) = probe {
                probe
                    .status
                    .store(response.status().as_u16(), Ordering::Relaxed);
            }
            self.read_response(response, request.call, decode).await
        };
        let left = timeout.saturating_sub(started.elapsed());
        let outcome = match tokio::time::timeout(left, exchange).await {
            Ok(outcome) => outcome,
            Err(_elapsed) => Err(timeout_error(timeout, &self.endpoint)),
        };
        if let Some((budget, admission)) = admitted {
            match &outcome {
                Ok(_) => budget.on_response(&admission, 200, None),
                Err(error) => {
                    if let Some(status) = error.status() {
                        budget.on_response(&admission, status, error.retry_after());
                    }
                }
            }
        }
        outcome.map_err(AttemptError::Failed)
    }

    /// Reads at most [`MAX_BODY_BYTES`] of a 2xx and [`MAX_ERROR_BODY_BYTES`] of anything
    /// else, and makes the answer a value or an error.
    async fn read_response<T>(
        &self,
        mut response: reqwest::Response,
        call: Call<'_>,
        decode: &impl Fn(&[u8], SystemTime) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let key = self.api_key.as_str();
        let status = response.status().as_u16();
        let success = response.status().is_success();
        // Taken, not cloned: the body is still readable without them.
        let headers = std::mem::take(response.headers_mut());
        let received_at = SystemTime::now();
        let limit = if success {
            MAX_BODY_BYTES
        } else {
            MAX_ERROR_BODY_BYTES
        };
        if success
            && response
                .content_length()
                .is_some_and(|len| len > limit as u64)
        {
            return Err(with_response_context(
                oversized_error(),
                status,
                &headers,
                key,
            ));
        }
        let body = read_limited(&mut response, limit).await;
        if !success {
            // The status already arrived: an error body cut short is still that error.
            let error = status_error(call, status, &body.bytes, key);
            return Err(with_response_context(error, status, &headers, key));
        }
        if let Some(err) = body.cut_short {
            return Err(transport_error(&err, &self.endpoint, key));
        }
        let decoded = if body.oversized {
            Err(oversized_error())
        } else {
            decode(&body.bytes, received_at)
        };
        decoded.map_err(|error| with_response_context(error, status, &headers, key))
    }
}
