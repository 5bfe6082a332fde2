//! Stage 5 of 11 — rate limit: one unit of the route's budget (per route, or per client IP),
//! taken before the body is read so forged traffic is refused cheaply.

use std::net::IpAddr;

use super::refusal::Refusal;
use super::s04_client::Client;
use crate::config::model::RateLimitOnError;
use crate::gateway::Route;
use crate::state::{DecidedBy, RateDecision, RateLimitStore};

pub async fn check(route: &Route, client: &Client) -> Result<(), Refusal> {
    let (Some(store), Some(spec)) = (&route.rate_limit, &route.config.rate_limit) else {
        return Ok(());
    };
    let key = client.ip.unwrap_or(IpAddr::from([0, 0, 0, 0]));
    let decision = match store.decide(key).await {
        Ok((decision, decided_by)) => {
            // Only the store's own answer ends a fallback: the local pre-check refuses while
            // Redis is down too, and must not log "answers again".
            if let (Some(fallback), DecidedBy::Store) = (&route.rate_limit_fallback, decided_by) {
                fallback.recover();
            }
            decision
        }
        Err(e) => {
            if let Some(fallback) = &route.rate_limit_fallback {
                fallback.engage(&e);
            }
            on_store_error(store.as_ref(), key, spec.on_store_error)?
        }
    };
    match decision {
        RateDecision::Allowed => Ok(()),
        RateDecision::Limited { retry_after_secs } => {
            Err(Refusal::RateLimited { retry_after_secs })
        }
    }
}

/// The route's `rate_limit.on_store_error` policy once the shared store failed (counted and
/// logged per transition by the route's fallback): `local` asks this replica's own limiter with
/// the same quota (a store without one lets the request through), `allow` lets it through,
/// `reject` refuses with 503 `unavailable`.
pub fn on_store_error(
    store: &dyn RateLimitStore,
    client: IpAddr,
    policy: RateLimitOnError,
) -> Result<RateDecision, Refusal> {
    match policy {
        RateLimitOnError::Reject => Err(Refusal::Unavailable {
            retry_after_secs: 1,
        }),
        RateLimitOnError::Local => Ok(store.check_local(client).unwrap_or(RateDecision::Allowed)),
        RateLimitOnError::Allow => Ok(RateDecision::Allowed),
    }
}
