//! The webhook listener's connection loop. pingora's own HTTP/1 loop waits for the next request
//! on a kept-alive connection without a bound and cannot tell idle time from a slow sender; this
//! loop waits for the first byte at most `idle_timeout`, then gives the request `read_timeout`
//! (the [`FramingTap`] every connection is read through says when the first byte came: no peek
//! syscall, one timer, see [`request::IdleWait`]). HTTP/2 (over TLS) is left to pingora's loop.
//!
//! With TLS on, the handshake is run here too, not by pingora's listener: it then happens under a
//! `max_connections` slot and within `read_timeout`, so a client that connects and sends nothing
//! (or stalls mid-handshake) holds a slot, and its descriptor, for at most `read_timeout`.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use async_trait::async_trait;
use pingora::apps::{
    HttpPersistentSettings, HttpServerApp, HttpServerOptions, ReusedHttpStream, ServerApp,
};
pub use pingora::listeners::tls::Acceptor as TlsAcceptor;
use pingora::protocols::http::ServerSession;
use pingora::protocols::l4::stream::Stream as TcpStream;
use pingora::protocols::{Stream, ALPN};
use pingora::server::ShutdownWatch;

use super::state::GatewayState;
use super::tap::FramingTap;
use crate::request;
use crate::telemetry::metrics::ConnectionDrop;

/// The HTTP/2 client connection preface's length, `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n` (RFC 9113
/// §3.4): what pingora's h2 handshake waits for.
const H2_PREFACE_LEN: u64 = 24;

/// The webhook service's application.
pub struct WebhookListener {
    http: Arc<WebhookHttp>,
    /// `Some` when the listener terminates TLS (pingora hands over plain TCP connections).
    tls: Option<TlsAcceptor>,
}

impl WebhookListener {
    pub fn new(state: Arc<GatewayState>, tls: Option<TlsAcceptor>) -> Self {
        // pingora's HTTP/2 loop closes a connection no stream has used for this long (it has no
        // bound by default: an idle HTTP/2 client would hold its `max_connections` slot forever).
        // Read at start, as the listener settings are.
        let mut options = HttpServerOptions::default();
        options.h2_idle_timeout = Some(state.gateway().server.idle_timeout);
        WebhookListener {
            http: Arc::new(WebhookHttp { state, options }),
            tls,
        }
    }

    /// HTTP/2 on `stream` by pingora's loop (idle connections closed after `idle_timeout`, see
    /// `new`). pingora's HTTP/2 handshake waits for the client's preface without a bound, so a
    /// client that has not sent the whole preface `read_timeout` after the TLS handshake is
    /// closed (counted `h2_preface_timeout`).
    async fn serve_h2(&self, stream: Stream, shutdown: &ShutdownWatch) -> Option<Stream> {
        let stream = FramingTap::wrap(stream);
        // The tap only counts the bytes read (nothing is recorded or checked).
        let read = FramingTap::of(&stream).map(|tap| {
            tap.not_chunked();
            tap.bytes_read()
        });
        // pingora's h2 handshake waits for the client's preface without a bound: a client that
        // sends none of it, or part of it, would hold its `max_connections` slot for ever. Once
        // the preface is in, pingora's `h2_idle_timeout` (`idle_timeout`) bounds an idle one.
        let state = &self.http.state;
        let read_timeout = state.gateway().server.read_timeout;
        let no_preface = async {
            tokio::time::sleep(read_timeout).await;
            if read.is_some_and(|r| r.load(Ordering::Relaxed) >= H2_PREFACE_LEN) {
                std::future::pending::<()>().await;
            }
        };
        tokio::select! {
            served = ServerApp::process_new(&self.http, stream, shutdown) => served,
            () = no_preface => {
                state.metrics.connection_dropped(ConnectionDrop::H2PrefaceTimeout);
                None
            }
        }
    }

