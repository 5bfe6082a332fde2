//! Stage 6 of 11 — body: read the whole body into memory, never more than the route's
//! `max_body`, within what is left of `read_timeout`. `Expect: 100-continue` is answered here
//! (or refused with 413 when the announced length is already too large).

use std::time::Instant;

use bytes::{Bytes, BytesMut};
use pingora::protocols::http::ServerSession;

use super::refusal::Refusal;
use crate::gateway::Route;

/// Reads the body of a request on `route`, by `deadline`.
pub async fn read(
    route: &Route,
    session: &mut ServerSession,
    deadline: Instant,
) -> Result<Bytes, Refusal> {
    let max_body = route.config.max_body;
    if announced_length(session).is_some_and(|n| n > max_body) {
        return Err(Refusal::TooLarge);
    }
    let expects_continue = session
        .get_header(http::header::EXPECT)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
    if expects_continue
        && !session.is_body_empty()
        && session.write_continue_response().await.is_err()
    {
        return Err(Refusal::ClientGone);
    }
    let remaining = deadline.saturating_duration_since(Instant::now());
    match tokio::time::timeout(remaining, read_bounded(session, max_body)).await {
        Err(_) => Err(Refusal::Timeout),
        Ok(Err(BodyError::TooLarge)) => Err(Refusal::TooLarge),
        Ok(Err(BodyError::Malformed)) => Err(Refusal::BadRequest),
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
}

/// The announced `Content-Length`, if any and valid (pingora has already rejected differing or
/// unparseable values).
pub fn announced_length(session: &ServerSession) -> Option<u64> {
    session
        .get_header(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

/// Reads the body, stopping with [`BodyError::TooLarge`] as soon as it passes `limit`.
/// The caller bounds the time.
pub async fn read_bounded(session: &mut ServerSession, limit: u64) -> Result<Bytes, BodyError> {
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
