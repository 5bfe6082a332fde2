//! Connections to the queue's Redis, apart from the `[state]` connection: the shared state
//! client carries 50 ms request-path calls, and a slow queue call (a `WAIT`, a 16 KiB append under
//! `appendfsync always`) on the same multiplexed connection would delay every dedup and rate-limit
//! call behind it (measured in shared/notes/design-redis-queue.md §8). No blocking command is ever
//! sent: workers poll.
//!
//! - **append pool**: `append_connections` connections used round-robin by appends (Redis groups
//!   fsyncs per event-loop pass across clients, so several connections ack more per fsync);
//!   `WAIT` for `min_replicas_acked` runs on the append's own connection, which makes it cover
//!   that append.
//! - **work**: one connection for the workers' lease, ack, retry and heartbeat calls and for
//!   admin calls.
//!
//! Each connection is a redis-rs `ConnectionManager`, created lazily (no I/O before the first
//! call, so the gateway starts while Redis is down) and dropped after an I/O failure so the next
//! call starts a fresh one. Every call is bounded by its own `tokio::time::timeout`, because
//! redis-rs does not bound a call made while it reconnects.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::RedisError;

use super::metrics::RedisQueueMetrics;
use crate::config::state::redact_secret;
use crate::delivery::queue::store::QueueError;

/// Budget of one connection attempt.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// Which connection a call uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pool {
    Append,
    Work,
}

/// Why a call failed: a reply Redis gave (`NOGROUP`, `OOM`…) or no reply.
#[derive(Debug)]
pub enum CallError {
    /// Redis answered with this error code (first word of the reply) and text.
    Server { code: String, text: String },
    /// No answer within the budget.
    Timeout,
    /// The connection failed (refused, dropped, TLS, auth…).
    Connection(String),
}

impl CallError {
    pub fn into_queue(self) -> QueueError {
        QueueError::Unavailable(match self {
            CallError::Server { text, .. } => format!("redis: {text}"),
            CallError::Timeout => "redis did not answer in time".to_string(),
            CallError::Connection(text) => format!("redis unreachable: {text}"),
        })
    }

    pub fn result_label(&self) -> &'static str {
        match self {
            CallError::Timeout => "timeout",
            _ => "error",
        }
    }
}

/// The queue's connections (see the module docs).
pub struct Conns {
    client: redis::Client,
    append: Vec<Mutex<Option<ConnectionManager>>>,
    work: Mutex<Option<ConnectionManager>>,
    next: AtomicUsize,
    password: Option<String>,
    pub metrics: RedisQueueMetrics,
}

impl Conns {
    /// Connections to `url` (no I/O). Errors: redis-rs refuses the URL.
    pub fn new(
        url: &crate::config::state::RedisUrl,
        append_connections: usize,
        metrics: RedisQueueMetrics,
    ) -> Result<Conns, QueueError> {
        let password = url.password();
        let client = redis::Client::open(url.expose()).map_err(|e| {
            QueueError::Unavailable(redact_secret(&e.to_string(), password.as_deref()))
        })?;
        Ok(Conns {
            client,
            append: (0..append_connections.max(1))
                .map(|_| Mutex::new(None))
                .collect(),
            work: Mutex::new(None),
            next: AtomicUsize::new(0),
            password,
            metrics,
        })
    }

    fn slot(&self, pool: Pool) -> &Mutex<Option<ConnectionManager>> {
        match pool {
            Pool::Work => &self.work,
            Pool::Append => {
                let n = self.next.fetch_add(1, Ordering::Relaxed);
                &self.append[n % self.append.len()]
            }
        }
    }

    fn manager(
        &self,
        slot: &Mutex<Option<ConnectionManager>>,
        budget: Duration,
    ) -> Result<ConnectionManager, CallError> {
        let mut held = slot.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(m) = &*held {
            return Ok(m.clone());
        }
        let config = ConnectionManagerConfig::new()
            .set_number_of_retries(1)
            .set_min_delay(Duration::from_millis(50))
            .set_max_delay(Duration::from_secs(1))
            .set_response_timeout(Some(budget))
            .set_connection_timeout(Some(CONNECT_TIMEOUT));
        let fresh = ConnectionManager::new_lazy_with_config(self.client.clone(), config)
            .map_err(|e| CallError::Connection(self.redact(&e)))?;
        *held = Some(fresh.clone());
        Ok(fresh)
    }

    fn redact(&self, e: &RedisError) -> String {
        redact_secret(&e.to_string(), self.password.as_deref())
    }

    /// Runs `call` on a connection of `pool` within `budget`, counting it as `op`.
    pub async fn run<T, F, Fut>(
        &self,
        pool: Pool,
        op: &str,
        budget: Duration,
        call: F,
    ) -> Result<T, CallError>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: Future<Output = Result<T, RedisError>>,
    {
        let slot = self.slot(pool);
        let conn = match self.manager(slot, budget) {
            Ok(c) => c,
            Err(e) => {
                self.metrics.call(op, e.result_label());
                return Err(e);
            }
        };
        let outcome = match tokio::time::timeout(budget, call(conn)).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(self.classify(pool, &e)),
            Err(_) => Err(CallError::Timeout),
        };
        self.metrics.call(
            op,
            outcome
                .as_ref()
                .map_or_else(CallError::result_label, |_| "ok"),
        );
        outcome
    }

    /// [`Conns::run`] for a call that may be sent twice: when its connection failed (a stale
    /// pooled connection after a Redis restart or failover fails on its first use), it is sent
    /// once more on a fresh connection within what is left of `budget`, so the caller sees one
    /// failure per outage rather than one per stale connection. Only for calls whose second
    /// landing changes nothing the first did not (reads, `SADD`, the holder-checked scripts,
    /// whose repeat finds the lease gone and answers "stale"); the lease script too, because an
    /// entry leased by a lost first send is taken over after `lease_timeout`, never lost.
    pub async fn run_idempotent<T, F, Fut>(
        &self,
        pool: Pool,
        op: &str,
        budget: Duration,
        call: F,
    ) -> Result<T, CallError>
    where
        F: Fn(ConnectionManager) -> Fut,
        Fut: Future<Output = Result<T, RedisError>>,
    {
        let deadline = Instant::now() + budget;
        match self.run(pool, op, budget, &call).await {
            Err(CallError::Connection(first)) => {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Err(CallError::Connection(first));
                }
                self.run(pool, op, left, &call).await
            }
            other => other,
        }
    }

    fn classify(&self, pool: Pool, e: &RedisError) -> CallError {
        if e.is_timeout() {
            return CallError::Timeout;
        }
        if let Some(code) = e.code() {
            return CallError::Server {
                code: code.to_string(),
                text: self.redact(e),
            };
        }
        // A failed connection: start over with fresh managers on the next calls (a manager
        // whose first connect failed on auth or TLS does not retry by itself). The whole pool:
        // when Redis dropped one connection (a restart, a failover) it dropped them all, and
        // each stale one would fail its next call, a provider's append among them.
        let slots = match pool {
            Pool::Work => std::slice::from_ref(&self.work),
            Pool::Append => &self.append[..],
        };
        for slot in slots {
            *slot.lock().unwrap_or_else(|p| p.into_inner()) = None;
        }
        CallError::Connection(self.redact(e))
    }
}
