//! Contract tests of the shared store against a real `redis-server` (started per test, see
//! `common/redis.rs`), driving the store API directly. Each "replica" is its own
//! [`RedisClient`] (own connection, own breaker, own metrics), as two gateway processes would be.
//!
//! Needs redis-server: skipped with a message locally when it is missing, FAILS under `CI=true`.

#[path = "common/redis.rs"]
mod common_redis;
#[path = "common/ports.rs"]
mod ports;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common_redis::RedisServer;
use hookgate::config::state::{BreakerSettings, StateSettings};
use hookgate::state::gcra::Gcra;
use hookgate::state::redis::{
    joint, CallResult, Op, RedisClient, RedisDedup, RedisRateLimit, StateMetrics,
};
use hookgate::state::{
    ClaimOutcome, DedupStore, EventKey, Lease, RateDecision, RateLimitStore, StoreError,
};
use prometheus::Registry;
use redis::Commands;

const ROUTE: &str = "orders";

/// One gateway's view of the shared store.
struct Replica {
    client: Arc<RedisClient>,
    registry: Registry,
}

impl Replica {
    fn new(url: &str) -> Replica {
        Self::with(url, |_| {})
    }

    fn with(url: &str, tweak: impl FnOnce(&mut StateSettings)) -> Replica {
        let mut settings = StateSettings::for_url(url).unwrap();
        settings.prefix = "test".into();
        tweak(&mut settings);
        let registry = Registry::new();
        let metrics = StateMetrics::register(&registry).unwrap();
        Replica {
            client: RedisClient::new(&settings, metrics).unwrap(),
            registry,
        }
    }

    fn dedup(&self, ttl: Duration, in_flight: Duration) -> Arc<dyn DedupStore> {
        RedisDedup::new(self.client.clone(), ROUTE, ttl, in_flight)
    }

    fn rate(
        &self,
        per_second: f64,
        burst: u32,
        per_client: bool,
        precheck: bool,
    ) -> Arc<RedisRateLimit> {
        RedisRateLimit::new(
            self.client.clone(),
            ROUTE,
            Gcra::new(per_second, burst),
            per_client,
            precheck,
        )
    }

    fn count(&self, op: Op, result: CallResult) -> u64 {
        self.client.metrics().get(op, result)
    }

    /// The registry's text exposition (what /metrics would show).
    fn exposition(&self) -> String {
        let mut out = Vec::new();
        prometheus::Encoder::encode(
            &prometheus::TextEncoder::new(),
            &self.registry.gather(),
            &mut out,
        )
        .unwrap();
        String::from_utf8(out).unwrap()
    }
}

fn lease(outcome: Result<ClaimOutcome, StoreError>) -> Lease {
    match outcome {
        Ok(ClaimOutcome::Claimed(lease)) => lease,
        other => panic!("expected a claim, got {other:?}"),
    }
}

/// The Redis key of `key` on [`ROUTE`] under prefix `test`: `test:orders:d:` and the SHA-256's
/// first 8 bytes, raw (issue 24: 8 raw bytes instead of 32 hex digits).
fn dedup_key(key: EventKey) -> Vec<u8> {
    let mut name = format!("test:{ROUTE}:d:").into_bytes();
    name.extend_from_slice(&key.short().to_le_bytes());
    name
}

const MINUTE: Duration = Duration::from_secs(60);
fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

