//! The queue backend contract, run against both backends: the embedded disk store and Redis
//! Streams (a real `redis-server` started by the test; under `CI=true` a missing one fails).
//! Then the two queue faults on both backends, through the real delivery workers and a real
//! upstream: a backlog goes wholly to the route's current upstream, and delays dictated by the
//! upstream (`Retry-After`) have a floor and a ceiling. Then what only the Redis backend has:
//! leases taken over from a dead replica, stale holders, a lost consumer group, an outage,
//! `min_replicas_acked`, a restart with AOF.

mod common;
#[path = "common/redis.rs"]
mod redis_server;
use common::ports;

use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use hookgate::delivery::queue::backoff::Backoff;
use hookgate::delivery::queue::disk::{DiskOptions, DiskQueue};
use hookgate::delivery::queue::redis::{RedisQueue, RedisQueueMetrics, RedisQueueOptions};
use hookgate::delivery::queue::worker::{NoObserver, RetryPolicy, RouteTarget, Workers};
use hookgate::delivery::queue::{ListFilter, MessageState, QueueError, QueueStore};

use common::queue_data::{body_of, head_of, message, queued_message};
use common::upstream::Behavior;
use common::Upstream;
use redis_server::RedisServer;

use common::scratch::Scratch;
use tokio::sync::futures::Notified;

fn scratch(name: &str) -> Scratch {
    Scratch::new(&format!("contract-{name}"))
}

fn disk(dir: &Scratch, max_bytes: u64) -> DiskQueue {
    DiskQueue::open(DiskOptions::new(&dir.0, max_bytes)).unwrap()
}

/// A Redis queue on `redis` under its own prefix (so tests sharing a server do not meet).
fn redis_queue(redis: &RedisServer, prefix: &str, max_bytes: u64, lease: Duration) -> RedisQueue {
    let mut options = RedisQueueOptions::new(&redis.url(), prefix, max_bytes).unwrap();
    options.settings.lease_timeout = lease;
    RedisQueue::new(options, RedisQueueMetrics::unregistered()).unwrap()
}

// ---------------------------------------------------------------------------------------------
// ---------------------------------------------------------------------------------------------
// The backend contract: every QueueStore must pass these. Run here against the embedded store.
// ---------------------------------------------------------------------------------------------

async fn contract_append_show_lease_ack(store: &dyn QueueStore) {
    let a = store.append(message("r1", 1)).await.unwrap();
    let b = store.append(message("r1", 2)).await.unwrap();
    let c = store.append(message("r2", 3)).await.unwrap();
    assert!(a < b, "IDs sort by arrival");

    let shown = store.show(a).await.unwrap().expect("appended");
    assert_eq!(shown.body.as_ref(), body_of(1).as_slice());
    assert_eq!(shown.head, head_of(1));
    assert_eq!(shown.info.state, MessageState::Pending);
    assert_eq!(shown.info.attempts, 0);
    assert_eq!(shown.info.event_id.as_deref(), Some("evt_1"));

    let leased = store.lease_due("r1", 10).await.unwrap();
    let ids: Vec<_> = leased.iter().map(|m| m.info.id).collect();
    assert_eq!(ids, vec![a, b], "only r1's messages, oldest first");
    assert_eq!(leased[1].body.as_ref(), body_of(2).as_slice());
    assert!(
        store.lease_due("r1", 10).await.unwrap().is_empty(),
        "a leased message goes to no one else"
    );
    assert_eq!(
        store.show(a).await.unwrap().unwrap().info.state,
        MessageState::Leased
    );

    store.ack(a).await.unwrap();
    assert!(store.show(a).await.unwrap().is_none());
    store.ack(a).await.unwrap(); // acking twice is harmless

    let stats = store.stats().await.unwrap();
    assert_eq!(stats.routes["r1"].leased, 1);
    assert_eq!(stats.routes["r1"].pending, 0);
    assert_eq!(stats.routes["r2"].pending, 1);
    let r2 = store.show(c).await.unwrap().unwrap().info;
    assert_eq!(stats.routes["r2"].oldest_pending, Some(r2.created_at));
}

