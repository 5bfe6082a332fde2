//! The admin listener: `GET /metrics`, `/healthz` (the process is alive) and `/readyz` (config
//! loaded and listeners bound; 503 while draining), and the queue's admin API under
//! `/admin/queue` ([`crate::delivery::queue::admin`]). Kept apart from webhook traffic.

use std::sync::Arc;

use async_trait::async_trait;
use http::Response;
use pingora::apps::http_app::ServeHttp;
use pingora::protocols::http::ServerSession;

use super::state::GatewayState;

pub struct AdminApp {
    pub state: Arc<GatewayState>,
}

fn text(status: u16, content_type: &str, body: Vec<u8>) -> Response<Vec<u8>> {
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .header("content-length", body.len())
        .header("cache-control", "no-store")
        .body(body)
        .unwrap_or_else(|_| Response::new(Vec::new()))
}

#[async_trait]
impl ServeHttp for AdminApp {
    async fn response(&self, session: &mut ServerSession) -> Response<Vec<u8>> {
        let _ = session.drain_request_body().await;
        // Justified: pingora's HTTP app calls `response` only after `read_request` returned a
        // head (apps/http_app.rs), so the head is stored.
        #[allow(clippy::disallowed_methods)]
        let header = session.req_header();
        if let Some(queue) = &self.state.queue {
            let authorization = header
                .headers
                .get(http::header::AUTHORIZATION)
                .map(|v| v.as_bytes());
            if let Some(answer) = crate::delivery::queue::admin::handle(
                queue.store.as_ref(),
                queue.settings.admin_token.as_ref(),
                &header.method,
                &header.uri,
                authorization,
            )
            .await
            {
                return answer;
            }
        }
        if header.method != http::Method::GET && header.method != http::Method::HEAD {
            return text(405, "text/plain", b"method not allowed\n".to_vec());
        }
        match header.uri.path() {
            "/metrics" => {
                let metrics = &self.state.metrics;
                if let Some(queue) = &self.state.queue {
                    let gateway = self.state.gateway();
                    queue
                        .refresh_metrics(gateway.routes.iter().map(|r| &r.config))
                        .await;
                }
                for route in self.state.gateway().routes.iter() {
                    if let Some(len) = route.dedup.as_ref().and_then(|d| d.len()) {
                        metrics
                            .dedup_entries
                            .with_label_values(&[route.name()])
                            .set(len as i64);
                    }
                }
                text(
                    200,
                    "text/plain; version=0.0.4; charset=utf-8",
                    metrics.encode(),
                )
            }
            "/healthz" => text(200, "text/plain", b"ok\n".to_vec()),
            "/readyz" if self.state.drain.is_draining() => {
                text(503, "text/plain", b"draining\n".to_vec())
            }
            "/readyz" => text(200, "text/plain", b"ready\n".to_vec()),
            _ => text(404, "text/plain", b"not found\n".to_vec()),
        }
    }
}
