//! The queued [`Deliverer`] (`delivery = "queue"`): append the accepted request to the queue;
//! once it is durable, commit the dedup lease (a provider's retry is then a duplicate) and
//! answer `ack_status` with `X-Hookgate-Queued: <id>`. A full or failing queue releases the lease
//! (the provider's retry goes through) and answers 503 with `Retry-After`.

use std::sync::Arc;

use async_trait::async_trait;

use super::store::{NewMessage, QueueError, QueueStore, StoredHead};
use crate::delivery::{Delivered, Deliverer, Delivery, DeliveryError, UpstreamHead};

/// The header carrying the delivery ID in the acknowledgement.
pub const QUEUED_HEADER: &str = "X-Hookgate-Queued";
/// `Retry-After` when the queue is over `max_bytes`: a backlog takes a while to drain.
pub const FULL_RETRY_AFTER_SECS: u64 = 30;
/// `Retry-After` when the store failed.
pub const FAILING_RETRY_AFTER_SECS: u64 = 5;

/// Queues one route's accepted requests.
pub struct Queued {
    pub store: Arc<dyn QueueStore>,
    /// The 2xx answered once durable.
    pub ack_status: u16,
}

impl From<&UpstreamHead> for StoredHead {
    fn from(head: &UpstreamHead) -> Self {
        StoredHead {
            method: head.method.as_str().to_string(),
            path: head.path_and_query.clone(),
            query: head.query.clone(),
            headers: head
                .headers
                .iter()
                .map(|(n, v)| (n.as_str().to_string(), v.as_bytes().to_vec()))
                .collect(),
            trace: None,
        }
    }
}

#[async_trait]
impl Deliverer for Queued {
    async fn deliver(&self, delivery: Delivery) -> Result<Delivered, DeliveryError> {
        let Delivery {
            route,
            head,
            body,
            event_id,
            lease,
            trace,
        } = delivery;
        let mut stored = StoredHead::from(&head);
        stored.trace = trace.as_ref().and_then(|t| t.traceparent());
        let message = NewMessage {
            route: route.clone(),
            head: stored,
            body,
            event_id,
        };
        let store = self.store.clone();
        // In its own task: a client that goes away mid-append neither cancels the append nor
        // drops the lease (which would release a claim whose message is queued).
        let appended = tokio::spawn(async move {
            let appended = store.append(message).await;
            if let Some(lease) = lease {
                let name = if appended.is_ok() { "dedup.commit" } else { "dedup.release" };
                let mut span = trace.as_ref().and_then(|t| t.store_call(name));
                // A commit is sent after the accept answer (Lease::commit_detached).
                let settled = match &appended {
                    Ok(_) => {
                        lease.commit_detached();
                        Ok(())
                    }
                    Err(_) => lease.release().await,
                };
                if let (Some(span), Err(_)) = (span.as_mut(), &settled) {
                    span.fail("store_error");
                }
                if let Err(e) = settled {
                    tracing::warn!(route, error = %e, "dedup lease not settled; it expires after upstream_timeout");
                }
            }
            appended
        })
        .await;
        match appended {
            Ok(Ok(id)) => Ok(Delivered::Accepted {
                status: self.ack_status,
                headers: vec![(QUEUED_HEADER.to_string(), id.to_string())],
            }),
            Ok(Err(e)) => Err(DeliveryError::Unavailable {
                retry_after_secs: match e {
                    QueueError::Full { .. } => FULL_RETRY_AFTER_SECS,
                    _ => FAILING_RETRY_AFTER_SECS,
                },
                reason: e.to_string(),
            }),
            Err(join) => Err(DeliveryError::Unavailable {
                retry_after_secs: FAILING_RETRY_AFTER_SECS,
                reason: format!("queue append task failed: {join}"),
            }),
        }
    }
}
