//! The official Node SDK's 27 calls as `client.official()` methods against a live emulator
//! (docs/contract.md §17 "The official SDK's calls"): each makes its request on today's route
//! (conformance/openapi/overlay.json → `official_sdk.calls`), the three retired calls act on a
//! webhook by id or are refused unsent, and retries follow each operation's rule.

use refold_session::{Client, ClientOptions, ErrorCode, RateLimitOptions};
use serde_json::{Value, json};

#[path = "common/emulator.rs"]
mod emulator;

const KEY: &str = "sk_official_DISTINCTIVE_8c1";
const USER: &str = "sdk-user";

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

/// `METHOD path` of each request the emulator has logged.
async fn routes(emulator: &refold_emulator::Emulator) -> Vec<String> {
    emulator::control(emulator, "/__emulator/requests").await["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| {
            format!(
                "{} {}",
                entry["method"].as_str().unwrap(),
                entry["path"].as_str().unwrap()
            )
        })
        .collect()
}

/// Each call once, in the order of the official SDK's fixture script, with the route it sent;
/// `Ok` or the error code of each.
#[tokio::test]
async fn each_call_reaches_todays_route() {
    let emulator = emulator::start(KEY).await;
    let client = client(&emulator, 0);
    let sdk = client.official();
    // The event the calls trigger (the official SDK has no call that defines one).
    client
        .call(
            "createEvent",
            refold_session::api::ApiRequest::new()
                .body(json!({"name": "sdk_event", "response": "{}"})),
        )
        .await
        .unwrap();
    let event_id = client.call("listEvents", Default::default()).await.unwrap()[0]["_id"]
        .as_str()
        .unwrap()
        .to_owned();

    let mut seen: Vec<(&str, Result<Value, ErrorCode>)> = Vec::new();
    macro_rules! step {
        ($name:literal, $call:expr) => {
            seen.push(($name, $call.await.map_err(|error| error.code())));
        };
    }
    step!(
        "createLinkedAccount",
        sdk.create_linked_account(&json!({"linked_account_id": USER, "name": "SDK user"}))
    );
    step!(
        "upsertLinkedAccount",
        sdk.upsert_linked_account(&json!({"linked_account_id": USER, "name": "SDK user 2"}))
    );
    step!("getLinkedAccountById", sdk.get_linked_account_by_id(USER));
    step!(
        "getAllLinkedAccounts",
        sdk.get_all_linked_accounts(Some(1), Some(10))
    );
    step!(
        "getTokenForLinkedAccount",
        sdk.get_token_for_linked_account(&json!({"linked_account_id": USER}))
    );
    step!("getApplications", sdk.get_applications(USER));
    step!(
        "getApplicationBySlug",
        sdk.get_application_by_slug(USER, "lumen-crm")
    );
    step!("getExecutions", sdk.get_executions(USER, Some(1), Some(5)));
    step!(
        "getExecutionById",
        sdk.get_execution_by_id(USER, "exec-missing")
    );
    step!("createWebhook", sdk.create_webhook(&json!({"webhook_url": "http://127.0.0.1:9/hook", "webhook_events": ["Connection Created"]})));
    let webhook_id = seen.last().unwrap().1.as_ref().unwrap()["_id"]
        .as_str()
        .unwrap()
        .to_owned();
    step!("getWebhook", sdk.get_webhook());
    step!(
        "subscribeWebhookEvents",
        sdk.subscribe_webhook_events(
            Some(&webhook_id),
            &json!({"webhook_events": ["Connection Deleted"]})
        )
    );
    step!(
        "unsubscribeWebhookEvent",
        sdk.unsubscribe_webhook_event(
            Some(&webhook_id),
            &json!({"webhook_event": "Connection Created"})
        )
    );
    step!("deleteWebhook", sdk.delete_webhook(Some(&webhook_id)));
    step!("listEvents", sdk.list_events());
    step!("listEventById", sdk.list_event_by_id(&event_id));
    step!(
        "updateEvent",
        sdk.update_event(&json!({"event_id": event_id, "name": "sdk_event", "response": "{}"}))
    );
    step!(
        "event",
        sdk.event(&json!({"linked_account_id": USER, "event": "sdk_event", "payload": {"n": 1}}))
    );
    step!("triggerEvent", sdk.trigger_event(&json!({"linked_account_id": USER, "event": "sdk_event", "slug": "lumen-crm", "payload": {"n": 2}})));
    step!("deleteEvent", sdk.delete_event(&event_id));
    step!(
        "config",
        sdk.config(&json!({"linked_account_id": USER, "slug": "lumen-crm"}))
    );
    step!(
        "getConfig",
        sdk.get_config(&json!({"linked_account_id": USER, "slug": "lumen-crm"}))
    );
    step!(
        "updateConfig",
        sdk.update_config(
            &json!({"linked_account_id": USER, "slug": "lumen-crm", "fields": [], "workflows": []})
        )
    );
    step!(
        "deleteConfig",
        sdk.delete_config(
            &json!({"linked_account_id": USER, "slug": "lumen-crm", "config_id": "c-1"})
        )
    );
    step!("migrateAuth", sdk.migrate_auth(&json!({"linked_account_id": USER, "slug": "lumen-crm", "auth_object": {"access_token": "migrated"}})));
    step!(
        "executeWorkflow",
        sdk.execute_workflow("wf-missing", "lumen-crm", USER, false, &json!({"a": 1}))
    );
    step!("deleteLinkedAccount", sdk.delete_linked_account(USER));

    let webhook = format!("/api/v2/public/webhook/{webhook_id}");
    let event = format!("/api/v2/public/application/event/{event_id}");
    let expected: Vec<(&str, Vec<String>)> = vec![
        (
            "createLinkedAccount",
            vec!["POST /api/v2/public/linked-account".into()],
        ),
        (
            "upsertLinkedAccount",
            vec!["PUT /api/v2/public/linked-account".into()],
        ),
        (
            "getLinkedAccountById",
            vec![format!("GET /api/v2/public/linked-account/{USER}")],
        ),
        (
            "getAllLinkedAccounts",
            vec!["GET /api/v2/public/linked-account".into()],
        ),
        (
            "getTokenForLinkedAccount",
            vec!["POST /api/v2/public/session-token".into()],
        ),
        (
            "getApplications",
            vec!["GET /api/v2/public/application".into()],
        ),
        (
            "getApplicationBySlug",
            vec!["GET /api/v2/public/application/lumen-crm".into()],
        ),
        ("getExecutions", vec!["GET /api/v2/public/execution".into()]),
        (
            "getExecutionById",
            vec!["GET /api/v2/public/execution/exec-missing".into()],
        ),
        ("createWebhook", vec!["POST /api/v2/public/webhook".into()]),
        ("getWebhook", vec!["GET /api/v2/public/webhook".into()]),
        (
            "subscribeWebhookEvents",
            vec![format!("GET {webhook}"), format!("PUT {webhook}")],
        ),
        (
            "unsubscribeWebhookEvent",
            vec![format!("GET {webhook}"), format!("PUT {webhook}")],
        ),
        ("deleteWebhook", vec![format!("DELETE {webhook}")]),
        (
            "listEvents",
            vec!["GET /api/v2/public/application/event".into()],
        ),
        ("listEventById", vec![format!("GET {event}")]),
        ("updateEvent", vec![format!("PUT {event}")]),
        ("event", vec!["POST /api/v2/public/event/trigger".into()]),
        (
            "triggerEvent",
            vec!["POST /api/v2/public/event/lumen-crm".into()],
        ),
        ("deleteEvent", vec![format!("DELETE {event}")]),
        ("config", vec!["POST /api/v2/public/config".into()]),
        (
            "getConfig",
            vec!["GET /api/v2/public/slug/lumen-crm/config".into()],
        ),
        ("updateConfig", vec!["PUT /api/v2/public/config".into()]),
        (
            "deleteConfig",
            vec!["DELETE /api/v2/public/slug/lumen-crm/config/c-1".into()],
        ),
        (
            "migrateAuth",
            vec!["PUT /api/v2/public/migrate-token".into()],
        ),
        (
            "executeWorkflow",
            vec!["POST /api/v2/public/workflow/wf-missing/execute".into()],
        ),
        (
            "deleteLinkedAccount",
            vec![format!("DELETE /api/v2/public/linked-account/{USER}")],
        ),
    ];
    assert_eq!(expected.len(), 27);
    let names: Vec<&str> = seen.iter().map(|(name, _)| *name).collect();
    assert_eq!(
        names,
        expected.iter().map(|(name, _)| *name).collect::<Vec<_>>()
    );

    let mut log = routes(&emulator).await.into_iter().skip(2); // createEvent, listEvents
    for (name, wanted) in &expected {
        let sent: Vec<String> = log.by_ref().take(wanted.len()).collect();
        assert_eq!(&sent, wanted, "{name}");
    }
    assert_eq!(log.next(), None);

    // What exists answers; what does not is Refold's 404 (never a refusal of ours).
    let outcome = |name: &str| seen.iter().find(|(n, _)| *n == name).unwrap().1.clone();
    for name in ["getExecutionById", "executeWorkflow"] {
        assert_eq!(outcome(name).unwrap_err(), ErrorCode::NotFound, "{name}");
    }
    for (name, result) in &seen {
        if let Err(code) = result {
            assert_ne!(*code, ErrorCode::InvalidInput, "{name}");
        }
    }
    let subscribed = outcome("subscribeWebhookEvents").unwrap();
    assert_eq!(
        subscribed["webhook_events"],
        json!(["Connection Created", "Connection Deleted"])
    );
    let unsubscribed = outcome("unsubscribeWebhookEvent").unwrap();
    assert_eq!(
        unsubscribed["webhook_events"],
        json!(["Connection Deleted"])
    );
    assert!(outcome("getTokenForLinkedAccount").unwrap()["token"].is_string());
}

