//! The status table of SPEC §4: which code a response maps to, whether it is retried,
//! and the sentence that tells the user what to do.

use crate::error::ErrorCode;

/// How one HTTP status is treated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StatusRule {
    pub code: ErrorCode,
    pub retryable: bool,
}

/// Maps a non-2xx status to its code and default retry rule.
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

/// The human sentence for an error response: what happened and what to do next.
pub fn status_sentence(status: u16, linked_account_id: &str) -> String {
    let rule = status_rule(status);
    match rule.code {
        ErrorCode::BadRequest => format!(
            "Refold rejected the request as invalid (HTTP {status}); check the linked_account_id."
        ),
        ErrorCode::Authentication => format!(
            "Refold rejected the API key (HTTP {status}); check REFOLD_API_KEY or the api key \
             option, and that it belongs to this environment."
        ),
        ErrorCode::PermissionDenied => format!(
            "The API key may not mint session tokens (HTTP {status}); check its permissions in \
             the Refold dashboard."
        ),
        ErrorCode::NotFound => format!(
            "Refold has no session-token endpoint at this address (HTTP {status}); check the \
             environment and base URL."
        ),
        ErrorCode::Timeout => {
            format!("Refold timed out waiting for the request (HTTP {status}); retry later.")
        }
        ErrorCode::RateLimited => format!(
            "Refold is rate limiting this API key (HTTP {status}); slow down and retry later."
        ),
        ErrorCode::InvalidLinkedAccount => format!(
            "Refold could not mint a token for linked account \"{}\" (HTTP {status}), which \
             usually means it does not exist; create the linked account first, or check the id.",
            crate::redact::clean_line(linked_account_id, 80)
        ),
        ErrorCode::ServerError if rule.retryable => {
            format!("Refold is temporarily unavailable (HTTP {status}); retry later.")
        }
        ErrorCode::ServerError => format!(
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
}
