//! State carried over a reload, route by route (matched by name). Reads the previous route's
//! handles and never changes them: a new handle is made over the same data instead.

use std::sync::Arc;

use super::Route;
use crate::config::model::{DedupSpec, RateLimitSpec, RouteConfig};
use crate::state::{DedupSettings, DedupStore, RateLimitStore, StateBackend};

/// The previous limiter while the spec is unchanged (its budget survives); else a new one.
pub fn rate_limit(
    route: &str,
    spec: &RateLimitSpec,
    backend: &dyn StateBackend,
    previous: Option<&Route>,
) -> Arc<dyn RateLimitStore> {
    match previous {
        Some(p) if p.config.rate_limit.as_ref() == Some(spec) => p
            .rate_limit
            .clone()
            .expect("a route with a rate_limit spec has a limiter"),
        _ => backend.rate_limit(route, spec),
    }
}

/// The previous dedup handle when its settings are unchanged; a handle over the previous data
/// with the new settings when they changed; else a new store.
pub fn dedup(
    route: &RouteConfig,
    spec: &DedupSpec,
    backend: &dyn StateBackend,
    previous: Option<&Route>,
) -> Arc<dyn DedupStore> {
    let settings = dedup_settings(route, spec);
    if let Some(p) = previous {
        if let (Some(store), Some(before)) = (&p.dedup, &p.config.dedup) {
            if before.shared != spec.shared {
                // Moved into or out of the shared store: nothing to carry.
                return backend.dedup(&route.name, &settings);
            }
            if dedup_settings(&p.config, before) == settings {
                return store.clone();
            }
            if let Some(store) = store.reconfigured(&settings) {
                return store;
            }
        }
    }
    backend.dedup(&route.name, &settings)
}

/// What a dedup store applies: the spec plus the in-flight limit (the route's upstream timeout).
pub fn dedup_settings(route: &RouteConfig, spec: &DedupSpec) -> DedupSettings {
    DedupSettings {
        ttl: spec.ttl,
        max_entries: spec.max_entries,
        in_flight_limit: route.upstream_timeout,
    }
}
