//! The public API the SDKs talk to: session tokens and linked accounts
//! (API key), and the front-end routes (session token, see `frontend`).

use std::time::Duration;

use bytes::Bytes;
use hyper::body::Incoming;
use hyper::header::{CONTENT_LENGTH, HOST, HeaderMap, HeaderValue, LOCATION};
use hyper::http::request::Parts;
use hyper::{Response, StatusCode, Uri, Version};
use serde_json::{Value, json};

use crate::accounts::{StoreError, parse_input, parse_page_query, percent_decode};
use crate::body::{Abort, ResponseBody, Step};
use crate::conn::Connection;
use crate::faults::{Fault, FaultAction, FaultBody};
use crate::frontend;
use crate::respond::{self, APPLICATION_JSON, Reply, TEXT_PLAIN};
use crate::router::{LINKED_ACCOUNT_PATH, read_body, request_id_value};
use crate::state::{LoggedRequest, State};

/// How long a `truncate` body waits after its first half before the
/// connection drops, so the client really receives a partial body.
const TRUNCATE_PAUSE: Duration = Duration::from_millis(20);
/// Linked account id in tokens minted by body faults when the request body
/// did not name one.
const FAULT_ACCOUNT: &str = "emulator-fault";

/// A public-API route (path and method) that reaches a handler. Requests
/// answered 404 or 405 are not routes: they are not counted or logged and
/// take no fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Route {
    /// `POST /api/v2/public/session-token`
    SessionToken,
    /// `POST /api/v2/public/linked-account`
    CreateAccount,
    /// `PUT /api/v2/public/linked-account`
    UpsertAccount,
    /// `GET /api/v2/public/linked-account?page&limit`
    ListAccounts,
    /// `GET /api/v2/public/linked-account/{id}`
    GetAccount,
    /// `DELETE /api/v2/public/linked-account/{id}`
    DeleteAccount,
    /// `GET /api/v2/f-sdk/application` (front end, session token)
    Apps,
    /// `GET /api/v2/f-sdk/application/{slug}`
    App,
    /// `POST /api/v2/app/{slug}/save`
    SaveApp,
    /// `DELETE /api/v1/linked-acc/integration/{slug}`
    DisconnectApp,
    /// `GET /api/v3/org/basics`
    OrgBasics,
    /// `GET /api/v1/{slug}/integrate`
    Integrate,
}

impl Route {
    /// A route of the front-end API (session token, CORS).
    pub(crate) fn is_frontend(self) -> bool {
        matches!(
            self,
            Route::Apps
                | Route::App
                | Route::SaveApp
                | Route::DisconnectApp
                | Route::OrgBasics
                | Route::Integrate
        )
    }
}

/// Adds a fresh `x-request-id`, as every public API response carries one.
pub(crate) fn with_request_id(
    state: &State,
    mut response: Response<ResponseBody>,
) -> Response<ResponseBody> {
    response
        .headers_mut()
        .insert("x-request-id", request_id_value(state.next_request_id()));
    response
}

/// A JSON answer before it becomes a response, so faults can reshape it.
struct Answer {
    status: StatusCode,
    body: Bytes,
}

impl Answer {
    fn json(status: StatusCode, body: impl Into<Bytes>) -> Self {
        Self {
            status,
            body: body.into(),
        }
    }

    fn message(status: StatusCode, message: &str) -> Self {
        Self::json(status, json!({ "message": message }).to_string())
    }

    fn into_response(self) -> Response<ResponseBody> {
        respond::json_bytes(self.status, self.body)
    }
}

/// What a handler needs of a request once its headers went to the log.
struct Call<'a> {
    route: Route,
    uri: &'a Uri,
    key_ok: bool,
    body: &'a [u8],
    /// The session token of a front-end request.
    bearer: Option<String>,
    /// The `Host` header of a front-end request.
    host: Option<String>,
}

/// Every public-API request: counted and logged, given the next queued
/// fault (in arrival order, whatever the route), then answered.
pub(crate) async fn public(
    state: &State,
    conn: &Connection,
    route: Route,
    parts: Parts,
    body: Incoming,
) -> Reply {
    let request_id = request_id_value(state.next_request_id());
    let body = match read_body(body).await {
        Ok(body) => body,
        Err(reply) => return reply,
    };
    // Checked before the headers move into the log, to avoid copying them.
    let key_ok = state.api_key_ok(&parts.headers);
    let http1 = parts.version < Version::HTTP_2;
    let Parts {
        method,
        uri,
        mut headers,
        ..
    } = parts;
    let (mut bearer, mut host, mut logged_body) = (None, None, body.clone());
    if route.is_frontend() {
        bearer = frontend::bearer(&headers);
        host = headers
            .get(HOST)
            .and_then(|h| h.to_str().ok())
            .map(str::to_owned);
        if let Some(redacted) = frontend::redact_for_log(route, &mut headers, &body) {
            logged_body = redacted.into();
        }
    }
    let fault = state.record(LoggedRequest {
        method,
        path: uri.path().to_owned(),
        query: uri.query().map(str::to_owned),
        headers,
        body: logged_body,
    });
    let call = Call {
        route,
        uri: &uri,
        key_ok,
        body: &body,
        bearer,
        host,
    };
    let (mut response, extra_headers) = match fault {
        None => (answer(state, &call).into_response(), HeaderMap::new()),
        Some(Fault { action, headers }) => (
            apply_fault(state, conn, http1, &call, action).await?,
            headers,
        ),
    };
    response.headers_mut().insert("x-request-id", request_id);
    // Fault headers replace same-named ones, so a fault can override even
    // content-type or x-request-id.
    for name in extra_headers.keys() {
        response.headers_mut().remove(name);
    }
    for (name, value) in &extra_headers {
        response.headers_mut().append(name, value.clone());
    }
    Ok(response)
}

