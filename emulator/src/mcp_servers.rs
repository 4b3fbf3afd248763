//! MCP servers (`/api/v2/public/mcp-servers…`) of a linked account:
//! created with a name and description, listed, read, updated patch-style,
//! deleted.

use hyper::StatusCode;
use serde_json::{Value, json};

use crate::collection::{Doc, Scope, page, page_query};
use crate::ids::{iso_millis, now_millis};
use crate::respond::Answer;
use crate::routes::Call;
use crate::state::State;

/// The members an update may write.
const UPDATABLE: &[&str] = &[
    "name",
    "description",
    "agent_name",
    "associated_apps",
    "base_prompt",
    "chains",
    "primary_color",
    "secondary_color",
    "safe_mode",
    "suggestions",
];

fn account<'a>(call: &'a Call<'_>) -> &'a str {
    call.caller.account.as_deref().unwrap_or_default()
}

fn not_found() -> Answer {
    Answer::error(StatusCode::NOT_FOUND, "SERVER_ERROR", "MCPEntry not found")
}

/// `GET /api/v2/public/mcp-servers`: a page, without the details.
pub(crate) fn list(state: &State, call: &Call<'_>) -> Answer {
    let docs: Vec<Value> = state
        .mcp_servers
        .select(Scope::Account(account(call)), |_| true)
        .into_iter()
        .map(|doc| {
            json!({
                "_id": doc.id,
                "name": doc.body["name"],
                "description": doc.body["description"],
                "associated_org_id": doc.body["associated_org_id"],
                "environment": "test",
                "createdAt": doc.body["createdAt"],
            })
        })
        .collect();
    let (page_number, limit) = page_query(call, 10);
    Answer::ok(&page(docs, page_number, limit, "docs"))
}

/// `POST /api/v2/public/mcp-servers` `{name, description}`: 201.
pub(crate) fn create(state: &State, call: &Call<'_>) -> Answer {
    let (name, description) = (
        call.text("name").unwrap_or_default(),
        call.text("description").unwrap_or_default(),
    );
    if name.is_empty() || description.is_empty() {
        return Answer::bad_request("name and description are required");
    }
    let id = state.new_id();
    let now = iso_millis(now_millis());
    let body = json!({
        "_id": id,
        "name": name,
        "description": description,
        "associated_org_id": state.accounts.org(),
        "environment": "test",
        "associated_apps": [],
        "chains": [],
        "suggestions": [],
        "notebooks": [],
        "createdAt": now,
        "updatedAt": now,
    });
    let doc = Doc::new(
        id.clone(),
        Some(account(call).to_owned()),
        body.as_object().cloned().unwrap_or_default(),
    );
    match state.mcp_servers.insert(doc) {
        Ok(_) => Answer::json(
            StatusCode::CREATED,
            json!({"_id": id, "name": name, "description": description}).to_string(),
        ),
        Err(refused) => refused,
    }
}

fn server_id(call: &Call<'_>) -> String {
    call.path_param("mcp_server_id").unwrap_or_default()
}

/// `GET /api/v2/public/mcp-servers/{mcp_server_id}`.
pub(crate) fn get(state: &State, call: &Call<'_>) -> Answer {
    match state
        .mcp_servers
        .get(&server_id(call), Scope::Account(account(call)))
    {
        Some(doc) => Answer::ok(&doc.body),
        None => not_found(),
    }
}

/// `PUT /api/v2/public/mcp-servers/{mcp_server_id}`: only the members sent
/// change.
pub(crate) fn update(state: &State, call: &Call<'_>) -> Answer {
    let input = call.json.clone().unwrap_or_else(|| json!({}));
    match state
        .mcp_servers
        .update(&server_id(call), Scope::Account(account(call)), |doc| {
            for name in UPDATABLE {
                if let Some(value) = input.get(*name) {
                    doc.body.insert((*name).to_owned(), value.clone());
                }
            }
            doc.body
                .insert("updatedAt".into(), json!(iso_millis(now_millis())));
        }) {
        Some(Ok((_, doc))) => Answer::ok(&doc.body),
        Some(Err(refused)) => refused,
        None => not_found(),
    }
}

/// `DELETE /api/v2/public/mcp-servers/{mcp_server_id}`: 204.
pub(crate) fn delete(state: &State, call: &Call<'_>) -> Answer {
    match state
        .mcp_servers
        .remove(&server_id(call), Scope::Account(account(call)))
    {
        Some(_) => Answer::empty(StatusCode::NO_CONTENT),
        None => not_found(),
    }
}
