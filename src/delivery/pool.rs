//! The gateway's upstream connector: pingora's [`TransportConnector`] makes every connection
//! (TCP, TLS, timeouts, bind addresses); idle kept-alive connections wait in an [`IdlePool`]
//! here rather than in pingora's `ConnectionPool`.
//!
//! Why not pingora's pool: each connection returned to it cost an `Arc<Mutex>` around the
//! stream, the pool's bookkeeping (hot queue, LRU node), and a spawned idle-watch task with a
//! `Notify` and a oneshot, woken again when the connection is taken: about 4 % of the CPU and 5
//! of the 64 heap allocations of a verified, forwarded request (`bench/FINDINGS.md` §21). Here, as
//! nginx keeps idle upstream keep-alive connections, a returned connection is pushed onto a list
//! (no allocation: the list is sized once) with its idle deadline, and:
//! - it is checked when taken, with the same non-blocking one-byte read pingora's pool makes
//!   (`test_reusable_stream`): a connection the upstream closed (EOF), reset (an error) or wrote
//!   to unasked (an app never speaks first on an idle HTTP/1 connection) is dropped, never used
//!   for a request; the newest connection for the peer is tried first, then older ones;
//! - it is closed at its idle deadline by one sweeper task per pool, which exists only while the
//!   list holds connections and wakes at the earliest deadline (not per connection returned);
//! - the list holds at most `keepalive_pool_size` connections (pingora's option, default 128);
//!   returning one more closes the oldest.
//!
//! One difference from pingora's watch: a connection the upstream closes while it is idle is
//! closed here when next taken or at its idle deadline (≤ [`super::forward::UPSTREAM_POOL_IDLE`]
//! later), not at once; until then the socket is in `CLOSE_WAIT` on the gateway's side.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use futures_util::FutureExt;
use pingora::connectors::{ConnectorOptions, TransportConnector};
use pingora::protocols::Stream;
use pingora::upstreams::peer::HttpPeer;
use pingora::Result;
use tokio::io::AsyncReadExt;
use tokio::time::Instant;

/// pingora's default `keepalive_pool_size`.
const DEFAULT_POOL_SIZE: usize = 128;

/// The sweeper wakes at most this often: an idle connection is closed at its deadline or up to
/// this much later, and a busy pool does not wake its sweeper once per connection returned.
const SWEEP_SLACK: Duration = Duration::from_millis(250);

/// Connects to upstreams (pingora's [`TransportConnector`]) and keeps idle connections for
/// reuse ([`IdlePool`]).
pub struct Connector {
    transport: TransportConnector,
    idle: IdlePool,
}

impl Connector {
    /// A connector with pingora's `options` (TLS roots, bind addresses); its
    /// `keepalive_pool_size` bounds the idle list (default 128).
    pub fn new(options: Option<ConnectorOptions>) -> Connector {
        let size = options
            .as_ref()
            .map_or(DEFAULT_POOL_SIZE, |o| o.keepalive_pool_size);
        Connector {
            transport: TransportConnector::new(options),
            idle: IdlePool::new(size),
        }
    }

    /// An idle connection to `peer` that is still open, else a new one (pingora's connector,
    /// with the peer's connect timeout and TLS settings). The flag says whether it was reused.
    ///
    /// Errors: pingora's connect errors (refused, timed out, TLS handshake).
    pub async fn get_stream(&self, peer: &HttpPeer) -> Result<(Stream, bool)> {
        use pingora::upstreams::peer::Peer;
        if let Some(stream) = self.idle.take(peer.reuse_hash()) {
            return Ok((stream, true));
        }
        // Boxed: pingora's connect future (TCP, TLS handshake) is ≈ 8 KiB, and inline it made
        // every enclosing future as large, which is copied per request when the deliverer's
        // future is boxed (`bench/FINDINGS.md` §21). A new connection allocates once here.
        Ok((Box::pin(self.transport.new_stream(peer)).await?, false))
    }

    /// Keeps `stream` (an HTTP/1 connection at a message boundary) for the peer whose
    /// `reuse_hash` is `key`, for at most `idle_timeout`.
    pub fn release_stream(&self, stream: Stream, key: u64, idle_timeout: Duration) {
        self.idle.put(stream, key, idle_timeout);
    }
}

/// Idle upstream connections, newest last, each with its peer's key and its idle deadline.
pub struct IdlePool {
    shared: Arc<Mutex<IdleList>>,
}

struct IdleList {
    conns: Vec<IdleConn>,
    capacity: usize,
    /// Whether a sweeper task is running for this list.
    sweeping: bool,
}

struct IdleConn {
    key: u64,
    deadline: Instant,
    stream: Stream,
}

impl IdlePool {
    /// A pool of at most `capacity` idle connections (0: none are kept).
    pub fn new(capacity: usize) -> IdlePool {
        IdlePool {
            shared: Arc::new(Mutex::new(IdleList {
                conns: Vec::with_capacity(capacity),
                capacity,
                sweeping: false,
            })),
        }
    }

