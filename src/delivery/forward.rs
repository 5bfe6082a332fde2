//! Sending one request to an upstream over a pooled connection and handing back its answer.
//! Never retries: one accepted delivery is at most one upstream delivery.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use pingora::connectors::http::v1::Connector;
use pingora::http::{RequestHeader, ResponseHeader};
use pingora::protocols::http::v1::client::HttpSession;
use pingora::upstreams::peer::HttpPeer;
use pingora::{ErrorType, Result};

use super::resolve::{ResolveError, Resolver};
use crate::config::model::Upstream;

/// How long an idle pooled upstream connection is kept. Below the 5 s keep-alive timeout common
/// in app servers (Node.js, gunicorn), so the pool rarely hands out a connection the app closed.
pub const UPSTREAM_POOL_IDLE: Duration = Duration::from_secs(4);

/// Headers that describe one hop, not the message; never passed on (RFC 9110 §7.6.1), plus
/// `Expect`, which the gateway answers itself.
pub const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "expect",
    "proxy-authenticate",
    "proxy-authorization",
];

/// Why the upstream did not answer. The cause is kept for the log (it names addresses and
/// errno, never a secret).
#[derive(Debug, thiserror::Error)]
pub enum ForwardError {
    /// Could not connect, or the connection failed: 502.
    #[error("upstream unreachable: {0}")]
    Unreachable(#[source] Box<pingora::Error>),
    /// The upstream's host name did not resolve: 502.
    #[error(transparent)]
    Unresolved(#[from] ResolveError),
    /// No answer within `upstream_timeout` (or a connect/read/write timeout): 504.
    #[error("upstream timed out after {0:?}")]
    TimedOut(Duration),
    /// The upstream request head could not be built (a gateway fault, not the sender's): 502.
    #[error("cannot build the upstream request: {0}")]
    BuildRequest(#[source] http::Error),
}

impl ForwardError {
    /// The status the client gets.
    pub fn status(&self) -> u16 {
        match self {
            ForwardError::TimedOut(_) => 504,
            ForwardError::Unreachable(_)
            | ForwardError::Unresolved(_)
            | ForwardError::BuildRequest(_) => 502,
        }
    }
}

/// An upstream that has answered with a header; its body is read with
/// [`UpstreamResponse::next_chunk`].
pub struct UpstreamResponse {
    status: u16,
    header: Option<Box<ResponseHeader>>,
    session: HttpSession,
    peer: HttpPeer,
    connector: Arc<Connector>,
}

/// Where a route's requests go: its upstream, resolved at connect time through the gateway's
/// [`Resolver`].
pub struct Target {
    pub upstream: Upstream,
    pub resolver: Arc<Resolver>,
}

/// The pingora peer for `upstream` at `addr`, with every I/O step bounded by `timeout` (connect
/// by at most 10 s). Pooled connections are keyed by address and TLS name, so a moved upstream
/// gets new connections.
pub fn peer_for(addr: SocketAddr, upstream: &Upstream, timeout: Duration) -> HttpPeer {
    let mut peer = HttpPeer::new(addr, upstream.tls, upstream.sni.clone());
    peer.options.connection_timeout = Some(timeout.min(Duration::from_secs(10)));
    peer.options.read_timeout = Some(timeout);
    peer.options.write_timeout = Some(timeout);
    peer.options.idle_timeout = Some(UPSTREAM_POOL_IDLE);
    peer
}

/// Resolves `target`, sends `header` + `body` and waits for the response header, all within
/// `timeout`.
pub async fn send(
    connector: Arc<Connector>,
    target: &Target,
    header: Box<RequestHeader>,
    body: Bytes,
    timeout: Duration,
) -> std::result::Result<UpstreamResponse, ForwardError> {
    let deadline = tokio::time::Instant::now() + timeout;
    let resolving = target
        .resolver
        .resolve(&target.upstream.host, target.upstream.port);
    let addr = match tokio::time::timeout_at(deadline, resolving).await {
        Err(_) => return Err(ForwardError::TimedOut(timeout)),
        Ok(resolved) => resolved?,
    };
    let peer = peer_for(addr, &target.upstream, timeout);
    let attempt = async {
        let (mut session, _reused) = connector.get_http_session(&peer).await?;
        session.write_request_header(header).await?;
        if !body.is_empty() {
            session.write_body(&body).await?;
        }
        session.finish_body().await?;
        // The wait for the answer is bounded by `deadline` (below): pingora's per-read timeout
        // would arm a second timer for the same wait. The body reads after it keep theirs.
        session.read_timeout = None;
        // Informational answers (100 Continue from an app that saw no Expect) are skipped.
        loop {
            session.read_response().await?;
            let status = session.get_status().map_or(0, |s| s.as_u16());
            if !(100..200).contains(&status) || status == 101 {
                break;
            }
        }
        session.read_timeout = peer.options.read_timeout;
        let response = Box::new(
            session
                .resp_header()
                .expect("a response header was read")
                .clone(),
        );
        Result::Ok((session, response))
    };
    let outcome: std::result::Result<Result<(HttpSession, Box<ResponseHeader>)>, _> =
        tokio::time::timeout_at(deadline, attempt).await;
    match outcome {
        Err(_) => Err(ForwardError::TimedOut(timeout)),
        Ok(Err(e)) => Err(match e.etype() {
            ErrorType::ConnectTimedout | ErrorType::ReadTimedout | ErrorType::WriteTimedout => {
                ForwardError::TimedOut(timeout)
            }
            _ => ForwardError::Unreachable(e),
        }),
        Ok(Ok((session, header))) => Ok(UpstreamResponse {
            status: header.status.as_u16(),
            header: Some(header),
            session,
            peer,
            connector,
        }),
    }
}

impl UpstreamResponse {
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The response header, made fit for the downstream connection ([`downstream_response`]);
    /// `None` once taken.
    pub fn take_header(&mut self) -> Option<Box<ResponseHeader>> {
        self.header.take().map(downstream_response)
    }

    /// The next piece of the response body; `None` at its end.
    pub async fn next_chunk(&mut self) -> Result<Option<Bytes>> {
        self.session.read_body_bytes().await
    }

    /// Returns the connection to the pool when the exchange ended cleanly.
    pub async fn finish(mut self) {
        if self.session.is_body_done() {
            self.connector
                .release_http_session(self.session, &self.peer, Some(UPSTREAM_POOL_IDLE))
                .await;
        } else {
            self.session.shutdown().await;
        }
    }
}

/// The header names a message's `Connection` header nominates as hop-by-hop, lower-cased.
/// Allocates only when there is a `Connection` header.
pub fn connection_tokens(headers: &http::HeaderMap) -> Vec<String> {
    headers
        .get_all(http::header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().to_ascii_lowercase())
        .filter(|t| !t.is_empty())
        .collect()
}

/// The upstream's response header, made fit for the downstream connection: hop-by-hop headers
/// removed (framing is re-done by the downstream writer from `Content-Length`/chunking).
pub fn downstream_response(mut response: Box<ResponseHeader>) -> Box<ResponseHeader> {
    let nominated = connection_tokens(&response.headers);
    for name in HOP_BY_HOP.iter().filter(|h| **h != "transfer-encoding") {
        response.remove_header(*name);
    }
    for name in nominated {
        if name != "content-length" && name != "transfer-encoding" {
            response.remove_header(name.as_str());
        }
    }
    response
}
