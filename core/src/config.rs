//! Client options, their defaults and environment variables, and their validation (SPEC §2).

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;
use std::time::Duration;

use reqwest::Url;

use crate::error::Error;

/// Where the session-token endpoint lives below the base URL.
pub const SESSION_TOKEN_PATH: &str = "/api/v2/public/session-token";
/// Per-attempt timeout unless configured.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Connect timeout (part of each attempt).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Retries after the first attempt unless configured.
pub const DEFAULT_MAX_RETRIES: u32 = 2;

/// A Refold deployment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Environment {
    #[default]
    Production,
    Sandbox,
    Staging,
}

impl Environment {
    /// The lower-case name used in options and `REFOLD_ENVIRONMENT`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Environment::Production => "production",
            Environment::Sandbox => "sandbox",
            Environment::Staging => "staging",
        }
    }

    /// The API base URL of this deployment.
    pub const fn base_url(self) -> &'static str {
        match self {
            Environment::Production => "https://api.gocobalt.io",
            Environment::Sandbox => "https://embedapi.gocobalt.io",
            Environment::Staging => "https://sapis.gocobalt.io",
        }
    }
}

impl FromStr for Environment {
    type Err = Error;

    fn from_str(name: &str) -> Result<Self, Error> {
        match name.trim().to_ascii_lowercase().as_str() {
            "production" => Ok(Environment::Production),
            "sandbox" => Ok(Environment::Sandbox),
            "staging" => Ok(Environment::Staging),
            _ => Err(Error::configuration(format!(
                "Unknown environment \"{}\"; use production, sandbox or staging.",
                crate::redact::clean_line(name, 40)
            ))),
        }
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Builds a [`crate::Client`]. Unset options fall back to environment variables, then to
/// defaults; every problem is reported by [`ClientBuilder::build`] as a `configuration` error.
#[derive(Clone, Default)]
pub struct ClientBuilder {
    pub(crate) api_key: Option<String>,
    pub(crate) environment: Option<String>,
    pub(crate) base_url: Option<String>,
    pub(crate) timeout: Option<Result<Duration, String>>,
    pub(crate) connect_timeout: Option<Duration>,
    pub(crate) max_retries: Option<Result<u32, String>>,
    pub(crate) binding: Option<(String, String)>,
    pub(crate) read_env: Option<bool>,
    pub(crate) type_error: Option<String>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field(
                "api_key",
                &self.api_key.as_ref().map(|_| crate::redact::REDACTED),
            )
            .field("environment", &self.environment)
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .field("max_retries", &self.max_retries)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// The API key (default: `REFOLD_API_KEY`, then `COBALT_API_KEY`).
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// The deployment (default: `REFOLD_ENVIRONMENT`, else production).
    pub fn environment(mut self, environment: Environment) -> Self {
        self.environment = Some(environment.as_str().to_owned());
        self
    }

    /// The deployment by name (`production`, `sandbox`, `staging`), checked at build time.
    pub fn environment_name(mut self, name: impl Into<String>) -> Self {
        self.environment = Some(name.into());
        self
    }

    /// A base URL that overrides the environment (default: `REFOLD_BASE_URL`). Must be
    /// `https://`, or `http://` to a loopback host.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// Per-attempt timeout covering connect, headers and the whole body (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(Ok(timeout));
        self
    }

    /// [`ClientBuilder::timeout`] in seconds, for hosts with untyped numbers: a value
    /// that is not a positive finite number fails the build with `configuration`.
    pub fn timeout_secs_f64(mut self, seconds: f64) -> Self {
        self.timeout = Some(checked_timeout(seconds, 1.0, "seconds"));
        self
    }

    /// [`ClientBuilder::timeout`] in milliseconds, for hosts whose option is in ms; invalid
    /// values fail the build with a `configuration` error worded in milliseconds.
    pub fn timeout_millis_f64(mut self, millis: f64) -> Self {
        self.timeout = Some(checked_timeout(millis, 1000.0, "milliseconds"));
        self
    }

    /// Connect timeout within each attempt (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// Retries after the first attempt (default 2; 0 disables retries).
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = Some(Ok(retries));
        self
    }

