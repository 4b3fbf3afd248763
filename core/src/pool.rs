//! The connection pool. An HTTP/1 connection is driven by the call that is using it, inside the
//! caller's own task, and goes back to the pool the moment its answer has been read: no task
//! per connection, no hand-off to one per request, and at most one connection per call in
//! flight. A connection that negotiated HTTP/2 by ALPN is shared by every call instead, with its
//! own task (HTTP/2 multiplexes, so something must read frames for calls that are not polling).
//!
//! Idle HTTP/1 connections are not read while idle; a server that closed one is noticed when
//! the next call picks it up (the close is read before the request is written, and that request
//! moves to another connection). Idle connections close after `idle_timeout`, at most
//! `max_idle` stay open.
//!
//! At most `max_open` connections are open at once (in use, idle or being opened), whatever
//! the caller's concurrency: a call that finds none idle and the cap reached waits, within its
//! attempt's timeout, until one goes idle or closes.

use std::error::Error as StdError;
use std::fmt;
use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::task::Poll;
use std::time::{Duration, Instant};

use hyper::body::Incoming;
use hyper::client::conn::{http1, http2};
use hyper::header::{HOST, HeaderValue};
use hyper::{Request, Response, Uri};
use hyper_util::client::legacy::connect::Connection as _;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use tokio::sync::Notify;
use tower_service::Service as _;

use crate::transport::{Body, BoxError, Conn, Connector};

/// Why a request got no response. Its text and `source()` chain read as hyper-util's client
/// errors did ("client error (Connect)", "client error (SendRequest)"), so the messages built
/// from them by `mapping` stayed word for word the same.
#[derive(Debug)]
pub(crate) enum PoolError {
    /// The connection could not be made (nothing was sent).
    Connect(BoxError),
    /// The connection failed while sending the request or waiting for the response head.
    SendRequest(hyper::Error),
}

impl PoolError {
    pub(crate) fn is_connect(&self) -> bool {
        matches!(self, PoolError::Connect(_))
    }
}

impl fmt::Display for PoolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PoolError::Connect(_) => f.write_str("client error (Connect)"),
            PoolError::SendRequest(_) => f.write_str("client error (SendRequest)"),
        }
    }
}

impl StdError for PoolError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match self {
            PoolError::Connect(err) => Some(&**err),
            PoolError::SendRequest(err) => Some(err),
        }
    }
}

pub(crate) struct PoolOptions {
    pub(crate) idle_timeout: Duration,
    pub(crate) max_idle: usize,
    /// Connections open at once; at least 1 (the options check it).
    pub(crate) max_open: usize,
}

/// Connections to the one origin of a client.
pub(crate) struct Pool {
    shared: Arc<Shared>,
    limit: Arc<Limit>,
    connector: Connector,
    /// The origin the connector is asked for.
    origin: Uri,
    /// `Host` of every HTTP/1 request, prepared once.
    host: HeaderValue,
    /// Whether HTTP/1 requests go to a forward proxy (absolute-form) rather than the origin.
    forward_proxy: bool,
}

struct Shared {
    /// Most recently used last: a call takes the warmest connection.
    idle: Mutex<Idle>,
    options: PoolOptions,
}

#[derive(Default)]
struct Idle {
    h1: Vec<IdleH1>,
    /// The shared HTTP/2 connection, once one was negotiated.
    h2: Option<http2::SendRequest<Body>>,
    /// Whether a task is closing expired connections.
    reaping: bool,
}

/// An HTTP/1 connection: the handle requests are sent through and the state machine that
/// writes and reads them, polled only by the call using it.
struct H1 {
    sender: http1::SendRequest<Body>,
    /// Boxed: its TLS state is kilobytes, and every call's future would carry it inline.
    connection: Box<http1::Connection<Conn, Body>>,
    slot: Slot,
}

/// The connections open against the cap. Held by the pool and by every connection's [`Slot`]
/// (not by [`Shared`], so that an idle connection never keeps its pool alive).
struct Limit {
    open: AtomicUsize,
    max: usize,
    /// Calls waiting at the cap; releases notify only when there are some.
    waiting: AtomicUsize,
    /// A connection went idle or closed.
    freed: Notify,
}

/// One open connection's place under the cap, given back when the connection is dropped.
struct Slot(Arc<Limit>);

/// A connection to send on, or a place to open one.
enum Acquired {
    Pooled(Taken),
    New(Slot),
}

