//! Dedup store cost: claim + commit of a new event ID (the path of every first delivery), and a
//! claim that finds a duplicate.
//!
//!     cargo bench --bench dedup
//!
//! Bytes per entry at 1,000,000 entries is measured by `benches/dedup_memory.rs`.

use std::time::Duration;

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use hookgate::state::memory::MemoryDedup;
use hookgate::state::{ClaimOutcome, DedupSettings};

fn settings(max_entries: usize) -> DedupSettings {
    DedupSettings {
        ttl: Duration::from_secs(3600),
        max_entries,
        in_flight_limit: Duration::from_secs(30),
    }
}

fn dedup(c: &mut Criterion) {
    let mut group = c.benchmark_group("dedup");
    // A store that starts empty and grows (up to its 1M cap: then eviction is in the path too).
    let store = MemoryDedup::new(settings(1_000_000));
    let mut n: u64 = 0;
    let mut id = String::with_capacity(32);
    group.bench_function("claim_commit_new_id", |b| {
        b.iter(|| {
            n += 1;
            id.clear();
            use std::fmt::Write;
            write!(id, "evt_{n:016}").unwrap();
            match store.claim_now(black_box(&id)) {
                ClaimOutcome::Claimed(c) => store.commit_now(c),
                other => panic!("{other:?}"),
            }
        })
    });

    // A full store (1M delivered entries): every new ID evicts the oldest.
    let full = MemoryDedup::new(settings(1_000_000));
    for i in 0..1_000_000u64 {
        if let ClaimOutcome::Claimed(c) = full.claim_now(&format!("old_{i:016}")) {
            full.commit_now(c);
        }
    }
    let mut m: u64 = 0;
    group.bench_function("claim_commit_new_id_full_1M", |b| {
        b.iter(|| {
            m += 1;
            id.clear();
            use std::fmt::Write;
            write!(id, "new_{m:016}").unwrap();
            match full.claim_now(black_box(&id)) {
                ClaimOutcome::Claimed(c) => full.commit_now(c),
                other => panic!("{other:?}"),
            }
        })
    });

    // An ID delivered before (into the full store): the answer is "duplicate".
    let dup = "dup_0000000000000001";
    if let ClaimOutcome::Claimed(c) = full.claim_now(dup) {
        full.commit_now(c);
    }
    group.bench_function("claim_duplicate", |b| {
        b.iter(|| match full.claim_now(black_box(dup)) {
            ClaimOutcome::Duplicate => {}
            other => panic!("{other:?}"),
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = dedup
}
criterion_main!(benches);
