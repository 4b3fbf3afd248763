//! Session tokens as Refold documents them: reuse and `force_refresh`,
//! revocation (then refused by every route taking a session token), the
//! active linked account, and the older guide's behaviour behind
//! `legacy_session_token`.

mod common;

use std::time::Duration;

use common::*;
use refold_emulator::EmulatorConfig;
use reqwest::Method;
use serde_json::{Value, json};

const SECRET: &[u8] = b"refold-emulator-secret";

async fn issue(h: &Harness, query: &str, id: &str) -> (u16, Value) {
    let response = h
        .client
        .post(h.url(&format!("{TOKEN_PATH}{query}")))
        .header("x-api-key", KEY)
        .body(json!({ "linked_account_id": id }).to_string())
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), json_of(response).await)
}

/// A request with `authorization: Bearer <token>`; status and JSON body.
async fn bearer(h: &Harness, method: Method, path: &str, token: &str) -> (u16, Value) {
    let mut request = h
        .client
        .request(method, h.url(path))
        .header("authorization", format!("Bearer {token}"));
    if path.ends_with("/save") {
        request = request.body(r#"{"api_key":"k"}"#);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), json_of(response).await)
}

fn invalid_token() -> Value {
    json!({ "status_code": 401, "http_error_type": "UNAUTHORIZED", "error": "INVALID_TOKEN",
            "message": "Invalid token" })
}

/// Every route that takes a session token, with a method it declares.
const BEARER_ROUTES: &[(&str, &str)] = &[
    ("GET", "/api/v2/public/session/active-linked-account"),
    ("POST", "/api/v2/public/session-token/revoke"),
    ("GET", "/api/v2/f-sdk/application"),
    ("GET", "/api/v2/f-sdk/application/parcel-post"),
    ("POST", "/api/v2/app/parcel-post/save"),
    ("DELETE", "/api/v1/linked-acc/integration/parcel-post"),
    ("GET", "/api/v3/org/basics"),
    ("GET", "/api/v1/lumen-crm/integrate"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_valid_token_is_answered_again_until_force_refresh() {
    let h = start().await;
    let (status, first) = issue(&h, "", ACCOUNT).await;
    assert_eq!(status, 200);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (_, again) = issue(&h, "", ACCOUNT).await;
    assert_eq!(again["token"], first["token"]);
    assert_eq!(again["refresh_token"], first["refresh_token"]);
    // The same token, with what is left of its life.
    let (before, after) = (
        first["expires_in"].as_u64().unwrap(),
        again["expires_in"].as_u64().unwrap(),
    );
    assert!(after < before && before - after <= 2, "{before} {after}");
    let exp = verified_claims(again["token"].as_str().unwrap(), SECRET)["exp"]
        .as_u64()
        .unwrap();
    assert!(exp.abs_diff(unix_now() + after) <= 1);
    // The same answer again (a second may have begun since: its lifetimes one less).
    let unforced = issue(&h, "?force_refresh=false", ACCOUNT).await.1;
    assert_eq!(unforced["token"], again["token"]);
    assert_eq!(unforced["refresh_token"], again["refresh_token"]);
    for lifetime in ["expires_in", "refresh_expires_in"] {
        let (earlier, later) = (
            again[lifetime].as_u64().unwrap(),
            unforced[lifetime].as_u64().unwrap(),
        );
        assert!(earlier - later <= 1, "{lifetime}: {earlier} then {later}");
    }

    let (status, fresh) = issue(&h, "?force_refresh=true", ACCOUNT).await;
    assert_eq!(status, 200);
    assert_ne!(fresh["token"], first["token"]);
    assert_eq!(fresh["expires_in"], 604_800);
    // The new one is the one answered from now on; the old one still works.
    assert_eq!(issue(&h, "", ACCOUNT).await.1["token"], fresh["token"]);
    let (status, _) = bearer(
        &h,
        Method::GET,
        "/api/v2/f-sdk/application",
        first["token"].as_str().unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    // Every account has its own.
    let other = start_with(EmulatorConfig {
        any_linked_account: true,
        ..local_config()
    })
    .await;
    let (_, a) = issue(&other, "", "a").await;
    let (_, b) = issue(&other, "", "b").await;
    assert_ne!(a["token"], b["token"]);
    // A reset forgets the tokens kept for reuse.
    h.reset().await;
    assert_ne!(issue(&h, "", ACCOUNT).await.1["token"], fresh["token"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_token_is_not_answered_again() {
    let h = start().await;
    let response = h
        .client
        .post(h.url("/__emulator/config"))
        .body(r#"{"token_ttl_s": 1}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let (_, first) = issue(&h, "", ACCOUNT).await;
    assert_eq!(first["expires_in"], 1);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (_, second) = issue(&h, "", ACCOUNT).await;
    assert_ne!(second["token"], first["token"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn force_refresh_takes_true_or_false_only() {
    let h = start().await;
    for query in [
        "?force_refresh=1",
        "?force_refresh=TRUE",
        "?force_refresh=",
        "?force_refresh",
        "?force_refresh=true&force_refresh=true",
    ] {
        let (status, body) = issue(&h, query, ACCOUNT).await;
        assert_eq!(status, 400, "{query}");
        assert_eq!(body["status_code"], 400);
        assert_eq!(body["http_error_type"], "BAD_REQUEST");
        assert_eq!(body["error"], "SERVER_ERROR");
        assert!(body["message"].as_str().unwrap().contains("force_refresh"));
    }
    // Other parameters are ignored.
    assert_eq!(issue(&h, "?other=1", ACCOUNT).await.0, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_token_is_refused_everywhere_and_never_answered_again() {
    let h = start().await;
    let (_, issued) = issue(&h, "", ACCOUNT).await;
    let token = issued["token"].as_str().unwrap();
    let (status, body) = bearer(
        &h,
        Method::POST,
        "/api/v2/public/session-token/revoke",
        token,
    )
    .await;
    assert_eq!(
        (status, body),
        (200, json!({ "success": true, "revoked_count": 1 }))
    );

    for (method, path) in BEARER_ROUTES {
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let (status, body) = bearer(&h, method, path, token).await;
        assert_eq!((status, body), (401, invalid_token()), "{path}");
    }
    // A new token, then: revoked tokens are never handed out again.
    let (_, next) = issue(&h, "", ACCOUNT).await;
    assert_ne!(next["token"], issued["token"]);
    let next = next["token"].as_str().unwrap();
    let (status, _) = bearer(&h, Method::GET, "/api/v3/org/basics", next).await;
    assert_eq!(status, 200);

    // A token no longer the account's current one: revoked, 0 removed.
    let (_, newer) = issue(&h, "?force_refresh=true", ACCOUNT).await;
    let (status, body) = bearer(
        &h,
        Method::POST,
        "/api/v2/public/session-token/revoke",
        next,
    )
    .await;
    assert_eq!(
        (status, body),
        (200, json!({ "success": true, "revoked_count": 0 }))
    );
    let (status, _) = bearer(&h, Method::GET, "/api/v3/org/basics", next).await;
    assert_eq!(status, 401);
    assert_eq!(issue(&h, "", ACCOUNT).await.1["token"], newer["token"]);

    // Without a token, or with garbage: 401.
    let response = h
        .client
        .post(h.url("/api/v2/public/session-token/revoke"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(json_of(response).await, invalid_token());
    let (status, _) = bearer(
        &h,
        Method::POST,
        "/api/v2/public/session-token/revoke",
        "x.y.z",
    )
    .await;
    assert_eq!(status, 401);
    // The API key is no session token.
    let response = h
        .client
        .post(h.url("/api/v2/public/session-token/revoke"))
        .header("x-api-key", KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    // The log shows the token redacted.
    let log = h.requests().await.to_string();
    assert!(!log.contains(token) && log.contains("Bearer [redacted]"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_active_linked_account_is_the_tokens() {
    let h = start().await;
    let created = h
        .client
        .put(h.url(ACCOUNT_PATH))
        .header("x-api-key", KEY)
        .body(r#"{"account_id":"user_12345","name":"Acme Inc.","udf":{"plan":"pro"}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 200);
    let (_, issued) = issue(&h, "", "user_12345").await;
    let token = issued["token"].as_str().unwrap();
    let (status, _) = bearer(&h, Method::POST, "/api/v2/app/parcel-post/save", token).await;
    assert_eq!(status, 200);

    let (status, active) = bearer(
        &h,
        Method::GET,
        "/api/v2/public/session/active-linked-account",
        token,
    )
    .await;
    assert_eq!(status, 200, "{active}");
    assert_eq!(active["account_id"], "user_12345");
    assert_eq!(active["name"], "Acme Inc.");
    assert_eq!(active["environment"], "test");
    assert_eq!(active["udf"][0]["key_name"], "plan");
    let integrations = active["integrations"].as_array().unwrap();
    assert_eq!(integrations.len(), 1);
    let integration = &integrations[0];
    assert_eq!(integration["type"], "parcel-post");
    assert_eq!(integration["name"], "Parcel Post");
    assert_eq!(integration["app_id"], Value::Null);
    assert_eq!(integration["reauth_required"], false);
    assert!(integration["icon"].as_str().unwrap().starts_with("data:"));
    assert!(integration["createdAt"].is_string() && integration["updatedAt"].is_string());
    // The same document the API key reads.
    let by_key = h
        .client
        .get(h.url(&format!("{ACCOUNT_PATH}/user_12345")))
        .header("x-api-key", KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(json_of(by_key).await, active);

    // Not with the API key: only a session token names the account.
    let response = h
        .client
        .get(h.url("/api/v2/public/session/active-linked-account"))
        .header("x-api-key", KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(json_of(response).await, invalid_token());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn legacy_mode_answers_as_the_older_guide() {
    let h = start_with(EmulatorConfig {
        linked_accounts: vec![ACCOUNT.to_owned()],
        legacy_session_token: true,
        ..local_config()
    })
    .await;
    let (status, first) = issue(&h, "", ACCOUNT).await;
    assert_eq!(status, 200);
    assert_eq!(first.as_object().unwrap().len(), 1, "{first}");
    let (_, second) = issue(&h, "", ACCOUNT).await;
    assert_ne!(second["token"], first["token"], "a new token every time");
    // force_refresh is not known there: ignored.
    assert_eq!(issue(&h, "?force_refresh=maybe", ACCOUNT).await.0, 200);

    let response = h
        .client
        .post(h.url(TOKEN_PATH))
        .header("x-api-key", KEY)
        .body(r#"{"linked_account_id":"T1234567"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 500);
    let request_id = header(&response, "x-request-id").to_owned();
    assert_eq!(
        json_of(response).await,
        json!({ "status_code": 500, "http_error_type": "INTERNAL_SERVER_ERROR",
                "error_code": "SERVER_ERROR",
                "message": "No linked account found for account id : T1234567 in environment test",
                "request_id": request_id })
    );
    let response = h
        .post_token(
            Some("wrong"),
            json!({ "linked_account_id": ACCOUNT }).to_string(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let request_id = header(&response, "x-request-id").to_owned();
    assert_eq!(
        json_of(response).await,
        json!({ "status_code": 401, "http_error_type": "UNAUTHORIZED",
                "error_code": "SERVER_ERROR", "message": "Invalid Credentials",
                "request_id": request_id })
    );
    // Only the session-token route changes: the others keep today's shape.
    let response = h.client.get(h.url(ACCOUNT_PATH)).send().await.unwrap();
    assert_eq!(json_of(response).await["error"], "SERVER_ERROR");
    // Tokens still work, and revoke (documented in both generations).
    let token = first["token"].as_str().unwrap();
    let (status, body) = bearer(
        &h,
        Method::POST,
        "/api/v2/public/session-token/revoke",
        token,
    )
    .await;
    assert_eq!(
        (status, body),
        (200, json!({ "success": true, "revoked_count": 0 }))
    );
    let (status, _) = bearer(&h, Method::GET, "/api/v3/org/basics", token).await;
    assert_eq!(status, 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn legacy_mode_switches_at_run_time_and_a_reset_restores_it() {
    let h = start().await;
    let config = |body: &'static str| h.client.post(h.url("/__emulator/config")).body(body).send();
    let answer = json_of(config(r#"{"legacy_session_token": true}"#).await.unwrap()).await;
    assert_eq!(answer["legacy_session_token"], true);
    assert_eq!(h.mint("nobody").await.status(), 500);
    let (_, body) = issue(&h, "", ACCOUNT).await;
    assert!(body.get("expires_in").is_none(), "{body}");
    h.reset().await;
    assert_eq!(h.mint("nobody").await.status(), 400);
    let (_, body) = issue(&h, "", ACCOUNT).await;
    assert!(body["expires_in"].is_u64(), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_of_a_re_created_account_start_afresh() {
    let h = start().await;
    let (_, before) = issue(&h, "", ACCOUNT).await;
    let before = before["token"].as_str().unwrap().to_owned();
    let delete = h
        .client
        .delete(h.url(&format!("{ACCOUNT_PATH}/{ACCOUNT}")))
        .header("x-api-key", KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(delete.status(), 200);
    let create = h
        .client
        .post(h.url(ACCOUNT_PATH))
        .header("x-api-key", KEY)
        .body(json!({ "account_id": ACCOUNT }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(create.status(), 200);
    let (status, _) = bearer(&h, Method::GET, "/api/v3/org/basics", &before).await;
    assert_eq!(status, 401);
    let (_, after) = issue(&h, "", ACCOUNT).await;
    assert_ne!(after["token"], before.as_str());
    let (status, _) = bearer(
        &h,
        Method::GET,
        "/api/v3/org/basics",
        after["token"].as_str().unwrap(),
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_public_application_list_takes_the_key_and_an_account() {
    let h = start().await;
    let (_, issued) = issue(&h, "", ACCOUNT).await;
    let token = issued["token"].as_str().unwrap();
    let (status, _) = bearer(&h, Method::POST, "/api/v2/app/parcel-post/save", token).await;
    assert_eq!(status, 200);
    // The description's security for the applications is the API key only.
    let (status, refused) = bearer(&h, Method::GET, "/api/v2/public/application", token).await;
    assert_eq!(status, 401);
    assert_eq!(refused["message"], "Invalid Credentials");
    let by_header = h
        .client
        .get(h.url("/api/v2/public/application"))
        .header("x-api-key", KEY)
        .header("linked_account_id", ACCOUNT)
        .send()
        .await
        .unwrap();
    assert_eq!(by_header.status(), 200);
    let by_header = json_of(by_header).await;
    let by_query = h
        .client
        .get(h.url(&format!(
            "/api/v2/public/application?linked_account_id={ACCOUNT}"
        )))
        .header("x-api-key", KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(json_of(by_query).await, by_header);
    let parcel = by_header
        .as_array()
        .unwrap()
        .iter()
        .find(|app| app["slug"] == "parcel-post")
        .unwrap();
    assert_eq!(parcel["connected"], true);
    assert_eq!(parcel["connected_accounts"][0]["auth_type"], "keybased");
    let one = h
        .client
        .get(h.url("/api/v2/public/application/parcel-post"))
        .header("x-api-key", KEY)
        .header("linked_account_id", ACCOUNT)
        .send()
        .await
        .unwrap();
    assert_eq!(one.status(), 200);
    assert_eq!(&json_of(one).await, parcel);

    // The key alone names no account (the documented 404); an unknown one
    // is refused.
    for (account, status, code) in [
        (None, 404, "MISSING_REQUIRED_FIELD"),
        (Some("nobody"), 400, "INVALID_LINKED_ACCOUNT_ID"),
    ] {
        let mut request = h
            .client
            .get(h.url("/api/v2/public/application"))
            .header("x-api-key", KEY);
        if let Some(account) = account {
            request = request.header("linked_account_id", account);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), status);
        assert_eq!(json_of(response).await["error"], code);
    }
    let response = h
        .client
        .get(h.url("/api/v2/public/application"))
        .header("linked_account_id", ACCOUNT)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}
