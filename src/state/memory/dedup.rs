//! In-memory event-ID dedup: where a retried or replayed delivery is decided, per replica.
//!
//! A verified request with an event ID *claims* it. The claim is *committed* when the upstream
//! answers 2xx (the ID is then "delivered" for `ttl`), and *released* on any other outcome, so the
//! provider's retry gets through. An in-flight claim expires by itself after `in_flight_limit`
//! (the route's `upstream_timeout`), so no path can leave an ID stuck.
//!
//! Memory is bounded: IDs are stored as 64-bit digests ([`EventKey::short`], which argues why 64
//! bits suffice), never the sender's string; expired entries are evicted as new ones arrive, and
//! at `max_entries` the oldest delivered entries go first. An entry is 16 bytes (key and a packed
//! state) in the map plus 16 in the delivery order: about 53 bytes per entry at 1 M entries with
//! the map's spare capacity (`cargo bench --bench dedup_memory`; 102.8 with 128-bit keys and an
//! unpacked state before issue 24).
//!
//! The data lives behind an `Arc` shared by every handle of the route: a reload builds a new
//! handle with the new settings over the same data ([`DedupStore::reconfigured`]) and the running
//! handle keeps its own settings until the new configuration is swapped in.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use async_trait::async_trait;

use crate::state::{
    Answer, ClaimOutcome, DedupSettings, DedupStore, EventKey, Lease, LeaseToken, StoreError,
};

#[derive(Debug, Clone, Copy)]
enum State {
    /// Claimed by a delivery in progress; expires at this time (ms since `epoch`).
    InFlight { until_ms: u64, claim: u32 },
    /// Delivered (upstream answered 2xx); a duplicate until this time.
    Delivered { until_ms: u64 },
}

/// Bits of a packed expiry: ms since the store's epoch, 2^40 ms ≈ 34 years of uptime.
const UNTIL_BITS: u32 = 40;
const UNTIL_MASK: u64 = (1 << UNTIL_BITS) - 1;
/// Bits of a packed claim number. Claim numbers wrap after 2^23 claims; a late commit or release
/// of an expired claim could only hit a later claim of the same ID with the same number, which
/// takes 2^23 claims within one in-flight limit (280,000 claims/s for 30 s).
const CLAIM_BITS: u32 = 23;
const CLAIM_MASK: u32 = (1 << CLAIM_BITS) - 1;
const IN_FLIGHT: u64 = 1 << 63;

/// A [`State`] in 64 bits: the top bit says in flight, then the claim number (23 bits), then the
/// expiry (40 bits).
#[derive(Debug, Clone, Copy)]
struct Packed(u64);

impl Packed {
    fn delivered(until_ms: u64) -> Packed {
        Packed(until_ms.min(UNTIL_MASK))
    }

    fn in_flight(until_ms: u64, claim: u32) -> Packed {
        let claim = u64::from(claim & CLAIM_MASK) << UNTIL_BITS;
        Packed(IN_FLIGHT | claim | until_ms.min(UNTIL_MASK))
    }

    fn state(self) -> State {
        let until_ms = self.0 & UNTIL_MASK;
        if self.0 & IN_FLIGHT == 0 {
            State::Delivered { until_ms }
        } else {
            let claim = (self.0 >> UNTIL_BITS) as u32 & CLAIM_MASK;
            State::InFlight { until_ms, claim }
        }
    }
}

struct Inner {
    entries: HashMap<u64, Packed>,
    /// Delivered entries in commit order, which (with one `ttl`) is also expiry order. Items whose
    /// entry has since changed are skipped when popped.
    delivered_order: VecDeque<(u64, u64)>,
    next_claim: u32,
}

impl Inner {
    fn state(&self, key: u64) -> Option<State> {
        self.entries.get(&key).map(|p| p.state())
    }
}

/// The entries of one route, shared by its handles across reloads.
struct Data {
    inner: Mutex<Inner>,
    epoch: Instant,
}

/// One route's in-memory dedup handle: shared data plus this handle's settings.
pub struct MemoryDedup {
    data: Arc<Data>,
    settings: DedupSettings,
}

impl std::fmt::Debug for MemoryDedup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryDedup")
            .field("len", &self.entries())
            .field("settings", &self.settings)
            .finish()
    }
}

