//! Runs every case of `conformance/cases.json` against live emulators over loopback: each
//! session-token case against both generations of Refold's answer (the documented one, and the
//! older guide's from an emulator started with `legacy_session_token`).

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use refold_emulator::{Emulator, EmulatorConfig};
use refold_session::host::{self, Dialect, HostInfo, HostValue};
use refold_session::{
    Client, Error, LinkedAccount, LinkedAccountInput, LinkedAccountPage, RequestOptions,
    SessionToken,
};
use serde_json::Value;

const CASES: &str = include_str!("../../conformance/cases.json");
const SCHEMA: &str = include_str!("../../conformance/cases.schema.json");

/// A cases file checked against `conformance/cases.schema.json` (every problem named
/// otherwise), with the schema's `default` given to every absent member that has one, as
/// every language's runner does.
fn load_cases(text: &str) -> Result<Value, String> {
    let mut doc: Value =
        serde_json::from_str(text).map_err(|err| format!("cases.json is not JSON: {err}"))?;
    let schema: Value = serde_json::from_str(SCHEMA).expect("cases.schema.json is JSON");
    let validator = jsonschema::draft202012::new(&schema).expect("cases.schema.json is a schema");
    let mut problems: Vec<String> = validator
        .iter_errors(&doc)
        .map(|err| format!("  {}: {err}", pointer(&doc, err.instance_path().as_str())))
        .collect();
    if !problems.is_empty() {
        problems.sort();
        return Err(format!(
            "cases.json does not match cases.schema.json ({} problems):\n{}",
            problems.len(),
            problems.join("\n")
        ));
    }
    apply_defaults(&schema, &schema, &mut doc);
    Ok(doc)
}

/// A problem's JSON pointer, with the name of the case it is in.
fn pointer(doc: &Value, at: &str) -> String {
    let mut parts = at.split('/').skip(1);
    let name = match (parts.next(), parts.next()) {
        (Some("cases"), Some(index)) => index
            .parse::<usize>()
            .ok()
            .and_then(|index| doc["cases"][index]["name"].as_str()),
        _ => None,
    };
    let at = if at.is_empty() { "/" } else { at };
    match name {
        Some(name) => format!("{at} (case {name})"),
        None => at.to_owned(),
    }
}

/// Fills in the `default` of every absent member of `value` along `properties` and `items`.
fn apply_defaults(schema: &Value, node: &Value, value: &mut Value) {
    let mut node = node;
    while let (Some(reference), None) = (node["$ref"].as_str(), node.get("properties")) {
        node = schema
            .pointer(reference.trim_start_matches('#'))
            .expect("a local reference");
    }
    match value {
        Value::Object(members) => {
            for (name, member) in node["properties"].as_object().into_iter().flatten() {
                match members.get_mut(name) {
                    Some(present) => apply_defaults(schema, member, present),
                    None => {
                        if let Some(default) = member.get("default") {
                            members.insert(name.clone(), default.clone());
                        }
                    }
                }
            }
        }
        Value::Array(items) if node["items"].is_object() => {
            for item in items {
                apply_defaults(schema, &node["items"], item);
            }
        }
        _ => {}
    }
}

struct Harness {
    emulator: Emulator,
    control: reqwest::Client,
}

