//! Hosted Connect: `POST /api/v2/public/connect-url` stashes its body for
//! the session token that made it and answers the hosted page's URL;
//! `GET /api/v2/public/hosted-properties` reads the stash back (both with a
//! session token only).

use serde_json::{Value, json};

use crate::respond::Answer;
use crate::routes::Call;
use crate::state::{State, lock};

/// Session tokens with a stash; one more evicts an arbitrary other one.
const MAX_STASHES: usize = 10_000;

/// `POST /api/v2/public/connect-url`: `{"hosted_url": "http://HOST/connect/TOKEN"}`.
pub(crate) fn create_url(state: &State, call: &Call<'_>) -> Answer {
    let Some(session) = &call.caller.session else {
        return Answer::invalid_token("Authorization Token Missing");
    };
    let stash = call.json.clone().unwrap_or_else(|| json!({}));
    {
        let mut stashes = lock(&state.hosted_properties);
        if stashes.len() >= MAX_STASHES && !stashes.contains_key(&session.jti) {
            if let Some(evicted) = stashes.keys().next().copied() {
                stashes.remove(&evicted);
            }
        }
        stashes.insert(session.jti, stash);
    }
    // The URL carries the token itself, as Refold's does.
    let token = crate::public::bearer(call.headers).unwrap_or_default();
    let host = call.host.unwrap_or("127.0.0.1");
    Answer::ok(&json!({ "hosted_url": format!("http://{host}/connect/{token}") }))
}

/// `GET /api/v2/public/hosted-properties`: the stash, verbatim (`{}` when
/// nothing was stashed for this token).
pub(crate) fn hosted_properties(state: &State, call: &Call<'_>) -> Answer {
    let Some(session) = &call.caller.session else {
        return Answer::invalid_token("Authorization Token Missing");
    };
    let stash = lock(&state.hosted_properties)
        .get(&session.jti)
        .cloned()
        .unwrap_or_else(|| Value::Object(Default::default()));
    Answer::ok(&stash)
}
