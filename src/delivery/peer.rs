//! The upstream peer as the connection pool sees it: pingora's [`HttpPeer`], minus the
//! `getpeername` pingora makes on every reuse of a pooled connection.
//!
//! pingora's default `Peer::matches_fd` checks, each time a pooled connection is taken, that the
//! socket is still connected to the peer's address (a `getpeername` per request on a kept-alive
//! upstream: one syscall in eight, `bench/FINDINGS.md` §12). The pool is keyed by the peer's
//! `reuse_hash` (address, TLS, SNI and options), and a connection only enters it from an
//! exchange with that same peer, so the check can fail only on a 64-bit hash collision. A
//! connection the upstream closed or reset is still caught by the pool's own non-blocking read
//! before reuse (pingora's `test_reusable_stream`), and by the idle watch while it is pooled.

use std::fmt;

use pingora::protocols::l4::socket::SocketAddr;
use pingora::upstreams::peer::{HttpPeer, Peer, PeerOptions};

/// An [`HttpPeer`] whose pooled connections are reused without the per-reuse `getpeername`
/// (module docs). Wraps what [`super::forward::peer_for`] builds, which sets no proxy, client
/// certificate or tracer, so the trait's defaults for those are the `HttpPeer`'s too.
#[derive(Clone, Debug)]
pub struct PooledPeer(pub HttpPeer);

impl fmt::Display for PooledPeer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl Peer for PooledPeer {
    fn address(&self) -> &SocketAddr {
        self.0.address()
    }

    fn tls(&self) -> bool {
        self.0.tls()
    }

    fn sni(&self) -> &str {
        self.0.sni()
    }

    fn reuse_hash(&self) -> u64 {
        self.0.reuse_hash()
    }

    fn get_peer_options(&self) -> Option<&PeerOptions> {
        self.0.get_peer_options()
    }

    fn get_mut_peer_options(&mut self) -> Option<&mut PeerOptions> {
        self.0.get_mut_peer_options()
    }

    /// The pool's key already names this peer (module docs): no `getpeername`.
    #[cfg(unix)]
    fn matches_fd<V: std::os::unix::io::AsRawFd>(&self, _fd: V) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The wrapper is the same pool key and connection settings as the peer it wraps: a
    /// connection pooled for one is found for the other, and the options (TLS, timeouts) hold.
    #[test]
    fn a_pooled_peer_is_its_http_peer_for_the_pool() {
        let mut http = HttpPeer::new("127.0.0.1:8443", true, "hooks.example".into());
        http.options.idle_timeout = Some(std::time::Duration::from_secs(4));
        let pooled = PooledPeer(http.clone());
        assert_eq!(pooled.reuse_hash(), http.reuse_hash());
        assert_eq!(pooled.address(), http.address());
        assert!(pooled.tls());
        assert_eq!(pooled.sni(), "hooks.example");
        assert_eq!(pooled.idle_timeout(), http.idle_timeout());
        assert_eq!(pooled.to_string(), http.to_string());
    }
}
