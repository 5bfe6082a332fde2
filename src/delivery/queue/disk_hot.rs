//! The disk queue's hot set: the head and body of recently committed messages, kept in memory
//! until their first lease, so that a worker keeping up with the appends gets them without a
//! blocking hand-off, two fjall reads, a JSON decode of the head and a copy of the body
//! (bench/FINDINGS.md §14). It is only a copy of what is already durable on disk: a message
//! that is not in it (evicted by the budget, retried, or reopened) is read from disk.

use std::collections::HashMap;

use bytes::Bytes;

use super::store::{MessageId, StoredHead};

/// Heads and bodies of committed, not yet leased messages, bounded by a byte budget (the
/// default holds nothing).
#[derive(Default)]
pub(super) struct HotSet {
    entries: HashMap<MessageId, (StoredHead, Bytes, u64)>,
    bytes: u64,
    max_bytes: u64,
}

impl HotSet {
    /// An empty set holding at most `max_bytes` of charged message bytes (0 turns it off).
    pub(super) fn new(max_bytes: u64) -> Self {
        HotSet {
            entries: HashMap::new(),
            bytes: 0,
            max_bytes,
        }
    }

    /// Keeps `id`'s head and body, charged `size` bytes, unless that would pass the budget (then
    /// the message is read from disk when leased). The body is the accepted request's own
    /// buffer (reference-counted, not copied).
    pub(super) fn insert(&mut self, id: MessageId, head: StoredHead, body: Bytes, size: u64) {
        if self.bytes.saturating_add(size) > self.max_bytes {
            return;
        }
        self.bytes += size;
        self.entries.insert(id, (head, body, size));
    }

    /// Whether `id` is held.
    pub(super) fn contains(&self, id: &MessageId) -> bool {
        self.entries.contains_key(id)
    }

    /// Takes `id`'s head and body out of the set.
    pub(super) fn take(&mut self, id: &MessageId) -> Option<(StoredHead, Bytes)> {
        let (head, body, size) = self.entries.remove(id)?;
        self.bytes -= size;
        Some((head, body))
    }

    /// Forgets `id` (removed, dropped or rescheduled: it is read from disk from now on).
    pub(super) fn forget(&mut self, id: &MessageId) {
        self.take(id);
    }

    /// Charged bytes held now.
    pub(super) fn bytes(&self) -> u64 {
        self.bytes
    }
}
