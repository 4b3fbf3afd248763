//! Integration actions (`/api/v2/integration-schema/{slug}/actions…`):
//! every demo application has the same three actions; executing one needs
//! the app connected for the linked account and answers its input back.

use hyper::StatusCode;
use serde_json::{Value, json};

use crate::apps;
use crate::respond::Answer;
use crate::routes::Call;
use crate::state::State;

/// An action of every demo app: id, name, description and its parameters
/// (`name`, `label`, required).
struct Action {
    id: &'static str,
    name: &'static str,
    description: &'static str,
    params: &'static [(&'static str, &'static str, bool)],
}

const ACTIONS: &[Action] = &[
    Action {
        id: "httprequest",
        name: "HTTP Request",
        description: "Make a raw HTTP request",
        params: &[
            ("method", "Enter method", true),
            ("path", "Enter path", true),
            ("body", "Enter body", false),
        ],
    },
    Action {
        id: "get_record",
        name: "Get Record",
        description: "Fetch a record by id",
        params: &[("record_id", "Enter record id", true)],
    },
    Action {
        id: "create_record",
        name: "Create Record",
        description: "Create a record",
        params: &[
            ("name", "Enter name", true),
            ("email", "Enter email", false),
        ],
    },
];

/// The demo app of `{slug}` or the documented 404.
fn app(call: &Call<'_>) -> Result<&'static apps::DemoApp, Answer> {
    let slug = call.path_param("slug").unwrap_or_default();
    apps::find(&slug).map(|(_, app)| app).ok_or_else(|| {
        Answer::error(
            StatusCode::NOT_FOUND,
            "SERVER_ERROR",
            &format!("Application app_type '{slug}' not found"),
        )
    })
}

fn action(call: &Call<'_>, app: &apps::DemoApp) -> Result<&'static Action, Answer> {
    let id = call.path_param("action_id").unwrap_or_default();
    ACTIONS.iter().find(|a| a.id == id).ok_or_else(|| {
        Answer::error(
            StatusCode::NOT_FOUND,
            "SERVER_ERROR",
            &format!("Action {id} not found in Application {}", app.slug),
        )
    })
}

/// `GET …/{slug}/actions`.
pub(crate) fn list(_state: &State, call: &Call<'_>) -> Answer {
    match app(call) {
        Ok(_) => Answer::ok(
            &ACTIONS
                .iter()
                .map(|a| json!({"name": a.name, "action_id": a.id, "description": a.description, "tag": "v2"}))
                .collect::<Vec<_>>(),
        ),
        Err(refused) => refused,
    }
}

/// `GET …/{slug}/actions/{action_id}`: its parameters.
pub(crate) fn schema(_state: &State, call: &Call<'_>) -> Answer {
    match app(call).and_then(|app| action(call, app)) {
        Ok(action) => Answer::ok(
            &action
                .params
                .iter()
                .map(|(name, label, required)| {
                    json!({"name": name, "label": label, "required": required, "type": "text"})
                })
                .collect::<Vec<_>>(),
        ),
        Err(refused) => refused,
    }
}

/// `POST …/{slug}/actions/{action_id}/execute`: needs the app connected
/// (and not expired) and every required parameter; answers the input.
pub(crate) fn execute(state: &State, call: &Call<'_>) -> Answer {
    let (app, action) = match app(call).and_then(|app| Ok((app, action(call, app)?))) {
        Ok(found) => found,
        Err(refused) => return refused,
    };
    let account = call.caller.account.as_deref().unwrap_or_default();
    if state
        .app_connections
        .connected_at(account, app.slug)
        .is_none()
        || state.app_connections.expired(account, app.slug)
    {
        return Answer::bad_request(&format!(
            "{} is not connected for linked account {account}",
            app.name
        ));
    }
    let input = call.json.clone().unwrap_or_else(|| json!({}));
    for (name, _, required) in action.params {
        if *required && input.get(name).is_none_or(Value::is_null) {
            return Answer::bad_request(&format!("{name} is required"));
        }
    }
    Answer::ok(&json!({
        "node_status": "Success",
        "data": {"action_id": action.id, "application": app.slug, "input": input},
    }))
}