#[tokio::test]
async fn claim_then_in_flight_then_duplicate_across_replicas() {
    let Some(redis) = RedisServer::start(&[]) else {
        return;
    };
    let (a, b) = (Replica::new(&redis.url()), Replica::new(&redis.url()));
    let (da, db) = (
        a.dedup(MINUTE, Duration::from_secs(30)),
        b.dedup(MINUTE, Duration::from_secs(30)),
    );
    let x = EventKey::of("evt_x");

    let claim = lease(da.clone().claim(x).await);
    match db.clone().claim(x).await {
        Ok(ClaimOutcome::InFlight { retry_after_secs }) => assert_eq!(retry_after_secs, 30),
        other => panic!("B must see A's claim in flight, got {other:?}"),
    }
    claim.commit().await.unwrap();
    assert!(matches!(
        db.clone().claim(x).await,
        Ok(ClaimOutcome::Duplicate)
    ));
    assert!(matches!(
        da.clone().claim(x).await,
        Ok(ClaimOutcome::Duplicate)
    ));

    // A release lets the retry through on the other replica.
    let y = EventKey::of("evt_y");
    lease(da.clone().claim(y).await).release().await.unwrap();
    let by = lease(db.clone().claim(y).await);

    // A dropped lease is released too (in the background).
    drop(by);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match da.clone().claim(y).await {
            Ok(ClaimOutcome::Claimed(_)) => break,
            Ok(ClaimOutcome::InFlight { .. }) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(10)).await
            }
            other => panic!("a dropped lease must be released, got {other:?}"),
        }
    }

    // The sender's ID is not stored, only the digest; keys live under prefix and route.
    let mut conn = redis.conn();
    let keys: Vec<Vec<u8>> = conn.keys("*").unwrap();
    assert!(keys.contains(&dedup_key(x)), "{keys:?}");
    assert!(
        keys.iter().all(|k| !k.windows(4).any(|w| w == b"evt_")),
        "{keys:?}"
    );
    // Delivered IDs hold the integer 1 (Redis's shared object), not a string.
    let encoding: String = redis::cmd("OBJECT")
        .arg("ENCODING")
        .arg(dedup_key(x))
        .query(&mut conn)
        .unwrap();
    assert_eq!(encoding, "int");
    assert_eq!(a.count(Op::Commit, CallResult::Ok), 1);
    // B counts its background release when the answer arrives, which may be just after A's
    // claim saw the key gone.
    let deadline = Instant::now() + Duration::from_secs(5);
    while b.count(Op::Release, CallResult::Ok) == 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(b.count(Op::Release, CallResult::Ok), 1, "the dropped lease");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_claims_on_two_replicas_yield_one_owner() {
    let Some(redis) = RedisServer::start(&[]) else {
        return;
    };
    let (a, b) = (Replica::new(&redis.url()), Replica::new(&redis.url()));
    let stores = [
        a.dedup(MINUTE, Duration::from_secs(30)),
        b.dedup(MINUTE, Duration::from_secs(30)),
    ];
    for round in 0..5 {
        let key = EventKey::of(&format!("evt_race_{round}"));
        let tasks: Vec<_> = (0..50)
            .map(|i| {
                let store = stores[i % 2].clone();
                tokio::spawn(async move { store.claim(key).await })
            })
            .collect();
        let mut claimed = Vec::new();
        let mut in_flight = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(ClaimOutcome::Claimed(l)) => claimed.push(l),
                Ok(ClaimOutcome::InFlight { retry_after_secs }) => {
                    assert!(retry_after_secs >= 1);
                    in_flight += 1
                }
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(claimed.len(), 1, "round {round}: exactly one owner");
        assert_eq!(in_flight, 49);
        claimed.pop().unwrap().commit().await.unwrap();
    }
}

