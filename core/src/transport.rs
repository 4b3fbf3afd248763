//! The HTTP transport: how a client's connections are made (its pool is `pool.rs`): rustls with the operating
//! system's trust store (rustls-platform-verifier), HTTP/2 where the server offers it by ALPN,
//! and the standard proxy variables (`HTTPS_PROXY` through a `CONNECT` tunnel, `HTTP_PROXY`
//! with absolute-form requests, `NO_PROXY`). The proxy decision is made once per client: every
//! request of a client goes to the one origin of its base URL.

use std::error::Error as StdError;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::Uri;
use hyper::header::HeaderValue;
use hyper::rt::{Read, ReadBufCursor, Write};
use hyper_rustls::{HttpsConnector, MaybeHttpsStream};
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::client::proxy::matcher::Matcher;
use hyper_util::rt::TokioIo;

use crate::pool::{Pool, PoolOptions};

pub(crate) type BoxError = Box<dyn StdError + Send + Sync>;
pub(crate) type Body = Full<Bytes>;
/// A TCP connection, maybe with TLS.
type Tcp = MaybeHttpsStream<TokioIo<tokio::net::TcpStream>>;

/// How connections are made: straight to the origin; through a `CONNECT` tunnel of a proxy
/// spoken to in plain TCP or in TLS (an `https://` proxy URL); or to a proxy that is sent
/// absolute-form plain-HTTP requests.
#[derive(Clone)]
enum Route {
    Direct(HttpsConnector<HttpConnector>),
    Tunnel(HttpsConnector<Tunnel<HttpConnector>>),
    TlsTunnel(HttpsConnector<Tunnel<HttpsConnector<HttpConnector>>>),
    Forward {
        connector: HttpsConnector<HttpConnector>,
        proxy: Uri,
    },
}

// Nearly every connection is the large `Tcp` variant; the rare nested one is boxed.
#[allow(clippy::large_enum_variant)]
enum Stream {
    Tcp(Tcp),
    /// TLS to the origin inside TLS to the proxy.
    TlsInTls(Box<MaybeHttpsStream<Tcp>>),
}

/// The transport's connection: its stream, and whether it is to a forward proxy.
pub(crate) struct Conn {
    stream: Stream,
    forward_proxy: bool,
}

impl Connection for Conn {
    fn connected(&self) -> Connected {
        let connected = match &self.stream {
            Stream::Tcp(stream) => stream.connected(),
            Stream::TlsInTls(stream) => stream.connected(),
        };
        connected.proxy(self.forward_proxy)
    }
}

/// Calls `$method` on whichever stream `$conn` holds.
macro_rules! on_stream {
    ($conn:expr, $method:ident ( $($arg:expr),* )) => {
        match &mut $conn.stream {
            Stream::Tcp(stream) => Pin::new(stream).$method($($arg),*),
            Stream::TlsInTls(stream) => Pin::new(stream.as_mut()).$method($($arg),*),
        }
    };
}

impl Read for Conn {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<std::io::Result<()>> {
        on_stream!(self, poll_read(cx, buf))
    }
}

impl Write for Conn {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        on_stream!(self, poll_write(cx, buf))
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        on_stream!(self, poll_flush(cx))
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        on_stream!(self, poll_shutdown(cx))
    }
    fn is_write_vectored(&self) -> bool {
        match &self.stream {
            Stream::Tcp(stream) => stream.is_write_vectored(),
            Stream::TlsInTls(stream) => stream.is_write_vectored(),
        }
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        on_stream!(self, poll_write_vectored(cx, bufs))
    }
}

/// Makes the pool's connections by `route`, each within the connect timeout (TCP, any proxy
/// handshake and TLS together).
#[derive(Clone)]
pub(crate) struct Connector {
    route: Route,
    connect_timeout: Duration,
}

