//! The applications a linked account sees, through a session token (the
//! front-end API `@cobaltio/cobalt-js` 8.0.0 calls, whose requests these
//! routes mirror) or the public API: listing them, connecting one by form
//! (`POST /api/v2/app/{slug}/save`) or OAuth 2 (through a stand-in consent
//! page), disconnecting, and the org basics; plus CORS for any browser
//! origin.

use hyper::header::{
    ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN,
    ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE, ALLOW, HeaderMap, HeaderValue, ORIGIN,
    VARY,
};
use hyper::{Response, StatusCode};
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::accounts::{MAX_ACCOUNTS, percent_decode};
use crate::apps::{self, APPS, AppAuth, AppView, DemoApp};
use crate::body::ResponseBody;
use crate::ids::iso_millis;
use crate::respond::{self, Answer, TEXT_HTML};
use crate::routes::{self, Call};
use crate::session_api::account_document;
use crate::state::State;

/// Request headers a page may send to these routes.
const ALLOWED_HEADERS: HeaderValue = HeaderValue::from_static("authorization, content-type");
/// How long a browser may cache a preflight answer (seconds).
const PREFLIGHT_MAX_AGE: HeaderValue = HeaderValue::from_static("600");
/// What replaces a secret in the request log.
const REDACTED: &str = "[redacted]";
/// The emulator's stand-in for a provider's consent page (control plane).
pub(crate) const AUTHORIZE_PATH: &str = "/__emulator/oauth/authorize";

/// The caller's linked account (every route here has one once
/// authenticated).
fn account<'a>(call: &'a Call<'_>) -> Result<&'a str, Answer> {
    call.caller
        .account
        .as_deref()
        .ok_or_else(|| Answer::invalid_token("Invalid token"))
}

/// The demo application of the path's `{slug}`, or the 400/404 to answer.
fn path_app(call: &Call<'_>) -> Result<(usize, &'static DemoApp), Answer> {
    let slug = call
        .param("slug")
        .and_then(|raw| percent_decode(raw, false))
        .ok_or_else(|| {
            Answer::bad_request(
                "the application slug in the path is not valid percent-encoded UTF-8",
            )
        })?;
    apps::find(&slug).ok_or_else(|| {
        Answer::error(
            StatusCode::NOT_FOUND,
            "APPLICATION_NOT_FOUND",
            &format!("no application `{slug}` is enabled for this org"),
        )
    })
}

/// `GET /api/v2/f-sdk/application`: every demo app, `connected` for the
/// caller's account.
pub(crate) fn apps(state: &State, call: &Call<'_>) -> Answer {
    let account = match account(call) {
        Ok(account) => account,
        Err(refused) => return refused,
    };
    let views: Vec<AppView<'_>> = APPS
        .iter()
        .enumerate()
        .map(|(i, app)| account_view(state, account, i, app))
        .collect();
    Answer::ok(&views)
}

/// The app as `account` sees it: connected or not, expired or not.
fn account_view(
    state: &State,
    account: &str,
    index: usize,
    app: &'static DemoApp,
) -> AppView<'static> {
    let connected = state
        .app_connections
        .connected_at(account, app.slug)
        .is_some();
    let mut view = apps::view(index, app, connected);
    view.reauth_required = state.app_connections.expired(account, app.slug);
    view
}

/// `GET /api/v2/f-sdk/application/{slug}`: one demo app.
pub(crate) fn app(state: &State, call: &Call<'_>) -> Answer {
    let (account, (index, app)) = match account(call).and_then(|a| Ok((a, path_app(call)?))) {
        Ok(found) => found,
        Err(refused) => return refused,
    };
    Answer::ok(&account_view(state, account, index, app))
}

/// An application as the public API lists it for a linked account: the
/// front end's view plus `connected_accounts`.
#[derive(Serialize)]
struct PublicAppView<'a> {
    #[serde(flatten)]
    app: AppView<'a>,
    connected_accounts: Vec<Value>,
}

fn public_view(
    state: &State,
    account: &str,
    index: usize,
    app: &'static DemoApp,
) -> PublicAppView<'static> {
    let connected_at = state.app_connections.connected_at(account, app.slug);
    let view = account_view(state, account, index, app);
    PublicAppView {
        connected_accounts: connected_at
            .map(|ms| json!({ "auth_type": view.auth_type, "connectedAt": iso_millis(ms) }))
            .into_iter()
            .collect(),
        app: view,
    }
}

