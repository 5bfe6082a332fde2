//! [`RedisQueue`]: the [`QueueStore`] contract on Redis Streams (see the module docs of
//! [`super`] for the layout and the guarantees).

use std::collections::{HashMap, HashSet};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use super::conn::{CallError, Conns, Pool};
use super::keys::{routes_key, RouteKeys, GROUP};
use super::metrics::RedisQueueMetrics;
use super::scripts;
use crate::config::queue::RedisQueueSettings;
use crate::delivery::queue::record::encode_head;
use crate::delivery::queue::store::{unix_ms, MessageId, NewMessage, QueueError, Wakeups};

/// Budget of an append (the provider is waiting for its 202).
pub const APPEND_TIMEOUT: Duration = Duration::from_secs(1);
/// Budget of `WAIT` for `min_replicas_acked` (after the append itself).
pub const WAIT_TIMEOUT: Duration = Duration::from_secs(1);
/// Budget of a worker's call (lease, ack, retry, heartbeat).
pub const WORK_TIMEOUT: Duration = Duration::from_secs(2);
/// Budget of an admin call (list and stats read whole routes).
pub const ADMIN_TIMEOUT: Duration = Duration::from_secs(10);
/// How stale the other routes' byte counts may be when an append checks `max_bytes`.
const OTHERS_REFRESH: Duration = Duration::from_secs(1);

/// Settings of a [`RedisQueue`].
#[derive(Clone, Debug)]
pub struct RedisQueueOptions {
    pub settings: RedisQueueSettings,
    /// Bytes all routes' messages may take ([`NewMessage::charged_bytes`]).
    pub max_bytes: u64,
}

impl RedisQueueOptions {
    /// Defaults for everything but the URL, prefix and budget (tests, tools).
    ///
    /// Errors: the URL is not a usable Redis URL.
    pub fn new(url: &str, prefix: &str, max_bytes: u64) -> Result<RedisQueueOptions, String> {
        Ok(RedisQueueOptions {
            settings: RedisQueueSettings {
                url: crate::config::state::RedisUrl::parse(url, None)?,
                prefix: prefix.to_string(),
                min_replicas_acked: 0,
                lease_timeout: crate::config::queue::DEFAULT_LEASE_TIMEOUT,
                append_connections: crate::config::queue::DEFAULT_APPEND_CONNECTIONS,
            },
            max_bytes,
        })
    }
}

/// A message leased by this process: where it is, for ack/retry/dead and the heartbeat.
#[derive(Clone, Debug)]
pub(super) struct Held {
    pub route: String,
    pub sid: String,
}

/// The queue on Redis Streams. Cheap to share (`Arc`); every method is safe concurrently.
pub struct RedisQueue {
    pub(super) inner: Arc<Inner>,
}

pub(super) struct Inner {
    pub conns: Conns,
    pub prefix: String,
    /// This process's consumer name: `<host>:<pid>:<random>`, new at every start.
    pub consumer: String,
    pub max_bytes: u64,
    pub lease_timeout: Duration,
    pub min_replicas: u32,
    pub held: Mutex<HashMap<MessageId, Held>>,
    /// Routes registered in the routes set by this process.
    pub registered: Mutex<HashSet<String>>,
    /// Routes this process leases from (the heartbeat and reclaim passes cover these).
    pub active: Mutex<HashSet<String>>,
    pub maintaining: AtomicBool,
    /// When the maintenance pass last deleted idle consumers (see `forget.lua`).
    pub last_forget: Mutex<Option<Instant>>,
    /// Bytes of every route, as last read, and when.
    pub route_bytes: Mutex<(Option<Instant>, HashMap<String, u64>)>,
    pub last_id: Mutex<u128>,
    /// Random bits that keep two gateways' IDs of the same millisecond apart.
    pub node: u128,
    pub wakeups: Wakeups,
}

pub(super) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl RedisQueue {
    /// A queue on `options` (no I/O: Redis may be down; calls fail until it answers).
    ///
    /// Errors: redis-rs refuses the URL.
    pub fn new(
        options: RedisQueueOptions,
        metrics: RedisQueueMetrics,
    ) -> Result<RedisQueue, QueueError> {
        let s = options.settings;
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "hookgate".into());
        let consumer = format!(
            "{host}:{}:{:08x}",
            std::process::id(),
            rand::random::<u32>()
        );
        Ok(RedisQueue {
            inner: Arc::new(Inner {
                conns: Conns::new(&s.url, s.append_connections, metrics)?,
                prefix: s.prefix,
                consumer,
                max_bytes: options.max_bytes,
                lease_timeout: s.lease_timeout,
                min_replicas: s.min_replicas_acked,
                held: Mutex::default(),
                registered: Mutex::default(),
                active: Mutex::default(),
                maintaining: AtomicBool::new(false),
                last_forget: Mutex::new(None),
                route_bytes: Mutex::new((None, HashMap::new())),
                last_id: Mutex::new(0),
                node: u128::from(rand::random::<u32>()) << 32,
                wakeups: Wakeups::default(),
            }),
        })
    }

    /// The consumer name this process leases under.
    pub fn consumer(&self) -> &str {
        &self.inner.consumer
    }

    pub fn metrics(&self) -> &RedisQueueMetrics {
        &self.inner.conns.metrics
    }
}

