//! Small builders for the responses the emulator sends.

use bytes::Bytes;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{Response, StatusCode};
use serde_json::{Value, json};

use crate::body::{Abort, ResponseBody};

/// What a handler produces: a response, or an instruction to drop the
/// connection without one.
pub(crate) type Reply = Result<Response<ResponseBody>, Abort>;

pub(crate) const APPLICATION_JSON: HeaderValue = HeaderValue::from_static("application/json");
pub(crate) const TEXT_PLAIN: HeaderValue = HeaderValue::from_static("text/plain");

/// A response with a status, a content type and a body.
pub(crate) fn with_body(
    status: StatusCode,
    content_type: Option<HeaderValue>,
    body: ResponseBody,
) -> Response<ResponseBody> {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    if let Some(content_type) = content_type {
        response.headers_mut().insert(CONTENT_TYPE, content_type);
    }
    response
}

/// A JSON response.
pub(crate) fn json(status: StatusCode, value: &Value) -> Response<ResponseBody> {
    json_bytes(status, value.to_string())
}

/// A response whose body is already-serialised JSON.
pub(crate) fn json_bytes(status: StatusCode, body: impl Into<Bytes>) -> Response<ResponseBody> {
    with_body(status, Some(APPLICATION_JSON), ResponseBody::full(body))
}

/// The `{"message": ...}` error shape Refold uses.
pub(crate) fn message(status: StatusCode, message: &str) -> Response<ResponseBody> {
    json(status, &json!({ "message": message }))
}

/// `{"token": "<token>"}`, the success body.
pub(crate) fn token_body(token: &str) -> String {
    // JWTs are base64url and dots, so no JSON escaping is needed; anything
    // else goes through serde to stay valid.
    if token
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        format!("{{\"token\":\"{token}\"}}")
    } else {
        json!({ "token": token }).to_string()
    }
}

pub(crate) fn not_found(path: &str) -> Response<ResponseBody> {
    message(StatusCode::NOT_FOUND, &format!("no route for {path}"))
}

pub(crate) fn method_not_allowed(allow: &'static str) -> Response<ResponseBody> {
    let mut response = message(
        StatusCode::METHOD_NOT_ALLOWED,
        &format!("method not allowed; use {allow}"),
    );
    response
        .headers_mut()
        .insert(hyper::header::ALLOW, HeaderValue::from_static(allow));
    response
}
