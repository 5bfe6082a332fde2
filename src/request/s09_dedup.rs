//! Stage 9 of 11 — dedup claim: the event ID (and type, read in the same pass over the JSON
//! body) and a claim on the ID in the route's dedup store. The claim's [`Lease`] travels with the
//! delivery.

use http::HeaderMap;

use super::refusal::Refusal;
use super::s04_client::Client;
use super::{s05_rate_limit, Facts};
use crate::config::model::{DedupOnError, KeyScope};
use crate::gateway::Route;
use crate::state::redis::joint;
use crate::state::{ClaimOutcome, EventKey, Lease};

/// The event ID and type, each where the route reads it (a JSON field is read without building
/// the document: [`crate::json_pointer`]).
/// The ID is read whenever the route knows a source (its `dedup.id`, else the preset's `event_id`
/// then each alias), dedup or not: the audit line and `X-Hookgate-Event-Id` carry it.
pub fn event_fields(
    route: &Route,
    headers: &HeaderMap,
    body: &[u8],
) -> (Option<String>, Option<String>) {
    let config = &route.config;
    let id = config
        .event_id
        .iter()
        .find_map(|source| source.extract(headers, body));
    let event_type = config
        .event_type
        .as_ref()
        .and_then(|t| t.extract(headers, body));
    (id, event_type)
}

/// The dedup key of one delivery to this receiver: the event ID within the route's
/// [`KeyScope`] (issue 20 fault 7: SNS, Pub/Sub, Stripe-like providers send one ID to every
/// receiver of an event). `None` when the route does not dedup or the ID is absent. The scope is
/// length-prefixed so no ID can spell another receiver's key; an absent scope field (or no
/// secret index) leaves the ID unscoped, as before.
pub fn key(route: &Route, facts: &Facts, headers: &HeaderMap, body: &[u8]) -> Option<EventKey> {
    let (spec, id) = (route.config.dedup.as_ref()?, facts.event_id.as_deref()?);
    let scope = match &spec.scope {
        KeyScope::None => None,
        KeyScope::Secret => facts.secret.map(|i| format!("secret:{i}")),
        KeyScope::Fields(sources) => {
            let values: Option<Vec<String>> =
                sources.iter().map(|s| s.extract(headers, body)).collect();
            values.map(|v| format!("fields:{}", v.join("\0")))
        }
    };
    Some(match scope {
        None => EventKey::of(id),
        Some(scope) => EventKey::of(&format!("\0{}:{scope}\0{id}", scope.len())),
    })
}

/// Claims `key` (from [`key`]). `None` when there is no key (the route does not dedup, or the
/// ID is absent: forwarded without dedup), or the store failed and the policy is to forward
/// anyway. On a route whose rate limit joins its claim ([`s05_rate_limit::joined`]) the shared
/// rate limit is taken here too, in the same round trip, and decided first: a refused request's
/// claim is released (its lease dropped).
pub async fn claim(
    route: &Route,
    key: Option<EventKey>,
    client: &Client,
) -> Result<Option<Lease>, Refusal> {
    let (Some(store), Some(spec), Some(key)) = (&route.dedup, &route.config.dedup, key) else {
        return s05_rate_limit::check_unjoined(route, client)
            .await
            .map(|()| None);
    };
    let outcome = match s05_rate_limit::joined(route) {
        Some((limit, dedup)) => {
            let ip = s05_rate_limit::client_key(client);
            let joint = joint::limit_and_claim(limit, dedup, store, ip, key).await;
            s05_rate_limit::settle(route, ip, joint.rate)?;
            match joint.claim {
                Some(outcome) => outcome,
                // Only a pre-check refusal makes no claim, and it returned above.
                None => return Ok(None),
            }
        }
        None => store.clone().answer_claim(key).await,
    };
    if let Some(fallback) = &route.dedup_fallback {
        match &outcome {
            Ok(_) => fallback.recover(),
            Err(e) => fallback.engage(e),
        }
    }
    match outcome {
        Ok(ClaimOutcome::Claimed(lease)) => Ok(Some(lease)),
        Ok(ClaimOutcome::Duplicate) => Err(Refusal::Duplicate),
        Ok(ClaimOutcome::InFlight { retry_after_secs }) => {
            Err(Refusal::InFlight { retry_after_secs })
        }
        Err(_) => on_store_error(spec.on_store_error).map(|()| None),
    }
}

/// The route's `dedup.on_store_error` policy once the shared store failed (counted and logged
/// per transition by the route's fallback): forward without dedup, or refuse with 503
/// `unavailable`.
pub fn on_store_error(policy: DedupOnError) -> Result<(), Refusal> {
    match policy {
        DedupOnError::Forward => Ok(()),
        DedupOnError::Reject => Err(Refusal::Unavailable {
            retry_after_secs: 1,
        }),
    }
}