#[tokio::test]
async fn the_retired_calls_without_a_webhook_id_are_refused_unsent() {
    let emulator = emulator::start(KEY).await;
    let sdk_client = client(&emulator, 0);
    let sdk = sdk_client.official();
    let refusals = [
        sdk.delete_webhook(None).await.unwrap_err(),
        sdk.subscribe_webhook_events(None, &json!({"webhook_events": ["Connection Deleted"]}))
            .await
            .unwrap_err(),
        sdk.unsubscribe_webhook_event(None, &json!({"webhook_event": "Connection Created"}))
            .await
            .unwrap_err(),
        // A payload of the wrong shape, with an id.
        sdk.subscribe_webhook_events(Some("w-1"), &json!({"webhook_events": "one"}))
            .await
            .unwrap_err(),
        sdk.unsubscribe_webhook_event(Some("w-1"), &json!({}))
            .await
            .unwrap_err(),
    ];
    for (error, replacement) in refusals.iter().zip([
        "deleteWebhook (DELETE /api/v2/public/webhook/{id})",
        "updateWebhook (PUT /api/v2/public/webhook/{id})",
        "updateWebhook (PUT /api/v2/public/webhook/{id})",
    ]) {
        assert_eq!(error.code(), ErrorCode::InvalidInput);
        assert!(
            error.message().contains("no longer has"),
            "{}",
            error.message()
        );
        assert!(error.message().contains(replacement), "{}", error.message());
    }
    for error in &refusals[3..] {
        assert_eq!(error.code(), ErrorCode::InvalidInput, "{}", error.message());
    }
    // The same through the generic call, as the bindings reach them.
    let error = sdk_client
        .call("official.deleteWebhook", Default::default())
        .await
        .unwrap_err();
    assert_eq!(error.code(), ErrorCode::InvalidInput);
    assert!(routes(&emulator).await.is_empty());

    // A webhook that does not exist: Refold's error from the read, nothing updated.
    let error = sdk
        .subscribe_webhook_events(
            Some("missing"),
            &json!({"webhook_events": ["Connection Deleted"]}),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(error.code(), ErrorCode::NotFound | ErrorCode::BadRequest),
        "{}",
        error.message()
    );
    assert_eq!(
        routes(&emulator).await,
        vec!["GET /api/v2/public/webhook/missing"]
    );
}

