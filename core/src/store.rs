//! The fleet-wide token store on Redis (docs/contract.md §Fleet store): a second level behind
//! the in-process cache, encrypted at rest, with a short lock so one process mints for the
//! fleet. Redis failing never fails a token call: the caller falls back to a direct mint.
//!
//! Layout, the same for every language (the value format is versioned):
//! - key name: `{prefix}t:{hex(HMAC-SHA256(k, fingerprint ‖ 0 ‖ base URL ‖ 0 ‖ id))[..32]}`
//!   where `k` is an encryption key and `fingerprint` the SHA-256 of the API key: no account
//!   id and no API key appear in Redis;
//! - lock name: the same with `l:` instead of `t:`;
//! - value: `0x01 ‖ nonce (12) ‖ AES-256-GCM(expires_unix_ms (u64 BE) ‖ token)` with the key
//!   name as associated data, so a value copied under another name fails to decrypt.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aes_gcm::aead::{Aead, Generate, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use redis::AsyncCommands as _;
use sha2::{Digest, Sha256};
use tokio::sync::{Notify, OnceCell};

use crate::error::Error;

/// The value format's version byte.
const FORMAT_VERSION: u8 = 1;
const NONCE_BYTES: usize = 12;
/// Longest token stored or read: a value never sizes more than this.
const MAX_VALUE_BYTES: usize = 64 * 1024;
/// Each Redis call gets this long unless configured.
pub const DEFAULT_STORE_TIMEOUT: Duration = Duration::from_millis(250);
/// The key prefix unless configured.
pub const DEFAULT_KEY_PREFIX: &str = "refold:";
/// Between two connection attempts to a Redis that is down.
const RECONNECT_PAUSE: Duration = Duration::from_secs(1);
/// Longest one connection attempt may take (in the background; callers wait the timeout).
const CONNECT_LIMIT: Duration = Duration::from_secs(10);
/// Between two warnings about Redis failing.
const WARNING_PAUSE: Duration = Duration::from_secs(60);

/// The store's settings as the host gives them; unset ones come from
/// `REFOLD_CACHE_REDIS_URL` / `REFOLD_CACHE_ENCRYPTION_KEY`.
#[derive(Clone, Default, PartialEq)]
pub struct StoreOptions {
    /// `redis://…`, `rediss://…` (TLS), or a cluster: `redis+cluster://host1:port,host2:port`
    /// (or `rediss+cluster://…`), or node URLs separated by commas.
    pub redis_url: Option<String>,
    /// Base64 32-byte keys: the first encrypts and names entries; every one is tried when
    /// reading (rotation). Empty: `REFOLD_CACHE_ENCRYPTION_KEY` (comma-separated for several).
    pub encryption_keys: Vec<String>,
    /// Prefix of every key this client writes (default `refold:`).
    pub key_prefix: Option<String>,
    /// Time allowed to each Redis call before falling back (default 250 ms).
    pub timeout: Option<crate::HostDuration>,
}

impl fmt::Debug for StoreOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreOptions")
            .field(
                "redis_url",
                &self.redis_url.as_ref().map(|url| redact_url(url)),
            )
            .field(
                "encryption_keys",
                &format!("[{} redacted]", self.encryption_keys.len()),
            )
            .field("key_prefix", &self.key_prefix)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// A Redis URL without its password, for messages.
