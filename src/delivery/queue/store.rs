//! The queue backend contract: what a durable delivery queue must offer, whatever engine holds
//! it. The embedded implementation is [`super::disk::DiskQueue`]; a Redis Streams backend
//! (`XADD`, consumer groups, a sorted set of due times) can implement the same trait.
//!
//! Message lifecycle: [`QueueStore::append`] (durable on `Ok`) → pending, due now →
//! [`QueueStore::lease_due`] hands it to one worker (leased) → [`QueueStore::ack`] (delivered,
//! removed) | [`QueueStore::retry_later`] (pending again at a later due time) |
//! [`QueueStore::dead`] (dead letter, kept with its body) → [`QueueStore::replay`] (pending
//! again, attempts reset) | [`QueueStore::drop_message`] (removed). A lease lives only as long
//! as the process that took it: on the next open, leased messages are pending and due again (at
//! least once).

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use bytes::Bytes;
use tokio::sync::Notify;

/// A delivery ID: 128 bits, the append time in milliseconds since the Unix epoch in the top 64
/// bits and a per-queue sequence in the low 64, so IDs sort by arrival. Written as 32 lowercase
/// hex digits (the `X-Hookgate-Queued` and `X-Hookgate-Delivery-Id` header value).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageId(pub u128);

impl MessageId {
    /// The 16-byte big-endian key form (sorts like the number).
    pub fn to_key(self) -> [u8; 16] {
        self.0.to_be_bytes()
    }

    /// The ID of a 16-byte key; `None` for any other length.
    pub fn from_key(key: &[u8]) -> Option<MessageId> {
        Some(MessageId(u128::from_be_bytes(key.try_into().ok()?)))
    }
}

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:032x}", self.0)
    }
}

impl fmt::Debug for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MessageId({self})")
    }
}

impl FromStr for MessageId {
    type Err = String;

    /// Parses exactly 32 hex digits (either case).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() != 32 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!("{s:?} is not a delivery ID (32 hex digits)"));
        }
        u128::from_str_radix(s, 16)
            .map(MessageId)
            .map_err(|e| e.to_string())
    }
}

/// The upstream request a queued message replays on every attempt: built once at accept time
/// exactly as direct mode builds it (hop-by-hop headers removed, `X-Forwarded-*` and
/// `X-Hookgate-*` added), so an attempt differs from a direct forward only by
/// `X-Hookgate-Delivery-Id` and `X-Hookgate-Attempt` — and by where it goes: every attempt goes
/// wholly to the route's *current* upstream (its host, port, TLS, path and `Host` header, with
/// [`StoredHead::query`] appended), so a backlog follows an upstream that was moved while it
/// waited ([`crate::delivery::queue::worker::request_of`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredHead {
    /// The request method, e.g. `POST`.
    pub method: String,
    /// The upstream path and query at accept time, e.g. `/billing/stripe?x=1` (shown by `queue
    /// show`; attempts rebuild the target from the current upstream and [`StoredHead::query`]).
    pub path: String,
    /// The query string of the request the provider sent (without `?`), which the gateway
    /// appends to the upstream URL's path; `None` when it had none.
    pub query: Option<String>,
    /// Header names (lower-case) and raw values, in the order they are sent.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The W3C `traceparent` of the span that accepted the message, when tracing was on: each
    /// delivery attempt's span links to it. Part of the record on every backend.
    pub trace: Option<String>,
}

/// A verified request to queue.
#[derive(Clone, Debug)]
pub struct NewMessage {
    /// The route's name (the worker that delivers it).
    pub route: String,
    pub head: StoredHead,
    /// The body exactly as received.
    pub body: Bytes,
    /// The provider's event ID, if the route knows it (shown by `queue show`; never a label).
    pub event_id: Option<String>,
}

impl NewMessage {
    /// The bytes this message is charged against `max_bytes`: body, header names and values,
    /// method, path and route name (the stored record's size, give or take its framing).
    pub fn charged_bytes(&self) -> u64 {
        let headers: usize = self
            .head
            .headers
            .iter()
            .map(|(n, v)| n.len() + v.len())
            .sum();
        (self.body.len()
            + headers
            + self.head.method.len()
            + self.head.path.len()
            + self.route.len()
            + self.event_id.as_ref().map_or(0, String::len)) as u64
    }
}

/// Where a message is in its lifecycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MessageState {
    /// Waiting for its due time (or due now).
    Pending,
    /// Handed to a worker; an attempt may be in flight.
    Leased,
    /// Gave up after `max_attempts` or `max_age`; kept with its body until replayed or dropped.
    Dead,
}

