//! The budget on tokio's paused clock: every admission time is exact, so the tests assert the
//! schedule itself (rate × time + burst, FIFO, priorities, deadlines, AIMD).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use super::limit::{
    MAX_BURST, MAX_REQUESTS_PER_SECOND, MAX_WAITERS, MIN_REQUESTS_PER_SECOND, Scope,
};
use super::local::{Ask, LocalLedger, Verdict};
use super::*;
use crate::ErrorCode;

const MS: Duration = Duration::from_millis(1);
const LONG: Duration = Duration::from_secs(30);

fn budget(requests_per_second: f64, burst: u32) -> Arc<Budget> {
    let limit = RateLimit::new(requests_per_second, burst).unwrap();
    Arc::new(Budget::new(
        limit,
        Scope::of("sk_test_budget", "http://test"),
    ))
}

/// Starts `count` callers now (in order) and returns each one's outcome and the time it got it,
/// from `start`.
async fn callers(
    budget: &Arc<Budget>,
    count: usize,
    priority: Priority,
    patience: Duration,
) -> Vec<tokio::task::JoinHandle<(Result<Admission, Refused>, Duration)>> {
    let start = Instant::now();
    let started = Arc::new(AtomicUsize::new(0));
    let handles = (0..count)
        .map(|_| {
            let (budget, started) = (Arc::clone(budget), Arc::clone(&started));
            tokio::spawn(async move {
                started.fetch_add(1, Ordering::Relaxed);
                let outcome = budget.admit(priority, start + patience).await;
                (outcome, start.elapsed())
            })
        })
        .collect();
    // Lets every caller take its place (a caller joins the queue in its first poll) before the
    // test goes on; the clock does not move meanwhile.
    while started.load(Ordering::Relaxed) < count {
        tokio::task::yield_now().await;
    }
    handles
}

async fn admitted_times(
    handles: Vec<tokio::task::JoinHandle<(Result<Admission, Refused>, Duration)>>,
) -> Vec<Duration> {
    let mut times = Vec::new();
    for handle in handles {
        let (outcome, at) = handle.await.unwrap();
        outcome.unwrap();
        times.push(at);
    }
    times
}

/// No window of any length holds more than `rate × length + burst` admissions.
fn assert_within_limit(times: &[Duration], requests_per_second: f64, burst: u32) {
    let mut sorted = times.to_vec();
    sorted.sort();
    for (i, first) in sorted.iter().enumerate() {
        for (j, last) in sorted.iter().enumerate().skip(i) {
            let allowed = requests_per_second * (*last - *first).as_secs_f64() + f64::from(burst);
            let count = (j - i + 1) as f64;
            assert!(
                count <= allowed + 1e-9,
                "{count} admissions between {first:?} and {last:?}"
            );
        }
    }
}

#[tokio::test(start_paused = true)]
async fn admissions_follow_the_rate_after_the_burst() {
    let budget = budget(100.0, 5);
    let times = admitted_times(callers(&budget, 300, Priority::Interactive, LONG).await).await;
    for (k, at) in times.iter().enumerate() {
        // The first five at once, then one per 10 ms, in arrival order.
        assert_eq!(*at, 10 * MS * k.saturating_sub(4) as u32, "caller {k}");
    }
    assert_within_limit(&times, 100.0, 5);
    let stats = budget.stats();
    assert_eq!(
        (stats.admitted, stats.waits, stats.refused_locally),
        (300, 295, 0)
    );
    let waited: u64 = (5..300).map(|k| 10 * (k - 4)).sum();
    assert_eq!(stats.waited_ms, waited);
}

#[tokio::test(start_paused = true)]
async fn callers_arriving_over_time_are_served_in_arrival_order() {
    let budget = budget(50.0, 1);
    let order = Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut handles = Vec::new();
    for n in 0..40 {
        let (budget, order) = (Arc::clone(&budget), Arc::clone(&order));
        handles.push(tokio::spawn(async move {
            budget
                .admit(Priority::Interactive, Instant::now() + LONG)
                .await
                .unwrap();
            order.lock().unwrap().push(n);
        }));
        // Arrivals every 3 ms, faster than the 20 ms interval: a queue builds up.
        tokio::time::sleep(3 * MS).await;
    }
    for handle in handles {
        handle.await.unwrap();
    }
    assert_eq!(*order.lock().unwrap(), (0..40).collect::<Vec<_>>());
}

