//! The budget's vocabulary: the configured limit and its bounds, priorities, admissions and
//! refusals (as the caller's `rate_limited` error), the counters, and the scope a budget limits.

use std::fmt;
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::error::{Error, ErrorCode};

/// Refold's documented limit: requests per second.
pub(crate) const DEFAULT_REQUESTS_PER_SECOND: f64 = 20.0;
/// Refold's documented burst.
pub(crate) const DEFAULT_BURST: u32 = 5;
/// Slowest rate accepted: one request per 100 s (a slower one is surely a mistake, and the
/// emission interval stays small enough to add to any instant).
pub(crate) const MIN_REQUESTS_PER_SECOND: f64 = 0.01;
/// Fastest rate accepted: beyond it the budget would be finer than the timer that paces it.
pub(crate) const MAX_REQUESTS_PER_SECOND: f64 = 100_000.0;
/// Largest burst accepted.
pub(crate) const MAX_BURST: u32 = 10_000;
/// Most interactive calls waiting for their turn in one budget; beyond it a call is refused at
/// once (it would wait 500 s at the documented rate anyway).
pub(crate) const MAX_WAITERS: usize = 10_000;
/// Most background calls waiting for spare budget in one budget.
pub(crate) const MAX_BACKGROUND_WAITERS: usize = 10_000;
/// Longest any admission waits, whatever deadline the caller gives.
pub(crate) const MAX_ADMISSION_WAIT: Duration = Duration::from_secs(600);

/// The deadline of an admission for a call allowed to wait `timeout` (capped, so no
/// caller's number overflows an instant or sizes a sleep).
pub(crate) fn deadline_within(timeout: Duration) -> tokio::time::Instant {
    tokio::time::Instant::now() + timeout.min(MAX_ADMISSION_WAIT)
}

/// The budget's configured rate: `requests_per_second` on average, `burst` at once.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct RateLimit {
    pub(super) requests_per_second: f64,
    pub(super) burst: u32,
}

impl Default for RateLimit {
    fn default() -> RateLimit {
        RateLimit {
            requests_per_second: DEFAULT_REQUESTS_PER_SECOND,
            burst: DEFAULT_BURST,
        }
    }
}

impl RateLimit {
    /// A checked limit: the rate from 0.01 to 100,000 per second, the burst from 1 to 10,000.
    pub(crate) fn new(requests_per_second: f64, burst: u32) -> Result<RateLimit, Error> {
        if !(MIN_REQUESTS_PER_SECOND..=MAX_REQUESTS_PER_SECOND).contains(&requests_per_second) {
            return Err(Error::configuration(format!(
                "The rate limit's requests per second must be a number from \
                 {MIN_REQUESTS_PER_SECOND} to {MAX_REQUESTS_PER_SECOND}, not \
                 {requests_per_second}."
            )));
        }
        if !(1..=MAX_BURST).contains(&burst) {
            return Err(Error::configuration(format!(
                "The rate limit's burst must be a whole number from 1 to {MAX_BURST}, not \
                 {burst}."
            )));
        }
        Ok(RateLimit {
            requests_per_second,
            burst,
        })
    }

    pub(crate) fn requests_per_second(&self) -> f64 {
        self.requests_per_second
    }

    pub(crate) fn burst(&self) -> u32 {
        self.burst
    }
}

impl fmt::Display for RateLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} requests/s with bursts of {}",
            self.requests_per_second, self.burst
        )
    }
}

/// Who is asking. Interactive calls (a user waiting, `fresh` included) go first; background
/// ones (the cache's refresh-ahead, the fleet store's refreshes) only take a slot from a full
/// bucket, so they never delay an interactive call by more than one emission interval.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Priority {
    Interactive,
    Background,
}

/// A granted slot: send the request now, then report its response with
/// [`Budget::on_response`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct Admission {
    pub(super) waited: Duration,
    /// The adaptive rate's generation when admitted: a 429 to a request sent before the last
    /// cut does not cut again.
    pub(super) epoch: u64,
}

impl Admission {
    /// How long the call waited for its turn (for the observability record).
    pub(crate) fn waited(&self) -> Duration {
        self.waited
    }
}

/// Why a call was refused without sending anything.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RefusedBecause {
    /// Its turn would come after its deadline.
    Deadline,
    /// [`MAX_WAITERS`] calls were already waiting.
    QueueFull,
    /// A background call found no spare budget before its deadline.
    NoSpareBudget,
}

/// A call the budget turned away: nothing was sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Refused {
    pub because: RefusedBecause,
    /// When a slot is expected (the call's turn, had it been allowed to wait).
    pub retry_after: Duration,
}

impl Refused {
    /// The `rate_limited` error the caller sees (nothing sent, `retry_after` set).
    pub(crate) fn into_error(self, limit: RateLimit) -> Error {
        let why = match self.because {
            RefusedBecause::Deadline => "has no free slot before this call's timeout".to_owned(),
            RefusedBecause::QueueFull => {
                format!("already has {MAX_WAITERS} calls waiting for their turn")
            }
            RefusedBecause::NoSpareBudget => {
                "has no spare slot for a background refresh".to_owned()
            }
        };
        Error::new(
            ErrorCode::RateLimited,
            format!(
                "The request budget for Refold's rate limit ({limit}) {why}; nothing was sent. \
                 Retry in {:.3} s.",
                self.retry_after.as_secs_f64()
            ),
        )
        .with_retry_after(Some(self.retry_after))
        .with_retryable(true)
        .with_nothing_sent(true)
    }
}

/// A budget's counters since it was made (shared by every client using it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct BudgetStats {
    /// Calls admitted (then sent).
    pub admitted: u64,
    /// Admitted calls that waited for their turn.
    pub waits: u64,
    /// Total time admitted calls waited, in milliseconds.
    pub waited_ms: u64,
    /// Calls refused without sending (deadline, full queue, no spare budget).
    pub refused_locally: u64,
    /// 429 responses seen.
    pub rejected_by_server: u64,
    /// Background calls that found no spare budget at first (then waited or were refused).
    pub background_deferred: u64,
    /// Admissions decided by the local share because the fleet's Redis failed.
    pub fleet_fallbacks: u64,
}

/// What a budget limits: a digest of the API key and the base URL (the key never kept).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Scope([u8; 16]);

impl Scope {
    pub(crate) fn of(api_key: &str, base_url: &str) -> Scope {
        let mut digest = Sha256::new();
        digest.update(b"refold-session rate limit\0");
        digest.update(api_key.as_bytes());
        digest.update([0]);
        digest.update(base_url.as_bytes());
        let digest = digest.finalize();
        let mut scope = [0; 16];
        scope.copy_from_slice(&digest[..16]);
        Scope(scope)
    }

    /// 32 hex digits, for Redis key names.
    pub(crate) fn hex(&self) -> String {
        self.0.iter().map(|byte| format!("{byte:02x}")).collect()
    }
}

impl fmt::Debug for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Scope({}…)", &self.hex()[..8])
    }
}
