//! App installations ("configs") per linked account: get-or-create (the
//! app's field and workflow skeleton), read, update (field values, enabled
//! workflows, labels), delete, list, and the per-workflow toggle. The
//! default config's id is the linked account id.

use hyper::StatusCode;
use serde_json::{Map, Value, json};

use crate::apps;
use crate::collection::{Doc, Scope};
use crate::respond::Answer;
use crate::routes::Call;
use crate::state::State;
use crate::workflows;

fn account<'a>(call: &'a Call<'_>) -> &'a str {
    call.caller.account.as_deref().unwrap_or_default()
}

fn not_found(config_id: &str) -> Answer {
    Answer::error(
        StatusCode::NOT_FOUND,
        "SERVER_ERROR",
        &format!("Config with config id {config_id} not found"),
    )
}

/// The config id a call names: the path's `{configId}`, the body's
/// `config_id`, the `config_id` header, else the account id (default).
fn config_id(call: &Call<'_>) -> String {
    call.path_param("configId")
        .or_else(|| call.text("config_id").map(str::to_owned))
        .or_else(|| call.header("config_id").map(str::to_owned))
        .filter(|id| !id.is_empty())
        .unwrap_or_else(|| account(call).to_owned())
}

/// The app slug a call names: the path's `{slug}` or the body's `slug`.
fn slug(call: &Call<'_>) -> String {
    call.path_param("slug")
        .or_else(|| call.text("slug").map(str::to_owned))
        .unwrap_or_default()
}

/// The stored config of `account`, `slug`, `config_id`.
pub(crate) fn find(state: &State, account: &str, slug: &str, config_id: &str) -> Option<Doc> {
    state
        .configs
        .select(Scope::Account(account), |doc| {
            doc.body["slug"] == slug && doc.body["config_id"] == config_id
        })
        .into_iter()
        .next()
}

/// The app's config fields, with their default values.
fn skeleton_fields(index: usize, app: &apps::DemoApp) -> Value {
    json!([{
        "id": format!("{:024x}", 0xf1e1d0_usize + index),
        "name": format!("{} sync direction", app.name),
        "field_type": "select",
        "required": false,
        "multiple": false,
        "hidden": false,
        "options": [
            {"name": "Both ways", "value": "both"},
            {"name": "Into the app", "value": "push"},
            {"name": "From the app", "value": "pull"},
        ],
        "defaultValue": "both",
    }])
}

/// Sets field values (`[{id, value}]`) and workflow toggles
/// (`[{id, enabled}]`) from a body onto a config body.
fn apply(body: &mut Map<String, Value>, input: Option<&Value>) {
    let Some(input) = input else {
        return;
    };
    if let Some(values) = input.get("fields").and_then(Value::as_array) {
        for value in values {
            let (Some(id), Some(new)) = (value.get("id"), value.get("value")) else {
                continue;
            };
            if let Some(fields) = body.get_mut("fields").and_then(Value::as_array_mut) {
                for field in fields.iter_mut().filter(|f| f.get("id") == Some(id)) {
                    field["value"] = new.clone();
                }
            }
        }
    }
    if let Some(toggles) = input.get("workflows").and_then(Value::as_array) {
        for toggle in toggles {
            let (Some(id), Some(enabled)) = (
                toggle.get("id"),
                toggle.get("enabled").and_then(Value::as_bool),
            ) else {
                continue;
            };
            if let Some(workflows) = body.get_mut("workflows").and_then(Value::as_array_mut) {
                for workflow in workflows.iter_mut().filter(|w| w.get("id") == Some(id)) {
                    workflow["enabled"] = enabled.into();
                }
            }
        }
    }
    if let Some(labels) = input.get("labels").filter(|l| l.is_object()) {
        body.insert("labels".into(), labels.clone());
    }
}

/// `POST /api/v2/public/config` `{slug, config_id?, workflows?, labels?}`:
/// the config, created from the app's skeleton when absent.
pub(crate) fn get_or_create(state: &State, call: &Call<'_>) -> Answer {
    let (account, slug, config_id) = (account(call), slug(call), config_id(call));
    let Some((index, app)) = apps::find(&slug) else {
        return Answer::error(
            StatusCode::NOT_FOUND,
            "INVALID_APP_ID",
            &format!(
                "Application with app_type '{slug}' not found for org {}",
                state.accounts.org()
            ),
        );
    };
    if let Some(existing) = find(state, account, &slug, &config_id) {
        return Answer::ok(&existing.body);
    }
    let workflows: Vec<Value> = workflows::public_for(state, app.slug)
        .into_iter()
        .map(|w| {
            json!({
                "id": w.id,
                "name": w.body["name"],
                "description": w.body["description"],
                "enabled": true,
            })
        })
        .collect();
    let mut body = Map::new();
    body.insert("slug".into(), json!(app.slug));
    body.insert("config_id".into(), json!(config_id));
    body.insert("field_errors".into(), json!([]));
    body.insert("fields".into(), skeleton_fields(index, app));
    body.insert("workflows".into(), Value::Array(workflows));
    apply(&mut body, call.json.as_ref());
    let doc = Doc::new(state.new_id(), Some(account.to_owned()), body);
    match state.configs.insert(doc) {
        Ok(body) => Answer::ok(&body),
        Err(refused) => refused,
    }
}

