//! Settings of an emulator instance.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use crate::rate_limit::RateLimit;

/// The API key accepted when [`EmulatorConfig::api_keys`] is empty.
pub const DEFAULT_API_KEY: &str = "emulator-key";
/// The address used by [`EmulatorConfig::default`].
pub const DEFAULT_ADDR: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::LOCALHOST), 8787);
/// Lifetime of minted tokens by default: 7 days, what Refold's documented
/// answer implies (`expires_in` 599747 and `refresh_expires_in` 2586947 are
/// 7 and 30 days less the same 5053 s).
pub const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(7 * 86_400);
/// Lifetime of refresh tokens (at least the session token's): 30 days, as
/// the same documented answer implies.
pub const DEFAULT_REFRESH_TOKEN_TTL: Duration = Duration::from_secs(30 * 86_400);
/// The lifetime the older session-token guide documents ("expires in 24
/// hrs"); the CLI's default with `--legacy-session-token`.
pub const LEGACY_TOKEN_TTL: Duration = Duration::from_secs(86_400);
/// Longest accepted token lifetime: 10 years of 365 days, in seconds.
pub const MAX_TOKEN_TTL_SECS: u64 = 10 * 365 * 86_400;
/// The wait before the first retry of a failed webhook delivery by
/// default; each later retry waits twice as long.
pub const DEFAULT_WEBHOOK_BACKOFF: Duration = Duration::from_secs(1);
/// Bounds of [`EmulatorConfig::webhook_backoff`].
pub const MIN_WEBHOOK_BACKOFF: Duration = Duration::from_millis(1);
pub const MAX_WEBHOOK_BACKOFF: Duration = Duration::from_secs(60);
/// How long a scheduler minute lasts by default: a real one.
pub const DEFAULT_SCHEDULE_MINUTE: Duration = Duration::from_secs(60);
/// Bounds of [`EmulatorConfig::schedule_minute`]: the shortest keeps a
/// `* * * * *` schedule from firing more than 100 times a second.
pub const MIN_SCHEDULE_MINUTE: Duration = Duration::from_millis(10);
pub const MAX_SCHEDULE_MINUTE: Duration = Duration::from_secs(3600);
/// How long an asynchronous workflow execution runs by default.
pub const DEFAULT_EXECUTION_TIME: Duration = Duration::from_millis(50);
/// Longest [`EmulatorConfig::execution_time`].
pub const MAX_EXECUTION_TIME: Duration = Duration::from_secs(600);

/// How an [`Emulator`](crate::Emulator) behaves.
///
/// All fields are public so callers (the CLI, tests) can fill them in directly;
/// start from [`EmulatorConfig::default`] and override what matters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmulatorConfig {
    /// Where to listen. Must be a loopback address; port 0 picks a free port.
    pub addr: SocketAddr,
    /// Accepted `x-api-key` values. Empty means `["emulator-key"]`.
    pub api_keys: Vec<String>,
    /// Linked accounts known from the start (more can be created over HTTP).
    pub linked_accounts: Vec<String>,
    /// Accept every linked account id, known or not.
    pub any_linked_account: bool,
    /// The `org_id` claim of minted tokens.
    pub org_id: String,
    /// The HMAC-SHA256 key that signs minted tokens.
    pub signing_secret: Vec<u8>,
    /// Lifetime of minted tokens: `exp = iat + token_ttl` (whole seconds;
    /// a fraction is dropped). From 1 s to [`MAX_TOKEN_TTL_SECS`]; default
    /// [`DEFAULT_TOKEN_TTL`] (24 h). `POST /__emulator/config` changes it at
    /// run time and `POST /__emulator/reset` restores this value.
    pub token_ttl: Duration,
    /// Answer `POST /api/v2/public/session-token` as Refold's older guide
    /// documents: `{"token"}` only, a new token every time, an unknown
    /// account a 500, errors with `error_code` and `request_id`.
    pub legacy_session_token: bool,
    /// The request budget per API key (and per org for session-token
    /// calls); `None` admits everything. Default: Refold's 20/s, bursts of 5.
    /// Tests that do not test the limit turn it off.
    pub rate_limit: Option<RateLimit>,
    /// The wait before the first retry of a webhook delivery that did not
    /// get a 200 (then twice as long, then four times: Refold retries 3
    /// times with exponential backoff). From 1 ms to 60 s; default 1 s.
    pub webhook_backoff: Duration,
    /// How long a minute of the scheduler lasts: schedules fire on a clock
    /// that advances one minute per `schedule_minute` (from the start
    /// time), so tests can run a cron schedule quickly. From 10 ms to 1 h;
    /// default a real minute.
    pub schedule_minute: Duration,
    /// How long an asynchronous workflow execution stays `RUNNING` before
    /// it completes (or errors). Up to 600 s; default 50 ms.
    pub execution_time: Duration,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            addr: DEFAULT_ADDR,
            api_keys: Vec::new(),
            linked_accounts: Vec::new(),
            any_linked_account: false,
            org_id: "emulator-org".to_owned(),
            signing_secret: b"refold-emulator-secret".to_vec(),
            token_ttl: DEFAULT_TOKEN_TTL,
            legacy_session_token: false,
            rate_limit: Some(RateLimit::REFOLD),
            webhook_backoff: DEFAULT_WEBHOOK_BACKOFF,
            schedule_minute: DEFAULT_SCHEDULE_MINUTE,
            execution_time: DEFAULT_EXECUTION_TIME,
        }
    }
}

