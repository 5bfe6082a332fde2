//! Pluggable request-path state: event-ID dedup leases and rate-limit budgets.
//!
//! The request path names only the traits here ([`DedupStore`], [`RateLimitStore`]); the gateway
//! builder picks an implementation per route (in memory by default, Redis when `[state]` is set).
//! Both traits are async because a shared store answers over the network; every call returns a
//! [`StoreError`] instead of blocking past its budget, and the route's `on_store_error` policy
//! decides what a failure means for the request (see PRODUCT.md, "Shared state across replicas").
//!
//! Dedup follows the lease pattern (as in pingora-cache's `CacheKeyLock`: lock → permit →
//! release): a claim either yields a [`Lease`] carrying a random owner token, or says the event is
//! a duplicate or in flight elsewhere. Only the lease's owner can commit or release it, so a late
//! answer from an expired claim can never free or overwrite another owner's claim. A lease that is
//! neither committed nor released expires on its own after the route's in-flight limit.

pub mod answer;
pub mod fallback;
pub mod gcra;
pub mod redis;

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sha2::{Digest, Sha256};

use crate::config::model::RateLimitSpec;

pub use answer::Answer;

pub mod memory;

/// An event ID as stores see it: the first 16 bytes of SHA-256 of the sender's ID string.
///
/// Stores never hold the sender's string, so a hostile ID cannot grow memory beyond 16 bytes per
/// entry, and the same ID maps to the same key on every replica.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventKey(pub u128);

impl EventKey {
    /// The key of `event_id`.
    pub fn of(event_id: &str) -> Self {
        let hash = Sha256::digest(event_id.as_bytes());
        EventKey(u128::from_le_bytes(
            hash[..16]
                .try_into()
                .expect("a SHA-256 digest has 32 bytes"),
        ))
    }

    /// 32 lowercase hex digits (for logs and debugging).
    pub fn hex(&self) -> String {
        format!("{:032x}", self.0)
    }

    /// The 64-bit form stores keep (the first 8 bytes of the SHA-256, little-endian): in-memory
    /// entries and Redis key names (as 8 raw bytes) use it to stay small.
    ///
    /// Why 64 bits is enough: a new ID is taken for a duplicate only when its digest equals one of
    /// the `n` IDs held (within `ttl`), probability `n / 2^64` per new ID — 5.4e-14 at 1 M held
    /// IDs, 5.4e-12 at 100 M (a shared Redis): one real event dropped per ~10^11 deliveries at
    /// the largest. (The birthday figure, some pair among all `n`, is `n² / 2^65` ≈ 2.7e-8 at
    /// 1 M, but a pair of old IDs colliding drops nothing.) IDs only reach a store after the
    /// signature verified, so only a sender holding the secret could search for a collision, and
    /// such a sender can drop its own events anyway.
    pub fn short(&self) -> u64 {
        self.0 as u64
    }
}

impl fmt::Debug for EventKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EventKey({})", self.hex())
    }
}

/// The random owner token of one claim: 128 bits, unique across replicas with overwhelming
/// probability.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct LeaseToken(pub u128);

impl fmt::Debug for LeaseToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The token is not secret, but it is noise in logs.
        f.write_str("LeaseToken(..)")
    }
}

/// Why a store call failed. Never carries a secret (no URL with a password, no key material).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The call did not finish within the store's `timeout`.
    #[error("state store call timed out")]
    Timeout,
    /// The circuit breaker is open after consecutive failures; the store was not called.
    #[error("state store circuit breaker is open")]
    BreakerOpen,
    /// The store answered with an error or could not be reached (cause, redacted).
    #[error("state store unavailable: {0}")]
    Unavailable(String),
}

/// The answer to [`DedupStore::claim`].
#[derive(Debug)]
pub enum ClaimOutcome {
    /// First of its ID: deliver it, then commit or release the lease.
    Claimed(Lease),
    /// Already delivered within the route's `ttl`: answer 200 duplicate.
    Duplicate,
    /// Another owner holds the claim: answer 409 with this `Retry-After` (whole seconds, ≥ 1).
    InFlight { retry_after_secs: u64 },
}

