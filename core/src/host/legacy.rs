//! Shims for the bindings until they move onto `core::host` (each is deleted then): the
//! options as the bindings fill them today — numbers as the host gave them, durations in the
//! host's unit, the binding's name and the first problem it found — resolved exactly as before,
//! with the same messages.

#![allow(deprecated)]

use std::fmt;
use std::time::Duration;

use crate::cache::{
    CacheConfig, DEFAULT_MAX_ENTRIES, DEFAULT_MIN_REMAINING, DEFAULT_REFRESH_AHEAD,
};
use crate::client::Client;
use crate::connections::{
    DEFAULT_CONNECT_TIMEOUT, MAX_CONNECTIONS_LIMIT, MAX_IDLE_CONNECTIONS_LIMIT,
    default_max_connections, default_max_idle_connections,
};
use crate::environment::Environment;
use crate::error::Error;
use crate::options::{
    DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT, EnvironmentVariables, MAX_RETRIES_LIMIT, ResolvedConfig,
    resolve_api_key, resolve_base, unset_rate_limit, user_agent,
};
use crate::redact::{REDACTED, clean_line};
use crate::store::{DEFAULT_STORE_TIMEOUT, StoreSettings, redact_url, resolve_store};
pub use crate::time::HostDuration;
use crate::token::TOKEN_LIFETIME;
use crate::validate::whole_number;

/// Most accounts a cache may be configured to keep.
const MAX_CACHE_ENTRIES: usize = 10_000_000;
/// Longest duration any option accepts (about 31 years).
const MAX_DURATION_SECONDS: f64 = 1e9;
/// Longest time a Redis call may be given.
const MAX_STORE_TIMEOUT_SECONDS: f64 = 60.0;

/// The per-attempt timeout, as the host expresses it.
#[deprecated(note = "a shim until the bindings move onto `refold_session::host`")]
pub type Timeout = HostDuration;

/// The session cache's settings as the bindings fill them today.
#[deprecated(note = "a shim until the bindings move onto `refold_session::host`")]
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LegacyCacheOptions {
    pub max_entries: Option<f64>,
    pub min_remaining: Option<HostDuration>,
    pub refresh_ahead: Option<HostDuration>,
    pub store: Option<LegacyStoreOptions>,
}

/// The fleet store's settings as the bindings fill them today.
#[deprecated(note = "a shim until the bindings move onto `refold_session::host`")]
#[derive(Clone, Default, PartialEq)]
pub struct LegacyStoreOptions {
    pub redis_url: Option<String>,
    pub encryption_keys: Vec<String>,
    pub key_prefix: Option<String>,
    pub timeout: Option<HostDuration>,
}

impl fmt::Debug for LegacyStoreOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreOptions")
            .field(
                "redis_url",
                &self.redis_url.as_ref().map(|url| redact_url(url)),
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

/// A problem the host found while reading its own values, reported when the client is built.
#[deprecated(note = "a shim until the bindings move onto `refold_session::host`")]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OptionProblem {
    message: String,
}

impl OptionProblem {
    /// `option` got a value of the wrong type: it must be `expected`, not `received`.
    pub fn wrong_type(option: &str, expected: &str, received: &str) -> OptionProblem {
        OptionProblem {
            message: format!(
                "{} must be {}, not {}.",
                clean_line(option, 40),
                clean_line(expected, 60),
                clean_line(received, 40)
            ),
        }
    }

    /// `option` is text that does not encode to UTF-8 (e.g. a lone UTF-16 surrogate).
    pub fn not_unicode(option: &str) -> OptionProblem {
        OptionProblem {
            message: format!(
                "{} is not valid Unicode text (it holds a lone surrogate or bytes that are not \
                 UTF-8); pass the value exactly as issued.",
                clean_line(option, 40)
            ),
        }
    }
}

