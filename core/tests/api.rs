//! Any operation of Refold's API through `Client::call` against a live emulator
//! (docs/contract.md §17): routes, scopes, pages, retry rules, multipart, errors, secrets.

use refold_session::api::{ApiFile, ApiRequest, OPERATIONS};
use refold_session::{Client, ClientOptions, ErrorCode, RateLimitOptions, RequestOptions};
use serde_json::{Value, json};

#[path = "common/emulator.rs"]
mod emulator;

const KEY: &str = "sk_api_DISTINCTIVE_4f2e";

fn client(emulator: &refold_emulator::Emulator, retries: u32) -> Client {
    Client::new(ClientOptions {
        api_key: Some(KEY.into()),
        base_url: Some(emulator.base_url()),
        max_retries: Some(retries),
        read_environment_variables: Some(false),
        rate_limit: Some(RateLimitOptions::Off),
        ..ClientOptions::default()
    })
    .unwrap()
}

async fn requests(emulator: &refold_emulator::Emulator) -> Vec<Value> {
    emulator::control(emulator, "/__emulator/requests").await["requests"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn a_table_is_created_filled_and_read_page_by_page() {
    let emulator = emulator::start(KEY).await;
    let account = client(&emulator, 0).for_linked_account("api-1").unwrap();
    let created = account
        .call(
            "createPersistentTable",
            ApiRequest::new().body(json!({
                "table_name": "leads",
                "columns": [{"column_name": "email"}]
            })),
        )
        .await
        .unwrap();
    let table = created["table_id"].as_str().unwrap().to_owned();
    let rows: Vec<Value> = (0..5).map(|i| json!({"email": format!("{i}@x")})).collect();
    account
        .call(
            "addRecordsToPersistentTable",
            ApiRequest::new()
                .param("table_id", table.as_str())
                .body(json!({ "data": rows })),
        )
        .await
        .unwrap();

    let mut seen = Vec::new();
    let mut page = Some(1);
    while let Some(number) = page {
        let got = account
            .call_page(
                "getPersistentTableRecords",
                ApiRequest::new()
                    .param("table_id", table.as_str())
                    .param("page", number)
                    .param("limit", 2),
                RequestOptions::default(),
            )
            .await
            .unwrap();
        seen.extend(got.items);
        page = got.next_page;
    }
    assert_eq!(seen.len(), 5, "three pages of 2, 2 and 1");

    let log = requests(&emulator).await;
    assert_eq!(log.len(), 5);
    for entry in &log {
        assert_eq!(entry["headers"]["linked_account_id"], "api-1");
        assert_eq!(entry["headers"]["x-api-key"], "[redacted]");
    }
    assert_eq!(log[2]["query"], "page=1&limit=2");
    assert_eq!(log[4]["query"], "page=3&limit=2");
}

#[tokio::test]
async fn a_session_token_client_sends_the_token_and_refuses_org_operations_unsent() {
    let emulator = emulator::start(KEY).await;
    let org = client(&emulator, 0);
    let session = org.get_token_for_linked_account("api-2").await.unwrap();
    let scoped = org.for_session_token(session.token()).unwrap();
    let active = scoped
        .call("getLinkedAccountBySessionToken", ApiRequest::new())
        .await
        .unwrap();
    assert_eq!(active["account_id"], "api-2", "{active}");
    let before = requests(&emulator).await.len();

    let mut refused = 0;
    for op in OPERATIONS.iter().filter(|op| !scoped.allows(op)) {
        let error = scoped.call(op.id, ApiRequest::new()).await.unwrap_err();
        assert_eq!(error.code(), ErrorCode::InvalidInput, "{}", op.id);
        assert!(error.message().contains("org-level"), "{error}");
        assert!(!error.message().contains(session.token()));
        refused += 1;
    }
    assert_eq!(
        refused, 55,
        "the operations whose security is the API key alone"
    );
    assert_eq!(requests(&emulator).await.len(), before, "nothing was sent");
    let log = requests(&emulator).await;
    let bearer = &log[1]["headers"];
    assert!(bearer.get("x-api-key").is_none(), "no API key with a token");
    assert_eq!(bearer["authorization"], "Bearer [redacted]");
}

#[tokio::test]
async fn idempotent_operations_are_retried_and_posts_that_were_sent_are_not() {
    let emulator = emulator::start(KEY).await;
    let org = client(&emulator, 2);
    emulator::faults(&emulator, json!([{"kind": "status", "status": 503}])).await;
    let list = org.call("listWebhooks", ApiRequest::new()).await.unwrap();
    assert!(list.is_array() || list.is_object(), "{list}");

    emulator::faults(&emulator, json!([{"kind": "status", "status": 503}])).await;
    let error = org
        .call(
            "registerWebhook",
            ApiRequest::new().body(json!({
                "webhook_url": "http://127.0.0.1:9/hook",
                "webhook_events": ["Connection Created"]
            })),
        )
        .await
        .unwrap_err();
    assert_eq!(error.code(), ErrorCode::ServerError);
    assert_eq!(
        error.attempts(),
        1,
        "a POST that reached Refold is not repeated"
    );
    let log = requests(&emulator).await;
    assert_eq!(log.len(), 3);
}

#[tokio::test]
async fn errors_name_the_operation_and_never_the_key() {
    let emulator = emulator::start(KEY).await;
    let org = client(&emulator, 0);
    let missing = org
        .call(
            "getExecutionById",
            ApiRequest::new()
                .param("execution_id", "nope")
                .linked_account_id("api-3"),
        )
        .await
        .unwrap_err();
    assert_eq!(missing.code(), ErrorCode::NotFound);
    assert!(missing.message().contains("getExecutionById"), "{missing}");
    assert_eq!(missing.status(), Some(404));

    let unknown = org
        .call("noSuchOperation", ApiRequest::new())
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), ErrorCode::InvalidInput);
    let needs_account = org
        .call("listSchedules", ApiRequest::new())
        .await
        .unwrap_err();
    assert!(needs_account.message().contains("linked_account_id"));
    let no_body = org
        .call("listWebhooks", ApiRequest::new().body(json!({"a": 1})))
        .await
        .unwrap_err();
    assert!(no_body.message().contains("takes no body"));
    assert!(
        requests(&emulator).await.len() == 1,
        "only the 404 was sent"
    );

    let wrong_key = Client::new(ClientOptions {
        api_key: Some("sk_wrong_DISTINCTIVE_9d1".into()),
        base_url: Some(emulator.base_url()),
        max_retries: Some(0),
        read_environment_variables: Some(false),
        rate_limit: Some(RateLimitOptions::Off),
        ..ClientOptions::default()
    })
    .unwrap();
    let rejected = wrong_key
        .call("listWebhooks", ApiRequest::new())
        .await
        .unwrap_err();
    assert_eq!(rejected.code(), ErrorCode::Authentication);
    for error in [&missing, &unknown, &needs_account, &no_body, &rejected] {
        let text = format!("{error} {error:?}");
        assert!(!text.contains(KEY) && !text.contains("sk_wrong_DISTINCTIVE_9d1"));
    }
}

#[tokio::test]
async fn an_event_with_a_file_goes_as_multipart() {
    let emulator = emulator::start(KEY).await;
    let org = client(&emulator, 0);
    org.call(
        "createEvent",
        ApiRequest::new().body(json!({"name": "file_uploaded", "response": "{}"})),
    )
    .await
    .unwrap();
    let account = org.for_linked_account("api-4").unwrap();
    account
        .call(
            "triggerEvent",
            ApiRequest::new()
                .body(json!({"event": "file_uploaded", "payload": {"n": 1}}))
                .file(ApiFile {
                    field: "file".into(),
                    filename: "notes.txt".into(),
                    content_type: Some("text/plain".into()),
                    bytes: "hello".into(),
                }),
        )
        .await
        .unwrap();
    let log = requests(&emulator).await;
    let content_type = log[1]["headers"]["content-type"].as_str().unwrap();
    assert!(
        content_type.starts_with("multipart/form-data; boundary="),
        "{content_type}"
    );
}