/// One route's event-ID dedup, shared by its requests and deliveries.
///
/// A handle is built per route by the gateway builder with that route's settings (`ttl`,
/// `max_entries`, in-flight limit); the data behind it may outlive the handle (a reload builds a
/// new handle over the same data).
// `len` answers `Option` (a shared store cannot count cheaply), so `is_empty` would not help.
#[allow(clippy::len_without_is_empty)]
#[async_trait]
pub trait DedupStore: Send + Sync + 'static {
    /// Claims `key`. On success the lease is held for at most the route's in-flight limit.
    ///
    /// Errors: [`StoreError`] when the store cannot answer; the caller applies the route's
    /// `on_store_error` policy.
    async fn claim(self: Arc<Self>, key: EventKey) -> Result<ClaimOutcome, StoreError>;

    /// Marks the leased ID as delivered for the route's `ttl`. Does nothing when the key no longer
    /// holds `token` (the lease expired and someone else claimed it, or it was evicted).
    async fn commit(&self, key: EventKey, token: LeaseToken) -> Result<(), StoreError>;

    /// Frees the leased ID so a retry is let through. Does nothing when the key no longer holds
    /// `token`.
    async fn release(&self, key: EventKey, token: LeaseToken) -> Result<(), StoreError>;

    /// [`DedupStore::claim`] as the request path calls it: a store that answers without I/O (in
    /// memory) overrides this to answer in place, so no future is boxed; the default awaits
    /// `claim`.
    fn answer_claim(
        self: Arc<Self>,
        key: EventKey,
    ) -> Answer<'static, Result<ClaimOutcome, StoreError>> {
        Answer::Pending(self.claim(key))
    }

    /// [`DedupStore::commit`] as [`Lease::commit`] calls it (see [`DedupStore::answer_claim`]).
    fn answer_commit(
        &self,
        key: EventKey,
        token: LeaseToken,
    ) -> Answer<'_, Result<(), StoreError>> {
        Answer::Pending(self.commit(key, token))
    }

    /// [`DedupStore::release`] as [`Lease::release`] calls it (see [`DedupStore::answer_claim`]).
    fn answer_release(
        &self,
        key: EventKey,
        token: LeaseToken,
    ) -> Answer<'_, Result<(), StoreError>> {
        Answer::Pending(self.release(key, token))
    }

    /// Called when a [`Lease`] is dropped without commit or release (an error path, a panic, a
    /// cancelled task). The default spawns [`DedupStore::release`] on the current tokio runtime
    /// when there is one; without a runtime the lease simply expires after the in-flight limit.
    /// In-memory stores override this to release inline.
    fn release_dropped(self: Arc<Self>, key: EventKey, token: LeaseToken) {
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                let _ = self.release(key, token).await;
            });
        }
    }

    /// [`Lease::commit_detached`]: marks the leased ID delivered without making the caller wait
    /// for the store. Until the commit lands the claim holds (a concurrent claim of the ID is
    /// answered "in flight"); a commit that fails is counted and logged by the store, and the
    /// claim then expires after the in-flight limit (a retry is delivered again: at-least-once).
    /// The default spawns [`DedupStore::commit`] on the current tokio runtime (without one the
    /// claim expires); in-memory stores commit inline; Redis batches commits
    /// ([`redis::committer`]).
    fn commit_detached(self: Arc<Self>, key: EventKey, token: LeaseToken) {
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                if let Err(e) = self.commit(key, token).await {
                    tracing::warn!(error = %e, "dedup commit failed; the claim expires after upstream_timeout");
                }
            });
        }
    }

    /// Waits until every commit handed to [`DedupStore::commit_detached`] before this call has
    /// landed or failed (a graceful stop calls it). The default has nothing pending.
    async fn flush_commits(&self) {}

    /// Entries held, for the `hookgate_dedup_entries` gauge; `None` when the store cannot tell
    /// cheaply (a shared store).
    fn len(&self) -> Option<usize>;

    /// A handle over the same data with new `settings`, for a reload that changed the route's
    /// dedup settings. The receiver keeps its own settings (it may still be serving). `None` —
    /// the default — means "build a fresh handle with [`StateBackend::dedup`]", which is right
    /// for stores whose data lives outside the handle (Redis).
    fn reconfigured(&self, _settings: &DedupSettings) -> Option<Arc<dyn DedupStore>> {
        None
    }

    /// The Redis handle behind this store, when it is one (so a claim can share a round trip
    /// with the route's rate limit: [`redis::joint`]). `None` — the default — for other stores.
    fn as_redis(&self) -> Option<&redis::RedisDedup> {
        None
    }
}