struct IdleH1 {
    h1: H1,
    since: Instant,
}

/// A connection to send on: an HTTP/1 one of the caller's own, or the shared HTTP/2 one.
enum Taken {
    H1(H1),
    H2(http2::SendRequest<Body>),
}

impl Pool {
    pub(crate) fn new(
        connector: Connector,
        origin: Uri,
        forward_proxy: bool,
        options: PoolOptions,
    ) -> Result<Pool, BoxError> {
        let host = origin.host().ok_or("the base URL has no host")?;
        let host = match origin.port_u16() {
            Some(port) if Some(port) != default_port(&origin) => {
                HeaderValue::from_str(&format!("{host}:{port}"))?
            }
            _ => HeaderValue::from_str(host)?,
        };
        Ok(Pool {
            limit: Arc::new(Limit {
                open: AtomicUsize::new(0),
                max: options.max_open.max(1),
                waiting: AtomicUsize::new(0),
                freed: Notify::new(),
            }),
            shared: Arc::new(Shared {
                idle: Mutex::new(Idle::default()),
                options,
            }),
            connector,
            origin,
            host,
            forward_proxy,
        })
    }

    /// Sends `request` (its URI absolute, to this pool's origin) and hands the response to
    /// `read`, driving the connection until `read` is done. `Err` only when no response head
    /// arrived; what `read` makes of the body (and of a connection lost during it) is its own.
    pub(crate) async fn exchange<R, F, Fut>(
        &self,
        request: Request<Body>,
        read: F,
    ) -> Result<R, PoolError>
    where
        F: FnOnce(Response<Incoming>) -> Fut,
        Fut: Future<Output = R>,
    {
        // Boxed (one allocation per call, as hyper-util's pool made too): inline, the sending
        // state doubled every caller's future and overflowed a test thread's stack in debug builds.
        let (response, h1) = Box::pin(self.send(request)).await?;
        let (rest, mut connection) = match h1 {
            Some(H1 {
                sender,
                connection,
                slot,
            }) => (Some((sender, slot)), Some(connection)),
            None => (None, None),
        };
        let output = drive(&mut connection, pin!(read(response))).await;
        if let (Some((sender, slot)), Some(mut connection)) = (rest, connection) {
            // One more turn lets the connection finish the exchange and ask for the next request.
            let idle =
                poll_fn(|cx| Poll::Ready(Pin::new(&mut *connection).poll(cx).is_pending())).await;
            if idle && sender.is_ready() {
                self.checkin(H1 {
                    sender,
                    connection,
                    slot,
                });
            }
        }
        Ok(output)
    }

    /// Sends `request` and waits for the response head; with it, the HTTP/1 connection that
    /// must be driven while its body is read (none for HTTP/2 or a connection already closed).
    async fn send(
        &self,
        mut request: Request<Body>,
    ) -> Result<(Response<Incoming>, Option<H1>), PoolError> {
        let absolute = request.uri().clone();
        loop {
            let (taken, reused) = match self.acquire().await {
                Acquired::Pooled(taken) => (taken, true),
                Acquired::New(slot) => (Box::pin(self.connect(slot)).await?, false),
            };
            let mut h1 = match taken {
                Taken::H1(h1) => h1,
                Taken::H2(h2) => {
                    // As sent to HTTP/2: absolute, no `Host` (an HTTP/1 attempt may have set it).
                    request.headers_mut().remove(HOST);
                    *request.uri_mut() = absolute;
                    return Ok((send_h2(h2, request).await?, None));
                }
            };
            self.to_h1_form(&mut request);
            let sending = pin!(h1.sender.try_send_request(request));
            let mut connection = Some(h1.connection);
            match drive(&mut connection, sending).await {
                Ok(response) => {
                    let h1 = connection.map(|connection| H1 {
                        sender: h1.sender,
                        connection,
                        slot: h1.slot,
                    });
                    return Ok((response, h1));
                }
                // A connection that closed while idle hands the request back unsent.
                Err(mut err) => match err.take_message() {
                    Some(unsent) if reused => {
                        request = unsent;
                        *request.uri_mut() = absolute.clone();
                    }
                    _ => return Err(PoolError::SendRequest(err.into_error())),
                },
            }
        }
    }