impl MessageState {
    /// The word used by the admin API, the CLI and the `state` metric label.
    pub fn as_str(self) -> &'static str {
        match self {
            MessageState::Pending => "pending",
            MessageState::Leased => "leased",
            MessageState::Dead => "dead",
        }
    }
}

/// What is known about a message without its body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageInfo {
    pub id: MessageId,
    pub route: String,
    pub state: MessageState,
    /// Attempts made so far (an attempt cut short by a crash is not counted).
    pub attempts: u32,
    /// When it was durably accepted.
    pub created_at: SystemTime,
    /// When it is (or was) due for its next attempt.
    pub next_due: SystemTime,
    /// Bytes charged against `max_bytes` ([`NewMessage::charged_bytes`]).
    pub size: u64,
    pub event_id: Option<String>,
    /// The last attempt's failure (`"503"`, `"timeout"`, `"unreachable"`), or why it died.
    pub last_error: Option<String>,
}

/// A message with its head and exact body.
#[derive(Clone, Debug)]
pub struct StoredMessage {
    pub info: MessageInfo,
    pub head: StoredHead,
    pub body: Bytes,
}

/// Which messages [`QueueStore::list`] returns: those matching every given condition, in ID
/// (arrival) order, after `after`, at most `limit`.
#[derive(Clone, Debug, Default)]
pub struct ListFilter {
    pub route: Option<String>,
    /// `None`: every state.
    pub state: Option<MessageState>,
    pub after: Option<MessageId>,
    pub limit: usize,
}

/// One route's counts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RouteStats {
    pub pending: u64,
    pub leased: u64,
    pub dead: u64,
    /// Creation time of the oldest message not yet delivered nor dead (pending or leased).
    pub oldest_pending: Option<SystemTime>,
}

/// The whole queue's counts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QueueStats {
    pub routes: BTreeMap<String, RouteStats>,
    /// Bytes charged against `max_bytes` by all messages held (pending, leased and dead).
    pub bytes: u64,
    pub max_bytes: u64,
}

/// Why a queue call failed. Messages never carry a body, a header value or a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueueError {
    /// Appending would take the queue over `max_bytes`: answer 503 + `Retry-After`.
    #[error("queue is full: {held} + {wanted} bytes would exceed max_bytes {max_bytes}")]
    Full {
        held: u64,
        wanted: u64,
        max_bytes: u64,
    },
    /// The store cannot write or read (I/O error, a poisoned engine, the writer stopped).
    #[error("queue store unavailable: {0}")]
    Unavailable(String),
    /// A stored record could not be decoded (names the message, never its content).
    #[error("queue record {id} is corrupt: {reason}")]
    Corrupt { id: MessageId, reason: String },
}

