//! Delivery workers: per queued route, `concurrency` tasks that lease due messages, send each to
//! the upstream (the stored head plus `X-Hookgate-Delivery-Id` and `X-Hookgate-Attempt`, the body
//! byte-identical), and then ack it (2xx), reschedule it with [`Backoff`] (any other status, a
//! timeout, a refused connection) or dead-letter it (`max_attempts` reached, or the next attempt
//! would come after `max_age`).
//!
//! Shutdown ([`Workers::shutdown`]): workers stop leasing at once, attempts in flight get the
//! grace period to finish, and whatever is left stays queued for the next start.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::delivery::forward::Connector;
use pingora::http::RequestHeader;
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::backoff::parse_retry_after;
use super::store::{MessageId, QueueStore, StoredHead, StoredMessage};
use crate::config::model::Upstream;
pub use crate::config::queue::RetryPolicy;
use crate::delivery::forward::{self, ForwardError};
use crate::delivery::resolve::Resolver;
use crate::telemetry::tracing::{AttemptSpan, Tracing};

/// How long an idle worker sleeps before looking again when nothing woke it.
const IDLE_POLL: Duration = Duration::from_secs(1);
/// How long a worker waits after the store failed before trying again.
const STORE_ERROR_PAUSE: Duration = Duration::from_secs(1);

/// Header carrying the message's delivery ID (stable across attempts).
pub const DELIVERY_ID_HEADER: &str = "x-hookgate-delivery-id";
/// Header carrying the attempt number, 1 for the first.
pub const ATTEMPT_HEADER: &str = "x-hookgate-attempt";

/// Where one queued route delivers, and how.
#[derive(Clone, Debug)]
pub struct RouteTarget {
    pub route: String,
    pub upstream: Upstream,
    /// Per attempt: connect, send, and the response header.
    pub timeout: Duration,
    pub policy: RetryPolicy,
    /// Resolves the upstream's host at each attempt (the gateway's resolver).
    pub resolver: Arc<Resolver>,
    /// The gateway's tracer, when tracing is on: each attempt is a span.
    pub tracing: Option<Arc<Tracing>>,
}

/// The result of one attempt, as the `result` label of `hookgate_delivery_attempts_total`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttemptResult {
    /// The upstream answered with this status.
    Status(u16),
    /// No answer within the route's timeout.
    Timeout,
    /// Connection refused or failed.
    Unreachable,
}

impl AttemptResult {
    /// `2xx`, `3xx`, `4xx`, `5xx`, `timeout` or `unreachable`.
    pub fn label(self) -> &'static str {
        match self {
            AttemptResult::Status(s) => match s / 100 {
                2 => "2xx",
                3 => "3xx",
                4 => "4xx",
                _ => "5xx",
            },
            AttemptResult::Timeout => "timeout",
            AttemptResult::Unreachable => "unreachable",
        }
    }

    /// The upstream's status, when it answered.
    fn status(self) -> Option<u16> {
        match self {
            AttemptResult::Status(s) => Some(s),
            _ => None,
        }
    }

    fn delivered(self) -> bool {
        matches!(self, AttemptResult::Status(200..=299))
    }

    /// The `last_error` text kept with the message.
    fn describe(self) -> String {
        match self {
            AttemptResult::Status(s) => format!("upstream answered {s}"),
            AttemptResult::Timeout => "upstream timed out".into(),
            AttemptResult::Unreachable => "upstream unreachable".into(),
        }
    }
}

/// Why a message became a dead letter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeadReason {
    MaxAttempts,
    MaxAge,
    /// The stored head cannot be sent (it could not be turned into a request).
    Invalid,
}

/// Hooks for metrics and logs; every method defaults to doing nothing.
pub trait DeliveryObserver: Send + Sync + 'static {
    /// One attempt finished.
    fn attempt(&self, _route: &str, _result: AttemptResult) {}
    /// A message became a dead letter.
    fn dead(&self, _route: &str, _reason: DeadReason) {}
    /// The store failed (the message stays where it was; visible in `queue stats`).
    fn store_error(&self, _route: &str) {}
}

