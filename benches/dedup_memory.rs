//! Bytes per dedup entry at 1,000,000 entries, counted by a global allocator wrapper that tracks
//! live heap bytes (and the peak while filling).
//!
//!     cargo bench --bench dedup_memory
//!
//! Target (issue 6): ≤ 128 bytes per entry at 1M entries; issue 24: ≤ 64 (52.4 with 64-bit keys
//! and a packed 64-bit state, from 102.8).

use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use hookgate::state::memory::MemoryDedup;
use hookgate::state::{ClaimOutcome, DedupSettings};

#[path = "support/counting_alloc.rs"]
mod counting_alloc;

use counting_alloc::{Counting, LIVE, PEAK};

#[global_allocator]
static GLOBAL: Counting = Counting;

fn main() {
    // `cargo bench` passes `--bench`; nothing to parse.
    const N: usize = 1_000_000;
    let mut id = String::with_capacity(32);
    let before = LIVE.load(Relaxed);
    PEAK.store(before, Relaxed);
    let store = MemoryDedup::new(DedupSettings {
        ttl: Duration::from_secs(3600),
        max_entries: N,
        in_flight_limit: Duration::from_secs(30),
    });
    for i in 0..N {
        use std::fmt::Write;
        id.clear();
        write!(id, "evt_{i:016}").unwrap();
        match store.claim_now(&id) {
            ClaimOutcome::Claimed(c) => store.commit_now(c),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(store.entries(), N);
    let live = LIVE.load(Relaxed) - before;
    let peak = PEAK.load(Relaxed) - before;
    println!("dedup entries: {}", store.entries());
    println!(
        "live heap bytes: {live} ({:.1} MiB)",
        live as f64 / 1048576.0
    );
    println!(
        "peak heap bytes while filling: {peak} ({:.1} MiB)",
        peak as f64 / 1048576.0
    );
    println!("bytes per entry: {:.1}", live as f64 / N as f64);
    println!("peak bytes per entry: {:.1}", peak as f64 / N as f64);
    // Steady state: the store full, new IDs evicting the oldest (the order queue may hold stale
    // items until it is compacted).
    for i in 0..N / 2 {
        use std::fmt::Write;
        id.clear();
        write!(id, "new_{i:016}").unwrap();
        if let ClaimOutcome::Claimed(c) = store.claim_now(&id) {
            store.commit_now(c);
        }
    }
    let live2 = LIVE.load(Relaxed) - before;
    println!(
        "after 500,000 more (store full, evicting): {} entries, bytes per entry: {:.1}",
        store.entries(),
        live2 as f64 / store.entries() as f64
    );
}
