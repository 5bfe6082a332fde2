//! The audit log: one structured line per webhook request. Never a secret, a signature or the body.

use std::net::IpAddr;
use std::time::Duration;

use crate::pipeline::outcome::Outcome;

#[derive(Debug, Default)]
pub struct AuditRecord<'a> {
    pub route: Option<&'a str>,
    pub provider: Option<&'a str>,
    pub client_ip: Option<IpAddr>,
    pub method: &'a str,
    pub path: &'a str,
    pub event_id: Option<&'a str>,
    pub event_type: Option<&'a str>,
    pub outcome: Option<Outcome>,
    pub status: u16,
    pub upstream_status: Option<u16>,
    pub body_bytes: usize,
    pub duration: Duration,
    pub verify_duration: Option<Duration>,
    pub upstream_duration: Option<Duration>,
}

impl AuditRecord<'_> {
    pub fn emit(&self) {
        tracing::info!(
            target: "hookgate::audit",
            route = self.route.unwrap_or(crate::metrics::UNMATCHED_ROUTE),
            provider = self.provider,
            client_ip = self.client_ip.map(|ip| ip.to_string()),
            method = self.method,
            path = self.path,
            event_id = self.event_id,
            event_type = self.event_type,
            outcome = self.outcome.map(|o| o.label()),
            status = self.status,
            upstream_status = self.upstream_status,
            body_bytes = self.body_bytes,
            duration_ms = millis(self.duration),
            verify_ms = self.verify_duration.map(millis),
            upstream_ms = self.upstream_duration.map(millis),
            "webhook"
        );
    }
}

/// Milliseconds with microsecond resolution (no float noise in the log).
fn millis(d: Duration) -> f64 {
    d.as_micros() as f64 / 1000.0
}
