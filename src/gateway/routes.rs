//! The route table (exact path match, query string ignored) and each route's runtime.

use std::collections::HashMap;
use std::sync::Arc;

use crate::config::model::RouteConfig;
use crate::delivery::Deliverer;
use crate::providers::families::route_scheme::RouteScheme;
use crate::state::fallback::Fallback;
use crate::state::{DedupStore, RateLimitStore};
use crate::telemetry::tracing::RouteLabels;
use crate::telemetry::RouteMetrics;

/// One route, ready to serve: its validated config plus what was built from it.
pub struct Route {
    pub config: RouteConfig,
    pub scheme: RouteScheme,
    /// Present when the route has `rate_limit`.
    pub rate_limit: Option<Arc<dyn RateLimitStore>>,
    /// Present when the route has `dedup`.
    pub dedup: Option<Arc<dyn DedupStore>>,
    /// The route's `rate_limit.on_store_error` in action (counted, logged per transition).
    pub rate_limit_fallback: Option<Fallback>,
    /// The route's `dedup.on_store_error` in action.
    pub dedup_fallback: Option<Fallback>,
    pub deliverer: Arc<dyn Deliverer>,
    pub metrics: RouteMetrics,
    /// What the route's spans say about it (built once; spans share its strings).
    pub trace_labels: RouteLabels,
    /// The upstream request's fixed header values (built once).
    pub forward_headers: crate::delivery::upstream_request::RouteHeaders,
}

impl Route {
    pub fn name(&self) -> &str {
        &self.config.name
    }
}

#[derive(Default)]
pub struct RouteTable {
    by_path: HashMap<String, Arc<Route>>,
    in_order: Vec<Arc<Route>>,
}

impl RouteTable {
    pub fn new(routes: Vec<Arc<Route>>) -> Self {
        let by_path = routes
            .iter()
            .map(|r| (r.config.path.clone(), r.clone()))
            .collect();
        RouteTable {
            by_path,
            in_order: routes,
        }
    }

    /// The route for a request target (`/path?query`).
    pub fn find(&self, target: &str) -> Option<&Arc<Route>> {
        let path = target.split_once('?').map_or(target, |(p, _)| p);
        self.by_path.get(path)
    }

    pub fn by_name(&self, name: &str) -> Option<&Arc<Route>> {
        self.in_order.iter().find(|r| r.config.name == name)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Arc<Route>> {
        self.in_order.iter()
    }

    pub fn len(&self) -> usize {
        self.in_order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.in_order.is_empty()
    }
}
