//! Drives one request through the pipeline stages, in order:
//! protocol checks → route → method → IP allowlist → rate limit → body size → body → verify →
//! dedup claim → event filter → forward → dedup commit/release.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use pingora::apps::{HttpPersistentSettings, ReusedHttpStream};
use pingora::protocols::http::ServerSession;
use pingora::server::ShutdownWatch;
use pingora::ErrorType;

use super::body::{self, BodyError};
use super::forward::{self, ForwardError};
use super::reply::Reply;
use super::state::GatewayState;
use super::upstream_request::{self, ForwardContext};
use crate::audit::AuditRecord;
use crate::config::compiled::Route;
use crate::config::GatewayConfig;
use crate::metrics::metrics;
use crate::pipeline::client_ip::canonical;
use crate::pipeline::dedup::ClaimResult;
use crate::pipeline::outcome::Outcome;
use crate::providers::WebhookRequest;

/// A request head over this many bytes is refused with 431.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;
/// A request target over this many bytes is refused with 414.
pub const MAX_URI_BYTES: usize = 8 * 1024;
/// How long writing an answer to a slow reader may take.
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);

/// How a request ended, for the log, the metrics and connection reuse.
struct Finished {
    outcome: Outcome,
    status: u16,
    upstream_status: Option<u16>,
    /// Whether the connection can carry another request.
    reusable: bool,
}

/// What the stages learned, for the audit line.
#[derive(Default)]
struct Facts {
    client_ip: Option<IpAddr>,
    event_id: Option<String>,
    event_type: Option<String>,
    body_bytes: usize,
    verify: Option<Duration>,
    upstream: Option<Duration>,
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
    let config = state.config();
    let server = &config.server;
    let started = Instant::now();
    let closing = *shutdown.borrow() || state.is_draining();
    session.set_keepalive(if closing {
        None
    } else {
        Some(server.idle_timeout.as_secs().max(1))
    });
    session.set_read_timeout(Some(server.read_timeout));
    session.set_write_timeout(Some(WRITE_TIMEOUT));

    let head_budget = head_budget.unwrap_or(server.idle_timeout + server.read_timeout);
    match tokio::time::timeout(head_budget, session.read_request()).await {
        Ok(Ok(true)) => {}
        Ok(Ok(false)) => return None,
        Ok(Err(e)) => {
            let status = match e.etype() {
                ErrorType::ReadTimedout => 408,
                ErrorType::InvalidHTTPHeader if e.to_string().contains("larger than") => 431,
                ErrorType::InvalidHTTPHeader => 400,
                _ => return None,
            };
            refuse_unparsed(&mut session, status).await;
            return None;
        }
        Err(_) => {
            refuse_unparsed(&mut session, 408).await;
            return None;
        }
    }
    let _in_flight = state.track_request();
    let deadline = started + server.read_timeout.max(Duration::from_millis(1));

    let method = session.req_header().method.clone();
    let path = session.req_header().uri.path().to_owned();
    let route = config.routes.find(&path).cloned();

    let mut facts = Facts::default();
    let finished = handle(
        state,
        &config,
        route.as_deref(),
        &mut session,
        deadline,
        &mut facts,
    )
    .await;

    let elapsed = started.elapsed();
    let route_metrics = route.as_ref().map(|r| &r.metrics);
    match route_metrics {
        Some(m) => {
            m.count(finished.outcome);
            m.request_duration.observe(elapsed.as_secs_f64());
        }
        None => metrics().unmatched(finished.outcome),
    }
    AuditRecord {
        route: route.as_ref().map(|r| r.name.as_str()),
        provider: route.as_ref().map(|r| r.provider),
        client_ip: facts.client_ip,
        method: method.as_str(),
        path: &path,
        event_id: facts.event_id.as_deref(),
        event_type: facts.event_type.as_deref(),
        outcome: Some(finished.outcome),
        status: finished.status,
        upstream_status: finished.upstream_status,
        body_bytes: facts.body_bytes,
        duration: elapsed,
        verify_duration: facts.verify,
        upstream_duration: facts.upstream,
    }
    .emit();