/// The normal answer of a route.
fn answer(state: &State, call: &Call<'_>) -> Answer {
    if call.route == Route::SessionToken {
        return mint(state, call.key_ok, call.body);
    }
    if call.route.is_frontend() {
        let (status, body) = frontend::answer(
            state,
            &frontend::Request {
                route: call.route,
                path: call.uri.path(),
                bearer: call.bearer.as_deref(),
                host: call.host.as_deref(),
                body: call.body,
            },
        );
        return Answer::json(status, body);
    }
    if !call.key_ok {
        return Answer::message(StatusCode::UNAUTHORIZED, "Invalid API key");
    }
    let stored = match call.route {
        Route::SessionToken
        | Route::Apps
        | Route::App
        | Route::SaveApp
        | Route::DisconnectApp
        | Route::OrgBasics
        | Route::Integrate => unreachable!("answered above"),
        Route::CreateAccount => parse_input(call.body)
            .map_err(bad_request)
            .and_then(|input| state.accounts.create(input).map_err(store_error)),
        Route::UpsertAccount => parse_input(call.body)
            .map_err(bad_request)
            .and_then(|input| state.accounts.upsert(input).map_err(store_error)),
        Route::ListAccounts => parse_page_query(call.uri.query())
            .map(|(page, limit)| state.accounts.page(page, limit))
            .map_err(bad_request),
        Route::GetAccount => {
            path_account_id(call.uri).and_then(|id| state.accounts.get(&id).map_err(store_error))
        }
        Route::DeleteAccount => path_account_id(call.uri).and_then(|id| {
            state.accounts.delete(&id).map_err(store_error)?;
            state.connections.forget(&id);
            Ok(json!({ "message": "linked account deleted" })
                .to_string()
                .into_bytes())
        }),
    };
    match stored {
        Ok(body) => Answer::json(StatusCode::OK, body),
        Err(answer) => answer,
    }
}

fn bad_request(problem: String) -> Answer {
    Answer::message(StatusCode::BAD_REQUEST, &problem)
}

fn store_error(error: StoreError) -> Answer {
    match error {
        StoreError::Exists => {
            Answer::message(StatusCode::BAD_REQUEST, "linked account already exists")
        }
        StoreError::NotFound => Answer::message(StatusCode::NOT_FOUND, "linked account not found"),
        StoreError::Limit(problem) => Answer::message(StatusCode::BAD_REQUEST, &problem),
    }
}

/// The decoded `{linked_account_id}` of `…/linked-account/{linked_account_id}`.
fn path_account_id(uri: &Uri) -> Result<String, Answer> {
    let segment = account_path_segment(uri.path()).unwrap_or_default();
    percent_decode(segment, false).ok_or_else(|| {
        Answer::message(
            StatusCode::BAD_REQUEST,
            "the linked account id in the path is not valid percent-encoded UTF-8",
        )
    })
}

/// The raw `{linked_account_id}` segment of an account path, if it is one.
pub(crate) fn account_path_segment(path: &str) -> Option<&str> {
    path.strip_prefix(LINKED_ACCOUNT_PATH)?
        .strip_prefix('/')
        .filter(|segment| !segment.is_empty() && !segment.contains('/'))
}

/// The normal path: API key, body, account, token.
fn mint(state: &State, key_ok: bool, body: &[u8]) -> Answer {
    if !key_ok {
        return Answer::message(StatusCode::UNAUTHORIZED, "Invalid API key");
    }
    let id = match linked_account_id(body) {
        Ok(id) => id,
        Err(problem) => return Answer::message(StatusCode::BAD_REQUEST, &problem),
    };
    if !state.account_known(&id) {
        // Refold answers an unknown account with a 500, and so must we.
        return Answer::message(
            StatusCode::INTERNAL_SERVER_ERROR,
            "linked account not found",
        );
    }
    Answer::json(StatusCode::OK, token_body(state, &id))
}

