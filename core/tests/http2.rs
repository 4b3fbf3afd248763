//! HTTP/2 where the server offers it (ALPN), HTTP/1.1 where it does not: a TLS terminator
//! serving localhost's certificate of fixtures/ (signed by `test-ca.crt`, trusted through
//! `SSL_CERT_FILE`) in front of the real emulator, which speaks both. Its own test binary:
//! the variable is process-wide.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use refold_emulator::{Emulator, EmulatorConfig};
use refold_session::Client;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

const KEY: &str = "sk_http2_DISTINCTIVE_3b9d";

/// A TLS terminator offering `alpn`; returns its port and the protocols it negotiated.
async fn start_terminator(
    to: std::net::SocketAddr,
    alpn: &[&[u8]],
) -> (u16, Arc<Mutex<Vec<Option<Vec<u8>>>>>) {
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let cert = CertificateDer::from_pem_file(fixtures.join("localhost-leaf.crt")).unwrap();
    let key = PrivateKeyDer::from_pem_file(fixtures.join("localhost-leaf.key")).unwrap();
    let mut config = tokio_rustls::rustls::ServerConfig::builder_with_provider(Arc::new(
        tokio_rustls::rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![cert], key)
    .unwrap();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let negotiated = Arc::new(Mutex::new(Vec::new()));
    let log = negotiated.clone();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let (acceptor, log) = (acceptor.clone(), log.clone());
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(stream).await else {
                    return;
                };
                let protocol = tls.get_ref().1.alpn_protocol().map(<[u8]>::to_vec);
                log.lock().unwrap().push(protocol);
                let mut upstream = TcpStream::connect(to).await.unwrap();
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut upstream).await;
            });
        }
    });
    (port, negotiated)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_when_offered_else_http1() {
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    // SAFETY: the only test of this binary, before any client reads the environment.
    unsafe { std::env::set_var("SSL_CERT_FILE", fixtures.join("test-ca.crt")) };
    let emulator = Emulator::start(EmulatorConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        api_keys: vec![KEY.into()],
        any_linked_account: true,
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    for (alpn, expected) in [
        (&[b"h2".as_slice(), b"http/1.1"][..], Some(b"h2".to_vec())),
        (&[b"http/1.1".as_slice()][..], Some(b"http/1.1".to_vec())),
        (&[][..], None),
    ] {
        let (port, negotiated) = start_terminator(emulator.addr(), alpn).await;
        let client = Client::builder()
            .read_environment_variables(false)
            .api_key(KEY)
            .base_url(format!("https://localhost:{port}"))
            .max_retries(0)
            .build()
            .unwrap();
        // Several calls at once: with HTTP/2 they share one connection.
        let calls = (0..4).map(|i| {
            let client = client.clone();
            tokio::spawn(async move {
                client
                    .get_token_for_linked_account(&format!("h2-{i}"))
                    .await
                    .unwrap()
                    .linked_account_id()
                    .to_owned()
            })
        });
        for (i, call) in calls.collect::<Vec<_>>().into_iter().enumerate() {
            assert_eq!(call.await.unwrap(), format!("h2-{i}"));
        }
        let negotiated = negotiated.lock().unwrap().clone();
        assert!(!negotiated.is_empty());
        assert!(negotiated.iter().all(|p| *p == expected), "{negotiated:?}");
    }
    emulator.shutdown().await;
}
