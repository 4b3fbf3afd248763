//! The one error type every failure maps to, and its language-neutral codes
//! (docs/contract.md §Errors).

use std::any::Any;
use std::fmt;
use std::time::Duration;

use crate::redact::REDACTED;

/// What went wrong, as the same string in every language (`as_str`, [`ErrorCode::ALL`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// An argument is unusable (an empty or too long id, a value JSON cannot carry…): nothing
    /// was sent.
    InvalidInput,
    /// The client options are unusable (missing key, unknown environment, unsafe URL…).
    Configuration,
    /// HTTP 400 or 422.
    BadRequest,
    /// HTTP 401: the API key (or, on a session-token call, the token) was rejected.
    Authentication,
    /// HTTP 403.
    PermissionDenied,
    /// HTTP 404.
    NotFound,
    /// HTTP 429.
    RateLimited,
    /// Refold does not know the linked account a session token was asked for (HTTP 400 with
    /// `INVALID_LINKED_ACCOUNT_ID`, or the older guide's 500).
    InvalidLinkedAccount,
    /// HTTP 501–599 other than 500.
    ServerError,
    /// An attempt exceeded the timeout, or HTTP 408.
    Timeout,
    /// DNS, refused, reset, closed early, or TLS failure.
    Connection,
    /// A 2xx whose body is not what the call expects (not JSON, no token…), or over 1 MiB.
    InvalidResponse,
    /// Any other status, redirects included.
    UnexpectedStatus,
    /// A bug in this library (a panic, a runtime that could not start); never retried.
    Internal,
    /// The caller cancelled the call (e.g. Node's `AbortSignal`); what was sent may have
    /// reached Refold. Never retried.
    Aborted,
}

impl ErrorCode {
    /// Every code, in the order the contract lists them.
    pub const ALL: [ErrorCode; 15] = [
        ErrorCode::InvalidInput,
        ErrorCode::Configuration,
        ErrorCode::BadRequest,
        ErrorCode::Authentication,
        ErrorCode::PermissionDenied,
        ErrorCode::NotFound,
        ErrorCode::RateLimited,
        ErrorCode::InvalidLinkedAccount,
        ErrorCode::ServerError,
        ErrorCode::Timeout,
        ErrorCode::Connection,
        ErrorCode::InvalidResponse,
        ErrorCode::UnexpectedStatus,
        ErrorCode::Internal,
        ErrorCode::Aborted,
    ];

    /// The wire-stable snake_case name shared by every binding.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidInput => "invalid_input",
            ErrorCode::Configuration => "configuration",
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::Authentication => "authentication",
            ErrorCode::PermissionDenied => "permission_denied",
            ErrorCode::NotFound => "not_found",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::InvalidLinkedAccount => "invalid_linked_account",
            ErrorCode::ServerError => "server_error",
            ErrorCode::Timeout => "timeout",
            ErrorCode::Connection => "connection",
            ErrorCode::InvalidResponse => "invalid_response",
            ErrorCode::UnexpectedStatus => "unexpected_status",
            ErrorCode::Internal => "internal",
            ErrorCode::Aborted => "aborted",
        }
    }
}

impl std::str::FromStr for ErrorCode {
    type Err = UnknownErrorCode;

    /// The code named by its [`ErrorCode::as_str`] string (exactly, as every language
    /// spells it).
    fn from_str(name: &str) -> Result<Self, UnknownErrorCode> {
        ErrorCode::ALL
            .into_iter()
            .find(|code| code.as_str() == name)
            .ok_or(UnknownErrorCode)
    }
}

/// [`ErrorCode::from_str`] got a string that is no code's name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnknownErrorCode;

impl fmt::Display for UnknownErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not an error code of refold-session")
    }
}

impl std::error::Error for UnknownErrorCode {}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failure to mint a session token. Its message never contains the API key or a token.
#[derive(Clone)]
pub struct Error {
    inner: Box<Inner>,
}

#[derive(Clone)]
struct Inner {
    code: ErrorCode,
    message: String,
    status: Option<u16>,
    request_id: Option<String>,
    retry_after: Option<Duration>,
    attempts: u32,
    /// Refold's own code of the error (`error`, or `error_code`), bounded and redacted.
    server_code: Option<String>,
    /// Refold's `http_error_type` (e.g. `BAD_REQUEST`), bounded and redacted.
    http_error_type: Option<String>,
    retryable: bool,
    /// The problem is a value of the wrong type in a dynamically typed host (Python raises
    /// `TypeError` for it).
    wrong_type: bool,
    /// The failure happened before any byte of the request left (e.g. connection refused):
    /// even a call that is not idempotent may be retried.
    nothing_sent: bool,
}

