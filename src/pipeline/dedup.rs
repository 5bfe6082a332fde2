//! Event-ID dedup: where a retried or replayed delivery is decided.
//!
//! A verified request with an event ID *claims* it. The claim is *committed* when the upstream
//! answers 2xx (the ID is then "delivered" for `ttl`), and *released* on any other outcome, so the
//! provider's retry gets through. An in-flight claim expires by itself after `in_flight_limit`
//! (the route's `upstream_timeout`), so no path can leave an ID stuck.
//!
//! Memory is bounded: IDs are stored as 128-bit digests (not the sender's string), expired entries
//! are evicted as new ones arrive, and at `max_entries` the oldest delivered entries go first.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

/// A fixed-size digest of an event ID.
type IdKey = u128;

#[derive(Debug, Clone, Copy)]
enum State {
    /// Claimed by a request that is being forwarded; expires at this time (ms since `epoch`).
    InFlight { until_ms: u64, claim: u32 },
    /// Delivered (upstream answered 2xx); a duplicate until this time.
    Delivered { until_ms: u64 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DedupSettings {
    pub ttl: Duration,
    pub max_entries: usize,
    /// The longest a claim may stay in flight (the route's `upstream_timeout`).
    pub in_flight_limit: Duration,
}

/// The answer to a claim.
#[derive(Debug)]
pub enum ClaimResult {
    /// First of its ID: forward it, then commit or release the claim.
    Claimed(DedupClaim),
    /// Already delivered within `ttl`: answer 200 duplicate.
    Duplicate,
    /// Another request with this ID is being forwarded: answer 409 with this `Retry-After`.
    InFlight { retry_after_secs: u64 },
}

struct Inner {
    entries: HashMap<IdKey, State>,
    /// Delivered entries in commit order, which (with one `ttl`) is also expiry order. Items whose
    /// entry has since changed are skipped when popped.
    delivered_order: VecDeque<(IdKey, u64)>,
    next_claim: u32,
    settings: DedupSettings,
}

/// One route's dedup store. Shared by the route's requests; survives config reloads.
pub struct DedupStore {
    inner: Mutex<Inner>,
    epoch: Instant,
}

impl std::fmt::Debug for DedupStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DedupStore")
            .field("len", &self.len())
            .finish()
    }
}

impl DedupStore {
    pub fn new(settings: DedupSettings) -> Arc<Self> {
        Arc::new(DedupStore {
            inner: Mutex::new(Inner {
                entries: HashMap::new(),
                delivered_order: VecDeque::new(),
                next_claim: 0,
                settings,
            }),
            epoch: Instant::now(),
        })
    }

    /// Applies new settings after a reload; existing entries keep their expiry.
    pub fn update_settings(&self, settings: DedupSettings) {
        self.lock().settings = settings;
    }

    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Claims `event_id` for forwarding.
    pub fn claim(self: &Arc<Self>, event_id: &str) -> ClaimResult {
        self.claim_at(event_id, self.now_ms())
    }

    fn claim_at(self: &Arc<Self>, event_id: &str, now: u64) -> ClaimResult {
        let key = digest(event_id);
        let mut inner = self.lock();
        inner.evict_expired(now, 2);
        match inner.entries.get(&key) {
            Some(State::Delivered { until_ms }) if *until_ms > now => {
                return ClaimResult::Duplicate
            }
            Some(State::InFlight { until_ms, .. }) if *until_ms > now => {
                let left = until_ms - now;
                return ClaimResult::InFlight {
                    retry_after_secs: left.div_ceil(1000).max(1),
                };
            }
            _ => {}
        }
        if !inner.entries.contains_key(&key) {
            inner.make_room(now);
        }
        let claim = inner.next_claim;
        inner.next_claim = inner.next_claim.wrapping_add(1);
        let until_ms = now + inner.settings.in_flight_limit.as_millis() as u64;
        inner
            .entries
            .insert(key, State::InFlight { until_ms, claim });
        ClaimResult::Claimed(DedupClaim {
            store: Some(self.clone()),
            key,
            claim,
        })
    }

    fn commit(&self, key: IdKey, claim: u32) {
        let now = self.now_ms();
        let mut inner = self.lock();
        if !matches!(inner.entries.get(&key), Some(State::InFlight { claim: c, .. }) if *c == claim)
        {
            // The claim expired and the ID was claimed again, or evicted: its new owner decides.
            return;
        }
        let until_ms = now + inner.settings.ttl.as_millis() as u64;
        inner.entries.insert(key, State::Delivered { until_ms });
        inner.delivered_order.push_back((key, until_ms));
    }

    fn release(&self, key: IdKey, claim: u32) {
        let mut inner = self.lock();
        if matches!(inner.entries.get(&key), Some(State::InFlight { claim: c, .. }) if *c == claim)
        {
            inner.entries.remove(&key);
        }
    }

    fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the map half-updated in a way that matters
        // more than losing dedup, so keep serving.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Inner {
    /// Removes up to `budget` expired delivered entries from the front of the order.
    fn evict_expired(&mut self, now: u64, budget: usize) {
        for _ in 0..budget {
            match self.delivered_order.front() {
                Some(&(key, until)) if until <= now => {
                    self.delivered_order.pop_front();
                    self.remove_if_delivered_until(key, until);
                }
                _ => break,
            }
        }
    }