    /// The newest idle connection for `key` that is within its idle deadline and still open
    /// (module docs); the others met on the way are closed.
    pub fn take(&self, key: u64) -> Option<Stream> {
        let now = Instant::now();
        loop {
            let conn = {
                let mut list = lock(&self.shared);
                let at = list.conns.iter().rposition(|c| c.key == key)?;
                list.conns.remove(at)
            };
            let mut stream = conn.stream;
            if conn.deadline > now && still_open(&mut stream) && !closed_by_peer(&stream) {
                return Some(stream);
            }
        }
    }

    /// Keeps `stream` for `key` until `idle_timeout` from now, if it is still open and a tokio
    /// runtime is there to close it at its deadline; else closes it.
    pub fn put(&self, mut stream: Stream, key: u64, idle_timeout: Duration) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        if !still_open(&mut stream) {
            return;
        }
        let deadline = Instant::now() + idle_timeout;
        let (evicted, start_sweeper) = {
            let mut list = lock(&self.shared);
            if list.capacity == 0 {
                return;
            }
            let evicted = (list.conns.len() >= list.capacity).then(|| list.conns.remove(0));
            list.conns.push(IdleConn {
                key,
                deadline,
                stream,
            });
            (evicted, !std::mem::replace(&mut list.sweeping, true))
        };
        drop(evicted);
        if start_sweeper {
            runtime.spawn(sweep(Arc::clone(&self.shared)));
        }
    }

    /// How many connections are idle in the pool.
    pub fn len(&self) -> usize {
        lock(&self.shared).conns.len()
    }

    /// Whether no connection is idle in the pool.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn lock(shared: &Mutex<IdleList>) -> MutexGuard<'_, IdleList> {
    // Nothing panics while holding the lock; a poisoned list is still a valid list.
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Closes the list's connections as their idle deadlines pass; ends when the list is empty (the
/// next [`IdlePool::put`] starts another).
async fn sweep(shared: Arc<Mutex<IdleList>>) {
    // If the runtime drops this task (shutdown), the next `put` on another runtime starts one.
    struct Stopped<'a>(&'a Mutex<IdleList>);
    impl Drop for Stopped<'_> {
        fn drop(&mut self) {
            lock(self.0).sweeping = false;
        }
    }
    let _stopped = Stopped(&shared);
    loop {
        let now = Instant::now();
        let (expired, next) = expire(&mut lock(&shared), now);
        drop(expired);
        let Some(next) = next else {
            return;
        };
        tokio::time::sleep_until(next.max(now + SWEEP_SLACK)).await;
    }
}

/// Takes out the connections whose deadline is past (closed when the caller drops them, outside
/// the lock) and returns the earliest deadline left, if any.
fn expire(list: &mut IdleList, now: Instant) -> (Vec<IdleConn>, Option<Instant>) {
    let mut expired = Vec::new();
    let mut at = 0;
    while at < list.conns.len() {
        if list.conns.get(at).is_some_and(|c| c.deadline <= now) {
            expired.push(list.conns.remove(at));
        } else {
            at += 1;
        }
    }
    let next = list.conns.iter().map(|c| c.deadline).min();
    (expired, next)
}

/// Linux's `TCP_ESTABLISHED` (`tcpi_state` of `TCP_INFO`, `include/net/tcp_states.h`).
const TCP_ESTABLISHED: u8 = 1;

/// Whether the kernel says the upstream closed or reset the connection (its TCP state is no
/// longer `ESTABLISHED`); one `getsockopt(TCP_INFO)`, made only when a connection is taken.
///
/// Why, beside [`still_open`]: that read sees tokio's cached readiness, which the connection's
/// runtime updates only when its driver next polls epoll. An upstream that closes right after
/// answering (without `Connection: close`) has its FIN in the kernel well before a busy runtime
/// notices, and the next request written there failed with 502: 16–19 % of requests with 8
/// concurrent clients (pingora's pool before: 15–18 %), 3.5–4.6 % with this check (the rest: the
/// FIN not yet sent when the connection is taken). Streams without a socket digest (not made by
/// pingora's connector) are judged by [`still_open`] alone.
fn closed_by_peer(stream: &Stream) -> bool {
    stream
        .get_socket_digest()
        .and_then(|digest| digest.tcp_info())
        .is_some_and(|info| info.tcpi_state != TCP_ESTABLISHED)
}

