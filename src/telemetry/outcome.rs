//! What happened to a request: the metric label and the status the caller gets.

/// The `outcome` label of `hookgate_requests_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    Forwarded,
    InvalidSignature,
    IpDenied,
    RateLimited,
    TooLarge,
    Duplicate,
    InFlight,
    Filtered,
    UpstreamError,
    NotFound,
    MethodNotAllowed,
    /// A protocol refusal: malformed or too slow requests (400/408/414/431/501), and internal
    /// failures (500).
    BadRequest,
    /// A handshake answered by the gateway itself.
    Challenge,
    /// Durably accepted into the delivery queue (answered 202 by the gateway).
    Queued,
    /// 503: a state store (or, later, the queue) refused and the route's policy is to refuse.
    Unavailable,
}

impl Outcome {
    pub const ALL: [Outcome; 15] = [
        Outcome::Forwarded,
        Outcome::InvalidSignature,
        Outcome::IpDenied,
        Outcome::RateLimited,
        Outcome::TooLarge,
        Outcome::Duplicate,
        Outcome::InFlight,
        Outcome::Filtered,
        Outcome::UpstreamError,
        Outcome::NotFound,
        Outcome::MethodNotAllowed,
        Outcome::BadRequest,
        Outcome::Challenge,
        Outcome::Queued,
        Outcome::Unavailable,
    ];

    /// The refusals a route in shadow mode (`enforce = false`) does not answer: those of the
    /// stages that judge the sender. Each is also an `X-Hookgate-Shadow` value and an `outcome`
    /// label of `hookgate_shadow_refusals_total`.
    pub const SHADOWABLE: [Outcome; 6] = [
        Outcome::InvalidSignature,
        Outcome::IpDenied,
        Outcome::RateLimited,
        Outcome::Duplicate,
        Outcome::InFlight,
        Outcome::Filtered,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Outcome::Forwarded => "forwarded",
            Outcome::InvalidSignature => "invalid_signature",
            Outcome::IpDenied => "ip_denied",
            Outcome::RateLimited => "rate_limited",
            Outcome::TooLarge => "too_large",
            Outcome::Duplicate => "duplicate",
            Outcome::InFlight => "in_flight",
            Outcome::Filtered => "filtered",
            Outcome::UpstreamError => "upstream_error",
            Outcome::NotFound => "not_found",
            Outcome::MethodNotAllowed => "method_not_allowed",
            Outcome::BadRequest => "bad_request",
            Outcome::Challenge => "challenge",
            Outcome::Queued => "queued",
            Outcome::Unavailable => "unavailable",
        }
    }
}
