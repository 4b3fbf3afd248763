//! The fleet-wide token store on Redis (docs/contract.md §Fleet store): a second level behind
//! the in-process cache, encrypted at rest, with a short lock so one process mints for the
//! fleet. Redis failing never fails a token call: the caller falls back to a direct mint.
//! This file owns what is stored under which name; `config` the options, `seal` names and
//! encryption, `redis` the connection and its commands.
//!
//! Layout, the same for every language (the value format is versioned):
//! - key name: `{prefix}t:{hex(HMAC-SHA256(k, fingerprint ‖ 0 ‖ base URL ‖ 0 ‖ id))[..32]}`
//!   where `k` is an encryption key and `fingerprint` the SHA-256 of the API key: no account
//!   id and no API key appear in Redis;
//! - lock name: the same with `l:` instead of `t:`;
//! - value: `0x02 ‖ nonce (12) ‖ AES-256-GCM(expires_unix_ms (u64 BE) ‖
//!   refresh_expires_unix_ms (u64 BE, 0: unknown) ‖ token length (u32 BE) ‖ token ‖ refresh
//!   token)` with the key name as associated data, so a value copied under another name fails
//!   to decrypt. Version 1 (`0x01`, `expires_unix_ms ‖ token`) is still read.

mod config;
mod redis;
mod seal;

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

pub use self::config::{DEFAULT_KEY_PREFIX, DEFAULT_STORE_TIMEOUT};
pub(crate) use self::config::{StoreConfig, StoreSettings, redact_url, resolve_store};
use self::redis::RedisLink;
pub(crate) use self::redis::StoreConnection;
pub(crate) use self::redis::StoreFailure;
pub(crate) use self::seal::Stored;
use self::seal::{Kind, Sealer};

/// Longest a mint lock is held, whatever the attempt timeout.
const MAX_LOCK_HOLD_MS: u64 = 3_600_000;

/// A lock held by this process on one account's mint.
pub(crate) struct Held {
    name: String,
    value: String,
}

/// The store of one client.
pub(crate) struct TokenStore {
    sealer: Sealer,
    redis: Arc<RedisLink>,
    hits: AtomicU64,
}

impl fmt::Debug for TokenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenStore")
            .field("prefix", &self.sealer.prefix())
            .finish_non_exhaustive()
    }
}

impl TokenStore {
    pub(crate) fn new(config: StoreConfig, api_key: &str, base_url: &str) -> TokenStore {
        TokenStore {
            sealer: Sealer::new(config.keys, config.prefix, api_key, base_url),
            redis: Arc::new(RedisLink::new(config.topology, config.timeout)),
            hits: AtomicU64::new(0),
        }
    }

    /// The store's Redis connection, for the fleet's request budget.
    pub(crate) fn fleet_connection(&self) -> StoreConnection {
        StoreConnection(Arc::clone(&self.redis))
    }

    /// The prefix of every key this store writes.
    pub(crate) fn key_prefix(&self) -> &str {
        self.sealer.prefix()
    }

    /// The time each Redis call gets.
    pub(crate) fn timeout(&self) -> Duration {
        self.redis.timeout()
    }

    /// Tokens found so far.
    pub(crate) fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }

    /// Redis calls that failed or took too long so far.
    pub(crate) fn errors(&self) -> u64 {
        self.redis.errors()
    }

    /// The stored token of `id`, trying each key's name (rotation). A value that fails to
    /// decrypt is a miss, warned about without its content.
    pub(crate) async fn get(&self, id: &str) -> Result<Option<Stored>, StoreFailure> {
        for name in self.sealer.names(Kind::Token, id) {
            let Some(value) = self.redis.get(&name).await? else {
                continue;
            };
            match self.sealer.open(&name, &value) {
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
        Ok(None)
    }

    /// Stores `stored` for `id`, dropped by Redis `ttl` from now.
    pub(crate) async fn put(
        &self,
        id: &str,
        stored: &Stored,
        ttl: Duration,
    ) -> Result<(), StoreFailure> {
        let ttl_ms = ttl.as_millis().min(u128::from(u32::MAX)) as u64;
        if ttl_ms == 0 {
            return Ok(());
        }
        let name = self.sealer.name(Kind::Token, id);
        let Some(value) = self.sealer.seal(&name, stored) else {
            return Ok(());
        };
        self.redis.set(name, value, ttl_ms).await
    }

    /// Takes the mint lock of `id` for `hold`, if nobody holds it.
    pub(crate) async fn lock(
        &self,
        id: &str,
        hold: Duration,
    ) -> Result<Option<Held>, StoreFailure> {
        let name = self.sealer.name(Kind::Lock, id);
        let value = format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..));
        let hold_ms = hold.as_millis().clamp(1, u128::from(MAX_LOCK_HOLD_MS)) as u64;
        let taken = self
            .redis
            .set_if_absent(name.clone(), value.clone(), hold_ms)
            .await?;
        Ok(taken.then_some(Held { name, value }))
    }

    /// Releases a lock if it is still ours.
    pub(crate) async fn unlock(&self, held: Held) {
        self.redis.delete_if(held.name, held.value).await;
    }

    /// Deletes the stored token of `id` under every key's name.
    pub(crate) async fn delete(&self, id: &str) -> Result<(), StoreFailure> {
        for name in self.sealer.names(Kind::Token, id) {
            self.redis.delete(name).await?;
        }
        Ok(())
    }

    /// Deletes every key under this client's prefix; in a cluster, on every node listed.
    pub(crate) async fn delete_all(&self) -> Result<u64, StoreFailure> {
        self.redis.delete_prefixed(self.sealer.prefix()).await
    }
}
