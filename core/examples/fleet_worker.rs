//! The Rust worker of the fleet conformance suite (conformance/fleet/README.md) and of `make
//! bench-fleet`: reads `{"accounts": [...], "rounds": N}` on stdin (optionally `"timeout_s"`,
//! default 5, and `"start_at_unix_ms"`, when to start), mints every account N times
//! concurrently on one client whose cache, Redis store and rate limit come from the
//! environment, prints one JSON line (tokens, errors, counters, when it started and ended, the
//! median and 99th percentile of the calls' times to their answers, and with
//! `"report_latencies": true` every call's).

use std::collections::BTreeMap;
use std::io::Read as _;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use refold_session::{CacheOptions, Client, ClientOptions, StoreOptions};
use serde_json::{Value, json};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input).unwrap();
    let plan: Value = serde_json::from_str(&input).unwrap();
    let accounts: Vec<String> = plan["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|id| id.as_str().unwrap().to_owned())
        .collect();
    let rounds = plan["rounds"].as_u64().unwrap_or(1);
    let timeout = plan["timeout_s"].as_f64().unwrap_or(5.0);
    let client = Client::new(ClientOptions {
        timeout: Some(Duration::from_secs_f64(timeout)),
        max_retries: Some(0),
        cache: Some(CacheOptions {
            store: Some(StoreOptions::default()),
            ..CacheOptions::default()
        }),
        ..ClientOptions::default()
    })
    .unwrap();
    if let Some(start_at) = plan["start_at_unix_ms"].as_u64() {
        let now = unix_ms();
        if start_at > now {
            tokio::time::sleep(Duration::from_millis((start_at - now).min(60_000))).await;
        }
    }
    let started_unix_ms = unix_ms();
    let mut calls = Vec::new();
    for _ in 0..rounds {
        for id in &accounts {
            let (client, id) = (client.clone(), id.clone());
            calls.push(tokio::spawn(async move {
                let started = Instant::now();
                let result = client.get_token_for_linked_account(&id).await;
                (id, result, started.elapsed())
            }));
        }
    }
    let mut tokens = BTreeMap::new();
    let mut errors = BTreeMap::new();
    let mut latencies = Vec::new();
    for call in calls {
        let (id, result, took) = call.await.unwrap();
        latencies.push(took.as_secs_f64() * 1000.0);
        match (id, result) {
            (id, Ok(token)) => {
                tokens.insert(id, token.token().to_owned());
            }
            (id, Err(err)) => {
                errors.insert(id, err.code().as_str().to_owned());
            }
        }
    }
    let finished_unix_ms = unix_ms();
    let stats = client.cache_stats().await.unwrap();
    latencies.sort_by(f64::total_cmp);
    let every_latency = plan["report_latencies"]
        .as_bool()
        .unwrap_or(false)
        .then(|| {
            latencies
                .iter()
                .map(|ms| (ms * 10.0).round() / 10.0)
                .collect::<Vec<_>>()
        });
    println!(
        "{}",
        json!({
            "latencies_ms": every_latency,
            "tokens": tokens,
            "errors": errors,
            "stats": {
                "hits": stats.hits, "misses": stats.misses, "coalesced": stats.coalesced,
                "store_hits": stats.store_hits, "store_errors": stats.store_errors,
                "rate_limit_waits": stats.rate_limit_waits,
                "rate_limit_wait_ms": stats.rate_limit_wait_ms,
                "rate_limit_refused": stats.rate_limit_refused,
                "rate_limit_429s": stats.rate_limit_429s,
                "rate_limit_fleet_fallbacks": stats.rate_limit_fleet_fallbacks,
            },
            "started_unix_ms": started_unix_ms,
            "finished_unix_ms": finished_unix_ms,
            "latency_ms": {"p50": percentile(&latencies, 50), "p99": percentile(&latencies, 99)},
        })
    );
}

fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_millis() as u64)
}

/// The `p`th percentile of sorted values (nearest rank), 0 when there are none.
fn percentile(sorted: &[f64], p: usize) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (p * sorted.len()).div_ceil(100).saturating_sub(1);
    sorted[rank.min(sorted.len() - 1)]
}
