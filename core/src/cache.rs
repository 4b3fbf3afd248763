//! The opt-in session-token cache (docs/contract.md §Session cache): hits without a request,
//! one mint for concurrent callers of an account, refresh ahead of expiry in the background,
//! bounded in entries and in time, tokens wiped when they leave.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant, UNIX_EPOCH};

use moka::future::Cache;
use moka::notification::RemovalCause;
use moka::policy::{EvictionPolicy, Expiry};

use crate::error::{Error, ErrorCode};
use crate::ratelimit::BudgetStats;
use crate::store::{StoreConfig, StoreFailure, Stored, TokenStore};
use crate::telemetry::{self, CacheOutcome};
use crate::time::now_unix_ms;
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
/// How often a process waiting for another's mint looks in the fleet store.
const FLEET_POLL: Duration = Duration::from_millis(20);
/// After finding another process refreshing an account, look again after this long.
const FLEET_REFRESH_PAUSE: Duration = Duration::from_secs(1);

/// The cache's settings after validation.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct CacheConfig {
    pub max_entries: u64,
    pub min_remaining: Duration,
    pub refresh_ahead: Duration,
    pub store: Option<StoreConfig>,
}

/// Counters since the client was built; `entries` is the current number of cached accounts.
/// The `rate_limit_*` counters are the request budget's (docs/contract.md §Rate limit), shared
/// by every client of the process with the same API key, base URL and limit (0 when it is
/// off).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
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
    /// Tokens found in the fleet store (another process, or this one earlier, minted them).
    pub store_hits: u64,
    /// Fleet-store calls that failed or took too long (each fell back to a direct mint).
    pub store_errors: u64,
    /// Requests that waited for their turn in the budget before being sent.
    pub rate_limit_waits: u64,
    /// Total time those requests waited, in milliseconds.
    pub rate_limit_wait_ms: u64,
    /// Calls refused by the budget without sending anything (`rate_limited`): no turn within
    /// their timeout, too many waiting, or no spare turn for a background refresh.
    pub rate_limit_refused: u64,
    /// 429 answers received from Refold.
    pub rate_limit_429s: u64,
    /// Background refreshes that found no spare turn at first (then waited or gave up).
    pub rate_limit_background_deferred: u64,
    /// Turns granted by this process's local share because the fleet's Redis failed.
    pub rate_limit_fleet_fallbacks: u64,
}

impl CacheStats {
    /// The fields every binding maps (docs/contract.md §Session cache).
    pub const FIELDS: &'static [&'static str] = &[
        "hits",
        "misses",
        "coalesced",
        "refreshes",
        "refresh_failures",
        "evictions",
        "entries",
        "store_hits",
        "store_errors",
        "rate_limit_waits",
        "rate_limit_wait_ms",
        "rate_limit_refused",
        "rate_limit_429s",
        "rate_limit_background_deferred",
        "rate_limit_fleet_fallbacks",
    ];
}

/// A cached token and the local times that govern it (the token wipes itself when its last
/// clone goes).
struct Entry {
    token: SessionToken,
    /// Receipt (local, monotonic) plus the token's lifetime: immune to server clock skew.
    local_expiry: Instant,
    /// The same instant on the wall clock, as the fleet store shares it.
    expires_unix_ms: u64,
    /// From here on a hit starts a background refresh (jittered per entry).
    refresh_from: Instant,
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
    store: Option<Arc<TokenStore>>,
    /// How long the fleet's mint lock is held: about one attempt's timeout.
    lock_hold: Duration,
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
    /// `api_key` and `base_url` scope the fleet store's key names; `attempt_timeout` sizes
    /// its mint lock.
    pub(crate) fn new(
        config: CacheConfig,
        api_key: &str,
        base_url: &str,
        attempt_timeout: Duration,
    ) -> TokenCache {
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
        let store = config
            .store
            .clone()
            .map(|store| Arc::new(TokenStore::new(store, api_key, base_url)));
        TokenCache {
            config,
            entries,
            store,
            lock_hold: attempt_timeout.clamp(Duration::from_secs(1), Duration::from_secs(120)),
            refreshing: Mutex::new(HashMap::new()),
            counters,
        }
    }

