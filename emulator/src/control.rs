//! The unauthenticated control plane under `/__emulator/` (loopback only).

use hyper::body::Incoming;
use hyper::{Response, StatusCode};
use serde_json::{Value, json};

use crate::body::ResponseBody;
use crate::config::MAX_TOKEN_TTL_SECS;
use crate::faults::parse_faults;
use crate::respond::{self, Reply};
use crate::router::read_body;
use crate::state::State;

pub(crate) const FAULTS_PATH: &str = "/__emulator/faults";
pub(crate) const RESET_PATH: &str = "/__emulator/reset";
pub(crate) const REQUESTS_PATH: &str = "/__emulator/requests";
pub(crate) const CONNECTIONS_PATH: &str = "/__emulator/connections";
pub(crate) const CONFIG_PATH: &str = "/__emulator/config";

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

/// `GET /__emulator/requests`: the public-API request count and log.
pub(crate) fn requests(state: &State) -> Response<ResponseBody> {
    respond::json(StatusCode::OK, &state.requests_json())
}

/// `GET /__emulator/connections`: client TCP connections open right now, the asking one
/// included, and how many were accepted since start.
pub(crate) fn connections(state: &State) -> Response<ResponseBody> {
    respond::json(
        StatusCode::OK,
        &json!({
            "open": state.open_connections(),
            "accepted": state.accepted_connections(),
        }),
    )
}

/// `GET /__emulator/config`: the run-time settings.
pub(crate) fn config(state: &State) -> Response<ResponseBody> {
    respond::json(StatusCode::OK, &config_json(state))
}

fn config_json(state: &State) -> Value {
    json!({ "token_ttl_s": state.token_ttl() })
}

/// `POST /__emulator/config`: changes run-time settings; every field is
/// optional, unknown ones are rejected, and nothing changes unless all are
/// valid. Answers the settings now in force.
pub(crate) async fn set_config(state: &State, body: Incoming) -> Reply {
    let body = match read_body(body).await {
        Ok(body) => body,
        Err(reply) => return reply,
    };
    let bad = |problem: &str| Ok(respond::message(StatusCode::BAD_REQUEST, problem));
    let settings = match serde_json::from_slice(&body) {
        Ok(Value::Object(settings)) => settings,
        Ok(_) => return bad("expected a JSON object such as {\"token_ttl_s\": 3600}"),
        Err(e) => return bad(&format!("body is not valid JSON: {e}")),
    };
    if let Some(unknown) = settings.keys().find(|k| k.as_str() != "token_ttl_s") {
        return bad(&format!("unknown setting `{unknown}` (known: token_ttl_s)"));
    }
    if let Some(ttl) = settings.get("token_ttl_s") {
        match ttl
            .as_u64()
            .filter(|s| (1..=MAX_TOKEN_TTL_SECS).contains(s))
        {
            Some(seconds) => state.set_token_ttl(seconds),
            None => {
                return bad(&format!(
                    "`token_ttl_s` must be an integer from 1 to {MAX_TOKEN_TTL_SECS} (10 years), \
                     got {ttl}"
                ));
            }
        }
    }
    Ok(respond::json(StatusCode::OK, &config_json(state)))
}
