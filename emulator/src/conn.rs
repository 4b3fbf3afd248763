//! Per-connection handle: lets a handler write raw bytes on its own
//! connection, bypassing hyper's serializer (the `wire` fault).

use std::net::Shutdown;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::io::AsyncWriteExt;

/// Longest time the raw bytes may take to leave (a client that does not
/// read would otherwise hold the connection for ever); then it closes.
const WRITE_TIMEOUT: Duration = Duration::from_secs(60);

/// A second handle (a `dup`) on an accepted socket.
///
/// hyper owns the connection and writes only well-formed responses; the
/// `wire` fault needs to put arbitrary bytes on the wire instead. Before the
/// service returns, hyper has written nothing for the request being served
/// (HTTP/1 answers in order, one at a time), so bytes written here are the
/// first and only answer the client sees.
pub(crate) struct Connection {
    /// Taken by the first raw write; `None` if the `dup` failed (e.g. out of
    /// file descriptors) or on platforms without one.
    raw: Mutex<Option<std::net::TcpStream>>,
}

impl Connection {
    pub(crate) fn new(stream: &tokio::net::TcpStream) -> Self {
        Self {
            raw: Mutex::new(duplicate(stream)),
        }
    }

    /// Writes `bytes` straight to the socket, keeps it open for `pause`, then
    /// shuts it down both ways. Returns once the connection is closed; the
    /// caller then makes hyper drop its side without writing anything.
    ///
    /// Does nothing if the socket could not be duplicated, which leaves the
    /// caller's drop as a plain `close`.
    pub(crate) async fn send_raw_and_close(&self, bytes: &[u8], pause: Duration) {
        let raw = self
            .raw
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let Some(raw) = raw else { return };
        // The flag is shared with hyper's descriptor, which is non-blocking
        // already; this just makes the requirement of `from_std` explicit.
        if raw.set_nonblocking(true).is_err() {
            return;
        }
        let Ok(mut stream) = tokio::net::TcpStream::from_std(raw) else {
            return;
        };
        // A client that went away makes the write fail; there is nobody to
        // tell, and the close below happens either way.
        let written = tokio::time::timeout(WRITE_TIMEOUT, async {
            stream.write_all(bytes).await?;
            stream.flush().await
        })
        .await;
        if matches!(written, Ok(Ok(()))) {
            tokio::time::sleep(pause).await;
        }
        if let Ok(raw) = stream.into_std() {
            // Shuts the shared socket, not just this descriptor: the client
            // sees the end of the stream now, and hyper's side is dead too.
            let _ = raw.shutdown(Shutdown::Both);
        }
    }
}

#[cfg(unix)]
fn duplicate(stream: &tokio::net::TcpStream) -> Option<std::net::TcpStream> {
    use std::os::fd::AsFd;
    stream
        .as_fd()
        .try_clone_to_owned()
        .ok()
        .map(std::net::TcpStream::from)
}

#[cfg(windows)]
fn duplicate(stream: &tokio::net::TcpStream) -> Option<std::net::TcpStream> {
    use std::os::windows::io::AsSocket;
    stream
        .as_socket()
        .try_clone_to_owned()
        .ok()
        .map(std::net::TcpStream::from)
}

#[cfg(not(any(unix, windows)))]
fn duplicate(_stream: &tokio::net::TcpStream) -> Option<std::net::TcpStream> {
    None
}
