//! The queue's Prometheus metrics, named as PRODUCT.md lists them. Labels are route names and
//! fixed words only.
//!
//! - `hookgate_queue_messages{route, state="pending|dead"}`: gauge; `pending` counts every
//!   message not yet delivered nor dead (an attempt in flight included).
//! - `hookgate_queue_oldest_pending_age_seconds{route}`: gauge; 0 when nothing is pending.
//! - `hookgate_delivery_attempts_total{route, result="2xx|3xx|4xx|5xx|timeout|unreachable"}`.
//! - `hookgate_delivery_dead_total{route}`: messages that became dead letters.
//! - `hookgate_queue_store_errors_total{route}`: store calls of the workers that failed (the
//!   message stays where it was until a restart; the log line says why).
//!
//! Gauges are set from [`super::store::QueueStats`] at scrape time ([`QueueMetrics::refresh`]).

use std::time::SystemTime;

use prometheus::{GaugeVec, IntCounterVec, IntGaugeVec, Opts, Registry};

use super::store::QueueStats;
use super::worker::{AttemptResult, DeadReason, DeliveryObserver};

/// The queue's metric families, registered once on the gateway's registry.
pub struct QueueMetrics {
    messages: IntGaugeVec,
    oldest_pending: GaugeVec,
    attempts: IntCounterVec,
    dead: IntCounterVec,
    store_errors: IntCounterVec,
}

impl QueueMetrics {
    /// Creates the families and registers them on `registry`.
    ///
    /// Errors: a family of the same name is already registered there.
    pub fn register(registry: &Registry) -> prometheus::Result<QueueMetrics> {
        let metrics = QueueMetrics {
            messages: IntGaugeVec::new(
                Opts::new(
                    "hookgate_queue_messages",
                    "Messages held by the delivery queue, by state (pending includes attempts in flight)",
                ),
                &["route", "state"],
            )?,
            oldest_pending: GaugeVec::new(
                Opts::new(
                    "hookgate_queue_oldest_pending_age_seconds",
                    "Age of the oldest message not yet delivered nor dead (0 when none)",
                ),
                &["route"],
            )?,
            attempts: IntCounterVec::new(
                Opts::new(
                    "hookgate_delivery_attempts_total",
                    "Delivery attempts of queued messages, by result",
                ),
                &["route", "result"],
            )?,
            dead: IntCounterVec::new(
                Opts::new(
                    "hookgate_delivery_dead_total",
                    "Queued messages that became dead letters",
                ),
                &["route"],
            )?,
            store_errors: IntCounterVec::new(
                Opts::new(
                    "hookgate_queue_store_errors_total",
                    "Queue store calls of the delivery workers that failed",
                ),
                &["route"],
            )?,
        };
        registry.register(Box::new(metrics.messages.clone()))?;
        registry.register(Box::new(metrics.oldest_pending.clone()))?;
        registry.register(Box::new(metrics.attempts.clone()))?;
        registry.register(Box::new(metrics.dead.clone()))?;
        registry.register(Box::new(metrics.store_errors.clone()))?;
        Ok(metrics)
    }

    /// Sets the gauges from `stats`, for every route in `routes` (queued routes with nothing
    /// held still report 0, so alerts see the series). The per-route counters that have not
    /// moved yet are shown at 0 too: `increase(hookgate_delivery_dead_total[5m])` then alerts on
    /// a route's first dead letter instead of missing the series' birth.
    pub fn refresh<'a>(&self, stats: &QueueStats, routes: impl IntoIterator<Item = &'a str>) {
        let now = SystemTime::now();
        for route in routes {
            self.dead.with_label_values(&[route]);
            self.store_errors.with_label_values(&[route]);
            let r = stats.routes.get(route).cloned().unwrap_or_default();
            self.messages
                .with_label_values(&[route, "pending"])
                .set((r.pending + r.leased) as i64);
            self.messages
                .with_label_values(&[route, "dead"])
                .set(r.dead as i64);
            let age = r
                .oldest_pending
                .and_then(|t| now.duration_since(t).ok())
                .map_or(0.0, |d| d.as_secs_f64());
            self.oldest_pending.with_label_values(&[route]).set(age);
        }
    }
}

impl DeliveryObserver for QueueMetrics {
    fn attempt(&self, route: &str, result: AttemptResult) {
        self.attempts
            .with_label_values(&[route, result.label()])
            .inc();
    }

    fn dead(&self, route: &str, _reason: DeadReason) {
        self.dead.with_label_values(&[route]).inc();
    }

    fn store_error(&self, route: &str) {
        self.store_errors.with_label_values(&[route]).inc();
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::time::Duration;

    use prometheus::{Encoder, TextEncoder};

    use super::*;
    use crate::delivery::queue::store::RouteStats;

    fn text(registry: &Registry) -> String {
        let mut out = Vec::new();
        TextEncoder::new()
            .encode(&registry.gather(), &mut out)
            .unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn gauges_follow_stats_and_counters_follow_workers() {
        let registry = Registry::new();
        let m = QueueMetrics::register(&registry).unwrap();
        let mut routes = BTreeMap::new();
        routes.insert(
            "erp".to_string(),
            RouteStats {
                pending: 3,
                leased: 2,
                dead: 1,
                oldest_pending: Some(SystemTime::now() - Duration::from_secs(120)),
            },
        );
        let stats = QueueStats {
            routes,
            bytes: 10,
            max_bytes: 100,
        };
        m.refresh(&stats, ["erp", "idle"]);
        m.attempt("erp", AttemptResult::Status(503));
        m.attempt("erp", AttemptResult::Unreachable);
        m.dead("erp", DeadReason::MaxAttempts);
        let t = text(&registry);
        assert!(
            t.contains("hookgate_queue_messages{route=\"erp\",state=\"pending\"} 5"),
            "{t}"
        );
        assert!(t.contains("hookgate_queue_messages{route=\"erp\",state=\"dead\"} 1"));
        assert!(t.contains("hookgate_queue_messages{route=\"idle\",state=\"pending\"} 0"));
        assert!(t.contains("hookgate_queue_oldest_pending_age_seconds{route=\"idle\"} 0"));
        let age_line = t
            .lines()
            .find(|l| l.starts_with("hookgate_queue_oldest_pending_age_seconds{route=\"erp\"}"))
            .unwrap();
        let age: f64 = age_line.rsplit(' ').next().unwrap().parse().unwrap();
        assert!((119.0..200.0).contains(&age), "{age_line}");
        assert!(t.contains("hookgate_delivery_attempts_total{result=\"5xx\",route=\"erp\"} 1"));
        assert!(
            t.contains("hookgate_delivery_attempts_total{result=\"unreachable\",route=\"erp\"} 1")
        );
        assert!(t.contains("hookgate_delivery_dead_total{route=\"erp\"} 1"));
        assert!(
            t.contains("hookgate_delivery_dead_total{route=\"idle\"} 0"),
            "{t}"
        );
        assert!(t.contains("hookgate_queue_store_errors_total{route=\"idle\"} 0"));
        assert!(
            QueueMetrics::register(&registry).is_err(),
            "registered once"
        );
    }
}
