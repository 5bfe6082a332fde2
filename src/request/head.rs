//! A session whose request head has been read: the only way the pipeline reaches the head.
//!
//! pingora's head accessors (`req_header`, `get_header`, `get_headers_raw_bytes`) panic when no
//! head is stored — after a refused head, for instance. [`ReadSession`] exists only once
//! `read_request` answered `Ok(true)` (see [`ReadSession::read`]), so its accessors cannot meet
//! that state; everywhere else the panicking accessors are refused by clippy
//! (`disallowed-methods` in `clippy.toml`).

use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::Poll;
use std::time::{Duration, Instant};

use bytes::Bytes;
use pingora::http::RequestHeader;
use pingora::protocols::http::ServerSession;

use super::refusal::Refusal;
use super::s01_protocol;
use crate::server::drain::Drain;

/// A [`ServerSession`] with its request head read and stored.
pub struct ReadSession(ServerSession);

/// Why no head could be had.
pub enum HeadError {
    /// The connection closed (or failed) before a request began: nothing to answer.
    Closed,
    /// A head that is answered with this refusal; the session is kept to write it.
    Refused(Refusal),
}

impl ReadSession {
    /// Reads the request head within `wait` ([`HeadWait`]). `Ok` carries when the request began
    /// (its first byte, as near as the read saw it): `read_timeout` for the body counts from
    /// there. `Err` carries the session back (to answer a refusal on it) with what to do.
    pub async fn read(
        mut session: ServerSession,
        wait: HeadWait<'_>,
    ) -> Result<(ReadSession, Instant), (ServerSession, HeadError)> {
        let (read, began) = read_within(&mut session, &wait).await;
        match read {
            HeadRead::Done(Ok(true)) => Ok((ReadSession(session), began)),
            HeadRead::Done(Ok(false)) | HeadRead::Idle => Err((session, HeadError::Closed)),
            HeadRead::Done(Err(e)) => {
                let error = match refusal_of(&e, &session) {
                    Some(refusal) => HeadError::Refused(refusal),
                    None => HeadError::Closed,
                };
                Err((session, error))
            }
            HeadRead::TimedOut => Err((session, HeadError::Refused(Refusal::Timeout))),
        }
    }

    /// The request head.
    pub fn head(&self) -> &RequestHeader {
        // A ReadSession is built only after `read_request` returned Ok(true), when pingora has
        // stored the head (HTTP/2 sessions are created with theirs).
        #[allow(clippy::disallowed_methods)]
        self.0.req_header()
    }

    /// The first value of header `name`.
    pub fn header(&self, name: impl http::header::AsHeaderName) -> Option<&http::HeaderValue> {
        self.head().headers.get(name)
    }

    /// The raw bytes of an HTTP/1 head (`None` over HTTP/2, which has no such bytes).
    pub fn raw_head(&self) -> Option<Bytes> {
        // Stored with the head by `read_request` (see `head`).
        #[allow(clippy::disallowed_methods)]
        self.0.as_http1().map(|h1| h1.get_headers_raw_bytes())
    }

    /// The request's authority (RFC 9110 §7.2): the target's authority when it has one (HTTP/2's
    /// `:authority`, an HTTP/1.1 absolute-form target, which RFC 9112 §3.2.2 says wins over
    /// `Host`), else the `Host` field. The same answer over HTTP/1.1 and HTTP/2.
    pub fn authority(&self) -> Option<&str> {
        let head = self.head();
        match head.uri.authority() {
            Some(authority) => Some(authority.as_str()),
            None => head
                .headers
                .get(http::header::HOST)
                .and_then(|h| h.to_str().ok()),
        }
    }

    /// The session, to be finished.
    pub fn into_inner(self) -> ServerSession {
        self.0
    }
}

impl Deref for ReadSession {
    type Target = ServerSession;
    fn deref(&self) -> &ServerSession {
        &self.0
    }
}

impl DerefMut for ReadSession {
    fn deref_mut(&mut self) -> &mut ServerSession {
        &mut self.0
    }
}

/// How long a request head may take to arrive.
pub struct HeadWait<'a> {
    /// Without `idle`: the bound on the whole read (an HTTP/2 stream, whose head comes at once).
    /// With it: the bound on the wait for the request's first byte (`idle_timeout`).
    pub first: Duration,
    pub idle: Option<IdleWait<'a>>,
}