impl Harness {
    /// An emulator for the file; `legacy`: answering session tokens as the older guide did.
    async fn start(doc: &Value, legacy: bool) -> Harness {
        let strings = |key: &str| -> Vec<String> {
            doc["emulator"][key]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_owned())
                .collect()
        };
        let emulator = Emulator::start(EmulatorConfig {
            addr: "127.0.0.1:0".parse().unwrap(),
            api_keys: strings("api_keys"),
            linked_accounts: strings("linked_accounts"),
            rate_limit: None, // Refold's rate limit (on by default) is not tested here
            legacy_session_token: legacy,
            token_ttl: if legacy {
                refold_emulator::LEGACY_TOKEN_TTL
            } else {
                refold_emulator::DEFAULT_TOKEN_TTL
            },
            ..EmulatorConfig::default()
        })
        .await
        .expect("emulator starts");
        Harness {
            emulator,
            control: reqwest::Client::new(),
        }
    }

    async fn post(&self, path: &str, body: String) {
        let response = self
            .control
            .post(format!("{}{path}", self.emulator.base_url()))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
    }

    async fn requests(&self) -> Value {
        self.control
            .get(format!("{}/__emulator/requests", self.emulator.base_url()))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

/// A case's client options (snake_case, times in milliseconds) as a host passes them: read by
/// `core::host` (Node's spelling and units), so values out of range reach the core's checks.
fn build_client(defaults: &Value, case: &Value, base_url: &str) -> Result<Client, Error> {
    let mut options = defaults.as_object().unwrap().clone();
    if let Some(overrides) = case["client"].as_object() {
        options.extend(overrides.clone());
    }
    options
        .entry("base_url")
        .or_insert_with(|| Value::String(base_url.to_owned()));
    let mut given = host_value(&Value::Object(options));
    if let HostValue::Map(members) = &mut given {
        members.push((
            HostValue::text("readEnvironmentVariables"),
            HostValue::Bool(false),
        ));
        // The cases do not test Refold's rate limit: the emulator's is off, and so is the
        // client's unless a case sets it.
        if !members
            .iter()
            .any(|(name, _)| *name == HostValue::text("rateLimit"))
        {
            members.push((HostValue::text("rateLimit"), HostValue::Bool(false)));
        }
    }
    let options = host::client_options(&given, &Dialect::NODE)?;
    host::build_client(
        options,
        HostInfo {
            dialect: Dialect::NODE,
            binding: "rust".into(),
            runtime_version: "conformance".into(),
        },
    )
}

/// A case's JSON as a host value with Node's option names (`timeout_ms` → `timeoutMs`).
fn host_value(value: &Value) -> HostValue {
    match value {
        Value::Null => HostValue::Null,
        Value::Bool(flag) => HostValue::Bool(*flag),
        Value::Number(number) => HostValue::Number(number.as_f64().unwrap()),
        Value::String(text) => HostValue::text(text.as_str()),
        Value::Array(items) => HostValue::List(items.iter().map(host_value).collect()),
        Value::Object(members) => HostValue::map(
            members
                .iter()
                .map(|(key, member)| (camel(key), host_value(member)))
                .collect::<Vec<_>>(),
        ),
    }
}

fn camel(snake: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for ch in snake.chars() {
        match ch {
            '_' => upper = true,
            _ if upper => {
                out.extend(ch.to_uppercase());
                upper = false;
            }
            _ => out.push(ch),
        }
    }
    out
}

/// What a call returned.
#[derive(Debug)]
enum Outcome {
    Token(SessionToken),
    Account(LinkedAccount),
    Page(LinkedAccountPage),
    Object,
}

/// Makes the case's `call` with `input`, as every binding does.
async fn call(client: &Client, call: &str, input: &Value) -> Result<Outcome, Error> {
    let id = || input.as_str().expect("this call takes an id string");
    match call {
        "session_token" => client
            .get_token_for_linked_account(id())
            .await
            .map(Outcome::Token),
        "get" => client.get_linked_account(id()).await.map(Outcome::Account),
        "delete" => client
            .delete_linked_account(id())
            .await
            .map(|_| Outcome::Object),
        "upsert" | "create" => {
            let account = LinkedAccountInput::from_json(input)?;
            if call == "upsert" {
                client.upsert_linked_account(&account).await
            } else {
                client.create_linked_account(&account).await
            }
            .map(Outcome::Account)
        }
        "list" => {
            let number = |key: &str| input[key].as_u64().unwrap() as u32;
            client
                .list_linked_accounts(number("page"), number("limit"))
                .await
                .map(Outcome::Page)
        }
        other => panic!("unknown call {other}"),
    }
}

/// Runs the steps of a `sequence` case on one client (docs in conformance/README.md).
async fn run_sequence(harness: &Harness, name: &str, client: Result<Client, Error>, steps: &Value) {
    let mut saved: std::collections::HashMap<String, String> = Default::default();
    for (index, step) in steps.as_array().unwrap().iter().enumerate() {
        let at = format!("{name} step {index}");
        // revoke, active_account: a saved token or a literal one.
        let token = || match step["token_of"].as_str() {
            Some(label) => saved.get(label).cloned().expect("a saved token"),
            None => step["input"].as_str().unwrap().to_owned(),
        };
        match step["op"].as_str().unwrap() {
            "token" => {
                let started = Instant::now();
                let result = match &client {
                    Ok(client) => {
                        let mut options = RequestOptions::new();
                        options.fresh = step["fresh"].as_bool() == Some(true);
                        client
                            .get_token_for_linked_account_with(
                                step["input"].as_str().unwrap(),
                                options,
                            )
                            .await
                    }
                    Err(err) => Err(err.clone()),
                };
                if let Some(max) = step["max_elapsed_ms"].as_u64() {
                    let took = started.elapsed().as_millis() as u64;
                    assert!(took <= max, "{at}: took {took} ms");
                }
                if let Some(code) = step["expect_error"].as_str() {
                    let err = result.expect_err(&at);
                    assert_eq!(err.code().as_str(), code, "{at}: {err}");
                    continue;
                }
                let token = result.unwrap_or_else(|err| panic!("{at}: {err}"));
                let token = token.token().to_owned();
                if let Some(label) = step["same_as"].as_str() {
                    assert_eq!(Some(&token), saved.get(label), "{at}: same as {label}");
                }
                if let Some(label) = step["differs_from"].as_str() {
                    assert_ne!(Some(&token), saved.get(label), "{at}: differs from {label}");
                }
                if let Some(label) = step["save"].as_str() {
                    saved.insert(label.to_owned(), token);
                }
            }
            "revoke" => {
                let result = client
                    .as_ref()
                    .unwrap()
                    .revoke_session_token(&token())
                    .await;
                if let Some(code) = step["expect_error"].as_str() {
                    let err = result.expect_err(&at);
                    assert_eq!(err.code().as_str(), code, "{at}: {err}");
                    continue;
                }
                let revoked = result.unwrap_or_else(|err| panic!("{at}: {err}"));
                assert!(revoked.success, "{at}: success");
                if let Some(count) = step["revoked_count"].as_u64() {
                    assert_eq!(revoked.revoked_count, count, "{at}: revoked_count");
                }
            }
            "active_account" => {
                let result = client
                    .as_ref()
                    .unwrap()
                    .get_active_linked_account(&token())
                    .await;
                if let Some(code) = step["expect_error"].as_str() {
                    let err = result.expect_err(&at);
                    assert_eq!(err.code().as_str(), code, "{at}: {err}");
                    continue;
                }
                let account = result.unwrap_or_else(|err| panic!("{at}: {err}"));
                if let Some(id) = step["account_id"].as_str() {
                    assert_eq!(account.account_id(), id, "{at}: account_id");
                }
            }
            "invalidate" => {
                client
                    .as_ref()
                    .unwrap()
                    .invalidate(step["input"].as_str().unwrap())
                    .await
            }
            "invalidate_all" => client.as_ref().unwrap().invalidate_all().await,
            "sleep" => {
                tokio::time::sleep(std::time::Duration::from_millis(
                    step["ms"].as_u64().unwrap(),
                ))
                .await
            }
            "faults" => {
                harness
                    .post("/__emulator/faults", step["faults"].to_string())
                    .await
            }
            "stats" => {
                let stats = client.as_ref().unwrap().cache_stats().await;
                match step.get("expect") {
                    Some(Value::Null) => assert!(stats.is_none(), "{at}: cache is off"),
                    Some(Value::Object(expect)) => {
                        let stats = stats.expect(&at);
                        for (counter, wanted) in expect {
                            let got = match counter.as_str() {
                                "hits" => stats.hits,
                                "misses" => stats.misses,
                                "coalesced" => stats.coalesced,
                                "refreshes" => stats.refreshes,
                                "refresh_failures" => stats.refresh_failures,
                                "evictions" => stats.evictions,
                                "entries" => stats.entries,
                                other => panic!("{at}: unknown counter {other}"),
                            };
                            assert_eq!(Some(got), wanted.as_u64(), "{at}: {counter}");
                        }
                    }
                    _ => {}
                }
            }
            other => panic!("{at}: unknown op {other}"),
        }
    }
}

fn check_account(name: &str, expect: &Value, account: &LinkedAccount) {
    let wanted = &expect["account"];
    if let Some(id) = wanted["account_id"].as_str() {
        assert_eq!(account.account_id(), id, "{name}: account_id");
    }
    for (field, got) in [
        ("name", account.name()),
        ("environment", account.environment()),
    ] {
        if let Some(value) = wanted[field].as_str() {
            assert_eq!(got, Some(value), "{name}: {field}");
        }
    }
    if let Some(new_account) = wanted["new_account"].as_bool() {
        assert_eq!(
            account.new_account(),
            Some(new_account),
            "{name}: new_account"
        );
    }
    if let Some(count) = wanted.get("integrations_count") {
        assert_eq!(
            account.integrations().map(|list| list.len() as u64),
            count.as_u64(),
            "{name}: integrations"
        );
    }
    if let Some(udf) = wanted["udf"].as_object() {
        let got: serde_json::Map<String, Value> = account
            .udf()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        assert_eq!(&got, udf, "{name}: udf");
    }
}

fn check_page(name: &str, expect: &Value, page: &LinkedAccountPage) {
    assert_eq!(
        u64::from(page.page),
        expect["page"].as_u64().unwrap(),
        "{name}: page"
    );
    assert_eq!(
        u64::from(page.limit),
        expect["limit"].as_u64().unwrap(),
        "{name}: limit"
    );
    if let Some(count) = expect["accounts_count"].as_u64() {
        assert_eq!(page.accounts.len() as u64, count, "{name}: accounts");
    }
    if let Some(total) = expect["total_min"].as_u64() {
        assert!(page.total >= total, "{name}: total {}", page.total);
    }
    if expect.get("prev_page").is_some() {
        assert_eq!(
            page.prev_page.map(u64::from),
            expect["prev_page"].as_u64(),
            "{name}: prev_page"
        );
    }
    if let Some(counter) = expect["paging_counter"].as_u64() {
        assert_eq!(page.paging_counter, counter, "{name}: paging_counter");
    }
    if expect.get("next_page").is_some() {
        assert_eq!(
            page.next_page.map(u64::from),
            expect["next_page"].as_u64(),
            "{name}: next_page"
        );
    }
}

fn unix(time: SystemTime) -> f64 {
    time.duration_since(UNIX_EPOCH).unwrap().as_secs_f64()
}

fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("token is a JWT");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("payload is base64url");
    serde_json::from_slice(&bytes).expect("payload is JSON")
}