#[tokio::test(start_paused = true)]
async fn a_caller_whose_turn_comes_after_its_deadline_is_refused_at_once() {
    let budget = budget(10.0, 1);
    let start = Instant::now();
    budget.admit(Priority::Interactive, start).await.unwrap();
    let queued = callers(&budget, 3, Priority::Interactive, LONG).await;
    // Slots at 100, 200, 300 ms are taken by the queue: the next is at 400 ms.
    let refused = budget
        .admit(Priority::Interactive, start + 399 * MS)
        .await
        .unwrap_err();
    assert_eq!(start.elapsed(), Duration::ZERO, "refused without waiting");
    assert_eq!(
        refused,
        Refused {
            because: RefusedBecause::Deadline,
            retry_after: 400 * MS
        }
    );
    let admission = budget
        .admit(Priority::Interactive, start + 400 * MS)
        .await
        .unwrap();
    assert_eq!((start.elapsed(), admission.waited()), (400 * MS, 400 * MS));
    assert_eq!(
        admitted_times(queued).await,
        vec![100 * MS, 200 * MS, 300 * MS]
    );
    assert_eq!(budget.stats().refused_locally, 1);
}

#[tokio::test(start_paused = true)]
async fn the_head_is_refused_when_a_pause_moves_its_slot_past_its_deadline() {
    let budget = budget(10.0, 1);
    let start = Instant::now();
    let first = budget.admit(Priority::Interactive, start).await.unwrap();
    let waiting = callers(&budget, 1, Priority::Interactive, 150 * MS).await;
    budget.on_response(&first, 429, Some(Duration::from_secs(2)));
    let (outcome, at) = waiting.into_iter().next().unwrap().await.unwrap();
    let refused = outcome.unwrap_err();
    assert_eq!(refused.because, RefusedBecause::Deadline);
    // It woke for its slot at 100 ms, learnt of the pause and gave up at once.
    assert_eq!(at, 100 * MS);
    assert!(refused.retry_after >= Duration::from_millis(1_900));
}

