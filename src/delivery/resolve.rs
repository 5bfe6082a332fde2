//! Upstream host names, resolved when the gateway connects, through a cache that keeps an answer
//! for [`RESOLVE_TTL`] (a failed lookup for [`FAILURE_TTL`]). A sidecar may start before its
//! upstream's name exists, and Kubernetes Service endpoints move: resolving once at load would
//! keep a dead address forever.
//!
//! Lookups go through the system resolver (`getaddrinfo`, via [`tokio::net::lookup_host`] on
//! tokio's blocking pool), so `/etc/hosts`, `resolv.conf` search domains and `ndots` apply as for
//! any other program in the container. `getaddrinfo` does not report record TTLs, so the cache
//! time is fixed. One lookup per host runs at a time; requests arriving meanwhile wait for its
//! answer instead of starting their own.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use tokio::time::Instant;

pub use crate::config::upstream_dns::RESOLVE_TTL;
/// How long a failed lookup is remembered (its requests answer 502 without a new lookup), so a
/// burst of webhooks for a name that does not resolve costs one lookup per second, not one each.
pub const FAILURE_TTL: Duration = Duration::from_secs(1);

/// A name lookup: `host` (a DNS name, no brackets) and `port` to socket addresses, best first.
#[async_trait]
pub trait Lookup: Send + Sync {
    async fn lookup(&self, host: &str, port: u16) -> std::io::Result<Vec<SocketAddr>>;
}

/// The system resolver (`getaddrinfo`).
pub struct SystemLookup;

#[async_trait]
impl Lookup for SystemLookup {
    async fn lookup(&self, host: &str, port: u16) -> std::io::Result<Vec<SocketAddr>> {
        Ok(tokio::net::lookup_host((host, port)).await?.collect())
    }
}

/// An upstream host that did not resolve. Names the host and the resolver's reason.
#[derive(Debug, Clone, thiserror::Error)]
#[error("cannot resolve upstream host {host}: {cause}")]
pub struct ResolveError {
    pub host: String,
    pub cause: String,
}

/// Resolves upstream hosts at connect time with a TTL-bounded cache; one per gateway, shared
/// by its routes and kept across reloads. Logs once when a host stops resolving and once when
/// it resolves again (and when its address changes), not per request.
pub struct Resolver {
    lookup: Arc<dyn Lookup>,
    ttl: Duration,
    failure_ttl: Duration,
    /// One entry per upstream `host:port` of the configuration (a bounded set).
    entries: Mutex<HashMap<(String, u16), SharedEntry>>,
}

/// One host's cache slot; its lock is held across a lookup, so concurrent misses share it.
type SharedEntry = Arc<tokio::sync::Mutex<Entry>>;

#[derive(Default)]
struct Entry {
    /// The last answer and until when it is used.
    answer: Option<(Result<SocketAddr, String>, Instant)>,
}

impl std::fmt::Debug for Resolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resolver")
            .field("ttl", &self.ttl)
            .field("failure_ttl", &self.failure_ttl)
            .finish_non_exhaustive()
    }
}

impl Default for Resolver {
    fn default() -> Self {
        Resolver::new(Arc::new(SystemLookup), RESOLVE_TTL, FAILURE_TTL)
    }
}