#[tokio::test]
async fn retries_follow_each_operations_rule() {
    let emulator = emulator::start(KEY).await;
    let sdk_client = client(&emulator, 2);
    let sdk = sdk_client.official();
    // A GET is retried after a 503.
    emulator::faults(&emulator, json!([{"kind": "status", "status": 503}])).await;
    sdk.get_applications(USER).await.unwrap();
    assert_eq!(routes(&emulator).await.len(), 2);
    // A POST that may have reached Refold is not.
    emulator::faults(&emulator, json!([{"kind": "status", "status": 503}])).await;
    let error = sdk
        .create_webhook(&json!({"webhook_url": "http://127.0.0.1:9/hook", "webhook_events": []}))
        .await
        .unwrap_err();
    assert_eq!(error.code(), ErrorCode::ServerError, "{}", error.message());
    assert_eq!(routes(&emulator).await.len(), 3);
}

const CASES: &str = include_str!("../../conformance/official-calls.json");
const GENERATED: &str = include_str!("../src/api/official_generated.rs");

fn snake(name: &str) -> String {
    name.chars()
        .flat_map(|c| {
            let lower = c.to_ascii_lowercase();
            if c.is_ascii_uppercase() {
                vec!['_', lower]
            } else {
                vec![c]
            }
        })
        .collect()
}

