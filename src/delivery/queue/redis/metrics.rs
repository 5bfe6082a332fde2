//! Metrics of the Redis queue backend, beside the backend-neutral ones of
//! [`crate::delivery::queue::metrics`]:
//!
//! - `hookgate_queue_redis_calls_total{op, result}`: calls to the queue's Redis by operation
//!   (`append`, `lease`, `update`, `admin`, `maintain`) and result (`ok`, `full`, `timeout`,
//!   `error`, `replicas` — fewer replicas than `min_replicas_acked` confirmed an append).
//! - `hookgate_queue_redis_takeovers_total{route}`: leases of a replica that stopped refreshing
//!   them (it died) made due again for any replica.
//! - `hookgate_queue_redis_consumers_deleted_total{route}`: consumers of stopped replicas (no
//!   lease, idle for 3 × `lease_timeout`) deleted from the route's group.
//! - `hookgate_queue_redis_state_lost_total{route}`: the consumer group was missing (Redis lost
//!   its data or an operator deleted keys) and was recreated.

use prometheus::{IntCounterVec, Opts, Registry};

/// The backend's counters (cheap to clone).
#[derive(Clone)]
pub struct RedisQueueMetrics {
    calls: IntCounterVec,
    takeovers: IntCounterVec,
    state_lost: IntCounterVec,
    consumers_deleted: IntCounterVec,
}

impl RedisQueueMetrics {
    /// Counters registered on `registry`.
    ///
    /// Errors: already registered there.
    pub fn register(registry: &Registry) -> prometheus::Result<RedisQueueMetrics> {
        let m = RedisQueueMetrics::unregistered();
        registry.register(Box::new(m.calls.clone()))?;
        registry.register(Box::new(m.takeovers.clone()))?;
        registry.register(Box::new(m.state_lost.clone()))?;
        registry.register(Box::new(m.consumers_deleted.clone()))?;
        Ok(m)
    }

    /// Counters exported nowhere (tests, tools).
    pub fn unregistered() -> RedisQueueMetrics {
        let vec = |name: &str, help: &str, labels: &[&str]| {
            IntCounterVec::new(Opts::new(name, help), labels).expect("valid metric")
        };
        RedisQueueMetrics {
            calls: vec(
                "hookgate_queue_redis_calls_total",
                "Calls to the queue's Redis by operation and result",
                &["op", "result"],
            ),
            takeovers: vec(
                "hookgate_queue_redis_takeovers_total",
                "Leases not refreshed for lease_timeout (their replica died) made due again",
                &["route"],
            ),
            state_lost: vec(
                "hookgate_queue_redis_state_lost_total",
                "Times a route's consumer group was missing (Redis lost data) and was recreated",
                &["route"],
            ),
            consumers_deleted: vec(
                "hookgate_queue_redis_consumers_deleted_total",
                "Consumers of stopped replicas (no lease, idle 3 x lease_timeout) deleted",
                &["route"],
            ),
        }
    }

    pub fn call(&self, op: &str, result: &str) {
        self.calls.with_label_values(&[op, result]).inc();
    }

    /// The count of `{op, result}` so far.
    pub fn calls(&self, op: &str, result: &str) -> u64 {
        self.calls.with_label_values(&[op, result]).get()
    }

    pub fn takeovers(&self, route: &str, n: u64) {
        self.takeovers.with_label_values(&[route]).inc_by(n);
    }

    pub fn consumers_deleted(&self, route: &str, n: u64) {
        self.consumers_deleted.with_label_values(&[route]).inc_by(n);
    }

    /// Consumers deleted from `route`'s group so far.
    pub fn consumers_deleted_count(&self, route: &str) -> u64 {
        self.consumers_deleted.with_label_values(&[route]).get()
    }

    pub fn state_lost(&self, route: &str) {
        self.state_lost.with_label_values(&[route]).inc();
    }

    /// Times `route`'s group was recreated.
    pub fn state_lost_count(&self, route: &str) -> u64 {
        self.state_lost.with_label_values(&[route]).get()
    }
}
