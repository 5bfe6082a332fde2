//! The body stage on the wire: read the whole body into memory, never more than `max_body`.

use bytes::{Bytes, BytesMut};
use pingora::protocols::http::ServerSession;

/// Why the body could not be read.
#[derive(Debug)]
pub enum BodyError {
    /// More than the limit arrived (or was announced).
    TooLarge,
    /// Bad chunk framing or a connection that ended early.
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
