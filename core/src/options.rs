//! Client options: one plain-data type every language fills, and the one place that checks
//! it, fills defaults and environment variables (docs/contract.md §Options).

use std::fmt;
use std::time::Duration;

use reqwest::header::HeaderValue;
use url::Url;

use crate::cache::{
    CacheConfig, DEFAULT_MAX_ENTRIES, DEFAULT_MIN_REMAINING, DEFAULT_REFRESH_AHEAD,
};
use crate::connections::{
    DEFAULT_CONNECT_TIMEOUT, MAX_CONNECTIONS_LIMIT, MAX_IDLE_CONNECTIONS_LIMIT,
    default_max_connections, default_max_idle_connections,
};
use crate::endpoint::{SESSION_TOKEN_PATH, api_base, api_url};
use crate::environment::Environment;
use crate::error::Error;
use crate::redact::{REDACTED, clean_line};
use crate::store::{StoreOptions, resolve_store};
use crate::time::HostDuration;
use crate::token::TOKEN_LIFETIME;
use crate::validate::{checked_duration, whole_count};

/// Per-attempt timeout unless configured.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Retries after the first attempt unless configured.
pub const DEFAULT_MAX_RETRIES: u32 = 2;
/// Most retries accepted: a caller's number never sizes an unbounded loop.
pub const MAX_RETRIES_LIMIT: u32 = 100;
/// Most accounts a cache may be configured to keep.
const MAX_CACHE_ENTRIES: usize = 10_000_000;

/// The per-attempt timeout, as the host expresses it.
pub type Timeout = HostDuration;

/// The session cache's settings (docs/contract.md §Session cache); every field optional.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CacheOptions {
    /// Accounts kept, least recently used evicted first: a whole number from 1 to 10,000,000
    /// (default 10,000).
    pub max_entries: Option<f64>,
    /// A cached token is returned only with more life left than this (default 1 h).
    pub min_remaining: Option<HostDuration>,
    /// A hit with less life left than this refreshes in the background (default 2 h; at
    /// least `min_remaining`).
    pub refresh_ahead: Option<HostDuration>,
    /// A fleet-wide second level on Redis (docs/contract.md §Fleet store); off when `None`.
    pub store: Option<StoreOptions>,
}

/// A problem the host found while reading its own values (a wrong type, text that is not
/// valid Unicode), reported by [`crate::Client::new`] as a `configuration` error. It names
/// the option as the host spells it and never shows the value.
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

/// Everything a client can be configured with. Every field is optional: unset ones fall back
/// to environment variables, then to defaults. Numbers are taken as the host gives them and
/// checked here, so every language reports the same problems with the same words.
#[derive(Clone, Default)]
pub struct ClientOptions {
    /// The API key (default: `REFOLD_API_KEY`, then `COBALT_API_KEY`).
    pub api_key: Option<String>,
    /// `production`, `sandbox` or `staging` (default: `REFOLD_ENVIRONMENT`, else production).
    pub environment: Option<String>,
    /// Overrides the environment's URL (default: `REFOLD_BASE_URL`): `https://`, or
    /// `http://` to a loopback host.
    pub base_url: Option<String>,
    /// Per-attempt timeout covering connect, headers and the whole body (default 30 s).
    pub timeout: Option<Timeout>,
    /// Retries after the first attempt: a whole number from 0 to 100 (default 2).
    pub max_retries: Option<f64>,
    /// Idle connections kept per host: a whole number from 0 to 10,000 (default:
    /// [`crate::default_max_idle_connections`]).
    pub max_idle_connections: Option<f64>,
    /// Requests in flight to the host at once, hence connections in use: a whole number from 1
    /// to 10,000 (default: [`crate::default_max_connections`]). Calls beyond it wait, within
    /// their timeout, for one to finish.
    pub max_connections: Option<f64>,
    /// The binding and its host runtime, for the `user-agent` (e.g. `("node", "v20.1.0")`).
    pub binding: Option<(String, String)>,
    /// The session cache: off when `None` (every call mints, as the official SDK does).
    pub cache: Option<CacheOptions>,
    /// Whether unset options are read from `REFOLD_*` environment variables (default true).
    pub read_environment_variables: Option<bool>,
    /// The first problem the host found in its own values; fails the build.
    pub host_problem: Option<OptionProblem>,
}

impl ClientOptions {
    /// Records `problem` unless one was recorded already (the first one is reported).
    pub fn report(&mut self, problem: OptionProblem) {
        self.host_problem.get_or_insert(problem);
    }
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
            .field("host_problem", &self.host_problem)
            .finish_non_exhaustive()
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
}

