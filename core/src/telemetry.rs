//! What core tells an observer about its calls (docs/contract.md §18): one [`CallTrace`] per
//! call, holding the call's own record and one [`AttemptRecord`] per HTTP attempt, handed to
//! the [`Telemetry`] hook a binding (or a Rust application) installs. A binding turns a trace
//! into spans and metrics of its host's own OpenTelemetry API, with the times recorded here.
//! Nothing is measured or built when no hook is installed. Records never hold the API key, a
//! token, a body or a raw path: routes are templates.

use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use crate::error::ErrorCode;
use crate::mapping::Call;

/// Receives a trace per call. Called on a runtime thread once the call has ended: keep it
/// quick (hand the trace to the host's thread or exporter).
pub trait Telemetry: Send + Sync + 'static {
    fn record(&self, trace: &CallTrace);
}

/// How a session-token call was answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CacheOutcome {
    /// From memory; no request.
    Hit,
    /// Minted by this call.
    Miss,
    /// Waited for another caller's mint of the same account.
    Coalesced,
    /// Adopted from the fleet store; no request.
    StoreHit,
    /// The fleet store failed; minted directly.
    StoreError,
    /// A background refresh ahead of expiry.
    Refresh,
}

impl CacheOutcome {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Hit => "hit",
            Self::Miss => "miss",
            Self::Coalesced => "coalesced",
            Self::StoreHit => "store_hit",
            Self::StoreError => "store_error",
            Self::Refresh => "refresh",
        }
    }
}

/// One HTTP attempt.
#[derive(Clone, Debug, PartialEq)]
pub struct AttemptRecord {
    pub method: &'static str,
    /// The route template, e.g. `/api/v2/public/linked-account/{linked_account_id}`.
    pub route: &'static str,
    pub server_address: String,
    pub server_port: u16,
    /// The HTTP status, when an answer came.
    pub status: Option<u16>,
    /// Our error code, when the attempt failed.
    pub error: Option<ErrorCode>,
    /// 1 for the first attempt (`http.request.resend_count` is one less).
    pub attempt: u32,
    pub started_at: SystemTime,
    /// From the start of its wait for a turn in the request budget to the whole answer.
    pub duration: Duration,
    /// How long it waited for its turn in the request budget (docs/contract.md §16).
    pub budget_wait: Duration,
}

/// One call of the library (a token, a linked-account call, an operation of the API).
#[derive(Clone, Debug, PartialEq)]
pub struct CallRecord {
    /// The call's name, e.g. `get_token_for_linked_account`, `list_persistent_tables`.
    pub name: &'static str,
    pub started_at: SystemTime,
    pub duration: Duration,
    /// Our error code, when the call failed.
    pub error: Option<ErrorCode>,
    /// The token call's cache outcome (`None` for other calls, and without a cache).
    pub cache: Option<CacheOutcome>,
    /// Only when the client's option `telemetry_linked_account_id` is on.
    pub linked_account_id: Option<String>,
    /// The trace context the caller passed (`RequestOptions::traceparent`): the host span
    /// this call's span belongs under.
    pub parent: Option<TraceParent>,
}

/// A call and its attempts (none for a cache hit), in order.
#[derive(Clone, Debug, PartialEq)]
pub struct CallTrace {
    pub call: CallRecord,
    pub attempts: Vec<AttemptRecord>,
}

/// The installed hook.
#[derive(Clone)]
pub(crate) struct Observer {
    hook: Arc<dyn Telemetry>,
    /// The option `telemetry_linked_account_id`.
    linked_account_id: bool,
}

impl fmt::Debug for Observer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Telemetry")
    }
}

impl Observer {
    pub(crate) fn new(hook: Arc<dyn Telemetry>, linked_account_id: bool) -> Observer {
        Observer {
            hook,
            linked_account_id,
        }
    }

    /// Runs `call` as the call `name`, collecting the attempts the engine makes within it
    /// (in this task) and the cache outcome noted, then hands the trace to the hook.
    pub(crate) async fn observe<T>(
        &self,
        name: &'static str,
        linked_account_id: Option<&str>,
        parent: Option<TraceParent>,
        call: impl Future<Output = Result<T, crate::error::Error>>,
    ) -> Result<T, crate::error::Error> {
        let collector = Arc::new(Collector::default());
        let started_at = SystemTime::now();
        let clock = std::time::Instant::now();
        let result = CURRENT.scope(Arc::clone(&collector), call).await;
        let duration = clock.elapsed();
        let (attempts, cache) = collector.take();
        self.emit(CallTrace {
            call: CallRecord {
                name,
                started_at,
                duration,
                error: result.as_ref().err().map(|error| error.code()),
                cache,
                linked_account_id: self.account(linked_account_id),
                parent,
            },
            attempts,
        });
        result
    }

    /// A call answered without a request (a synchronous cache hit).
    pub(crate) fn hit(
        &self,
        name: &'static str,
        linked_account_id: &str,
        parent: Option<TraceParent>,
    ) {
        self.emit(CallTrace {
            call: CallRecord {
                name,
                started_at: SystemTime::now(),
                duration: Duration::ZERO,
                error: None,
                cache: Some(CacheOutcome::Hit),
                linked_account_id: self.account(Some(linked_account_id)),
                parent,
            },
            attempts: Vec::new(),
        });
    }

