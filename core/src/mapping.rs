//! What error a failure becomes (docs/contract.md §Errors): the meaning of an answer by call,
//! status and Refold's own code, whether it is retried, the sentence that tells the user what
//! to do, and the reading of transport failures and unusable 2xx bodies.

use std::error::Error as _;
use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;
use url::Url;

use crate::error::{Error, ErrorCode};
use crate::redact::{clean_line, redact_secrets, server_codes, server_message};
use crate::retry::{retry_after, should_retry_override};
use crate::token::{MAX_EXPIRES_IN, TokenAnswer};

/// Refold's code for a linked account it does not know (docs/contract.md §Errors).
pub(crate) const INVALID_LINKED_ACCOUNT_ID: &str = "INVALID_LINKED_ACCOUNT_ID";
/// Refold's code for a session token it refuses (invalid, expired or revoked).
pub(crate) const INVALID_TOKEN: &str = "INVALID_TOKEN";

/// Which call an answer belongs to: it words the sentence and decides what 400, 401, 404 and
/// 500 mean.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Call<'a> {
    SessionToken(&'a str),
    Upsert(&'a str),
    Create(&'a str),
    Get(&'a str),
    Delete(&'a str),
    List,
    /// Revoking the session token presented (authenticated by it, not by the API key).
    Revoke,
    /// The linked account of the session token presented.
    ActiveAccount,
    /// An operation of the generated API (`api::Operation`): its id and route template.
    Operation {
        id: &'static str,
        name: &'static str,
        method: &'static str,
        route: &'static str,
        by_session_token: bool,
    },
}

impl Call<'_> {
    /// Whether the call is authenticated by a session token instead of the API key.
    pub(crate) fn uses_session_token(self) -> bool {
        matches!(
            self,
            Call::Revoke
                | Call::ActiveAccount
                | Call::Operation {
                    by_session_token: true,
                    ..
                }
        )
    }
}

/// How one HTTP status is treated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StatusRule {
    pub code: ErrorCode,
    pub retryable: bool,
}

/// Maps a non-2xx status of a session-token request to its code and default retry rule.
pub fn status_rule(status: u16) -> StatusRule {
    let (code, retryable) = match status {
        400 | 422 => (ErrorCode::BadRequest, false),
        401 => (ErrorCode::Authentication, false),
        403 => (ErrorCode::PermissionDenied, false),
        404 => (ErrorCode::NotFound, false),
        408 => (ErrorCode::Timeout, true),
        429 => (ErrorCode::RateLimited, true),
        // Refold answers 500 for an unknown linked account: retrying repeats a doomed call.
        500 => (ErrorCode::InvalidLinkedAccount, false),
        502..=504 => (ErrorCode::ServerError, true),
        501..=599 => (ErrorCode::ServerError, false),
        _ => (ErrorCode::UnexpectedStatus, false),
    };
    StatusRule { code, retryable }
}

/// The rule for `status` (with Refold's own `server_code`) in answer to `call`. A session-token
/// call answers an unknown account with 400 `INVALID_LINKED_ACCOUNT_ID` (the older guide: 500);
/// the other calls answer it with 404, so their 500 is a plain server error (not retried).
pub(crate) fn call_status_rule(
    call: Call<'_>,
    status: u16,
    server_code: Option<&str>,
) -> StatusRule {
    let settled = |code| StatusRule {
        code,
        retryable: false,
    };
    match (call, status) {
        (Call::SessionToken(_), 400) if server_code == Some(INVALID_LINKED_ACCOUNT_ID) => {
            settled(ErrorCode::InvalidLinkedAccount)
        }
        (Call::SessionToken(_), _) => status_rule(status),
        (_, 500) => settled(ErrorCode::ServerError),
        _ => status_rule(status),
    }
}

/// The human sentence for a session-token error response: what happened and what to do.
#[cfg(test)]
pub fn status_sentence(status: u16, linked_account_id: &str) -> String {
    call_status_sentence(Call::SessionToken(linked_account_id), status, None)
}

/// The human sentence for an error response to `call`: what happened and what to do next.
pub(crate) fn call_status_sentence(
    call: Call<'_>,
    status: u16,
    server_code: Option<&str>,
) -> String {
    let rule = call_status_rule(call, status, server_code);
    let quoted = |id: &str| format!("\"{}\"", crate::redact::clean_line(id, 80));
    let what = match call {
        Call::SessionToken(_) => "mint session tokens".to_owned(),
        Call::Revoke => "revoke session tokens".to_owned(),
        Call::ActiveAccount => "read a session's linked account".to_owned(),
        Call::Operation { id, .. } => format!("call {id}"),
        _ => "manage linked accounts".to_owned(),
    };
    let credential = if call.uses_session_token() {
        "session token"
    } else {
        "API key"
    };
    match (rule.code, call) {
        (ErrorCode::BadRequest, Call::SessionToken(_)) => format!(
            "Refold rejected the request as invalid (HTTP {status}); check the linked_account_id."
        ),
        (ErrorCode::BadRequest, Call::Create(id)) => format!(
            "Refold refused to create linked account {} (HTTP {status}); it may exist already \
             (use upsert to update it), or a field is invalid.",
            quoted(id)
        ),
        (ErrorCode::BadRequest, Call::Upsert(id)) => format!(
            "Refold rejected linked account {} as invalid (HTTP {status}); check its fields.",
            quoted(id)
        ),
        (ErrorCode::BadRequest, _) => {
            format!("Refold rejected the request as invalid (HTTP {status}); check the arguments.")
        }
        (ErrorCode::Authentication, _)
            if call.uses_session_token() || server_code == Some(INVALID_TOKEN) =>
        {
            format!(
                "Refold rejected the session token (HTTP {status}): it is invalid, expired or \
                 revoked; mint a new one."
            )
        }
        (ErrorCode::Authentication, _) => format!(
            "Refold rejected the API key (HTTP {status}); check REFOLD_API_KEY or the api key \
             option, and that it belongs to this environment."
        ),
        (ErrorCode::PermissionDenied, _) => format!(
            "The {credential} may not {what} (HTTP {status}); check its permissions in the \
             Refold dashboard."
        ),
        (ErrorCode::NotFound, Call::Get(id) | Call::Delete(id)) => format!(
            "Refold has no linked account {} (HTTP {status}); create it first, or check the id.",
            quoted(id)
        ),
        (ErrorCode::NotFound, Call::SessionToken(_) | Call::Revoke) => format!(
            "Refold has no session-token endpoint at this address (HTTP {status}); check the \
             environment and base URL."
        ),
        (ErrorCode::NotFound, Call::ActiveAccount) => format!(
            "Refold has no session endpoint at this address, or no linked account for this \
             session (HTTP {status}); check the base URL and that the account still exists."
        ),
        (
            ErrorCode::NotFound,
            Call::Operation {
                id, method, route, ..
            },
        ) => format!(
            "Refold found nothing for {id} ({method} {route}, HTTP {status}): the resource does \
             not exist, or an id or the base URL is wrong."
        ),
        (ErrorCode::NotFound, _) => format!(
            "Refold has no linked-account endpoint at this address (HTTP {status}); check the \
             environment and base URL."
        ),
        (ErrorCode::Timeout, _) => {
            format!("Refold timed out waiting for the request (HTTP {status}); retry later.")
        }
        (ErrorCode::RateLimited, _) => format!(
            "Refold is rate limiting this API key (HTTP {status}); slow down and retry later."
        ),
        (ErrorCode::InvalidLinkedAccount, Call::SessionToken(id)) if status == 400 => format!(
            "Refold has no linked account {} (HTTP {status}); create the linked account first, \
             or check the id.",
            quoted(id)
        ),
        (ErrorCode::InvalidLinkedAccount, Call::SessionToken(id)) => format!(
            "Refold could not mint a token for linked account {} (HTTP {status}), which \
             usually means it does not exist; create the linked account first, or check the id.",
            quoted(id)
        ),
        (ErrorCode::ServerError, _) if rule.retryable => {
            format!("Refold is temporarily unavailable (HTTP {status}); retry later.")
        }
        (ErrorCode::ServerError, _) => format!(
            "Refold failed with a server error (HTTP {status}); retry later or contact Refold \
             support with the request id."
        ),
        _ if (300..400).contains(&status) => format!(
            "Refold answered with a redirect (HTTP {status}), which is never followed because it \
             would forward the API key; check the environment and base URL."
        ),
        _ => format!("Refold answered with an unexpected HTTP {status}."),
    }
}

/// The error for a non-2xx answer to `call`: its code, sentence, the server's own message and
/// codes.
pub(crate) fn status_error(call: Call<'_>, status: u16, body: &[u8], api_key: &str) -> Error {
    let (server_code, http_error_type) = server_codes(body, api_key);
    let rule = call_status_rule(call, status, server_code.as_deref());
    let mut error = Error::new(
        rule.code,
        call_status_sentence(call, status, server_code.as_deref()),
    )
    .with_retryable(rule.retryable)
    .with_server_codes(server_code, http_error_type);
    if let Some(server_said) = server_message(body, api_key) {
        error = error.append_message(&format!("Refold said: {server_said}"));
    }
    error
}

/// Attaches what every response-derived error carries (status, request id, the server's
/// wait) and applies the server's `x-should-retry` verdict.
pub(crate) fn with_response_context(
    error: Error,
    status: u16,
    headers: &HeaderMap,
    api_key: &str,
) -> Error {
    let retryable = should_retry_override(headers).unwrap_or(error.is_retryable());
    let request_id = ["x-request-id", "request-id"]
        .iter()
        .filter_map(|name| headers.get(*name)?.to_str().ok())
        .find(|id| !id.trim().is_empty())
        .map(|id| clean_line(&redact_secrets(id, api_key), 200));
    error
        .with_status(status)
        .with_request_id(request_id)
        .with_retry_after(retry_after(headers, SystemTime::now()))
        .with_retryable(retryable)
}

/// A 2xx body that is not what the call expects (`expected`, e.g. "a linked account").
pub(crate) fn unexpected_body(expected: &str) -> Error {
    Error::new(
        ErrorCode::InvalidResponse,
        format!(
            "Refold answered with something other than {expected}; check the base URL points \
             at the Refold API."
        ),
    )
}

/// Refold's token answer in a 2xx body — a non-empty string `token`, and, when present and
/// usable, `refresh_token`, `expires_in` and `refresh_expires_in` — or why there is none. The
/// body is never quoted: it may hold a token.
pub(crate) fn extract_token(body: &[u8]) -> Result<TokenAnswer, Error> {
    /// Members of another type than documented count as absent, except `token`.
    #[derive(serde::Deserialize)]
    struct TokenBody {
        token: String,
        #[serde(default)]
        refresh_token: serde_json::Value,
        #[serde(default)]
        expires_in: serde_json::Value,
        #[serde(default)]
        refresh_expires_in: serde_json::Value,
    }
    // serde would also read a struct from a JSON array: only objects take the fast path.
    let is_object = body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    if let Ok(answer) = serde_json::from_slice::<TokenBody>(body) {
        if is_object && !answer.token.is_empty() {
            return Ok(TokenAnswer {
                token: answer.token,
                refresh_token: match answer.refresh_token {
                    serde_json::Value::String(refresh) if !refresh.is_empty() => Some(refresh),
                    _ => None,
                },
                expires_in: seconds_left(&answer.expires_in),
                refresh_expires_in: seconds_left(&answer.refresh_expires_in),
            });
        }
    }
    let problem = match serde_json::from_slice::<serde_json::Value>(body) {
        Err(_) => "a body that is not JSON",
        Ok(serde_json::Value::Object(object)) => match object.get("token") {
            None => "JSON without a \"token\" field",
            Some(serde_json::Value::String(_)) => "an empty \"token\"",
            Some(_) => "a \"token\" that is not a string",
        },
        Ok(_) => "JSON that is not an object",
    };
    Err(Error::new(
        ErrorCode::InvalidResponse,
        format!(
            "Refold answered with {problem} instead of a session token; check the base URL \
             points at the Refold API."
        ),
    ))
}

/// A number of seconds left (`expires_in`): finite, not negative, at most
/// [`MAX_EXPIRES_IN`]; anything else counts as absent.
fn seconds_left(value: &serde_json::Value) -> Option<Duration> {
    let seconds = value.as_f64()?;
    (seconds.is_finite() && (0.0..=MAX_EXPIRES_IN.as_secs_f64()).contains(&seconds))
        .then(|| Duration::from_secs_f64(seconds))
}

/// An attempt that ran out of its time.
pub(crate) fn timeout_error(timeout: Duration, endpoint: &Url) -> Error {
    Error::new(
        ErrorCode::Timeout,
        format!(
            "Refold did not answer within the {} timeout; check connectivity to {} or raise \
             the timeout.",
            describe_duration(timeout),
            endpoint.host_str().unwrap_or("the API")
        ),
    )
    .with_retryable(true)
}

/// What kind of transport failure happened, read from the whole `source()` chain.
enum TransportFailure {
    TimedOut,
    CertificateRejected,
    MalformedResponse(String),
    Refused,
    Reset,
    ClosedEarly,
    Dns,
    Other,
}

/// The error a failure before a complete response becomes, in plain words: what happened,
/// then what to do. A failure to connect sent nothing (so even a `POST` may be retried).
pub(crate) fn transport_error(err: &reqwest::Error, endpoint: &Url, api_key: &str) -> Error {
    let host = endpoint.host_str().unwrap_or("the API");
    let host_port = match endpoint.port_or_known_default() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    };
    let check_network = "check the network, proxy settings (HTTPS_PROXY/NO_PROXY) and base URL";
    let (code, retryable, what, advice) = match classify(err) {
        TransportFailure::TimedOut => (
            ErrorCode::Timeout,
            true,
            format!("connecting to {host_port} timed out"),
            "check connectivity or raise the timeout",
        ),
        TransportFailure::CertificateRejected => (
            ErrorCode::Connection,
            false,
            format!(
                "the TLS certificate of {host} was not trusted ({})",
                describe_chain(err, api_key)
            ),
            "check the base URL, or install your CA in the system trust store",
        ),
        TransportFailure::MalformedResponse(why) => (
            ErrorCode::InvalidResponse,
            false,
            format!("{host_port} answered with a response that is not valid HTTP ({why})"),
            "check the base URL and any proxy in between",
        ),
        TransportFailure::Refused => (
            ErrorCode::Connection,
            true,
            format!("connection refused by {host_port}"),
            check_network,
        ),
        TransportFailure::Reset => (
            ErrorCode::Connection,
            true,
            format!("the connection to {host_port} was reset"),
            check_network,
        ),
        TransportFailure::ClosedEarly => (
            ErrorCode::Connection,
            true,
            format!("{host_port} closed the connection before a complete answer arrived"),
            check_network,
        ),
        TransportFailure::Dns => (
            ErrorCode::Connection,
            true,
            format!("the DNS lookup of {host} failed"),
            check_network,
        ),
        TransportFailure::Other => (
            ErrorCode::Connection,
            true,
            format!(
                "the request to {host_port} failed: {}",
                describe_chain(err, api_key)
            ),
            check_network,
        ),
    };
    Error::new(
        code,
        format!("Could not get an answer from Refold: {what}; {advice}."),
    )
    .with_retryable(retryable)
    .with_nothing_sent(err.is_connect())
}

fn classify(err: &reqwest::Error) -> TransportFailure {
    if err.is_timeout() {
        return TransportFailure::TimedOut;
    }
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(error) = current {
        if matches!(
            error.downcast_ref::<rustls::Error>(),
            Some(rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented)
        ) {
            return TransportFailure::CertificateRejected;
        }
        if let Some(hyper_error) = error.downcast_ref::<hyper::Error>() {
            // is_parse() covers heads that are too large as well.
            if hyper_error.is_parse() || hyper_error.is_parse_status() {
                return TransportFailure::MalformedResponse(clean_line(
                    &hyper_error.to_string(),
                    120,
                ));
            }
            if hyper_error.is_timeout() {
                return TransportFailure::TimedOut;
            }
            if hyper_error.is_incomplete_message() {
                return TransportFailure::ClosedEarly;
            }
        }
        if let Some(io) = error.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::TimedOut => return TransportFailure::TimedOut,
                std::io::ErrorKind::ConnectionRefused => return TransportFailure::Refused,
                std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::ConnectionAborted => {
                    return TransportFailure::Reset;
                }
                std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::BrokenPipe => {
                    return TransportFailure::ClosedEarly;
                }
                _ => {}
            }
        }
        // hyper-util's resolver reports failures as "dns error: …"; there is no type to test.
        if error.to_string().starts_with("dns error") {
            return TransportFailure::Dns;
        }
        // io::Error::source() skips the error it wraps (and TLS errors arrive wrapped twice),
        // so descend through get_ref() instead.
        current = match error.downcast_ref::<std::io::Error>() {
            Some(io) => io
                .get_ref()
                .map(|inner| inner as &(dyn std::error::Error + 'static)),
            None => error.source(),
        };
    }
    TransportFailure::Other
}

/// The texts of the `source()` chain, redacted and bounded. Of a reqwest error only its causes
/// are told: its own text says "error sending request" and names the URL, and its `Display`
/// leaves the causes out.
pub(crate) fn describe_chain(err: &(dyn std::error::Error + 'static), api_key: &str) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current = match err.downcast_ref::<reqwest::Error>() {
        Some(top) => match top.source() {
            Some(cause) => Some(cause),
            None => {
                parts.push(text_without_url(top));
                None
            }
        },
        None => Some(err),
    };
    while let Some(error) = current {
        let text = error.to_string();
        if !text.is_empty() && !parts.iter().any(|seen| seen.contains(&text)) {
            parts.push(text);
        }
        current = error.source();
    }
    clean_line(&redact_secrets(&parts.join(": "), api_key), 300)
}

/// reqwest's own text without the URL it appends.
fn text_without_url(err: &reqwest::Error) -> String {
    let text = err.to_string();
    match err.url() {
        Some(url) => text.replace(&format!(" for url ({url})"), ""),
        None => text,
    }
}

fn describe_duration(duration: Duration) -> String {
    if duration.subsec_millis() == 0 {
        format!("{} s", duration.as_secs())
    } else {
        format!("{} ms", duration.as_millis())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_of_the_spec_maps_as_listed() {
        let expect = [
            (400, ErrorCode::BadRequest, false),
            (422, ErrorCode::BadRequest, false),
            (401, ErrorCode::Authentication, false),
            (403, ErrorCode::PermissionDenied, false),
            (404, ErrorCode::NotFound, false),
            (408, ErrorCode::Timeout, true),
            (429, ErrorCode::RateLimited, true),
            (500, ErrorCode::InvalidLinkedAccount, false),
            (501, ErrorCode::ServerError, false),
            (502, ErrorCode::ServerError, true),
            (503, ErrorCode::ServerError, true),
            (504, ErrorCode::ServerError, true),
            (505, ErrorCode::ServerError, false),
            (599, ErrorCode::ServerError, false),
            (301, ErrorCode::UnexpectedStatus, false),
            (302, ErrorCode::UnexpectedStatus, false),
            (304, ErrorCode::UnexpectedStatus, false),
            (409, ErrorCode::UnexpectedStatus, false),
            (418, ErrorCode::UnexpectedStatus, false),
            (100, ErrorCode::UnexpectedStatus, false),
        ];
        for (status, code, retryable) in expect {
            assert_eq!(
                status_rule(status),
                StatusRule { code, retryable },
                "HTTP {status}"
            );
        }
    }

    #[test]
    fn sentences_name_the_status_and_a_next_step() {
        for status in [400, 401, 403, 404, 408, 429, 500, 501, 503, 302, 418] {
            let sentence = status_sentence(status, "acct-1");
            assert!(sentence.contains(&status.to_string()), "{sentence}");
        }
        assert!(status_sentence(500, "acct-1").contains("create the linked account"));
        assert!(status_sentence(302, "acct-1").contains("never followed"));
    }

    #[test]
    fn linked_account_calls_read_404_and_500_their_own_way() {
        let get = call_status_rule(Call::Get("u1"), 404, None);
        assert_eq!(get.code, ErrorCode::NotFound);
        assert!(
            call_status_sentence(Call::Delete("u1"), 404, None)
                .contains("no linked account \"u1\"")
        );
        let server = call_status_rule(Call::Upsert("u1"), 500, None);
        assert_eq!(
            server,
            StatusRule {
                code: ErrorCode::ServerError,
                retryable: false
            }
        );
        assert!(call_status_sentence(Call::Create("u1"), 400, None).contains("may exist already"));
        // Only the session-token call reads INVALID_LINKED_ACCOUNT_ID as an unknown account.
        let create = call_status_rule(Call::Create("u1"), 400, Some(INVALID_LINKED_ACCOUNT_ID));
        assert_eq!(create.code, ErrorCode::BadRequest);
    }

    #[test]
    fn meaning_is_decided_by_call_status_and_server_code() {
        let token = Call::SessionToken("u1");
        let unknown = call_status_rule(token, 400, Some(INVALID_LINKED_ACCOUNT_ID));
        assert_eq!(
            unknown,
            StatusRule {
                code: ErrorCode::InvalidLinkedAccount,
                retryable: false
            }
        );
        let sentence = call_status_sentence(token, 400, Some(INVALID_LINKED_ACCOUNT_ID));
        assert!(sentence.contains("create the linked account"), "{sentence}");
        assert_eq!(
            call_status_rule(token, 400, Some("SERVER_ERROR")).code,
            ErrorCode::BadRequest
        );
        assert_eq!(
            call_status_rule(token, 500, Some("SERVER_ERROR")).code,
            ErrorCode::InvalidLinkedAccount
        );
        for call in [Call::Revoke, Call::ActiveAccount] {
            assert_eq!(
                call_status_rule(call, 401, Some(INVALID_TOKEN)).code,
                ErrorCode::Authentication
            );
            let sentence = call_status_sentence(call, 401, Some(INVALID_TOKEN));
            assert!(sentence.contains("session token"), "{sentence}");
            assert!(!sentence.contains("API key"), "{sentence}");
        }
        assert!(call_status_sentence(token, 401, Some("SERVER_ERROR")).contains("API key"));
    }

    #[test]
    fn error_bodies_give_their_codes() {
        let body = br#"{"status_code":400,"http_error_type":"BAD_REQUEST","error":"INVALID_LINKED_ACCOUNT_ID","message":"No linked account found"}"#;
        let error = status_error(Call::SessionToken("u9"), 400, body, "KEY");
        assert_eq!(error.code(), ErrorCode::InvalidLinkedAccount);
        assert!(!error.is_retryable());
        assert_eq!(error.server_code(), Some("INVALID_LINKED_ACCOUNT_ID"));
        assert_eq!(error.http_error_type(), Some("BAD_REQUEST"));
        assert!(
            error
                .message()
                .ends_with("Refold said: No linked account found")
        );
    }

    #[test]
    fn token_extraction_reads_the_whole_answer() {
        let answer = extract_token(
            br#"{"token":"abc","refresh_token":"def","expires_in":599747,"refresh_expires_in":2586947}"#,
        )
        .unwrap();
        assert_eq!(answer.token, "abc");
        assert_eq!(answer.refresh_token.as_deref(), Some("def"));
        assert_eq!(answer.expires_in, Some(Duration::from_secs(599_747)));
        assert_eq!(
            answer.refresh_expires_in,
            Some(Duration::from_secs(2_586_947))
        );
        // Unusable extras count as absent; the token is still taken.
        for extras in [
            r#""refresh_token":5,"expires_in":"soon""#,
            r#""refresh_token":"","expires_in":-1"#,
            r#""refresh_token":null,"expires_in":1e300"#,
        ] {
            let body = format!(r#"{{"token":"abc",{extras}}}"#);
            let answer = extract_token(body.as_bytes()).unwrap();
            assert_eq!(answer.token, "abc");
            assert!(
                answer.refresh_token.is_none() && answer.expires_in.is_none(),
                "{extras}"
            );
        }
    }

    #[test]
    fn token_extraction_names_the_problem_without_quoting_the_body() {
        assert_eq!(
            extract_token(br#"{"token":"abc","extra":1}"#)
                .unwrap()
                .token,
            "abc"
        );
        let cases: [(&[u8], &str); 5] = [
            (b"<html>eyJsecret.x.y</html>", "not JSON"),
            (br#"{"nothing":true}"#, "without a \"token\""),
            (br#"{"token":""}"#, "empty"),
            (br#"{"token":42}"#, "not a string"),
            (br#"["token"]"#, "not an object"),
        ];
        for (body, expected) in cases {
            let err = extract_token(body).unwrap_err();
            assert_eq!(err.code(), ErrorCode::InvalidResponse);
            assert!(err.message().contains(expected), "{}", err.message());
            assert!(!err.message().contains("eyJ"));
        }
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(describe_duration(Duration::from_secs(30)), "30 s");
        assert_eq!(describe_duration(Duration::from_millis(250)), "250 ms");
    }

    #[test]
    fn response_context_honours_the_servers_retry_verdict() {
        let mut headers = HeaderMap::new();
        headers.insert("x-should-retry", "true".parse().unwrap());
        headers.insert("x-request-id", "req_KEY".parse().unwrap());
        let error = with_response_context(
            status_error(Call::SessionToken("a"), 500, b"", "KEY"),
            500,
            &headers,
            "KEY",
        );
        assert!(error.is_retryable());
        assert_eq!(error.request_id(), Some("req_[REDACTED]"));
        assert_eq!(error.status(), Some(500));
    }
}
