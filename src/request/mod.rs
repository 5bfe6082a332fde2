//! The request pipeline. [`run`] is the whole order, one stage per file (`sNN_*.rs`, numbered
//! in that order); [`serve`] reads the head, runs the stages, writes the answer, and counts and
//! logs the request once.
//!
//! Adding a stage is adding a file and one line in [`run`]; each stage returns `Ok` to go on or a
//! [`Refusal`] to answer now.

pub mod chunked;
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

#[cfg(test)]
mod proptests;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use pingora::apps::{HttpPersistentSettings, ReusedHttpStream};
use pingora::protocols::http::ServerSession;
use pingora::server::ShutdownWatch;
use pingora::ErrorType;

use crate::delivery::forward::UpstreamResponse;
use crate::delivery::Delivered;
use crate::gateway::{Gateway, Route};
use crate::providers::WebhookRequest;
use crate::server::state::GatewayState;
use crate::telemetry::{AuditRecord, Outcome};

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
    pub upstream: Option<Duration>,
    /// The body's share of `body_memory_limit`, held until the request is answered.
    pub body_reservation: crate::server::limits::BodyReservation,
    /// On a route in shadow mode: the first refusal it did not answer ([`shadow`]).
    pub shadow: Option<Outcome>,
}

/// The stages, in order. `Ok` is an accepted request's delivery result. The sender-judging
/// stages go through [`shadow::judged`] (a route with `enforce = false` forwards instead of
/// refusing) and are skipped once one would have refused.
pub async fn run(
    state: &GatewayState,
    gateway: &Gateway,
    route: Option<&Route>,
    session: &mut ServerSession,
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
        let verdict = s05_rate_limit::check(route, &client).await;
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
    let header = session.req_header();
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
        let verdict = s07_verify::verify(route, &request).await;
        facts.verify = shadow::judged(route, facts, verdict)?;
        // A handshake is answered only when its request verified.
        if facts.verify.is_some() {
            s08_handshake::after_verify(route, &request)?;
        }
    }

    (facts.event_id, facts.event_type) = s09_dedup::event_fields(route, &header.headers, &body);
    let mut lease = None;
    if shadow::judging(facts) {
        let verdict = s09_dedup::claim(route, facts.event_id.as_deref()).await;
        lease = shadow::judged(route, facts, verdict)?.flatten();
    }
    if shadow::judging(facts) {
        let verdict = s10_filter::check(route, facts.event_type.as_deref());
        shadow::judged(route, facts, verdict)?;
    }
    s11_deliver::deliver(route, header, &client, facts, body, lease).await
}

/// Reads the request head. When the read includes the connection's idle wait (HTTP/1 over TLS,
/// whose stream cannot be peeked), draining ends the wait: `Ok(false)`, the connection closes
/// without starting a request, as a plain connection does in the listener.
async fn read_request_or_drain(
    session: &mut ServerSession,
    drain: &crate::server::drain::Drain,
    idle_included: bool,
) -> pingora::Result<bool> {
    if !idle_included {
        return session.read_request().await;
    }
    tokio::select! {
        _ = drain.started() => Ok(false),
        read = session.read_request() => read,
    }
}

/// How a request ended, for the log, the metrics and connection reuse.
struct Finished {
    outcome: Outcome,
    status: u16,
    upstream_status: Option<u16>,
    /// Whether the connection can carry another request.
    reusable: bool,
}

/// Serves one request on `session`. `head_budget` bounds reading the request head (the caller
/// has already waited out the idle time when it could). Returns the connection when it can be
/// reused.
pub async fn serve(
    state: &Arc<GatewayState>,
    mut session: ServerSession,
    head_budget: Option<Duration>,
    shutdown: &ShutdownWatch,
) -> Option<ReusedHttpStream> {
    let gateway = state.gateway();
    let server = &gateway.server;
    let started = Instant::now();
    let closing = *shutdown.borrow() || state.drain.is_draining();
    session.set_keepalive(if closing {
        None
    } else {
        Some(server.idle_timeout.as_secs().max(1))
    });
    session.set_read_timeout(Some(server.read_timeout));
    session.set_write_timeout(Some(WRITE_TIMEOUT));

    let idle_included = head_budget.is_none() && session.as_http1().is_some();
    let head_budget = head_budget.unwrap_or(server.idle_timeout + server.read_timeout);
    if !read_head(state, &mut session, head_budget, idle_included).await {
        return None;
    }
    let _in_flight = state.drain.track_request();
    let deadline = started + server.read_timeout.max(Duration::from_millis(1));

    let method = session.req_header().method.clone();
    let path = session.req_header().uri.path().to_owned();
    let route = gateway.routes.find(&path).cloned();

    let mut facts = Facts::default();
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
    log(
        state,
        route.as_deref(),
        &facts,
        (method.as_str(), &path),
        &finished,
        started,
    );

    if !finished.reusable || closing || state.drain.is_draining() {
        session.set_keepalive(None);
    }
    let settings = HttpPersistentSettings::for_session(&session);
    match session.finish().await {
        Ok(Some(stream)) if finished.reusable => {
            Some(ReusedHttpStream::from_reusable_stream(stream, settings))
        }
        _ => None,
    }
}

