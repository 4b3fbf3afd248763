//! What core measures of a call: the call's record, one record per HTTP attempt, and the
//! session cache's outcome. Plain data, handed to a binding's hook as one [`CallTrace`].

use std::time::{Duration, SystemTime};

use super::traceparent::TraceParent;
use crate::error::ErrorCode;

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
