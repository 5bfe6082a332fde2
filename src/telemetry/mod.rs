//! What the gateway tells operators: the outcome of each request, Prometheus metrics (one
//! registry per gateway) and the audit line.

pub mod audit;
pub mod metrics;
pub mod outcome;

pub use audit::{AuditFormat, AuditRecord, AuditSink};
pub use metrics::{Metrics, RouteMetrics, UNMATCHED_ROUTE};
pub use outcome::Outcome;
