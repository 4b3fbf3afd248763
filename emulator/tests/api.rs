//! The public API: session tokens, linked accounts, errors and routing.

mod common;

use common::*;
use refold_emulator::{Emulator, EmulatorConfig, verify_token};
use serde_json::json;

const DEFAULT_SECRET: &[u8] = b"refold-emulator-secret";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn valid_request_gets_a_signed_token_with_the_right_claims() {
    let h = start().await;
    let response = h.mint(ACCOUNT).await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "content-type"), "application/json");
    assert_eq!(header(&response, "x-request-id"), "req_1");
    let body = json_of(response).await;
    let token = body["token"].as_str().expect("token is a string");
    let members: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        members,
        ["expires_in", "refresh_expires_in", "refresh_token", "token"]
    );

    let claims = verified_claims(token, DEFAULT_SECRET);
    assert_eq!(claims["org_id"], "emulator-org");
    assert_eq!(claims["linked_account_id"], ACCOUNT);
    assert_eq!(claims["environment"], "test");
    assert!(claims.get("is_refresh").is_none());
    let iat = claims["iat"].as_u64().unwrap();
    assert!(iat.abs_diff(unix_now()) <= 5, "iat {iat} is not now");
    // Seven days by default, and expires_in is what is left of them.
    let exp = claims["exp"].as_u64().unwrap();
    assert_eq!(exp, iat + 604_800);
    let expires_in = body["expires_in"].as_u64().unwrap();
    assert!(exp.abs_diff(unix_now() + expires_in) <= 1, "{body}");
    // The refresh token: 30 days, marked, for the same account.
    let refresh = verified_claims(body["refresh_token"].as_str().unwrap(), DEFAULT_SECRET);
    assert_eq!(refresh["is_refresh"], true);
    assert_eq!(refresh["linked_account_id"], ACCOUNT);
    assert_eq!(refresh["exp"].as_u64().unwrap(), iat + 2_592_000);
    let refresh_expires_in = body["refresh_expires_in"].as_u64().unwrap();
    assert_eq!(refresh_expires_in - expires_in, 2_592_000 - 604_800);
    // The crate's own helper agrees.
    assert_eq!(verify_token(token, DEFAULT_SECRET), Some(claims));
    assert_eq!(verify_token(token, b"another secret"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn org_secret_and_keys_come_from_the_config() {
    let h = start_with(EmulatorConfig {
        api_keys: vec!["k1".into(), "k2".into()],
        org_id: "org-x".into(),
        signing_secret: b"s3cret".to_vec(),
        any_linked_account: true,
        ..local_config()
    })
    .await;
    for key in ["k1", "k2"] {
        let response = h
            .post_token(Some(key), r#"{"linked_account_id":"u"}"#.into())
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "key {key}");
        let token = json_of(response).await["token"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(verified_claims(&token, b"s3cret")["org_id"], "org-x");
    }
    // The default key is not accepted once keys are configured.
    let response = h
        .post_token(Some(KEY), r#"{"linked_account_id":"u"}"#.into())
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn any_linked_account_accepts_unknown_ids_exactly_as_sent() {
    let h = start_with(EmulatorConfig {
        any_linked_account: true,
        ..local_config()
    })
    .await;
    let id = "user \"42\" \\ é 日本 🚀";
    let response = h.mint(id).await;
    assert_eq!(response.status(), 200);
    let token = json_of(response).await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        verified_claims(&token, DEFAULT_SECRET)["linked_account_id"],
        id
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_or_wrong_api_key_is_401() {
    let h = start().await;
    let body = json!({ "linked_account_id": ACCOUNT }).to_string();
    for key in [None, Some("wrong"), Some("")] {
        let response = h.post_token(key, body.clone()).await.unwrap();
        assert_eq!(response.status(), 401, "key {key:?}");
        assert!(header(&response, "x-request-id").starts_with("req_"));
        assert_eq!(
            json_of(response).await,
            json!({"status_code": 401, "http_error_type": "UNAUTHORIZED",
                   "error": "SERVER_ERROR", "message": "Invalid Credentials"})
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_bodies_are_400_in_the_documented_shape() {
    let h = start().await;
    for body in ["", "not json", "[]", r#""acct-1""#] {
        let response = h.post_token(Some(KEY), body.into()).await.unwrap();
        assert_eq!(response.status(), 400, "body {body:?}");
        let answer = json_of(response).await;
        assert_eq!(answer["status_code"], 400);
        assert_eq!(answer["http_error_type"], "BAD_REQUEST");
        assert_eq!(answer["error"], "SERVER_ERROR");
        assert!(!answer["message"].as_str().unwrap().is_empty());
    }
    for body in [
        "{}",
        r#"{"linked_account_id":""}"#,
        r#"{"linked_account_id":42}"#,
        r#"{"linked_account_id":null}"#,
    ] {
        let response = h.post_token(Some(KEY), body.into()).await.unwrap();
        assert_eq!(
            json_of(response).await,
            json!({"status_code": 400, "http_error_type": "BAD_REQUEST",
                   "error": "SERVER_ERROR", "message": "linked_account_id is required"}),
            "body {body}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_linked_account_is_400_as_documented() {
    let h = start().await;
    let response = h.mint("user_99999").await;
    assert_eq!(response.status(), 400);
    assert_eq!(
        json_of(response).await,
        json!({"status_code": 400, "http_error_type": "BAD_REQUEST",
               "error": "INVALID_LINKED_ACCOUNT_ID",
               "message": "No linked account found for account id : user_99999 in environment test"})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn linked_account_endpoint_creates_and_updates_accounts() {
    let h = start().await;
    assert_eq!(h.mint("new-user").await.status(), 400);

    let create = h
        .client
        .post(h.url(ACCOUNT_PATH))
        .header("x-api-key", KEY)
        .body(r#"{"linked_account_id":"new-user","name":"New User"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(create.status(), 200);
    assert!(header(&create, "x-request-id").starts_with("req_"));
    let created = json_of(create).await;
    assert_eq!(created["account_id"], "new-user");
    assert_eq!(created["name"], "New User");
    assert_eq!(created["integrations"], serde_json::Value::Null);
    assert_eq!(h.mint("new-user").await.status(), 200);

    let put = |body: &'static str| {
        h.client
            .put(h.url(ACCOUNT_PATH))
            .header("x-api-key", KEY)
            .body(body)
            .send()
    };
    let renamed = put(r#"{"linked_account_id":"new-user","name":"Renamed"}"#)
        .await
        .unwrap();
    assert_eq!(json_of(renamed).await["name"], "Renamed");
    // Without a name the current one is kept; PUT also creates.
    let kept = put(r#"{"linked_account_id":"new-user"}"#).await.unwrap();
    assert_eq!(json_of(kept).await["name"], "Renamed");
    let created = json_of(put(r#"{"linked_account_id":"other"}"#).await.unwrap()).await;
    assert_eq!(created["account_id"], "other");
    assert_eq!(created["new_account"], true);
    assert!(created.get("name").is_none(), "{created}");
    assert_eq!(h.mint("other").await.status(), 200);

    for bad in [
        r#"{"name":"x"}"#,
        r#"{"linked_account_id":""}"#,
        r#"{"linked_account_id":"a","name":5}"#,
        "nope",
    ] {
        let response = put(bad).await.unwrap();
        assert_eq!(response.status(), 400, "body {bad}");
        assert!(json_of(response).await["message"].is_string());
    }
    let unauthorized = h
        .client
        .post(h.url(ACCOUNT_PATH))
        .header("x-api-key", "wrong")
        .body(r#"{"linked_account_id":"sneaky"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(unauthorized.status(), 401);
    assert_eq!(h.mint("sneaky").await.status(), 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_paths_are_404_and_wrong_methods_405() {
    let h = start().await;
    let missing = h
        .client
        .get(h.url("/api/v2/public/nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(header(&missing, "content-type"), "application/json");
    let answer = json_of(missing).await;
    assert_eq!(answer["status_code"], 404);
    assert_eq!(answer["http_error_type"], "NOT_FOUND");
    assert!(answer["error"].is_string() && answer["message"].is_string());

    let wrong = h.client.get(h.url(TOKEN_PATH)).send().await.unwrap();
    assert_eq!(wrong.status(), 405);
    assert_eq!(header(&wrong, "allow"), "POST");
    let answer = json_of(wrong).await;
    assert_eq!(answer["status_code"], 405);
    assert_eq!(answer["http_error_type"], "METHOD_NOT_ALLOWED");

    let wrong = h.client.delete(h.url(ACCOUNT_PATH)).send().await.unwrap();
    assert_eq!(wrong.status(), 405);
    let wrong = h
        .client
        .get(h.url("/__emulator/faults"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 405);
    // A 405 is not a session-token request: nothing is logged.
    assert_eq!(h.requests().await["count"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_ids_count_up() {
    let h = start().await;
    for n in 1..=3 {
        let response = h.mint(ACCOUNT).await;
        assert_eq!(header(&response, "x-request-id"), format!("req_{n}"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_rejects_non_loopback_and_shutdown_frees_the_port() {
    let err = Emulator::start(EmulatorConfig {
        addr: "0.0.0.0:0".parse().unwrap(),
        ..EmulatorConfig::default()
    })
    .await
    .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);

    let h = start().await;
    let addr = h.emulator.addr();
    assert!(addr.ip().is_loopback());
    assert_ne!(addr.port(), 0);
    assert_eq!(
        h.emulator.base_url(),
        format!("http://127.0.0.1:{}", addr.port())
    );
    assert_eq!(h.mint(ACCOUNT).await.status(), 200);

    h.emulator.shutdown().await;
    let fresh = client_builder().build().unwrap();
    let result = fresh
        .post(format!("http://{addr}{TOKEN_PATH}"))
        .body("{}")
        .send()
        .await;
    assert!(result.is_err(), "server still answering after shutdown");
    // The port can be bound again.
    let again = Emulator::start(EmulatorConfig {
        addr,
        ..EmulatorConfig::default()
    })
    .await
    .expect("port is free again");
    assert_eq!(again.addr(), addr);
}
