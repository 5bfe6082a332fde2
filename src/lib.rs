//! hookgate: a webhook-verifying reverse proxy.

pub mod config;
pub mod providers;