/// The client options as the bindings fill them today.
#[deprecated(note = "a shim until the bindings move onto `refold_session::host`")]
#[derive(Clone, Default)]
pub struct LegacyOptions {
    pub api_key: Option<String>,
    pub environment: Option<String>,
    pub base_url: Option<String>,
    pub timeout: Option<Timeout>,
    pub max_retries: Option<f64>,
    pub max_idle_connections: Option<f64>,
    pub max_connections: Option<f64>,
    /// The binding and its host runtime, for the `user-agent`.
    pub binding: Option<(String, String)>,
    pub cache: Option<LegacyCacheOptions>,
    pub read_environment_variables: Option<bool>,
    /// The first problem the host found in its own values; fails the build.
    pub host_problem: Option<OptionProblem>,
}

impl LegacyOptions {
    /// Records `problem` unless one was recorded already (the first one is reported).
    pub fn report(&mut self, problem: OptionProblem) {
        self.host_problem.get_or_insert(problem);
    }
}

impl fmt::Debug for LegacyOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientOptions")
            .field("api_key", &self.api_key.as_ref().map(|_| REDACTED))
            .field("environment", &self.environment)
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .field("max_retries", &self.max_retries)
            .field("cache", &self.cache)
            .field("host_problem", &self.host_problem)
            .finish_non_exhaustive()
    }
}

/// Builds a client from the bindings' options of today, resolved as before.
#[deprecated(note = "a shim until the bindings move onto `refold_session::host::build_client`")]
pub fn build(options: LegacyOptions) -> Result<Client, Error> {
    Client::from_config(resolve(options)?)
}

fn resolve(options: LegacyOptions) -> Result<ResolvedConfig, Error> {
    if let Some(problem) = options.host_problem {
        return Err(Error::configuration(problem.message));
    }
    let read_env = options.read_environment_variables.unwrap_or(true);
    let env = EnvironmentVariables::new(read_env);
    let (api_key, api_key_header) = resolve_api_key(options.api_key, &env)?;
    let environment: Environment = match options
        .environment
        .or_else(|| env.get("REFOLD_ENVIRONMENT"))
    {
        Some(name) => name.parse()?,
        None => Environment::default(),
    };
    let (base, endpoint) = resolve_base(options.base_url, environment, &env)?;
    let timeout = match options.timeout {
        None => DEFAULT_TIMEOUT,
        Some(timeout) => checked_duration("The timeout", timeout, false, None)?,
    };
    let max_retries = whole_count(
        options.max_retries,
        DEFAULT_MAX_RETRIES as usize,
        0,
        MAX_RETRIES_LIMIT as usize,
        "max retries",
    )? as u32;
    let max_idle_connections = whole_count(
        options.max_idle_connections,
        default_max_idle_connections(),
        0,
        MAX_IDLE_CONNECTIONS_LIMIT,
        "max idle connections",
    )?;
    let max_connections = whole_count(
        options.max_connections,
        default_max_connections(),
        1,
        MAX_CONNECTIONS_LIMIT,
        "max connections",
    )?;
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
        user_agent: user_agent(options.binding),
        cache: options
            .cache
            .map(|cache| resolve_cache(cache, read_env))
            .transpose()?,
        rate_limit: unset_rate_limit(&env)?,
    })
}

fn resolve_cache(options: LegacyCacheOptions, read_env: bool) -> Result<CacheConfig, Error> {
    let lifetime = TOKEN_LIFETIME.as_secs_f64();
    let max_entries = whole_count(
        options.max_entries,
        DEFAULT_MAX_ENTRIES as usize,
        1,
        MAX_CACHE_ENTRIES,
        "The cache's max entries",
    )? as u64;
    let min_remaining = match options.min_remaining {
        None => DEFAULT_MIN_REMAINING,
        Some(value) => checked_duration("The cache's min remaining", value, true, Some(lifetime))?,
    };
    let refresh_ahead = match options.refresh_ahead {
        None => DEFAULT_REFRESH_AHEAD.max(min_remaining),
        Some(value) => checked_duration("The cache's refresh ahead", value, true, Some(lifetime))?,
    };
    if refresh_ahead < min_remaining {
        return Err(Error::configuration(
            "The cache's refresh ahead must be at least its min remaining, or tokens would \
             expire from the cache before a refresh starts.",
        ));
    }
    let store = match options.store {
        None => None,
        Some(store) => {
            // As before: the URL, the keys and the prefix are checked before the timeout.
            let mut config = resolve_store(
                StoreSettings {
                    redis_url: store.redis_url,
                    encryption_keys: store.encryption_keys,
                    key_prefix: store.key_prefix,
                    timeout: DEFAULT_STORE_TIMEOUT,
                },
                read_env,
            )?;
            if let Some(value) = store.timeout {
                config.timeout = checked_duration(
                    "The cache store's timeout",
                    value,
                    false,
                    Some(MAX_STORE_TIMEOUT_SECONDS),
                )?;
            }
            Some(config)
        }
    };
    Ok(CacheConfig {
        max_entries,
        min_remaining,
        refresh_ahead,
        store,
    })
}

