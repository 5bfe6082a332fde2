//! The request pipeline, one stage per module, each callable without a network:
//! route match → IP allowlist → rate limit → body (bounded) → signature verify → dedup claim →
//! event filter → forward → dedup commit/release. `crate::server` drives them in that order.

pub mod client_ip;
pub mod dedup;
pub mod event_filter;
pub mod field_source;
pub mod ip_allowlist;
pub mod outcome;
pub mod rate_limit;
pub mod route_table;