    /// [`ClientBuilder::max_retries`] for hosts with untyped numbers: negative, fractional
    /// or huge values fail the build with `configuration`.
    pub fn max_retries_f64(mut self, retries: f64) -> Self {
        self.max_retries = Some(
            if retries.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&retries) {
                Ok(retries as u32)
            } else {
                Err(format!("{retries}"))
            },
        );
        self
    }

    /// Names the binding and its host runtime in the `user-agent` (e.g. `node`, `v20.1.0`).
    pub fn binding(mut self, name: impl Into<String>, runtime_version: impl Into<String>) -> Self {
        self.binding = Some((name.into(), runtime_version.into()));
        self
    }

    /// Whether unset options are read from `REFOLD_*` environment variables (default true).
    pub fn read_environment_variables(mut self, read: bool) -> Self {
        self.read_env = Some(read);
        self
    }

    /// For dynamically typed hosts: records that `option` (named as the host spells it) got a
    /// value of the wrong type, described by `received`; `build` then fails with
    /// `configuration` saying it must be `expected`. The value itself is never shown.
    pub fn option_type_error(mut self, option: &str, expected: &str, received: &str) -> Self {
        if self.type_error.is_none() {
            self.type_error = Some(format!(
                "{} must be {}, not {}.",
                crate::redact::clean_line(option, 40),
                crate::redact::clean_line(expected, 60),
                crate::redact::clean_line(received, 40)
            ));
        }
        self
    }

    pub(crate) fn resolve(self) -> Result<ResolvedConfig, Error> {
        if let Some(message) = self.type_error {
            return Err(Error::configuration(message));
        }
        let read_env = self.read_env.unwrap_or(true);
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
        let api_key_header = reqwest::header::HeaderValue::from_str(&api_key)
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
        let endpoint = session_token_url(&base)?;

        let timeout = match self.timeout {
            None => DEFAULT_TIMEOUT,
            Some(Ok(timeout)) if !timeout.is_zero() => timeout,
            Some(Ok(_)) => return Err(Error::configuration("The timeout must be positive.")),
            Some(Err(message)) => return Err(Error::configuration(message)),
        };
        let max_retries = match self.max_retries {
            None => DEFAULT_MAX_RETRIES,
            Some(Ok(retries)) => retries,
            Some(Err(raw)) => {
                return Err(Error::configuration(format!(
                    "max retries must be a whole number of at least 0, not {raw}."
                )));
            }
        };
        let user_agent = user_agent(self.binding);

        Ok(ResolvedConfig {
            api_key,
            api_key_header,
            environment,
            endpoint,
            timeout,
            connect_timeout: self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT),
            max_retries,
            user_agent,
        })
    }
}

/// A timeout given as a number of `unit`s (`per_second` of them in a second), or the
/// message explaining why it is unusable.
fn checked_timeout(value: f64, per_second: f64, unit: &str) -> Result<Duration, String> {
    let seconds = value / per_second;
    if seconds.is_finite() && seconds > 0.0 && seconds < 1e9 {
        Ok(Duration::from_secs_f64(seconds))
    } else {
        Err(format!(
            "The timeout must be a positive number of {unit}, not {value}."
        ))
    }
}

/// Options after defaults, environment variables and validation.
#[derive(Clone)]
pub(crate) struct ResolvedConfig {
    pub api_key: String,
    pub api_key_header: reqwest::header::HeaderValue,
    pub environment: Environment,
    pub endpoint: Url,
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub max_retries: u32,
    pub user_agent: String,
}

/// `{base}/api/v2/public/session-token`, refusing anything that could leak the key.
fn session_token_url(base: &str) -> Result<Url, Error> {
    let shown = crate::redact::clean_line(base, 120);
    let url = Url::parse(base.trim()).map_err(|err| {
        Error::configuration(format!(
            "The base URL \"{shown}\" is not a valid URL ({err})."
        ))
    })?;
    let Some(host) = url.host_str() else {
        return Err(Error::configuration(format!(
            "The base URL \"{shown}\" has no host."
        )));
    };
    match url.scheme() {
        "https" => {}
        "http" if is_loopback_host(host) => {}
        "http" => {
            return Err(Error::configuration(format!(
                "The base URL \"{shown}\" uses plain http to a host that is not loopback, which \
                 would send the API key in clear text; use https://."
            )));
        }
        _ => {
            return Err(Error::configuration(format!(
                "The base URL \"{shown}\" must start with https:// (or http:// to a loopback host)."
            )));
        }
    }
    if !url.username().is_empty() || url.password().is_some() || url.query().is_some() {
        return Err(Error::configuration(format!(
            "The base URL \"{shown}\" must not carry credentials or a query string."
        )));
    }
    let path = format!("{}{SESSION_TOKEN_PATH}", url.path().trim_end_matches('/'));
    let mut endpoint = url;
    endpoint.set_path(&path);
    endpoint.set_fragment(None);
    Ok(endpoint)
}