#[tokio::test(start_paused = true)]
async fn the_queue_is_bounded() {
    let budget = budget(100_000.0, 100);
    let start = Instant::now();
    for _ in 0..100 {
        budget.admit(Priority::Interactive, start).await.unwrap();
    }
    let queued = callers(&budget, MAX_WAITERS, Priority::Interactive, LONG).await;
    let refused = budget
        .admit(Priority::Interactive, start + LONG)
        .await
        .unwrap_err();
    assert_eq!(refused.because, RefusedBecause::QueueFull);
    assert!(refused.retry_after > Duration::ZERO);
    assert_eq!(admitted_times(queued).await.len(), MAX_WAITERS);
    // Once drained, callers are admitted again.
    tokio::time::sleep(LONG).await;
    budget
        .admit(Priority::Interactive, Instant::now())
        .await
        .unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_caller_that_gives_up_hands_its_turn_on() {
    let budget = budget(10.0, 1);
    let start = Instant::now();
    budget.admit(Priority::Interactive, start).await.unwrap();
    let mut queued = callers(&budget, 2, Priority::Interactive, LONG).await;
    let second = queued.pop().unwrap();
    let first = queued.pop().unwrap();
    tokio::time::sleep(50 * MS).await;
    first.abort();
    let (outcome, at) = second.await.unwrap();
    outcome.unwrap();
    assert_eq!(at, 100 * MS, "the slot of the caller that left");
}

#[tokio::test(start_paused = true)]
async fn background_calls_never_delay_interactive_ones_by_more_than_one_interval() {
    let budget = budget(100.0, 5);
    // Background callers first: they may take one slot from the full bucket, no more, while
    // interactive callers wait.
    let background = callers(&budget, 20, Priority::Background, LONG).await;
    let interactive =
        admitted_times(callers(&budget, 300, Priority::Interactive, LONG).await).await;
    for (k, at) in interactive.iter().enumerate() {
        let alone = 10 * MS * k.saturating_sub(4) as u32;
        assert!(
            *at <= alone + 10 * MS,
            "interactive caller {k} admitted at {at:?}, {alone:?} without background"
        );
    }
    let background = admitted_times(background).await;
    let last_interactive = *interactive.iter().max().unwrap();
    assert!(
        background
            .iter()
            .filter(|at| **at <= last_interactive)
            .count()
            <= 1,
        "background admitted while interactive callers waited: {background:?}"
    );
    let mut all = interactive.clone();
    all.extend(&background);
    assert_within_limit(&all, 100.0, 5);
    assert!(budget.stats().background_deferred >= 19);
}

#[tokio::test(start_paused = true)]
async fn background_calls_use_the_spare_budget() {
    let budget = budget(100.0, 5);
    let background = callers(&budget, 200, Priority::Background, LONG).await;
    // Interactive calls at half the rate, for two seconds: each is admitted at once.
    let mut interactive = Vec::new();
    let start = Instant::now();
    for _ in 0..100 {
        let admission = budget
            .admit(Priority::Interactive, Instant::now())
            .await
            .unwrap();
        assert_eq!(admission.waited(), Duration::ZERO);
        interactive.push(start.elapsed());
        tokio::time::sleep(20 * MS).await;
    }
    let background = admitted_times(background).await;
    let during = background
        .iter()
        .filter(|at| **at < Duration::from_secs(2))
        .count();
    assert!(during >= 90, "{during} background admissions in 2 s");
    let mut all = interactive;
    all.extend(&background);
    assert_within_limit(&all, 100.0, 5);
}

#[tokio::test(start_paused = true)]
async fn a_background_call_without_spare_budget_is_refused_by_its_deadline() {
    let budget = budget(10.0, 5);
    let start = Instant::now();
    budget.admit(Priority::Interactive, start).await.unwrap();
    // The bucket is not full: a background call that cannot wait is refused at once.
    let refused = budget.admit(Priority::Background, start).await.unwrap_err();
    assert_eq!(
        refused,
        Refused {
            because: RefusedBecause::NoSpareBudget,
            retry_after: 100 * MS
        }
    );
    // One that can wait gets the slot when the bucket is full again.
    budget
        .admit(Priority::Background, start + LONG)
        .await
        .unwrap();
    assert_eq!(start.elapsed(), 100 * MS);
    let stats = budget.stats();
    assert_eq!(
        (
            stats.background_deferred,
            stats.refused_locally,
            stats.admitted
        ),
        (2, 1, 2)
    );
}

#[tokio::test(start_paused = true)]
async fn a_429_pauses_until_retry_after_then_paces_at_half_the_rate() {
    let budget = budget(100.0, 5);
    let start = Instant::now();
    let admission = budget.admit(Priority::Interactive, start).await.unwrap();
    budget.on_response(&admission, 429, Some(500 * MS));
    assert_eq!(budget.current_rate(), 50.0);
    let times = admitted_times(callers(&budget, 3, Priority::Interactive, LONG).await).await;
    assert_eq!(times, vec![500 * MS, 520 * MS, 540 * MS]);
    // More 429s to requests sent before the cut do not cut again; each one's Retry-After is
    // still honoured.
    budget.on_response(&admission, 429, None);
    budget.on_response(&admission, 429, None);
    assert_eq!(budget.current_rate(), 50.0);
    assert_eq!(budget.stats().rejected_by_server, 3);
    // A huge Retry-After is capped.
    let later = budget
        .admit(Priority::Interactive, start + LONG)
        .await
        .unwrap();
    budget.on_response(&later, 429, Some(Duration::from_secs(86_400)));
    let refused = budget
        .admit(Priority::Interactive, Instant::now() + LONG)
        .await
        .unwrap_err();
    assert!(refused.retry_after <= Duration::from_secs(60));
}

#[tokio::test(start_paused = true)]
async fn successes_restore_the_configured_rate() {
    let budget = budget(100.0, 5);
    let admission = budget
        .admit(Priority::Interactive, Instant::now())
        .await
        .unwrap();
    budget.on_response(&admission, 429, None);
    assert_eq!(budget.current_rate(), 50.0);
    for _ in 0..12 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let admission = budget
            .admit(Priority::Interactive, Instant::now())
            .await
            .unwrap();
        budget.on_response(&admission, 200, None);
    }
    assert_eq!(budget.current_rate(), 100.0);
}

