//! The opt-in session-token cache (docs/contract.md §Session cache): hits without a request,
//! one mint for concurrent callers of an account, refresh ahead of expiry in the background,
//! bounded in entries and in time, tokens wiped when they leave.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use moka::future::Cache;
use moka::notification::RemovalCause;
use moka::policy::{EvictionPolicy, Expiry};

use crate::error::{Error, ErrorCode};
use crate::token::{SessionToken, TOKEN_LIFETIME};

/// Accounts kept unless configured.
pub const DEFAULT_MAX_ENTRIES: u64 = 10_000;
/// A cached token is only returned with more life left than this, unless configured.
pub const DEFAULT_MIN_REMAINING: Duration = Duration::from_secs(60 * 60);
/// A hit with less life left than this starts a background refresh, unless configured.
pub const DEFAULT_REFRESH_AHEAD: Duration = Duration::from_secs(2 * 60 * 60);
/// First wait after a failed background refresh; it doubles up to [`MAX_REFRESH_BACKOFF`].
const FIRST_REFRESH_BACKOFF: Duration = Duration::from_secs(30);
const MAX_REFRESH_BACKOFF: Duration = Duration::from_secs(5 * 60);
/// After a refresh that did not extend the token's life, the account is left alone this long.
const NO_PROGRESS_PAUSE: Duration = Duration::from_secs(5 * 60);

/// The cache's settings after validation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CacheConfig {
    pub max_entries: u64,
    pub min_remaining: Duration,
    pub refresh_ahead: Duration,
}

/// Counters since the client was built; `entries` is the current number of cached accounts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Calls answered from the cache without a request.
    pub hits: u64,
    /// Calls that started a mint (no usable entry, or `fresh`).
    pub misses: u64,
    /// Calls that waited for a mint another call had started.
    pub coalesced: u64,
    /// Background refreshes that stored a new token.
    pub refreshes: u64,
    /// Background refreshes that failed.
    pub refresh_failures: u64,
    /// Entries removed because the cache was full or their time was up.
    pub evictions: u64,
    /// Accounts cached now.
    pub entries: u64,
}

/// A cached token and the local times that govern it.
struct Entry {
    token: SessionToken,
    /// Receipt (local, monotonic) plus the token's lifetime: immune to server clock skew.
    local_expiry: Instant,
    /// From here on a hit starts a background refresh (jittered per entry).
    refresh_from: Instant,
}

impl Drop for Entry {
    fn drop(&mut self) {
        self.token.wipe();
    }
}

/// Refresh bookkeeping of one account (only while it has some).
#[derive(Default)]
struct RefreshState {
    running: bool,
    /// No background refresh before this instant (backoff, or no progress last time).
    not_before: Option<Instant>,
    backoff: Option<Duration>,
}

struct EntryExpiry {
    min_remaining: Duration,
}

impl Expiry<String, Arc<Entry>> for EntryExpiry {
    fn expire_after_create(
        &self,
        _: &String,
        entry: &Arc<Entry>,
        now: Instant,
    ) -> Option<Duration> {
        Some(
            entry
                .local_expiry
                .saturating_duration_since(now)
                .saturating_sub(self.min_remaining),
        )
    }

    fn expire_after_update(
        &self,
        key: &String,
        entry: &Arc<Entry>,
        now: Instant,
        _: Option<Duration>,
    ) -> Option<Duration> {
        self.expire_after_create(key, entry, now)
    }
}

#[derive(Default)]
struct Counters {
    hits: AtomicU64,
    misses: AtomicU64,
    coalesced: AtomicU64,
    refreshes: AtomicU64,
    refresh_failures: AtomicU64,
    evictions: Arc<AtomicU64>,
}

/// The cache of one client.
pub(crate) struct TokenCache {
    config: CacheConfig,
    entries: Cache<String, Arc<Entry>>,
    refreshing: Mutex<HashMap<String, RefreshState>>,
    counters: Counters,
}

impl fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCache")
            .field("config", &self.config)
            .field("entries", &self.entries.entry_count())
            .finish_non_exhaustive()
    }
}

impl TokenCache {
    pub(crate) fn new(config: CacheConfig) -> TokenCache {
        let counters = Counters::default();
        let evictions = counters.evictions.clone();
        let entries = Cache::builder()
            .max_capacity(config.max_entries)
            .eviction_policy(EvictionPolicy::lru())
            .expire_after(EntryExpiry {
                min_remaining: config.min_remaining,
            })
            .eviction_listener(move |_key, _entry, cause| {
                if matches!(cause, RemovalCause::Size | RemovalCause::Expired) {
                    evictions.fetch_add(1, Ordering::Relaxed);
                }
            })
            .build();
        TokenCache {
            config,
            entries,
            refreshing: Mutex::new(HashMap::new()),
            counters,
        }
    }

