//! The request budget against the emulator's own rate limit (docs/contract.md §16), scaled so
//! the suite stays fast: the emulator admits 100 requests/s with bursts of 25 (Refold's 20/s
//! with bursts of 5, the ratio kept, so the budget's slack is 50 ms as at Refold's rate) and
//! the clients are configured alike. Each `Client` made by `with_own_budget_for_tests` stands for one
//! process of a fleet. The tests run one at a time: each measures a pace.

#[cfg(feature = "test-hooks")]
#[path = "common/redis.rs"]
mod redis_server;

use std::time::{Duration, Instant};

#[cfg(feature = "test-hooks")]
use redis_server::RedisServer;
use refold_emulator::{Emulator, EmulatorConfig, RateLimit, RatePeriod};
#[cfg(feature = "test-hooks")]
use refold_session::StoreOptions;
use refold_session::{CacheOptions, Client, ClientOptions, ErrorCode, RateLimitOptions};
use serde_json::Value;

const KEY: &str = "sk_rate_DISTINCTIVE_77c1";
#[cfg(feature = "test-hooks")]
const ENCRYPTION_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const RATE: u32 = 100;
const BURST: u32 = 25;

/// One test at a time: each one's pace is what it checks.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn emulator(rate: u32, burst: u32) -> Emulator {
    emulator_with(rate, burst, EmulatorConfig::default().token_ttl).await
}

async fn emulator_with(rate: u32, burst: u32, token_ttl: Duration) -> Emulator {
    Emulator::start(EmulatorConfig {
        token_ttl,
        addr: "127.0.0.1:0".parse().unwrap(),
        api_keys: vec![KEY.into()],
        any_linked_account: true,
        rate_limit: Some(RateLimit {
            requests: rate,
            per: RatePeriod::Second,
            burst,
        }),
        ..EmulatorConfig::default()
    })
    .await
    .unwrap()
}

fn options(emulator: &Emulator, rate: u32, cache: Option<CacheOptions>) -> ClientOptions {
    ClientOptions {
        api_key: Some(KEY.into()),
        base_url: Some(emulator.base_url()),
        rate_limit: Some(RateLimitOptions::limit(rate, rate.div_ceil(4))),
        cache,
        read_environment_variables: Some(false),
        ..ClientOptions::default()
    }
}

#[cfg(feature = "test-hooks")]
fn store(redis: &str) -> CacheOptions {
    CacheOptions {
        store: Some(StoreOptions {
            redis_url: Some(redis.into()),
            encryption_keys: vec![ENCRYPTION_KEY.into()],
            key_prefix: Some(format!("rl-test-{}:", std::process::id())),
            ..StoreOptions::default()
        }),
        ..CacheOptions::default()
    }
}

