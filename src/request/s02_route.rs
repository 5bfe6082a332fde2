//! Stage 2 of 11 — route: exact path match (the table lookup itself is
//! [`crate::gateway::RouteTable::find`], done once per request before the stages run, because the
//! metrics and the audit line need the route whatever happens).

use crate::gateway::Route;

use super::refusal::Refusal;

pub fn matched(route: Option<&Route>) -> Result<&Route, Refusal> {
    route.ok_or(Refusal::NotFound)
}