    /// A token for `id`: cached, or minted by `mint` once for all concurrent callers.
    /// `refresh` mints in the background when a hit is inside the refresh window; it holds
    /// only a weak reference so a dropped client stops refreshing.
    pub(crate) async fn get<M, F>(
        self: &Arc<Self>,
        id: &str,
        fresh: bool,
        mint: M,
        refresh: impl FnOnce() -> Option<F> + Send,
    ) -> Result<SessionToken, Error>
    where
        M: Future<Output = Result<SessionToken, Error>>,
        F: Future<Output = Result<SessionToken, Error>> + Send + 'static,
    {
        if fresh {
            self.counters.misses.fetch_add(1, Ordering::Relaxed);
            let token = mint.await?;
            self.entries
                .insert(id.to_owned(), Arc::new(self.entry(token.clone())))
                .await;
            return Ok(token);
        }
        let now = Instant::now();
        if let Some(entry) = self.entries.get(id).await {
            if entry.local_expiry.saturating_duration_since(now) > self.config.min_remaining {
                self.counters.hits.fetch_add(1, Ordering::Relaxed);
                if now >= entry.refresh_from {
                    self.maybe_refresh(id, &entry, refresh);
                }
                return Ok(entry.token.clone());
            }
        }
        let this = Arc::clone(self);
        let started_here = std::sync::atomic::AtomicBool::new(false);
        let result = self
            .entries
            .entry_by_ref(id)
            .or_try_insert_with(async {
                started_here.store(true, Ordering::Relaxed);
                mint.await.map(|token| Arc::new(this.entry(token)))
            })
            .await;
        if started_here.load(Ordering::Relaxed) {
            self.counters.misses.fetch_add(1, Ordering::Relaxed);
        } else {
            self.counters.coalesced.fetch_add(1, Ordering::Relaxed);
        }
        match result {
            Ok(entry) => Ok(entry.into_value().token.clone()),
            Err(shared) => Err((*shared).clone()),
        }
    }

    /// A new entry for a token received now.
    fn entry(&self, token: SessionToken) -> Entry {
        let now = Instant::now();
        let local_expiry = now + token.lifetime().min(TOKEN_LIFETIME * 366);
        // Up to 10 % earlier, so entries minted together do not refresh together.
        let window = self
            .config
            .refresh_ahead
            .mul_f64(1.0 + 0.1 * fastrand::f64());
        Entry {
            local_expiry,
            refresh_from: local_expiry.checked_sub(window).unwrap_or(now),
            token,
        }
    }

    fn maybe_refresh<F>(
        self: &Arc<Self>,
        id: &str,
        current: &Arc<Entry>,
        refresh: impl FnOnce() -> Option<F>,
    ) where
        F: Future<Output = Result<SessionToken, Error>> + Send + 'static,
    {
        {
            let mut refreshing = self.refreshing.lock().unwrap_or_else(|e| e.into_inner());
            let state = refreshing.entry(id.to_owned()).or_default();
            if state.running || state.not_before.is_some_and(|t| Instant::now() < t) {
                return;
            }
            state.running = true;
        }
        let Some(future) = refresh() else {
            self.finish_refresh(id, None);
            return;
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            self.finish_refresh(id, None);
            return;
        };
        let cache: Weak<TokenCache> = Arc::downgrade(self);
        let id = id.to_owned();
        let old_expiry = current.local_expiry;
        runtime.spawn(async move {
            let result = future.await;
            let Some(cache) = cache.upgrade() else {
                return;
            };
            match result {
                Ok(token) => {
                    cache.counters.refreshes.fetch_add(1, Ordering::Relaxed);
                    log::debug!("refreshed the session token of a linked account");
                    let entry = cache.entry(token);
                    let progressed = entry.local_expiry > old_expiry;
                    cache.entries.insert(id.clone(), Arc::new(entry)).await;
                    cache.finish_refresh(&id, (!progressed).then_some(NO_PROGRESS_PAUSE));
                }
                Err(error) => {
                    cache
                        .counters
                        .refresh_failures
                        .fetch_add(1, Ordering::Relaxed);
                    log::warn!(
                        "refreshing a linked account's session token failed ({}); the cached \
                         token is served while it lasts",
                        error.code()
                    );
                    if matches!(
                        error.code(),
                        ErrorCode::Authentication
                            | ErrorCode::PermissionDenied
                            | ErrorCode::InvalidLinkedAccount
                    ) {
                        // The key was revoked or the account deleted: the next call mints
                        // and reports it.
                        cache.entries.invalidate(&id).await;
                        cache.forget_refresh(&id);
                    } else {
                        cache.fail_refresh(&id);
                    }
                }
            }
        });
    }

    fn finish_refresh(&self, id: &str, pause: Option<Duration>) {
        let mut refreshing = self.refreshing.lock().unwrap_or_else(|e| e.into_inner());
        match pause {
            None => {
                refreshing.remove(id);
            }
            Some(pause) => {
                let state = refreshing.entry(id.to_owned()).or_default();
                state.running = false;
                state.backoff = None;
                state.not_before = Some(Instant::now() + pause);
            }
        }
    }

    fn fail_refresh(&self, id: &str) {
        let mut refreshing = self.refreshing.lock().unwrap_or_else(|e| e.into_inner());
        let state = refreshing.entry(id.to_owned()).or_default();
        let backoff = state.backoff.map_or(FIRST_REFRESH_BACKOFF, |last| {
            (last * 2).min(MAX_REFRESH_BACKOFF)
        });
        state.running = false;
        state.backoff = Some(backoff);
        state.not_before = Some(Instant::now() + backoff);
    }

    fn forget_refresh(&self, id: &str) {
        let mut refreshing = self.refreshing.lock().unwrap_or_else(|e| e.into_inner());
        refreshing.remove(id);
    }

    pub(crate) async fn invalidate(&self, id: &str) {
        self.entries.invalidate(id).await;
        self.forget_refresh(id);
    }

    pub(crate) async fn invalidate_all(&self) {
        self.entries.invalidate_all();
        self.entries.run_pending_tasks().await;
        self.refreshing
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    pub(crate) async fn stats(&self) -> CacheStats {
        self.entries.run_pending_tasks().await;
        let read = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        CacheStats {
            hits: read(&self.counters.hits),
            misses: read(&self.counters.misses),
            coalesced: read(&self.counters.coalesced),
            refreshes: read(&self.counters.refreshes),
            refresh_failures: read(&self.counters.refresh_failures),
            evictions: read(&self.counters.evictions),
            entries: self.entries.entry_count(),
        }
    }
}
