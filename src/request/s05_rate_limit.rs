//! Stage 5 of 11 — rate limit: one unit of the route's budget (per route, or per client IP),
//! taken before the body is read so forged traffic is refused cheaply.

use std::net::IpAddr;

use super::refusal::Refusal;
use super::s04_client::Client;
use crate::config::model::RateLimitOnError;
use crate::gateway::Route;
use crate::state::{RateDecision, StoreError};

pub async fn check(route: &Route, client: &Client) -> Result<(), Refusal> {
    let (Some(store), Some(spec)) = (&route.rate_limit, &route.config.rate_limit) else {
        return Ok(());
    };
    let key = client.ip.unwrap_or(IpAddr::from([0, 0, 0, 0]));
    match store.check(key).await {
        Ok(RateDecision::Allowed) => Ok(()),
        Ok(RateDecision::Limited { retry_after_secs }) => {
            Err(Refusal::RateLimited { retry_after_secs })
        }
        Err(e) => on_store_error(&route.config.name, spec.on_store_error, &e),
    }
}

/// The route's `rate_limit.on_store_error` policy: refuse with 503 `unavailable`, or let the
/// request through. `local` lets it through here: the store falls back to its per-replica
/// limiter before it reports an error (a store without one has nothing else to ask).
pub fn on_store_error(
    route: &str,
    policy: RateLimitOnError,
    error: &StoreError,
) -> Result<(), Refusal> {
    tracing::warn!(route, error = %error, ?policy, "rate-limit store failed");
    match policy {
        RateLimitOnError::Reject => Err(Refusal::Unavailable {
            retry_after_secs: 1,
        }),
        RateLimitOnError::Allow | RateLimitOnError::Local => Ok(()),
    }
}