/// A count option as the host gave it: `default` when unset, else a whole number from `min` to
/// `max`, or the configuration error naming it as `what`.
fn whole_count(
    value: Option<f64>,
    default: usize,
    min: usize,
    max: usize,
    what: &str,
) -> Result<usize, Error> {
    match value {
        None => Ok(default),
        Some(count) => whole_number(count, max)
            .filter(|count| *count >= min)
            .ok_or_else(|| {
                Error::configuration(format!(
                    "{what} must be a whole number from {min} to {max}, not {count}."
                ))
            }),
    }
}

/// A length of time as the host gave it, or why it is unusable: `what` names it in the
/// message, which speaks the host's unit. `max_seconds` is an option's own bound (named in the
/// message); every duration is below [`MAX_DURATION_SECONDS`] too.
fn checked_duration(
    what: &str,
    value: HostDuration,
    allow_zero: bool,
    max_seconds: Option<f64>,
) -> Result<Duration, Error> {
    let (number, per_second, unit) = match value {
        HostDuration::Duration(duration) => (duration.as_secs_f64(), 1.0, "seconds"),
        HostDuration::Seconds(seconds) => (seconds, 1.0, "seconds"),
        HostDuration::Milliseconds(millis) => (millis, 1000.0, "milliseconds"),
    };
    let seconds = number / per_second;
    let bound = max_seconds.map_or(MAX_DURATION_SECONDS, |max| max.min(MAX_DURATION_SECONDS));
    let in_range =
        seconds.is_finite() && (seconds > 0.0 || (allow_zero && seconds == 0.0)) && seconds < bound;
    if in_range {
        return Ok(Duration::from_secs_f64(seconds));
    }
    let kind = if allow_zero {
        "non-negative"
    } else {
        "positive"
    };
    let limit = match max_seconds {
        Some(max) => format!(" below {} {unit}", max * per_second),
        None => String::new(),
    };
    Err(Error::configuration(format!(
        "{what} must be a {kind} number of {unit}{limit}, not {number}."
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn options() -> LegacyOptions {
        LegacyOptions {
            api_key: Some("k".into()),
            read_environment_variables: Some(false),
            ..LegacyOptions::default()
        }
    }

    #[test]
    fn the_old_messages_stay_until_the_bindings_move() {
        let err = resolve(LegacyOptions {
            timeout: Some(Timeout::Milliseconds(-5.0)),
            ..options()
        })
        .err()
        .unwrap();
        assert_eq!(
            err.message(),
            "The timeout must be a positive number of milliseconds, not -5."
        );
        let mut problem = options();
        problem.report(OptionProblem::wrong_type("timeoutMs", "a number", "string"));
        problem.report(OptionProblem::not_unicode("apiKey"));
        let err = resolve(problem).err().unwrap();
        assert_eq!(err.message(), "timeoutMs must be a number, not string.");
        assert_eq!(err.code(), ErrorCode::Configuration);
        let err = resolve(LegacyOptions {
            max_retries: Some(1.5),
            ..options()
        })
        .err()
        .unwrap();
        assert_eq!(
            err.message(),
            "max retries must be a whole number from 0 to 100, not 1.5."
        );
        let config = resolve(LegacyOptions {
            binding: Some(("node".into(), "v20.1.0".into())),
            cache: Some(LegacyCacheOptions::default()),
            ..options()
        })
        .unwrap();
        assert!(config.user_agent.ends_with("(node v20.1.0)"));
        assert_eq!(
            config.endpoint.as_str(),
            "https://app.refold.ai/api/v2/public/session-token"
        );
        assert!(config.cache.is_some());
    }
}
