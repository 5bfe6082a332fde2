//! What the gateway tells operators: the outcome of each request, Prometheus metrics (one
//! registry per gateway), the audit line and OpenTelemetry traces ([`tracing`]).

pub mod audit;
pub mod audit_log;
pub mod metrics;
pub mod outcome;
pub mod tracing;

pub use audit::{AuditFormat, AuditRecord, AuditSink};
pub use metrics::{Metrics, RouteMetrics, UNMATCHED_ROUTE};
pub use outcome::Outcome;
