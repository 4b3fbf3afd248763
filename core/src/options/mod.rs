//! Client and per-call options, typed for Rust users (and, with the `uniffi` feature, the same
//! records for Kotlin), and the one place that checks them, fills defaults and environment
//! variables (docs/contract.md §Options). What each option is lives in `table`; how each host
//! spells and words it, in `dialect`.

mod dialect;
mod table;

use std::fmt;
use std::time::Duration;

use reqwest::header::HeaderValue;
use serde::Deserialize;
use url::Url;

pub use self::dialect::{Case, Dialect, DurationUnit, TypeWords, UnknownNames};
pub(crate) use self::dialect::{not_unicode, show_number, wrong_type};
pub use self::table::{
    CACHE_OPTIONS, CLIENT_ALIASES, CLIENT_OPTIONS, HOST_OBJECT_OPTIONS, HostObjectOption,
    MAX_RATE_LIMIT_BURST, MAX_RATE_LIMIT_PER_SECOND, OptionAlias, OptionKind, OptionSpec,
    PAGE_ARGUMENTS, RATE_LIMIT_OPTIONS, REQUEST_ALIASES, REQUEST_OPTIONS, STORE_OPTIONS,
};
use crate::cache::{
    CacheConfig, DEFAULT_MAX_ENTRIES, DEFAULT_MIN_REMAINING, DEFAULT_REFRESH_AHEAD,
};
use crate::connections::{
    DEFAULT_CONNECT_TIMEOUT, default_max_connections, default_max_idle_connections,
};
use crate::endpoint::{SESSION_TOKEN_PATH, api_base, api_url};
use crate::environment::Environment;
use crate::error::{Error, ErrorCode};
use crate::ratelimit::{DEFAULT_BURST, DEFAULT_REQUESTS_PER_SECOND, RateLimit};
use crate::redact::REDACTED;
use crate::secret::Secret;
use crate::store::{DEFAULT_STORE_TIMEOUT, StoreSettings, redact_url, resolve_store};
use crate::telemetry::TraceParent;

/// Per-attempt timeout unless configured.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Retries after the first attempt unless configured.
pub const DEFAULT_MAX_RETRIES: u32 = 2;

/// Everything a client can be configured with. Every field is optional: unset ones fall back
/// to environment variables, then to defaults (docs/contract.md §Options). Deserializes from
/// snake_case keys, durations as seconds.
#[derive(Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ClientOptions {
    /// The API key (default: `REFOLD_API_KEY`, then `COBALT_API_KEY`).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub api_key: Option<Secret>,
    /// The deployment (default: `REFOLD_ENVIRONMENT`, else production).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub environment: Option<Environment>,
    /// Overrides the environment's URL (default: `REFOLD_BASE_URL`): `https://`, or `http://`
    /// to a loopback host.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub base_url: Option<String>,
    /// Per-attempt timeout covering connect, headers and the whole body (default 30 s).
    #[serde(deserialize_with = "seconds")]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub timeout: Option<Duration>,
    /// Retries after the first attempt, 0 to 100 (default 2).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub max_retries: Option<u32>,
    /// Idle connections kept per host, 0 to 10,000 (default:
    /// [`crate::default_max_idle_connections`]).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub max_idle_connections: Option<u32>,
    /// Requests in flight to the host at once, hence connections in use, 1 to 10,000 (default:
    /// [`crate::default_max_connections`]). Calls beyond it wait, within their timeout.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub max_connections: Option<u32>,
    /// The session cache: off when `None` (every call mints, as the official SDK does).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub cache: Option<CacheOptions>,
    /// The budget every request waits for under Refold's rate limit (docs/contract.md §Rate
    /// limit); `None`: `REFOLD_RATE_LIMIT`, else 20 requests/s with bursts of 5.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub rate_limit: Option<RateLimitOptions>,
    /// Whether unset options are read from `REFOLD_*` environment variables (default true).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub read_environment_variables: Option<bool>,
    /// Whether calls are reported to the telemetry hook (default true): a binding's bridge to
    /// its host's OpenTelemetry, the Rust `tracing` spans (docs/contract.md §18).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub telemetry: Option<bool>,
    /// Whether telemetry names the linked account of a call (default false).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub telemetry_linked_account_id: Option<bool>,
}

