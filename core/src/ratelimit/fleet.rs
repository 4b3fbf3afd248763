//! The fleet's ledger: the budget's GCRA state in Redis, asked with one script per admission
//! (`gcra.lua`), so every process of every language using the same Redis, API key and base URL
//! stays under one limit together. Written against the `redis` crate's async `ConnectionLike`,
//! so the fleet store's connection (one node or a cluster) serves it.
//!
//! Keys: `{prefix}rl:{<scope>}` (the arrival time) and `{prefix}rl:{<scope>}:m` (the members),
//! where `<scope>` is 32 hex digits of a SHA-256 of the API key and base URL; the braces make
//! both one cluster slot.

use std::future::Future;
use std::time::Duration;

use futures_util::future::BoxFuture;

use super::limit::MAX_ADMISSION_WAIT;
use super::limit::Scope;
use super::local::{Ask, Verdict};

/// Most processes a fleet is taken to have (the local share during an outage never goes
/// below 1/this of the rate).
const MAX_MEMBERS: i64 = 10_000;

/// Where the fleet's Redis commands go.
pub(crate) trait FleetConnection: Send + Sync + 'static {
    type Connection: redis::aio::ConnectionLike + Send;

    /// A connection now, or `None` while Redis is unreachable (the budget then falls back to
    /// its local share). Bounded by the budget's Redis timeout.
    fn connection(&self) -> impl Future<Output = Option<Self::Connection>> + Send;
}

/// A connection that is already open and reconnects by itself (a `ConnectionManager`, a
/// cluster connection).
#[cfg(test)]
pub(crate) struct ReadyConnection<C>(pub C);

#[cfg(test)]
impl<C> FleetConnection for ReadyConnection<C>
where
    C: redis::aio::ConnectionLike + Clone + Send + Sync + 'static,
{
    type Connection = C;

    async fn connection(&self) -> Option<C> {
        Some(self.0.clone())
    }
}

/// The fleet's answer to an ask.
pub(crate) struct FleetReply {
    pub verdict: Verdict,
    /// Processes that asked in the last minute (at least 1).
    pub members: u32,
}

/// Why Redis gave no answer, in words free of secrets.
#[derive(Debug)]
pub(crate) struct FleetFailure(pub String);

/// The ledger a budget shares with its fleet (object-safe, so budgets need no type parameter).
pub(crate) trait FleetLedger: Send + Sync {
    fn ask(&self, ask: Ask) -> BoxFuture<'_, Result<FleetReply, FleetFailure>>;
    /// After a 429: nobody in the fleet goes before `pause` from now, then one per interval.
    fn hold(&self, pause: Duration, ask: Ask) -> BoxFuture<'_, Result<(), FleetFailure>>;
    /// The budget's key in Redis, for log lines.
    fn name(&self) -> &str;
}

pub(crate) struct RedisLedger<S> {
    source: S,
    key: String,
    members_key: String,
    /// This budget's id among the fleet's members.
    member: String,
    timeout: Duration,
    script: redis::Script,
}

impl<S: FleetConnection> RedisLedger<S> {
    pub(crate) fn new(
        source: S,
        key_prefix: &str,
        scope: &Scope,
        timeout: Duration,
    ) -> RedisLedger<S> {
        let key = format!("{key_prefix}rl:{{{}}}", scope.hex());
        RedisLedger {
            source,
            members_key: format!("{key}:m"),
            key,
            member: format!("{:016x}", fastrand::u64(..)),
            timeout,
            script: redis::Script::new(include_str!("gcra.lua")),
        }
    }

    /// One run of the script, within the timeout: (admitted, µs to wait, members).
    async fn run(&self, ask: Ask, hold: Duration) -> Result<(i64, i64, i64), FleetFailure> {
        let call = async {
            let mut connection = self
                .source
                .connection()
                .await
                .ok_or_else(|| FleetFailure("not connected".to_owned()))?;
            let mut invocation = self.script.key(&self.key);
            invocation
                .key(&self.members_key)
                .arg(micros(ask.interval).max(1))
                .arg(ask.burst)
                .arg(ask.reserve)
                .arg(&self.member)
                .arg(micros(hold));
            invocation
                .invoke_async::<(i64, i64, i64)>(&mut connection)
                .await
                .map_err(|err| FleetFailure(format!("the script failed: {:?}", err.kind())))
        };
        match tokio::time::timeout(self.timeout, call).await {
            Ok(outcome) => outcome,
            Err(_) => Err(FleetFailure(format!(
                "no answer within {} ms",
                self.timeout.as_millis()
            ))),
        }
    }
}

impl<S: FleetConnection> FleetLedger for RedisLedger<S> {
    fn ask(&self, ask: Ask) -> BoxFuture<'_, Result<FleetReply, FleetFailure>> {
        Box::pin(async move {
            let (admitted, wait, members) = self.run(ask, Duration::ZERO).await?;
            // Redis's numbers size a sleep: bounded here whatever it answers.
            let max_wait = i64::try_from(MAX_ADMISSION_WAIT.as_micros()).unwrap_or(i64::MAX);
            let verdict = if admitted == 1 {
                Verdict::Admitted
            } else {
                Verdict::RetryIn(Duration::from_micros(wait.clamp(1, max_wait) as u64))
            };
            Ok(FleetReply {
                verdict,
                members: members.clamp(1, MAX_MEMBERS) as u32,
            })
        })
    }

    fn hold(&self, pause: Duration, ask: Ask) -> BoxFuture<'_, Result<(), FleetFailure>> {
        Box::pin(async move {
            self.run(ask, pause.max(Duration::from_micros(1))).await?;
            Ok(())
        })
    }

    fn name(&self) -> &str {
        &self.key
    }
}

/// Whole microseconds, rounded up so the fleet never paces faster than the local ledger.
fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos().div_ceil(1000)).unwrap_or(u64::MAX)
}
