//! Stage 11 of 11 — deliver: the upstream head is built, the accepted request becomes a
//! [`Delivery`] and goes to the route's deliverer, which settles the dedup lease.

use std::time::Instant;

use bytes::Bytes;
use pingora::http::RequestHeader;

use super::refusal::Refusal;
use super::s04_client::Client;
use super::Facts;
use crate::delivery::upstream_request::{self, ForwardContext};
use crate::delivery::{Delivered, Delivery, DeliveryError, ForwardError};
use crate::gateway::Route;
use crate::state::Lease;

pub async fn deliver(
    route: &Route,
    original: &RequestHeader,
    authority: Option<&str>,
    client: &Client,
    facts: &mut Facts,
    body: Bytes,
    lease: Option<Lease>,
) -> Result<Delivered, Refusal> {
    // A GET/HEAD is verified over its URL: any body it came with is unverified and stays here.
    let body = if super::s03_method::bodyless(&original.method) {
        Bytes::new()
    } else {
        body
    };
    let mut head = upstream_request::build(
        original,
        &route.config,
        &route.forward_headers,
        &ForwardContext {
            peer_ip: client.peer,
            trusted_peer: client.trusted_peer,
            proto: client.proto,
            host: authority,
            event_id: facts.event_id.as_deref(),
            body_len: body.len(),
        },
    )
    .map_err(|e| failed(route, ForwardError::BuildRequest(e).into()))?;
    // Shadow mode: the refusal the gateway did not answer (a sender's own `X-Hookgate-Shadow`
    // was dropped by `build` with every `x-hookgate-*` header).
    if let Some(outcome) = facts.shadow {
        head.headers.insert(
            http::HeaderName::from_static("x-hookgate-shadow"),
            http::HeaderValue::from_static(outcome.label()),
        );
    }
    let (span, trace) = super::trace::outgoing(route, facts, &mut head);
    let delivery = Delivery {
        route: route.config.name.clone(),
        head,
        body,
        event_id: facts.event_id.clone(),
        lease,
        trace,
    };
    let started = Instant::now();
    let delivered = route.deliverer.deliver(delivery).await;
    facts.upstream = Some(started.elapsed());
    super::trace::delivered(span, &delivered);
    match delivered {
        Ok(Delivered::Upstream(response)) => {
            route.metrics.upstream_status(response.status());
            Ok(Delivered::Upstream(response))
        }
        Ok(accepted) => Ok(accepted),
        Err(e) => Err(failed(route, e)),
    }
}

/// Logs a failed delivery once, with its cause, and turns it into the client's answer. A host that
/// does not resolve is logged by the resolver once per transition (README: "not one per
/// request"), so its requests log here only at debug level; the audit line still has each.
fn failed(route: &Route, error: DeliveryError) -> Refusal {
    if matches!(error, DeliveryError::Forward(ForwardError::Unresolved(_))) {
        tracing::debug!(route = route.name(), error = %error, "delivery failed");
    } else {
        tracing::warn!(route = route.name(), error = %error, "delivery failed");
    }
    match error {
        DeliveryError::Forward(e) => Refusal::Upstream(e),
        DeliveryError::Unavailable {
            retry_after_secs, ..
        } => Refusal::Unavailable { retry_after_secs },
    }
}
