//! The path every public-API request takes, whatever its route: the rate
//! limit, the count and the log, then the queued fault or authentication
//! and the route's handler, then the headers every answer carries.

use bytes::Bytes;
use hyper::header::{AUTHORIZATION, HOST, HeaderMap, HeaderValue, ORIGIN, RETRY_AFTER};
use hyper::http::request::Parts;
use hyper::{StatusCode, Version};
use serde_json::Value;

use crate::accounts::percent_decode;
use crate::conn::Connection;
use crate::faults::Fault;
use crate::frontend::with_cors;
use crate::operations::{ErrorMember, TOKEN_MISSING};
use crate::rate_limit::{Decision, retry_after_seconds};
use crate::respond::{self, Answer, Reply};
use crate::routes::{Access, AccountNeed, Auth, Call, Caller, Route};
use crate::state::{LoggedRequest, State};
use crate::validation::{self, Checked};
use crate::{inject, session_api, sessions};

/// The credentials a request carried, read before its headers go to the log.
struct Credentials {
    /// The index of a configured API key.
    api_key: Option<usize>,
    bearer: Option<String>,
    /// The `linked_account_id` header.
    account_header: Option<String>,
}

/// The code and message of a linked-account-level call made with the API
/// key but no `linked_account_id`, as Refold's MCP servers page documents.
const MISSING_REQUIRED_FIELD: &str = "MISSING_REQUIRED_FIELD";
const ACCOUNT_REQUIRED: &str = "Linked account id is required with API Key, for this resource";

/// A public-API request once its body is read and it is logged.
pub(crate) struct PublicRequest<'a> {
    pub route: &'static Route,
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub body: &'a [u8],
    headers: &'a HeaderMap,
    host: Option<&'a str>,
    /// `req_<n>`, as in `x-request-id`.
    request_id: &'a str,
    credentials: Credentials,
}

impl PublicRequest<'_> {
    fn call(&self, caller: Caller) -> Call<'_> {
        Call {
            route: self.route,
            path: self.path,
            query: self.query,
            headers: self.headers,
            body: self.body,
            json: None,
            form: None,
            host: self.host,
            caller,
        }
    }
}

/// Serves a public-API request of `route` whose body is `body`.
pub(crate) async fn serve(
    state: &State,
    conn: &Connection,
    route: &'static Route,
    parts: Parts,
    body: Bytes,
) -> Reply {
    let request_id = respond::request_id_value(state.next_request_id());
    let http1 = parts.version < Version::HTTP_2;
    let Parts {
        method,
        uri,
        headers,
        ..
    } = parts;
    let credentials = Credentials {
        api_key: state.api_key(&headers),
        bearer: bearer(&headers),
        account_header: headers
            .get("linked_account_id")
            .and_then(|v| String::from_utf8(v.as_bytes().to_vec()).ok()),
    };
    let host = headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned);
    let origin = headers.get(ORIGIN).cloned();
    let budget = state.budget(credentials.api_key, credentials.bearer.as_deref());
    let decision = state.limiter.check(budget);
    let logged_body = match route.log_body {
        Some(redact) if !body.is_empty() => redact(&body),
        _ => body.clone(),
    };
    let fault = state.record(
        LoggedRequest {
            method,
            path: uri.path().to_owned(),
            query: uri.query().map(str::to_owned),
            headers: headers.clone(),
            body: logged_body,
        },
        decision != Decision::Admitted,
    );
    let request = PublicRequest {
        route,
        path: uri.path(),
        query: uri.query(),
        body: &body,
        headers: &headers,
        host: host.as_deref(),
        request_id: request_id.to_str().unwrap_or_default(),
        credentials,
    };
    let (mut response, extra_headers) = match (decision, fault) {
        (Decision::Refused(wait), _) => {
            let mut response = legacy_shape(state, &request, rate_limited()).into_response();
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(retry_after_seconds(wait)));
            (response, HeaderMap::new())
        }
        (Decision::Admitted, None) => (answer(state, &request).into_response(), HeaderMap::new()),
        (Decision::Admitted, Some(Fault { action, headers })) => (
            inject::apply(state, conn, http1, &request, action).await?,
            headers,
        ),
    };
    response.headers_mut().insert("x-request-id", request_id);
    // Fault headers replace same-named ones, so a fault can override even
    // content-type or x-request-id.
    for name in extra_headers.keys() {
        response.headers_mut().remove(name);
    }
    for (name, value) in &extra_headers {
        response.headers_mut().append(name, value.clone());
    }
    Ok(if route.auth.cors() {
        with_cors(response, origin.as_ref())
    } else {
        response
    })
}

/// The route's normal answer: authentication, the description's checks,
/// then its handler.
pub(crate) fn answer(state: &State, request: &PublicRequest<'_>) -> Answer {
    let answer = match authenticate(state, request) {
        Ok(caller) => {
            let call = request.call(caller);
            let answer = match validation::check(request.route, &call) {
                Ok(Checked { json, form }) => {
                    let call = Call { json, form, ..call };
                    (request.route.handler)(state, &call)
                }
                Err(refused) => refused,
            };
            error_member(request.route, answer)
        }
        Err(refused) => refused,
    };
    legacy_shape(state, request, answer)
}

/// The answer the body faults reshape (see [`Route::fault_answer`]).
pub(crate) fn fault_answer(state: &State, request: &PublicRequest<'_>) -> Answer {
    match request.route.fault_answer {
        Some(unchecked) => unchecked(state, &request.call(Caller::default())),
        None => answer(state, request),
    }
}

