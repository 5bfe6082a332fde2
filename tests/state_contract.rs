//! One contract, two implementations: the dedup and rate-limit semantics every
//! [`StateBackend`] must keep, run against the in-memory backend and against the Redis backend
//! (a real `redis-server`). "Two replicas" are two handles of the same route: for memory the one
//! process-local store (what a single replica sees), for Redis two separate clients sharing one
//! server. Redis-only behaviour (outages, OOM, key layout) is in `tests/state_redis.rs`.
//!
//! The Redis half needs redis-server: skipped with a message locally when it is missing, FAILS
//! under `CI=true`.

#[path = "common/redis.rs"]
mod common_redis;
#[path = "common/ports.rs"]
mod ports;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use common_redis::RedisServer;
use hookgate::config::model::{RateLimitOnError, RateLimitSpec};
use hookgate::config::state::StateSettings;
use hookgate::state::memory::MemoryBackend;
use hookgate::state::redis::{RedisBackend, StateMetrics};
use hookgate::state::{
    ClaimOutcome, DecidedBy, DedupSettings, DedupStore, EventKey, Lease, RateDecision,
    RateLimitStore, StateBackend, StoreError,
};

const ROUTE: &str = "contract";

/// Two replicas' views of one route.
trait Backend {
    fn dedup(&self, ttl: Duration, in_flight: Duration) -> [Arc<dyn DedupStore>; 2];
    fn rate_limit(&self, per_second: f64, burst: u32) -> [Arc<dyn RateLimitStore>; 2];
}

struct Memory;

impl Backend for Memory {
    fn dedup(&self, ttl: Duration, in_flight: Duration) -> [Arc<dyn DedupStore>; 2] {
        let store = MemoryBackend.dedup(ROUTE, &settings(ttl, in_flight));
        [store.clone(), store]
    }
    fn rate_limit(&self, per_second: f64, burst: u32) -> [Arc<dyn RateLimitStore>; 2] {
        let store = MemoryBackend.rate_limit(ROUTE, &spec(per_second, burst));
        [store.clone(), store]
    }
}

struct Redis {
    _server: RedisServer,
    replicas: [RedisBackend; 2],
}

impl Redis {
    fn start() -> Option<Redis> {
        let server = RedisServer::start(&[])?;
        let replica = || {
            RedisBackend::new(
                &StateSettings::for_url(&server.url()).unwrap(),
                StateMetrics::unregistered(),
            )
            .unwrap()
        };
        Some(Redis {
            replicas: [replica(), replica()],
            _server: server,
        })
    }
}

impl Backend for Redis {
    fn dedup(&self, ttl: Duration, in_flight: Duration) -> [Arc<dyn DedupStore>; 2] {
        self.replicas
            .each_ref()
            .map(|r| r.dedup(ROUTE, &settings(ttl, in_flight)))
    }
    fn rate_limit(&self, per_second: f64, burst: u32) -> [Arc<dyn RateLimitStore>; 2] {
        self.replicas
            .each_ref()
            .map(|r| r.rate_limit(ROUTE, &spec(per_second, burst)))
    }
}

fn settings(ttl: Duration, in_flight_limit: Duration) -> DedupSettings {
    DedupSettings {
        ttl,
        max_entries: 100_000,
        in_flight_limit,
    }
}

fn spec(per_second: f64, burst: u32) -> RateLimitSpec {
    RateLimitSpec {
        per_second,
        burst,
        per_client: false,
        on_store_error: RateLimitOnError::Local,
        shared: true,
    }
}

fn lease(outcome: Result<ClaimOutcome, StoreError>) -> Lease {
    match outcome {
        Ok(ClaimOutcome::Claimed(lease)) => lease,
        other => panic!("expected a claim, got {other:?}"),
    }
}

const HOUR: Duration = Duration::from_secs(3600);

async fn claim_in_flight_duplicate_release(backend: &dyn Backend) {
    let [a, b] = backend.dedup(HOUR, Duration::from_secs(30));
    let x = EventKey::of("evt_x");
    let claim = lease(a.clone().claim(x).await);
    assert!(matches!(
        b.clone().claim(x).await,
        Ok(ClaimOutcome::InFlight {
            retry_after_secs: 30
        })
    ));
    claim.commit().await.unwrap();
    for store in [&a, &b] {
        assert!(matches!(
            store.clone().claim(x).await,
            Ok(ClaimOutcome::Duplicate)
        ));
    }
    let y = EventKey::of("evt_y");
    lease(a.clone().claim(y).await).release().await.unwrap();
    lease(b.clone().claim(y).await);
}

async fn fifty_concurrent_claims_one_owner(backend: &dyn Backend) {
    let stores = backend.dedup(HOUR, Duration::from_secs(30));
    let key = EventKey::of("evt_race");
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let store = stores[i % 2].clone();
            tokio::spawn(async move { store.claim(key).await })
        })
        .collect();
    let mut owners = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(ClaimOutcome::Claimed(lease)) => {
                owners += 1;
                std::mem::forget(lease); // keep it held until the end
            }
            Ok(ClaimOutcome::InFlight { retry_after_secs }) => assert!(retry_after_secs >= 1),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(owners, 1);
}

async fn late_commit_and_release_never_touch_the_new_owner(backend: &dyn Backend) {
    let [a, b] = backend.dedup(HOUR, Duration::from_millis(200));
    let x = EventKey::of("evt_slow");
    let stale = lease(a.clone().claim(x).await);
    let stale_token = stale.token();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let owner = lease(b.clone().claim(x).await);
    stale.commit().await.unwrap();
    assert!(
        matches!(a.clone().claim(x).await, Ok(ClaimOutcome::InFlight { .. })),
        "a late commit must not mark the new owner's claim delivered"
    );
    Lease::new(a.clone(), x, stale_token)
        .release()
        .await
        .unwrap();
    assert!(
        matches!(a.clone().claim(x).await, Ok(ClaimOutcome::InFlight { .. })),
        "a late release must not free the new owner's claim"
    );
    owner.commit().await.unwrap();
    assert!(matches!(
        a.clone().claim(x).await,
        Ok(ClaimOutcome::Duplicate)
    ));
}

