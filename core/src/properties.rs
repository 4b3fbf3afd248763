//! Property tests of everything that reads bytes from the network or the caller: the response
//! body reading and error mapping, JWT time claims, `Retry-After`, the redaction scanner and
//! option validation. The properties: never a panic, every number from the wire bounded by our
//! own limits, never the API key or a token in a message.
//!
//! `cargo test` runs a few hundred cases each (fast); `make fuzz` runs them with
//! `PROPTEST_CASES` raised for a set time.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use proptest::prelude::*;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use crate::error::ErrorCode;
use crate::host::{HostValue, client_options};
use crate::mapping::{Call, extract_token, status_error, with_response_context};
use crate::options::Dialect;
use crate::redact::{redact_secrets, server_message};
use crate::retry::{MAX_HONOURED_RETRY_AFTER, delay_before_retry, retry_after};
use crate::time::{LATEST_UNIX_SECONDS, format_rfc3339};
use crate::token::{SessionToken, TOKEN_LIFETIME};
use crate::validate::{MAX_LINKED_ACCOUNT_ID_BYTES, validate_linked_account_id};

const KEY: &str = "sk_prop_DISTINCTIVE_51c0";
const JWT: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwcm9wIn0.c2lnbmF0dXJlX3Byb3A";

/// Bytes that look like what a hostile server sends: JSON-ish fragments, the key, a token.
fn body_bytes() -> impl Strategy<Value = Vec<u8>> {
    let fragment = prop_oneof![
        Just(b"{\"token\":".to_vec()),
        Just(b"{\"message\":\"".to_vec()),
        Just(b"{\"error\":{\"message\":".to_vec()),
        Just(b"\"}".to_vec()),
        Just(KEY.as_bytes().to_vec()),
        Just(JWT.as_bytes().to_vec()),
        Just(b"\\u0000\n\r\t".to_vec()),
        proptest::collection::vec(any::<u8>(), 0..64),
    ];
    proptest::collection::vec(fragment, 0..12).prop_map(|parts| parts.concat())
}

fn jwt_with_payload(payload: &str) -> String {
    format!(
        "eyJhbGciOiJIUzI1NiJ9.{}.c2ln",
        URL_SAFE_NO_PAD.encode(payload)
    )
}

/// A NumericDate as a hostile issuer might write it.
fn numeric_date() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|n| format!("{n:e}")),
        (0u64..=LATEST_UNIX_SECONDS + 10 * 86_400).prop_map(|n| n.to_string()),
        Just("1e400".to_owned()),
        Just("\"2030-01-01\"".to_owned()),
        Just("null".to_owned()),
    ]
}

