//! The control plane under `/__emulator/` (loopback only, no
//! authentication): faults, reset, the request log, connection counts and
//! the run-time settings.

use serde_json::{Value, json};

use crate::config::MAX_TOKEN_TTL_SECS;
use crate::faults::parse_faults;
use crate::rate_limit::RateLimit;
use crate::respond::Answer;
use crate::routes::Call;
use crate::state::State;

/// The settings `POST /__emulator/config` takes.
const SETTINGS: [&str; 3] = ["token_ttl_s", "rate_limit", "legacy_session_token"];

/// `POST /__emulator/faults`: replaces the fault queue.
pub(crate) fn set_faults(state: &State, call: &Call<'_>) -> Answer {
    match parse_faults(call.body) {
        Ok(faults) => Answer::ok(&json!({ "queued": state.set_faults(faults) })),
        Err(problem) => Answer::bad_request(&format!("invalid fault list: {problem}")),
    }
}

/// `POST /__emulator/reset`: clears faults, counters, the log and the
/// tokens kept for reuse, and restores the configured settings.
pub(crate) fn reset(state: &State, _call: &Call<'_>) -> Answer {
    state.reset();
    Answer::ok(&json!({ "ok": true }))
}

/// `GET /__emulator/requests`: the public-API request counts and log.
pub(crate) fn requests(state: &State, _call: &Call<'_>) -> Answer {
    Answer::ok(&state.requests_json())
}

/// `GET /__emulator/connections`: client TCP connections open right now,
/// the asking one included, and how many were accepted since start.
pub(crate) fn connections(state: &State, _call: &Call<'_>) -> Answer {
    Answer::ok(&json!({
        "open": state.open_connections(),
        "accepted": state.accepted_connections(),
    }))
}

/// `GET /__emulator/config`: the run-time settings.
pub(crate) fn config(state: &State, _call: &Call<'_>) -> Answer {
    Answer::ok(&config_json(state))
}

fn config_json(state: &State) -> Value {
    json!({
        "token_ttl_s": state.token_ttl(),
        "rate_limit": state.limiter.limit().map_or_else(|| "off".to_owned(), |l| l.to_string()),
        "legacy_session_token": state.legacy_session_token(),
    })
}

/// `POST /__emulator/config`: changes run-time settings; every field is
/// optional, unknown ones are rejected, and nothing changes unless all are
/// valid. Answers the settings now in force.
pub(crate) fn set_config(state: &State, call: &Call<'_>) -> Answer {
    let settings = match serde_json::from_slice(call.body) {
        Ok(Value::Object(settings)) => settings,
        Ok(_) => {
            return Answer::bad_request("expected a JSON object such as {\"token_ttl_s\": 3600}");
        }
        Err(e) => return Answer::bad_request(&format!("body is not valid JSON: {e}")),
    };
    if let Some(unknown) = settings.keys().find(|k| !SETTINGS.contains(&k.as_str())) {
        return Answer::bad_request(&format!(
            "unknown setting `{unknown}` (known: {})",
            SETTINGS.join(", ")
        ));
    }
    let ttl = match settings.get("token_ttl_s") {
        None => None,
        Some(ttl) => match ttl
            .as_u64()
            .filter(|s| (1..=MAX_TOKEN_TTL_SECS).contains(s))
        {
            Some(seconds) => Some(seconds),
            None => {
                return Answer::bad_request(&format!(
                    "`token_ttl_s` must be an integer from 1 to {MAX_TOKEN_TTL_SECS} (10 years), \
                     got {ttl}"
                ));
            }
        },
    };
    let rate_limit = match settings.get("rate_limit") {
        None => None,
        Some(Value::Null) => Some(None),
        Some(Value::String(text)) => match RateLimit::parse(text) {
            Ok(limit) => Some(limit),
            Err(problem) => return Answer::bad_request(&format!("`rate_limit`: {problem}")),
        },
        Some(other) => {
            return Answer::bad_request(&format!(
                "`rate_limit` must be a string such as \"20/s,5\" or \"off\", got {other}"
            ));
        }
    };
    let legacy = match settings.get("legacy_session_token") {
        None => None,
        Some(Value::Bool(legacy)) => Some(*legacy),
        Some(other) => {
            return Answer::bad_request(&format!(
                "`legacy_session_token` must be true or false, got {other}"
            ));
        }
    };
    if let Some(seconds) = ttl {
        state.set_token_ttl(seconds);
    }
    if let Some(limit) = rate_limit {
        state.limiter.set_limit(limit);
    }
    if let Some(legacy) = legacy {
        state.set_legacy_session_token(legacy);
    }
    Answer::ok(&config_json(state))
}
