//! Webhooks Refold sends to your backend: checking a delivery's `x-cobalt-signature` and
//! reading its event (docs/contract.md §Webhooks).
//!
//! The signature is the HMAC-SHA256 of the raw request body keyed on the org's API key, as
//! 64 hex digits. Refold retries a delivery that did not get a 200 and may deliver an event
//! more than once: deduplicate on [`WebhookEvent::dedup_key`].

use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Map, Value};
use sha2::Sha256;

use crate::error::Error;

/// The header carrying a delivery's signature.
pub const SIGNATURE_HEADER: &str = "x-cobalt-signature";
/// The largest webhook body [`WebhookEvent::parse`] reads; Refold's events are a few hundred
/// bytes.
pub const MAX_WEBHOOK_BODY_BYTES: usize = 1024 * 1024;
/// An HMAC-SHA256 in hex.
const SIGNATURE_HEX_DIGITS: usize = 64;

/// Whether `signature_header` is the HMAC-SHA256 of `raw_body` keyed on `api_key`.
///
/// The header must be exactly 64 hex digits (either case, as hex decoders read them; ASCII
/// whitespace around it is ignored, as HTTP does); anything else — missing, empty, shorter,
/// longer, not hex, a `sha256=` prefix — is `false`, never a panic. The comparison takes the
/// same time wherever the digests differ. An empty `api_key` verifies nothing (`false`).
/// Compute over the raw bytes received, before any JSON parsing.
pub fn verify_webhook_signature(raw_body: &[u8], signature_header: &str, api_key: &str) -> bool {
    if api_key.is_empty() {
        return false;
    }
    let Some(claimed) =
        decode_hex(signature_header.trim_matches(|c: char| c.is_ascii_whitespace()))
    else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(api_key.as_bytes()).expect("HMAC takes any key");
    mac.update(raw_body);
    mac.verify_slice(&claimed).is_ok()
}

/// 64 hex digits as 32 bytes; `None` for anything else.
fn decode_hex(text: &str) -> Option<[u8; SIGNATURE_HEX_DIGITS / 2]> {
    let digits = text.as_bytes();
    if digits.len() != SIGNATURE_HEX_DIGITS {
        return None;
    }
    let value = |digit: u8| match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    };
    let mut bytes = [0u8; SIGNATURE_HEX_DIGITS / 2];
    for (byte, pair) in bytes.iter_mut().zip(digits.chunks_exact(2)) {
        *byte = value(pair[0])? << 4 | value(pair[1])?;
    }
    Some(bytes)
}

/// The kind of a webhook event, as its `event` member names it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum WebhookEventType {
    /// `Connection Created`: a customer connected an app.
    ConnectionCreated,
    /// `Connection Deleted`: a connection was removed.
    ConnectionDeleted,
    /// `Connection Expired`: a connection needs re-authentication.
    ConnectionExpired,
    /// `Workflow Completed`: a workflow run finished.
    WorkflowCompleted,
    /// `Workflow Errored`: a workflow run stopped on an error.
    WorkflowErrored,
    /// An event this library does not know yet, by its name.
    Other(String),
}

impl WebhookEventType {
    /// Every event Refold documents, by name.
    pub const DOCUMENTED: [&'static str; 5] = [
        "Connection Created",
        "Connection Deleted",
        "Connection Expired",
        "Workflow Completed",
        "Workflow Errored",
    ];

    /// The type named `name` (`Other` for a name Refold does not document).
    pub fn from_name(name: &str) -> WebhookEventType {
        match name {
            "Connection Created" => WebhookEventType::ConnectionCreated,
            "Connection Deleted" => WebhookEventType::ConnectionDeleted,
            "Connection Expired" => WebhookEventType::ConnectionExpired,
            "Workflow Completed" => WebhookEventType::WorkflowCompleted,
            "Workflow Errored" => WebhookEventType::WorkflowErrored,
            other => WebhookEventType::Other(other.to_owned()),
        }
    }

