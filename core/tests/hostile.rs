//! Hostile servers (docs/contract.md §Limits): answers whose announced lengths, headers or
//! bodies lie must end in a typed error within the timeout, and no number from the wire may
//! size an allocation. A counting allocator watches every allocation of this test process;
//! the emulator's `wire` fault sends each answer byte for byte.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use refold_emulator::Emulator;
use refold_session::{Client, ClientOptions, ErrorCode, RateLimitOptions};
use serde_json::{Value, json};

/// Counts the largest single allocation and the peak of live bytes.
struct Counting;

static LARGEST: AtomicUsize = AtomicUsize::new(0);
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK_LIVE: AtomicUsize = AtomicUsize::new(0);

fn record(size: usize) {
    LARGEST.fetch_max(size, Ordering::Relaxed);
    let live = LIVE.fetch_add(size, Ordering::Relaxed) + size;
    PEAK_LIVE.fetch_max(live, Ordering::Relaxed);
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        record(layout.size());
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        record(new_size);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The tests of this file measure allocations: one at a time.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[path = "common/emulator.rs"]
mod emulator;

const KEY: &str = "sk_hostile_DISTINCTIVE_a9e1";
/// Generous: the largest buffer the client may hold is the 1 MiB success body.
const ALLOCATION_LIMIT: usize = 4 * 1024 * 1024;

async fn emulator() -> Emulator {
    emulator::start(KEY).await
}

fn client(emulator: &Emulator, timeout: Duration) -> Client {
    Client::new(ClientOptions {
        api_key: Some(KEY.into()),
        base_url: Some(emulator.base_url()),
        timeout: Some(timeout),
        max_retries: Some(0),
        read_environment_variables: Some(false),
        rate_limit: Some(RateLimitOptions::Off),
        ..ClientOptions::default()
    })
    .unwrap()
}

fn wire(status_line: &str, headers: &[(&str, &str)], body: &str, pause_ms: u64) -> Value {
    json!([{
        "kind": "wire",
        "status_line": status_line,
        "wire_headers": headers.iter().map(|(n, v)| json!([n, v])).collect::<Vec<_>>(),
        "body": body,
        "pause_ms": pause_ms,
    }])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lying_lengths_never_size_a_buffer() {
    let _serial = SERIAL.lock().await;
    let emulator = emulator().await;
    let client = client(&emulator, Duration::from_secs(5));
    let huge = ["100000000000", "18446744073709551613"];
    let expected = [
        ("HTTP/1.1 200 OK", ErrorCode::InvalidResponse),
        ("HTTP/1.1 302 Found", ErrorCode::UnexpectedStatus),
        ("HTTP/1.1 404 X", ErrorCode::NotFound),
        ("HTTP/1.1 500 X", ErrorCode::InvalidLinkedAccount),
        ("HTTP/1.1 503 X", ErrorCode::ServerError),
    ];
    LARGEST.store(0, Ordering::Relaxed);
    for length in huge {
        for (status_line, code) in expected {
            for pause_ms in [0, 200] {
                emulator::faults(
                    &emulator,
                    wire(status_line, &[("content-length", length)], "x", pause_ms),
                )
                .await;
                let started = Instant::now();
                let err = client
                    .get_token_for_linked_account("acct")
                    .await
                    .unwrap_err();
                let case = format!("{status_line} content-length {length} pause {pause_ms}");
                assert_eq!(err.code(), code, "{case}: {}", err.message());
                assert_eq!(err.attempts(), 1, "{case}");
                assert!(started.elapsed() < Duration::from_secs(5), "{case}");
                assert!(!err.message().contains(KEY), "{case}");
            }
        }
    }
    let largest = LARGEST.load(Ordering::Relaxed);
    assert!(
        largest < ALLOCATION_LIMIT,
        "largest allocation {largest} bytes"
    );
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_heads_are_invalid_responses() {
    let _serial = SERIAL.lock().await;
    let emulator = emulator().await;
    let client = client(&emulator, Duration::from_secs(5));
    let heads: [&[(&str, &str)]; 4] = [
        &[("content-length", "5"), ("content-length", "7")],
        &[("content-length", "many")],
        &[("content-length", "-1")],
        &[("content-length", "99999999999999999999999")],
    ];
    for headers in heads {
        for status_line in ["HTTP/1.1 200 OK", "HTTP/1.1 500 X"] {
            emulator::faults(&emulator, wire(status_line, headers, "hello", 0)).await;
            let err = client
                .get_token_for_linked_account("acct")
                .await
                .unwrap_err();
            assert_eq!(
                err.code(),
                ErrorCode::InvalidResponse,
                "{status_line} {headers:?}: {}",
                err.message()
            );
            assert!(
                err.message().contains("not valid HTTP"),
                "{}",
                err.message()
            );
            assert!(!err.is_retryable());
        }
    }
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_longer_than_announced_is_cut_at_the_announced_length() {
    let _serial = SERIAL.lock().await;
    let emulator = emulator().await;
    let client = client(&emulator, Duration::from_secs(5));
    let body = r#"{"token":"opaque-hostile-token"}"#;
    let longer = format!("{body}GARBAGE AFTER THE ANNOUNCED LENGTH");
    emulator::faults(
        &emulator,
        wire(
            "HTTP/1.1 200 OK",
            &[("content-length", &body.len().to_string())],
            &longer,
            0,
        ),
    )
    .await;
    let session = client.get_token_for_linked_account("acct").await.unwrap();
    assert_eq!(session.token(), "opaque-hostile-token");
    // The garbage poisons that connection, never the next answer.
    let next = client.get_token_for_linked_account("acct").await.unwrap();
    assert!(next.token().starts_with("eyJ"));
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_announced_4_gb_error_body_that_never_comes_times_out_in_little_memory() {
    let _serial = SERIAL.lock().await;
    let emulator = emulator().await;
    let client = client(&emulator, Duration::from_millis(800));
    let baseline = LIVE.load(Ordering::Relaxed);
    PEAK_LIVE.store(baseline, Ordering::Relaxed);
    emulator::faults(
        &emulator,
        wire(
            "HTTP/1.1 500 X",
            &[("content-length", "4000000000")],
            "x",
            3000,
        ),
    )
    .await;
    let started = Instant::now();
    let err = client
        .get_token_for_linked_account("acct")
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Timeout, "{}", err.message());
    assert!(started.elapsed() < Duration::from_secs(3));
    let grew = PEAK_LIVE.load(Ordering::Relaxed).saturating_sub(baseline);
    println!("peak live heap growth during the call: {grew} bytes");
    assert!(
        grew < 8 * 1024 * 1024,
        "peak live heap grew by {grew} bytes"
    );
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_leaves_no_more_idle_connections_than_the_cap() {
    let _serial = SERIAL.lock().await;
    let emulator = emulator().await;
    let client = client(&emulator, Duration::from_secs(30));
    let burst = 2_000;
    let calls: Vec<_> = (0..burst)
        .map(|i| {
            let client = client.clone();
            tokio::spawn(async move {
                client
                    .get_token_for_linked_account(&format!("burst-{i}"))
                    .await
            })
        })
        .collect();
    let mut failures = 0;
    for call in calls {
        failures += usize::from(call.await.unwrap().is_err());
    }
    assert_eq!(failures, 0);
    let open_at_end = open_connections(&emulator).await;
    let deadline = Instant::now() + Duration::from_secs(1);
    let mut open = open_at_end;
    while open > refold_session::DEFAULT_MAX_IDLE_CONNECTIONS + 1 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
        open = open_connections(&emulator).await;
    }
    println!(
        "{burst} concurrent calls: {open_at_end} connections open at the end, {open} within 1 s"
    );
    // The cap, plus the control-plane connection asking.
    assert!(
        open <= refold_session::DEFAULT_MAX_IDLE_CONNECTIONS + 1,
        "{open} connections still open"
    );
    emulator.shutdown().await;
}

async fn open_connections(emulator: &Emulator) -> usize {
    let counts = emulator::control(emulator, "/__emulator/connections").await;
    counts["open"].as_u64().unwrap() as usize
}