/// An observer that ignores everything.
pub struct NoObserver;
impl DeliveryObserver for NoObserver {}

/// The running workers of all queued routes.
pub struct Workers {
    stop: watch::Sender<bool>,
    tasks: JoinSet<()>,
}

/// What [`Workers::shutdown`] saw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShutdownReport {
    /// Workers that stopped within the grace period.
    pub finished: usize,
    /// Workers whose attempt was still running at the end of the grace period (cut off; their
    /// message stays queued and is attempted again after a restart).
    pub cut_off: usize,
}

impl Workers {
    /// Starts `policy.concurrency` workers per target on the current tokio runtime, with their
    /// own upstream connection pool.
    pub fn start(
        store: Arc<dyn QueueStore>,
        targets: Vec<RouteTarget>,
        observer: Arc<dyn DeliveryObserver>,
    ) -> Workers {
        let (stop, stopped) = watch::channel(false);
        let connector = Arc::new(Connector::new(None));
        let mut tasks = JoinSet::new();
        for target in targets {
            let target = Arc::new(target);
            for _ in 0..target.policy.concurrency.max(1) {
                tasks.spawn(run(
                    store.clone(),
                    target.clone(),
                    connector.clone(),
                    observer.clone(),
                    stopped.clone(),
                ));
            }
        }
        Workers { stop, tasks }
    }

    /// Stops leasing, lets attempts in flight finish within `grace`, then cuts off the rest.
    pub async fn shutdown(mut self, grace: Duration) -> ShutdownReport {
        let _ = self.stop.send(true);
        let mut finished = 0;
        let deadline = tokio::time::Instant::now() + grace;
        while !self.tasks.is_empty() {
            match tokio::time::timeout_at(deadline, self.tasks.join_next()).await {
                Ok(Some(_)) => finished += 1,
                Ok(None) => break,
                Err(_) => break,
            }
        }
        let cut_off = self.tasks.len();
        self.tasks.abort_all();
        // Wait for the cancellations, so nothing holds the store once this returns.
        while self.tasks.join_next().await.is_some() {}
        ShutdownReport { finished, cut_off }
    }
}

/// Runs one worker of `target` until `stopping` resolves; an attempt in flight then finishes
/// (the caller bounds how long it waits). For workers registered with a gateway's drain.
pub async fn work(
    store: Arc<dyn QueueStore>,
    target: Arc<RouteTarget>,
    connector: Arc<Connector>,
    observer: Arc<dyn DeliveryObserver>,
    stopping: impl std::future::Future<Output = ()>,
) {
    let (stop, stopped) = watch::channel(false);
    let worker = run(store, target, connector, observer, stopped);
    tokio::pin!(worker);
    tokio::select! {
        _ = &mut worker => return,
        _ = stopping => {}
    }
    let _ = stop.send(true);
    worker.await;
}

async fn run(
    store: Arc<dyn QueueStore>,
    target: Arc<RouteTarget>,
    connector: Arc<Connector>,
    observer: Arc<dyn DeliveryObserver>,
    mut stop: watch::Receiver<bool>,
) {
    let wakeup = store.wakeup(&target.route);
    // The message leased with the last ack (`ack_and_lease`, only while not stopping): delivered
    // before anything else, even if `stop` came during that call (it is leased: an attempt in
    // flight).
    let mut next: Option<StoredMessage> = None;
    loop {
        if let Some(message) = next.take() {
            next = deliver(&*store, &target, &connector, &*observer, message, &stop).await;
            continue;
        }
        if *stop.borrow() {
            return;
        }
        // Registered before looking, so an append between the look and the wait still wakes us.
        let notified = wakeup.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let wait = match store.lease_due(&target.route, 1).await {
            Ok(mut leased) => match leased.pop() {
                Some(message) => {
                    // Not raced against `stop`: an attempt in flight finishes (within the grace).
                    next = deliver(&*store, &target, &connector, &*observer, message, &stop).await;
                    continue;
                }
                None => match store.next_due(&target.route).await {
                    Ok(Some(due)) => due
                        .duration_since(SystemTime::now())
                        .unwrap_or(Duration::ZERO)
                        .min(IDLE_POLL),
                    _ => IDLE_POLL,
                },
            },
            Err(e) => {
                tracing::error!(route = %target.route, error = %e, "queue lease failed");
                observer.store_error(&target.route);
                STORE_ERROR_PAUSE
            }
        };
        tokio::select! {
            _ = &mut notified => {}
            _ = tokio::time::sleep(wait) => {}
            changed = stop.changed() => if changed.is_err() { return },
        }
    }
}

