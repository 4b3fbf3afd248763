//! The generated operation table is consistent, and every documented JSON example (the API
//! description's and the reference pages', core/tests/fixtures/api-examples.json) reads into
//! its model and writes back without losing a field.

use super::models::{Environment, LinkedAccount, SessionTokenResponse};
use super::{OPERATIONS, ParamLocation, by_id, roundtrip};
use serde_json::{Value, json};
use std::collections::HashSet;

const EXAMPLES: &str = include_str!("../../tests/fixtures/api-examples.json");

#[test]
fn operations_have_unique_ids_and_names_and_declare_their_path_parameters() {
    let mut ids = HashSet::new();
    let mut names = HashSet::new();
    for operation in OPERATIONS {
        assert!(ids.insert(operation.id), "{} twice", operation.id);
        assert!(names.insert(operation.name), "{} twice", operation.name);
        assert_eq!(by_id(operation.id), Some(operation));
        let placeholders: Vec<&str> = operation
            .path
            .split('{')
            .skip(1)
            .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
            .collect();
        let path_params: Vec<&str> = operation
            .params
            .iter()
            .filter(|param| param.location == ParamLocation::Path)
            .map(|param| param.name)
            .collect();
        assert_eq!(placeholders, path_params, "{}", operation.id);
        assert!(
            operation
                .params
                .iter()
                .all(|param| param.location != ParamLocation::Path || param.required),
            "{}",
            operation.id
        );
        let keys: HashSet<&str> = operation.params.iter().map(|param| param.key).collect();
        assert_eq!(keys.len(), operation.params.len(), "{}", operation.id);
    }
    assert_eq!(by_id("noSuchOperation"), None);
}

/// `value` without object members that are null (a model reads `null` and absent alike) and
/// with every number as an f64 (a model reads `5` into an f64 and writes `5.0`).
fn comparable(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(_, member)| !member.is_null())
                .map(|(key, member)| (key.clone(), comparable(member)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(comparable).collect()),
        Value::Number(number) => number
            .as_f64()
            .and_then(serde_json::Number::from_f64)
            .map_or_else(|| value.clone(), Value::Number),
        other => other.clone(),
    }
}

#[test]
fn every_documented_example_reads_into_its_model_and_back() {
    let fixture: Value = serde_json::from_str(EXAMPLES).expect("the fixture is JSON");
    let examples = fixture["examples"].as_array().expect("examples");
    let mut failures = Vec::new();
    let mut checked = 0;
    for example in examples {
        let source = example["source"].as_str().unwrap_or("?");
        let value = &example["value"];
        let outcome = if let Some(model) = example["model"].as_str() {
            roundtrip::model(model, value)
        } else {
            let operation = example["operation"].as_str().expect("operation or model");
            let status = example["status"].as_u64().unwrap_or(0);
            let documented = if example["request"] == Value::Bool(true) {
                roundtrip::request_body(operation, value)
            } else if (200..300).contains(&status) {
                roundtrip::success_response(operation, value)
            } else {
                Some(roundtrip::model("DocumentedError", value))
            };
            match documented {
                Some(Some(outcome)) => Some(outcome),
                Some(None) => {
                    // No body documented: the example must be empty (the docs send `{}` to
                    // one POST the description gives no body).
                    if example["empty"] != Value::Bool(true) && *value != serde_json::json!({}) {
                        failures.push(format!("{source}: a body where none is documented"));
                    }
                    checked += 1;
                    continue;
                }
                None => None,
            }
        };
        checked += 1;
        match outcome {
            None => failures.push(format!("{source}: no model for this example")),
            Some(Err(error)) => failures.push(format!("{source}: does not read: {error}")),
            Some(Ok(written)) if comparable(&written) != comparable(value) => {
                failures.push(format!("{source}: written back as {written}"))
            }
            Some(Ok(_)) => {}
        }
    }
    assert!(checked > 200, "only {checked} examples");
    assert!(
        failures.is_empty(),
        "{} of {checked} examples fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn enums_keep_values_the_description_does_not_list() {
    let account: LinkedAccount =
        serde_json::from_value(json!({"environment": "staging", "__v": 4})).unwrap();
    assert_eq!(
        account.environment,
        Some(Environment::Other("staging".into()))
    );
    assert_eq!(account.extra["__v"], json!(4));
    assert_eq!(
        serde_json::to_value(&account).unwrap(),
        json!({"environment": "staging", "__v": 4})
    );
    let known: LinkedAccount = serde_json::from_value(json!({"environment": "test"})).unwrap();
    assert_eq!(known.environment, Some(Environment::Test));
    assert_eq!(Environment::Test.as_str(), "test");
    assert!(serde_json::from_value::<LinkedAccount>(json!({"environment": 5})).is_err());
}

#[test]
fn debug_never_shows_a_secret_nor_an_unknown_field_value() {
    let secret = "eyJhbGciOiJIUzI1NiJ9.distinctive-rust-secret.sig";
    let response: SessionTokenResponse = serde_json::from_value(json!({
        "token": secret, "refresh_token": secret, "expires_in": 600, "surprise": secret,
    }))
    .unwrap();
    assert_eq!(response.token.as_deref(), Some(secret));
    let shown = format!("{response:?}");
    assert!(!shown.contains("distinctive-rust-secret"), "{shown}");
    assert!(
        shown.contains("600") && shown.contains("surprise"),
        "{shown}"
    );
}
