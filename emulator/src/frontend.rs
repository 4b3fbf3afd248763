//! The front-end API: what a browser calls with a session token, through
//! Refold's front-end SDK (`@cobaltio/cobalt-js` 8.0.0, whose requests these
//! routes mirror), with CORS for any browser origin.
//!
//! Every route checks `authorization: Bearer <session token>`: an HS256 JWT
//! signed with the emulator's secret, `exp` not passed, its linked account
//! still known; otherwise 401 `{"message": …}`. The applications are a fixed
//! set of demo apps; connecting one (`POST /api/v2/app/{slug}/save`, or the
//! OAuth 2 round trip) and disconnecting it are remembered per linked account
//! and forgotten when the account is deleted.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::{LazyLock, Mutex, MutexGuard, PoisonError};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hyper::header::{
    ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN,
    ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE, ALLOW, AUTHORIZATION, HeaderMap,
    HeaderValue, ORIGIN, VARY,
};
use hyper::{Method, Response, StatusCode};
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::accounts::{MAX_ACCOUNTS, percent_decode};
use crate::api::Route;
use crate::body::ResponseBody;
use crate::respond;
use crate::state::State;
use crate::token::unix_now;

/// `GET` all applications; `GET …/{slug}` one.
pub(crate) const APPS_PATH: &str = "/api/v2/f-sdk/application";
/// `GET` the org and the linked account of the token.
pub(crate) const ORG_PATH: &str = "/api/v3/org/basics";
/// `POST /api/v2/app/{slug}/save`: connect a key-based application.
const SAVE_PREFIX: &str = "/api/v2/app/";
const SAVE_SUFFIX: &str = "/save";
/// `DELETE /api/v1/linked-acc/integration/{slug}`: disconnect.
const DISCONNECT_PREFIX: &str = "/api/v1/linked-acc/integration/";
/// `GET /api/v1/{slug}/integrate?…`: the OAuth 2 URL of an application.
const INTEGRATE_PREFIX: &str = "/api/v1/";
const INTEGRATE_SUFFIX: &str = "/integrate";
/// The emulator's stand-in for a provider's consent page (control plane).
pub(crate) const AUTHORIZE_PATH: &str = "/__emulator/oauth/authorize";

/// Request headers a page may send to these routes.
const ALLOWED_HEADERS: HeaderValue = HeaderValue::from_static("authorization, content-type");
/// How long a browser may cache a preflight answer (seconds).
const PREFLIGHT_MAX_AGE: HeaderValue = HeaderValue::from_static("600");
/// OAuth grants waiting for their consent page; older ones are dropped.
const MAX_PENDING_GRANTS: usize = 1000;
/// What replaces a secret in the request log.
const REDACTED: &str = "[redacted]";