fn redact_url(url: &str) -> String {
    match url.split_once('@') {
        Some((scheme_and_user, host)) => match scheme_and_user.split_once("://") {
            Some((scheme, _)) => format!("{scheme}://{}@{host}", crate::REDACTED),
            None => crate::REDACTED.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// Where Redis is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Topology {
    Single(String),
    Cluster(Vec<String>),
}

/// The store's settings after validation.
#[derive(Clone)]
pub(crate) struct StoreConfig {
    pub topology: Topology,
    pub keys: Vec<[u8; 32]>,
    pub prefix: String,
    pub timeout: Duration,
}

impl fmt::Debug for StoreConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreConfig")
            .field("prefix", &self.prefix)
            .field("keys", &self.keys.len())
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl PartialEq for StoreConfig {
    fn eq(&self, other: &Self) -> bool {
        self.topology == other.topology
            && self.keys == other.keys
            && self.prefix == other.prefix
            && self.timeout == other.timeout
    }
}

/// Checks the store options, filling unset ones from the environment when `read_env`.
pub(crate) fn resolve_store(options: StoreOptions, read_env: bool) -> Result<StoreConfig, Error> {
    let env = |name: &str| {
        read_env
            .then(|| std::env::var(name).ok())
            .flatten()
            .filter(|value| !value.trim().is_empty())
    };
    let url = options
        .redis_url
        .or_else(|| env("REFOLD_CACHE_REDIS_URL"))
        .ok_or_else(|| {
            Error::configuration(
                "The cache store needs a Redis URL: pass one or set REFOLD_CACHE_REDIS_URL.",
            )
        })?;
    let topology = topology(&url)?;
    let keys = if options.encryption_keys.is_empty() {
        env("REFOLD_CACHE_ENCRYPTION_KEY")
            .map(|keys| keys.split(',').map(|key| key.trim().to_owned()).collect())
            .unwrap_or_default()
    } else {
        options.encryption_keys
    };
    if keys.is_empty() {
        return Err(Error::configuration(
            "The cache store needs an encryption key: pass one or set \
             REFOLD_CACHE_ENCRYPTION_KEY (32 random bytes in base64, e.g. \
             `openssl rand -base64 32`).",
        ));
    }
    let keys = keys
        .iter()
        .enumerate()
        .map(|(index, key)| decode_key(index, key))
        .collect::<Result<Vec<_>, _>>()?;
    let prefix = options
        .key_prefix
        .unwrap_or_else(|| DEFAULT_KEY_PREFIX.to_owned());
    if prefix.len() > 64 || !prefix.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::configuration(
            "The cache store's key prefix must be at most 64 printable ASCII characters \
             without spaces.",
        ));
    }
    let timeout = match options.timeout {
        None => DEFAULT_STORE_TIMEOUT,
        Some(value) => {
            crate::options::checked_duration("The cache store's timeout", value, false, 60.0)?
        }
    };
    Ok(StoreConfig {
        topology,
        keys,
        prefix,
        timeout,
    })
}

fn topology(url: &str) -> Result<Topology, Error> {
    let shown = redact_url(&crate::redact::clean_line(url, 120));
    let bad = |why: &str| Error::configuration(format!("The Redis URL \"{shown}\" {why}."));
    let url = url.trim();
    let (cluster, scheme, rest) = if let Some(rest) = url.strip_prefix("redis+cluster://") {
        (true, "redis", rest)
    } else if let Some(rest) = url.strip_prefix("rediss+cluster://") {
        (true, "rediss", rest)
    } else if url.contains(',') {
        let nodes: Vec<String> = url.split(',').map(|node| node.trim().to_owned()).collect();
        for node in &nodes {
            check_node(node).map_err(|why| bad(&why))?;
        }
        return Ok(Topology::Cluster(nodes));
    } else {
        check_node(url).map_err(|why| bad(&why))?;
        return Ok(Topology::Single(url.to_owned()));
    };
    if !cluster {
        unreachable!();
    }
    // redis+cluster://[user:pass@]host1:port,host2:port[/db]: one URL per node.
    let (credentials, hosts) = match rest.rsplit_once('@') {
        Some((credentials, hosts)) => (format!("{credentials}@"), hosts),
        None => (String::new(), rest),
    };
    let nodes: Vec<String> = hosts
        .split(',')
        .map(|host| format!("{scheme}://{credentials}{}", host.trim()))
        .collect();
    for node in &nodes {
        check_node(node).map_err(|why| bad(&why))?;
    }
    Ok(Topology::Cluster(nodes))
}

