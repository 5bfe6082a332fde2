//! A disk queue directory written in record layout 1 (main up to 223e826: `head`, `body` and
//! `meta` keyspaces) opens in this version with every message kept, and its pending messages are
//! delivered by the real worker to a real upstream on 127.0.0.1 exactly as before: same body
//! bytes, head, attempt numbers, event IDs; dead letters stay dead with their error.
//!
//! The directory is written here by [`write_v1`], an encoder of layout 1 kept for this test: the
//! same fjall keyspaces and options and the same JSON records as 223e826's `disk.rs` and
//! `record.rs`.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use fjall::{Database, KeyspaceCreateOptions, KvSeparationOptions, PersistMode};
use hookgate::delivery::queue::backoff::Backoff;
use hookgate::delivery::queue::disk::{DiskOptions, DiskQueue};
use hookgate::delivery::queue::worker::{
    AttemptResult, DeadReason, DeliveryObserver, RetryPolicy, RouteTarget, Workers,
};
use hookgate::delivery::queue::{ListFilter, MessageId, MessageState, NewMessage, QueueStore};
use serde_json::json;

use common::queue_data::{body_of, queued_message};
use common::scratch::Scratch;
use common::Upstream;

/// One layout 1 message: what 223e826 kept of it.
struct V1 {
    id: MessageId,
    message: NewMessage,
    attempts: u32,
    dead: bool,
    last_error: Option<String>,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// Writes `messages` in layout 1 into `dir` (one batch each, as 223e826 committed them), synced.
fn write_v1(dir: &Path, messages: &[V1]) {
    let db = Database::builder(dir).open().unwrap();
    let small = || KeyspaceCreateOptions::default().max_memtable_size(2 * 1024 * 1024);
    let heads = db.keyspace("head", small).unwrap();
    let bodies = db
        .keyspace("body", || {
            KeyspaceCreateOptions::default()
                .max_memtable_size(4 * 1024 * 1024)
                .with_kv_separation(Some(KvSeparationOptions::default()))
        })
        .unwrap();
    let metas = db.keyspace("meta", small).unwrap();
    for m in messages {
        let key = m.id.0.to_be_bytes();
        let head = &m.message.head;
        let headers: Vec<(String, String)> = head
            .headers
            .iter()
            .map(|(n, v)| (n.clone(), STANDARD.encode(v)))
            .collect();
        let head_record = json!({"v": 1, "method": head.method, "path": head.path,
            "query": head.query, "headers": headers});
        let created = (m.id.0 >> 64) as u64;
        let mut meta = json!({"v": 1, "route": m.message.route, "created_ms": created,
            "due_ms": created, "attempts": m.attempts, "dead": m.dead,
            "size": m.message.charged_bytes(), "event_id": m.message.event_id});
        if let Some(e) = &m.last_error {
            meta["last_error"] = json!(e);
        }
        let mut batch = db.batch();
        batch.insert(&heads, &key[..], serde_json::to_vec(&head_record).unwrap());
        batch.insert(&bodies, &key[..], &m.message.body[..]);
        batch.insert(&metas, &key[..], serde_json::to_vec(&meta).unwrap());
        batch.commit().unwrap();
    }
    db.persist(PersistMode::SyncData).unwrap();
}

/// Pending messages 0..n of route `erp` (some already tried), and one dead letter.
fn v1_messages(first: u64, n: u64) -> Vec<V1> {
    let base = u128::from(now_ms() - 60_000) << 64;
    let mut out: Vec<V1> = (first..first + n)
        .map(|seq| V1 {
            id: MessageId(base + u128::from(seq)),
            message: queued_message(seq),
            attempts: (seq % 3) as u32,
            dead: false,
            last_error: (seq % 3 > 0).then(|| "upstream answered 503".to_string()),
        })
        .collect();
    out.push(V1 {
        id: MessageId(base + u128::from(first + n)),
        message: queued_message(first + n),
        attempts: 4,
        dead: true,
        last_error: Some("max_attempts reached".into()),
    });
    out
}

#[derive(Default)]
struct Quiet;

impl DeliveryObserver for Quiet {
    fn attempt(&self, _route: &str, _result: AttemptResult) {}
    fn dead(&self, _route: &str, _reason: DeadReason) {}
}

fn target(port: u16) -> RouteTarget {
    let policy = RetryPolicy {
        concurrency: 2,
        max_attempts: 10,
        max_age: Duration::from_secs(3600),
        backoff: Backoff {
            initial: Duration::from_millis(50),
            max: Duration::from_millis(200),
        },
    };
    common::queue_data::loopback_target(port, "/in", Duration::from_secs(5), policy)
}

/// Starts the worker on `store`, waits until `n` requests reached the upstream and nothing is
/// pending, and returns what the upstream received by delivery ID.
async fn deliver_all(
    store: Arc<DiskQueue>,
    n: usize,
) -> BTreeMap<MessageId, (Vec<u8>, String, u32)> {
    let upstream = Upstream::start();
    let workers = Workers::start(store.clone(), vec![target(upstream.port)], Arc::new(Quiet));
    let start = Instant::now();
    loop {
        let stats = store.stats().await.unwrap();
        let left = stats.routes.get("erp").map_or(0, |r| r.pending + r.leased);
        if upstream.count() >= n && left == 0 {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "not delivered");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    workers.shutdown(Duration::from_secs(5)).await;
    let mut got = BTreeMap::new();
    for r in upstream.received() {
        let id: MessageId = r.header("x-hookgate-delivery-id").unwrap().parse().unwrap();
        let attempt = r.header("x-hookgate-attempt").unwrap().parse().unwrap();
        let x_seq = r.header("x-seq").unwrap().to_string();
        assert!(
            got.insert(id, (r.body.clone(), x_seq, attempt)).is_none(),
            "{id} twice"
        );
        assert_eq!(r.target, format!("/in?seq={}", got[&id].1));
    }
    got
}

fn assert_delivered_as_before(got: &BTreeMap<MessageId, (Vec<u8>, String, u32)>, v1: &[V1]) {
    let pending: Vec<&V1> = v1.iter().filter(|m| !m.dead).collect();
    assert_eq!(got.len(), pending.len());
    for m in pending {
        let (body, x_seq, attempt) = &got[&m.id];
        let seq: u64 = x_seq.parse().unwrap();
        assert_eq!(*body, body_of(seq), "body must be byte-identical");
        assert_eq!(&m.message.body[..], &body[..]);
        assert_eq!(*attempt, m.attempts + 1, "attempts carried over");
    }
}

async fn assert_dead_kept(store: &DiskQueue, m: &V1) {
    let shown = store.show(m.id).await.unwrap().expect("dead letter kept");
    assert_eq!(shown.info.state, MessageState::Dead);
    assert_eq!(shown.info.attempts, m.attempts);
    assert_eq!(shown.info.last_error, m.last_error);
    assert_eq!(shown.info.event_id, m.message.event_id);
    assert_eq!(shown.head, m.message.head);
    assert_eq!(shown.body, m.message.body);
}

fn assert_layout_1_gone(dir: &Path) {
    let db = Database::builder(dir).open().unwrap();
    assert!(!db.keyspace_exists("head") && !db.keyspace_exists("meta"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_layout_1_queue_opens_migrated_and_delivers_every_pending_message_as_before() {
    let dir = Scratch::new("queue-migrate-v1");
    let v1 = v1_messages(0, 12);
    write_v1(&dir, &v1);
    {
        let store = Arc::new(DiskQueue::open(DiskOptions::new(&*dir, 1 << 30)).unwrap());
        // Everything is indexed as before: states, sizes, event IDs, heads.
        let listed = store
            .list(&ListFilter {
                limit: 100,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(listed.len(), v1.len());
        let charged: u64 = v1.iter().map(|m| m.message.charged_bytes()).sum();
        assert_eq!(store.stats().await.unwrap().bytes, charged);
        for m in &v1[..3] {
            let shown = store.show(m.id).await.unwrap().unwrap();
            assert_eq!(
                (shown.head, shown.body),
                (m.message.head.clone(), m.message.body.clone())
            );
            assert_eq!(shown.info.event_id, m.message.event_id);
        }
        let got = deliver_all(store.clone(), 12).await;
        assert_delivered_as_before(&got, &v1);
        assert_dead_kept(&store, v1.last().unwrap()).await;
        // New IDs keep sorting after the migrated ones.
        assert!(store.append(queued_message(99)).await.unwrap() > v1.last().unwrap().id);
    }
    assert_layout_1_gone(&dir);
    // Reopened: only the dead letter and the new message are left; nothing comes back.
    let store = DiskQueue::open(DiskOptions::new(&*dir, 1 << 30)).unwrap();
    let left = store
        .list(&ListFilter {
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(left.len(), 2);
    assert_dead_kept(&store, v1.last().unwrap()).await;
}

/// A migration interrupted between two batches leaves some messages in each layout; the next
/// open moves the rest. Simulated by writing more layout 1 records into a directory that was
/// already migrated (the keyspaces of both layouts then hold messages, as after a crash).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_directory_holding_both_layouts_is_migrated_on_the_next_open() {
    let dir = Scratch::new("queue-migrate-mixed");
    let first = v1_messages(0, 3);
    write_v1(&dir, &first);
    drop(DiskQueue::open(DiskOptions::new(&*dir, 1 << 30)).unwrap());
    let second = v1_messages(10, 1200); // more than one migration chunk
    write_v1(&dir, &second);
    let store = Arc::new(DiskQueue::open(DiskOptions::new(&*dir, 1 << 30)).unwrap());
    let listed = store
        .list(&ListFilter {
            limit: 5000,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(listed.len(), first.len() + second.len());
    let got = deliver_all(store.clone(), 3 + 1200).await;
    let all: Vec<V1> = first.into_iter().chain(second).collect();
    assert_delivered_as_before(&got, &all);
    drop(store);
    assert_layout_1_gone(&dir);
}
