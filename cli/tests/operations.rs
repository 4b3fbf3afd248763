//! The cross-language operation cases (conformance/operations.json, one smoke case per
//! operation, and conformance/operation-scenarios.json, scoping, retries and pages) against a
//! fresh emulator per file and per way in, as every language's runner reads them: the core's
//! generic call (`Client::call`, scoped clients, `call_page`), then the typed methods
//! (`client.api().<operation>()`). A case's `setup` calls go first, through the generic call.

use std::collections::BTreeMap;

use refold_emulator::{Emulator, EmulatorConfig};
use refold_session::api::{ApiRequest, ScopedClient, by_id, dispatch_for_tests};
use refold_session::{Client, ClientOptions, Error, RateLimitOptions, RequestOptions};
use serde_json::{Map, Value, json};

fn read(name: &str) -> Value {
    let path = format!("{}/../conformance/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

async fn emulator(key: &str) -> Emulator {
    Emulator::start(EmulatorConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        api_keys: vec![key.into()],
        any_linked_account: true,
        rate_limit: None,
        ..EmulatorConfig::default()
    })
    .await
    .unwrap()
}

fn client(emulator: &Emulator, key: &str, max_retries: u32) -> Client {
    Client::new(ClientOptions {
        api_key: Some(key.into()),
        base_url: Some(emulator.base_url()),
        max_retries: Some(max_retries),
        read_environment_variables: Some(false),
        rate_limit: Some(RateLimitOptions::Off),
        ..ClientOptions::default()
    })
    .unwrap()
}

/// The public-API requests the emulator has received.
async fn received(emulator: &Emulator) -> usize {
    control(emulator, "GET", "/__emulator/requests", None).await["requests"]
        .as_array()
        .map_or(0, Vec::len)
}

async fn control(emulator: &Emulator, method: &str, path: &str, body: Option<&Value>) -> Value {
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let url = format!("{}{path}", emulator.base_url());
    let request = match method {
        "POST" => http
            .post(url)
            .body(body.map(Value::to_string).unwrap_or_default()),
        _ => http.get(url),
    };
    let response = request.send().await.unwrap();
    assert!(response.status().is_success(), "{method} {path}");
    response.json().await.unwrap_or(Value::Null)
}

/// What a case observed: `{"ok": true}` or `{"error": code, "status": status}`, and for a
/// paged case the items read.
fn outcome(result: &Result<Value, Error>) -> Value {
    match result {
        Ok(_) => json!({"ok": true}),
        Err(err) => json!({"error": err.code().to_string(), "status": err.status()}),
    }
}

/// The client a case calls with: the org's (with the case's retries), or one scoped to its
/// linked account (a session case mints the account's token first).
async fn caller(
    emulator: &Emulator,
    org: &Client,
    key: &str,
    case: &Value,
) -> (Client, Option<ScopedClient>) {
    let max_retries = case["max_retries"].as_u64().unwrap_or(0) as u32;
    let org = if max_retries == 0 {
        org.clone()
    } else {
        client(emulator, key, max_retries)
    };
    let account = case["linked_account_id"].as_str().unwrap_or("");
    let scoped = match case["scope"].as_str().unwrap() {
        "org" => None,
        "linked_account" => Some(org.for_linked_account(account).unwrap()),
        "session" => {
            let token = org.get_token_for_linked_account(account).await.unwrap();
            Some(org.for_session_token(token.token()).unwrap())
        }
        other => panic!("unknown scope {other}"),
    };
    (org, scoped)
}

/// How a file's cases are called.
#[derive(Clone, Copy, Debug)]
enum Way {
    Generic,
    Typed,
}

/// Runs one case; the outcome, the attempts of a failed call and the items of a paged one.
async fn run_case(
    emulator: &Emulator,
    org: &Client,
    scoped: Option<ScopedClient>,
    case: &Value,
    way: Way,
) -> (Result<Value, Error>, Option<u32>, Option<usize>) {
    let op = case["operationId"].as_str().unwrap();
    if let Some(faults) = case.get("faults") {
        control(emulator, "POST", "/__emulator/faults", Some(faults)).await;
    }
    let request = ApiRequest {
        params: case["params"].as_object().cloned().unwrap_or_default(),
        body: case.get("body").cloned(),
        files: Vec::new(),
        linked_account_id: case["request_linked_account_id"]
            .as_str()
            .map(str::to_owned),
    };
    if case["pages"].as_bool() == Some(true) {
        let mut request = request;
        let mut items = 0;
        loop {
            let page = match &scoped {
                None => {
                    org.call_page(op, request.clone(), RequestOptions::default())
                        .await
                }
                Some(scoped) => {
                    scoped
                        .call_page(op, request.clone(), RequestOptions::default())
                        .await
                }
            };
            match page {
                Ok(page) => {
                    items += page.items.len();
                    match page.next_page {
                        Some(next) => {
                            request.params.insert("page".into(), next.into());
                        }
                        None => return (Ok(Value::Null), None, Some(items)),
                    }
                }
                Err(err) => return (Err(err), None, Some(items)),
            }
        }
    }
    let result = match (way, &scoped) {
        (Way::Generic, None) => org.call(op, request).await,
        (Way::Generic, Some(scoped)) => scoped.call(op, request).await,
        (Way::Typed, _) => {
            // The typed methods take a linked account from a scoped client only.
            let api = match (&scoped, &request.linked_account_id) {
                (Some(scoped), _) => scoped.api(),
                (None, Some(id)) => org.for_linked_account(id).unwrap().api(),
                (None, None) => org.api(),
            };
            dispatch_for_tests(&api, op, request.params, request.body).await
        }
    };
    let attempts = result.as_ref().err().map(Error::attempts);
    (result, attempts, None)
}

/// Whether the typed methods can make the call `case` asks for: they have no argument for a
/// parameter the operation does not declare (the generic call refuses one, unsent), and take
/// the linked account from a scoped client only (a different id per call cannot be written).
fn typed_can_express(op: &refold_session::api::Operation, case: &Value) -> bool {
    let undeclared = case["params"].as_object().is_some_and(|params| {
        params
            .keys()
            .any(|key| !op.params.iter().any(|p| p.key == key))
    });
    let other_account = case["scope"] != "org" && case.get("request_linked_account_id").is_some();
    !undeclared && !other_account
}

/// `value` with every string `${name}` replaced by the value a setup call saved as `name`.
fn substituted(value: &Value, saved: &Map<String, Value>) -> Value {
    match value {
        Value::String(text) => text
            .strip_prefix("${")
            .and_then(|rest| rest.strip_suffix('}'))
            .map_or_else(
                || value.clone(),
                |name| {
                    saved
                        .get(name)
                        .cloned()
                        .unwrap_or_else(|| panic!("nothing saved as {name}"))
                },
            ),
        Value::Array(items) => Value::Array(items.iter().map(|v| substituted(v, saved)).collect()),
        Value::Object(members) => Value::Object(
            members
                .iter()
                .map(|(k, v)| (k.clone(), substituted(v, saved)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Makes the case's `setup` calls through the generic call (each in its own scope), then
/// returns the case with what they saved put in its `params` and `body`. A setup call that
/// fails, or whose answer lacks a member to save, fails the case.
async fn set_up(
    emulator: &Emulator,
    org: &Client,
    key: &str,
    case: &Value,
) -> Result<Value, String> {
    let mut saved = Map::new();
    for call in case["setup"].as_array().into_iter().flatten() {
        let call = substituted(call, &saved);
        let (caller, scoped) = caller(emulator, org, key, &call).await;
        let (answer, _, _) = run_case(emulator, &caller, scoped, &call, Way::Generic).await;
        let op = call["operationId"].as_str().unwrap_or_default();
        let answer = answer.map_err(|err| format!("setup {op}: {}", err.message()))?;
        for (name, pointer) in call["save"].as_object().into_iter().flatten() {
            let pointer = pointer.as_str().unwrap_or_default();
            let value = answer
                .pointer(pointer)
                .ok_or_else(|| format!("setup {op}: no {pointer} in {answer}"))?;
            saved.insert(name.clone(), value.clone());
        }
    }
    let mut case = case.clone();
    for member in ["params", "body"] {
        if let Some(value) = case.get(member) {
            case[member] = substituted(value, &saved);
        }
    }
    Ok(case)
}

/// Runs every case of `file` in order on one emulator; returns the mismatches.
async fn run_file(file: &str, way: Way) -> (usize, Vec<String>, BTreeMap<String, usize>) {
    let document = read(file);
    let key = document["key"].as_str().unwrap();
    let emulator = emulator(key).await;
    let org = client(&emulator, key, 0);
    let mut failures = Vec::new();
    let mut tags: BTreeMap<String, usize> = BTreeMap::new();
    let cases = document["cases"].as_array().unwrap();
    let mut run = 0;
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let op = by_id(case["operationId"].as_str().unwrap())
            .unwrap_or_else(|| panic!("{name}: unknown operation"));
        *tags.entry(op.tag.to_owned()).or_default() += 1;
        if matches!(way, Way::Typed) && !typed_can_express(op, case) {
            continue;
        }
        run += 1;
        let case = match set_up(&emulator, &org, key, case).await {
            Ok(case) => case,
            Err(problem) => {
                failures.push(format!("{way:?} {name}: {problem}"));
                continue;
            }
        };
        let case = &case;
        let (caller, scoped) = caller(&emulator, &org, key, case).await;
        let before = received(&emulator).await;
        let (result, attempts, items) = run_case(&emulator, &caller, scoped, case, way).await;
        let sent = received(&emulator).await - before;
        let expect = &case["expect"];
        let mut got = outcome(&result);
        let mut wanted = expect.clone();
        // Optional members a case may also state.
        let wanted_map: &mut Map<String, Value> = wanted.as_object_mut().unwrap();
        if let Some(value) = wanted_map.remove("attempts") {
            got["attempts"] = json!(attempts.unwrap_or(1));
            wanted_map.insert("attempts".into(), value);
        }
        if let Some(value) = wanted_map.remove("items") {
            got["items"] = json!(items);
            wanted_map.insert("items".into(), value);
        }
        if let Some(value) = wanted_map.remove("sent") {
            got["sent"] = json!(sent);
            wanted_map.insert("sent".into(), value);
        }
        if got != wanted {
            let detail = result.err().map(|err| err.message().to_owned());
            failures.push(format!(
                "{way:?} {name} ({}): expected {wanted}, got {got} {detail:?}",
                op.id
            ));
        }
    }
    (run, failures, tags)
}

#[tokio::test(flavor = "multi_thread")]
async fn every_operation_answers_as_its_smoke_case_says() {
    let (count, failures, tags) = run_file("operations.json", Way::Generic).await;
    assert!(count >= 102, "one case per operation: {count}");
    eprintln!("operations.json: {count} cases by tag {tags:?}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test(flavor = "multi_thread")]
async fn every_operation_answers_as_its_smoke_case_says_through_the_typed_methods() {
    let (count, failures, _) = run_file("operations.json", Way::Typed).await;
    assert!(count >= 102, "one case per operation: {count}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test(flavor = "multi_thread")]
async fn scoping_retry_and_paging_scenarios_answer_as_written() {
    for way in [Way::Generic, Way::Typed] {
        let (count, failures, _) = run_file("operation-scenarios.json", way).await;
        assert!(count > 0);
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }
}
