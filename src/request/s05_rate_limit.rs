//! Stage 5 of 11 — rate limit: one unit of the route's budget (per route, or per client IP),
//! taken before the body is read so forged traffic is refused cheaply. Exception: a route whose
//! rate limit and dedup share one Redis ([`joined`]) only runs the local pre-check here; its
//! shared budget is taken at stage 9 in the claim's round trip (README, "Shared state").

use std::net::IpAddr;

use super::refusal::Refusal;
use super::s04_client::Client;
use crate::config::model::RateLimitOnError;
use crate::gateway::Route;
use crate::state::redis::{joint, RedisDedup, RedisRateLimit};
use crate::state::{DecidedBy, RateDecision, RateLimitStore, StoreError};

pub async fn check(route: &Route, client: &Client) -> Result<(), Refusal> {
    let (Some(store), Some(_)) = (&route.rate_limit, &route.config.rate_limit) else {
        return Ok(());
    };
    let key = client_key(client);
    if let Some((limit, _)) = joined(route) {
        // The shared budget is taken together with the dedup claim (stage 9), in one round trip;
        // here only what this replica alone knows is over the quota is refused.
        return match limit.precheck(key, limit.started()) {
            Some(refused) => decided(refused),
            None => Ok(()),
        };
    }
    settle(route, key, store.answer_decide(key).await)
}

/// The route's rate limit when stage 9 has no claim to join it to (the request carries no event
/// ID): the shared call [`check`] left for then. Does nothing on routes that are not [`joined`].
pub async fn check_unjoined(route: &Route, client: &Client) -> Result<(), Refusal> {
    let (Some(store), Some(_)) = (&route.rate_limit, joined(route)) else {
        return Ok(());
    };
    let key = client_key(client);
    settle(route, key, store.answer_decide(key).await)
}

/// The Redis handles of a route whose rate limit and dedup share one Redis: their calls go out
/// together at stage 9 ([`crate::state::redis::joint`]).
pub fn joined(route: &Route) -> Option<(&RedisRateLimit, &RedisDedup)> {
    joint::joinable(route.rate_limit.as_deref()?, route.dedup.as_deref()?)
}

/// The rate-limit key of `client` (its IP; `0.0.0.0` when unknown).
pub fn client_key(client: &Client) -> IpAddr {
    client.ip.unwrap_or(IpAddr::from([0, 0, 0, 0]))
}

/// A store's answer (or failure) for `client`, with the route's fallback bookkeeping and its
/// `on_store_error` policy applied.
pub fn settle(
    route: &Route,
    client: IpAddr,
    answer: Result<(RateDecision, DecidedBy), StoreError>,
) -> Result<(), Refusal> {
    let (Some(store), Some(spec)) = (&route.rate_limit, &route.config.rate_limit) else {
        return Ok(());
    };
    let decision = match answer {
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
            on_store_error(store.as_ref(), client, spec.on_store_error)?
        }
    };
    decided(decision)
}

fn decided(decision: RateDecision) -> Result<(), Refusal> {
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
