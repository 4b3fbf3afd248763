//! The client-side request budget (issue #24): Refold allows an organisation 20 requests per
//! second with bursts of 5, and answers 429 beyond. Every request asks a [`Budget`] for
//! admission first; one budget per (API key, base URL) is shared by every client of the process
//! ([`shared_budget`]) and, when a Redis store is configured, by the whole fleet (`fleet.rs`).
//!
//! Before each attempt: `budget.admit(priority, deadline_within(time left))`; a refusal is
//! returned as `Refused::into_error` (nothing sent). After each response:
//! `budget.on_response(&admission, status, retry_after)`.
//!
//! - `limit.rs`: the limit, priorities, admissions, refusals and counters;
//! - `local.rs`: the GCRA ledger (one theoretical arrival time);
//! - `adaptive.rs`: the rate actually used, cut on a 429 and raised again on success (AIMD);
//! - `budget.rs`: waiting in turn (FIFO, bounded, within the caller's deadline), priorities,
//!   the fleet and its local fallback, counters;
//! - `fleet.rs` (+ `gcra.lua`): the same ledger in Redis, one script per admission on Redis's
//!   clock;
//! - `registry.rs`: the process-wide budgets.

mod adaptive;
mod budget;
mod fleet;
mod limit;
mod local;
mod registry;

#[cfg(test)]
mod fleet_tests;
#[cfg(test)]
mod tests;

pub(crate) use budget::Budget;
pub(crate) use fleet::FleetConnection;
#[cfg(test)]
pub(crate) use fleet::ReadyConnection;
#[cfg(test)]
pub(crate) use limit::{Admission, Refused, RefusedBecause};
pub(crate) use limit::{
    BudgetStats, DEFAULT_BURST, DEFAULT_REQUESTS_PER_SECOND, Priority, RateLimit, deadline_within,
};
#[cfg(feature = "test-hooks")]
pub(crate) use registry::own_budget;
pub(crate) use registry::shared_budget;