/// One attempt at `message` and its outcome stored. When it was delivered and the worker is not
/// stopping (`stop`, read after the attempt), the ack also leases the worker's next message,
/// returned.
async fn deliver(
    store: &dyn QueueStore,
    target: &RouteTarget,
    connector: &Arc<Connector>,
    observer: &dyn DeliveryObserver,
    message: StoredMessage,
    stop: &watch::Receiver<bool>,
) -> Option<StoredMessage> {
    let id = message.info.id;
    // A message may come back from a restart or a replay already past its limits.
    if let Some((reason, text)) = past_limits(&message, &target.policy) {
        dead(store, target, observer, id, reason, text, false).await;
        return None;
    }

    let attempt = message.info.attempts + 1;
    let mut request = match request_of(&message.head, &target.upstream, id, attempt) {
        Ok(r) => r,
        Err(e) => {
            let reason = format!("stored request head cannot be sent: {e}");
            let invalid = DeadReason::Invalid;
            dead(store, target, observer, id, invalid, &reason, false).await;
            return None;
        }
    };
    let span = traced_attempt(target, &message, attempt, &mut request);
    let (result, retry_after) = send(connector, target, request, &message).await;
    if let Some(span) = span {
        span.finish(result.label(), result.status(), result.delivered());
    }
    observer.attempt(&target.route, result);
    tracing::debug!(route = %target.route, delivery_id = %id, attempt, result = result.label(), "delivery attempt");

    let more = !*stop.borrow();
    let outcome = match (result.delivered(), more) {
        // The ack and the next lease in one call (one Redis round trip): one message, so
        // `concurrency` attempts at most.
        (true, true) => store
            .ack_and_lease(id, &target.route, 1)
            .await
            .map(|mut m| m.pop()),
        (true, false) => store.ack(id).await.map(|()| None),
        (false, _) => match next_attempt(&message, &target.policy, attempt, result, retry_after) {
            Ok(at) => store
                .retry_later(id, at, &result.describe())
                .await
                .map(|()| None),
            Err((reason, text)) => {
                dead(store, target, observer, id, reason, &text, true).await;
                return None;
            }
        },
    };
    outcome.unwrap_or_else(|e| {
        tracing::error!(route = %target.route, delivery_id = %id, error = %e, "queue update failed");
        observer.store_error(&target.route);
        None
    })
}

/// How long ago the message was accepted, at `now`.
fn age(message: &StoredMessage, now: SystemTime) -> Duration {
    now.duration_since(message.info.created_at)
        .unwrap_or(Duration::ZERO)
}

/// Why a message must become a dead letter before any attempt: `max_attempts` or `max_age`
/// already reached.
fn past_limits(
    message: &StoredMessage,
    policy: &RetryPolicy,
) -> Option<(DeadReason, &'static str)> {
    if message.info.attempts >= policy.max_attempts {
        return Some((DeadReason::MaxAttempts, "max_attempts reached"));
    }
    if age(message, SystemTime::now()) >= policy.max_age {
        return Some((DeadReason::MaxAge, "max_age reached"));
    }
    None
}

