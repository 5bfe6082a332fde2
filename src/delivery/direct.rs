//! Direct delivery (the default): send the request to the route's upstream now and relay the
//! answer to the waiting client.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use pingora::connectors::http::v1::Connector;

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
        let (connector, target, timeout) =
            (self.connector.clone(), self.target.clone(), self.timeout);
        let Some(lease) = lease else {
            // No claim to settle: the exchange runs in the request task. A spawned task costs
            // moving the large exchange future and its answer per request (+12 % CPU per request,
            // bench/FINDINGS.md §6).
            let sent = forward::send(connector, &target, header, body, timeout).await?;
            return Ok(Delivered::Upstream(Box::new(sent)));
        };
        // The exchange and the lease's fate run in their own task: a client that goes away (its
        // request task dropped) neither cancels the upstream request nor strands the claim.
        let exchange = tokio::spawn(async move {
            let sent = forward::send(connector, &target, header, body, timeout).await;
            let status = sent.as_ref().ok().map(|r| r.status());
            settle(&route, Some(lease), status, trace.as_ref()).await;
            sent.map(Box::new)
        });
        match exchange.await {
            Ok(sent) => Ok(Delivered::Upstream(sent?)),
            // Only a panic in the exchange gets here; its lease was released on unwind.
            Err(join) => Err(DeliveryError::Unavailable {
                retry_after_secs: 1,
                reason: format!("delivery task failed: {join}"),
            }),
        }
    }
}

/// Commits the lease on a 2xx answer, releases it otherwise (including no answer).
async fn settle(
    route: &str,
    lease: Option<Lease>,
    status: Option<u16>,
    trace: Option<&DeliveryTrace>,
) {
    let Some(lease) = lease else { return };
    let commit = matches!(status, Some(200..=299));
    let mut span = trace.and_then(|t| {
        t.store_call(if commit {
            "dedup.commit"
        } else {
            "dedup.release"
        })
    });
    let result = if commit {
        lease.commit().await
    } else {
        lease.release().await
    };
    if let (Some(span), Err(_)) = (span.as_mut(), &result) {
        span.fail("store_error");
    }
    if let Err(e) = result {
        tracing::warn!(route, error = %e, "dedup lease not settled; it expires after upstream_timeout");
    }
}