    /// The event's name as Refold sends it.
    pub fn as_str(&self) -> &str {
        match self {
            WebhookEventType::ConnectionCreated => "Connection Created",
            WebhookEventType::ConnectionDeleted => "Connection Deleted",
            WebhookEventType::ConnectionExpired => "Connection Expired",
            WebhookEventType::WorkflowCompleted => "Workflow Completed",
            WebhookEventType::WorkflowErrored => "Workflow Errored",
            WebhookEventType::Other(name) => name,
        }
    }

    /// Whether this is a connection event (`slug` names the app).
    pub fn is_connection(&self) -> bool {
        matches!(
            self,
            WebhookEventType::ConnectionCreated
                | WebhookEventType::ConnectionDeleted
                | WebhookEventType::ConnectionExpired
        )
    }

    /// Whether this is a workflow event (`instance_id` names the run).
    pub fn is_workflow(&self) -> bool {
        matches!(
            self,
            WebhookEventType::WorkflowCompleted | WebhookEventType::WorkflowErrored
        )
    }
}

/// A webhook event, as Refold's webhooks page documents its payloads. Every member but the
/// event's type may be absent; `raw` keeps the whole payload, members this type does not name
/// included.
#[derive(Clone, Debug, PartialEq)]
pub struct WebhookEvent {
    /// `event`.
    pub event_type: WebhookEventType,
    /// `linked_account_id`: the linked account the event concerns.
    pub linked_account_id: Option<String>,
    /// `org_id` (connection events).
    pub org_id: Option<String>,
    /// `environment`: `test` or `production` (connection events).
    pub environment: Option<String>,
    /// `type` (connection events, e.g. `General`).
    pub kind: Option<String>,
    /// `slug`: the app of the connection (connection events).
    pub slug: Option<String>,
    /// `createdAt`, as sent (an HTTP date, e.g. `Tue, 07 Nov 2023 08:03:27 GMT`).
    pub created_at: Option<String>,
    /// `instance_id`: the workflow run (workflow events).
    pub instance_id: Option<String>,
    /// `workflow_id` (workflow events).
    pub workflow_id: Option<String>,
    /// `workflow_name` (workflow events).
    pub workflow_name: Option<String>,
    /// `config_id` (workflow events).
    pub config_id: Option<String>,
    /// `status`: `COMPLETED` or `ERRORED` (workflow events).
    pub status: Option<String>,
    /// The whole payload.
    pub raw: Value,
}

impl WebhookEvent {
    /// Reads a webhook body (check its signature first, with
    /// [`verify_webhook_signature`]). Fails with `invalid_input` for a body over
    /// [`MAX_WEBHOOK_BODY_BYTES`], one that is not a JSON object, one without a string `event`,
    /// or a documented member that is neither a string nor null.
    pub fn parse(raw_body: &[u8]) -> Result<WebhookEvent, Error> {
        if raw_body.len() > MAX_WEBHOOK_BODY_BYTES {
            return Err(Error::invalid_input(format!(
                "the webhook body is {} bytes long; at most {MAX_WEBHOOK_BODY_BYTES} are read.",
                raw_body.len()
            )));
        }
        let raw: Value = serde_json::from_slice(raw_body).map_err(|e| {
            Error::invalid_input(format!(
                "the webhook body is not JSON (line {}, column {}).",
                e.line(),
                e.column()
            ))
        })?;
        let Value::Object(members) = &raw else {
            return Err(Error::invalid_input(
                "the webhook body is not a JSON object; Refold's events are objects.",
            ));
        };
        let event_type = match members.get("event") {
            Some(Value::String(name)) => WebhookEventType::from_name(name),
            Some(_) => {
                return Err(Error::invalid_input(
                    "the webhook body's event must be a string such as \"Workflow Completed\".",
                ));
            }
            None => {
                return Err(Error::invalid_input(
                    "the webhook body has no event member; it is not a Refold webhook event.",
                ));
            }
        };
        Ok(WebhookEvent {
            event_type,
            linked_account_id: text(members, "linked_account_id")?,
            org_id: text(members, "org_id")?,
            environment: text(members, "environment")?,
            kind: text(members, "type")?,
            slug: text(members, "slug")?,
            created_at: text(members, "createdAt")?,
            instance_id: text(members, "instance_id")?,
            workflow_id: text(members, "workflow_id")?,
            workflow_name: text(members, "workflow_name")?,
            config_id: text(members, "config_id")?,
            status: text(members, "status")?,
            raw,
        })
    }