/// Whether an idle HTTP/1 connection can carry a request: a non-blocking one-byte read would
/// block (pingora's `test_reusable_stream`). EOF, an error or unasked data: not reusable.
fn still_open(stream: &mut Stream) -> bool {
    let mut byte = [0u8; 1];
    // `unconstrained`: tokio's cooperative budget could make a ready read return pending.
    match tokio::task::unconstrained(stream.read(&mut byte)).now_or_never() {
        None => true,
        Some(Ok(0)) => false,
        Some(Ok(_)) => {
            tracing::warn!("an idle upstream connection received unasked data; closed");
            false
        }
        Some(Err(_)) => false,
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::AsyncWriteExt;
    use tokio::net::{TcpListener, TcpStream};

    use super::*;

    /// A connected pair: the gateway's side as a pingora stream, and the upstream's side.
    async fn pair(listener: &TcpListener) -> (Stream, TcpStream) {
        let addr = listener.local_addr().unwrap();
        let (ours, theirs) = tokio::join!(TcpStream::connect(addr), listener.accept());
        let ours = pingora::protocols::l4::stream::Stream::from(ours.unwrap());
        (Box::new(ours), theirs.unwrap().0)
    }

    /// Waits for the upstream side to see the gateway close the connection (EOF or reset).
    async fn closed_by_gateway(theirs: &mut TcpStream) {
        let mut buf = [0u8; 16];
        let read = tokio::time::timeout(Duration::from_secs(30), theirs.read(&mut buf)).await;
        match read.expect("the gateway closed the connection") {
            Ok(0) | Err(_) => {}
            Ok(n) => panic!("unexpected {n} bytes from the gateway"),
        }
    }

    /// A returned connection is handed out again for its key only, newest first.
    #[tokio::test]
    async fn an_idle_connection_is_reused_for_its_peer_only_newest_first() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let pool = IdlePool::new(8);
        let (older, _older_peer) = pair(&listener).await;
        let (newer, _newer_peer) = pair(&listener).await;
        let (older_id, newer_id) = (older.id(), newer.id());
        pool.put(older, 1, Duration::from_secs(60));
        pool.put(newer, 1, Duration::from_secs(60));
        assert!(pool.take(2).is_none(), "another peer's key");
        assert_eq!(pool.take(1).unwrap().id(), newer_id);
        assert_eq!(pool.take(1).unwrap().id(), older_id);
        assert!(pool.take(1).is_none());
    }

    /// A pooled connection the upstream closed, or wrote to unasked, is never handed out: it is
    /// closed and the caller connects anew.
    #[tokio::test]
    async fn a_closed_or_chatty_idle_connection_is_never_used() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let pool = IdlePool::new(8);
        let (closed, theirs_closed) = pair(&listener).await;
        let (chatty, mut theirs_chatty) = pair(&listener).await;
        pool.put(closed, 1, Duration::from_secs(60));
        pool.put(chatty, 1, Duration::from_secs(60));
        assert_eq!(pool.len(), 2);
        drop(theirs_closed);
        theirs_chatty
            .write_all(b"HTTP/1.1 408\r\n\r\n")
            .await
            .unwrap();
        // Let the reactor see both sockets become readable.
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(pool.take(1).is_none(), "neither connection is usable");
        assert!(pool.is_empty(), "both were closed");
        closed_by_gateway(&mut theirs_chatty).await;
    }

    /// An upstream that closes its side right after answering (no `Connection: close`): the
    /// FIN is in the kernel but this runtime's driver has not polled epoll since, so tokio's
    /// readiness still says "nothing to read". The connection must not be handed out: a request
    /// written to it fails (502) though a new connection would have delivered it.
    #[tokio::test]
    async fn a_connection_the_upstream_closed_is_not_used_before_the_runtime_notices() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let pool = IdlePool::new(8);
        let (mut ours, theirs) = pair(&listener).await;
        let fd = ours.id();
        ours.set_socket_digest(pingora::protocols::SocketDigest::from_raw_fd(fd));
        pool.put(ours, 1, Duration::from_secs(60));
        drop(theirs);
        // Wait, without yielding to the runtime (no `.await`), until the kernel has the FIN.
        while pingora::protocols::l4::ext::get_tcp_info(fd)
            .unwrap()
            .tcpi_state
            == TCP_ESTABLISHED
        {
            std::thread::yield_now();
        }
        assert!(pool.take(1).is_none(), "a closed connection was handed out");
        assert!(pool.is_empty());
    }

    /// An idle connection is closed at its idle deadline (by the sweeper: nobody takes it), and
    /// the sweeper stops once the list is empty.
    #[tokio::test]
    async fn an_idle_connection_is_closed_at_its_idle_timeout() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let pool = IdlePool::new(8);
        let (ours, mut theirs) = pair(&listener).await;
        pool.put(ours, 1, Duration::from_millis(100));
        closed_by_gateway(&mut theirs).await;
        assert!(pool.is_empty());
        // A later connection gets a sweeper of its own.
        let (ours, mut theirs) = pair(&listener).await;
        pool.put(ours, 1, Duration::from_millis(100));
        closed_by_gateway(&mut theirs).await;
        assert!(pool.is_empty());
    }

    /// The list is bounded: one connection over `capacity` closes the oldest.
    #[tokio::test]
    async fn a_full_pool_closes_its_oldest_connection() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let pool = IdlePool::new(2);
        let (first, mut first_peer) = pair(&listener).await;
        let mut peers = Vec::new();
        pool.put(first, 1, Duration::from_secs(60));
        for _ in 0..2 {
            let (ours, theirs) = pair(&listener).await;
            peers.push(theirs);
            pool.put(ours, 1, Duration::from_secs(60));
        }
        assert_eq!(pool.len(), 2);
        closed_by_gateway(&mut first_peer).await;
    }
}
