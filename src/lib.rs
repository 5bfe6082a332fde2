//! hookgate: a webhook-verifying reverse proxy.
//!
//! Module map, in the order a request meets them:
//!
//! - [`config`] — data only: `gateway.toml`'s format, validated into a plain [`config::Config`].
//! - [`gateway`] — the runtime built from a config: route table, each route's scheme, state
//!   handles, deliverer and metric handles; state carried over on reload.
//! - [`server`] — pingora glue: listeners, admin, signals, drain, background workers.
//! - [`request`] — the pipeline: [`request::run`] calls the stages in order, one file each
//!   (`s01_protocol` … `s11_deliver`); every early answer is a [`request::Refusal`].
//! - [`providers`] — signature schemes, one file per provider preset.
//! - [`state`] — dedup and rate-limit stores behind async traits (in memory by default).
//! - [`delivery`] — what happens to an accepted request: a [`delivery::Delivery`] handed to a
//!   [`delivery::Deliverer`] (`direct` today).
//! - [`telemetry`] — outcomes, the per-gateway metrics registry, the audit line.
//! - [`trigger`] — `hookgate trigger`: signed sample deliveries from `samples/`.
//! - [`cli`] — `hookgate run | check | sign | trigger | providers | queue`.

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