/// A durable delivery queue. Every method is safe to call concurrently.
///
/// Durability contract: [`QueueStore::append`] returns `Ok` only once the message survives a
/// crash of the process and of the machine (the engine's sync to disk). Other state changes may
/// be buffered: losing one in a crash can only cause a redelivery or an extra attempt, never the
/// loss of an acknowledged message.
#[async_trait]
pub trait QueueStore: Send + Sync + 'static {
    /// Stores `message` as pending, due now, and returns its ID once durable.
    ///
    /// Errors: [`QueueError::Full`] over `max_bytes` (nothing stored); [`QueueError::Unavailable`]
    /// when the write or the sync failed (nothing acknowledged).
    async fn append(&self, message: NewMessage) -> Result<MessageId, QueueError>;

    /// Leases up to `max` of `route`'s messages whose due time has come, oldest due first. A
    /// leased message is handed to no one else until it is acked, retried, dead-lettered,
    /// dropped, or the process restarts.
    async fn lease_due(&self, route: &str, max: usize) -> Result<Vec<StoredMessage>, QueueError>;

    /// The earliest due time among `route`'s pending messages, for a worker to sleep until.
    async fn next_due(&self, route: &str) -> Result<Option<SystemTime>, QueueError>;

    /// Delivered: removes the message. Unknown IDs (dropped meanwhile) are ignored.
    async fn ack(&self, id: MessageId) -> Result<(), QueueError>;

    /// Delivered, and the worker's next: [`QueueStore::ack`] of `id`, then
    /// [`QueueStore::lease_due`] of up to `max` of `route`'s due messages, in one call where the
    /// backend can fold them (Redis: one round trip instead of two). An error may come after the
    /// ack took effect, or after a lease whose answer was lost (due again once the lease
    /// expires, or at the next start): at least once either way.
    async fn ack_and_lease(
        &self,
        id: MessageId,
        route: &str,
        max: usize,
    ) -> Result<Vec<StoredMessage>, QueueError> {
        self.ack(id).await?;
        self.lease_due(route, max).await
    }

    /// The attempt failed: one more attempt counted, pending again, due at `due`.
    async fn retry_later(
        &self,
        id: MessageId,
        due: SystemTime,
        error: &str,
    ) -> Result<(), QueueError>;

    /// Gives up: the message becomes a dead letter, kept with its body; `reason` is shown by
    /// `queue show`. `attempted` says whether the attempt just made counts.
    async fn dead(&self, id: MessageId, reason: &str, attempted: bool) -> Result<(), QueueError>;

    /// Messages matching `filter`, without bodies.
    async fn list(&self, filter: &ListFilter) -> Result<Vec<MessageInfo>, QueueError>;

    /// One message with its head and body; `None` when unknown.
    async fn show(&self, id: MessageId) -> Result<Option<StoredMessage>, QueueError>;

    /// Makes a pending or dead message due now with its attempts reset (durable on return).
    /// Returns `false` when the ID is unknown or its message is leased (an attempt is running).
    async fn replay(&self, id: MessageId) -> Result<bool, QueueError>;

    /// Replays every dead letter of `route`; returns how many.
    async fn replay_dead(&self, route: &str) -> Result<usize, QueueError>;

    /// Removes a message whatever its state (durable on return); `false` when unknown.
    async fn drop_message(&self, id: MessageId) -> Result<bool, QueueError>;

    /// Counts per route and bytes held.
    async fn stats(&self) -> Result<QueueStats, QueueError>;

    /// `route`'s wake-up, which its idle workers wait on: the store calls
    /// [`Notify::notify_one`] once per message of `route` that may have become due (append,
    /// retry, replay, a lease taken back), so as many idle workers of that route wake as there
    /// are new messages, and none of another route ([`Wakeups`]).
    fn wakeup(&self, route: &str) -> Arc<Notify>;
}

/// The idle delivery workers' wake-ups, one [`Notify`] per route. Waking every idle worker of
/// every route on each commit (`notify_waiters`) cost each of them a lease call that found
/// nothing (bench/FINDINGS.md §23); a route's workers wait on their own `Notify` and each new
/// message wakes one of them (a worker busy meanwhile finds the message on its next look, so a
/// wake-up lost to it delays nothing).
///
/// Bounded: an entry exists only for a route some worker asked for ([`Wakeups::route`]), the
/// configured routes; messages of other routes wake no one.
#[derive(Default)]
pub struct Wakeups {
    routes: Mutex<HashMap<String, Arc<Notify>>>,
}

impl Wakeups {
    /// `route`'s `Notify`, created on the first call (a worker takes it before its first look).
    pub fn route(&self, route: &str) -> Arc<Notify> {
        let mut routes = self.routes.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(notify) = routes.get(route) {
            return notify.clone();
        }
        let notify = Arc::new(Notify::new());
        routes.insert(route.to_string(), notify.clone());
        notify
    }

    /// `count` messages of `route` may have become due: wakes up to `count` of its idle workers
    /// (a `notify_one` each; with none waiting, one permit is kept for the next to wait).
    pub fn due(&self, route: &str, count: usize) {
        let routes = self.routes.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(notify) = routes.get(route) {
            for _ in 0..count {
                notify.notify_one();
            }
        }
    }
}

/// Milliseconds since the Unix epoch (0 for times before it).
pub fn unix_ms(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis().min(u128::from(u64::MAX)) as u64)
}

/// The time `ms` milliseconds after the Unix epoch.
pub fn from_unix_ms(ms: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_as_hex_and_keys() {
        let id = MessageId((1_700_000_000_000u128 << 64) | 7);
        let text = id.to_string();
        assert_eq!(text.len(), 32);
        assert_eq!(text.parse::<MessageId>().unwrap(), id);
        assert_eq!(MessageId::from_key(&id.to_key()), Some(id));
        assert!("xyz".parse::<MessageId>().is_err());
        assert!("0".repeat(31).parse::<MessageId>().is_err());
        assert!(format!("+{}", "0".repeat(31)).parse::<MessageId>().is_err());
    }

    #[test]
    fn keys_sort_like_ids() {
        let a = MessageId(1 << 64);
        let b = MessageId((1 << 64) + 1);
        let c = MessageId(2 << 64);
        assert!(a.to_key() < b.to_key() && b.to_key() < c.to_key());
    }
}
