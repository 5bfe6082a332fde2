//! Draining: what shutdown waits for. Request tasks are counted while they run; background
//! workers (delivery queue workers, …) register themselves and are told when draining starts.
//! Shutdown ends when both counts reach zero or `grace_period` is over.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;

pub struct Drain {
    draining: AtomicBool,
    in_flight: AtomicUsize,
    workers: AtomicUsize,
    stop: watch::Sender<bool>,
}

impl Default for Drain {
    fn default() -> Self {
        Drain {
            draining: AtomicBool::new(false),
            in_flight: AtomicUsize::new(0),
            workers: AtomicUsize::new(0),
            stop: watch::channel(false).0,
        }
    }
}

impl Drain {
    /// Starts draining: `/readyz` turns 503, connections are not kept alive, workers are told.
    pub fn start(&self) {
        self.draining.store(true, Ordering::SeqCst);
        self.stop.send_replace(true);
    }

    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }

    /// Resolves once draining has started (at once if it already has): a connection waiting for
    /// its next request stops waiting and is closed.
    pub async fn started(&self) {
        let _ = self.stop.subscribe().wait_for(|stop| *stop).await;
    }

    /// Requests being served now.
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::SeqCst)
    }

    /// Registered workers still running.
    pub fn workers(&self) -> usize {
        self.workers.load(Ordering::SeqCst)
    }

    /// Counts a request as in flight until the guard drops.
    pub fn track_request(self: &Arc<Self>) -> RequestGuard {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        RequestGuard(self.clone())
    }

    /// Registers a background worker: shutdown waits (at most `grace_period`) until the guard
    /// drops. The worker learns that draining started from [`WorkerGuard::stopping`] and should
    /// finish what it holds, take nothing new, and return.
    pub fn register_worker(self: &Arc<Self>) -> WorkerGuard {
        self.workers.fetch_add(1, Ordering::SeqCst);
        WorkerGuard {
            drain: self.clone(),
            stop: self.stop.subscribe(),
        }
    }

    /// Waits until nothing is in flight and no worker runs (true), or `grace` has passed
    /// (false).
    pub async fn drained(&self, grace: Duration) -> bool {
        let since = Instant::now();
        while self.in_flight() + self.workers() > 0 {
            if since.elapsed() >= grace {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        true
    }
}

pub struct RequestGuard(Arc<Drain>);

impl Drop for RequestGuard {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A registered worker's handle on the drain; dropping it tells the drain the worker is done.
pub struct WorkerGuard {
    drain: Arc<Drain>,
    stop: watch::Receiver<bool>,
}

impl WorkerGuard {
    /// Resolves once draining has started (at once if it already has).
    pub async fn stopping(&mut self) {
        let _ = self.stop.wait_for(|stop| *stop).await;
    }

    pub fn is_stopping(&self) -> bool {
        *self.stop.borrow()
    }
}

impl Drop for WorkerGuard {
    fn drop(&mut self) {
        self.drain.workers.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn drained_waits_for_requests_and_workers() {
        let drain = Arc::new(Drain::default());
        let request = drain.track_request();
        let mut worker = drain.register_worker();
        assert!(!worker.is_stopping());
        drain.start();
        worker.stopping().await;
        assert!(!drain.drained(Duration::from_millis(50)).await);
        drop(request);
        assert!(
            !drain.drained(Duration::from_millis(50)).await,
            "worker left"
        );
        drop(worker);
        assert!(drain.drained(Duration::from_millis(50)).await);
    }
}
