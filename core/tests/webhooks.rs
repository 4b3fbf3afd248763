//! Runs `conformance/webhooks.json` (the webhook cases every language runs): signatures
//! checked with the free function and with a client's own key, events read, duplicate
//! deliveries recognised by their dedup key; the API key never shows.

use refold_session::webhook::{WebhookEvent, verify_webhook_signature};
use refold_session::{Client, ErrorCode};
use serde_json::Value;

const CASES: &str = include_str!("../../conformance/webhooks.json");

fn cases() -> Value {
    serde_json::from_str(CASES).expect("webhooks.json is JSON")
}

fn text<'a>(value: &'a Value, name: &str) -> &'a str {
    value[name]
        .as_str()
        .unwrap_or_else(|| panic!("{name} in {value}"))
}

#[test]
fn signatures() {
    let doc = cases();
    let key = text(&doc, "api_key");
    let client = Client::builder().api_key(key).build().unwrap();
    assert!(!format!("{client:?}").contains(key));
    for case in doc["signature"].as_array().unwrap() {
        let name = text(case, "name");
        let body = text(case, "body").as_bytes();
        let header = case["header"].as_str().unwrap_or("");
        let case_key = case["api_key"].as_str().unwrap_or(key);
        let valid = case["valid"].as_bool().unwrap();
        assert_eq!(
            verify_webhook_signature(body, header, case_key),
            valid,
            "{name}"
        );
        if case.get("api_key").is_none() {
            assert_eq!(
                client.verify_webhook_signature(body, header),
                valid,
                "{name}, the client's key"
            );
        }
    }
}

#[test]
fn events() {
    let doc = cases();
    let key = text(&doc, "api_key");
    for case in doc["parse"].as_array().unwrap() {
        let name = text(case, "name");
        let parsed = WebhookEvent::parse(text(case, "body").as_bytes());
        if let Some(code) = case["error"].as_str() {
            let error = parsed.expect_err(name);
            assert_eq!(error.code(), code.parse::<ErrorCode>().unwrap(), "{name}");
            assert!(!error.message().is_empty(), "{name}");
            assert!(!format!("{error:?}").contains(key));
            continue;
        }
        let event = parsed.unwrap_or_else(|e| panic!("{name}: {e}"));
        let expected = &case["event"];
        let got = [
            ("event_type", Some(event.event_type.as_str().to_owned())),
            ("linked_account_id", event.linked_account_id.clone()),
            ("org_id", event.org_id.clone()),
            ("environment", event.environment.clone()),
            ("kind", event.kind.clone()),
            ("slug", event.slug.clone()),
            ("created_at", event.created_at.clone()),
            ("instance_id", event.instance_id.clone()),
            ("workflow_id", event.workflow_id.clone()),
            ("workflow_name", event.workflow_name.clone()),
            ("config_id", event.config_id.clone()),
            ("status", event.status.clone()),
        ];
        assert_eq!(expected.as_object().unwrap().len(), got.len(), "{name}");
        for (member, value) in got {
            assert_eq!(
                expected[member].as_str(),
                value.as_deref(),
                "{name}: {member}"
            );
        }
        let raw: Value = serde_json::from_str(text(case, "body")).unwrap();
        assert_eq!(event.raw, raw, "{name}");
    }
}

#[test]
fn duplicate_deliveries() {
    let doc = cases();
    for case in doc["dedup"].as_array().unwrap() {
        let name = text(case, "name");
        let key = |member: &str| {
            WebhookEvent::parse(text(case, member).as_bytes())
                .unwrap()
                .dedup_key()
        };
        assert_eq!(
            key("first") == key("second"),
            case["same"].as_bool().unwrap(),
            "{name}"
        );
    }
}