    /// The TLS handshake on `stream` (a plain TCP connection), within `read_timeout` and until
    /// draining starts; `None` (the connection is closed) when it does not finish.
    async fn handshake(&self, acceptor: &TlsAcceptor, stream: Stream) -> Option<Stream> {
        let state = &self.http.state;
        let Ok(tcp) = stream.into_any().downcast::<TcpStream>() else {
            tracing::warn!("webhook listener: not a TCP connection; closed");
            return None;
        };
        let read_timeout = state.gateway().server.read_timeout;
        let handshake = tokio::time::timeout(read_timeout, acceptor.tls_handshake(*tcp));
        let done = tokio::select! {
            _ = state.drain.started() => return None,
            done = handshake => done,
        };
        let drop = match done {
            Ok(Ok(tls)) => return Some(Box::new(tls)),
            Ok(Err(e)) => {
                tracing::debug!(error = %e, "TLS handshake failed");
                ConnectionDrop::TlsHandshakeFailed
            }
            Err(_) => ConnectionDrop::TlsHandshakeTimeout,
        };
        state.metrics.connection_dropped(drop);
        None
    }

    /// HTTP/1 requests on `stream` until it closes, is not reused, or draining starts.
    async fn serve_http1(&self, stream: Stream, shutdown: &ShutdownWatch) -> Option<Stream> {
        // The gateway checks chunked framing on the raw bytes (see `tap`).
        let mut stream = FramingTap::wrap(stream);
        // What the previous request leaves the next (pipelined bytes, pipelining on).
        let mut settings: Option<HttpPersistentSettings> = None;
        loop {
            if self.http.state.drain.is_draining() {
                // Draining: no new requests on this connection (new connections end here too).
                return None;
            }
            // SIGTERM closes an idle kept-alive connection at once (as nginx does): a request
            // sent on it afterwards is not started, and the sender retries elsewhere.
            let arrived = FramingTap::of(&stream).map(|tap| {
                tap.start_request();
                tap.arrival()
            });
            let mut session = ServerSession::new_http1(stream);
            // HTTP/1.1 pipelining (RFC 9112 §9.3.2): a request read with the previous one is
            // served next, its answer after the previous answer. Without it pingora closes the
            // connection after the first answer and the second request is lost.
            session.set_pipelining_enabled(true);
            if let Some(settings) = settings.take() {
                settings.apply_to_session(&mut session);
            }
            let reused =
                request::serve(&self.http.state, session, arrived.as_deref(), shutdown).await?;
            (stream, settings) = reused.consume();
        }
    }
}

/// Per-request handling, as pingora's HTTP application (used as is for HTTP/2 streams).
pub struct WebhookHttp {
    state: Arc<GatewayState>,
    options: HttpServerOptions,
}

#[async_trait]
impl HttpServerApp for WebhookHttp {
    async fn process_new_http(
        self: &Arc<Self>,
        session: ServerSession,
        shutdown: &ShutdownWatch,
    ) -> Option<ReusedHttpStream> {
        request::serve(&self.state, session, None, shutdown).await
    }

    fn server_options(&self) -> Option<&HttpServerOptions> {
        Some(&self.options)
    }
}

#[async_trait]
impl ServerApp for WebhookListener {
    async fn process_new(
        self: &Arc<Self>,
        stream: Stream,
        shutdown: &ShutdownWatch,
    ) -> Option<Stream> {
        // `max_connections`: past it a connection waits here, unread, until another ends. The TLS
        // handshake runs under the slot.
        let _slot = self.http.state.connections.admit().await;
        // Keeps request timers from waking this runtime's driver (see `timer_anchor`).
        let _anchor = super::timer_anchor::hold();
        let stream = match &self.tls {
            Some(acceptor) => self.handshake(acceptor, stream).await?,
            None => stream,
        };
        if matches!(stream.selected_alpn_proto(), Some(ALPN::H2)) {
            return self.serve_h2(stream, shutdown).await;
        }
        self.serve_http1(stream, shutdown).await
    }
}