/// The emulator's counters: (admitted, answered 429).
async fn wire(emulator: &Emulator) -> (u64, u64) {
    let log: Value = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(format!("{}/__emulator/requests", emulator.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (
        log["admitted"].as_u64().unwrap(),
        log["rate_limited"].as_u64().unwrap(),
    )
}

/// Asks `client` for the tokens of `ids` all at once; every call's outcome.
async fn tokens(client: &Client, ids: Vec<String>) -> Vec<Result<(), refold_session::Error>> {
    let calls = ids.into_iter().map(|id| {
        let client = client.clone();
        tokio::spawn(async move { client.get_token_for_linked_account(&id).await.map(|_| ()) })
    });
    let mut outcomes = Vec::new();
    for call in calls.collect::<Vec<_>>() {
        outcomes.push(call.await.unwrap());
    }
    outcomes
}

fn ids(prefix: &str, count: usize) -> Vec<String> {
    (0..count).map(|n| format!("{prefix}-{n}")).collect()
}

fn assert_all_ok(outcomes: &[Result<(), refold_session::Error>]) {
    let failed: Vec<String> = outcomes
        .iter()
        .filter_map(|outcome| outcome.as_ref().err())
        .map(|err| format!("{}: {}", err.code(), err.message()))
        .collect();
    assert!(
        failed.is_empty(),
        "{} failed, e.g. {:?}",
        failed.len(),
        failed.first()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cold_burst_gets_every_token_at_the_limits_pace_without_a_429() {
    let _one = ONE_AT_A_TIME.lock().await;
    let emulator = emulator(RATE, BURST).await;
    let client = Client::new(options(&emulator, RATE, Some(CacheOptions::default()))).unwrap();
    let count = 400;
    let started = Instant::now();
    let outcomes = tokens(&client, ids("cold", count)).await;
    let took = started.elapsed();
    assert_all_ok(&outcomes);
    assert_eq!(
        wire(&emulator).await,
        (count as u64, 0),
        "no 429 on the wire"
    );
    let ideal = count as f64 / f64::from(RATE);
    assert!(
        took.as_secs_f64() <= 1.2 * ideal,
        "{count} tokens took {took:?}, more than 1.2 × {ideal} s"
    );
    let stats = client.cache_stats().await.unwrap();
    assert!(
        stats.rate_limit_waits >= (count as u64) - u64::from(BURST),
        "{stats:?}"
    );
    assert!(stats.rate_limit_wait_ms > 0, "{stats:?}");
    assert_eq!(
        (stats.rate_limit_refused, stats.rate_limit_429s),
        (0, 0),
        "{stats:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_whose_turn_comes_after_its_timeout_is_refused_without_sending() {
    let _one = ONE_AT_A_TIME.lock().await;
    let emulator = emulator(RATE, BURST).await;
    let mut options = options(&emulator, 1, Some(CacheOptions::default()));
    options.rate_limit = Some(RateLimitOptions::limit(1, 5));
    options.timeout = Some(Duration::from_millis(500));
    let client = Client::new(options).unwrap();
    // One turn per second, four at once (the fifth is slack): the later calls would wait past
    // 500 ms.
    let outcomes = tokens(&client, ids("late", 8)).await;
    let refused: Vec<&refold_session::Error> = outcomes
        .iter()
        .filter_map(|outcome| outcome.as_ref().err())
        .collect();
    assert_eq!(refused.len(), 4, "{outcomes:?}");
    for error in refused {
        assert_eq!(error.code(), ErrorCode::RateLimited);
        assert_eq!(error.attempts(), 0);
        assert!(error.retry_after().is_some());
        assert!(
            error.message().contains("nothing was sent"),
            "{}",
            error.message()
        );
        assert!(!error.message().contains("DISTINCTIVE"));
    }
    assert_eq!(wire(&emulator).await, (4, 0));
    let stats = client.cache_stats().await.unwrap();
    assert_eq!(stats.rate_limit_refused, 4, "{stats:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_ahead_under_a_saturated_budget_causes_no_429() {
    let _one = ONE_AT_A_TIME.lock().await;
    // Tokens live ten minutes and the cache's window is a day: every hit starts a refresh.
    let emulator = emulator_with(RATE, BURST, Duration::from_secs(600)).await;
    let cache = CacheOptions {
        min_remaining: Some(Duration::from_secs(1)),
        refresh_ahead: Some(Duration::from_secs(86_399)),
        ..CacheOptions::default()
    };
    let client = Client::new(options(&emulator, RATE, Some(cache))).unwrap();
    let warm = ids("warm", 20);
    assert_all_ok(&tokens(&client, warm.clone()).await);
    // A wave of interactive misses saturates the budget while the warm accounts are hit again
    // and again (each hit asks for a refresh).
    let wave = {
        let client = client.clone();
        tokio::spawn(async move { tokens(&client, ids("wave", 200)).await })
    };
    for _ in 0..10 {
        assert_all_ok(&tokens(&client, warm.clone()).await);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_all_ok(&wave.await.unwrap());
    // Let the deferred refreshes use the spare turns after the wave.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (_, rejected) = wire(&emulator).await;
    assert_eq!(rejected, 0, "no 429 on the wire");
    let stats = client.cache_stats().await.unwrap();
    assert!(stats.rate_limit_background_deferred > 0, "{stats:?}");
    assert_eq!(stats.rate_limit_429s, 0, "{stats:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_limit_lower_than_configured_is_found_without_a_storm() {
    let _one = ONE_AT_A_TIME.lock().await;
    // The server admits half what the client was told.
    let emulator = emulator(RATE / 2, BURST).await;
    let client = Client::new(options(&emulator, RATE, Some(CacheOptions::default()))).unwrap();
    let first = tokens(&client, ids("converge-a", 100)).await;
    let (_, rejected_first) = wire(&emulator).await;
    // After two seconds the budget paces at the server's limit: no further 429s.
    let second = tokens(&client, ids("converge-b", 100)).await;
    let (admitted, rejected) = wire(&emulator).await;
    assert_all_ok(&first);
    assert_all_ok(&second);
    assert_eq!(admitted, 200);
    assert!(
        rejected_first <= 4,
        "{rejected_first} 429s while converging: a storm"
    );
    assert!(
        rejected - rejected_first <= 1,
        "{} 429s after converging",
        rejected - rejected_first
    );
    let stats = client.cache_stats().await.unwrap();
    assert_eq!(stats.rate_limit_429s, rejected, "{stats:?}");
}

/// `processes` clients with budgets of their own sharing one Redis, as processes would.
#[cfg(feature = "test-hooks")]
fn fleet(emulator: &Emulator, redis: &str, processes: usize) -> Vec<Client> {
    (0..processes)
        .map(|_| {
            Client::with_own_budget_for_tests(options(emulator, RATE, Some(store(redis)))).unwrap()
        })
        .collect()
}

#[cfg(feature = "test-hooks")]
async fn fleet_tokens(
    fleet: &[Client],
    prefix: &str,
    each: usize,
) -> Vec<Result<(), refold_session::Error>> {
    let calls = fleet.iter().enumerate().map(|(n, client)| {
        let client = client.clone();
        let ids = ids(&format!("{prefix}-{n}"), each);
        tokio::spawn(async move { tokens(&client, ids).await })
    });
    let mut outcomes = Vec::new();
    for call in calls.collect::<Vec<_>>() {
        outcomes.extend(call.await.unwrap());
    }
    outcomes
}

#[cfg(feature = "test-hooks")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn processes_sharing_one_redis_stay_under_the_limit_together() {
    let _one = ONE_AT_A_TIME.lock().await;
    let redis = RedisServer::start();
    let emulator = emulator(RATE, BURST).await;
    let fleet = fleet(&emulator, &redis.url(), 3);
    let each = 100;
    let started = Instant::now();
    let outcomes = fleet_tokens(&fleet, "fleet", each).await;
    let took = started.elapsed();
    assert_all_ok(&outcomes);
    let total = (3 * each) as u64;
    assert_eq!(wire(&emulator).await, (total, 0), "no 429 on the wire");
    let ideal = total as f64 / f64::from(RATE);
    assert!(
        took.as_secs_f64() <= 1.2 * ideal,
        "{total} tokens took {took:?}, more than 1.2 × {ideal} s"
    );
    for client in &fleet {
        let stats = client.cache_stats().await.unwrap();
        assert_eq!(stats.rate_limit_fleet_fallbacks, 0, "{stats:?}");
    }
}

#[cfg(feature = "test-hooks")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_redis_down_each_process_keeps_its_local_share() {
    let _one = ONE_AT_A_TIME.lock().await;
    let mut redis = RedisServer::start();
    let emulator = emulator(RATE, BURST).await;
    let fleet = fleet(&emulator, &redis.url(), 2);
    // Both processes ask through Redis, twice, so each has seen the other: the fleet has two.
    assert_all_ok(&fleet_tokens(&fleet, "known", 1).await);
    assert_all_ok(&fleet_tokens(&fleet, "seen", 1).await);
    redis.stop();
    let outcomes = fleet_tokens(&fleet, "down", 100).await;
    assert_all_ok(&outcomes);
    assert_eq!(wire(&emulator).await, (204, 0), "no 429 on the wire");
    for client in &fleet {
        let stats = client.cache_stats().await.unwrap();
        assert!(stats.rate_limit_fleet_fallbacks > 0, "{stats:?}");
        assert!(stats.store_errors > 0, "{stats:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn off_sends_at_once_and_the_emulator_answers_429() {
    let _one = ONE_AT_A_TIME.lock().await;
    let emulator = emulator(RATE, BURST).await;
    let client = Client::new(ClientOptions {
        rate_limit: Some(RateLimitOptions::Off),
        max_retries: Some(0),
        ..options(&emulator, RATE, None)
    })
    .unwrap();
    let outcomes = tokens(&client, ids("off", 50)).await;
    let limited = outcomes
        .iter()
        .filter(|outcome| {
            outcome
                .as_ref()
                .is_err_and(|err| err.code() == ErrorCode::RateLimited && err.attempts() == 1)
        })
        .count();
    let (_, rejected) = wire(&emulator).await;
    assert!(limited > 0, "without a budget the server's limit is met");
    assert_eq!(rejected, limited as u64);
}
