//! The Redis [`StateBackend`]: one [`RedisClient`] per gateway process, one handle per route.

use std::sync::Arc;

use super::{RedisClient, RedisDedup, RedisRateLimit, StateMetrics};
use crate::config::model::RateLimitSpec;
use crate::config::state::StateSettings;
use crate::state::gcra::Gcra;
use crate::state::{DedupSettings, DedupStore, RateLimitStore, StateBackend, StoreError};

/// Builds Redis handles over one shared client. `max_entries` does not apply (Redis memory is
/// bounded by its `maxmemory`).
#[derive(Debug)]
pub struct RedisBackend {
    client: Arc<RedisClient>,
}

impl RedisBackend {
    /// A backend for `settings`, counting into `metrics`. Does no I/O.
    ///
    /// Errors: redis-rs refuses the URL (config validation checks it first).
    pub fn new(settings: &StateSettings, metrics: StateMetrics) -> Result<Self, StoreError> {
        Ok(RedisBackend {
            client: RedisClient::new(settings, metrics)?,
        })
    }

    pub fn client(&self) -> &Arc<RedisClient> {
        &self.client
    }
}

impl StateBackend for RedisBackend {
    fn dedup(&self, route: &str, settings: &DedupSettings) -> Arc<dyn DedupStore> {
        RedisDedup::new(
            self.client.clone(),
            route,
            settings.ttl,
            settings.in_flight_limit,
        )
    }

    fn rate_limit(&self, route: &str, spec: &RateLimitSpec) -> Arc<dyn RateLimitStore> {
        RedisRateLimit::new(
            self.client.clone(),
            route,
            Gcra::new(spec.per_second, spec.burst),
            spec.per_client,
            true,
        )
    }

    fn shared(&self) -> bool {
        true
    }

    fn flush_commits(
        &self,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>> {
        Box::pin(self.client.flush_commits())
    }
}