/// A server allowing `rate`/s with bursts of `burst`, called by `callers` loops for `seconds`;
/// returns (time, status) of every response.
async fn against_a_stricter_server(
    budget: &Arc<Budget>,
    server_rate: f64,
    retry_after: Option<Duration>,
    seconds: u64,
) -> Vec<(Duration, u16)> {
    let server = Arc::new(std::sync::Mutex::new(LocalLedger::new(Instant::now())));
    let server_ask = Ask {
        interval: super::local::interval(server_rate),
        burst: 5,
        reserve: 0,
    };
    let log = Arc::new(std::sync::Mutex::new(Vec::new()));
    let start = Instant::now();
    let end = start + Duration::from_secs(seconds);
    let loops: Vec<_> = (0..20)
        .map(|_| {
            let (budget, server, log) = (Arc::clone(budget), Arc::clone(&server), Arc::clone(&log));
            tokio::spawn(async move {
                while Instant::now() < end {
                    let admission = match budget
                        .admit(Priority::Interactive, Instant::now() + LONG)
                        .await
                    {
                        Ok(admission) => admission,
                        Err(refused) => {
                            tokio::time::sleep(refused.retry_after).await;
                            continue;
                        }
                    };
                    // The request reaches the server after 5 ms; its answer comes back after 10.
                    tokio::time::sleep(5 * MS).await;
                    let verdict = server.lock().unwrap().ask(Instant::now(), server_ask);
                    let status = if verdict == Verdict::Admitted {
                        200
                    } else {
                        429
                    };
                    tokio::time::sleep(5 * MS).await;
                    log.lock().unwrap().push((start.elapsed(), status));
                    budget.on_response(&admission, status, retry_after.filter(|_| status == 429));
                }
            })
        })
        .collect();
    for handle in loops {
        handle.await.unwrap();
    }
    log.lock().unwrap().clone()
}

#[tokio::test(start_paused = true)]
async fn a_stricter_server_limit_is_found_within_two_seconds() {
    for retry_after in [None, Some(200 * MS), Some(Duration::from_secs(1))] {
        let budget = budget(100.0, 5);
        let log = against_a_stricter_server(&budget, 30.0, retry_after, 6).await;
        let after = |from: u64| {
            let window: Vec<_> = log
                .iter()
                .filter(|(at, _)| *at >= Duration::from_secs(from))
                .collect();
            let rejected = window.iter().filter(|(_, status)| *status == 429).count();
            (window.len() - rejected, rejected)
        };
        let (_, storm) = after(0);
        assert!(storm <= 10, "{retry_after:?}: {storm} 429s in all");
        let (accepted, rejected) = after(2);
        // From 2 s on: almost no 429s, and most of the server's 30/s used.
        assert!(
            rejected * 20 <= accepted,
            "{retry_after:?}: {rejected} 429s for {accepted} accepted after 2 s"
        );
        assert!(
            accepted as f64 >= 0.5 * 30.0 * 4.0,
            "{retry_after:?}: only {accepted} accepted in 4 s"
        );
    }
}

#[test]
fn limits_are_checked() {
    assert_eq!(
        RateLimit::default(),
        RateLimit::new(DEFAULT_REQUESTS_PER_SECOND, DEFAULT_BURST).unwrap()
    );
    assert_eq!(
        RateLimit::default().to_string(),
        "20 requests/s with bursts of 5"
    );
    for (rate, burst) in [
        (0.0, 5),
        (-1.0, 5),
        (f64::NAN, 5),
        (f64::INFINITY, 5),
        (100_000.1, 5),
        (0.009, 5),
        (20.0, 0),
        (20.0, 10_001),
    ] {
        let err = RateLimit::new(rate, burst).unwrap_err();
        assert_eq!(err.code(), ErrorCode::Configuration, "{rate} {burst}");
    }
    assert!(RateLimit::new(MIN_REQUESTS_PER_SECOND, 1).is_ok());
    assert!(RateLimit::new(MAX_REQUESTS_PER_SECOND, MAX_BURST).is_ok());
}

#[test]
fn a_refusal_is_a_rate_limited_error_with_nothing_sent() {
    let refused = Refused {
        because: RefusedBecause::Deadline,
        retry_after: Duration::from_millis(1_250),
    };
    let err = refused.into_error(RateLimit::default());
    assert_eq!(err.code(), ErrorCode::RateLimited);
    assert_eq!(err.retry_after(), Some(Duration::from_millis(1_250)));
    assert!(err.nothing_sent() && err.is_retryable());
    assert_eq!(err.attempts(), 0);
    assert_eq!(
        err.message(),
        "The request budget for Refold's rate limit (20 requests/s with bursts of 5) has no free \
         slot before this call's timeout; nothing was sent. Retry in 1.250 s."
    );
    let full = Refused {
        because: RefusedBecause::QueueFull,
        retry_after: Duration::from_secs(2),
    };
    assert!(
        full.into_error(RateLimit::default())
            .message()
            .contains("10000 calls waiting")
    );
}
