//! The state each resource keeps, as a client sees it: create → list → get → update → delete,
//! for events, MCP servers, persistent tables, datarefs, variables, configs, the webhook
//! registry, credentials, hosted connect, human tasks and actions.

mod common;

use common::*;
use serde_json::{Value, json};

const ME: As<'static> = As::KeyFor(ACCOUNT);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn event_definitions() {
    let h = start().await;
    let base = "/api/v2/public/application/event";
    assert_eq!(h.expect(200, "GET", base, As::Key, None).await, json!([]));
    let sample = json!({"event": "", "payload": {"email": "", "n": 1}}).to_string();
    let all = h
        .expect(
            200,
            "POST",
            base,
            As::Key,
            Some(json!({"name": "candidate_created", "response": sample})),
        )
        .await;
    let created = &all[0];
    assert_eq!(created["name"], "candidate_created");
    assert_eq!(
        created["response"],
        json!([
            {"key": "event", "type": "text"},
            {"key": "payload", "type": "object"},
            {"key": "payload.email", "type": "text"},
            {"key": "payload.n", "type": "number"},
        ])
    );
    let id = created["_id"].as_str().unwrap();
    // A second one with the same name is refused; another name is added.
    h.expect(
        400,
        "POST",
        base,
        As::Key,
        Some(json!({"name": "candidate_created", "response": "{}"})),
    )
    .await;
    let all = h
        .expect(
            200,
            "POST",
            base,
            As::Key,
            Some(json!({"name": "other", "response": "{}"})),
        )
        .await;
    assert_eq!(all.as_array().unwrap().len(), 2);
    let one = h
        .expect(200, "GET", &format!("{base}/{id}"), As::Key, None)
        .await;
    assert_eq!(&one, created);
    let all = h
        .expect(
            200,
            "PUT",
            &format!("{base}/{id}"),
            As::Key,
            Some(json!({"name": "renamed", "response": "{\"x\": true}"})),
        )
        .await;
    assert!(
        all.as_array()
            .unwrap()
            .iter()
            .any(|e| e["name"] == "renamed" && e["response"][0]["type"] == "boolean")
    );
    let left = h
        .expect(200, "DELETE", &format!("{base}/{id}"), As::Key, None)
        .await;
    assert_eq!(left.as_array().unwrap().len(), 1);
    let gone = h
        .expect(404, "GET", &format!("{base}/{id}"), As::Key, None)
        .await;
    assert_eq!(gone["error"], "RESOURCE_NOT_FOUND");

    // Firing: a defined event, JSON or multipart (files accepted and dropped).
    h.expect(
        404,
        "POST",
        "/api/v2/public/event/trigger",
        ME,
        Some(json!({"event": "renamed"})),
    )
    .await;
    let fired = h
        .expect(
            200,
            "POST",
            "/api/v2/public/event/trigger",
            ME,
            Some(json!({"event": "other", "payload": {"a": 1}})),
        )
        .await;
    assert_eq!(fired, json!({"message": "Webhook Fired Success"}));
    let form = "--B\r\nContent-Disposition: form-data; name=\"event\"\r\n\r\nother\r\n--B\r\nContent-Disposition: form-data; name=\"cv\"; filename=\"cv.pdf\"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.7\r\n--B--\r\n";
    for path in [
        "/api/v2/public/event/trigger",
        "/api/v2/public/event/parcel-post",
    ] {
        let response = h
            .client
            .post(h.url(path))
            .header("x-api-key", KEY)
            .header("linked_account_id", ACCOUNT)
            .header("content-type", "multipart/form-data; boundary=B")
            .body(form)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let body = json_of(response).await;
        if path.ends_with("parcel-post") {
            // The named app must be connected.
            assert_eq!(status, 400, "{body}");
        } else {
            assert_eq!(
                (status, body),
                (200, json!({"message": "Webhook Fired Success"}))
            );
        }
    }
    let broken = h
        .client
        .post(h.url("/api/v2/public/event/trigger"))
        .header("x-api-key", KEY)
        .header("linked_account_id", ACCOUNT)
        .header("content-type", "multipart/form-data; boundary=B")
        .body("--B\r\nno head end")
        .send()
        .await
        .unwrap();
    assert_eq!(broken.status(), 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mcp_servers() {
    let h = start().await;
    let base = "/api/v2/public/mcp-servers";
    let created = h
        .expect(
            201,
            "POST",
            base,
            ME,
            Some(json!({"name": "CRM", "description": "Tools"})),
        )
        .await;
    let id = created["_id"].as_str().unwrap().to_owned();
    assert_eq!(
        created,
        json!({"_id": id, "name": "CRM", "description": "Tools"})
    );
    let page = h.expect(200, "GET", base, ME, None).await;
    assert_eq!(page["totalDocs"], 1);
    assert_eq!(page["docs"][0]["_id"], id);
    let one = h
        .expect(200, "GET", &format!("{base}/{id}"), ME, None)
        .await;
    assert_eq!(one["chains"], json!([]));
    let updated = h
        .expect(
            200,
            "PUT",
            &format!("{base}/{id}"),
            ME,
            Some(json!({"agent_name": "Bot", "safe_mode": true})),
        )
        .await;
    assert_eq!(
        (updated["agent_name"].clone(), updated["name"].clone()),
        (json!("Bot"), json!("CRM"))
    );
    // Another account does not see it.
    h.expect(
        200,
        "PUT",
        ACCOUNT_PATH,
        As::Key,
        Some(json!({"linked_account_id": "acct-2"})),
    )
    .await;
    h.expect(
        404,
        "GET",
        &format!("{base}/{id}"),
        As::KeyFor("acct-2"),
        None,
    )
    .await;
    assert_eq!(
        h.expect(204, "DELETE", &format!("{base}/{id}"), ME, None)
            .await,
        Value::Null
    );
    h.expect(404, "DELETE", &format!("{base}/{id}"), ME, None)
        .await;
    // A session token acts for its account.
    let token = h.token(ACCOUNT).await;
    h.expect(
        201,
        "POST",
        base,
        As::Token(&token),
        Some(json!({"name": "a", "description": "b"})),
    )
    .await;
    assert_eq!(h.expect(200, "GET", base, ME, None).await["totalDocs"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn persistent_tables() {
    let h = start().await;
    let base = "/api/v2/public/tables";
    let created = h
        .expect(200, "POST", base, ME, Some(json!({"table_name": "leads", "columns": [{"column_name": "email"}, {"column_name": "stage"}]})))
        .await;
    let id = created["table_id"].as_str().unwrap().to_owned();
    let table = format!("{base}/{id}");
    h.expect(
        400,
        "POST",
        base,
        ME,
        Some(json!({"table_name": "leads", "columns": [{"column_name": "x"}]})),
    )
    .await;
    let added = h
        .expect(200, "PATCH", &table, ME, Some(json!({"data": [{"email": "a@x", "stage": "new"}, {"email": "b@x", "stage": "won"}]})))
        .await;
    let records = added["add_record_result"].as_array().unwrap().clone();
    assert_eq!(records.len(), 2);
    let first = records[0]["record_id"].as_str().unwrap().to_owned();
    assert_eq!(first.len(), 36);
    h.expect(
        200,
        "PATCH",
        &table,
        ME,
        Some(json!({"data": {"email": "c@x", "stage": "new"}})),
    )
    .await;
    let page = h
        .expect(200, "GET", &format!("{table}?limit=2&page=2"), ME, None)
        .await;
    assert_eq!(
        (
            page["totalDocs"].clone(),
            page["docs"].as_array().unwrap().len()
        ),
        (json!(3), 1)
    );
    assert_eq!(page["columns"], json!(["email", "stage"]));
    let found = h
        .expect(
            200,
            "POST",
            &format!("{table}/search"),
            ME,
            Some(json!({"stage": "new"})),
        )
        .await;
    assert_eq!(found.as_array().unwrap().len(), 2);
    let columns = h
        .expect(
            200,
            "PATCH",
            &format!("{table}/columns/add"),
            ME,
            Some(json!({"columns": ["score", "email"]})),
        )
        .await;
    assert_eq!(columns, json!({"columns": ["email", "stage", "score"]}));
    let renamed = h
        .expect(
            200,
            "PATCH",
            &format!("{table}/columns/rename"),
            ME,
            Some(json!({"renames": [{"old_name": "score", "new_name": "lead_score"}]})),
        )
        .await;
    assert_eq!(
        renamed,
        json!({"columns": ["email", "stage", "lead_score"]})
    );
    h.expect(
        400,
        "PATCH",
        &format!("{table}/columns/rename"),
        ME,
        Some(json!({"renames": [{"old_name": "nope", "new_name": "x"}]})),
    )
    .await;
    let removed = h
        .expect(
            200,
            "DELETE",
            &format!("{table}/columns/remove"),
            ME,
            Some(json!({"columns": ["stage"]})),
        )
        .await;
    assert_eq!(removed, json!({"columns": ["email", "lead_score"]}));
    let deleted = h
        .expect(200, "DELETE", &format!("{table}/{first}"), ME, None)
        .await;
    assert_eq!(deleted, json!({"record_id": first, "email": "a@x"}));
    h.expect(404, "DELETE", &format!("{table}/{first}"), ME, None)
        .await;
    // Groups, the org-level list, the soft delete.
    assert_eq!(
        h.expect(
            204,
            "PUT",
            &format!("{base}/group/edit"),
            ME,
            Some(json!({"tableIds": [id], "group": "crm"}))
        )
        .await,
        Value::Null
    );
    let org = h.expect(200, "GET", base, As::Key, None).await;
    assert_eq!(org["docs"][0]["group"], "crm");
    assert_eq!(org["docs"][0]["linked_account_id"], ACCOUNT);
    assert_eq!(h.expect(200, "DELETE", &table, ME, None).await, json!(true));
    h.expect(404, "GET", &table, ME, None).await;
    assert_eq!(h.expect(200, "GET", base, ME, None).await["totalDocs"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn datarefs() {
    let h = start().await;
    let created = h
        .expect(
            200,
            "POST",
            "/api/v2/public/dataref",
            ME,
            Some(json!({"refName": "contacts"})),
        )
        .await;
    assert_eq!(
        (created["name"].clone(), created["data"].clone()),
        (json!("contacts"), json!({}))
    );
    h.expect(
        400,
        "POST",
        "/api/v2/public/dataref",
        ME,
        Some(json!({"refName": "contacts"})),
    )
    .await;
    let list = h
        .expect(200, "GET", "/api/v2/public/dataref", As::Key, None)
        .await;
    assert_eq!(list["totalDocs"], 1);
    assert!(list["docs"][0].get("data").is_none());
    let table = h
        .expect(200, "GET", "/api/v2/public/dataref/contacts", ME, None)
        .await;
    assert_eq!(
        (table["headers"].clone(), table["rows"].clone()),
        (json!(["record_id"]), json!([]))
    );
    let cleared = h
        .expect(
            200,
            "PUT",
            "/api/v2/public/dataref/contacts/clear-records",
            ME,
            None,
        )
        .await;
    assert_eq!(cleared["_id"], created["_id"]);
    h.expect(
        204,
        "PUT",
        "/api/v2/public/datarefs/group",
        ME,
        Some(json!({"refNames": ["contacts"], "group": "g"})),
    )
    .await;
    let list = h
        .expect(
            200,
            "GET",
            &format!("/api/v2/public/dataref?linked_account_id={ACCOUNT}"),
            As::Key,
            None,
        )
        .await;
    assert_eq!(list["docs"][0]["group"], "g");
    let deleted = h
        .expect(200, "DELETE", "/api/v2/public/dataref/contacts", ME, None)
        .await;
    assert_eq!(deleted, json!({"acknowledged": true, "deletedCount": 1}));
    h.expect(404, "GET", "/api/v2/public/dataref/contacts", ME, None)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn environment_variables() {
    let h = start().await;
    let definitions = h
        .expect(
            200,
            "GET",
            "/api/v2/public/env/definitions?scope=linked_account",
            As::Key,
            None,
        )
        .await;
    let secret = definitions["docs"][0]["_id"].as_str().unwrap().to_owned();
    assert_eq!(definitions["docs"][0]["encrypted"], true);
    let one = h
        .expect(
            200,
            "GET",
            &format!("/api/v2/public/env/definitions/{secret}"),
            As::Key,
            None,
        )
        .await;
    assert_eq!(one["definition"]["name"], "API_SECRET");
    // A linked-account value: written, never answered back.
    let set = h
        .expect(
            200,
            "POST",
            "/api/v2/public/env/values",
            ME,
            Some(json!({"variable_definition_id": secret, "value": "s3cr3t-DISTINCTIVE"})),
        )
        .await;
    assert!(!set.to_string().contains("s3cr3t-DISTINCTIVE"));
    assert!(
        !h.requests()
            .await
            .to_string()
            .contains("s3cr3t-DISTINCTIVE")
    );
    let value_id = set["_id"].as_str().unwrap().to_owned();
    let read = h
        .expect(
            200,
            "GET",
            &format!("/api/v2/public/env/value/{secret}?linked_account_id={ACCOUNT}"),
            As::Key,
            None,
        )
        .await;
    assert_eq!(
        (read["value"].clone(), read["scope"].clone()),
        (json!("[REDACTED]"), json!("linked_account"))
    );
    let token = h.token(ACCOUNT).await;
    let listed = h
        .expect(
            200,
            "GET",
            "/api/v2/public/env/values/linked_account",
            As::Token(&token),
            None,
        )
        .await;
    assert_eq!(
        listed["docs"][0]["variable_definition_id"]["name"],
        "API_SECRET"
    );
    assert_eq!(listed["status"], "success");
    // A token stays in its account's scope.
    h.expect(
        403,
        "GET",
        "/api/v2/public/env/values/org",
        As::Token(&token),
        None,
    )
    .await;
    // An org value, its format checked.
    let org = h
        .expect(
            200,
            "GET",
            "/api/v2/public/env/definitions?name=API_BASE_URL",
            As::Key,
            None,
        )
        .await;
    let url = org["docs"][0]["_id"].as_str().unwrap().to_owned();
    let bad = h
        .expect(
            400,
            "POST",
            "/api/v2/public/env/values",
            As::Key,
            Some(json!({"variable_definition_id": url, "value": "not a url"})),
        )
        .await;
    assert_eq!(bad["message"], "value does not match the variable format");
    h.expect(
        200,
        "POST",
        "/api/v2/public/env/values",
        As::Key,
        Some(json!({"variable_definition_id": url, "value": "https://a.example"})),
    )
    .await;
    let read = h
        .expect(
            200,
            "GET",
            &format!("/api/v2/public/env/value/{url}"),
            As::Key,
            None,
        )
        .await;
    assert_eq!(read["value"], "https://a.example");
    let missing = h
        .expect(
            400,
            "GET",
            "/api/v2/public/env/values/workflow",
            As::Key,
            None,
        )
        .await;
    assert_eq!(
        missing["message"],
        "workflow_id is required for workflow scope"
    );
    let deleted = h
        .expect(
            200,
            "DELETE",
            &format!("/api/v2/public/env/values/{value_id}"),
            As::Token(&token),
            None,
        )
        .await;
    assert_eq!(
        deleted["message"],
        "Variable value for \"API_SECRET\" deleted successfully"
    );
    h.expect(
        404,
        "GET",
        &format!("/api/v2/public/env/value/{secret}?linked_account_id={ACCOUNT}"),
        As::Key,
        None,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configs() {
    let h = start().await;
    h.expect(
        404,
        "GET",
        "/api/v2/public/slug/parcel-post/config",
        ME,
        None,
    )
    .await;
    let unknown = h
        .expect(
            404,
            "POST",
            "/api/v2/public/config",
            ME,
            Some(json!({"slug": "hubspot"})),
        )
        .await;
    assert_eq!(unknown["error_code"], "INVALID_APP_ID");
    let created = h
        .expect(
            200,
            "POST",
            "/api/v2/public/config",
            ME,
            Some(json!({"slug": "parcel-post"})),
        )
        .await;
    assert_eq!(created["config_id"], ACCOUNT);
    let workflow = created["workflows"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(created["workflows"][0]["enabled"], true);
    let field = created["fields"][0]["id"].as_str().unwrap().to_owned();
    // Get-or-create answers the same one.
    assert_eq!(
        h.expect(
            200,
            "POST",
            "/api/v2/public/config",
            ME,
            Some(json!({"slug": "parcel-post"}))
        )
        .await,
        created
    );
    let named = h
        .expect(
            200,
            "POST",
            "/api/v2/public/config",
            ME,
            Some(json!({"slug": "parcel-post", "config_id": "staging", "labels": {"env": "s"}})),
        )
        .await;
    assert_eq!(named["labels"], json!({"env": "s"}));
    let ids = h
        .expect(
            200,
            "GET",
            "/api/v2/public/slug/parcel-post/configs",
            ME,
            None,
        )
        .await;
    assert_eq!(ids.as_array().unwrap().len(), 2);
    let updated = h
        .expect(
            200,
            "PUT",
            "/api/v2/public/config",
            ME,
            Some(json!({"slug": "parcel-post", "fields": [{"id": field, "value": "push"}]})),
        )
        .await;
    assert_eq!(updated["fields"][0]["value"], "push");
    let toggled = h
        .expect(
            200,
            "PATCH",
            &format!("/api/v2/public/slug/parcel-post/config/{ACCOUNT}/workflows/{workflow}"),
            ME,
            Some(json!({"enabled": false})),
        )
        .await;
    assert_eq!(toggled["workflows"][0]["enabled"], false);
    let enabled = h
        .expect(200, "GET", "/api/v2/public/workflow/enabled", ME, None)
        .await;
    // Still enabled in the staging config only.
    let enabled: Vec<&Value> = enabled
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["id"] == workflow.as_str())
        .collect();
    assert_eq!(enabled.len(), 1);
    assert_eq!(enabled[0]["config_id"], "staging");
    let read = h
        .expect(
            200,
            "GET",
            "/api/v2/public/slug/parcel-post/config/staging",
            ME,
            None,
        )
        .await;
    assert_eq!(read["config_id"], "staging");
    assert_eq!(
        h.expect(
            200,
            "DELETE",
            "/api/v2/public/slug/parcel-post/config/staging",
            ME,
            None
        )
        .await,
        json!({"message": "Installation Deleted Success"})
    );
    h.expect(
        200,
        "DELETE",
        "/api/v2/public/slug/parcel-post/config",
        ME,
        None,
    )
    .await;
    h.expect(
        404,
        "GET",
        "/api/v2/public/slug/parcel-post/config",
        ME,
        None,
    )
    .await;
    // Config fields answer their documented examples.
    let fields = h
        .client
        .post(h.url("/api/v2/public/config/field"))
        .header("x-api-key", KEY)
        .header("linked_account_id", ACCOUNT)
        .header("slug", "parcel-post")
        .send()
        .await
        .unwrap();
    assert_eq!(fields.status(), 200);
    assert_eq!(json_of(fields).await["slug"], "hubspot");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_registry() {
    let h = start().await;
    let base = "/api/v2/public/webhook";
    let body = |url: &str, events: Value| json!({"webhook_url": url, "webhook_events": events});
    let bad_event = h
        .expect(
            400,
            "POST",
            base,
            As::Key,
            Some(body("http://127.0.0.1:9/h", json!(["Nope"]))),
        )
        .await;
    assert_eq!(bad_event["error"], "INVALID_EVENT");
    let far = h
        .expect(
            400,
            "POST",
            base,
            As::Key,
            Some(body("https://example.com/h", json!(["Workflow Errored"]))),
        )
        .await;
    assert!(far["message"].as_str().unwrap().contains("loopback"));
    let mut with_headers = body(
        "http://127.0.0.1:9/h",
        json!(["Workflow Errored", "Connection Expired"]),
    );
    with_headers["webhook_headers"] = json!({"authorization": "Bearer hook_DISTINCTIVE"});
    let created = h
        .expect(200, "POST", base, As::Key, Some(with_headers))
        .await;
    assert!(!h.requests().await.to_string().contains("hook_DISTINCTIVE"));
    let id = created["_id"].as_str().unwrap().to_owned();
    assert_eq!(
        (created["is_enabled"].clone(), created["method"].clone()),
        (json!(true), json!("POST"))
    );
    assert_eq!(
        h.expect(200, "GET", base, As::Key, None)
            .await
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let updated = h
        .expect(
            200,
            "PUT",
            &format!("{base}/{id}"),
            As::Key,
            Some(json!({"is_enabled": false, "webhook_events": ["Workflow Completed"]})),
        )
        .await;
    assert_eq!(
        (
            updated["is_enabled"].clone(),
            updated["webhook_events"].clone()
        ),
        (json!(false), json!(["Workflow Completed"]))
    );
    let grouped = h
        .expect(
            200,
            "PUT",
            "/api/v2/public/webhooks/group/edit",
            As::Key,
            Some(json!({"webhookIds": [id], "group": "billing"})),
        )
        .await;
    assert_eq!(grouped[0]["group"], "billing");
    let got = h
        .expect(200, "GET", &format!("{base}/{id}"), As::Key, None)
        .await;
    assert_eq!(got["group"], "billing");
    assert_eq!(
        h.expect(200, "DELETE", &format!("{base}/{id}"), As::Key, None)
            .await,
        json!([])
    );
    let gone = h
        .expect(400, "GET", &format!("{base}/{id}"), As::Key, None)
        .await;
    assert_eq!(gone["error"], "RESOURCE_NOT_FOUND");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_and_connections() {
    let h = start().await;
    let apps = "/api/v2/public/application";
    let connected = |list: &Value, slug: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .any(|a| a["slug"] == slug && a["connected"] == true)
    };
    // Auth structures (no credentials).
    let keybased = h
        .expect(
            200,
            "GET",
            "/api/v2/public/auth-structure/relay-sms",
            As::Nobody,
            None,
        )
        .await;
    assert_eq!(
        keybased["keybased"]["sender"],
        json!({"type": "string", "required": false})
    );
    let missing = h
        .expect(
            500,
            "GET",
            "/api/v2/public/auth-structure/hubspot",
            As::Nobody,
            None,
        )
        .await;
    assert_eq!(
        missing["message"],
        "Schema not found for integration type: hubspot"
    );
    // Key credentials.
    let save = "/api/v2/public/linked-account/integration/save-key-credentials/parcel-post";
    h.expect(400, "PUT", save, ME, Some(json!({}))).await;
    assert_eq!(
        h.expect(
            200,
            "PUT",
            save,
            ME,
            Some(json!({"api_key": "pp_DISTINCTIVE"}))
        )
        .await,
        json!({"success": true})
    );
    assert!(connected(
        &h.expect(200, "GET", apps, ME, None).await,
        "parcel-post"
    ));
    let log = h.requests().await.to_string();
    assert!(
        !log.contains("pp_DISTINCTIVE"),
        "the key reached the request log"
    );
    // OAuth: the URL is the emulator's consent page.
    let url = h
        .expect(
            200,
            "GET",
            "/api/v2/public/linked-account/integration/oauth-url/lumen-crm",
            ME,
            None,
        )
        .await;
    let auth_url = url["auth_url"].as_str().unwrap().to_owned();
    h.expect(
        400,
        "GET",
        "/api/v2/public/linked-account/integration/oauth-url/parcel-post",
        ME,
        None,
    )
    .await;
    let consent = h.client.get(&auth_url).send().await.unwrap();
    assert_eq!(consent.status(), 200);
    assert!(connected(
        &h.expect(200, "GET", apps, ME, None).await,
        "lumen-crm"
    ));
    // A migrated token connects too; custom apps get the documented answer.
    let migrated = h
        .expect(
            200,
            "PUT",
            "/api/v2/public/migrate-token",
            ME,
            Some(json!({"slug": "beacon-chat", "auth_object": {"access_token": "t_DISTINCTIVE"}})),
        )
        .await;
    assert_eq!(migrated["message"], "Token migrated successfully");
    assert!(!h.requests().await.to_string().contains("t_DISTINCTIVE"));
    // The documented form names the auth type; its fields are checked the same way.
    let documented = "/api/v2/public/migrate-token";
    let nested = |object: Value| Some(json!({"slug": "parcel-post", "auth_object": object}));
    h.expect(
        200,
        "PUT",
        documented,
        ME,
        nested(json!({"keybased": {"api_key": "k"}})),
    )
    .await;
    h.expect(
        400,
        "PUT",
        documented,
        ME,
        nested(json!({"keybased": {"api_key": ""}})),
    )
    .await;
    h.expect(
        400,
        "PUT",
        documented,
        ME,
        nested(json!({"oauth2": {"access_token": "t"}})),
    )
    .await;
    let custom = h
        .expect(
            200,
            "PUT",
            "/api/v2/public/migrate-token",
            ME,
            Some(json!({"slug": "custom", "auth_object": {}})),
        )
        .await;
    assert_eq!(
        custom,
        json!({"error": "Custom apps are not supported for this endpoint."})
    );
    // Removing an integration answers the account.
    let account = h
        .expect(
            200,
            "DELETE",
            "/api/v2/public/linked-account/integration/parcel-post",
            ME,
            None,
        )
        .await;
    assert_eq!(account["account_id"], ACCOUNT);
    assert!(
        account["integrations"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["type"] != "parcel-post")
    );
    // Default-app credentials need the default app (your_app at creation).
    let key = "/api/v2/public/linked-account/default-app/auth-credentials/api_key";
    let none = h
        .expect(404, "PUT", key, ME, Some(json!({"value": "v"})))
        .await;
    assert_eq!(
        none["message"],
        format!("Default app integration not found for linked account {ACCOUNT}")
    );
    h.expect(200, "POST", ACCOUNT_PATH, As::Key, Some(json!({"linked_account_id": "with-app", "your_app": {"app_id": "a", "auth_credentials": {"token": "x"}}}))).await;
    let added = h
        .expect(
            200,
            "PUT",
            key,
            As::KeyFor("with-app"),
            Some(json!({"value": "v"})),
        )
        .await;
    assert_eq!(added["action"], "added");
    let again = h
        .expect(
            200,
            "PUT",
            key,
            As::KeyFor("with-app"),
            Some(json!({"value": "w"})),
        )
        .await;
    assert_eq!(again["action"], "updated");
    h.expect(200, "DELETE", key, As::KeyFor("with-app"), None)
        .await;
    let gone = h
        .expect(404, "DELETE", key, As::KeyFor("with-app"), None)
        .await;
    assert_eq!(gone["message"], "Auth credential key 'api_key' not found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hosted_connect_human_tasks_and_actions() {
    let h = start().await;
    let token = h.token(ACCOUNT).await;
    assert_eq!(
        h.expect(
            200,
            "GET",
            "/api/v2/public/hosted-properties",
            As::Token(&token),
            None
        )
        .await,
        json!({})
    );
    let url = h
        .expect(
            200,
            "POST",
            "/api/v2/public/connect-url",
            As::Token(&token),
            Some(json!({"company": "Acme", "plan": "pro"})),
        )
        .await;
    assert!(
        url["hosted_url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/connect/{token}"))
    );
    let stash = h
        .expect(
            200,
            "GET",
            "/api/v2/public/hosted-properties",
            As::Token(&token),
            None,
        )
        .await;
    assert_eq!(stash, json!({"company": "Acme", "plan": "pro"}));

    let task = "/api/v2/public/human-tasks/6a31a2f0d396207fd2510000";
    let form = h.expect(200, "GET", task, As::Nobody, None).await;
    assert_eq!(form["status"], "WAITING");
    let incomplete = h
        .expect(
            400,
            "POST",
            task,
            As::Nobody,
            Some(json!({"data": {"notes": "x"}})),
        )
        .await;
    assert_eq!(incomplete["error_code"], "SERVER_ERROR");
    assert_eq!(
        h.expect(
            200,
            "POST",
            task,
            As::Nobody,
            Some(json!({"data": {"approved": true}}))
        )
        .await["message"],
        "Form submitted successfully"
    );
    let twice = h
        .expect(
            400,
            "POST",
            task,
            As::Nobody,
            Some(json!({"data": {"approved": true}})),
        )
        .await;
    assert_eq!(twice["message"], "Form has already been submitted");
    h.expect(
        404,
        "GET",
        "/api/v2/public/human-tasks/nope",
        As::Nobody,
        None,
    )
    .await;

    let actions = h
        .expect(
            200,
            "GET",
            "/api/v2/integration-schema/relay-sms/actions",
            ME,
            None,
        )
        .await;
    assert_eq!(actions[0]["action_id"], "httprequest");
    let schema = h
        .expect(
            200,
            "GET",
            "/api/v2/integration-schema/relay-sms/actions/get_record",
            ME,
            None,
        )
        .await;
    assert_eq!(schema[0]["name"], "record_id");
    let execute = "/api/v2/integration-schema/relay-sms/actions/get_record/execute";
    h.expect(400, "POST", execute, ME, Some(json!({"record_id": "1"})))
        .await;
    h.expect(
        200,
        "POST",
        "/api/v2/app/relay-sms/save",
        As::Token(&token),
        Some(json!({"account_sid": "a", "auth_token": "b"})),
    )
    .await;
    h.expect(400, "POST", execute, ME, Some(json!({}))).await;
    let done = h
        .expect(200, "POST", execute, ME, Some(json!({"record_id": "1"})))
        .await;
    assert_eq!(done["node_status"], "Success");
    let unknown = h
        .expect(
            404,
            "GET",
            "/api/v2/integration-schema/relay-sms/actions/nope",
            ME,
            None,
        )
        .await;
    assert_eq!(unknown["error_code"], "SERVER_ERROR");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_an_account_forgets_its_resources() {
    let h = start().await;
    h.expect(
        201,
        "POST",
        "/api/v2/public/mcp-servers",
        ME,
        Some(json!({"name": "a", "description": "b"})),
    )
    .await;
    h.expect(
        200,
        "POST",
        "/api/v2/public/dataref",
        ME,
        Some(json!({"refName": "r"})),
    )
    .await;
    h.expect(
        200,
        "DELETE",
        &format!("{ACCOUNT_PATH}/{ACCOUNT}"),
        As::Key,
        None,
    )
    .await;
    h.expect(
        200,
        "PUT",
        ACCOUNT_PATH,
        As::Key,
        Some(json!({"linked_account_id": ACCOUNT})),
    )
    .await;
    assert_eq!(
        h.expect(200, "GET", "/api/v2/public/mcp-servers", ME, None)
            .await["totalDocs"],
        0
    );
    assert_eq!(
        h.expect(200, "GET", "/api/v2/public/dataref", As::Key, None)
            .await["totalDocs"],
        0
    );
}
