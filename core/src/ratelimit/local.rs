//! The in-process ledger of a budget: GCRA with one theoretical arrival time (TAT). The Redis
//! script (`gcra.lua`) answers the same questions with the same arithmetic for the fleet.
//!
//! With emission interval `T` and burst `B`, a slot is free now when
//! `max(TAT, now) + T <= now + (B - reserve) × T`; taking it sets `TAT = max(TAT, now) + T`.
//! So a full bucket (`TAT <= now`) admits `B` at once, then one per `T`.

use std::time::Duration;

use tokio::time::Instant;

/// One request for a slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Ask {
    /// Time between two slots at the current rate.
    pub interval: Duration,
    /// Slots that may go at once.
    pub burst: u32,
    /// Slots that must stay free after this one (background calls leave `burst - 1`: they only
    /// take from a full bucket).
    pub reserve: u32,
}

/// A ledger's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    Admitted,
    /// No slot now; one would be free after this long if nobody else took it.
    RetryIn(Duration),
}

/// The theoretical arrival time of one budget.
#[derive(Debug)]
pub(crate) struct LocalLedger {
    tat: Instant,
}

impl LocalLedger {
    /// A full bucket.
    pub(crate) fn new(now: Instant) -> LocalLedger {
        LocalLedger { tat: now }
    }

    /// The TAT after one more slot.
    pub(crate) fn next_arrival(&self, now: Instant, ask: Ask) -> Instant {
        self.tat.max(now) + ask.interval
    }

    /// Takes a slot if one is free now.
    pub(crate) fn ask(&mut self, now: Instant, ask: Ask) -> Verdict {
        let next = self.next_arrival(now, ask);
        let room = ask
            .interval
            .saturating_mul(ask.burst.saturating_sub(ask.reserve).max(1));
        let limit = now + room;
        if next <= limit {
            self.tat = next;
            Verdict::Admitted
        } else {
            Verdict::RetryIn(next - limit)
        }
    }

    /// After a 429: nothing before `until`, then one slot per interval (no burst).
    pub(crate) fn hold(&mut self, until: Instant, ask: Ask) {
        let held = until + ask.interval.saturating_mul(ask.burst.saturating_sub(1));
        self.tat = self.tat.max(held);
    }

    /// Whether every slot of the burst is free (nothing is owed).
    pub(crate) fn is_full(&self, now: Instant) -> bool {
        self.tat <= now
    }
}

/// The time between two slots at `requests_per_second`, rounded up so the budget never runs
/// faster than asked.
pub(crate) fn interval(requests_per_second: f64) -> Duration {
    let nanos = (1e9 / requests_per_second).ceil();
    // The rate is checked (0.01 to 100,000 per second, or a share of it), so this is at most
    // a few thousand seconds; the clamp only keeps a bug from panicking.
    Duration::from_nanos(nanos.clamp(1.0, 1e13) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Duration = Duration::from_millis(10);

    fn ask(burst: u32, reserve: u32) -> Ask {
        Ask {
            interval: T,
            burst,
            reserve,
        }
    }

    #[test]
    fn a_full_bucket_admits_the_burst_then_one_per_interval() {
        let start = Instant::now();
        let mut ledger = LocalLedger::new(start);
        for _ in 0..5 {
            assert_eq!(ledger.ask(start, ask(5, 0)), Verdict::Admitted);
        }
        assert_eq!(ledger.ask(start, ask(5, 0)), Verdict::RetryIn(T));
        assert_eq!(
            ledger.ask(start + T / 2, ask(5, 0)),
            Verdict::RetryIn(T / 2)
        );
        assert_eq!(ledger.ask(start + T, ask(5, 0)), Verdict::Admitted);
        assert_eq!(ledger.ask(start + T, ask(5, 0)), Verdict::RetryIn(T));
        // Idle until every slot is repaid: full again.
        assert!(!ledger.is_full(start + 5 * T));
        assert!(ledger.is_full(start + 6 * T));
        for _ in 0..5 {
            assert_eq!(ledger.ask(start + 10 * T, ask(5, 0)), Verdict::Admitted);
        }
    }

    #[test]
    fn a_reserve_takes_only_from_a_full_bucket() {
        let start = Instant::now();
        let mut ledger = LocalLedger::new(start);
        assert_eq!(ledger.ask(start, ask(5, 4)), Verdict::Admitted);
        // One slot owed: a background ask waits until it is repaid, an interactive one does not.
        assert_eq!(ledger.ask(start, ask(5, 4)), Verdict::RetryIn(T));
        assert_eq!(ledger.ask(start, ask(5, 0)), Verdict::Admitted);
        assert_eq!(ledger.ask(start, ask(5, 4)), Verdict::RetryIn(2 * T));
        // A burst of one has no reserve to keep.
        let mut single = LocalLedger::new(start);
        assert_eq!(single.ask(start, ask(1, 0)), Verdict::Admitted);
        assert_eq!(single.ask(start, ask(1, 0)), Verdict::RetryIn(T));
    }

    #[test]
    fn a_hold_admits_nothing_before_its_end_then_no_burst() {
        let start = Instant::now();
        let mut ledger = LocalLedger::new(start);
        let until = start + Duration::from_millis(500);
        ledger.hold(until, ask(5, 0));
        assert_eq!(
            ledger.ask(start, ask(5, 0)),
            Verdict::RetryIn(Duration::from_millis(500))
        );
        assert_eq!(ledger.ask(until, ask(5, 0)), Verdict::Admitted);
        assert_eq!(ledger.ask(until, ask(5, 0)), Verdict::RetryIn(T));
        // A shorter hold never shortens a longer one.
        ledger.hold(start, ask(5, 0));
        assert_eq!(ledger.ask(until, ask(5, 0)), Verdict::RetryIn(T));
    }

    #[test]
    fn intervals_round_up() {
        assert_eq!(interval(20.0), Duration::from_millis(50));
        assert_eq!(interval(3.0), Duration::from_nanos(333_333_334));
        assert_eq!(interval(100_000.0), Duration::from_micros(10));
        assert_eq!(interval(0.01), Duration::from_secs(100));
    }
}
