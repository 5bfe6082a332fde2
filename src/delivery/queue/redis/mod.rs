//! The queue on Redis Streams (`[queue] backend = "redis"`): any replica delivers any replica's
//! messages, so a pod can be replaced at will (design: shared/notes/design-redis-queue.md).
//!
//! **Layout** ([`keys`]): per route, under one Cluster hash tag `{<prefix>:<route>}`, a stream of
//! live messages (`:s`, consumer group `hookgate`), a sorted set of retry due times (`:due`), a
//! hash of meta records (`:m`), a dead-letter stream (`:d`, bodies kept) and a byte counter
//! (`:n`). Every state change is one Lua script on those keys ([`scripts`]): atomic, and written
//! to the AOF as one unit. An entry of `:s` is exactly one of *unread* (after the group's last
//! delivered ID), *leased* (in the group's PEL, owned by one consumer) or *waiting* (in `:due`).
//!
//! **Acknowledgement point**: the append script (`XADD` of head and body as accepted). Its
//! durability is the server's: see README "Queue on Redis: durability". With
//! `min_replicas_acked = N`, a `WAIT N` on the append's connection must confirm N replicas
//! within 1 s, else the provider gets 503 (the message stays queued and is delivered; the
//! provider's retry may then be delivered too: at least once).
//!
//! **Leases**: a worker leases one message at a time (at most `concurrency` bodies per route in
//! memory). Each process refreshes its leases every tick ([`maintain`]) and reclaims any lease
//! idle for `lease_timeout`, so a replica killed with `kill -9` has its leased messages delivered
//! by another within `lease_timeout` + 1 s, under the same delivery ID, with the cut-off attempt
//! counted (so a message that kills every worker reaches `max_attempts` and is dead-lettered);
//! a replica that lost a lease (it stalled) has its late retry or dead-letter call ignored. Retries wait in `:due`
//! and are claimed back with `XCLAIM … FORCE` by whichever replica comes first (no body copy).
//! Due times are on Redis's clock (`TIME`), so replicas' clocks need not agree.
//!
//! **`max_bytes`**: every script that adds or removes a message adjusts the route's byte counter
//! by the message's charged size ([`crate::delivery::queue::NewMessage::charged_bytes`], as the
//! disk backend counts). An append is refused when its route's counter plus the other routes'
//! counters (read at most 1 s earlier) would pass `max_bytes`; with several replicas appending
//! at once the sum may overshoot by what they append within that second. Redis's own memory per
//! message is 1.1–1.3 × the charged size (bench/FINDINGS.md): set `maxmemory` accordingly.
//!
//! **Failures**: every call has its own budget (1 s for appends, 2 s for workers); a failure is
//! a 503 + `Retry-After` on the request path (the dedup claim released, nothing acknowledged)
//! and a paused worker, counted in `hookgate_queue_redis_calls_total` and
//! `hookgate_queue_store_errors_total`. A missing consumer group (Redis lost its data) is
//! recreated, logged as "queue state lost" and counted.

mod admin;
mod conn;
pub mod health;
pub mod keys;
mod maintain;
pub mod metrics;
mod ops;
mod parse;
mod scripts;
mod store;

use std::sync::Arc;
use std::time::SystemTime;

use async_trait::async_trait;
use tokio::sync::Notify;

pub use metrics::RedisQueueMetrics;
pub use store::{RedisQueue, RedisQueueOptions, APPEND_TIMEOUT, WAIT_TIMEOUT};

use super::store::{
    ListFilter, MessageId, MessageInfo, NewMessage, QueueError, QueueStats, QueueStore,
    StoredMessage,
};

#[async_trait]
impl QueueStore for RedisQueue {
    async fn append(&self, message: NewMessage) -> Result<MessageId, QueueError> {
        self.inner.append(message).await
    }

    async fn lease_due(&self, route: &str, max: usize) -> Result<Vec<StoredMessage>, QueueError> {
        self.inner.lease_due(route, max).await
    }

    async fn next_due(&self, route: &str) -> Result<Option<SystemTime>, QueueError> {
        self.inner.next_due(route).await
    }

    async fn ack(&self, id: MessageId) -> Result<(), QueueError> {
        self.inner.remove(id, "update").await.map(|_| ())
    }

    async fn ack_and_lease(
        &self,
        id: MessageId,
        route: &str,
        max: usize,
    ) -> Result<Vec<StoredMessage>, QueueError> {
        self.inner.ack_and_lease(id, route, max).await
    }

    async fn retry_later(
        &self,
        id: MessageId,
        due: SystemTime,
        error: &str,
    ) -> Result<(), QueueError> {
        self.inner.retry_later(id, due, error).await.map(|_| ())
    }

    async fn dead(&self, id: MessageId, reason: &str, attempted: bool) -> Result<(), QueueError> {
        self.inner.dead(id, reason, attempted).await
    }

    async fn list(&self, filter: &ListFilter) -> Result<Vec<MessageInfo>, QueueError> {
        self.inner.list(filter).await
    }

    async fn show(&self, id: MessageId) -> Result<Option<StoredMessage>, QueueError> {
        self.inner.show(id).await
    }

    async fn replay(&self, id: MessageId) -> Result<bool, QueueError> {
        self.inner.replay(id).await
    }

    async fn replay_dead(&self, route: &str) -> Result<usize, QueueError> {
        self.inner.replay_dead(route).await
    }

    async fn drop_message(&self, id: MessageId) -> Result<bool, QueueError> {
        self.inner.remove(id, "admin").await
    }

    async fn stats(&self) -> Result<QueueStats, QueueError> {
        self.inner.stats().await
    }

    fn wakeup(&self, route: &str) -> Arc<Notify> {
        self.inner.wakeups.route(route)
    }
}
