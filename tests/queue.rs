//! Queued delivery on the embedded store, on real files and a real upstream on 127.0.0.1:
//! reopening, group commit, crash safety under `kill -9` of a real child process, and the
//! delivery worker's retries, dead letters, replay and shutdown. The backend contract both
//! backends pass is in `tests/queue_contract.rs`.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use hookgate::delivery::queue::backoff::Backoff;
use hookgate::delivery::queue::disk::{DiskOptions, DiskQueue};
use hookgate::delivery::queue::worker::{
    AttemptResult, DeadReason, DeliveryObserver, RetryPolicy, RouteTarget, Workers,
};
use hookgate::delivery::queue::{ListFilter, MessageId, MessageState, QueueError, QueueStore};

use common::queue_data::{body_of, head_of, message, queued_message};
use common::upstream::Behavior;
use common::{free_port, Upstream};

use common::scratch::Scratch;

fn scratch(name: &str) -> Scratch {
    Scratch::new(&format!("queue-{name}"))
}

fn open(dir: &Path, max_bytes: u64) -> DiskQueue {
    DiskQueue::open(DiskOptions::new(dir, max_bytes)).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reopening_makes_pending_and_leased_messages_due_again_and_keeps_dead_letters() {
    let dir = scratch("reopen");
    let (leased, pending, dead);
    {
        let store = open(&dir, 1 << 30);
        leased = store.append(message("r", 1)).await.unwrap();
        pending = store.append(message("r", 2)).await.unwrap();
        dead = store.append(message("s", 3)).await.unwrap();
        assert_eq!(store.lease_due("r", 1).await.unwrap()[0].info.id, leased);
        store.lease_due("s", 1).await.unwrap();
        store
            .dead(dead, "max_attempts reached", true)
            .await
            .unwrap();
        // Dropped with `leased` still leased, as a crash would leave it.
    }
    let store = open(&dir, 1 << 30);
    let due: Vec<_> = store
        .lease_due("r", 10)
        .await
        .unwrap()
        .into_iter()
        .map(|m| (m.info.id, m.body))
        .collect();
    assert_eq!(
        due,
        vec![
            (leased, Bytes::from(body_of(1))),
            (pending, Bytes::from(body_of(2)))
        ]
    );
    let d = store.show(dead).await.unwrap().unwrap();
    assert_eq!((d.info.state, d.info.attempts), (MessageState::Dead, 1));
    // New IDs keep sorting after the old ones.
    assert!(store.append(message("r", 4)).await.unwrap() > dead);
    // Bytes held are accounted again after the restart.
    let expected: u64 = [("r", 1), ("r", 2), ("s", 3), ("r", 4)]
        .iter()
        .map(|(route, seq)| message(route, *seq).charged_bytes())
        .sum();
    assert_eq!(store.stats().await.unwrap().bytes, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_appends_share_syncs_group_commit() {
    let dir = scratch("group");
    let store = Arc::new(open(&dir, 1 << 30));
    const N: u64 = 256;
    let before = store.sync_count();
    let mut tasks = tokio::task::JoinSet::new();
    for seq in 0..N {
        let store = store.clone();
        tasks.spawn(async move { (seq, store.append(message("g", seq)).await.unwrap()) });
    }
    let mut ids = BTreeSet::new();
    while let Some(done) = tasks.join_next().await {
        let (_, id) = done.unwrap();
        ids.insert(id);
    }
    let syncs = store.sync_count() - before;
    assert_eq!(
        ids.len() as u64,
        N,
        "every append acknowledged with its own ID"
    );
    assert!(syncs >= 1, "an acknowledged append was synced");
    assert!(
        syncs * 4 <= N,
        "{N} concurrent appends took {syncs} syncs: group commit is not batching"
    );
    eprintln!("group commit: {N} concurrent appends, {syncs} syncs");
    // Sequential appends, for contrast: one sync each.
    let before = store.sync_count();
    for seq in 0..8 {
        store.append(message("g", N + seq)).await.unwrap();
    }
    assert_eq!(store.sync_count() - before, 8);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acks_between_two_leases_are_removed_in_one_batch_and_stay_removed() {
    let dir = scratch("ack-batch");
    const N: u64 = 16;
    let (last, kept, acked);
    {
        let store = open(&dir, 1 << 30);
        let mut ids = Vec::new();
        for seq in 0..N {
            ids.push(store.append(message("a", seq)).await.unwrap());
        }
        last = store.append(message("b", N)).await.unwrap();
        kept = store.append(message("c", N + 1)).await.unwrap();
        let leased = store.lease_due("a", N as usize).await.unwrap();
        assert_eq!(leased.len() as u64, N);
        let before = store.ack_batch_count();
        for m in &leased {
            store.ack(m.info.id).await.unwrap();
        }
        // Out of the index at once: stats and show see the ack before the disk write.
        let stats = store.stats().await.unwrap();
        assert_eq!(stats.routes["a"].pending + stats.routes["a"].leased, 0);
        let others = message("b", N).charged_bytes() + message("c", N + 1).charged_bytes();
        assert_eq!(stats.bytes, others);
        assert!(store.show(ids[0]).await.unwrap().is_none());
        // The next lease writes all N removals as one batch.
        assert!(store.lease_due("a", 1).await.unwrap().is_empty());
        assert_eq!(store.ack_batch_count() - before, 1, "{N} acks, one batch");
        // Acks after the last lease are written when the queue closes.
        assert_eq!(store.lease_due("b", 1).await.unwrap()[0].info.id, last);
        store.ack(last).await.unwrap();
        acked = ids;
    }
    // Durable across a reopen: nothing acked comes back, nothing else is lost.
    let store = open(&dir, 1 << 30);
    for id in acked.iter().chain([&last]) {
        assert!(store.show(*id).await.unwrap().is_none(), "{id} came back");
    }
    let c = store
        .show(kept)
        .await
        .unwrap()
        .expect("the unacked message is kept");
    assert_eq!(c.body, Bytes::from(body_of(N + 1)));
    assert_eq!(
        store.stats().await.unwrap().bytes,
        message("c", N + 1).charged_bytes()
    );
}

fn open_hot(dir: &Path, hot_bytes: u64) -> DiskQueue {
    let mut options = DiskOptions::new(dir, 1 << 30);
    options.hot_bytes = hot_bytes;
    DiskQueue::open(options).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_leased_after_its_commit_comes_from_memory_and_matches_the_disk_copy() {
    let dir = scratch("hot-lease");
    let store = open(&dir, 1 << 30);
    let id = store.append(message("a", 7)).await.unwrap();
    let reads = store.disk_read_count();
    let first = store.lease_due("a", 1).await.unwrap().remove(0);
    assert_eq!(store.disk_read_count(), reads, "served by the hot set");
    assert_eq!(store.hot_bytes(), 0, "taken out at its first lease");
    assert_eq!((first.info.id, first.info.attempts), (id, 0));
    assert_eq!(first.info.state, MessageState::Leased);
    assert_eq!(first.head, head_of(7));
    assert_eq!(first.body, Bytes::from(body_of(7)));
    // A retried message is read back from disk: the same head and body.
    store
        .retry_later(id, SystemTime::now(), "503")
        .await
        .unwrap();
    let again = store.lease_due("a", 1).await.unwrap().remove(0);
    assert_eq!(store.disk_read_count(), reads + 1, "read from disk");
    assert_eq!((again.info.id, again.info.attempts), (id, 1));
    assert_eq!((again.head, again.body), (first.head, first.body));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hot_set_keeps_to_its_budget_and_the_rest_is_read_from_disk() {
    let dir = scratch("hot-budget");
    let budget = message("a", 1).charged_bytes() + message("a", 2).charged_bytes();
    let store = open_hot(&dir, budget);
    for seq in 1..=5 {
        store.append(message("a", seq)).await.unwrap();
    }
    assert_eq!(
        store.hot_bytes(),
        budget,
        "the first two fit, the rest does not"
    );
    let reads = store.disk_read_count();
    let leased = store.lease_due("a", 5).await.unwrap();
    assert_eq!(store.disk_read_count() - reads, 3);
    let bodies: Vec<_> = leased.iter().map(|m| m.body.clone()).collect();
    let expected: Vec<_> = (1..=5).map(|seq| Bytes::from(body_of(seq))).collect();
    assert_eq!(bodies, expected);
    for (m, seq) in leased.iter().zip(1..) {
        assert_eq!(m.head, head_of(seq));
    }
    // Budget 0: every lease reads from disk.
    let off = scratch("hot-off");
    let store = open_hot(&off, 0);
    store.append(message("a", 1)).await.unwrap();
    assert_eq!(store.lease_due("a", 1).await.unwrap()[0].body, body_of(1));
    assert_eq!(store.disk_read_count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hot_leases_write_waiting_acks_once_64_wait_and_dropped_messages_leave_the_hot_set() {
    let dir = scratch("hot-acks");
    let store = open(&dir, 1 << 30);
    for seq in 0..70 {
        store.append(message("a", seq)).await.unwrap();
    }
    let before = store.ack_batch_count();
    for _ in 0..64 {
        let m = store.lease_due("a", 1).await.unwrap().remove(0);
        store.ack(m.info.id).await.unwrap();
    }
    assert_eq!(
        store.ack_batch_count(),
        before,
        "64 hot leases wrote no ack batch"
    );
    store.lease_due("a", 1).await.unwrap();
    assert_eq!(
        store.ack_batch_count(),
        before + 1,
        "64 acks waiting: written"
    );
    // Dropping a message takes its body out of memory too.
    let held = store.hot_bytes();
    let next = store
        .list(&ListFilter {
            state: Some(MessageState::Pending),
            limit: 1,
            ..ListFilter::default()
        })
        .await
        .unwrap()[0]
        .clone();
    assert!(store.drop_message(next.id).await.unwrap());
    assert_eq!(store.hot_bytes(), held - next.size);
}

// ---------------------------------------------------------------------------------------------
// Crash safety: a child process appends, leases and acks; it is killed with SIGKILL at random
// points; every append it reported as acknowledged must be in the store, byte-identical,
// unless the child had leased it (then it may have been delivered and removed).
// ---------------------------------------------------------------------------------------------

const CHILD_DIR: &str = "HOOKGATE_QUEUE_CRASH_DIR";
const CHILD_SEQ: &str = "HOOKGATE_QUEUE_CRASH_SEQ";

/// The child side of `kill_9_never_loses_an_acknowledged_append`: run only by that test (it
/// re-runs this test binary with the environment set); on its own it does nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "child process of kill_9_never_loses_an_acknowledged_append"]
async fn crash_child_process() {
    let (Ok(dir), Ok(seq)) = (std::env::var(CHILD_DIR), std::env::var(CHILD_SEQ)) else {
        eprintln!("not started by the crash test: nothing to do");
        return;
    };
    let base: u64 = seq.parse().unwrap();
    let store: Arc<dyn QueueStore> = Arc::new(open(Path::new(&dir), 1 << 34));
    let out = Arc::new(Mutex::new(std::io::stdout()));
    let say = {
        let out = out.clone();
        move |line: String| {
            let mut out = out.lock().unwrap();
            writeln!(out, "{line}").unwrap();
            out.flush().unwrap();
        }
    };
    say("READY".into());
    let next = Arc::new(std::sync::atomic::AtomicU64::new(base));
    for _ in 0..16 {
        let (store, next, say) = (store.clone(), next.clone(), say.clone());
        tokio::spawn(async move {
            loop {
                let seq = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let id = store.append(message("crash", seq)).await.unwrap();
                say(format!("ACK {id} {seq}"));
                // Paced, so seven rounds stay a few hundred MB of journal at most.
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        });
    }
    // A delivering side, slower than the appenders (so many acknowledged appends are never
    // leased and must all survive): leases, then acks most, retries some, dead-letters a few.
    let mut n = 0u64;
    loop {
        let leased = store.lease_due("crash", 8).await.unwrap();
        for m in leased {
            say(format!("LEASE {}", m.info.id));
            n += 1;
            match n % 10 {
                0 => store
                    .retry_later(m.info.id, SystemTime::now(), "503")
                    .await
                    .unwrap(),
                1 => store
                    .dead(m.info.id, "max_attempts reached", true)
                    .await
                    .unwrap(),
                _ => store.ack(m.info.id).await.unwrap(),
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_never_loses_an_acknowledged_append() {
    let dir = scratch("crash");
    std::fs::create_dir_all(&*dir).unwrap();
    let mut acked: BTreeMap<MessageId, u64> = BTreeMap::new();
    let mut leased: BTreeSet<MessageId> = BTreeSet::new();
    let kill_after_ms = [150u64, 900, 40, 400, 1300, 5, 700];
    for (round, wait) in kill_after_ms.iter().enumerate() {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "crash_child_process", "--ignored", "--nocapture"])
            .env(CHILD_DIR, &*dir)
            .env(CHILD_SEQ, (round as u64 * 10_000_000).to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (lines_tx, lines_rx) = std::sync::mpsc::channel::<String>();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = lines_tx.send(line);
            }
        });
        // Kill at a varied point after the child is busy (its first append acknowledged).
        let mut lines = Vec::new();
        while !lines.iter().any(|l: &String| l.starts_with("ACK ")) {
            let line = lines_rx
                .recv_timeout(Duration::from_secs(30))
                .unwrap_or_else(|_| panic!("round {round}: the child acknowledged nothing"));
            lines.push(line);
        }
        std::thread::sleep(Duration::from_millis(*wait));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        reader.join().unwrap();
        lines.extend(lines_rx.try_iter());
        assert!(
            lines.iter().any(|l| l == "READY"),
            "round {round}: child never started"
        );
        let mut acked_this_round = 0;
        for line in &lines {
            let parts: Vec<&str> = line.split(' ').collect();
            match parts.as_slice() {
                ["ACK", id, seq] => {
                    if let (Ok(id), Ok(seq)) = (id.parse::<MessageId>(), seq.parse::<u64>()) {
                        acked.insert(id, seq);
                        acked_this_round += 1;
                    }
                }
                ["LEASE", id] => {
                    if let Ok(id) = id.parse() {
                        leased.insert(id);
                    }
                }
                _ => {}
            }
        }
        assert!(
            acked_this_round > 0,
            "round {round}: the kill came before any append"
        );

        // Reopen (as the restarted gateway would) and check every acknowledged append.
        let store = open(&dir, 1 << 34);
        let mut present = 0;
        for (id, seq) in &acked {
            match store.show(*id).await.unwrap() {
                Some(m) => {
                    assert_eq!(
                        m.body.as_ref(),
                        body_of(*seq).as_slice(),
                        "{id}: body differs"
                    );
                    assert_eq!(m.head, head_of(*seq), "{id}: head differs");
                    present += 1;
                }
                None => assert!(
                    leased.contains(id),
                    "round {round}: acknowledged append {id} (seq {seq}) lost"
                ),
            }
        }
        eprintln!(
            "round {round}: killed after ~{wait} ms; {acked_this_round} appends acked this round, \
             {present} of {} acked present, {} leased so far",
            acked.len(),
            leased.len()
        );
        // Everything not leased is due again.
        let due = store.lease_due("crash", usize::MAX).await.unwrap();
        let due: BTreeSet<_> = due.iter().map(|m| m.info.id).collect();
        for id in acked.keys().filter(|id| !leased.contains(id)) {
            let info = store.show(*id).await.unwrap().unwrap().info;
            assert!(
                due.contains(id) || info.state == MessageState::Dead,
                "{id} is neither due nor dead after restart"
            );
        }
    }
    assert!(
        acked.len() > 50,
        "the child made too little progress to mean anything"
    );
}

// ---------------------------------------------------------------------------------------------
// Delivery workers against a real upstream on 127.0.0.1.
// ---------------------------------------------------------------------------------------------

#[derive(Default)]
struct Recorder {
    attempts: Mutex<Vec<AttemptResult>>,
    dead: Mutex<Vec<DeadReason>>,
}

impl DeliveryObserver for Recorder {
    fn attempt(&self, _route: &str, result: AttemptResult) {
        self.attempts.lock().unwrap().push(result);
    }
    fn dead(&self, _route: &str, reason: DeadReason) {
        self.dead.lock().unwrap().push(reason);
    }
}

fn target(port: u16, policy: RetryPolicy, timeout: Duration) -> RouteTarget {
    common::queue_data::loopback_target(port, "/in", timeout, policy)
}

fn policy(max_attempts: u32, initial_ms: u64, max_ms: u64) -> RetryPolicy {
    RetryPolicy {
        concurrency: 2,
        max_attempts,
        max_age: Duration::from_secs(3600),
        backoff: Backoff {
            initial: Duration::from_millis(initial_ms),
            max: Duration::from_millis(max_ms),
        },
    }
}

/// Waits (bounded) until `check` holds.
async fn until(what: &str, limit: Duration, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(start.elapsed() < limit, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn worker_delivers_once_the_upstream_comes_up_byte_identical() {
    let scratch_dir = scratch("down-up");
    let store: Arc<DiskQueue> = Arc::new(open(&scratch_dir, 1 << 30));
    let port = free_port(); // nothing listens yet: connections are refused
    let mut ids = BTreeMap::new();
    for seq in 0..5 {
        ids.insert(store.append(queued_message(seq)).await.unwrap(), seq);
    }
    let recorder = Arc::new(Recorder::default());
    let workers = Workers::start(
        store.clone(),
        vec![target(port, policy(50, 50, 200), Duration::from_secs(2))],
        recorder.clone(),
    );
    until("refused attempts", Duration::from_secs(10), || {
        recorder.attempts.lock().unwrap().len() >= 5
    })
    .await;
    assert!(recorder
        .attempts
        .lock()
        .unwrap()
        .iter()
        .all(|a| *a == AttemptResult::Unreachable));

    let upstream = Upstream::start_on(port);
    until("all delivered", Duration::from_secs(20), || {
        upstream.count() >= 5
    })
    .await;
    until("all acked", Duration::from_secs(5), || {
        let stats = futures_lite_block(store.stats());
        stats.routes["erp"].pending + stats.routes["erp"].leased == 0
    })
    .await;
    workers.shutdown(Duration::from_secs(5)).await;

    let received = upstream.received();
    let mut seen = BTreeSet::new();
    for r in &received {
        let id: MessageId = r.header("x-hookgate-delivery-id").unwrap().parse().unwrap();
        let seq = ids[&id];
        assert!(seen.insert(id), "{id} delivered twice");
        assert_eq!(r.body, body_of(seq), "body must be byte-identical");
        assert_eq!(r.target, format!("/in?seq={seq}"));
        assert_eq!(r.header("x-seq"), Some(seq.to_string().as_str()));
        // Host is the upstream's, whatever was stored at accept time.
        assert_eq!(r.header("host"), Some(format!("127.0.0.1:{port}").as_str()));
        let attempt: u32 = r.header("x-hookgate-attempt").unwrap().parse().unwrap();
        assert!(attempt >= 2, "the refused attempts were counted: {attempt}");
    }
    assert_eq!(seen.len(), 5);
    assert!(store
        .list(&ListFilter {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn worker_retries_a_500_honouring_retry_after() {
    let scratch_dir = scratch("retry-after");
    let store: Arc<DiskQueue> = Arc::new(open(&scratch_dir, 1 << 30));
    let upstream = Upstream::start();
    upstream.script(vec![Behavior {
        status: 500,
        extra_headers: vec![("Retry-After".into(), "2".into())],
        ..Behavior::default()
    }]);
    let id = store.append(queued_message(1)).await.unwrap();
    let workers = Workers::start(
        store.clone(),
        // Backoff alone would retry after ~10 ms; Retry-After says 2 s.
        vec![target(
            upstream.port,
            policy(5, 10, 30_000),
            Duration::from_secs(2),
        )],
        Arc::new(Recorder::default()),
    );
    until("second attempt", Duration::from_secs(15), || {
        upstream.count() >= 2
    })
    .await;
    let received = upstream.received();
    let gap = received[1].at - received[0].at;
    assert!(
        gap >= Duration::from_millis(1900),
        "Retry-After not honoured: {gap:?}"
    );
    assert_eq!(received[0].header("x-hookgate-attempt"), Some("1"));
    assert_eq!(received[1].header("x-hookgate-attempt"), Some("2"));
    let id_text = id.to_string();
    let ids: Vec<_> = received
        .iter()
        .map(|r| r.header("x-hookgate-delivery-id"))
        .collect();
    assert_eq!(ids, vec![Some(id_text.as_str()); 2], "stable delivery ID");
    until("acked", Duration::from_secs(5), || {
        futures_lite_block(store.show(id)).is_none()
    })
    .await;
    workers.shutdown(Duration::from_secs(5)).await;
}

/// Polls a store future to completion from sync code inside a multi-thread runtime.
fn futures_lite_block<T>(f: impl std::future::Future<Output = Result<T, QueueError>>) -> T {
    tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(f)).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_is_capped_at_backoff_max_and_delays_grow() {
    let scratch_dir = scratch("cap");
    let store: Arc<DiskQueue> = Arc::new(open(&scratch_dir, 1 << 30));
    let upstream = Upstream::start();
    let failing = |retry_after: Option<&str>| Behavior {
        status: 503,
        extra_headers: retry_after
            .map(|v| vec![("Retry-After".into(), v.to_string())])
            .unwrap_or_default(),
        ..Behavior::default()
    };
    // A day-long Retry-After, then plain failures (backoff 200 ms doubling), then success.
    upstream.script(vec![
        failing(Some("86400")),
        failing(None),
        failing(None),
        failing(None),
    ]);
    store.append(queued_message(2)).await.unwrap();
    let workers = Workers::start(
        store.clone(),
        vec![target(
            upstream.port,
            policy(10, 200, 1_000),
            Duration::from_secs(2),
        )],
        Arc::new(Recorder::default()),
    );
    until("delivered", Duration::from_secs(20), || {
        upstream.count() >= 5
    })
    .await;
    workers.shutdown(Duration::from_secs(5)).await;
    let at: Vec<Instant> = upstream.received().iter().map(|r| r.at).collect();
    let gaps: Vec<Duration> = at.windows(2).map(|w| w[1] - w[0]).collect();
    // Capped at max (1 s ± jitter, never more than max); then 200 ms, 400 ms, 800 ms ±20%.
    assert!(gaps[0] >= Duration::from_millis(950), "{gaps:?}");
    assert!(gaps[1] >= Duration::from_millis(160), "{gaps:?}");
    assert!(gaps[2] >= Duration::from_millis(320), "{gaps:?}");
    assert!(gaps[3] >= Duration::from_millis(640), "{gaps:?}");
    assert!(gaps[3] > gaps[1], "delays grow: {gaps:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn never_succeeding_message_is_dead_after_max_attempts_and_replay_delivers_it() {
    let scratch_dir = scratch("dead");
    let store: Arc<DiskQueue> = Arc::new(open(&scratch_dir, 1 << 30));
    let upstream = Upstream::start();
    upstream.set(|b| b.status = 503);
    let id = store.append(queued_message(3)).await.unwrap();
    let recorder = Arc::new(Recorder::default());
    let workers = Workers::start(
        store.clone(),
        vec![target(
            upstream.port,
            policy(3, 20, 50),
            Duration::from_secs(2),
        )],
        recorder.clone(),
    );
    until("dead letter", Duration::from_secs(10), || {
        !recorder.dead.lock().unwrap().is_empty()
    })
    .await;
    assert_eq!(
        *recorder.dead.lock().unwrap(),
        vec![DeadReason::MaxAttempts]
    );
    let attempts: Vec<_> = upstream
        .received()
        .iter()
        .map(|r| r.header("x-hookgate-attempt").unwrap().to_string())
        .collect();
    assert_eq!(attempts, ["1", "2", "3"], "exactly max_attempts attempts");
    let dead = store
        .list(&ListFilter {
            route: Some("erp".into()),
            state: Some(MessageState::Dead),
            after: None,
            limit: 10,
        })
        .await
        .unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!((dead[0].id, dead[0].attempts), (id, 3));
    assert!(dead[0].last_error.as_deref().unwrap().contains("503"));
    assert_eq!(
        store.show(id).await.unwrap().unwrap().body.as_ref(),
        body_of(3).as_slice()
    );
    // Nothing more is attempted while it is dead.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(upstream.count(), 3);

    upstream.set(|b| b.status = 200);
    assert!(store.replay(id).await.unwrap());
    until("replayed delivery", Duration::from_secs(10), || {
        upstream.count() >= 4
    })
    .await;
    let last = upstream.received().pop().unwrap();
    assert_eq!(
        last.header("x-hookgate-attempt"),
        Some("1"),
        "replay resets attempts"
    );
    assert_eq!(last.body, body_of(3));
    until("acked", Duration::from_secs(5), || {
        futures_lite_block(store.show(id)).is_none()
    })
    .await;
    workers.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_upstream_times_out_and_is_retried() {
    let scratch_dir = scratch("timeout");
    let store: Arc<DiskQueue> = Arc::new(open(&scratch_dir, 1 << 30));
    let upstream = Upstream::start();
    upstream.script(vec![Behavior {
        delay: Duration::from_millis(1500),
        ..Behavior::default()
    }]);
    let id = store.append(queued_message(4)).await.unwrap();
    let recorder = Arc::new(Recorder::default());
    let workers = Workers::start(
        store.clone(),
        vec![target(
            upstream.port,
            policy(5, 20, 50),
            Duration::from_millis(300),
        )],
        recorder.clone(),
    );
    until("second attempt", Duration::from_secs(10), || {
        upstream.count() >= 2
    })
    .await;
    until("acked", Duration::from_secs(5), || {
        futures_lite_block(store.show(id)).is_none()
    })
    .await;
    workers.shutdown(Duration::from_secs(5)).await;
    let attempts = recorder.attempts.lock().unwrap().clone();
    assert_eq!(attempts[0], AttemptResult::Timeout);
    assert_eq!(attempts[1], AttemptResult::Status(200));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_lets_attempts_in_flight_finish_and_leaves_the_rest_queued() {
    // Within the grace period: the in-flight attempt completes and is acked.
    let scratch_dir = scratch("drain");
    let store: Arc<DiskQueue> = Arc::new(open(&scratch_dir, 1 << 30));
    let upstream = Upstream::start();
    upstream.set(|b| b.delay = Duration::from_millis(700));
    let id = store.append(queued_message(5)).await.unwrap();
    let mut policy1 = policy(5, 20, 50);
    policy1.concurrency = 1;
    let workers = Workers::start(
        store.clone(),
        vec![target(upstream.port, policy1, Duration::from_secs(5))],
        Arc::new(Recorder::default()),
    );
    until("attempt in flight", Duration::from_secs(5), || {
        upstream.count() == 1
    })
    .await;
    let later = store.append(queued_message(6)).await.unwrap();
    let report = workers.shutdown(Duration::from_secs(5)).await;
    assert_eq!((report.finished, report.cut_off), (1, 0));
    assert!(
        store.show(id).await.unwrap().is_none(),
        "in-flight attempt finished and acked"
    );
    let left = store
        .show(later)
        .await
        .unwrap()
        .expect("not yet attempted: stays queued");
    assert_eq!(left.info.attempts, 0);
    assert_eq!(upstream.count(), 1, "no new attempt after shutdown began");

    // Past the grace period: the attempt is cut off and the message stays for the next start.
    let dir = scratch("drain-cut");
    let store: Arc<DiskQueue> = Arc::new(open(&dir, 1 << 30));
    upstream.set(|b| b.delay = Duration::from_secs(3));
    let id = store.append(queued_message(7)).await.unwrap();
    let workers = Workers::start(
        store.clone(),
        vec![target(upstream.port, policy1, Duration::from_secs(10))],
        Arc::new(Recorder::default()),
    );
    until("attempt in flight", Duration::from_secs(5), || {
        upstream.count() == 2
    })
    .await;
    let report = workers.shutdown(Duration::from_millis(200)).await;
    assert_eq!((report.finished, report.cut_off), (0, 1));
    drop(store);
    let store = open(&dir, 1 << 30);
    let due = store.lease_due("erp", 10).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].info.id, id);
}

// ---------------------------------------------------------------------------------------------
// The admin API's answers (over HTTP they are exercised by the gateway's end-to-end tests).
// ---------------------------------------------------------------------------------------------

async fn admin(
    store: &DiskQueue,
    method: &str,
    uri: &str,
    auth: Option<&str>,
) -> (u16, serde_json::Value) {
    use hookgate::config::secret::Secret;
    let token = Secret::literal("t0ken");
    let response = hookgate::delivery::queue::admin::handle(
        store,
        Some(&token),
        &method.parse().unwrap(),
        &uri.parse().unwrap(),
        auth.map(str::as_bytes),
    )
    .await
    .expect("a queue admin path");
    let status = response.status().as_u16();
    (status, serde_json::from_slice(response.body()).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_api_refuses_mutations_and_bodies_without_the_token() {
    let scratch_dir = scratch("admin");
    let store = open(&scratch_dir, 1 << 30);
    let id = store.append(message("erp", 40)).await.unwrap();
    store.lease_due("erp", 1).await.unwrap();
    store.dead(id, "max_attempts reached", true).await.unwrap();
    let ok = Some("Bearer t0ken");

    for (method, uri) in [
        ("GET", format!("/admin/queue/messages/{id}")),
        ("POST", format!("/admin/queue/messages/{id}/replay")),
        ("POST", "/admin/queue/replay?route=erp".to_string()),
        ("DELETE", format!("/admin/queue/messages/{id}")),
    ] {
        for auth in [
            None,
            Some("Bearer wrong"),
            Some("t0ken"),
            Some("Bearer t0ken2"),
        ] {
            let (status, body) = admin(&store, method, &uri, auth).await;
            assert_eq!(status, 401, "{method} {uri} with {auth:?}");
            assert!(body["error"].as_str().unwrap().contains("admin token"));
        }
    }
    // Nothing was changed by the refused calls.
    assert_eq!(
        store.show(id).await.unwrap().unwrap().info.state,
        MessageState::Dead
    );

    let (status, stats) = admin(&store, "GET", "/admin/queue/stats", None).await;
    assert_eq!(status, 200);
    assert_eq!(stats["routes"]["erp"]["dead"], 1);
    let (status, listed) = admin(
        &store,
        "GET",
        "/admin/queue/messages?state=dead&route=erp",
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(listed["messages"][0]["id"], id.to_string());
    assert_eq!(listed["messages"][0]["attempts"], 1);

    let (status, shown) = admin(&store, "GET", &format!("/admin/queue/messages/{id}"), ok).await;
    assert_eq!(status, 200);
    use base64::Engine;
    let body = base64::engine::general_purpose::STANDARD
        .decode(shown["body_base64"].as_str().unwrap())
        .unwrap();
    assert_eq!(body, body_of(40));

    let (status, replayed) = admin(&store, "POST", "/admin/queue/replay?route=erp", ok).await;
    assert_eq!((status, replayed["replayed"].as_u64()), (200, Some(1)));
    assert_eq!(
        store.show(id).await.unwrap().unwrap().info.state,
        MessageState::Pending
    );
    let (status, dropped) =
        admin(&store, "DELETE", &format!("/admin/queue/messages/{id}"), ok).await;
    assert_eq!((status, dropped["dropped"].as_bool()), (200, Some(true)));
    assert!(store.show(id).await.unwrap().is_none());
    // Dropped already, or never there: 404, as `show` answers.
    let (status, again) = admin(&store, "DELETE", &format!("/admin/queue/messages/{id}"), ok).await;
    assert_eq!(
        (status, again["error"].as_str()),
        (404, Some("no such message"))
    );

    let (status, _) = admin(&store, "GET", "/admin/queue/messages?state=gone", None).await;
    assert_eq!(status, 400);
    let (status, _) = admin(&store, "POST", "/admin/queue/messages/xyz/replay", ok).await;
    assert_eq!(status, 400);
    let (status, _) = admin(&store, "PUT", "/admin/queue/stats", ok).await;
    assert_eq!(status, 405);
}