/// One route's dedup settings, as a store handle applies them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DedupSettings {
    /// How long a delivered ID stays a duplicate.
    pub ttl: Duration,
    /// Most IDs held at once (in-memory stores; the oldest delivered are evicted first).
    pub max_entries: usize,
    /// The longest a claim may stay in flight (the route's `upstream_timeout`).
    pub in_flight_limit: Duration,
}

/// Where a gateway's dedup and rate-limit stores come from. The gateway builder asks it for one
/// handle per route; it never names a concrete store type. [`memory::MemoryBackend`] is the
/// default; a `[state]` section selects another (see [`backend_for`]).
pub trait StateBackend: Send + Sync + 'static {
    /// A new dedup handle for `route` with `settings`. Handles of the same route built by the
    /// same backend share data only where the store's data lives outside the handle (Redis);
    /// in-memory data is carried over through [`DedupStore::reconfigured`].
    fn dedup(&self, route: &str, settings: &DedupSettings) -> Arc<dyn DedupStore>;

    /// A new rate-limit handle for `route` with a full budget (in memory) or the shared budget
    /// (Redis).
    fn rate_limit(&self, route: &str, spec: &RateLimitSpec) -> Arc<dyn RateLimitStore>;

    /// True when handles share state across replicas through a store that can fail (its
    /// failures then go through the routes' `on_store_error`).
    fn shared(&self) -> bool {
        false
    }

    /// Waits until the dedup commits handed over so far ([`DedupStore::commit_detached`]) have
    /// landed or failed: a graceful stop calls it once no request is in flight. In-memory
    /// stores commit inline, so the default has nothing to wait for.
    fn flush_commits(
        &self,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>> {
        Box::pin(async {})
    }
}

/// The backend a configuration asks for: Redis when `[state]` is set (its counters in
/// `metrics`), else in memory. Does no I/O: the Redis client connects on first use.
pub fn backend_for(
    config: &crate::config::Config,
    metrics: &redis::StateMetrics,
) -> Arc<dyn StateBackend> {
    match &config.state {
        None => Arc::new(memory::MemoryBackend),
        Some(settings) => Arc::new(
            redis::RedisBackend::new(settings, metrics.clone())
                .expect("the [state] url was validated with the same parser"),
        ),
    }
}

/// Proof of a claim: the key and the owner token, tied to the store that granted it.
///
/// A lease belongs to the delivery of its request, not to the request task: a queued delivery
/// carries it past the provider's answer. Dropping it without [`Lease::commit`] or
/// [`Lease::release`] releases it (see [`DedupStore::release_dropped`]).
pub struct Lease {
    store: Option<Arc<dyn DedupStore>>,
    key: EventKey,
    token: LeaseToken,
}

impl fmt::Debug for Lease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lease").field("key", &self.key).finish()
    }
}

impl Lease {
    /// A lease on `key` owned by `token`, granted by `store`. Only store implementations call this.
    pub fn new(store: Arc<dyn DedupStore>, key: EventKey, token: LeaseToken) -> Self {
        Lease {
            store: Some(store),
            key,
            token,
        }
    }

    pub fn key(&self) -> EventKey {
        self.key
    }

    pub fn token(&self) -> LeaseToken {
        self.token
    }

    /// The delivery succeeded (the upstream answered 2xx): the ID is a duplicate from now on.
    pub async fn commit(mut self) -> Result<(), StoreError> {
        match self.store.take() {
            Some(store) => store.answer_commit(self.key, self.token).await,
            None => Ok(()),
        }
    }

