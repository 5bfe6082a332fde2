//! Durable append throughput and latency of the embedded queue (what bounds queued-mode acks),
//! with group commit (64 concurrent appenders) against one sync per append (sequential), at
//! 16 KiB and 100 KiB bodies; and the time to reopen a queue holding 100,000 pending messages.
//!
//!     cargo bench --bench queue
//!
//! Runs on the disk under `target/` (fsync costs there what it costs in production on the same
//! disk). Figures are printed; compare ratios within one run, not across machines.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hookgate::delivery::queue::disk::{DiskOptions, DiskQueue};
use hookgate::delivery::queue::{NewMessage, QueueStore, StoredHead};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "hookgate-bench-queue-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn message(size: usize, n: u64) -> NewMessage {
    NewMessage {
        route: "bench".into(),
        head: StoredHead {
            method: "POST".into(),
            path: "/hook".into(),
            headers: vec![
                ("content-type".into(), b"application/json".to_vec()),
                (
                    "stripe-signature".into(),
                    format!("t=1,v1={n:064x}").into_bytes(),
                ),
                ("content-length".into(), size.to_string().into_bytes()),
            ],
            trace: None,
        },
        body: Bytes::from(vec![b'x'; size]),
        event_id: Some(format!("evt_{n}")),
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
}

struct Figures {
    per_second: f64,
    p50: Duration,
    p99: Duration,
    syncs: u64,
}

async fn run(size: usize, concurrency: usize, total: usize) -> Figures {
    let dir = scratch(&format!("{size}-{concurrency}"));
    let store = Arc::new(DiskQueue::open(DiskOptions::new(&dir, 1 << 40)).unwrap());
    let per_task = total / concurrency;
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for t in 0..concurrency {
        let store = store.clone();
        tasks.spawn(async move {
            let mut latencies = Vec::with_capacity(per_task);
            for i in 0..per_task {
                let m = message(size, (t * per_task + i) as u64);
                let t0 = Instant::now();
                store.append(m).await.unwrap();
                latencies.push(t0.elapsed());
            }
            latencies
        });
    }
    let mut latencies = Vec::with_capacity(total);
    while let Some(l) = tasks.join_next().await {
        latencies.extend(l.unwrap());
    }
    let elapsed = started.elapsed();
    latencies.sort();
    let figures = Figures {
        per_second: latencies.len() as f64 / elapsed.as_secs_f64(),
        p50: percentile(&latencies, 0.50),
        p99: percentile(&latencies, 0.99),
        syncs: store.sync_count(),
    };
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
    figures
}

async fn restart(pending: usize) {
    let dir = scratch("restart");
    {
        let store = Arc::new(DiskQueue::open(DiskOptions::new(&dir, 1 << 40)).unwrap());
        let mut tasks = tokio::task::JoinSet::new();
        for t in 0..64 {
            let store = store.clone();
            tasks.spawn(async move {
                for i in 0..pending / 64 {
                    store
                        .append(message(2048, (t * pending + i) as u64))
                        .await
                        .unwrap();
                }
            });
        }
        while tasks.join_next().await.is_some() {}
    }
    let started = Instant::now();
    let store = DiskQueue::open(DiskOptions::new(&dir, 1 << 40)).unwrap();
    let opened = started.elapsed();
    let first = store.lease_due("bench", 1).await.unwrap();
    let serving = started.elapsed();
    let stats = store.stats().await.unwrap();
    println!(
        "restart with {} pending (2 KiB bodies): open {:.0} ms, first lease {:.0} ms ({} leased)",
        stats.routes["bench"].pending + stats.routes["bench"].leased,
        opened.as_secs_f64() * 1000.0,
        serving.as_secs_f64() * 1000.0,
        first.len()
    );
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        for (size, label, total) in [(16 << 10, "16 KiB", 6400), (100 << 10, "100 KiB", 1920)] {
            let one = run(size, 1, 200).await;
            let group = run(size, 64, total).await;
            println!(
                "{label}: sequential {:.0} acks/s (p50 {:.1} ms, p99 {:.1} ms, {} syncs); \
                 64 concurrent {:.0} acks/s (p50 {:.1} ms, p99 {:.1} ms, {:.1} appends per sync); \
                 group commit = {:.1}x sequential",
                one.per_second,
                one.p50.as_secs_f64() * 1e3,
                one.p99.as_secs_f64() * 1e3,
                one.syncs,
                group.per_second,
                group.p50.as_secs_f64() * 1e3,
                group.p99.as_secs_f64() * 1e3,
                total as f64 / group.syncs as f64,
                group.per_second / one.per_second,
            );
        }
        restart(100_000).await;
    });
}
