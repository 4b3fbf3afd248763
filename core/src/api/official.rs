//! The three calls of the official Node SDK (`@cobaltio/cobalt`; docs/contract.md §17 "The
//! official SDK's calls") whose routes Refold retired (`deleteWebhook`, `subscribeWebhookEvents`,
//! `unsubscribeWebhookEvent`): what core does for them. They are operations of their own,
//! `official.<name>` (`api::call` carries them out), so every
//! binding reaches them through its generic call: given the webhook's id (`webhook_id`) they
//! act on that webhook by today's operations (subscribe and unsubscribe read its events, then
//! set them); without it they are refused, nothing sent, with a sentence naming the
//! replacement.

use serde_json::{Map, Value};

use super::operation::{
    Auth, BodyKind, LinkedAccountHeader, Method, Operation, Pagination, Param, ParamKind,
    ParamLocation, RetryRule,
};
use crate::error::Error;
use crate::mapping::unexpected_body;

/// The prefix of the operation ids of the retired calls.
pub const OFFICIAL_PREFIX: &str = "official.";
/// Most events one subscribe call names.
pub const MAX_WEBHOOK_EVENTS: usize = 64;
/// Most characters of one event's name.
const MAX_EVENT_CHARS: usize = 256;

const WEBHOOK_ID: Param = Param {
    name: "webhook_id",
    key: "webhook_id",
    location: ParamLocation::Query,
    required: false,
    kind: ParamKind::Text,
};

const fn retired(
    id: &'static str,
    name: &'static str,
    method: Method,
    path: &'static str,
    body: BodyKind,
) -> Operation {
    Operation {
        id,
        name,
        tag: "Official SDK",
        method,
        path,
        params: &[WEBHOOK_ID],
        linked_account: LinkedAccountHeader::None,
        body,
        body_required: matches!(body, BodyKind::Json),
        auth: Auth::ApiKey,
        retry: RetryRule::UnsentOnly,
        pagination: Pagination::None,
        deprecated: true,
        success_status: 200,
    }
}

/// The retired calls as operations: their SDK routes, which are never sent (each is carried
/// out by today's webhook operations).
pub static RETIRED_OPERATIONS: [Operation; 3] = [
    retired(
        "official.deleteWebhook",
        "official_delete_webhook",
        Method::Delete,
        "/api/v2/public/webhook",
        BodyKind::None,
    ),
    retired(
        "official.subscribeWebhookEvents",
        "official_subscribe_webhook_events",
        Method::Post,
        "/api/v2/public/webhook/subscribe",
        BodyKind::Json,
    ),
    retired(
        "official.unsubscribeWebhookEvent",
        "official_unsubscribe_webhook_event",
        Method::Post,
        "/api/v2/public/webhook/unsubscribe",
        BodyKind::Json,
    ),
];

/// The retired call `operation_id` names, if it names one.
pub fn retired_operation(operation_id: &str) -> Option<&'static Operation> {
    RETIRED_OPERATIONS.iter().find(|op| op.id == operation_id)
}

/// What a retired call does with today's operations.
#[derive(Debug, PartialEq)]
pub(crate) enum Plan {
    /// `deleteWebhook` on the webhook.
    Delete { webhook_id: String },
    /// Read the webhook's events (`getWebhookById`), add `add` and drop `remove`, set them
    /// (`updateWebhook`).
    SetEvents {
        webhook_id: String,
        add: Vec<String>,
        remove: Option<String>,
    },
}

/// What a caller passed to a retired call: its parameters and body, and whether it named a
/// linked account or attached files.
pub(crate) struct Given<'a> {
    pub params: &'a Map<String, Value>,
    pub body: Option<&'a Value>,
    pub linked_account: bool,
    pub files: bool,
}

/// The plan of the retired call `op` for what was `given`, or why it cannot be carried out
/// (nothing is sent either way until the plan exists).
pub(crate) fn plan(op: &Operation, request: &Given<'_>) -> Result<Plan, Error> {
    let call = op.id.trim_start_matches(OFFICIAL_PREFIX);
    if let Some(key) = request.params.keys().find(|key| !WEBHOOK_ID.is_named(key)) {
        return Err(Error::invalid_input(format!(
            "{call}() takes webhook_id and the official SDK's payload, not \"{}\".",
            crate::redact::clean_line(key, 80)
        )));
    }
    if request.linked_account || request.files {
        return Err(Error::invalid_input(format!(
            "{call}() takes no linked account and no files."
        )));
    }
    let webhook_id = match request.params.get(WEBHOOK_ID.key) {
        None | Some(Value::Null) => return Err(no_webhook_id(op, call)),
        Some(Value::String(id)) => id.clone(),
        Some(_) => return Err(Error::invalid_input("webhook_id must be text.")),
    };
    let payload = request.body.and_then(Value::as_object);
    match call {
        "deleteWebhook" => {
            if request.body.is_some() {
                return Err(Error::invalid_input("deleteWebhook() takes no payload."));
            }
            Ok(Plan::Delete { webhook_id })
        }
        "subscribeWebhookEvents" => {
            let events = payload
                .and_then(|payload| payload.get("webhook_events"))
                .and_then(Value::as_array)
                .filter(|events| events.len() <= MAX_WEBHOOK_EVENTS)
                .and_then(|events| events.iter().map(event_name).collect::<Option<Vec<_>>>())
                .ok_or_else(|| {
                    Error::invalid_input(format!(
                        "subscribeWebhookEvents() takes {{webhook_events}}: a list of at most \
                         {MAX_WEBHOOK_EVENTS} event names."
                    ))
                })?;
            Ok(Plan::SetEvents {
                webhook_id,
                add: events,
                remove: None,
            })
        }
        _ => {
            let event = payload
                .and_then(|payload| payload.get("webhook_event"))
                .and_then(event_name)
                .ok_or_else(|| {
                    Error::invalid_input(
                        "unsubscribeWebhookEvent() takes {webhook_event}: one event name.",
                    )
                })?;
            Ok(Plan::SetEvents {
                webhook_id,
                add: Vec::new(),
                remove: Some(event),
            })
        }
    }
}

