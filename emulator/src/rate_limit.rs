//! The request budget Refold enforces (20 requests per second with bursts
//! of 5), as a GCRA limiter per budget: each API key has its own, and
//! requests authenticated by a session token count against the org.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Largest accepted rate and burst: high enough to scale fleet tests up
/// with the ratio kept, small enough for exact nanosecond arithmetic.
pub const MAX_RATE_REQUESTS: u32 = 1_000_000;
pub const MAX_RATE_BURST: u32 = 1_000_000;

/// How many requests a budget admits: `requests` per `per` on average, and
/// up to `burst` at one instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    pub requests: u32,
    pub per: RatePeriod,
    pub burst: u32,
}

/// The period of a [`RateLimit`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RatePeriod {
    Second,
    Minute,
}

impl RateLimit {
    /// Refold's documented limit: 20 per second, bursts of 5.
    pub const REFOLD: RateLimit = RateLimit {
        requests: 20,
        per: RatePeriod::Second,
        burst: 5,
    };

    /// Parses `20/s,5`, `20/s` (burst a quarter of the rate, at least 1,
    /// Refold's ratio), `30/min,2`, or `off` (`None`).
    pub fn parse(text: &str) -> Result<Option<RateLimit>, String> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("off") {
            return Ok(None);
        }
        let expected = || {
            format!(
                "expected a rate limit such as `20/s,5` (REQUESTS/s or REQUESTS/min, then \
                 an optional ,BURST) or `off`, not {text:?}"
            )
        };
        let (rate, burst) = match text.split_once(',') {
            Some((rate, burst)) => (rate.trim(), Some(burst.trim())),
            None => (text, None),
        };
        let (requests, per) = rate.split_once('/').ok_or_else(expected)?;
        let per = match per.trim() {
            "s" | "sec" | "second" => RatePeriod::Second,
            "m" | "min" | "minute" => RatePeriod::Minute,
            _ => return Err(expected()),
        };
        let number = |raw: &str, what: &str, max: u32| {
            raw.parse::<u32>()
                .ok()
                .filter(|n| (1..=max).contains(n) && raw.bytes().all(|b| b.is_ascii_digit()))
                .ok_or_else(|| {
                    format!("the {what} must be a whole number from 1 to {max}: {text:?}")
                })
        };
        let requests = number(requests.trim(), "rate", MAX_RATE_REQUESTS)?;
        let burst = match burst {
            Some(burst) => number(burst, "burst", MAX_RATE_BURST)?,
            None => requests.div_ceil(4),
        };
        Ok(Some(RateLimit {
            requests,
            per,
            burst,
        }))
    }

    /// Checks a limit built field by field (the parser checks its own).
    pub(crate) fn validate(&self) -> Result<(), String> {
        if !(1..=MAX_RATE_REQUESTS).contains(&self.requests) {
            return Err(format!(
                "the rate limit's rate must be from 1 to {MAX_RATE_REQUESTS}, not {}",
                self.requests
            ));
        }
        if !(1..=MAX_RATE_BURST).contains(&self.burst) {
            return Err(format!(
                "the rate limit's burst must be from 1 to {MAX_RATE_BURST}, not {}",
                self.burst
            ));
        }
        Ok(())
    }

    /// The time between two requests at the sustained rate, in nanoseconds.
    fn interval_nanos(&self) -> u64 {
        let period: u64 = match self.per {
            RatePeriod::Second => 1_000_000_000,
            RatePeriod::Minute => 60_000_000_000,
        };
        period / u64::from(self.requests)
    }
}

impl fmt::Display for RateLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let per = match self.per {
            RatePeriod::Second => "s",
            RatePeriod::Minute => "min",
        };
        write!(f, "{}/{per},{}", self.requests, self.burst)
    }
}

/// Whose budget a request spends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Budget {
    /// The configured API key at this index.
    ApiKey(usize),
    /// The org, for requests authenticated by one of its session tokens.
    Org,
    /// Requests with neither a known key nor a valid token share one.
    Unauthenticated,
}

/// The limiter's verdict on one request.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Decision {
    Admitted,
    /// Refused; the budget admits a request again after this long.
    Refused(Duration),
}

/// GCRA state per budget: the theoretical arrival time of the next request
/// at the sustained rate, in nanoseconds since the limiter started.
pub(crate) struct Limiter {
    epoch: Instant,
    inner: Mutex<LimiterInner>,
}

struct LimiterInner {
    limit: Option<RateLimit>,
    /// Bounded by the configured keys plus two.
    next_arrival: HashMap<Budget, u64>,
}

impl Limiter {
    pub(crate) fn new(limit: Option<RateLimit>) -> Self {
        Self {
            epoch: Instant::now(),
            inner: Mutex::new(LimiterInner {
                limit,
                next_arrival: HashMap::new(),
            }),
        }
    }

