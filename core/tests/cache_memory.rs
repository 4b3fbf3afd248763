//! Memory per cached account, measured with a counting allocator (docs/contract.md
//! §Session cache states the figure).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

use refold_emulator::{Emulator, EmulatorConfig};
use refold_session::{CacheOptions, Client, ClientOptions, RateLimitOptions};

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cached_account_costs_its_token_plus_a_small_fixed_amount() {
    const KEY: &str = "sk_memory_DISTINCTIVE_0b11";
    let emulator = Emulator::start(EmulatorConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        api_keys: vec![KEY.into()],
        any_linked_account: true,
        rate_limit: None, // Refold's rate limit (on by default) is not tested here
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let client = Client::new(ClientOptions {
        api_key: Some(KEY.into()),
        base_url: Some(emulator.base_url()),
        cache: Some(CacheOptions::default()),
        read_environment_variables: Some(false),
        rate_limit: Some(RateLimitOptions::Off),
        ..ClientOptions::default()
    })
    .unwrap();
    // Warm up the pool and the cache's own structures.
    let sample = client.get_token_for_linked_account("warm-0").await.unwrap();
    let token_bytes = sample.token().len() + sample.refresh_token().map_or(0, str::len);
    client.cache_stats().await;
    let entries = 2_000;
    // The emulator (in this process) keeps each account's current token for reuse: a first
    // pass without the cache makes it keep them all, so the measured pass counts only the
    // cache (Refold answers the same tokens again).
    let plain = Client::new(ClientOptions {
        api_key: Some(KEY.into()),
        base_url: Some(emulator.base_url()),
        read_environment_variables: Some(false),
        rate_limit: Some(RateLimitOptions::Off),
        ..ClientOptions::default()
    })
    .unwrap();
    for i in 0..entries {
        plain
            .get_token_for_linked_account(&format!("memory-{i:05}"))
            .await
            .unwrap();
    }
    let before = LIVE.load(Ordering::Relaxed);
    for i in 0..entries {
        client
            .get_token_for_linked_account(&format!("memory-{i:05}"))
            .await
            .unwrap();
    }
    client.cache_stats().await;
    let grown = LIVE.load(Ordering::Relaxed) - before;
    let per_entry = grown / entries;
    println!(
        "{entries} cached accounts: {grown} bytes, {per_entry} bytes per entry \
         (token and refresh token {token_bytes} bytes, id 13 bytes)"
    );
    assert!(per_entry > token_bytes as isize, "{per_entry}");
    assert!(
        per_entry < token_bytes as isize + 2_048,
        "{per_entry} bytes per entry"
    );
    emulator.shutdown().await;
}