/// The session cache's settings (docs/contract.md §Session cache); every field optional.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct CacheOptions {
    /// Accounts kept, least recently used evicted first: 1 to 10,000,000 (default 10,000).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub max_entries: Option<u32>,
    /// A cached token is returned only with more life left than this (default 1 h; at most a
    /// day).
    #[serde(deserialize_with = "seconds")]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub min_remaining: Option<Duration>,
    /// A hit with less life left than this refreshes in the background (default 2 h; at least
    /// `min_remaining`, at most a day).
    #[serde(deserialize_with = "seconds")]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub refresh_ahead: Option<Duration>,
    /// A fleet-wide second level on Redis (docs/contract.md §Fleet store); off when `None`.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub store: Option<StoreOptions>,
}

/// The client's request budget (docs/contract.md §Rate limit). Deserializes from `false`
/// (off), `true` (the defaults) or `{"requests_per_second": N, "burst": N}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum RateLimitOptions {
    /// No budget: every request is sent at once (a 429 is retried as any other).
    Off,
    /// `requests_per_second` on average (1 to 100,000; default 20) and `burst` at once (1 to
    /// 10,000; default 5).
    Limit {
        requests_per_second: Option<u32>,
        burst: Option<u32>,
    },
}

impl RateLimitOptions {
    /// Refold's documented limit, 20 requests/s with bursts of 5.
    pub const DOCUMENTED: RateLimitOptions = RateLimitOptions::Limit {
        requests_per_second: None,
        burst: None,
    };

    /// A budget of `requests_per_second` with bursts of `burst`.
    pub fn limit(requests_per_second: u32, burst: u32) -> RateLimitOptions {
        RateLimitOptions::Limit {
            requests_per_second: Some(requests_per_second),
            burst: Some(burst),
        }
    }
}

impl<'de> Deserialize<'de> for RateLimitOptions {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Limit {
            #[serde(default)]
            requests_per_second: Option<u32>,
            #[serde(default)]
            burst: Option<u32>,
        }
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Given {
            Flag(bool),
            Limit(Limit),
        }
        Ok(match Given::deserialize(deserializer)? {
            Given::Flag(false) => RateLimitOptions::Off,
            Given::Flag(true) => RateLimitOptions::DOCUMENTED,
            Given::Limit(limit) => RateLimitOptions::Limit {
                requests_per_second: limit.requests_per_second,
                burst: limit.burst,
            },
        })
    }
}

/// The fleet store's settings; unset ones come from `REFOLD_CACHE_REDIS_URL` /
/// `REFOLD_CACHE_ENCRYPTION_KEY`.
#[derive(Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct StoreOptions {
    /// `redis://…`, `rediss://…` (TLS), or a cluster: `redis+cluster://host1:port,host2:port`
    /// (or `rediss+cluster://…`), or node URLs separated by commas. A secret: it may hold a
    /// password.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub redis_url: Option<Secret>,
    /// Base64 32-byte keys: the first encrypts and names entries; every one is tried when
    /// reading (rotation). Empty: `REFOLD_CACHE_ENCRYPTION_KEY` (comma-separated for several).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub encryption_keys: Vec<Secret>,
    /// Prefix of every key this client writes (default `refold:`).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub key_prefix: Option<String>,
    /// Time allowed to each Redis call before falling back (default 250 ms; below 60 s).
    #[serde(deserialize_with = "seconds")]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub timeout: Option<Duration>,
}

/// Per-call options, accepted by every call of [`crate::Client`] (the `*_with` methods).
/// Unset ones are the client's.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct RequestOptions {
    /// This call's per-attempt timeout.
    #[serde(deserialize_with = "seconds")]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub timeout: Option<Duration>,
    /// This call's retries after the first attempt, 0 to 100.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub max_retries: Option<u32>,
    /// The token call only (the others ignore it): bypass the cache, and have Refold mint a
    /// new token (`?force_refresh=true`) and store it, for a front end that just got a 401.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub fresh: bool,
    /// The W3C trace context to send on each attempt (`traceparent` header), so Refold's side
    /// of the call joins the caller's trace; a binding fills it from its host's current span.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub traceparent: Option<TraceParent>,
}

impl RequestOptions {
    /// No per-call settings: the client's.
    pub fn new() -> RequestOptions {
        RequestOptions::default()
    }

    /// This call's per-attempt timeout.
    pub fn timeout(mut self, timeout: Duration) -> RequestOptions {
        self.timeout = Some(timeout);
        self
    }

    /// This call's retries after the first attempt (0 to 100).
    pub fn max_retries(mut self, retries: u32) -> RequestOptions {
        self.max_retries = Some(retries);
        self
    }

    /// Bypass the cache and have Refold mint a new token (the token call only).
    pub fn fresh(mut self) -> RequestOptions {
        self.fresh = true;
        self
    }

