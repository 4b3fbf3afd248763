//! Core results as napi objects, one mapping per record type (token, linked account and its
//! integrations, page, revocation, cache counters, error), which `index.js` wraps in its
//! classes. Times cross as Unix epoch milliseconds (what `new Date(ms)` takes) and, where
//! JavaScript renders them as text, as the core's RFC 3339 text. Refold's JSON crosses as text.

use std::time::{SystemTime, UNIX_EPOCH};

use napi_derive::napi;
use refold_session::api::ApiPage;
use refold_session::{
    CacheStats, Error, Integration, LinkedAccount, LinkedAccountPage, REDACTED, RevokeResult,
    SessionToken, format_rfc3339,
};
use serde_json::{Map, Value};

/// A failure, field for field as the core reports it.
#[napi(object, object_from_js = false)]
pub struct ErrorPayload {
    /// `ErrorCode::as_str()`: the key of index.js's table of error classes.
    pub code: String,
    /// `Error::message()`, verbatim.
    pub message: String,
    pub status: Option<u32>,
    pub request_id: Option<String>,
    /// Seconds.
    pub retry_after: Option<f64>,
    pub attempts: u32,
    /// Refold's own code (`error`, or `error_code`).
    pub server_code: Option<String>,
    /// Refold's `http_error_type`.
    pub http_error_type: Option<String>,
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
            server_code: error.server_code().map(str::to_owned),
            http_error_type: error.http_error_type().map(str::to_owned),
        }
    }
}

/// A session token, for index.js's `SessionToken` constructor (called once per token: the
/// object it makes is kept in the token's host slot).
#[napi(object, object_from_js = false)]
pub struct TokenPayload {
    pub token: String,
    /// `SessionToken::redacted()`: what inspect/toString show instead of the token.
    pub redacted: String,
    /// `REDACTED`: what they show instead of the refresh token.
    pub redacted_refresh: String,
    pub linked_account_id: String,
    pub expires_at_ms: f64,
    pub issued_at_ms: Option<f64>,
    /// `format_rfc3339(expires_at)`.
    pub expires_at_text: String,
    /// `format_rfc3339(issued_at)`.
    pub issued_at_text: Option<String>,
    pub refresh_token: Option<String>,
    pub refresh_expires_at_ms: Option<f64>,
    /// `format_rfc3339(refresh_expires_at)`.
    pub refresh_expires_at_text: Option<String>,
}

impl From<&SessionToken> for TokenPayload {
    fn from(token: &SessionToken) -> Self {
        TokenPayload {
            token: token.token().to_owned(),
            redacted: token.redacted(),
            redacted_refresh: REDACTED.to_owned(),
            linked_account_id: token.linked_account_id().to_owned(),
            expires_at_ms: epoch_ms(token.expires_at()),
            issued_at_ms: token.issued_at().map(epoch_ms),
            expires_at_text: format_rfc3339(token.expires_at()),
            issued_at_text: token.issued_at().map(format_rfc3339),
            refresh_token: token.refresh_token().map(str::to_owned),
            refresh_expires_at_ms: token.refresh_expires_at().map(epoch_ms),
            refresh_expires_at_text: token.refresh_expires_at().map(format_rfc3339),
        }
    }
}

/// One connected application of a linked account.
#[napi(object, object_from_js = false)]
pub struct IntegrationPayload {
    /// Refold's `type`: the application's slug.
    #[napi(js_name = "type")]
    pub kind: String,
    pub name: String,
    pub app_id: Option<String>,
    pub icon: Option<String>,
    pub reauth_required: Option<bool>,
    pub created_at_ms: Option<f64>,
    pub updated_at_ms: Option<f64>,
}

impl From<&Integration> for IntegrationPayload {
    fn from(integration: &Integration) -> Self {
        IntegrationPayload {
            kind: integration.r#type.clone(),
            name: integration.name.clone(),
            app_id: integration.app_id.clone(),
            icon: integration.icon.clone(),
            reauth_required: integration.reauth_required,
            created_at_ms: integration.created_at.map(epoch_ms),
            updated_at_ms: integration.updated_at.map(epoch_ms),
        }
    }
}

