//! Stage 7 of 11 — verify: the route's signature scheme over the exact raw body. Schemes that
//! fetch keys first get their [`crate::providers::Scheme::prepare`] future awaited.

use std::time::{Duration, Instant};

use super::head::ReadSession;

use super::refusal::Refusal;
use super::s04_client::Client;
use crate::gateway::Route;
use crate::providers::WebhookRequest;
use crate::telemetry::tracing::RequestSpan;
use opentelemetry::trace::SpanKind;

/// Checks the signature with the route's secrets valid now; counts which one matched
/// (`hookgate_secret_matches_total`); returns how long the check took (prepare excluded) and
/// the matching secret's index (`None` for presets whose keys come from the provider), which
/// scopes the dedup key of [`crate::providers::DedupScope::Secret`] presets.
/// `trace`: the request's span, for a `key_fetch` child when the scheme fetches keys.
pub async fn verify(
    route: &Route,
    request: &WebhookRequest<'_>,
    trace: Option<&RequestSpan>,
) -> Result<(Duration, Option<usize>), Refusal> {
    if let Some(prepare) = route.scheme.prepare(request) {
        let mut span = trace.and_then(|t| t.child("key_fetch", SpanKind::Client));
        let fetched = prepare.await;
        if let (Some(span), Err(_)) = (span.as_mut(), &fetched) {
            span.fail("key_unavailable");
        }
        fetched.map_err(Refusal::InvalidSignature)?;
    }
    let started = Instant::now();
    let verdict = route.scheme.verify(request);
    let took = started.elapsed();
    route.metrics.verify_duration.observe(took.as_secs_f64());
    let verified = verdict.map_err(Refusal::InvalidSignature)?;
    if let Some(index) = verified.secret {
        route.metrics.secret_match(index);
    }
    Ok((took, verified.secret))
}

/// The URL the provider called, for schemes that read it (else empty): the route's
/// `public_url`, else the client's scheme + `Host` + path; the request's query string either way.
pub fn public_url(route: &Route, session: &ReadSession, client: &Client) -> String {
    if !route.scheme.reads_public_url() {
        return String::new();
    }
    let uri = &session.head().uri;
    let query = uri.query().map(|q| format!("?{q}")).unwrap_or_default();
    if let Some(base) = &route.config.public_url {
        return format!("{base}{query}");
    }
    let host = session.authority().unwrap_or("localhost");
    format!("{}://{host}{}{query}", client.proto, uri.path())
}