#[tokio::test]
async fn late_commit_or_release_of_an_expired_claim_never_touches_the_new_owner() {
    let Some(redis) = RedisServer::start(&[]) else {
        return;
    };
    let (a, b) = (Replica::new(&redis.url()), Replica::new(&redis.url()));
    let in_flight = Duration::from_millis(200);
    let (da, db) = (a.dedup(MINUTE, in_flight), b.dedup(MINUTE, in_flight));
    let x = EventKey::of("evt_slow");
    let redis_key = dedup_key(x);
    let mut conn = redis.conn();

    let stale = lease(da.clone().claim(x).await);
    let a_token = stale.token();
    let pttl: i64 = conn.pttl(&redis_key).unwrap();
    assert!(
        (1..=200).contains(&pttl),
        "a claim never outlives the in-flight limit (pttl {pttl})"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let owner = lease(db.clone().claim(x).await);
    let held: String = conn.get(&redis_key).unwrap();
    assert_eq!(held, format!("f:{:032x}", owner.token().0));

    stale.commit().await.unwrap();
    assert_eq!(
        conn.get::<_, String>(&redis_key).unwrap(),
        held,
        "A's late commit must not mark B's claim delivered"
    );
    Lease::new(da.clone(), x, a_token).release().await.unwrap();
    assert_eq!(
        conn.get::<_, String>(&redis_key).unwrap(),
        held,
        "A's late release must not free B's claim"
    );
    assert_eq!(a.count(Op::Commit, CallResult::Stale), 1);
    assert_eq!(a.count(Op::Release, CallResult::Stale), 1);
    assert!(matches!(
        da.clone().claim(x).await,
        Ok(ClaimOutcome::InFlight { .. })
    ));

    owner.commit().await.unwrap();
    assert_eq!(b.count(Op::Commit, CallResult::Ok), 1);
    assert!(matches!(
        da.clone().claim(x).await,
        Ok(ClaimOutcome::Duplicate)
    ));
}

#[tokio::test]
async fn delivered_ids_expire_after_ttl() {
    let Some(redis) = RedisServer::start(&[]) else {
        return;
    };
    let a = Replica::new(&redis.url());
    let d = a.dedup(Duration::from_millis(300), Duration::from_secs(30));
    let x = EventKey::of("evt_ttl");
    lease(d.clone().claim(x).await).commit().await.unwrap();
    let pttl: i64 = redis.conn().pttl(dedup_key(x)).unwrap();
    assert!(
        (1..=300).contains(&pttl),
        "delivered key expires with ttl ({pttl})"
    );
    assert!(matches!(
        d.clone().claim(x).await,
        Ok(ClaimOutcome::Duplicate)
    ));
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(matches!(
        d.clone().claim(x).await,
        Ok(ClaimOutcome::Claimed(_))
    ));
}

#[tokio::test]
async fn rate_limit_burst_is_shared_by_two_replicas() {
    let Some(redis) = RedisServer::start(&[]) else {
        return;
    };
    let (a, b) = (Replica::new(&redis.url()), Replica::new(&redis.url()));
    // T = 2 s, burst 5; no pre-check, so every decision is Redis's.
    let (ra, rb) = (a.rate(0.5, 5, false, false), b.rate(0.5, 5, false, false));
    let client = ip("192.0.2.1");
    for i in 0..5 {
        let r = if i % 2 == 0 { &ra } else { &rb };
        assert_eq!(
            r.check(client).await.unwrap(),
            RateDecision::Allowed,
            "#{i}"
        );
    }
    for r in [&ra, &rb] {
        assert_eq!(
            r.check(client).await.unwrap(),
            RateDecision::Limited {
                retry_after_secs: 2
            },
            "N+1 is limited on either replica, Retry-After = ceil(T)"
        );
    }
    // The TAT is an integer count of µs and expires once it no longer limits anyone.
    let mut conn = redis.conn();
    let tat: String = conn.get(format!("test:{ROUTE}:rl")).unwrap();
    assert!(tat.parse::<u64>().unwrap() > 1_600_000_000_000_000, "{tat}");
    let pttl: i64 = conn.pttl(format!("test:{ROUTE}:rl")).unwrap();
    assert!((1..=10_000).contains(&pttl), "{pttl}");
}

#[tokio::test]
async fn per_client_budgets_are_shared_per_address() {
    let Some(redis) = RedisServer::start(&[]) else {
        return;
    };
    let (a, b) = (Replica::new(&redis.url()), Replica::new(&redis.url()));
    let (ra, rb) = (a.rate(0.1, 2, true, true), b.rate(0.1, 2, true, true));
    let (c1, c2) = (ip("192.0.2.1"), ip("2001:db8::1"));
    assert_eq!(ra.check(c1).await.unwrap(), RateDecision::Allowed);
    assert_eq!(rb.check(c1).await.unwrap(), RateDecision::Allowed);
    assert_eq!(
        ra.check(c1).await.unwrap(),
        RateDecision::Limited {
            retry_after_secs: 10
        }
    );
    assert_eq!(rb.check(c2).await.unwrap(), RateDecision::Allowed);
    // An IPv4-mapped address is the same client as the plain IPv4 one.
    assert!(matches!(
        rb.check(ip("::ffff:192.0.2.1")).await.unwrap(),
        RateDecision::Limited { .. }
    ));
    // One key per client, named by a digest of its address, never the address (README,
    // "Operating Redis": keys hold only digests of client addresses).
    let keys: Vec<String> = redis.conn().keys(format!("test:{ROUTE}:rl:*")).unwrap();
    assert_eq!(keys.len(), 2, "{keys:?}");
    for key in &keys {
        let digest = key.strip_prefix(&format!("test:{ROUTE}:rl:")).unwrap();
        assert!(
            digest.len() == 32 && digest.chars().all(|c| c.is_ascii_hexdigit()),
            "{key}"
        );
        assert!(
            !key.contains("192.0.2.1") && !key.contains("2001:db8"),
            "{key}"
        );
    }
}

#[tokio::test]
async fn local_precheck_refuses_a_flood_without_calling_redis() {
    let Some(redis) = RedisServer::start(&[]) else {
        return;
    };
    let a = Replica::new(&redis.url());
    let r = a.rate(0.1, 2, false, true);
    let client = ip("192.0.2.7");
    assert_eq!(r.check(client).await.unwrap(), RateDecision::Allowed);
    assert_eq!(r.check(client).await.unwrap(), RateDecision::Allowed);
    assert_eq!(a.count(Op::RateLimit, CallResult::Ok), 2);
    for _ in 0..100 {
        assert!(matches!(
            r.check(client).await.unwrap(),
            RateDecision::Limited {
                retry_after_secs: 10
            }
        ));
    }
    assert_eq!(
        a.count(Op::RateLimit, CallResult::Ok),
        2,
        "refused locally: no store call"
    );
    // Redis agrees (a replica without the pre-check asks it).
    let b = Replica::new(&redis.url());
    assert!(matches!(
        b.rate(0.1, 2, false, false).check(client).await.unwrap(),
        RateDecision::Limited { .. }
    ));
}

fn outage_settings(s: &mut StateSettings) {
    s.timeout = Duration::from_millis(100);
    s.breaker = BreakerSettings {
        failures: 3,
        cooldown: Duration::from_millis(200),
    };
}

/// A call that fails must fail within the budget (100 ms) — far below the ~9 s redis-rs waits
/// on its own while reconnecting; 1 s leaves room for a loaded CI machine.
const FAIL_FAST: Duration = Duration::from_secs(1);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_down_fails_fast_opens_the_breaker_and_recovers() {
    let Some(mut redis) = RedisServer::start(&[]) else {
        return;
    };
    let a = Replica::with(&redis.url(), outage_settings);
    let d = a.dedup(MINUTE, Duration::from_secs(30));
    let r = a.rate(100.0, 100, false, false);
    let client = ip("192.0.2.1");
    lease(d.clone().claim(EventKey::of("before")).await)
        .commit()
        .await
        .unwrap();

    redis.stop();
    let mut errors = Vec::new();
    for i in 0..3 {
        let started = Instant::now();
        let result = d.clone().claim(EventKey::of(&format!("during{i}"))).await;
        assert!(
            started.elapsed() < FAIL_FAST,
            "call {i} took {:?}",
            started.elapsed()
        );
        match result {
            Err(e @ (StoreError::Timeout | StoreError::Unavailable(_))) => errors.push(e),
            other => panic!("expected a store error, got {other:?}"),
        }
    }
    assert!(a.client.breaker_open(), "3 consecutive failures open it");
    let started = Instant::now();
    for _ in 0..50 {
        assert!(matches!(
            d.clone().claim(EventKey::of("open")).await,
            Err(StoreError::BreakerOpen)
        ));
        assert!(matches!(
            r.check(client).await,
            Err(StoreError::BreakerOpen)
        ));
    }
    assert!(
        started.elapsed() < FAIL_FAST,
        "an open breaker never waits on the store"
    );
    assert_eq!(a.count(Op::Claim, CallResult::BreakerOpen), 50);
    assert_eq!(a.count(Op::RateLimit, CallResult::BreakerOpen), 50);
    assert_eq!(
        a.count(Op::Claim, CallResult::Error) + a.count(Op::Claim, CallResult::Timeout),
        3
    );
    let text = a.exposition();
    assert!(text.contains("hookgate_state_breaker_open 1"), "{text}");
    assert!(
        text.contains(r#"hookgate_state_calls_total{op="claim",result="breaker_open"} 50"#),
        "{text}"
    );

    redis.resume();
    let deadline = Instant::now() + Duration::from_secs(10);
    while a.client.breaker_open() {
        assert!(
            Instant::now() < deadline,
            "the probe must close the breaker"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(a.exposition().contains("hookgate_state_breaker_open 0"));
    assert!(a.count(Op::Probe, CallResult::Ok) >= 1);
    // Sharing resumes (the restarted server has no data: "before" is new again).
    lease(d.clone().claim(EventKey::of("after")).await);
    assert_eq!(r.check(client).await.unwrap(), RateDecision::Allowed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_started_after_the_client_is_picked_up() {
    let Some(mut redis) = RedisServer::prepare(&[]) else {
        return;
    };
    let a = Replica::with(&redis.url(), outage_settings);
    let d = a.dedup(MINUTE, Duration::from_secs(30));
    for i in 0..5 {
        let started = Instant::now();
        assert!(d
            .clone()
            .claim(EventKey::of(&format!("e{i}")))
            .await
            .is_err());
        assert!(started.elapsed() < FAIL_FAST);
    }
    assert!(a.client.breaker_open());
    redis.resume();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match d.clone().claim(EventKey::of("late")).await {
            Ok(ClaimOutcome::Claimed(_)) => break,
            Err(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(20)).await
            }
            other => panic!("Redis appeared but the client did not pick it up: {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_server_times_out_and_the_timed_out_claim_is_freed() {
    let Some(redis) = RedisServer::start(&["--enable-debug-command", "yes"]) else {
        return;
    };
    let a = Replica::with(&redis.url(), outage_settings);
    let b = Replica::new(&redis.url());
    let (da, db) = (
        a.dedup(MINUTE, Duration::from_secs(30)),
        b.dedup(MINUTE, Duration::from_secs(30)),
    );
    // Warm A's connection so the claim below is queued behind the sleep, not connecting.
    lease(da.clone().claim(EventKey::of("warm")).await)
        .commit()
        .await
        .unwrap();
    let sleeper = block_redis_for_a_second(&redis);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let x = EventKey::of("evt_during_sleep");
    let started = Instant::now();
    assert_eq!(da.clone().claim(x).await.unwrap_err(), StoreError::Timeout);
    assert!(
        started.elapsed() < Duration::from_millis(800),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(a.count(Op::Claim, CallResult::Timeout), 1);
    sleeper.join().unwrap();
    // The claim landed after A stopped waiting; A freed it with its token, so the provider's
    // retry is not refused with 409 until the in-flight limit.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match db.clone().claim(x).await {
            Ok(ClaimOutcome::Claimed(_)) => break,
            Ok(ClaimOutcome::InFlight { .. }) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(20)).await
            }
            other => panic!("the timed-out claim must be released, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn out_of_memory_is_a_counted_store_error() {
    let Some(redis) = RedisServer::start(&["--maxmemory", "1", "--maxmemory-policy", "noeviction"])
    else {
        return;
    };
    let a = Replica::new(&redis.url());
    let d = a.dedup(MINUTE, Duration::from_secs(30));
    match d.clone().claim(EventKey::of("evt_oom")).await {
        Err(StoreError::Unavailable(cause)) => assert!(cause.contains("OOM"), "{cause}"),
        other => panic!("expected an OOM store error, got {other:?}"),
    }
    assert!(matches!(
        a.rate(1.0, 1, false, false).check(ip("192.0.2.1")).await,
        Err(StoreError::Unavailable(_))
    ));
    assert_eq!(a.count(Op::Claim, CallResult::Error), 1);
    assert_eq!(a.count(Op::RateLimit, CallResult::Error), 1);
}

#[tokio::test]
async fn the_password_never_appears_in_errors_or_debug() {
    let Some(redis) = RedisServer::start(&["--requirepass", "right-pw-4711"]) else {
        return;
    };
    let port = redis.port();
    let wrong = Replica::new(&format!("redis://:wrong-pw-0815@127.0.0.1:{port}/0"));
    let d = wrong.dedup(MINUTE, Duration::from_secs(30));
    let err = d.clone().claim(EventKey::of("e")).await.unwrap_err();
    for shown in [
        err.to_string(),
        format!("{err:?}"),
        format!("{:?}", wrong.client),
    ] {
        assert!(!shown.contains("wrong-pw-0815"), "{shown}");
    }
    assert!(format!("{:?}", wrong.client).contains(":***@"));

    let right = Replica::new(&format!("redis://:right-pw-4711@127.0.0.1:{port}/0"));
    let d = right.dedup(MINUTE, Duration::from_secs(30));
    assert!(matches!(
        d.clone().claim(EventKey::of("e")).await,
        Ok(ClaimOutcome::Claimed(_))
    ));
}

#[tokio::test]
async fn unix_socket_urls_work() {
    let socket = RedisServer::socket_path();
    let Some(redis) = RedisServer::start(&["--unixsocket", socket.to_str().unwrap()]) else {
        return;
    };
    let a = Replica::new(&format!("redis+unix://{}?db=0", socket.display()));
    let b = Replica::new(&redis.url());
    let x = EventKey::of("evt_unix");
    lease(a.dedup(MINUTE, MINUTE).claim(x).await)
        .commit()
        .await
        .unwrap();
    assert!(
        matches!(
            b.dedup(MINUTE, MINUTE).claim(x).await,
            Ok(ClaimOutcome::Duplicate)
        ),
        "a claim over the socket is seen over TCP: same server, same keys"
    );
    let _ = std::fs::remove_file(socket);
}

/// A server that accepts connections and never answers (a hung Redis, a black-holed network):
/// redis-rs would wait out `connect_timeout` (5 s here) per attempt, with retries; the per-call
/// budget answers after `timeout` anyway.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_never_answers_costs_one_timeout_per_call() {
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let a = Replica::with(&format!("redis://127.0.0.1:{port}/0"), |s| {
        outage_settings(s);
        s.connect_timeout = Duration::from_secs(5);
    });
    let d = a.dedup(MINUTE, MINUTE);
    // Each timed-out claim also sends its background release, which times out too: both feed
    // the breaker (3 failures), so it opens by the second claim.
    for i in 0..2 {
        let started = Instant::now();
        assert_eq!(
            d.clone()
                .claim(EventKey::of(&format!("e{i}")))
                .await
                .unwrap_err(),
            StoreError::Timeout
        );
        assert!(
            started.elapsed() < FAIL_FAST,
            "call {i}: {:?}",
            started.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    assert!(a.client.breaker_open());
    assert_eq!(a.count(Op::Claim, CallResult::Timeout), 2);
    assert!(matches!(
        d.clone().claim(EventKey::of("e")).await,
        Err(StoreError::BreakerOpen)
    ));
    drop(silent);
}

/// Redis `used_memory` (bytes) and `DBSIZE`.
fn redis_memory(conn: &mut redis::Connection) -> (i64, i64) {
    let info: String = redis::cmd("INFO").arg("memory").query(conn).unwrap();
    let used = info
        .lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    (used, redis::cmd("DBSIZE").query(conn).unwrap())
}

/// Issue 21 item 8: the README's figure for Redis memory per delivered event ID ("N–M bytes per
/// delivered event ID") is what this measures under the conditions it states: prefix `hookgate`,
/// route `stripe`, 20,000 IDs claimed and committed with `ttl = "24h"`, `used_memory` growth
/// divided by the keys added.
#[tokio::test]
async fn redis_bytes_per_delivered_event_id_match_the_readme() {
    let Some(redis) = RedisServer::start(&[]) else {
        return;
    };
    let replica = Replica::with(&redis.url(), |s| {
        s.prefix = "hookgate".into();
        s.timeout = Duration::from_secs(5);
    });
    let store = RedisDedup::new(
        replica.client.clone(),
        "stripe",
        Duration::from_secs(86_400),
        Duration::from_secs(30),
    );
    let mut conn = redis.conn();
    let (before, keys_before) = redis_memory(&mut conn);
    const N: usize = 20_000;
    for chunk in 0..N / 100 {
        let claims = (0..100).map(|i| {
            let store = store.clone();
            async move {
                let id = EventKey::of(&format!("evt_{:024}", chunk * 100 + i));
                lease(store.claim(id).await).commit().await.unwrap();
            }
        });
        futures_util::future::join_all(claims).await;
    }
    let (after, keys_after) = redis_memory(&mut conn);
    assert_eq!(keys_after - keys_before, N as i64);
    let per_key = (after - before) as f64 / N as f64;

    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .unwrap()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let claim = readme
        .split(" bytes per delivered event ID")
        .next()
        .and_then(|before| before.rsplit(' ').next())
        .and_then(|range| range.trim_start_matches("**").split_once('–'))
        .map(|(lo, hi)| (lo.parse::<f64>().unwrap(), hi.parse::<f64>().unwrap()))
        .expect("README states \"N–M bytes per delivered event ID\"");
    println!("{per_key:.1} bytes per delivered event ID");
    assert!(
        claim.0 <= per_key && per_key <= claim.1,
        "measured {per_key:.1} bytes per delivered event ID; the README says {claim:?}"
    );
}

/// The joint call's answers, unwrapped: the rate decision and the claim outcome.
async fn joint(
    limit: &RedisRateLimit,
    store: &Arc<dyn DedupStore>,
    key: EventKey,
) -> (RateDecision, Option<ClaimOutcome>) {
    let (limit, dedup) = joint::joinable(limit, store.as_ref()).expect("same Redis client");
    let answer = joint::limit_and_claim(limit, dedup, store, ip("192.0.2.1"), key).await;
    (answer.rate.unwrap().0, answer.claim.map(|c| c.unwrap()))
}

/// Waits (bounded) until `key` can be claimed again, i.e. no claim is left on it.
async fn eventually_claimable(store: &Arc<dyn DedupStore>, key: EventKey) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match store.clone().claim(key).await {
            Ok(ClaimOutcome::Claimed(lease)) => return lease.release().await.unwrap(),
            Ok(ClaimOutcome::InFlight { .. }) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(10)).await
            }
            other => panic!("no claim may be left behind, got {other:?}"),
        }
    }
}

/// Issue 24: the rate limit and the claim share one round trip (`state::redis::joint`). A
/// request the rate limit refuses leaves no claim behind; a claim that is not granted
/// (duplicate) spends its unit, as when the rate limit ran first; each op is counted once.
#[tokio::test]
async fn joint_rate_limit_and_claim_keep_both_semantics() {
    let Some(redis) = RedisServer::start(&[]) else {
        return;
    };
    let a = Replica::new(&redis.url());
    // Burst 3, T = 100 s; no pre-check, so every decision is Redis's.
    let limit = a.rate(0.01, 3, false, false);
    let store = a.dedup(MINUTE, Duration::from_secs(30));
    let (x, y, z) = (EventKey::of("x"), EventKey::of("y"), EventKey::of("z"));

    let (rate, claim) = joint(&limit, &store, x).await;
    assert_eq!(rate, RateDecision::Allowed);
    match claim {
        Some(ClaimOutcome::Claimed(lease)) => lease.commit().await.unwrap(),
        other => panic!("first of its ID must be claimed, got {other:?}"),
    }
    // A duplicate spends a unit (the rate limit counts every request that reaches it).
    let (rate, claim) = joint(&limit, &store, x).await;
    assert_eq!(rate, RateDecision::Allowed);
    assert!(matches!(claim, Some(ClaimOutcome::Duplicate)), "{claim:?}");
    let (rate, claim) = joint(&limit, &store, y).await;
    assert_eq!(rate, RateDecision::Allowed);
    let held = match claim {
        Some(ClaimOutcome::Claimed(lease)) => lease,
        other => panic!("{other:?}"),
    };
    // Over the budget: refused, and its claim (granted in the same round trip) is released.
    let (rate, claim) = joint(&limit, &store, z).await;
    assert!(matches!(rate, RateDecision::Limited { .. }), "{rate:?}");
    assert_eq!(
        a.count(Op::RateLimit, CallResult::Ok),
        4,
        "one count per op and call"
    );
    assert_eq!(a.count(Op::Claim, CallResult::Ok), 4);
    drop(claim);
    eventually_claimable(&store, z).await;
    // The held lease is untouched by the refusal of another ID.
    assert!(matches!(
        store.clone().claim(y).await,
        Ok(ClaimOutcome::InFlight { .. })
    ));
    held.release().await.unwrap();
}

/// After a Redis restart (`SCRIPT FLUSH`) an element that got `NOSCRIPT` did not run: it alone
/// is re-sent, so the budget is spent exactly once per request, whichever script was missing.
#[tokio::test]
async fn joint_call_after_script_flush_runs_each_script_once() {
    let Some(redis) = RedisServer::start(&[]) else {
        return;
    };
    let a = Replica::new(&redis.url());
    let limit = a.rate(0.01, 4, false, false);
    let store = a.dedup(MINUTE, Duration::from_secs(30));
    let mut conn = redis.conn();
    let flush =
        |conn: &mut redis::Connection| redis::cmd("SCRIPT").arg("FLUSH").query::<()>(conn).unwrap();
    // Both scripts missing.
    flush(&mut conn);
    let (rate, claim) = joint(&limit, &store, EventKey::of("a")).await;
    assert_eq!(rate, RateDecision::Allowed);
    assert!(matches!(claim, Some(ClaimOutcome::Claimed(_))), "{claim:?}");
    // Only the claim script missing (a lone rate-limit check loaded GCRA: one more unit).
    flush(&mut conn);
    assert_eq!(
        limit.check(ip("192.0.2.1")).await.unwrap(),
        RateDecision::Allowed
    );
    let (rate, claim) = joint(&limit, &store, EventKey::of("b")).await;
    assert_eq!(rate, RateDecision::Allowed);
    assert!(matches!(claim, Some(ClaimOutcome::Claimed(_))), "{claim:?}");
    // Only the rate-limit script missing.
    flush(&mut conn);
    assert!(matches!(
        store.clone().claim(EventKey::of("c")).await,
        Ok(ClaimOutcome::Claimed(_))
    ));
    let (rate, claim) = joint(&limit, &store, EventKey::of("d")).await;
    assert_eq!(rate, RateDecision::Allowed, "unit 4 of 4");
    assert!(matches!(claim, Some(ClaimOutcome::Claimed(_))), "{claim:?}");
    // Burst 4 spent exactly: the fifth is refused.
    let (rate, _) = joint(&limit, &store, EventKey::of("e")).await;
    assert!(matches!(rate, RateDecision::Limited { .. }), "{rate:?}");
}

/// Redis down: the joint call fails both answers (each op counted), and feeds the breaker once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn joint_call_with_redis_down_fails_both_answers() {
    let Some(mut redis) = RedisServer::start(&[]) else {
        return;
    };
    let a = Replica::with(&redis.url(), outage_settings);
    let limit = a.rate(1000.0, 1000, false, false);
    let store = a.dedup(MINUTE, Duration::from_secs(30));
    redis.stop();
    let (l, d) = joint::joinable(limit.as_ref(), store.as_ref()).unwrap();
    let answer = joint::limit_and_claim(l, d, &store, ip("192.0.2.1"), EventKey::of("q")).await;
    assert!(answer.rate.is_err(), "{:?}", answer.rate);
    assert!(matches!(answer.claim, Some(Err(_))), "{:?}", answer.claim);
    let failed = |op| {
        a.count(op, CallResult::Timeout)
            + a.count(op, CallResult::Error)
            + a.count(op, CallResult::BreakerOpen)
    };
    assert_eq!(failed(Op::RateLimit), 1);
    assert_eq!(failed(Op::Claim), 1);
}

/// A commit handed over after the answer (`Lease::commit_detached`) that Redis refuses (out of
/// memory at commit time): counted as a failed commit, the key still holds the claim (not marked
/// delivered), and once the claim expires the provider's retry is delivered again
/// (at-least-once, never a loss).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_detached_commit_is_counted_and_the_retry_is_delivered() {
    let Some(redis) = RedisServer::start(&["--maxmemory-policy", "noeviction"]) else {
        return;
    };
    let a = Replica::new(&redis.url());
    let d = a.dedup(MINUTE, Duration::from_millis(300));
    let x = EventKey::of("evt_commit_refused");
    let claim = lease(d.clone().claim(x).await);
    let mut admin = redis.conn();
    let set_maxmemory = |conn: &mut redis::Connection, bytes: &str| {
        redis::cmd("CONFIG")
            .arg("SET")
            .arg("maxmemory")
            .arg(bytes)
            .query::<()>(conn)
            .unwrap()
    };
    set_maxmemory(&mut admin, "1");
    claim.commit_detached();
    d.flush_commits().await;
    assert_eq!(a.count(Op::Commit, CallResult::Error), 1);
    assert_eq!(a.count(Op::Commit, CallResult::Ok), 0);
    assert!(a
        .exposition()
        .contains(r#"hookgate_state_calls_total{op="commit",result="error"} 1"#));
    set_maxmemory(&mut admin, "0");
    let held: Vec<u8> = redis::cmd("GET")
        .arg(dedup_key(x))
        .query(&mut admin)
        .unwrap();
    assert!(held.starts_with(b"f:"), "not marked delivered: {held:?}");
    eventually_claimed(&d, x).await;
}

/// Redis gone at commit time: the commit fails within the budget, is counted, and the retry
/// is delivered once Redis is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_detached_commit_with_redis_down_is_counted_and_the_retry_is_delivered() {
    let Some(mut redis) = RedisServer::start(&[]) else {
        return;
    };
    let a = Replica::with(&redis.url(), outage_settings);
    let d = a.dedup(MINUTE, Duration::from_millis(300));
    let x = EventKey::of("evt_commit_down");
    let claim = lease(d.clone().claim(x).await);
    redis.stop();
    claim.commit_detached();
    d.flush_commits().await;
    assert_eq!(
        a.count(Op::Commit, CallResult::Error) + a.count(Op::Commit, CallResult::Timeout),
        1
    );
    assert_eq!(a.count(Op::Commit, CallResult::Ok), 0);
    redis.resume();
    eventually_claimed(&d, x).await;
}

/// `flush_commits` (what a graceful stop waits for) returns only once the commits handed over
/// before it were answered, here held up behind a server busy for 1 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flush_waits_for_commits_pending_behind_a_busy_server() {
    let Some(redis) = RedisServer::start(&["--enable-debug-command", "yes"]) else {
        return;
    };
    let a = Replica::with(&redis.url(), |s| s.timeout = Duration::from_secs(10));
    let d = a.dedup(MINUTE, Duration::from_secs(30));
    let keys: Vec<EventKey> = (0..20)
        .map(|i| EventKey::of(&format!("evt_pending_{i}")))
        .collect();
    let mut leases = Vec::new();
    for key in &keys {
        leases.push(lease(d.clone().claim(*key).await));
    }
    let sleeper = block_redis_for_a_second(&redis);
    tokio::time::sleep(Duration::from_millis(100)).await;
    leases.into_iter().for_each(Lease::commit_detached);
    d.flush_commits().await;
    assert_eq!(a.count(Op::Commit, CallResult::Ok), 20);
    sleeper.join().unwrap();
    for key in keys {
        let value: Vec<u8> = redis::cmd("GET")
            .arg(dedup_key(key))
            .query(&mut redis.conn())
            .unwrap();
        assert_eq!(value, b"1");
    }
}

/// Claims `key` until the held claim has expired (bounded wait).
async fn eventually_claimed(store: &Arc<dyn DedupStore>, key: EventKey) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match store.clone().claim(key).await {
            Ok(ClaimOutcome::Claimed(_)) => return,
            Ok(ClaimOutcome::InFlight { .. }) | Err(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(20)).await
            }
            other => panic!("the retry must be delivered once the claim expires, got {other:?}"),
        }
    }
}

/// Blocks `redis` for one second (`DEBUG SLEEP 1` on a connection of its own, from a thread).
fn block_redis_for_a_second(redis: &RedisServer) -> std::thread::JoinHandle<()> {
    let mut blocker = redis.conn();
    std::thread::spawn(move || {
        redis::cmd("DEBUG")
            .arg("SLEEP")
            .arg("1")
            .query::<()>(&mut blocker)
            .unwrap()
    })
}
