//! The webhook listener's connection loop. pingora's own HTTP/1 loop waits for the next request
//! on a kept-alive connection without a bound and cannot tell idle time from a slow sender; this
//! loop waits for the first byte at most `idle_timeout`, then gives the request `read_timeout`.
//! HTTP/2 (over TLS) is left to pingora's loop.

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
            let gateway = self.http.state.gateway();
            let (idle, read) = (gateway.server.idle_timeout, gateway.server.read_timeout);
            drop(gateway);
            let mut first = [0u8; 1];
            let next = tokio::time::timeout(idle, stream.try_peek(&mut first));
            let head_budget = match tokio::select! {
                // SIGTERM closes an idle kept-alive connection at once (as nginx does): a request
                // sent on it afterwards is not started, and the sender retries elsewhere.
                _ = self.http.state.drain.started() => return None,
                peeked = next => peeked,
            } {
                Err(_) | Ok(Err(_)) => return None,
                // A request that arrived as draining started is not started either.
                Ok(Ok(true)) if self.http.state.drain.is_draining() => return None,
                Ok(Ok(true)) => Some(read),
                // The stream cannot peek (TLS): the head read covers idle and read time (and
                // stops when draining starts, see `request::serve`).
                Ok(Ok(false)) => None,
            };
            if let Some(tap) = FramingTap::of(&stream) {
                tap.start_request();
            }
            let session = ServerSession::new_http1(stream);
            let reused = request::serve(&self.http.state, session, head_budget, shutdown).await?;
            let (next, _settings) = reused.consume();
            stream = next;
        }
    }
}
