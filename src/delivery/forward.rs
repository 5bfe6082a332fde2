//! Sending one request to an upstream over a pooled connection and handing back its answer.
//! Never retries: one accepted delivery is at most one upstream delivery.

use std::io::IoSlice;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use pingora::http::{RequestHeader, ResponseHeader};
use pingora::protocols::http::v1::client::{http_req_header_to_wire, HttpSession};
use pingora::protocols::Stream;
use pingora::upstreams::peer::{HttpPeer, Peer};
use pingora::{Error, ErrorType, OrErr, Result};
use tokio::io::AsyncWriteExt;

use super::resolve::{ResolveError, Resolver};
use crate::config::model::Upstream;

/// The gateway's upstream connector: pingora's transport connector, with idle connections kept in
/// the gateway's own list ([`super::pool`]). The HTTP/1 exchange on a connection is driven here
/// ([`send`]), so the request head and body go out in one write.
pub use super::pool::Connector;

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
    /// Whether [`UpstreamResponse::take_header`] was called (the header stays in `session`).
    header_taken: bool,
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

#[cfg(test)]
impl Target {
    /// `http://127.0.0.1:<port>/` with the default resolver: the upstream the unit tests of the
    /// delivery path run against.
    pub(crate) fn plain_http_loopback(port: u16) -> Target {
        let host = "127.0.0.1".to_string();
        Target {
            upstream: Upstream {
                url: format!("http://{host}:{port}/"),
                tls: false,
                authority: format!("{host}:{port}"),
                sni: host.clone(),
                host,
                port,
                path_and_query: "/".into(),
            },
            resolver: Arc::new(Resolver::default()),
        }
    }
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
        let (stream, _reused) = connector.get_stream(&peer).await?;
        let mut session = write_request(stream, &peer, header, &body).await?;
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
        let status = session.get_status().map_or(0, |s| s.as_u16());
        // `Upgrade` is hop-by-hop and never forwarded: a 101 is unsolicited (RFC 9110 §15.2.2),
        // and relaying it would hand the client the upstream's raw bytes. A bad answer: 502.
        if status == 101 {
            return Error::e_explain(
                ErrorType::InvalidHTTPHeader,
                "the upstream switched protocols unasked (101)",
            );
        }
        Result::Ok((session, status))
    };
    let outcome: std::result::Result<Result<(HttpSession, u16)>, _> =
        tokio::time::timeout_at(deadline, attempt).await;
    match outcome {
        Err(_) => Err(ForwardError::TimedOut(timeout)),
        Ok(Err(e)) => Err(match e.etype() {
            ErrorType::ConnectTimedout | ErrorType::ReadTimedout | ErrorType::WriteTimedout => {
                ForwardError::TimedOut(timeout)
            }
            _ => ForwardError::Unreachable(e),
        }),
        Ok(Ok((session, status))) => Ok(UpstreamResponse {
            status,
            header_taken: false,
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
        if std::mem::replace(&mut self.header_taken, true) {
            return None;
        }
        downstream_response(self.session.resp_header()?).ok()
    }

    /// The next piece of the response body; `None` at its end.
    pub async fn next_chunk(&mut self) -> Result<Option<Bytes>> {
        self.session.read_body_bytes().await
    }

    /// Returns the connection to the pool when the exchange ended cleanly and the upstream keeps
    /// it open (pingora's `respect_keepalive` and `reuse` decide, as its HTTP connector does).
    pub async fn finish(mut self) {
        if self.session.is_body_done() {
            self.session.respect_keepalive();
            if let Some(stream) = self.session.reuse().await {
                self.connector
                    .release_stream(stream, self.peer.reuse_hash(), UPSTREAM_POOL_IDLE);
            }
        } else {
            self.session.shutdown().await;
        }
    }
}

/// Sends the request on `stream` and returns the HTTP/1 session that reads the answer.
///
/// Head and body go out in one vectored write (one `writev` on a plain TCP connection, where
/// pingora's session writes them with two `sendto`s; over TLS each slice is a record, as before).
/// The head is serialised by pingora's own writer (`http_req_header_to_wire`, which refuses a
/// request target with CR, LF, NUL or SP). A `HEAD` request goes through pingora's session
/// writer: the session must know the request was a `HEAD` to read a body-less answer.
async fn write_request(
    mut stream: Stream,
    peer: &HttpPeer,
    header: Box<RequestHeader>,
    body: &[u8],
) -> Result<HttpSession> {
    if header.method == http::Method::HEAD {
        let mut session = HttpSession::new_with_options(stream, peer);
        session.write_request_header(header).await?;
        if !body.is_empty() {
            session.write_body(body).await?;
        }
        session.finish_body().await?;
        return Ok(session);
    }
    let head = http_req_header_to_wire(&header).ok_or_else(|| {
        Error::explain(
            ErrorType::InvalidHTTPHeader,
            "request target contains forbidden bytes or the HTTP version is unsupported",
        )
    })?;
    write_all_vectored(&mut stream, &head, body).await.or_err(
        ErrorType::WriteError,
        "while writing the request to the upstream",
    )?;
    Ok(HttpSession::new_with_options(stream, peer))
}

/// Writes `head` then `body` with as few vectored writes as the socket takes, then flushes.
async fn write_all_vectored(
    stream: &mut Stream,
    mut head: &[u8],
    mut body: &[u8],
) -> std::io::Result<()> {
    while !head.is_empty() || !body.is_empty() {
        let written = stream
            .write_vectored(&[IoSlice::new(head), IoSlice::new(body)])
            .await?;
        if written == 0 {
            return Err(std::io::ErrorKind::WriteZero.into());
        }
        let from_head = written.min(head.len());
        head = head.split_at(from_head).1;
        body = body.split_at((written - from_head).min(body.len())).1;
    }
    stream.flush().await
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

/// Room for the headers pingora's HTTP/1 writer adds to every response (`Date`, `Connection`).
const ADDED_BY_THE_WRITER: usize = 2;

/// The upstream's response header, made fit for the downstream connection: hop-by-hop headers
/// (and those its `Connection` nominates) left out, framing re-done by the downstream writer from
/// `Content-Length`/chunking. Status, reason phrase and the other headers (names in their
/// original case, in order) are the upstream's; the version is the gateway's, HTTP/1.1.
///
/// Built anew with room for the writer's `Date` and `Connection`, rather than cloned: a clone's
/// header maps are exactly full, and those two inserts grew both (≈ 4 reallocations per
/// response, `bench/FINDINGS.md` §12). Errors: none in practice (the upstream's own, already
/// valid, names and values); the caller treats one as a failed relay.
pub fn downstream_response(upstream: &ResponseHeader) -> Result<Box<ResponseHeader>> {
    let nominated = connection_tokens(&upstream.headers);
    let hop_by_hop = |name: &[u8]| {
        let dropped = |token: &str| name.eq_ignore_ascii_case(token.as_bytes());
        (HOP_BY_HOP.iter().any(|h| dropped(h)) && !name.eq_ignore_ascii_case(b"transfer-encoding"))
            || nominated
                .iter()
                .any(|t| dropped(t) && t != "content-length" && t != "transfer-encoding")
    };
    let room = Some(upstream.headers.len() + ADDED_BY_THE_WRITER);
    let mut response = if upstream.has_case() {
        ResponseHeader::build(upstream.status, room)?
    } else {
        ResponseHeader::build_no_case(upstream.status, room)?
    };
    // The version stays the builder's HTTP/1.1: an intermediary sends its own version, not the
    // upstream's (RFC 9110 §2.5); the client's own version is handled by the relay.
    response.set_reason_phrase(upstream.get_reason_phrase())?;
    if upstream.has_case() {
        for (name, value) in upstream.case_header_iter() {
            if !hop_by_hop(name.as_slice()) {
                response.append_header(name.clone(), value.clone())?;
            }
        }
    } else {
        for (name, value) in upstream.headers.iter() {
            if !hop_by_hop(name.as_str().as_bytes()) {
                response.append_header(name.clone(), value.clone())?;
            }
        }
    }
    Ok(Box::new(response))
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    use super::*;

    const ANSWER: &[u8] = b"HTTP/1.1 200 OK\r\nX-Request-ID: r1\r\nContent-Length: 2\r\n\r\nok";

    fn target(port: u16) -> Target {
        Target::plain_http_loopback(port)
    }

    fn request(method: &str, body: &[u8]) -> Box<RequestHeader> {
        let mut header = RequestHeader::build(method, b"/hook?a=1", None).unwrap();
        header.insert_header("Host", "up.example").unwrap();
        header.insert_header("X-Hookgate-Route", "r").unwrap();
        if !body.is_empty() {
            header.insert_header("Content-Length", body.len()).unwrap();
        }
        Box::new(header)
    }

    /// Head and body go out in one write: the upstream's first read (with room for more) holds
    /// the whole request, head and body byte for byte; the answer's body is relayed, and the
    /// connection goes back to the pool: the second request arrives on the same connection.
    #[tokio::test]
    async fn head_and_body_go_in_one_write_and_the_connection_is_pooled() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let body = Bytes::from(vec![b'x'; 1536]);
        let (first_reads, mut reads) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(async move {
            // One connection only: a second one would never be accepted.
            let (mut conn, _) = listener.accept().await.unwrap();
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                let n = conn.read(&mut buf).await.unwrap();
                if n == 0 {
                    return;
                }
                first_reads.send(buf[..n].to_vec()).unwrap();
                conn.write_all(ANSWER).await.unwrap();
            }
        });
        let connector = Arc::new(Connector::new(None));
        let target = target(port);
        for _ in 0..2 {
            let header = request("POST", &body);
            let mut wire = http_req_header_to_wire(&header).unwrap().to_vec();
            wire.extend_from_slice(&body);
            let timeout = Duration::from_secs(10);
            let mut response = send(connector.clone(), &target, header, body.clone(), timeout)
                .await
                .unwrap();
            assert_eq!(
                reads.recv().await.unwrap(),
                wire,
                "one read, the whole request"
            );
            assert_eq!(response.status(), 200);
            assert_eq!(response.next_chunk().await.unwrap().unwrap(), "ok");
            assert!(response.next_chunk().await.unwrap().is_none());
            response.finish().await;
        }
    }

    /// A pooled connection the upstream has since closed is not used: the next request goes on
    /// a new connection and is answered (the gateway never retries, so a stale connection taken
    /// would have cost the request: a 502).
    #[tokio::test]
    async fn a_pooled_connection_the_upstream_closed_is_not_used() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (closed_tx, closed_rx) = tokio::sync::oneshot::channel();
        tokio::spawn(async move {
            let mut closed = Some(closed_tx);
            loop {
                let (mut conn, _) = listener.accept().await.unwrap();
                let mut buf = vec![0u8; 64 * 1024];
                let _ = conn.read(&mut buf).await.unwrap();
                conn.write_all(ANSWER).await.unwrap();
                drop(conn);
                if let Some(tx) = closed.take() {
                    tx.send(()).unwrap();
                }
            }
        });
        let connector = Arc::new(Connector::new(None));
        let target = target(port);
        let timeout = Duration::from_secs(10);
        let first = send(
            connector.clone(),
            &target,
            request("POST", b"x"),
            "x".into(),
            timeout,
        );
        let mut first = first.await.unwrap();
        assert_eq!(first.next_chunk().await.unwrap().unwrap(), "ok");
        assert!(first.next_chunk().await.unwrap().is_none());
        first.finish().await;
        closed_rx.await.unwrap();
        // Let the runtime's reactor see the upstream's FIN (it polls between tasks' turns).
        tokio::time::sleep(Duration::from_millis(50)).await;
        let second = send(
            connector,
            &target,
            request("POST", b"y"),
            "y".into(),
            timeout,
        );
        let mut second = second.await.expect("answered on a new connection");
        assert_eq!(second.status(), 200);
        assert_eq!(second.next_chunk().await.unwrap().unwrap(), "ok");
    }

    /// A `HEAD` goes through pingora's session writer, which knows its answer has no body: the
    /// answer's `Content-Length` is not waited for.
    #[tokio::test]
    async fn a_head_request_reads_a_bodiless_answer() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            let (mut conn, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 4096];
            let _ = conn.read(&mut buf).await.unwrap();
            let answer = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n";
            conn.write_all(answer).await.unwrap();
            std::future::pending::<()>().await;
        });
        let connector = Arc::new(Connector::new(None));
        let timeout = Duration::from_secs(30);
        let header = request("HEAD", b"");
        let mut response = send(connector, &target(port), header, Bytes::new(), timeout)
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert!(response.next_chunk().await.unwrap().is_none(), "no body");
    }

    /// The exchange's future stays small: pingora's connect future (≈ 8 KiB with the TLS
    /// handshake) is boxed, not inlined, so the deliverer's boxed future (one copy per request)
    /// and every future around it are not that large (`bench/FINDINGS.md` §21: 9,328 → 1,856
    /// bytes).
    #[test]
    fn the_exchange_future_does_not_hold_the_connect_future_inline() {
        let connector = Arc::new(Connector::new(None));
        let target = target(1);
        let header = request("POST", b"");
        let exchange = send(
            connector,
            &target,
            header,
            Bytes::new(),
            Duration::from_secs(1),
        );
        let size = std::mem::size_of_val(&exchange);
        assert!(size < 4096, "the exchange future is {size} bytes");
    }

    /// The client's header, built anew (with room for the writer's `Date` and `Connection`),
    /// keeps what the upstream said but its hop-by-hop headers and its version (the gateway's
    /// own, RFC 9110 §2.5): status, reason phrase, header names in their case, order, repeated
    /// names.
    #[test]
    fn the_downstream_header_has_room_for_date_and_connection() {
        let mut upstream = ResponseHeader::build(418, Some(6)).unwrap();
        upstream.set_reason_phrase(Some("Short And Stout")).unwrap();
        upstream.set_version(http::Version::HTTP_10);
        for (name, value) in [
            ("X-Request-ID", "r1"),
            ("Connection", "keep-alive, X-Private"),
            ("X-Private", "p"),
            ("Keep-Alive", "timeout=5"),
            ("Transfer-Encoding", "chunked"),
            ("set-cookie", "a=1"),
            ("Set-Cookie", "b=2"),
        ] {
            upstream
                .append_header(name.to_string(), value.to_string())
                .unwrap();
        }
        let built = downstream_response(&upstream).unwrap();
        let names: Vec<_> = built
            .case_header_iter()
            .map(|(n, v)| {
                let name = String::from_utf8(n.as_slice().to_vec()).unwrap();
                (name, v.to_str().unwrap().to_string())
            })
            .collect();
        let expected = [
            ("X-Request-ID", "r1"),
            ("Transfer-Encoding", "chunked"),
            ("set-cookie", "a=1"),
            ("Set-Cookie", "b=2"),
        ];
        let expected: Vec<_> = expected
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        assert_eq!(names, expected);
        assert_eq!(built.status, 418);
        assert_eq!(built.get_reason_phrase(), Some("Short And Stout"));
        assert_eq!(
            built.version,
            http::Version::HTTP_11,
            "the gateway's version"
        );
        assert!(
            built.headers.capacity() >= built.headers.len() + ADDED_BY_THE_WRITER,
            "room for Date and Connection: {} of {}",
            built.headers.len(),
            built.headers.capacity()
        );
    }
}
