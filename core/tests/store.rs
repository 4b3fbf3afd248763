//! The fleet-wide token store against a real `redis-server` (docs/contract.md §Fleet store).
//! Each `Client` here stands for one process of a fleet: it has its own in-process cache.

#[path = "common/redis.rs"]
mod redis_server;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use redis_server::{RedisCluster, RedisServer};
use refold_emulator::{Emulator, EmulatorConfig};
use refold_session::{CacheOptions, Client, ClientOptions, RateLimitOptions, StoreOptions};
use serde_json::{Value, json};

const KEY: &str = "sk_store_DISTINCTIVE_4e2a";
const ENCRYPTION_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const OTHER_KEY: &str = "HxwdHhobGBkWFxQVEhMQEQ4PDA0KCwgJBgcEBQIDAAE=";

async fn emulator() -> Emulator {
    Emulator::start(EmulatorConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        api_keys: vec![KEY.into()],
        any_linked_account: true,
        rate_limit: None, // Refold's rate limit (on by default) is not tested here
        ..EmulatorConfig::default()
    })
    .await
    .unwrap()
}

/// One "process" of the fleet: its own client and in-process cache.
fn process(emulator: &Emulator, redis_url: &str, keys: &[&str], timeout_s: f64) -> Client {
    Client::new(ClientOptions {
        api_key: Some(KEY.into()),
        base_url: Some(emulator.base_url()),
        timeout: Some(Duration::from_secs_f64(timeout_s)),
        max_retries: Some(0),
        cache: Some(CacheOptions {
            store: Some(StoreOptions {
                redis_url: Some(redis_url.into()),
                encryption_keys: keys.iter().map(|k| (*k).into()).collect(),
                ..StoreOptions::default()
            }),
            ..CacheOptions::default()
        }),
        read_environment_variables: Some(false),
        rate_limit: Some(RateLimitOptions::Off),
        ..ClientOptions::default()
    })
    .unwrap()
}

