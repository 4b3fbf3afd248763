//! Keeps secrets out of text: the API key and anything shaped like a token are replaced,
//! and server-provided text is reduced to one safe, short line.

/// What replaces a secret in any text we produce.
pub const REDACTED: &str = "[REDACTED]";

/// Longest server message kept when it comes from a JSON field.
const MAX_SERVER_MESSAGE_CHARS: usize = 500;
/// Longest excerpt kept from a non-JSON body (docs/contract.md §Errors).
const MAX_TEXT_BODY_CHARS: usize = 200;
/// Longest server code (`error`, `error_code`, `http_error_type`) kept.
const MAX_SERVER_CODE_CHARS: usize = 100;

/// Replaces every occurrence of `api_key` and every JWT-shaped run with [`REDACTED`].
pub fn redact_secrets(text: &str, api_key: &str) -> String {
    let without_key = if api_key.is_empty() {
        text.to_owned()
    } else {
        text.replace(api_key, REDACTED)
    };
    redact_jwts(&without_key)
}

/// A token shown in `Debug`/`repr`/`toString`: its first 8 characters, then `…`.
pub fn redact_token(token: &str) -> String {
    let prefix: String = token.chars().take(8).collect();
    format!("{prefix}…")
}

/// Replaces `eyJ…` base64url runs with at least one dot (JWS/JWE compact forms).
fn redact_jwts(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied_up_to = 0;
    let mut index = 0;
    while let Some(offset) = text[index..].find("eyJ") {
        let start = index + offset;
        let mut end = start;
        let mut dots = 0;
        while end < bytes.len() && (is_base64url(bytes[end]) || bytes[end] == b'.') {
            dots += usize::from(bytes[end] == b'.');
            end += 1;
        }
        // No word-boundary test before `eyJ`: a token glued to other text (`0eyJ…`, found by
        // the property tests) is still a token.
        if dots >= 1 && end - start >= 16 {
            out.push_str(&text[copied_up_to..start]);
            out.push_str(REDACTED);
            copied_up_to = end;
        }
        index = end.max(start + 3);
    }
    out.push_str(&text[copied_up_to..]);
    out
}

fn is_base64url(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_' || byte == b'='
}

/// Extracts the server's own message from an error body (docs/contract.md §Errors): JSON `message`, else
/// `error` as a string or `{message}`, else the first 200 characters of a text body.
/// The result is redacted, stripped of control characters and bounded in length.
pub fn server_message(body: &[u8], api_key: &str) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    let (raw, limit) = match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(json) => (json_message(&json)?, MAX_SERVER_MESSAGE_CHARS),
        Err(_) => (text.trim().to_owned(), MAX_TEXT_BODY_CHARS),
    };
    let cleaned = clean_line(&redact_secrets(&raw, api_key), limit);
    (!cleaned.is_empty()).then_some(cleaned)
}

/// Refold's codes from an error body `{status_code, http_error_type, error | error_code,
/// message}` (docs/contract.md §Errors): the internal code (`error` when it is a string, else
/// `error_code`) and `http_error_type`, each redacted, on one line and bounded.
pub(crate) fn server_codes(body: &[u8], api_key: &str) -> (Option<String>, Option<String>) {
    let Ok(serde_json::Value::Object(json)) = serde_json::from_slice(body) else {
        return (None, None);
    };
    let text = |key: &str| {
        let raw = json.get(key)?.as_str()?;
        let cleaned = clean_line(&redact_secrets(raw, api_key), MAX_SERVER_CODE_CHARS);
        (!cleaned.is_empty()).then_some(cleaned)
    };
    (
        text("error").or_else(|| text("error_code")),
        text("http_error_type"),
    )
}

fn json_message(json: &serde_json::Value) -> Option<String> {
    let as_text = |value: &serde_json::Value| value.as_str().map(str::to_owned);
    if let Some(message) = json.get("message").and_then(as_text) {
        return Some(message);
    }
    match json.get("error")? {
        serde_json::Value::String(message) => Some(message.clone()),
        error => error.get("message").and_then(as_text),
    }
}