/// How a demo application is connected.
enum Auth {
    OAuth2,
    KeyBased(&'static [Field]),
}

/// A field of a key-based application's form (`auth_input_map`).
#[derive(Serialize)]
struct Field {
    name: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    required: bool,
    placeholder: &'static str,
    label: &'static str,
}

struct DemoApp {
    slug: &'static str,
    name: &'static str,
    description: &'static str,
    /// Background colour of the generated icon.
    color: &'static str,
    auth: Auth,
}

/// The applications every org of the emulator has enabled (fictional).
static APPS: &[DemoApp] = &[
    DemoApp {
        slug: "parcel-post",
        name: "Parcel Post",
        description: "Send transactional email from your workflows.",
        color: "#2563eb",
        auth: Auth::KeyBased(&[Field {
            name: "api_key",
            kind: "password",
            required: true,
            placeholder: "pp_live_…",
            label: "API key",
        }]),
    },
    DemoApp {
        slug: "tally-sheets",
        name: "Tally Sheets",
        description: "Read and write rows in shared spreadsheets.",
        color: "#16a34a",
        auth: Auth::KeyBased(&[
            Field {
                name: "api_token",
                kind: "password",
                required: true,
                placeholder: "ts_…",
                label: "API token",
            },
            Field {
                name: "workspace",
                kind: "text",
                required: true,
                placeholder: "acme",
                label: "Workspace",
            },
        ]),
    },
    DemoApp {
        slug: "relay-sms",
        name: "Relay SMS",
        description: "Text your customers when something happens.",
        color: "#db2777",
        auth: Auth::KeyBased(&[
            Field {
                name: "account_sid",
                kind: "text",
                required: true,
                placeholder: "AC…",
                label: "Account SID",
            },
            Field {
                name: "auth_token",
                kind: "password",
                required: true,
                placeholder: "",
                label: "Auth token",
            },
            Field {
                name: "sender",
                kind: "text",
                required: false,
                placeholder: "+15550100",
                label: "Sender number (optional)",
            },
        ]),
    },
    DemoApp {
        slug: "lumen-crm",
        name: "Lumen CRM",
        description: "Sync contacts and deals with your CRM.",
        color: "#ea580c",
        auth: Auth::OAuth2,
    },
    DemoApp {
        slug: "beacon-chat",
        name: "Beacon Chat",
        description: "Post messages to your team's channels.",
        color: "#7c3aed",
        auth: Auth::OAuth2,
    },
];

/// Each app's icon: an SVG tile with its initials, as a `data:` URL.
static ICONS: LazyLock<Vec<String>> = LazyLock::new(|| APPS.iter().map(icon).collect());

fn icon(app: &DemoApp) -> String {
    let initials: String = app
        .name
        .split(' ')
        .filter_map(|word| word.chars().next())
        .collect();
    let svg = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64"><rect width="64" height="64" rx="14" fill="{}"/><text x="32" y="41" font-family="Helvetica,Arial,sans-serif" font-size="24" font-weight="700" fill="#fff" text-anchor="middle">{initials}</text></svg>"##,
        app.color
    );
    format!("data:image/svg+xml;base64,{}", STANDARD.encode(svg))
}

fn find_app(slug: &str) -> Option<(usize, &'static DemoApp)> {
    APPS.iter().enumerate().find(|(_, app)| app.slug == slug)
}

/// An application as the SDK's `Application` interface describes it.
#[derive(Serialize)]
struct AppView<'a> {
    name: &'static str,
    description: &'static str,
    icon: &'a str,
    /// The slug of a native application.
    #[serde(rename = "type")]
    kind: &'static str,
    slug: &'static str,
    auth_type: &'static str,
    connected: bool,
    reauth_required: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    auth_input_map: Option<&'static [Field]>,
}

fn view(index: usize, app: &'static DemoApp, connected: bool) -> AppView<'static> {
    let (auth_type, auth_input_map) = match app.auth {
        Auth::OAuth2 => ("oauth2", None),
        Auth::KeyBased(fields) => ("keybased", Some(fields)),
    };
    AppView {
        name: app.name,
        description: app.description,
        icon: &ICONS[index],
        kind: app.slug,
        slug: app.slug,
        auth_type,
        connected,
        reauth_required: false,
        auth_input_map,
    }
}

/// The front-end route of a request: `None` if the path is not one,
/// `Err(allow)` if the method is wrong for it.
pub(crate) fn route(method: &Method, path: &str) -> Option<Result<Route, &'static str>> {
    let (route, allow) = path_route(path)?;
    Some(if method == route_method(route) {
        Ok(route)
    } else {
        Err(allow)
    })
}

fn route_method(route: Route) -> Method {
    match route {
        Route::SaveApp => Method::POST,
        Route::DisconnectApp => Method::DELETE,
        _ => Method::GET,
    }
}

