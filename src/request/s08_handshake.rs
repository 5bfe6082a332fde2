//! Stage 8 of 11 — handshakes the gateway answers itself (routes with `answer_challenges`).
//! Two moments: [`before_verify`] for handshakes that carry nothing to verify (Dropbox's
//! `GET ?challenge=`, Asana's `X-Hook-Secret`), run just before stage 7; [`after_verify`] for
//! handshakes inside a verified request (Slack `url_verification`, Zoom, Twitch).

use super::refusal::Refusal;
use crate::gateway::Route;
use crate::providers::WebhookRequest;

/// An unsigned handshake is answered; a GET let through by stage 3 only for handshakes, that is
/// none, is refused now that its body was read.
pub fn before_verify(route: &Route, request: &WebhookRequest<'_>) -> Result<(), Refusal> {
    if route.config.answer_challenges {
        if let Some(answer) = route.scheme.unsigned_challenge(request) {
            return Err(Refusal::Challenge(answer));
        }
    }
    if !route
        .config
        .methods
        .iter()
        .any(|m| m.as_str() == request.method)
    {
        return Err(super::s03_method::not_allowed(route));
    }
    Ok(())
}

pub fn after_verify(route: &Route, request: &WebhookRequest<'_>) -> Result<(), Refusal> {
    if route.config.answer_challenges {
        if let Some(answer) = route.scheme.signed_challenge(request) {
            return Err(Refusal::Challenge(answer));
        }
    }
    Ok(())
}
