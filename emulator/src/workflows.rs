//! Workflows: the org's public workflows (one per demo app, published,
//! seeded at start) and each linked account's private ones — created as a
//! draft, published as a different workflow (a new version each time),
//! unpublished, deleted with their drafts and versions — their request
//! structure, versions and the list a linked account has enabled.

use hyper::StatusCode;
use serde_json::{Map, Value, json};

use crate::apps::{self, APPS};
use crate::collection::{Doc, Scope, bodies, page, page_query};
use crate::configs;
use crate::ids::{iso_millis, now_millis};
use crate::respond::Answer;
use crate::routes::Call;
use crate::state::State;

/// What a workflow document is (`extra.kind`).
const PUBLIC: &str = "public";
const DRAFT: &str = "draft";
const PUBLISHED: &str = "published";

/// Longest list of versions a workflow keeps (older ones dropped).
const MAX_VERSIONS: usize = 100;

fn kind(doc: &Doc) -> &str {
    doc.extra["kind"].as_str().unwrap_or_default()
}

fn account<'a>(call: &'a Call<'_>) -> Option<&'a str> {
    call.caller.account.as_deref()
}

pub(crate) fn not_found() -> Answer {
    Answer::error(StatusCode::NOT_FOUND, "SERVER_ERROR", "Workflow not found")
}

fn workflow_id(call: &Call<'_>) -> String {
    call.path_param("workflowId").unwrap_or_default()
}

/// The ObjectId standing for a demo app's application document.
pub(crate) fn application_id(index: usize) -> String {
    format!("{:024x}", 0xa0_0000_usize + index)
}

/// One public workflow per demo app, published (at start).
pub(crate) fn seed(state: &State) {
    for (index, app) in APPS.iter().enumerate() {
        let id = state.new_id();
        let body = json!({
            "_id": id,
            "name": format!("Sync {}", app.name),
            "description": format!("Keeps {} in sync", app.name),
            "published": true,
            "slug": app.slug,
            "associated_application": application_id(index),
            "is_v2": true,
            "nodes": [{"id": "1", "type": "start"}, {"id": "2", "type": "action"}],
            "edges": [{"source": "1", "target": "2"}],
            "environment": "test",
        });
        let mut doc = Doc::new(id, None, body.as_object().cloned().unwrap_or_default());
        doc.extra = json!({"kind": PUBLIC});
        let _ = state.workflows.insert(doc);
    }
}

/// The public workflows of the app `slug`.
pub(crate) fn public_for(state: &State, slug: &str) -> Vec<Doc> {
    state.workflows.select(Scope::Any, |doc| {
        kind(doc) == PUBLIC && doc.body["slug"] == slug
    })
}

/// A workflow `account` may use: a public one, or its own private one.
fn visible(state: &State, account: Option<&str>, id: &str) -> Option<Doc> {
    let doc = state.workflows.get(id, Scope::Any)?;
    (kind(&doc) == PUBLIC || (account.is_some() && doc.account.as_deref() == account))
        .then_some(doc)
}

/// The workflow an execution of `id` runs for `account`: published, and
/// public or the account's own.
pub(crate) fn runnable(state: &State, account: Option<&str>, id: &str) -> Result<Doc, Answer> {
    let doc = visible(state, account, id).ok_or_else(not_found)?;
    if kind(&doc) == DRAFT || doc.body["published"] != true {
        return Err(Answer::bad_request("Workflow is not published"));
    }
    Ok(doc)
}

/// `GET /api/v2/public/workflow`: public workflows, or with `scope=private`
/// and a linked account that account's private ones; filtered by `name`
/// (substring), `slug`, `published`, `application_id`.
pub(crate) fn list(state: &State, call: &Call<'_>) -> Answer {
    let private = call.query_text("scope").as_deref() == Some("private");
    let (page_number, limit) = page_query(call, 10);
    let name = call.query_text("name").map(|n| n.to_lowercase());
    let slug = call.query_text("slug");
    let published = call.query_text("published");
    let application = call.query_text("application_id");
    let account = account(call);
    let docs = state.workflows.select(Scope::Any, |doc| {
        let wanted = match (private, account) {
            (true, Some(account)) => {
                doc.account.as_deref() == Some(account)
                    && (kind(doc) == PUBLISHED
                        || (kind(doc) == DRAFT && doc.body["associated_workflow"].is_null()))
            }
            _ => kind(doc) == PUBLIC,
        };
        wanted
            && name.as_ref().is_none_or(|n| {
                doc.body["name"]
                    .as_str()
                    .is_some_and(|v| v.to_lowercase().contains(n.as_str()))
            })
            && slug.as_ref().is_none_or(|s| doc.body["slug"] == s.as_str())
            && published
                .as_ref()
                .is_none_or(|p| doc.body["published"].as_bool() == Some(p == "true"))
            && application
                .as_ref()
                .is_none_or(|a| doc.body["associated_application"] == a.as_str())
    });
    let summaries: Vec<Value> = docs
        .into_iter()
        .map(|doc| {
            let mut summary = json!({
                "_id": doc.id,
                "name": doc.body["name"],
                "published": doc.body["published"],
            });
            if let Some(slug) = doc.body.get("slug").filter(|s| s.is_string()) {
                summary["slug"] = slug.clone();
            }
            summary
        })
        .collect();
    // The page's example adds `"schema": null`; the description types it
    // an object, so it is left out (absent reads as null).
    Answer::ok(&page(summaries, page_number, limit, "docs"))
}

