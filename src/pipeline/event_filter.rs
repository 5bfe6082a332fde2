//! The per-route `events = [...]` filter: listed types are forwarded, others acknowledged.

use std::collections::HashSet;

#[derive(Debug, Clone)]
pub struct EventFilter(HashSet<String>);

impl EventFilter {
    pub fn new(types: impl IntoIterator<Item = String>) -> Self {
        EventFilter(types.into_iter().collect())
    }

    /// Whether an event of `event_type` (None: the type could not be found) goes upstream.
    /// An event whose type is unknown is not forwarded: the list is an allowlist.
    pub fn forwards(&self, event_type: Option<&str>) -> bool {
        event_type.is_some_and(|t| self.0.contains(t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_listed_types_pass() {
        let f = EventFilter::new(["payment_intent.succeeded".to_string()]);
        assert!(f.forwards(Some("payment_intent.succeeded")));
        assert!(!f.forwards(Some("charge.failed")));
        assert!(!f.forwards(None));
    }
}