/// `GET /api/v2/public/application`: every demo app for the linked account.
pub(crate) fn public_apps(state: &State, call: &Call<'_>) -> Answer {
    let account = match account(call) {
        Ok(account) => account,
        Err(refused) => return refused,
    };
    let views: Vec<PublicAppView<'_>> = APPS
        .iter()
        .enumerate()
        .map(|(i, app)| public_view(state, account, i, app))
        .collect();
    Answer::ok(&views)
}

/// `GET /api/v2/public/application/{slug}`: one demo app for the account;
/// an unknown slug is the documented 404.
pub(crate) fn public_app(state: &State, call: &Call<'_>) -> Answer {
    let account = match account(call) {
        Ok(account) => account,
        Err(refused) => return refused,
    };
    match call
        .path_param("slug")
        .and_then(|slug| apps::find(&slug).ok_or(slug).ok())
    {
        Some((index, app)) => Answer::ok(&public_view(state, account, index, app)),
        None => application_not_found(state, call),
    }
}

/// Refold's 404 for an application the org does not have, as the
/// application pages document it (`EXTERNAL_API_FAILURE`).
pub(crate) fn application_not_found(state: &State, call: &Call<'_>) -> Answer {
    let slug = call.path_param("slug").unwrap_or_default();
    let body = serde_json::json!({
        "status_code": 404,
        "http_error_type": "EXTERNAL_API_ERROR",
        "error": "EXTERNAL_API_FAILURE",
        "message": format!(
            "Application with app_type '{slug}' not found for org {}",
            state.accounts.org()
        ),
    });
    Answer::json(StatusCode::NOT_FOUND, body.to_string())
}

/// `POST /api/v2/app/{slug}/save` with the form's values as a JSON object:
/// connects a key-based app. The values are checked and dropped.
pub(crate) fn save(state: &State, call: &Call<'_>) -> Answer {
    let (account, (_, app)) = match account(call).and_then(|a| Ok((a, path_app(call)?))) {
        Ok(found) => found,
        Err(refused) => return refused,
    };
    if let Err(refused) = check_key_form(app, call.body) {
        return refused;
    }
    if !state.connect_app(account, app.slug) {
        return Answer::bad_request(&format!(
            "the emulator keeps connections for at most {MAX_ACCOUNTS} linked accounts"
        ));
    }
    Answer::ok(&json!({ "success": true }))
}

/// Checks a key-based app's form (a JSON object of its auth fields: each
/// required one a non-blank string, optional ones a string or absent);
/// the values are dropped, never stored.
pub(crate) fn check_key_form(app: &DemoApp, body: &[u8]) -> Result<(), Answer> {
    let AppAuth::KeyBased(fields) = app.auth else {
        return Err(Answer::bad_request(&format!(
            "{} connects with OAuth 2 (GET /api/v1/{}/integrate), not with keys",
            app.name, app.slug
        )));
    };
    let values = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(values)) => values,
        _ => {
            return Err(Answer::bad_request(
                "the request body must be a JSON object of the application's auth fields",
            ));
        }
    };
    for field in fields {
        match values.get(field.name) {
            Some(Value::String(value)) if !value.trim().is_empty() => {}
            None | Some(Value::Null) if !field.required => {}
            Some(Value::String(_)) | None | Some(Value::Null) => {
                return Err(Answer::bad_request(&format!(
                    "{} ({}) is required to connect {}",
                    field.label, field.name, app.name
                )));
            }
            Some(_) => {
                return Err(Answer::bad_request(&format!(
                    "{} must be a string",
                    field.name
                )));
            }
        }
    }
    Ok(())
}

/// `DELETE /api/v1/linked-acc/integration/{slug}`: disconnects (also when
/// not connected).
pub(crate) fn disconnect(state: &State, call: &Call<'_>) -> Answer {
    match account(call).and_then(|a| Ok((a, path_app(call)?))) {
        Ok((account, (_, app))) => {
            state.disconnect_app(account, app.slug);
            Answer::ok(&json!({ "success": true }))
        }
        Err(refused) => refused,
    }
}