/// The answer a body-level fault (`stall_body`, `truncate`, `oversized`)
/// reshapes. Session-token faults skip the checks and use a token minted
/// for the body's account (as they always did); on the linked-account
/// routes the request is handled normally and its real answer reshaped.
fn answer_to_reshape(state: &State, call: &Call<'_>) -> Answer {
    match call.route {
        Route::SessionToken => {
            let id = linked_account_id(call.body).unwrap_or_else(|_| FAULT_ACCOUNT.to_owned());
            Answer::json(StatusCode::OK, token_body(state, &id))
        }
        _ => answer(state, call),
    }
}

async fn apply_fault(
    state: &State,
    conn: &Connection,
    http1: bool,
    call: &Call<'_>,
    action: FaultAction,
) -> Reply {
    Ok(match action {
        FaultAction::Status { status, body } => match body {
            None => respond::with_body(status, None, ResponseBody::empty()),
            Some(FaultBody::Json(json)) => respond::json_bytes(status, json),
            Some(FaultBody::Text(text)) => {
                respond::with_body(status, Some(TEXT_PLAIN), ResponseBody::full(text))
            }
        },
        FaultAction::Delay(wait) => {
            tokio::time::sleep(wait).await;
            answer(state, call).into_response()
        }
        FaultAction::StallBody(wait) => {
            let Answer { status, body } = answer_to_reshape(state, call);
            let half = body.len() / 2;
            scripted(
                status,
                &body,
                vec![
                    Step::Data(body.slice(..half)),
                    Step::Pause(wait),
                    Step::Data(body.slice(half..)),
                ],
            )
        }
        FaultAction::Close => return Err(Abort),
        FaultAction::Truncate => {
            let Answer { status, body } = answer_to_reshape(state, call);
            let half = body.len() / 2;
            scripted(
                status,
                &body,
                vec![
                    Step::Data(body.slice(..half)),
                    Step::Pause(TRUNCATE_PAUSE),
                    Step::Fail,
                ],
            )
        }
        FaultAction::Raw {
            status,
            content_type,
            body,
        } => respond::with_body(status, Some(content_type), ResponseBody::full(body)),
        FaultAction::Oversized { bytes } => {
            let Answer { status, body } = answer_to_reshape(state, call);
            padded(status, &body, bytes)
        }
        FaultAction::Redirect { status, location } => {
            let mut response = respond::with_body(status, None, ResponseBody::empty());
            response.headers_mut().insert(LOCATION, location);
            response
        }
        FaultAction::Wire { bytes, pause } => {
            // Raw bytes in an HTTP/2 connection would only corrupt it: there
            // the stream is reset as by `close`.
            if http1 {
                conn.send_raw_and_close(&bytes, pause).await;
            }
            return Err(Abort);
        }
    })
}

/// A JSON response announcing the full body but playing `steps`.
fn scripted(status: StatusCode, full: &Bytes, steps: Vec<Step>) -> Response<ResponseBody> {
    let announced = full.len() as u64;
    let steps = steps
        .into_iter()
        .filter(|step| !matches!(step, Step::Data(data) if data.is_empty()));
    let mut response = respond::with_body(
        status,
        Some(APPLICATION_JSON),
        ResponseBody::script(announced, steps),
    );
    response
        .headers_mut()
        .insert(CONTENT_LENGTH, HeaderValue::from(announced));
    response
}

fn token_body(state: &State, linked_account_id: &str) -> String {
    respond::token_body(&state.sign_token(linked_account_id))
}

/// The JSON object `body` with a `"padding": "xxx…"` member that brings it
/// to about `target` bytes (never less than the body plus an empty
/// padding). The padding is generated as it is sent, not held in memory.
fn padded(status: StatusCode, body: &Bytes, target: usize) -> Response<ResponseBody> {
    // Every answer is a compact JSON object; anything else goes as is.
    let Some(inner) = body.strip_suffix(b"}") else {
        return respond::json_bytes(status, body.clone());
    };
    let mut head = inner.to_vec();
    if !inner.ends_with(b"{") {
        head.push(b',');
    }
    head.extend_from_slice(b"\"padding\":\"");
    let tail = Bytes::from_static(b"\"}");
    let padding = target.saturating_sub(head.len() + tail.len()) as u64;
    let total = head.len() as u64 + padding + tail.len() as u64;
    let mut response = respond::with_body(
        status,
        Some(APPLICATION_JSON),
        ResponseBody::padded(head.into(), padding, tail),
    );
    response
        .headers_mut()
        .insert(CONTENT_LENGTH, HeaderValue::from(total));
    response
}

/// The non-empty string `linked_account_id` of a JSON object body.
fn linked_account_id(body: &[u8]) -> Result<String, String> {
    let mut object = json_object(body)?;
    match object.remove("linked_account_id") {
        Some(Value::String(id)) if !id.is_empty() => Ok(id),
        _ => Err("linked_account_id is required and must be a non-empty string".to_owned()),
    }
}

fn json_object(body: &[u8]) -> Result<serde_json::Map<String, Value>, String> {
    match serde_json::from_slice(body) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(_) => Err("request body must be a JSON object".to_owned()),
        Err(e) => Err(format!("request body is not valid JSON: {e}")),
    }
}
