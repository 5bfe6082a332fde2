//! Queued delivery (PRODUCT.md, "Queued delivery"): a durable store of verified requests
//! ([`store::QueueStore`], embedded implementation in [`disk`]) and per-route delivery workers
//! ([`worker`]) that retry with [`backoff`] until the upstream answers 2xx, `max_attempts` or
//! `max_age` is reached (then the message is kept as a dead letter).
//!
//! Guarantee: at least once, in no promised order. A message leased to a worker when the process
//! dies is due again on the next open, so it may reach the upstream twice; upstreams deduplicate
//! on `X-Hookgate-Delivery-Id` (stable across attempts) or the provider's event ID.

pub mod admin;
pub mod backoff;
pub mod cli;
pub mod deliverer;
pub mod disk;
mod disk_hot;
mod disk_migrate;
pub mod metrics;
pub mod record;
pub mod redis;
pub mod runtime;
pub mod store;
pub mod worker;

pub use disk::DiskQueue;
pub use store::{
    ListFilter, MessageId, MessageInfo, MessageState, NewMessage, QueueError, QueueStats,
    QueueStore, RouteStats, StoredHead, StoredMessage,
};