/// When to try again after failed attempt number `attempt` (backoff, or the upstream's
/// `Retry-After`), or why the message becomes a dead letter instead.
fn next_attempt(
    message: &StoredMessage,
    policy: &RetryPolicy,
    attempt: u32,
    result: AttemptResult,
    retry_after: Option<Duration>,
) -> Result<SystemTime, (DeadReason, String)> {
    if attempt >= policy.max_attempts {
        let reason = format!("max_attempts reached; last: {}", result.describe());
        return Err((DeadReason::MaxAttempts, reason));
    }
    let now = SystemTime::now();
    let delay = policy.backoff.delay(attempt, retry_after, &mut rand::rng());
    if age(message, now) + delay > policy.max_age {
        let reason = format!("max_age reached; last: {}", result.describe());
        return Err((DeadReason::MaxAge, reason));
    }
    Ok(now + delay)
}

async fn dead(
    store: &dyn QueueStore,
    target: &RouteTarget,
    observer: &dyn DeliveryObserver,
    id: MessageId,
    reason: DeadReason,
    text: &str,
    attempted: bool,
) {
    tracing::warn!(route = %target.route, delivery_id = %id, reason = text, "dead letter");
    match store.dead(id, text, attempted).await {
        Ok(()) => observer.dead(&target.route, reason),
        Err(e) => {
            tracing::error!(route = %target.route, delivery_id = %id, error = %e, "queue update failed");
            observer.store_error(&target.route);
        }
    }
}

/// One attempt: the answer's class and the upstream's `Retry-After`, if any. The response body
/// is read and discarded (within the timeout) so the connection can be reused.
async fn send(
    connector: &Arc<Connector>,
    target: &RouteTarget,
    request: Box<RequestHeader>,
    message: &StoredMessage,
) -> (AttemptResult, Option<Duration>) {
    let upstream = forward::Target {
        upstream: target.upstream.clone(),
        resolver: target.resolver.clone(),
    };
    match forward::send(
        connector.clone(),
        &upstream,
        request,
        message.body.clone(),
        target.timeout,
    )
    .await
    {
        Err(ForwardError::TimedOut(_)) => (AttemptResult::Timeout, None),
        Err(
            ForwardError::Unreachable(_)
            | ForwardError::Unresolved(_)
            | ForwardError::BuildRequest(_),
        ) => (AttemptResult::Unreachable, None),
        Ok(mut response) => {
            let status = response.status();
            let retry_after = response.take_header().and_then(|h| {
                h.headers
                    .get(http::header::RETRY_AFTER)
                    .and_then(|v| parse_retry_after(v.as_bytes(), SystemTime::now()))
            });
            let drain = async { while let Ok(Some(_)) = response.next_chunk().await {} };
            let _ = tokio::time::timeout(target.timeout, drain).await;
            response.finish().await;
            (AttemptResult::Status(status), retry_after)
        }
    }
}

/// The request of attempt `attempt`: the stored head sent wholly to `upstream` — the route's
/// current upstream, which may differ from the one the message was accepted for — with the
/// upstream URL's path and the request's own query ([`StoredHead::query`]), `Host` set to the
/// upstream's authority, and `X-Hookgate-Delivery-Id` and `X-Hookgate-Attempt` set (any stored
/// values of those three are replaced).
///
/// Errors: the stored method, path or a header is not valid HTTP (pingora's error).
pub fn request_of(
    head: &StoredHead,
    upstream: &Upstream,
    id: MessageId,
    attempt: u32,
) -> pingora::Result<Box<RequestHeader>> {
    let mut path = upstream.path_and_query.clone();
    if let Some(q) = &head.query {
        path.push(if path.contains('?') { '&' } else { '?' });
        path.push_str(q);
    }
    let mut request = RequestHeader::build_no_case(
        head.method.as_str(),
        path.as_bytes(),
        Some(head.headers.len() + 2),
    )?;
    for (name, value) in &head.headers {
        if name == DELIVERY_ID_HEADER || name == ATTEMPT_HEADER || name == "host" {
            continue;
        }
        request.append_header(name.clone(), value.as_slice())?;
    }
    request.insert_header(http::header::HOST, upstream.authority.as_str())?;
    request.insert_header(DELIVERY_ID_HEADER, id.to_string())?;
    request.insert_header(ATTEMPT_HEADER, attempt.to_string())?;
    Ok(Box::new(request))
}

