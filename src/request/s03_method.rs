//! Stage 3 of 11 — method: one of the route's `methods` (default the preset's, else POST), or GET
//! on routes that answer handshakes (a GET that turns out not to be a handshake, on a route whose
//! `methods` lack GET, is refused after the body, in [`super::s08_handshake`]).

use super::head::ReadSession;

use super::refusal::Refusal;
use crate::gateway::Route;

pub fn check(route: &Route, session: &ReadSession) -> Result<(), Refusal> {
    let method = &session.head().method;
    if route.config.methods.contains(method)
        || (route.config.answer_challenges && *method == http::Method::GET)
    {
        Ok(())
    } else {
        Err(not_allowed(route))
    }
}

/// 405 with `Allow` listing the route's methods.
pub fn not_allowed(route: &Route) -> Refusal {
    let allow: Vec<&str> = route.config.methods.iter().map(|m| m.as_str()).collect();
    Refusal::MethodNotAllowed {
        allow: allow.join(", "),
    }
}

/// Whether requests of `method` carry no body to forward (GET, HEAD): their signature, if any, is
/// over the URL, so a body sent with one is not verified and is not passed on.
pub fn bodyless(method: &http::Method) -> bool {
    matches!(*method, http::Method::GET | http::Method::HEAD)
}