fn in_host_range(time: SystemTime) -> bool {
    time >= UNIX_EPOCH
        && time <= UNIX_EPOCH + Duration::from_secs(LATEST_UNIX_SECONDS) + TOKEN_LIFETIME
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_2xx_body_gives_a_token_or_invalid_response(body in body_bytes()) {
        match extract_token(&body) {
            Ok(answer) => prop_assert!(!answer.token.is_empty()),
            Err(error) => {
                prop_assert_eq!(error.code(), ErrorCode::InvalidResponse);
                prop_assert!(!error.message().contains(KEY));
                prop_assert!(!error.message().contains("eyJ"));
            }
        }
    }

    #[test]
    fn any_error_answer_maps_without_secrets(
        status in 100u16..1000,
        body in body_bytes(),
        id in "\\PC{0,40}",
        request_id in "[ -~]{0,300}",
        wait in "[ -~]{0,40}",
    ) {
        let mut headers = HeaderMap::new();
        if let Ok(value) = HeaderValue::from_str(&format!("{request_id}{KEY}")) {
            headers.insert(HeaderName::from_static("x-request-id"), value);
        }
        if let Ok(value) = HeaderValue::from_str(&wait) {
            headers.insert(HeaderName::from_static("retry-after"), value);
        }
        let error = with_response_context(status_error(Call::SessionToken(&id), status, &body, KEY), status, &headers, KEY);
        prop_assert!(!error.message().contains(KEY));
        prop_assert!(!error.message().contains(JWT));
        prop_assert!(error.message().chars().count() < 1200);
        prop_assert!(!error.request_id().unwrap_or("").contains(KEY));
        prop_assert!(error.request_id().unwrap_or("").chars().count() <= 201);
        prop_assert_eq!(error.status(), Some(status));
    }

    #[test]
    fn server_messages_are_one_short_clean_line(body in body_bytes()) {
        if let Some(message) = server_message(&body, KEY) {
            prop_assert!(message.chars().count() <= 501);
            prop_assert!(!message.chars().any(char::is_control));
            prop_assert!(!message.contains(KEY) && !message.contains(JWT));
        }
    }

    #[test]
    fn token_times_stay_in_every_hosts_range(
        exp in proptest::option::of(numeric_date()),
        iat in proptest::option::of(numeric_date()),
        received in 0u64..4_000_000_000,
    ) {
        let mut claims = Vec::new();
        if let Some(exp) = exp { claims.push(format!("\"exp\":{exp}")); }
        if let Some(iat) = iat { claims.push(format!("\"iat\":{iat}")); }
        let token = jwt_with_payload(&format!("{{{}}}", claims.join(",")));
        let received_at = UNIX_EPOCH + Duration::from_secs(received);
        let session = SessionToken::from_response(token, "acct".into(), received_at);
        prop_assert!(in_host_range(session.expires_at()) || session.expires_at() == received_at + TOKEN_LIFETIME);
        if let Some(issued) = session.issued_at() {
            prop_assert!(in_host_range(issued));
        }
        let text = format_rfc3339(session.expires_at());
        prop_assert_eq!(text.len(), 20, "{}", text);
        prop_assert!(text.ends_with('Z'));
    }

    #[test]
    fn any_token_text_is_accepted_without_panicking(token in "\\PC{0,200}", dots in 0usize..5) {
        let token = format!("{token}{}", ".x".repeat(dots));
        let received_at = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let session = SessionToken::from_response(token, "acct".into(), received_at);
        prop_assert!(session.expires_at() > UNIX_EPOCH);
    }

    #[test]
    fn server_waits_are_bounded(
        ms in "[ -~]{0,30}",
        seconds in "[ -~]{0,40}",
        numeric in any::<f64>(),
        retry in 0u32..100,
    ) {
        let mut headers = HeaderMap::new();
        for (name, value) in [("retry-after-ms", ms), ("retry-after", seconds)] {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(HeaderName::from_static(name), value);
            }
        }
        let now = SystemTime::now();
        let wish = retry_after(&headers, now);
        if let Some(wish) = wish {
            prop_assert!(wish < Duration::from_secs(1_000_000_000_000));
        }
        let delay = delay_before_retry(retry, wish);
        prop_assert!(delay <= MAX_HONOURED_RETRY_AFTER);
        let mut numeric_headers = HeaderMap::new();
        numeric_headers.insert("retry-after", HeaderValue::from_str(&numeric.to_string()).unwrap());
        prop_assert!(delay_before_retry(retry, retry_after(&numeric_headers, now)) <= MAX_HONOURED_RETRY_AFTER);
    }

    #[test]
    fn redaction_removes_every_key_and_token(
        before in "\\PC{0,60}",
        between in "\\PC{0,60}",
        after in "\\PC{0,60}",
    ) {
        let text = format!("{before}{KEY}{between} {JWT}{after}");
        let out = redact_secrets(&text, KEY);
        prop_assert!(!out.contains(KEY), "{}", out);
        prop_assert!(!out.contains(JWT), "{}", out);
    }

    #[test]
    fn any_linked_account_id_is_accepted_or_invalid_input(id in "\\PC{0,40}|[\\x00-\\x20]{0,4}|.{1000,1030}") {
        match validate_linked_account_id(&id) {
            Ok(()) => {
                prop_assert!(!id.trim().is_empty() && id.len() <= MAX_LINKED_ACCOUNT_ID_BYTES);
            }
            Err(error) => {
                prop_assert_eq!(error.code(), ErrorCode::InvalidInput);
                prop_assert_eq!(error.attempts(), 0);
            }
        }
    }

    #[test]
    fn any_options_build_or_fail_as_configuration(
        api_key in proptest::option::of("\\PC{0,30}"),
        environment in proptest::option::of("\\PC{0,12}|production|sandbox"),
        base_url in proptest::option::of("\\PC{0,40}|https?://[a-z0-9.:\\[\\]]{0,30}/?[ -~]{0,10}"),
        timeout in proptest::option::of(any::<f64>()),
        retries in proptest::option::of(any::<f64>()),
        idle in proptest::option::of(any::<f64>()),
        connections in proptest::option::of(any::<f64>()),
        problem in any::<bool>(),
    ) {
        let text = |value: Option<String>| value.map_or(HostValue::Missing, HostValue::Text);
        let number = |value: Option<f64>| value.map_or(HostValue::Missing, HostValue::Number);
        let api_key = if problem {
            HostValue::NotUnicode
        } else {
            text(api_key.map(|key| format!("{key}{KEY}")))
        };
        let given = HostValue::map(vec![
            ("apiKey", api_key),
            ("environment", text(environment)),
            ("baseUrl", text(base_url)),
            ("timeoutMs", number(timeout)),
            ("maxRetries", number(retries)),
            ("maxIdleConnections", number(idle)),
            ("maxConnections", number(connections)),
            ("readEnvironmentVariables", HostValue::Bool(false)),
        ]);
        let built = client_options(&given, &Dialect::NODE)
            .and_then(|options| options.resolve(&Dialect::NODE, None));
        if let Err(error) = built {
            prop_assert_eq!(error.code(), ErrorCode::Configuration);
            prop_assert!(!error.message().contains(KEY));
            prop_assert!(error.message().chars().count() < 400);
        }
    }
}