/// `PUT /api/v2/public/config`: field values, workflow toggles, labels.
pub(crate) fn update(state: &State, call: &Call<'_>) -> Answer {
    let (account, slug, config_id) = (account(call), slug(call), config_id(call));
    let Some(existing) = find(state, account, &slug, &config_id) else {
        return not_found(&config_id);
    };
    let input = call.json.clone();
    match state
        .configs
        .update(&existing.id, Scope::Account(account), |doc| {
            apply(&mut doc.body, input.as_ref());
        }) {
        Some(Ok((_, doc))) => Answer::ok(&doc.body),
        Some(Err(refused)) => refused,
        None => not_found(&config_id),
    }
}

/// `GET /api/v2/public/slug/{slug}/config[/{configId}]`.
pub(crate) fn get(state: &State, call: &Call<'_>) -> Answer {
    let config_id = config_id(call);
    match find(state, account(call), &slug(call), &config_id) {
        Some(doc) => Answer::ok(&doc.body),
        None => not_found(&config_id),
    }
}

/// `DELETE /api/v2/public/slug/{slug}/config[/{configId}]`.
pub(crate) fn delete(state: &State, call: &Call<'_>) -> Answer {
    let (account, config_id) = (account(call), config_id(call));
    let Some(doc) = find(state, account, &slug(call), &config_id) else {
        return not_found(&config_id);
    };
    state.configs.remove(&doc.id, Scope::Account(account));
    Answer::ok(&json!({ "message": "Installation Deleted Success" }))
}

/// `GET /api/v2/public/slug/{slug}/configs`: `[{_id, config_id}]`.
pub(crate) fn list(state: &State, call: &Call<'_>) -> Answer {
    let slug = slug(call);
    let configs: Vec<Value> = state
        .configs
        .select(Scope::Account(account(call)), |doc| {
            doc.body["slug"] == slug.as_str()
        })
        .into_iter()
        .map(|doc| json!({"_id": doc.id, "config_id": doc.body["config_id"]}))
        .collect();
    Answer::ok(&configs)
}

/// `PATCH …/config/{configId}/workflows/{workflowId}` `{enabled}`: answers
/// the config's workflows.
pub(crate) fn toggle_workflow(state: &State, call: &Call<'_>) -> Answer {
    let (account, config_id) = (account(call), config_id(call));
    let workflow_id = call.path_param("workflowId").unwrap_or_default();
    let enabled = call
        .member("enabled")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let Some(doc) = find(state, account, &slug(call), &config_id) else {
        return not_found(&config_id);
    };
    let known = doc.body["workflows"]
        .as_array()
        .is_some_and(|ws| ws.iter().any(|w| w["id"] == workflow_id.as_str()));
    if !known {
        return Answer::error(
            StatusCode::NOT_FOUND,
            "SERVER_ERROR",
            &format!("Workflow {workflow_id} not found in config {config_id}"),
        );
    }
    let toggle = json!({"workflows": [{"id": workflow_id, "enabled": enabled}]});
    match state
        .configs
        .update(&doc.id, Scope::Account(account), |doc| {
            apply(&mut doc.body, Some(&toggle));
        }) {
        Some(Ok((_, doc))) => Answer::ok(&json!({ "workflows": doc.body["workflows"] })),
        Some(Err(refused)) => refused,
        None => not_found(&config_id),
    }
}

/// The workflows `account` enabled across its configs: `(config_id,
/// workflow id)`.
pub(crate) fn enabled_workflows(state: &State, account: &str) -> Vec<(String, String)> {
    let mut enabled = Vec::new();
    for doc in state.configs.select(Scope::Account(account), |_| true) {
        let config_id = doc.body["config_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        for workflow in doc.body["workflows"].as_array().into_iter().flatten() {
            if workflow["enabled"] == true
                && let Some(id) = workflow["id"].as_str()
            {
                enabled.push((config_id.clone(), id.to_owned()));
            }
        }
    }
    enabled
}