/// Reads the request head within `budget`. `false`: the connection ends here (closed by the
/// client, the head refused and answered, or — when the read includes the idle wait — draining
/// started first).
async fn read_head(
    state: &GatewayState,
    session: &mut ServerSession,
    budget: Duration,
    idle_included: bool,
) -> bool {
    let head = read_request_or_drain(session, &state.drain, idle_included);
    match tokio::time::timeout(budget, head).await {
        Ok(Ok(true)) => {}
        Ok(Ok(false)) => return false,
        Ok(Err(e)) => {
            let refusal = match e.etype() {
                ErrorType::ReadTimedout => Refusal::Timeout,
                // A head over the size limit, or with more fields than pingora parses (256,
                // httparse's "too many headers"): both are 431 (RFC 6585 §5).
                ErrorType::InvalidHTTPHeader
                    if e.to_string().contains("larger than")
                        || e.to_string().contains("too many headers") =>
                {
                    Refusal::HeaderTooLarge
                }
                // pingora refused the head over its Transfer-Encoding (a final coding that is
                // not chunked); the head was parsed, so the gateway's rule tells 400 from 501.
                ErrorType::InvalidHTTPHeader if e.to_string().contains("Transfer-Encoding") => {
                    session
                        .as_http1()
                        .and_then(|h1| s01_protocol::te_rule(&h1.req_header().headers).err())
                        .unwrap_or(Refusal::BadRequest)
                }
                ErrorType::InvalidHTTPHeader => Refusal::BadRequest,
                _ => return false,
            };
            refuse_unparsed(state, session, refusal).await;
            return false;
        }
        Err(_) => {
            refuse_unparsed(state, session, Refusal::Timeout).await;
            return false;
        }
    }
    // Only a chunked body needs the raw bytes the tap keeps of the head read.
    if !session
        .req_header()
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
    true
}

/// Counts the outcome and writes the answer: the upstream's response, the queue's
/// acknowledgement or the refusal.
async fn answer(
    state: &GatewayState,
    session: &mut ServerSession,
    route: Option<&Route>,
    result: Result<Delivered, Refusal>,
    facts: &Facts,
) -> Finished {
    let body_read = facts.body_bytes.is_some();
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
    });
}

/// Answers a request whose head could not be read or parsed, then the connection closes.
async fn refuse_unparsed(state: &GatewayState, session: &mut ServerSession, refusal: Refusal) {
    let (outcome, reply) = refusal.reply();
    state.metrics.unmatched(outcome);
    let Some(reply) = reply else { return };
    session.set_keepalive(None);
    let _ = tokio::time::timeout(
        Duration::from_secs(1),
        session.write_error_response(
            pingora::http::ResponseHeader::build(reply.status, None).expect("valid status"),
            reply.body,
        ),
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
async fn relay(session: &mut ServerSession, mut response: UpstreamResponse) -> Finished {
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

async fn relay_body(session: &mut ServerSession, response: &mut UpstreamResponse) -> bool {
    let Some(mut header) = response.take_header() else {
        return false;
    };
    // RFC 9112 §6.1/§6.3: an HTTP/1.0 client does not understand chunked framing. The body is
    // relayed de-chunked; without a Content-Length it is close-delimited, so the connection is
    // not kept (and the response says `Connection: close`).
    if session.req_header().version < http::Version::HTTP_11
        && header.headers.contains_key(http::header::TRANSFER_ENCODING)
    {
        header.remove_header(&http::header::TRANSFER_ENCODING);
        if !header.headers.contains_key(http::header::CONTENT_LENGTH) {
            session.set_keepalive(None);
        }
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
