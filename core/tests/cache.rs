//! The session cache against a live emulator whose tokens live seconds (docs/contract.md
//! §Session cache): hits, single flight, refresh ahead, failing refreshes, bounds, secrets.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use refold_emulator::{Emulator, EmulatorConfig};
use refold_session::{
    CacheOptions, Client, ClientOptions, ErrorCode, LinkedAccountInput, RateLimitOptions,
    RequestOptions,
};
use serde_json::{Value, json};

#[path = "common/emulator.rs"]
mod emulator;

const KEY: &str = "sk_cache_DISTINCTIVE_77c1";

async fn emulator(token_ttl_s: u64) -> Emulator {
    Emulator::start(EmulatorConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        api_keys: vec![KEY.into()],
        any_linked_account: true,
        token_ttl: Duration::from_secs(token_ttl_s),
        rate_limit: None, // Refold's rate limit (on by default) is not tested here
        ..EmulatorConfig::default()
    })
    .await
    .unwrap()
}

fn client(emulator: &Emulator, cache: CacheOptions) -> Client {
    Client::new(ClientOptions {
        api_key: Some(KEY.into()),
        base_url: Some(emulator.base_url()),
        max_retries: Some(0),
        cache: Some(cache),
        read_environment_variables: Some(false),
        rate_limit: Some(RateLimitOptions::Off),
        ..ClientOptions::default()
    })
    .unwrap()
}

/// TTL 6 s tokens: refresh in the last 4 s, never serve the last 2 s.
fn short(max_entries: Option<u32>) -> CacheOptions {
    CacheOptions {
        max_entries,
        min_remaining: Some(Duration::from_secs(2)),
        refresh_ahead: Some(Duration::from_secs(4)),
        store: None,
    }
}