fn check_token(name: &str, expect: &Value, input: &str, session: &SessionToken) {
    assert_eq!(
        session.linked_account_id(),
        input,
        "{name}: linked_account_id"
    );
    if let Some(token) = expect["token"].as_str() {
        assert_eq!(session.token(), token, "{name}: token");
    }
    if let Some(wanted) = expect["claims"].as_object() {
        let got = claims(session.token());
        for (key, value) in wanted {
            assert_eq!(&got[key], value, "{name}: claim {key}");
        }
    }
    match &expect["expires_at"] {
        Value::String(claim) => {
            assert_eq!(claim, "exp_claim");
            let exp = claims(session.token())["exp"].as_f64().unwrap();
            assert_eq!(unix(session.expires_at()), exp, "{name}: expires_at");
        }
        Value::Null => {}
        other => panic!("{name}: unknown expires_at {other}"),
    }
    if let Some(at) = expect["expires_at_unix"].as_f64() {
        assert_eq!(unix(session.expires_at()), at, "{name}: expires_at_unix");
    }
    if let Some(seconds) = expect["expires_in_about_s"].as_f64() {
        let expected = unix(SystemTime::now()) + seconds;
        assert!(
            (unix(session.expires_at()) - expected).abs() < 60.0,
            "{name}: expires_in_about_s"
        );
    }
    if let Some(present) = expect["refresh_token_present"].as_bool() {
        assert_eq!(
            session.refresh_token().is_some(),
            present,
            "{name}: refresh token"
        );
    }
    if let Some(seconds) = expect["refresh_expires_in_about_s"].as_f64() {
        let expected = unix(SystemTime::now()) + seconds;
        let got = session.refresh_expires_at().map(unix);
        assert!(
            got.is_some_and(|got| (got - expected).abs() < 60.0),
            "{name}: refresh_expires_in_about_s {got:?}"
        );
    }
    match expect.get("issued_at") {
        Some(Value::String(claim)) => {
            assert_eq!(claim, "iat_claim");
            let iat = claims(session.token())["iat"].as_f64().unwrap();
            assert_eq!(
                session.issued_at().map(unix),
                Some(iat),
                "{name}: issued_at"
            );
        }
        Some(Value::Null) => assert_eq!(session.issued_at(), None, "{name}: issued_at"),
        Some(other) => panic!("{name}: unknown issued_at {other}"),
        None => {}
    }
    if let Some(at) = expect["issued_at_unix"].as_f64() {
        assert_eq!(
            session.issued_at().map(unix),
            Some(at),
            "{name}: issued_at_unix"
        );
    }
    let debug = format!("{session:?}");
    assert!(
        !debug.contains(session.token()),
        "{name}: Debug shows the token"
    );
    if let Some(refresh) = session.refresh_token() {
        assert!(
            !debug.contains(refresh),
            "{name}: Debug shows the refresh token"
        );
    }
}

