//! Bytes per dedup entry at 1,000,000 entries, counted by a global allocator wrapper that tracks
//! live heap bytes (and the peak while filling).
//!
//!     cargo bench --bench dedup_memory
//!
//! Target (issue 6): ≤ 128 bytes per entry at 1M entries.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::Duration;

use hookgate::state::memory::MemoryDedup;
use hookgate::state::{ClaimOutcome, DedupSettings};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            let now = LIVE.fetch_add(layout.size(), Relaxed) + layout.size();
            PEAK.fetch_max(now, Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        LIVE.fetch_sub(layout.size(), Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = System.realloc(ptr, layout, new_size);
        if !p.is_null() {
            if new_size >= layout.size() {
                let now =
                    LIVE.fetch_add(new_size - layout.size(), Relaxed) + new_size - layout.size();
                PEAK.fetch_max(now, Relaxed);
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Relaxed);
            }
        }
        p
    }
}

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