fn is_loopback_host(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
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
    use crate::ErrorCode;

    fn builder() -> ClientBuilder {
        ClientBuilder::default()
            .read_environment_variables(false)
            .api_key("k")
    }

    fn config_error(builder: ClientBuilder) -> Error {
        match builder.resolve() {
            Ok(_) => panic!("expected a configuration error"),
            Err(err) => err,
        }
    }

    #[test]
    fn defaults_point_at_production() {
        let config = builder().resolve().unwrap();
        assert_eq!(
            config.endpoint.as_str(),
            "https://api.gocobalt.io/api/v2/public/session-token"
        );
        assert_eq!(config.timeout, DEFAULT_TIMEOUT);
        assert_eq!(config.max_retries, 2);
        assert!(config.user_agent.starts_with("refold-session/"));
        assert!(config.user_agent.contains("(rust "));
    }

    #[test]
    fn environments_and_overrides() {
        let sandbox = builder().environment_name("Sandbox").resolve().unwrap();
        assert_eq!(sandbox.endpoint.host_str(), Some("embedapi.gocobalt.io"));
        let staging = builder()
            .environment(Environment::Staging)
            .resolve()
            .unwrap();
        assert_eq!(staging.endpoint.host_str(), Some("sapis.gocobalt.io"));
        let local = builder()
            .environment(Environment::Sandbox)
            .base_url("http://127.0.0.1:8787/")
            .resolve()
            .unwrap();
        assert_eq!(
            local.endpoint.as_str(),
            "http://127.0.0.1:8787/api/v2/public/session-token"
        );
        let prefixed = builder()
            .base_url("https://proxy.example/refold")
            .resolve()
            .unwrap();
        assert_eq!(
            prefixed.endpoint.path(),
            "/refold/api/v2/public/session-token"
        );
    }

    #[test]
    fn loopback_http_only() {
        for ok in [
            "http://localhost:1",
            "http://127.0.0.9:1",
            "http://[::1]:1",
            "https://x.example",
        ] {
            builder()
                .base_url(ok)
                .resolve()
                .unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
        for bad in [
            "http://10.0.0.1",
            "http://example.com",
            "ftp://127.0.0.1",
            "not a url",
            "https://user:pw@x.example",
            "https://x.example/?a=1",
            "file:///etc/passwd",
        ] {
            assert_eq!(
                config_error(builder().base_url(bad)).code(),
                ErrorCode::Configuration,
                "{bad}"
            );
        }
    }

    #[test]
    fn bad_options_are_configuration_errors() {
        let cases = [
            ClientBuilder::default().read_environment_variables(false),
            builder().api_key("   "),
            builder().api_key("key with space"),
            builder().api_key("key\nnewline"),
            builder().environment_name("moon"),
            builder().timeout(Duration::ZERO),
            builder().timeout_secs_f64(-1.0),
            builder().timeout_secs_f64(f64::NAN),
            builder().timeout_millis_f64(-5.0),
            builder().timeout_millis_f64(f64::INFINITY),
            builder().max_retries_f64(-1.0),
            builder().max_retries_f64(1.5),
        ];
        for case in cases {
            let err = config_error(case);
            assert_eq!(err.code(), ErrorCode::Configuration);
            assert_eq!(err.attempts(), 0);
        }
    }

    #[test]
    fn messages_never_echo_the_key() {
        let key = "sk_test_DISTINCTIVE with space";
        let err = config_error(builder().api_key(key));
        assert!(!err.message().contains("DISTINCTIVE"));
        let debug = format!("{:?}", builder().api_key("sk_test_DISTINCTIVE"));
        assert!(!debug.contains("DISTINCTIVE"), "{debug}");
    }

    #[test]
    fn timeout_errors_speak_the_unit_given() {
        let err = config_error(builder().timeout_millis_f64(-5.0));
        assert_eq!(
            err.message(),
            "The timeout must be a positive number of milliseconds, not -5."
        );
        let err = config_error(builder().timeout_secs_f64(0.0));
        assert_eq!(
            err.message(),
            "The timeout must be a positive number of seconds, not 0."
        );
        let ok = builder().timeout_millis_f64(250.0).resolve().unwrap();
        assert_eq!(ok.timeout, Duration::from_millis(250));
    }

    #[test]
    fn option_type_errors_fail_the_build() {
        let err = config_error(builder().option_type_error("timeoutMs", "a number", "string"));
        assert_eq!(err.code(), ErrorCode::Configuration);
        assert_eq!(err.message(), "timeoutMs must be a number, not string.");
    }

    #[test]
    fn binding_names_the_runtime() {
        let config = builder().binding("node", "v20.1.0").resolve().unwrap();
        assert!(
            config.user_agent.ends_with("(node v20.1.0)"),
            "{}",
            config.user_agent
        );
    }
}