impl tower_service::Service<Uri> for Connector {
    type Response = Conn;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Conn, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        match &mut self.route {
            Route::Direct(c) | Route::Forward { connector: c, .. } => c.poll_ready(cx),
            Route::Tunnel(c) => c.poll_ready(cx),
            Route::TlsTunnel(c) => c.poll_ready(cx),
        }
    }

    fn call(&mut self, dst: Uri) -> Self::Future {
        type Connecting = Pin<Box<dyn Future<Output = Result<Stream, BoxError>> + Send>>;
        let (connecting, forward_proxy): (Connecting, bool) = match &mut self.route {
            Route::Direct(c) => {
                let connecting = c.call(dst);
                (
                    Box::pin(async move { Ok(Stream::Tcp(connecting.await?)) }),
                    false,
                )
            }
            Route::Tunnel(c) => {
                let connecting = c.call(dst);
                (
                    Box::pin(async move { Ok(Stream::Tcp(connecting.await?)) }),
                    false,
                )
            }
            Route::TlsTunnel(c) => {
                let connecting = c.call(dst);
                (
                    Box::pin(async move { Ok(Stream::TlsInTls(Box::new(connecting.await?))) }),
                    false,
                )
            }
            Route::Forward { connector, proxy } => {
                let connecting = connector.call(proxy.clone());
                (
                    Box::pin(async move { Ok(Stream::Tcp(connecting.await?)) }),
                    true,
                )
            }
        };
        let connect_timeout = self.connect_timeout;
        Box::pin(async move {
            let stream = tokio::time::timeout(connect_timeout, connecting)
                .await
                .map_err(|_| {
                    std::io::Error::new(std::io::ErrorKind::TimedOut, "connect timed out")
                })??;
            Ok(Conn {
                stream,
                forward_proxy,
            })
        })
    }
}

/// The pool and what every request of the client carries besides its own headers.
pub(crate) struct Transport {
    pub(crate) pool: Pool,
    /// `proxy-authorization` for a plain-HTTP proxy with credentials in its URL.
    pub(crate) proxy_authorization: Option<HeaderValue>,
}

pub(crate) struct TransportOptions {
    pub(crate) connect_timeout: Duration,
    pub(crate) pool_idle_timeout: Duration,
    pub(crate) max_idle_per_host: usize,
    pub(crate) max_per_host: usize,
}

impl Transport {
    /// The transport for requests to `origin` (the base URL).
    pub(crate) fn new(origin: &Uri, options: &TransportOptions) -> Result<Transport, BoxError> {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        // As reqwest's defaults were: dead pooled connections are noticed.
        http.set_keepalive(Some(Duration::from_secs(15)));
        http.set_keepalive_interval(Some(Duration::from_secs(15)));
        http.set_keepalive_retries(Some(3));
        #[cfg(any(target_os = "android", target_os = "fuchsia", target_os = "linux"))]
        http.set_tcp_user_timeout(Some(Duration::from_secs(30)));

        let provider = rustls::crypto::CryptoProvider::get_default()
            .cloned()
            .unwrap_or_else(|| Arc::new(rustls::crypto::aws_lc_rs::default_provider()));
        let verifier = rustls_platform_verifier::Verifier::new(provider.clone())?;
        // enable_all_versions() below offers h2 and http/1.1 by ALPN.
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth();
        let https = || {
            hyper_rustls::HttpsConnectorBuilder::new()
                .with_tls_config(tls.clone())
                .https_or_http()
                .enable_all_versions()
        };

        let mut proxy_authorization = None;
        let route = match Matcher::from_system().intercept(origin) {
            None => Route::Direct(https().wrap_connector(http)),
            Some(intercept) if origin.scheme_str() == Some("https") => {
                let proxy = intercept.uri().clone();
                let auth = intercept.basic_auth().cloned();
                if proxy.scheme_str() == Some("https") {
                    // The proxy itself is asked for HTTP/1.1: CONNECT is an HTTP/1 request here.
                    let to_proxy = hyper_rustls::HttpsConnectorBuilder::new()
                        .with_tls_config(tls.clone())
                        .https_or_http()
                        .enable_http1()
                        .wrap_connector(http);
                    Route::TlsTunnel(
                        https().wrap_connector(with_auth(Tunnel::new(proxy, to_proxy), &auth)),
                    )
                } else {
                    Route::Tunnel(
                        https().wrap_connector(with_auth(Tunnel::new(proxy, http), &auth)),
                    )
                }
            }
            Some(intercept) => {
                proxy_authorization = intercept.basic_auth().cloned();
                Route::Forward {
                    connector: https().wrap_connector(http),
                    proxy: intercept.uri().clone(),
                }
            }
        };
        let forward_proxy = matches!(route, Route::Forward { .. });
        let connector = Connector {
            route,
            connect_timeout: options.connect_timeout,
        };
        let pool = Pool::new(
            connector,
            origin.clone(),
            forward_proxy,
            PoolOptions {
                idle_timeout: options.pool_idle_timeout,
                max_idle: options.max_idle_per_host,
                max_open: options.max_per_host,
            },
        )?;
        Ok(Transport {
            pool,
            proxy_authorization,
        })
    }
}

/// `tunnel` sending the proxy's credentials, if its URL has some.
fn with_auth<C>(tunnel: Tunnel<C>, auth: &Option<HeaderValue>) -> Tunnel<C> {
    match auth {
        Some(auth) => tunnel.with_auth(auth.clone()),
        None => tunnel,
    }
}
