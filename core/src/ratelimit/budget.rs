//! One request budget: who goes when. Interactive calls wait in one FIFO queue whose head alone
//! asks the ledger (the local one, or the fleet's in Redis) and sleeps until the slot it was
//! told of; background calls take a slot only from a full bucket and while nobody interactive
//! waits. Nobody waits past their deadline: a call whose turn would come later is refused at
//! once with the time its turn would have come, and nothing is sent. A 429 cuts the rate and
//! pauses admissions (`adaptive.rs`); a Redis failure hands the decisions to this process's
//! share of the local ledger (starting without a burst) until Redis answers again.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use super::adaptive::Adaptive;
use super::fleet::{FleetConnection, FleetLedger, RedisLedger};
use super::limit::Scope;
use super::limit::{
    Admission, BudgetStats, MAX_ADMISSION_WAIT, MAX_BACKGROUND_WAITERS, MAX_WAITERS, Priority,
    RateLimit, Refused, RefusedBecause,
};
use super::local::{Ask, LocalLedger, Verdict, interval};

/// After a Redis failure the local share decides for this long before Redis is tried again
/// (as the fleet store waits between connection attempts): a Redis that times out costs one
/// caller per pause its store timeout.
const FLEET_RETRY_PAUSE: Duration = Duration::from_secs(1);
/// Shortest sleep of a background caller between two asks: no loop spins.
const MIN_BACKGROUND_POLL: Duration = Duration::from_millis(1);
/// Longest pause a 429's `Retry-After` imposes (the retry rule honours no more either).
const MAX_HOLD: Duration = Duration::from_secs(60);

pub(crate) struct Budget {
    limit: RateLimit,
    scope: Scope,
    state: Mutex<State>,
    /// Background callers ask one at a time, in arrival order (tokio's mutex is fair).
    background_lane: tokio::sync::Mutex<()>,
    fleet: OnceLock<Arc<dyn FleetLedger>>,
    counters: Counters,
}

struct State {
    ledger: LocalLedger,
    adaptive: Adaptive,
    /// Interactive callers by arrival ticket; the first is the head.
    queue: BTreeMap<u64, Arc<Notify>>,
    next_ticket: u64,
    background_waiting: usize,
    fleet: FleetHealth,
}

#[derive(Default)]
struct FleetHealth {
    /// Until then the local share decides (Redis failed).
    down_until: Option<Instant>,
    /// The outage has been logged.
    warned: bool,
    /// Processes seen using the fleet's budget lately (the script counts them): the local
    /// share during an outage is the rate divided by this.
    members: u32,
}

#[derive(Default)]
struct Counters {
    admitted: AtomicU64,
    waits: AtomicU64,
    waited_micros: AtomicU64,
    refused_locally: AtomicU64,
    rejected_by_server: AtomicU64,
    background_deferred: AtomicU64,
    fleet_fallbacks: AtomicU64,
    fleet_warnings: AtomicU64,
}

/// Where the next slot comes from.
enum Route {
    Local,
    Fleet(Arc<dyn FleetLedger>),
    /// The fleet's Redis failed: this process's share of the local ledger.
    Fallback,
}

impl fmt::Debug for Budget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Budget")
            .field("limit", &self.limit)
            .field("scope", &self.scope)
            .field(
                "fleet",
                &self.fleet.get().map(|fleet| fleet.name().to_owned()),
            )
            .finish_non_exhaustive()
    }
}

impl Budget {
    pub(crate) fn new(limit: RateLimit, scope: Scope) -> Budget {
        let now = Instant::now();
        Budget {
            limit,
            scope,
            state: Mutex::new(State {
                ledger: LocalLedger::new(now),
                adaptive: Adaptive::new(limit.requests_per_second(), now),
                queue: BTreeMap::new(),
                next_ticket: 0,
                background_waiting: 0,
                fleet: FleetHealth::default(),
            }),
            background_lane: tokio::sync::Mutex::new(()),
            fleet: OnceLock::new(),
            counters: Counters::default(),
        }
    }

    /// Shares this budget with every process using the same Redis (the store's connection),
    /// each Redis call bounded by `timeout`. The first fleet attached stays; returns whether
    /// this one was.
    pub(crate) fn attach_redis<S: FleetConnection>(
        &self,
        source: S,
        key_prefix: &str,
        timeout: Duration,
    ) -> bool {
        let ledger = RedisLedger::new(source, key_prefix, &self.scope, timeout);
        self.fleet.set(Arc::new(ledger)).is_ok()
    }