/// `POST /api/v2/public/workflow`: a private draft (`name`, `description`,
/// `slug`, and the request structure's `schema` and
/// `manual_execution_payload` if given); answers `{"workflow": …}`.
pub(crate) fn create(state: &State, call: &Call<'_>) -> Answer {
    let Some(account) = account(call) else {
        return not_found();
    };
    let id = state.new_id();
    let now = iso_millis(now_millis());
    let text = |name: &str, default: &str| call.text(name).unwrap_or(default).to_owned();
    let slug = call
        .text("slug")
        .filter(|slug| apps::find(slug).is_some())
        .map(str::to_owned);
    let mut body = json!({
        "_id": id,
        "name": text("name", "Untitled workflow"),
        "description": text("description", ""),
        "org_id": state.accounts.org(),
        "published": false,
        "associated_workflow": null,
        "enable_schema_validation": false,
        "nodes": [{"id": "1", "type": "start", "incoming_nodes": [], "outgoing_nodes": [], "data": null}],
        "edges": [],
        "data_slots": [],
        "createdAt": now,
        "updatedAt": now,
    });
    // A workflow without an app (the default custom one) has no slug.
    if let Some(slug) = slug {
        body["slug"] = json!(slug);
    }
    let mut doc = Doc::new(
        id,
        Some(account.to_owned()),
        body.as_object().cloned().unwrap_or_default(),
    );
    doc.extra = json!({
        "kind": DRAFT,
        "schema": call.member("schema").filter(|s| s.is_object()).cloned(),
        "payload": call.member("manual_execution_payload").cloned(),
    });
    match state.workflows.insert(doc) {
        Ok(body) => {
            let keep = ["_id", "name", "org_id", "nodes", "createdAt", "updatedAt"];
            let shown: Map<String, Value> = body
                .0
                .into_iter()
                .filter(|(k, _)| keep.contains(&k.as_str()))
                .collect();
            Answer::ok(&json!({ "workflow": shown }))
        }
        Err(refused) => refused,
    }
}

/// `GET /api/v2/public/workflow/enabled`: the public workflows the account
/// enabled in its configs and its published private ones.
pub(crate) fn enabled(state: &State, call: &Call<'_>) -> Answer {
    let Some(account) = account(call) else {
        return Answer::ok(&json!([]));
    };
    let application = |slug: &str| {
        apps::find(slug).map_or(Value::Null, |(index, app)| {
            json!({"_id": application_id(index), "name": app.name, "description": app.slug})
        })
    };
    let mut listed = Vec::new();
    for (config_id, id) in configs::enabled_workflows(state, account) {
        if let Some(doc) = state.workflows.get(&id, Scope::Any) {
            listed.push(json!({
                "id": doc.id,
                "name": doc.body["name"],
                "description": doc.body["description"],
                "icon": "",
                "config_id": config_id,
                "application": application(doc.body["slug"].as_str().unwrap_or_default()),
            }));
        }
    }
    for doc in state.workflows.select(Scope::Account(account), |doc| {
        kind(doc) == PUBLISHED && doc.body["published"] == true
    }) {
        listed.push(json!({
            "id": doc.id,
            "name": doc.body["name"],
            "description": doc.body["description"],
            "icon": "",
            "config_id": account,
            "application": application(doc.body["slug"].as_str().unwrap_or_default()),
        }));
    }
    Answer::ok(&listed)
}

/// `GET …/workflow/request-structure/{workflowId}`.
pub(crate) fn request_structure(state: &State, call: &Call<'_>) -> Answer {
    let Some(doc) = visible(state, account(call), &workflow_id(call)) else {
        return not_found();
    };
    // A published workflow answers its draft's structure.
    let source = match doc.extra["draft"].as_str() {
        Some(draft) => state.workflows.get(draft, Scope::Any).unwrap_or(doc),
        None => doc,
    };
    let schema = source.extra["schema"].clone();
    let interpreted = schema["properties"].as_object().map(|properties| {
        let required = schema["required"].as_array().cloned().unwrap_or_default();
        let described: Map<String, Value> = properties
            .iter()
            .map(|(name, property)| {
                let kind = property["type"].as_str().unwrap_or("any");
                let text = if required.iter().any(|r| r == name.as_str()) {
                    format!("{kind} (required)")
                } else {
                    kind.to_owned()
                };
                (name.clone(), Value::String(text))
            })
            .collect();
        Value::Object(described)
    });
    Answer::ok(&json!({
        "payload": source.extra["payload"],
        "schema": schema,
        "schema_interpreted": interpreted,
    }))
}

