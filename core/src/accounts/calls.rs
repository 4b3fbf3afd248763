//! The linked-account calls of [`Client`] (docs/contract.md §Linked accounts): each builds its
//! request, sends it through the engine and reads the answer. Each has a `*_with` form taking
//! per-call options.

use std::time::SystemTime;

use bytes::Bytes;
use reqwest::Method;

use super::model::{LinkedAccount, LinkedAccountInput, LinkedAccountPage, validate_page};
use crate::client::Client;
use crate::endpoint::{LINKED_ACCOUNT_PATH, api_url, linked_account_url};
use crate::engine::{Credentials, Request, RetryPolicy};
use crate::error::{Error, ErrorCode};
use crate::mapping::{Call, unexpected_body};
use crate::options::RequestOptions;
use crate::ratelimit::Priority;
use crate::validate::validate_linked_account_id;

impl Client {
    /// Creates the linked account, or updates it if it exists (`PUT`; retried like every
    /// idempotent call). Refold's answer says which (`new_account`).
    pub async fn upsert_linked_account(
        &self,
        input: &LinkedAccountInput,
    ) -> Result<LinkedAccount, Error> {
        self.upsert_linked_account_with(input, RequestOptions::default())
            .await
    }

    /// [`Client::upsert_linked_account`] with per-call options.
    pub async fn upsert_linked_account_with(
        &self,
        input: &LinkedAccountInput,
        options: RequestOptions,
    ) -> Result<LinkedAccount, Error> {
        self.write_linked_account(Method::PUT, input, options).await
    }

    /// Creates the linked account; one that exists already is `bad_request`. A `POST` is not
    /// idempotent: it is retried only when the request never left (e.g. connection refused).
    pub async fn create_linked_account(
        &self,
        input: &LinkedAccountInput,
    ) -> Result<LinkedAccount, Error> {
        self.create_linked_account_with(input, RequestOptions::default())
            .await
    }

    /// [`Client::create_linked_account`] with per-call options.
    pub async fn create_linked_account_with(
        &self,
        input: &LinkedAccountInput,
        options: RequestOptions,
    ) -> Result<LinkedAccount, Error> {
        self.write_linked_account(Method::POST, input, options)
            .await
    }

    async fn write_linked_account(
        &self,
        method: Method,
        input: &LinkedAccountInput,
        options: RequestOptions,
    ) -> Result<LinkedAccount, Error> {
        input.validate()?;
        options.check()?;
        let id = input.linked_account_id.as_str();
        let (call, retry) = if method == Method::POST {
            (Call::Create(id), RetryPolicy::OnlyUnsent)
        } else {
            (Call::Upsert(id), RetryPolicy::Transient)
        };
        let body = serde_json::to_vec(&input.to_body()).expect("JSON values always serialise");
        let request = Request {
            method,
            url: api_url(&self.config().base, LINKED_ACCOUNT_PATH),
            body: Some(Bytes::from(body)),
            call,
            retry,
            credentials: Credentials::ApiKey,
            timeout: options.timeout,
            traceparent: options.traceparent,
            max_retries: options.max_retries,
            secrets: input.secrets(),
            priority: Priority::Interactive,
            headers: reqwest::header::HeaderMap::new(),
        };
        self.engine().execute(request, decode_account).await
    }

    /// The linked account `linked_account_id`; an unknown one is `not_found`.
    pub async fn get_linked_account(
        &self,
        linked_account_id: &str,
    ) -> Result<LinkedAccount, Error> {
        self.get_linked_account_with(linked_account_id, RequestOptions::default())
            .await
    }

    /// [`Client::get_linked_account`] with per-call options.
    pub async fn get_linked_account_with(
        &self,
        linked_account_id: &str,
        options: RequestOptions,
    ) -> Result<LinkedAccount, Error> {
        validate_linked_account_id(linked_account_id)?;
        options.check()?;
        let request = Request {
            method: Method::GET,
            url: linked_account_url(&self.config().base, linked_account_id),
            body: None,
            call: Call::Get(linked_account_id),
            retry: RetryPolicy::Transient,
            credentials: Credentials::ApiKey,
            timeout: options.timeout,
            traceparent: options.traceparent,
            max_retries: options.max_retries,
            secrets: Vec::new(),
            priority: Priority::Interactive,
            headers: reqwest::header::HeaderMap::new(),
        };
        self.engine().execute(request, decode_account).await
    }