    pub(crate) fn limit(&self) -> RateLimit {
        self.limit
    }

    /// Requests per second paced at now (below the configured rate after a 429).
    #[cfg(test)]
    pub(crate) fn current_rate(&self) -> f64 {
        self.lock().adaptive.rate()
    }

    pub(crate) fn stats(&self) -> BudgetStats {
        let read = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        let c = &self.counters;
        BudgetStats {
            admitted: read(&c.admitted),
            waits: read(&c.waits),
            waited_ms: read(&c.waited_micros) / 1000,
            refused_locally: read(&c.refused_locally),
            rejected_by_server: read(&c.rejected_by_server),
            background_deferred: read(&c.background_deferred),
            fleet_fallbacks: read(&c.fleet_fallbacks),
        }
    }

    /// Nothing owed, nobody waiting, the configured rate: a new budget would behave the same.
    pub(crate) fn is_idle(&self) -> bool {
        let state = self.lock();
        state.queue.is_empty()
            && state.background_waiting == 0
            && state.ledger.is_full(Instant::now())
            && state.adaptive.is_settled()
    }

    /// Waits for a slot to send one request, at most until `deadline` (and never more than
    /// [`MAX_ADMISSION_WAIT`]); refused at once when the turn would come later.
    pub(crate) async fn admit(
        &self,
        priority: Priority,
        deadline: Instant,
    ) -> Result<Admission, Refused> {
        let started = Instant::now();
        let deadline = deadline.min(started + MAX_ADMISSION_WAIT);
        match priority {
            Priority::Interactive => self.admit_interactive(started, deadline).await,
            Priority::Background => self.admit_background(started, deadline).await,
        }
    }

