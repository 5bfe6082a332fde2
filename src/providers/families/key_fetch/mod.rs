//! The key-fetching family: schemes whose verification key or certificate is fetched from the
//! provider at run time (AWS SNS, Google Pub/Sub, PayPal, Plaid), plus the route options they
//! share. Fetching is HTTPS only, from a per-preset host allowlist checked before any request,
//! bounded in time and size, cached with stale-while-revalidate and single-flight
//! ([`fetcher::KeyFetcher`]), and counted per outcome ([`counters::FetchCounters`]).
//!
//! The family knows nothing of its presets: each preset's file holds its constructor, and the
//! registry ([`crate::providers::families::registry::options_builder`]) maps a preset name to it.
//!
//! How a request flows: the verify stage awaits [`crate::providers::Scheme::prepare`] (a future
//! only on a cache miss), then calls the synchronous `verify`, which reads the cache.

pub mod allowlist;
pub mod certs;
pub mod counters;
pub mod fetcher;
pub mod jwt;
pub mod options;
pub mod signing_certs;

#[cfg(test)]
pub mod testserver;

pub use counters::FetchCounters;
pub use fetcher::{FetchError, FetchRequest, FetchSettings, KeyFetcher, Lookup};
pub use options::{BuildWithOptions, KeyFetchContext, ProviderOptions};
