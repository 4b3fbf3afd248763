//! The emulator as the core's tests start and ask it: a server accepting one API key and any
//! linked account, and its control plane read as JSON.
// Shared by several test binaries, each of which uses part of it.
#![allow(dead_code)]

use refold_emulator::{Emulator, EmulatorConfig};
use serde_json::Value;

/// An emulator on `addr` (port 0: a free one) accepting `key` and any linked account.
pub async fn start_at(addr: &str, key: &str) -> Emulator {
    Emulator::start(EmulatorConfig {
        addr: addr.parse().unwrap(),
        api_keys: vec![key.into()],
        any_linked_account: true,
        rate_limit: None, // Refold's rate limit (on by default) is not tested here
        ..EmulatorConfig::default()
    })
    .await
    .unwrap()
}

/// An emulator on a free loopback port accepting `key` and any linked account.
pub async fn start(key: &str) -> Emulator {
    start_at("127.0.0.1:0", key).await
}

/// `GET` of a control-plane path (`/__emulator/…`) on a connection of its own, never through a
/// proxy a test has set in the environment.
pub async fn control(emulator: &Emulator, path: &str) -> Value {
    control_client()
        .get(format!("{}{path}", emulator.base_url()))
        .header("connection", "close")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Queues `faults` (a JSON array) for the next public-API requests.
pub async fn faults(emulator: &Emulator, faults: Value) {
    let response = control_client()
        .post(format!("{}/__emulator/faults", emulator.base_url()))
        .body(faults.to_string())
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "faults refused: {faults}");
}

/// A client for the control plane that never goes through a proxy a test set in the
/// environment.
fn control_client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}