impl Resolver {
    /// A resolver over `lookup` keeping answers `ttl` and failures `failure_ttl`.
    pub fn new(lookup: Arc<dyn Lookup>, ttl: Duration, failure_ttl: Duration) -> Self {
        Resolver {
            lookup,
            ttl,
            failure_ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The address to connect to for `host` (an IP literal is used as is) and `port`: the cached
    /// answer while it is fresh, else a new lookup's first address.
    pub async fn resolve(&self, host: &str, port: u16) -> Result<SocketAddr, ResolveError> {
        if let Ok(ip) = host.parse::<IpAddr>() {
            return Ok(SocketAddr::new(ip, port));
        }
        let entry = self
            .entries
            .lock()
            .expect("resolver map lock")
            .entry((host.to_string(), port))
            .or_default()
            .clone();
        let mut entry = entry.lock().await;
        let now = Instant::now();
        if let Some((answer, until)) = &entry.answer {
            if now < *until {
                return answer.clone().map_err(|cause| ResolveError {
                    host: host.to_string(),
                    cause,
                });
            }
        }
        let answer = match self.lookup.lookup(host, port).await {
            Ok(addrs) => addrs
                .first()
                .copied()
                .ok_or_else(|| "no address".to_string()),
            Err(e) => Err(e.to_string()),
        };
        let previous = entry.answer.as_ref().map(|(a, _)| a);
        match (&answer, previous) {
            (Err(cause), None | Some(Ok(_))) => tracing::warn!(
                host,
                error = %cause,
                "upstream host does not resolve; its requests answer 502 until it does"
            ),
            (Ok(addr), Some(Err(_))) => {
                tracing::info!(host, address = %addr, "upstream host resolves again")
            }
            (Ok(addr), Some(Ok(old))) if old != addr => {
                tracing::info!(host, address = %addr, previous = %old, "upstream host moved")
            }
            _ => {}
        }
        let ttl = if answer.is_ok() {
            self.ttl
        } else {
            self.failure_ttl
        };
        entry.answer = Some((answer.clone(), now + ttl));
        answer.map_err(|cause| ResolveError {
            host: host.to_string(),
            cause,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A name table the test edits, counting lookups: the cache's logic against a resolver whose
    /// answers change on cue (the binary-level test uses the system resolver).
    #[derive(Default)]
    struct Table {
        names: Mutex<HashMap<String, SocketAddr>>,
        lookups: AtomicUsize,
    }

    #[async_trait]
    impl Lookup for Table {
        async fn lookup(&self, host: &str, port: u16) -> std::io::Result<Vec<SocketAddr>> {
            self.lookups.fetch_add(1, Ordering::SeqCst);
            tokio::task::yield_now().await;
            match self.names.lock().unwrap().get(host) {
                Some(addr) => Ok(vec![SocketAddr::new(addr.ip(), port)]),
                None => Err(std::io::Error::other("Name or service not known")),
            }
        }
    }

    fn addr(text: &str) -> SocketAddr {
        text.parse().unwrap()
    }

    #[tokio::test]
    async fn answers_are_cached_for_the_ttl_then_looked_up_again() {
        let table = Arc::new(Table::default());
        let resolver = Resolver::new(table.clone(), Duration::from_secs(1), FAILURE_TTL);
        table
            .names
            .lock()
            .unwrap()
            .insert("app".into(), addr("10.0.0.1:0"));
        assert_eq!(
            resolver.resolve("app", 80).await.unwrap(),
            addr("10.0.0.1:80")
        );
        // The endpoint moves; the cached answer is used until the TTL is over.
        table
            .names
            .lock()
            .unwrap()
            .insert("app".into(), addr("10.0.0.2:0"));
        assert_eq!(
            resolver.resolve("app", 80).await.unwrap(),
            addr("10.0.0.1:80")
        );
        assert_eq!(table.lookups.load(Ordering::SeqCst), 1);
        tokio::time::sleep(Duration::from_millis(1100)).await;
        assert_eq!(
            resolver.resolve("app", 80).await.unwrap(),
            addr("10.0.0.2:80")
        );
        assert_eq!(table.lookups.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_failure_is_remembered_briefly_and_a_later_name_is_found() {
        let table = Arc::new(Table::default());
        let resolver = Resolver::new(table.clone(), RESOLVE_TTL, Duration::from_secs(1));
        let error = resolver.resolve("late", 3000).await.unwrap_err();
        assert_eq!(error.host, "late");
        assert!(error.to_string().contains("late"), "{error}");
        table
            .names
            .lock()
            .unwrap()
            .insert("late".into(), addr("10.0.0.3:0"));
        assert!(resolver.resolve("late", 3000).await.is_err(), "within 1 s");
        assert_eq!(table.lookups.load(Ordering::SeqCst), 1);
        tokio::time::sleep(Duration::from_millis(1100)).await;
        assert_eq!(
            resolver.resolve("late", 3000).await.unwrap(),
            addr("10.0.0.3:3000")
        );
    }

    #[tokio::test]
    async fn concurrent_requests_share_one_lookup_and_literals_need_none() {
        let table = Arc::new(Table::default());
        table
            .names
            .lock()
            .unwrap()
            .insert("app".into(), addr("10.0.0.1:0"));
        let resolver = Arc::new(Resolver::new(table.clone(), RESOLVE_TTL, FAILURE_TTL));
        let tasks: Vec<_> = (0..16)
            .map(|_| {
                let r = resolver.clone();
                tokio::spawn(async move { r.resolve("app", 80).await.unwrap() })
            })
            .collect();
        for t in tasks {
            assert_eq!(t.await.unwrap(), addr("10.0.0.1:80"));
        }
        assert_eq!(table.lookups.load(Ordering::SeqCst), 1);
        assert_eq!(
            resolver.resolve("::1", 8080).await.unwrap(),
            addr("[::1]:8080")
        );
        assert_eq!(table.lookups.load(Ordering::SeqCst), 1);
    }
}
