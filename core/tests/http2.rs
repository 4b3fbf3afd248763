//! HTTP/2 where the server offers it (ALPN), HTTP/1.1 where it does not: a TLS terminator
//! serving localhost's certificate of fixtures/ (signed by `test-ca.crt`, trusted through
//! `SSL_CERT_FILE`) in front of the real emulator, which speaks both. Its own test binary:
//! the variable is process-wide.

use std::path::PathBuf;

use refold_emulator::{Emulator, EmulatorConfig};
use refold_session::{Client, RateLimitOptions};

#[path = "common/tls.rs"]
mod tls;
use tls::start_tls_terminator;

const KEY: &str = "sk_http2_DISTINCTIVE_3b9d";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_when_offered_else_http1() {
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    // SAFETY: the only test of this binary, before any client reads the environment.
    unsafe { std::env::set_var("SSL_CERT_FILE", fixtures.join("test-ca.crt")) };
    let emulator = Emulator::start(EmulatorConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        api_keys: vec![KEY.into()],
        any_linked_account: true,
        rate_limit: None, // Refold's rate limit (on by default) is not tested here
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    for (alpn, expected) in [
        (&[b"h2".as_slice(), b"http/1.1"][..], Some(b"h2".to_vec())),
        (&[b"http/1.1".as_slice()][..], Some(b"http/1.1".to_vec())),
        (&[][..], None),
    ] {
        let (port, negotiated) = start_tls_terminator(emulator.addr(), alpn).await;
        let client = Client::builder()
            .read_environment_variables(false)
            .rate_limit(RateLimitOptions::Off)
            .api_key(KEY)
            .base_url(format!("https://localhost:{port}"))
            .max_retries(0)
            .build()
            .unwrap();
        // Several calls at once: with HTTP/2 they share one connection.
        // Two rounds of four calls at once: the second finds the first's connections (HTTP/1:
        // each back in the pool; HTTP/2: the one shared) and opens none.
        let mut opened = Vec::new();
        for round in 0..2 {
            let calls = (0..4).map(|i| {
                let client = client.clone();
                tokio::spawn(async move {
                    client
                        .get_token_for_linked_account(&format!("h2-{round}-{i}"))
                        .await
                        .unwrap()
                        .linked_account_id()
                        .to_owned()
                })
            });
            for (i, call) in calls.collect::<Vec<_>>().into_iter().enumerate() {
                assert_eq!(call.await.unwrap(), format!("h2-{round}-{i}"));
            }
            opened.push(negotiated.lock().unwrap().len());
        }
        // HTTP/2: one connection for both rounds. HTTP/1: never more connections than calls
        // at once (how many the first round needed depends on how the calls overlapped).
        let shared = expected.as_deref() == Some(b"h2".as_slice());
        assert!(
            opened[0] >= 1
                && if shared {
                    opened[1] == opened[0]
                } else {
                    opened[1] <= 4
                },
            "{alpn:?}: {opened:?}"
        );
        let negotiated = negotiated.lock().unwrap().clone();
        assert!(!negotiated.is_empty());
        assert!(negotiated.iter().all(|p| *p == expected), "{negotiated:?}");
    }
    emulator.shutdown().await;
}
