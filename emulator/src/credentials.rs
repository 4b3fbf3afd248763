//! How a linked account's applications get their credentials through the
//! public API: the auth structure of an app, the OAuth URL (the emulator's
//! stand-in consent page), key-based credentials saved, tokens migrated,
//! the default-app credential keys, and removing an integration. Values
//! are checked and dropped, never stored or logged.

use std::collections::HashMap;
use std::sync::Mutex;

use bytes::Bytes;
use hyper::StatusCode;
use serde_json::{Map, Value, json};

use crate::accounts::{MAX_ACCOUNTS, MAX_UDF_KEYS};
use crate::apps::{self, AppAuth, DemoApp};
use crate::frontend::{self, AUTHORIZE_PATH};
use crate::respond::Answer;
use crate::routes::Call;
use crate::session_api::account_document;
use crate::state::{State, lock};

const REDACTED: &str = "[redacted]";

/// The key names of each linked account's default-app credentials.
#[derive(Default)]
pub(crate) struct DefaultApps {
    keys: Mutex<HashMap<String, Vec<String>>>,
}

impl DefaultApps {
    /// The account's default app exists with these keys (creation or
    /// upsert with `your_app`): keys are added to what it has.
    pub(crate) fn seed(&self, account: &str, keys: Vec<String>) {
        let mut all = lock(&self.keys);
        if !all.contains_key(account) && all.len() >= MAX_ACCOUNTS {
            return;
        }
        let existing = all.entry(account.to_owned()).or_default();
        for key in keys {
            if !existing.contains(&key) && existing.len() < MAX_UDF_KEYS {
                existing.push(key);
            }
        }
    }

    pub(crate) fn forget(&self, account: &str) {
        lock(&self.keys).remove(account);
    }
}

/// The caller's linked account (the route requires one).
fn account<'a>(call: &'a Call<'_>) -> &'a str {
    call.caller.account.as_deref().unwrap_or_default()
}

