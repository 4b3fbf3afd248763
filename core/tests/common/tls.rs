//! A TLS terminator on loopback in front of a plain server (the emulator), with the test CA's
//! `localhost` certificate: for the tests of HTTPS through proxies and of HTTP/2 by ALPN.
// Shared by several test binaries, each of which uses part of it.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

/// The ALPN protocol each accepted connection negotiated (`None`: none), in order.
pub type Negotiated = Arc<Mutex<Vec<Option<Vec<u8>>>>>;

/// An acceptor presenting `localhost-leaf.crt` (signed by `test-ca.crt`) and offering `alpn`.
pub fn localhost_acceptor(alpn: &[&[u8]]) -> TlsAcceptor {
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let cert = std::fs::read(fixtures.join("localhost-leaf.crt")).unwrap();
    let key = std::fs::read(fixtures.join("localhost-leaf.key")).unwrap();
    acceptor(&cert, &key, alpn)
}

/// An acceptor presenting the PEM certificate `cert` with its key `key`, offering `alpn`.
pub fn acceptor(cert: &[u8], key: &[u8], alpn: &[&[u8]]) -> TlsAcceptor {
    let cert = CertificateDer::from_pem_slice(cert).unwrap();
    let key = PrivateKeyDer::from_pem_slice(key).unwrap();
    let mut config = tokio_rustls::rustls::ServerConfig::builder_with_provider(Arc::new(
        tokio_rustls::rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![cert], key)
    .unwrap();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    TlsAcceptor::from(Arc::new(config))
}

/// TLS offering `alpn` in front of `to`: decrypted bytes are relayed to it. Returns the port and
/// the protocols negotiated.
pub async fn start_tls_terminator(to: SocketAddr, alpn: &[&[u8]]) -> (u16, Negotiated) {
    let acceptor = localhost_acceptor(alpn);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let negotiated = Negotiated::default();
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
