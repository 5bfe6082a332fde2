//! Route match: exact path, query string ignored.

use std::collections::HashMap;
use std::sync::Arc;

use crate::config::compiled::Route;

#[derive(Default)]
pub struct RouteTable {
    by_path: HashMap<String, Arc<Route>>,
    in_order: Vec<Arc<Route>>,
}

impl RouteTable {
    pub fn new(routes: Vec<Arc<Route>>) -> Self {
        let by_path = routes.iter().map(|r| (r.path.clone(), r.clone())).collect();
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
        self.in_order.iter().find(|r| r.name == name)
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
