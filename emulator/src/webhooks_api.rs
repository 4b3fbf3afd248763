//! The webhook registry (`/api/v2/public/webhook…`, org level): register,
//! list, read, update (including `webhook_events`), delete, group labels.
//! Events must be Refold's documented ones; the URL must be a loopback one
//! (the emulator delivers only to this machine; `webhooks.rs` delivers).

use hyper::StatusCode;
use serde_json::{Value, json};

use crate::collection::{Doc, Fields, Scope, bodies};
use crate::ids::{iso_millis, now_millis};
use crate::respond::Answer;
use crate::routes::Call;
use crate::state::State;
use crate::webhooks::{EVENTS, is_loopback_url};

/// Events one webhook subscribes to, and `workflow_ids` it lists.
const MAX_LISTED: usize = 100;

/// Members a register or update body may set, besides events and URL.
const SETTABLE: &[&str] = &[
    "is_enabled",
    "method",
    "webhook_type",
    "webhook_body",
    "webhook_headers",
    "workflow_ids",
    "description",
    "webhook_description",
    "slug",
    "group",
];

fn not_found() -> Answer {
    Answer::error(
        StatusCode::BAD_REQUEST,
        "RESOURCE_NOT_FOUND",
        "Webhook not found",
    )
}

fn invalid_event() -> Answer {
    Answer::error(
        StatusCode::BAD_REQUEST,
        "INVALID_EVENT",
        "Invalid event. Check events list in documentation.",
    )
}

/// Checks and writes the members of a register or update body.
fn apply(body: &mut Fields, input: &Value) -> Result<(), Answer> {
    if let Some(events) = input.get("webhook_events") {
        let events = events.as_array().ok_or_else(invalid_event)?;
        if events.len() > MAX_LISTED
            || !events
                .iter()
                .all(|e| e.as_str().is_some_and(|e| EVENTS.contains(&e)))
        {
            return Err(invalid_event());
        }
        let mut unique: Vec<Value> = Vec::new();
        for event in events {
            if !unique.contains(event) {
                unique.push(event.clone());
            }
        }
        body.insert("webhook_events".into(), Value::Array(unique));
    }
    if let Some(url) = input.get("webhook_url") {
        let url = url.as_str().unwrap_or_default();
        if !is_loopback_url(url) {
            return Err(Answer::bad_request(
                "webhook_url must be an http(s) URL on a loopback address (127.0.0.1, [::1] or \
                 localhost): the emulator delivers webhooks to this machine only",
            ));
        }
        body.insert("webhook_url".into(), json!(url));
    }
    if input
        .get("workflow_ids")
        .and_then(Value::as_array)
        .is_some_and(|ids| ids.len() > MAX_LISTED)
    {
        return Err(Answer::bad_request(&format!(
            "workflow_ids lists at most {MAX_LISTED} workflows"
        )));
    }
    for name in SETTABLE {
        if let Some(value) = input.get(*name) {
            body.insert((*name).to_owned(), value.clone());
        }
    }
    body.insert("updatedAt".into(), json!(iso_millis(now_millis())));
    Ok(())
}

/// What the request log keeps of a register or update body: the values of
/// `webhook_headers` redacted (they may carry the receiver's credentials).
pub(crate) fn redact_headers(body: &[u8]) -> bytes::Bytes {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(mut members)) => {
            if let Some(Value::Object(headers)) = members.get_mut("webhook_headers") {
                for value in headers.values_mut() {
                    *value = json!("[redacted]");
                }
            } else if members.contains_key("webhook_headers") {
                members.insert("webhook_headers".into(), json!("[redacted]"));
            }
            Value::Object(members).to_string().into()
        }
        _ => bytes::Bytes::from_static(b"[redacted]"),
    }
}