    /// At `max_entries`, evicts the oldest delivered entries (expired or not) until there is room.
    /// In-flight claims are never evicted; they are bounded by concurrent requests.
    fn make_room(&mut self, now: u64) {
        while self.entries.len() >= self.settings.max_entries {
            let Some((key, until)) = self.delivered_order.pop_front() else {
                break;
            };
            let _ = now;
            self.remove_if_delivered_until(key, until);
        }
        if self.delivered_order.len() > 2 * self.settings.max_entries.max(16) {
            // Re-commits after expiry can leave stale order items behind; drop them.
            let entries = &self.entries;
            self.delivered_order.retain(|(k, until)| {
                matches!(entries.get(k), Some(State::Delivered { until_ms }) if until_ms == until)
            });
        }
    }

    fn remove_if_delivered_until(&mut self, key: IdKey, until: u64) {
        if matches!(self.entries.get(&key), Some(State::Delivered { until_ms }) if *until_ms == until)
        {
            self.entries.remove(&key);
        }
    }
}

fn digest(event_id: &str) -> IdKey {
    let hash = Sha256::digest(event_id.as_bytes());
    u128::from_le_bytes(hash[..16].try_into().expect("32-byte digest"))
}

/// An in-flight claim. Dropping it without [`DedupClaim::commit`] releases it, so every path
/// (error, panic, cancelled task) lets the provider's retry through.
pub struct DedupClaim {
    store: Option<Arc<DedupStore>>,
    key: IdKey,
    claim: u32,
}

impl std::fmt::Debug for DedupClaim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DedupClaim")
    }
}

impl DedupClaim {
    /// The upstream answered 2xx: the ID is delivered.
    pub fn commit(mut self) {
        if let Some(store) = self.store.take() {
            store.commit(self.key, self.claim);
        }
    }

    /// The upstream did not take it: let a retry through.
    pub fn release(mut self) {
        if let Some(store) = self.store.take() {
            store.release(self.key, self.claim);
        }
    }
}

impl Drop for DedupClaim {
    fn drop(&mut self) {
        if let Some(store) = self.store.take() {
            store.release(self.key, self.claim);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(max_entries: usize) -> Arc<DedupStore> {
        DedupStore::new(DedupSettings {
            ttl: Duration::from_secs(60),
            max_entries,
            in_flight_limit: Duration::from_secs(30),
        })
    }

    fn claimed(r: ClaimResult) -> DedupClaim {
        match r {
            ClaimResult::Claimed(c) => c,
            other => panic!("expected a claim, got {other:?}"),
        }
    }

    #[test]
    fn claim_commit_then_duplicate() {
        let s = store(10);
        let c = claimed(s.claim_at("evt_1", 0));
        assert!(matches!(
            s.claim_at("evt_1", 1),
            ClaimResult::InFlight {
                retry_after_secs: 30
            }
        ));
        c.commit();
        assert!(matches!(s.claim_at("evt_1", 2), ClaimResult::Duplicate));
        // after ttl it is new again
        assert!(matches!(
            s.claim_at("evt_1", 60_001),
            ClaimResult::Claimed(_)
        ));
    }

    #[test]
    fn release_and_drop_let_the_retry_through() {
        let s = store(10);
        claimed(s.claim_at("a", 0)).release();
        let c = claimed(s.claim_at("a", 1));
        drop(c);
        assert!(matches!(s.claim_at("a", 2), ClaimResult::Claimed(_)));
    }

    #[test]
    fn in_flight_claim_expires_after_the_limit() {
        let s = store(10);
        let stale = claimed(s.claim_at("a", 0));
        let fresh = claimed(s.claim_at("a", 30_000));
        // the expired claim's late answer no longer decides anything
        stale.commit();
        assert!(matches!(
            s.claim_at("a", 30_001),
            ClaimResult::InFlight { .. }
        ));
        fresh.release();
        assert!(matches!(s.claim_at("a", 30_002), ClaimResult::Claimed(_)));
    }

    #[test]
    fn cap_evicts_oldest_delivered_first() {
        let s = store(3);
        for id in ["a", "b", "c"] {
            claimed(s.claim_at(id, 0)).commit();
        }
        assert_eq!(s.len(), 3);
        claimed(s.claim_at("d", 1)).commit();
        assert_eq!(s.len(), 3);
        assert!(
            matches!(s.claim_at("a", 2), ClaimResult::Claimed(_)),
            "oldest evicted"
        );
        assert!(matches!(s.claim_at("c", 2), ClaimResult::Duplicate));
    }

    #[test]
    fn expired_entries_are_evicted_as_new_ones_arrive() {
        let s = store(1000);
        for i in 0..100 {
            claimed(s.claim_at(&format!("e{i}"), 0)).commit();
        }
        // entries committed at ~now; ttl 60s
        let later = 10 * 60_000;
        for i in 0..60 {
            drop(s.claim_at(&format!("n{i}"), later));
        }
        assert!(s.len() < 100, "expired entries evicted, len {}", s.len());
    }
}