impl Inner {
    /// A worker or maintenance call that may be sent twice ([`Conns::run_idempotent`]) on the
    /// work connection within [`WORK_TIMEOUT`]; `op` labels its metrics.
    pub(super) async fn work_call<T, F, Fut>(&self, op: &str, call: F) -> Result<T, CallError>
    where
        F: Fn(redis::aio::ConnectionManager) -> Fut,
        Fut: std::future::Future<Output = Result<T, redis::RedisError>>,
    {
        self.conns
            .run_idempotent(Pool::Work, op, WORK_TIMEOUT, call)
            .await
    }

    pub fn keys(&self, route: &str) -> RouteKeys {
        RouteKeys::new(&self.prefix, route)
    }

    /// A delivery ID: append time (ms) in the top 64 bits, then this process's random bits and
    /// a sequence, so IDs of one process sort by arrival and two processes' IDs differ.
    fn next_id(&self) -> MessageId {
        let now = u128::from(unix_ms(SystemTime::now()));
        let mut last = lock(&self.last_id);
        *last = (*last + 1).max((now << 64) | self.node);
        MessageId(*last)
    }

    /// Adds `route` to the routes set once per process (before its first append, so no message
    /// is ever in a route the admin calls cannot find).
    async fn register(&self, route: &str) -> Result<(), CallError> {
        if lock(&self.registered).contains(route) {
            return Ok(());
        }
        let key = &routes_key(&self.prefix);
        self.conns
            .run_idempotent(
                Pool::Append,
                "append",
                APPEND_TIMEOUT,
                move |mut c| async move {
                    redis::cmd("SADD")
                        .arg(key)
                        .arg(route)
                        .query_async::<()>(&mut c)
                        .await
                },
            )
            .await?;
        lock(&self.registered).insert(route.to_string());
        Ok(())
    }

    /// Every route that ever queued under the prefix.
    pub async fn routes(&self, budget: Duration) -> Result<Vec<String>, QueueError> {
        self.routes_raw(budget).await.map_err(CallError::into_queue)
    }

    async fn routes_raw(&self, budget: Duration) -> Result<Vec<String>, CallError> {
        let key = &routes_key(&self.prefix);
        let mut routes: Vec<String> = self
            .conns
            .run_idempotent(Pool::Work, "admin", budget, move |mut c| async move {
                redis::cmd("SMEMBERS").arg(key).query_async(&mut c).await
            })
            .await?;
        routes.sort();
        Ok(routes)
    }

    /// Bytes held by routes other than `route` (refreshed at most every second).
    async fn others_bytes(&self, route: &str) -> Result<u64, QueueError> {
        let fresh = lock(&self.route_bytes)
            .0
            .is_some_and(|at| at.elapsed() < OTHERS_REFRESH);
        if !fresh {
            // Once more on a fresh connection when a pooled one was dropped (see `append`).
            if let Err(CallError::Connection(_)) = self.refresh_others().await {
                self.refresh_others().await.map_err(CallError::into_queue)?;
            }
        }
        let bytes = lock(&self.route_bytes);
        Ok(bytes
            .1
            .iter()
            .filter(|(r, _)| r.as_str() != route)
            .map(|(_, b)| *b)
            .sum())
    }

    /// Reads every route's byte count into `route_bytes`.
    async fn refresh_others(&self) -> Result<(), CallError> {
        let routes = self.routes_raw(APPEND_TIMEOUT).await?;
        let keys: Vec<String> = routes.iter().map(|r| self.keys(r).bytes).collect();
        let counts: Vec<Option<u64>> = if keys.is_empty() {
            Vec::new()
        } else {
            self.conns
                .run(Pool::Append, "append", APPEND_TIMEOUT, |mut c| async move {
                    let mut pipe = redis::pipe();
                    for k in &keys {
                        pipe.cmd("GET").arg(k);
                    }
                    pipe.query_async(&mut c).await
                })
                .await?
        };
        let map = routes
            .into_iter()
            .zip(counts.into_iter().map(Option::unwrap_or_default))
            .collect();
        *lock(&self.route_bytes) = (Some(Instant::now()), map);
        Ok(())
    }

