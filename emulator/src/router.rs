//! The hyper service: every request of every connection finds its row in
//! the route table here, and unknown paths, undeclared methods and CORS
//! preflights are answered from the table too.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::header::{ALLOW, CONNECTION, HeaderValue, ORIGIN};
use hyper::{Method, Request, Response, StatusCode};

use crate::body::{Abort, ResponseBody};
use crate::conn::Connection;
use crate::respond::{self, Reply, SERVER_ERROR};
use crate::routes::{self, Call, Caller, Lookup};
use crate::state::State;
use crate::{frontend, public};

/// Request bodies larger than this get a 413; real ones are tiny.
const MAX_REQUEST_BODY: usize = 1024 * 1024;
/// A request body not complete this long after its head gets a 408, so a
/// client trickling bytes cannot hold a request open for ever.
const BODY_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// The hyper service: every request of every connection comes through here.
pub(crate) async fn handle(
    state: Arc<State>,
    conn: Arc<Connection>,
    request: Request<Incoming>,
) -> Reply {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path();
    // Routes that take session tokens answer browsers: preflights are
    // answered here, never counted, logged or faulted.
    if parts.method == Method::OPTIONS && routes::cors_path(path) {
        return Ok(frontend::preflight(&parts.headers, path));
    }
    let route = match routes::find(&parts.method, path) {
        Lookup::Found(route) => route,
        // Neither counted, logged, faulted nor rate limited.
        Lookup::WrongMethod(verbs) => {
            let allow = routes::allow_header(&verbs);
            let mut response = respond::error(
                StatusCode::METHOD_NOT_ALLOWED,
                "METHOD_NOT_ALLOWED",
                &format!("{} is not allowed on {path}; use {allow}", parts.method),
            );
            response.headers_mut().insert(
                ALLOW,
                HeaderValue::try_from(allow).expect("method names are valid header values"),
            );
            return Ok(unrouted(&state, &parts.headers, path, response));
        }
        Lookup::NotFound => {
            let response = respond::error(
                StatusCode::NOT_FOUND,
                "ROUTE_NOT_FOUND",
                &format!("no route for {path}"),
            );
            return Ok(unrouted(&state, &parts.headers, path, response));
        }
        Lookup::Retired => {
            let response = respond::error(
                StatusCode::NOT_FOUND,
                "ROUTE_NOT_FOUND",
                &format!(
                    "no route for {} {path}: Refold's API no longer has it (an older route the \
                     official Node SDK still calls)",
                    parts.method
                ),
            );
            return Ok(unrouted(&state, &parts.headers, path, response));
        }
    };
    let body = match read_body(body).await {
        Ok(body) => body,
        Err(reply) => {
            return reply.map(|response| unrouted(&state, &parts.headers, path, response));
        }
    };
    if route.is_public() {
        return public::serve(&state, &conn, route, parts, body).await;
    }
    let call = Call {
        route,
        path: parts.uri.path(),
        query: parts.uri.query(),
        headers: &parts.headers,
        body: &body,
        json: None,
        form: None,
        host: None,
        caller: Caller::default(),
    };
    Ok((route.handler)(&state, &call).into_response())
}

/// An answer no handler gave (404, 405, 408, 413): an `x-request-id`, and
/// CORS where browsers call.
fn unrouted(
    state: &State,
    headers: &hyper::HeaderMap,
    path: &str,
    mut response: Response<ResponseBody>,
) -> Response<ResponseBody> {
    response.headers_mut().insert(
        "x-request-id",
        respond::request_id_value(state.next_request_id()),
    );
    if routes::cors_path(path) {
        return frontend::with_cors(response, headers.get(ORIGIN));
    }
    response
}

/// Reads a whole request body; the error is the reply to send instead.
async fn read_body(body: Incoming) -> Result<Bytes, Reply> {
    let collect = Limited::new(body, MAX_REQUEST_BODY).collect();
    let Ok(collected) = tokio::time::timeout(BODY_READ_TIMEOUT, collect).await else {
        let mut response = respond::error(
            StatusCode::REQUEST_TIMEOUT,
            SERVER_ERROR,
            "request body not received in time",
        );
        // The rest of the body may still come: do not read it as a request.
        response
            .headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
        return Err(Ok(response));
    };
    match collected {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => Err(Ok(respond::error(
            StatusCode::PAYLOAD_TOO_LARGE,
            SERVER_ERROR,
            "request body too large",
        ))),
        // The client went away mid-body; there is nobody to answer.
        Err(_) => Err(Err(Abort)),
    }
}
