//! The transport's connections against a live emulator: calls that run C at a time reuse
//! their connections, at most `max_connections` requests are in flight whatever C is (a call
//! waits for a place within its timeout, and one that gives up waiting sends nothing), a
//! connection the server closed while it sat idle is replaced without the caller seeing an
//! error (no retry allowed), and a client outlives the tokio runtime that opened its
//! connections.
//!
//! Connections opened are bounded with room for the pool's speculative connects: a call that
//! finds no idle connection starts one, and if another call's connection comes free first it
//! takes that one and the new connection joins the idle ones.

use std::time::{Duration, Instant};

use refold_emulator::Emulator;
use refold_session::{Client, ClientOptions, ErrorCode, RateLimitOptions};
use serde_json::json;

#[path = "common/emulator.rs"]
mod emulator;

const KEY: &str = "sk_pool_DISTINCTIVE_7c2e";

fn client(emulator: &Emulator) -> Client {
    client_with(emulator, ClientOptions::default())
}

/// A client of `emulator` with retries off and `options`' pool settings.
fn client_with(emulator: &Emulator, options: ClientOptions) -> Client {
    Client::new(ClientOptions {
        api_key: Some(KEY.into()),
        base_url: Some(emulator.base_url()),
        max_retries: Some(0),
        read_environment_variables: Some(false),
        rate_limit: Some(RateLimitOptions::Off),
        ..options
    })
    .unwrap()
}