    /// Reports the response to an admitted request: a 429 cuts the rate (once per generation)
    /// and pauses everyone until its `Retry-After` (capped), or one interval without one; any
    /// other status lets the rate grow back.
    pub(crate) fn on_response(
        &self,
        admission: &Admission,
        status: u16,
        retry_after: Option<Duration>,
    ) {
        let now = Instant::now();
        let mut state = self.lock();
        if status != 429 {
            state.adaptive.on_accepted(now);
            return;
        }
        self.counters
            .rejected_by_server
            .fetch_add(1, Ordering::Relaxed);
        let cut = state.adaptive.on_rejected(admission.epoch, now);
        let route = self.route(&state, now);
        let ask = self.ask_for(&state, Priority::Interactive, &route);
        let pause = match retry_after {
            Some(wish) => wish.min(MAX_HOLD),
            None if cut => ask.interval,
            None => return,
        };
        state.ledger.hold(now + pause, ask);
        drop(state);
        if let Route::Fleet(fleet) = route {
            // The whole fleet pauses: the limit is the organisation's. Best effort, off the
            // caller's path.
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                runtime.spawn(async move {
                    let _ = fleet.hold(pause, ask).await;
                });
            }
        }
    }

    async fn admit_interactive(
        &self,
        started: Instant,
        deadline: Instant,
    ) -> Result<Admission, Refused> {
        let (ticket, wake) = {
            let mut state = self.lock();
            let ahead = state.queue.len();
            if ahead >= MAX_WAITERS {
                let turn = self.turn_after(&state, started, ahead);
                return Err(self.refuse(RefusedBecause::QueueFull, turn));
            }
            if ahead > 0 {
                let turn = self.turn_after(&state, started, ahead);
                if started + turn > deadline {
                    return Err(self.refuse(RefusedBecause::Deadline, turn));
                }
            }
            let ticket = state.next_ticket;
            state.next_ticket += 1;
            let wake = Arc::new(Notify::new());
            state.queue.insert(ticket, Arc::clone(&wake));
            (ticket, wake)
        };
        // Leaves the queue however this call ends (admitted, refused, or dropped by its caller)
        // and hands the head to the next in line.
        let _place = Place {
            budget: self,
            ticket,
        };
        // Whether the caller was held back (queued behind others or paced); time spent
        // otherwise (the lock, a fleet round trip) is not a wait for a turn.
        let mut held = false;
        loop {
            let is_head = self.lock().queue.keys().next() == Some(&ticket);
            if !is_head {
                held = true;
                if tokio::time::timeout_at(deadline, wake.notified())
                    .await
                    .is_err()
                {
                    let now = Instant::now();
                    let state = self.lock();
                    let ahead = state.queue.range(..ticket).count();
                    let turn = self.turn_after(&state, now, ahead);
                    drop(state);
                    return Err(self.refuse(RefusedBecause::Deadline, turn));
                }
                continue;
            }
            match self.ask(Priority::Interactive).await {
                Verdict::Admitted => return Ok(self.admitted(started, held)),
                Verdict::RetryIn(wait) => {
                    if Instant::now() + wait > deadline {
                        return Err(self.refuse(RefusedBecause::Deadline, wait));
                    }
                    held = true;
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    async fn admit_background(
        &self,
        started: Instant,
        deadline: Instant,
    ) -> Result<Admission, Refused> {
        {
            let mut state = self.lock();
            if state.background_waiting >= MAX_BACKGROUND_WAITERS {
                let route = self.route(&state, started);
                let ask = self.ask_for(&state, Priority::Background, &route);
                drop(state);
                let turn = ask.interval.saturating_mul(ask.burst);
                return Err(self.refuse(RefusedBecause::QueueFull, turn));
            }
            state.background_waiting += 1;
        }
        let _waiting = BackgroundPlace { budget: self };
        let mut deferred = false;
        let mut defer = |budget: &Budget| {
            if !deferred {
                deferred = true;
                budget
                    .counters
                    .background_deferred
                    .fetch_add(1, Ordering::Relaxed);
            }
        };
        // Whether the call was held back (see `admit_interactive`).
        let mut held = false;
        let lane = match self.background_lane.try_lock() {
            Ok(lane) => Some(lane),
            Err(_) => {
                held = true;
                tokio::time::timeout_at(deadline, self.background_lane.lock())
                    .await
                    .ok()
            }
        };
        let Some(_lane) = lane else {
            defer(self);
            let wait = self.interval_now();
            return Err(self.refuse(RefusedBecause::NoSpareBudget, wait));
        };
        loop {
            let interactive_waiting = !self.lock().queue.is_empty();
            let verdict = if interactive_waiting {
                Verdict::RetryIn(self.interval_now())
            } else {
                self.ask(Priority::Background).await
            };
            match verdict {
                Verdict::Admitted => return Ok(self.admitted(started, held)),
                Verdict::RetryIn(wait) => {
                    defer(self);
                    held = true;
                    let wait = wait.max(MIN_BACKGROUND_POLL);
                    if Instant::now() + wait > deadline {
                        return Err(self.refuse(RefusedBecause::NoSpareBudget, wait));
                    }
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    /// One ask to the ledger the route names; a failing fleet falls back to the local share
    /// for this ask and the next [`FLEET_RETRY_PAUSE`].
    async fn ask(&self, priority: Priority) -> Verdict {
        let (route, ask) = {
            let state = self.lock();
            let route = self.route(&state, Instant::now());
            let ask = self.ask_for(&state, priority, &route);
            (route, ask)
        };
        match route {
            Route::Local => return self.lock().ledger.ask(Instant::now(), ask),
            Route::Fleet(fleet) => match fleet.ask(ask).await {
                Ok(reply) => {
                    self.fleet_answered(fleet.name(), reply.members);
                    return reply.verdict;
                }
                Err(failure) => self.fleet_failed(fleet.name(), &failure.0),
            },
            Route::Fallback => {}
        }
        let mut state = self.lock();
        let ask = self.ask_for(&state, priority, &Route::Fallback);
        let verdict = state.ledger.ask(Instant::now(), ask);
        if verdict == Verdict::Admitted {
            self.counters
                .fleet_fallbacks
                .fetch_add(1, Ordering::Relaxed);
        }
        verdict
    }

    fn route(&self, state: &State, now: Instant) -> Route {
        match self.fleet.get() {
            None => Route::Local,
            Some(_) if state.fleet.down_until.is_some_and(|until| now < until) => Route::Fallback,
            Some(fleet) => Route::Fleet(Arc::clone(fleet)),
        }
    }

    /// The ask for `priority` at the current rate; during a fleet outage, this process's share
    /// (the rate and burst divided by the processes last seen).
    fn ask_for(&self, state: &State, priority: Priority, route: &Route) -> Ask {
        let share = match route {
            Route::Fallback => state.fleet.members.max(1),
            _ => 1,
        };
        let burst = (self.limit.burst() / share).max(1);
        Ask {
            interval: interval(state.adaptive.rate() / f64::from(share)),
            burst,
            reserve: match priority {
                Priority::Interactive => 0,
                Priority::Background => burst - 1,
            },
        }
    }

    fn interval_now(&self) -> Duration {
        let state = self.lock();
        let route = self.route(&state, Instant::now());
        self.ask_for(&state, Priority::Interactive, &route).interval
    }

    /// When the caller with `ahead` interactive callers before it would get its slot. Exact
    /// for the local ledger at the current rate; for the fleet, a lower bound (other
    /// processes' calls are unknown here), so nobody is refused who might have made it.
    fn turn_after(&self, state: &State, now: Instant, ahead: usize) -> Duration {
        let route = self.route(state, now);
        let ask = self.ask_for(state, Priority::Interactive, &route);
        let slots_before = ask.interval.saturating_mul(ahead.min(MAX_WAITERS) as u32);
        let next = match route {
            Route::Fleet(_) => now + ask.interval,
            _ => state.ledger.next_arrival(now, ask),
        };
        let room = ask.interval.saturating_mul(ask.burst);
        (next + slots_before).saturating_duration_since(now + room)
    }

    fn fleet_answered(&self, name: &str, members: u32) {
        let mut state = self.lock();
        state.fleet.members = members;
        state.fleet.down_until = None;
        if std::mem::take(&mut state.fleet.warned) {
            log::info!("the Redis rate-limit budget {name} answers again; the fleet shares it");
        }
    }

    fn fleet_failed(&self, name: &str, why: &str) {
        let mut state = self.lock();
        let now = Instant::now();
        if state.fleet.down_until.is_none() {
            // The fleet may have just spent the burst this ledger still holds: the local share
            // starts as if it had just sent, then one turn per interval.
            let ask = self.ask_for(&state, Priority::Interactive, &Route::Fallback);
            state.ledger.hold(now + ask.interval, ask);
        }
        state.fleet.down_until = Some(now + FLEET_RETRY_PAUSE);
        if !std::mem::replace(&mut state.fleet.warned, true) {
            let members = state.fleet.members.max(1);
            self.counters.fleet_warnings.fetch_add(1, Ordering::Relaxed);
            log::warn!(
                "the Redis rate-limit budget {name} is unavailable ({why}); this process paces \
                 itself at its share ({:.3} requests/s, 1/{members} of {}) until Redis answers",
                state.adaptive.rate() / f64::from(members),
                self.limit
            );
        }
    }

    /// `held`: whether the caller was made to wait; if not, it waited nothing.
    fn admitted(&self, started: Instant, held: bool) -> Admission {
        let waited = if held {
            started.elapsed()
        } else {
            Duration::ZERO
        };
        let c = &self.counters;
        c.admitted.fetch_add(1, Ordering::Relaxed);
        if !waited.is_zero() {
            c.waits.fetch_add(1, Ordering::Relaxed);
            let micros = u64::try_from(waited.as_micros()).unwrap_or(u64::MAX);
            c.waited_micros.fetch_add(micros, Ordering::Relaxed);
        }
        Admission {
            waited,
            epoch: self.lock().adaptive.epoch(),
        }
    }

    fn refuse(&self, because: RefusedBecause, retry_after: Duration) -> Refused {
        self.counters
            .refused_locally
            .fetch_add(1, Ordering::Relaxed);
        Refused {
            because,
            retry_after,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    #[cfg(test)]
    pub(crate) fn fleet_warnings(&self) -> u64 {
        self.counters.fleet_warnings.load(Ordering::Relaxed)
    }
}

/// An interactive caller's place in the queue.
struct Place<'a> {
    budget: &'a Budget,
    ticket: u64,
}

impl Drop for Place<'_> {
    fn drop(&mut self) {
        let mut state = self.budget.lock();
        let was_head = state.queue.keys().next() == Some(&self.ticket);
        state.queue.remove(&self.ticket);
        if was_head {
            if let Some(next) = state.queue.values().next() {
                next.notify_one();
            }
        }
    }
}

/// A background caller's count among the waiting.
struct BackgroundPlace<'a> {
    budget: &'a Budget,
}

impl Drop for BackgroundPlace<'_> {
    fn drop(&mut self) {
        self.budget.lock().background_waiting -= 1;
    }
}