    /// Origin-form (or absolute-form to a forward proxy) and `Host`, as HTTP/1 asks.
    fn to_h1_form(&self, request: &mut Request<Body>) {
        request.headers_mut().insert(HOST, self.host.clone());
        if !self.forward_proxy {
            let path = request
                .uri()
                .path_and_query()
                .cloned()
                .unwrap_or_else(|| hyper::http::uri::PathAndQuery::from_static("/"));
            *request.uri_mut() = Uri::from(path);
        }
    }

    /// An idle connection (or the shared HTTP/2 one), else a place to open one; at the cap,
    /// waits until a connection goes idle or closes.
    async fn acquire(&self) -> Acquired {
        if let Some(acquired) = self.try_acquire() {
            return acquired;
        }
        let _waiting = Waiting::new(&self.limit);
        loop {
            // Registered before looking again, so a release in between still wakes this call.
            let mut freed = pin!(self.limit.freed.notified());
            freed.as_mut().enable();
            if let Some(acquired) = self.try_acquire() {
                return acquired;
            }
            freed.await;
        }
    }

    fn try_acquire(&self) -> Option<Acquired> {
        match self.shared.take() {
            Some(taken) => Some(Acquired::Pooled(taken)),
            None => self.limit.reserve().map(Acquired::New),
        }
    }

    async fn connect(&self, slot: Slot) -> Result<Taken, PoolError> {
        let io = self
            .connector
            .clone()
            .call(self.origin.clone())
            .await
            .map_err(PoolError::Connect)?;
        if io.connected().is_negotiated_h2() {
            let (mut sender, connection) = http2::Builder::new(TokioExecutor::new())
                .timer(TokioTimer::new())
                .handshake(io)
                .await
                .map_err(PoolError::SendRequest)?;
            tokio::spawn(async move {
                if let Err(err) = connection.await {
                    log::debug!("HTTP/2 connection closed: {err}");
                }
            });
            sender.ready().await.map_err(PoolError::SendRequest)?;
            self.shared.share_h2(&sender);
            // One connection shared by every call: it takes no place under the cap.
            drop(slot);
            return Ok(Taken::H2(sender));
        }
        let (sender, connection) = http1::handshake(io).await.map_err(PoolError::SendRequest)?;
        Ok(Taken::H1(H1 {
            sender,
            connection: Box::new(connection),
            slot,
        }))
    }

    fn checkin(&self, h1: H1) {
        let (start_reaper, refused) = {
            let mut idle = self.shared.lock();
            if idle.h1.len() >= self.shared.options.max_idle {
                (false, Some(h1))
            } else {
                idle.h1.push(IdleH1 {
                    h1,
                    since: Instant::now(),
                });
                (!std::mem::replace(&mut idle.reaping, true), None)
            }
        };
        // Closed (its slot given back) outside the lock; otherwise it is free for a waiter.
        match refused {
            Some(closed) => drop(closed),
            None => self.limit.wake_one(),
        }
        if start_reaper {
            spawn_reaper(Arc::downgrade(&self.shared));
        }
    }
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Idle> {
        // The lock is never held across anything that can panic; a poisoned one is still sound.
        self.idle
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn share_h2(&self, sender: &http2::SendRequest<Body>) {
        let mut idle = self.lock();
        if idle.h2.as_ref().is_none_or(http2::SendRequest::is_closed) {
            idle.h2 = Some(sender.clone());
        }
    }

    /// The shared HTTP/2 connection while it is open, else the most recently used HTTP/1
    /// connection that has not expired: one lock per call.
    fn take(&self) -> Option<Taken> {
        let mut idle = self.lock();
        match idle.h2.as_ref() {
            Some(h2) if !h2.is_closed() => return Some(Taken::H2(h2.clone())),
            Some(_) => idle.h2 = None,
            None => {}
        }
        let entry = idle.h1.pop()?;
        if entry.since.elapsed() < self.options.idle_timeout {
            return Some(Taken::H1(entry.h1));
        }
        // The warmest one expired, so every other one did too; closed outside the lock.
        let expired = std::mem::take(&mut idle.h1);
        drop(idle);
        drop(entry);
        drop(expired);
        None
    }
}

impl Limit {
    fn reserve(self: &Arc<Self>) -> Option<Slot> {
        self.open
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |open| {
                (open < self.max).then_some(open + 1)
            })
            .ok()?;
        Some(Slot(self.clone()))
    }

    /// Wakes one call waiting at the cap, if any is.
    fn wake_one(&self) {
        // SeqCst pairs with `Waiting::new`: either this sees the waiter, or the waiter's next
        // look sees what was released before it.
        if self.waiting.load(Ordering::SeqCst) > 0 {
            self.freed.notify_one();
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::SeqCst);
        self.0.wake_one();
    }
}

