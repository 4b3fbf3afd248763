//! The connection pool against a live emulator: calls that run C at a time use at most C
//! connections, and a connection the server closed while it sat idle is replaced without the
//! caller seeing an error (no retry allowed).

use std::time::Duration;

use refold_emulator::Emulator;
use refold_session::{Client, ClientOptions};

#[path = "common/emulator.rs"]
mod emulator;

const KEY: &str = "sk_pool_DISTINCTIVE_7c2e";

fn client(emulator: &Emulator) -> Client {
    Client::new(ClientOptions {
        api_key: Some(KEY.into()),
        base_url: Some(emulator.base_url()),
        max_retries: Some(0.0),
        read_environment_variables: Some(false),
        ..ClientOptions::default()
    })
    .unwrap()
}

/// Connections the emulator accepted so far, less this question's own.
async fn accepted(emulator: &Emulator) -> u64 {
    let counts = emulator::control(emulator, "/__emulator/connections").await;
    counts["accepted"].as_u64().unwrap() - 1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_made_c_at_a_time_use_at_most_c_connections() {
    const TASKS: usize = 16;
    const CALLS_EACH: usize = 40;
    let emulator = emulator::start(KEY).await;
    let client = client(&emulator);
    // Each question to the emulator is one connection of its own.
    let before = accepted(&emulator).await + 1;
    let tasks: Vec<_> = (0..TASKS)
        .map(|task| {
            let client = client.clone();
            tokio::spawn(async move {
                for call in 0..CALLS_EACH {
                    client
                        .get_token_for_linked_account(&format!("pool-{task}-{call}"))
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let opened = accepted(&emulator).await - before;
    println!("{TASKS} tasks × {CALLS_EACH} calls: {opened} connections opened");
    assert!(
        (1..=TASKS as u64).contains(&opened),
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