    /// Sends `traceparent` on each attempt of this call.
    pub fn traceparent(mut self, traceparent: TraceParent) -> RequestOptions {
        self.traceparent = Some(traceparent);
        self
    }

    /// `invalid_input` for a value out of range (nothing is sent); names as Rust spells them.
    pub(crate) fn check(&self) -> Result<(), Error> {
        let code = ErrorCode::InvalidInput;
        for spec in REQUEST_OPTIONS {
            match (spec.name, spec.kind) {
                (
                    "timeout",
                    OptionKind::Duration {
                        allow_zero,
                        max_seconds,
                    },
                ) => {
                    if let Some(timeout) = self.timeout {
                        typed_duration(
                            &Dialect::RUST,
                            "timeout",
                            timeout,
                            allow_zero,
                            max_seconds,
                            code,
                        )?;
                    }
                }
                ("max_retries", OptionKind::Count { min, max }) => {
                    if let Some(retries) = self.max_retries {
                        Dialect::RUST.count("max_retries", f64::from(retries), min, max, code)?;
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// A duration option given as seconds (a number) in serialized options.
fn seconds<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Duration>, D::Error> {
    let Some(seconds) = Option::<f64>::deserialize(deserializer)? else {
        return Ok(None);
    };
    Duration::try_from_secs_f64(seconds)
        .map(Some)
        .map_err(|_| serde::de::Error::custom("a duration is a non-negative number of seconds"))
}

impl fmt::Debug for ClientOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientOptions")
            .field("api_key", &self.api_key.as_ref().map(|_| REDACTED))
            .field("environment", &self.environment)
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .field("max_retries", &self.max_retries)
            .field("max_idle_connections", &self.max_idle_connections)
            .field("max_connections", &self.max_connections)
            .field("cache", &self.cache)
            .field("rate_limit", &self.rate_limit)
            .field(
                "read_environment_variables",
                &self.read_environment_variables,
            )
            .field("telemetry", &self.telemetry)
            .field(
                "telemetry_linked_account_id",
                &self.telemetry_linked_account_id,
            )
            .finish()
    }
}

impl fmt::Debug for StoreOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreOptions")
            .field(
                "redis_url",
                &self.redis_url.as_ref().map(|url| redact_url(url.expose())),
            )
            .field(
                "encryption_keys",
                &format!("[{} redacted]", self.encryption_keys.len()),
            )
            .field("key_prefix", &self.key_prefix)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Options after defaults, environment variables and validation.
#[derive(Clone)]
pub(crate) struct ResolvedConfig {
    pub api_key: String,
    pub api_key_header: HeaderValue,
    pub environment: Environment,
    /// The checked base URL every path is joined to.
    pub base: Url,
    /// The session-token URL.
    pub endpoint: Url,
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub max_retries: u32,
    pub max_idle_connections: usize,
    pub max_connections: usize,
    pub user_agent: String,
    pub cache: Option<CacheConfig>,
    /// The request budget, or `None` when it is off.
    pub rate_limit: Option<RateLimit>,
    /// Whether calls are reported to a telemetry hook.
    pub telemetry: bool,
    /// Whether telemetry may name the linked account.
    pub telemetry_linked_account_id: bool,
}

/// A typed duration checked against its option's bounds, worded in `dialect`'s unit.
fn typed_duration(
    dialect: &Dialect,
    name: &str,
    value: Duration,
    allow_zero: bool,
    max_seconds: f64,
    code: ErrorCode,
) -> Result<Duration, Error> {
    let number = match dialect.durations {
        DurationUnit::Milliseconds => value.as_secs_f64() * 1000.0,
        DurationUnit::Seconds | DurationUnit::Duration => value.as_secs_f64(),
    };
    dialect.duration(name, number, allow_zero, max_seconds, code)?;
    Ok(value)
}

/// The bounds of option `name` of `rows` (a duration's or a count's).
fn spec(rows: &'static [OptionSpec], name: &str) -> OptionKind {
    rows.iter()
        .find(|spec| spec.name == name)
        .map(|spec| spec.kind)
        .expect("every option checked here is in the table")
}

/// How `ClientOptions::resolve` reads the environment.
pub(crate) struct EnvironmentVariables {
    read: bool,
}

impl EnvironmentVariables {
    pub(crate) fn new(read: bool) -> Self {
        EnvironmentVariables { read }
    }

    /// A variable's value, unless not read or blank.
    pub(crate) fn get(&self, name: &str) -> Option<String> {
        self.read
            .then(|| std::env::var(name).ok())
            .flatten()
            .filter(|value| !value.trim().is_empty())
    }
}

impl ClientOptions {
    /// Checks the options, fills defaults and environment variables; messages name options as
    /// `dialect` spells them. `binding` names the host for the `user-agent`.
    pub(crate) fn resolve(
        self,
        dialect: &Dialect,
        binding: Option<(String, String)>,
    ) -> Result<ResolvedConfig, Error> {
        let env = EnvironmentVariables::new(self.read_environment_variables.unwrap_or(true));
        let code = ErrorCode::Configuration;
        let duration = |path: &str, rows, name: &str, value: Duration| match spec(rows, name) {
            OptionKind::Duration {
                allow_zero,
                max_seconds,
            } => typed_duration(
                dialect,
                &dialect.spell(path, true),
                value,
                allow_zero,
                max_seconds,
                code,
            ),
            _ => unreachable!("{name} is a duration"),
        };
        let count = |path: &str, rows, name: &str, value: u32| match spec(rows, name) {
            OptionKind::Count { min, max } => dialect
                .count(
                    &dialect.spell(path, false),
                    f64::from(value),
                    min,
                    max,
                    code,
                )
                .map(|count| count as usize),
            _ => unreachable!("{name} is a count"),
        };

        let (api_key, api_key_header) =
            resolve_api_key(self.api_key.map(|key| key.expose().to_owned()), &env)?;
        let environment = match self.environment {
            Some(environment) => environment,
            None => match env.get("REFOLD_ENVIRONMENT") {
                Some(name) => name.parse()?,
                None => Environment::default(),
            },
        };
        let (base, endpoint) = resolve_base(self.base_url, environment, &env)?;
        let timeout = match self.timeout {
            None => DEFAULT_TIMEOUT,
            Some(timeout) => duration("timeout", CLIENT_OPTIONS, "timeout", timeout)?,
        };
        let max_retries = match self.max_retries {
            None => DEFAULT_MAX_RETRIES,
            Some(retries) => count("max_retries", CLIENT_OPTIONS, "max_retries", retries)? as u32,
        };
        let max_idle_connections = match self.max_idle_connections {
            None => default_max_idle_connections(),
            Some(value) => count(
                "max_idle_connections",
                CLIENT_OPTIONS,
                "max_idle_connections",
                value,
            )?,
        };
        let max_connections = match self.max_connections {
            None => default_max_connections(),
            Some(value) => count("max_connections", CLIENT_OPTIONS, "max_connections", value)?,
        };
        let cache = match self.cache {
            None => None,
            Some(cache) => {
                let max_entries = match cache.max_entries {
                    None => DEFAULT_MAX_ENTRIES,
                    Some(value) => {
                        count("cache.max_entries", CACHE_OPTIONS, "max_entries", value)? as u64
                    }
                };
                let min_remaining = match cache.min_remaining {
                    None => DEFAULT_MIN_REMAINING,
                    Some(value) => {
                        duration("cache.min_remaining", CACHE_OPTIONS, "min_remaining", value)?
                    }
                };
                let refresh_ahead = match cache.refresh_ahead {
                    None => DEFAULT_REFRESH_AHEAD.max(min_remaining),
                    Some(value) => {
                        duration("cache.refresh_ahead", CACHE_OPTIONS, "refresh_ahead", value)?
                    }
                };
                check_cache_window(dialect, min_remaining, refresh_ahead, code)?;
                let store = match cache.store {
                    None => None,
                    Some(store) => {
                        let timeout = match store.timeout {
                            None => DEFAULT_STORE_TIMEOUT,
                            Some(value) => {
                                duration("cache.store.timeout", STORE_OPTIONS, "timeout", value)?
                            }
                        };
                        let settings = StoreSettings {
                            redis_url: store.redis_url.map(|url| url.expose().to_owned()),
                            encryption_keys: store
                                .encryption_keys
                                .iter()
                                .map(|key| key.expose().to_owned())
                                .collect(),
                            key_prefix: store.key_prefix,
                            timeout,
                        };
                        Some(resolve_store(settings, env.read)?)
                    }
                };
                Some(CacheConfig {
                    max_entries,
                    min_remaining,
                    refresh_ahead,
                    store,
                })
            }
        };
        let rate_limit = match self.rate_limit {
            Some(RateLimitOptions::Off) => None,
            Some(RateLimitOptions::Limit {
                requests_per_second,
                burst,
            }) => {
                let requests_per_second = match requests_per_second {
                    None => DEFAULT_REQUESTS_PER_SECOND,
                    Some(value) => count(
                        "rate_limit.requests_per_second",
                        RATE_LIMIT_OPTIONS,
                        "requests_per_second",
                        value,
                    )? as f64,
                };
                let burst = match burst {
                    None => DEFAULT_BURST,
                    Some(value) => {
                        count("rate_limit.burst", RATE_LIMIT_OPTIONS, "burst", value)? as u32
                    }
                };
                Some(RateLimit::new(requests_per_second, burst)?)
            }
            None => unset_rate_limit(&env)?,
        };
        Ok(ResolvedConfig {
            api_key,
            api_key_header,
            environment,
            base,
            endpoint,
            timeout,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            max_retries,
            max_idle_connections,
            max_connections,
            user_agent: user_agent(binding),
            cache,
            rate_limit,
            telemetry: self.telemetry.unwrap_or(true),
            telemetry_linked_account_id: self.telemetry_linked_account_id.unwrap_or(false),
        })
    }
}

/// The environment variable an unset `rate_limit` is read from.
const RATE_LIMIT_VARIABLE: &str = "REFOLD_RATE_LIMIT";

/// The budget of a client that sets no `rate_limit`: `REFOLD_RATE_LIMIT`, else Refold's
/// documented limit.
pub(crate) fn unset_rate_limit(env: &EnvironmentVariables) -> Result<Option<RateLimit>, Error> {
    match env.get(RATE_LIMIT_VARIABLE) {
        Some(text) => parse_rate_limit_variable(&text),
        None => Ok(Some(RateLimit::default())),
    }
}

/// `REFOLD_RATE_LIMIT`, in the emulator's `--rate-limit` syntax: `off`, or `RATE/s` or
/// `RATE/min` (also `sec`, `second`, `m`, `minute`) with an optional `,BURST` (default: a
/// quarter of the rate, at least 1), whole numbers within the option's bounds.
fn parse_rate_limit_variable(text: &str) -> Result<Option<RateLimit>, Error> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    let problem = || {
        Error::configuration(format!(
            "{RATE_LIMIT_VARIABLE} must be `off` or RATE/s or RATE/min, then an optional ,BURST \
             (e.g. `20/s,5`); its value was not understood."
        ))
    };
    let (rate, burst) = match text.split_once(',') {
        Some((rate, burst)) => (rate, Some(burst)),
        None => (text, None),
    };
    let (requests, per) = rate.split_once('/').ok_or_else(problem)?;
    let seconds = match per.trim() {
        "s" | "sec" | "second" => 1.0,
        "m" | "min" | "minute" => 60.0,
        _ => return Err(problem()),
    };
    let bounded = |digits: &str, what: &str, max: u64| -> Result<u32, Error> {
        let digits = digits.trim();
        if digits.is_empty() || digits.len() > 9 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(problem());
        }
        let value: u64 = digits.parse().map_err(|_| problem())?;
        if !(1..=max).contains(&value) {
            return Err(Error::configuration(format!(
                "{RATE_LIMIT_VARIABLE}'s {what} must be a whole number from 1 to {max}, not \
                 {value}."
            )));
        }
        Ok(value as u32)
    };
    let requests = bounded(requests, "rate", MAX_RATE_LIMIT_PER_SECOND)?;
    let burst = match burst {
        Some(burst) => bounded(burst, "burst", MAX_RATE_LIMIT_BURST)?,
        None => requests.div_ceil(4),
    };
    RateLimit::new(f64::from(requests) / seconds, burst).map(Some)
}

/// `refresh_ahead` must be at least `min_remaining`, named as `dialect` spells them.
pub(crate) fn check_cache_window(
    dialect: &Dialect,
    min_remaining: Duration,
    refresh_ahead: Duration,
    code: ErrorCode,
) -> Result<(), Error> {
    if refresh_ahead < min_remaining {
        return Err(Error::new(
            code,
            format!(
                "{} must be at least {}, or tokens would expire from the cache before a \
                 refresh starts.",
                dialect.spell("cache.refresh_ahead", true),
                dialect.spell("cache.min_remaining", true)
            ),
        ));
    }
    Ok(())
}

/// The API key given, else from the environment, checked to be sendable in a header.
pub(crate) fn resolve_api_key(
    api_key: Option<String>,
    env: &EnvironmentVariables,
) -> Result<(String, HeaderValue), Error> {
    let api_key = match api_key {
        Some(key) => key,
        None => env
            .get("REFOLD_API_KEY")
            .or_else(|| env.get("COBALT_API_KEY"))
            .ok_or_else(|| {
                Error::configuration(
                    "No API key: pass one to the client or set REFOLD_API_KEY (or COBALT_API_KEY).",
                )
            })?,
    };
    if api_key.trim().is_empty() {
        return Err(Error::configuration(
            "The API key is blank: pass a real key or set REFOLD_API_KEY.",
        ));
    }
    let mut header = HeaderValue::from_str(&api_key)
        .ok()
        .filter(|_| api_key.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or_else(|| {
            Error::configuration(
                "The API key contains characters that cannot be sent in an HTTP header; \
                 check that it was copied whole and without spaces.",
            )
        })?;
    header.set_sensitive(true);
    Ok((api_key, header))
}

/// The base URL given, else `REFOLD_BASE_URL`, else the environment's; and the session-token
/// URL below it.
pub(crate) fn resolve_base(
    base_url: Option<String>,
    environment: Environment,
    env: &EnvironmentVariables,
) -> Result<(Url, Url), Error> {
    let base = match base_url.or_else(|| env.get("REFOLD_BASE_URL")) {
        Some(url) => url,
        None => environment.base_url().to_owned(),
    };
    let base = api_base(&base)?;
    let endpoint = api_url(&base, SESSION_TOKEN_PATH);
    Ok((base, endpoint))
}

/// `refold-session/<version> (<binding> <runtime version>)`, Rust's compiler by default.
pub(crate) fn user_agent(binding: Option<(String, String)>) -> String {
    let (name, version) =
        binding.unwrap_or_else(|| ("rust".into(), env!("REFOLD_RUSTC_VERSION").into()));
    let clean = |text: &str| -> String {
        text.chars()
            .filter(|c| c.is_ascii_graphic() && !matches!(c, '(' | ')'))
            .take(64)
            .collect()
    };
    format!(
        "refold-session/{} ({} {})",
        env!("CARGO_PKG_VERSION"),
        clean(&name),
        clean(&version)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> ClientOptions {
        ClientOptions {
            api_key: Some("k".into()),
            read_environment_variables: Some(false),
            ..ClientOptions::default()
        }
    }

    fn config_error(options: ClientOptions) -> Error {
        match options.resolve(&Dialect::RUST, None) {
            Ok(_) => panic!("expected a configuration error"),
            Err(err) => err,
        }
    }

    #[test]
    fn defaults_point_at_production() {
        let config = options().resolve(&Dialect::RUST, None).unwrap();
        assert_eq!(
            config.endpoint.as_str(),
            "https://app.refold.ai/api/v2/public/session-token"
        );
        assert_eq!(config.timeout, DEFAULT_TIMEOUT);
        assert_eq!(config.max_retries, 2);
        assert_eq!(config.max_idle_connections, default_max_idle_connections());
        assert_eq!(config.max_connections, default_max_connections());
        assert!(config.user_agent.starts_with("refold-session/"));
        assert!(config.user_agent.contains("(rust "));
        assert!(config.api_key_header.is_sensitive());
    }

    #[test]
    fn environments_and_overrides() {
        let sandbox = ClientOptions {
            environment: Some(Environment::Sandbox),
            ..options()
        };
        assert_eq!(
            sandbox
                .resolve(&Dialect::RUST, None)
                .unwrap()
                .endpoint
                .host_str(),
            Some("embedapi.gocobalt.io")
        );
        let local = ClientOptions {
            environment: Some(Environment::Sandbox),
            base_url: Some("http://127.0.0.1:8787/".into()),
            ..options()
        };
        assert_eq!(
            local
                .resolve(&Dialect::RUST, None)
                .unwrap()
                .endpoint
                .as_str(),
            "http://127.0.0.1:8787/api/v2/public/session-token"
        );
        let old_host = ClientOptions {
            base_url: Some("https://api.gocobalt.io".into()),
            ..options()
        };
        assert_eq!(
            old_host
                .resolve(&Dialect::RUST, None)
                .unwrap()
                .endpoint
                .host_str(),
            Some("api.gocobalt.io")
        );
    }

    #[test]
    fn bad_options_are_configuration_errors_worded_for_rust() {
        let with = |f: fn(&mut ClientOptions)| {
            let mut options = options();
            f(&mut options);
            options
        };
        let cases = [
            (with(|o| o.api_key = None), "No API key"),
            (with(|o| o.api_key = Some("   ".into())), "blank"),
            (
                with(|o| o.api_key = Some("key with space".into())),
                "HTTP header",
            ),
            (
                with(|o| o.base_url = Some("http://example.com".into())),
                "plain http",
            ),
            (
                with(|o| o.timeout = Some(Duration::ZERO)),
                "timeout must be a positive number of seconds below 1000000000 seconds, not 0.",
            ),
            (
                with(|o| o.max_retries = Some(101)),
                "max_retries must be a whole number from 0 to 100, not 101.",
            ),
            (
                with(|o| o.max_idle_connections = Some(10_001)),
                "max_idle_connections must be a whole number from 0 to 10000, not 10001.",
            ),
            (
                with(|o| o.max_connections = Some(0)),
                "max_connections must be a whole number from 1 to 10000, not 0.",
            ),
            (
                with(|o| {
                    o.cache = Some(CacheOptions {
                        max_entries: Some(0),
                        ..CacheOptions::default()
                    })
                }),
                "cache.max_entries must be a whole number from 1 to 10000000, not 0.",
            ),
            (
                with(|o| {
                    o.cache = Some(CacheOptions {
                        min_remaining: Some(Duration::from_secs(100)),
                        refresh_ahead: Some(Duration::from_secs(50)),
                        ..CacheOptions::default()
                    })
                }),
                "cache.refresh_ahead must be at least cache.min_remaining",
            ),
            (
                with(|o| {
                    o.cache = Some(CacheOptions {
                        refresh_ahead: Some(Duration::from_secs(86_400)),
                        ..CacheOptions::default()
                    })
                }),
                "cache.refresh_ahead must be a non-negative number of seconds below 86400 seconds",
            ),
            (
                with(|o| {
                    o.cache = Some(CacheOptions {
                        store: Some(StoreOptions {
                            timeout: Some(Duration::from_secs(60)),
                            ..StoreOptions::default()
                        }),
                        ..CacheOptions::default()
                    })
                }),
                "cache.store.timeout must be a positive number of seconds below 60 seconds",
            ),
        ];
        for (case, wanted) in cases {
            let err = config_error(case);
            assert_eq!(err.code(), ErrorCode::Configuration);
            assert_eq!(err.attempts(), 0);
            assert!(
                err.message().contains(wanted),
                "{} lacks {wanted}",
                err.message()
            );
        }
    }

    #[test]
    fn a_host_dialect_names_options_its_way() {
        let err = ClientOptions {
            cache: Some(CacheOptions {
                min_remaining: Some(Duration::from_secs(5)),
                refresh_ahead: Some(Duration::from_secs(1)),
                ..CacheOptions::default()
            }),
            ..options()
        }
        .resolve(&Dialect::NODE, None)
        .err()
        .unwrap();
        assert!(
            err.message()
                .starts_with("cache.refreshAheadMs must be at least cache.minRemainingMs"),
            "{}",
            err.message()
        );
    }

    #[test]
    fn numbers_within_limits_are_taken() {
        let config = ClientOptions {
            max_retries: Some(100),
            max_idle_connections: Some(0),
            max_connections: Some(1),
            timeout: Some(Duration::from_millis(250)),
            ..options()
        }
        .resolve(&Dialect::RUST, None)
        .unwrap();
        assert_eq!(config.max_retries, 100);
        assert_eq!(config.max_idle_connections, 0);
        assert_eq!(config.max_connections, 1);
        assert_eq!(config.timeout, Duration::from_millis(250));
    }

    #[test]
    fn the_cache_is_off_unless_asked_and_defaults_when_on() {
        assert_eq!(options().resolve(&Dialect::RUST, None).unwrap().cache, None);
        let config = ClientOptions {
            cache: Some(CacheOptions::default()),
            ..options()
        }
        .resolve(&Dialect::RUST, None)
        .unwrap()
        .cache
        .unwrap();
        assert_eq!(config.max_entries, 10_000);
        assert_eq!(config.min_remaining, Duration::from_secs(3600));
        assert_eq!(config.refresh_ahead, Duration::from_secs(7200));
    }

    #[test]
    fn messages_and_debug_never_echo_the_key() {
        let err = config_error(ClientOptions {
            api_key: Some("sk_test_DISTINCTIVE with space".into()),
            ..options()
        });
        assert!(!err.message().contains("DISTINCTIVE"));
        let debug = format!(
            "{:?}",
            ClientOptions {
                api_key: Some("sk_test_DISTINCTIVE".into()),
                cache: Some(CacheOptions {
                    store: Some(StoreOptions {
                        redis_url: Some("redis://:pw_DISTINCTIVE@h:1".into()),
                        encryption_keys: vec!["KEY_DISTINCTIVE".into()],
                        ..StoreOptions::default()
                    }),
                    ..CacheOptions::default()
                }),
                ..options()
            }
        );
        assert!(!debug.contains("DISTINCTIVE"), "{debug}");
    }

    #[test]
    fn options_deserialize_from_snake_case_with_seconds() {
        let options: ClientOptions = serde_json::from_str(
            r#"{"api_key":"k","environment":"Sandbox","timeout":2.5,"max_retries":1,
                "cache":{"min_remaining":60,"store":{"encryption_keys":["a"]}}}"#,
        )
        .unwrap();
        assert_eq!(options.environment, Some(Environment::Sandbox));
        assert_eq!(options.timeout, Some(Duration::from_millis(2500)));
        assert_eq!(
            options.cache.unwrap().min_remaining,
            Some(Duration::from_secs(60))
        );
        for bad in [
            r#"{"timeout":-1}"#,
            r#"{"tiemout":1}"#,
            r#"{"environment":"moon"}"#,
        ] {
            assert!(serde_json::from_str::<ClientOptions>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn request_options_are_checked_before_anything_is_sent() {
        RequestOptions::new()
            .timeout(Duration::from_millis(1))
            .max_retries(100)
            .fresh()
            .check()
            .unwrap();
        for bad in [
            RequestOptions::new().timeout(Duration::ZERO),
            RequestOptions::new().max_retries(101),
        ] {
            assert_eq!(bad.check().unwrap_err().code(), ErrorCode::InvalidInput);
        }
    }

    #[test]
    fn the_rate_limit_defaults_to_refolds_and_false_turns_it_off() {
        let limit = |rate_limit| {
            ClientOptions {
                rate_limit,
                ..options()
            }
            .resolve(&Dialect::RUST, None)
            .map(|config| config.rate_limit)
        };
        assert_eq!(limit(None).unwrap(), Some(RateLimit::default()));
        assert_eq!(
            limit(Some(RateLimitOptions::DOCUMENTED)).unwrap(),
            Some(RateLimit::new(20.0, 5).unwrap())
        );
        assert_eq!(limit(Some(RateLimitOptions::Off)).unwrap(), None);
        assert_eq!(
            limit(Some(RateLimitOptions::limit(100, 10))).unwrap(),
            Some(RateLimit::new(100.0, 10).unwrap())
        );
        for (bad, wanted) in [
            (
                RateLimitOptions::limit(0, 5),
                "rate_limit.requests_per_second must be a whole number from 1 to 100000, not 0.",
            ),
            (
                RateLimitOptions::limit(20, 10_001),
                "rate_limit.burst must be a whole number from 1 to 10000, not 10001.",
            ),
        ] {
            let err = limit(Some(bad)).unwrap_err();
            assert_eq!(err.code(), ErrorCode::Configuration);
            assert_eq!(err.message(), wanted);
        }
    }

    #[test]
    fn the_rate_limit_variable_speaks_the_emulators_syntax() {
        for (text, wanted) in [
            ("off", None),
            (" OFF ", None),
            ("20/s,5", Some((20.0, 5))),
            ("100/s", Some((100.0, 25))),
            ("1000/sec, 250", Some((1000.0, 250))),
            ("3/s", Some((3.0, 1))),
            ("120/min,2", Some((2.0, 2))),
        ] {
            let parsed = parse_rate_limit_variable(text).unwrap();
            let wanted = wanted.map(|(rate, burst)| RateLimit::new(rate, burst).unwrap());
            assert_eq!(parsed, wanted, "{text}");
        }
        for bad in [
            "20",
            "20/h,5",
            "fast",
            "0/s",
            "20/s,0",
            "-1/s",
            "1.5/s",
            "99999999999/s",
        ] {
            let err = parse_rate_limit_variable(bad).unwrap_err();
            assert_eq!(err.code(), ErrorCode::Configuration, "{bad}");
            assert!(err.message().starts_with("REFOLD_RATE_LIMIT"), "{bad}");
        }
    }

    #[test]
    fn rate_limit_options_deserialize_from_false_true_or_members() {
        let read = |text: &str| serde_json::from_str::<ClientOptions>(text).map(|o| o.rate_limit);
        assert_eq!(
            read(r#"{"rate_limit":false}"#).unwrap(),
            Some(RateLimitOptions::Off)
        );
        assert_eq!(
            read(r#"{"rate_limit":true}"#).unwrap(),
            Some(RateLimitOptions::DOCUMENTED)
        );
        assert_eq!(
            read(r#"{"rate_limit":{"requests_per_second":100,"burst":10}}"#).unwrap(),
            Some(RateLimitOptions::limit(100, 10))
        );
        assert!(read(r#"{"rate_limit":{"rps":1}}"#).is_err());
        assert!(read(r#"{"rate_limit":"fast"}"#).is_err());
    }

    #[test]
    fn binding_names_the_runtime() {
        let config = options()
            .resolve(&Dialect::NODE, Some(("node".into(), "v20.1.0".into())))
            .unwrap();
        assert!(
            config.user_agent.ends_with("(node v20.1.0)"),
            "{}",
            config.user_agent
        );
    }
}
