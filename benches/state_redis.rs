//! Shared-store cost per call against a real redis-server on loopback (started by the bench, as
//! the tests do), next to a bare `PING` on the same connection — the round-trip floor — in the
//! same run, so each figure reads as a ratio to one round trip:
//!
//! - `ping`: one round trip through redis-rs's multiplexed connection (the floor);
//! - `claim_commit_new_id`: the two scripts of every first delivery;
//! - `rate_limit_check`: the GCRA script (pre-check off, so every check is a call);
//! - `claim_breaker_open`: a claim while the breaker is open (what a request pays while Redis
//!   is down).
//!
//!     cargo bench --bench state_redis
//!
//! Needs redis-server (`scripts/setup.sh`); without it the bench prints why and measures nothing.

#[path = "../tests/common/redis.rs"]
mod common_redis;
#[path = "../tests/common/ports.rs"]
mod ports;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use hookgate::config::state::{BreakerSettings, StateSettings};
use hookgate::state::gcra::Gcra;
use hookgate::state::redis::{RedisClient, RedisDedup, RedisRateLimit, StateMetrics};
use hookgate::state::{ClaimOutcome, DedupStore, EventKey, RateLimitStore};

fn client(url: &str, tweak: impl FnOnce(&mut StateSettings)) -> Arc<RedisClient> {
    let mut settings = StateSettings::for_url(url).unwrap();
    settings.prefix = "bench".into();
    tweak(&mut settings);
    RedisClient::new(&settings, StateMetrics::unregistered()).unwrap()
}

fn state_redis(c: &mut Criterion) {
    let Some(mut redis) = common_redis::RedisServer::start(&[]) else {
        return;
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let mut group = c.benchmark_group("state_redis");

    let mut ping_conn = rt.block_on(async {
        redis::Client::open(redis.url())
            .unwrap()
            .get_multiplexed_async_connection()
            .await
            .unwrap()
    });
    group.bench_function("ping", |b| {
        b.iter(|| {
            rt.block_on(async {
                redis::cmd("PING")
                    .query_async::<String>(&mut ping_conn)
                    .await
                    .unwrap()
            })
        })
    });

    let shared = client(&redis.url(), |s| s.timeout = Duration::from_secs(1));
    let dedup: Arc<dyn DedupStore> = RedisDedup::new(
        shared.clone(),
        "bench",
        Duration::from_secs(3600),
        Duration::from_secs(30),
    );
    let mut n: u64 = 0;
    group.bench_function("claim_commit_new_id", |b| {
        b.iter(|| {
            n += 1;
            let key = EventKey::of(&format!("evt_{n:016}"));
            rt.block_on(async {
                match dedup.clone().claim(key).await.unwrap() {
                    ClaimOutcome::Claimed(lease) => lease.commit().await.unwrap(),
                    other => panic!("{other:?}"),
                }
            })
        })
    });

    let limiter = RedisRateLimit::new(
        shared.clone(),
        "bench",
        Gcra::new(1e6, 1_000_000),
        false,
        false,
    );
    let ip: IpAddr = "192.0.2.1".parse().unwrap();
    group.bench_function("rate_limit_check", |b| {
        b.iter(|| rt.block_on(async { limiter.check(ip).await.unwrap() }))
    });

    // Open the breaker: stop the server and fail `failures` calls.
    let down = client(&redis.url(), |s| {
        s.timeout = Duration::from_millis(50);
        s.breaker = BreakerSettings {
            failures: 1,
            cooldown: Duration::from_secs(3600),
        };
    });
    let down_dedup: Arc<dyn DedupStore> = RedisDedup::new(
        down.clone(),
        "bench",
        Duration::from_secs(3600),
        Duration::from_secs(30),
    );
    redis.stop();
    rt.block_on(async {
        let _ = down_dedup.clone().claim(EventKey::of("x")).await;
    });
    assert!(down.breaker_open());
    group.bench_function("claim_breaker_open", |b| {
        b.iter(|| {
            rt.block_on(async {
                down_dedup
                    .clone()
                    .claim(EventKey::of("x"))
                    .await
                    .unwrap_err()
            })
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    targets = state_redis
}
criterion_main!(benches);
