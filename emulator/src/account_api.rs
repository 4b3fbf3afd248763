//! The linked-account operations (`/api/v2/public/linked-account`): create,
//! upsert, list, read and delete, with Refold's documented answers.

use hyper::StatusCode;
use serde_json::json;

use crate::accounts::{
    BodyForm, InputError, Shape, StoreError, parse_input, parse_page_query, percent_decode,
};
use crate::respond::{Answer, INVALID_LINKED_ACCOUNT_ID, SERVER_ERROR};
use crate::routes::Call;
use crate::state::State;

/// `POST`: a new account; answers `_id`, `account_id`, `name`,
/// `environment` and `integrations: null`.
pub(crate) fn create(state: &State, call: &Call<'_>) -> Answer {
    let input = match parse_input(call.body, BodyForm::Flat) {
        Ok(input) => input,
        Err(error) => return input_error(error),
    };
    let id = input.id.clone();
    let keys = input.your_app_keys.clone();
    match state.accounts.create(input, state.next_token_id()) {
        Ok(body) => {
            if let Some(keys) = keys {
                state.default_apps.seed(&id, keys);
            }
            Answer::json(StatusCode::OK, body)
        }
        Err(error) => store_error(error, &id, state),
    }
}

/// `PUT`: updates the account (or creates it); answers the document with
/// `new_account`.
pub(crate) fn upsert(state: &State, call: &Call<'_>) -> Answer {
    let input = match parse_input(call.body, BodyForm::PayloadOrFlat) {
        Ok(input) => input,
        Err(error) => return input_error(error),
    };
    let id = input.id.clone();
    if let Some(session) = &call.caller.session
        && session.account != id
    {
        return Answer::invalid_token("This session token is for another linked account");
    }
    let keys = input.your_app_keys.clone();
    match state.accounts.upsert(input, state.next_token_id()) {
        Ok(body) => {
            if let Some(keys) = keys {
                state.default_apps.seed(&id, keys);
            }
            Answer::json(StatusCode::OK, body)
        }
        Err(error) => store_error(error, &id, state),
    }
}

/// `GET ?page&limit`: a page of accounts in creation order.
pub(crate) fn list(state: &State, call: &Call<'_>) -> Answer {
    match parse_page_query(call.query) {
        Ok((page, limit)) => {
            let integrations = |id: &str| state.app_connections.integrations(id);
            Answer::json(
                StatusCode::OK,
                state.accounts.page(page, limit, &integrations),
            )
        }
        Err(problem) => Answer::bad_request(&problem),
    }
}

/// `GET …/{linked_account_id}`: one account.
pub(crate) fn get(state: &State, call: &Call<'_>) -> Answer {
    let id = match path_account_id(call) {
        Ok(id) => id,
        Err(answer) => return answer,
    };
    // A session token reads its own account only; others look absent.
    if call
        .caller
        .session
        .as_ref()
        .is_some_and(|s| s.account != id)
    {
        return store_error(StoreError::NotFound, &id, state);
    }
    let integrations = |id: &str| state.app_connections.integrations(id);
    match state.accounts.get(&id, &Shape::Full(&integrations)) {
        Ok(body) => Answer::json(StatusCode::OK, body),
        Err(error) => store_error(error, &id, state),
    }
}

/// `DELETE …/{linked_account_id}`: the account, its connected apps and
/// the tokens issued for it go.
pub(crate) fn delete(state: &State, call: &Call<'_>) -> Answer {
    let id = match path_account_id(call) {
        Ok(id) => id,
        Err(answer) => return answer,
    };
    if let Err(error) = state.accounts.delete(&id) {
        return store_error(error, &id, state);
    }
    state.forget_account(&id);
    Answer::ok(&json!({ "message": "User deleted successfully" }))
}

fn input_error(error: InputError) -> Answer {
    match error {
        InputError::MissingId => Answer::error(
            StatusCode::BAD_REQUEST,
            INVALID_LINKED_ACCOUNT_ID,
            "linked_account_id required",
        ),
        InputError::Invalid(problem) => Answer::bad_request(&problem),
    }
}

fn store_error(error: StoreError, id: &str, state: &State) -> Answer {
    match error {
        StoreError::Exists => Answer::bad_request(&format!(
            "Linked account creation failed: account id {id} already exists in environment test"
        )),
        StoreError::NotFound => Answer::error(
            StatusCode::NOT_FOUND,
            SERVER_ERROR,
            &format!(
                "Linked Account with account id {id} for org {} in environment test not found",
                state.accounts.org()
            ),
        ),
        StoreError::Limit(problem) => Answer::bad_request(&problem),
    }
}

/// The decoded `{linked_account_id}` of the path.
fn path_account_id(call: &Call<'_>) -> Result<String, Answer> {
    call.param("linked_account_id")
        .and_then(|raw| percent_decode(raw, false))
        .ok_or_else(|| {
            Answer::bad_request(
                "the linked account id in the path is not valid percent-encoded UTF-8",
            )
        })
}
