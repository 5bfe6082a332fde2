//! In-memory state: per replica, lost on restart, carried over reloads. The default backend.

pub mod dedup;
pub mod rate_limit;

use std::sync::Arc;

use super::{DedupSettings, DedupStore, RateLimitStore, StateBackend};
use crate::config::model::RateLimitSpec;

pub use dedup::MemoryDedup;
pub use rate_limit::MemoryRateLimit;

/// Builds [`MemoryDedup`] and [`MemoryRateLimit`] handles.
#[derive(Debug, Default, Clone, Copy)]
pub struct MemoryBackend;

impl StateBackend for MemoryBackend {
    fn dedup(&self, _route: &str, settings: &DedupSettings) -> Arc<dyn DedupStore> {
        MemoryDedup::new(*settings)
    }

    fn rate_limit(&self, _route: &str, spec: &RateLimitSpec) -> Arc<dyn RateLimitStore> {
        Arc::new(MemoryRateLimit::new(*spec))
    }
}
