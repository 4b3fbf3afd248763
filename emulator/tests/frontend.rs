//! The front-end API (`@cobaltio/cobalt-js`'s requests): the session-token
//! check, the demo applications, connecting and disconnecting per linked
//! account, the org basics, OAuth, CORS, and the request log's redactions.

mod common;

use std::time::Duration;

use common::*;
use refold_emulator::EmulatorConfig;
use reqwest::Method;
use serde_json::{Value, json};

const OTHER: &str = "acct-2";
const APPS: &str = "/api/v2/f-sdk/application";
const ORIGIN: &str = "http://127.0.0.1:5173";

async fn start_two() -> Harness {
    start_with(EmulatorConfig {
        linked_accounts: vec![ACCOUNT.to_owned(), OTHER.to_owned()],
        ..local_config()
    })
    .await
}

async fn token(h: &Harness, id: &str) -> String {
    let response = h.mint(id).await;
    assert_eq!(response.status(), 200);
    json_of(response).await["token"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A front-end request as the SDK sends it; returns the status, the
/// headers and the JSON body.
async fn call(
    h: &Harness,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut request = h
        .client
        .request(method, h.url(path))
        .header("origin", ORIGIN);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, json_of(response).await)
}

async fn apps(h: &Harness, token: &str) -> Vec<Value> {
    let (status, _, body) = call(h, Method::GET, APPS, Some(token), None).await;
    assert_eq!(status, 200, "{body}");
    body.as_array().expect("an array of applications").clone()
}

fn connected(apps: &[Value], slug: &str) -> bool {
    let app = apps
        .iter()
        .find(|a| a["slug"] == slug)
        .unwrap_or_else(|| panic!("no {slug}"));
    app["connected"].as_bool().unwrap()
}

async fn save(h: &Harness, token: &str, slug: &str, body: Value) -> (u16, Value) {
    let path = format!("/api/v2/app/{slug}/save");
    let (status, _, body) = call(h, Method::POST, &path, Some(token), Some(body)).await;
    (status, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_apps_have_the_sdk_shapes() {
    let h = start_two().await;
    let token = token(&h, ACCOUNT).await;
    let apps = apps(&h, &token).await;
    assert_eq!(apps.len(), 5);
    let mut keybased = 0;
    for app in &apps {
        for field in ["name", "description", "type", "slug"] {
            assert!(
                app[field].as_str().is_some_and(|s| !s.is_empty()),
                "{field}: {app}"
            );
        }
        assert_eq!(app["type"], app["slug"]);
        assert!(
            app["icon"]
                .as_str()
                .unwrap()
                .starts_with("data:image/svg+xml;base64,")
        );
        assert_eq!(app["connected"], false);
        assert_eq!(app["reauth_required"], false);
        match app["auth_type"].as_str().unwrap() {
            "keybased" => {
                keybased += 1;
                let inputs = app["auth_input_map"].as_array().unwrap();
                assert!(!inputs.is_empty());
                for input in inputs {
                    for field in ["name", "type", "label", "placeholder"] {
                        assert!(input[field].is_string(), "{field}: {input}");
                    }
                    assert!(input["required"].is_boolean());
                }
            }
            "oauth2" => assert!(app.get("auth_input_map").is_none(), "{app}"),
            other => panic!("auth_type {other}"),
        }
    }
    assert_eq!(keybased, 3);

    let (status, _, one) = call(
        &h,
        Method::GET,
        &format!("{APPS}/tally-sheets"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        &one,
        apps.iter().find(|a| a["slug"] == "tally-sheets").unwrap()
    );
    let (status, _, missing) =
        call(&h, Method::GET, &format!("{APPS}/nope"), Some(&token), None).await;
    assert_eq!(status, 404);
    assert!(missing["message"].as_str().unwrap().contains("nope"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_and_disconnect_are_per_linked_account() {
    let h = start_two().await;
    let (first, second) = (token(&h, ACCOUNT).await, token(&h, OTHER).await);
    let (status, body) = save(
        &h,
        &first,
        "parcel-post",
        json!({ "api_key": "pp_secret_1" }),
    )
    .await;
    assert_eq!((status, body), (200, json!({ "success": true })));

    assert!(connected(&apps(&h, &first).await, "parcel-post"));
    assert!(!connected(&apps(&h, &first).await, "tally-sheets"));
    assert!(!connected(&apps(&h, &second).await, "parcel-post"));
    let (_, _, one) = call(
        &h,
        Method::GET,
        &format!("{APPS}/parcel-post"),
        Some(&first),
        None,
    )
    .await;
    assert_eq!(one["connected"], true);
    // A new token for the same account sees the same state.
    assert!(connected(
        &apps(&h, &token(&h, ACCOUNT).await).await,
        "parcel-post"
    ));

    let (status, _, body) = call(
        &h,
        Method::DELETE,
        "/api/v1/linked-acc/integration/parcel-post",
        Some(&first),
        None,
    )
    .await;
    assert_eq!((status, body), (200, json!({ "success": true })));
    assert!(!connected(&apps(&h, &first).await, "parcel-post"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn save_checks_the_form() {
    let h = start_two().await;
    let token = token(&h, ACCOUNT).await;
    for (slug, body, needle) in [
        ("tally-sheets", json!({ "api_token": "t" }), "workspace"),
        (
            "tally-sheets",
            json!({ "api_token": " ", "workspace": "w" }),
            "api_token",
        ),
        ("parcel-post", json!({ "api_key": 5 }), "must be a string"),
        ("parcel-post", json!(["x"]), "JSON object"),
        ("lumen-crm", json!({}), "OAuth 2"),
    ] {
        let (status, answer) = save(&h, &token, slug, body).await;
        assert_eq!(status, 400, "{slug}: {answer}");
        assert!(
            answer["message"].as_str().unwrap().contains(needle),
            "{answer}"
        );
    }
    let (status, answer) = save(&h, &token, "nope", json!({})).await;
    assert_eq!(status, 404, "{answer}");
    // An optional field may be left out.
    let (status, _) = save(
        &h,
        &token,
        "relay-sms",
        json!({ "account_sid": "AC1", "auth_token": "t" }),
    )
    .await;
    assert_eq!(status, 200);
    let apps = apps(&h, &token).await;
    assert!(connected(&apps, "relay-sms"));
    assert!(!connected(&apps, "tally-sheets"));
}

/// The documented 401 of a refused session token.
fn invalid_token(message: &str) -> Value {
    json!({ "status_code": 401, "http_error_type": "UNAUTHORIZED", "error": "INVALID_TOKEN",
            "message": message })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_are_checked() {
    let h = start_two().await;
    let good = token(&h, ACCOUNT).await;
    let (status, _, body) = call(&h, Method::GET, APPS, None, None).await;
    assert_eq!(status, 401);
    assert_eq!(body, invalid_token("Invalid token"));

    // Same claims, another key: the signature does not match.
    let (payload, _) = good.rsplit_once('.').unwrap();
    let forged = format!("{payload}.{}", "A".repeat(43));
    let other_emulator = start_with(EmulatorConfig {
        linked_accounts: vec![ACCOUNT.to_owned()],
        signing_secret: b"another-secret".to_vec(),
        ..local_config()
    })
    .await;
    let foreign = token(&other_emulator, ACCOUNT).await;
    // A refresh token is not a session token.
    let minted = json_of(h.mint_fresh(ACCOUNT).await).await;
    let refresh = minted["refresh_token"].as_str().unwrap();
    for bad in [
        forged.as_str(),
        foreign.as_str(),
        "not-a-jwt",
        "a.b.c",
        refresh,
    ] {
        let (status, _, body) = call(&h, Method::GET, APPS, Some(bad), None).await;
        assert_eq!(status, 401, "{bad}");
        assert_eq!(body, invalid_token("Invalid token"));
    }
    // The good one still works.
    assert_eq!(apps(&h, &good).await.len(), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_tokens_are_refused() {
    let h = start_two().await;
    let response = h
        .client
        .post(h.url("/__emulator/config"))
        .body(r#"{"token_ttl_s":1}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let short = token(&h, ACCOUNT).await;
    let exp = verified_claims(&short, b"refold-emulator-secret")["exp"]
        .as_u64()
        .unwrap();
    // Valid until its `exp` second begins, refused from then on.
    let (status, _, body) = call(&h, Method::GET, APPS, Some(&short), None).await;
    assert!(status == 200 || unix_now() >= exp, "{status} {body}");
    while unix_now() < exp {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (status, _, body) = call(&h, Method::GET, APPS, Some(&short), None).await;
    assert_eq!(status, 401);
    assert_eq!(body, invalid_token("Token expired"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_account_loses_its_tokens_and_connections() {
    let h = start_two().await;
    let token_before = token(&h, ACCOUNT).await;
    let (status, _) = save(&h, &token_before, "parcel-post", json!({ "api_key": "k" })).await;
    assert_eq!(status, 200);
    let response = h
        .client
        .delete(h.url(&format!("{ACCOUNT_PATH}/{ACCOUNT}")))
        .header("x-api-key", KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    for path in [APPS, "/api/v3/org/basics"] {
        let (status, _, body) = call(&h, Method::GET, path, Some(&token_before), None).await;
        assert_eq!(status, 401, "{path}");
        assert_eq!(body, invalid_token("Invalid token"));
    }
    // Created again, it starts with nothing connected.
    let response = h
        .client
        .put(h.url(ACCOUNT_PATH))
        .header("x-api-key", KEY)
        .body(json!({ "linked_account_id": ACCOUNT }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    // Tokens of the deleted account stay dead; new ones see nothing connected.
    let (status, _, _) = call(&h, Method::GET, APPS, Some(&token_before), None).await;
    assert_eq!(status, 401);
    let token_after = token(&h, ACCOUNT).await;
    assert_ne!(token_after, token_before);
    assert!(!connected(&apps(&h, &token_after).await, "parcel-post"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn org_basics_names_the_org_and_the_account() {
    let h = start_two().await;
    let token = token(&h, OTHER).await;
    let (status, _, body) = call(&h, Method::GET, "/api/v3/org/basics", Some(&token), None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["org"]["org_id"], "emulator-org");
    assert_eq!(body["org"]["_id"].as_str().unwrap().len(), 24);
    assert_eq!(body["linked_account"]["account_id"], OTHER);
    assert_eq!(body["linked_account"]["associated_org"], body["org"]["_id"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth_apps_connect_through_the_consent_page() {
    let h = start_two().await;
    let token = token(&h, ACCOUNT).await;
    let (status, _, body) = call(
        &h,
        Method::GET,
        "/api/v1/lumen-crm/integrate?scope=contacts",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let url = body["auth_url"].as_str().unwrap();
    assert!(url.starts_with(&h.emulator.base_url()), "{url}");
    assert!(!connected(&apps(&h, &token).await, "lumen-crm"));
    let page = h.client.get(url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Connected"));
    assert!(connected(&apps(&h, &token).await, "lumen-crm"));
    // A grant is used once.
    assert_eq!(h.client.get(url).send().await.unwrap().status(), 400);

    let (status, _, body) = call(
        &h,
        Method::GET,
        "/api/v1/parcel-post/integrate",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(status, 400, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_for_browsers() {
    let h = start_two().await;
    let preflight = h
        .client
        .request(Method::OPTIONS, h.url("/api/v2/app/parcel-post/save"))
        .header("origin", ORIGIN)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization,content-type",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), 204);
    assert_eq!(header(&preflight, "access-control-allow-origin"), ORIGIN);
    assert_eq!(header(&preflight, "access-control-allow-methods"), "POST");
    let allowed = header(&preflight, "access-control-allow-headers");
    assert!(allowed.contains("authorization") && allowed.contains("content-type"));
    assert!(
        header(&preflight, "access-control-max-age")
            .parse::<u32>()
            .unwrap()
            > 0
    );
    // Preflights are not requests of the API: not counted nor logged.
    assert_eq!(h.requests().await["count"], 0);

    // Answers carry the origin, errors included (a page must read a 401).
    let (status, headers, _) = call(&h, Method::GET, APPS, None, None).await;
    assert_eq!(status, 401);
    assert_eq!(headers["access-control-allow-origin"], ORIGIN);
    assert_eq!(headers["access-control-expose-headers"], "x-request-id");
    let token = token(&h, ACCOUNT).await;
    let (status, headers, _) = call(&h, Method::GET, APPS, Some(&token), None).await;
    assert_eq!(status, 200);
    assert_eq!(headers["access-control-allow-origin"], ORIGIN);
    let (status, headers, _) = call(&h, Method::PUT, APPS, Some(&token), None).await;
    assert_eq!(status, 405);
    assert_eq!(headers["access-control-allow-origin"], ORIGIN);

    // The API-key routes are for servers: no CORS, so a page cannot use them.
    let minted = h
        .client
        .post(h.url(TOKEN_PATH))
        .header("origin", ORIGIN)
        .header("x-api-key", KEY)
        .body(json!({ "linked_account_id": ACCOUNT }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(minted.status(), 200);
    assert!(
        minted
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_hides_tokens_and_typed_secrets_and_faults_apply() {
    let h = start_two().await;
    let token = token(&h, ACCOUNT).await;
    h.reset().await;
    let (status, _) = save(
        &h,
        &token,
        "parcel-post",
        json!({ "api_key": "pp_secret_42" }),
    )
    .await;
    assert_eq!(status, 200);
    let log = h.requests().await;
    assert_eq!(log["count"], 1);
    let logged = &log["requests"][0];
    assert_eq!(logged["path"], "/api/v2/app/parcel-post/save");
    assert_eq!(logged["headers"]["authorization"], "Bearer [redacted]");
    assert_eq!(logged["body"], r#"{"api_key":"[redacted]"}"#);
    let text = log.to_string();
    assert!(!text.contains(&token) && !text.contains("pp_secret_42"));

    // The queue's next fault serves the next front-end request too.
    h.queue(json!([{ "kind": "status", "status": 401, "body": { "message": "nope" } }]))
        .await;
    let (status, headers, body) = call(&h, Method::GET, APPS, Some(&token), None).await;
    assert_eq!((status, body), (401, json!({ "message": "nope" })));
    assert_eq!(headers["access-control-allow-origin"], ORIGIN);
    assert_eq!(apps(&h, &token).await.len(), 5);
}
