//! Background workers that run beside the listeners (the delivery queue's workers, …) and that
//! shutdown waits for. Register them before the server runs:
//!
//! ```ignore
//! state.workers.add("queue stripe", |mut guard| Box::pin(async move {
//!     loop {
//!         tokio::select! {
//!             _ = guard.stopping() => break,   // draining: finish what is held, then return
//!             _ = work_once() => {}
//!         }
//!     }
//! }));
//! ```

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use pingora::server::ShutdownWatch;
use pingora::services::background::BackgroundService;

use super::drain::{Drain, WorkerGuard};

/// A worker: given its drain guard, the future it runs. Dropping the guard (returning) tells the
/// drain the worker is done.
pub type WorkerFn = Box<dyn FnOnce(WorkerGuard) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send>;

/// Workers waiting to be started by the server.
#[derive(Default)]
pub struct Workers {
    pending: Mutex<Vec<(String, WorkerFn)>>,
}

impl Workers {
    /// Registers a worker, started when the server runs.
    pub fn add(
        &self,
        name: impl Into<String>,
        worker: impl FnOnce(WorkerGuard) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + 'static,
    ) {
        self.pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((name.into(), Box::new(worker)));
    }

    fn take(&self) -> Vec<(String, WorkerFn)> {
        std::mem::take(&mut *self.pending.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

/// The pingora background service that runs the registered workers on its runtime.
pub struct WorkerService {
    drain: Arc<Drain>,
    workers: Mutex<Vec<(String, WorkerFn)>>,
}

impl WorkerService {
    pub fn new(drain: Arc<Drain>, workers: &Workers) -> Self {
        WorkerService {
            drain,
            workers: Mutex::new(workers.take()),
        }
    }
}

#[async_trait]
impl BackgroundService for WorkerService {
    async fn start(&self, mut shutdown: ShutdownWatch) {
        let workers = std::mem::take(&mut *self.workers.lock().unwrap_or_else(|p| p.into_inner()));
        for (name, worker) in workers {
            tracing::debug!(worker = %name, "starting background worker");
            tokio::spawn(worker(self.drain.register_worker()));
        }
        let _ = shutdown.changed().await;
    }
}