/// An HTTP/1 connection waiting for its next request: idle until `arrived` (the connection's
/// [`crate::server::tap::FramingTap::arrival`]) is set, then `read` for the head. One timer does
/// both bounds (it is moved when the first byte arrives): no peek, no second timer.
pub struct IdleWait<'a> {
    pub arrived: &'a AtomicBool,
    pub read: Duration,
    /// Draining ends the wait while the connection is idle: a request that has not begun is not
    /// started (the sender retries elsewhere); one that has is read and served.
    pub drain: &'a Drain,
}

/// How a head read ended.
enum HeadRead {
    Done(pingora::Result<bool>),
    /// No request began within the idle time, or draining started first: close quietly.
    Idle,
    /// The request began but its head did not arrive within `read`: 408.
    TimedOut,
}

/// `read_request` within `wait`; also the instant the request began.
async fn read_within(session: &mut ServerSession, wait: &HeadWait<'_>) -> (HeadRead, Instant) {
    let mut began = Instant::now();
    let mut idle = wait.idle.as_ref();
    let sleep = tokio::time::sleep(wait.first);
    let read = session.read_request();
    let drained = async {
        match wait.idle.as_ref() {
            Some(w) => w.drain.started().await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(sleep, read, drained);
    let ended = std::future::poll_fn(|cx| {
        // Draining is looked at first: a request and the drain seen in one wake-up is not begun.
        if idle.is_some() && drained.as_mut().poll(cx).is_ready() {
            return Poll::Ready(HeadRead::Idle);
        }
        if let Poll::Ready(read) = read.as_mut().poll(cx) {
            if idle.is_some() {
                began = Instant::now();
            }
            return Poll::Ready(HeadRead::Done(read));
        }
        if let Some(w) = idle.filter(|w| w.arrived.load(Ordering::Relaxed)) {
            idle = None;
            began = Instant::now();
            sleep.as_mut().reset((began + w.read).into());
        }
        match sleep.as_mut().poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(()) if idle.is_some() => Poll::Ready(HeadRead::Idle),
            Poll::Ready(()) => Poll::Ready(HeadRead::TimedOut),
        }
    })
    .await;
    (ended, began)
}

/// The answer to a head pingora refused, from the error's own context (never from the bytes it
/// quotes: a refused head's dump may contain any text). `None`: close without an answer.
fn refusal_of(e: &pingora::Error, session: &ServerSession) -> Option<Refusal> {
    match e.etype() {
        pingora::ErrorType::InvalidHTTPHeader => {}
        pingora::ErrorType::ReadTimedout => return Some(Refusal::Timeout),
        _ => return None,
    }
    let context = e.context.as_ref().map_or("", |c| c.as_str());
    // A head over the size limit, or with more fields than pingora parses (256, httparse's
    // "too many headers"): both are 431 (RFC 6585 §5).
    let too_many = e
        .cause
        .as_ref()
        .is_some_and(|c| c.to_string() == httparse::Error::TooManyHeaders.to_string());
    if context.starts_with("Request header larger than") || too_many {
        return Some(Refusal::HeaderTooLarge);
    }
    // pingora refused a parsed head over its Transfer-Encoding; the gateway's rule tells 400
    // (RFC 9112 §6.1) from 501 (one coding it does not implement).
    if context.contains("Transfer-Encoding") {
        if let Some(values) = stored_transfer_encoding(session) {
            return Some(
                s01_protocol::te_rule(&values)
                    .err()
                    .unwrap_or(Refusal::BadRequest),
            );
        }
    }
    // Anything else (an obs-fold line, RFC 9112 §5.2; a bad token; an ambiguous authority): 400.
    Some(Refusal::BadRequest)
}

/// The `Transfer-Encoding` fields of a head pingora parsed and stored before refusing it, or
/// `None` when it stored no head (a head that did not parse).
fn stored_transfer_encoding(session: &ServerSession) -> Option<http::HeaderMap> {
    let h1 = session.as_http1()?;
    // `get_header` answers from the stored head, and `None` when there is none: past this line
    // the head exists and `req_header` cannot panic.
    h1.get_header(http::header::TRANSFER_ENCODING)?;
    #[allow(clippy::disallowed_methods)]
    let head = h1.req_header();
    let mut values = http::HeaderMap::new();
    for v in head.headers.get_all(http::header::TRANSFER_ENCODING) {
        values.append(http::header::TRANSFER_ENCODING, v.clone());
    }
    Some(values)
}
