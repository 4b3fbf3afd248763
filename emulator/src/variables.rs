//! Environment variables: the org's definitions (fixed, listed and read)
//! and their values per scope (`org`, `workspace`, `linked_account`,
//! `workflow`), set, read, listed and deleted. An encrypted definition's
//! value is never kept: the emulator stores an opaque digest and answers
//! `[REDACTED]`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hyper::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::collection::{Doc, Scope, page, page_query};
use crate::ids::{iso_millis, now_millis};
use crate::respond::{Answer, INVALID_LINKED_ACCOUNT_ID};
use crate::routes::Call;
use crate::state::State;

const REDACTED: &str = "[REDACTED]";

/// The org's definitions: `(id, name, description, scope, var_format,
/// encrypted)`.
const DEFINITIONS: &[(&str, &str, &str, &str, &str, bool)] = &[
    (
        "6a159a9741e63efd0833773f",
        "API_BASE_URL",
        "Base URL for callbacks",
        "org",
        "url",
        false,
    ),
    (
        "6a1401de41e63efd08fb3e54",
        "API_SECRET",
        "Secret for the partner API",
        "linked_account",
        "string",
        true,
    ),
    (
        "6a1401de41e63efd08fb3e60",
        "SYNC_BATCH_SIZE",
        "Records per sync batch",
        "workflow",
        "number",
        false,
    ),
];
const CREATED: &str = "2026-05-26T13:05:27.782Z";

struct Definition {
    id: &'static str,
    name: &'static str,
    scope: &'static str,
    format: &'static str,
    encrypted: bool,
}

fn definition(id: &str) -> Option<Definition> {
    DEFINITIONS
        .iter()
        .find(|d| d.0 == id)
        .map(|&(id, name, _, scope, format, encrypted)| Definition {
            id,
            name,
            scope,
            format,
            encrypted,
        })
}

fn definition_json(state: &State, index: usize) -> Value {
    let (id, name, description, scope, format, encrypted) = DEFINITIONS[index];
    json!({
        "_id": id,
        "org_id": state.accounts.org(),
        "name": name,
        "description": description,
        "scope": scope,
        "var_format": format,
        "encrypted": encrypted,
        "createdAt": CREATED,
        "updatedAt": CREATED,
    })
}

/// `GET /api/v2/public/env/definitions` (`scope`, `var_format`, `name`).
pub(crate) fn list_definitions(state: &State, call: &Call<'_>) -> Answer {
    let (scope, format, name) = (
        call.query_text("scope"),
        call.query_text("var_format"),
        call.query_text("name"),
    );
    let docs: Vec<Value> = (0..DEFINITIONS.len())
        .map(|i| definition_json(state, i))
        .filter(|d| {
            scope.as_ref().is_none_or(|s| d["scope"] == s.as_str())
                && format
                    .as_ref()
                    .is_none_or(|f| d["var_format"] == f.as_str())
                && name.as_ref().is_none_or(|n| d["name"] == n.as_str())
        })
        .collect();
    let (page_number, limit) = page_query(call, 10);
    Answer::ok(&page(docs, page_number, limit, "docs"))
}

fn definition_not_found() -> Answer {
    Answer::error(
        StatusCode::NOT_FOUND,
        "RESOURCE_NOT_FOUND",
        "Variable definition not found",
    )
}

fn value_not_found() -> Answer {
    Answer::error(
        StatusCode::NOT_FOUND,
        "RESOURCE_NOT_FOUND",
        "Variable value not found",
    )
}

/// `GET /api/v2/public/env/definitions/{id}`: `{"definition": …}`.
pub(crate) fn get_definition(state: &State, call: &Call<'_>) -> Answer {
    let id = call.path_param("id").unwrap_or_default();
    match DEFINITIONS.iter().position(|d| d.0 == id) {
        Some(index) => {
            let mut found = definition_json(state, index);
            let object = found.as_object_mut().expect("an object");
            for (from, to) in [("createdAt", "created_at"), ("updatedAt", "updated_at")] {
                if let Some(value) = object.remove(from) {
                    object.insert(to.into(), value);
                }
            }
            Answer::ok(&json!({ "definition": found }))
        }
        None => definition_not_found(),
    }
}