impl ClientOptions {
    pub(crate) fn resolve(self) -> Result<ResolvedConfig, Error> {
        if let Some(problem) = self.host_problem {
            return Err(Error::configuration(problem.message));
        }
        let read_env = self.read_environment_variables.unwrap_or(true);
        let env = |name: &str| {
            read_env
                .then(|| std::env::var(name).ok())
                .flatten()
                .filter(|value| !value.trim().is_empty())
        };

        let api_key = match self.api_key {
            Some(key) => key,
            None => env("REFOLD_API_KEY").or_else(|| env("COBALT_API_KEY")).ok_or_else(|| {
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
        let api_key_header = HeaderValue::from_str(&api_key)
            .ok()
            .filter(|_| api_key.bytes().all(|b| b.is_ascii_graphic()))
            .ok_or_else(|| {
                Error::configuration(
                    "The API key contains characters that cannot be sent in an HTTP header; \
                     check that it was copied whole and without spaces.",
                )
            })?;

        let environment: Environment = match self.environment.or_else(|| env("REFOLD_ENVIRONMENT"))
        {
            Some(name) => name.parse()?,
            None => Environment::default(),
        };
        let base = match self.base_url.or_else(|| env("REFOLD_BASE_URL")) {
            Some(url) => url,
            None => environment.base_url().to_owned(),
        };
        let base = api_base(&base)?;
        let endpoint = api_url(&base, SESSION_TOKEN_PATH);

        let timeout = match self.timeout {
            None => DEFAULT_TIMEOUT,
            Some(timeout) => checked_duration("The timeout", timeout, false, None)?,
        };
        let max_retries = whole_count(
            self.max_retries,
            DEFAULT_MAX_RETRIES as usize,
            0,
            MAX_RETRIES_LIMIT as usize,
            "max retries",
        )? as u32;
        let max_idle_connections = whole_count(
            self.max_idle_connections,
            default_max_idle_connections(),
            0,
            MAX_IDLE_CONNECTIONS_LIMIT,
            "max idle connections",
        )?;
        let max_connections = whole_count(
            self.max_connections,
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
            user_agent: user_agent(self.binding),
            cache: self
                .cache
                .map(|cache| resolve_cache(cache, read_env))
                .transpose()?,
        })
    }
}

fn resolve_cache(options: CacheOptions, read_env: bool) -> Result<CacheConfig, Error> {
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
    Ok(CacheConfig {
        max_entries,
        min_remaining,
        refresh_ahead,
        store: options
            .store
            .map(|store| resolve_store(store, read_env))
            .transpose()?,
    })
}

fn user_agent(binding: Option<(String, String)>) -> String {
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
    use crate::error::ErrorCode;

    fn options() -> ClientOptions {
        ClientOptions {
            api_key: Some("k".into()),
            read_environment_variables: Some(false),
            ..ClientOptions::default()
        }
    }

    fn config_error(options: ClientOptions) -> Error {
        match options.resolve() {
            Ok(_) => panic!("expected a configuration error"),
            Err(err) => err,
        }
    }

    #[test]
    fn defaults_point_at_production() {
        let config = options().resolve().unwrap();
        assert_eq!(
            config.endpoint.as_str(),
            "https://api.gocobalt.io/api/v2/public/session-token"
        );
        assert_eq!(config.timeout, DEFAULT_TIMEOUT);
        assert_eq!(config.max_retries, 2);
        assert_eq!(config.max_idle_connections, default_max_idle_connections());
        assert_eq!(config.max_connections, default_max_connections());
        assert!(config.user_agent.starts_with("refold-session/"));
        assert!(config.user_agent.contains("(rust "));
    }

    #[test]
    fn environments_and_overrides() {
        let sandbox = ClientOptions {
            environment: Some("Sandbox".into()),
            ..options()
        };
        assert_eq!(
            sandbox.resolve().unwrap().endpoint.host_str(),
            Some("embedapi.gocobalt.io")
        );
        let local = ClientOptions {
            environment: Some("sandbox".into()),
            base_url: Some("http://127.0.0.1:8787/".into()),
            ..options()
        };
        assert_eq!(
            local.resolve().unwrap().endpoint.as_str(),
            "http://127.0.0.1:8787/api/v2/public/session-token"
        );
    }

    #[test]
    fn bad_options_are_configuration_errors() {
        let with = |f: fn(&mut ClientOptions)| {
            let mut options = options();
            f(&mut options);
            options
        };
        let cases = [
            with(|o| o.api_key = None),
            with(|o| o.api_key = Some("   ".into())),
            with(|o| o.api_key = Some("key with space".into())),
            with(|o| o.api_key = Some("key\nnewline".into())),
            with(|o| o.environment = Some("moon".into())),
            with(|o| o.base_url = Some("http://example.com".into())),
            with(|o| o.timeout = Some(Timeout::Duration(Duration::ZERO))),
            with(|o| o.timeout = Some(Timeout::Seconds(-1.0))),
            with(|o| o.timeout = Some(Timeout::Seconds(f64::NAN))),
            with(|o| o.timeout = Some(Timeout::Milliseconds(-5.0))),
            with(|o| o.timeout = Some(Timeout::Milliseconds(f64::INFINITY))),
            with(|o| o.max_retries = Some(-1.0)),
            with(|o| o.max_retries = Some(1.5)),
            with(|o| o.max_retries = Some(101.0)),
            with(|o| o.max_retries = Some(f64::NAN)),
            with(|o| o.max_idle_connections = Some(-1.0)),
            with(|o| o.max_idle_connections = Some(10_001.0)),
            with(|o| o.max_connections = Some(0.0)),
            with(|o| o.max_connections = Some(2.5)),
            with(|o| o.max_connections = Some(10_001.0)),
            with(|o| o.report(OptionProblem::not_unicode("apiKey"))),
            with(|o| {
                o.cache = Some(CacheOptions {
                    max_entries: Some(0.0),
                    ..CacheOptions::default()
                })
            }),
            with(|o| {
                o.cache = Some(CacheOptions {
                    min_remaining: Some(HostDuration::Seconds(-1.0)),
                    ..CacheOptions::default()
                })
            }),
            with(|o| {
                o.cache = Some(CacheOptions {
                    min_remaining: Some(HostDuration::Seconds(100.0)),
                    refresh_ahead: Some(HostDuration::Seconds(50.0)),
                    ..CacheOptions::default()
                })
            }),
            with(|o| {
                o.cache = Some(CacheOptions {
                    refresh_ahead: Some(HostDuration::Milliseconds(86_400_000.0)),
                    ..CacheOptions::default()
                })
            }),
        ];
        for case in cases {
            let err = config_error(case);
            assert_eq!(err.code(), ErrorCode::Configuration);
            assert_eq!(err.attempts(), 0);
        }
    }

    #[test]
    fn numbers_within_limits_are_taken() {
        let config = ClientOptions {
            max_retries: Some(100.0),
            max_idle_connections: Some(0.0),
            max_connections: Some(1.0),
            timeout: Some(Timeout::Milliseconds(250.0)),
            ..options()
        }
        .resolve()
        .unwrap();
        assert_eq!(config.max_retries, 100);
        assert_eq!(config.max_idle_connections, 0);
        assert_eq!(config.max_connections, 1);
        assert_eq!(config.timeout, Duration::from_millis(250));
    }

    #[test]
    fn the_cache_is_off_unless_asked_and_defaults_when_on() {
        assert_eq!(options().resolve().unwrap().cache, None);
        let config = ClientOptions {
            cache: Some(CacheOptions::default()),
            ..options()
        }
        .resolve()
        .unwrap()
        .cache
        .unwrap();
        assert_eq!(config.max_entries, 10_000);
        assert_eq!(config.min_remaining, Duration::from_secs(3600));
        assert_eq!(config.refresh_ahead, Duration::from_secs(7200));
        let short = ClientOptions {
            cache: Some(CacheOptions {
                max_entries: Some(10.0),
                min_remaining: Some(HostDuration::Milliseconds(2000.0)),
                refresh_ahead: Some(HostDuration::Seconds(4.0)),
                store: None,
            }),
            ..options()
        }
        .resolve()
        .unwrap()
        .cache
        .unwrap();
        assert_eq!(short.min_remaining, Duration::from_secs(2));
        assert_eq!(short.refresh_ahead, Duration::from_secs(4));
    }

    #[test]
    fn messages_never_echo_the_key() {
        let key = "sk_test_DISTINCTIVE with space";
        let err = config_error(ClientOptions {
            api_key: Some(key.into()),
            ..options()
        });
        assert!(!err.message().contains("DISTINCTIVE"));
        let debug = format!(
            "{:?}",
            ClientOptions {
                api_key: Some("sk_test_DISTINCTIVE".into()),
                ..options()
            }
        );
        assert!(!debug.contains("DISTINCTIVE"), "{debug}");
    }

    #[test]
    fn timeout_errors_speak_the_unit_given() {
        let err = config_error(ClientOptions {
            timeout: Some(Timeout::Milliseconds(-5.0)),
            ..options()
        });
        assert_eq!(
            err.message(),
            "The timeout must be a positive number of milliseconds, not -5."
        );
        let err = config_error(ClientOptions {
            timeout: Some(Timeout::Seconds(0.0)),
            ..options()
        });
        assert_eq!(
            err.message(),
            "The timeout must be a positive number of seconds, not 0."
        );
    }

    #[test]
    fn host_problems_fail_the_build_and_the_first_one_wins() {
        let mut options = options();
        options.report(OptionProblem::wrong_type("timeoutMs", "a number", "string"));
        options.report(OptionProblem::not_unicode("apiKey"));
        let err = config_error(options);
        assert_eq!(err.message(), "timeoutMs must be a number, not string.");
        let err = config_error({
            let mut options = ClientOptions::default();
            options.report(OptionProblem::not_unicode("base_url"));
            options
        });
        assert!(err.message().starts_with("base_url is not valid Unicode"));
    }

    #[test]
    fn binding_names_the_runtime() {
        let config = ClientOptions {
            binding: Some(("node".into(), "v20.1.0".into())),
            ..options()
        }
        .resolve()
        .unwrap();
        assert!(
            config.user_agent.ends_with("(node v20.1.0)"),
            "{}",
            config.user_agent
        );
    }
}