/// Control characters become spaces, runs of whitespace collapse, length is bounded.
pub fn clean_line(text: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max_chars + 4));
    let mut last_was_space = true;
    let mut kept = 0;
    for ch in text.chars() {
        if kept == max_chars {
            out.push('…');
            break;
        }
        if ch.is_control() || ch.is_whitespace() {
            if !last_was_space {
                out.push(' ');
                kept += 1;
            }
            last_was_space = true;
        } else {
            out.push(ch);
            kept += 1;
            last_was_space = false;
        }
    }
    out.trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "sk_live_SUPERSECRET_42";
    const JWT: &str = "eyJhbGciOiJIUzI1NiJ9.eyJsaW5rZWRfYWNjb3VudF9pZCI6InUxIn0.c2lnbmF0dXJl";

    #[test]
    fn removes_the_key_and_jwts() {
        let text = format!("key {KEY} token {JWT}; token={JWT}");
        let out = redact_secrets(&text, KEY);
        assert!(!out.contains(KEY) && !out.contains(JWT), "{out}");
        assert_eq!(out, "key [REDACTED] token [REDACTED]; token=[REDACTED]");
    }

    #[test]
    fn removes_tokens_glued_to_other_text() {
        let out = redact_secrets(&format!("0{JWT}x -{JWT}"), KEY);
        assert_eq!(out, "0[REDACTED] -[REDACTED]");
    }

    #[test]
    fn leaves_ordinary_text_alone() {
        let text = "eyJ alone, heyJude.x and a.b.c stay";
        assert_eq!(redact_secrets(text, KEY), text);
    }

    #[test]
    fn server_message_prefers_json_message_then_error() {
        assert_eq!(
            server_message(br#"{"message":"nope"}"#, KEY).unwrap(),
            "nope"
        );
        assert_eq!(server_message(br#"{"error":"bad"}"#, KEY).unwrap(), "bad");
        assert_eq!(
            server_message(br#"{"error":{"message":"deep"}}"#, KEY).unwrap(),
            "deep"
        );
        assert_eq!(server_message(br#"{"other":1}"#, KEY), None);
        assert_eq!(server_message(b"   ", KEY), None);
    }

    #[test]
    fn server_message_strips_controls_and_truncates_text() {
        let body = format!("line1\n\u{7}line2 {}", "x".repeat(400));
        let message = server_message(body.as_bytes(), KEY).unwrap();
        assert!(message.starts_with("line1 line2 x"));
        assert_eq!(message.chars().count(), MAX_TEXT_BODY_CHARS + 1);
        assert!(!message.chars().any(char::is_control));
    }

    #[test]
    fn server_message_redacts_an_echoed_key_and_token() {
        let body = format!(r#"{{"message":"key {KEY} is bad, token {JWT}"}}"#);
        let message = server_message(body.as_bytes(), KEY).unwrap();
        assert!(
            !message.contains(KEY) && !message.contains(JWT),
            "{message}"
        );
    }

    #[test]
    fn server_codes_read_error_then_error_code_bounded_and_redacted() {
        let body = br#"{"status_code":400,"http_error_type":"BAD_REQUEST","error":"INVALID_LINKED_ACCOUNT_ID","message":"m"}"#;
        assert_eq!(
            server_codes(body, KEY),
            (
                Some("INVALID_LINKED_ACCOUNT_ID".into()),
                Some("BAD_REQUEST".into())
            )
        );
        let older = br#"{"http_error_type":"INTERNAL_SERVER_ERROR","error_code":"SERVER_ERROR"}"#;
        assert_eq!(server_codes(older, KEY).0.as_deref(), Some("SERVER_ERROR"));
        let nested = br#"{"error":{"message":"x"},"error_code":"E"}"#;
        assert_eq!(server_codes(nested, KEY).0.as_deref(), Some("E"));
        let hostile = format!(
            r#"{{"error":"{KEY} {JWT}\n{}","http_error_type":"  "}}"#,
            "x".repeat(500)
        );
        let (code, kind) = server_codes(hostile.as_bytes(), KEY);
        let code = code.unwrap();
        assert!(!code.contains(KEY) && !code.contains(JWT), "{code}");
        assert!(code.chars().count() <= MAX_SERVER_CODE_CHARS + 1);
        assert!(!code.chars().any(char::is_control));
        assert_eq!(kind, None);
        for not_codes in [&b"not json"[..], b"[1]", br#"{"error":5}"#, b""] {
            assert_eq!(server_codes(not_codes, KEY), (None, None));
        }
    }

    #[test]
    fn token_redaction_keeps_eight_characters() {
        assert_eq!(redact_token(JWT), "eyJhbGci…");
        assert_eq!(redact_token("short"), "short…");
    }
}