impl Error {
    /// The fields every binding maps (docs/contract.md §Errors).
    pub const FIELDS: &'static [&'static str] = &[
        "code",
        "message",
        "status",
        "request_id",
        "retry_after",
        "attempts",
        "server_code",
        "http_error_type",
    ];

    pub(crate) fn new(code: ErrorCode, message: impl Into<String>) -> Error {
        Error {
            inner: Box::new(Inner {
                code,
                message: message.into(),
                status: None,
                request_id: None,
                retry_after: None,
                attempts: 0,
                server_code: None,
                http_error_type: None,
                retryable: false,
                wrong_type: false,
                nothing_sent: false,
            }),
        }
    }

    pub(crate) fn invalid_input(message: impl Into<String>) -> Error {
        Error::new(ErrorCode::InvalidInput, message)
    }

    pub(crate) fn configuration(message: impl Into<String>) -> Error {
        Error::new(ErrorCode::Configuration, message)
    }

    /// The `internal` error for a bug in this library: `what` says what failed (e.g. the
    /// panic's text, already free of secrets) and is cut to one short line.
    pub fn internal(what: &str) -> Error {
        Error::new(
            ErrorCode::Internal,
            format!(
                "refold-session hit an internal error ({}); please report it.",
                crate::redact::clean_line(what, 200)
            ),
        )
    }

    /// The `aborted` error of a call its caller cancelled (bindings build it when the host's
    /// cancellation drops the call): the request may have been sent.
    pub fn aborted() -> Error {
        Error::new(
            ErrorCode::Aborted,
            "The call was aborted by its caller; a request already sent may have reached Refold.",
        )
    }

    /// The `internal` error for a caught panic (`std::panic::catch_unwind`'s payload).
    /// Bindings call this at every entry point so that a panic never crosses the FFI boundary.
    pub fn from_panic(payload: &(dyn Any + Send)) -> Error {
        let text = if let Some(text) = payload.downcast_ref::<&str>() {
            text
        } else if let Some(text) = payload.downcast_ref::<String>() {
            text.as_str()
        } else {
            "a panic without a message"
        };
        Error::internal(&format!(
            "panic: {}",
            crate::redact::redact_secrets(text, "")
        ))
    }

    pub(crate) fn with_status(mut self, status: u16) -> Error {
        self.inner.status = Some(status);
        self
    }

    pub(crate) fn with_request_id(mut self, request_id: Option<String>) -> Error {
        self.inner.request_id = request_id;
        self
    }

    pub(crate) fn with_retry_after(mut self, retry_after: Option<Duration>) -> Error {
        self.inner.retry_after = retry_after;
        self
    }

    pub(crate) fn with_retryable(mut self, retryable: bool) -> Error {
        self.inner.retryable = retryable;
        self
    }

    pub(crate) fn with_attempts(mut self, attempts: u32) -> Error {
        self.inner.attempts = attempts;
        self
    }

    pub(crate) fn with_nothing_sent(mut self, nothing_sent: bool) -> Error {
        self.inner.nothing_sent = nothing_sent;
        self
    }

    pub(crate) fn with_server_codes(
        mut self,
        server_code: Option<String>,
        http_error_type: Option<String>,
    ) -> Error {
        self.inner.server_code = server_code;
        self.inner.http_error_type = http_error_type;
        self
    }

    pub(crate) fn with_wrong_type(mut self) -> Error {
        self.inner.wrong_type = true;
        self
    }

    pub(crate) fn nothing_sent(&self) -> bool {
        self.inner.nothing_sent
    }

    /// Removes each of `secrets` (e.g. a linked account's credentials) from the message, the
    /// request id and the server's codes.
    pub(crate) fn redact(mut self, secrets: &[String]) -> Error {
        for secret in secrets.iter().filter(|secret| !secret.is_empty()) {
            if self.inner.message.contains(secret.as_str()) {
                self.inner.message = self.inner.message.replace(secret.as_str(), REDACTED);
            }
            let inner = &mut *self.inner;
            for text in [
                &mut inner.request_id,
                &mut inner.server_code,
                &mut inner.http_error_type,
            ]
            .into_iter()
            .flatten()
            {
                if text.contains(secret.as_str()) {
                    *text = text.replace(secret.as_str(), REDACTED);
                }
            }
        }
        self
    }

    /// Appends a sentence to the message (already sanitised by the caller).
    pub(crate) fn append_message(mut self, extra: &str) -> Error {
        self.inner.message.push(' ');
        self.inner.message.push_str(extra);
        self
    }

    /// The language-neutral code.
    pub fn code(&self) -> ErrorCode {
        self.inner.code
    }

    /// A human sentence naming what happened and what to do, then the server's own message.
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// The HTTP status of the last response, if one arrived.
    pub fn status(&self) -> Option<u16> {
        self.inner.status
    }

    /// The `x-request-id` (or `request-id`) of the last response, for Refold support.
    pub fn request_id(&self) -> Option<&str> {
        self.inner.request_id.as_deref()
    }

    /// What the server asked us to wait (`retry-after-ms` / `Retry-After`), if it said.
    pub fn retry_after(&self) -> Option<Duration> {
        self.inner.retry_after
    }

    /// How many requests were sent (0 when the call failed before the wire).
    pub fn attempts(&self) -> u32 {
        self.inner.attempts
    }

    /// Refold's own code of the error, from the error body's `error` (or `error_code`, which
    /// a few of its services use), e.g. `INVALID_LINKED_ACCOUNT_ID`; at most 100 characters,
    /// redacted like the message. `None` when no response arrived or the body had none.
    pub fn server_code(&self) -> Option<&str> {
        self.inner.server_code.as_deref()
    }

    /// Refold's `http_error_type` of the error body, e.g. `BAD_REQUEST`; bounded and redacted
    /// like [`Error::server_code`].
    pub fn http_error_type(&self) -> Option<&str> {
        self.inner.http_error_type.as_deref()
    }

    /// Whether the last failure was of a retryable kind (retries may have run out).
    pub fn is_retryable(&self) -> bool {
        self.inner.retryable
    }

    /// For bindings: the problem is a value of the wrong type given by a dynamically typed
    /// host (an `invalid_input` or `configuration` error); Python raises `TypeError` for it.
    pub fn is_wrong_type(&self) -> bool {
        self.inner.wrong_type
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.inner.message)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("code", &self.inner.code.as_str())
            .field("message", &self.inner.message)
            .field("status", &self.inner.status)
            .field("request_id", &self.inner.request_id)
            .field("retry_after", &self.inner.retry_after)
            .field("attempts", &self.inner.attempts)
            .field("server_code", &self.inner.server_code)
            .field("http_error_type", &self.inner.http_error_type)
            .finish()
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_names_are_distinct_snake_case() {
        let names: std::collections::HashSet<_> =
            ErrorCode::ALL.iter().map(|code| code.as_str()).collect();
        assert_eq!(names.len(), ErrorCode::ALL.len());
        assert!(
            names
                .iter()
                .all(|name| name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
        );
    }

    #[test]
    fn codes_parse_from_their_names_only() {
        for code in ErrorCode::ALL {
            assert_eq!(code.as_str().parse::<ErrorCode>(), Ok(code));
        }
        for unknown in ["", "Timeout", "timeout ", "rate_limit"] {
            assert_eq!(
                unknown.parse::<ErrorCode>(),
                Err(UnknownErrorCode),
                "{unknown}"
            );
        }
    }

    #[test]
    fn redaction_reaches_every_text_field() {
        let err = Error::new(ErrorCode::BadRequest, "bad SECRET")
            .with_request_id(Some("req SECRET".into()))
            .with_server_codes(Some("CODE_SECRET".into()), Some("SECRET".into()))
            .redact(&["SECRET".into(), String::new()]);
        assert_eq!(err.message(), "bad [REDACTED]");
        assert_eq!(err.request_id(), Some("req [REDACTED]"));
        assert_eq!(err.server_code(), Some("CODE_[REDACTED]"));
        assert_eq!(err.http_error_type(), Some("[REDACTED]"));
    }

    #[test]
    fn panics_become_internal_errors() {
        let caught = std::panic::catch_unwind(|| panic!("boom {}", 42)).unwrap_err();
        let err = Error::from_panic(caught.as_ref());
        assert_eq!(err.code(), ErrorCode::Internal);
        assert!(!err.is_retryable());
        assert_eq!(
            err.message(),
            "refold-session hit an internal error (panic: boom 42); please report it."
        );
        let caught = std::panic::catch_unwind(|| std::panic::panic_any(7_u8)).unwrap_err();
        assert!(
            Error::from_panic(caught.as_ref())
                .message()
                .contains("without a message")
        );
    }

    #[test]
    fn debug_and_display_show_the_message_and_fields() {
        let err = Error::new(ErrorCode::RateLimited, "slow down")
            .with_status(429)
            .with_attempts(3)
            .with_request_id(Some("req_1".into()));
        assert_eq!(err.to_string(), "slow down");
        let debug = format!("{err:?}");
        assert!(debug.contains("rate_limited") && debug.contains("req_1") && debug.contains("429"));
        assert_eq!(err.attempts(), 3);
    }
}
