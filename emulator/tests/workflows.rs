//! Workflows (draft, publish, versions, unpublish, delete), executions (asynchronous,
//! synchronous, errored, stopped, rerun, listed) and schedules (CRUD, and firing while not
//! paused).

mod common;

use common::*;
use refold_emulator::EmulatorConfig;
use serde_json::{Value, json};

const ME: As<'static> = As::KeyFor(ACCOUNT);

/// A draft workflow of `ACCOUNT` for `parcel-post`, published with a session token: (draft id,
/// published id, token).
async fn published_workflow(h: &Harness, name: &str) -> (String, String, String) {
    let created = h
        .expect(
            200,
            "POST",
            "/api/v2/public/workflow",
            ME,
            Some(json!({"name": name, "slug": "parcel-post"})),
        )
        .await;
    let draft = created["workflow"]["_id"].as_str().unwrap().to_owned();
    let token = h.token(ACCOUNT).await;
    let published = h
        .expect(
            200,
            "PUT",
            &format!("/api/v2/public/workflow/{draft}/publish"),
            As::Token(&token),
            Some(json!({"published": true})),
        )
        .await;
    (draft, published["_id"].as_str().unwrap().to_owned(), token)
}

/// Runs `workflow`: the answer's body.
async fn execute(h: &Harness, workflow: &str, sync: bool, payload: Value) -> (u16, Value) {
    let mut request = h
        .client
        .post(h.url(&format!("/api/v2/public/workflow/{workflow}/execute")))
        .header("x-api-key", KEY)
        .header("linked_account_id", ACCOUNT)
        .header("slug", "parcel-post")
        .header("content-type", "application/json")
        .body(payload.to_string());
    if sync {
        request = request.header("sync_execution", "true");
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), json_of(response).await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drafts_publish_versions_and_delete() {
    let h = start().await;
    let schema = json!({"type": "object", "required": ["email"], "properties": {"email": {"type": "string"}}});
    let created = h
        .expect(200, "POST", "/api/v2/public/workflow", ME, Some(json!({"name": "Lead Sync", "schema": schema, "manual_execution_payload": {"email": "a@x"}})))
        .await;
    let draft = created["workflow"]["_id"].as_str().unwrap().to_owned();
    assert_eq!(created["workflow"]["nodes"][0]["type"], "start");
    let private = h
        .expect(
            200,
            "GET",
            "/api/v2/public/workflow?scope=private",
            ME,
            None,
        )
        .await;
    assert_eq!(private["docs"][0]["_id"], draft);
    assert_eq!(private["docs"][0]["published"], false);
    let public = h
        .expect(200, "GET", "/api/v2/public/workflow", As::Key, None)
        .await;
    assert_eq!(public["totalDocs"], 5, "one public workflow per demo app");
    let edit = h
        .expect(
            200,
            "GET",
            &format!("/api/v2/public/workflow/{draft}/edit"),
            ME,
            None,
        )
        .await;
    assert_eq!(
        (edit["_id"].clone(), edit["associated_workflow"].clone()),
        (json!(draft), Value::Null)
    );
    let structure = h
        .expect(
            200,
            "GET",
            &format!("/api/v2/public/workflow/request-structure/{draft}"),
            ME,
            None,
        )
        .await;
    assert_eq!(structure["schema"], schema);
    assert_eq!(
        structure["schema_interpreted"],
        json!({"email": "string (required)"})
    );
    assert_eq!(structure["payload"], json!({"email": "a@x"}));
    let (status, body) = execute(&h, &draft, true, json!({})).await;
    assert_eq!(
        (status, body["message"].clone()),
        (400, json!("Workflow is not published"))
    );

    let token = h.token(ACCOUNT).await;
    let publish = format!("/api/v2/public/workflow/{draft}/publish");
    let published = h
        .expect(
            200,
            "PUT",
            &publish,
            As::Token(&token),
            Some(json!({"published": true})),
        )
        .await;
    let id = published["_id"].as_str().unwrap().to_owned();
    assert_ne!(id, draft, "the published workflow is another document");
    assert_eq!(published["published"], true);
    let again = h
        .expect(
            200,
            "PUT",
            &publish,
            As::Token(&token),
            Some(json!({"published": true})),
        )
        .await;
    assert_eq!(again["_id"], id);
    let versions = h
        .expect(
            200,
            "GET",
            &format!("/api/v2/public/workflow/versions/{id}"),
            ME,
            None,
        )
        .await;
    let numbers: Vec<&Value> = versions["docs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| &v["version"])
        .collect();
    assert_eq!(numbers, [&json!(2), &json!(1)]);
    // The draft now points at its published workflow, which the org reads with the account.
    let edit = h
        .expect(
            200,
            "GET",
            &format!("/api/v2/public/workflow/{id}/edit"),
            ME,
            None,
        )
        .await;
    assert_eq!(
        (edit["_id"].clone(), edit["associated_workflow"].clone()),
        (json!(draft), json!(id))
    );
    h.expect(
        200,
        "GET",
        &format!("/api/v2/public/workflow/{id}"),
        ME,
        None,
    )
    .await;
    h.expect(
        200,
        "PUT",
        ACCOUNT_PATH,
        As::Key,
        Some(json!({"linked_account_id": "acct-2"})),
    )
    .await;
    let other = h
        .expect(
            403,
            "GET",
            &format!("/api/v2/public/workflow/{id}"),
            As::KeyFor("acct-2"),
            None,
        )
        .await;
    assert_eq!(
        other["message"],
        "Workflow is private to another linked account"
    );
    let enabled = h
        .expect(200, "GET", "/api/v2/public/workflow/enabled", ME, None)
        .await;
    assert!(
        enabled
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["id"] == id.as_str())
    );

    // Unpublishing takes the published id.
    let wrong = h
        .expect(
            400,
            "PUT",
            &publish,
            As::Token(&token),
            Some(json!({"published": false})),
        )
        .await;
    assert_eq!(wrong["error_code"], "INVALID_WORKFLOW_ID");
    let off = h
        .expect(
            200,
            "PUT",
            &format!("/api/v2/public/workflow/{id}/publish"),
            As::Token(&token),
            Some(json!({"published": false})),
        )
        .await;
    assert_eq!(off["published"], false);
    assert_eq!(execute(&h, &id, true, json!({})).await.0, 400);

    // A version cannot be deleted; the workflow goes with its draft and versions.
    let version = versions["docs"][0]["_id"].as_str().unwrap().to_owned();
    let refused = h
        .expect(
            400,
            "DELETE",
            &format!("/api/v2/public/workflow/{version}"),
            As::Token(&token),
            None,
        )
        .await;
    assert_eq!(refused["message"], "Workflow is a version workflow.");
    let deleted = h
        .expect(
            200,
            "DELETE",
            &format!("/api/v2/public/workflow/{id}"),
            As::Token(&token),
            None,
        )
        .await;
    assert_eq!(
        deleted,
        json!({"success": true, "triggers_deregistered": true})
    );
    h.expect(
        404,
        "GET",
        &format!("/api/v2/public/workflow/{id}"),
        ME,
        None,
    )
    .await;
    h.expect(
        404,
        "GET",
        &format!("/api/v2/public/workflow/{draft}/edit"),
        ME,
        None,
    )
    .await;
    h.expect(
        404,
        "GET",
        &format!("/api/v2/public/workflow/versions/{id}"),
        ME,
        None,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn executions_sync_async_errored_stopped_and_rerun() {
    let h = start_with(EmulatorConfig {
        linked_accounts: vec![ACCOUNT.to_owned()],
        execution_time: std::time::Duration::from_millis(10),
        ..local_config()
    })
    .await;
    let (_, workflow, _) = published_workflow(&h, "Runs").await;

    // Synchronous: finished in the answer, with the input as the return value.
    let (status, sync) = execute(&h, &workflow, true, json!({"email": "a@x"})).await;
    assert_eq!(status, 200, "{sync}");
    assert_eq!(
        (sync["errored"].clone(), sync["return_value"].clone()),
        (json!(false), json!({"email": "a@x"}))
    );
    let id = sync["execution_id"].as_str().unwrap().to_owned();
    let one = h
        .expect(
            200,
            "GET",
            &format!("/api/v2/public/execution/{id}"),
            ME,
            None,
        )
        .await;
    assert_eq!(
        (one["status"].clone(), one["type_of_execution"].clone()),
        (json!("COMPLETED"), json!("SYNC"))
    );
    assert_eq!(one["nodes"][0]["node_status"], "Success");

    // Asynchronous: started, then completed.
    let (_, started) = execute(&h, &workflow, false, json!({})).await;
    assert_eq!(started["message"], "Workflow execution started");
    let async_id = started["execution_id"].as_str().unwrap().to_owned();
    let path = format!("/api/v2/public/execution/{async_id}");
    h.eventually("the asynchronous execution to complete", || async {
        let (_, body) = h.call("GET", &path, ME, None).await;
        (body["status"] == "COMPLETED").then_some(())
    })
    .await;

    // Errored, as the control plane makes it.
    let (status, _) = h
        .control(
            "POST",
            "/__emulator/workflow-errors",
            Some(json!({"workflow_id": workflow, "message": "boom"})),
        )
        .await;
    assert_eq!(status, 200);
    let (_, failed) = execute(&h, &workflow, true, json!({})).await;
    assert_eq!(
        (
            failed["errored"].clone(),
            failed["execution_error"]["message"].clone()
        ),
        (json!(true), json!("boom"))
    );
    h.control(
        "POST",
        "/__emulator/workflow-errors",
        Some(json!({"workflow_id": workflow, "message": null})),
    )
    .await;

    // Listed newest first, filtered, paged.
    let list = h
        .expect(200, "GET", "/api/v2/public/execution", ME, None)
        .await;
    assert_eq!(list["totalDocs"], 3);
    assert_eq!(list["docs"][0]["status"], "ERRORED");
    assert!(list["docs"][0].get("nodes").is_none());
    let errored = h
        .expect(
            200,
            "GET",
            "/api/v2/public/execution?status=ERRORED",
            ME,
            None,
        )
        .await;
    assert_eq!(errored["totalDocs"], 1);
    let second = h
        .expect(
            200,
            "GET",
            "/api/v2/public/execution?limit=1&page=2&sortAsc=true",
            ME,
            None,
        )
        .await;
    assert_eq!(
        (
            second["docs"][0]["_id"].clone(),
            second["hasNextPage"].clone()
        ),
        (json!(async_id), json!(true))
    );

    // A long run can be stopped; any run can be rerun.
    h.configure(json!({"execution_ms": 600_000})).await;
    let (_, long) = execute(&h, &workflow, false, json!({"n": 1})).await;
    let long_id = long["execution_id"].as_str().unwrap().to_owned();
    let stop = h
        .expect(
            200,
            "POST",
            &format!("/api/v2/public/execution/{long_id}/stop"),
            ME,
            None,
        )
        .await;
    assert_eq!(stop, json!({"message": "Stopping instance"}));
    let stopped = h
        .expect(
            200,
            "GET",
            &format!("/api/v2/public/execution/{long_id}"),
            ME,
            None,
        )
        .await;
    assert_eq!(stopped["status"], "STOPPED");
    let rerun = h
        .expect(
            200,
            "POST",
            &format!("/api/v2/public/execution/{long_id}/rerun"),
            ME,
            None,
        )
        .await;
    assert_eq!(rerun["status"], "success");
    assert_ne!(rerun["id"], json!(long_id));
    h.expect(404, "POST", "/api/v2/public/execution/nope/stop", ME, None)
        .await;
    // Batches: no batch nodes here.
    let batches = h
        .expect(
            501,
            "GET",
            &format!("/api/v2/public/execution/{id}/nodes/1/batches"),
            ME,
            None,
        )
        .await;
    assert_eq!(batches["error_code"], "SERVER_ERROR");
    h.expect(
        404,
        "GET",
        &format!("/api/v2/public/execution/{id}/nodes/9/batches"),
        ME,
        None,
    )
    .await;

    // The page's own error shape for a missing slug header.
    let response = h
        .client
        .post(h.url(&format!("/api/v2/public/workflow/{workflow}/execute")))
        .header("x-api-key", KEY)
        .header("linked_account_id", ACCOUNT)
        .header("slug", "")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(
        json_of(response).await,
        json!({"message": "Server Error", "error": "Workflow ID and slug are required"})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schedules_fire_while_running_and_not_while_paused() {
    let h = start_with(EmulatorConfig {
        linked_accounts: vec![ACCOUNT.to_owned()],
        schedule_minute: std::time::Duration::from_millis(20),
        ..local_config()
    })
    .await;
    let (_, running, _) = published_workflow(&h, "Every minute").await;
    let (_, paused, _) = published_workflow(&h, "Paused").await;
    let register = |workflow: String, body: Value| {
        let h = &h;
        async move {
            let response = h
                .client
                .post(h.url("/api/v1/workflow/public/scheduled"))
                .header("x-api-key", KEY)
                .header("linked_account_id", ACCOUNT)
                .header("slug", "parcel-post")
                .header("workflow_id_alias", workflow)
                .header("config_id", ACCOUNT)
                .header("content-type", "application/json")
                .body(body.to_string())
                .send()
                .await
                .unwrap();
            (response.status().as_u16(), json_of(response).await)
        }
    };
    let (status, missing) = register(running.clone(), json!({"regex": "* * * * *"})).await;
    assert_eq!(status, 400, "{missing}");
    let (status, bad) = register(
        running.clone(),
        json!({"trigger_type": "cron", "regex": "61 * * * *"}),
    )
    .await;
    assert_eq!(status, 400, "{bad}");
    let (status, a) = register(running.clone(), json!({"trigger_type": "cron", "regex": "* * * * *", "tz": "UTC", "payload": {"sync": "full"}})).await;
    assert_eq!(status, 200, "{a}");
    assert_eq!(
        (a["cron_patten"].clone(), a["status"].clone()),
        (json!("* * * * *"), json!("running"))
    );
    let (_, b) = register(
        paused.clone(),
        json!({"trigger_type": "cron", "regex": "* * * * *"}),
    )
    .await;
    let b_id = b["_id"].as_str().unwrap().to_owned();
    let pause = h
        .expect(
            200,
            "PUT",
            &format!("/api/v1/workflow/public/scheduled/{b_id}/pause"),
            ME,
            None,
        )
        .await;
    assert_eq!(
        (pause["status"].clone(), pause["inactive"].clone()),
        (json!("paused"), json!(true))
    );
    let fired_for = |workflow: String| {
        let h = &h;
        async move {
            let list = h
                .expect(
                    200,
                    "GET",
                    &format!(
                        "/api/v2/public/execution?workflow_id={workflow}&execution_source=SCHEDULE"
                    ),
                    ME,
                    None,
                )
                .await;
            list["totalDocs"].as_u64().unwrap()
        }
    };
    // The running one fires on the scheduler's minutes; the paused one never does.
    let before = fired_for(paused.clone()).await;
    h.eventually("three scheduled executions", || async {
        (fired_for(running.clone()).await >= 3).then_some(())
    })
    .await;
    assert_eq!(fired_for(paused.clone()).await, before);
    assert_eq!(before, 0);
    let list = h
        .expect(
            200,
            "GET",
            &format!("/api/v2/public/execution?workflow_id={running}"),
            ME,
            None,
        )
        .await;
    assert_eq!(list["docs"][0]["trigger_application_event"], "SCHEDULE");

    // Resumed, it fires too.
    let resumed = h
        .expect(
            200,
            "PUT",
            &format!("/api/v1/workflow/public/scheduled/{b_id}/resume"),
            ME,
            None,
        )
        .await;
    assert_eq!(resumed["status"], "running");
    h.eventually("the resumed schedule to fire", || async {
        (fired_for(paused.clone()).await >= 1).then_some(())
    })
    .await;

    // Listed with its workflow, updated, deleted.
    let schedules = h
        .expect(200, "GET", "/api/v1/workflow/public/scheduled", ME, None)
        .await;
    assert_eq!(schedules["totalDocs"], 2);
    assert_eq!(schedules["docs"][0]["workflow"]["name"], "Every minute");
    let a_id = a["_id"].as_str().unwrap().to_owned();
    let updated = h
        .expect(
            200,
            "PUT",
            &format!("/api/v1/workflow/public/scheduled/{a_id}"),
            ME,
            Some(json!({"regex": "0 9 * * 1"})),
        )
        .await;
    assert_eq!(updated["cron_patten"], "0 9 * * 1");
    h.expect(
        400,
        "PUT",
        &format!("/api/v1/workflow/public/scheduled/{a_id}"),
        ME,
        Some(json!({"regex": "nope"})),
    )
    .await;
    for id in [&a_id, &b_id] {
        let deleted = h
            .expect(
                200,
                "DELETE",
                &format!("/api/v1/workflow/public/scheduled/{id}"),
                ME,
                None,
            )
            .await;
        assert_eq!(deleted["message"], "Scheduled Job Deleted Successfully");
    }
    let gone = h
        .expect(
            404,
            "PUT",
            &format!("/api/v1/workflow/public/scheduled/{a_id}/pause"),
            ME,
            None,
        )
        .await;
    assert_eq!(gone["error_code"], "RESOURCE_NOT_FOUND");
}