async fn requests(emulator: &Emulator) -> u64 {
    let log: Value = reqwest::get(format!("{}/__emulator/requests", emulator.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    log["count"].as_u64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_processes_mint_once_per_account_and_leave_nothing_readable() {
    let redis = RedisServer::start();
    let emulator = emulator().await;
    let fleet: Vec<Client> = (0..4)
        .map(|_| process(&emulator, &redis.url(), &[ENCRYPTION_KEY], 10.0))
        .collect();
    let accounts: Vec<String> = (0..200).map(|i| format!("fleet-user-{i}")).collect();
    let mut calls = Vec::new();
    for round in 0..2 {
        for client in &fleet {
            for account in &accounts {
                let (client, account) = (client.clone(), account.clone());
                calls.push(tokio::spawn(async move {
                    let token = client.get_token_for_linked_account(&account).await.unwrap();
                    (round, account, token.token().to_owned())
                }));
            }
        }
    }
    let mut tokens: std::collections::HashMap<String, HashSet<String>> = Default::default();
    for call in calls {
        let (_, account, token) = call.await.unwrap();
        tokens.entry(account).or_default().insert(token);
    }
    for client in &fleet {
        println!("{:?}", client.cache_stats().await.unwrap());
    }
    assert_eq!(
        requests(&emulator).await,
        200,
        "one mint per account for the fleet"
    );
    assert!(
        tokens.values().all(|set| set.len() == 1),
        "every process saw the same token"
    );
    let store_hits: u64 = {
        let mut total = 0;
        for client in &fleet {
            total += client.cache_stats().await.unwrap().store_hits;
        }
        total
    };
    println!("fleet of 4: 200 accounts x 2 rounds -> 200 mints, {store_hits} store hits");

    // Nothing readable in Redis: no token, no account id, no API key.
    let dump = redis.dump();
    assert!(dump.len() >= 200, "{} keys", dump.len());
    let all_tokens: Vec<&String> = tokens.values().flatten().collect();
    for (name, value) in &dump {
        let text = String::from_utf8_lossy(value);
        assert!(
            !name.contains("fleet-user") && !name.contains(KEY),
            "{name}"
        );
        assert!(!text.contains("fleet-user") && !text.contains(KEY) && !text.contains("eyJ"));
        for token in &all_tokens {
            assert!(!text.contains(token.as_str()));
        }
    }
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampered_copied_or_foreign_values_are_misses() {
    let redis = RedisServer::start();
    let emulator = emulator().await;
    let writer = process(&emulator, &redis.url(), &[ENCRYPTION_KEY], 10.0);
    writer.get_token_for_linked_account("alice").await.unwrap();
    writer.get_token_for_linked_account("bob").await.unwrap();
    assert_eq!(requests(&emulator).await, 2);
    let dump = redis.dump();
    let tokens: Vec<&(String, Vec<u8>)> = dump.iter().filter(|(k, _)| k.contains(":t:")).collect();
    assert_eq!(tokens.len(), 2);
    // Copy alice's value over bob's key: it no longer decrypts (the key name is the AAD).
    let client = redis::Client::open(redis.url()).unwrap();
    let mut connection = client.get_connection().unwrap();
    let _: () = redis::cmd("SET")
        .arg(&tokens[1].0)
        .arg(&tokens[0].1)
        .query(&mut connection)
        .unwrap();
    let reader = process(&emulator, &redis.url(), &[ENCRYPTION_KEY], 10.0);
    reader.get_token_for_linked_account("alice").await.unwrap();
    reader.get_token_for_linked_account("bob").await.unwrap();
    assert_eq!(
        requests(&emulator).await,
        3,
        "exactly one of the two is readable"
    );

    // A process with another encryption key reads nothing and mints.
    let foreign = process(&emulator, &redis.url(), &[OTHER_KEY], 10.0);
    foreign.get_token_for_linked_account("alice").await.unwrap();
    assert_eq!(requests(&emulator).await, 4);
    // Rotation: new key first, old key second: the old entries are read, new ones written.
    let rotated = process(&emulator, &redis.url(), &[OTHER_KEY, ENCRYPTION_KEY], 10.0);
    rotated
        .get_token_for_linked_account("carol-new")
        .await
        .unwrap();
    let before = requests(&emulator).await;
    let old_reader = process(&emulator, &redis.url(), &[ENCRYPTION_KEY], 10.0);
    old_reader
        .get_token_for_linked_account("alice")
        .await
        .unwrap();
    assert_eq!(
        requests(&emulator).await,
        before,
        "alice's entry is still shared"
    );
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_lock_holder_delays_the_fleet_by_at_most_the_lock_time() {
    let redis = RedisServer::start();
    let emulator = emulator().await;
    // The holder's mint hangs: it is killed while holding the lock.
    let faults = json!([{"kind": "delay", "ms": 30000}]);
    reqwest::Client::new()
        .post(format!("{}/__emulator/faults", emulator.base_url()))
        .body(faults.to_string())
        .send()
        .await
        .unwrap();
    let holder = process(&emulator, &redis.url(), &[ENCRYPTION_KEY], 1.5);
    let doomed = tokio::spawn(async move { holder.get_token_for_linked_account("locked").await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    doomed.abort();
    let waiter = process(&emulator, &redis.url(), &[ENCRYPTION_KEY], 1.5);
    let started = Instant::now();
    waiter.get_token_for_linked_account("locked").await.unwrap();
    let waited = started.elapsed();
    println!("waited {waited:?} for a dead holder's 1.5 s lock");
    assert!(waited < Duration::from_millis(1_500 + 1_000), "{waited:?}");
    assert_eq!(requests(&emulator).await, 2);
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_going_away_never_fails_a_call_and_is_used_again_when_back() {
    let mut redis = RedisServer::start();
    let emulator = emulator().await;
    let client = process(&emulator, &redis.url(), &[ENCRYPTION_KEY], 10.0);
    client.get_token_for_linked_account("d1").await.unwrap();
    redis.stop();
    for i in 0..5 {
        client
            .get_token_for_linked_account(&format!("down-{i}"))
            .await
            .unwrap();
    }
    let errors = client.cache_stats().await.unwrap().store_errors;
    assert!(errors >= 1, "store errors are counted");
    redis.restart();
    // The connection manager reconnects in the background.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        client.invalidate("back").await;
        client.get_token_for_linked_account("back").await.unwrap();
        if redis.dump().iter().any(|(name, _)| name.contains(":t:")) {
            break;
        }
        assert!(Instant::now() < deadline, "the store was not used again");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_refresh_token_travels_through_the_store_and_a_revoked_token_leaves_it() {
    let redis = RedisServer::start();
    let emulator = emulator().await;
    let first = process(&emulator, &redis.url(), &[ENCRYPTION_KEY], 10.0);
    let second = process(&emulator, &redis.url(), &[ENCRYPTION_KEY], 10.0);
    let minted = first
        .get_token_for_linked_account("rv-fleet")
        .await
        .unwrap();
    let adopted = second
        .get_token_for_linked_account("rv-fleet")
        .await
        .unwrap();
    assert_eq!(
        requests(&emulator).await,
        1,
        "the second process read the store"
    );
    assert_eq!(adopted.token(), minted.token());
    assert_eq!(adopted.refresh_token(), minted.refresh_token());
    assert!(adopted.refresh_token().is_some());
    assert!(adopted.refresh_expires_at().is_some());
    assert_eq!(
        adopted.expires_at(),
        minted.expires_at(),
        "the same expiry fleet-wide"
    );
    // Revoked through one process: gone from its cache and from the store.
    first.revoke_session_token(minted.token()).await.unwrap();
    let third = process(&emulator, &redis.url(), &[ENCRYPTION_KEY], 10.0);
    let after = third
        .get_token_for_linked_account("rv-fleet")
        .await
        .unwrap();
    assert_ne!(
        after.token(),
        minted.token(),
        "the store no longer holds it"
    );
    assert_eq!(requests(&emulator).await, 3);
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalidate_all_removes_only_this_clients_prefix() {
    let redis = RedisServer::start();
    redis.cli(&["SET", "someone-else:key", "keep me"]);
    let emulator = emulator().await;
    let client = process(&emulator, &redis.url(), &[ENCRYPTION_KEY], 10.0);
    for i in 0..20 {
        client
            .get_token_for_linked_account(&format!("inv-{i}"))
            .await
            .unwrap();
    }
    client.invalidate("inv-0").await;
    assert_eq!(redis.dump().len(), 20, "19 tokens and the foreign key");
    client.invalidate_all().await;
    let left = redis.dump();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].0, "someone-else:key");
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_cluster_serves_the_fleet_too() {
    let cluster = RedisCluster::start();
    let emulator = emulator().await;
    let first = process(&emulator, &cluster.url(), &[ENCRYPTION_KEY], 10.0);
    let second = process(&emulator, &cluster.url(), &[ENCRYPTION_KEY], 10.0);
    for i in 0..30 {
        let id = format!("cluster-{i}");
        let a = first.get_token_for_linked_account(&id).await.unwrap();
        let b = second.get_token_for_linked_account(&id).await.unwrap();
        assert_eq!(a.token(), b.token());
    }
    assert_eq!(requests(&emulator).await, 30);
    assert_eq!(second.cache_stats().await.unwrap().store_hits, 30);
    let keys: usize = cluster.nodes.iter().map(|node| node.dump().len()).sum();
    assert_eq!(keys, 30, "spread over the nodes");
    first.invalidate_all().await;
    let keys: usize = cluster.nodes.iter().map(|node| node.dump().len()).sum();
    assert_eq!(keys, 0);
    emulator.shutdown().await;
}
