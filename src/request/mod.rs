//! The request pipeline. [`run`] is the whole order, one stage per file (`sNN_*.rs`, numbered
//! in that order); [`serve`] reads the head, runs the stages, writes the answer, and counts and
//! logs the request once.
//!
//! Adding a stage is adding a file and one line in [`run`]; each stage returns `Ok` to go on or a
//! [`Refusal`] to answer now.

// Panic-free by construction (issue 20): no `unwrap`, `expect`, indexing or `panic!` on
// input-dependent state outside tests (clippy.toml allows them in tests); each exception is
// allowed where it stands, with the reason it cannot fail.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

pub mod chunked;
pub mod head;
pub mod refusal;
pub mod reply;
pub mod s01_protocol;
pub mod s02_route;
pub mod s03_method;
pub mod s04_client;
pub mod s05_rate_limit;
pub mod s06_body;
pub mod s07_verify;
pub mod s08_handshake;
pub mod s09_dedup;
pub mod s10_filter;
pub mod s11_deliver;
pub mod shadow;
pub mod trace;

#[cfg(test)]
mod proptests;

use std::net::IpAddr;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use pingora::apps::{HttpPersistentSettings, ReusedHttpStream};
use pingora::protocols::http::ReusableHttpStream;
use pingora::protocols::http::ServerSession;
use pingora::server::ShutdownWatch;

use crate::delivery::forward::UpstreamResponse;
use crate::delivery::Delivered;
use crate::gateway::{Gateway, Route};
use crate::providers::WebhookRequest;
use crate::server::state::GatewayState;
use crate::telemetry::{AuditRecord, Outcome};

pub use head::{HeadError, HeadWait, IdleWait, ReadSession};
pub use refusal::Refusal;
pub use reply::Reply;

/// How long writing an answer to a slow reader may take.
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);

/// What the stages learned, for the audit line (and, for `body_bytes`, whether the body was
/// read: only stage 6 sets it).
#[derive(Default)]
pub struct Facts {
    pub client_ip: Option<IpAddr>,
    pub event_id: Option<String>,
    pub event_type: Option<String>,
    /// `None` until the body stage has read the body.
    pub body_bytes: Option<usize>,
    pub verify: Option<Duration>,
    /// Which of the route's secrets verified the request (by index), when the scheme says.
    pub secret: Option<usize>,
    pub upstream: Option<Duration>,
    /// The body's share of `body_memory_limit`, held until the request is answered.
    pub body_reservation: crate::server::limits::BodyReservation,
    /// On a route in shadow mode: the first refusal it did not answer ([`shadow`]).
    pub shadow: Option<Outcome>,
    /// The request's server span, when tracing is on.
    pub trace: Option<crate::telemetry::tracing::RequestSpan>,
}