/// The storable form of an upstream request head (as built for direct mode).
pub fn head_of(request: &RequestHeader) -> StoredHead {
    StoredHead {
        method: request.method.as_str().to_string(),
        path: request.uri.path_and_query().map_or_else(
            || request.uri.path().to_string(),
            |p| p.as_str().to_string(),
        ),
        query: request.uri.query().map(str::to_string),
        headers: request
            .headers
            .iter()
            .map(|(n, v)| (n.as_str().to_string(), v.as_bytes().to_vec()))
            .collect(),
        trace: None,
    }
}

/// Starts an attempt's span (when tracing is on) and sets the request's `traceparent` to it.
fn traced_attempt(
    target: &RouteTarget,
    message: &StoredMessage,
    attempt: u32,
    request: &mut RequestHeader,
) -> Option<AttemptSpan> {
    let tracing = target.tracing.as_ref()?;
    let id = message.info.id.to_string();
    let span = tracing.attempt(&target.route, message.head.trace.as_deref(), &id, attempt);
    if let Some(traceparent) = span.trace.traceparent() {
        request.remove_header("tracestate");
        let _ = request.insert_header("traceparent", traceparent);
    }
    Some(span)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempt_labels_are_the_metric_words() {
        assert_eq!(AttemptResult::Status(204).label(), "2xx");
        assert_eq!(AttemptResult::Status(301).label(), "3xx");
        assert_eq!(AttemptResult::Status(429).label(), "4xx");
        assert_eq!(AttemptResult::Status(503).label(), "5xx");
        assert_eq!(AttemptResult::Timeout.label(), "timeout");
        assert_eq!(AttemptResult::Unreachable.label(), "unreachable");
        assert!(AttemptResult::Status(299).delivered());
        assert!(!AttemptResult::Status(300).delivered());
    }

    #[test]
    fn attempt_request_keeps_the_head_and_sets_our_headers_once() {
        let head = StoredHead {
            method: "POST".into(),
            path: "/old/hook?a=1".into(),
            query: Some("a=1".into()),
            headers: vec![
                ("x-b".into(), vec![0x80, b'x']),
                ("host".into(), b"old.example".to_vec()),
                ("x-hookgate-attempt".into(), b"99".to_vec()),
                ("x-a".into(), b"1".to_vec()),
            ],
            trace: None,
        };
        let id = MessageId(5);
        let upstream = Upstream {
            url: "http://new.example:8080/hook".into(),
            tls: false,
            host: "new.example".into(),
            port: 8080,
            authority: "new.example:8080".into(),
            sni: "new.example".into(),
            path_and_query: "/hook".into(),
        };
        let request = request_of(&head, &upstream, id, 3).unwrap();
        // Wholly the current upstream: its path with the request's query, its Host.
        assert_eq!(request.uri.to_string(), "/hook?a=1");
        let hosts: Vec<_> = request.headers.get_all("host").iter().collect();
        assert_eq!(hosts, vec!["new.example:8080"]);
        let with_query = Upstream {
            path_and_query: "/in?k=v".into(),
            ..upstream.clone()
        };
        let request2 = request_of(&head, &with_query, id, 1).unwrap();
        assert_eq!(request2.uri.to_string(), "/in?k=v&a=1");
        assert_eq!(
            request.headers.get("x-b").unwrap().as_bytes(),
            &[0x80, b'x']
        );
        let attempts: Vec<_> = request.headers.get_all(ATTEMPT_HEADER).iter().collect();
        assert_eq!(attempts, vec!["3"]);
        assert_eq!(
            request.headers.get(DELIVERY_ID_HEADER).unwrap(),
            id.to_string().as_str()
        );
        let back = head_of(&request);
        assert_eq!(back.path, "/hook?a=1");
        assert_eq!(back.query, head.query);
        assert_eq!(back.headers[0], head.headers[0]);
    }
}
