//! Listening, accepting and serving connections; start and stop.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::EmulatorConfig;
use crate::conn::Connection;
use crate::router;
use crate::state::{OpenConnection, State};

/// How long in-flight exchanges may take to finish once shutdown starts.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);
/// Largest HTTP/1 request head (hyper's default is ~400 KiB); a larger one
/// gets a 431. Keeps the request log's headers small. HTTP/2 header lists
/// are limited to 16 KiB by hyper's default.
const MAX_HTTP1_HEAD: usize = 64 * 1024;

/// A running emulator.
///
/// Dropping it stops the server too (without waiting); prefer
/// [`Emulator::shutdown`] to know the port is released.
pub struct Emulator {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    accept_task: Option<JoinHandle<()>>,
    state: Arc<State>,
}

impl Emulator {
    /// Binds `config.addr` (port 0 picks a free port) and starts serving on
    /// the current tokio runtime. When this returns, connections are accepted.
    ///
    /// Fails with [`io::ErrorKind::InvalidInput`] for a non-loopback address
    /// or an empty API key, or with the bind error.
    ///
    /// # Panics
    /// If called outside a tokio runtime.
    pub async fn start(config: EmulatorConfig) -> io::Result<Emulator> {
        config.validate()?;
        let listener = TcpListener::bind(config.addr).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(State::new(config));
        state.started();
        state.spawn(crate::schedules::run);
        let (stop, stopped) = watch::channel(false);
        let accept_task = tokio::spawn(accept_loop(listener, state.clone(), stopped));
        Ok(Emulator {
            addr,
            stop,
            accept_task: Some(accept_task),
            state,
        })
    }

    /// The address actually bound (with the real port when 0 was asked).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR`, ready to use as an SDK's `base_url`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, lets in-flight requests finish (up to a few seconds)
    /// and returns once the listening socket is closed.
    pub async fn shutdown(mut self) {
        self.stop.send_replace(true);
        self.state.stop();
        if let Some(task) = self.accept_task.take() {
            // The accept task never panics; a cancelled runtime is fine too.
            let _ = task.await;
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.stop.send_replace(true);
        self.state.stop();
    }
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator")
            .field("addr", &self.addr)
            .finish()
    }
}

async fn accept_loop(listener: TcpListener, state: Arc<State>, mut stopped: watch::Receiver<bool>) {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    // A timer lets hyper enforce its header-read timeout and h2 keep-alive.
    builder
        .http1()
        .timer(TokioTimer::new())
        .keep_alive(true)
        .max_buf_size(MAX_HTTP1_HEAD);
    builder.http2().timer(TokioTimer::new());
    let builder = Arc::new(builder);
    loop {
        tokio::select! {
            // A send or the sender's drop both mean stop.
            _ = stopped.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let open = state.connection_opened();
                    tokio::spawn(serve(builder.clone(), stream, state.clone(), open, stopped.clone()));
                }
                // Usually out of file descriptors: back off instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            },
        }
    }
}

async fn serve(
    builder: Arc<auto::Builder<TokioExecutor>>,
    stream: TcpStream,
    state: Arc<State>,
    // Held until this task ends (or is dropped unpolled), however it ends.
    _open: OpenConnection,
    mut stopped: watch::Receiver<bool>,
) {
    // Small responses and split bodies must leave at once, not after Nagle.
    let _ = stream.set_nodelay(true);
    let conn = Arc::new(Connection::new(&stream));
    let service = service_fn(move |request| router::handle(state.clone(), conn.clone(), request));
    let connection = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    // Connection errors are expected (faults drop connections, clients
    // vanish) and there is nobody to report them to, so they are ignored.
    tokio::select! {
        _ = connection.as_mut() => {}
        _ = stopped.changed() => {
            connection.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(DRAIN_TIMEOUT, connection).await;
        }
    }
}
