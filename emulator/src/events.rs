//! Custom events of the org's default application
//! (`/api/v2/public/application/event…`: definitions, answered as the full
//! list after a change, as documented) and firing them for a linked
//! account (`/api/v2/public/event/trigger`, `/api/v2/public/event/{slug}`,
//! JSON or multipart with files).

use hyper::StatusCode;
use serde_json::{Map, Value, json};

use crate::apps;
use crate::collection::{Doc, Scope, bodies};
use crate::respond::Answer;
use crate::routes::Call;
use crate::state::State;

/// Keys listed in an event's `response` (nested keys included).
const MAX_RESPONSE_KEYS: usize = 200;
/// Depth to which nested keys are listed.
const MAX_DEPTH: usize = 8;

fn not_found() -> Answer {
    Answer::error(
        StatusCode::NOT_FOUND,
        "RESOURCE_NOT_FOUND",
        "Event not found",
    )
}

fn all(state: &State) -> Answer {
    Answer::ok(&bodies(state.events.select(Scope::Any, |_| true)))
}

/// `GET …/application/event`: every definition.
pub(crate) fn list(state: &State, _call: &Call<'_>) -> Answer {
    all(state)
}

/// The definition's members from a create or update body: `response` (a
/// sample payload as JSON text) becomes the list of its keys and types.
fn definition(call: &Call<'_>, id: &str) -> Map<String, Value> {
    let name = call.text("name").unwrap_or_default();
    let sample = call
        .text("response")
        .and_then(|text| serde_json::from_str::<Value>(text).ok());
    let mut keys = Vec::new();
    if let Some(sample) = &sample {
        response_keys(sample, "", 0, &mut keys);
    }
    let mut body = Map::new();
    body.insert("_id".into(), json!(id));
    body.insert("name".into(), json!(name));
    body.insert("response".into(), Value::Array(keys));
    if let Some(schema) = call.member("json_schema") {
        body.insert("json_schema".into(), schema.clone());
    }
    body
}

/// `{key, type}` for every member of `sample` (nested ones as `a.b`).
fn response_keys(sample: &Value, prefix: &str, depth: usize, out: &mut Vec<Value>) {
    let Value::Object(members) = sample else {
        return;
    };
    for (name, value) in members {
        if out.len() >= MAX_RESPONSE_KEYS {
            return;
        }
        let key = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        let kind = match value {
            Value::Object(_) => "object",
            Value::Array(_) => "array",
            Value::Number(_) => "number",
            Value::Bool(_) => "boolean",
            _ => "text",
        };
        out.push(json!({"key": key, "type": kind}));
        if depth < MAX_DEPTH {
            response_keys(value, &key, depth + 1, out);
        }
    }
}

fn name_taken(state: &State, name: &str, except: Option<&str>) -> bool {
    !state
        .events
        .select(Scope::Any, |doc| {
            doc.body["name"] == name && Some(doc.id.as_str()) != except
        })
        .is_empty()
}

/// `POST …/application/event`: a new definition; answers the list.
pub(crate) fn create(state: &State, call: &Call<'_>) -> Answer {
    let name = call.text("name").unwrap_or_default();
    if name.is_empty() || call.text("response").is_none() {
        return Answer::bad_request("name and response are required");
    }
    if name_taken(state, name, None) {
        return Answer::bad_request(&format!("An event named {name} already exists"));
    }
    let id = state.new_id();
    let doc = Doc::new(id.clone(), None, definition(call, &id));
    match state.events.insert(doc) {
        Ok(_) => all(state),
        Err(refused) => refused,
    }
}

/// `GET …/application/event/{event_id}`.
pub(crate) fn get(state: &State, call: &Call<'_>) -> Answer {
    let id = call.path_param("event_id").unwrap_or_default();
    match state.events.get(&id, Scope::Any) {
        Some(doc) => Answer::ok(&doc.body),
        None => not_found(),
    }
}

/// `PUT …/application/event/{event_id}`: replaces it; answers the list.
pub(crate) fn update(state: &State, call: &Call<'_>) -> Answer {
    let id = call.path_param("event_id").unwrap_or_default();
    let name = call.text("name").unwrap_or_default();
    if name.is_empty() || call.text("response").is_none() {
        return Answer::bad_request("name and response are required");
    }
    if name_taken(state, name, Some(&id)) {
        return Answer::bad_request(&format!("An event named {name} already exists"));
    }
    let body = definition(call, &id);
    match state
        .events
        .update(&id, Scope::Any, |doc| doc.body = body.into())
    {
        Some(Ok(_)) => all(state),
        Some(Err(refused)) => refused,
        None => not_found(),
    }
}

/// `DELETE …/application/event/{event_id}`: answers the remaining list.
pub(crate) fn delete(state: &State, call: &Call<'_>) -> Answer {
    let id = call.path_param("event_id").unwrap_or_default();
    match state.events.remove(&id, Scope::Any) {
        Some(_) => all(state),
        None => not_found(),
    }
}

/// `POST /api/v2/public/event/trigger` (app slug in the `slug` header) and
/// `POST /api/v2/public/event/{slug}`: the event (`event`, or `trigger`) must
/// be defined, and a named app must be a demo app the account connected.
/// A multipart form is read as the JSON body (its files are accepted and
/// dropped).
pub(crate) fn trigger(state: &State, call: &Call<'_>) -> Answer {
    let field = |name: &str| -> Option<String> {
        match &call.form {
            Some(form) => form.field(name).map(str::to_owned),
            None => call.text(name).map(str::to_owned),
        }
    };
    let event = field("event")
        .or_else(|| field("trigger"))
        .unwrap_or_default();
    if event.is_empty()
        || state
            .events
            .select(Scope::Any, |doc| doc.body["name"] == event.as_str())
            .is_empty()
    {
        return Answer::error(StatusCode::NOT_FOUND, "INVALID_EVENT", "Trigger not found");
    }
    let slug = call
        .path_param("slug")
        .or_else(|| call.header("slug").map(str::to_owned));
    if let Some(slug) = slug.filter(|s| !s.is_empty()) {
        let account = call.caller.account.as_deref().unwrap_or_default();
        let connected = apps::find(&slug).is_some_and(|(_, app)| {
            state
                .app_connections
                .connected_at(account, app.slug)
                .is_some()
        });
        if !connected {
            return Answer::bad_request(&format!(
                "{slug} is not connected for linked account {account}"
            ));
        }
    }
    Answer::ok(&json!({ "message": "Webhook Fired Success" }))
}