/// A call counted as waiting at the cap while it lives (a cancelled wait included).
struct Waiting<'a>(&'a Limit);

impl<'a> Waiting<'a> {
    fn new(limit: &'a Limit) -> Self {
        limit.waiting.fetch_add(1, Ordering::SeqCst);
        Waiting(limit)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.waiting.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Closes expired idle connections while any are idle; stops when none are or the pool is gone.
fn spawn_reaper(shared: Weak<Shared>) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        if let Some(shared) = shared.upgrade() {
            shared.lock().reaping = false;
        }
        return;
    };
    // A runtime that shuts down drops this task, mid-sleep or before its first poll: the next
    // connection checked in (maybe on another runtime) must start a reaper again. Made outside
    // the task, so that a task never polled drops it too.
    let guard = ReaperGuard(shared.clone());
    runtime.spawn(async move {
        let mut guard = guard;
        loop {
            let period = match shared.upgrade() {
                Some(shared) => shared.options.idle_timeout,
                None => return,
            };
            tokio::time::sleep(period.max(Duration::from_millis(100)) / 2).await;
            let Some(shared) = shared.upgrade() else {
                return;
            };
            let (expired, none_left) = {
                let mut idle = shared.lock();
                let timeout = shared.options.idle_timeout;
                let count = idle
                    .h1
                    .partition_point(|entry| entry.since.elapsed() >= timeout);
                let expired: Vec<IdleH1> = idle.h1.drain(..count).collect();
                let none_left = idle.h1.is_empty();
                if none_left {
                    idle.reaping = false;
                }
                (expired, none_left)
            };
            // Closed outside the lock.
            drop(expired);
            if none_left {
                // `reaping` was cleared under the lock above, where a checkin can see it.
                guard.0 = Weak::new();
                return;
            }
        }
    });
}

/// Clears `reaping` when a reaper task ends other than by finding nothing left to close.
struct ReaperGuard(Weak<Shared>);

impl Drop for ReaperGuard {
    fn drop(&mut self) {
        if let Some(shared) = self.0.upgrade() {
            shared.lock().reaping = false;
        }
    }
}

/// Polls `connection` (if any) alongside `work` until `work` is done. A connection that ends is
/// dropped at once: that answers the request it held (with the reason, and the request itself
/// if it was never sent); on return, `connection` is `None` if it ended.
async fn drive<T>(
    connection: &mut Option<Box<http1::Connection<Conn, Body>>>,
    mut work: Pin<&mut impl Future<Output = T>>,
) -> T {
    poll_fn(|cx| {
        if let Some(open) = connection.as_mut()
            && Pin::new(&mut **open).poll(cx).is_ready()
        {
            *connection = None;
        }
        work.as_mut().poll(cx)
    })
    .await
}

async fn send_h2(
    mut sender: http2::SendRequest<Body>,
    request: Request<Body>,
) -> Result<Response<Incoming>, PoolError> {
    sender
        .send_request(request)
        .await
        .map_err(PoolError::SendRequest)
}

fn default_port(uri: &Uri) -> Option<u16> {
    match uri.scheme_str() {
        Some("https") => Some(443),
        Some("http") => Some(80),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reaping_pool() -> Arc<Shared> {
        Arc::new(Shared {
            idle: Mutex::new(Idle {
                reaping: true,
                ..Idle::default()
            }),
            options: PoolOptions {
                idle_timeout: Duration::from_secs(20),
                max_idle: 1,
                max_open: 1,
            },
        })
    }

    /// A pool used from two runtimes in turn: the first one's shutdown ends its reaper, and the
    /// next checkin (on the second) must be free to start another; whether the reaper was
    /// asleep or had not run yet.
    #[test]
    fn a_reaper_ended_by_its_runtime_shutting_down_can_be_started_again() {
        for polled in [true, false] {
            let shared = reaping_pool();
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                spawn_reaper(Arc::downgrade(&shared));
                if polled {
                    // Into its first sleep.
                    tokio::task::yield_now().await;
                }
            });
            assert!(
                shared.lock().reaping,
                "the reaper is pending, still reaping"
            );
            drop(runtime);
            assert!(
                !shared.lock().reaping,
                "the runtime's shutdown ended the reaper (polled before: {polled})"
            );
        }
    }
}