async fn contract_retry_dead_replay_drop(store: &dyn QueueStore) {
    let id = store.append(message("r", 10)).await.unwrap();
    store.lease_due("r", 1).await.unwrap();

    // Retry later: pending again, not due before its time, one attempt counted.
    let due = SystemTime::now() + Duration::from_secs(3600);
    store
        .retry_later(id, due, "upstream answered 503")
        .await
        .unwrap();
    let info = store.show(id).await.unwrap().unwrap().info;
    assert_eq!((info.state, info.attempts), (MessageState::Pending, 1));
    assert_eq!(info.last_error.as_deref(), Some("upstream answered 503"));
    assert!(
        store.lease_due("r", 1).await.unwrap().is_empty(),
        "not due yet"
    );
    let next = store.next_due("r").await.unwrap().unwrap();
    assert!(next > SystemTime::now() + Duration::from_secs(3500));

    // A retry by someone without the lease changes nothing.
    store
        .retry_later(id, SystemTime::now(), "stale")
        .await
        .unwrap();
    assert_eq!(store.show(id).await.unwrap().unwrap().info.attempts, 1);

    // Replay makes it due now with attempts reset; then dead-letter it.
    assert!(store.replay(id).await.unwrap());
    let leased = store.lease_due("r", 1).await.unwrap();
    assert_eq!(leased[0].info.attempts, 0);
    assert!(
        !store.replay(id).await.unwrap(),
        "a leased message is not replayed"
    );
    store.dead(id, "max_attempts reached", true).await.unwrap();
    let dead = store
        .list(&ListFilter {
            route: Some("r".into()),
            state: Some(MessageState::Dead),
            after: None,
            limit: 10,
        })
        .await
        .unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].id, id);
    assert_eq!(dead[0].last_error.as_deref(), Some("max_attempts reached"));
    let kept = store.show(id).await.unwrap().unwrap();
    assert_eq!(
        kept.body.as_ref(),
        body_of(10).as_slice(),
        "a dead letter keeps its body"
    );
    assert!(
        store.lease_due("r", 1).await.unwrap().is_empty(),
        "dead is not due"
    );
    assert_eq!(store.stats().await.unwrap().routes["r"].dead, 1);

    // Replay of all dead letters of a route.
    let other = store.append(message("r", 11)).await.unwrap();
    store.lease_due("r", 1).await.unwrap();
    store.dead(other, "max_age reached", false).await.unwrap();
    assert_eq!(store.replay_dead("r").await.unwrap(), 2);
    assert_eq!(store.replay_dead("r").await.unwrap(), 0);
    assert_eq!(store.lease_due("r", 10).await.unwrap().len(), 2);

    // Drop removes whatever the state.
    assert!(store.drop_message(other).await.unwrap());
    assert!(!store.drop_message(other).await.unwrap());
    assert!(store.show(other).await.unwrap().is_none());
    // The lease holder's later ack of a dropped message is harmless.
    store.ack(other).await.unwrap();
}