/// The demo app of the path's `{slug}`, or the documented 404.
fn path_app(state: &State, call: &Call<'_>) -> Result<&'static DemoApp, Answer> {
    call.path_param("slug")
        .and_then(|slug| apps::find(&slug))
        .map(|(_, app)| app)
        .ok_or_else(|| frontend::application_not_found(state, call))
}

/// `GET /api/v2/public/auth-structure/{slug}` (no authentication): the
/// fields of each auth type the app supports; an unknown app is the
/// documented 500.
pub(crate) fn auth_structure(_state: &State, call: &Call<'_>) -> Answer {
    let slug = call.path_param("slug").unwrap_or_default();
    let Some((_, app)) = apps::find(&slug) else {
        let body = json!({
            "error": "SERVER_ERROR",
            "message": format!("Schema not found for integration type: {slug}"),
        });
        return Answer::json(StatusCode::INTERNAL_SERVER_ERROR, body.to_string());
    };
    Answer::ok(&structure(app))
}

fn structure(app: &DemoApp) -> Value {
    match app.auth {
        AppAuth::OAuth2 => json!({"oauth2": {
            "access_token": "string",
            "refresh_token": "string",
            "client_id": "string",
            "client_secret": "string",
            "callback_url": {"type": "string", "required": false},
        }}),
        AppAuth::KeyBased(fields) => {
            let mut keybased = Map::new();
            for field in fields {
                let kind = if field.required {
                    json!("string")
                } else {
                    json!({"type": "string", "required": false})
                };
                keybased.insert(field.name.to_owned(), kind);
            }
            json!({ "keybased": keybased })
        }
    }
}

/// `GET …/integration/oauth-url/{slug}`: the consent URL of an OAuth 2 app
/// (the emulator's stand-in page, which connects the app when opened).
pub(crate) fn oauth_url(state: &State, call: &Call<'_>) -> Answer {
    let app = match path_app(state, call) {
        Ok(app) => app,
        Err(refused) => return refused,
    };
    if !matches!(app.auth, AppAuth::OAuth2) {
        return Answer::bad_request(&format!("{} is not an OAuth2 app", app.name));
    }
    let grant = state.app_connections.grant(account(call), app.slug);
    let host = call.host.unwrap_or("127.0.0.1");
    Answer::ok(&json!({ "auth_url": format!("http://{host}{AUTHORIZE_PATH}?grant={grant}") }))
}

/// `PUT …/integration/save-key-credentials/{slug}`: the app's form, checked
/// as the front end's save; connects the app.
pub(crate) fn save_key_credentials(state: &State, call: &Call<'_>) -> Answer {
    let app = match path_app(state, call) {
        Ok(app) => app,
        Err(refused) => return refused,
    };
    if let Err(refused) = frontend::check_key_form(app, call.body) {
        return refused;
    }
    connect(state, account(call), app, json!({ "success": true }))
}

fn connect(state: &State, account: &str, app: &'static DemoApp, answer: Value) -> Answer {
    if !state.connect_app(account, app.slug) {
        return Answer::bad_request(&format!(
            "the emulator keeps connections for at most {MAX_ACCOUNTS} linked accounts"
        ));
    }
    Answer::ok(&answer)
}

/// `PUT /api/v2/public/migrate-token` `{slug, auth_object}`: the object (its
/// fields flat or under the auth type, `oauth2` or `keybased`) is checked
/// against the app's auth structure (every required field a non-empty
/// string) and the app is connected. Custom apps are refused
/// with the documented 200.
pub(crate) fn migrate_token(state: &State, call: &Call<'_>) -> Answer {
    let slug = call.text("slug").unwrap_or_default();
    if slug == "custom" {
        return Answer::ok(&json!({ "error": "Custom apps are not supported for this endpoint." }));
    }
    let Some((_, app)) = apps::find(slug) else {
        return Answer::error(
            StatusCode::NOT_FOUND,
            "INVALID_APP_ID",
            &format!(
                "Application with app_type '{slug}' not found for org {}",
                state.accounts.org()
            ),
        );
    };
    let (kind, required): (&str, Vec<&str>) = match app.auth {
        AppAuth::OAuth2 => ("oauth2", vec!["access_token"]),
        AppAuth::KeyBased(fields) => (
            "keybased",
            fields
                .iter()
                .filter(|f| f.required)
                .map(|f| f.name)
                .collect(),
        ),
    };
    // The fields under the auth type's name (the documented form) or flat (the official SDK's).
    let object = call.member("auth_object").and_then(Value::as_object);
    let object = object
        .and_then(|o| o.get(kind))
        .and_then(Value::as_object)
        .or(object);
    for name in required {
        let given = object
            .and_then(|o| o.get(name))
            .and_then(Value::as_str)
            .is_some_and(|v| !v.trim().is_empty());
        if !given {
            return Answer::bad_request(&format!(
                "auth_object.{name} is required by {}'s auth structure",
                app.name
            ));
        }
    }
    connect(
        state,
        account(call),
        app,
        json!({ "success": true, "message": "Token migrated successfully" }),
    )
}

/// `PUT …/default-app/auth-credentials/{key}` `{value}`: adds or updates a
/// key of the account's default-app integration (its value dropped).
pub(crate) fn upsert_default_app_credential(state: &State, call: &Call<'_>) -> Answer {
    let account = account(call);
    let key = call.path_param("key").unwrap_or_default();
    let mut all = lock(&state.default_apps.keys);
    let Some(keys) = all.get_mut(account) else {
        return no_default_app(account);
    };
    let action = if keys.contains(&key) {
        "updated"
    } else if keys.len() >= MAX_UDF_KEYS {
        return Answer::bad_request(&format!(
            "the emulator keeps at most {MAX_UDF_KEYS} default-app credential keys"
        ));
    } else {
        keys.push(key.clone());
        "added"
    };
    Answer::ok(&json!({
        "success": true,
        "message": format!("Auth credential '{key}' {action} successfully"),
        "action": action,
    }))
}

/// `DELETE …/default-app/auth-credentials/{key}`.
pub(crate) fn delete_default_app_credential(state: &State, call: &Call<'_>) -> Answer {
    let account = account(call);
    let key = call.path_param("key").unwrap_or_default();
    let mut all = lock(&state.default_apps.keys);
    let Some(keys) = all.get_mut(account) else {
        return no_default_app(account);
    };
    let Some(index) = keys.iter().position(|k| *k == key) else {
        return Answer::error(
            StatusCode::NOT_FOUND,
            "RESOURCE_NOT_FOUND",
            &format!("Auth credential key '{key}' not found"),
        );
    };
    keys.remove(index);
    Answer::ok(&json!({
        "success": true,
        "message": format!("Auth credential '{key}' deleted successfully"),
    }))
}

fn no_default_app(account: &str) -> Answer {
    Answer::error(
        StatusCode::NOT_FOUND,
        "RESOURCE_NOT_FOUND",
        &format!("Default app integration not found for linked account {account}"),
    )
}

/// `DELETE /api/v2/public/linked-account/integration/{slug}`: the app is
/// disconnected (`Connection Deleted` sent when it was connected); the
/// answer is the account, also when nothing was connected.
pub(crate) fn delete_integration(state: &State, call: &Call<'_>) -> Answer {
    let account = account(call);
    if let Some((_, app)) = call.path_param("slug").and_then(|slug| apps::find(&slug)) {
        state.disconnect_app(account, app.slug);
    }
    Answer::json(StatusCode::OK, account_document(state, account))
}

/// What the request log keeps of a migrate-token body: `auth_object`'s
/// values redacted.
pub(crate) fn redact_auth_object(body: &[u8]) -> Bytes {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(mut members)) => {
            if let Some(Value::Object(object)) = members.get_mut("auth_object") {
                for value in object.values_mut() {
                    *value = Value::String(REDACTED.to_owned());
                }
            } else if members.contains_key("auth_object") {
                members.insert("auth_object".to_owned(), Value::String(REDACTED.to_owned()));
            }
            Value::Object(members).to_string().into()
        }
        _ => Bytes::from_static(REDACTED.as_bytes()),
    }
}
