//! The calls authenticated by a session token instead of the API key (docs/contract.md
//! §Session token): revoking the token, and reading the linked account it belongs to.

use reqwest::Method;
use reqwest::header::HeaderValue;
use serde_json::Value;

use crate::accounts::{LinkedAccount, decode_account};
use crate::client::Client;
use crate::endpoint::{ACTIVE_LINKED_ACCOUNT_PATH, REVOKE_PATH, api_url};
use crate::engine::{Credentials, Request, RetryPolicy};
use crate::error::Error;
use crate::mapping::{Call, unexpected_body};
use crate::options::RequestOptions;
use crate::ratelimit::Priority;
use crate::token::SessionToken;
use crate::validate::validate_session_token;

/// What revoking a session token answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct RevokeResult {
    /// Refold's `success`.
    pub success: bool,
    /// Tokens revoked: 1 when it was the account's current token, else 0.
    pub revoked_count: u64,
}

impl RevokeResult {
    /// The fields every binding maps.
    pub const FIELDS: &'static [&'static str] = &["success", "revoked_count"];

    /// Reads Refold's `{success, revoked_count}`; `None` when it is not that.
    pub(crate) fn from_json(json: &Value) -> Option<RevokeResult> {
        Some(RevokeResult {
            success: json.get("success")?.as_bool()?,
            revoked_count: json
                .get("revoked_count")
                .and_then(Value::as_u64)
                .unwrap_or(0),
        })
    }
}

impl Client {
    /// Revokes `token` (`POST …/session-token/revoke`, authenticated by the token itself, not
    /// by the API key): Refold refuses it (and its refresh token) from then on. It leaves the
    /// cache and the fleet store first, so it is never handed out again. Revoking twice is
    /// harmless, so the call is retried like every idempotent one. A token Refold refuses
    /// (already revoked, expired, not one) is `authentication`.
    pub async fn revoke_session_token(&self, token: &str) -> Result<RevokeResult, Error> {
        self.revoke_session_token_with(token, RequestOptions::default())
            .await
    }

    /// [`Client::revoke_session_token`] with per-call options.
    pub async fn revoke_session_token_with(
        &self,
        token: &str,
        options: RequestOptions,
    ) -> Result<RevokeResult, Error> {
        let bearer = bearer(token)?;
        options.check()?;
        if let Some(cache) = self.cache() {
            cache
                .forget_token(token, SessionToken::claimed_linked_account_id(token))
                .await;
        }
        let request = Request {
            method: Method::POST,
            url: api_url(&self.config().base, REVOKE_PATH),
            body: None,
            call: Call::Revoke,
            retry: RetryPolicy::Transient,
            credentials: Credentials::Bearer(bearer),
            timeout: options.timeout,
            traceparent: options.traceparent,
            max_retries: options.max_retries,
            secrets: vec![token.to_owned()],
            priority: Priority::Interactive,
            headers: reqwest::header::HeaderMap::new(),
        };
        self.engine()
            .execute(request, |body, _| {
                serde_json::from_slice(body)
                    .ok()
                    .as_ref()
                    .and_then(RevokeResult::from_json)
                    .ok_or_else(|| unexpected_body("the answer to a revocation"))
            })
            .await
    }

    /// The linked account a session token belongs to (`GET …/session/active-linked-account`,
    /// authenticated by the token, not by the API key): what a front end holding only a token
    /// may ask. A token Refold refuses is `authentication`.
    pub async fn get_active_linked_account(&self, token: &str) -> Result<LinkedAccount, Error> {
        self.get_active_linked_account_with(token, RequestOptions::default())
            .await
    }

    /// [`Client::get_active_linked_account`] with per-call options.
    pub async fn get_active_linked_account_with(
        &self,
        token: &str,
        options: RequestOptions,
    ) -> Result<LinkedAccount, Error> {
        let bearer = bearer(token)?;
        options.check()?;
        let request = Request {
            method: Method::GET,
            url: api_url(&self.config().base, ACTIVE_LINKED_ACCOUNT_PATH),
            body: None,
            call: Call::ActiveAccount,
            retry: RetryPolicy::Transient,
            credentials: Credentials::Bearer(bearer),
            timeout: options.timeout,
            traceparent: options.traceparent,
            max_retries: options.max_retries,
            secrets: vec![token.to_owned()],
            priority: Priority::Interactive,
            headers: reqwest::header::HeaderMap::new(),
        };
        self.engine().execute(request, decode_account).await
    }
}

/// `Bearer <token>` for a session token checked before anything is sent; marked sensitive.
fn bearer(token: &str) -> Result<HeaderValue, Error> {
    validate_session_token(token)?;
    let mut value = HeaderValue::from_str(&format!("Bearer {token}"))
        .map_err(|_| Error::invalid_input("The session token cannot be sent in a header."))?;
    value.set_sensitive(true);
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn revocations_are_read_from_refolds_answer() {
        assert_eq!(
            RevokeResult::from_json(&json!({"success": true, "revoked_count": 1})),
            Some(RevokeResult {
                success: true,
                revoked_count: 1
            })
        );
        assert_eq!(RevokeResult::from_json(&json!({"revoked_count": 1})), None);
        assert!(bearer("a b").is_err() && bearer("").is_err());
        assert!(bearer("eyJ.a.b").unwrap().is_sensitive());
    }
}