/// `tasks` tasks making `calls` calls each, all of which must succeed.
async fn run_calls(client: &Client, tasks: usize, calls: usize) {
    let running: Vec<_> = (0..tasks)
        .map(|task| {
            let client = client.clone();
            tokio::spawn(async move {
                for call in 0..calls {
                    client
                        .get_token_for_linked_account(&format!("pool-{task}-{call}"))
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for task in running {
        task.await.unwrap();
    }
}

/// Connections the emulator accepted so far, less this question's own.
async fn accepted(emulator: &Emulator) -> u64 {
    let counts = emulator::control(emulator, "/__emulator/connections").await;
    counts["accepted"].as_u64().unwrap() - 1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_made_c_at_a_time_reuse_their_connections() {
    const TASKS: usize = 16;
    const CALLS_EACH: usize = 40;
    let emulator = emulator::start(KEY).await;
    let client = client(&emulator);
    // Each question to the emulator is one connection of its own.
    let before = accepted(&emulator).await + 1;
    run_calls(&client, TASKS, CALLS_EACH).await;
    let opened = accepted(&emulator).await - before;
    println!("{TASKS} tasks × {CALLS_EACH} calls: {opened} connections opened");
    // A connection per call would be 640; speculative connects add at most a few per task.
    assert!(
        (1..=4 * TASKS as u64).contains(&opened),
        "{opened} connections opened for {TASKS} calls at a time"
    );
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_the_server_closed_while_idle_is_replaced_unseen() {
    let first = emulator::start(KEY).await;
    let addr = first.addr();
    let client = client(&first);
    client.get_token_for_linked_account("idle-1").await.unwrap();
    // The server goes away and comes back on the same port: the pooled connection is closed.
    first.shutdown().await;
    let second = emulator::start_at(&addr.to_string(), KEY).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let session = client
        .get_token_for_linked_account("idle-2")
        .await
        .expect("the closed connection is replaced, not reported");
    assert_eq!(session.linked_account_id(), "idle-2");
    let requests = emulator::control(&second, "/__emulator/requests").await;
    assert_eq!(requests["count"], 1);
    second.shutdown().await;
}

/// A client kept across tokio runtimes (a `static` client, one runtime per test): the
/// connection the first runtime left idle is bound to that runtime's I/O driver, so once that
/// runtime is gone the next call must move to a new connection, unseen, with retries off.
#[test]
fn a_client_outlives_the_runtime_that_opened_its_connection() {
    let server = tokio::runtime::Runtime::new().unwrap();
    let emulator = server.block_on(emulator::start(KEY));
    let client = client(&emulator);
    // Each question to the emulator is one connection of its own.
    let before = server.block_on(accepted(&emulator)) + 1;
    let first = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    first
        .block_on(client.get_token_for_linked_account("runtime-1"))
        .unwrap();
    drop(first);
    for runtime in [
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap(),
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap(),
    ] {
        let session = runtime
            .block_on(async {
                tokio::time::timeout(
                    Duration::from_secs(10),
                    client.get_token_for_linked_account("runtime-2"),
                )
                .await
            })
            .expect("the call neither hangs on the dead runtime's connection")
            .expect("nor reports it");
        assert_eq!(session.linked_account_id(), "runtime-2");
        drop(runtime);
    }
    let requests = server.block_on(emulator::control(&emulator, "/__emulator/requests"));
    assert_eq!(
        requests["count"], 3,
        "one request per call, none lost or repeated"
    );
    let opened = server.block_on(accepted(&emulator)) - before - 1;
    assert_eq!(
        opened, 3,
        "each runtime's call needed a connection of its own"
    );
    server.block_on(emulator.shutdown());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_beyond_max_connections_wait_for_one() {
    let emulator = emulator::start(KEY).await;
    let client = client_with(
        &emulator,
        ClientOptions {
            max_connections: Some(2),
            ..ClientOptions::default()
        },
    );
    let before = accepted(&emulator).await + 1;
    run_calls(&client, 32, 5).await;
    let opened = accepted(&emulator).await - before;
    println!("32 tasks × 5 calls, at most 2 in flight: {opened} connections opened");
    // Two in use at most, and speculative connects that joined the idle ones.
    assert!((1..=4).contains(&opened), "{opened} connections opened");
    let requests = emulator::control(&emulator, "/__emulator/requests").await;
    assert_eq!(requests["count"], 160);
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_most_max_connections_requests_reach_the_server_at_once() {
    const CALLS: usize = 4;
    let emulator = emulator::start(KEY).await;
    let client = client_with(
        &emulator,
        ClientOptions {
            max_connections: Some(2),
            ..ClientOptions::default()
        },
    );
    // Every answer takes 2 s: the first two calls hold both places meanwhile.
    let delays = vec![json!({"kind": "delay", "ms": 2_000}); CALLS];
    emulator::faults(&emulator, json!(delays)).await;
    let calls: Vec<_> = (0..CALLS)
        .map(|i| {
            let client = client.clone();
            tokio::spawn(async move {
                client
                    .get_token_for_linked_account(&format!("held-{i}"))
                    .await
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(10);
    while request_count(&emulator).await < 2 {
        assert!(
            Instant::now() < deadline,
            "the first two calls never arrived"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // A third would arrive now if it did not wait for a place.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(request_count(&emulator).await, 2);
    for call in calls {
        call.await.unwrap().unwrap();
    }
    assert_eq!(request_count(&emulator).await, CALLS as u64);
    emulator.shutdown().await;
}

async fn request_count(emulator: &Emulator) -> u64 {
    emulator::control(emulator, "/__emulator/requests").await["count"]
        .as_u64()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_closed_after_use_frees_its_place_for_a_waiting_call() {
    let emulator = emulator::start(KEY).await;
    // None kept idle: each connection closes after its call, and only its close lets the next
    // waiting call open another.
    let client = client_with(
        &emulator,
        ClientOptions {
            max_connections: Some(1),
            max_idle_connections: Some(0),
            ..ClientOptions::default()
        },
    );
    let before = accepted(&emulator).await + 1;
    run_calls(&client, 8, 3).await;
    let opened = accepted(&emulator).await - before;
    assert_eq!(opened, 24, "one connection per call, one at a time");
    let open = emulator::control(&emulator, "/__emulator/connections").await;
    assert!(open["open"].as_u64().unwrap() <= 2, "{open}");
    emulator.shutdown().await;
}

/// The bodies of the public-API requests the emulator logged.
async fn request_bodies(emulator: &Emulator) -> Vec<String> {
    let requests = emulator::control(emulator, "/__emulator/requests").await;
    requests["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["body"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_cancelled_while_waiting_at_the_cap_sends_nothing() {
    let emulator = emulator::start(KEY).await;
    let client = client_with(
        &emulator,
        ClientOptions {
            max_connections: Some(1),
            ..ClientOptions::default()
        },
    );
    // The first call holds the only connection for 1.5 s; a second one gives up waiting.
    emulator::faults(&emulator, json!([{"kind": "delay", "ms": 1_500}])).await;
    let before = accepted(&emulator).await + 1;
    let holder = {
        let client = client.clone();
        tokio::spawn(async move { client.get_token_for_linked_account("holder").await })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let waited = tokio::time::timeout(
        Duration::from_millis(300),
        client.get_token_for_linked_account("cancelled"),
    )
    .await;
    assert!(
        waited.is_err(),
        "the call waits while the holder has the place"
    );
    holder.await.unwrap().unwrap();
    client.get_token_for_linked_account("after").await.unwrap();
    // The holder's connection went back to the pool and served the last call.
    assert_eq!(accepted(&emulator).await - before, 1);
    let bodies = request_bodies(&emulator).await;
    assert_eq!(bodies.len(), 2, "{bodies:?}");
    assert!(
        bodies.iter().all(|body| !body.contains("cancelled")),
        "{bodies:?}"
    );
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_timed_out_at_the_cap_gives_its_place_to_a_waiting_call() {
    let emulator = emulator::start(KEY).await;
    let client = client_with(
        &emulator,
        ClientOptions {
            max_connections: Some(1),
            timeout: Some(Duration::from_millis(800)),
            ..ClientOptions::default()
        },
    );
    // The holder's answer comes after its timeout; the waiter (its own timeout still running)
    // gets the place when the holder's call ends and drops that connection.
    emulator::faults(&emulator, json!([{"kind": "delay", "ms": 5_000}])).await;
    let before = accepted(&emulator).await + 1;
    let holder = {
        let client = client.clone();
        tokio::spawn(async move { client.get_token_for_linked_account("holder").await })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    let waiter = client.get_token_for_linked_account("waiter").await.unwrap();
    assert_eq!(waiter.linked_account_id(), "waiter");
    assert!(started.elapsed() < Duration::from_secs(3));
    let held = holder.await.unwrap().unwrap_err();
    assert_eq!(held.code(), ErrorCode::Timeout, "{held}");
    assert_eq!(accepted(&emulator).await - before, 2);
    assert_eq!(request_bodies(&emulator).await.len(), 2);
    emulator.shutdown().await;
}
