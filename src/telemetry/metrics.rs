//! Prometheus metrics, named as PRODUCT.md lists them. Label values are route names and fixed
//! words only: never an event ID, an address or anything a sender controls.

use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGaugeVec, Opts,
    Registry, TextEncoder,
};

use super::outcome::Outcome;

/// The route label of requests that match no route.
pub const UNMATCHED_ROUTE: &str = "_unmatched";

/// Buckets from 50 µs (a signature check) to 30 s and beyond (a slow upstream).
const BUCKETS: &[f64] = &[
    0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
    2.5, 5.0, 10.0, 30.0, 60.0,
];

/// Why a webhook connection was closed before a request could be read
/// (`hookgate_connections_dropped_total{reason}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionDrop {
    /// The TLS handshake did not finish within `read_timeout`.
    TlsHandshakeTimeout,
    /// The TLS handshake failed (not TLS, no shared version or cipher, the peer closed).
    TlsHandshakeFailed,
    /// An HTTP/2 connection's client preface (RFC 9113 §3.4) was not all in within
    /// `read_timeout` of the TLS handshake.
    H2PrefaceTimeout,
}

impl ConnectionDrop {
    pub const ALL: [ConnectionDrop; 3] = [
        ConnectionDrop::TlsHandshakeTimeout,
        ConnectionDrop::TlsHandshakeFailed,
        ConnectionDrop::H2PrefaceTimeout,
    ];

    /// The `reason` label.
    pub fn label(self) -> &'static str {
        match self {
            ConnectionDrop::TlsHandshakeTimeout => "tls_handshake_timeout",
            ConnectionDrop::TlsHandshakeFailed => "tls_handshake_failed",
            ConnectionDrop::H2PrefaceTimeout => "h2_preface_timeout",
        }
    }
}

/// One gateway's metrics and their registry (not a process global, so two gateways can run in
/// one process).
pub struct Metrics {
    pub registry: Registry,
    requests: IntCounterVec,
    upstream_responses: IntCounterVec,
    request_duration: HistogramVec,
    verify_duration: HistogramVec,
    pub dedup_entries: IntGaugeVec,
    config_reloads: IntCounterVec,
    connections_dropped: IntCounterVec,
    rollout: RolloutCounters,
    /// The shared state store's calls, breaker and fallbacks (zero without `[state]`).
    pub state: crate::state::redis::StateMetrics,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let registry = Registry::new();
        let requests = counter(
            &registry,
            "hookgate_requests_total",
            "Webhook requests by route and outcome.",
            &["route", "outcome"],
        );
        let upstream_responses = counter(
            &registry,
            "hookgate_upstream_responses_total",
            "Upstream answers by route and status class.",
            &["route", "class"],
        );
        let request_duration = histogram(
            &registry,
            "hookgate_request_duration_seconds",
            "Whole request time, from the request head to the end of the answer.",
        );
        let verify_duration = histogram(
            &registry,
            "hookgate_verify_duration_seconds",
            "Time spent checking the signature alone.",
        );
        let dedup_entries = IntGaugeVec::new(
            Opts::new(
                "hookgate_dedup_entries",
                "Event IDs held by the dedup store.",
            ),
            &["route"],
        )
        .expect("valid metric");
        registry
            .register(Box::new(dedup_entries.clone()))
            .expect("unique metric");
        let config_reloads = counter(
            &registry,
            "hookgate_config_reloads_total",
            "Configuration reloads by result.",
            &["result"],
        );
        // Both results exist from the start, so `increase()` works on the first reload.
        for result in ["ok", "error"] {
            config_reloads.with_label_values(&[result]);
        }
        let connections_dropped = counter(
            &registry,
            "hookgate_connections_dropped_total",
            "Webhook connections closed before a request could be read, by reason.",
            &["reason"],
        );
        for reason in ConnectionDrop::ALL {
            connections_dropped.with_label_values(&[reason.label()]);
        }
        Metrics {
            connections_dropped,
            state: crate::state::redis::StateMetrics::register(&registry).expect("unique metric"),
            rollout: RolloutCounters::register(&registry),
            registry,
            requests,
            upstream_responses,
            request_duration,
            verify_duration,
            dedup_entries,
            config_reloads,
        }
    }

    /// Handles for one route with `secrets` secrets, resolved once at config load so the
    /// request path does no label lookups. Shadow counters exist only for a route in shadow mode
    /// (`shadow`), so an enforcing route exports none.
    pub fn route(&self, route: &str, secrets: usize, shadow: bool) -> RouteMetrics {
        RouteMetrics {
            shadow_refusals: shadow.then(|| {
                Outcome::SHADOWABLE.map(|o| {
                    self.rollout
                        .shadow_refusals
                        .with_label_values(&[route, o.label()])
                })
            }),
            secret_matches: (0..secrets)
                .map(|i| {
                    self.rollout
                        .secret_matches
                        .with_label_values(&[route, i.to_string().as_str()])
                })
                .collect(),
            outcomes: Outcome::ALL.map(|o| self.requests.with_label_values(&[route, o.label()])),
            upstream_classes: ["2xx", "3xx", "4xx", "5xx"]
                .map(|c| self.upstream_responses.with_label_values(&[route, c])),
            request_duration: self.request_duration.with_label_values(&[route]),
            verify_duration: self.verify_duration.with_label_values(&[route]),
        }
    }

    /// Counts a webhook connection closed before a request could be read.
    pub fn connection_dropped(&self, reason: ConnectionDrop) {
        self.connections_dropped
            .with_label_values(&[reason.label()])
            .inc();
    }

    /// Counts a request that matched no route (or could not be parsed far enough to match one).
    pub fn unmatched(&self, outcome: Outcome) {
        self.requests
            .with_label_values(&[UNMATCHED_ROUTE, outcome.label()])
            .inc();
    }

    pub fn config_reload(&self, ok: bool) {
        self.config_reloads
            .with_label_values(&[if ok { "ok" } else { "error" }])
            .inc();
    }

    /// The text exposition of every metric.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(16 * 1024);
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut out)
            .expect("text encoding cannot fail");
        out
    }
}

