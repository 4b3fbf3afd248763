//! The rate a budget actually uses: the configured one until the server answers 429, then
//! halved (once per generation of requests) and raised again linearly while the server accepts
//! (AIMD), so a server limit lower than configured is found instead of stormed.

use tokio::time::Instant;

/// A 429 multiplies the rate by this.
const DECREASE_FACTOR: f64 = 0.5;
/// The rate is never cut below this many requests per second (or the configured rate if lower):
/// a budget that stopped entirely could never learn the limit came back.
const MIN_ADAPTIVE_RATE: f64 = 1.0;
/// Each second of accepted responses gives back this fraction of the configured rate, so a
/// halved budget is whole again after 10 s whatever its size (20/s: 1/s per second).
const INCREASE_PER_SECOND: f64 = 0.05;

#[derive(Debug)]
pub(crate) struct Adaptive {
    configured: f64,
    current: f64,
    /// Bumped by every cut; admissions carry the value they were made under.
    epoch: u64,
    last_change: Instant,
}

impl Adaptive {
    pub(crate) fn new(configured: f64, now: Instant) -> Adaptive {
        Adaptive {
            configured,
            current: configured,
            epoch: 0,
            last_change: now,
        }
    }

    /// Requests per second to pace at now.
    pub(crate) fn rate(&self) -> f64 {
        self.current
    }

    pub(crate) fn epoch(&self) -> u64 {
        self.epoch
    }

    /// Whether the rate is the configured one.
    pub(crate) fn is_settled(&self) -> bool {
        self.current >= self.configured
    }

    /// A 429 to a request admitted in `epoch`. Only a request paced at the current rate says
    /// the current rate is too high: 429s to requests sent before the last cut do not cut again.
    /// Returns whether the rate was cut.
    pub(crate) fn on_rejected(&mut self, epoch: u64, now: Instant) -> bool {
        if epoch != self.epoch {
            return false;
        }
        let floor = MIN_ADAPTIVE_RATE.min(self.configured);
        self.current = (self.current * DECREASE_FACTOR).max(floor);
        self.epoch += 1;
        self.last_change = now;
        true
    }

    /// A response other than 429: the rate grows back toward the configured one.
    pub(crate) fn on_accepted(&mut self, now: Instant) {
        if self.is_settled() {
            self.last_change = now;
            return;
        }
        let seconds = now
            .saturating_duration_since(self.last_change)
            .as_secs_f64();
        let step = self.configured * INCREASE_PER_SECOND * seconds;
        self.current = (self.current + step).min(self.configured);
        self.last_change = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_429_halves_once_per_generation_down_to_the_floor() {
        let start = Instant::now();
        let mut rate = Adaptive::new(20.0, start);
        assert!(rate.on_rejected(0, start));
        assert_eq!((rate.rate(), rate.epoch()), (10.0, 1));
        // Three more 429s to requests sent before the cut: no further cut.
        for _ in 0..3 {
            assert!(!rate.on_rejected(0, start));
        }
        assert_eq!(rate.rate(), 10.0);
        for epoch in 1..20 {
            rate.on_rejected(epoch, start);
        }
        assert_eq!(rate.rate(), 1.0);
        let mut slow = Adaptive::new(0.5, start);
        slow.on_rejected(0, start);
        assert_eq!(
            slow.rate(),
            0.5,
            "never below a configured rate under the floor"
        );
    }

    #[test]
    fn accepted_responses_restore_the_rate_in_ten_seconds() {
        let start = Instant::now();
        let mut rate = Adaptive::new(20.0, start);
        rate.on_rejected(0, start);
        rate.on_accepted(start + Duration::from_secs(4));
        assert!((rate.rate() - 14.0).abs() < 1e-9);
        rate.on_accepted(start + Duration::from_secs(9));
        assert!((rate.rate() - 19.0).abs() < 1e-9);
        rate.on_accepted(start + Duration::from_secs(30));
        assert_eq!(rate.rate(), 20.0);
        assert!(rate.is_settled());
    }
}
