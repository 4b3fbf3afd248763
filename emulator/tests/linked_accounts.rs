//! The linked-account API: every route, status and document shape, as
//! Refold documents them.

mod common;

use std::time::Duration;

use common::*;
use refold_emulator::EmulatorConfig;
use reqwest::Method;
use serde_json::{Value, json};

/// A linked-account request; returns the status, the `x-request-id` and the
/// JSON body.
async fn call(
    h: &Harness,
    method: Method,
    path: &str,
    key: Option<&str>,
    body: Option<Value>,
) -> (u16, String, Value) {
    let mut request = h.client.request(method, h.url(path));
    if let Some(key) = key {
        request = request.header("x-api-key", key);
    }
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let request_id = header(&response, "x-request-id").to_owned();
    (status, request_id, json_of(response).await)
}

fn account_path(encoded_id: &str) -> String {
    format!("{ACCOUNT_PATH}/{encoded_id}")
}

/// `id` percent-encoded as one path segment.
fn encode_segment(id: &str) -> String {
    id.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The documented answer of a create: `_id`, `account_id`, `name` (when
/// set), `environment` and `integrations: null`, nothing else.
fn assert_created(created: &Value, id: &str) {
    assert!(is_object_id(&created["_id"]), "{created}");
    assert_eq!(created["account_id"], id);
    assert_eq!(created["environment"], "test");
    assert_eq!(created["integrations"], Value::Null);
    let mut members: Vec<&str> = created
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    members.retain(|m| *m != "name");
    assert_eq!(
        members,
        ["_id", "account_id", "environment", "integrations"],
        "{created}"
    );
}

/// Creates the account (checking the create answer) and returns the whole
/// document, as `GET` answers it.
async fn create(h: &Harness, body: Value) -> Value {
    let (status, _, created) = call(h, Method::POST, ACCOUNT_PATH, Some(KEY), Some(body)).await;
    assert_eq!(status, 200, "{created}");
    let id = created["account_id"].as_str().unwrap().to_owned();
    assert_created(&created, &id);
    let path = account_path(&encode_segment(&id));
    let (status, _, account) = call(h, Method::GET, &path, Some(KEY), None).await;
    assert_eq!(status, 200, "{account}");
    assert_eq!(account["_id"], created["_id"]);
    account
}

/// The documented error shape, with its code and message.
fn documented_error(status: u16, code: &str, message: &str) -> Value {
    let kind = match status {
        400 => "BAD_REQUEST",
        401 => "UNAUTHORIZED",
        404 => "NOT_FOUND",
        other => panic!("no type for {other}"),
    };
    json!({ "status_code": status, "http_error_type": kind, "error": code, "message": message })
}

/// Checks an error's shape, whatever its message.
fn assert_error(answer: &Value, status: u16, code: &str) {
    let message = answer["message"]
        .as_str()
        .unwrap_or_else(|| panic!("{answer}"));
    assert_eq!(answer, &documented_error(status, code, message));
}

async fn upsert(h: &Harness, body: Value) -> Value {
    let (status, _, account) = call(h, Method::PUT, ACCOUNT_PATH, Some(KEY), Some(body)).await;
    assert_eq!(status, 200, "{account}");
    account
}

async fn list(h: &Harness, query: &str) -> (u16, Value) {
    let (status, _, page) = call(
        h,
        Method::GET,
        &format!("{ACCOUNT_PATH}{query}"),
        Some(KEY),
        None,
    )
    .await;
    (status, page)
}

fn is_object_id(value: &Value) -> bool {
    value
        .as_str()
        .is_some_and(|s| s.len() == 24 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
}

/// `2023-01-20T16:09:41.700Z`.
fn is_iso_millis(value: &Value) -> bool {
    let Some(s) = value.as_str() else {
        return false;
    };
    let b = s.as_bytes();
    s.len() == 24
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 | 16 => *c == b':',
            19 => *c == b'.',
            23 => *c == b'Z',
            _ => c.is_ascii_digit(),
        })
}

/// Checks the generated fields of an account document.
fn assert_document(account: &Value, id: &str) {
    assert!(is_object_id(&account["_id"]), "{account}");
    assert!(is_object_id(&account["associated_org"]), "{account}");
    assert_eq!(account["account_id"], id);
    assert_eq!(account["environment"], "test");
    assert!(is_iso_millis(&account["createdAt"]), "{account}");
    assert!(is_iso_millis(&account["updatedAt"]), "{account}");
    assert!(account["__v"].is_u64(), "{account}");
    assert!(account["udf"].is_array(), "{account}");
    for entry in account["udf"].as_array().unwrap() {
        assert!(entry["key_name"].is_string(), "{entry}");
        assert!(is_object_id(&entry["_id"]), "{entry}");
        assert!(is_iso_millis(&entry["createdAt"]), "{entry}");
        assert!(is_iso_millis(&entry["updatedAt"]), "{entry}");
    }
}

fn udf_pairs(account: &Value) -> Vec<(String, Value)> {
    account["udf"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["key_name"].as_str().unwrap().to_owned(),
                e["key_value"].clone(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_requires_a_valid_api_key() {
    let h = start().await;
    let body = json!({ "linked_account_id": "sneaky" });
    let routes = [
        (Method::POST, ACCOUNT_PATH.to_owned(), Some(body.clone())),
        (Method::PUT, ACCOUNT_PATH.to_owned(), Some(body.clone())),
        (Method::GET, ACCOUNT_PATH.to_owned(), None),
        (Method::GET, account_path(ACCOUNT), None),
        (Method::DELETE, account_path(ACCOUNT), None),
    ];
    for (method, path, body) in routes {
        for key in [None, Some("wrong"), Some("")] {
            let (status, request_id, answer) =
                call(&h, method.clone(), &path, key, body.clone()).await;
            assert_eq!(status, 401, "{method} {path} key {key:?}");
            assert!(request_id.starts_with("req_"));
            assert_eq!(
                answer,
                documented_error(401, "SERVER_ERROR", "Invalid Credentials")
            );
        }
    }
    // Nothing was created or deleted.
    assert_eq!(h.mint("sneaky").await.status(), 400);
    assert_eq!(h.mint(ACCOUNT).await.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn post_creates_the_document_refold_returns() {
    let h = start().await;
    let before = unix_now();
    // Raw text: serde_json's `json!` would sort the udf keys.
    let response = h
        .client
        .post(h.url(ACCOUNT_PATH))
        .header("x-api-key", KEY)
        .body(
            r#"{"linked_account_id": "user-1", "name": "User One",
                "udf": {"phone": "123", "age": 42, "vip": true, "note": null, "ratio": 0.5},
                "your_app": {"app_id": "app-1", "auth_credentials": {"token": "CRED-s3cr3t"}}}"#,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let created = json_of(response).await;
    assert_created(&created, "user-1");
    assert_eq!(created["name"], "User One");
    assert!(!created.to_string().contains("CRED-s3cr3t"));
    let (_, _, account) = call(&h, Method::GET, &account_path("user-1"), Some(KEY), None).await;
    assert_document(&account, "user-1");
    assert_eq!(account["name"], "User One");
    assert_eq!(account["__v"], 0);
    assert_eq!(account["createdAt"], account["updatedAt"]);
    // createdAt is now (ISO strings sort in time order).
    let created = &account["createdAt"].as_str().unwrap()[..19];
    let after = unix_now();
    assert!(
        iso_seconds(before).as_str() <= created && created <= iso_seconds(after).as_str(),
        "{created}"
    );
    // udf comes back as a list in the order sent, each entry stamped.
    assert_eq!(
        udf_pairs(&account),
        [
            ("phone".to_owned(), json!("123")),
            ("age".to_owned(), json!(42)),
            ("vip".to_owned(), json!(true)),
            ("note".to_owned(), Value::Null),
            ("ratio".to_owned(), json!(0.5)),
        ]
    );
    let entry = &account["udf"][0];
    assert_eq!(entry["createdAt"], account["createdAt"]);
    assert_ne!(entry["_id"], account["_id"]);
    // your_app is accepted, and its credentials never come back.
    assert!(!account.to_string().contains("CRED-s3cr3t"));
    assert!(account.get("your_app").is_none());
    assert!(account.get("linked_account_id").is_none());
    // The schema's members besides Refold's example: no seed, no tenant, and
    // no connected apps yet.
    assert_eq!(account["is_seed"], false);
    assert_eq!(account["tenant_account_id"], Value::Null);
    assert_eq!(account["integrations"], json!([]));
    assert_eq!(account.as_object().unwrap().len(), 12, "{account}");
    // Field order as Refold's, in the raw text.
    let raw = h
        .client
        .get(h.url(&account_path("user-1")))
        .header("x-api-key", KEY)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let positions: Vec<usize> = [
        "\"_id\"",
        "\"associated_org\"",
        "\"account_id\"",
        "\"environment\"",
        "\"name\"",
        "\"udf\"",
        "\"key_name\"",
        "\"key_value\"",
        // The udf entry's.
        "\"createdAt\"",
        "\"is_seed\"",
        "\"tenant_account_id\"",
        "\"integrations\":[],\"createdAt\"",
    ]
    .iter()
    .map(|field| {
        raw.find(field)
            .unwrap_or_else(|| panic!("{field} in {raw}"))
    })
    .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{raw}");
    assert!(raw.ends_with(",\"__v\":0}"), "{raw}");

    // Every account of an emulator has the same org; ids differ.
    let other = create(&h, json!({ "linked_account_id": "user-2" })).await;
    assert_document(&other, "user-2");
    assert_eq!(other["associated_org"], account["associated_org"]);
    assert_ne!(other["_id"], account["_id"]);
    assert!(other.get("name").is_none(), "no name: {other}");
    assert_eq!(other["udf"], json!([]));

    // The account exists for session tokens now.
    assert_eq!(h.mint("user-1").await.status(), 200);
}

/// `YYYY-MM-DDTHH:MM:SS` of a unix time (Howard Hinnant's civil_from_days).
fn iso_seconds(unix: u64) -> String {
    let days = unix / 86_400;
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    let secs = unix % 86_400;
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn post_of_an_existing_id_is_400_and_changes_nothing() {
    let h = start().await;
    let first = create(&h, json!({ "linked_account_id": "dup", "name": "First" })).await;
    for id in ["dup", ACCOUNT] {
        let (status, request_id, answer) = call(
            &h,
            Method::POST,
            ACCOUNT_PATH,
            Some(KEY),
            Some(json!({ "linked_account_id": id, "name": "Second" })),
        )
        .await;
        assert_eq!(status, 400, "{id}");
        assert!(request_id.starts_with("req_"));
        assert_error(&answer, 400, "SERVER_ERROR");
    }
    let (_, _, stored) = call(&h, Method::GET, &account_path("dup"), Some(KEY), None).await;
    assert_eq!(stored, first);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_creates_then_updates_merging_udf() {
    let h = start().await;
    let created = upsert(
        &h,
        json!({ "linked_account_id": "u", "name": "N", "udf": { "a": "1", "b": 2 } }),
    )
    .await;
    assert_document(&created, "u");
    assert_eq!(created["__v"], 0);
    // As documented: no integrations, and whether the upsert created it.
    assert_eq!(created["new_account"], true);
    assert!(created.get("integrations").is_none(), "{created}");

    tokio::time::sleep(Duration::from_millis(5)).await;
    let updated = upsert(
        &h,
        json!({ "linked_account_id": "u", "udf": { "c": false, "a": "changed", "b": 2 } }),
    )
    .await;
    assert_document(&updated, "u");
    assert_eq!(updated["__v"], 1);
    assert_eq!(updated["new_account"], false);
    assert_eq!(updated["_id"], created["_id"]);
    assert_eq!(updated["createdAt"], created["createdAt"]);
    assert_ne!(updated["updatedAt"], created["updatedAt"]);
    // Absent name: kept.
    assert_eq!(updated["name"], "N");
    assert_eq!(
        udf_pairs(&updated),
        [
            ("a".to_owned(), json!("changed")),
            ("b".to_owned(), json!(2)),
            ("c".to_owned(), json!(false)),
        ]
    );
    let (old, new) = (&created["udf"], &updated["udf"]);
    // A changed entry keeps its id and creation time, and is re-stamped.
    assert_eq!(new[0]["_id"], old[0]["_id"]);
    assert_eq!(new[0]["createdAt"], old[0]["createdAt"]);
    assert_ne!(new[0]["updatedAt"], old[0]["updatedAt"]);
    assert_eq!(new[0]["updatedAt"], updated["updatedAt"]);
    // An unchanged one is left alone.
    assert_eq!(new[1], old[1]);
    // A new one is stamped now.
    assert_eq!(new[2]["createdAt"], updated["updatedAt"]);

    // null clears the name; each update counts.
    let cleared = upsert(&h, json!({ "linked_account_id": "u", "name": null })).await;
    assert!(cleared.get("name").is_none(), "{cleared}");
    assert_eq!(cleared["__v"], 2);
    assert_eq!(cleared["udf"], updated["udf"]);
    let renamed = upsert(&h, json!({ "linked_account_id": "u", "name": "M" })).await;
    assert_eq!(renamed["name"], "M");
    assert_eq!(renamed["__v"], 3);
    assert_eq!(h.mint("u").await.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_decodes_the_percent_encoded_id() {
    let h = start().await;
    let id = "a b/c?é%";
    let created = create(&h, json!({ "linked_account_id": id, "udf": { "k": 1 } })).await;
    let (status, request_id, fetched) = call(
        &h,
        Method::GET,
        &account_path("a%20b%2Fc%3F%C3%A9%25"),
        Some(KEY),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert!(request_id.starts_with("req_"));
    assert_eq!(fetched, created);

    let (status, _, answer) = call(
        &h,
        Method::GET,
        &account_path("user_99999"),
        Some(KEY),
        None,
    )
    .await;
    assert_eq!(status, 404);
    let org = created["associated_org"].as_str().unwrap();
    assert_eq!(
        answer,
        documented_error(
            404,
            "SERVER_ERROR",
            &format!(
                "Linked Account with account id user_99999 for org {org} in environment test not found"
            )
        )
    );

    for bad in ["%zz", "%C3", "%"] {
        let (status, _, answer) = call(&h, Method::GET, &account_path(bad), Some(KEY), None).await;
        assert_eq!(status, 400, "{bad}");
        assert_error(&answer, 400, "SERVER_ERROR");
    }
    // Seeded accounts exist from the start, with generated fields.
    let (status, _, seeded) = call(&h, Method::GET, &account_path(ACCOUNT), Some(KEY), None).await;
    assert_eq!(status, 200);
    assert_document(&seeded, ACCOUNT);
    assert_eq!(seeded["__v"], 0);
    assert_eq!(seeded["udf"], json!([]));
    assert!(seeded.get("name").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_pages_in_creation_order_like_mongoose_paginate() {
    let h = start_with(EmulatorConfig {
        linked_accounts: vec!["s1".into(), "s2".into()],
        ..local_config()
    })
    .await;
    for id in ["c3", "c4", "c5"] {
        create(&h, json!({ "linked_account_id": id })).await;
    }
    // Updating does not move an account.
    upsert(&h, json!({ "linked_account_id": "s1", "name": "x" })).await;

    let ids = |page: &Value| -> Vec<String> {
        page["docs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["account_id"].as_str().unwrap().to_owned())
            .collect()
    };
    let (status, page) = list(&h, "").await;
    assert_eq!(status, 200);
    assert_eq!(ids(&page), ["s1", "s2", "c3", "c4", "c5"]);
    assert_document(&page["docs"][0], "s1");
    assert_eq!(page["docs"][0]["name"], "x");
    let meta = |page: &Value| {
        let mut page = page.clone();
        page.as_object_mut().unwrap().remove("docs");
        page
    };
    assert_eq!(
        meta(&page),
        json!({
            "totalDocs": 5, "limit": 10, "totalPages": 1, "page": 1, "pagingCounter": 1,
            "hasPrevPage": false, "hasNextPage": false, "prevPage": null, "nextPage": null,
        })
    );

    let (_, page) = list(&h, "?page=2&limit=2").await;
    assert_eq!(ids(&page), ["c3", "c4"]);
    assert_eq!(
        meta(&page),
        json!({
            "totalDocs": 5, "limit": 2, "totalPages": 3, "page": 2, "pagingCounter": 3,
            "hasPrevPage": true, "hasNextPage": true, "prevPage": 1, "nextPage": 3,
        })
    );
    let (_, page) = list(&h, "?limit=2&page=3").await;
    assert_eq!(ids(&page), ["c5"]);
    assert_eq!(page["hasNextPage"], false);
    assert_eq!(page["nextPage"], Value::Null);
    assert_eq!(page["prevPage"], 2);
    // Past the end: no docs, but the numbers still add up.
    let (_, page) = list(&h, "?page=9&limit=2").await;
    assert_eq!(
        meta(&page),
        json!({
            "totalDocs": 5, "limit": 2, "totalPages": 3, "page": 9, "pagingCounter": 17,
            "hasPrevPage": true, "hasNextPage": false, "prevPage": 8, "nextPage": null,
        })
    );
    assert_eq!(page["docs"], json!([]));
    // Unknown parameters are ignored; values may be percent-encoded.
    let (status, page) = list(&h, "?sort=x&page=%31&limit=1").await;
    assert_eq!(status, 200);
    assert_eq!(ids(&page), ["s1"]);

    for bad in [
        "?page=0",
        "?page=-1",
        "?page=abc",
        "?page=1.5",
        "?page=",
        "?limit=0",
        "?limit=101",
        "?limit=-3",
        "?limit=ten",
        "?page=99999999999999999999",
    ] {
        let (status, answer) = list(&h, bad).await;
        assert_eq!(status, 400, "{bad}");
        assert_error(&answer, 400, "SERVER_ERROR");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_list_has_one_page() {
    let h = start_with(local_config()).await;
    let (status, page) = list(&h, "").await;
    assert_eq!(status, 200);
    assert_eq!(
        page,
        json!({
            "docs": [], "totalDocs": 0, "limit": 10, "totalPages": 1, "page": 1,
            "pagingCounter": 1, "hasPrevPage": false, "hasNextPage": false,
            "prevPage": null, "nextPage": null,
        })
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_removes_the_account_for_good() {
    let h = start().await;
    create(&h, json!({ "linked_account_id": "gone soon" })).await;
    assert_eq!(h.mint("gone soon").await.status(), 200);

    let (status, request_id, answer) = call(
        &h,
        Method::DELETE,
        &account_path("gone%20soon"),
        Some(KEY),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert!(request_id.starts_with("req_"));
    assert_eq!(answer, json!({ "message": "User deleted successfully" }));

    let (status, _, _) = call(
        &h,
        Method::GET,
        &account_path("gone%20soon"),
        Some(KEY),
        None,
    )
    .await;
    assert_eq!(status, 404);
    let (status, _, answer) = call(
        &h,
        Method::DELETE,
        &account_path("gone%20soon"),
        Some(KEY),
        None,
    )
    .await;
    assert_eq!(status, 404);
    assert_error(&answer, 404, "SERVER_ERROR");
    assert!(answer["message"].as_str().unwrap().contains("gone soon"));
    // A session token for it is now a 400, as for any unknown account.
    assert_eq!(h.mint("gone soon").await.status(), 400);

    // Seeded accounts can be deleted too; the list follows.
    let (status, _, _) = call(&h, Method::DELETE, &account_path(ACCOUNT), Some(KEY), None).await;
    assert_eq!(status, 200);
    assert_eq!(h.mint(ACCOUNT).await.status(), 400);
    let (_, page) = list(&h, "").await;
    assert_eq!(page["totalDocs"], 0);
    // And re-created.
    create(&h, json!({ "linked_account_id": ACCOUNT })).await;
    assert_eq!(h.mint(ACCOUNT).await.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_methods_are_405_with_allow_and_are_not_logged() {
    let h = start().await;
    for (method, path, allow) in [
        (Method::PATCH, ACCOUNT_PATH.to_owned(), "GET, POST, PUT"),
        (Method::DELETE, ACCOUNT_PATH.to_owned(), "GET, POST, PUT"),
        (Method::PUT, account_path(ACCOUNT), "GET, DELETE"),
        (Method::POST, account_path(ACCOUNT), "GET, DELETE"),
        (Method::GET, TOKEN_PATH.to_owned(), "POST"),
    ] {
        let response = h
            .client
            .request(method.clone(), h.url(&path))
            .header("x-api-key", KEY)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 405, "{method} {path}");
        assert_eq!(header(&response, "allow"), allow);
        assert!(header(&response, "x-request-id").starts_with("req_"));
        let answer = json_of(response).await;
        assert_eq!(answer["status_code"], 405);
        assert_eq!(answer["http_error_type"], "METHOD_NOT_ALLOWED");
    }
    // Deeper paths are no route at all.
    let response = h
        .client
        .get(h.url(&format!("{ACCOUNT_PATH}/a/b")))
        .header("x-api-key", KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(h.requests().await["count"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_bodies_are_400_and_create_nothing() {
    let h = start().await;
    let long = "x".repeat(1025);
    let too_many: serde_json::Map<String, Value> =
        (0..101).map(|i| (format!("k{i}"), json!(i))).collect();
    let bad_bodies = [
        json!("not an object"),
        json!({ "name": "no id" }),
        json!({ "linked_account_id": "" }),
        json!({ "linked_account_id": 5 }),
        json!({ "account_id": 5, "linked_account_id": "b" }),
        json!({ "account_id": "b", "linked_account_id": 5 }),
        json!({ "linked_account_id": long }),
        json!({ "linked_account_id": "b", "name": 5 }),
        json!({ "linked_account_id": "b", "name": long }),
        json!({ "linked_account_id": "b", "udf": [["k", "v"]] }),
        json!({ "linked_account_id": "b", "udf": "k=v" }),
        json!({ "linked_account_id": "b", "udf": { "k": ["v"] } }),
        json!({ "linked_account_id": "b", "udf": { "k": { "v": 1 } } }),
        json!({ "linked_account_id": "b", "udf": { "k": "v".repeat(4097) } }),
        json!({ "linked_account_id": "b", "udf": too_many }),
        json!({ "linked_account_id": "b", "your_app": { "app_id": "a" } }),
        json!({ "linked_account_id": "b", "your_app": { "app_id": "a", "auth_credentials": null } }),
        json!({ "linked_account_id": "b", "your_app": "app" }),
        json!({ "linked_account_id": "b", "your_app": { "app_id": 1, "auth_credentials": {} } }),
    ];
    for method in [Method::POST, Method::PUT] {
        for body in &bad_bodies {
            let (status, request_id, answer) = call(
                &h,
                method.clone(),
                ACCOUNT_PATH,
                Some(KEY),
                Some(body.clone()),
            )
            .await;
            assert_eq!(status, 400, "{method} {body}");
            assert!(request_id.starts_with("req_"));
            // A missing id has its own documented code.
            let id = body.get("linked_account_id");
            let code = if body.is_object() && id.is_none_or(|id| id.as_str() == Some("")) {
                "INVALID_LINKED_ACCOUNT_ID"
            } else {
                "SERVER_ERROR"
            };
            assert_error(&answer, 400, code);
        }
        let response = h
            .client
            .request(method.clone(), h.url(ACCOUNT_PATH))
            .header("x-api-key", KEY)
            .body("{not json")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400);
    }
    let (_, page) = list(&h, "").await;
    assert_eq!(page["totalDocs"], 1, "only the seeded account: {page}");

    // Merging may not grow udf past 100 keys either.
    let hundred: serde_json::Map<String, Value> =
        (0..100).map(|i| (format!("k{i}"), json!(i))).collect();
    upsert(&h, json!({ "linked_account_id": "full", "udf": hundred })).await;
    let (status, _, _) = call(
        &h,
        Method::PUT,
        ACCOUNT_PATH,
        Some(KEY),
        Some(json!({ "linked_account_id": "full", "udf": { "k0": "changed", "extra": 1 } })),
    )
    .await;
    assert_eq!(status, 400);
    let changed = upsert(
        &h,
        json!({ "linked_account_id": "full", "udf": { "k0": "changed" } }),
    )
    .await;
    assert_eq!(changed["udf"][0]["key_value"], "changed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_public_request_is_logged_with_credentials_redacted() {
    let h = start().await;
    let secret = "CRED-do-not-log";
    let body = json!({
        "linked_account_id": "logged",
        "your_app": { "app_id": "a", "auth_credentials": { "api_key": secret } },
    })
    .to_string();
    let response = h
        .client
        .post(h.url(ACCOUNT_PATH))
        .header("x-api-key", KEY)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(!response.text().await.unwrap().contains(secret));
    call(
        &h,
        Method::GET,
        &format!("{ACCOUNT_PATH}?page=1&limit=5"),
        Some(KEY),
        None,
    )
    .await;
    call(&h, Method::GET, &account_path("logged"), Some(KEY), None).await;
    call(&h, Method::DELETE, &account_path("logged"), None, None).await;
    h.mint(ACCOUNT).await;
    // Not JSON but mentioning credentials: replaced whole.
    h.client
        .put(h.url(ACCOUNT_PATH))
        .header("x-api-key", KEY)
        .body(format!("{{\"auth_credentials\": \"{secret}\""))
        .send()
        .await
        .unwrap();

    let log = h.requests().await;
    assert!(
        !log.to_string().contains(secret),
        "credentials leaked: {log}"
    );
    assert!(!log.to_string().contains(KEY), "key leaked");
    assert_eq!(log["count"], 6);
    let requests = log["requests"].as_array().unwrap();
    let seen: Vec<(&str, &str)> = requests
        .iter()
        .map(|r| (r["method"].as_str().unwrap(), r["path"].as_str().unwrap()))
        .collect();
    assert_eq!(
        seen,
        [
            ("POST", ACCOUNT_PATH),
            ("GET", ACCOUNT_PATH),
            ("GET", "/api/v2/public/linked-account/logged"),
            ("DELETE", "/api/v2/public/linked-account/logged"),
            ("POST", TOKEN_PATH),
            ("PUT", ACCOUNT_PATH),
        ]
    );
    let logged: Value = serde_json::from_str(requests[0]["body"].as_str().unwrap()).unwrap();
    assert_eq!(logged["your_app"]["auth_credentials"], "[redacted]");
    assert_eq!(logged["your_app"]["app_id"], "a");
    assert_eq!(logged["linked_account_id"], "logged");
    assert_eq!(requests[1]["query"], "page=1&limit=5");
    assert_eq!(requests[1]["body"], "");
    assert_eq!(requests[0]["query"], Value::Null);
    assert_eq!(requests[4]["headers"]["x-api-key"], "[redacted]");
    // The DELETE without a key is logged too (its 401 is an answer).
    assert!(requests[3]["headers"].get("x-api-key").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_apply_to_linked_account_routes() {
    let h = start().await;
    h.queue(json!([
        { "kind": "status", "status": 503, "headers": { "retry-after": "2" } },
        { "kind": "delay", "ms": 200 },
        { "kind": "stall_body", "ms": 300 },
        { "kind": "truncate" },
        { "kind": "oversized", "bytes": 5000 },
        { "kind": "close" },
        { "kind": "wire", "status_line": "HTTP/1.1 502 Wired", "body": "raw" },
    ]))
    .await;
    let put_body = |id: &str| Some(json!({ "linked_account_id": id }));

    // status: answered without handling (nothing created).
    let response = h
        .client
        .put(h.url(ACCOUNT_PATH))
        .header("x-api-key", KEY)
        .body(json!({ "linked_account_id": "f1" }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    assert_eq!(header(&response, "retry-after"), "2");
    assert!(header(&response, "x-request-id").starts_with("req_"));

    // delay: handled after the wait.
    let started = std::time::Instant::now();
    let (status, _, account) = call(&h, Method::PUT, ACCOUNT_PATH, Some(KEY), put_body("f2")).await;
    assert!(started.elapsed() >= Duration::from_millis(200));
    assert_eq!(status, 200);
    assert_document(&account, "f2");

    // stall_body: the real answer (here a 404), paused half way.
    let started = std::time::Instant::now();
    let (status, _, answer) = call(&h, Method::GET, &account_path("f1"), Some(KEY), None).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(status, 404);
    assert_error(&answer, 404, "SERVER_ERROR");

    // truncate: the request is handled, its answer cut.
    let response = h
        .client
        .put(h.url(ACCOUNT_PATH))
        .header("x-api-key", KEY)
        .body(json!({ "linked_account_id": "f3" }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.bytes().await.is_err());

    // oversized: the real answer padded to the size asked.
    let response = h
        .client
        .get(h.url(&account_path("f3")))
        .header("x-api-key", KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let bytes = response.bytes().await.unwrap();
    assert_eq!(bytes.len(), 5000);
    let padded: Value = serde_json::from_slice(&bytes).unwrap();
    assert_document(&padded, "f3");
    assert!(
        padded["padding"]
            .as_str()
            .unwrap()
            .bytes()
            .all(|b| b == b'x')
    );

    // close, then wire: no answer over HTTP.
    assert!(
        h.client
            .get(h.url(ACCOUNT_PATH))
            .header("x-api-key", KEY)
            .send()
            .await
            .is_err()
    );
    let seen = raw_exchange(
        h.emulator.addr(),
        format!("DELETE {ACCOUNT_PATH}/f2 HTTP/1.1\r\nhost: x\r\nx-api-key: {KEY}\r\n\r\n")
            .as_bytes(),
        0,
    )
    .await;
    assert_eq!(seen.bytes, b"HTTP/1.1 502 Wired\r\n\r\nraw");

    // Queue drained; the wire-faulted DELETE did not happen, the others did.
    let (_, page) = list(&h, "").await;
    let ids: Vec<&str> = page["docs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["account_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [ACCOUNT, "f2", "f3"]);
    assert_eq!(h.requests().await["count"], 8);
}
