//! What handlers return ([`Answer`]), Refold's error shape, and small
//! builders for the responses the emulator sends.

use bytes::Bytes;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{Response, StatusCode};
use serde::Serialize;
use serde_json::{Value, json};

use crate::body::{Abort, ResponseBody};

/// What the service produces: a response, or an instruction to drop the
/// connection without one.
pub(crate) type Reply = Result<Response<ResponseBody>, Abort>;

pub(crate) const APPLICATION_JSON: HeaderValue = HeaderValue::from_static("application/json");
pub(crate) const TEXT_PLAIN: HeaderValue = HeaderValue::from_static("text/plain");
pub(crate) const TEXT_HTML: HeaderValue = HeaderValue::from_static("text/html; charset=utf-8");

/// Refold's catch-all internal error code (documented for most 400s and 401s).
pub(crate) const SERVER_ERROR: &str = "SERVER_ERROR";
/// The code of every refused session token.
pub(crate) const INVALID_TOKEN: &str = "INVALID_TOKEN";
/// The code of a missing or unknown linked account.
pub(crate) const INVALID_LINKED_ACCOUNT_ID: &str = "INVALID_LINKED_ACCOUNT_ID";

/// A handler's answer before it becomes a response, so that faults can
/// reshape its body.
#[derive(Debug)]
pub(crate) struct Answer {
    pub status: StatusCode,
    pub content_type: HeaderValue,
    pub body: Bytes,
}

impl Answer {
    /// A 200 (or other status) with an already-serialised JSON body.
    pub(crate) fn json(status: StatusCode, body: impl Into<Bytes>) -> Self {
        Self {
            status,
            content_type: APPLICATION_JSON,
            body: body.into(),
        }
    }

    /// A status without a body.
    pub(crate) fn empty(status: StatusCode) -> Self {
        Self {
            status,
            content_type: APPLICATION_JSON,
            body: Bytes::new(),
        }
    }

    /// A 200 with `value` serialised as JSON.
    pub(crate) fn ok(value: &impl Serialize) -> Self {
        // Every value handlers answer with is made of strings, numbers and
        // maps with string keys, which always serialise.
        Self::json(
            StatusCode::OK,
            serde_json::to_vec(value).expect("an answer serialises"),
        )
    }

    /// An error in Refold's shape: `{status_code, http_error_type, error,
    /// message}`.
    pub(crate) fn error(status: StatusCode, code: &str, message: &str) -> Self {
        Self::json(status, error_body(status, code, message, None).to_string())
    }

    /// A 400 with the generic code, the answer to most invalid input.
    pub(crate) fn bad_request(message: &str) -> Self {
        Self::error(StatusCode::BAD_REQUEST, SERVER_ERROR, message)
    }

    /// The 401 of a wrong or missing API key, as documented.
    pub(crate) fn invalid_credentials() -> Self {
        Self::error(
            StatusCode::UNAUTHORIZED,
            SERVER_ERROR,
            "Invalid Credentials",
        )
    }

    /// The 401 of a refused session token.
    pub(crate) fn invalid_token(message: &str) -> Self {
        Self::error(StatusCode::UNAUTHORIZED, INVALID_TOKEN, message)
    }

    pub(crate) fn into_response(self) -> Response<ResponseBody> {
        // An empty answer (a 204) announces no content type.
        let content_type = (!self.body.is_empty()).then_some(self.content_type);
        with_body(self.status, content_type, ResponseBody::full(self.body))
    }
}

/// `{status_code, http_error_type, error, message}`; the older generation
/// (`legacy_request_id` given) names the code `error_code` and adds
/// `request_id`.
pub(crate) fn error_body(
    status: StatusCode,
    code: &str,
    message: &str,
    legacy_request_id: Option<&str>,
) -> Value {
    let mut body = json!({
        "status_code": status.as_u16(),
        "http_error_type": http_error_type(status),
        "message": message,
    });
    match legacy_request_id {
        None => body["error"] = code.into(),
        Some(request_id) => {
            body["error_code"] = code.into();
            body["request_id"] = request_id.into();
        }
    }
    body
}

/// `BAD_REQUEST` for 400: the status's reason phrase in upper snake case.
fn http_error_type(status: StatusCode) -> String {
    status
        .canonical_reason()
        .unwrap_or("Unknown")
        .chars()
        .map(|c| match c {
            ' ' | '-' => '_',
            c => c.to_ascii_uppercase(),
        })
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

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

/// A response whose body is already-serialised JSON.
pub(crate) fn json_bytes(status: StatusCode, body: impl Into<Bytes>) -> Response<ResponseBody> {
    with_body(status, Some(APPLICATION_JSON), ResponseBody::full(body))
}

/// An error response in Refold's shape.
pub(crate) fn error(status: StatusCode, code: &str, message: &str) -> Response<ResponseBody> {
    Answer::error(status, code, message).into_response()
}

/// `x-request-id: req_<n>`, as every public-API response carries.
pub(crate) fn request_id_value(n: u64) -> HeaderValue {
    HeaderValue::try_from(format!("req_{n}")).expect("ascii header value")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_types_are_upper_snake_reason_phrases() {
        assert_eq!(http_error_type(StatusCode::BAD_REQUEST), "BAD_REQUEST");
        assert_eq!(
            http_error_type(StatusCode::INTERNAL_SERVER_ERROR),
            "INTERNAL_SERVER_ERROR"
        );
        assert_eq!(
            http_error_type(StatusCode::TOO_MANY_REQUESTS),
            "TOO_MANY_REQUESTS"
        );
        assert_eq!(
            http_error_type(StatusCode::from_u16(599).unwrap()),
            "UNKNOWN"
        );
    }

    #[test]
    fn both_generations_of_the_error_shape() {
        assert_eq!(
            error_body(
                StatusCode::UNAUTHORIZED,
                "SERVER_ERROR",
                "Invalid Credentials",
                None
            ),
            json!({"status_code": 401, "http_error_type": "UNAUTHORIZED",
                   "error": "SERVER_ERROR", "message": "Invalid Credentials"})
        );
        assert_eq!(
            error_body(
                StatusCode::INTERNAL_SERVER_ERROR,
                "SERVER_ERROR",
                "m",
                Some("req_3")
            ),
            json!({"status_code": 500, "http_error_type": "INTERNAL_SERVER_ERROR",
                   "error_code": "SERVER_ERROR", "message": "m", "request_id": "req_3"})
        );
    }
}