async fn contract_list_pages(store: &dyn QueueStore) {
    let mut ids = Vec::new();
    for seq in 20..25 {
        ids.push(store.append(message("p", seq)).await.unwrap());
    }
    let page = |after| ListFilter {
        route: Some("p".into()),
        state: None,
        after,
        limit: 2,
    };
    let first = store.list(&page(None)).await.unwrap();
    let second = store.list(&page(Some(first[1].id))).await.unwrap();
    let got: Vec<_> = first.iter().chain(&second).map(|m| m.id).collect();
    assert_eq!(got, ids[..4]);
    assert!(store
        .list(&ListFilter {
            route: Some("nope".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap()
        .is_empty());
}

async fn contract_max_bytes(store: &dyn QueueStore, max_bytes: u64) {
    let mut held = Vec::new();
    let refused = loop {
        match store.append(message("full", 30 + held.len() as u64)).await {
            Ok(id) => held.push(id),
            Err(e) => break e,
        }
        assert!(held.len() < 1000, "max_bytes never refused");
    };
    assert!(
        matches!(refused, QueueError::Full { max_bytes: m, .. } if m == max_bytes),
        "{refused:?}"
    );
    let stats = store.stats().await.unwrap();
    assert!(stats.bytes <= max_bytes);
    // Delivering frees room.
    let leased = store.lease_due("full", held.len()).await.unwrap();
    for m in &leased {
        store.ack(m.info.id).await.unwrap();
    }
    assert_eq!(store.stats().await.unwrap().bytes, 0);
    store.append(message("full", 30)).await.unwrap();
}

/// Whether `notified` has been woken, polled once without waiting.
fn woken(notified: Pin<&mut Notified<'_>>) -> bool {
    futures_util::FutureExt::now_or_never(notified).is_some()
}

/// Each message that becomes due wakes one idle worker of its own route and none of another
/// route's (a commit used to wake every idle worker of every route, each then making a lease
/// call that found nothing: bench/FINDINGS.md §23).
async fn contract_wakes_one_worker_of_the_route_per_message(store: &dyn QueueStore) {
    let (a, b) = (store.wakeup("wake-a"), store.wakeup("wake-b"));
    let (a1, a2, b1) = (a.notified(), a.notified(), b.notified());
    tokio::pin!(a1, a2, b1);
    for n in [a1.as_mut(), a2.as_mut(), b1.as_mut()] {
        n.enable();
    }
    let first = store.append(message("wake-a", 1)).await.unwrap();
    let (w1, w2) = (woken(a1.as_mut()), woken(a2.as_mut()));
    assert_eq!(u8::from(w1) + u8::from(w2), 1, "one message, one worker");
    assert!(!woken(b1.as_mut()), "another route's worker sleeps on");
    store.append(message("wake-a", 2)).await.unwrap();
    let other = if w1 { a2.as_mut() } else { a1.as_mut() };
    assert!(woken(other), "the second message wakes the second worker");

    // A retry wakes one worker of its route (its time may come before the workers' sleep ends).
    let leased = store.lease_due("wake-a", 2).await.unwrap();
    assert_eq!(leased.len(), 2);
    let (a3, a4) = (a.notified(), a.notified());
    tokio::pin!(a3, a4);
    a3.as_mut().enable();
    a4.as_mut().enable();
    store
        .retry_later(first, SystemTime::now(), "503")
        .await
        .unwrap();
    let retried = u8::from(woken(a3.as_mut())) + u8::from(woken(a4.as_mut()));
    assert_eq!(retried, 1, "one retry, one worker");
    assert!(!woken(b1.as_mut()));
    for m in leased {
        store.ack(m.info.id).await.unwrap();
    }
}

/// A worker's call after a delivery: the ack, then its next lease, as `ack` and `lease_due`.
async fn contract_ack_and_lease(store: &dyn QueueStore) {
    let a = store.append(message("al", 1)).await.unwrap();
    let b = store.append(message("al", 2)).await.unwrap();
    let other = store.append(message("al-other", 3)).await.unwrap();
    assert_eq!(store.lease_due("al", 1).await.unwrap()[0].info.id, a);

    let next = store.ack_and_lease(a, "al", 1).await.unwrap();
    let ids: Vec<_> = next.iter().map(|m| m.info.id).collect();
    assert_eq!(ids, vec![b], "the route's next, one at most");
    assert_eq!(next[0].body.as_ref(), body_of(2).as_slice());
    assert!(store.show(a).await.unwrap().is_none(), "acked");
    let state = |id| async move { store.show(id).await.unwrap().unwrap().info.state };
    assert_eq!(state(b).await, MessageState::Leased);
    assert_eq!(state(other).await, MessageState::Pending);
    assert!(store.lease_due("al", 1).await.unwrap().is_empty());

    assert!(store.ack_and_lease(b, "al", 1).await.unwrap().is_empty());
    assert!(store.show(b).await.unwrap().is_none());
    // An ID no longer held (acked, dropped): the ack is harmless, the lease still happens.
    let c = store.append(message("al", 4)).await.unwrap();
    let next = store.ack_and_lease(a, "al", 1).await.unwrap();
    assert_eq!(next.iter().map(|m| m.info.id).collect::<Vec<_>>(), vec![c]);
    store.ack(c).await.unwrap();
    store.drop_message(other).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disk_store_passes_the_backend_contract() {
    let dir = scratch("contract");
    let store = disk(&dir, 1 << 30);
    contract_append_show_lease_ack(&store).await;
    contract_retry_dead_replay_drop(&store).await;
    contract_list_pages(&store).await;
    contract_wakes_one_worker_of_the_route_per_message(&store).await;
    contract_ack_and_lease(&store).await;
    drop(store);
    let small = 120_000;
    let full_dir = scratch("contract-full");
    let store = disk(&full_dir, small);
    contract_max_bytes(&store, small).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_store_passes_the_backend_contract() {
    let Some(redis) = RedisServer::start(&[]) else {
        return;
    };
    let store = redis_queue(&redis, "c1", 1 << 30, Duration::from_secs(20));
    contract_append_show_lease_ack(&store).await;
    contract_retry_dead_replay_drop(&store).await;
    contract_list_pages(&store).await;
    contract_wakes_one_worker_of_the_route_per_message(&store).await;
    contract_ack_and_lease(&store).await;
    let small = 120_000;
    let store = redis_queue(&redis, "c2", small, Duration::from_secs(20));
    contract_max_bytes(&store, small).await;
}

/// On Redis the ack and the next lease are one call (one round trip, `ack_lease.lua`), where
/// they were two (`remove.lua`, then `lease.lua`): counted by the backend's calls metric.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_ack_and_next_lease_are_one_round_trip() {
    let Some(redis) = RedisServer::start(&[]) else {
        return;
    };
    let store = redis_queue(&redis, "rt", 1 << 30, Duration::from_secs(20));
    let a = store.append(message("rt", 1)).await.unwrap();
    let b = store.append(message("rt", 2)).await.unwrap();
    assert_eq!(store.lease_due("rt", 1).await.unwrap()[0].info.id, a);
    let calls = |op| store.metrics().calls(op, "ok");
    let (leases, updates) = (calls("lease"), calls("update"));
    let next = store.ack_and_lease(a, "rt", 1).await.unwrap();
    assert_eq!(next[0].info.id, b);
    assert_eq!(calls("lease") - leases, 1, "one call");
    assert_eq!(calls("update"), updates, "no separate ack");
    assert!(
        store.show(a).await.unwrap().is_none(),
        "the ack took effect"
    );
    store.ack(b).await.unwrap();
}

// ---------------------------------------------------------------------------------------------
// The two queue faults, on both backends, through the real delivery workers.
// ---------------------------------------------------------------------------------------------

fn target(port: u16, path: &str, policy: RetryPolicy) -> RouteTarget {
    common::queue_data::loopback_target(port, path, Duration::from_secs(2), policy)
}

fn policy(max_attempts: u32, initial_ms: u64, max_ms: u64) -> RetryPolicy {
    RetryPolicy {
        concurrency: 1,
        max_attempts,
        max_age: Duration::from_secs(3600),
        backoff: Backoff {
            initial: Duration::from_millis(initial_ms),
            max: Duration::from_millis(max_ms),
        },
    }
}

async fn until(what: &str, limit: Duration, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(start.elapsed() < limit, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Fault 1: a message accepted while the route pointed elsewhere (its stored head carries the
/// old upstream's path and `Host`) goes wholly to the route's current upstream: its path with
/// the request's own query, its `Host` — never the new host with the old path or `Host`.
async fn fault_backlog_follows_a_moved_upstream(store: Arc<dyn QueueStore>) {
    let mut accepted = queued_message(1);
    accepted.head.path = "/old/in?seq=1".into();
    accepted.head.headers.retain(|(n, _)| n != "host");
    accepted
        .head
        .headers
        .push(("host".into(), b"old.example:8081".to_vec()));
    let id = store.append(accepted).await.unwrap();
    let moved_to = Upstream::start();
    let workers = Workers::start(
        store.clone(),
        vec![target(moved_to.port, "/new/hooks", policy(5, 50, 100))],
        Arc::new(NoObserver),
    );
    until(
        "delivered to the new upstream",
        Duration::from_secs(10),
        || moved_to.count() >= 1,
    )
    .await;
    workers.shutdown(Duration::from_secs(5)).await;
    let got = &moved_to.received()[0];
    assert_eq!(
        got.target, "/new/hooks?seq=1",
        "the current upstream's path"
    );
    let host = format!("127.0.0.1:{}", moved_to.port);
    let hosts: Vec<&str> = got
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("host"))
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(
        hosts,
        vec![host.as_str()],
        "the current upstream's Host, once"
    );
    assert_eq!(got.body, body_of(1), "byte-identical");
    assert_eq!(
        got.header("x-seq"),
        Some("1"),
        "the other headers as accepted"
    );
    assert_eq!(
        got.header("x-hookgate-delivery-id"),
        Some(id.to_string().as_str())
    );
}

/// Fault 2: `Retry-After: 0`, a date in the past and a day-long value from the upstream are
/// clamped: never sooner than the route's own backoff (floor), never later than `backoff.max`
/// (ceiling). Backoff here: 300 ms doubling, at most 1.2 s; jitter ±20%.
async fn fault_retry_after_has_a_floor_and_a_ceiling(store: Arc<dyn QueueStore>) {
    let up = Upstream::start();
    let failing = |retry_after: &str| Behavior {
        status: 503,
        extra_headers: vec![("Retry-After".into(), retry_after.to_string())],
        ..Behavior::default()
    };
    up.script(vec![
        failing("0"),
        failing("Sun, 06 Nov 1994 08:49:37 GMT"),
        failing("86400"),
    ]);
    store.append(queued_message(2)).await.unwrap();
    let workers = Workers::start(
        store.clone(),
        vec![target(up.port, "/in", policy(10, 300, 1200))],
        Arc::new(NoObserver),
    );
    until(
        "delivered after three refusals",
        Duration::from_secs(20),
        || up.count() >= 4,
    )
    .await;
    workers.shutdown(Duration::from_secs(5)).await;
    let at: Vec<Instant> = up.received().iter().map(|r| r.at).collect();
    let gaps: Vec<Duration> = at.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(
        gaps[0] >= Duration::from_millis(240),
        "Retry-After: 0 floored: {gaps:?}"
    );
    assert!(
        gaps[1] >= Duration::from_millis(480),
        "past date floored: {gaps:?}"
    );
    assert!(
        gaps[2] >= Duration::from_millis(1150),
        "one day capped at max: {gaps:?}"
    );
    assert_eq!(up.count(), 4, "delivered once the upstream said yes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disk_backlog_follows_a_moved_upstream_wholly() {
    let dir = scratch("moved");
    fault_backlog_follows_a_moved_upstream(Arc::new(disk(&dir, 1 << 30))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_backlog_follows_a_moved_upstream_wholly() {
    let Some(redis) = RedisServer::start(&[]) else {
        return;
    };
    let store = redis_queue(&redis, "moved", 1 << 30, Duration::from_secs(20));
    fault_backlog_follows_a_moved_upstream(Arc::new(store)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disk_retry_after_has_a_floor_and_a_ceiling() {
    let dir = scratch("retry-after");
    fault_retry_after_has_a_floor_and_a_ceiling(Arc::new(disk(&dir, 1 << 30))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_retry_after_has_a_floor_and_a_ceiling() {
    let Some(redis) = RedisServer::start(&[]) else {
        return;
    };
    let store = redis_queue(&redis, "ra", 1 << 30, Duration::from_secs(20));
    fault_retry_after_has_a_floor_and_a_ceiling(Arc::new(store)).await;
}

// ---------------------------------------------------------------------------------------------
// What only the Redis backend has: replicas sharing one queue.
// ---------------------------------------------------------------------------------------------

/// Replica A leases a message and dies (its queue is dropped: no more heartbeats). Replica B
/// gets it once the lease is idle for `lease_timeout`, under the same delivery ID, byte-
/// identical; while A was alive and refreshing, B got nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_lease_of_a_dead_replica_is_taken_over_under_its_delivery_id() {
    let Some(redis) = RedisServer::start(&[]) else {
        return;
    };
    let lease = Duration::from_secs(1);
    let a = redis_queue(&redis, "takeover", 1 << 30, lease);
    let b = redis_queue(&redis, "takeover", 1 << 30, lease);
    let id = a.append(message("r", 7)).await.unwrap();
    assert_eq!(a.lease_due("r", 1).await.unwrap()[0].info.id, id);
    // A keeps refreshing: well past the lease timeout, B still gets nothing.
    let alive_until = Instant::now() + 3 * lease;
    while Instant::now() < alive_until {
        assert!(
            b.lease_due("r", 1).await.unwrap().is_empty(),
            "taken from a live replica"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    drop(a); // kill -9 as far as Redis can tell: the heartbeats stop
    let started = Instant::now();
    let taken = loop {
        let got = b.lease_due("r", 1).await.unwrap();
        if let Some(m) = got.into_iter().next() {
            break m;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "never taken over"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(taken.info.id, id, "same delivery ID");
    assert_eq!(taken.body.as_ref(), body_of(7).as_slice());
    assert_eq!(taken.head, head_of(7));
    assert_eq!(taken.info.attempts, 1, "the cut-off attempt counts");
    assert!(b.metrics().calls("maintain", "ok") > 0);
    b.ack(id).await.unwrap();
    assert!(b.show(id).await.unwrap().is_none());
}

/// A holder whose lease was taken over can no longer retry or dead-letter the message: only the
/// current holder decides (its ack is still honoured: the message was delivered).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_stale_holder_changes_nothing() {
    let Some(redis) = RedisServer::start(&[]) else {
        return;
    };
    let a = redis_queue(&redis, "stale", 1 << 30, Duration::from_secs(20));
    let id = a.append(message("r", 8)).await.unwrap();
    a.lease_due("r", 1).await.unwrap();
    let mut conn = redis.conn();
    let sids: Vec<(String, String, u64, u64)> = redis::cmd("XPENDING")
        .arg("{stale:r}:s")
        .arg("hookgate")
        .arg("-")
        .arg("+")
        .arg(10)
        .query(&mut conn)
        .unwrap();
    assert_eq!(sids.len(), 1);
    assert_eq!(sids[0].1, a.consumer());
    // Another replica takes the lease over.
    let _: redis::Value = redis::cmd("XCLAIM")
        .arg("{stale:r}:s")
        .arg("hookgate")
        .arg("other-replica")
        .arg(0)
        .arg(&sids[0].0)
        .arg("JUSTID")
        .query(&mut conn)
        .unwrap();
    a.retry_later(id, SystemTime::now(), "late").await.unwrap();
    a.dead(id, "late", true).await.unwrap();
    let info = a.show(id).await.unwrap().unwrap().info;
    assert_eq!((info.state, info.attempts), (MessageState::Leased, 0));
    assert_eq!(info.last_error, None);
}

/// The consumer group disappeared (Redis lost its data, an operator deleted it): the lease call
/// fails once, the group is recreated from the stream's start, it is counted, and the messages
/// still in the stream are delivered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_lost_group_is_recreated_counted_and_delivery_resumes() {
    let Some(redis) = RedisServer::start(&[]) else {
        return;
    };
    let q = redis_queue(&redis, "lost", 1 << 30, Duration::from_secs(20));
    let id = q.append(message("r", 9)).await.unwrap();
    let _: i64 = redis::cmd("XGROUP")
        .arg("DESTROY")
        .arg("{lost:r}:s")
        .arg("hookgate")
        .query(&mut redis.conn())
        .unwrap();
    let e = q.lease_due("r", 1).await.unwrap_err();
    assert!(e.to_string().contains("queue state lost"), "{e}");
    assert_eq!(q.metrics().state_lost_count("r"), 1);
    let again = q.lease_due("r", 1).await.unwrap();
    assert_eq!(again[0].info.id, id);
    assert_eq!(again[0].body.as_ref(), body_of(9).as_slice());
}

/// Redis down: appends fail fast (nothing acknowledged), workers' calls fail; once Redis is
/// back, both work again with the same queue object (connections are rebuilt).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_outage_fails_calls_then_the_queue_recovers() {
    let Some(mut redis) = RedisServer::prepare(&[]) else {
        return;
    };
    let q = redis_queue(&redis, "outage", 1 << 30, Duration::from_secs(20));
    let started = Instant::now();
    let e = q.append(message("r", 10)).await.unwrap_err();
    assert!(matches!(e, QueueError::Unavailable(_)), "{e:?}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "bounded: {:?}",
        started.elapsed()
    );
    assert!(q.lease_due("r", 1).await.is_err());
    assert!(q.metrics().calls("append", "error") + q.metrics().calls("append", "timeout") > 0);
    redis.resume();
    let id = q.append(message("r", 10)).await.unwrap();
    assert_eq!(q.lease_due("r", 1).await.unwrap()[0].info.id, id);
    redis.stop();
    assert!(q.ack(id).await.is_err());
}

/// Redis killed and restarted with `appendonly yes`, `appendfsync always`: every acknowledged
/// append is there, byte-identical, pending or dead as it was.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_restart_with_aof_keeps_every_acknowledged_message() {
    let aof = ["--appendonly", "yes", "--appendfsync", "always"];
    let Some(mut redis) = RedisServer::start(&aof) else {
        return;
    };
    let q = redis_queue(&redis, "aof", 1 << 30, Duration::from_secs(1));
    let mut ids = Vec::new();
    for seq in 0..40 {
        ids.push((q.append(message("r", seq)).await.unwrap(), seq));
    }
    let leased = q.lease_due("r", 1).await.unwrap()[0].info.id;
    q.dead(leased, "max_attempts reached", true).await.unwrap();
    drop(q);
    redis.stop(); // SIGKILL
    redis.resume();
    let q = redis_queue(&redis, "aof", 1 << 30, Duration::from_secs(1));
    for (id, seq) in &ids {
        let m = q.show(*id).await.unwrap().expect("acknowledged, so kept");
        assert_eq!(m.body.as_ref(), body_of(*seq).as_slice());
        let want = if *id == leased {
            MessageState::Dead
        } else {
            MessageState::Pending
        };
        assert_eq!(m.info.state, want, "{id}");
    }
    let stats = q.stats().await.unwrap();
    assert_eq!((stats.routes["r"].pending, stats.routes["r"].dead), (39, 1));
}

/// `min_replicas_acked = 1`: without a replica the append is refused (503 upstream of here:
/// `Unavailable`) once `WAIT` times out; with a replica attached it is acknowledged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_min_replicas_acked_needs_the_replicas() {
    let Some(primary) = RedisServer::start(&[]) else {
        return;
    };
    let mut options = RedisQueueOptions::new(&primary.url(), "wait", 1 << 30).unwrap();
    options.settings.min_replicas_acked = 1;
    let q = RedisQueue::new(options, RedisQueueMetrics::unregistered()).unwrap();
    let e = q.append(message("r", 11)).await.unwrap_err();
    assert!(e.to_string().contains("replicas"), "{e}");
    assert_eq!(q.metrics().calls("append", "replicas"), 1);

    let port = primary.port().to_string();
    let Some(_replica) = RedisServer::start(&["--replicaof", "127.0.0.1", &port]) else {
        return;
    };
    let started = Instant::now();
    loop {
        match q.append(message("r", 12)).await {
            Ok(_) => break,
            Err(e) => assert!(started.elapsed() < Duration::from_secs(20), "{e}"),
        }
    }
    let listed = q
        .list(&ListFilter {
            route: Some("r".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(!listed.is_empty());
}

/// A worker whose retry call failed (Redis was down at that moment) does not keep its lease
/// alive forever: the lease stops being refreshed, expires, and the message is delivered again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_lease_whose_outcome_was_lost_expires_and_is_due_again() {
    let aof = ["--appendonly", "yes", "--appendfsync", "always"];
    let Some(mut redis) = RedisServer::start(&aof) else {
        return;
    };
    let q = redis_queue(&redis, "lostcall", 1 << 30, Duration::from_secs(1));
    let id = q.append(message("r", 13)).await.unwrap();
    assert_eq!(q.lease_due("r", 1).await.unwrap()[0].info.id, id);
    redis.stop();
    assert!(q.retry_later(id, SystemTime::now(), "503").await.is_err());
    redis.resume();
    let started = Instant::now();
    loop {
        if let Some(m) = q
            .lease_due("r", 1)
            .await
            .ok()
            .and_then(|v| v.into_iter().next())
        {
            assert_eq!(m.info.id, id);
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "lease never expired"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Kills Redis (SIGKILL) and starts it again on the same port with its AOF: every connection
/// the queue holds is now stale.
fn restart(redis: &mut RedisServer) {
    redis.stop();
    redis.resume();
}

/// After a Redis restart, the first worker and admin calls on connections made before it
/// succeed: a call that may be sent twice is resent once on a fresh connection within its budget
/// (before, each failed once per stale connection). Each call below is the first on its queue's
/// work connection since a restart, and neither queue object runs the maintenance pass whose
/// calls could replace the connection first (only `lease_due` starts it, after its own call).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_restart_worker_and_admin_calls_reconnect_within_their_budget() {
    let aof = ["--appendonly", "yes", "--appendfsync", "always"];
    let Some(mut redis) = RedisServer::start(&aof) else {
        return;
    };
    let q = redis_queue(&redis, "stale", 1 << 30, Duration::from_secs(20));
    let a = q.append(message("r", 1)).await.unwrap();
    let b = q.append(message("r", 2)).await.unwrap();
    // Worker calls: the due-time poll, then the lease script.
    assert_eq!(q.next_due("r").await.unwrap(), None);
    restart(&mut redis);
    assert_eq!(
        q.next_due("r").await.unwrap(),
        None,
        "next_due after restart"
    );
    restart(&mut redis);
    let leased = q.lease_due("r", 1).await.expect("lease after restart");
    assert_eq!(leased[0].info.id, a);
    // Admin calls, on a second queue object (no maintenance pass, no lease held).
    let admin = redis_queue(&redis, "stale", 1 << 30, Duration::from_secs(20));
    assert_eq!(admin.stats().await.unwrap().routes["r"].pending, 1);
    restart(&mut redis);
    let stats = admin.stats().await.expect("stats after restart");
    assert_eq!(
        (stats.routes["r"].pending, stats.routes["r"].leased),
        (1, 1)
    );
    restart(&mut redis);
    let listed = admin
        .list(&ListFilter {
            route: None,
            state: None,
            after: None,
            limit: 10,
        })
        .await
        .expect("list after restart");
    assert_eq!(listed.len(), 2);
    restart(&mut redis);
    let shown = admin.show(b).await.expect("show after restart").unwrap();
    assert_eq!(shown.body.as_ref(), body_of(2).as_slice());
    restart(&mut redis);
    assert!(admin.replay(b).await.expect("replay after restart"));
    restart(&mut redis);
    // The ack of a message this object does not hold: locate, then the remove script.
    admin.ack(a).await.expect("ack after restart");
    assert!(admin.show(a).await.unwrap().is_none());
    // The stale connections were met (and counted), not avoided.
    assert!(admin.metrics().calls("admin", "error") >= 4);
    // Redis down for good: the resent call fails too (one resend, not a loop).
    redis.stop();
    assert!(admin.stats().await.is_err());
    assert!(q.next_due("r").await.is_err());
}

/// Leases `route`'s next message on a fresh replica, waiting for a takeover to make it due.
async fn lease_on_a_new_replica(redis: &RedisServer, prefix: &str, lease: Duration) -> RedisQueue {
    let replica = redis_queue(redis, prefix, 1 << 30, lease);
    let started = Instant::now();
    while replica.lease_due("r", 1).await.unwrap().is_empty() {
        assert!(started.elapsed() < Duration::from_secs(10), "never due");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    replica
}

/// A poison message: every worker that leases it dies mid-attempt (kill -9: its heartbeats
/// stop). Each takeover counts the cut-off attempt, so after `max_attempts` takeovers the next
/// worker dead-letters it before attempting, instead of it killing replicas forever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_message_whose_lease_keeps_expiring_is_dead_lettered_after_max_attempts() {
    let Some(redis) = RedisServer::start(&[]) else {
        return;
    };
    let lease = Duration::from_secs(1);
    let watcher = Arc::new(redis_queue(&redis, "poison", 1 << 30, lease));
    let id = watcher.append(message("r", 21)).await.unwrap();
    watcher.lease_due("r", 0).await.unwrap(); // its maintenance pass reclaims, it leases nothing
    for takeovers in 1..=3u32 {
        drop(lease_on_a_new_replica(&redis, "poison", lease).await);
        let started = Instant::now();
        loop {
            let info = watcher.show(id).await.unwrap().unwrap().info;
            if info.state != MessageState::Leased {
                assert_eq!(info.attempts, takeovers, "each takeover counts an attempt");
                assert!(info.last_error.unwrap().contains("lease expired"));
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "never taken over"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let up = Upstream::start();
    let mut erp = target(up.port, "/hooks", policy(3, 50, 100));
    erp.route = "r".into();
    let workers = Workers::start(watcher.clone(), vec![erp], Arc::new(NoObserver));
    let started = Instant::now();
    let dead = loop {
        let m = watcher.show(id).await.unwrap().unwrap();
        if m.info.state == MessageState::Dead {
            break m;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "never dead-lettered"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    workers.shutdown(Duration::from_secs(5)).await;
    assert_eq!(dead.info.attempts, 3);
    assert_eq!(
        dead.body.as_ref(),
        body_of(21).as_slice(),
        "kept with its body"
    );
    assert_eq!(up.count(), 0, "not attempted a fourth time");
}

/// The consumer names in `route`'s group of `prefix`.
fn consumers(redis: &RedisServer, prefix: &str) -> Vec<String> {
    let info: Vec<std::collections::HashMap<String, redis::Value>> = redis::cmd("XINFO")
        .arg("CONSUMERS")
        .arg(format!("{{{prefix}:r}}:s"))
        .arg("hookgate")
        .query(&mut redis.conn())
        .unwrap();
    info.iter()
        .map(|c| match &c["name"] {
            redis::Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
            other => panic!("consumer name {other:?}"),
        })
        .collect()
}

/// Every process leases under a consumer name of its own; the consumers of replicas that are
/// gone (no lease, idle for 3 × `lease_timeout`) are deleted by a live replica, which keeps its
/// own and goes on leasing. (A consumer holding leases is never deleted: `forget.lua` checks
/// its pending count in the same script; its leases are taken over first, after
/// `lease_timeout`.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_consumers_of_stopped_replicas_are_deleted() {
    let Some(redis) = RedisServer::start(&[]) else {
        return;
    };
    let lease = Duration::from_secs(1);
    let live = redis_queue(&redis, "forget", 1 << 30, lease);
    let id = live.append(message("r", 31)).await.unwrap();
    assert_eq!(live.lease_due("r", 1).await.unwrap()[0].info.id, id);
    live.ack(id).await.unwrap();
    // Three replicas lease a message each and die: their leases are taken over, then their
    // consumers (holding nothing now) are deleted.
    for seq in 0..3 {
        live.append(message("r", 40 + seq)).await.unwrap();
        let gone = redis_queue(&redis, "forget", 1 << 30, lease);
        assert_eq!(gone.lease_due("r", 1).await.unwrap().len(), 1);
    }
    assert_eq!(consumers(&redis, "forget").len(), 4);
    let started = Instant::now();
    while consumers(&redis, "forget").len() > 1 {
        assert!(started.elapsed() < Duration::from_secs(20), "never deleted");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        consumers(&redis, "forget"),
        vec![live.consumer().to_string()]
    );
    assert_eq!(live.metrics().consumers_deleted_count("r"), 3);
    let mut taken_over = 0;
    while taken_over < 3 {
        for m in live.lease_due("r", 3).await.unwrap() {
            assert_eq!(m.info.attempts, 1, "a takeover");
            live.ack(m.info.id).await.unwrap();
            taken_over += 1;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "never due");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
