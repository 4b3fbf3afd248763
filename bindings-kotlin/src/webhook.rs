//! Webhook deliveries (docs/contract.md §15): the signature check and the event, each the
//! core's `refold_session::webhook`. The Kotlin layer (`Refold`, `WebhookEvent`) answers
//! `false` itself for a header or key that is null or not valid Unicode (uniffi's encoder
//! would throw on a lone surrogate).

use refold_session::webhook::{self, WebhookEvent};

use crate::error::FfiError;
use crate::json::{self, FfiJsonMember};
use crate::{FfiClient, guard};

/// A webhook event, member for member as the core reads it.
#[derive(Clone, Debug, uniffi::Record)]
pub struct FfiWebhookEvent {
    /// `WebhookEventType::as_str()`: the `event` member.
    pub event_type: String,
    pub linked_account_id: Option<String>,
    pub org_id: Option<String>,
    pub environment: Option<String>,
    /// The `type` member.
    pub kind: Option<String>,
    pub slug: Option<String>,
    pub created_at: Option<String>,
    pub instance_id: Option<String>,
    pub workflow_id: Option<String>,
    pub workflow_name: Option<String>,
    pub config_id: Option<String>,
    pub status: Option<String>,
    /// `WebhookEvent::dedup_key()`.
    pub dedup_key: String,
    /// The whole payload's members.
    pub json: Vec<FfiJsonMember>,
}

impl From<WebhookEvent> for FfiWebhookEvent {
    fn from(event: WebhookEvent) -> Self {
        FfiWebhookEvent {
            event_type: event.event_type.as_str().to_owned(),
            dedup_key: event.dedup_key(),
            json: match event.raw {
                serde_json::Value::Object(members) => json::members(members),
                _ => Vec::new(),
            },
            linked_account_id: event.linked_account_id,
            org_id: event.org_id,
            environment: event.environment,
            kind: event.kind,
            slug: event.slug,
            created_at: event.created_at,
            instance_id: event.instance_id,
            workflow_id: event.workflow_id,
            workflow_name: event.workflow_name,
            config_id: event.config_id,
            status: event.status,
        }
    }
}

/// `webhook::verify_webhook_signature`.
#[uniffi::export]
pub fn verify_webhook_signature(
    raw_body: Vec<u8>,
    signature_header: String,
    api_key: Vec<u8>,
) -> Result<bool, FfiError> {
    guard(|| {
        // The key crosses as bytes (never a String a generated toString could show); one that
        // is not UTF-8 cannot be an API key.
        let Ok(api_key) = std::str::from_utf8(&api_key) else {
            return Ok(false);
        };
        Ok(webhook::verify_webhook_signature(
            &raw_body,
            &signature_header,
            api_key,
        ))
    })
}

/// `WebhookEvent::parse`: the event, or why the body is not one (`invalid_input`).
#[uniffi::export]
pub fn parse_webhook_event(raw_body: Vec<u8>) -> Result<FfiWebhookEvent, FfiError> {
    guard(|| Ok(WebhookEvent::parse(&raw_body)?.into()))
}

#[uniffi::export]
impl FfiClient {
    /// `Client::verify_webhook_signature`; `None` after `release()`.
    pub fn verify_webhook_signature(
        &self,
        raw_body: Vec<u8>,
        signature_header: String,
    ) -> Result<Option<bool>, FfiError> {
        guard(|| {
            Ok(self
                .current()
                .map(|client| client.verify_webhook_signature(&raw_body, &signature_header)))
        })
    }
}