    /// The delivery succeeded: the ID is a duplicate once the store has the commit, which is
    /// sent after this returns (the request's answer does not wait on it; see
    /// [`DedupStore::commit_detached`] for what holds meanwhile and on failure).
    pub fn commit_detached(mut self) {
        if let Some(store) = self.store.take() {
            store.commit_detached(self.key, self.token);
        }
    }

    /// Hands the claim over without releasing it (to persist it beside a queued message, or to
    /// settle it through the store directly); the caller must then commit or release it.
    pub fn disarm(mut self) -> (EventKey, LeaseToken) {
        self.store = None;
        (self.key, self.token)
    }

    /// The delivery did not succeed (or was never attempted): let the provider's retry through.
    pub async fn release(mut self) -> Result<(), StoreError> {
        match self.store.take() {
            Some(store) => store.answer_release(self.key, self.token).await,
            None => Ok(()),
        }
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if let Some(store) = self.store.take() {
            store.release_dropped(self.key, self.token);
        }
    }
}

/// The answer to [`RateLimitStore::check`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateDecision {
    /// One unit of budget was taken.
    Allowed,
    /// Over the limit: answer 429 with this `Retry-After` (whole seconds, rounded up, ≥ 1).
    Limited { retry_after_secs: u64 },
}

/// Who made a [`RateDecision`]: only an answer from the store itself shows that a failing store
/// answers again (a replica's local pre-check refuses without asking it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecidedBy {
    /// The store answered (for the in-memory store: it always does).
    Store,
    /// This replica decided without a store call (the Redis store's local pre-check).
    Replica,
}

/// One route's rate limit (GCRA), per route or per client IP as the route's `key` says.
#[async_trait]
pub trait RateLimitStore: Send + Sync + 'static {
    /// Takes one unit of budget for a request from `client` (ignored when the limit is per route).
    async fn check(&self, client: IpAddr) -> Result<RateDecision, StoreError>;

    /// [`RateLimitStore::check`], saying who decided. The request path uses this, so that a
    /// refusal the replica decided alone is not taken for a store that answers again.
    async fn decide(&self, client: IpAddr) -> Result<(RateDecision, DecidedBy), StoreError> {
        self.check(client).await.map(|d| (d, DecidedBy::Store))
    }

    /// [`RateLimitStore::decide`] as the request path calls it: a store that answers without I/O
    /// (in memory) overrides this to answer in place, so no future is boxed; the default awaits
    /// `decide`.
    fn answer_decide(
        &self,
        client: IpAddr,
    ) -> Answer<'_, Result<(RateDecision, DecidedBy), StoreError>> {
        Answer::Pending(self.decide(client))
    }

    /// This replica's own decision with the same quota, for `on_store_error = "local"` after
    /// [`RateLimitStore::check`] failed. `None` when the store keeps no local state (then the
    /// request is let through).
    fn check_local(&self, _client: IpAddr) -> Option<RateDecision> {
        None
    }

    /// The Redis handle behind this store, when it is one (see [`DedupStore::as_redis`]).
    fn as_redis(&self) -> Option<&redis::RedisRateLimit> {
        None
    }
}

/// Retry-After in whole seconds from a wait: rounded up, at least 1 (RFC 9110 §10.2.3 allows
/// only whole seconds; rounding down would invite a retry that is refused again).
pub fn retry_after_secs(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_key_is_the_sha256_prefix() {
        // SHA-256("evt_1") begins 0x... ; the key is its first 16 bytes, little-endian.
        let hash = Sha256::digest(b"evt_1");
        let expected = u128::from_le_bytes(hash[..16].try_into().unwrap());
        assert_eq!(EventKey::of("evt_1"), EventKey(expected));
        assert_ne!(EventKey::of("evt_1"), EventKey::of("evt_2"));
        assert_eq!(EventKey::of("x").hex().len(), 32);
        // The short form is the digest's first 8 bytes.
        assert_eq!(
            EventKey::of("evt_1").short().to_le_bytes(),
            hash[..8],
            "short key = SHA-256 prefix"
        );
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(1000)), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(1001)), 2);
    }
}
