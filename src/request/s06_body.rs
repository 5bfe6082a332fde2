//! Stage 6 of 11 — body: read the whole body into memory, never more than the route's
//! `max_body`, within what is left of `read_timeout`, and never past the gateway's
//! `body_memory_limit` (a `Content-Length` body reserves its length before it is read, a chunked
//! one each chunk as it comes; past the budget: 503 + `Retry-After`). `Expect: 100-continue` is
//! answered here, to HTTP/1.1 clients (or refused with 413 / 503 at once). A chunked body's
//! framing is checked on the raw bytes as they arrive ([`crate::server::tap`]).

use std::time::Instant;

use bytes::{Bytes, BytesMut};

use super::head::ReadSession;
use super::refusal::Refusal;
use crate::gateway::Route;
use crate::server::limits::{BodyBudget, BodyReservation};
use crate::server::tap::FramingTap;

/// Reads the body of a request on `route`, by `deadline`, holding its bytes in `reservation`.
pub async fn read(
    route: &Route,
    session: &mut ReadSession,
    deadline: Instant,
    budget: &BodyBudget,
    reservation: &mut BodyReservation,
) -> Result<Bytes, Refusal> {
    let max_body = route.config.max_body;
    let announced = announced_length(session);
    if announced.is_some_and(|n| n > max_body) {
        return Err(Refusal::TooLarge);
    }
    if let Some(n) = announced {
        budget
            .reserve(reservation, n)
            .map_err(|_| Refusal::BodyBudgetSpent)?;
    }
    let chunked = session
        .head()
        .headers
        .contains_key(http::header::TRANSFER_ENCODING);
    if chunked {
        // Stage 1 let only a single `chunked` through. Check what came with the head, then arm
        // the check of every later read.
        let tap = session
            .as_http1()
            .and_then(|h1| FramingTap::of(h1.stream()));
        if let (Some(tap), Some(raw)) = (tap, session.raw_head()) {
            tap.arm_chunked(&raw).map_err(|_| Refusal::BadRequest)?;
        }
    }
    // RFC 9110 §10.1.1: a 1.0 client does not understand 100 Continue; it sends the body anyway.
    let expects_continue = session.head().version == http::Version::HTTP_11
        && session
            .header(http::header::EXPECT)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
    if expects_continue && !session.is_body_empty() {
        // pingora turns keep-alive off when a response header, the 1xx too, is written before
        // the body is read (`close_on_response_before_downstream_finish`): it is put back, and
        // the final answer is checked again when it is written.
        let keepalive = session.get_keepalive();
        if session.write_continue_response().await.is_err() {
            return Err(Refusal::ClientGone);
        }
        session.set_keepalive(keepalive);
    }
    let remaining = deadline.saturating_duration_since(Instant::now());
    // A body announced by Content-Length is covered already; a chunked one grows its share.
    let grow = (announced.is_none()).then_some((budget, reservation));
    match tokio::time::timeout(remaining, read_bounded(session, max_body, grow)).await {
        Err(_) => Err(Refusal::Timeout),
        Ok(Err(BodyError::TooLarge)) => Err(Refusal::TooLarge),
        Ok(Err(BodyError::Malformed)) => Err(Refusal::BadRequest),
        Ok(Err(BodyError::BudgetSpent)) => Err(Refusal::BodyBudgetSpent),
        Ok(Ok(body)) => Ok(body),
    }
}

/// Why the body could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    /// More than the limit arrived (or was announced).
    #[error("body over the limit")]
    TooLarge,
    /// Bad chunk framing or a connection that ended early.
    #[error("malformed body")]
    Malformed,
    /// `body_memory_limit` has no room for the next chunk.
    #[error("body memory budget spent")]
    BudgetSpent,
}

/// The announced `Content-Length`, if any and valid (pingora has already rejected differing or
/// unparseable values).
pub fn announced_length(session: &ReadSession) -> Option<u64> {
    session
        .header(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

/// Reads the body, stopping with [`BodyError::TooLarge`] as soon as it passes `limit`. With
/// `grow`, each piece is first reserved in the budget ([`BodyError::BudgetSpent`] if it cannot
/// be). The caller bounds the time.
pub async fn read_bounded(
    session: &mut ReadSession,
    limit: u64,
    mut grow: Option<(&BodyBudget, &mut BodyReservation)>,
) -> Result<Bytes, BodyError> {
    let capacity = announced_length(session).unwrap_or(0).min(limit) as usize;
    let mut first: Option<Bytes> = None;
    let mut buf: Option<BytesMut> = None;
    let mut total: u64 = 0;
    loop {
        match session.read_request_body().await {
            Ok(Some(chunk)) => {
                total += chunk.len() as u64;
                if total > limit {
                    return Err(BodyError::TooLarge);
                }
                if let Some((budget, reservation)) = grow.as_mut() {
                    budget
                        .reserve(reservation, chunk.len() as u64)
                        .map_err(|_| BodyError::BudgetSpent)?;
                }
                // The common single-chunk body is returned without a copy.
                match (&mut first, &mut buf) {
                    (None, None) => first = Some(chunk),
                    (Some(f), None) => {
                        let mut b = BytesMut::with_capacity(capacity.max(f.len() + chunk.len()));
                        b.extend_from_slice(f);
                        b.extend_from_slice(&chunk);
                        first = None;
                        buf = Some(b);
                    }
                    (_, Some(b)) => b.extend_from_slice(&chunk),
                }
            }
            Ok(None) => break,
            Err(_) => return Err(BodyError::Malformed),
        }
    }
    Ok(match (first, buf) {
        (_, Some(b)) => b.freeze(),
        (Some(f), None) => f,
        (None, None) => Bytes::new(),
    })
}