    /// Admits or refuses one request of `budget`, now. The clock is read
    /// under the lock, so concurrent requests are decided in one order.
    pub(crate) fn check(&self, budget: Budget) -> Decision {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(limit) = inner.limit else {
            return Decision::Admitted;
        };
        let now = u64::try_from(self.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX);
        let interval = limit.interval_nanos();
        let tolerance = interval * u64::from(limit.burst - 1);
        let arrival = inner
            .next_arrival
            .get(&budget)
            .copied()
            .unwrap_or(0)
            .max(now);
        let allowed_from = arrival - tolerance.min(arrival);
        if now < allowed_from {
            return Decision::Refused(Duration::from_nanos(allowed_from - now));
        }
        inner.next_arrival.insert(budget, arrival + interval);
        Decision::Admitted
    }

    pub(crate) fn limit(&self) -> Option<RateLimit> {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .limit
    }

    /// Sets the limit; every budget starts afresh.
    pub(crate) fn set_limit(&self, limit: Option<RateLimit>) {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner.limit = limit;
        inner.next_arrival.clear();
    }
}

/// `Retry-After` in whole seconds, rounded up (never 0).
pub(crate) fn retry_after_seconds(wait: Duration) -> u64 {
    wait.as_nanos().div_ceil(1_000_000_000).max(1) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit(requests: u32, burst: u32) -> Option<RateLimit> {
        Some(RateLimit {
            requests,
            per: RatePeriod::Second,
            burst,
        })
    }

    #[test]
    fn parses_rates_bursts_and_off() {
        assert_eq!(RateLimit::parse("20/s,5"), Ok(Some(RateLimit::REFOLD)));
        assert_eq!(RateLimit::parse(" 20/s , 5 "), Ok(Some(RateLimit::REFOLD)));
        assert_eq!(RateLimit::parse("20/s"), Ok(Some(RateLimit::REFOLD)));
        assert_eq!(RateLimit::parse("1/s"), Ok(limit(1, 1)));
        assert_eq!(RateLimit::parse("OFF"), Ok(None));
        assert_eq!(
            RateLimit::parse("30/min,2"),
            Ok(Some(RateLimit {
                requests: 30,
                per: RatePeriod::Minute,
                burst: 2
            }))
        );
        assert_eq!(
            RateLimit::parse("1000000/s,1000000"),
            Ok(limit(1_000_000, 1_000_000))
        );
        for bad in [
            "",
            "20",
            "20/h,5",
            "0/s,5",
            "20/s,0",
            "-1/s",
            "+5/s",
            "20/s,",
            "1000001/s",
            "20/s,1000001",
            "20/s,5,6",
            "1.5/s",
            "on",
        ] {
            assert!(RateLimit::parse(bad).is_err(), "{bad}");
        }
        for text in ["20/s,5", "30/min,2", "1000000/s,1"] {
            assert_eq!(RateLimit::parse(text).unwrap().unwrap().to_string(), text);
        }
    }

    #[test]
    fn a_burst_then_one_per_interval() {
        let limiter = Limiter::new(limit(10, 3));
        for _ in 0..3 {
            assert_eq!(limiter.check(Budget::ApiKey(0)), Decision::Admitted);
        }
        let Decision::Refused(wait) = limiter.check(Budget::ApiKey(0)) else {
            panic!("the fourth request at once is refused");
        };
        assert!(wait <= Duration::from_millis(100), "{wait:?}");
        // Other budgets are untouched.
        assert_eq!(limiter.check(Budget::Org), Decision::Admitted);
        assert_eq!(limiter.check(Budget::ApiKey(1)), Decision::Admitted);
        std::thread::sleep(wait);
        assert_eq!(limiter.check(Budget::ApiKey(0)), Decision::Admitted);
    }

    #[test]
    fn off_admits_everything_and_changes_start_afresh() {
        let limiter = Limiter::new(None);
        for _ in 0..1000 {
            assert_eq!(limiter.check(Budget::Unauthenticated), Decision::Admitted);
        }
        limiter.set_limit(limit(1, 1));
        assert_eq!(limiter.check(Budget::Org), Decision::Admitted);
        assert!(matches!(limiter.check(Budget::Org), Decision::Refused(_)));
        limiter.set_limit(limit(1, 1));
        assert_eq!(limiter.check(Budget::Org), Decision::Admitted);
    }

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(retry_after_seconds(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_seconds(Duration::from_millis(1000)), 1);
        assert_eq!(retry_after_seconds(Duration::from_millis(1001)), 2);
        assert_eq!(retry_after_seconds(Duration::ZERO), 1);
    }
}