/// The published workflow of a private draft or published id of `account`.
fn published_of(state: &State, account: &str, id: &str) -> Option<Doc> {
    let doc = state.workflows.get(id, Scope::Account(account))?;
    match kind(&doc) {
        PUBLISHED => Some(doc),
        DRAFT => doc.body["associated_workflow"]
            .as_str()
            .and_then(|p| state.workflows.get(p, Scope::Account(account))),
        _ => None,
    }
}

/// `GET …/workflow/versions/{workflowId}`: newest first.
pub(crate) fn versions(state: &State, call: &Call<'_>) -> Answer {
    let (Some(account), id) = (account(call), workflow_id(call)) else {
        return not_found();
    };
    if state.workflows.get(&id, Scope::Account(account)).is_none() {
        return not_found();
    }
    let published = published_of(state, account, &id).map(|doc| doc.id);
    let mut versions = bodies(
        state
            .workflow_versions
            .select(Scope::Account(account), |v| {
                published
                    .as_deref()
                    .is_some_and(|p| v.extra["workflow"] == p)
            }),
    );
    versions.reverse();
    let (page_number, limit) = page_query(call, 10);
    Answer::ok(&page(versions, page_number, limit, "docs"))
}

/// `DELETE /api/v2/public/workflow/{workflowId}` (session token): the
/// workflow, its draft and its versions.
pub(crate) fn delete(state: &State, call: &Call<'_>) -> Answer {
    let (Some(account), id) = (account(call), workflow_id(call)) else {
        return not_found();
    };
    if state
        .workflow_versions
        .get(&id, Scope::Account(account))
        .is_some()
    {
        return Answer::bad_request("Workflow is a version workflow.");
    }
    let Some(doc) = state.workflows.get(&id, Scope::Account(account)) else {
        return not_found();
    };
    let (draft, published) = match kind(&doc) {
        DRAFT => (
            Some(doc.id.clone()),
            doc.body["associated_workflow"].as_str().map(str::to_owned),
        ),
        _ => (
            doc.extra["draft"].as_str().map(str::to_owned),
            Some(doc.id.clone()),
        ),
    };
    for id in draft.iter().chain(published.iter()) {
        state.workflows.remove(id, Scope::Account(account));
    }
    if let Some(published) = &published {
        state
            .workflow_versions
            .remove_where(Scope::Account(account), |v| {
                v.extra["workflow"] == published.as_str()
            });
    }
    Answer::ok(&json!({ "success": true, "triggers_deregistered": true }))
}

/// `GET /api/v2/public/workflow/{workflowId}` (org-scoped): a private
/// workflow of another (or no) linked account is a 403.
pub(crate) fn get(state: &State, call: &Call<'_>) -> Answer {
    let Some(doc) = state.workflows.get(&workflow_id(call), Scope::Any) else {
        return not_found();
    };
    if kind(&doc) != PUBLIC && doc.account.as_deref() != account(call) {
        return Answer::error(
            StatusCode::FORBIDDEN,
            "SERVER_ERROR",
            "Workflow is private to another linked account",
        );
    }
    let keep = [
        "_id",
        "name",
        "description",
        "published",
        "slug",
        "associated_application",
        "is_v2",
        "nodes",
        "edges",
        "environment",
    ];
    let shown: Map<String, Value> = doc
        .body
        .0
        .into_iter()
        .filter(|(k, _)| keep.contains(&k.as_str()))
        .collect();
    Answer::ok(&shown)
}

/// `GET /api/v2/public/workflow/{workflowId}/edit`: the draft of a private
/// workflow (its own id, or its published one's).
pub(crate) fn draft(state: &State, call: &Call<'_>) -> Answer {
    let (Some(account), id) = (account(call), workflow_id(call)) else {
        return not_found();
    };
    let Some(doc) = state.workflows.get(&id, Scope::Account(account)) else {
        return not_found();
    };
    let draft = match kind(&doc) {
        DRAFT => Some(doc),
        _ => doc.extra["draft"]
            .as_str()
            .and_then(|d| state.workflows.get(d, Scope::Account(account))),
    };
    let Some(draft) = draft else {
        return not_found();
    };
    let keep = [
        "_id",
        "associated_workflow",
        "name",
        "enable_schema_validation",
        "nodes",
        "edges",
        "data_slots",
        "createdAt",
        "updatedAt",
    ];
    let shown: Map<String, Value> = draft
        .body
        .0
        .into_iter()
        .filter(|(k, _)| keep.contains(&k.as_str()))
        .collect();
    Answer::ok(&shown)
}

