//! Direct delivery (the default): send the request to the route's upstream now and relay the
//! answer to the waiting client.

use std::sync::Arc;
use std::time::Duration;

use crate::delivery::forward::Connector;
use async_trait::async_trait;

use super::forward::{self, ForwardError};
use super::{Delivered, Deliverer, Delivery, DeliveryError};
use crate::state::Lease;
use crate::telemetry::tracing::DeliveryTrace;

/// Sends to one upstream over the gateway's shared connection pool.
pub struct Direct {
    pub target: Arc<forward::Target>,
    pub timeout: Duration,
    pub connector: Arc<Connector>,
}

#[async_trait]
impl Deliverer for Direct {
    async fn deliver(&self, delivery: Delivery) -> Result<Delivered, DeliveryError> {
        let Delivery {
            route,
            head,
            body,
            lease,
            trace,
            ..
        } = delivery;
        let header = match head.into_request_header() {
            Ok(h) => h,
            Err(e) => {
                settle(&route, lease, None, trace.as_ref()).await;
                return Err(ForwardError::BuildRequest(e).into());
            }
        };
        let (connector, target, timeout) = (self.connector.clone(), &self.target, self.timeout);
        // The exchange runs in the request task, with or without a claim: a spawned task costs
        // moving the large exchange future and its answer per request (+12 % CPU per request,
        // bench/FINDINGS.md §6). A client that goes away does not cancel it (the connection task
        // does not watch the client while it waits for the upstream), so the upstream's answer
        // settles the claim. pingora spawns connection and HTTP/2 stream tasks detached, so the
        // request task is dropped only when the runtime stops past `grace_period`, or on a panic;
        // a spawned exchange would be dropped then too. The lease's own drop guard ([`Lease`]'s
        // `Drop`) releases the claim, so the retry is let through (at-least-once).
        let sent = forward::send(connector, target, header, body, timeout).await;
        if lease.is_some() {
            let status = sent.as_ref().ok().map(|r| r.status());
            settle(&route, lease, status, trace.as_ref()).await;
        }
        Ok(Delivered::Upstream(Box::new(sent?)))
    }
}

/// Commits the lease on a 2xx answer, releases it otherwise (including no answer). The commit
/// is handed to the store and sent after the client's answer ([`Lease::commit_detached`]: the
/// request waits on one store round trip, the claim, not two); the release is awaited, so the
/// provider's retry of a failed delivery finds the ID free.
async fn settle(
    route: &str,
    lease: Option<Lease>,
    status: Option<u16>,
    trace: Option<&DeliveryTrace>,
) {
    let Some(lease) = lease else { return };
    if matches!(status, Some(200..=299)) {
        let _span = trace.and_then(|t| t.store_call("dedup.commit"));
        return lease.commit_detached();
    }
    let mut span = trace.and_then(|t| t.store_call("dedup.release"));
    let result = lease.release().await;
    if let (Some(span), Err(_)) = (span.as_mut(), &result) {
        span.fail("store_error");
    }
    if let Err(e) = result {
        tracing::warn!(route, error = %e, "dedup lease not settled; it expires after upstream_timeout");
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::io::AsyncReadExt;
    use tokio::net::TcpListener;

    use super::*;
    use crate::delivery::UpstreamHead;
    use crate::state::memory::MemoryDedup;
    use crate::state::{ClaimOutcome, DedupSettings, DedupStore, EventKey};

    fn direct_to(port: u16) -> Direct {
        Direct {
            target: Arc::new(forward::Target::plain_http_loopback(port)),
            timeout: Duration::from_secs(30),
            connector: Arc::new(Connector::new(None)),
        }
    }

    /// The request task cut off mid-exchange (the upstream has the request, no answer yet): the
    /// claim is released at once, not held until `upstream_timeout` — the retry goes through.
    #[tokio::test]
    async fn a_request_cut_off_mid_exchange_releases_its_claim() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (got_request, mut request_arrived) = tokio::sync::mpsc::channel::<()>(1);
        // An upstream that reads the request and never answers.
        tokio::spawn(async move {
            let (mut conn, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 1024];
            let _ = conn.read(&mut buf).await;
            got_request.send(()).await.unwrap();
            std::future::pending::<()>().await;
            drop(conn);
        });
        let store = MemoryDedup::new(DedupSettings {
            ttl: Duration::from_secs(60),
            max_entries: 10,
            in_flight_limit: Duration::from_secs(30),
        });
        let key = EventKey::of("evt_cut_off");
        let ClaimOutcome::Claimed(lease) = store.clone().claim(key).await.unwrap() else {
            panic!("first claim");
        };
        let delivery = Delivery {
            route: "r".into(),
            head: UpstreamHead {
                method: http::Method::POST,
                path_and_query: "/".into(),
                query: None,
                headers: http::HeaderMap::new(),
            },
            body: bytes::Bytes::from_static(b"{}"),
            event_id: Some("evt_cut_off".into()),
            lease: Some(lease),
            trace: None,
        };
        let direct = direct_to(port);
        tokio::select! {
            _ = direct.deliver(delivery) => panic!("the upstream never answers"),
            _ = request_arrived.recv() => {}
        }
        // The deliver future (the request task's exchange) is dropped here.
        let again = store.clone().claim(key).await.unwrap();
        assert!(
            matches!(again, ClaimOutcome::Claimed(_)),
            "the claim was released when the exchange was dropped: {again:?}"
        );
    }
}
