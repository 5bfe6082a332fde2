//! A route's `on_store_error` in action: every request the policy decides is counted
//! (`hookgate_state_fallbacks_total{route, kind, action}`), and the route logs once when it starts
//! falling back and once when the store answers again — never a line per request, never silent.

use std::sync::atomic::{AtomicBool, Ordering};

use prometheus::IntCounter;

use super::StoreError;

/// One route's fallback for one kind of state (`dedup` or `rate_limit`).
#[derive(Debug)]
pub struct Fallback {
    route: String,
    kind: &'static str,
    action: &'static str,
    counter: IntCounter,
    engaged: AtomicBool,
}

impl Fallback {
    /// `action` is the policy word (`local`, `allow`, `reject`, `forward`); `counter` the
    /// route's `hookgate_state_fallbacks_total` child for it.
    pub fn new(route: &str, kind: &'static str, action: &'static str, counter: IntCounter) -> Self {
        Fallback {
            route: route.to_string(),
            kind,
            action,
            counter,
            engaged: AtomicBool::new(false),
        }
    }

    /// A store call failed and the policy decides this request: counted; logged when the route
    /// starts falling back.
    pub fn engage(&self, error: &StoreError) {
        self.counter.inc();
        if !self.engaged.swap(true, Ordering::AcqRel) {
            tracing::warn!(
                route = %self.route,
                kind = self.kind,
                action = self.action,
                cause = %error,
                "state store failing: {} follows on_store_error = \"{}\" until it answers again",
                self.kind,
                self.action
            );
        }
    }

    /// A store call answered: logged when the route stops falling back. One relaxed load when
    /// nothing changed.
    pub fn recover(&self) {
        if self.engaged.load(Ordering::Relaxed) && self.engaged.swap(false, Ordering::AcqRel) {
            tracing::info!(
                route = %self.route,
                kind = self.kind,
                "state store answers again: {} is shared again",
                self.kind
            );
        }
    }

    /// Requests decided by the policy so far.
    pub fn count(&self) -> u64 {
        self.counter.get()
    }

    /// True between the first failure and the next answer.
    pub fn engaged(&self) -> bool {
        self.engaged.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_every_request_and_tracks_transitions() {
        let f = Fallback::new("r", "dedup", "forward", IntCounter::new("c", "c").unwrap());
        assert!(!f.engaged());
        f.engage(&StoreError::Timeout);
        f.engage(&StoreError::BreakerOpen);
        assert!(f.engaged());
        assert_eq!(f.count(), 2);
        f.recover();
        assert!(!f.engaged());
        assert_eq!(f.count(), 2);
    }
}
