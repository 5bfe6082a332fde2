//! Sampling, decided once per request (or delivery attempt) before any span is built: a trusted
//! parent's decision is followed (parent-based, the W3C/OpenTelemetry default shape); a new trace
//! is sampled with probability `sample_ratio` (the SDK's trace-ID ratio rule applied to a random
//! trace ID: a draw; a sampled trace then gets its own ID from the SDK); a delivery attempt is
//! sampled when the request that queued it was, and otherwise like a new trace.
//!
//! Why here and not in the SDK's sampler: the SDK decides inside `start`, after a `SpanBuilder`,
//! IDs and a span object exist. Deciding first, a request that is not sampled builds nothing but
//! its span context (the `traceparent` sent upstream), and the SDK only ever sees spans already
//! decided: its sampler is [`decided`], which records every root it is handed and follows the
//! parent for children.

use opentelemetry::trace::{SpanContext, SpanKind, TraceId};
use opentelemetry_sdk::trace::{Sampler, SamplingDecision, ShouldSample};

/// The gateway's sampling rules (see the module docs).
#[derive(Clone, Debug)]
pub struct WebhookSampler {
    ratio: Sampler,
}

impl WebhookSampler {
    /// `ratio` is the fraction of new traces sampled (0.0–1.0).
    pub fn new(ratio: f64) -> Self {
        WebhookSampler {
            ratio: Sampler::TraceIdRatioBased(ratio),
        }
    }

    /// Whether a new root or server span is sampled: `parent` is a trusted remote parent, `linked`
    /// the span a delivery attempt links to, `trace_id` the ID a new trace would get.
    pub fn sampled(
        &self,
        parent: Option<&SpanContext>,
        linked: Option<&SpanContext>,
        trace_id: TraceId,
    ) -> bool {
        if let Some(parent) = parent {
            return parent.is_sampled();
        }
        if linked.is_some_and(SpanContext::is_sampled) {
            return true;
        }
        let result = self
            .ratio
            .should_sample(None, trace_id, "", &SpanKind::Server, &[], &[]);
        matches!(result.decision, SamplingDecision::RecordAndSample)
    }
}

/// The SDK's sampler: every span reaching the SDK was sampled by [`WebhookSampler`] (a root) or
/// has a sampled parent (a child), so roots are recorded and children follow their parent.
pub fn decided() -> Sampler {
    Sampler::ParentBased(Box::new(Sampler::AlwaysOn))
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::trace::{SpanId, TraceFlags, TraceState};

    fn context(sampled: bool) -> SpanContext {
        let flags = if sampled {
            TraceFlags::SAMPLED
        } else {
            TraceFlags::default()
        };
        SpanContext::new(
            TraceId::from(7u128),
            SpanId::from(9u64),
            flags,
            true,
            TraceState::default(),
        )
    }

    #[test]
    fn a_parent_decides_whatever_the_ratio() {
        let id = TraceId::from(u128::MAX);
        assert!(WebhookSampler::new(0.0).sampled(Some(&context(true)), None, id));
        assert!(!WebhookSampler::new(1.0).sampled(Some(&context(false)), None, id));
    }

    #[test]
    fn a_sampled_link_samples_an_attempt_and_an_unsampled_one_falls_to_the_ratio() {
        let id = TraceId::from(u128::MAX);
        assert!(WebhookSampler::new(0.0).sampled(None, Some(&context(true)), id));
        assert!(!WebhookSampler::new(0.0).sampled(None, Some(&context(false)), id));
        assert!(WebhookSampler::new(1.0).sampled(None, Some(&context(false)), id));
    }

    #[test]
    fn a_new_trace_follows_the_sdks_trace_id_ratio_rule() {
        // TraceIdRatioBased compares the ID's low 64 bits with ratio × 2^63 (OpenTelemetry
        // specification, TraceIdRatioBased): low IDs are sampled, high ones not.
        let sampler = WebhookSampler::new(0.5);
        assert!(sampler.sampled(None, None, TraceId::from(1u128)));
        assert!(!sampler.sampled(None, None, TraceId::from(u128::from(u64::MAX))));
        assert!(!WebhookSampler::new(0.0).sampled(None, None, TraceId::from(1u128)));
        assert!(WebhookSampler::new(1.0).sampled(None, None, TraceId::from(u128::MAX)));
    }
}
