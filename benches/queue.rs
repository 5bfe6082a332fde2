//! Durable append throughput and latency of the embedded queue (what bounds queued-mode acks),
//! with group commit (64 concurrent appenders) against one sync per append (sequential), at
//! 16 KiB and 100 KiB bodies; and the time to reopen a queue holding 100,000 pending messages.
//! Then the Redis Streams backend beside the disk one (16 concurrent appenders, 1.5 KiB and
//! 16 KiB): acks/s, ack p50/p99, and Redis's `used_memory` per queued message, on a
//! `redis-server` this bench starts (`appendonly yes`, `appendfsync everysec`; skipped when none
//! is installed). And the deliver cycle (appends with workers leasing and acking meanwhile, as a
//! queued route runs) with the hot set on and off: process CPU per delivered message.
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
use hookgate::delivery::queue::redis::{RedisQueue, RedisQueueMetrics, RedisQueueOptions};
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
            query: None,
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

/// This process's user + system CPU time so far (`/proc/self/stat` fields 14 and 15).
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    Duration::from_secs_f64(ticks as f64 / 100.0) // USER_HZ is 100 on Linux
}

/// 16 appenders append `total` messages of `size` bytes while 4 workers lease one at a time and
/// ack, until every message is acked. Returns (delivered/s, CPU µs per message, disk reads).
async fn deliver_cycle(size: usize, total: usize, hot_bytes: u64) -> (f64, f64, u64) {
    let dir = scratch(&format!("cycle-{size}-{hot_bytes}"));
    let mut options = DiskOptions::new(&dir, 1 << 40);
    options.hot_bytes = hot_bytes;
    let store = Arc::new(DiskQueue::open(options).unwrap());
    let acked = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let (started, cpu0) = (Instant::now(), cpu_time());
    let mut tasks = tokio::task::JoinSet::new();
    for t in 0..16 {
        let store = store.clone();
        tasks.spawn(async move {
            for i in 0..total / 16 {
                store
                    .append(message(size, (t * total + i) as u64))
                    .await
                    .unwrap();
            }
        });
    }
    for _ in 0..4 {
        let (store, acked) = (store.clone(), acked.clone());
        tasks.spawn(async move {
            use std::sync::atomic::Ordering::SeqCst;
            // As the delivery worker does: wait for the next commit when nothing is due (a
            // short timeout only ends the last waits once every message is acked).
            let wakeup = store.wakeup("bench");
            while acked.load(SeqCst) < total / 16 * 16 {
                let notified = wakeup.notified();
                tokio::pin!(notified);
                notified.as_mut().enable();
                match store.lease_due("bench", 1).await.unwrap().pop() {
                    Some(m) => {
                        store.ack(m.info.id).await.unwrap();
                        acked.fetch_add(1, SeqCst);
                    }
                    None => {
                        let wait = Duration::from_millis(5);
                        let _ = tokio::time::timeout(wait, notified).await;
                    }
                }
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    let (elapsed, cpu) = (started.elapsed(), cpu_time() - cpu0);
    let reads = store.disk_read_count();
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
    let n = (total / 16 * 16) as f64;
    (
        n / elapsed.as_secs_f64(),
        cpu.as_secs_f64() * 1e6 / n,
        reads,
    )
}

async fn deliver_cycles() {
    for (size, label) in [(1536, "1.5 KiB"), (16 << 10, "16 KiB")] {
        let cold = deliver_cycle(size, 20_000, 0).await;
        let hot = deliver_cycle(size, 20_000, 2 << 20).await;
        println!(
            "deliver cycle {label} (16 appenders, 4 workers leasing and acking): hot set off \
             {:.0} msgs/s, {:.1} µs CPU/msg, {} disk reads; on {:.0} msgs/s, {:.1} µs CPU/msg, \
             {} disk reads; CPU on/off = {:.2}",
            cold.0,
            cold.1,
            cold.2,
            hot.0,
            hot.1,
            hot.2,
            hot.1 / cold.1
        );
    }
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

/// Appends `total` messages of `size` bytes from `concurrency` tasks; acks/s, p50, p99.
async fn appends(
    store: Arc<dyn QueueStore>,
    size: usize,
    concurrency: usize,
    total: usize,
) -> (f64, Duration, Duration) {
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
    let rate = latencies.len() as f64 / started.elapsed().as_secs_f64();
    latencies.sort();
    (
        rate,
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
    )
}

/// A redis-server with AOF (`everysec`) on a free port; `None` when none is installed.
fn start_redis() -> Option<(std::process::Child, u16, PathBuf)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .ok()?
        .local_addr()
        .ok()?
        .port();
    let dir = scratch(&format!("redis-{port}"));
    std::fs::create_dir_all(&dir).ok()?;
    let child = std::process::Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
        ])
        .args(["--appendonly", "yes", "--appendfsync", "everysec"])
        .args(["--auto-aof-rewrite-percentage", "0", "--dir"])
        .arg(&dir)
        .stdout(std::process::Stdio::null())
        .spawn()
        .ok()?;
    std::thread::sleep(Duration::from_millis(300));
    Some((child, port, dir))
}

fn used_memory(port: u16) -> i64 {
    let mut c = redis::Client::open(format!("redis://127.0.0.1:{port}/0"))
        .unwrap()
        .get_connection()
        .unwrap();
    let info: String = redis::cmd("INFO").arg("memory").query(&mut c).unwrap();
    info.lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

/// Redis backend beside the disk backend: 16 appenders, 1.5 KiB and 16 KiB.
async fn redis_beside_disk() {
    let Some((mut child, port, dir)) = start_redis() else {
        println!("redis: redis-server not installed, skipped");
        return;
    };
    let url = format!("redis://127.0.0.1:{port}/0");
    for (size, label, total) in [(1536, "1.5 KiB", 16_000), (16 << 10, "16 KiB", 8_000)] {
        let disk_dir = scratch(&format!("beside-{size}"));
        let disk: Arc<dyn QueueStore> =
            Arc::new(DiskQueue::open(DiskOptions::new(&disk_dir, 1 << 40)).unwrap());
        let d = appends(disk, size, 16, total).await;
        let _ = std::fs::remove_dir_all(&disk_dir);
        let options = RedisQueueOptions::new(&url, &format!("b{size}"), 1 << 40).unwrap();
        let redis: Arc<dyn QueueStore> =
            Arc::new(RedisQueue::new(options, RedisQueueMetrics::unregistered()).unwrap());
        let before = used_memory(port);
        let r = appends(redis, size, 16, total).await;
        let per_message = (used_memory(port) - before) as f64 / total as f64;
        let charged = message(size, 0).charged_bytes() as f64;
        println!(
            "{label}, 16 appenders: disk {:.0} acks/s (p50 {:.2} ms, p99 {:.2} ms); redis everysec \
             {:.0} acks/s (p50 {:.2} ms, p99 {:.2} ms) = {:.2}x disk; redis holds {:.0} B per \
             queued message ({:.2}x the {charged:.0} charged bytes)",
            d.0,
            d.1.as_secs_f64() * 1e3,
            d.2.as_secs_f64() * 1e3,
            r.0,
            r.1.as_secs_f64() * 1e3,
            r.2.as_secs_f64() * 1e3,
            r.0 / d.0,
            per_message,
            per_message / charged,
        );
    }
    let _ = child.kill();
    let _ = child.wait();
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
        deliver_cycles().await;
        restart(100_000).await;
        redis_beside_disk().await;
    });
}
