//! The shared store's metrics: `hookgate_state_calls_total{op, result}` and
//! `hookgate_state_breaker_open` (PRODUCT.md names), and `hookgate_state_fallbacks_total{route,
//! kind, action}` (requests that a route's `on_store_error` policy decided). Registered in the registry the gateway builder hands in (one
//! per gateway), never in a process global, so two gateways in one process count separately.

use prometheus::{IntCounter, IntCounterVec, IntGauge, Opts, Registry};

/// What a store call was for (the `op` label).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Claim,
    Commit,
    Release,
    RateLimit,
    /// The circuit breaker's background probe.
    Probe,
}

impl Op {
    pub const ALL: [Op; 5] = [Op::Claim, Op::Commit, Op::Release, Op::RateLimit, Op::Probe];

    pub fn as_str(self) -> &'static str {
        match self {
            Op::Claim => "claim",
            Op::Commit => "commit",
            Op::Release => "release",
            Op::RateLimit => "rate_limit",
            Op::Probe => "probe",
        }
    }
}

/// How a store call ended (the `result` label).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallResult {
    /// The store answered and the operation took effect.
    Ok,
    /// The store answered, but the key no longer held the caller's token (a late commit or
    /// release of an expired claim): nothing was changed.
    Stale,
    /// No answer within `timeout`.
    Timeout,
    /// The store answered with an error (OOM, READONLY, NOAUTH…) or could not be reached.
    Error,
    /// Not attempted: the circuit breaker is open.
    BreakerOpen,
}

impl CallResult {
    pub const ALL: [CallResult; 5] = [
        CallResult::Ok,
        CallResult::Stale,
        CallResult::Timeout,
        CallResult::Error,
        CallResult::BreakerOpen,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CallResult::Ok => "ok",
            CallResult::Stale => "stale",
            CallResult::Timeout => "timeout",
            CallResult::Error => "error",
            CallResult::BreakerOpen => "breaker_open",
        }
    }
}

/// Counters and gauge of one gateway's shared store. Cheap to clone (prometheus handles are
/// shared). Every `{op, result}` pair is created up front, so a dashboard sees zeros, not gaps.
#[derive(Clone)]
pub struct StateMetrics {
    calls: IntCounterVec,
    /// Pre-resolved children, indexed `[op][result]`: no label hashing on the request path.
    children: Vec<Vec<IntCounter>>,
    /// 1 while the circuit breaker is open.
    pub breaker_open: IntGauge,
    fallbacks: IntCounterVec,
}

impl std::fmt::Debug for StateMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StateMetrics")
    }
}

impl StateMetrics {
    /// Creates the metrics and registers them in `registry`.
    ///
    /// Errors: the registry already holds metrics of these names.
    pub fn register(registry: &Registry) -> Result<StateMetrics, prometheus::Error> {
        let metrics = StateMetrics::unregistered();
        registry.register(Box::new(metrics.calls.clone()))?;
        registry.register(Box::new(metrics.breaker_open.clone()))?;
        registry.register(Box::new(metrics.fallbacks.clone()))?;
        Ok(metrics)
    }

    /// Metrics that are counted but exported nowhere (tools, tests that read them directly).
    pub fn unregistered() -> StateMetrics {
        let calls = IntCounterVec::new(
            Opts::new(
                "hookgate_state_calls_total",
                "Shared state store calls by operation and result.",
            ),
            &["op", "result"],
        )
        .expect("valid metric");
        let breaker_open = IntGauge::new(
            "hookgate_state_breaker_open",
            "1 while the shared state store's circuit breaker is open (store calls skipped).",
        )
        .expect("valid metric");
        let fallbacks = IntCounterVec::new(
            Opts::new(
                "hookgate_state_fallbacks_total",
                "Requests decided by a route's on_store_error policy because the shared state \
                 store failed, by route, kind (dedup, rate_limit) and action.",
            ),
            &["route", "kind", "action"],
        )
        .expect("valid metric");
        let children = Op::ALL
            .iter()
            .map(|op| {
                CallResult::ALL
                    .iter()
                    .map(|r| calls.with_label_values(&[op.as_str(), r.as_str()]))
                    .collect()
            })
            .collect();
        StateMetrics {
            calls,
            children,
            breaker_open,
            fallbacks,
        }
    }

    /// Counts one call.
    pub fn count(&self, op: Op, result: CallResult) {
        self.children[op as usize][result as usize].inc();
    }

    /// The fallback counter of one route's policy (`kind`: `dedup` or `rate_limit`; `action`: the
    /// policy word), created now so it shows as 0 before the first failure.
    pub fn fallback_counter(&self, route: &str, kind: &str, action: &str) -> IntCounter {
        self.fallbacks.with_label_values(&[route, kind, action])
    }

    /// The count of `{op, result}` so far.
    pub fn get(&self, op: Op, result: CallResult) -> u64 {
        self.children[op as usize][result as usize].get()
    }
}
