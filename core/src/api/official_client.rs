//! [`Official`]: the official Node SDK's calls as methods of a Rust client (`client.official()`;
//! the methods are generated into `official_generated.rs` from conformance/openapi/overlay.json
//! → `official_sdk.calls`), each calling the operation of today's API the overlay maps it to.

use serde_json::Value;

use super::call::ApiRequest;
use crate::client::Client;
use crate::error::Error;
use crate::options::RequestOptions;

/// The official SDK's calls under Rust names ([`Client::official`]): each builds the request of
/// the operation today's API has for it and calls it with this value's options.
#[derive(Clone, Debug)]
pub struct Official<'a> {
    pub(crate) client: &'a Client,
    pub(crate) options: RequestOptions,
}

impl Client {
    /// The official Node SDK's 27 calls under Rust names, e.g.
    /// `client.official().get_applications("acct-1")`.
    pub fn official(&self) -> Official<'_> {
        self.official_with(RequestOptions::default())
    }

    /// [`Client::official`] with per-call options for every call made through it.
    pub fn official_with(&self, options: RequestOptions) -> Official<'_> {
        Official {
            client: self,
            options,
        }
    }
}

impl Official<'_> {
    pub(crate) async fn send(
        &self,
        operation_id: &str,
        request: ApiRequest,
    ) -> Result<Value, Error> {
        self.client
            .call_with(operation_id, request, self.options)
            .await
    }
}

/// The SDK payload's member `name` as text (another JSON value as its JSON text), when set.
pub(crate) fn text(payload: &Value, name: &str) -> Option<String> {
    member(payload, name).map(|value| match value {
        Value::String(text) => text,
        other => other.to_string(),
    })
}

/// The SDK payload's member `name`, when it is set.
pub(crate) fn member(payload: &Value, name: &str) -> Option<Value> {
    match payload.get(name) {
        None | Some(Value::Null) => None,
        Some(value) => Some(value.clone()),
    }
}

/// Whether the SDK payload's member `name` is set and not empty.
pub(crate) fn is_set(payload: &Value, name: &str) -> bool {
    match payload.get(name) {
        None | Some(Value::Null) => false,
        Some(Value::String(text)) => !text.is_empty(),
        Some(_) => true,
    }
}
