//! The fleet store's Redis side: one connection (a node's, or a cluster's), opened in the
//! background and reused; each command within the store's timeout; failures counted and
//! warned about at most once a minute. Values are opaque bytes here.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use redis::AsyncCommands as _;
use tokio::sync::{Notify, OnceCell};

use super::config::Topology;
use crate::ratelimit::FleetConnection;

/// Between two connection attempts to a Redis that is down.
const RECONNECT_PAUSE: Duration = Duration::from_secs(1);
/// Longest one connection attempt may take (in the background; callers wait the timeout).
const CONNECT_LIMIT: Duration = Duration::from_secs(10);
/// Between two warnings about Redis failing.
const WARNING_PAUSE: Duration = Duration::from_secs(60);
/// Longest a SCAN of one node for [`RedisLink::delete_prefixed`] may take.
const SCAN_LIMIT: Duration = Duration::from_secs(30);
/// Most SCAN rounds per node: a keyspace of any size is walked in bounded time.
const MAX_SCAN_ROUNDS: usize = 100_000;

/// The store's connection lent to the fleet's request budget (one script per admission on
/// the same Redis), so the budget connects, reconnects and fails over as the store does.
pub(crate) struct StoreConnection(pub(crate) Arc<RedisLink>);

impl FleetConnection for StoreConnection {
    type Connection = Connection;

    async fn connection(&self) -> Option<Connection> {
        self.0.connection().await.ok()
    }
}

/// Why Redis could not answer: the caller falls back and counts it.
#[derive(Debug)]
pub(crate) struct StoreFailure;

#[derive(Clone)]
pub(crate) enum Connection {
    Single(redis::aio::ConnectionManager),
    Cluster(redis::cluster_async::ClusterConnection),
}

/// One place chooses the node or the cluster connection; every command is written once.
impl redis::aio::ConnectionLike for Connection {
    fn req_packed_command<'a>(
        &'a mut self,
        cmd: &'a redis::Cmd,
    ) -> redis::RedisFuture<'a, redis::Value> {
        match self {
            Connection::Single(c) => c.req_packed_command(cmd),
            Connection::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        cmd: &'a redis::Pipeline,
        offset: usize,
        count: usize,
    ) -> redis::RedisFuture<'a, Vec<redis::Value>> {
        match self {
            Connection::Single(c) => c.req_packed_commands(cmd, offset, count),
            Connection::Cluster(c) => c.req_packed_commands(cmd, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Connection::Single(c) => c.get_db(),
            Connection::Cluster(c) => c.get_db(),
        }
    }
}

/// The Redis connection of one client and the commands the store sends on it.
pub(crate) struct RedisLink {
    topology: Topology,
    timeout: Duration,
    connection: OnceCell<Connection>,
    connecting: AtomicBool,
    ready: Notify,
    last_connect_failure: Mutex<Option<Instant>>,
    last_warning: Mutex<Option<Instant>>,
    errors: AtomicU64,
}

impl RedisLink {
    pub(crate) fn new(topology: Topology, timeout: Duration) -> RedisLink {
        RedisLink {
            topology,
            timeout,
            connection: OnceCell::new(),
            connecting: AtomicBool::new(false),
            ready: Notify::new(),
            last_connect_failure: Mutex::new(None),
            last_warning: Mutex::new(None),
            errors: AtomicU64::new(0),
        }
    }

    /// The time each call gets.
    pub(crate) fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Calls that failed or took too long so far.
    pub(crate) fn errors(&self) -> u64 {
        self.errors.load(Ordering::Relaxed)
    }

    /// The connection, waiting at most the store's timeout for it. Connecting runs in its own
    /// task, one at a time, so a slow Redis never holds a caller longer than the timeout and a
    /// connection that comes up late is used by the next call.
    async fn connection(self: &Arc<Self>) -> Result<Connection, StoreFailure> {
        if let Some(connection) = self.connection.get() {
            return Ok(connection.clone());
        }
        let ready = self.ready.notified();
        tokio::pin!(ready);
        ready.as_mut().enable();
        let recently_failed = self
            .last_connect_failure
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some_and(|at| at.elapsed() < RECONNECT_PAUSE);
        if !recently_failed && !self.connecting.swap(true, Ordering::AcqRel) {
            let link = Arc::clone(self);
            tokio::spawn(async move {
                let topology = link.topology.clone();
                match tokio::time::timeout(CONNECT_LIMIT, connect(topology)).await {
                    Ok(Ok(connection)) => {
                        let _ = link.connection.set(connection);
                    }
                    failure => {
                        let why = match failure {
                            Ok(Err(err)) => format!("connecting failed ({:?})", err.kind()),
                            _ => "connecting timed out".to_owned(),
                        };
                        link.warn(&why);
                        *link
                            .last_connect_failure
                            .lock()
                            .unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
                    }
                }
                link.connecting.store(false, Ordering::Release);
                link.ready.notify_waiters();
            });
        }
        if !recently_failed {
            let _ = tokio::time::timeout(self.timeout, ready).await;
        }
        match self.connection.get() {
            Some(connection) => Ok(connection.clone()),
            None => {
                self.errors.fetch_add(1, Ordering::Relaxed);
                Err(StoreFailure)
            }
        }
    }

    /// Counts a failure and warns, at most once a minute.
    fn failed(&self, what: &str) -> StoreFailure {
        self.errors.fetch_add(1, Ordering::Relaxed);
        self.warn(what);
        StoreFailure
    }

    /// Warns that the store is unavailable, at most once a minute.
    fn warn(&self, what: &str) {
        let mut last = self.last_warning.lock().unwrap_or_else(|e| e.into_inner());
        if last.is_none_or(|at| at.elapsed() >= WARNING_PAUSE) {
            *last = Some(Instant::now());
            log::warn!(
                "the Redis token store is unavailable ({what}); minting directly and using the \
                 in-process cache until it is back"
            );
        }
    }

