//! Reading response bodies within our own limits (docs/contract.md §Limits): a body's size
//! never comes from the server's `Content-Length` beyond them.

use crate::error::{Error, ErrorCode};

/// Largest 2xx body read: a bigger one is `invalid_response`.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Of an error response only the start is read: enough for any useful message.
pub const MAX_ERROR_BODY_BYTES: usize = 64 * 1024;
/// The first reservation for a body of unknown length; it grows with what arrives.
const INITIAL_BODY_CAPACITY: usize = 512;

/// What was read of a body.
pub(crate) struct Body {
    pub bytes: Vec<u8>,
    /// More arrived than the limit: `bytes` holds the first `limit`.
    pub oversized: bool,
    /// The connection failed before the end (what arrived is in `bytes`).
    pub cut_short: Option<reqwest::Error>,
}

/// Reads at most `limit` bytes of `response`'s body; a larger announced length only caps the
/// first reservation.
pub(crate) async fn read_limited(response: &mut reqwest::Response, limit: usize) -> Body {
    let capacity = response
        .content_length()
        .map_or(INITIAL_BODY_CAPACITY, |len| len.min(limit as u64) as usize);
    let mut bytes = Vec::with_capacity(capacity);
    loop {
        let chunk = match response.chunk().await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => break,
            Err(err) => {
                return Body {
                    bytes,
                    oversized: false,
                    cut_short: Some(err),
                };
            }
        };
        let room = limit - bytes.len();
        if chunk.len() > room {
            bytes.extend_from_slice(&chunk[..room]);
            return Body {
                bytes,
                oversized: true,
                cut_short: None,
            };
        }
        bytes.extend_from_slice(&chunk);
    }
    Body {
        bytes,
        oversized: false,
        cut_short: None,
    }
}

/// A 2xx body over [`MAX_BODY_BYTES`], announced or read.
pub(crate) fn oversized_error() -> Error {
    Error::new(
        ErrorCode::InvalidResponse,
        format!(
            "Refold answered with a body larger than {} MiB, which is not a session-token \
             response; check the base URL.",
            MAX_BODY_BYTES / (1024 * 1024)
        ),
    )
}
