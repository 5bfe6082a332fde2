//! One short periodic timer per worker runtime while it has connections, so that a request's
//! timers are never the earliest in tokio's timer wheel.
//!
//! Why: tokio 1.54 (`runtime/time/mod.rs`, `Handle::reregister`) wakes the I/O driver — an
//! `eventfd` `write(2)` — whenever a timer is armed with a deadline before the driver's next
//! planned wake-up, even from the runtime's own thread while it is running. On a kept-alive
//! connection the earliest timers in the wheel are the 60 s `idle_timeout` waits, so each
//! request's 30 s `upstream_timeout` was earlier and cost a `write` plus a spurious `epoll_wait`
//! return: 0.6 of the 4.8 syscalls per request (bench/FINDINGS.md §22). With a timer due within
//! [`PERIOD`] always in the wheel, the driver's next wake-up is never later than now + `PERIOD`,
//! and request timers (`read_timeout`, `upstream_timeout`, `idle_timeout`: seconds) no longer
//! wake it. Cost: one timer firing per `PERIOD` per worker thread with connections open; none
//! on an idle gateway (the anchor stops with the runtime's last connection).
//!
//! Only on pingora's no-steal runtimes (one current-thread runtime per worker): the per-thread
//! connection count needs a connection to end on the thread it started on.

use std::cell::Cell;
use std::time::Duration;

/// How often the anchor fires: far below any request timer (whole seconds), far above a
/// request's work.
pub const PERIOD: Duration = Duration::from_millis(500);

thread_local! {
    /// Connections open on this thread's runtime.
    static OPEN: Cell<usize> = const { Cell::new(0) };
    /// Whether this thread's anchor task is running.
    static RUNNING: Cell<bool> = const { Cell::new(false) };
}

/// Held for one connection's life on a worker runtime; starts the runtime's anchor if needed.
#[derive(Debug)]
pub struct ConnectionHold(bool);

/// Counts a connection on this worker runtime (a no-op guard on a work-stealing runtime).
pub fn hold() -> ConnectionHold {
    let current_thread = tokio::runtime::Handle::try_current()
        .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::CurrentThread);
    if !current_thread {
        return ConnectionHold(false);
    }
    OPEN.with(|open| open.set(open.get() + 1));
    if !RUNNING.with(|running| running.replace(true)) {
        tokio::spawn(anchor());
    }
    ConnectionHold(true)
}

impl Drop for ConnectionHold {
    fn drop(&mut self) {
        if self.0 {
            OPEN.with(|open| open.set(open.get().saturating_sub(1)));
        }
    }
}

/// Keeps a timer due within [`PERIOD`] in this runtime's wheel until its last connection ends.
async fn anchor() {
    loop {
        tokio::time::sleep(PERIOD).await;
        if OPEN.with(Cell::get) == 0 {
            RUNNING.with(|running| running.set(false));
            return;
        }
    }
}

/// Whether this thread's anchor is running (for tests).
pub fn running() -> bool {
    RUNNING.with(Cell::get)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn current_thread() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
    }

    #[test]
    fn one_anchor_runs_while_connections_are_open_and_stops_after_the_last() {
        current_thread().block_on(async {
            let metrics = tokio::runtime::Handle::current().metrics();
            let (a, b) = (hold(), hold());
            assert!(running());
            assert_eq!(
                metrics.num_alive_tasks(),
                1,
                "one anchor for two connections"
            );
            drop(a);
            tokio::time::sleep(PERIOD * 2).await;
            assert!(running(), "a connection is still open");
            drop(b);
            tokio::time::sleep(PERIOD * 2).await;
            assert!(!running());
            assert_eq!(metrics.num_alive_tasks(), 0);
            let _c = hold();
            assert!(running(), "restarted by the next connection");
        });
    }

    #[test]
    fn work_stealing_runtimes_get_no_anchor() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_time()
            .build()
            .unwrap();
        rt.block_on(async {
            let _hold = hold();
            assert!(!running());
            assert_eq!(
                tokio::runtime::Handle::current()
                    .metrics()
                    .num_alive_tasks(),
                0
            );
        });
    }
}
