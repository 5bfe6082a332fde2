//! hookgate: a webhook-verifying reverse proxy.
//!
//! `config` loads and validates `gateway.toml`; `pipeline` holds one module per request stage;
//! `providers` one file per signature scheme; `server` is the pingora glue that drives the stages.

pub mod audit;
pub mod cli;
pub mod config;
pub mod logging;
pub mod metrics;
pub mod pipeline;
pub mod providers;
pub mod server;
pub mod state;
