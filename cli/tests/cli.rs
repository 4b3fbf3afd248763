//! The `refold` binary end to end: `refold emulator` in one process, `refold token` in others.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Output, Stdio};

use base64::Engine as _;

const BIN: &str = env!("CARGO_BIN_EXE_refold");
const KEY: &str = "sk_cli_DISTINCTIVE_e9b2";

/// A `refold emulator` process on a free port, killed on drop.
struct EmulatorProcess {
    child: Child,
    url: String,
}

impl EmulatorProcess {
    /// Without the rate limit, as every test but the limit's own.
    fn start() -> EmulatorProcess {
        EmulatorProcess::start_with(&["--rate-limit", "off"])
    }

    fn start_with(flags: &[&str]) -> EmulatorProcess {
        let mut child = Command::new(BIN)
            .args(["emulator", "--addr", "127.0.0.1:0", "--api-key", KEY])
            .args(["--linked-account", "cli-user"])
            .args(flags)
            .stdout(Stdio::piped())
            .spawn()
            .expect("refold emulator starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        assert!(url.starts_with("http://127.0.0.1:"), "{url}");
        EmulatorProcess { child, url }
    }

    fn token(&self, args: &[&str], key: Option<&str>) -> Output {
        let mut command = Command::new(BIN);
        command
            .arg("token")
            .args(args)
            .args(["--base-url", &self.url])
            .env_remove("REFOLD_API_KEY")
            .env_remove("COBALT_API_KEY")
            .env_remove("REFOLD_ENVIRONMENT")
            .env_remove("REFOLD_BASE_URL")
            .env_remove("REFOLD_LOG");
        if let Some(key) = key {
            command.env("REFOLD_API_KEY", key);
        }
        command.output().unwrap()
    }
}

impl EmulatorProcess {
    /// `count` from the control plane, over a raw loopback socket (no client library needed).
    fn requests_received(&self) -> u64 {
        self.http("GET", "/__emulator/requests", &[], "").1["count"]
            .as_u64()
            .unwrap()
    }

    /// One request over a raw loopback socket: the status and the JSON body.
    fn http(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> (u16, serde_json::Value) {
        let addr = self.url.trim_start_matches("http://");
        let mut stream = TcpStream::connect(addr).unwrap();
        let mut head = format!("{method} {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n");
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        write!(stream, "{head}content-length: {}\r\n\r\n{body}", body.len()).unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let (head, body) = response.split_once("\r\n\r\n").unwrap();
        let status = head.split(' ').nth(1).unwrap().parse().unwrap();
        (status, serde_json::from_str(body).unwrap())
    }
}

impl Drop for EmulatorProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[test]
fn token_prints_a_bare_jwt_naming_the_account() {
    let emulator = EmulatorProcess::start();
    let out = emulator.token(&["cli-user"], Some(KEY));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let token = text(&out.stdout).trim().to_owned();
    let payload = token.split('.').nth(1).unwrap();
    let claims: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["linked_account_id"], "cli-user");
    assert_eq!(text(&out.stdout).lines().count(), 1);
}

#[test]
fn token_json_prints_rfc3339_times() {
    let emulator = EmulatorProcess::start();
    let out = emulator.token(&["cli-user", "--json"], Some(KEY));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["linked_account_id"], "cli-user");
    assert!(json["token"].as_str().unwrap().starts_with("eyJ"));
    for field in ["expires_at", "issued_at"] {
        let value = json[field].as_str().unwrap();
        assert!(
            value.len() == 20 && value.ends_with('Z') && value.contains('T'),
            "{value}"
        );
    }
}

#[test]
fn errors_go_to_stderr_with_their_exit_codes() {
    let emulator = EmulatorProcess::start();
    let cases: [(&[&str], Option<&str>, i32, &str); 4] = [
        (
            &["no-such-user"],
            Some(KEY),
            4,
            "error[invalid_linked_account]: ",
        ),
        (&["cli-user"], None, 2, "error[configuration]: "),
        (
            &["cli-user"],
            Some("sk_wrong_DISTINCTIVE"),
            3,
            "error[authentication]: ",
        ),
        (&[" "], Some(KEY), 2, "error[invalid_input]: "),
    ];
    for (args, key, code, prefix) in cases {
        let out = emulator.token(args, key);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {stderr}");
        assert!(stderr.starts_with(prefix), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty());
        assert!(
            !stderr.contains(KEY) && !stderr.contains("DISTINCTIVE"),
            "{stderr}"
        );
    }
    // The missing key and the blank id failed before the wire; the other two reached it.
    assert_eq!(emulator.requests_received(), 2);
}