impl MemoryDedup {
    pub fn new(settings: DedupSettings) -> Arc<Self> {
        Arc::new(MemoryDedup {
            data: Arc::new(Data {
                inner: Mutex::new(Inner {
                    entries: HashMap::new(),
                    delivered_order: VecDeque::new(),
                    next_claim: 0,
                }),
                epoch: Instant::now(),
            }),
            settings,
        })
    }

    pub fn settings(&self) -> DedupSettings {
        self.settings
    }

    /// Entries held (delivered and in flight).
    pub fn entries(&self) -> usize {
        self.lock().entries.len()
    }

    /// Claims `event_id` now, without an executor (benchmarks; the trait's `claim` is the same).
    pub fn claim_now(self: &Arc<Self>, event_id: &str) -> ClaimOutcome {
        self.claim_at(EventKey::of(event_id), self.now_ms())
    }

    /// Commits a lease granted by this store now, without an executor (benchmarks).
    pub fn commit_now(&self, lease: Lease) {
        let (key, token) = lease.disarm();
        self.commit_at(key, token, self.now_ms());
    }

    fn claim_at(self: &Arc<Self>, key: EventKey, now: u64) -> ClaimOutcome {
        let mut inner = self.lock();
        inner.evict_expired(now, 2);
        match inner.state(key.short()) {
            Some(State::Delivered { until_ms }) if until_ms > now => {
                return ClaimOutcome::Duplicate
            }
            Some(State::InFlight { until_ms, .. }) if until_ms > now => {
                let left = until_ms - now;
                return ClaimOutcome::InFlight {
                    retry_after_secs: left.div_ceil(1000).max(1),
                };
            }
            _ => {}
        }
        if !inner.entries.contains_key(&key.short()) {
            inner.make_room(self.settings.max_entries);
        }
        let claim = inner.next_claim;
        inner.next_claim = inner.next_claim.wrapping_add(1) & CLAIM_MASK;
        let until_ms = now + self.settings.in_flight_limit.as_millis() as u64;
        inner
            .entries
            .insert(key.short(), Packed::in_flight(until_ms, claim));
        drop(inner);
        let store: Arc<dyn DedupStore> = self.clone();
        ClaimOutcome::Claimed(Lease::new(store, key, LeaseToken(u128::from(claim))))
    }

    fn commit_at(&self, key: EventKey, token: LeaseToken, now: u64) {
        let mut inner = self.lock();
        if !inner.holds(key, token) {
            // The claim expired and the ID was claimed again, or evicted: its new owner decides.
            return;
        }
        let until_ms = (now + self.settings.ttl.as_millis() as u64).min(UNTIL_MASK);
        inner
            .entries
            .insert(key.short(), Packed::delivered(until_ms));
        inner.delivered_order.push_back((key.short(), until_ms));
    }

    fn release_now(&self, key: EventKey, token: LeaseToken) {
        let mut inner = self.lock();
        if inner.holds(key, token) {
            inner.entries.remove(&key.short());
        }
    }

    fn now_ms(&self) -> u64 {
        self.data.epoch.elapsed().as_millis() as u64
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the map half-updated in a way that matters
        // more than losing dedup, so keep serving.
        self.data.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[async_trait]
impl DedupStore for MemoryDedup {
    async fn claim(self: Arc<Self>, key: EventKey) -> Result<ClaimOutcome, StoreError> {
        let now = self.now_ms();
        Ok(self.claim_at(key, now))
    }

    async fn commit(&self, key: EventKey, token: LeaseToken) -> Result<(), StoreError> {
        self.commit_at(key, token, self.now_ms());
        Ok(())
    }

    async fn release(&self, key: EventKey, token: LeaseToken) -> Result<(), StoreError> {
        self.release_now(key, token);
        Ok(())
    }

    // No I/O: the request path's calls are answered in place, no boxed future (`Answer`).
    fn answer_claim(
        self: Arc<Self>,
        key: EventKey,
    ) -> Answer<'static, Result<ClaimOutcome, StoreError>> {
        let now = self.now_ms();
        Answer::ready(Ok(self.claim_at(key, now)))
    }

    fn answer_commit(
        &self,
        key: EventKey,
        token: LeaseToken,
    ) -> Answer<'_, Result<(), StoreError>> {
        self.commit_at(key, token, self.now_ms());
        Answer::ready(Ok(()))
    }

