//! The one error that crosses to Kotlin: the core's `Error` field for field, its code as the
//! core's string (`ErrorCode::as_str`). No variant per code and no number: the Kotlin layer
//! picks the `RefoldException` subclass from the code string, in its one table.

use std::any::Any;
use std::time::Duration;

use refold_session::{Error, ErrorCode};

/// What every error carries (docs/contract.md §Errors), straight from the core's `Error`.
///
/// The text is called `detail`: a uniffi error field named `message` clashes with
/// `Throwable.message` in Kotlin. The Kotlin layer sets it as the exception's message.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ErrorInfo {
    /// `ErrorCode::as_str()`.
    pub code: String,
    /// `Error::message()`, verbatim (never contains the API key or a token).
    pub detail: String,
    /// The HTTP status, when a response arrived.
    pub status: Option<i32>,
    /// The `x-request-id` / `request-id` of the last response.
    pub request_id: Option<String>,
    /// What the server asked to wait.
    pub retry_after: Option<Duration>,
    /// Requests sent (0 when the call failed before the wire).
    pub attempts: i32,
    /// Refold's own code of the error (`INVALID_LINKED_ACCOUNT_ID`…).
    pub server_code: Option<String>,
    /// Refold's `http_error_type` (`BAD_REQUEST`…).
    pub http_error_type: Option<String>,
}

/// The core's error across uniffi: one variant, its fields in [`ErrorInfo`].
#[derive(Debug, uniffi::Error)]
pub enum FfiError {
    Refold { info: ErrorInfo },
}

impl FfiError {
    /// The carried fields.
    pub fn info(&self) -> &ErrorInfo {
        let FfiError::Refold { info } = self;
        info
    }

    /// The `internal` error for a caught panic.
    pub(crate) fn from_panic(payload: Box<dyn Any + Send>) -> FfiError {
        Error::from_panic(payload.as_ref()).into()
    }
}

impl std::fmt::Display for FfiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.info().detail)
    }
}

impl std::error::Error for FfiError {}

impl From<Error> for FfiError {
    fn from(err: Error) -> Self {
        FfiError::Refold {
            info: ErrorInfo {
                code: err.code().as_str().to_owned(),
                detail: err.message().to_owned(),
                status: err.status().map(i32::from),
                request_id: err.request_id().map(str::to_owned),
                retry_after: err.retry_after(),
                attempts: i32::try_from(err.attempts()).unwrap_or(i32::MAX),
                server_code: err.server_code().map(str::to_owned),
                http_error_type: err.http_error_type().map(str::to_owned),
            },
        }
    }
}

/// The core's error codes (`ErrorCode::ALL`) as strings, for the Kotlin test that its table
/// has a subclass for each.
#[uniffi::export]
pub fn error_codes() -> Vec<String> {
    ErrorCode::ALL
        .iter()
        .map(|code| code.as_str().to_owned())
        .collect()
}
