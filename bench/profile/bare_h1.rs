//! Probe behind bench/README.md §"Rust core": a bare hyper HTTP/1 client whose connection is
//! driven inside the calling task (no spawned connection task, no pool), C tasks with one
//! connection each, the core's headers and a `token` parse per answer. Not built by default:
//!   cp bench/profile/bare_h1.rs core/examples/ &&
//!   cargo build --release -p refold-session --example bare_h1
//!   target/release/examples/bare_h1 http://127.0.0.1:PORT N C   # emulator key: bench-key
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{HeaderMap, HeaderValue};

#[tokio::main]
async fn main() {
    let a: Vec<String> = std::env::args().collect();
    let (url, n, c): (String, usize, usize) = (a[1].clone(), a[2].parse().unwrap(), a[3].parse().unwrap());
    let uri: hyper::Uri = format!("{url}/api/v2/public/session-token").parse().unwrap();
    let addr = format!("{}:{}", uri.host().unwrap(), uri.port_u16().unwrap());
    let mut headers = HeaderMap::new();
    headers.insert("accept", HeaderValue::from_static("application/json"));
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    headers.insert("user-agent", HeaderValue::from_static("refold-session/0.1.0 (rust bare)"));
    headers.insert("x-api-key", HeaderValue::from_static("bench-key"));
    headers.insert("host", HeaderValue::from_str(&addr).unwrap());
    let headers = Arc::new(headers);
    let next = Arc::new(AtomicUsize::new(0));
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..c {
        let (headers, next, addr) = (headers.clone(), next.clone(), addr.clone());
        let path: hyper::Uri = "/api/v2/public/session-token".parse().unwrap();
        tasks.push(tokio::spawn(async move {
            let tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
            tcp.set_nodelay(true).unwrap();
            let (mut sender, conn) =
                hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tcp)).await.unwrap();
            let work = async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n { break; }
                    let body = format!("{{\"linked_account_id\":\"bare-{i}\"}}");
                    let mut req = hyper::Request::new(Full::new(Bytes::from(body)));
                    *req.method_mut() = hyper::Method::POST;
                    *req.uri_mut() = path.clone();
                    *req.headers_mut() = (*headers).clone();
                    sender.ready().await.unwrap();
                    let resp = tokio::time::timeout(std::time::Duration::from_secs(30), async {
                        let resp = sender.send_request(req).await.unwrap();
                        resp.into_body().collect().await.unwrap().to_bytes()
                    }).await.unwrap();
                    #[derive(serde::Deserialize)]
                    struct T { token: String }
                    let t: T = serde_json::from_slice(&resp).unwrap();
                    assert!(!t.token.is_empty());
                }
            };
            tokio::select! { _ = conn => panic!("conn ended"), _ = work => {} }
        }));
    }
    for t in tasks { t.await.unwrap(); }
    let s = t0.elapsed().as_secs_f64();
    println!("BENCH_JSON {{\"n\":{n},\"seconds\":{s},\"rps\":{}}}", n as f64 / s);
}