/// The counters of rolling out: `hookgate_shadow_refusals_total{route, outcome}` and
/// `hookgate_secret_matches_total{route, secret}`.
struct RolloutCounters {
    shadow_refusals: IntCounterVec,
    secret_matches: IntCounterVec,
}

impl RolloutCounters {
    fn register(registry: &Registry) -> RolloutCounters {
        let counter = |name: &str, help: &str, labels: &[&str]| {
            let c = IntCounterVec::new(Opts::new(name, help), labels).expect("valid metric");
            registry
                .register(Box::new(c.clone()))
                .expect("unique metric");
            c
        };
        RolloutCounters {
            shadow_refusals: counter(
                "hookgate_shadow_refusals_total",
                "Requests a route in shadow mode (enforce = false) forwarded although this stage would have refused them.",
                &["route", "outcome"],
            ),
            secret_matches: counter(
                "hookgate_secret_matches_total",
                "Verified requests by the secret that verified them: its index in the route's `secrets`.",
                &["route", "secret"],
            ),
        }
    }
}

#[derive(Clone)]
pub struct RouteMetrics {
    outcomes: [IntCounter; Outcome::ALL.len()],
    upstream_classes: [IntCounter; 4],
    pub request_duration: Histogram,
    pub verify_duration: Histogram,
    /// By [`Outcome::SHADOWABLE`] order; `None` on an enforcing route.
    shadow_refusals: Option<[IntCounter; Outcome::SHADOWABLE.len()]>,
    /// By index in the route's `secrets`.
    secret_matches: Vec<IntCounter>,
}

impl RouteMetrics {
    pub fn count(&self, outcome: Outcome) {
        let index = Outcome::ALL
            .iter()
            .position(|o| *o == outcome)
            .expect("every outcome is in ALL");
        self.outcomes[index].inc();
    }

    /// Counts a refusal a shadow route did not answer (`outcome` one of
    /// [`Outcome::SHADOWABLE`]).
    pub fn shadow_refusal(&self, outcome: Outcome) {
        let index = Outcome::SHADOWABLE.iter().position(|o| *o == outcome);
        if let (Some(counters), Some(i)) = (&self.shadow_refusals, index) {
            counters[i].inc();
        }
    }

    /// Counts a request verified by the route's secret number `index`.
    pub fn secret_match(&self, index: usize) {
        if let Some(counter) = self.secret_matches.get(index) {
            counter.inc();
        }
    }

    pub fn upstream_status(&self, status: u16) {
        let index = match status {
            200..=299 => 0,
            300..=399 => 1,
            400..=499 => 2,
            500..=599 => 3,
            _ => return,
        };
        self.upstream_classes[index].inc();
    }
}

/// A counter family `name` with `labels`, registered in `registry`.
fn counter(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    let c = IntCounterVec::new(Opts::new(name, help), labels).expect("valid metric");
    registry
        .register(Box::new(c.clone()))
        .expect("unique metric");
    c
}

/// A per-route histogram `name` over [`BUCKETS`] (seconds), registered in `registry`.
fn histogram(registry: &Registry, name: &str, help: &str) -> HistogramVec {
    let h = HistogramVec::new(
        HistogramOpts::new(name, help).buckets(BUCKETS.to_vec()),
        &["route"],
    )
    .expect("valid metric");
    registry
        .register(Box::new(h.clone()))
        .expect("unique metric");
    h
}