/// The stages, in order. `Ok` is an accepted request's delivery result. The sender-judging
/// stages go through [`shadow::judged`] (a route with `enforce = false` forwards instead of
/// refusing) and are skipped once one would have refused.
pub async fn run(
    state: &GatewayState,
    gateway: &Gateway,
    route: Option<&Route>,
    session: &mut ReadSession,
    deadline: Instant,
    facts: &mut Facts,
) -> Result<Delivered, Refusal> {
    s01_protocol::check(session)?;
    let route = s02_route::matched(route)?;
    s03_method::check(route, session)?;
    let client = s04_client::identify(&gateway.server.trusted_proxies, state.tls, session);
    facts.client_ip = client.ip;
    shadow::judged(route, facts, s04_client::admit(route, &client))?;
    if shadow::judging(facts) {
        let span = trace::store_call(facts, route.rate_limit_fallback.is_some(), "rate_limit");
        let verdict = trace::ended(span, s05_rate_limit::check(route, &client).await);
        shadow::judged(route, facts, verdict)?;
    }
    let body = s06_body::read(
        route,
        session,
        deadline,
        &state.body_budget,
        &mut facts.body_reservation,
    )
    .await?;
    facts.body_bytes = Some(body.len());

    let public_url = s07_verify::public_url(route, session, &client);
    let header = session.head();
    let request = WebhookRequest {
        method: header.method.as_str(),
        public_url: &public_url,
        headers: &header.headers,
        body: &body,
        now: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default(),
    };
    s08_handshake::before_verify(route, &request)?;
    if shadow::judging(facts) {
        let span = trace::child(facts, "verify", opentelemetry::trace::SpanKind::Internal);
        let verified = s07_verify::verify(route, &request, facts.trace.as_ref()).await;
        let verified = shadow::judged(route, facts, trace::ended(span, verified))?;
        facts.verify = verified.map(|(took, _)| took);
        facts.secret = verified.and_then(|(_, secret)| secret);
        // A handshake is answered only when its request verified.
        if facts.verify.is_some() {
            s08_handshake::after_verify(route, &request)?;
        }
    }

    (facts.event_id, facts.event_type) = s09_dedup::event_fields(route, &header.headers, &body);
    let mut lease = None;
    if shadow::judging(facts) {
        let key = s09_dedup::key(route, facts, &header.headers, &body);
        let span = trace::store_call(facts, route.dedup_fallback.is_some(), "dedup.claim");
        let verdict = trace::ended(span, s09_dedup::claim(route, key, &client).await);
        lease = shadow::judged(route, facts, verdict)?.flatten();
    }
    if shadow::judging(facts) {
        let verdict = s10_filter::check(route, facts.event_type.as_deref());
        shadow::judged(route, facts, verdict)?;
    }
    let authority = session.authority();
    s11_deliver::deliver(route, header, authority, &client, facts, body, lease).await
}

/// How a request ended, for the log, the metrics and connection reuse.
struct Finished {
    outcome: Outcome,
    status: u16,
    upstream_status: Option<u16>,
    /// Whether the connection can carry another request.
    reusable: bool,
}

/// Serves one request on `session`. `arrived`: an HTTP/1 connection's first-byte flag
/// ([`crate::server::tap::FramingTap::arrival`], cleared for this request): the head is awaited
/// `idle_timeout` until the request begins, then `read_timeout`. Without it (an HTTP/2 stream)
/// the head read is bounded by both together. Returns the connection when it can be reused.
pub async fn serve(
    state: &Arc<GatewayState>,
    mut session: ServerSession,
    arrived: Option<&AtomicBool>,
    shutdown: &ShutdownWatch,
) -> Option<ReusedHttpStream> {
    let gateway = state.gateway();
    let server = &gateway.server;
    let closing = *shutdown.borrow() || state.drain.is_draining();
    // The head read is bounded by `read_head`'s one timer; pingora's keep-alive timeout would
    // arm a second one around each read (`Some(0)`: no timer). Set for reuse once it is read.
    session.set_keepalive(Some(0));
    session.set_read_timeout(Some(server.read_timeout));
    session.set_write_timeout(Some(WRITE_TIMEOUT));

    let wait = HeadWait {
        first: match arrived {
            Some(_) => server.idle_timeout,
            None => server.idle_timeout + server.read_timeout,
        },
        idle: arrived.map(|arrived| IdleWait {
            arrived,
            read: server.read_timeout,
            drain: &state.drain,
        }),
    };
    let (mut session, started) = read_head(state, session, wait).await?;
    // `read_request` has applied the client's choice (HTTP/1.0 without `Connection: keep-alive`,
    // or `Connection: close`: off); only a connection the client keeps open gets `idle_timeout`.
    let client_keeps = session.get_keepalive().is_some();
    session.set_keepalive(if closing || !client_keeps {
        None
    } else {
        Some(server.idle_timeout.as_secs().max(1))
    });
    let _in_flight = state.drain.track_request();
    let deadline = started + server.read_timeout.max(Duration::from_millis(1));

    let route = gateway.routes.find(session.head().uri.path()).cloned();

    let mut facts = Facts {
        trace: trace::start(state, &gateway, route.as_deref(), &session),
        ..Facts::default()
    };
    let result = run(
        state,
        &gateway,
        route.as_deref(),
        &mut session,
        deadline,
        &mut facts,
    )
    .await;
    let finished = answer(state, &mut session, route.as_deref(), result, &facts).await;
    let head = session.head();
    log(
        state,
        route.as_deref(),
        &facts,
        (head.method.as_str(), head.uri.path()),
        &finished,
        started,
    );
    trace::finish(&mut facts, finished.outcome.label(), finished.status);

    if !finished.reusable || closing || state.drain.is_draining() {
        session.set_keepalive(None);
    }
    let session = session.into_inner();
    let settings = HttpPersistentSettings::for_session(&session);
    match session.finish().await {
        Ok(Some(stream)) if finished.reusable => Some(reused(stream, settings)),
        _ => None,
    }
}

