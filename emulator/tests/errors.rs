//! Every error of every public route has Refold's documented shape
//! (`{status_code, http_error_type, error, message}`), and every known path
//! answers an undeclared method 405 with `Allow`.

mod common;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};

/// How a request authenticates.
#[derive(Clone, Copy)]
enum As {
    Nobody,
    Key,
    WrongKey,
    Token,
    BadToken,
}

async fn send(
    h: &Harness,
    method: &str,
    path: &str,
    who: As,
    token: &str,
    body: &str,
) -> (u16, Value) {
    let mut request = h
        .client
        .request(Method::from_bytes(method.as_bytes()).unwrap(), h.url(path))
        .body(body.to_owned());
    request = match who {
        As::Nobody => request,
        As::Key => request.header("x-api-key", KEY),
        As::WrongKey => request.header("x-api-key", "wrong"),
        As::Token => request.header("authorization", format!("Bearer {token}")),
        As::BadToken => request.header("authorization", "Bearer not.a.token"),
    };
    let response = request.send().await.unwrap();
    assert!(header(&response, "x-request-id").starts_with("req_"));
    assert_eq!(header(&response, "content-type"), "application/json");
    (response.status().as_u16(), json_of(response).await)
}

fn http_error_type(status: u16) -> &'static str {
    match status {
        400 => "BAD_REQUEST",
        401 => "UNAUTHORIZED",
        404 => "NOT_FOUND",
        405 => "METHOD_NOT_ALLOWED",
        413 => "PAYLOAD_TOO_LARGE",
        other => panic!("unexpected {other}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_error_has_the_documented_shape() {
    let h = start().await;
    let token = json_of(h.mint(ACCOUNT).await).await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let account = format!("{ACCOUNT_PATH}/{ACCOUNT}");
    let nobody = format!("{ACCOUNT_PATH}/nobody");
    let huge = "x".repeat(1024 * 1024 + 1);
    #[rustfmt::skip]
    let cases: &[(&str, &str, As, &str, u16, &str)] = &[
        ("POST", TOKEN_PATH, As::WrongKey, r#"{"linked_account_id":"acct-1"}"#, 401, "SERVER_ERROR"),
        ("POST", TOKEN_PATH, As::Key, "{}", 400, "SERVER_ERROR"),
        ("POST", TOKEN_PATH, As::Key, r#"{"linked_account_id":"nobody"}"#, 400, "INVALID_LINKED_ACCOUNT_ID"),
        ("POST", &format!("{TOKEN_PATH}?force_refresh=no"), As::Key, r#"{"linked_account_id":"acct-1"}"#, 400, "SERVER_ERROR"),
        ("POST", "/api/v2/public/session-token/revoke", As::Nobody, "", 401, "INVALID_TOKEN"),
        ("POST", "/api/v2/public/session-token/revoke", As::BadToken, "", 401, "INVALID_TOKEN"),
        ("GET", "/api/v2/public/session/active-linked-account", As::Key, "", 401, "INVALID_TOKEN"),
        ("GET", ACCOUNT_PATH, As::Nobody, "", 401, "SERVER_ERROR"),
        ("GET", &format!("{ACCOUNT_PATH}?limit=0"), As::Key, "", 400, "SERVER_ERROR"),
        ("POST", ACCOUNT_PATH, As::WrongKey, "{}", 401, "SERVER_ERROR"),
        ("POST", ACCOUNT_PATH, As::Key, r#"{"name":"x"}"#, 400, "INVALID_LINKED_ACCOUNT_ID"),
        ("POST", ACCOUNT_PATH, As::Key, r#"{"account_id":"acct-1"}"#, 400, "SERVER_ERROR"),
        ("POST", ACCOUNT_PATH, As::Key, r#"{"account_id":"x","udf":[]}"#, 400, "SERVER_ERROR"),
        ("PUT", ACCOUNT_PATH, As::Nobody, "{}", 401, "SERVER_ERROR"),
        ("PUT", ACCOUNT_PATH, As::Key, "[]", 400, "SERVER_ERROR"),
        ("PUT", ACCOUNT_PATH, As::Key, r#"{"payload":{"name":"x"}}"#, 400, "INVALID_LINKED_ACCOUNT_ID"),
        ("GET", &account, As::WrongKey, "", 401, "SERVER_ERROR"),
        ("GET", &nobody, As::Key, "", 404, "SERVER_ERROR"),
        ("GET", &format!("{ACCOUNT_PATH}/%zz"), As::Key, "", 400, "SERVER_ERROR"),
        ("DELETE", &account, As::Nobody, "", 401, "SERVER_ERROR"),
        ("DELETE", &nobody, As::Key, "", 404, "SERVER_ERROR"),
        ("GET", "/api/v2/public/application", As::Nobody, "", 401, "SERVER_ERROR"),
        ("GET", "/api/v2/public/application", As::Key, "", 404, "MISSING_REQUIRED_FIELD"),
        ("GET", "/api/v2/public/application", As::Token, "", 401, "SERVER_ERROR"),
        ("GET", "/api/v2/f-sdk/application", As::Nobody, "", 401, "INVALID_TOKEN"),
        ("GET", "/api/v2/f-sdk/application/nope", As::Token, "", 404, "APPLICATION_NOT_FOUND"),
        ("POST", "/api/v2/app/parcel-post/save", As::BadToken, "{}", 401, "INVALID_TOKEN"),
        ("POST", "/api/v2/app/parcel-post/save", As::Token, "{}", 400, "SERVER_ERROR"),
        ("POST", "/api/v2/app/lumen-crm/save", As::Token, "{}", 400, "SERVER_ERROR"),
        ("DELETE", "/api/v1/linked-acc/integration/parcel-post", As::Key, "", 401, "INVALID_TOKEN"),
        ("DELETE", "/api/v1/linked-acc/integration/%zz", As::Token, "", 400, "SERVER_ERROR"),
        ("GET", "/api/v3/org/basics", As::Nobody, "", 401, "INVALID_TOKEN"),
        ("GET", "/api/v1/lumen-crm/integrate", As::BadToken, "", 401, "INVALID_TOKEN"),
        ("GET", "/api/v1/parcel-post/integrate", As::Token, "", 400, "SERVER_ERROR"),
        ("GET", "/api/v2/public/nope", As::Key, "", 404, "ROUTE_NOT_FOUND"),
        ("PATCH", ACCOUNT_PATH, As::Key, "", 405, "METHOD_NOT_ALLOWED"),
        ("POST", ACCOUNT_PATH, As::Key, &huge, 413, "SERVER_ERROR"),
    ];
    for (method, path, who, body, status, code) in cases {
        let (got, answer) = send(&h, method, path, *who, &token, body).await;
        assert_eq!(got, *status, "{method} {path}: {answer}");
        let message = answer["message"].as_str().unwrap_or_default();
        assert!(!message.is_empty(), "{method} {path}: {answer}");
        assert_eq!(
            answer,
            json!({ "status_code": status, "http_error_type": http_error_type(*status),
                    "error": code, "message": message }),
            "{method} {path}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_known_path_answers_undeclared_methods_405_with_allow() {
    let h = start().await;
    #[rustfmt::skip]
    let paths: &[(&str, &str)] = &[
        (TOKEN_PATH, "POST"),
        ("/api/v2/public/session-token/revoke", "POST"),
        ("/api/v2/public/session/active-linked-account", "GET"),
        (ACCOUNT_PATH, "GET, POST, PUT"),
        ("/api/v2/public/linked-account/someone", "GET, DELETE"),
        ("/api/v2/public/application", "GET"),
        ("/api/v2/public/application/parcel-post", "GET"),
        ("/api/v2/f-sdk/application", "GET"),
        ("/api/v2/f-sdk/application/parcel-post", "GET"),
        ("/api/v2/app/parcel-post/save", "POST"),
        ("/api/v1/linked-acc/integration/parcel-post", "DELETE"),
        ("/api/v3/org/basics", "GET"),
        ("/api/v1/lumen-crm/integrate", "GET"),
        ("/__emulator/faults", "POST"),
        ("/__emulator/reset", "POST"),
        ("/__emulator/requests", "GET"),
        ("/__emulator/connections", "GET"),
        ("/__emulator/config", "GET, POST"),
        ("/__emulator/oauth/authorize", "GET"),
    ];
    for (path, allow) in paths {
        for method in ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"] {
            if allow.split(", ").any(|m| m == method) {
                continue;
            }
            let response = h
                .client
                .request(Method::from_bytes(method.as_bytes()).unwrap(), h.url(path))
                .header("x-api-key", KEY)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 405, "{method} {path}");
            assert_eq!(header(&response, "allow"), *allow, "{method} {path}");
            if method != "HEAD" {
                let answer = json_of(response).await;
                assert_eq!(answer["error"], "METHOD_NOT_ALLOWED");
            }
        }
    }
    // Browsers' preflights where session tokens go; elsewhere OPTIONS is a
    // method like any other.
    let preflight = h
        .client
        .request(
            Method::OPTIONS,
            h.url("/api/v2/public/session-token/revoke"),
        )
        .header("origin", "http://page.test")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), 204);
    assert_eq!(header(&preflight, "access-control-allow-methods"), "POST");
    let options = h
        .client
        .request(Method::OPTIONS, h.url(TOKEN_PATH))
        .send()
        .await
        .unwrap();
    assert_eq!(options.status(), 405);
    assert_eq!(h.requests().await["count"], 0, "none of them is logged");
}