/// The route a front-end path belongs to and the methods it allows.
fn path_route(path: &str) -> Option<(Route, &'static str)> {
    if path == APPS_PATH {
        return Some((Route::Apps, "GET"));
    }
    if path == ORG_PATH {
        return Some((Route::OrgBasics, "GET"));
    }
    if slug_between(path, APPS_PATH, "").is_some_and(|s| !s.starts_with('/')) {
        return Some((Route::App, "GET"));
    }
    if slug_between(path, SAVE_PREFIX, SAVE_SUFFIX).is_some() {
        return Some((Route::SaveApp, "POST"));
    }
    if slug_between(path, DISCONNECT_PREFIX, "").is_some() {
        return Some((Route::DisconnectApp, "DELETE"));
    }
    if slug_between(path, INTEGRATE_PREFIX, INTEGRATE_SUFFIX).is_some() {
        return Some((Route::Integrate, "GET"));
    }
    None
}

/// The one path segment between `prefix` (plus a `/` when `prefix` lacks
/// one) and `suffix`.
fn slug_between<'a>(path: &'a str, prefix: &str, suffix: &str) -> Option<&'a str> {
    let mut rest = path.strip_prefix(prefix)?;
    if !prefix.ends_with('/') {
        rest = rest.strip_prefix('/')?;
    }
    let slug = rest.strip_suffix(suffix)?;
    (!slug.is_empty() && !slug.contains('/')).then_some(slug)
}

/// The decoded `{slug}` of a front-end path.
fn path_slug(path: &str) -> Option<String> {
    let raw = slug_between(path, APPS_PATH, "")
        .or_else(|| slug_between(path, SAVE_PREFIX, SAVE_SUFFIX))
        .or_else(|| slug_between(path, DISCONNECT_PREFIX, ""))
        .or_else(|| slug_between(path, INTEGRATE_PREFIX, INTEGRATE_SUFFIX))?;
    percent_decode(raw, false)
}

/// Whether `path` is a front-end route (and so gets CORS headers).
pub(crate) fn is_frontend_path(path: &str) -> bool {
    path_route(path).is_some()
}

/// The answer to `OPTIONS` on a front-end path: a CORS preflight (204),
/// never counted, logged or faulted.
pub(crate) fn preflight(headers: &HeaderMap, path: &str) -> Response<ResponseBody> {
    let allow = path_route(path).map_or("GET", |(_, allow)| allow);
    let mut response = respond::with_body(StatusCode::NO_CONTENT, None, ResponseBody::empty());
    let out = response.headers_mut();
    out.insert(ALLOW, HeaderValue::from_static(allow));
    if let Some(origin) = headers.get(ORIGIN) {
        out.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
        out.insert(
            ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static(allow),
        );
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

/// Adds the CORS headers of a front-end answer for the request's `Origin`
/// (any origin is allowed; no cookies are involved, the token travels in a
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

/// The token of an `authorization: Bearer <token>` header, if any.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_owned())
}

/// Hides the secrets of a front-end request from the request log: the
/// session token (`Bearer [redacted]`) and, for a save, every value the user
/// typed (the member names stay). Returns the body to log.
pub(crate) fn redact_for_log(
    route: Route,
    headers: &mut HeaderMap,
    body: &[u8],
) -> Option<Vec<u8>> {
    if let Some(value) = headers.get_mut(AUTHORIZATION) {
        let scheme = value
            .to_str()
            .ok()
            .and_then(|v| v.split_once(' '))
            .map_or("", |(scheme, _)| scheme);
        *value = HeaderValue::try_from(format!("{scheme} {REDACTED}").trim_start())
            .unwrap_or(HeaderValue::from_static(REDACTED));
    }
    if route != Route::SaveApp || body.is_empty() {
        return None;
    }
    Some(match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(members)) => {
            let redacted: Map<String, Value> = members
                .into_iter()
                .map(|(name, _)| (name, Value::String(REDACTED.to_owned())))
                .collect();
            Value::Object(redacted).to_string().into_bytes()
        }
        _ => REDACTED.as_bytes().to_vec(),
    })
}

/// A front-end answer: status and JSON body.
pub(crate) type Answer = (StatusCode, Vec<u8>);