    if !finished.reusable || closing || state.is_draining() {
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

/// Answers a request whose head could not be read or parsed, then the connection closes.
async fn refuse_unparsed(session: &mut ServerSession, status: u16) {
    let reason = match status {
        408 => "request timeout",
        431 => "request header fields too large",
        _ => "bad request",
    };
    metrics().unmatched(Outcome::BadRequest);
    session.set_keepalive(None);
    let _ = tokio::time::timeout(
        Duration::from_secs(1),
        session.write_error_response(
            pingora::http::ResponseHeader::build(status, None).expect("valid status"),
            Reply::error(status, reason).body,
        ),
    )
    .await;
}

async fn reply(
    session: &mut ServerSession,
    outcome: Outcome,
    r: Reply,
    body_read: bool,
) -> Finished {
    let status = r.status;
    let written = r.write(session, !body_read).await.is_ok();
    Finished {
        outcome,
        status,
        upstream_status: None,
        reusable: written && body_read,
    }
}

async fn handle(
    state: &Arc<GatewayState>,
    config: &GatewayConfig,
    route: Option<&Route>,
    session: &mut ServerSession,
    deadline: Instant,
    facts: &mut Facts,
) -> Finished {
    if let Some(status) = protocol_violation(session) {
        let reason = match status {
            414 => "uri too long",
            431 => "request header fields too large",
            _ => "bad request",
        };
        return reply(
            session,
            Outcome::BadRequest,
            Reply::error(status, reason),
            false,
        )
        .await;
    }
    let Some(route) = route else {
        return reply(
            session,
            Outcome::NotFound,
            Reply::error(404, "no route"),
            false,
        )
        .await;
    };
    let method_is_post = session.req_header().method == http::Method::POST;
    let challenge_get = route.answer_challenges && session.req_header().method == http::Method::GET;
    if !method_is_post && !challenge_get {
        let r = Reply::error(405, "method not allowed").with_header("allow", "POST");
        return reply(session, Outcome::MethodNotAllowed, r, false).await;
    }

    let peer_ip = session
        .client_addr()
        .and_then(|a| a.as_inet())
        .map(|a| canonical(a.ip()));
    let client_ip = peer_ip.map(|peer| {
        config
            .server
            .trusted_proxies
            .client_ip(peer, &session.req_header().headers)
    });
    facts.client_ip = client_ip;
    if let Some(allow) = &route.allow_ips {
        if !client_ip.is_some_and(|ip| allow.allows(ip)) {
            return reply(
                session,
                Outcome::IpDenied,
                Reply::error(403, "forbidden"),
                false,
            )
            .await;
        }
    }
    if let Some(limiter) = &route.rate_limit {
        let key = client_ip.unwrap_or(IpAddr::from([0, 0, 0, 0]));
        if let Err(wait) = limiter.check(key) {
            let r =
                Reply::error(429, "rate limited").with_header("retry-after", wait.0.to_string());
            return reply(session, Outcome::RateLimited, r, false).await;
        }
    }

    if body::announced_length(session).is_some_and(|n| n > route.max_body) {
        return reply(
            session,
            Outcome::TooLarge,
            Reply::error(413, "body too large"),
            false,
        )
        .await;
    }
    let expects_continue = session
        .get_header(http::header::EXPECT)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
    if expects_continue
        && !session.is_body_empty()
        && session.write_continue_response().await.is_err()
    {
        return Finished {
            outcome: Outcome::BadRequest,
            status: 0,
            upstream_status: None,
            reusable: false,
        };
    }
    let remaining = deadline.saturating_duration_since(Instant::now());
    let body =
        match tokio::time::timeout(remaining, body::read_bounded(session, route.max_body)).await {
            Err(_) => {
                return reply(
                    session,
                    Outcome::BadRequest,
                    Reply::error(408, "request timeout"),
                    false,
                )
                .await
            }
            Ok(Err(BodyError::TooLarge)) => {
                return reply(
                    session,
                    Outcome::TooLarge,
                    Reply::error(413, "body too large"),
                    false,
                )
                .await
            }
            Ok(Err(BodyError::Malformed)) => {
                return reply(
                    session,
                    Outcome::BadRequest,
                    Reply::error(400, "bad request"),
                    false,
                )
                .await
            }
            Ok(Ok(b)) => b,
        };
    facts.body_bytes = body.len();

    let public_url = public_url(state, config, route, session, peer_ip);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let header = session.req_header();
    let request = WebhookRequest {
        method: header.method.as_str(),
        public_url: &public_url,
        headers: &header.headers,
        body: &body,
        now,
    };

    if route.answer_challenges {
        if let Some(answer) = route.scheme.unsigned_challenge(&request) {
            return reply(session, Outcome::Challenge, Reply::local(answer), true).await;
        }
    }
    if !method_is_post {
        let r = Reply::error(405, "method not allowed").with_header("allow", "POST");
        return reply(session, Outcome::MethodNotAllowed, r, true).await;
    }

    let verify_started = Instant::now();
    let verdict = route.scheme.verify(&request);
    let verify_time = verify_started.elapsed();
    route
        .metrics
        .verify_duration
        .observe(verify_time.as_secs_f64());
    facts.verify = Some(verify_time);
    if let Err(rejection) = verdict {
        return reply(
            session,
            Outcome::InvalidSignature,
            Reply::error(401, rejection.reason()),
            true,
        )
        .await;
    }
    if route.answer_challenges {
        if let Some(answer) = route.scheme.signed_challenge(&request) {
            return reply(session, Outcome::Challenge, Reply::local(answer), true).await;
        }
    }

    let json = if route.needs_json() {
        serde_json::from_slice::<serde_json::Value>(&body).ok()
    } else {
        None
    };
    facts.event_id = route
        .dedup
        .as_ref()
        .and_then(|d| d.id.extract(&header.headers, json.as_ref()));
    facts.event_type = route
        .event_type
        .as_ref()
        .and_then(|t| t.extract(&header.headers, json.as_ref()));
    drop(json);

    let claim = match (&route.dedup, &facts.event_id) {
        (Some(dedup), Some(id)) => match dedup.store.claim(id) {
            ClaimResult::Claimed(claim) => Some(claim),
            ClaimResult::Duplicate => {
                let r =
                    Reply::acknowledged("duplicate").with_header("x-hookgate-duplicate", "true");
                return reply(session, Outcome::Duplicate, r, true).await;
            }
            ClaimResult::InFlight { retry_after_secs } => {
                let r = Reply::error(409, "event in flight")
                    .with_header("retry-after", retry_after_secs.to_string());
                return reply(session, Outcome::InFlight, r, true).await;
            }
        },
        _ => None,
    };
    if let Some(filter) = &route.events {
        if !filter.forwards(facts.event_type.as_deref()) {
            drop(claim);
            let r = Reply::acknowledged("filtered").with_header("x-hookgate-filtered", "true");
            return reply(session, Outcome::Filtered, r, true).await;
        }
    }

    let proto = forwarded_proto(state, config, session, peer_ip);
    let upstream_header = match upstream_request::build(
        session.req_header(),
        route,
        &ForwardContext {
            peer_ip,
            proto,
            event_id: facts.event_id.as_deref(),
            body_len: body.len(),
        },
    ) {
        Ok(h) => h,
        Err(_) => {
            return reply(
                session,
                Outcome::BadRequest,
                Reply::error(400, "bad request"),
                true,
            )
            .await
        }
    };

    let upstream_started = Instant::now();
    let sent = forward::send(
        &state.connector,
        route.peer.clone(),
        upstream_header,
        body,
        route.upstream_timeout,
    )
    .await;
    facts.upstream = Some(upstream_started.elapsed());
    let (mut exchange, response) = match sent {
        Ok(ok) => ok,
        Err(e) => {
            drop(claim);
            let (status, reason) = match e {
                ForwardError::TimedOut => (504, "upstream timed out"),
                ForwardError::Unreachable => (502, "upstream unreachable"),
            };
            return reply(
                session,
                Outcome::UpstreamError,
                Reply::error(status, reason),
                true,
            )
            .await;
        }
    };
    let status = response.status.as_u16();
    route.metrics.upstream_status(status);
    if let Some(claim) = claim {
        if (200..300).contains(&status) {
            claim.commit();
        } else {
            claim.release();
        }
    }

    let relayed = relay_response(session, &mut exchange, response).await;
    if relayed {
        exchange.finish(&state.connector).await;
    }
    Finished {
        outcome: Outcome::Forwarded,
        status,
        upstream_status: Some(status),
        reusable: relayed,
    }
}

/// Copies the upstream's answer to the client. False if either side failed midway.
async fn relay_response(
    session: &mut ServerSession,
    exchange: &mut forward::Exchange,
    response: Box<pingora::http::ResponseHeader>,
) -> bool {
    if session
        .write_response_header(forward::downstream_response(response))
        .await
        .is_err()
    {
        return false;
    }
    loop {
        match exchange.next_chunk().await {
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

/// Framing and size rules pingora leaves to the application.
fn protocol_violation(session: &ServerSession) -> Option<u16> {
    let header = session.req_header();
    if header.version == http::Version::HTTP_11 && header.headers.get(http::header::HOST).is_none()
    {
        return Some(400);
    }
    let target_len = header.uri.path_and_query().map_or(0, |p| p.as_str().len());
    if target_len > MAX_URI_BYTES {
        return Some(414);
    }
    if let Some(h1) = session.as_http1() {
        let raw = h1.get_headers_raw_bytes();
        if raw.len() > MAX_HEAD_BYTES {
            return Some(431);
        }
        // pingora drops Content-Length when Transfer-Encoding is present; a request that sent both
        // is a smuggling attempt, not a request to serve.
        if header.headers.contains_key(http::header::TRANSFER_ENCODING)
            && raw_has_header(&raw, b"content-length")
        {
            return Some(400);
        }
    }
    if header.headers.get_all(http::header::HOST).iter().count() > 1 {
        return Some(400);
    }
    None
}

fn raw_has_header(raw: &[u8], name: &[u8]) -> bool {
    raw.split(|b| *b == b'\n').skip(1).any(|line| {
        line.len() > name.len() && line[..name.len()].eq_ignore_ascii_case(name) && {
            let rest = &line[name.len()..];
            rest.iter().find(|b| **b != b' ' && **b != b'\t') == Some(&b':')
        }
    })
}

/// The scheme the client used: a trusted proxy's `X-Forwarded-Proto`, else the listener's.
fn forwarded_proto(
    state: &GatewayState,
    config: &GatewayConfig,
    session: &ServerSession,
    peer_ip: Option<IpAddr>,
) -> &'static str {
    if peer_ip.is_some_and(|ip| config.server.trusted_proxies.contains(ip)) {
        match session
            .get_header("x-forwarded-proto")
            .map(|v| v.as_bytes())
        {
            Some(v) if v.eq_ignore_ascii_case(b"https") => return "https",
            Some(v) if v.eq_ignore_ascii_case(b"http") => return "http",
            _ => {}
        }
    }
    if state.tls {
        "https"
    } else {
        "http"
    }
}

/// The URL the provider called, for schemes that sign it: the route's `public_url`, else the
/// scheme + `Host` + path; the request's query string either way.
fn public_url(
    state: &GatewayState,
    config: &GatewayConfig,
    route: &Route,
    session: &ServerSession,
    peer_ip: Option<IpAddr>,
) -> String {
    let uri = &session.req_header().uri;
    let query = uri.query().map(|q| format!("?{q}")).unwrap_or_default();
    if let Some(base) = &route.public_url {
        return format!("{base}{query}");
    }
    let host = session
        .get_header(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let proto = forwarded_proto(state, config, session, peer_ip);
    format!("{proto}://{host}{}{query}", uri.path())
}

#[cfg(test)]
mod tests {
    use super::raw_has_header;

    #[test]
    fn finds_header_names_case_insensitively_only_at_line_start() {
        let raw =
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length : 5\r\nX-Content-Length: 1\r\n\r\n";
        assert!(raw_has_header(raw, b"content-length"));
        let raw = b"POST / HTTP/1.1\r\nHost: a\r\nX-Content-Length: 1\r\n\r\n";
        assert!(!raw_has_header(raw, b"content-length"));
    }
}
