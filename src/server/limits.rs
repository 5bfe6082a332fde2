//! Bounds that hold across all connections: how many webhook connections are served at once
//! (`max_connections`) and how many bytes of request bodies are buffered at once
//! (`body_memory_limit`). Both are fixed when the gateway starts (a reload does not resize them:
//! a second budget beside the first would let both fill).
//!
//! The body budget is a semaphore of bytes. A body announced by `Content-Length` reserves its
//! whole length before a byte of it is read; a chunked body reserves each chunk as it arrives.
//! A body that does not fit is refused (503 + `Retry-After`) rather than waited for: a sender
//! holding memory can hold it for `read_timeout`, and a waiting request would hold its
//! connection and its head the same time.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// `Retry-After` (seconds) of a body refused because the budget is spent: bodies are held for
/// at most `read_timeout` plus the upstream exchange, so a retry a little later usually fits.
pub const BODY_BUDGET_RETRY_AFTER_SECS: u64 = 5;

/// Bytes of request bodies that may be buffered at once.
#[derive(Debug)]
pub struct BodyBudget {
    bytes: Arc<Semaphore>,
}

/// Bytes of the budget held by one request; returned when dropped.
#[derive(Debug, Default)]
pub struct BodyReservation {
    permits: Option<OwnedSemaphorePermit>,
}

/// The budget cannot hold the bytes asked for now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("body memory budget spent")]
pub struct BudgetSpent;

impl BodyBudget {
    /// A budget of `limit` bytes (clamped to what a semaphore can count).
    pub fn new(limit: u64) -> Self {
        let limit = usize::try_from(limit)
            .unwrap_or(usize::MAX)
            .min(Semaphore::MAX_PERMITS);
        BodyBudget {
            bytes: Arc::new(Semaphore::new(limit)),
        }
    }

    /// Bytes not reserved now.
    pub fn available(&self) -> usize {
        self.bytes.available_permits()
    }

    /// Adds `bytes` to `reservation`, or fails without waiting.
    pub fn reserve(
        &self,
        reservation: &mut BodyReservation,
        bytes: u64,
    ) -> Result<(), BudgetSpent> {
        if bytes == 0 {
            return Ok(());
        }
        let n = u32::try_from(bytes).map_err(|_| BudgetSpent)?;
        let permit = self
            .bytes
            .clone()
            .try_acquire_many_owned(n)
            .map_err(|_| BudgetSpent)?;
        match &mut reservation.permits {
            Some(held) => held.merge(permit),
            none => *none = Some(permit),
        }
        Ok(())
    }
}

impl BodyReservation {
    /// Bytes held.
    pub fn bytes(&self) -> usize {
        self.permits.as_ref().map_or(0, |p| p.num_permits())
    }
}

/// Webhook connections served at once: a connection past the limit waits, unread, until one
/// ends (as if it were still in the kernel's accept queue).
#[derive(Debug)]
pub struct ConnectionLimit {
    slots: Arc<Semaphore>,
}

impl ConnectionLimit {
    pub fn new(max: usize) -> Self {
        ConnectionLimit {
            slots: Arc::new(Semaphore::new(max.clamp(1, Semaphore::MAX_PERMITS))),
        }
    }

    /// Waits for a slot; the connection is served while the returned permit lives.
    pub async fn admit(&self) -> OwnedSemaphorePermit {
        // Justified: `acquire_owned` fails only on a closed semaphore, and this one is never
        // closed (nothing calls `close`).
        #[allow(clippy::expect_used)]
        self.slots
            .clone()
            .acquire_owned()
            .await
            .expect("the connection semaphore is never closed")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reservations_fail_past_the_budget_and_return_on_drop() {
        let budget = BodyBudget::new(100);
        let mut a = BodyReservation::default();
        budget.reserve(&mut a, 60).unwrap();
        budget.reserve(&mut a, 30).unwrap();
        assert_eq!(a.bytes(), 90);
        let mut b = BodyReservation::default();
        assert_eq!(budget.reserve(&mut b, 11), Err(BudgetSpent));
        budget.reserve(&mut b, 10).unwrap();
        drop(a);
        assert_eq!(budget.available(), 90);
    }
}