/// `POST /api/v2/public/webhook` `{webhook_url, webhook_events, …}`.
pub(crate) fn register(state: &State, call: &Call<'_>) -> Answer {
    let input = call.json.clone().unwrap_or_else(|| json!({}));
    if input.get("webhook_url").is_none() {
        return Answer::bad_request("webhook_url is required");
    }
    if input
        .get("webhook_events")
        .and_then(Value::as_array)
        .is_none_or(Vec::is_empty)
    {
        return invalid_event();
    }
    let id = state.new_id();
    let now = iso_millis(now_millis());
    let body = json!({
        "_id": id,
        "org_id": state.accounts.org(),
        "environment": "test",
        "is_enabled": true,
        "webhook_events": [],
        "workflow_ids": [],
        "webhook_url": "",
        "webhook_body": "{{event}}",
        "method": "POST",
        "webhook_type": "default",
        "createdAt": now,
        "updatedAt": now,
        "__v": 0,
    });
    let mut body = Fields::of(body);
    if let Err(refused) = apply(&mut body, &input) {
        return refused;
    }
    let key = state.api_key(call.headers).unwrap_or(0);
    match state.webhooks.insert(Doc::new(id.clone(), None, body)) {
        Ok(body) => {
            state.deliveries.remember_key(&id, key);
            Answer::ok(&body)
        }
        Err(refused) => refused,
    }
}

/// `GET /api/v2/public/webhook`.
pub(crate) fn list(state: &State, _call: &Call<'_>) -> Answer {
    Answer::ok(&bodies(state.webhooks.select(Scope::Any, |_| true)))
}

fn webhook_id(call: &Call<'_>) -> String {
    call.path_param("id").unwrap_or_default()
}

/// `GET /api/v2/public/webhook/{id}`.
pub(crate) fn get(state: &State, call: &Call<'_>) -> Answer {
    match state.webhooks.get(&webhook_id(call), Scope::Any) {
        Some(doc) => Answer::ok(&doc.body),
        None => not_found(),
    }
}

/// `PUT /api/v2/public/webhook/{id}`: only the members sent change.
pub(crate) fn update(state: &State, call: &Call<'_>) -> Answer {
    let input = call.json.clone().unwrap_or_else(|| json!({}));
    if input
        .get("webhook_events")
        .and_then(Value::as_array)
        .is_some_and(Vec::is_empty)
    {
        return invalid_event();
    }
    match state.webhooks.update(&webhook_id(call), Scope::Any, |doc| {
        let mut body = doc.body.clone();
        apply(&mut body, &input)?;
        doc.body = body;
        Ok(())
    }) {
        Some(Ok((Ok(()), doc))) => Answer::ok(&doc.body),
        Some(Ok((Err(refused), _)) | Err(refused)) => refused,
        None => not_found(),
    }
}

/// `DELETE /api/v2/public/webhook/{id}`: answers the remaining webhooks.
pub(crate) fn delete(state: &State, call: &Call<'_>) -> Answer {
    let id = webhook_id(call);
    match state.webhooks.remove(&id, Scope::Any) {
        Some(_) => {
            state.deliveries.forget_key(&id);
            list(state, call)
        }
        None => not_found(),
    }
}

/// `PUT /api/v2/public/webhooks/group/edit` `{webhookIds, group}`: answers
/// the webhooks changed.
pub(crate) fn group_edit(state: &State, call: &Call<'_>) -> Answer {
    let ids: Vec<String> = call
        .member("webhookIds")
        .and_then(Value::as_array)
        .map(|ids| {
            ids.iter()
                .filter_map(|i| i.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    if ids.is_empty() {
        return Answer::bad_request("webhookIds is required");
    }
    let group = call.member("group").cloned().unwrap_or(Value::Null);
    let unset = group.as_str().is_none_or(str::is_empty);
    match state.webhooks.update_where(
        Scope::Any,
        |doc| ids.contains(&doc.id),
        |doc| {
            if unset {
                doc.body.remove("group");
            } else {
                doc.body.insert("group".into(), group.clone());
            }
        },
    ) {
        Ok(changed) => Answer::ok(&bodies(changed)),
        Err(refused) => refused,
    }
}
