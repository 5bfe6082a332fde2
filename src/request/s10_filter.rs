//! Stage 10 of 11 — event filter: types not in the route's `events` are acknowledged (200,
//! `X-Hookgate-Filtered`) and dropped. A claim taken by stage 9 is released when the refusal
//! drops it.

use super::refusal::Refusal;
use crate::gateway::Route;

pub fn check(route: &Route, event_type: Option<&str>) -> Result<(), Refusal> {
    match &route.config.events {
        Some(events) if !events.forwards(event_type) => Err(Refusal::Filtered),
        _ => Ok(()),
    }
}
