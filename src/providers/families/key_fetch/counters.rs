//! Key-fetch outcome counters. Created unregistered: the gateway registers
//! [`FetchCounters::collectors`] in its own registry (no process-global state here).

use prometheus::core::Collector;
use prometheus::{IntCounterVec, Opts};

/// `hookgate_key_fetches_total{provider, outcome}`; outcome is one of [`OUTCOMES`].
#[derive(Clone)]
pub struct FetchCounters {
    fetches: IntCounterVec,
}

/// Every outcome label: `fetched` (a key or certificate was stored), `refused` (URL not https or
/// host not allowed: no request made), `timeout`, `unreachable`, `http_error` (non-2xx, non-3xx
/// answer), `redirected` (a 3xx answer: not followed, the request gets 401), `too_large` (over the size cap), `invalid` (not a key), `confirmed` / `confirm_failed` (SNS
/// subscription confirmations).
pub const OUTCOMES: &[&str] = &[
    "fetched",
    "refused",
    "timeout",
    "unreachable",
    "http_error",
    "redirected",
    "too_large",
    "invalid",
    "confirmed",
    "confirm_failed",
];

impl Default for FetchCounters {
    fn default() -> Self {
        FetchCounters::new()
    }
}

impl FetchCounters {
    pub fn new() -> FetchCounters {
        // Justified: a constant name, help and label set that are valid (unit-tested).
        #[allow(clippy::expect_used)]
        let fetches = IntCounterVec::new(
            Opts::new(
                "hookgate_key_fetches_total",
                "Key and certificate fetches of key-fetching provider schemes, by outcome.",
            ),
            &["provider", "outcome"],
        )
        .expect("valid metric");
        FetchCounters { fetches }
    }

    pub fn count(&self, provider: &str, outcome: &str) {
        self.fetches.with_label_values(&[provider, outcome]).inc();
    }

    /// The current value (tests and `hookgate check` diagnostics).
    pub fn get(&self, provider: &str, outcome: &str) -> u64 {
        self.fetches.with_label_values(&[provider, outcome]).get()
    }

    /// What the gateway registers in its registry.
    pub fn collectors(&self) -> Vec<Box<dyn Collector>> {
        vec![Box::new(self.fetches.clone())]
    }
}
