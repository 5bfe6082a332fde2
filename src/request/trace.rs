//! The request path's hooks into tracing ([`crate::telemetry::tracing`]). With tracing off every
//! one is handed a `None` and returns at once.

use super::head::ReadSession;
use opentelemetry::trace::SpanKind;
use opentelemetry::KeyValue;

use super::{Facts, Refusal};
use crate::config::model::canonical;
use crate::config::queue::DeliveryMode;
use crate::delivery::{Delivered, DeliveryError, ForwardError, UpstreamHead};
use crate::gateway::{Gateway, Route};
use crate::server::state::GatewayState;
use crate::telemetry::tracing::{ChildSpan, DeliveryTrace, RequestEnd, RequestSpan};

/// Starts the request's server span when tracing is on. The request's own trace context is its
/// parent only when the peer is a trusted proxy (see the module docs of
/// [`crate::telemetry::tracing`]).
pub fn start(
    state: &GatewayState,
    gateway: &Gateway,
    route: Option<&Route>,
    session: &ReadSession,
) -> Option<RequestSpan> {
    let tracing = state.tracing.as_ref()?;
    let trusted_peer = session
        .client_addr()
        .and_then(|a| a.as_inet())
        .is_some_and(|a| gateway.server.trusted_proxies.contains(canonical(a.ip())));
    let header = session.head();
    let labels = route.map(|r| &r.trace_labels);
    Some(tracing.request(&header.method, labels, &header.headers, trusted_peer))
}

/// Ends the server span with the request's outcome (its metric label) and answered status. The
/// last use of `facts`' event fields: they move into the span (the audit line is written).
pub fn finish(facts: &mut Facts, outcome: &'static str, status: u16) {
    let Some(span) = facts.trace.take() else {
        return;
    };
    span.finish(RequestEnd {
        outcome,
        status,
        body_bytes: facts.body_bytes,
        event_id: facts.event_id.take(),
        event_type: facts.event_type.take(),
        client_ip: facts.client_ip,
    });
}

/// A child span for a call to the shared store (`rate_limit`, `dedup.claim`): only when the
/// route's state is on Redis (`shared`), since an in-memory check is not worth a span.
pub fn store_call(facts: &Facts, shared: bool, name: &'static str) -> Option<ChildSpan> {
    if !shared {
        return None;
    }
    let mut span = facts.trace.as_ref()?.child(name, SpanKind::Client)?;
    span.set(KeyValue::new("db.system.name", "redis"));
    Some(span)
}

/// A child span of the request, when it is sampled.
pub fn child(facts: &Facts, name: &'static str, kind: SpanKind) -> Option<ChildSpan> {
    facts.trace.as_ref()?.child(name, kind)
}

/// Ends `span` with the stage's result: a refusal marks it failed with the refusal's outcome.
pub fn ended<T>(span: Option<ChildSpan>, result: Result<T, Refusal>) -> Result<T, Refusal> {
    if let (Some(mut span), Err(refusal)) = (span, &result) {
        span.fail(refusal_label(refusal));
    }
    result
}

/// The span of what the request sends on (the upstream call, or the enqueue) and the trace
/// context the delivery carries; the upstream head's `traceparent` is set to it (any the sender
/// wrote is replaced).
pub fn outgoing(
    route: &Route,
    facts: &Facts,
    head: &mut UpstreamHead,
) -> (Option<ChildSpan>, Option<DeliveryTrace>) {
    let Some(trace) = facts.trace.as_ref() else {
        return (None, None);
    };
    let queued = matches!(route.config.delivery, DeliveryMode::Queue(_));
    let (mut span, delivery) = if queued {
        trace.outgoing("enqueue", SpanKind::Producer)
    } else {
        let name = crate::telemetry::tracing::request::method_name(&head.method);
        trace.outgoing(name, SpanKind::Client)
    };
    if let Some(span) = span.as_mut() {
        if queued {
            let name = route.trace_labels.name.clone();
            span.set(KeyValue::new("messaging.destination.name", name));
        } else {
            // The method is the span's name, and the server span's `http.request.method`.
            let upstream = route.trace_labels.upstream.clone();
            span.set(KeyValue::new("server.address", upstream));
        }
    }
    delivery.inject(&mut head.headers);
    let delivery = delivery.with_store_spans(route.dedup_fallback.is_some());
    (span, Some(delivery))
}

/// Ends the outgoing span with the deliverer's answer.
pub fn delivered(span: Option<ChildSpan>, result: &Result<Delivered, DeliveryError>) {
    let Some(mut span) = span else { return };
    match result {
        // The answer's status is the server span's `http.response.status_code` (the gateway
        // relays it): the upstream span only says when it was a failure.
        Ok(Delivered::Upstream(response)) => {
            if response.status() >= 500 {
                span.fail("upstream_5xx");
            }
        }
        Ok(Delivered::Accepted { headers, .. }) => {
            if let Some((_, id)) = headers.iter().find(|(n, _)| {
                n.eq_ignore_ascii_case(crate::delivery::queue::deliverer::QUEUED_HEADER)
            }) {
                span.set(KeyValue::new("messaging.message.id", id.clone()));
            }
        }
        Err(DeliveryError::Forward(ForwardError::TimedOut(_))) => span.fail("timeout"),
        Err(DeliveryError::Forward(_)) => span.fail("unreachable"),
        Err(DeliveryError::Unavailable { .. }) => span.fail("unavailable"),
    }
}

/// The `outcome` word of a refusal, for a failed stage span.
fn refusal_label(refusal: &Refusal) -> &'static str {
    match refusal {
        Refusal::RateLimited { .. } => "rate_limited",
        Refusal::InvalidSignature(_) => "invalid_signature",
        Refusal::Duplicate => "duplicate",
        Refusal::InFlight { .. } => "in_flight",
        Refusal::Unavailable { .. } => "unavailable",
        Refusal::IpDenied => "ip_denied",
        Refusal::Filtered => "filtered",
        _ => "refused",
    }
}