    fn account(&self, id: Option<&str>) -> Option<String> {
        id.filter(|_| self.linked_account_id).map(str::to_owned)
    }

    fn emit(&self, trace: CallTrace) {
        // A hook that panics must not take the call (or the runtime thread) with it.
        let hook = &self.hook;
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| hook.record(&trace)));
    }
}

/// A call's name, route template and linked account, as records give them.
pub(crate) fn identify(call: Call<'_>) -> (&'static str, &'static str, Option<&str>) {
    const ACCOUNTS: &str = "/api/v2/public/linked-account";
    const ACCOUNT: &str = "/api/v2/public/linked-account/{linked_account_id}";
    match call {
        Call::SessionToken(id) => (
            "get_token_for_linked_account",
            "/api/v2/public/session-token",
            Some(id),
        ),
        Call::Upsert(id) => ("upsert_linked_account", ACCOUNTS, Some(id)),
        Call::Create(id) => ("create_linked_account", ACCOUNTS, Some(id)),
        Call::Get(id) => ("get_linked_account", ACCOUNT, Some(id)),
        Call::Delete(id) => ("delete_linked_account", ACCOUNT, Some(id)),
        Call::List => ("list_linked_accounts", ACCOUNTS, None),
        Call::Revoke => (
            "revoke_session_token",
            "/api/v2/public/session-token/revoke",
            None,
        ),
        Call::ActiveAccount => (
            "get_active_linked_account",
            "/api/v2/public/session/active-linked-account",
            None,
        ),
        Call::Operation { name, route, .. } => (name, route, None),
    }
}

/// Whether the current task runs inside an observed call.
pub(crate) fn in_call() -> bool {
    CURRENT.try_with(|_| ()).is_ok()
}

/// Adds an attempt to the observed call of the current task, if any.
pub(crate) fn note_attempt(record: AttemptRecord) {
    let _ = CURRENT.try_with(|collector| collector.attempts.lock().unwrap().push(record));
}

/// Notes how the cache answered the observed call of the current task, if any (the first
/// outcome noted wins: a miss that adopts the store's token is a store hit).
pub(crate) fn note_cache(outcome: CacheOutcome) {
    let _ = CURRENT.try_with(|collector| {
        let mut cache = collector.cache.lock().unwrap();
        match (*cache, outcome) {
            (None, _) | (Some(CacheOutcome::Miss), _) => *cache = Some(outcome),
            _ => {}
        }
    });
}

#[derive(Default)]
struct Collector {
    attempts: Mutex<Vec<AttemptRecord>>,
    cache: Mutex<Option<CacheOutcome>>,
}

impl Collector {
    fn take(&self) -> (Vec<AttemptRecord>, Option<CacheOutcome>) {
        (
            std::mem::take(&mut *self.attempts.lock().unwrap()),
            *self.cache.lock().unwrap(),
        )
    }
}

tokio::task_local! {
    static CURRENT: Arc<Collector>;
}

/// A W3C `traceparent` (version 00: `00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>`),
/// sent on every attempt of the call that carries it so the server's spans join the host's
/// trace. Lower-case hex; an all-zero trace or parent id is invalid, as the standard says.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TraceParent([u8; TraceParent::LEN]);

impl TraceParent {
    const LEN: usize = 55;

    /// `text` as a traceparent, else `invalid_input` (its content is not quoted).
    pub fn parse(text: &str) -> Result<TraceParent, crate::error::Error> {
        let bytes = text.as_bytes();
        let hex = |range: std::ops::Range<usize>| {
            bytes[range]
                .iter()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
        };
        let zero = |range: std::ops::Range<usize>| bytes[range].iter().all(|b| *b == b'0');
        let valid = bytes.len() == Self::LEN
            && bytes.starts_with(b"00-")
            && bytes[35] == b'-'
            && bytes[52] == b'-'
            && hex(3..35)
            && hex(36..52)
            && hex(53..55)
            && !zero(3..35)
            && !zero(36..52);
        if !valid {
            return Err(crate::error::Error::invalid_input(
                "traceparent must be a W3C traceparent of version 00 \
                 (00-<32 hex>-<16 hex>-<2 hex>, lower case, ids not all zero).",
            ));
        }
        let mut out = [0u8; Self::LEN];
        out.copy_from_slice(bytes);
        Ok(TraceParent(out))
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("checked ASCII")
    }
}

impl fmt::Debug for TraceParent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for TraceParent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for TraceParent {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        TraceParent::parse(&text).map_err(|error| serde::de::Error::custom(error.message()))
    }
}

#[cfg(feature = "uniffi")]
uniffi::custom_type!(TraceParent, String, {
    try_lift: |text| TraceParent::parse(&text)
        .map_err(|error| uniffi::deps::anyhow::Error::msg(error.message().to_owned())),
    lower: |value| value.as_str().to_owned(),
});

#[cfg(test)]
mod telemetry_tests {
    use super::*;

    #[test]
    fn traceparents_are_checked() {
        let good = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        assert_eq!(TraceParent::parse(good).unwrap().as_str(), good);
        for bad in [
            "",
            "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\n",
        ] {
            assert!(TraceParent::parse(bad).is_err(), "{bad:?}");
        }
    }
}
