//! hookgate: a webhook-verifying reverse proxy.
//!
//! Module map, in the order a request meets them:
//!
//! - [`config`] — data only: `gateway.toml`'s format, validated into a plain [`config::Config`]
//!   (`config::compile` by concern: scheme, guards, events, limits, server; `config::queue` for
//!   delivery). Settings types (`RetryPolicy`, `Backoff`, `RESOLVE_TTL`) live here and the runtime
//!   reads them; nothing here imports the runtime (`tests/architecture.rs` checks it).
//! - [`gateway`] — the runtime built from a config: route table, each route's scheme, state
//!   handles, deliverer and metric handles; state carried over on reload.
//! - [`server`] — pingora glue: listeners, admin, signals, drain, background workers.
//! - [`request`] — the pipeline: [`request::run`] calls the stages in order, one file each
//!   (`s01_protocol` … `s11_deliver`); every early answer is a [`request::Refusal`].
//! - [`providers`] — signature schemes: [`providers::families`] (the scheme families and shared
//!   mechanics, the key-fetch family, the preset list) and [`providers::presets`] (the senders: a
//!   file each, or a row in a table of data-only senders such as `presets::hmac_body`).
//! - [`state`] — dedup and rate-limit stores behind async traits (in memory by default).
//! - [`delivery`] — what happens to an accepted request: a [`delivery::Delivery`] handed to a
//!   [`delivery::Deliverer`] (`direct`, or `queue`: a durable queue on disk or on Redis Streams,
//!   [`delivery::queue`]).
//! - [`telemetry`] — outcomes, the per-gateway metrics registry, the audit line.
//! - [`trigger`] — `hookgate trigger`: signed sample deliveries from `samples/`.
//! - [`cli`] — `hookgate run | check | sign | trigger | providers | queue`; [`logging`] — where
//!   diagnostics and the audit log go (below `cli`: it imports nothing of it).

pub mod cli;
pub mod config;
pub mod delivery;
pub mod gateway;
pub mod json_pointer;
pub mod logging;
pub mod providers;
pub mod request;
pub mod server;
pub mod state;
pub mod telemetry;
pub mod trigger;
