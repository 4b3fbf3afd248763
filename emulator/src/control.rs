//! The control plane under `/__emulator/` (loopback only, no
//! authentication): faults, reset, the request log, connection counts and
//! the run-time settings.

use serde_json::{Value, json};

use crate::apps;
use crate::config::{
    MAX_EXECUTION_TIME, MAX_SCHEDULE_MINUTE, MAX_TOKEN_TTL_SECS, MAX_WEBHOOK_BACKOFF,
    MIN_SCHEDULE_MINUTE, MIN_WEBHOOK_BACKOFF,
};
use crate::faults::{parse_delivery_faults, parse_faults};
use crate::rate_limit::RateLimit;
use crate::respond::Answer;
use crate::routes::Call;
use crate::state::State;

/// The settings `POST /__emulator/config` takes.
const SETTINGS: [&str; 6] = [
    "token_ttl_s",
    "rate_limit",
    "legacy_session_token",
    "webhook_backoff_ms",
    "schedule_minute_ms",
    "execution_ms",
];

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
        "webhook_backoff_ms": state.deliveries.backoff_ms(),
        "schedule_minute_ms": state.scheduler.minute_ms(),
        "execution_ms": state.execution_time().as_millis() as u64,
    })
}

/// A millisecond setting within `min..=max`; the error is the 400.
fn millis_setting(
    settings: &serde_json::Map<String, Value>,
    name: &str,
    min: std::time::Duration,
    max: std::time::Duration,
) -> Result<Option<u64>, Answer> {
    let (min, max) = (min.as_millis() as u64, max.as_millis() as u64);
    match settings.get(name) {
        None => Ok(None),
        Some(value) => value
            .as_u64()
            .filter(|ms| (min..=max).contains(ms))
            .map(Some)
            .ok_or_else(|| {
                Answer::bad_request(&format!(
                    "`{name}` must be an integer from {min} to {max}, got {value}"
                ))
            }),
    }
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
    let backoff = match millis_setting(
        &settings,
        "webhook_backoff_ms",
        MIN_WEBHOOK_BACKOFF,
        MAX_WEBHOOK_BACKOFF,
    ) {
        Ok(ms) => ms,
        Err(refused) => return refused,
    };
    let minute = match millis_setting(
        &settings,
        "schedule_minute_ms",
        MIN_SCHEDULE_MINUTE,
        MAX_SCHEDULE_MINUTE,
    ) {
        Ok(ms) => ms,
        Err(refused) => return refused,
    };
    let execution = match millis_setting(
        &settings,
        "execution_ms",
        std::time::Duration::ZERO,
        MAX_EXECUTION_TIME,
    ) {
        Ok(ms) => ms,
        Err(refused) => return refused,
    };
    if let Some(ms) = backoff {
        state.deliveries.set_backoff_ms(ms);
    }
    if let Some(ms) = minute {
        state.scheduler.set_minute_ms(ms);
    }
    if let Some(ms) = execution {
        state.set_execution_ms(ms);
    }
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

/// `POST /__emulator/webhook-faults` with `[{"kind": "drop" | "duplicate"}…]`:
/// replaces the delivery-fault queue (one fault per later delivery).
pub(crate) fn set_webhook_faults(state: &State, call: &Call<'_>) -> Answer {
    match parse_delivery_faults(call.body) {
        Ok(faults) => Answer::ok(&json!({ "queued": state.deliveries.set_faults(faults) })),
        Err(problem) => Answer::bad_request(&format!("invalid delivery fault list: {problem}")),
    }
}

/// `GET /__emulator/webhooks`: the delivery log (attempts and statuses).
pub(crate) fn webhook_deliveries(state: &State, _call: &Call<'_>) -> Answer {
    Answer::ok(&state.deliveries.json())
}

/// `POST /__emulator/expire-connection` `{"linked_account_id", "slug"}`:
/// the connection needs re-authentication; `Connection Expired` is sent.
pub(crate) fn expire_connection(state: &State, call: &Call<'_>) -> Answer {
    let body: Value = serde_json::from_slice(call.body).unwrap_or(Value::Null);
    let (Some(account), Some(slug)) = (body["linked_account_id"].as_str(), body["slug"].as_str())
    else {
        return Answer::bad_request(
            "expected {\"linked_account_id\": \"…\", \"slug\": \"…\"} (strings)",
        );
    };
    let Some((_, app)) = apps::find(slug) else {
        return Answer::bad_request(&format!("no demo application `{slug}`"));
    };
    if !state.expire_app(account, app.slug) {
        return Answer::bad_request(&format!("{account} has no connection to {slug}"));
    }
    Answer::ok(&json!({ "expired": true }))
}

/// `POST /__emulator/workflow-errors` `{"workflow_id", "message"}`: the
/// workflow's executions error with `message` (`null`: they complete
/// again).
pub(crate) fn workflow_errors(state: &State, call: &Call<'_>) -> Answer {
    let body: Value = serde_json::from_slice(call.body).unwrap_or(Value::Null);
    let Some(workflow) = body["workflow_id"].as_str() else {
        return Answer::bad_request("expected {\"workflow_id\": \"…\", \"message\": \"…\" | null}");
    };
    let message = match &body["message"] {
        Value::Null => None,
        Value::String(message) if message.len() <= 1024 => Some(message.clone()),
        _ => return Answer::bad_request("`message` must be a string (at most 1024 bytes) or null"),
    };
    if !state.set_workflow_error(workflow, message) {
        return Answer::bad_request("too many failing workflows (at most 1000)");
    }
    Answer::ok(&json!({ "ok": true }))
}