/// Who the request is from, as its route requires, or the answer refusing
/// it (always with the `error` member: these come before the operation's
/// own service).
fn authenticate(state: &State, request: &PublicRequest<'_>) -> Result<Caller, Answer> {
    let access = match request.route.auth {
        Auth::Control | Auth::Public => return Ok(Caller::default()),
        Auth::Api(access) => access,
    };
    let credentials = &request.credentials;
    // A session token names the account itself; it wins over a key.
    if access.token && credentials.bearer.is_some() {
        return sessions::authenticate(state, credentials.bearer.as_deref()).map(|session| {
            Caller {
                account: Some(session.account.clone()),
                session: Some(session),
            }
        });
    }
    if !access.key {
        return Err(token_missing(state, request.route));
    }
    if credentials.api_key.is_none() {
        return Err(Answer::invalid_credentials());
    }
    if access.account == AccountNeed::None {
        return Ok(Caller::default());
    }
    let Some(account) = named_account(request, access) else {
        return match access.account {
            AccountNeed::Required => Err(error_member(
                request.route,
                Answer::error(
                    StatusCode::NOT_FOUND,
                    MISSING_REQUIRED_FIELD,
                    ACCOUNT_REQUIRED,
                ),
            )),
            _ => Ok(Caller::default()),
        };
    };
    if !state.account_known(&account) {
        return Err(session_api::unknown_account(
            &account,
            StatusCode::BAD_REQUEST,
        ));
    }
    Ok(Caller {
        account: Some(account),
        session: None,
    })
}

/// The 401 of a session-token route called without a token: as its page
/// documents it (`Authorization Token Missing`; the workflow service names
/// its code `AUTH_SERVICE_ERROR`), else `Invalid token`.
fn token_missing(state: &State, route: &Route) -> Answer {
    let Some(op) = route.operation.filter(|op| TOKEN_MISSING.contains(&op.id)) else {
        return sessions::authenticate(state, None)
            .err()
            .unwrap_or_else(|| Answer::invalid_token("Invalid token"));
    };
    if op.error_member == ErrorMember::ErrorCode {
        return error_member(
            route,
            Answer::error(
                StatusCode::UNAUTHORIZED,
                "AUTH_SERVICE_ERROR",
                "Authorization Token Missing",
            ),
        );
    }
    Answer::invalid_token("Authorization Token Missing")
}

/// The linked account a key-authenticated request names: the
/// `linked_account_id` header, else the query parameter (where the route
/// reads them). Empty counts as absent.
fn named_account(request: &PublicRequest<'_>, access: Access) -> Option<String> {
    let header = access
        .from_header
        .then(|| request.credentials.account_header.clone())
        .flatten();
    let account = header.or_else(|| {
        access
            .from_query
            .then(|| {
                request
                    .call(Caller::default())
                    .query_param("linked_account_id")
                    .and_then(|raw| percent_decode(raw, true))
            })
            .flatten()
    });
    account.filter(|id| !id.is_empty())
}

/// Renames an error's `error` member `error_code` on the operations whose
/// pages name it so.
fn error_member(route: &Route, answer: Answer) -> Answer {
    let renames = route
        .operation
        .is_some_and(|op| op.error_member == ErrorMember::ErrorCode);
    if !renames || answer.status.as_u16() < 400 {
        return answer;
    }
    let Ok(Value::Object(mut body)) = serde_json::from_slice::<Value>(&answer.body) else {
        return answer;
    };
    let Some(code) = body.remove("error") else {
        return answer;
    };
    body.insert("error_code".to_owned(), code);
    Answer::json(answer.status, Value::Object(body).to_string())
}

/// The 429 of a request over its budget.
fn rate_limited() -> Answer {
    Answer::error(
        StatusCode::TOO_MANY_REQUESTS,
        "RATE_LIMIT_EXCEEDED",
        "Rate limit exceeded",
    )
}

/// Rewrites an error into the older shape (`error_code`, `request_id`) on
/// the routes that had it, while the emulator runs with
/// `legacy_session_token`.
fn legacy_shape(state: &State, request: &PublicRequest<'_>, answer: Answer) -> Answer {
    if !request.route.legacy_errors || !state.legacy_session_token() || answer.status.as_u16() < 400
    {
        return answer;
    }
    let Ok(mut body) = serde_json::from_slice::<Value>(&answer.body) else {
        return answer;
    };
    let Some(code) = body
        .as_object_mut()
        .and_then(|members| members.remove("error"))
    else {
        return answer;
    };
    let message = body["message"].as_str().unwrap_or_default().to_owned();
    let legacy = respond::error_body(
        answer.status,
        code.as_str().unwrap_or_default(),
        &message,
        Some(request.request_id),
    );
    Answer::json(answer.status, legacy.to_string())
}

/// The token of an `authorization: Bearer <token>` header, if any.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_tokens() {
        let mut headers = HeaderMap::new();
        assert_eq!(bearer(&headers), None);
        headers.insert(AUTHORIZATION, HeaderValue::from_static("Bearer "));
        assert_eq!(bearer(&headers), None);
        headers.insert(AUTHORIZATION, HeaderValue::from_static("bearer a.b.c"));
        assert_eq!(bearer(&headers).as_deref(), Some("a.b.c"));
        headers.insert(AUTHORIZATION, HeaderValue::from_static("Basic a.b.c"));
        assert_eq!(bearer(&headers), None);
    }
}