    /// Runs one Redis command within the store's timeout.
    async fn run<T>(
        self: &Arc<Self>,
        what: &str,
        command: impl AsyncFnOnce(Connection) -> redis::RedisResult<T>,
    ) -> Result<T, StoreFailure> {
        let connection = self.connection().await?;
        match tokio::time::timeout(self.timeout, command(connection)).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(err)) => Err(self.failed(&format!("{what} failed ({:?})", err.kind()))),
            Err(_) => Err(self.failed(&format!("{what} timed out"))),
        }
    }

    /// `GET name`.
    pub(crate) async fn get(self: &Arc<Self>, name: &str) -> Result<Option<Vec<u8>>, StoreFailure> {
        let name = name.to_owned();
        self.run("GET", async move |mut connection| {
            connection.get(&name).await
        })
        .await
    }

    /// `SET name value PX ttl_ms`.
    pub(crate) async fn set(
        self: &Arc<Self>,
        name: String,
        value: Vec<u8>,
        ttl_ms: u64,
    ) -> Result<(), StoreFailure> {
        self.run("SET", async move |mut connection| {
            let options =
                redis::SetOptions::default().with_expiration(redis::SetExpiry::PX(ttl_ms));
            connection.set_options(&name, value, options).await
        })
        .await
    }

    /// `SET name value NX PX hold_ms`: whether the name was free and is now set.
    pub(crate) async fn set_if_absent(
        self: &Arc<Self>,
        name: String,
        value: String,
        hold_ms: u64,
    ) -> Result<bool, StoreFailure> {
        let taken: Option<String> = self
            .run("SET NX", async move |mut connection| {
                let options = redis::SetOptions::default()
                    .conditional_set(redis::ExistenceCheck::NX)
                    .with_expiration(redis::SetExpiry::PX(hold_ms));
                connection.set_options(&name, &value, options).await
            })
            .await?;
        Ok(taken.is_some())
    }

    /// Deletes `name` if it still holds `value` (a compare-and-delete script).
    pub(crate) async fn delete_if(self: &Arc<Self>, name: String, value: String) {
        let script = redis::Script::new(
            "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) \
             else return 0 end",
        );
        let _ = self
            .run("unlock", async move |mut connection| {
                let mut invocation = script.key(&name);
                invocation.arg(&value);
                invocation.invoke_async::<i64>(&mut connection).await
            })
            .await;
    }

    /// `DEL name`.
    pub(crate) async fn delete(self: &Arc<Self>, name: String) -> Result<(), StoreFailure> {
        self.run("DEL", async move |mut connection| {
            connection.del::<_, i64>(&name).await
        })
        .await
        .map(drop)
    }

    /// Deletes every key that starts with `prefix` (SCAN, never FLUSHDB); in a cluster, on
    /// every node listed. Returns how many were deleted.
    pub(crate) async fn delete_prefixed(
        self: &Arc<Self>,
        prefix: &str,
    ) -> Result<u64, StoreFailure> {
        let pattern = format!("{}*", glob_escape(prefix));
        let nodes = match &self.topology {
            Topology::Single(url) => vec![url.clone()],
            Topology::Cluster(nodes) => nodes.clone(),
        };
        let mut deleted = 0;
        for node in nodes {
            let keys = match tokio::time::timeout(SCAN_LIMIT, scan(node, pattern.clone())).await {
                Ok(Ok(keys)) => keys,
                Ok(Err(err)) => {
                    return Err(self.failed(&format!("SCAN failed ({:?})", err.kind())));
                }
                Err(_) => return Err(self.failed("SCAN timed out")),
            };
            for name in keys {
                self.delete(name).await?;
                deleted += 1;
            }
        }
        Ok(deleted)
    }
}

/// The keys of `node` that match `pattern`, on a connection of their own.
async fn scan(node: String, pattern: String) -> redis::RedisResult<Vec<String>> {
    let client = redis::Client::open(node.as_str())?;
    let mut connection = client.get_multiplexed_async_connection().await?;
    let mut cursor: u64 = 0;
    let mut found = Vec::new();
    for _ in 0..MAX_SCAN_ROUNDS {
        let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(&pattern)
            .arg("COUNT")
            .arg(500)
            .query_async(&mut connection)
            .await?;
        found.extend(keys);
        cursor = next;
        if cursor == 0 {
            break;
        }
    }
    Ok(found)
}

/// Opens the connection: a connection manager for one node (it reconnects by itself), a
/// cluster connection for a cluster.
async fn connect(topology: Topology) -> redis::RedisResult<Connection> {
    match topology {
        Topology::Single(url) => {
            let client = redis::Client::open(url.as_str())?;
            let config = redis::aio::ConnectionManagerConfig::new()
                .set_connection_timeout(Some(Duration::from_secs(2)))
                .set_response_timeout(Some(Duration::from_secs(2)))
                .set_number_of_retries(1);
            Ok(Connection::Single(
                redis::aio::ConnectionManager::new_with_config(client, config).await?,
            ))
        }
        Topology::Cluster(nodes) => {
            let client = redis::cluster::ClusterClient::builder(nodes)
                .connection_timeout(Duration::from_secs(2))
                .response_timeout(Duration::from_secs(2))
                .build()?;
            Ok(Connection::Cluster(client.get_async_connection().await?))
        }
    }
}

fn glob_escape(text: &str) -> String {
    text.chars()
        .flat_map(|c| match c {
            '*' | '?' | '[' | ']' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect()
}