fn message(status: StatusCode, text: &str) -> Answer {
    (status, json!({ "message": text }).to_string().into_bytes())
}

fn ok(value: &impl Serialize) -> Answer {
    (
        StatusCode::OK,
        serde_json::to_vec(value).expect("a front-end answer serialises"),
    )
}

/// What a front-end handler needs of its request.
pub(crate) struct Request<'a> {
    pub route: Route,
    pub path: &'a str,
    pub bearer: Option<&'a str>,
    /// The `Host` the browser used, for URLs that point back here.
    pub host: Option<&'a str>,
    pub body: &'a [u8],
}

/// The normal answer of a front-end route.
pub(crate) fn answer(state: &State, request: &Request<'_>) -> Answer {
    let account = match authenticate(state, request.bearer) {
        Ok(account) => account,
        Err(denied) => return message(StatusCode::UNAUTHORIZED, denied),
    };
    if request.route == Route::OrgBasics {
        return org_basics(state, &account);
    }
    if request.route == Route::Apps {
        let connected = state.connections.of(&account);
        let apps: Vec<AppView<'_>> = APPS
            .iter()
            .enumerate()
            .map(|(i, app)| view(i, app, connected.contains(app.slug)))
            .collect();
        return ok(&apps);
    }
    let Some(slug) = path_slug(request.path) else {
        return message(
            StatusCode::BAD_REQUEST,
            "the application slug in the path is not valid percent-encoded UTF-8",
        );
    };
    let Some((index, app)) = find_app(&slug) else {
        return message(
            StatusCode::NOT_FOUND,
            &format!("no application `{slug}` is enabled for this org"),
        );
    };
    match request.route {
        Route::App => {
            let connected = state.connections.of(&account).contains(app.slug);
            ok(&view(index, app, connected))
        }
        Route::SaveApp => save(state, &account, app, request.body),
        Route::DisconnectApp => {
            state.connections.set(&account, app.slug, false);
            ok(&json!({ "success": true }))
        }
        Route::Integrate => integrate(state, &account, app, request.host),
        _ => unreachable!("not a front-end route with a slug: {:?}", request.route),
    }
}

/// The linked account a bearer token speaks for, or why it is refused.
fn authenticate(state: &State, bearer: Option<&str>) -> Result<String, &'static str> {
    let token = bearer.ok_or("Missing session token: send `authorization: Bearer <token>`")?;
    let claims = state
        .verify_token(token)
        .ok_or("Invalid session token (malformed, or not signed by this emulator)")?;
    let expires = claims
        .get("exp")
        .and_then(Value::as_u64)
        .ok_or("Invalid session token (no exp claim)")?;
    if unix_now() >= expires {
        return Err("Session token expired");
    }
    let account = claims
        .get("linked_account_id")
        .and_then(Value::as_str)
        .ok_or("Invalid session token (no linked_account_id claim)")?;
    if !state.account_known(account) {
        return Err("The linked account of this session token no longer exists");
    }
    Ok(account.to_owned())
}

