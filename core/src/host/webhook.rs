//! A webhook delivery's raw body as a host passes it: what a body of the wrong type is.

use crate::error::{Error, ErrorCode};
use crate::options::wrong_type;

/// The `invalid_input` for a webhook body that is not the raw bytes received (commonly the
/// JSON a framework already parsed, whose bytes no longer match the signature). `expected`
/// is the host's words for the types it takes (`bytes or str`), `received` its name for the
/// type given.
pub fn webhook_body_type_error(expected: &str, received: &str) -> Error {
    wrong_type(
        ErrorCode::InvalidInput,
        "the webhook body (the raw bytes received, before any JSON parsing)",
        expected,
        received,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_both_types_and_is_invalid_input() {
        let error = webhook_body_type_error("bytes or str", "dict");
        assert_eq!(error.code(), ErrorCode::InvalidInput);
        assert!(error.message().contains("must be bytes or str, not dict"));
        assert!(error.message().contains("raw bytes"));
    }
}
