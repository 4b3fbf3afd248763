//! Dispatches a request to its handler by path and method.

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::header::HeaderValue;
use hyper::{Method, Request, StatusCode};

use crate::body::Abort;
use crate::conn::Connection;
use crate::respond::{self, Reply};
use crate::state::State;
use crate::{api, control};

pub(crate) const SESSION_TOKEN_PATH: &str = "/api/v2/public/session-token";
pub(crate) const LINKED_ACCOUNT_PATH: &str = "/api/v2/public/linked-account";

/// Request bodies larger than this get a 413; real ones are tiny.
const MAX_REQUEST_BODY: usize = 1024 * 1024;

/// The hyper service: every request of every connection comes through here.
pub(crate) async fn handle(
    state: Arc<State>,
    conn: Arc<Connection>,
    request: Request<Incoming>,
) -> Reply {
    let (parts, body) = request.into_parts();
    let method = parts.method.clone();
    match parts.uri.path() {
        SESSION_TOKEN_PATH => match method {
            Method::POST => api::session_token(&state, &conn, parts, body).await,
            _ => Ok(api::with_request_id(
                &state,
                respond::method_not_allowed("POST"),
            )),
        },
        LINKED_ACCOUNT_PATH => match method {
            Method::POST | Method::PUT => api::linked_account(&state, parts, body).await,
            _ => Ok(api::with_request_id(
                &state,
                respond::method_not_allowed("POST, PUT"),
            )),
        },
        control::FAULTS_PATH => match method {
            Method::POST => control::set_faults(&state, body).await,
            _ => Ok(respond::method_not_allowed("POST")),
        },
        control::RESET_PATH => match method {
            Method::POST => Ok(control::reset(&state)),
            _ => Ok(respond::method_not_allowed("POST")),
        },
        control::REQUESTS_PATH => match method {
            Method::GET => Ok(control::requests(&state)),
            _ => Ok(respond::method_not_allowed("GET")),
        },
        control::CONFIG_PATH => match method {
            Method::GET => Ok(control::config(&state)),
            Method::POST => control::set_config(&state, body).await,
            _ => Ok(respond::method_not_allowed("GET, POST")),
        },
        control::CONNECTIONS_PATH => match method {
            Method::GET => Ok(control::connections(&state)),
            _ => Ok(respond::method_not_allowed("GET")),
        },
        path => Ok(api::with_request_id(&state, respond::not_found(path))),
    }
}

/// Reads a whole request body; the error is the reply to send instead.
pub(crate) async fn read_body(body: Incoming) -> Result<Bytes, Reply> {
    match Limited::new(body, MAX_REQUEST_BODY).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => Err(Ok(respond::message(
            StatusCode::PAYLOAD_TOO_LARGE,
            "request body too large",
        ))),
        // The client went away mid-body; there is nobody to answer.
        Err(_) => Err(Err(Abort)),
    }
}

/// `req_<n>` for the `x-request-id` header.
pub(crate) fn request_id_value(n: u64) -> HeaderValue {
    HeaderValue::try_from(format!("req_{n}")).expect("ascii header value")
}