/// `conformance/official-calls.json`, which every language runs: the same 27 names, and the
/// retired calls alike.
#[tokio::test]
async fn the_official_calls_cases() {
    let cases: Value = serde_json::from_str(CASES).unwrap();
    let names: Vec<String> = cases["names"]
        .as_array()
        .unwrap()
        .iter()
        .map(|name| snake(name.as_str().unwrap()))
        .collect();
    let mut methods: Vec<String> = GENERATED
        .split("pub async fn ")
        .skip(1)
        .map(|rest| rest.split('(').next().unwrap().to_owned())
        .collect();
    methods.sort();
    let mut wanted = names.clone();
    wanted.sort();
    assert_eq!(methods, wanted);
    assert_eq!(names.len(), 27);

    let emulator = refold_emulator::Emulator::start(refold_emulator::EmulatorConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        api_keys: vec![cases["key"].as_str().unwrap().into()],
        any_linked_account: true,
        rate_limit: None,
        ..refold_emulator::EmulatorConfig::default()
    })
    .await
    .unwrap();
    let client = Client::new(ClientOptions {
        api_key: Some(cases["key"].as_str().unwrap().into()),
        base_url: Some(emulator.base_url()),
        max_retries: Some(0),
        read_environment_variables: Some(false),
        rate_limit: Some(RateLimitOptions::Off),
        ..ClientOptions::default()
    })
    .unwrap();
    let sdk = client.official();
    let webhook = sdk
        .create_webhook(&json!({"webhook_url": "http://127.0.0.1:9/hook", "webhook_events": ["Connection Created"]}))
        .await
        .unwrap()["_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut logged = routes(&emulator).await.len();
    for case in cases["cases"].as_array().unwrap() {
        let label = case.to_string();
        let id = case["webhook_id"]
            .as_str()
            .map(|id| id.replace("{webhook}", &webhook));
        let payload = &case["payload"];
        let outcome = match case["call"].as_str().unwrap() {
            "deleteWebhook" => sdk.delete_webhook(id.as_deref()).await,
            "subscribeWebhookEvents" => sdk.subscribe_webhook_events(id.as_deref(), payload).await,
            "unsubscribeWebhookEvent" => {
                sdk.unsubscribe_webhook_event(id.as_deref(), payload).await
            }
            other => panic!("no case runner for {other}"),
        };
        let expect = &case["expect"];
        match outcome {
            Ok(answer) => {
                assert_eq!(expect["ok"], json!(true), "{label}: {answer}");
                if let Some(events) = expect.get("webhook_events") {
                    assert_eq!(&answer["webhook_events"], events, "{label}");
                }
            }
            Err(error) => {
                assert_eq!(
                    expect["error"].as_str(),
                    Some(error.code().as_str()),
                    "{label}: {}",
                    error.message()
                );
                for part in expect["message_contains"].as_array().into_iter().flatten() {
                    assert!(
                        error.message().contains(part.as_str().unwrap()),
                        "{label}: {}",
                        error.message()
                    );
                }
            }
        }
        let now = routes(&emulator).await;
        let sent: Vec<String> = now[logged..].to_vec();
        let wanted: Vec<String> = case["sent"]
            .as_array()
            .unwrap()
            .iter()
            .map(|route| route.as_str().unwrap().replace("{webhook}", &webhook))
            .collect();
        assert_eq!(sent, wanted, "{label}");
        logged = now.len();
    }
}