impl EmulatorConfig {
    /// Rejects settings the server must never run with.
    pub(crate) fn validate(&self) -> io::Result<()> {
        // The control plane has no authentication, so it must not be reachable
        // from other machines.
        if !self.addr.ip().is_loopback() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "the emulator only binds loopback addresses, not {}",
                    self.addr
                ),
            ));
        }
        if self.api_keys.iter().any(String::is_empty) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "an API key must not be empty",
            ));
        }
        let ttl = self.token_ttl.as_secs();
        if !(1..=MAX_TOKEN_TTL_SECS).contains(&ttl) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "the token lifetime must be from 1 to {MAX_TOKEN_TTL_SECS} seconds, not {ttl}"
                ),
            ));
        }
        if let Some(limit) = self.rate_limit {
            limit
                .validate()
                .map_err(|problem| io::Error::new(io::ErrorKind::InvalidInput, problem))?;
        }
        let bounded = |what: &str, value: Duration, min: Duration, max: Duration| {
            if (min..=max).contains(&value) {
                Ok(())
            } else {
                Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("{what} must be from {min:?} to {max:?}, not {value:?}"),
                ))
            }
        };
        bounded(
            "the webhook backoff",
            self.webhook_backoff,
            MIN_WEBHOOK_BACKOFF,
            MAX_WEBHOOK_BACKOFF,
        )?;
        bounded(
            "the scheduler minute",
            self.schedule_minute,
            MIN_SCHEDULE_MINUTE,
            MAX_SCHEDULE_MINUTE,
        )?;
        bounded(
            "the execution time",
            self.execution_time,
            Duration::ZERO,
            MAX_EXECUTION_TIME,
        )?;
        Ok(())
    }

    /// The accepted keys, with the default applied.
    pub(crate) fn effective_api_keys(&self) -> Vec<String> {
        if self.api_keys.is_empty() {
            vec![DEFAULT_API_KEY.to_owned()]
        } else {
            self.api_keys.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_loopback_8787_with_default_key() {
        let config = EmulatorConfig::default();
        assert_eq!(config.addr.to_string(), "127.0.0.1:8787");
        assert!(config.validate().is_ok());
        assert_eq!(config.effective_api_keys(), vec!["emulator-key".to_owned()]);
    }

    #[test]
    fn non_loopback_is_rejected() {
        let config = EmulatorConfig {
            addr: "0.0.0.0:0".parse().unwrap(),
            ..EmulatorConfig::default()
        };
        let err = config.validate().unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("loopback"));
    }

    #[test]
    fn token_ttl_must_be_one_second_to_ten_years() {
        assert_eq!(
            EmulatorConfig::default().token_ttl,
            Duration::from_secs(604_800)
        );
        for (secs, ok) in [
            (0, false),
            (1, true),
            (MAX_TOKEN_TTL_SECS, true),
            (MAX_TOKEN_TTL_SECS + 1, false),
        ] {
            let config = EmulatorConfig {
                token_ttl: Duration::from_secs(secs),
                ..EmulatorConfig::default()
            };
            assert_eq!(config.validate().is_ok(), ok, "{secs} s");
        }
        let sub_second = EmulatorConfig {
            token_ttl: Duration::from_millis(999),
            ..EmulatorConfig::default()
        };
        assert!(
            sub_second
                .validate()
                .unwrap_err()
                .to_string()
                .contains("token lifetime")
        );
    }

    #[test]
    fn ipv6_loopback_is_accepted() {
        let config = EmulatorConfig {
            addr: "[::1]:0".parse().unwrap(),
            ..EmulatorConfig::default()
        };
        assert!(config.validate().is_ok());
    }

    #[test]
    fn rate_limit_defaults_to_refolds_and_is_checked() {
        assert_eq!(
            EmulatorConfig::default().rate_limit,
            Some(RateLimit::REFOLD)
        );
        for (requests, burst, ok) in [(0, 5, false), (20, 0, false), (1_000_000, 1, true)] {
            let config = EmulatorConfig {
                rate_limit: Some(RateLimit {
                    requests,
                    burst,
                    ..RateLimit::REFOLD
                }),
                ..EmulatorConfig::default()
            };
            assert_eq!(config.validate().is_ok(), ok, "{requests}/s,{burst}");
        }
    }
}
