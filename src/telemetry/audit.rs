//! The audit log: one structured line per webhook request. Never a secret, a signature or the body.
//!
//! JSON lines are written by hand into the thread's audit buffer ([`super::audit_log`]: whole
//! lines, batched like nginx's `access_log … buffer= flush=`): the generic tracing JSON formatter
//! cost ~10 % of a request's CPU (bench/FINDINGS.md §3.1). `--log-format text` goes through
//! `tracing` for humans, into the same buffer.

use std::io::Write;
use std::net::IpAddr;
use std::time::Duration;

use super::metrics::UNMATCHED_ROUTE;
use super::outcome::Outcome;

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
    /// On a route in shadow mode: the refusal it did not answer (`invalid_signature`, …).
    pub shadow: Option<&'a str>,
    /// The request's trace, when tracing is on (joins the line to the trace).
    pub trace_id: Option<opentelemetry::trace::TraceId>,
}

/// Where audit lines go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditFormat {
    Json = 0,
    Text = 1,
    Off = 2,
}

/// Where one gateway writes its audit lines (standard output, in `format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditSink {
    pub format: AuditFormat,
}

impl Default for AuditSink {
    fn default() -> Self {
        AuditSink {
            format: AuditFormat::Json,
        }
    }
}

impl AuditSink {
    pub fn emit(&self, record: &AuditRecord<'_>) {
        match self.format {
            AuditFormat::Json => super::audit_log::append(|out| record.write_json(out)),
            AuditFormat::Text => record.emit_text(),
            AuditFormat::Off => {}
        }
    }
}

impl AuditRecord<'_> {
    /// The JSON line, newline-terminated.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        let now = time::OffsetDateTime::now_utc();
        let timestamp = now
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        out.extend_from_slice(b"{\"timestamp\":");
        json_str(out, &timestamp);
        out.extend_from_slice(
            b",\"level\":\"INFO\",\"target\":\"hookgate::audit\",\"message\":\"webhook\"",
        );
        field_str(out, "route", Some(self.route.unwrap_or(UNMATCHED_ROUTE)));
        field_str(out, "provider", self.provider);
        if let Some(ip) = self.client_ip {
            let _ = write!(out, ",\"client_ip\":\"{ip}\"");
        }
        field_str(out, "method", Some(self.method));
        field_str(out, "path", Some(self.path));
        field_str(out, "event_id", self.event_id);
        field_str(out, "event_type", self.event_type);
        field_str(out, "outcome", self.outcome.map(|o| o.label()));
        field_str(out, "shadow", self.shadow);
        let _ = write!(out, ",\"status\":{}", self.status);
        if let Some(s) = self.upstream_status {
            let _ = write!(out, ",\"upstream_status\":{s}");
        }
        let _ = write!(out, ",\"body_bytes\":{}", self.body_bytes);
        let _ = write!(out, ",\"duration_ms\":{}", millis(self.duration));
        if let Some(d) = self.verify_duration {
            let _ = write!(out, ",\"verify_ms\":{}", millis(d));
        }
        if let Some(d) = self.upstream_duration {
            let _ = write!(out, ",\"upstream_ms\":{}", millis(d));
        }
        if let Some(id) = self.trace_id {
            out.extend_from_slice(b",\"trace_id\":\"");
            out.extend_from_slice(&crate::telemetry::tracing::propagation::trace_id_hex(id));
            out.push(b'"');
        }
        out.extend_from_slice(b"}\n");
    }

    fn emit_text(&self) {
        tracing::info!(
            target: "hookgate::audit",
            route = self.route.unwrap_or(UNMATCHED_ROUTE),
            provider = self.provider,
            client_ip = self.client_ip.map(|ip| ip.to_string()),
            method = self.method,
            path = self.path,
            event_id = self.event_id,
            event_type = self.event_type,
            outcome = self.outcome.map(|o| o.label()),
            shadow = self.shadow,
            status = self.status,
            upstream_status = self.upstream_status,
            body_bytes = self.body_bytes,
            duration_ms = millis(self.duration),
            verify_ms = self.verify_duration.map(millis),
            upstream_ms = self.upstream_duration.map(millis),
            trace_id = self.trace_id.map(|id| format!("{id:032x}")),
            "webhook"
        );
    }
}

fn field_str(out: &mut Vec<u8>, key: &str, value: Option<&str>) {
    if let Some(v) = value {
        out.push(b',');
        json_str(out, key);
        out.push(b':');
        json_str(out, v);
    }
}

/// A JSON string, escaped (event IDs, types and paths come from the sender).
fn json_str(out: &mut Vec<u8>, s: &str) {
    let _ = serde_json::to_writer(&mut *out, s);
}

/// Milliseconds with microsecond resolution (no float noise in the log).
fn millis(d: Duration) -> f64 {
    d.as_micros() as f64 / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_line_is_valid_and_escapes_sender_strings() {
        let record = AuditRecord {
            route: Some("r"),
            provider: Some("stripe"),
            client_ip: Some("2001:db8::1".parse().unwrap()),
            method: "POST",
            path: "/a\"b\n",
            event_id: Some("evt\u{1}\"x"),
            outcome: Some(Outcome::Forwarded),
            status: 200,
            upstream_status: Some(200),
            duration: Duration::from_micros(1500),
            verify_duration: Some(Duration::from_micros(12)),
            ..Default::default()
        };
        let mut out = Vec::new();
        record.write_json(&mut out);
        assert_eq!(out.last(), Some(&b'\n'));
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["path"], "/a\"b\n");
        assert_eq!(v["event_id"], "evt\u{1}\"x");
        assert_eq!(v["client_ip"], "2001:db8::1");
        assert_eq!(v["duration_ms"], 1.5);
        assert_eq!(v["outcome"], "forwarded");
        assert!(v.get("event_type").is_none());
        assert!(v.get("shadow").is_none());
        let shadowed = AuditRecord {
            shadow: Some("invalid_signature"),
            ..Default::default()
        };
        out.clear();
        shadowed.write_json(&mut out);
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["shadow"], "invalid_signature");
        assert!(v.get("trace_id").is_none());
    }

    #[test]
    fn json_line_carries_the_trace_id_when_tracing_is_on() {
        let id =
            opentelemetry::trace::TraceId::from_hex("0af7651916cd43dd8448eb211c80319c").unwrap();
        let record = AuditRecord {
            method: "POST",
            path: "/",
            trace_id: Some(id),
            ..Default::default()
        };
        let mut out = Vec::new();
        record.write_json(&mut out);
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["trace_id"], "0af7651916cd43dd8448eb211c80319c");
    }
}
