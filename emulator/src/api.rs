//! The public API the SDKs talk to: session tokens and linked accounts.

use std::time::Duration;

use bytes::Bytes;
use hyper::body::Incoming;
use hyper::header::{CONTENT_LENGTH, HeaderMap, HeaderValue, LOCATION};
use hyper::http::request::Parts;
use hyper::{Response, StatusCode, Version};
use serde_json::{Value, json};

use crate::body::{Abort, ResponseBody, Step};
use crate::conn::Connection;
use crate::faults::{Fault, FaultAction, FaultBody};
use crate::respond::{self, APPLICATION_JSON, Reply, TEXT_PLAIN};
use crate::router::{read_body, request_id_value};
use crate::state::{LoggedRequest, State};

/// How long a `truncate` body waits after its first half before the
/// connection drops, so the client really receives a partial body.
const TRUNCATE_PAUSE: Duration = Duration::from_millis(20);
/// Linked account id in tokens minted by body faults when the request body
/// did not name one.
const FAULT_ACCOUNT: &str = "emulator-fault";

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

/// `POST /api/v2/public/session-token`.
pub(crate) async fn session_token(
    state: &State,
    conn: &Connection,
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
    let fault = state.record(LoggedRequest {
        method: parts.method,
        path: parts.uri.path().to_owned(),
        headers: parts.headers,
        body: body.clone(),
    });
    let (mut response, extra_headers) = match fault {
        None => (mint(state, key_ok, &body), HeaderMap::new()),
        Some(Fault { action, headers }) => (
            apply_fault(state, conn, http1, action, key_ok, &body).await?,
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

/// The normal path: API key, body, account, token.
fn mint(state: &State, key_ok: bool, body: &[u8]) -> Response<ResponseBody> {
    if !key_ok {
        return respond::message(StatusCode::UNAUTHORIZED, "Invalid API key");
    }
    let id = match linked_account_id(body) {
        Ok(id) => id,
        Err(problem) => return respond::message(StatusCode::BAD_REQUEST, &problem),
    };
    if !state.account_known(&id) {
        // Refold answers an unknown account with a 500, and so must we.
        return respond::message(
            StatusCode::INTERNAL_SERVER_ERROR,
            "linked account not found",
        );
    }
    respond::json_bytes(StatusCode::OK, token_body(state, &id))
}

async fn apply_fault(
    state: &State,
    conn: &Connection,
    http1: bool,
    action: FaultAction,
    key_ok: bool,
    body: &[u8],
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
            mint(state, key_ok, body)
        }
        FaultAction::StallBody(wait) => {
            let (token, half) = fault_token_body(state, body);
            let rest = token.slice(half..);
            scripted(
                &token,
                [
                    Step::Data(token.slice(..half)),
                    Step::Pause(wait),
                    Step::Data(rest),
                ],
            )
        }
        FaultAction::Close => return Err(Abort),
        FaultAction::Truncate => {
            let (token, half) = fault_token_body(state, body);
            scripted(
                &token,
                [
                    Step::Data(token.slice(..half)),
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
            respond::json_bytes(StatusCode::OK, oversized_body(state, body, bytes))
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

/// A 200 JSON response announcing the full `token` body but playing `steps`.
fn scripted<const N: usize>(full: &Bytes, steps: [Step; N]) -> Response<ResponseBody> {
    let announced = full.len() as u64;
    let mut response = respond::with_body(
        StatusCode::OK,
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

/// A normal token body for a body-level fault, and its midpoint. Such faults
/// skip the checks, so the account comes from the body when it can.
fn fault_token_body(state: &State, body: &[u8]) -> (Bytes, usize) {
    let id = linked_account_id(body).unwrap_or_else(|_| FAULT_ACCOUNT.to_owned());
    let token = Bytes::from(token_body(state, &id));
    let half = token.len() / 2;
    (token, half)
}

/// `{"token":"<jwt>","padding":"xxx…"}` of about `bytes` bytes, still valid JSON.
fn oversized_body(state: &State, body: &[u8], bytes: usize) -> Bytes {
    let id = linked_account_id(body).unwrap_or_else(|_| FAULT_ACCOUNT.to_owned());
    let token = state.sign_token(&id);
    let head = format!("{{\"token\":\"{token}\",\"padding\":\"");
    let tail = "\"}";
    let padding = bytes.saturating_sub(head.len() + tail.len());
    let mut out = Vec::with_capacity(head.len() + padding + tail.len());
    out.extend_from_slice(head.as_bytes());
    out.resize(head.len() + padding, b'x');
    out.extend_from_slice(tail.as_bytes());
    out.into()
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

/// `POST`/`PUT /api/v2/public/linked-account`: creates or renames an account.
pub(crate) async fn linked_account(state: &State, parts: Parts, body: Incoming) -> Reply {
    let request_id = request_id_value(state.next_request_id());
    let body = match read_body(body).await {
        Ok(body) => body,
        Err(reply) => return reply,
    };
    let mut response = if state.api_key_ok(&parts.headers) {
        upsert_account(state, &body)
    } else {
        respond::message(StatusCode::UNAUTHORIZED, "Invalid API key")
    };
    response.headers_mut().insert("x-request-id", request_id);
    Ok(response)
}

fn upsert_account(state: &State, body: &[u8]) -> Response<ResponseBody> {
    let bad_request = |problem: &str| respond::message(StatusCode::BAD_REQUEST, problem);
    let mut object = match json_object(body) {
        Ok(object) => object,
        Err(problem) => return bad_request(&problem),
    };
    let id = match object.remove("linked_account_id") {
        Some(Value::String(id)) if !id.is_empty() => id,
        _ => return bad_request("linked_account_id is required and must be a non-empty string"),
    };
    // Absent keeps the current name; null clears it.
    let name = match object.remove("name") {
        None => None,
        Some(Value::Null) => Some(None),
        Some(Value::String(name)) => Some(Some(name)),
        Some(_) => return bad_request("name must be a string"),
    };
    let name = state.upsert_account(id.clone(), name);
    respond::json(
        StatusCode::OK,
        &json!({ "linked_account_id": id, "name": name }),
    )
}
