//! Webhook deliveries (docs/contract.md §15): the signature check and the typed event, each
//! the core's `refold_session::webhook`. `index.js` turns the raw body into one `Buffer` and
//! the header into one string (or `null`) first.

use std::panic::AssertUnwindSafe;

use napi::Result;
use napi::bindgen_prelude::{Buffer, Either};
use napi_derive::napi;
use refold_session::host;
use refold_session::webhook::{self, WebhookEvent};

use crate::dispatch::guarded;
use crate::records::ErrorPayload;

/// A webhook event, member for member as the core reads it.
#[napi(object, object_from_js = false)]
pub struct WebhookEventPayload {
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
    /// The whole payload as JSON text.
    pub json: String,
}

impl From<WebhookEvent> for WebhookEventPayload {
    fn from(event: WebhookEvent) -> Self {
        WebhookEventPayload {
            event_type: event.event_type.as_str().to_owned(),
            dedup_key: event.dedup_key(),
            json: event.raw.to_string(),
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

/// `webhook::verify_webhook_signature`: `false` for a missing (`null`) or malformed header.
#[napi]
pub fn verify_webhook_signature(
    raw_body: Buffer,
    signature_header: Option<String>,
    api_key: String,
) -> Result<bool> {
    guarded(
        AssertUnwindSafe(|| {
            Ok(webhook::verify_webhook_signature(
                &raw_body,
                signature_header.as_deref().unwrap_or(""),
                &api_key,
            ))
        }),
        |_| false,
    )
}

/// `WebhookEvent::parse`: the event, or why the body is not one (`invalid_input`).
#[napi]
pub fn parse_webhook_event(raw_body: Buffer) -> Result<Either<WebhookEventPayload, ErrorPayload>> {
    guarded(
        AssertUnwindSafe(|| {
            Ok(match WebhookEvent::parse(&raw_body) {
                Ok(event) => Either::A(event.into()),
                Err(error) => Either::B(error.into()),
            })
        }),
        Either::B,
    )
}

/// The core's `invalid_input` for a raw body that is neither a `Buffer`, a typed array nor a
/// string (`received`: JavaScript's name for what was given).
#[napi]
pub fn webhook_body_type_error(received: String) -> ErrorPayload {
    host::webhook_body_type_error("a Buffer, a Uint8Array or a string", &received).into()
}