/// What a call's value is keyed by in the definition's scope: the linked
/// account and the workflow.
struct ScopeKey {
    account: Option<String>,
    workflow: Option<String>,
}

fn scope_key(state: &State, call: &Call<'_>, scope: &str) -> Result<ScopeKey, Answer> {
    let from_body_or_query = |name: &str| {
        call.text(name)
            .map(str::to_owned)
            .or_else(|| call.query_text(name))
            .filter(|v| !v.is_empty())
    };
    let token = call.caller.session.is_some();
    match scope {
        "linked_account" => {
            let account = call
                .caller
                .account
                .clone()
                .or_else(|| from_body_or_query("linked_account_id"))
                .ok_or_else(|| {
                    Answer::bad_request("linked_account_id is required for linked_account scope")
                })?;
            if !state.account_known(&account) {
                return Err(Answer::error(
                    StatusCode::BAD_REQUEST,
                    INVALID_LINKED_ACCOUNT_ID,
                    &format!(
                        "No linked account found for account id : {account} in environment test"
                    ),
                ));
            }
            Ok(ScopeKey {
                account: Some(account),
                workflow: None,
            })
        }
        _ if token => Err(Answer::error(
            StatusCode::FORBIDDEN,
            "SERVER_ERROR",
            "A session token is restricted to its linked account's scope",
        )),
        "workflow" => Ok(ScopeKey {
            account: None,
            workflow: Some(from_body_or_query("workflow_id").ok_or_else(|| {
                Answer::bad_request("workflow_id is required for workflow scope")
            })?),
        }),
        _ => Ok(ScopeKey {
            account: None,
            workflow: None,
        }),
    }
}

fn matches(doc: &Doc, definition: &str, key: &ScopeKey) -> bool {
    doc.body["variable_definition_id"] == definition
        && doc.account == key.account
        && doc.body.get("workflow_id").and_then(Value::as_str) == key.workflow.as_deref()
}

/// The opaque digest kept for an encrypted value.
fn sealed(value: &str) -> String {
    STANDARD.encode(Sha256::digest(
        format!("refold-emulator:{value}").as_bytes(),
    ))
}

/// `POST /api/v2/public/env/values` `{variable_definition_id, value,
/// linked_account_id?, workflow_id?}`: upserts the value of its scope.
pub(crate) fn set_value(state: &State, call: &Call<'_>) -> Answer {
    let Some(definition) = definition(call.text("variable_definition_id").unwrap_or_default())
    else {
        return definition_not_found();
    };
    let key = match scope_key(state, call, definition.scope) {
        Ok(key) => key,
        Err(refused) => return refused,
    };
    let value = call.text("value").unwrap_or_default();
    let fits = match definition.format {
        "number" => value.trim().parse::<f64>().is_ok_and(f64::is_finite),
        "url" => value.starts_with("http://") || value.starts_with("https://"),
        _ => true,
    };
    if !fits {
        return Answer::bad_request("value does not match the variable format");
    }
    let stored = if definition.encrypted {
        sealed(value)
    } else {
        value.to_owned()
    };
    let now = iso_millis(now_millis());
    let existing = state
        .variable_values
        .select(Scope::Any, |doc| matches(doc, definition.id, &key))
        .into_iter()
        .next();
    if let Some(existing) = existing {
        return match state
            .variable_values
            .update(&existing.id, Scope::Any, |doc| {
                doc.body.insert("value".into(), json!(stored));
                doc.body.insert("updatedAt".into(), json!(now));
            }) {
            Some(Ok((_, doc))) => Answer::ok(&doc.body),
            Some(Err(refused)) => refused,
            None => value_not_found(),
        };
    }
    let id = state.new_id();
    let mut body = json!({
        "_id": id,
        "variable_definition_id": definition.id,
        "org_id": state.accounts.org(),
        "environment": "test",
        "value": stored,
        "createdAt": now,
        "updatedAt": now,
    });
    if let Some(account) = &key.account {
        body["linked_account_id"] = json!(account);
    }
    if let Some(workflow) = &key.workflow {
        body["workflow_id"] = json!(workflow);
    }
    let doc = Doc::new(
        id,
        key.account.clone(),
        body.as_object().cloned().unwrap_or_default(),
    );
    match state.variable_values.insert(doc) {
        Ok(body) => Answer::ok(&body),
        Err(refused) => refused,
    }
}

