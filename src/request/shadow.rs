//! Shadow mode (`enforce = false` on a route): the stages that judge the sender — `allow_ips`,
//! `rate_limit`, the signature, dedup and `events` — run and are counted, but the first refusal
//! among them does not answer. It is recorded ([`Facts::shadow`]), counted in
//! `hookgate_shadow_refusals_total`, and the request is forwarded as if it had passed, carrying
//! `X-Hookgate-Shadow: <outcome>`; the upstream's answer is relayed. The stages that protect the
//! gateway (protocol, route, method, body limits, the memory bound) and the store and queue
//! policies still refuse.
//!
//! Once a stage would have refused, the later judging stages are skipped, exactly as they would
//! be when enforcing: a request that would have been denied takes no rate-limit unit and makes
//! no dedup claim. So the rate-limit budget and the dedup store see what enforcing would have
//! let them see — a forged request cannot claim an event ID that the real delivery would then
//! find "duplicate" after the switch to `enforce = true`. A shadow `duplicate` or `in_flight`
//! holds no lease (the claim was refused), so forwarding it cannot commit or release the claim of
//! the delivery that holds the ID.

use super::refusal::Refusal;
use super::Facts;
use crate::gateway::Route;

/// A sender-judging stage's verdict under the route's `enforce`: `Ok(Some)` passed; an enforcing
/// route's refusal is returned as is; on a shadow route a refusal in
/// [`crate::telemetry::Outcome::SHADOWABLE`] is recorded and counted, and `Ok(None)` lets the
/// request go on.
pub fn judged<T>(
    route: &Route,
    facts: &mut Facts,
    verdict: Result<T, Refusal>,
) -> Result<Option<T>, Refusal> {
    let refusal = match verdict {
        Ok(value) => return Ok(Some(value)),
        Err(refusal) => refusal,
    };
    match refusal.shadow_outcome() {
        Some(outcome) if !route.config.enforce => {
            route.metrics.shadow_refusal(outcome);
            facts.shadow = Some(outcome);
            Ok(None)
        }
        _ => Err(refusal),
    }
}

/// Whether the judging stages still run: no stage has yet refused in shadow.
pub fn judging(facts: &Facts) -> bool {
    facts.shadow.is_none()
}
