//! The unauthenticated control plane under `/__emulator/` (loopback only).

use hyper::body::Incoming;
use hyper::{Response, StatusCode};
use serde_json::json;

use crate::body::ResponseBody;
use crate::faults::parse_faults;
use crate::respond::{self, Reply};
use crate::router::read_body;
use crate::state::State;

pub(crate) const FAULTS_PATH: &str = "/__emulator/faults";
pub(crate) const RESET_PATH: &str = "/__emulator/reset";
pub(crate) const REQUESTS_PATH: &str = "/__emulator/requests";
pub(crate) const CONNECTIONS_PATH: &str = "/__emulator/connections";

/// `POST /__emulator/faults`: replaces the fault queue.
pub(crate) async fn set_faults(state: &State, body: Incoming) -> Reply {
    let body = match read_body(body).await {
        Ok(body) => body,
        Err(reply) => return reply,
    };
    Ok(match parse_faults(&body) {
        Ok(faults) => {
            let queued = state.set_faults(faults);
            respond::json(StatusCode::OK, &json!({ "queued": queued }))
        }
        Err(problem) => respond::message(
            StatusCode::BAD_REQUEST,
            &format!("invalid fault list: {problem}"),
        ),
    })
}

/// `POST /__emulator/reset`: clears faults, counters and the log.
pub(crate) fn reset(state: &State) -> Response<ResponseBody> {
    state.reset();
    respond::json(StatusCode::OK, &json!({ "ok": true }))
}

/// `GET /__emulator/requests`: the session-token request count and log.
pub(crate) fn requests(state: &State) -> Response<ResponseBody> {
    respond::json(StatusCode::OK, &state.requests_json())
}

/// `GET /__emulator/connections`: client TCP connections open right now,
/// the asking one included.
pub(crate) fn connections(state: &State) -> Response<ResponseBody> {
    respond::json(StatusCode::OK, &json!({ "open": state.open_connections() }))
}