fn shown_value(doc: &Doc, definition: &Definition) -> Value {
    if definition.encrypted {
        json!(REDACTED)
    } else {
        doc.body["value"].clone()
    }
}

/// What the request log keeps of a set-value body: the value redacted (it
/// may be a secret).
pub(crate) fn redact_value(body: &[u8]) -> bytes::Bytes {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(mut members)) => {
            if members.contains_key("value") {
                members.insert("value".into(), json!("[redacted]"));
            }
            Value::Object(members).to_string().into()
        }
        _ => bytes::Bytes::from_static(b"[redacted]"),
    }
}

/// `GET /api/v2/public/env/value/{definition_id}`: the value in the
/// definition's scope (`linked_account_id`, `workflow_id` queries).
pub(crate) fn get_value(state: &State, call: &Call<'_>) -> Answer {
    let Some(definition) = definition(&call.path_param("definition_id").unwrap_or_default()) else {
        return definition_not_found();
    };
    let key = match scope_key(state, call, definition.scope) {
        Ok(key) => key,
        Err(refused) => return refused,
    };
    match state
        .variable_values
        .select(Scope::Any, |doc| matches(doc, definition.id, &key))
        .into_iter()
        .next()
    {
        Some(doc) => Answer::ok(&json!({
            "value": shown_value(&doc, &definition),
            "encrypted": definition.encrypted,
            "name": definition.name,
            "scope": definition.scope,
            "variable_definition_id": definition.id,
        })),
        None => value_not_found(),
    }
}

/// `GET /api/v2/public/env/values/{scope}`: the scope's values, optionally
/// of one definition.
pub(crate) fn list_values(state: &State, call: &Call<'_>) -> Answer {
    let scope = call.path_param("scope").unwrap_or_default();
    let key = match scope_key(state, call, &scope) {
        Ok(key) => key,
        Err(refused) => return refused,
    };
    let only = call.query_text("variable_definition_id");
    let docs: Vec<Value> = state
        .variable_values
        .select(Scope::Any, |doc| {
            let Some(definition) = doc.body["variable_definition_id"]
                .as_str()
                .and_then(definition)
            else {
                return false;
            };
            definition.scope == scope
                && only.as_ref().is_none_or(|o| definition.id == o.as_str())
                && matches(doc, definition.id, &key)
        })
        .into_iter()
        .filter_map(|doc| {
            let definition = definition(doc.body["variable_definition_id"].as_str()?)?;
            Some(json!({
                "_id": doc.id,
                "variable_definition_id": {
                    "_id": definition.id,
                    "name": definition.name,
                    "scope": definition.scope,
                    "encrypted": definition.encrypted,
                },
                "value": shown_value(&doc, &definition),
                "updatedAt": doc.body["updatedAt"],
            }))
        })
        .collect();
    let (page_number, limit) = page_query(call, 10);
    let mut answer = page(docs, page_number, limit, "docs");
    answer["status"] = json!("success");
    Answer::ok(&answer)
}

/// `DELETE /api/v2/public/env/values/{value_id}`: a session token deletes
/// only its account's values.
pub(crate) fn delete_value(state: &State, call: &Call<'_>) -> Answer {
    let id = call.path_param("value_id").unwrap_or_default();
    let scope = match (&call.caller.session, call.caller.account.as_deref()) {
        (Some(_), Some(account)) => Scope::Account(account),
        _ => Scope::Any,
    };
    match state.variable_values.remove(&id, scope) {
        Some(doc) => {
            let name = doc.body["variable_definition_id"]
                .as_str()
                .and_then(definition)
                .map_or("", |d| d.name);
            Answer::ok(&json!({
                "status": "success",
                "message": format!("Variable value for \"{name}\" deleted successfully"),
            }))
        }
        None => value_not_found(),
    }
}