    /// Deletes the linked account; an unknown one is `not_found`. Returns Refold's answer
    /// (e.g. `{"message": …}`).
    pub async fn delete_linked_account(
        &self,
        linked_account_id: &str,
    ) -> Result<serde_json::Map<String, serde_json::Value>, Error> {
        self.delete_linked_account_with(linked_account_id, RequestOptions::default())
            .await
    }

    /// [`Client::delete_linked_account`] with per-call options.
    pub async fn delete_linked_account_with(
        &self,
        linked_account_id: &str,
        options: RequestOptions,
    ) -> Result<serde_json::Map<String, serde_json::Value>, Error> {
        validate_linked_account_id(linked_account_id)?;
        options.check()?;
        let request = Request {
            method: Method::DELETE,
            url: linked_account_url(&self.config().base, linked_account_id),
            body: None,
            call: Call::Delete(linked_account_id),
            retry: RetryPolicy::Transient,
            credentials: Credentials::ApiKey,
            timeout: options.timeout,
            traceparent: options.traceparent,
            max_retries: options.max_retries,
            secrets: Vec::new(),
            priority: Priority::Interactive,
            headers: reqwest::header::HeaderMap::new(),
        };
        let answer = self
            .engine()
            .execute(request, |body, _| match serde_json::from_slice(body) {
                Ok(serde_json::Value::Object(answer)) => Ok(answer),
                // An empty 2xx body is a successful delete too.
                _ if body.iter().all(u8::is_ascii_whitespace) => Ok(serde_json::Map::new()),
                _ => Err(unexpected_body("a JSON object")),
            })
            .await;
        // A deleted (or unknown) account's cached token must not be served any more.
        if answer.is_ok()
            || answer
                .as_ref()
                .is_err_and(|e| e.code() == ErrorCode::NotFound)
        {
            self.invalidate(linked_account_id).await;
        }
        answer
    }

    /// One page of linked accounts, in creation order: `page` from 1, `limit` from 1 to 100.
    pub async fn list_linked_accounts(
        &self,
        page: u32,
        limit: u32,
    ) -> Result<LinkedAccountPage, Error> {
        self.list_linked_accounts_with(page, limit, RequestOptions::default())
            .await
    }

    /// [`Client::list_linked_accounts`] with per-call options.
    pub async fn list_linked_accounts_with(
        &self,
        page: u32,
        limit: u32,
        options: RequestOptions,
    ) -> Result<LinkedAccountPage, Error> {
        validate_page(page, limit)?;
        options.check()?;
        let mut url = api_url(&self.config().base, LINKED_ACCOUNT_PATH);
        url.query_pairs_mut()
            .append_pair("page", &page.to_string())
            .append_pair("limit", &limit.to_string());
        let request = Request {
            method: Method::GET,
            url,
            body: None,
            call: Call::List,
            retry: RetryPolicy::Transient,
            credentials: Credentials::ApiKey,
            timeout: options.timeout,
            traceparent: options.traceparent,
            max_retries: options.max_retries,
            secrets: Vec::new(),
            priority: Priority::Interactive,
            headers: reqwest::header::HeaderMap::new(),
        };
        self.engine()
            .execute(request, |body, _| {
                serde_json::from_slice(body)
                    .ok()
                    .and_then(|json| LinkedAccountPage::from_json(json, page, limit))
                    .ok_or_else(|| unexpected_body("a page of linked accounts"))
            })
            .await
    }
}

/// A 2xx body that should be a linked account.
pub(crate) fn decode_account(
    body: &[u8],
    _received_at: SystemTime,
) -> Result<LinkedAccount, Error> {
    match serde_json::from_slice(body) {
        Ok(serde_json::Value::Object(object)) => LinkedAccount::from_json(object),
        _ => None,
    }
    .ok_or_else(|| unexpected_body("a linked account"))
}
