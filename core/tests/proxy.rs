//! The standard proxy variables (docs/contract.md §1: `HTTPS_PROXY`, `HTTP_PROXY`,
//! `NO_PROXY`): a tiny real proxy on loopback tunnels `CONNECT host:port` and forwards
//! absolute-form plain-HTTP requests to the real emulator; an https:// base URL reaches the
//! emulator through a TLS terminator serving the localhost certificate of fixtures/
//! (`localhost-leaf.*`, signed by `test-ca.crt`, trusted through `SSL_CERT_FILE`). Its own
//! test binary with a single test: the variables are process-wide. The proxy also serves
//! TLS itself, for an `https://` proxy URL.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use refold_emulator::Emulator;
use refold_session::{Client, ErrorCode, RateLimitOptions};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

#[path = "common/emulator.rs"]
mod emulator;
#[path = "common/tls.rs"]
mod tls;
use tls::{localhost_acceptor, start_tls_terminator};

const KEY: &str = "sk_proxy_DISTINCTIVE_7e42";
/// The proxy refuses tunnels to this host (403), as a corporate proxy refuses a blocked site.
const DENIED_HOST: &str = "denied.localhost";

/// What the proxy saw: the first line and the whole head of each request it handled.
#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<(String, String)>>>);

impl Seen {
    fn lines(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .map(|(l, _)| l.clone())
            .collect()
    }
    fn heads(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .map(|(_, h)| h.clone())
            .collect()
    }
}

/// Reads up to the end of a request head; returns the head and any bytes read past it.
async fn read_head(stream: &mut (impl AsyncRead + Unpin)) -> Option<(String, Vec<u8>)> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let rest = buffer.split_off(end + 4);
            return Some((String::from_utf8(buffer).ok()?, rest));
        }
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 || buffer.len() > 64 * 1024 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..read]);
    }
}

/// One proxied connection: `CONNECT host:port` opens a tunnel; an absolute-form request
/// (`POST http://host:port/path HTTP/1.1`) is sent on in origin form, and the connection then
/// relays bytes both ways.
async fn proxy_connection(mut client: impl AsyncRead + AsyncWrite + Unpin, seen: Seen) {
    let Some((head, rest)) = read_head(&mut client).await else {
        return;
    };
    let first = head.lines().next().unwrap_or_default().to_owned();
    seen.0.lock().unwrap().push((first.clone(), head.clone()));
    let mut parts = first.split(' ');
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let mut upstream = if method == "CONNECT" {
        if target.starts_with(DENIED_HOST) {
            let _ = client
                .write_all(b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n")
                .await;
            return;
        }
        let Ok(upstream) = TcpStream::connect(target).await else {
            let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n").await;
            return;
        };
        client
            .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
            .await
            .unwrap();
        upstream
    } else {
        let Some(after_scheme) = target.strip_prefix("http://") else {
            let _ = client.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n").await;
            return;
        };
        let (authority, path) = match after_scheme.find('/') {
            Some(slash) => after_scheme.split_at(slash),
            None => (after_scheme, "/"),
        };
        let mut upstream = TcpStream::connect(authority).await.unwrap();
        let origin_form = head.replacen(target, path, 1);
        upstream.write_all(origin_form.as_bytes()).await.unwrap();
        upstream
    };
    if !rest.is_empty() {
        upstream.write_all(&rest).await.unwrap();
    }
    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
}

/// The proxy; with `tls`, clients speak TLS to it (an `https://` proxy URL).
async fn start_proxy(tls: Option<TlsAcceptor>) -> (u16, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Seen::default();
    let log = seen.clone();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let (log, tls) = (log.clone(), tls.clone());
            tokio::spawn(async move {
                match tls {
                    None => proxy_connection(stream, log).await,
                    Some(acceptor) => {
                        if let Ok(stream) = acceptor.accept(stream).await {
                            proxy_connection(stream, log).await;
                        }
                    }
                }
            });
        }
    });
    (port, seen)
}

/// A TLS acceptor serving localhost's certificate (signed by the test CA).
fn client(base_url: &str) -> Client {
    Client::builder()
        .read_environment_variables(false)
        .rate_limit(RateLimitOptions::Off)
        .api_key(KEY)
        .base_url(base_url)
        .max_retries(0)
        .build()
        .unwrap()
}