async fn log(emulator: &Emulator) -> Value {
    reqwest::get(format!("{}/__emulator/requests", emulator.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn requests(emulator: &Emulator) -> u64 {
    log(emulator).await["count"].as_u64().unwrap()
}

/// The query string of each session-token request logged, oldest first.
async fn token_queries(emulator: &Emulator) -> Vec<Option<String>> {
    log(emulator).await["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|request| request["path"] == "/api/v2/public/session-token")
        .map(|request| request["query"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_callers_of_one_account_share_one_mint() {
    let emulator = emulator(86_400).await;
    let client = client(&emulator, CacheOptions::default());
    let calls: Vec<_> = (0..1000)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.get_token_for_linked_account("cold").await })
        })
        .collect();
    let mut tokens = HashSet::new();
    for call in calls {
        tokens.insert(call.await.unwrap().unwrap().token().to_owned());
    }
    assert_eq!(tokens.len(), 1, "1,000 callers got one token");
    assert_eq!(requests(&emulator).await, 1);
    let stats = client.cache_stats().await.unwrap();
    assert_eq!(stats.misses, 1);
    assert_eq!(stats.hits + stats.coalesced, 999);
    assert_eq!(stats.entries, 1);

    let calls: Vec<_> = (0..1000)
        .map(|i| {
            let client = client.clone();
            tokio::spawn(async move {
                client
                    .get_token_for_linked_account(&format!("acct-{}", i % 100))
                    .await
            })
        })
        .collect();
    for call in calls {
        call.await.unwrap().unwrap();
    }
    assert_eq!(requests(&emulator).await, 1 + 100, "one mint per account");
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hits_fresh_calls_and_invalidation_count_exactly() {
    let emulator = emulator(86_400).await;
    let client = client(&emulator, CacheOptions::default());
    let first = client.get_token_for_linked_account("u1").await.unwrap();
    let hit = client.get_token_for_linked_account("u1").await.unwrap();
    assert_eq!(first.token(), hit.token());
    assert_eq!(requests(&emulator).await, 1);

    let fresh = client
        .get_token_for_linked_account_with("u1", RequestOptions::new().fresh())
        .await
        .unwrap();
    assert_eq!(requests(&emulator).await, 2);
    assert_ne!(
        fresh.token(),
        first.token(),
        "fresh has Refold mint a new token"
    );
    let after_fresh = client.get_token_for_linked_account("u1").await.unwrap();
    assert_eq!(after_fresh.token(), fresh.token(), "fresh stores its token");

    // The synchronous hit the bindings try first: the same token, counted as a hit.
    let now = client
        .cached_token("u1")
        .expect("a usable entry answers at once");
    assert_eq!(now.token(), fresh.token());
    assert!(client.cached_token("never-asked").is_none());

    client.invalidate("u1").await;
    assert!(client.cached_token("u1").is_none());
    let again = client.get_token_for_linked_account("u1").await.unwrap();
    assert_eq!(requests(&emulator).await, 3);
    assert_eq!(
        again.token(),
        fresh.token(),
        "a plain miss gets Refold's current token"
    );
    assert_eq!(
        token_queries(&emulator).await,
        [None, Some("force_refresh=true".to_owned()), None],
        "only fresh forces a new token"
    );
    client.invalidate_all().await;
    client.get_token_for_linked_account("u1").await.unwrap();
    assert_eq!(requests(&emulator).await, 4);

    let stats = client.cache_stats().await.unwrap();
    assert_eq!((stats.hits, stats.misses, stats.coalesced), (3, 4, 0));
    assert_eq!(stats.entries, 1);

    // No token in any text the client or its stats produce.
    let shown = format!("{client:?} {stats:?}");
    assert!(
        !shown.contains(first.token()) && !shown.contains(KEY),
        "{shown}"
    );

    // Without a cache nothing is stored and there are no stats.
    let plain = Client::builder()
        .api_key(KEY)
        .base_url(emulator.base_url())
        .read_environment_variables(false)
        .rate_limit(RateLimitOptions::Off)
        .build()
        .unwrap();
    plain.get_token_for_linked_account("u1").await.unwrap();
    plain.get_token_for_linked_account("u1").await.unwrap();
    assert_eq!(requests(&emulator).await, 6);
    assert!(plain.cache_stats().await.is_none());
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hit_inside_the_window_answers_at_once_and_refreshes_in_the_background() {
    let emulator = emulator(6).await;
    let client = client(&emulator, short(None));
    let old = client.get_token_for_linked_account("r1").await.unwrap();
    // 6 s tokens, refresh window 4 s (+ up to 10 %): from 1.6 s on a hit refreshes.
    tokio::time::sleep(Duration::from_millis(2_200)).await;
    emulator::faults(&emulator, json!([{"kind": "delay", "ms": 1000}])).await;
    let started = Instant::now();
    assert!(
        client.cached_token("r1").is_none(),
        "a refresh is due: the async path answers"
    );
    let hit = client.get_token_for_linked_account("r1").await.unwrap();
    let waited = started.elapsed();
    assert_eq!(hit.token(), old.token());
    assert!(
        waited < Duration::from_millis(500),
        "a hit waited {waited:?}"
    );
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let refreshed = client.get_token_for_linked_account("r1").await.unwrap();
    assert_ne!(
        refreshed.token(),
        old.token(),
        "the refreshed token replaced the entry"
    );
    let stats = client.cache_stats().await.unwrap();
    assert_eq!(stats.refreshes, 1);
    assert_eq!(requests(&emulator).await, 2);
    assert_eq!(
        token_queries(&emulator).await,
        [None, Some("force_refresh=true".to_owned())],
        "a refresh forces a new token; the first mint does not"
    );
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_refreshes_keep_serving_and_a_deleted_account_drops_the_entry() {
    let emulator = emulator(6).await;
    let client = client(&emulator, short(None));
    let old = client.get_token_for_linked_account("f1").await.unwrap();
    tokio::time::sleep(Duration::from_millis(2_200)).await;
    emulator::faults(&emulator, json!([{"kind": "status", "status": 503}])).await;
    let hit = client.get_token_for_linked_account("f1").await.unwrap();
    assert_eq!(hit.token(), old.token());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let still = client.get_token_for_linked_account("f1").await.unwrap();
    assert_eq!(
        still.token(),
        old.token(),
        "the old token is served after a failure"
    );
    let stats = client.cache_stats().await.unwrap();
    assert_eq!(stats.refresh_failures, 1);
    assert_eq!(
        requests(&emulator).await,
        2,
        "backoff: no second refresh at once"
    );

    // An account deleted at Refold by someone else (another process, the dashboard): this
    // client's refresh is answered 400 INVALID_LINKED_ACCOUNT_ID and the entry goes.
    let known = Emulator::start(EmulatorConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        api_keys: vec![KEY.into()],
        token_ttl: Duration::from_secs(6),
        rate_limit: None, // Refold's rate limit (on by default) is not tested here
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let client = self::client(&known, short(None));
    client
        .upsert_linked_account(&LinkedAccountInput::new("doomed"))
        .await
        .unwrap();
    client.get_token_for_linked_account("doomed").await.unwrap();
    let elsewhere = Client::builder()
        .api_key(KEY)
        .base_url(known.base_url())
        .read_environment_variables(false)
        .rate_limit(RateLimitOptions::Off)
        .build()
        .unwrap();
    elsewhere.delete_linked_account("doomed").await.unwrap();
    tokio::time::sleep(Duration::from_millis(2_200)).await;
    client.get_token_for_linked_account("doomed").await.unwrap(); // starts the refresh
    tokio::time::sleep(Duration::from_millis(300)).await;
    let err = client
        .get_token_for_linked_account("doomed")
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidLinkedAccount);
    known.shutdown().await;
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_an_account_drops_its_cached_token() {
    let known = Emulator::start(EmulatorConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        api_keys: vec![KEY.into()],
        rate_limit: None, // Refold's rate limit (on by default) is not tested here
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let client = client(&known, CacheOptions::default());
    client
        .upsert_linked_account(&LinkedAccountInput::new("gone-soon"))
        .await
        .unwrap();
    client
        .get_token_for_linked_account("gone-soon")
        .await
        .unwrap();
    client.delete_linked_account("gone-soon").await.unwrap();
    let err = client
        .get_token_for_linked_account("gone-soon")
        .await
        .unwrap_err();
    assert_eq!(
        err.code(),
        ErrorCode::InvalidLinkedAccount,
        "not served from the cache"
    );
    known.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_below_min_remaining_is_never_returned() {
    let emulator = emulator(3).await;
    let client = client(
        &emulator,
        CacheOptions {
            max_entries: None,
            min_remaining: Some(Duration::from_secs(2)),
            refresh_ahead: Some(Duration::from_secs(2)),
            store: None,
        },
    );
    let first = client.get_token_for_linked_account("m1").await.unwrap();
    tokio::time::sleep(Duration::from_millis(1_300)).await;
    let second = client.get_token_for_linked_account("m1").await.unwrap();
    assert_ne!(first.token(), second.token());
    assert!(second.lifetime() > Duration::from_secs(2));
    // Refold answered its current token (too short to return) and then, forced, a new one.
    assert_eq!(
        token_queries(&emulator).await,
        [None, None, Some("force_refresh=true".to_owned())]
    );
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_token_leaves_the_cache_and_is_never_handed_out_again() {
    let emulator = emulator(86_400).await;
    let client = client(&emulator, CacheOptions::default());
    let token = client.get_token_for_linked_account("rv1").await.unwrap();
    let other = client.get_token_for_linked_account("rv2").await.unwrap();
    let revoked = client.revoke_session_token(token.token()).await.unwrap();
    assert!(revoked.success);
    assert_eq!(revoked.revoked_count, 1);
    assert!(client.cached_token("rv1").is_none(), "found by its claim");
    assert_eq!(
        client.cached_token("rv2").map(|t| t.token().to_owned()),
        Some(other.token().to_owned()),
        "other accounts keep theirs"
    );
    let next = client.get_token_for_linked_account("rv1").await.unwrap();
    assert_ne!(next.token(), token.token());
    // Revoking again is harmless for the caller's cache, and Refold refuses the dead token.
    let err = client
        .revoke_session_token(token.token())
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Authentication);
    assert_eq!(err.server_code(), Some("INVALID_TOKEN"));
    assert!(!format!("{err:?} {err}").contains(token.token()));
    assert_eq!(
        client.cached_token("rv1").map(|t| t.token().to_owned()),
        Some(next.token().to_owned())
    );
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_least_recently_used_account_leaves_a_full_cache() {
    let emulator = emulator(86_400).await;
    let client = client(
        &emulator,
        CacheOptions {
            max_entries: Some(10),
            ..CacheOptions::default()
        },
    );
    for i in 0..11 {
        client
            .get_token_for_linked_account(&format!("lru-{i}"))
            .await
            .unwrap();
        // Let the cache apply its bound in the order of use.
        client.cache_stats().await;
    }
    let stats = client.cache_stats().await.unwrap();
    assert_eq!(stats.entries, 10);
    assert_eq!(stats.evictions, 1);
    client.get_token_for_linked_account("lru-10").await.unwrap();
    assert_eq!(requests(&emulator).await, 11, "the newest is still cached");
    client.get_token_for_linked_account("lru-0").await.unwrap();
    assert_eq!(requests(&emulator).await, 12, "the oldest was evicted");
    emulator.shutdown().await;
}
