//! Authentication of every operation of Refold's API, row by row of the emulator's route
//! table (`refold_emulator::api_routes()`), with each way of calling: nobody, a wrong key, the
//! key alone, the key with a linked account, a session token, an invalid token.

mod common;

use common::*;
use serde_json::{Value, json};

/// The messages of the authentication refusals.
const AUTH_ERRORS: [&str; 4] = [
    "Invalid Credentials",
    "Invalid token",
    "Authorization Token Missing",
    "Linked account id is required with API Key, for this resource",
];

/// Whether `body` is one of the authentication answers.
fn refused(status: u16, body: &Value) -> bool {
    (status == 401 || status == 404)
        && body["message"]
            .as_str()
            .is_some_and(|message| AUTH_ERRORS.contains(&message))
}

/// The key naming `account` in the header and the query, as the official SDK sends it (each
/// operation reads where its description says).
async fn for_account(h: &Harness, method: &str, path: &str, account: &str) -> (u16, Value) {
    let path = format!("{path}?linked_account_id={account}");
    h.call(method, &path, As::KeyFor(account), body_for(method))
        .await
}

fn body_for(method: &str) -> Option<Value> {
    (method != "GET" && method != "DELETE").then(|| json!({}))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_takes_the_credentials_its_security_lists() {
    let h = start().await;
    let routes = refold_emulator::api_routes();
    assert_eq!(routes.len(), 102);
    for route in &routes {
        let path = concrete(route.path, "x-1");
        let what = format!("{} {} ({})", route.method, route.path, route.operation_id);
        let call = |who| h.call(route.method, &path, who, body_for(route.method));

        // Nobody: only the public operations answer.
        let (status, body) = call(As::Nobody).await;
        if route.public {
            assert!(!refused(status, &body), "{what} nobody: {status} {body}");
            continue;
        }
        assert_eq!(status, 401, "{what} nobody: {body}");
        let expected = if route.key {
            "SERVER_ERROR"
        } else {
            "INVALID_TOKEN"
        };
        let code = body
            .get("error")
            .or_else(|| body.get("error_code"))
            .unwrap();
        assert!(
            code == expected || code == "AUTH_SERVICE_ERROR",
            "{what} nobody: {body}"
        );

        // A wrong key.
        let (status, body) = call(As::WrongKey).await;
        assert_eq!(status, 401, "{what} wrong key: {body}");

        // The key alone, then with the linked account.
        let (status, body) = call(As::Key).await;
        match (route.key, route.account) {
            (false, _) => assert_eq!(status, 401, "{what} key: {body}"),
            (true, "required") => {
                assert_eq!(status, 404, "{what} key: {body}");
                let code = body.get("error").or_else(|| body.get("error_code"));
                assert_eq!(code, Some(&json!("MISSING_REQUIRED_FIELD")), "{what}");
            }
            (true, _) => assert!(!refused(status, &body), "{what} key: {status} {body}"),
        }
        let (status, body) = for_account(&h, route.method, &path, ACCOUNT).await;
        if route.key {
            assert!(
                !refused(status, &body),
                "{what} key + account: {status} {body}"
            );
        } else {
            assert_eq!(status, 401, "{what} key + account: {body}");
        }
        if route.key && route.account != "none" {
            let (status, body) = for_account(&h, route.method, &path, "nobody-known").await;
            assert_eq!(status, 400, "{what} unknown account: {body}");
            assert_eq!(body["error"], "INVALID_LINKED_ACCOUNT_ID", "{what}");
        }

        // A session token (fresh: some calls revoke it or delete its account).
        let token = h.token(ACCOUNT).await;
        let (status, body) = call(As::Token(&token)).await;
        if route.token {
            assert!(!refused(status, &body), "{what} token: {status} {body}");
        } else {
            assert_eq!(status, 401, "{what} token: {body}");
            assert_eq!(body["message"], "Invalid Credentials", "{what}");
        }
        if route.token {
            let (status, body) = call(As::Token("not.a.token")).await;
            assert_eq!(status, 401, "{what} bad token: {body}");
            assert_eq!(body["error"], "INVALID_TOKEN", "{what}");
        }
        // A deleted account comes back for the next rows.
        h.call(
            "PUT",
            ACCOUNT_PATH,
            As::Key,
            Some(json!({ "linked_account_id": ACCOUNT })),
        )
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_table_follows_the_description() {
    let routes = refold_emulator::api_routes();
    let find = |id: &str| routes.iter().find(|r| r.operation_id == id).unwrap();
    // Org level: the key only.
    let list = find("listLinkedAccounts");
    assert!(list.key && !list.token && list.account == "none");
    // Linked-account level with the key only (schedules), or either.
    let schedules = find("listSchedules");
    assert!(schedules.key && !schedules.token && schedules.account == "required");
    let mcp = find("listMcpServers");
    assert!(mcp.key && mcp.token && mcp.account == "required");
    // The org or an account.
    assert_eq!(find("listPersistentTables").account, "optional");
    // Session tokens only.
    let connect = find("createConnectUrl");
    assert!(!connect.key && connect.token);
    // No credentials.
    assert!(find("getHumanTask").public && find("getAuthStructureForApp").public);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_tokens_answer_as_each_page_documents() {
    let h = start().await;
    for (method, path, code, member) in [
        (
            "POST",
            "/api/v2/public/connect-url",
            "INVALID_TOKEN",
            "error",
        ),
        (
            "GET",
            "/api/v2/public/hosted-properties",
            "INVALID_TOKEN",
            "error",
        ),
        (
            "PUT",
            "/api/v2/public/workflow/w/publish",
            "AUTH_SERVICE_ERROR",
            "error_code",
        ),
        (
            "DELETE",
            "/api/v2/public/workflow/w",
            "AUTH_SERVICE_ERROR",
            "error_code",
        ),
    ] {
        let body = h
            .expect(401, method, path, As::KeyFor(ACCOUNT), Some(json!({})))
            .await;
        assert_eq!(body["message"], "Authorization Token Missing", "{path}");
        assert_eq!(body[member], code, "{path}");
    }
    // The session-token pages document `Invalid token`.
    let body = h
        .expect(
            401,
            "POST",
            "/api/v2/public/session-token/revoke",
            As::Key,
            None,
        )
        .await;
    assert_eq!(body["message"], "Invalid token");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_sdks_retired_routes_are_404_whatever_the_method() {
    let h = start().await;
    for (method, path) in [
        ("GET", "/api/v2/public/event"),
        ("POST", "/api/v2/public/event"),
        ("GET", "/api/v2/public/event/e-1"),
        ("PUT", "/api/v2/public/event/e-1"),
        ("DELETE", "/api/v2/public/event/e-1"),
        ("POST", "/api/v2/public/webhook/subscribe"),
        ("POST", "/api/v2/public/webhook/unsubscribe"),
        ("DELETE", "/api/v2/public/webhook"),
        ("POST", "/api/v1/workflow/w-1/execute"),
    ] {
        let body = h
            .expect(404, method, path, As::KeyFor(ACCOUNT), Some(json!({})))
            .await;
        assert_eq!(body["error"], "ROUTE_NOT_FOUND", "{method} {path}");
        assert_eq!(body["status_code"], 404);
    }
    // Their neighbours are today's operations; other methods there are 405s.
    let (status, _) = h.call("GET", "/api/v2/public/webhook", As::Key, None).await;
    assert_eq!(status, 200);
    let (status, body) = h
        .call(
            "GET",
            "/api/v2/public/event/trigger",
            As::KeyFor(ACCOUNT),
            None,
        )
        .await;
    assert_eq!(
        (status, &body["error"]),
        (405, &json!("METHOD_NOT_ALLOWED"))
    );
    let (status, _) = h
        .call(
            "DELETE",
            "/api/v2/public/workflow/enabled",
            As::KeyFor(ACCOUNT),
            None,
        )
        .await;
    assert_eq!(status, 405);
}