/// `GET /api/v3/org/basics`: the org, and the linked account as the
/// linked-account API returns it (members in Refold's order).
fn org_basics(state: &State, account: &str) -> Answer {
    let linked_account = state.accounts.get(account).unwrap_or_else(|_| {
        // An `--any-linked-account` id that was never stored.
        json!({ "account_id": account, "environment": "test" })
            .to_string()
            .into_bytes()
    });
    let org = json!({
        "_id": state.accounts.org(),
        "name": "Emulator Org",
        "org_id": state.org_id(),
        "environment": "test",
    });
    let mut body = format!(r#"{{"org":{org},"linked_account":"#).into_bytes();
    body.extend_from_slice(&linked_account);
    body.push(b'}');
    (StatusCode::OK, body)
}

/// `POST /api/v2/app/{slug}/save` with the form's values as a JSON object.
fn save(state: &State, account: &str, app: &DemoApp, body: &[u8]) -> Answer {
    let Auth::KeyBased(fields) = app.auth else {
        return message(
            StatusCode::BAD_REQUEST,
            &format!(
                "{} connects with OAuth 2 (GET /api/v1/{}/integrate), not with keys",
                app.name, app.slug
            ),
        );
    };
    let values = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(values)) => values,
        _ => {
            return message(
                StatusCode::BAD_REQUEST,
                "the request body must be a JSON object of the application's auth fields",
            );
        }
    };
    for field in fields {
        match values.get(field.name) {
            Some(Value::String(value)) if !value.trim().is_empty() => {}
            None | Some(Value::Null) if !field.required => {}
            Some(Value::String(_)) | None | Some(Value::Null) => {
                return message(
                    StatusCode::BAD_REQUEST,
                    &format!(
                        "{} ({}) is required to connect {}",
                        field.label, field.name, app.name
                    ),
                );
            }
            Some(_) => {
                return message(
                    StatusCode::BAD_REQUEST,
                    &format!("{} must be a string", field.name),
                );
            }
        }
    }
    // The values themselves are not kept: a connection is all a page sees.
    if !state.connections.set(account, app.slug, true) {
        return message(
            StatusCode::BAD_REQUEST,
            &format!("the emulator keeps connections for at most {MAX_ACCOUNTS} linked accounts"),
        );
    }
    ok(&json!({ "success": true }))
}

/// `GET /api/v1/{slug}/integrate`: the URL of the consent page, here the
/// emulator's own, which connects the app when opened.
fn integrate(state: &State, account: &str, app: &'static DemoApp, host: Option<&str>) -> Answer {
    if !matches!(app.auth, Auth::OAuth2) {
        return message(
            StatusCode::BAD_REQUEST,
            &format!(
                "{} connects with keys (POST /api/v2/app/{}/save), not OAuth 2",
                app.name, app.slug
            ),
        );
    }
    let grant = state.connections.grant(account, app.slug);
    let host = host.unwrap_or("127.0.0.1");
    ok(&json!({ "auth_url": format!("http://{host}{AUTHORIZE_PATH}?grant={grant}") }))
}

/// `GET /__emulator/oauth/authorize?grant=…`: the provider's consent page,
/// approved at once: connects the app and says so.
pub(crate) fn authorize(state: &State, query: Option<&str>) -> Response<ResponseBody> {
    let grant = query
        .unwrap_or("")
        .split('&')
        .find_map(|pair| pair.strip_prefix("grant="))
        .unwrap_or("");
    let html = |status: StatusCode, text: &str| {
        respond::with_body(
            status,
            Some(HeaderValue::from_static("text/html; charset=utf-8")),
            ResponseBody::full(format!(
                "<!doctype html><title>Emulator OAuth</title><p>{text}</p>"
            )),
        )
    };
    match state.connections.redeem(grant) {
        Some((account, slug)) if state.account_known(&account) => {
            state.connections.set(&account, slug, true);
            html(StatusCode::OK, "Connected. You can close this window.")
        }
        Some(_) => html(
            StatusCode::BAD_REQUEST,
            "That linked account no longer exists.",
        ),
        None => html(StatusCode::BAD_REQUEST, "Unknown or already used grant."),
    }
}

/// Which applications each linked account has connected, and the OAuth
/// grants waiting for their consent page.
#[derive(Default)]
pub(crate) struct Connections {
    inner: Mutex<ConnectionsInner>,
}

#[derive(Default)]
struct ConnectionsInner {
    by_account: HashMap<String, BTreeSet<&'static str>>,
    /// `(grant, account, slug)`, oldest first.
    grants: VecDeque<(String, String, &'static str)>,
    next_grant: u64,
}

impl Connections {
    /// The slugs `account` has connected.
    fn of(&self, account: &str) -> BTreeSet<&'static str> {
        self.lock()
            .by_account
            .get(account)
            .cloned()
            .unwrap_or_default()
    }