    fn answer_release(
        &self,
        key: EventKey,
        token: LeaseToken,
    ) -> Answer<'_, Result<(), StoreError>> {
        self.release_now(key, token);
        Answer::ready(Ok(()))
    }

    fn commit_detached(self: Arc<Self>, key: EventKey, token: LeaseToken) {
        // No I/O: commit inline, so the ID is a duplicate before the client has its answer.
        self.commit_at(key, token, self.now_ms());
    }

    fn release_dropped(self: Arc<Self>, key: EventKey, token: LeaseToken) {
        // No I/O: release inline, so a dropped lease frees the ID before the next request.
        self.release_now(key, token);
    }

    fn len(&self) -> Option<usize> {
        Some(self.entries())
    }

    fn reconfigured(&self, settings: &DedupSettings) -> Option<Arc<dyn DedupStore>> {
        Some(Arc::new(MemoryDedup {
            data: self.data.clone(),
            settings: *settings,
        }))
    }
}

impl Inner {
    fn holds(&self, key: EventKey, token: LeaseToken) -> bool {
        matches!(self.state(key.short()), Some(State::InFlight { claim, .. }) if u128::from(claim) == token.0)
    }

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
    fn make_room(&mut self, max_entries: usize) {
        while self.entries.len() >= max_entries {
            let Some((key, until)) = self.delivered_order.pop_front() else {
                break;
            };
            self.remove_if_delivered_until(key, until);
        }
        if self.delivered_order.len() > 2 * max_entries.max(16) {
            // Re-commits after expiry can leave stale order items behind; drop them.
            let entries = &self.entries;
            self.delivered_order.retain(|(k, until)| {
                matches!(entries.get(k).map(|p| p.state()), Some(State::Delivered { until_ms }) if until_ms == *until)
            });
        }
    }

