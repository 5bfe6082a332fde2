//! The webhook listener's connection loop. pingora's own HTTP/1 loop waits for the next request
//! on a kept-alive connection without a bound and cannot tell idle time from a slow sender; this
//! loop waits for the first byte at most `idle_timeout`, then gives the request `read_timeout`
//! (the [`FramingTap`] every connection is read through says when the first byte came: no peek
//! syscall, one timer, see [`request::IdleWait`]). HTTP/2 (over TLS) is left to pingora's loop.

use std::sync::Arc;

use async_trait::async_trait;
use pingora::apps::{HttpServerApp, ReusedHttpStream, ServerApp};
use pingora::protocols::http::ServerSession;
use pingora::protocols::{Stream, ALPN};
use pingora::server::ShutdownWatch;

use super::state::GatewayState;
use super::tap::FramingTap;
use crate::request;

/// The webhook service's application.
pub struct WebhookListener {
    http: Arc<WebhookHttp>,
}

impl WebhookListener {
    pub fn new(state: Arc<GatewayState>) -> Self {
        WebhookListener {
            http: Arc::new(WebhookHttp { state }),
        }
    }
}

/// Per-request handling, as pingora's HTTP application (used as is for HTTP/2 streams).
pub struct WebhookHttp {
    state: Arc<GatewayState>,
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
}

#[async_trait]
impl ServerApp for WebhookListener {
    async fn process_new(
        self: &Arc<Self>,
        stream: Stream,
        shutdown: &ShutdownWatch,
    ) -> Option<Stream> {
        // `max_connections`: past it a connection waits here, unread, until another ends.
        let _slot = self.http.state.connections.admit().await;
        if matches!(stream.selected_alpn_proto(), Some(ALPN::H2)) {
            return ServerApp::process_new(&self.http, stream, shutdown).await;
        }
        // HTTP/1: the gateway checks chunked framing on the raw bytes (see `tap`).
        let mut stream = FramingTap::wrap(stream);
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
            let session = ServerSession::new_http1(stream);
            let reused =
                request::serve(&self.http.state, session, arrived.as_deref(), shutdown).await?;
            let (next, _settings) = reused.consume();
            stream = next;
        }
    }
}
