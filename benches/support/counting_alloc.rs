//! A global allocator wrapper that counts live heap bytes and their peak, and allocation calls
//! and the bytes they asked for, for the memory benchmarks (`dedup_memory`, `json_memory`,
//! `request_allocs`). Include with `#[path]` and install as the `#[global_allocator]`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

/// The allocator: `System`, counting.
pub struct Counting;

/// Live heap bytes now.
pub static LIVE: AtomicUsize = AtomicUsize::new(0);
/// The most live heap bytes since it was last reset (store `LIVE` into it to reset).
pub static PEAK: AtomicUsize = AtomicUsize::new(0);
/// Allocation calls so far (`alloc` and `realloc`: each is a trip into the allocator).
pub static ALLOCS: AtomicUsize = AtomicUsize::new(0);
/// Bytes asked for by those calls so far (a `realloc` counts its new size).
pub static ALLOCATED: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        ALLOCS.fetch_add(1, Relaxed);
        ALLOCATED.fetch_add(layout.size(), Relaxed);
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
        ALLOCS.fetch_add(1, Relaxed);
        ALLOCATED.fetch_add(new_size, Relaxed);
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
