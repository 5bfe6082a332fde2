//! Every answer the gateway writes itself, and the one table that gives each its outcome,
//! status, reason and headers.

use crate::delivery::ForwardError;
use crate::providers::{LocalResponse, Rejection};
use crate::telemetry::Outcome;

use super::reply::Reply;

/// Why a request stops before (or instead of) reaching the upstream. Stages return it with `?`;
/// [`Refusal::reply`] is the only place a status or reason is written.
#[derive(Debug)]
pub enum Refusal {
    /// Malformed head or framing: 400.
    BadRequest,
    /// A `Transfer-Encoding` coding the gateway does not implement: 501.
    NotImplemented,
    /// Request target over the limit: 414.
    UriTooLong,
    /// Request head over the limit: 431.
    HeaderTooLarge,
    /// Not complete within `read_timeout`: 408.
    Timeout,
    /// No route for the path: 404.
    NotFound,
    /// Method not in the route's `methods`: 405 with `Allow` listing them (`allow`, e.g.
    /// `"GET, POST"`).
    MethodNotAllowed { allow: String },
    /// Client IP not in `allow_ips`: 403.
    IpDenied,
    /// Over the rate limit: 429 with `Retry-After`.
    RateLimited { retry_after_secs: u64 },
    /// Body over `max_body` (announced or read): 413.
    TooLarge,
    /// Signature missing, malformed or wrong: 401 (503 + `Retry-After` when the provider's
    /// signing key could not be fetched).
    InvalidSignature(Rejection),
    /// Already delivered: 200 with `X-Hookgate-Duplicate: true`.
    Duplicate,
    /// Another delivery holds the claim: 409 with `Retry-After`.
    InFlight { retry_after_secs: u64 },
    /// Event type not in `events`: 200 with `X-Hookgate-Filtered: true`.
    Filtered,
    /// A handshake answered by the gateway.
    Challenge(LocalResponse),
    /// The upstream could not be reached, timed out, or its request could not be built: 502/504.
    Upstream(ForwardError),
    /// A store or the queue refused and the route's policy is to refuse: 503 with `Retry-After`.
    Unavailable { retry_after_secs: u64 },
    /// `body_memory_limit` is spent: 503 with `Retry-After`, before the body is read.
    BodyBudgetSpent,
    /// The client went away before an answer could be written (nothing is written).
    ClientGone,
}

impl Refusal {
    /// The outcome shadow mode (`enforce = false`) records instead of answering, for the
    /// refusals of the stages that judge the sender (one of [`Outcome::SHADOWABLE`]); `None` for
    /// those it never lifts (protocol, route, method, body limits, the memory bound, store and
    /// upstream failures). A provider key that cannot be fetched counts as `invalid_signature`:
    /// the request was not verified, and shadow mode never refuses for the signature stage.
    pub fn shadow_outcome(&self) -> Option<Outcome> {
        match self {
            Refusal::InvalidSignature(_) => Some(Outcome::InvalidSignature),
            Refusal::IpDenied => Some(Outcome::IpDenied),
            Refusal::RateLimited { .. } => Some(Outcome::RateLimited),
            Refusal::Duplicate => Some(Outcome::Duplicate),
            Refusal::InFlight { .. } => Some(Outcome::InFlight),
            Refusal::Filtered => Some(Outcome::Filtered),
            _ => None,
        }
    }

    /// The table: outcome and reply of each refusal.
    pub fn reply(self) -> (Outcome, Option<Reply>) {
        let (outcome, reply) = match self {
            Refusal::BadRequest => (Outcome::BadRequest, Reply::error(400, "bad request")),
            Refusal::NotImplemented => (
                Outcome::BadRequest,
                Reply::error(501, "transfer coding not implemented"),
            ),
            Refusal::UriTooLong => (Outcome::BadRequest, Reply::error(414, "uri too long")),
            Refusal::HeaderTooLarge => (
                Outcome::BadRequest,
                Reply::error(431, "request header fields too large"),
            ),
            Refusal::Timeout => (Outcome::BadRequest, Reply::error(408, "request timeout")),
            Refusal::NotFound => (Outcome::NotFound, Reply::error(404, "no route")),
            Refusal::MethodNotAllowed { allow } => (
                Outcome::MethodNotAllowed,
                Reply::error(405, "method not allowed").with_header("allow", allow),
            ),
            Refusal::IpDenied => (Outcome::IpDenied, Reply::error(403, "forbidden")),
            Refusal::RateLimited { retry_after_secs } => (
                Outcome::RateLimited,
                Reply::error(429, "rate limited")
                    .with_header("retry-after", retry_after_secs.to_string()),
            ),
            Refusal::TooLarge => (Outcome::TooLarge, Reply::error(413, "body too large")),
            // The provider's key server could not be reached: nothing is known about the request,
            // and providers retry a 5xx but give up on most 4xx.
            Refusal::InvalidSignature(Rejection::KeyUnavailable) => (
                Outcome::Unavailable,
                Reply::error(503, Rejection::KeyUnavailable.reason()).with_header(
                    "retry-after",
                    crate::providers::KEY_UNAVAILABLE_RETRY_AFTER_SECS.to_string(),
                ),
            ),
            Refusal::InvalidSignature(r) => (
                Outcome::InvalidSignature,
                Reply::error(r.status(), r.reason()),
            ),
            Refusal::Duplicate => (
                Outcome::Duplicate,
                Reply::acknowledged("duplicate").with_header("x-hookgate-duplicate", "true"),
            ),
            Refusal::InFlight { retry_after_secs } => (
                Outcome::InFlight,
                Reply::error(409, "event in flight")
                    .with_header("retry-after", retry_after_secs.to_string()),
            ),
            Refusal::Filtered => (
                Outcome::Filtered,
                Reply::acknowledged("filtered").with_header("x-hookgate-filtered", "true"),
            ),
            Refusal::Challenge(answer) => (Outcome::Challenge, Reply::local(answer)),
            Refusal::Upstream(e) => {
                let reason = match e {
                    ForwardError::TimedOut(_) => "upstream timed out",
                    ForwardError::Unreachable(_) | ForwardError::Unresolved(_) => {
                        "upstream unreachable"
                    }
                    ForwardError::BuildRequest(_) => "upstream request invalid",
                };
                (Outcome::UpstreamError, Reply::error(e.status(), reason))
            }
            Refusal::Unavailable { retry_after_secs } => (
                Outcome::Unavailable,
                Reply::error(503, "unavailable")
                    .with_header("retry-after", retry_after_secs.to_string()),
            ),
            Refusal::BodyBudgetSpent => (
                Outcome::Unavailable,
                Reply::error(503, "server busy").with_header(
                    "retry-after",
                    crate::server::limits::BODY_BUDGET_RETRY_AFTER_SECS.to_string(),
                ),
            ),
            Refusal::ClientGone => return (Outcome::BadRequest, None),
        };
        (outcome, Some(reply))
    }
}
