//! Core results as plain napi objects, which `index.js` turns into idiomatic classes. Times
//! are Unix epoch milliseconds (what `new Date(ms)` takes) and, where JavaScript renders
//! them as text, the core's RFC 3339 text. JSON from Refold crosses as JSON text.

use std::time::{SystemTime, UNIX_EPOCH};

use napi_derive::napi;
use refold_session::{
    CacheStats, Error, LinkedAccount, LinkedAccountPage, SessionToken, format_rfc3339,
};
use serde_json::{Map, Value};

/// A failure, field for field as the core reports it.
#[napi(object)]
pub struct ErrorPayload {
    /// `ErrorCode::as_str()`.
    pub code: String,
    /// `Error::message()`, verbatim.
    pub message: String,
    pub status: Option<u32>,
    pub request_id: Option<String>,
    /// Seconds.
    pub retry_after: Option<f64>,
    pub attempts: u32,
}

impl From<Error> for ErrorPayload {
    fn from(error: Error) -> Self {
        ErrorPayload {
            code: error.code().as_str().to_owned(),
            message: error.message().to_owned(),
            status: error.status().map(u32::from),
            request_id: error.request_id().map(str::to_owned),
            retry_after: error.retry_after().map(|wait| wait.as_secs_f64()),
            attempts: error.attempts(),
        }
    }
}

/// A session token (from a mint or the cache).
#[napi(object)]
pub struct TokenPayload {
    pub token: String,
    /// `SessionToken::redacted()`: what inspect/toString show instead of the token.
    pub redacted: String,
    pub linked_account_id: String,
    pub expires_at_ms: f64,
    pub issued_at_ms: Option<f64>,
    /// `format_rfc3339(expires_at)`.
    pub expires_at_text: String,
    /// `format_rfc3339(issued_at)`.
    pub issued_at_text: Option<String>,
}

impl From<SessionToken> for TokenPayload {
    fn from(token: SessionToken) -> Self {
        TokenPayload {
            linked_account_id: token.linked_account_id().to_owned(),
            expires_at_ms: epoch_ms(token.expires_at()),
            issued_at_ms: token.issued_at().map(epoch_ms),
            expires_at_text: format_rfc3339(token.expires_at()),
            issued_at_text: token.issued_at().map(format_rfc3339),
            redacted: token.redacted(),
            token: token.into_token(),
        }
    }
}

/// A linked account: the core's reading of it, and the whole object as Refold sent it.
#[napi(object)]
pub struct AccountPayload {
    /// `LinkedAccount::json()` as JSON text.
    pub json: String,
    pub id: Option<String>,
    pub account_id: String,
    pub environment: Option<String>,
    pub name: Option<String>,
    /// `LinkedAccount::udf()` (name → value) as JSON text.
    pub udf_json: String,
    pub created_at_ms: Option<f64>,
    pub updated_at_ms: Option<f64>,
}

impl From<LinkedAccount> for AccountPayload {
    fn from(account: LinkedAccount) -> Self {
        AccountPayload {
            json: object_text(account.json()),
            id: account.id().map(str::to_owned),
            account_id: account.account_id().to_owned(),
            environment: account.environment().map(str::to_owned),
            name: account.name().map(str::to_owned),
            udf_json: Value::from_iter(account.udf().clone()).to_string(),
            created_at_ms: account.created_at().map(epoch_ms),
            updated_at_ms: account.updated_at().map(epoch_ms),
        }
    }
}

/// One page of linked accounts.
#[napi(object)]
pub struct PagePayload {
    pub accounts: Vec<AccountPayload>,
    pub page: u32,
    pub limit: u32,
    pub total: f64,
    pub total_pages: u32,
    pub next_page: Option<u32>,
}

impl From<LinkedAccountPage> for PagePayload {
    fn from(page: LinkedAccountPage) -> Self {
        PagePayload {
            accounts: page
                .accounts
                .into_iter()
                .map(AccountPayload::from)
                .collect(),
            page: page.page,
            limit: page.limit,
            total: page.total as f64,
            total_pages: page.total_pages,
            next_page: page.next_page,
        }
    }
}

/// The session cache's counters.
#[napi(object)]
pub struct StatsPayload {
    pub hits: f64,
    pub misses: f64,
    pub coalesced: f64,
    pub refreshes: f64,
    pub refresh_failures: f64,
    pub evictions: f64,
    pub entries: f64,
    pub store_hits: f64,
    pub store_errors: f64,
}

impl From<CacheStats> for StatsPayload {
    fn from(stats: CacheStats) -> Self {
        StatsPayload {
            hits: stats.hits as f64,
            misses: stats.misses as f64,
            coalesced: stats.coalesced as f64,
            refreshes: stats.refreshes as f64,
            refresh_failures: stats.refresh_failures as f64,
            evictions: stats.evictions as f64,
            entries: stats.entries as f64,
            store_hits: stats.store_hits as f64,
            store_errors: stats.store_errors as f64,
        }
    }
}

/// What a call produced, before it crosses to JavaScript.
pub enum Answer {
    Token(SessionToken),
    Account(LinkedAccount),
    /// `None`: a walk over the pages has ended.
    Page(Option<LinkedAccountPage>),
    Object(Map<String, Value>),
    /// `None`: the cache is off.
    Stats(Option<CacheStats>),
    Nothing,
}

/// The outcome of one call, handed back with its call id. At most one field besides
/// `call_id` is set; none for a call that returns nothing (or whose answer is absent: no
/// stats, no further page).
#[napi(object)]
pub struct Completion {
    pub call_id: u32,
    pub token: Option<TokenPayload>,
    pub account: Option<AccountPayload>,
    pub page: Option<PagePayload>,
    /// A JSON object's text (Refold's answer to a delete).
    pub object_json: Option<String>,
    pub stats: Option<StatsPayload>,
    pub error: Option<ErrorPayload>,
}

impl Completion {
    pub fn new(call_id: u32, outcome: Result<Answer, Error>) -> Completion {
        let mut completion = Completion {
            call_id,
            token: None,
            account: None,
            page: None,
            object_json: None,
            stats: None,
            error: None,
        };
        match outcome {
            Ok(Answer::Token(token)) => completion.token = Some(token.into()),
            Ok(Answer::Account(account)) => completion.account = Some(account.into()),
            Ok(Answer::Page(page)) => completion.page = page.map(PagePayload::from),
            Ok(Answer::Object(object)) => completion.object_json = Some(object_text(&object)),
            Ok(Answer::Stats(stats)) => completion.stats = stats.map(StatsPayload::from),
            Ok(Answer::Nothing) => {}
            Err(error) => completion.error = Some(error.into()),
        }
        completion
    }
}

fn object_text(object: &Map<String, Value>) -> String {
    // A map of JSON values always serialises.
    serde_json::to_string(object).unwrap_or_else(|_| "{}".to_owned())
}

fn epoch_ms(time: SystemTime) -> f64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(since) => since.as_secs_f64() * 1000.0,
        Err(before) => -before.duration().as_secs_f64() * 1000.0,
    }
}