/// The connection for its next request, with the bytes of that request already read (HTTP/1.1
/// pipelining): pingora parses them first, and the framing tap records them as that request's.
fn reused(stream: ReusableHttpStream, mut settings: HttpPersistentSettings) -> ReusedHttpStream {
    let (stream, prefix) = stream.into_parts();
    if let Some(prefix) = prefix {
        if let Some(tap) = crate::server::tap::FramingTap::of(&stream) {
            tap.carry_over(&prefix);
        }
        settings.set_pipelined_prefix(prefix);
    }
    ReusedHttpStream::new(stream, Some(settings))
}

/// Reads the request head within `wait` ([`ReadSession::read`]), and when the request began.
/// `None`: the connection ends here (closed by the client or idle, the head refused and
/// answered, or draining started before a request began).
async fn read_head(
    state: &GatewayState,
    session: ServerSession,
    wait: HeadWait<'_>,
) -> Option<(ReadSession, Instant)> {
    let (session, began) = match ReadSession::read(session, wait).await {
        Ok(read) => read,
        Err((mut session, HeadError::Refused(refusal))) => {
            refuse_unparsed(state, &mut session, refusal).await;
            return None;
        }
        Err((_, HeadError::Closed)) => return None,
    };
    // Only a chunked body needs the raw bytes the tap keeps of the head read.
    if !session
        .head()
        .headers
        .contains_key(http::header::TRANSFER_ENCODING)
    {
        if let Some(tap) = session
            .as_http1()
            .and_then(|h1| crate::server::tap::FramingTap::of(h1.stream()))
        {
            tap.not_chunked();
        }
    }
    Some((session, began))
}

/// Counts the outcome and writes the answer: the upstream's response, the queue's
/// acknowledgement or the refusal.
async fn answer(
    state: &GatewayState,
    session: &mut ReadSession,
    route: Option<&Route>,
    result: Result<Delivered, Refusal>,
    facts: &Facts,
) -> Finished {
    let body_read = facts.body_bytes.is_some();
    if state.drain.is_draining() {
        // Draining began while this request ran: its answer says the connection ends (as nginx
        // does), rather than promising a keep-alive the gateway will not keep.
        session.set_keepalive(None);
    }
    // The outcome is counted before the answer is written, so a client holding its answer finds
    // the request in /metrics.
    let count = |outcome: Outcome| match route {
        Some(r) => r.metrics.count(outcome),
        None => state.metrics.unmatched(outcome),
    };
    match result {
        Ok(Delivered::Upstream(response)) => {
            count(Outcome::Forwarded);
            relay(session, *response).await
        }
        Ok(Delivered::Accepted { status, headers }) => {
            count(Outcome::Queued);
            let mut reply = Reply::acknowledged("queued");
            reply.status = status;
            reply.headers = headers.into_iter().map(|(n, v)| (n.into(), v)).collect();
            write(session, Outcome::Queued, Some(reply), body_read).await
        }
        Err(refusal) => {
            let (outcome, reply) = refusal.reply();
            count(outcome);
            write(session, outcome, reply, body_read).await
        }
    }
}