fn event_name(value: &Value) -> Option<String> {
    value
        .as_str()
        .filter(|name| !name.is_empty() && name.chars().count() <= MAX_EVENT_CHARS)
        .map(str::to_owned)
}

fn no_webhook_id(op: &Operation, call: &str) -> Error {
    let (replacement, route) = if call == "deleteWebhook" {
        ("deleteWebhook", "DELETE /api/v2/public/webhook/{id}")
    } else {
        ("updateWebhook", "PUT /api/v2/public/webhook/{id}")
    };
    Error::invalid_input(format!(
        "{call}() called {} {}, which Refold's API no longer has: pass the webhook's id \
         (webhook_id), or call the operation {replacement} ({route}).",
        op.method.as_str(),
        op.path
    ))
}

/// The body that sets a webhook's events: those `current` (the webhook as Refold answered it)
/// has, then `add`'s new ones, without `remove`.
pub(crate) fn events_body(
    current: &Value,
    add: &[String],
    remove: Option<&str>,
) -> Result<Value, Error> {
    let had = match current.get("webhook_events") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(events)) => events
            .iter()
            .map(|event| event.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| unexpected_body("a webhook with a list of event names"))?,
        Some(_) => return Err(unexpected_body("a webhook with a list of event names")),
    };
    let mut events = had;
    for event in add {
        if !events.contains(event) {
            events.push(event.clone());
        }
    }
    events.retain(|event| Some(event.as_str()) != remove);
    let mut body = Map::new();
    body.insert(
        "webhook_events".to_owned(),
        Value::Array(events.into_iter().map(Value::String).collect()),
    );
    Ok(Value::Object(body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(op: &Operation, params: Value, body: Option<Value>) -> Result<Plan, Error> {
        let given = Given {
            params: params.as_object().unwrap(),
            body: body.as_ref(),
            linked_account: false,
            files: false,
        };
        plan(op, &given)
    }

    #[test]
    fn without_a_webhook_id_each_is_refused_naming_its_replacement() {
        for (op, replacement) in [
            (&RETIRED_OPERATIONS[0], "deleteWebhook (DELETE"),
            (&RETIRED_OPERATIONS[1], "updateWebhook (PUT"),
            (&RETIRED_OPERATIONS[2], "updateWebhook (PUT"),
        ] {
            let error = check(op, json!({}), None).unwrap_err();
            assert_eq!(error.code(), crate::ErrorCode::InvalidInput);
            assert!(
                error.message().contains("no longer has"),
                "{}",
                error.message()
            );
            assert!(error.message().contains(replacement), "{}", error.message());
        }
    }

    #[test]
    fn payloads_are_checked() {
        let subscribe = &RETIRED_OPERATIONS[1];
        let ok = check(
            subscribe,
            json!({"webhook_id": "w"}),
            Some(json!({"webhook_events": ["a"]})),
        );
        assert_eq!(
            ok.unwrap(),
            Plan::SetEvents {
                webhook_id: "w".into(),
                add: vec!["a".into()],
                remove: None
            }
        );
        let many: Vec<String> = (0..=MAX_WEBHOOK_EVENTS).map(|n| n.to_string()).collect();
        for body in [
            None,
            Some(json!({})),
            Some(json!({"webhook_events": [1]})),
            Some(json!({"webhook_events": many})),
        ] {
            assert!(check(subscribe, json!({"webhook_id": "w"}), body).is_err());
        }
        assert!(check(&RETIRED_OPERATIONS[0], json!({"webhook_id": 3}), None).is_err());
        assert!(check(&RETIRED_OPERATIONS[0], json!({"id": "w"}), None).is_err());
    }

    #[test]
    fn events_are_added_once_and_removed() {
        let current = json!({"webhook_events": ["a", "b"]});
        let added = events_body(&current, &["b".into(), "c".into()], None).unwrap();
        assert_eq!(added, json!({"webhook_events": ["a", "b", "c"]}));
        let removed = events_body(&current, &[], Some("a")).unwrap();
        assert_eq!(removed, json!({"webhook_events": ["b"]}));
        assert!(events_body(&json!({"webhook_events": "a"}), &[], None).is_err());
    }
}