    /// A token for `id`: cached, or minted once for all concurrent callers by `mint(force)`
    /// (`force`: Refold must mint a new token rather than answer its current one). `refresh`
    /// mints (forced) in the background when a hit is inside the refresh window; it holds
    /// only a weak reference so a dropped client stops refreshing.
    pub(crate) async fn get<M, MF, F>(
        self: &Arc<Self>,
        id: &str,
        fresh: bool,
        mint: M,
        refresh: impl FnOnce() -> Option<F> + Send,
    ) -> Result<SessionToken, Error>
    where
        M: Fn(bool) -> MF,
        MF: Future<Output = Result<SessionToken, Error>>,
        F: Future<Output = Result<SessionToken, Error>> + Send + 'static,
    {
        if fresh {
            self.counters.misses.fetch_add(1, Ordering::Relaxed);
            telemetry::note_cache(CacheOutcome::Miss);
            let entry = Arc::new(self.entry(mint(true).await?));
            self.share(id, &entry).await;
            let token = entry.token.clone();
            self.entries.insert(id.to_owned(), entry).await;
            return Ok(token);
        }
        let now = Instant::now();
        if let Some(entry) = self.entries.get(id).await {
            if entry.local_expiry.saturating_duration_since(now) > self.config.min_remaining {
                self.counters.hits.fetch_add(1, Ordering::Relaxed);
                telemetry::note_cache(CacheOutcome::Hit);
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
                this.load(id, mint).await.map(Arc::new)
            })
            .await;
        if started_here.load(Ordering::Relaxed) {
            self.counters.misses.fetch_add(1, Ordering::Relaxed);
            telemetry::note_cache(CacheOutcome::Miss);
        } else {
            self.counters.coalesced.fetch_add(1, Ordering::Relaxed);
            telemetry::note_cache(CacheOutcome::Coalesced);
        }
        match result {
            Ok(entry) => Ok(entry.into_value().token.clone()),
            Err(shared) => Err((*shared).clone()),
        }
    }

    /// A hit answered without awaiting anything: the cached token when it has more than
    /// `min_remaining` left and is not yet in its refresh window (which needs a task), else
    /// `None` and the caller takes the async path. Counted as a hit when it answers.
    pub(crate) fn get_now(&self, id: &str) -> Option<SessionToken> {
        // moka's lookup never waits on I/O: polled once, it is ready.
        let entry = futures_util::FutureExt::now_or_never(self.entries.get(id))??;
        let now = Instant::now();
        let usable = entry.local_expiry.saturating_duration_since(now) > self.config.min_remaining;
        if !usable || now >= entry.refresh_from {
            return None;
        }
        self.counters.hits.fetch_add(1, Ordering::Relaxed);
        Some(entry.token.clone())
    }

    /// A new entry for a token received now.
    fn entry(&self, token: SessionToken) -> Entry {
        let lifetime = token.lifetime().min(TOKEN_LIFETIME * 366);
        self.entry_expiring(token, lifetime)
    }