    fn remove_if_delivered_until(&mut self, key: u64, until: u64) {
        if matches!(self.state(key), Some(State::Delivered { until_ms }) if until_ms == until) {
            self.entries.remove(&key);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn store(max_entries: usize) -> Arc<MemoryDedup> {
        MemoryDedup::new(DedupSettings {
            ttl: Duration::from_secs(60),
            max_entries,
            in_flight_limit: Duration::from_secs(30),
        })
    }

    fn claim_at(s: &Arc<MemoryDedup>, id: &str, now: u64) -> ClaimOutcome {
        s.claim_at(EventKey::of(id), now)
    }

    fn claimed(r: ClaimOutcome) -> Lease {
        match r {
            ClaimOutcome::Claimed(c) => c,
            other => panic!("expected a claim, got {other:?}"),
        }
    }

    /// The request path's calls never box a future on the in-memory store (issue 24: four
    /// `async_trait` boxes per request were the state's allocations).
    #[test]
    fn request_path_calls_are_answered_in_place() {
        let s = store(10);
        let dyn_store: Arc<dyn DedupStore> = s.clone();
        let key = EventKey::of("evt_now");
        let lease = match dyn_store.clone().answer_claim(key) {
            Answer::Ready(Some(Ok(ClaimOutcome::Claimed(lease)))) => lease,
            other => panic!("expected a claim answered in place, got {other:?}"),
        };
        assert!(matches!(
            dyn_store.clone().answer_claim(key),
            Answer::Ready(Some(Ok(ClaimOutcome::InFlight { .. })))
        ));
        let (k, token) = lease.disarm();
        assert!(matches!(
            dyn_store.answer_commit(k, token),
            Answer::Ready(Some(Ok(())))
        ));
        assert!(matches!(
            dyn_store.clone().answer_claim(key),
            Answer::Ready(Some(Ok(ClaimOutcome::Duplicate)))
        ));
        let other = EventKey::of("evt_released");
        let (k, token) = claimed(s.claim_at(other, s.now_ms())).disarm();
        assert!(matches!(
            dyn_store.answer_release(k, token),
            Answer::Ready(Some(Ok(())))
        ));
        assert!(matches!(
            dyn_store.answer_claim(other),
            Answer::Ready(Some(Ok(ClaimOutcome::Claimed(_))))
        ));
    }

    #[test]
    fn packed_state_round_trips_in_16_bytes_an_entry() {
        let p = Packed::in_flight(123_456, CLAIM_MASK);
        assert!(
            matches!(p.state(), State::InFlight { until_ms: 123_456, claim } if claim == CLAIM_MASK)
        );
        let d = Packed::delivered(UNTIL_MASK);
        assert!(matches!(d.state(), State::Delivered { until_ms } if until_ms == UNTIL_MASK));
        assert_eq!(std::mem::size_of::<(u64, Packed)>(), 16);
    }

    #[tokio::test]
    async fn claim_commit_then_duplicate() {
        let s = store(10);
        let c = claimed(claim_at(&s, "evt_1", 0));
        assert!(matches!(
            claim_at(&s, "evt_1", 1),
            ClaimOutcome::InFlight {
                retry_after_secs: 30
            }
        ));
        let (key, token) = c.disarm();
        s.commit_at(key, token, 2);
        assert!(matches!(claim_at(&s, "evt_1", 2), ClaimOutcome::Duplicate));
        // after ttl it is new again
        assert!(matches!(
            claim_at(&s, "evt_1", 60_003),
            ClaimOutcome::Claimed(_)
        ));
    }

    #[tokio::test]
    async fn release_and_drop_let_the_retry_through() {
        let s = store(10);
        claimed(claim_at(&s, "a", 0)).release().await.unwrap();
        let c = claimed(claim_at(&s, "a", 1));
        drop(c);
        assert!(matches!(claim_at(&s, "a", 2), ClaimOutcome::Claimed(_)));
    }

    #[tokio::test]
    async fn in_flight_claim_expires_after_the_limit() {
        let s = store(10);
        let stale = claimed(claim_at(&s, "a", 0));
        let fresh = claimed(claim_at(&s, "a", 30_000));
        // the expired claim's late answer no longer decides anything
        stale.commit().await.unwrap();
        assert!(matches!(
            claim_at(&s, "a", 30_001),
            ClaimOutcome::InFlight { .. }
        ));
        fresh.release().await.unwrap();
        assert!(matches!(
            claim_at(&s, "a", 30_002),
            ClaimOutcome::Claimed(_)
        ));
    }

    #[test]
    fn cap_evicts_oldest_delivered_first() {
        let s = store(3);
        for id in ["a", "b", "c"] {
            s.commit_now(claimed(claim_at(&s, id, 0)));
        }
        assert_eq!(s.entries(), 3);
        s.commit_now(claimed(claim_at(&s, "d", 1)));
        assert_eq!(s.entries(), 3);
        assert!(
            matches!(claim_at(&s, "a", 2), ClaimOutcome::Claimed(_)),
            "oldest evicted"
        );
        assert!(matches!(claim_at(&s, "c", 2), ClaimOutcome::Duplicate));
    }

    #[test]
    fn expired_entries_are_evicted_as_new_ones_arrive() {
        let s = store(1000);
        for i in 0..100 {
            s.commit_now(claimed(claim_at(&s, &format!("e{i}"), 0)));
        }
        // entries committed at ~now; ttl 60s
        let later = 10 * 60_000;
        for i in 0..60 {
            drop(claim_at(&s, &format!("n{i}"), later));
        }
        assert!(
            s.entries() < 100,
            "expired entries evicted, len {}",
            s.entries()
        );
    }

    #[test]
    fn a_reconfigured_handle_shares_data_and_leaves_the_running_one_alone() {
        let s = store(10);
        s.commit_now(claimed(claim_at(&s, "kept", 0)));
        let shorter = DedupSettings {
            ttl: Duration::from_secs(1),
            ..s.settings()
        };
        let new = s
            .reconfigured(&shorter)
            .expect("memory stores carry their data");
        assert_eq!(new.len(), Some(1), "same data");
        // The running handle still commits with its own 60 s TTL.
        s.commit_now(claimed(claim_at(&s, "y", 0)));
        assert!(matches!(claim_at(&s, "y", 2_000), ClaimOutcome::Duplicate));
    }
}
