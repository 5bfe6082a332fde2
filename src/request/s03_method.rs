//! Stage 3 of 11 — method: POST, or GET on routes that answer handshakes (a GET that turns out
//! not to be a handshake is refused after the body, in [`super::s08_handshake`]).

use pingora::protocols::http::ServerSession;

use super::refusal::Refusal;
use crate::gateway::Route;

pub fn check(route: &Route, session: &ServerSession) -> Result<(), Refusal> {
    let method = &session.req_header().method;
    if *method == http::Method::POST
        || (route.config.answer_challenges && *method == http::Method::GET)
    {
        Ok(())
    } else {
        Err(Refusal::MethodNotAllowed)
    }
}