    /// Connects or disconnects; false if a new account would pass the cap.
    fn set(&self, account: &str, slug: &'static str, connected: bool) -> bool {
        let mut inner = self.lock();
        if connected {
            if !inner.by_account.contains_key(account) && inner.by_account.len() >= MAX_ACCOUNTS {
                return false;
            }
            inner
                .by_account
                .entry(account.to_owned())
                .or_default()
                .insert(slug);
        } else if let Some(slugs) = inner.by_account.get_mut(account) {
            slugs.remove(slug);
            if slugs.is_empty() {
                inner.by_account.remove(account);
            }
        }
        true
    }

    /// Forgets a deleted account's connections (and pending grants).
    pub(crate) fn forget(&self, account: &str) {
        let mut inner = self.lock();
        inner.by_account.remove(account);
        inner.grants.retain(|(_, a, _)| a != account);
    }

    fn grant(&self, account: &str, slug: &'static str) -> String {
        let mut inner = self.lock();
        inner.next_grant += 1;
        let grant = format!(
            "g{}{:x}",
            inner.next_grant,
            std::hash::BuildHasher::hash_one(&std::hash::RandomState::new(), inner.next_grant)
        );
        if inner.grants.len() >= MAX_PENDING_GRANTS {
            inner.grants.pop_front();
        }
        inner
            .grants
            .push_back((grant.clone(), account.to_owned(), slug));
        grant
    }

    fn redeem(&self, grant: &str) -> Option<(String, &'static str)> {
        let mut inner = self.lock();
        let index = inner.grants.iter().position(|(g, _, _)| g == grant)?;
        inner
            .grants
            .remove(index)
            .map(|(_, account, slug)| (account, slug))
    }

    fn lock(&self) -> MutexGuard<'_, ConnectionsInner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_to_routes() {
        let get = |p| route(&Method::GET, p);
        assert_eq!(get(APPS_PATH), Some(Ok(Route::Apps)));
        assert_eq!(get("/api/v2/f-sdk/application/x"), Some(Ok(Route::App)));
        assert_eq!(get("/api/v2/f-sdk/application/"), None);
        assert_eq!(get("/api/v2/f-sdk/application/x/y"), None);
        assert_eq!(get("/api/v2/f-sdk/applicationx"), None);
        assert_eq!(get(ORG_PATH), Some(Ok(Route::OrgBasics)));
        assert_eq!(get("/api/v1/x/integrate"), Some(Ok(Route::Integrate)));
        assert_eq!(get("/api/v2/app/x/save"), Some(Err("POST")));
        assert_eq!(
            route(&Method::POST, "/api/v2/app/x/save"),
            Some(Ok(Route::SaveApp))
        );
        assert_eq!(
            route(&Method::DELETE, "/api/v1/linked-acc/integration/x"),
            Some(Ok(Route::DisconnectApp))
        );
        assert_eq!(get("/api/v2/app//save"), None);
        assert_eq!(path_slug("/api/v2/app/a%20b/save").as_deref(), Some("a b"));
    }

    #[test]
    fn bearer_tokens() {
        let mut headers = HeaderMap::new();
        assert_eq!(bearer(&headers), None);
        headers.insert(AUTHORIZATION, HeaderValue::from_static("Bearer "));
        assert_eq!(bearer(&headers), None);
        headers.insert(AUTHORIZATION, HeaderValue::from_static("bearer a.b.c"));
        assert_eq!(bearer(&headers).as_deref(), Some("a.b.c"));
        headers.insert(AUTHORIZATION, HeaderValue::from_static("Basic a.b.c"));
        assert_eq!(bearer(&headers), None);
    }

    #[test]
    fn icons_are_svg_data_urls() {
        for icon in ICONS.iter() {
            let data = icon.strip_prefix("data:image/svg+xml;base64,").unwrap();
            let svg = String::from_utf8(STANDARD.decode(data).unwrap()).unwrap();
            assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        }
    }
}
