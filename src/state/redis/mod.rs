//! Shared state on Redis (or Valkey): dedup and rate limits that hold across replicas
//! (PRODUCT.md, "Shared state across replicas"; issue 11).
//!
//! - [`RedisClient`] — one per gateway: the redis-rs connection manager (lazy, reconnecting),
//!   the per-call `timeout`, the circuit breaker ([`breaker`]) and the call counters
//!   ([`StateMetrics`]).
//! - [`RedisDedup`] — a route's [`crate::state::DedupStore`]: one atomic Lua script per operation
//!   on one key, expiry on Redis's clock, token-checked commit and release.
//! - [`committer`] — the request path's dedup commits, sent after the client's answer, batched
//!   into one pipeline per wake-up; a graceful stop flushes them.
//! - [`RedisRateLimit`] — a route's [`crate::state::RateLimitStore`]: GCRA in a Lua script on
//!   Redis `TIME` microseconds, with an optional local pre-check.
//!
//! Every call either answers within `[state] timeout` or fails with a
//! [`crate::state::StoreError`]; what a failure means for the request is the route's
//! `on_store_error` ([`crate::config::state`]). Requirements: Redis ≥ 5 (scripts replicated by
//! effect, since the rate-limit script reads `TIME`) or Valkey; keys are single-slot, so Redis
//! Cluster works as well.

pub mod backend;
pub mod breaker;
pub mod client;
pub mod client_key;
pub mod committer;
pub mod dedup;
pub mod joint;
pub mod metrics;
pub mod rate_limit;

pub use backend::RedisBackend;
pub use client::RedisClient;
pub use dedup::RedisDedup;
pub use metrics::{CallResult, Op, StateMetrics};
pub use rate_limit::RedisRateLimit;
