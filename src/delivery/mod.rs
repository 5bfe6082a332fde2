//! What happens to an accepted request: the pipeline hands a [`Delivery`] to the route's
//! [`Deliverer`]. [`direct::Direct`] (the default) sends it to the upstream and relays the
//! answer; a queued deliverer stores it durably and answers at once.
//!
//! The dedup [`Lease`] travels with the delivery: the deliverer settles it from the upstream's
//! answer (commit on 2xx, release otherwise), however long that takes and whether or not the
//! client is still connected.

pub mod direct;
pub mod forward;
pub mod pool;
pub mod queue;
pub mod resolve;
pub mod upstream_request;

use async_trait::async_trait;
use bytes::Bytes;
use http::{HeaderMap, Method};
use pingora::http::RequestHeader;

use crate::state::Lease;

pub use forward::ForwardError;

/// The request head to send upstream, as owned data: already rewritten for the upstream
/// (hop-by-hop headers gone, `Host`, `Content-Length`, `X-Forwarded-*` and `X-Hookgate-*` set).
#[derive(Debug, Clone)]
pub struct UpstreamHead {
    pub method: Method,
    /// The upstream URL's path (and query), with the request's query string appended.
    pub path_and_query: String,
    /// The request's own query string (without `?`), kept apart so a queued attempt can append
    /// it to the route's current upstream ([`queue::store::StoredHead::query`]).
    pub query: Option<String>,
    pub headers: HeaderMap,
}

impl UpstreamHead {
    /// pingora's form of the head (moves the header map; no per-header copy).
    pub fn into_request_header(self) -> Result<Box<RequestHeader>, http::Error> {
        let (mut parts, ()) = http::Request::builder()
            .method(self.method)
            .uri(self.path_and_query)
            .body(())?
            .into_parts();
        parts.headers = self.headers;
        Ok(Box::new(RequestHeader::from(parts)))
    }
}

/// One accepted request, ready to be delivered.
#[derive(Debug)]
pub struct Delivery {
    /// The route's name (metrics, logs, queue partition).
    pub route: String,
    pub head: UpstreamHead,
    /// The body exactly as received.
    pub body: Bytes,
    /// The event ID, when the route reads one.
    pub event_id: Option<String>,
    /// The dedup claim on `event_id`, when the route dedups. Whoever settles the delivery settles
    /// the lease; dropping it releases it.
    pub lease: Option<Lease>,
    /// The trace context the delivery continues, when tracing is on: already in `head` as
    /// `traceparent`; stored with a queued message; the parent of the claim's settling span.
    pub trace: Option<crate::telemetry::tracing::DeliveryTrace>,
}

/// What a deliverer did with a [`Delivery`].
pub enum Delivered {
    /// The upstream answered (direct delivery): relay its answer to the client.
    Upstream(Box<forward::UpstreamResponse>),
    /// Durably accepted for later delivery: the gateway answers `status` with `headers` itself
    /// (outcome `queued`).
    Accepted {
        status: u16,
        headers: Vec<(String, String)>,
    },
}

/// Why a delivery could not be made or accepted.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// Direct delivery: the upstream could not be reached, timed out, or the request could not
    /// be built (see [`ForwardError::status`]).
    #[error(transparent)]
    Forward(#[from] ForwardError),
    /// The deliverer cannot take it now (a queue full or failing): 503 `unavailable` with
    /// `Retry-After`. The lease has been released.
    #[error("delivery unavailable: {reason}")]
    Unavailable {
        retry_after_secs: u64,
        reason: String,
    },
}

/// Delivers accepted requests for one route. Built per route by the gateway builder.
#[async_trait]
pub trait Deliverer: Send + Sync + 'static {
    async fn deliver(&self, delivery: Delivery) -> Result<Delivered, DeliveryError>;
}