/// A linked account: the core's reading of it, and the whole object as Refold sent it.
#[napi(object, object_from_js = false)]
pub struct AccountPayload {
    /// `LinkedAccount::json()` as JSON text.
    pub json: String,
    pub id: Option<String>,
    pub account_id: String,
    pub associated_org: Option<String>,
    pub environment: Option<String>,
    pub name: Option<String>,
    /// `LinkedAccount::udf()` (name → value) as JSON text.
    pub udf_json: String,
    /// Absent when Refold sent none (or `null`, as a create answers).
    pub integrations: Option<Vec<IntegrationPayload>>,
    pub is_seed: Option<bool>,
    pub tenant_account_id: Option<String>,
    pub new_account: Option<bool>,
    pub created_at_ms: Option<f64>,
    pub updated_at_ms: Option<f64>,
}

impl From<LinkedAccount> for AccountPayload {
    fn from(account: LinkedAccount) -> Self {
        AccountPayload {
            json: object_text(account.json()),
            id: account.id().map(str::to_owned),
            account_id: account.account_id().to_owned(),
            associated_org: account.associated_org().map(str::to_owned),
            environment: account.environment().map(str::to_owned),
            name: account.name().map(str::to_owned),
            udf_json: Value::from_iter(account.udf().clone()).to_string(),
            integrations: account
                .integrations()
                .map(|list| list.iter().map(IntegrationPayload::from).collect()),
            is_seed: account.is_seed(),
            tenant_account_id: account.tenant_account_id().map(str::to_owned),
            new_account: account.new_account(),
            created_at_ms: account.created_at().map(epoch_ms),
            updated_at_ms: account.updated_at().map(epoch_ms),
        }
    }
}

/// One page of linked accounts.
#[napi(object, object_from_js = false)]
pub struct PagePayload {
    pub accounts: Vec<AccountPayload>,
    pub page: u32,
    pub limit: u32,
    pub total: f64,
    pub total_pages: u32,
    pub paging_counter: f64,
    pub has_prev_page: bool,
    pub prev_page: Option<u32>,
    pub has_next_page: bool,
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
            paging_counter: page.paging_counter as f64,
            has_prev_page: page.has_prev_page,
            prev_page: page.prev_page,
            has_next_page: page.has_next_page,
            next_page: page.next_page,
        }
    }
}

/// Refold's answer to a revocation.
#[napi(object, object_from_js = false)]
pub struct RevokePayload {
    pub success: bool,
    pub revoked_count: f64,
}

impl From<RevokeResult> for RevokePayload {
    fn from(result: RevokeResult) -> Self {
        RevokePayload {
            success: result.success,
            revoked_count: result.revoked_count as f64,
        }
    }
}

/// The session cache's counters.
#[napi(object, object_from_js = false)]
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
    pub rate_limit_waits: f64,
    pub rate_limit_wait_ms: f64,
    pub rate_limit_refused: f64,
    #[napi(js_name = "rateLimit429s")]
    pub rate_limit_429s: f64,
    pub rate_limit_background_deferred: f64,
    pub rate_limit_fleet_fallbacks: f64,
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
            rate_limit_waits: stats.rate_limit_waits as f64,
            rate_limit_wait_ms: stats.rate_limit_wait_ms as f64,
            rate_limit_refused: stats.rate_limit_refused as f64,
            rate_limit_429s: stats.rate_limit_429s as f64,
            rate_limit_background_deferred: stats.rate_limit_background_deferred as f64,
            rate_limit_fleet_fallbacks: stats.rate_limit_fleet_fallbacks as f64,
        }
    }
}

/// One page of a paginated list: its items, the page to ask for next (none after the last,
/// as the core decides) and the whole answer, as JSON text.
#[napi(object, object_from_js = false)]
pub struct ApiPagePayload {
    pub items_json: String,
    pub next_page: Option<u32>,
    pub body_json: String,
}

impl From<ApiPage> for ApiPagePayload {
    fn from(page: ApiPage) -> Self {
        ApiPagePayload {
            items_json: json_text(&Value::Array(page.items)),
            next_page: page.next_page,
            body_json: json_text(&page.body),
        }
    }
}

/// A JSON value as text.
pub fn json_text(value: &Value) -> String {
    // A JSON value always serialises.
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
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