    /// Appends `message`: durable (as the server's persistence makes it) once `Ok`.
    pub async fn append(&self, message: NewMessage) -> Result<MessageId, QueueError> {
        let size = message.charged_bytes();
        self.register(&message.route)
            .await
            .map_err(CallError::into_queue)?;
        let others = self.others_bytes(&message.route).await?;
        let room = self.max_bytes.saturating_sub(others);
        let head = encode_head(&message.head);
        let mut resent = false;
        let mut id = self.next_id();
        for _ in 0..3 {
            let raw = match self.append_once(&message, id, &head, size, room).await {
                // A pooled connection that Redis dropped (a restart, a failover, an idle
                // timeout) fails on its first use: send once more on a fresh connection, with
                // the same delivery ID, rather than answer 503 while Redis is up.
                Err(CallError::Connection(_)) if !resent => {
                    resent = true;
                    continue;
                }
                other => other.map_err(CallError::into_queue)?,
            };
            match self.append_reply(raw)? {
                AppendReply::Done => {
                    self.wakeups.due(&message.route, 1);
                    return Ok(id);
                }
                // The first send landed before its connection dropped: that append stands.
                AppendReply::Taken if resent => return self.landed_before_drop(&message.route, id),
                AppendReply::Taken => id = self.next_id(),
                AppendReply::Full(held) => {
                    self.conns.metrics.call("append", "full");
                    return Err(QueueError::Full {
                        held: held + others,
                        wanted: size,
                        max_bytes: self.max_bytes,
                    });
                }
            }
        }
        Err(QueueError::Unavailable(
            "no free delivery ID after 3 tries".into(),
        ))
    }

    /// The resent append found its own first send in Redis: acknowledged, unless replicas had
    /// to confirm it (the first send's `WAIT` never answered).
    fn landed_before_drop(&self, route: &str, id: MessageId) -> Result<MessageId, QueueError> {
        if self.min_replicas > 0 {
            return Err(QueueError::Unavailable(
                "the connection dropped before the replicas confirmed the append (it stays \
                 queued; a provider retry may be delivered twice)"
                    .into(),
            ));
        }
        self.wakeups.due(route, 1);
        Ok(id)
    }

    async fn append_once(
        &self,
        message: &NewMessage,
        id: MessageId,
        head: &[u8],
        size: u64,
        room: u64,
    ) -> Result<(Vec<i64>, Option<i64>), CallError> {
        let keys = self.keys(&message.route);
        let replicas = self.min_replicas;
        let budget = APPEND_TIMEOUT
            + if replicas > 0 {
                WAIT_TIMEOUT
            } else {
                Duration::ZERO
            };
        let event = message.event_id.as_deref().unwrap_or("");
        self.conns
            .run(Pool::Append, "append", budget, |mut c| async move {
                let mut call = scripts::APPEND.prepare_invoke();
                call.key(&keys.stream).key(&keys.meta).key(&keys.bytes);
                call.arg(GROUP)
                    .arg(id.to_string())
                    .arg(head)
                    .arg(&message.body[..]);
                call.arg(event).arg(size).arg(room);
                let reply: redis::Value = call.invoke_async(&mut c).await?;
                let acked = if replicas > 0 && first_int(&reply) == Some(1) {
                    let ms = WAIT_TIMEOUT.as_millis() as u64;
                    let cmd = redis::cmd("WAIT").arg(replicas).arg(ms).to_owned();
                    Some(cmd.query_async::<i64>(&mut c).await?)
                } else {
                    None
                };
                Ok((ints(&reply), acked))
            })
            .await
    }

    fn append_reply(&self, reply: (Vec<i64>, Option<i64>)) -> Result<AppendReply, QueueError> {
        match (reply.0.first(), reply.1) {
            (Some(1), Some(acked)) if acked < i64::from(self.min_replicas) => {
                self.conns.metrics.call("append", "replicas");
                Err(QueueError::Unavailable(format!(
                    "only {acked} of min_replicas_acked = {} replicas confirmed the append \
                     within {WAIT_TIMEOUT:?} (it stays queued; a provider retry may be delivered twice)",
                    self.min_replicas
                )))
            }
            (Some(1), _) => Ok(AppendReply::Done),
            (Some(0), _) => Ok(AppendReply::Full(
                reply.0.get(1).copied().unwrap_or(0).max(0) as u64,
            )),
            (Some(2), _) => Ok(AppendReply::Taken),
            _ => Err(QueueError::Unavailable(
                "unexpected reply from the append script".into(),
            )),
        }
    }
}

enum AppendReply {
    Done,
    Full(u64),
    Taken,
}

fn first_int(v: &redis::Value) -> Option<i64> {
    match v {
        redis::Value::Array(items) => match items.first() {
            Some(redis::Value::Int(n)) => Some(*n),
            _ => None,
        },
        _ => None,
    }
}

/// The integers of an array reply (other items as 0: the stream ID is not needed).
fn ints(v: &redis::Value) -> Vec<i64> {
    match v {
        redis::Value::Array(items) => items
            .iter()
            .map(|i| match i {
                redis::Value::Int(n) => *n,
                _ => 0,
            })
            .collect(),
        _ => Vec::new(),
    }
}