/// `GET /api/v3/org/basics`: the org, and the linked account as the
/// linked-account API returns it.
pub(crate) fn org_basics(state: &State, call: &Call<'_>) -> Answer {
    let account = match account(call) {
        Ok(account) => account,
        Err(refused) => return refused,
    };
    let org = json!({
        "_id": state.accounts.org(),
        "name": "Emulator Org",
        "org_id": state.org_id(),
        "environment": "test",
    });
    let mut body = format!(r#"{{"org":{org},"linked_account":"#).into_bytes();
    body.extend_from_slice(&account_document(state, account));
    body.push(b'}');
    Answer::json(StatusCode::OK, body)
}

/// `GET /api/v1/{slug}/integrate`: the URL of the consent page, here the
/// emulator's own, which connects the app when opened.
pub(crate) fn integrate(state: &State, call: &Call<'_>) -> Answer {
    let (account, (_, app)) = match account(call).and_then(|a| Ok((a, path_app(call)?))) {
        Ok(found) => found,
        Err(refused) => return refused,
    };
    if !matches!(app.auth, AppAuth::OAuth2) {
        return Answer::bad_request(&format!(
            "{} connects with keys (POST /api/v2/app/{}/save), not OAuth 2",
            app.name, app.slug
        ));
    }
    let grant = state.app_connections.grant(account, app.slug);
    let host = call.host.unwrap_or("127.0.0.1");
    Answer::ok(&json!({ "auth_url": format!("http://{host}{AUTHORIZE_PATH}?grant={grant}") }))
}

/// `GET /__emulator/oauth/authorize?grant=…`: the provider's consent page,
/// approved at once: connects the app and says so.
pub(crate) fn authorize(state: &State, call: &Call<'_>) -> Answer {
    let grant = call.query_param("grant").unwrap_or("");
    let html = |status: StatusCode, text: &str| Answer {
        status,
        content_type: TEXT_HTML,
        body: format!("<!doctype html><title>Emulator OAuth</title><p>{text}</p>").into(),
    };
    match state.app_connections.redeem(grant) {
        Some((account, slug)) if state.account_known(&account) => {
            state.connect_app(&account, slug);
            html(StatusCode::OK, "Connected. You can close this window.")
        }
        Some(_) => html(
            StatusCode::BAD_REQUEST,
            "That linked account no longer exists.",
        ),
        None => html(StatusCode::BAD_REQUEST, "Unknown or already used grant."),
    }
}

/// What the request log keeps of a save body: every value the user typed
/// redacted, the field names kept.
pub(crate) fn redact_form(body: &[u8]) -> bytes::Bytes {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(members)) => {
            let redacted: Map<String, Value> = members
                .into_iter()
                .map(|(name, _)| (name, Value::String(REDACTED.to_owned())))
                .collect();
            Value::Object(redacted).to_string().into()
        }
        _ => bytes::Bytes::from_static(REDACTED.as_bytes()),
    }
}

/// The answer to `OPTIONS` on a path browsers call: a CORS preflight (204)
/// naming the path's methods, never counted, logged or faulted.
pub(crate) fn preflight(headers: &HeaderMap, path: &str) -> Response<ResponseBody> {
    let allow = HeaderValue::try_from(routes::allow_header(&routes::allowed(path)))
        .expect("method names are valid header values");
    let mut response = respond::with_body(StatusCode::NO_CONTENT, None, ResponseBody::empty());
    let out = response.headers_mut();
    out.insert(ALLOW, allow.clone());
    if let Some(origin) = headers.get(ORIGIN) {
        out.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
        out.insert(ACCESS_CONTROL_ALLOW_METHODS, allow);
        out.insert(ACCESS_CONTROL_ALLOW_HEADERS, ALLOWED_HEADERS);
        out.insert(ACCESS_CONTROL_MAX_AGE, PREFLIGHT_MAX_AGE);
    }
    out.insert(
        VARY,
        HeaderValue::from_static(
            "origin, access-control-request-method, access-control-request-headers",
        ),
    );
    response
}

/// Adds the CORS headers of an answer for the request's `Origin` (any
/// origin is allowed; no cookies are involved, the token travels in a
/// header).
pub(crate) fn with_cors(
    mut response: Response<ResponseBody>,
    origin: Option<&HeaderValue>,
) -> Response<ResponseBody> {
    let headers = response.headers_mut();
    if let Some(origin) = origin {
        headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
        headers.insert(
            ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("x-request-id"),
        );
    }
    headers.append(VARY, HeaderValue::from_static("origin"));
    response
}
