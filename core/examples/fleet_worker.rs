//! The Rust worker of the fleet conformance suite (conformance/fleet/README.md): reads
//! `{"accounts": [...], "rounds": N}` on stdin, mints every account N times concurrently on one
//! client whose cache and Redis store come from the environment, prints one JSON line.

use std::collections::BTreeMap;
use std::io::Read as _;

use std::time::Duration;

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
    let client = Client::new(ClientOptions {
        timeout: Some(Duration::from_secs(5)),
        max_retries: Some(0),
        cache: Some(CacheOptions {
            store: Some(StoreOptions::default()),
            ..CacheOptions::default()
        }),
        ..ClientOptions::default()
    })
    .unwrap();
    let mut calls = Vec::new();
    for _ in 0..rounds {
        for id in &accounts {
            let (client, id) = (client.clone(), id.clone());
            calls.push(tokio::spawn(async move {
                let result = client.get_token_for_linked_account(&id).await;
                (id, result)
            }));
        }
    }
    let mut tokens = BTreeMap::new();
    let mut errors = BTreeMap::new();
    for call in calls {
        match call.await.unwrap() {
            (id, Ok(token)) => {
                tokens.insert(id, token.token().to_owned());
            }
            (id, Err(err)) => {
                errors.insert(id, err.code().as_str().to_owned());
            }
        }
    }
    let stats = client.cache_stats().await.unwrap();
    println!(
        "{}",
        json!({
            "tokens": tokens,
            "errors": errors,
            "stats": {
                "hits": stats.hits, "misses": stats.misses, "coalesced": stats.coalesced,
                "store_hits": stats.store_hits, "store_errors": stats.store_errors,
            },
        })
    );
}