/// `PUT /api/v2/public/workflow/{workflowId}/publish` `{published,
/// version?}` (session token): publishing a draft makes (or updates) its
/// published workflow and snapshots a version; unpublishing takes the
/// published id.
pub(crate) fn publish(state: &State, call: &Call<'_>) -> Answer {
    let (Some(account), id) = (account(call), workflow_id(call)) else {
        return not_found();
    };
    let Some(doc) = state.workflows.get(&id, Scope::Account(account)) else {
        return not_found();
    };
    let publishing = call.member("published").and_then(Value::as_bool) == Some(true);
    if !publishing {
        if kind(&doc) != PUBLISHED || doc.body["published"] != true {
            return Answer::error(
                StatusCode::BAD_REQUEST,
                "INVALID_WORKFLOW_ID",
                "Only public and published workflows can be unpublished",
            );
        }
        return match state.workflows.update(&id, Scope::Account(account), |doc| {
            doc.body.insert("published".into(), json!(false));
        }) {
            Some(Ok((_, doc))) => Answer::ok(&shown_published(&doc)),
            Some(Err(refused)) => refused,
            None => not_found(),
        };
    }
    let draft = match kind(&doc) {
        DRAFT => doc,
        _ => match doc.extra["draft"]
            .as_str()
            .and_then(|d| state.workflows.get(d, Scope::Account(account)))
        {
            Some(draft) => draft,
            None => return not_found(),
        },
    };
    let existing = draft.body["associated_workflow"]
        .as_str()
        .map(str::to_owned);
    let published_id = existing.clone().unwrap_or_else(|| state.new_id());
    let now = iso_millis(now_millis());
    let mut published_body = json!({
        "_id": published_id,
        "name": draft.body["name"],
        "description": draft.body["description"],
        "published": true,
        "is_v2": true,
        "nodes": draft.body["nodes"],
        "edges": draft.body["edges"],
        "environment": "test",
        "updatedAt": now,
    });
    if let Some(slug) = draft.body.get("slug") {
        published_body["slug"] = slug.clone();
    }
    let published_body = published_body.as_object().cloned().unwrap_or_default();
    let stored = match existing {
        Some(_) => state
            .workflows
            .update(&published_id, Scope::Account(account), |doc| {
                doc.body = published_body.clone().into();
            })
            .map(|result| result.map(|(_, doc)| doc)),
        None => {
            let mut doc = Doc::new(
                published_id.clone(),
                Some(account.to_owned()),
                published_body,
            );
            doc.extra = json!({"kind": PUBLISHED, "draft": draft.id});
            Some(state.workflows.insert(doc.clone()).map(|_| doc))
        }
    };
    let published = match stored {
        Some(Ok(doc)) => doc,
        Some(Err(refused)) => return refused,
        None => return not_found(),
    };
    if let Some(Err(refused)) = state
        .workflows
        .update(&draft.id, Scope::Account(account), |doc| {
            doc.body
                .insert("associated_workflow".into(), json!(published_id));
        })
    {
        return refused;
    }
    let versions = state
        .workflow_versions
        .select(Scope::Account(account), |v| {
            v.extra["workflow"] == published_id.as_str()
        });
    if versions.len() >= MAX_VERSIONS
        && let Some(oldest) = versions.first()
    {
        state
            .workflow_versions
            .remove(&oldest.id, Scope::Account(account));
    }
    let number = call
        .member("version")
        .and_then(Value::as_u64)
        .unwrap_or_else(|| {
            versions
                .iter()
                .filter_map(|v| v.body["version"].as_u64())
                .max()
                .unwrap_or(0)
                + 1
        });
    let version_id = state.new_id();
    let mut version = Doc::new(
        version_id.clone(),
        Some(account.to_owned()),
        json!({"version": number, "_id": version_id, "createdAt": now})
            .as_object()
            .cloned()
            .unwrap_or_default(),
    );
    version.extra = json!({"workflow": published_id});
    if let Err(refused) = state.workflow_versions.insert(version) {
        return refused;
    }
    Answer::ok(&shown_published(&published))
}

fn shown_published(doc: &Doc) -> Value {
    json!({
        "_id": doc.id,
        "name": doc.body["name"],
        "published": doc.body["published"],
        "nodes": doc.body["nodes"],
    })
}

/// The workflow's name and the app it belongs to, for executions.
pub(crate) fn summary(doc: &Doc) -> (Value, Option<(usize, &'static apps::DemoApp)>) {
    let app = doc.body["slug"].as_str().and_then(apps::find);
    (
        json!({"_id": doc.id, "name": doc.body["name"], "icon": ""}),
        app,
    )
}