#[test]
fn connection_failures_exit_7() {
    let out = Command::new(BIN)
        .args(["token", "u1", "--base-url", "http://127.0.0.1:9"])
        .env("REFOLD_API_KEY", KEY)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(7), "{}", text(&out.stderr));
    assert!(text(&out.stderr).starts_with("error[connection]: "));
}

impl EmulatorProcess {
    /// Installs a fault list through the control plane.
    fn faults(&self, json: &str) {
        let addr = self.url.trim_start_matches("http://");
        let mut stream = TcpStream::connect(addr).unwrap();
        write!(
            stream,
            "POST /__emulator/faults HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n\
             content-type: application/json\r\ncontent-length: {}\r\n\r\n{json}",
            json.len()
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        assert!(response.starts_with("HTTP/1.1 2"), "{response}");
    }
}

#[test]
fn refold_log_prints_the_calls_spans_and_its_retry_on_stderr_without_secrets() {
    let emulator = EmulatorProcess::start();
    emulator.faults(r#"[{"kind":"status","status":503}]"#);
    let out = Command::new(BIN)
        .args(["token", "cli-user", "--base-url", &emulator.url])
        .env("REFOLD_API_KEY", KEY)
        .env("REFOLD_LOG", "debug")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let token = text(&out.stdout).trim().to_owned();
    let stderr = text(&out.stderr);
    for expected in [
        "refold.get_token_for_linked_account",
        "refold.attempt",
        "url.template=\"/api/v2/public/session-token\"",
        "http.response.status_code=503",
        "http.response.status_code=200",
        "attempt 1 failed with server_error",
    ] {
        assert!(stderr.contains(expected), "{expected} in {stderr}");
    }
    assert!(
        !stderr.contains(KEY) && !stderr.contains(&token),
        "{stderr}"
    );
    assert!(
        !text(&out.stdout).contains("refold.attempt"),
        "stdout is the answer"
    );
}

#[test]
fn timeout_and_max_retries_flags_bound_a_stalled_server() {
    let emulator = EmulatorProcess::start();
    emulator.faults(r#"[{"kind":"delay","ms":5000},{"kind":"delay","ms":5000}]"#);
    let started = std::time::Instant::now();
    let out = emulator.token(
        &["cli-user", "--timeout", "0.3", "--max-retries", "1"],
        Some(KEY),
    );
    let elapsed = started.elapsed();
    assert_eq!(out.status.code(), Some(7), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).starts_with("error[timeout]:"),
        "{}",
        text(&out.stderr)
    );
    // Two attempts of 0.3 s and one backoff of at most 0.5 s, far from 30 s × 3.
    assert!(elapsed < std::time::Duration::from_secs(4), "{elapsed:?}");
    assert_eq!(emulator.requests_received(), 2);
}

#[test]
fn bad_timeout_and_retry_values_are_configuration_errors() {
    let emulator = EmulatorProcess::start();
    for args in [
        ["cli-user", "--timeout", "0"],
        ["cli-user", "--timeout", "-1"],
        ["cli-user", "--max-retries", "1.5"],
        ["cli-user", "--max-retries", "1000"],
    ] {
        let out = emulator.token(&args, Some(KEY));
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            text(&out.stderr).starts_with("error[configuration]:"),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
    assert_eq!(emulator.requests_received(), 0);
}

impl EmulatorProcess {
    fn account(&self, args: &[&str]) -> Output {
        Command::new(BIN)
            .arg("account")
            .args(args)
            .args(["--base-url", &self.url])
            .env("REFOLD_API_KEY", KEY)
            .env_remove("REFOLD_ENVIRONMENT")
            .env_remove("REFOLD_BASE_URL")
            .output()
            .unwrap()
    }
}

#[test]
fn account_commands_run_the_whole_server_side_flow() {
    let emulator = EmulatorProcess::start();
    let out = emulator.account(&["upsert", "cli-new", "--name", "Mark", "--udf", "plan=pro"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let account: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(account["account_id"], "cli-new");
    assert_eq!(account["name"], "Mark");
    assert_eq!(account["udf"][0]["key_name"], "plan");

    let got: serde_json::Value =
        serde_json::from_slice(&emulator.account(&["get", "cli-new"]).stdout).unwrap();
    assert_eq!(got["_id"], account["_id"]);
    assert!(emulator.token(&["cli-new"], Some(KEY)).status.success());

    let page: serde_json::Value =
        serde_json::from_slice(&emulator.account(&["list", "--limit", "1"]).stdout).unwrap();
    assert_eq!(page["accounts"].as_array().unwrap().len(), 1);
    assert_eq!(page["next_page"], 2);
    let all = emulator.account(&["list", "--all", "--limit", "1"]);
    assert_eq!(text(&all.stdout).lines().count(), 2, "cli-user and cli-new");

    assert!(emulator.account(&["delete", "cli-new"]).status.success());
    let gone = emulator.account(&["get", "cli-new"]);
    assert_eq!(gone.status.code(), Some(4));
    assert!(
        text(&gone.stderr).starts_with("error[not_found]:"),
        "{}",
        text(&gone.stderr)
    );
    let mint = emulator.token(&["cli-new"], Some(KEY));
    assert_eq!(mint.status.code(), Some(4));
    assert!(text(&mint.stderr).starts_with("error[invalid_linked_account]:"));

    let bad = emulator.account(&["list", "--limit", "500"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).starts_with("error[invalid_input]:"));
}

fn lifetime(token: &str) -> u64 {
    let claims: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap()
}

#[test]
fn emulator_token_ttl_sets_the_lifetime_of_minted_tokens() {
    let emulator = EmulatorProcess::start_with(&["--token-ttl", "6", "--rate-limit", "off"]);
    let out = emulator.token(&["cli-user", "--json"], Some(KEY));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(lifetime(json["token"].as_str().unwrap()), 6);
    // Seven days unless told (24 hours in the older generation).
    let emulator = EmulatorProcess::start();
    let out = emulator.token(&["cli-user", "--json"], Some(KEY));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(lifetime(json["token"].as_str().unwrap()), 604_800);
}

const MINT_BODY: &str = r#"{"linked_account_id":"cli-user"}"#;

#[test]
fn emulator_legacy_session_token_answers_as_the_older_guide() {
    let emulator = EmulatorProcess::start_with(&["--legacy-session-token", "--rate-limit", "off"]);
    let key = [("x-api-key", KEY)];
    let (status, body) = emulator.http("POST", "/api/v2/public/session-token", &key, MINT_BODY);
    assert_eq!(status, 200);
    assert_eq!(body.as_object().unwrap().len(), 1, "{body}");
    assert_eq!(lifetime(body["token"].as_str().unwrap()), 86_400);
    let unknown = r#"{"linked_account_id":"nobody"}"#;
    let (status, body) = emulator.http("POST", "/api/v2/public/session-token", &key, unknown);
    assert_eq!(status, 500);
    assert_eq!(body["error_code"], "SERVER_ERROR");
    let (_, config) = emulator.http("GET", "/__emulator/config", &[], "");
    assert_eq!(config["legacy_session_token"], true);
    assert_eq!(config["rate_limit"], "off");
    // And today's generation by default.
    let emulator = EmulatorProcess::start();
    let (status, body) = emulator.http("POST", "/api/v2/public/session-token", &key, unknown);
    assert_eq!(status, 400);
    assert_eq!(body["error"], "INVALID_LINKED_ACCOUNT_ID");
}

#[test]
fn emulator_rate_limit_is_refolds_unless_told() {
    let emulator = EmulatorProcess::start_with(&[]);
    let (_, config) = emulator.http("GET", "/__emulator/config", &[], "");
    assert_eq!(config["rate_limit"], "20/s,5");

    let emulator = EmulatorProcess::start_with(&["--rate-limit", "1/min,1"]);
    assert!(emulator.token(&["cli-user"], Some(KEY)).status.success());
    // Refused, not retried: the CLI's exit code for a rate limit.
    let out = emulator.token(&["cli-user", "--max-retries", "0"], Some(KEY));
    assert_eq!(out.status.code(), Some(5), "{}", text(&out.stderr));
    let (_, log) = emulator.http("GET", "/__emulator/requests", &[], "");
    assert_eq!(
        (log["admitted"].as_u64(), log["rate_limited"].as_u64()),
        (Some(1), Some(1))
    );

    for bad in ["fast", "0/s", "20/h,5"] {
        let out = Command::new(BIN)
            .args(["emulator", "--addr", "127.0.0.1:0", "--rate-limit", bad])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(
            text(&out.stderr).contains("--rate-limit"),
            "{bad}: {}",
            text(&out.stderr)
        );
    }
}

impl EmulatorProcess {
    /// `refold <args…> --base-url <emulator>` with `stdin` piped in.
    fn run_with_stdin(&self, args: &[&str], stdin: &str) -> Output {
        let mut child = Command::new(BIN)
            .args(args)
            .args(["--base-url", &self.url])
            .env("REFOLD_API_KEY", KEY)
            .env_remove("REFOLD_ENVIRONMENT")
            .env_remove("REFOLD_BASE_URL")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    }
}

#[test]
fn token_revoke_and_account_active_take_the_token_from_stdin_and_never_echo_it() {
    let emulator = EmulatorProcess::start();
    let minted = emulator.token(&["cli-user"], Some(KEY));
    let token = text(&minted.stdout).trim().to_owned();

    let active = emulator.run_with_stdin(&["account", "active"], &format!("{token}\n"));
    assert!(active.status.success(), "{}", text(&active.stderr));
    let account: serde_json::Value = serde_json::from_slice(&active.stdout).unwrap();
    assert_eq!(account["account_id"], "cli-user");

    let revoked = emulator.run_with_stdin(&["token", "revoke"], &format!("{token}\n"));
    assert!(revoked.status.success(), "{}", text(&revoked.stderr));
    let answer: serde_json::Value = serde_json::from_slice(&revoked.stdout).unwrap();
    assert_eq!(
        answer,
        serde_json::json!({"success": true, "revoked_count": 1})
    );

    // The argument form; Refold refuses a revoked token: exit 3, its code shown, never the token.
    let again = emulator.run_with_stdin(&["token", "revoke", &token], "");
    assert_eq!(again.status.code(), Some(3), "{}", text(&again.stderr));
    let stderr = text(&again.stderr);
    assert!(stderr.starts_with("error[authentication]: "), "{stderr}");
    assert!(
        stderr.contains("(Refold's code: INVALID_TOKEN)"),
        "{stderr}"
    );
    for output in [&active, &revoked, &again] {
        assert!(!text(&output.stdout).contains(&token) && !text(&output.stderr).contains(&token));
    }
    let empty = emulator.run_with_stdin(&["token", "revoke"], "\n");
    assert_eq!(empty.status.code(), Some(2), "{}", text(&empty.stderr));
    assert!(text(&empty.stderr).starts_with("error[invalid_input]: "));
    assert_eq!(
        emulator.requests_received(),
        4,
        "the empty token was not sent"
    );
}

#[test]
fn errors_show_refolds_own_code() {
    let emulator = EmulatorProcess::start();
    let out = emulator.token(&["no-such-user"], Some(KEY));
    assert_eq!(out.status.code(), Some(4));
    let stderr = text(&out.stderr);
    assert!(
        stderr
            .trim_end()
            .ends_with("(Refold's code: INVALID_LINKED_ACCOUNT_ID)"),
        "{stderr}"
    );
    let fresh = emulator.token(&["cli-user", "--fresh", "--json"], Some(KEY));
    assert!(fresh.status.success(), "{}", text(&fresh.stderr));
    let json: serde_json::Value = serde_json::from_slice(&fresh.stdout).unwrap();
    assert!(json["refresh_token"].as_str().unwrap().starts_with("eyJ"));
    assert!(json["refresh_expires_at"].as_str().unwrap().ends_with('Z'));
}

#[test]
fn describe_is_hidden_and_prints_what_the_core_declares() {
    let out = Command::new(BIN).arg("__describe").output().unwrap();
    assert!(out.status.success());
    let described: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        described["error_codes"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("invalid_linked_account"))
    );
    assert!(described["options"]["client"].as_array().unwrap().len() >= 9);
    let help = Command::new(BIN).arg("--help").output().unwrap();
    assert!(!text(&help.stdout).contains("__describe"));
}

impl EmulatorProcess {
    /// `refold api <args…> --base-url <emulator>` with the API key, `env` set and `stdin` piped in.
    fn api(&self, args: &[&str], env: &[(&str, &str)], stdin: &str) -> Output {
        let mut command = Command::new(BIN);
        command
            .arg("api")
            .args(args)
            .args(["--base-url", &self.url])
            .env("REFOLD_API_KEY", KEY)
            .env_remove("REFOLD_ENVIRONMENT")
            .env_remove("REFOLD_BASE_URL")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    }
}

#[test]
fn api_list_prints_every_operation_once() {
    let out = Command::new(BIN).args(["api", "--list"]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let listing = text(&out.stdout);
    assert_eq!(listing.lines().count(), 102);
    let line = listing
        .lines()
        .find(|line| line.starts_with("listPersistentTables "))
        .unwrap();
    assert!(
        line.contains(" GET ")
            && line.contains("/api/v2/public/tables")
            && line.ends_with("Persistent Tables"),
        "{line}"
    );
    assert_eq!(listing.matches("(deprecated)").count(), 3);

    let out = Command::new(BIN)
        .args(["api", "--list", "--json"])
        .output()
        .unwrap();
    let operations: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let operations = operations.as_array().unwrap();
    assert_eq!(operations.len(), 102);
    let records = operations
        .iter()
        .find(|op| op["operationId"] == "getPersistentTableRecords")
        .unwrap();
    assert_eq!(records["paginated"], true);
    assert_eq!(records["params"][0]["key"], "table_id");
}

#[test]
fn api_creates_a_table_fills_it_and_reads_every_page() {
    let emulator = EmulatorProcess::start();
    let account = ["--linked-account", "cli-user"];
    let created = emulator.api(
        &[
            &["createPersistentTable"][..],
            &account,
            &[
                "--body",
                r#"{"table_name":"leads","columns":[{"column_name":"email"}]}"#,
            ],
        ]
        .concat(),
        &[],
        "",
    );
    assert!(created.status.success(), "{}", text(&created.stderr));
    let table: serde_json::Value = serde_json::from_slice(&created.stdout).unwrap();
    let table_id = table["table_id"].as_str().unwrap().to_owned();
    let table_param = format!("table_id={table_id}");

    // The body from stdin; the parameter by its camelCase name.
    let rows = r#"{"data":[{"email":"0@x"},{"email":"1@x"},{"email":"2@x"},{"email":"3@x"},{"email":"4@x"}]}"#;
    let camel = format!("tableId={table_id}");
    let added = emulator.api(
        &[
            &[
                "addRecordsToPersistentTable",
                "--param",
                &camel,
                "--body",
                "@-",
            ][..],
            &account,
        ]
        .concat(),
        &[],
        rows,
    );
    assert!(added.status.success(), "{}", text(&added.stderr));

    let before = emulator.requests_received();
    let all = emulator.api(
        &[
            &[
                "getPersistentTableRecords",
                "--param",
                &table_param,
                "--param",
                "limit=2",
                "--all",
            ][..],
            &account,
        ]
        .concat(),
        &[],
        "",
    );
    assert!(all.status.success(), "{}", text(&all.stderr));
    let items: Vec<serde_json::Value> = text(&all.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(items.len(), 5, "pages of 2, 2 and 1");
    assert_eq!(emulator.requests_received() - before, 3);

    // The integer parameter is typed by its declaration: a word is refused before sending.
    let before = emulator.requests_received();
    let bad = emulator.api(
        &[
            &[
                "getPersistentTableRecords",
                "--param",
                &table_param,
                "--param",
                "limit=two",
            ][..],
            &account,
        ]
        .concat(),
        &[],
        "",
    );
    assert_eq!(bad.status.code(), Some(2), "{}", text(&bad.stderr));
    assert!(text(&bad.stderr).starts_with(
        "error[invalid_input]: limit of getPersistentTableRecords must be a whole number"
    ));
    let unknown = emulator.api(&["noSuchOperation"], &[], "");
    assert_eq!(unknown.status.code(), Some(2));
    assert!(text(&unknown.stderr).contains("has no operation \"noSuchOperation\""));
    let not_json = emulator.api(&["registerWebhook", "--body", "{oops"], &[], "");
    assert_eq!(not_json.status.code(), Some(2));
    assert!(text(&not_json.stderr).starts_with("error[invalid_input]: --body is not JSON"));
    assert_eq!(emulator.requests_received(), before, "nothing was sent");

    // A 404 keeps the CLI's exit code for not found.
    let missing = emulator.api(
        &[
            &["getPersistentTableRecords", "--param", "table_id=nope"][..],
            &account,
        ]
        .concat(),
        &[],
        "",
    );
    assert_eq!(missing.status.code(), Some(4), "{}", text(&missing.stderr));
    assert!(text(&missing.stderr).starts_with("error[not_found]: "));
}

#[test]
fn api_with_a_session_token_refuses_org_level_operations_unsent() {
    let emulator = EmulatorProcess::start();
    let minted = emulator.token(&["cli-user"], Some(KEY));
    let token = text(&minted.stdout).trim().to_owned();
    let env = [("CLI_TEST_TOKEN", token.as_str())];
    let scope = ["--session-token-env", "CLI_TEST_TOKEN"];

    let own = emulator.api(
        &[&["getLinkedAccountBySessionToken"][..], &scope].concat(),
        &env,
        "",
    );
    assert!(own.status.success(), "{}", text(&own.stderr));
    let account: serde_json::Value = serde_json::from_slice(&own.stdout).unwrap();
    assert_eq!(account["account_id"], "cli-user");
    let before = emulator.requests_received();

    let refused = emulator.api(&[&["listLinkedAccounts"][..], &scope].concat(), &env, "");
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused.stderr));
    let stderr = text(&refused.stderr);
    assert!(
        stderr.starts_with("error[invalid_input]: listLinkedAccounts is an org-level operation"),
        "{stderr}"
    );
    assert!(refused.stdout.is_empty() && !stderr.contains(&token));

    let unset = emulator.api(
        &[&["getLinkedAccountBySessionToken"][..], &scope].concat(),
        &[],
        "",
    );
    assert_eq!(unset.status.code(), Some(2));
    assert!(
        text(&unset.stderr)
            .starts_with("error[configuration]: --session-token-env names CLI_TEST_TOKEN")
    );

    let linked = emulator.api(&["listWebhooks", "--linked-account", "cli-user"], &[], "");
    assert_eq!(linked.status.code(), Some(2));
    assert!(text(&linked.stderr).contains("org-level"));
    assert_eq!(emulator.requests_received(), before, "nothing was sent");
}

#[test]
fn completion_scripts_offer_the_operation_ids() {
    for shell in ["bash", "zsh", "fish"] {
        let out = Command::new(BIN)
            .args(["completion", shell])
            .output()
            .unwrap();
        assert!(out.status.success(), "{shell}: {}", text(&out.stderr));
        let script = text(&out.stdout);
        assert!(script.contains("listPersistentTables"), "{shell}");
        assert!(script.contains("getOAuthUrlForLinkedAccount"), "{shell}");
    }
    let bad = Command::new(BIN)
        .args(["completion", "tcsh"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn api_file_sends_an_event_as_multipart() {
    let emulator = EmulatorProcess::start();
    let created = emulator.api(
        &[
            "createEvent",
            "--body",
            r#"{"name":"file_uploaded","response":"{}"}"#,
        ],
        &[],
        "",
    );
    assert!(created.status.success(), "{}", text(&created.stderr));
    let notes = std::env::temp_dir().join(format!("refold-cli-notes-{}.txt", std::process::id()));
    std::fs::write(&notes, "hello").unwrap();
    let file = format!("file=@{}", notes.display());
    let sent = emulator.api(
        &[
            "triggerEvent",
            "--linked-account",
            "cli-user",
            "--body",
            r#"{"event":"file_uploaded","payload":{"n":1}}"#,
            "--file",
            &file,
        ],
        &[],
        "",
    );
    std::fs::remove_file(&notes).unwrap();
    assert!(sent.status.success(), "{}", text(&sent.stderr));
    let (_, log) = emulator.http("GET", "/__emulator/requests", &[], "");
    let content_type = log["requests"][1]["headers"]["content-type"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("multipart/form-data; boundary="),
        "{content_type}"
    );
    let without_at = emulator.api(&["triggerEvent", "--file", "file=notes.txt"], &[], "");
    assert_eq!(without_at.status.code(), Some(2));
    assert!(text(&without_at.stderr).starts_with("error[invalid_input]: --file takes FIELD=@PATH"));
}
