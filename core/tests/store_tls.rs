//! The fleet store over TLS (`rediss://`) against a real `redis-server` serving TLS with a
//! throwaway certificate for localhost from fixtures/ (`localhost-leaf.*`, signed by
//! `test-ca.crt`, whose key was discarded), the CA trusted through `SSL_CERT_FILE` (the store
//! uses the system trust store). Its own test binary: the variable is process-wide.

#[path = "common/redis.rs"]
mod redis_server;

use std::path::PathBuf;

use redis_server::{RedisServer, free_port};
use refold_emulator::{Emulator, EmulatorConfig};
use refold_session::{CacheOptions, Client, ClientOptions, RateLimitOptions, StoreOptions};
use serde_json::Value;

const KEY: &str = "sk_store_tls_DISTINCTIVE_0c3e";
const ENCRYPTION_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tls_redis_serves_the_fleet() {
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let ca = fixtures.join("test-ca.crt");
    let cert = fixtures.join("localhost-leaf.crt");
    let key = fixtures.join("localhost-leaf.key");
    // SAFETY: set before any thread of this test binary reads the environment.
    unsafe { std::env::set_var("SSL_CERT_FILE", &ca) };
    let port = free_port();
    let redis = RedisServer::start_with(
        free_port(),
        &[
            "--tls-port",
            &port.to_string(),
            "--tls-cert-file",
            cert.to_str().unwrap(),
            "--tls-key-file",
            key.to_str().unwrap(),
            "--tls-ca-cert-file",
            ca.to_str().unwrap(),
            "--tls-auth-clients",
            "no",
        ],
    );
    let emulator = Emulator::start(EmulatorConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        api_keys: vec![KEY.into()],
        any_linked_account: true,
        rate_limit: None, // Refold's rate limit (on by default) is not tested here
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let process = || {
        Client::new(ClientOptions {
            api_key: Some(KEY.into()),
            base_url: Some(emulator.base_url()),
            cache: Some(CacheOptions {
                store: Some(StoreOptions {
                    redis_url: Some(format!("rediss://localhost:{port}").into()),
                    encryption_keys: vec![ENCRYPTION_KEY.into()],
                    // A TLS handshake on a busy machine: more than the default 250 ms.
                    timeout: Some(std::time::Duration::from_secs(2)),
                    ..StoreOptions::default()
                }),
                ..CacheOptions::default()
            }),
            read_environment_variables: Some(false),
            rate_limit: Some(RateLimitOptions::Off),
            ..ClientOptions::default()
        })
        .unwrap()
    };
    let (first, second) = (process(), process());
    let a = first
        .get_token_for_linked_account("tls-user")
        .await
        .unwrap();
    let b = second
        .get_token_for_linked_account("tls-user")
        .await
        .unwrap();
    assert_eq!(
        a.token(),
        b.token(),
        "the second process read the first one's token"
    );
    let stats = second.cache_stats().await.unwrap();
    assert_eq!((stats.store_hits, stats.store_errors), (1, 0), "{stats:?}");
    let log: Value = reqwest::get(format!("{}/__emulator/requests", emulator.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(log["count"], 1);
    drop(redis);
    emulator.shutdown().await;
}