/// The request's duration histogram and its audit line; `request` is its method and path.
fn log(
    state: &GatewayState,
    route: Option<&Route>,
    facts: &Facts,
    request: (&str, &str),
    finished: &Finished,
    started: Instant,
) {
    let (method, path) = request;
    let elapsed = started.elapsed();
    if let Some(r) = route {
        r.metrics.request_duration.observe(elapsed.as_secs_f64());
    }
    let trace_id = facts.trace.as_ref().map(|t| t.trace_id());
    state.audit.emit(&AuditRecord {
        route: route.map(|r| r.name()),
        provider: route.map(|r| r.config.provider()),
        client_ip: facts.client_ip,
        method,
        path,
        event_id: facts.event_id.as_deref(),
        event_type: facts.event_type.as_deref(),
        outcome: Some(finished.outcome),
        status: finished.status,
        upstream_status: finished.upstream_status,
        body_bytes: facts.body_bytes.unwrap_or(0),
        duration: elapsed,
        verify_duration: facts.verify,
        upstream_duration: facts.upstream,
        shadow: facts.shadow.map(|o| o.label()),
        trace_id,
    });
}

/// Answers a request whose head could not be read or parsed, then the connection closes.
async fn refuse_unparsed(state: &GatewayState, session: &mut ServerSession, refusal: Refusal) {
    let (outcome, reply) = refusal.reply();
    state.metrics.unmatched(outcome);
    let Some(reply) = reply else { return };
    session.set_keepalive(None);
    let Ok(header) = pingora::http::ResponseHeader::build(reply.status, None) else {
        return;
    };
    let _ = tokio::time::timeout(
        Duration::from_secs(1),
        session.write_error_response(header, reply.body),
    )
    .await;
}

/// Writes a gateway answer. The connection is kept only when the body was read (else unread
/// bytes would be taken for the next request).
async fn write(
    session: &mut ServerSession,
    outcome: Outcome,
    reply: Option<Reply>,
    body_read: bool,
) -> Finished {
    let Some(reply) = reply else {
        return Finished {
            outcome,
            status: 0,
            upstream_status: None,
            reusable: false,
        };
    };
    let written = reply.write(session, !body_read).await.is_ok();
    Finished {
        outcome,
        status: reply.status,
        upstream_status: None,
        reusable: written && body_read,
    }
}

/// Copies the upstream's answer to the client; the connection is reused if both sides finished.
async fn relay(session: &mut ReadSession, mut response: UpstreamResponse) -> Finished {
    let status = response.status();
    let relayed = relay_body(session, &mut response).await;
    if relayed {
        response.finish().await;
    }
    Finished {
        outcome: Outcome::Forwarded,
        status,
        upstream_status: Some(status),
        reusable: relayed,
    }
}

/// Whether the answer `header` to a `method` request has a body delimited only by the end of
/// the connection: one that may have a body (not `HEAD`, 1xx, 204 or 304; RFC 9112 §6.3) and has
/// neither `Content-Length` nor `Transfer-Encoding`.
fn close_delimited(header: &pingora::http::ResponseHeader, method: &http::Method) -> bool {
    let status = header.status.as_u16();
    let bodyless = *method == http::Method::HEAD
        || (100..200).contains(&status)
        || status == 204
        || status == 304;
    !bodyless
        && !header.headers.contains_key(http::header::CONTENT_LENGTH)
        && !header.headers.contains_key(http::header::TRANSFER_ENCODING)
}

async fn relay_body(session: &mut ReadSession, response: &mut UpstreamResponse) -> bool {
    let Some(mut header) = response.take_header() else {
        return false;
    };
    // RFC 9112 §6.1/§6.3: an HTTP/1.0 client does not understand chunked framing. The body is
    // relayed de-chunked (then close-delimited, below, without a Content-Length).
    if session.head().version < http::Version::HTTP_11
        && header.headers.contains_key(http::header::TRANSFER_ENCODING)
    {
        header.remove_header(&http::header::TRANSFER_ENCODING);
    }
    // A body with neither framing header ends with the connection (RFC 9112 §6.3 rule 8): the
    // connection is not kept, and the response says `Connection: close`, not `keep-alive`.
    if close_delimited(&header, &session.head().method) {
        session.set_keepalive(None);
    }
    if session.write_response_header(header).await.is_err() {
        return false;
    }
    loop {
        match response.next_chunk().await {
            Ok(Some(chunk)) => {
                if session.write_response_body(chunk, false).await.is_err() {
                    return false;
                }
            }
            Ok(None) => break,
            Err(_) => return false,
        }
    }
    session
        .write_response_body(Bytes::new(), true)
        .await
        .is_ok()
        && session.finish_body().await.is_ok()
}
