//! Sampling: parent-based with a trace-ID ratio for new traces (the W3C/OpenTelemetry default
//! shape, `parentbased_traceidratio`), plus one rule for queued delivery: a delivery attempt
//! starts a trace of its own linked to the request that was accepted, and is sampled when that
//! request was, so a sampled webhook's deliveries are traced too.

use opentelemetry::trace::{Link, SpanKind, TraceContextExt, TraceId, TraceState};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::trace::{Sampler, SamplingDecision, SamplingResult, ShouldSample};

/// `ParentBased(TraceIdRatioBased(ratio))`, and sampled when a root span links to a sampled span.
#[derive(Clone, Debug)]
pub struct WebhookSampler {
    inner: Sampler,
}

impl WebhookSampler {
    /// `ratio` is the fraction of new traces sampled (0.0–1.0).
    pub fn new(ratio: f64) -> Self {
        WebhookSampler {
            inner: Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(ratio))),
        }
    }
}

impl ShouldSample for WebhookSampler {
    fn should_sample(
        &self,
        parent_context: Option<&Context>,
        trace_id: TraceId,
        name: &str,
        span_kind: &SpanKind,
        attributes: &[KeyValue],
        links: &[Link],
    ) -> SamplingResult {
        let has_parent = parent_context.is_some_and(|cx| cx.span().span_context().is_valid());
        if !has_parent && links.iter().any(|l| l.span_context.is_sampled()) {
            return SamplingResult {
                decision: SamplingDecision::RecordAndSample,
                attributes: Vec::new(),
                trace_state: TraceState::default(),
            };
        }
        self.inner
            .should_sample(parent_context, trace_id, name, span_kind, attributes, links)
    }
}