async fn delivered_ids_expire_after_ttl(backend: &dyn Backend) {
    let [a, b] = backend.dedup(Duration::from_millis(300), Duration::from_secs(30));
    let x = EventKey::of("evt_ttl");
    lease(a.clone().claim(x).await).commit().await.unwrap();
    assert!(matches!(
        b.clone().claim(x).await,
        Ok(ClaimOutcome::Duplicate)
    ));
    tokio::time::sleep(Duration::from_millis(400)).await;
    lease(b.clone().claim(x).await);
}

async fn burst_then_limited_across_replicas(backend: &dyn Backend) {
    let [a, b] = backend.rate_limit(0.5, 5);
    let ip: IpAddr = "192.0.2.1".parse().unwrap();
    for i in 0..5 {
        let store = if i % 2 == 0 { &a } else { &b };
        assert_eq!(
            store.check(ip).await.unwrap(),
            RateDecision::Allowed,
            "#{i}"
        );
    }
    for store in [&a, &b] {
        assert_eq!(
            store.check(ip).await.unwrap(),
            RateDecision::Limited {
                retry_after_secs: 2
            },
            "N+1 is limited, Retry-After = ceil(T)"
        );
    }
}

/// The request path's entry points (`answer_claim`, `answer_decide`; `Lease::commit` and
/// `release` go through `answer_commit` and `answer_release`) keep the contract: the in-memory
/// stores answer them in place (`Answer::Ready`, no boxed future), Redis through its async calls.
async fn answer_entry_points_keep_the_contract(backend: &dyn Backend) {
    let [a, b] = backend.dedup(HOUR, Duration::from_secs(30));
    let x = EventKey::of("evt_answer");
    let claim = lease(a.clone().answer_claim(x).await);
    assert!(matches!(
        b.clone().answer_claim(x).await,
        Ok(ClaimOutcome::InFlight {
            retry_after_secs: 30
        })
    ));
    claim.commit().await.unwrap();
    assert!(matches!(
        b.clone().answer_claim(x).await,
        Ok(ClaimOutcome::Duplicate)
    ));
    let y = EventKey::of("evt_answer_released");
    lease(b.clone().answer_claim(y).await)
        .release()
        .await
        .unwrap();
    lease(a.clone().answer_claim(y).await);

    let [a, b] = backend.rate_limit(0.5, 2);
    let ip: IpAddr = "192.0.2.9".parse().unwrap();
    for store in [&a, &b] {
        assert_eq!(
            store.answer_decide(ip).await.unwrap(),
            (RateDecision::Allowed, DecidedBy::Store)
        );
    }
    assert_eq!(
        a.answer_decide(ip).await.unwrap().0,
        RateDecision::Limited {
            retry_after_secs: 2
        }
    );
}

/// The request path's commit (`Lease::commit_detached`: sent after the client's answer; Redis
/// batches it with other requests' commits). Until it lands the claim holds: another replica's
/// claim is "in flight" or, once landed, a duplicate — never a second owner. After
/// `flush_commits` (what a graceful stop waits for) the ID is a duplicate everywhere.
async fn a_detached_commit_holds_the_claim_until_it_lands(backend: &dyn Backend) {
    let [a, b] = backend.dedup(HOUR, Duration::from_secs(30));
    let x = EventKey::of("evt_detached");
    lease(a.clone().claim(x).await).commit_detached();
    match b.clone().claim(x).await {
        Ok(ClaimOutcome::InFlight { .. } | ClaimOutcome::Duplicate) => {}
        other => panic!("a claim whose commit is pending must hold, got {other:?}"),
    }
    a.flush_commits().await;
    for store in [&a, &b] {
        assert!(matches!(
            store.clone().claim(x).await,
            Ok(ClaimOutcome::Duplicate)
        ));
    }
}

/// Many commits handed over at once (one batch on Redis) all land, each on its own key.
async fn many_detached_commits_all_land(backend: &dyn Backend) {
    let [a, b] = backend.dedup(HOUR, Duration::from_secs(30));
    let keys: Vec<EventKey> = (0..300)
        .map(|i| EventKey::of(&format!("evt_batch_{i}")))
        .collect();
    let mut leases = Vec::new();
    for key in &keys {
        leases.push(lease(a.clone().claim(*key).await));
    }
    leases.into_iter().for_each(Lease::commit_detached);
    a.flush_commits().await;
    for key in &keys {
        assert!(matches!(
            b.clone().claim(*key).await,
            Ok(ClaimOutcome::Duplicate)
        ));
    }
}

macro_rules! contract {
    ($($case:ident),* $(,)?) => {
        mod memory {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::$case(&super::Memory).await
                }
            )*
        }
        mod redis {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let Some(backend) = super::Redis::start() else { return };
                    super::$case(&backend).await
                }
            )*
        }
    };
}

contract!(
    claim_in_flight_duplicate_release,
    fifty_concurrent_claims_one_owner,
    late_commit_and_release_never_touch_the_new_owner,
    delivered_ids_expire_after_ttl,
    burst_then_limited_across_replicas,
    answer_entry_points_keep_the_contract,
    a_detached_commit_holds_the_claim_until_it_lands,
    many_detached_commits_all_land,
);