    /// An entry for a token with `remaining` life on the local clock.
    fn entry_expiring(&self, token: SessionToken, remaining: Duration) -> Entry {
        let now = Instant::now();
        let local_expiry = now + remaining;
        // Up to 10 % earlier, so entries minted together do not refresh together.
        let window = self
            .config
            .refresh_ahead
            .mul_f64(1.0 + 0.1 * fastrand::f64());
        // The fleet shares the wall-clock expiry: the token's own (never after its `exp`), so a
        // process that adopts it sees the same `expires_at` as the one that minted it.
        let by_lifetime = now_unix_ms().saturating_add(remaining.as_millis() as u64);
        let expires_at_ms = token
            .expires_at()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_millis() as u64);
        Entry {
            local_expiry,
            expires_unix_ms: by_lifetime.min(expires_at_ms),
            refresh_from: local_expiry.checked_sub(window).unwrap_or(now),
            token,
        }
    }

    /// An entry for a token found in the fleet store, if it has enough life left.
    fn adopt(&self, id: &str, mut stored: Stored) -> Option<Entry> {
        let remaining = Duration::from_millis(stored.expires_unix_ms.checked_sub(now_unix_ms())?);
        if remaining <= self.config.min_remaining {
            return None;
        }
        let at = |ms: u64| UNIX_EPOCH + Duration::from_millis(ms);
        let token = SessionToken::from_stored(
            std::mem::take(&mut stored.token),
            id.to_owned(),
            at(stored.expires_unix_ms),
            remaining,
            stored.refresh_token.take(),
            stored.refresh_expires_unix_ms.map(at),
        );
        Some(self.entry_expiring(token, remaining))
    }

    /// Writes `entry` to the fleet store (best effort: a failure is counted, not reported).
    async fn share(&self, id: &str, entry: &Entry) {
        let Some(store) = &self.store else { return };
        let keep = entry
            .local_expiry
            .saturating_duration_since(Instant::now())
            .saturating_sub(self.config.min_remaining);
        let stored = Stored {
            token: entry.token.token().to_owned(),
            expires_unix_ms: entry.expires_unix_ms,
            refresh_token: entry.token.refresh_token().map(str::to_owned),
            refresh_expires_unix_ms: entry.token.refresh_expires_at().map(|at| {
                at.duration_since(UNIX_EPOCH)
                    .map_or(0, |since| since.as_millis() as u64)
            }),
        };
        let _ = store.put(id, &stored, keep).await;
    }

    /// A token minted for a miss: Refold answers its current token unless forced, so one
    /// with `min_remaining` or less left (which the cache would not return) is replaced by a
    /// forced mint.
    async fn mint_usable<M, MF>(&self, mint: &M) -> Result<Entry, Error>
    where
        M: Fn(bool) -> MF,
        MF: Future<Output = Result<SessionToken, Error>>,
    {
        let token = mint(false).await?;
        if token.lifetime() > self.config.min_remaining {
            return Ok(self.entry(token));
        }
        mint(true).await.map(|token| self.entry(token))
    }

    /// A miss: the fleet store's token, else one mint for the whole fleet (the holder of the
    /// store's lock mints; the others wait for its token), else a direct mint.
    async fn load<M, MF>(&self, id: &str, mint: M) -> Result<Entry, Error>
    where
        M: Fn(bool) -> MF,
        MF: Future<Output = Result<SessionToken, Error>>,
    {
        let Some(store) = &self.store else {
            return self.mint_usable(&mint).await;
        };
        match store.get(id).await {
            Ok(Some(stored)) => {
                if let Some(entry) = self.adopt(id, stored) {
                    telemetry::note_cache(CacheOutcome::StoreHit);
                    return Ok(entry);
                }
            }
            Ok(None) => {}
            Err(StoreFailure) => {
                telemetry::note_cache(CacheOutcome::StoreError);
                return self.mint_usable(&mint).await;
            }
        }
        let held = match store.lock(id, self.lock_hold).await {
            Ok(Some(held)) => Some(held),
            Ok(None) => {
                // Another process mints: wait for its token, at most the lock's time.
                let deadline = Instant::now() + self.lock_hold + Duration::from_millis(100);
                let mut found = None;
                while found.is_none() && Instant::now() < deadline {
                    tokio::time::sleep(FLEET_POLL).await;
                    match store.get(id).await {
                        Ok(Some(stored)) => found = self.adopt(id, stored),
                        Ok(None) => {}
                        Err(StoreFailure) => break,
                    }
                }
                if let Some(entry) = found {
                    telemetry::note_cache(CacheOutcome::StoreHit);
                    return Ok(entry);
                }
                // The holder died or is too slow: take over if its lock is gone.
                store.lock(id, self.lock_hold).await.ok().flatten()
            }
            Err(StoreFailure) => None,
        };
        // Another process may have stored the token and released the lock between our first
        // look and taking the lock: look again before minting.
        if held.is_some() {
            if let Ok(Some(stored)) = store.get(id).await {
                if let Some(entry) = self.adopt(id, stored) {
                    if let Some(held) = held {
                        store.unlock(held).await;
                    }
                    return Ok(entry);
                }
            }
        }
        let result = self.mint_usable(&mint).await;
        if let Ok(entry) = &result {
            self.share(id, entry).await;
        }
        if let Some(held) = held {
            store.unlock(held).await;
        }
        result
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
        let old_expires_unix_ms = current.expires_unix_ms;
        runtime.spawn(async move {
            let Some(strong) = cache.upgrade() else {
                return;
            };
            // With a fleet store: adopt a newer token another process stored, or refresh
            // only while holding the account's lock, so one process refreshes for the fleet.
            let mut held = None;
            if let Some(store) = &strong.store {
                if let Ok(Some(stored)) = store.get(&id).await {
                    if stored.expires_unix_ms > old_expires_unix_ms + 1_000 {
                        if let Some(entry) = strong.adopt(&id, stored) {
                            strong.entries.insert(id.clone(), Arc::new(entry)).await;
                            strong.finish_refresh(&id, None);
                            return;
                        }
                    }
                }
                match store.lock(&id, strong.lock_hold).await {
                    Ok(Some(lock)) => held = Some(lock),
                    Ok(None) => {
                        strong.finish_refresh(&id, Some(FLEET_REFRESH_PAUSE));
                        return;
                    }
                    Err(StoreFailure) => {}
                }
            }
            drop(strong);
            let result = future.await;
            let Some(cache) = cache.upgrade() else {
                return;
            };
            if let (Some(_), Ok(token)) = (&cache.store, &result) {
                let entry = cache.entry(token.clone());
                cache.share(&id, &entry).await;
            }
            if let (Some(store), Some(lock)) = (&cache.store, held) {
                store.unlock(lock).await;
            }
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

    /// Drops `token` wherever it is cached: the entry of `claimed` (the token's
    /// `linked_account_id` claim) if it holds it, else any entry that does; and the fleet
    /// store's copy, if the store holds this very token.
    pub(crate) async fn forget_token(&self, token: &str, claimed: Option<String>) {
        let holds = |entry: &Entry| entry.token.token() == token;
        let mut id = match &claimed {
            Some(id) => self
                .entries
                .get(id)
                .await
                .filter(|entry| holds(entry))
                .map(|_| id.clone()),
            None => None,
        };
        if id.is_none() {
            id = self
                .entries
                .iter()
                .find(|(_, entry)| holds(entry))
                .map(|(id, _)| (*id).clone());
        }
        if let Some(id) = &id {
            self.entries.invalidate(id).await;
            self.forget_refresh(id);
        }
        let Some(store) = &self.store else { return };
        let Some(id) = id.or(claimed) else { return };
        if let Ok(Some(stored)) = store.get(&id).await {
            if stored.token == token {
                let _ = store.delete(&id).await;
            }
        }
    }

    pub(crate) async fn invalidate(&self, id: &str) {
        self.entries.invalidate(id).await;
        self.forget_refresh(id);
        if let Some(store) = &self.store {
            let _ = store.delete(id).await;
        }
    }

    pub(crate) async fn invalidate_all(&self) {
        if let Some(store) = &self.store {
            let _ = store.delete_all().await;
        }
        self.entries.invalidate_all();
        self.entries.run_pending_tasks().await;
        self.refreshing
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// The fleet store, when one is configured.
    pub(crate) fn store(&self) -> Option<&Arc<TokenStore>> {
        self.store.as_ref()
    }

    /// The counters, with the request budget's `budget`.
    pub(crate) async fn stats(&self, budget: BudgetStats) -> CacheStats {
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
            store_hits: self.store.as_ref().map_or(0, |store| store.hits()),
            store_errors: self.store.as_ref().map_or(0, |store| store.errors()),
            rate_limit_waits: budget.waits,
            rate_limit_wait_ms: budget.waited_ms,
            rate_limit_refused: budget.refused_locally,
            rate_limit_429s: budget.rejected_by_server,
            rate_limit_background_deferred: budget.background_deferred,
            rate_limit_fleet_fallbacks: budget.fleet_fallbacks,
        }
    }
}
