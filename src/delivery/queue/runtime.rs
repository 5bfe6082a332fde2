//! A gateway's delivery queue while it runs: the store opened from `[queue]`, its settings and
//! metrics, and the delivery targets of the queued routes.

use std::sync::Arc;

use prometheus::Registry;

use super::disk::{DiskOptions, DiskQueue};
use super::metrics::QueueMetrics;
use super::redis::health::{self, Level};
use super::redis::{RedisQueue, RedisQueueMetrics, RedisQueueOptions};
use super::store::{QueueError, QueueStore};
use super::worker::{RetryPolicy, RouteTarget};
use crate::config::model::RouteConfig;
use crate::config::queue::{DeliveryMode, QueueBackend, QueueSettings, RedisQueueSettings};
use crate::delivery::resolve::Resolver;

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
    /// The Redis backend does no I/O here (the gateway starts while Redis is down); a thread
    /// logs what the server's persistence settings mean for queued messages once it answers.
    ///
    /// Errors: the directory cannot be opened (e.g. another hookgate holds it) or a record is
    /// unreadable; the Redis URL is refused; the metrics are already registered.
    pub fn open(settings: QueueSettings, registry: &Registry) -> Result<QueueRuntime, QueueError> {
        let registered =
            |e: prometheus::Error| QueueError::Unavailable(format!("queue metrics: {e}"));
        let store: Arc<dyn QueueStore> = match &settings.backend {
            QueueBackend::Disk { dir } => {
                Arc::new(DiskQueue::open(DiskOptions::new(dir, settings.max_bytes))?)
            }
            QueueBackend::Redis(redis) => {
                let metrics = RedisQueueMetrics::register(registry).map_err(registered)?;
                let options = RedisQueueOptions {
                    settings: redis.clone(),
                    max_bytes: settings.max_bytes,
                };
                log_redis_findings(redis.clone());
                Arc::new(RedisQueue::new(options, metrics)?)
            }
        };
        let metrics = QueueMetrics::register(registry).map_err(registered)?;
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

/// Logs, from a thread of its own, what the queue's Redis settings mean for acknowledged
/// messages (`warn` for a risk, `error` for `allkeys-*` eviction), once the server answers
/// (tried for a minute; the gateway does not wait for it).
fn log_redis_findings(settings: RedisQueueSettings) {
    let spawned = std::thread::Builder::new()
        .name("hookgate-queue-inspect".into())
        .spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            for _ in 0..30 {
                let found = runtime.block_on(health::inspect(
                    &settings,
                    std::time::Duration::from_secs(2),
                ));
                match found {
                    Ok(findings) => return log_findings(&findings),
                    Err(e) => tracing::debug!(error = %e, "queue redis not inspected yet"),
                }
                std::thread::sleep(std::time::Duration::from_secs(2));
            }
            tracing::warn!("queue redis could not be inspected: persistence settings unknown");
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "queue redis inspection not started");
    }
}

fn log_findings(findings: &[health::Finding]) {
    for f in findings {
        match f.level {
            Level::Note => tracing::info!("queue redis: {}", f.message),
            Level::Warn => tracing::warn!("queue redis: {}", f.message),
            Level::Refuse => tracing::error!("queue redis: {}", f.message),
        }
    }
}

/// What a reload from `old` to `new` route configs changes that the running delivery workers
/// keep until a restart: for each route queued before the reload whose [`target_of`] differs
/// (upstream, `upstream_timeout`, `queue` retry settings, or no longer queued), one sentence
/// naming the route. Without these, SIGHUP said "configuration reloaded" while queued
/// deliveries kept going to the old upstream.
pub fn restart_only_changes<'a>(
    old: impl Iterator<Item = &'a RouteConfig>,
    new: &[RouteConfig],
) -> Vec<String> {
    old.filter_map(|before| {
        let running = worker_settings(before)?;
        let after = new.iter().find(|r| r.name == before.name);
        let same = after.and_then(worker_settings) == Some(running);
        (!same).then(|| {
            format!(
                "route {:?}: a queued route's upstream, upstream_timeout and queue settings change \
                 only on restart; its queued deliveries keep going to {} until then",
                before.name, running.0
            )
        })
    })
    .collect()
}

/// What a queued route's running workers hold until a restart: upstream URL, upstream timeout
/// and retry policy. `None` for a direct route.
fn worker_settings(route: &RouteConfig) -> Option<(&str, std::time::Duration, RetryPolicy)> {
    match &route.delivery {
        DeliveryMode::Direct => None,
        DeliveryMode::Queue(q) => {
            Some((route.upstream.url.as_str(), route.upstream_timeout, q.retry))
        }
    }
}

/// The delivery target of a queued route; `None` for a direct one.
pub fn target_of(route: &RouteConfig, resolver: &Arc<Resolver>) -> Option<RouteTarget> {
    match &route.delivery {
        DeliveryMode::Direct => None,
        DeliveryMode::Queue(q) => Some(RouteTarget {
            route: route.name.clone(),
            upstream: route.upstream.clone(),
            timeout: route.upstream_timeout,
            policy: q.retry,
            resolver: resolver.clone(),
            tracing: None,
        }),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::restart_only_changes;
    use crate::config::model::RouteConfig;

    fn routes(upstream: &str, extra: &str) -> Vec<RouteConfig> {
        let text = format!(
            "[queue]\ndir = \"/tmp/unused\"\n\n[[route]]\nname = \"q\"\npath = \"/q\"\n\
             upstream = \"{upstream}\"\nprovider = \"stripe\"\nsecrets = [\"s\"]\n{extra}\n"
        );
        crate::config::parse_str(&text, Path::new("gateway.toml"), &|_: &str| None)
            .unwrap()
            .routes
    }

    #[test]
    fn a_reload_that_moves_a_queued_route_is_reported() {
        let old = routes("http://127.0.0.1:3000/a", "delivery = \"queue\"");
        let moved = routes("http://127.0.0.1:3001/a", "delivery = \"queue\"");
        let changes = restart_only_changes(old.iter(), &moved);
        assert_eq!(changes.len(), 1, "{changes:?}");
        assert!(changes[0].contains("route \"q\""), "{changes:?}");
        assert!(
            changes[0].contains("http://127.0.0.1:3000/a"),
            "{changes:?}"
        );

        let retuned = routes(
            "http://127.0.0.1:3000/a",
            "delivery = \"queue\"\nqueue = { max_attempts = 3 }",
        );
        assert_eq!(restart_only_changes(old.iter(), &retuned).len(), 1);
        let direct = routes("http://127.0.0.1:3000/a", "");
        assert_eq!(restart_only_changes(old.iter(), &direct).len(), 1);
    }

    #[test]
    fn an_unchanged_queued_route_or_a_direct_route_is_not_reported() {
        let old = routes("http://127.0.0.1:3000/a", "delivery = \"queue\"");
        let same = routes("http://127.0.0.1:3000/a", "delivery = \"queue\"");
        assert!(restart_only_changes(old.iter(), &same).is_empty());
        let direct = routes("http://127.0.0.1:3000/a", "");
        let moved = routes("http://127.0.0.1:3001/a", "");
        assert!(restart_only_changes(direct.iter(), &moved).is_empty());
    }
}
