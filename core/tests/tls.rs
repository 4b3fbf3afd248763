//! A server whose certificate is not trusted: a `connection` error that is never retried.
//! The key pair in fixtures/ is a throwaway self-signed test certificate for localhost.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use refold_session::{Client, ErrorCode, RateLimitOptions};
use tokio::net::TcpListener;

#[path = "common/tls.rs"]
mod tls;

const CERT: &[u8] = include_bytes!("fixtures/self-signed.crt");
const KEY: &[u8] = include_bytes!("fixtures/self-signed.key");

#[tokio::test]
async fn untrusted_certificate_is_not_retried() {
    let acceptor = tls::acceptor(CERT, KEY, &[]);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let connections = Arc::new(AtomicUsize::new(0));
    let seen = connections.clone();
    let server = tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            seen.fetch_add(1, Ordering::SeqCst);
            let acceptor = acceptor.clone();
            // The handshake fails on the client side; the server just lets it.
            tokio::spawn(async move {
                let _ = acceptor.accept(stream).await;
            });
        }
    });

    let client = Client::builder()
        .read_environment_variables(false)
        .rate_limit(RateLimitOptions::Off)
        .api_key("sk_tls_DISTINCTIVE")
        .base_url(format!("https://localhost:{port}"))
        .max_retries(2)
        .build()
        .unwrap();
    let err = client
        .get_token_for_linked_account("tls-user")
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Connection, "{err}");
    assert_eq!(err.attempts(), 1, "{err}");
    assert!(!err.is_retryable());
    assert!(err.message().contains("certificate"), "{err}");
    assert_eq!(connections.load(Ordering::SeqCst), 1);
    server.abort();
}