async fn emulator_count(emulator: &Emulator) -> u64 {
    emulator::control(emulator, "/__emulator/requests").await["count"]
        .as_u64()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_variables_are_honoured() {
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let emulator = emulator::start(KEY).await;
    let emulator_port = emulator.addr().port();
    let (tls_port, _) = start_tls_terminator(emulator.addr(), &[]).await;
    let (proxy_port, seen) = start_proxy(None).await;
    let proxy = format!("http://127.0.0.1:{proxy_port}");
    // SAFETY: the only test of this binary; nothing else reads the environment meanwhile.
    unsafe {
        for name in [
            "ALL_PROXY",
            "all_proxy",
            "http_proxy",
            "https_proxy",
            "no_proxy",
        ] {
            std::env::remove_var(name);
        }
        std::env::set_var("SSL_CERT_FILE", fixtures.join("test-ca.crt"));
        std::env::set_var("HTTPS_PROXY", &proxy);
        std::env::set_var("HTTP_PROXY", &proxy);
        // Requests to 127.0.0.1 go direct; "localhost" goes through the proxy.
        std::env::set_var("NO_PROXY", "127.0.0.1");
    }

    // https:// through a CONNECT tunnel, TLS end to end: the proxy sees only the CONNECT.
    let session = client(&format!("https://localhost:{tls_port}"))
        .get_token_for_linked_account("proxy-tls-1")
        .await
        .unwrap();
    assert_eq!(session.linked_account_id(), "proxy-tls-1");
    assert!(session.token().starts_with("eyJ"));
    assert_eq!(
        seen.lines(),
        [format!("CONNECT localhost:{tls_port} HTTP/1.1")]
    );
    assert!(
        !seen.heads()[0].contains(KEY),
        "the key crossed the proxy in clear"
    );
    assert_eq!(emulator_count(&emulator).await, 1);

    // http:// through the proxy: an absolute-form request.
    let session = client(&format!("http://localhost:{emulator_port}"))
        .get_token_for_linked_account("proxy-http-1")
        .await
        .unwrap();
    assert_eq!(session.linked_account_id(), "proxy-http-1");
    assert_eq!(
        seen.lines()[1],
        format!("POST http://localhost:{emulator_port}/api/v2/public/session-token HTTP/1.1")
    );
    assert_eq!(emulator_count(&emulator).await, 2);

    // NO_PROXY: straight to the emulator, the proxy sees nothing.
    let session = client(&emulator.base_url())
        .get_token_for_linked_account("proxy-bypass-1")
        .await
        .unwrap();
    assert_eq!(session.linked_account_id(), "proxy-bypass-1");
    assert_eq!(seen.lines().len(), 2, "{:?}", seen.lines());
    assert_eq!(emulator_count(&emulator).await, 3);

    // A tunnel the proxy refuses is a connection error that names no key.
    let err = client(&format!("https://{DENIED_HOST}:443"))
        .get_token_for_linked_account("proxy-denied-1")
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Connection, "{err}");
    assert_eq!(err.status(), None, "{err}");
    assert!(!err.message().contains(KEY), "{err}");
    assert_eq!(
        seen.lines()[2],
        format!("CONNECT {DENIED_HOST}:443 HTTP/1.1")
    );
    assert_eq!(emulator_count(&emulator).await, 3);

    // A proxy spoken to over TLS (an https:// proxy URL), for both kinds of base URL.
    let (tls_proxy_port, tls_seen) = start_proxy(Some(localhost_acceptor(&[]))).await;
    let tls_proxy = format!("https://localhost:{tls_proxy_port}");
    // SAFETY: as above.
    unsafe {
        std::env::set_var("HTTPS_PROXY", &tls_proxy);
        std::env::set_var("HTTP_PROXY", &tls_proxy);
    }
    let session = client(&format!("https://localhost:{tls_port}"))
        .get_token_for_linked_account("proxy-tls-2")
        .await
        .unwrap();
    assert_eq!(session.linked_account_id(), "proxy-tls-2");
    let session = client(&format!("http://localhost:{emulator_port}"))
        .get_token_for_linked_account("proxy-http-2")
        .await
        .unwrap();
    assert_eq!(session.linked_account_id(), "proxy-http-2");
    assert_eq!(
        tls_seen.lines(),
        [
            format!("CONNECT localhost:{tls_port} HTTP/1.1"),
            format!("POST http://localhost:{emulator_port}/api/v2/public/session-token HTTP/1.1"),
        ]
    );
    assert_eq!(seen.lines().len(), 3, "{:?}", seen.lines());
    assert_eq!(emulator_count(&emulator).await, 5);

    emulator.shutdown().await;
}
