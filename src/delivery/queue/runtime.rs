//! A gateway's delivery queue while it runs: the store opened from `[queue]`, its settings and
//! metrics, and the delivery targets of the queued routes.

use std::sync::Arc;

use prometheus::Registry;

use super::disk::{DiskOptions, DiskQueue};
use super::metrics::QueueMetrics;
use super::store::{QueueError, QueueStore};
use super::worker::RouteTarget;
use crate::config::model::RouteConfig;
use crate::config::queue::{DeliveryMode, QueueBackend, QueueSettings};

/// The queue of a gateway started with `[queue]`. Opened once per process: `dir`, `backend` and
/// `max_bytes` change only on restart.
pub struct QueueRuntime {
    pub store: Arc<dyn QueueStore>,
    pub settings: QueueSettings,
    pub metrics: Arc<QueueMetrics>,
}

impl QueueRuntime {
    /// Opens the store (every pending message is due again) and registers the queue's metrics
    /// on `registry`.
    ///
    /// Errors: the directory cannot be opened (e.g. another hookgate holds it) or a record is
    /// unreadable; the metrics are already registered.
    pub fn open(settings: QueueSettings, registry: &Registry) -> Result<QueueRuntime, QueueError> {
        let store: Arc<dyn QueueStore> = match &settings.backend {
            QueueBackend::Disk { dir } => {
                Arc::new(DiskQueue::open(DiskOptions::new(dir, settings.max_bytes))?)
            }
        };
        let metrics = QueueMetrics::register(registry)
            .map_err(|e| QueueError::Unavailable(format!("queue metrics: {e}")))?;
        Ok(QueueRuntime {
            store,
            settings,
            metrics: Arc::new(metrics),
        })
    }

    /// Refreshes the queue's gauges for the queued routes of `routes` (at scrape time).
    pub async fn refresh_metrics<'a>(&self, routes: impl Iterator<Item = &'a RouteConfig>) {
        match self.store.stats().await {
            Ok(stats) => {
                let names: Vec<&str> = routes
                    .filter(|r| matches!(r.delivery, DeliveryMode::Queue(_)))
                    .map(|r| r.name.as_str())
                    .chain(stats.routes.keys().map(String::as_str))
                    .collect();
                self.metrics.refresh(&stats, names);
            }
            Err(e) => tracing::error!(error = %e, "queue stats unavailable"),
        }
    }
}

/// The delivery target of a queued route; `None` for a direct one.
pub fn target_of(route: &RouteConfig) -> Option<RouteTarget> {
    match &route.delivery {
        DeliveryMode::Direct => None,
        DeliveryMode::Queue(q) => Some(RouteTarget {
            route: route.name.clone(),
            upstream: route.upstream.clone(),
            timeout: route.upstream_timeout,
            policy: q.retry,
        }),
    }
}