    /// What identifies the event across repeated deliveries, as the webhooks page advises:
    /// the run (`instance_id`) and the event for workflow events, else the event, the linked
    /// account, the app and `createdAt`.
    pub fn dedup_key(&self) -> String {
        let part = |value: &Option<String>| value.as_deref().unwrap_or("").to_owned();
        if let Some(instance) = &self.instance_id {
            return format!("{}\u{1f}{instance}", self.event_type.as_str());
        }
        [
            self.event_type.as_str().to_owned(),
            part(&self.linked_account_id),
            part(&self.slug),
            part(&self.created_at),
        ]
        .join("\u{1f}")
    }
}

/// The member `name` when it is a string; `None` when absent or null.
fn text(members: &Map<String, Value>, name: &str) -> Result<Option<String>, Error> {
    match members.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(value)) => Ok(Some(value.clone())),
        Some(_) => Err(Error::invalid_input(format!(
            "the webhook body's {name} must be a string."
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    const KEY: &str = "sk_webhook_DISTINCTIVE_7f3a";
    const CONNECTION: &[u8] = br#"{"linked_account_id":"12345","org_id":"645270e37917442c4307297a","environment":"test","type":"General","event":"Connection Created","slug":"hubspot","createdAt":"Tue, 07 Nov 2023 08:03:27 GMT"}"#;
    const WORKFLOW: &[u8] = br#"{"linked_account_id":"12345","instance_id":"656f30f69144bb8f183c0118","workflow_id":"6495792b9b6ca6d77a17e513","config_id":"12345","event":"Workflow Completed","workflow_name":"Export contact to HubSpot","status":"COMPLETED"}"#;

    fn sign(body: &[u8], key: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).unwrap();
        mac.update(body);
        mac.finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    #[test]
    fn a_good_signature_verifies_in_either_case() {
        let signature = sign(CONNECTION, KEY);
        assert!(verify_webhook_signature(CONNECTION, &signature, KEY));
        assert!(verify_webhook_signature(
            CONNECTION,
            &signature.to_uppercase(),
            KEY
        ));
        assert!(verify_webhook_signature(
            CONNECTION,
            &format!(" {signature}\t"),
            KEY
        ));
        let mixed: String = signature
            .chars()
            .enumerate()
            .map(|(i, c)| {
                if i % 2 == 0 {
                    c.to_ascii_uppercase()
                } else {
                    c
                }
            })
            .collect();
        assert!(verify_webhook_signature(CONNECTION, &mixed, KEY));
        // RFC 4231 test case 2.
        assert!(verify_webhook_signature(
            b"what do ya want for nothing?",
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            "Jefe"
        ));
    }

    #[test]
    fn a_tampered_body_or_another_key_does_not() {
        let signature = sign(CONNECTION, KEY);
        let mut tampered = CONNECTION.to_vec();
        tampered[20] ^= 1;
        assert!(!verify_webhook_signature(&tampered, &signature, KEY));
        assert!(!verify_webhook_signature(
            CONNECTION, &signature, "sk_other"
        ));
        assert!(!verify_webhook_signature(CONNECTION, &signature, ""));
        // Re-serialised JSON is other bytes.
        let reserialised =
            serde_json::to_vec(&serde_json::from_slice::<Value>(CONNECTION).unwrap()).unwrap();
        assert_ne!(reserialised, CONNECTION);
        assert!(!verify_webhook_signature(&reserialised, &signature, KEY));
    }

    #[test]
    fn malformed_headers_are_false_never_a_panic() {
        let signature = sign(WORKFLOW, KEY);
        let cases = [
            String::new(),
            " ".to_owned(),
            signature[..63].to_owned(),
            signature[..62].to_owned(),
            format!("{signature}0"),
            format!("{signature}00"),
            format!("sha256={signature}"),
            signature.replacen(|c: char| c.is_ascii_hexdigit(), "g", 1),
            format!("{}é", &signature[..62]),
            "ü".repeat(32),
            "🦀".repeat(16),
            "0".repeat(64),
            "x".repeat(100_000),
            format!("{}\n{}", &signature[..32], &signature[32..]),
        ];
        for header in &cases {
            assert!(
                !verify_webhook_signature(WORKFLOW, header, KEY),
                "{header:?}"
            );
        }
    }

    #[test]
    fn both_documented_payloads_parse() {
        let connection = WebhookEvent::parse(CONNECTION).unwrap();
        assert_eq!(connection.event_type, WebhookEventType::ConnectionCreated);
        assert!(connection.event_type.is_connection());
        assert_eq!(connection.linked_account_id.as_deref(), Some("12345"));
        assert_eq!(connection.slug.as_deref(), Some("hubspot"));
        assert_eq!(connection.kind.as_deref(), Some("General"));
        assert_eq!(connection.environment.as_deref(), Some("test"));
        assert_eq!(
            connection.created_at.as_deref(),
            Some("Tue, 07 Nov 2023 08:03:27 GMT")
        );
        assert_eq!(connection.instance_id, None);

        let workflow = WebhookEvent::parse(WORKFLOW).unwrap();
        assert_eq!(workflow.event_type, WebhookEventType::WorkflowCompleted);
        assert!(workflow.event_type.is_workflow());
        assert_eq!(
            workflow.instance_id.as_deref(),
            Some("656f30f69144bb8f183c0118")
        );
        assert_eq!(workflow.status.as_deref(), Some("COMPLETED"));
        assert_eq!(
            workflow.workflow_name.as_deref(),
            Some("Export contact to HubSpot")
        );
        assert_eq!(workflow.raw["config_id"], "12345");
        for name in WebhookEventType::DOCUMENTED {
            assert_eq!(WebhookEventType::from_name(name).as_str(), name);
            assert!(!matches!(
                WebhookEventType::from_name(name),
                WebhookEventType::Other(_)
            ));
        }
    }

    #[test]
    fn duplicates_parse_the_same_and_share_a_dedup_key() {
        let first = WebhookEvent::parse(WORKFLOW).unwrap();
        let again = WebhookEvent::parse(WORKFLOW).unwrap();
        assert_eq!(first, again);
        assert_eq!(first.dedup_key(), again.dedup_key());
        let connection = WebhookEvent::parse(CONNECTION).unwrap();
        assert_ne!(first.dedup_key(), connection.dedup_key());
        assert_eq!(
            connection.dedup_key(),
            WebhookEvent::parse(CONNECTION).unwrap().dedup_key()
        );
    }

    #[test]
    fn unknown_events_and_members_are_kept() {
        let event = WebhookEvent::parse(br#"{"event":"Token Rotated","extra":{"n":1}}"#).unwrap();
        assert_eq!(
            event.event_type,
            WebhookEventType::Other("Token Rotated".to_owned())
        );
        assert_eq!(event.raw["extra"]["n"], 1);
        let nulls = WebhookEvent::parse(br#"{"event":"Workflow Errored","status":null}"#).unwrap();
        assert_eq!(nulls.status, None);
    }

    #[test]
    fn bad_bodies_are_invalid_input() {
        let too_deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        let too_big = vec![b' '; MAX_WEBHOOK_BODY_BYTES + 1];
        for body in [
            &b""[..],
            b"not json",
            b"[]",
            b"\"Workflow Completed\"",
            b"{}",
            br#"{"event":5}"#,
            br#"{"event":"Workflow Completed","linked_account_id":12345}"#,
            br#"{"event":"Connection Created","slug":["hubspot"]}"#,
            b"\xff\xfe",
            too_deep.as_bytes(),
            &too_big,
        ] {
            let error = WebhookEvent::parse(body).unwrap_err();
            assert_eq!(error.code(), ErrorCode::InvalidInput, "{body:?}");
            assert!(!error.message().is_empty());
        }
    }
}
