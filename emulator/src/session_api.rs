//! The session-token operations: issuing one (`POST
//! /api/v2/public/session-token`), revoking the presented one, and the
//! linked account a token belongs to.

use hyper::StatusCode;
use serde::Serialize;
use serde_json::{Value, json};

use crate::accounts::{Shape, percent_decode};
use crate::respond::{Answer, INVALID_LINKED_ACCOUNT_ID, SERVER_ERROR};
use crate::routes::Call;
use crate::sessions::Issued;
use crate::state::State;
use crate::token::unix_now;

/// Linked account id in tokens minted by body faults when the request body
/// did not name one.
const FAULT_ACCOUNT: &str = "emulator-fault";

/// The documented answer: the token, its refresh token, and the seconds
/// each has left.
#[derive(Serialize)]
struct TokenAnswer<'a> {
    token: &'a str,
    refresh_token: &'a str,
    expires_in: u64,
    refresh_expires_in: u64,
}

/// `POST /api/v2/public/session-token`: the account's still-valid token
/// again, or a new one (`?force_refresh=true` always mints). With
/// `legacy_session_token`: `{"token"}`, new every time, an unknown account
/// a 500.
pub(crate) fn issue(state: &State, call: &Call<'_>) -> Answer {
    let legacy = state.legacy_session_token();
    let force = if legacy {
        false
    } else {
        match force_refresh(call.query) {
            Ok(force) => force,
            Err(problem) => return Answer::bad_request(&problem),
        }
    };
    let id = match linked_account_id(call.body) {
        Ok(id) => id,
        Err(problem) => return Answer::bad_request(&problem),
    };
    if !state.account_known(&id) {
        let status = if legacy {
            // The older guide documents a 500 for this.
            StatusCode::INTERNAL_SERVER_ERROR
        } else {
            StatusCode::BAD_REQUEST
        };
        return unknown_account(&id, status);
    }
    if legacy {
        return Answer::json(StatusCode::OK, token_only(&state.sign_session(&id).token));
    }
    let now = unix_now();
    let issued = state
        .sessions
        .issue(&id, now, force, || state.sign_pair(&id, now));
    Answer::ok(&token_answer(&issued, now))
}

/// What the body faults reshape on the session-token route: a new token for
/// the body's account, without any check, never kept for reuse.
pub(crate) fn issue_unchecked(state: &State, call: &Call<'_>) -> Answer {
    let id = linked_account_id(call.body).unwrap_or_else(|_| FAULT_ACCOUNT.to_owned());
    if state.legacy_session_token() {
        return Answer::json(StatusCode::OK, token_only(&state.sign_session(&id).token));
    }
    let now = unix_now();
    Answer::ok(&token_answer(&state.sign_pair(&id, now), now))
}

/// The documented error for an account that does not exist.
pub(crate) fn unknown_account(id: &str, status: StatusCode) -> Answer {
    let code = if status == StatusCode::BAD_REQUEST {
        INVALID_LINKED_ACCOUNT_ID
    } else {
        SERVER_ERROR
    };
    Answer::error(
        status,
        code,
        &format!("No linked account found for account id : {id} in environment test"),
    )
}

/// `POST /api/v2/public/session-token/revoke`: the presented token (and
/// its refresh token) can no longer be used, and is not answered again.
pub(crate) fn revoke(state: &State, call: &Call<'_>) -> Answer {
    let Some(session) = &call.caller.session else {
        return Answer::invalid_token("Invalid token");
    };
    match state.sessions.revoke(session, unix_now()) {
        Ok(revoked_count) => {
            Answer::ok(&json!({ "success": true, "revoked_count": revoked_count }))
        }
        Err(limit) => Answer::bad_request(&limit),
    }
}

/// `GET /api/v2/public/session/active-linked-account`: the token's account.
pub(crate) fn active_account(state: &State, call: &Call<'_>) -> Answer {
    let Some(account) = &call.caller.account else {
        return Answer::invalid_token("Invalid token");
    };
    Answer::json(StatusCode::OK, account_document(state, account))
}

/// The whole document of `account` with its integrations; for an
/// `--any-linked-account` id that was never stored, the little known of it.
pub(crate) fn account_document(state: &State, account: &str) -> Vec<u8> {
    let integrations = |id: &str| state.app_connections.integrations(id);
    state
        .accounts
        .get(account, &Shape::Full(&integrations))
        .unwrap_or_else(|_| {
            json!({
                "associated_org": state.accounts.org(),
                "account_id": account,
                "environment": "test",
                "udf": [],
                "integrations": integrations(account),
            })
            .to_string()
            .into_bytes()
        })
}

fn token_answer(issued: &Issued, now: u64) -> TokenAnswer<'_> {
    TokenAnswer {
        token: &issued.token,
        refresh_token: &issued.refresh_token,
        expires_in: issued.exp.saturating_sub(now),
        refresh_expires_in: issued.refresh_exp.saturating_sub(now),
    }
}

/// `{"token": "<token>"}`, the older answer.
fn token_only(token: &str) -> String {
    // JWTs are base64url and dots, so no JSON escaping is needed.
    format!("{{\"token\":\"{token}\"}}")
}

/// `force_refresh` of the query: `true` or `false` (the default), given at
/// most once; anything else is refused.
fn force_refresh(query: Option<&str>) -> Result<bool, String> {
    let mut found = None;
    for pair in query.unwrap_or("").split('&') {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        if percent_decode(name, true).as_deref() != Some("force_refresh") {
            continue;
        }
        if found.is_some() {
            return Err("force_refresh may be given once".to_owned());
        }
        found = Some(match percent_decode(value, true).as_deref() {
            Some("true") => true,
            Some("false") => false,
            _ => return Err("force_refresh must be true or false".to_owned()),
        });
    }
    Ok(found.unwrap_or(false))
}

/// The non-empty string `linked_account_id` of a JSON object body.
fn linked_account_id(body: &[u8]) -> Result<String, String> {
    match serde_json::from_slice(body) {
        Ok(Value::Object(mut object)) => match object.remove("linked_account_id") {
            Some(Value::String(id)) if !id.is_empty() => Ok(id),
            _ => Err("linked_account_id is required".to_owned()),
        },
        Ok(_) => Err("request body must be a JSON object".to_owned()),
        Err(e) => Err(format!("request body is not valid JSON: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn force_refresh_is_true_or_false_once() {
        assert_eq!(force_refresh(None), Ok(false));
        assert_eq!(force_refresh(Some("")), Ok(false));
        assert_eq!(force_refresh(Some("force_refresh=true")), Ok(true));
        assert_eq!(force_refresh(Some("a=1&force_refresh=false")), Ok(false));
        assert_eq!(force_refresh(Some("force%5Frefresh=tru%65")), Ok(true));
        for bad in [
            "force_refresh",
            "force_refresh=",
            "force_refresh=TRUE",
            "force_refresh=1",
            "force_refresh=yes",
            "force_refresh=true&force_refresh=true",
            "force_refresh=%zz",
        ] {
            assert!(force_refresh(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn token_only_escapes_nothing_a_jwt_holds() {
        assert_eq!(token_only("a.b-c_d"), r#"{"token":"a.b-c_d"}"#);
    }
}
