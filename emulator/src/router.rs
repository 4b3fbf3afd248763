//! Dispatches a request to its handler by path and method.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::header::{CONNECTION, HeaderValue, ORIGIN};
use hyper::{Method, Request, StatusCode};

use crate::api::Route;
use crate::body::Abort;
use crate::conn::Connection;
use crate::respond::{self, Reply};
use crate::state::State;
use crate::{api, control, frontend};

pub(crate) const SESSION_TOKEN_PATH: &str = "/api/v2/public/session-token";
pub(crate) const LINKED_ACCOUNT_PATH: &str = "/api/v2/public/linked-account";

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
    let method = parts.method.clone();
    let path = parts.uri.path();
    // The front-end routes answer browsers: CORS on every answer, and
    // preflights answered here, never counted, logged or faulted.
    let cors_origin = frontend::is_frontend_path(path).then(|| parts.headers.get(ORIGIN).cloned());
    if cors_origin.is_some() && method == Method::OPTIONS {
        return Ok(frontend::preflight(&parts.headers, path));
    }
    if let Some(allowed) = public_route(&method, path) {
        let reply = match allowed {
            Ok(route) => api::public(&state, &conn, route, parts, body).await,
            Err(allow) => Ok(api::with_request_id(
                &state,
                respond::method_not_allowed(allow),
            )),
        };
        return match cors_origin {
            Some(origin) => reply.map(|response| frontend::with_cors(response, origin.as_ref())),
            None => reply,
        };
    }
    match path {
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
        frontend::AUTHORIZE_PATH => match method {
            Method::GET => Ok(frontend::authorize(&state, parts.uri.query())),
            _ => Ok(respond::method_not_allowed("GET")),
        },
        control::CONNECTIONS_PATH => match method {
            Method::GET => Ok(control::connections(&state)),
            _ => Ok(respond::method_not_allowed("GET")),
        },
        path => Ok(api::with_request_id(&state, respond::not_found(path))),
    }
}

/// The public-API route of a request: `None` if the path is not a public
/// one, `Err(allow)` if the method is wrong for it.
fn public_route(method: &Method, path: &str) -> Option<Result<Route, &'static str>> {
    Some(if path == SESSION_TOKEN_PATH {
        match *method {
            Method::POST => Ok(Route::SessionToken),
            _ => Err("POST"),
        }
    } else if path == LINKED_ACCOUNT_PATH {
        match *method {
            Method::GET => Ok(Route::ListAccounts),
            Method::POST => Ok(Route::CreateAccount),
            Method::PUT => Ok(Route::UpsertAccount),
            _ => Err("GET, POST, PUT"),
        }
    } else if api::account_path_segment(path).is_some() {
        match *method {
            Method::GET => Ok(Route::GetAccount),
            Method::DELETE => Ok(Route::DeleteAccount),
            _ => Err("GET, DELETE"),
        }
    } else {
        return frontend::route(method, path);
    })
}

/// Reads a whole request body; the error is the reply to send instead.
pub(crate) async fn read_body(body: Incoming) -> Result<Bytes, Reply> {
    let collect = Limited::new(body, MAX_REQUEST_BODY).collect();
    let Ok(collected) = tokio::time::timeout(BODY_READ_TIMEOUT, collect).await else {
        let mut response = respond::message(
            StatusCode::REQUEST_TIMEOUT,
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