fn check_error(name: &str, expect: &Value, err: &Error) {
    assert_eq!(
        err.code().as_str(),
        expect["code"].as_str().unwrap(),
        "{name}: code ({err})"
    );
    assert_eq!(
        err.status().map(u64::from),
        expect["status"].as_u64(),
        "{name}: status ({err})"
    );
    assert_eq!(
        u64::from(err.attempts()),
        expect["attempts"].as_u64().unwrap(),
        "{name}: attempts ({err})"
    );
    if let Some(seconds) = expect["retry_after_s"].as_f64() {
        let got = err.retry_after().map(|d| d.as_secs_f64());
        assert!(
            got.is_some_and(|g| (g - seconds).abs() < 1e-3),
            "{name}: retry_after {got:?}"
        );
    }
    for (field, got) in [
        ("server_code", err.server_code()),
        ("http_error_type", err.http_error_type()),
    ] {
        if let Some(wanted) = expect.get(field) {
            assert_eq!(got, wanted.as_str(), "{name}: {field} ({err})");
        }
    }
    if let Some(id) = expect["request_id"].as_str() {
        assert_eq!(err.request_id(), Some(id), "{name}: request_id");
    }
    if expect["request_id_present"].as_bool() == Some(true) {
        assert!(err.request_id().is_some(), "{name}: request_id present");
    }
    for needle in expect["message_contains"].as_array().into_iter().flatten() {
        let needle = needle.as_str().unwrap();
        assert!(
            err.message().contains(needle),
            "{name}: message lacks {needle:?}: {err}"
        );
    }
    let shown = [
        err.message().to_owned(),
        err.to_string(),
        format!("{err:?}"),
    ];
    for needle in expect["message_excludes"].as_array().into_iter().flatten() {
        let needle = needle.as_str().unwrap();
        for text in &shown {
            assert!(
                !text.contains(needle),
                "{name}: {needle:?} leaked into {text}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_conformance_case_passes() {
    let doc = load_cases(CASES).unwrap_or_else(|problems| panic!("{problems}"));
    let current = Harness::start(&doc, false).await;
    let legacy = Harness::start(&doc, true).await;
    let mut ran = 0;
    let mut ran_legacy = 0;
    for case in doc["cases"].as_array().unwrap() {
        if case["dynamic_only"].as_bool().unwrap() {
            continue; // a number or null cannot be passed as &str
        }
        if case["lone_surrogates"].as_bool().unwrap() {
            continue; // a Rust string cannot hold a lone UTF-16 surrogate
        }
        for generation in case["generations"].as_array().unwrap() {
            let (harness, case) = match generation.as_str().unwrap() {
                "current" => (&current, case.clone()),
                _ => {
                    ran_legacy += 1;
                    (&legacy, for_legacy(case))
                }
            };
            run_case(harness, &doc, &case, generation.as_str().unwrap()).await;
            ran += 1;
        }
    }
    assert!(
        ran >= 200 && ran_legacy >= 60,
        "only {ran} runs ({ran_legacy} legacy)"
    );
    current.emulator.shutdown().await;
    legacy.emulator.shutdown().await;
}

/// The case as run against the legacy generation: its `legacy` members replace its own.
fn for_legacy(case: &Value) -> Value {
    let mut case = case.clone();
    if let Some(Value::Object(overlay)) = case.as_object_mut().unwrap().remove("legacy") {
        case.as_object_mut().unwrap().extend(overlay);
    }
    case
}

async fn run_case(harness: &Harness, doc: &Value, case: &Value, generation: &str) {
    let name = &format!("{} ({generation})", case["name"].as_str().unwrap());
    let base_url = harness.emulator.base_url();
    harness.post("/__emulator/reset", "{}".into()).await;
    let setup = case["setup"].as_array().unwrap();
    if !setup.is_empty() {
        let client = build_client(&doc["defaults"], &Value::Null, &base_url).unwrap();
        for step in setup {
            let result = call(&client, step["call"].as_str().unwrap(), &step["input"]).await;
            if !step["ignore_error"].as_bool().unwrap() {
                result.unwrap_or_else(|err| panic!("{name}: setup failed: {err}"));
            }
        }
        harness.post("/__emulator/reset", "{}".into()).await;
    }
    if let Some(ttl) = case.get("token_ttl_s") {
        harness
            .post("/__emulator/config", format!("{{\"token_ttl_s\":{ttl}}}"))
            .await;
    }
    if let Some(faults) = case.get("faults") {
        harness.post("/__emulator/faults", faults.to_string()).await;
    }
    let call_name = case["call"].as_str().unwrap();
    if call_name == "sequence" {
        let client = build_client(&doc["defaults"], case, &base_url);
        run_sequence(harness, name, client, &case["steps"]).await;
        check_requests(harness, name, case).await;
        return;
    }
    let input = &case["input"];
    let expect = &case["expect"];
    let started = Instant::now();
    let outcome = match build_client(&doc["defaults"], case, &base_url) {
        Ok(client) => call(&client, call_name, input).await,
        Err(err) => {
            assert_eq!(
                err.code().as_str(),
                "configuration",
                "{name}: build failed: {err}"
            );
            Err(err)
        }
    };
    let elapsed = started.elapsed().as_millis() as u64;
    match (expect["outcome"].as_str().unwrap(), &outcome) {
        ("token", Ok(Outcome::Token(session))) => {
            check_token(name, expect, input.as_str().unwrap(), session)
        }
        ("account", Ok(Outcome::Account(account))) => check_account(name, expect, account),
        ("page", Ok(Outcome::Page(page))) => check_page(name, expect, page),
        ("object", Ok(Outcome::Object)) => {}
        ("error", Err(err)) => check_error(name, expect, err),
        (wanted, got) => panic!("{name}: expected {wanted}, got {got:?}"),
    }
    if let Some(min) = case["min_elapsed_ms"].as_u64() {
        assert!(
            elapsed >= min,
            "{name}: took {elapsed} ms, expected ≥ {min}"
        );
    }
    if let Some(max) = case["max_elapsed_ms"].as_u64() {
        assert!(
            elapsed <= max,
            "{name}: took {elapsed} ms, expected ≤ {max}"
        );
    }
    let log = check_requests(harness, name, case).await;
    if case["check_received_id"].as_bool().unwrap() {
        let last = log["requests"]
            .as_array()
            .unwrap()
            .last()
            .expect("a request");
        let body: Value = serde_json::from_str(last["body"].as_str().unwrap()).unwrap();
        assert_eq!(
            body["linked_account_id"].as_str(),
            input.as_str(),
            "{name}: id on the wire"
        );
    }
}

/// `requests_received` and `queries_received` against the emulator's log; the log.
async fn check_requests(harness: &Harness, name: &str, case: &Value) -> Value {
    let log = harness.requests().await;
    assert_eq!(
        log["count"].as_u64(),
        case["requests_received"].as_u64(),
        "{name}: requests received"
    );
    if let Some(wanted) = case.get("queries_received") {
        let got: Vec<Value> = log["requests"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|request| request["path"] == refold_session::SESSION_TOKEN_PATH)
            .map(|request| request["query"].clone())
            .collect();
        assert_eq!(&Value::Array(got), wanted, "{name}: queries received");
    }
    log
}

#[test]
fn a_malformed_cases_file_is_refused_every_problem_named() {
    // A member missing, a misspelt one, a wrong type: refused before any case runs.
    let mut doc: Value = serde_json::from_str(CASES).unwrap();
    let first = doc["cases"][0]["name"].as_str().unwrap().to_owned();
    let second = doc["cases"][1]["name"].as_str().unwrap().to_owned();
    doc["cases"][0]
        .as_object_mut()
        .unwrap()
        .remove("requests_received");
    doc["cases"][1]["expect"]["atempts"] = 1.into();
    doc["emulator"]["api_keys"] = "one-key".into();
    let message = load_cases(&doc.to_string()).expect_err("refused");
    assert!(
        message.contains("does not match cases.schema.json (3 problems)"),
        "{message}"
    );
    for wanted in [
        format!("/cases/0 (case {first}): \"requests_received\" is a required property"),
        format!(
            "/cases/1/expect (case {second}): Additional properties are not allowed ('atempts' was unexpected)"
        ),
        "/emulator/api_keys: \"one-key\" is not of type \"array\"".to_owned(),
    ] {
        assert!(message.contains(&wanted), "{wanted} not in {message}");
    }
    assert!(load_cases("{").unwrap_err().contains("is not JSON"));
}

#[test]
fn absent_members_get_the_schema_defaults() {
    let doc = serde_json::json!({
        "version": 1,
        "emulator": {"api_keys": ["k"], "linked_accounts": []},
        "defaults": {},
        "cases": [{"name": "minimal", "description": "d", "input": "acct-1",
                   "expect": {"outcome": "token"}, "requests_received": 1}],
    });
    let loaded = load_cases(&doc.to_string()).unwrap();
    let case = &loaded["cases"][0];
    assert_eq!(case["call"], "session_token");
    assert_eq!(case["client"], serde_json::json!({}));
    assert_eq!(case["setup"], serde_json::json!([]));
    for flag in ["lone_surrogates", "dynamic_only", "check_received_id"] {
        assert_eq!(case[flag], false, "{flag}");
    }
    assert_eq!(
        case["generations"],
        serde_json::json!(["current", "legacy"])
    );
    assert_eq!(case["requires"], serde_json::json!([]));
    // The table with its defaults applied still matches the schema.
    let table = load_cases(CASES).unwrap();
    assert!(load_cases(&table.to_string()).is_ok());
}