fn check_node(url: &str) -> Result<(), String> {
    if !(url.starts_with("redis://") || url.starts_with("rediss://")) {
        return Err("must start with redis://, rediss:// or redis+cluster://".to_owned());
    }
    redis::parse_redis_url(url)
        .map(|_| ())
        .ok_or_else(|| "is not a valid Redis URL".to_owned())
}

fn decode_key(index: usize, key: &str) -> Result<[u8; 32], Error> {
    let which = if index == 0 {
        "The cache store's encryption key".to_owned()
    } else {
        format!("Encryption key number {}", index + 1)
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(key.trim())
        .map_err(|_| Error::configuration(format!("{which} is not valid base64.")))?;
    bytes.try_into().map_err(|bytes: Vec<u8>| {
        Error::configuration(format!(
            "{which} decodes to {} bytes; it must be 32 (e.g. `openssl rand -base64 32`).",
            bytes.len()
        ))
    })
}

/// A value found in the store.
pub(crate) struct Stored {
    pub token: String,
    pub expires_unix_ms: u64,
}

/// Why the store could not answer: the caller falls back and counts it.
#[derive(Debug)]
pub(crate) struct StoreFailure;

/// A lock held by this process on one account's mint.
pub(crate) struct Held {
    name: String,
    value: String,
}

#[derive(Clone)]
enum Connection {
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

/// The Redis side of one client.
pub(crate) struct TokenStore {
    config: StoreConfig,
    /// SHA-256 of the API key and the base URL: part of every key name.
    scope: Vec<u8>,
    connection: OnceCell<Connection>,
    connecting: AtomicBool,
    ready: Notify,
    last_connect_failure: Mutex<Option<Instant>>,
    last_warning: Mutex<Option<Instant>>,
    pub errors: AtomicU64,
    pub hits: AtomicU64,
}

impl fmt::Debug for TokenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenStore")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl TokenStore {
    pub(crate) fn new(config: StoreConfig, api_key: &str, base_url: &str) -> TokenStore {
        let mut scope = Sha256::digest(api_key.as_bytes()).to_vec();
        scope.push(0);
        scope.extend_from_slice(base_url.as_bytes());
        scope.push(0);
        TokenStore {
            config,
            scope,
            connection: OnceCell::new(),
            connecting: AtomicBool::new(false),
            ready: Notify::new(),
            last_connect_failure: Mutex::new(None),
            last_warning: Mutex::new(None),
            errors: AtomicU64::new(0),
            hits: AtomicU64::new(0),
        }
    }

    /// The key name of `id` under encryption key `key` (`kind` `t` for tokens, `l` for locks).
    fn name(&self, key: &[u8; 32], kind: char, id: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key");
        mac.update(&self.scope);
        mac.update(id.as_bytes());
        let digest = mac.finalize().into_bytes();
        let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        format!("{}{kind}:{hex}", self.config.prefix)
    }

    fn seal(&self, name: &str, token: &str, expires_unix_ms: u64) -> Vec<u8> {
        let cipher = Aes256Gcm::new_from_slice(&self.config.keys[0]).expect("32-byte key");
        let nonce = Nonce::generate();
        let mut plaintext = Vec::with_capacity(8 + token.len());
        plaintext.extend_from_slice(&expires_unix_ms.to_be_bytes());
        plaintext.extend_from_slice(token.as_bytes());
        let sealed = cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: &plaintext,
                    aad: name.as_bytes(),
                },
            )
            .expect("AES-GCM encryption of a small buffer cannot fail");
        zeroize::Zeroize::zeroize(&mut plaintext);
        let mut value = Vec::with_capacity(1 + NONCE_BYTES + sealed.len());
        value.push(FORMAT_VERSION);
        value.extend_from_slice(&nonce);
        value.extend_from_slice(&sealed);
        value
    }

    /// The token in `value` stored under `name`, if some key opens it.
    fn open(&self, name: &str, value: &[u8]) -> Option<Stored> {
        if value.len() > MAX_VALUE_BYTES || value.len() < 1 + NONCE_BYTES + 16 + 8 {
            return None;
        }
        if value[0] != FORMAT_VERSION {
            return None;
        }
        let nonce = Nonce::try_from(&value[1..1 + NONCE_BYTES]).ok()?;
        let sealed = &value[1 + NONCE_BYTES..];
        self.config.keys.iter().find_map(|key| {
            let cipher = Aes256Gcm::new_from_slice(key).ok()?;
            let mut plaintext = cipher
                .decrypt(
                    &nonce,
                    Payload {
                        msg: sealed,
                        aad: name.as_bytes(),
                    },
                )
                .ok()?;
            let expires_unix_ms = u64::from_be_bytes(plaintext[..8].try_into().ok()?);
            let token = String::from_utf8(plaintext.split_off(8)).ok()?;
            zeroize::Zeroize::zeroize(&mut plaintext);
            Some(Stored {
                token,
                expires_unix_ms,
            })
        })
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
            let store = Arc::clone(self);
            tokio::spawn(async move {
                let topology = store.config.topology.clone();
                match tokio::time::timeout(CONNECT_LIMIT, connect(topology)).await {
                    Ok(Ok(connection)) => {
                        let _ = store.connection.set(connection);
                    }
                    failure => {
                        let why = match failure {
                            Ok(Err(err)) => format!("connecting failed ({:?})", err.kind()),
                            _ => "connecting timed out".to_owned(),
                        };
                        store.warn(&why);
                        *store
                            .last_connect_failure
                            .lock()
                            .unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
                    }
                }
                store.connecting.store(false, Ordering::Release);
                store.ready.notify_waiters();
            });
        }
        if !recently_failed {
            let _ = tokio::time::timeout(self.config.timeout, ready).await;
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
        match tokio::time::timeout(self.config.timeout, command(connection)).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(err)) => Err(self.failed(&format!("{what} failed ({:?})", err.kind()))),
            Err(_) => Err(self.failed(&format!("{what} timed out"))),
        }
    }

    /// The stored token of `id`, trying each key's name (rotation). A value that fails to
    /// decrypt is a miss, warned about without its content.
    pub(crate) async fn get(self: &Arc<Self>, id: &str) -> Result<Option<Stored>, StoreFailure> {
        for key in &self.config.keys {
            let name = self.name(key, 't', id);
            let lookup = name.clone();
            let value: Option<Vec<u8>> = self
                .run("GET", async move |mut connection| {
                    connection.get(&lookup).await
                })
                .await?;
            if let Some(value) = value {
                match self.open(&name, &value) {
                    Some(stored) => {
                        self.hits.fetch_add(1, Ordering::Relaxed);
                        return Ok(Some(stored));
                    }
                    None => log::warn!(
                        "a Redis token-store value could not be decrypted (tampered, or written \
                         under another encryption key); treating it as a miss"
                    ),
                }
            }
        }
        Ok(None)
    }

    /// Stores `token` for `id` until `expires_unix_ms`, dropped by Redis `keep_for` earlier.
    pub(crate) async fn put(
        self: &Arc<Self>,
        id: &str,
        token: &str,
        expires_unix_ms: u64,
        ttl: Duration,
    ) -> Result<(), StoreFailure> {
        let ttl_ms = ttl.as_millis().min(u128::from(u32::MAX)) as u64;
        if ttl_ms == 0 || token.len() > MAX_VALUE_BYTES / 2 {
            return Ok(());
        }
        let name = self.name(&self.config.keys[0], 't', id);
        let value = self.seal(&name, token, expires_unix_ms);
        self.run("SET", async move |mut connection| {
            let options =
                redis::SetOptions::default().with_expiration(redis::SetExpiry::PX(ttl_ms));
            connection.set_options(&name, value, options).await
        })
        .await
    }

    /// Takes the mint lock of `id` for `hold`, if nobody holds it.
    pub(crate) async fn lock(
        self: &Arc<Self>,
        id: &str,
        hold: Duration,
    ) -> Result<Option<Held>, StoreFailure> {
        let name = self.name(&self.config.keys[0], 'l', id);
        let value = format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..));
        let hold_ms = hold.as_millis().clamp(1, 3_600_000) as u64;
        let (key, token) = (name.clone(), value.clone());
        let taken: Option<String> = self
            .run("SET NX", async move |mut connection| {
                let options = redis::SetOptions::default()
                    .conditional_set(redis::ExistenceCheck::NX)
                    .with_expiration(redis::SetExpiry::PX(hold_ms));
                connection.set_options(&key, &token, options).await
            })
            .await?;
        Ok(taken.map(|_| Held { name, value }))
    }

    /// Releases a lock if it is still ours.
    pub(crate) async fn unlock(self: &Arc<Self>, held: Held) {
        let script = redis::Script::new(
            "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) \
             else return 0 end",
        );
        let _ = self
            .run("unlock", async move |mut connection| {
                let mut invocation = script.key(&held.name);
                invocation.arg(&held.value);
                invocation.invoke_async::<i64>(&mut connection).await
            })
            .await;
    }

    /// Deletes the stored token of `id` under every key's name.
    pub(crate) async fn delete(self: &Arc<Self>, id: &str) -> Result<(), StoreFailure> {
        let names: Vec<String> = self
            .config
            .keys
            .iter()
            .map(|key| self.name(key, 't', id))
            .collect();
        for name in names {
            self.run("DEL", async move |mut connection| {
                connection.del::<_, i64>(&name).await
            })
            .await?;
        }
        Ok(())
    }

    /// Deletes every key under this client's prefix (SCAN, never FLUSHDB); in a cluster, on
    /// every node listed.
    pub(crate) async fn delete_all(self: &Arc<Self>) -> Result<u64, StoreFailure> {
        let pattern = format!("{}*", glob_escape(&self.config.prefix));
        let nodes = match &self.config.topology {
            Topology::Single(url) => vec![url.clone()],
            Topology::Cluster(nodes) => nodes.clone(),
        };
        let mut deleted = 0;
        for node in nodes {
            let pattern = pattern.clone();
            let scan = async move {
                let client = redis::Client::open(node.as_str())?;
                let mut connection = client.get_multiplexed_async_connection().await?;
                let mut cursor: u64 = 0;
                let mut found = Vec::new();
                // Bounded: a keyspace of any size is walked in at most this many rounds.
                for _ in 0..100_000 {
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
                Ok::<_, redis::RedisError>(found)
            };
            let keys = match tokio::time::timeout(Duration::from_secs(30), scan).await {
                Ok(Ok(keys)) => keys,
                Ok(Err(err)) => {
                    return Err(self.failed(&format!("SCAN failed ({:?})", err.kind())));
                }
                Err(_) => return Err(self.failed("SCAN timed out")),
            };
            for name in keys {
                self.run("DEL", async move |mut connection| {
                    connection.del::<_, i64>(&name).await
                })
                .await?;
                deleted += 1;
            }
        }
        Ok(deleted)
    }
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

/// Milliseconds since the epoch now.
pub(crate) fn now_unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_millis() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    const KEY_A: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    const KEY_B: &str = "HxwdHhobGBkWFxQVEhMQEQ4PDA0KCwgJBgcEBQIDAAE=";

    fn store(keys: &[&str]) -> TokenStore {
        let config = resolve_store(
            StoreOptions {
                redis_url: Some("redis://127.0.0.1:1".into()),
                encryption_keys: keys.iter().map(|k| (*k).to_owned()).collect(),
                ..StoreOptions::default()
            },
            false,
        )
        .unwrap();
        TokenStore::new(config, "sk_store_DISTINCTIVE", "https://api.example")
    }

    #[test]
    fn names_hide_the_account_and_the_key() {
        let store = store(&[KEY_A]);
        let name = store.name(&store.config.keys[0], 't', "user-42");
        assert!(name.starts_with("refold:t:") && name.len() == "refold:t:".len() + 32);
        assert!(!name.contains("user-42") && !name.contains("DISTINCTIVE"));
        assert_ne!(name, store.name(&store.config.keys[0], 't', "user-43"));
    }

    #[test]
    fn values_open_only_under_their_own_name_and_a_known_key() {
        let writer = store(&[KEY_A]);
        let name = writer.name(&writer.config.keys[0], 't', "u1");
        let value = writer.seal(&name, "eyJtoken.payload.sig", 42);
        assert!(!value.windows(5).any(|w| w == b"eyJto"));
        let opened = writer.open(&name, &value).unwrap();
        assert_eq!(
            (opened.token.as_str(), opened.expires_unix_ms),
            ("eyJtoken.payload.sig", 42)
        );
        let other_name = writer.name(&writer.config.keys[0], 't', "u2");
        assert!(
            writer.open(&other_name, &value).is_none(),
            "copied under another name"
        );
        let mut tampered = value.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert!(writer.open(&name, &tampered).is_none());
        assert!(store(&[KEY_B]).open(&name, &value).is_none(), "another key");
        // Rotation: a store whose second key is the old one still opens the value.
        assert!(store(&[KEY_B, KEY_A]).open(&name, &value).is_some());
    }

    #[test]
    fn options_are_checked_and_never_echo_secrets() {
        let bad = |options: StoreOptions| resolve_store(options, false).unwrap_err();
        let url = Some("redis://127.0.0.1:6379".to_owned());
        for options in [
            StoreOptions::default(),
            StoreOptions {
                redis_url: url.clone(),
                ..StoreOptions::default()
            },
            StoreOptions {
                redis_url: url.clone(),
                encryption_keys: vec!["c2hvcnQ=".into()],
                ..StoreOptions::default()
            },
            StoreOptions {
                redis_url: url.clone(),
                encryption_keys: vec!["not base64!!".into()],
                ..StoreOptions::default()
            },
            StoreOptions {
                redis_url: Some("http://x".into()),
                encryption_keys: vec![KEY_A.into()],
                ..StoreOptions::default()
            },
            StoreOptions {
                redis_url: url.clone(),
                encryption_keys: vec![KEY_A.into()],
                key_prefix: Some("has space".into()),
                ..StoreOptions::default()
            },
        ] {
            let err = bad(options);
            assert_eq!(err.code(), ErrorCode::Configuration);
            assert!(!err.message().contains(KEY_A));
        }
        let options = StoreOptions {
            redis_url: Some("redis://:s3cretpw@127.0.0.1:6379".into()),
            encryption_keys: vec![KEY_A.into()],
            ..StoreOptions::default()
        };
        assert!(!format!("{options:?}").contains("s3cretpw"));
        assert!(!format!("{options:?}").contains(KEY_A));
    }

    #[test]
    fn cluster_urls_name_every_node() {
        assert_eq!(
            topology("redis+cluster://:pw@127.0.0.1:7000,127.0.0.1:7001").unwrap(),
            Topology::Cluster(vec![
                "redis://:pw@127.0.0.1:7000".into(),
                "redis://:pw@127.0.0.1:7001".into()
            ])
        );
        assert_eq!(
            topology("redis://127.0.0.1:7000,redis://127.0.0.1:7001").unwrap(),
            Topology::Cluster(vec![
                "redis://127.0.0.1:7000".into(),
                "redis://127.0.0.1:7001".into()
            ])
        );
        assert_eq!(
            topology("rediss://h:6380").unwrap(),
            Topology::Single("rediss://h:6380".into())
        );
    }
}
