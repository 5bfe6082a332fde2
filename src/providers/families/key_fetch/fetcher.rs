//! The fetch-and-cache engine of the key-fetching schemes: an HTTPS client restricted to a host
//! allowlist, with connect and total timeouts and a response size cap; a cache by URL or key ID
//! with expiry, stale-while-revalidate and short negative entries; single-flight, so concurrent
//! misses on one key make one request; and a counter per outcome.
//!
//! The request path never waits on a cached key: [`KeyFetcher::prepare`] answers `None` for a
//! fresh entry, and for a stale one too (refreshing it in the background).

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::future::{BoxFuture, FutureExt, Shared};

use super::allowlist::HostAllowlist;
use super::counters::FetchCounters;
use crate::providers::{Prepare, Rejection};

/// How one provider's keys are fetched and cached.
#[derive(Debug, Clone)]
pub struct FetchSettings {
    /// The preset name: the `provider` label of the counters.
    pub provider: &'static str,
    pub allowlist: HostAllowlist,
    /// PEM certificates that replace the built-in (webpki) roots for the key server's TLS.
    pub ca_pem: Option<Vec<u8>>,
    pub connect_timeout: Duration,
    /// Bound on a whole fetch: waiting for a fetch slot, connecting, and reading the body.
    pub timeout: Duration,
    /// Largest accepted response body, in bytes.
    pub max_bytes: usize,
    /// How long a key is fresh when the response has no `Cache-Control: max-age`.
    pub fresh_for: Duration,
    /// Upper bound on a server-given `max-age`.
    pub max_fresh: Duration,
    /// How long past freshness a key is still used while a refresh runs in the background.
    pub stale_for: Duration,
    /// How long a definitive failure (4xx, not a key, too large) is remembered.
    pub negative_for: Duration,
    /// How long a transient failure (timeout, unreachable, 5xx) is remembered.
    pub retry_after: Duration,
    /// Cache entries at most (bounded memory whatever URLs or key IDs senders present).
    pub max_entries: usize,
    /// Fetches in flight at most.
    pub max_concurrent: usize,
}

impl FetchSettings {
    /// Defaults for `provider`, fetching only from `allowlist`.
    pub fn new(provider: &'static str, allowlist: HostAllowlist) -> FetchSettings {
        FetchSettings {
            provider,
            allowlist,
            ca_pem: None,
            connect_timeout: Duration::from_secs(2),
            timeout: Duration::from_secs(5),
            max_bytes: 64 * 1024,
            fresh_for: Duration::from_secs(3600),
            max_fresh: Duration::from_secs(24 * 3600),
            stale_for: Duration::from_secs(24 * 3600),
            negative_for: Duration::from_secs(60),
            retry_after: Duration::from_secs(1),
            max_entries: 256,
            max_concurrent: 4,
        }
    }
}

/// What to request. The body may carry credentials (Plaid): it is never logged or printed.
#[derive(Clone)]
pub enum FetchRequest {
    Get(String),
    PostJson { url: String, body: Vec<u8> },
}

impl FetchRequest {
    fn url(&self) -> &str {
        match self {
            FetchRequest::Get(url) | FetchRequest::PostJson { url, .. } => url,
        }
    }
}

/// Why a key could not be had.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error("key URL refused: not https, or host not allowed")]
    Refused,
    #[error("key server timed out")]
    Timeout,
    #[error("key server unreachable")]
    Unreachable,
    #[error("key server answered HTTP {0}")]
    Status(u16),
    /// A 3xx answer: the key is not at the provider's URL (it is not followed: the target could
    /// be anywhere). Definitive, like a refused URL.
    #[error("key URL redirected (HTTP {0}); redirects are not followed")]
    Redirected(u16),
    #[error("key response over the size cap")]
    TooLarge,
    #[error("key response is not a usable key")]
    Invalid,
}

impl FetchError {
    /// The counter label.
    pub fn outcome(self) -> &'static str {
        match self {
            FetchError::Refused => "refused",
            FetchError::Timeout => "timeout",
            FetchError::Unreachable => "unreachable",
            FetchError::Status(_) => "http_error",
            FetchError::Redirected(_) => "redirected",
            FetchError::TooLarge => "too_large",
            FetchError::Invalid => "invalid",
        }
    }

    /// Definitive answers about the key (it does not exist, it is not a key, the URL is not the
    /// provider's) make the request's signature unverifiable: 401. A key server that is down or
    /// slow says nothing about the request: [`Rejection::KeyUnavailable`] (503), so the provider
    /// retries instead of dropping the delivery.
    pub fn rejection(self) -> Rejection {
        if self.is_transient() {
            Rejection::KeyUnavailable
        } else {
            Rejection::BadSignature
        }
    }

    fn is_transient(self) -> bool {
        match self {
            FetchError::Timeout | FetchError::Unreachable => true,
            FetchError::Status(s) => !(400..500).contains(&s),
            FetchError::Refused
            | FetchError::Redirected(_)
            | FetchError::TooLarge
            | FetchError::Invalid => false,
        }
    }
}

/// Turns a response body into the cached value, or says why it is not one.
pub type Parse<V> = fn(&[u8]) -> Result<V, String>;

/// A cache entry as seen by a scheme.
pub enum Lookup<V> {
    /// Usable without a fetch. `age` is the time since it was fetched.
    Fresh {
        value: Arc<V>,
        age: Duration,
    },
    /// Past freshness but within the stale window: usable, a refresh is due.
    Stale {
        value: Arc<V>,
    },
    /// A recent fetch failed; the failure stands until it expires.
    Failed(FetchError),
    Missing,
}

enum Slot<V> {
    Key {
        value: Arc<V>,
        fetched: Instant,
        fresh_until: Instant,
        stale_until: Instant,
    },
    Failed {
        error: FetchError,
        until: Instant,
    },
}

impl<V> Slot<V> {
    fn expires(&self) -> Instant {
        match self {
            Slot::Key { stale_until, .. } => *stale_until,
            Slot::Failed { until, .. } => *until,
        }
    }
}

type InFlight<V> = Shared<BoxFuture<'static, Result<Arc<V>, FetchError>>>;

struct Inner<V> {
    settings: FetchSettings,
    client: reqwest::Client,
    parse: Parse<V>,
    counters: FetchCounters,
    slots: Mutex<HashMap<String, Slot<V>>>,
    inflight: Mutex<HashMap<String, InFlight<V>>>,
    permits: tokio::sync::Semaphore,
}

/// Fetches and caches values of type `V` (a parsed certificate, a JWK set, …). Cheap to clone.
pub struct KeyFetcher<V> {
    inner: Arc<Inner<V>>,
}

impl<V> Clone for KeyFetcher<V> {
    fn clone(&self) -> Self {
        KeyFetcher {
            inner: self.inner.clone(),
        }
    }
}

impl<V: Send + Sync + 'static> KeyFetcher<V> {
    /// A fetcher with its own HTTPS client. Errors when `ca_pem` holds no usable certificate.
    pub fn new(
        settings: FetchSettings,
        parse: Parse<V>,
        counters: FetchCounters,
    ) -> Result<KeyFetcher<V>, String> {
        let client = client(&settings)?;
        let permits = tokio::sync::Semaphore::new(settings.max_concurrent.max(1));
        Ok(KeyFetcher {
            inner: Arc::new(Inner {
                settings,
                client,
                parse,
                counters,
                slots: Mutex::new(HashMap::new()),
                inflight: Mutex::new(HashMap::new()),
                permits,
            }),
        })
    }

    pub fn settings(&self) -> &FetchSettings {
        &self.inner.settings
    }

    /// Whether `url` may be fetched (https, allowed host and port). Checked again by every fetch.
    pub fn allowed(&self, url: &str) -> bool {
        self.inner.settings.allowlist.check(url).is_some()
    }

    /// Counts a key URL refused by the allowlist before any request (outcome `refused`).
    pub fn refused(&self) -> Rejection {
        let inner = &self.inner;
        inner.counters.count(inner.settings.provider, "refused");
        FetchError::Refused.rejection()
    }

    /// The cache entry for `key`, without any network activity.
    pub fn lookup(&self, key: &str) -> Lookup<V> {
        let now = Instant::now();
        let slots = self
            .inner
            .slots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match slots.get(key) {
            None => Lookup::Missing,
            Some(Slot::Failed { error, until }) if *until > now => Lookup::Failed(*error),
            Some(Slot::Failed { .. }) => Lookup::Missing,
            Some(Slot::Key {
                value,
                fetched,
                fresh_until,
                stale_until,
            }) => {
                if *fresh_until > now {
                    Lookup::Fresh {
                        value: value.clone(),
                        age: now.duration_since(*fetched),
                    }
                } else if *stale_until > now {
                    Lookup::Stale {
                        value: value.clone(),
                    }
                } else {
                    Lookup::Missing
                }
            }
        }
    }

    /// The value for `verify`: fresh or stale → it; failed → that failure's rejection; missing
    /// (no `prepare` ran, or the entry expired in between) → [`Rejection::KeyUnavailable`].
    pub fn get(&self, key: &str) -> Result<Arc<V>, Rejection> {
        match self.lookup(key) {
            Lookup::Fresh { value, .. } | Lookup::Stale { value } => Ok(value),
            Lookup::Failed(e) => Err(e.rejection()),
            Lookup::Missing => Err(Rejection::KeyUnavailable),
        }
    }

    /// The [`crate::providers::Scheme::prepare`] of a scheme keyed by `key`: `None` when the
    /// entry is fresh, failed (verify rejects from the cache) or stale (a background refresh is
    /// started); otherwise a future that fetches it (single-flight).
    pub fn prepare(
        &self,
        key: &str,
        request: impl FnOnce() -> FetchRequest,
    ) -> Option<Prepare<'static>> {
        match self.lookup(key) {
            Lookup::Fresh { .. } | Lookup::Failed(_) => None,
            Lookup::Stale { .. } => {
                self.refresh_in_background(key, request());
                None
            }
            Lookup::Missing => Some(self.fetch_for_prepare(key, request())),
        }
    }

    /// A future for `prepare` that fetches `key` now, whatever the cache holds.
    pub fn fetch_for_prepare(&self, key: &str, request: FetchRequest) -> Prepare<'static> {
        let fetch = self.fetch(key.to_string(), request);
        Box::pin(async move { fetch.await.map(|_| ()).map_err(FetchError::rejection) })
    }

    /// Starts a refresh of `key` unless one is running. Needs a Tokio runtime; without one the
    /// stale value is simply used until a request finds the entry missing.
    pub fn refresh_in_background(&self, key: &str, request: FetchRequest) {
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            handle.spawn(self.fetch(key.to_string(), request));
        }
    }

    /// Fetches `key` from `request`, joining a fetch of the same key already in flight. The
    /// fetch itself runs as its own task, so it completes (and fills the cache) even when every
    /// request waiting on it gives up.
    pub fn fetch(
        &self,
        key: String,
        request: FetchRequest,
    ) -> impl Future<Output = Result<Arc<V>, FetchError>> + Send + 'static {
        let shared = {
            let mut inflight = self
                .inner
                .inflight
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some(existing) = inflight.get(&key) {
                existing.clone()
            } else {
                let inner = self.inner.clone();
                let task_key = key.clone();
                let fut: BoxFuture<'static, Result<Arc<V>, FetchError>> = async move {
                    match tokio::spawn(Inner::fetch_and_store(inner, task_key, request)).await {
                        Ok(result) => result,
                        Err(_) => Err(FetchError::Unreachable),
                    }
                }
                .boxed();
                let shared = fut.shared();
                inflight.insert(key, shared.clone());
                shared
            }
        };
        shared
    }

    /// A one-off GET of an allowed URL that is not cached (SNS `SubscribeURL`): `Ok` on 2xx.
    /// Counted as `confirmed` / `confirm_failed` (or `refused`).
    pub fn confirm(
        &self,
        url: String,
    ) -> impl Future<Output = Result<(), FetchError>> + Send + 'static {
        let inner = self.inner.clone();
        async move {
            let result = match inner.settings.allowlist.check(&url) {
                None => Err(FetchError::Refused),
                Some(_) => inner
                    .bounded_request(&FetchRequest::Get(url))
                    .await
                    .map(|_| ()),
            };
            let outcome = match result {
                Ok(()) => "confirmed",
                Err(FetchError::Refused) => "refused",
                Err(_) => "confirm_failed",
            };
            inner.counters.count(inner.settings.provider, outcome);
            result
        }
    }
}

impl<V: Send + Sync + 'static> Inner<V> {
    async fn fetch_and_store(
        inner: Arc<Inner<V>>,
        key: String,
        request: FetchRequest,
    ) -> Result<Arc<V>, FetchError> {
        let result = if inner.settings.allowlist.check(request.url()).is_none() {
            Err(FetchError::Refused)
        } else {
            match inner.bounded_request(&request).await {
                Ok((body, max_age)) => (inner.parse)(&body)
                    .map(|v| (Arc::new(v), max_age))
                    .map_err(|_| FetchError::Invalid),
                Err(e) => Err(e),
            }
        };
        let outcome = match &result {
            Ok(_) => "fetched",
            Err(e) => e.outcome(),
        };
        inner.counters.count(inner.settings.provider, outcome);
        inner.store(&key, &result);
        inner
            .inflight
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&key);
        result.map(|(value, _)| value)
    }

    fn store(&self, key: &str, result: &Result<(Arc<V>, Option<Duration>), FetchError>) {
        let s = &self.settings;
        let now = Instant::now();
        let mut slots = self
            .slots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let slot = match result {
            Ok((value, max_age)) => {
                let fresh = max_age.unwrap_or(s.fresh_for).min(s.max_fresh);
                Slot::Key {
                    value: value.clone(),
                    fetched: now,
                    fresh_until: now + fresh,
                    stale_until: now + fresh + s.stale_for,
                }
            }
            Err(error) => {
                // A failed refresh keeps serving the stale key until its window ends.
                if let Some(Slot::Key { stale_until, .. }) = slots.get(key) {
                    if *stale_until > now {
                        return;
                    }
                }
                let ttl = if error.is_transient() {
                    s.retry_after
                } else {
                    s.negative_for
                };
                Slot::Failed {
                    error: *error,
                    until: now + ttl,
                }
            }
        };
        if !slots.contains_key(key) && slots.len() >= s.max_entries {
            slots.retain(|_, v| v.expires() > now);
            if slots.len() >= s.max_entries {
                if let Some(oldest) = slots
                    .iter()
                    .min_by_key(|(_, v)| v.expires())
                    .map(|(k, _)| k.clone())
                {
                    slots.remove(&oldest);
                }
            }
        }
        slots.insert(key.to_string(), slot);
    }

    /// One request within the total timeout (which includes waiting for a fetch slot): the body
    /// (at most `max_bytes`) and the `Cache-Control: max-age`, on a 2xx answer.
    async fn bounded_request(
        &self,
        request: &FetchRequest,
    ) -> Result<(Vec<u8>, Option<Duration>), FetchError> {
        match tokio::time::timeout(self.settings.timeout, self.request(request)).await {
            Ok(result) => result,
            Err(_) => Err(FetchError::Timeout),
        }
    }

    async fn request(
        &self,
        request: &FetchRequest,
    ) -> Result<(Vec<u8>, Option<Duration>), FetchError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| FetchError::Unreachable)?;
        let builder = match request {
            FetchRequest::Get(url) => self.client.get(url),
            FetchRequest::PostJson { url, body } => self
                .client
                .post(url)
                .header(http::header::CONTENT_TYPE, "application/json")
                .body(body.clone()),
        };
        let mut response = builder.send().await.map_err(transport_error)?;
        let status = response.status();
        if status.is_redirection() {
            return Err(FetchError::Redirected(status.as_u16()));
        }
        if !status.is_success() {
            return Err(FetchError::Status(status.as_u16()));
        }
        let max = self.settings.max_bytes;
        if response.content_length().is_some_and(|n| n > max as u64) {
            return Err(FetchError::TooLarge);
        }
        let max_age = response
            .headers()
            .get(http::header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok())
            .and_then(max_age);
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport_error)? {
            if body.len() + chunk.len() > max {
                return Err(FetchError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        Ok((body, max_age))
    }
}

fn transport_error(e: reqwest::Error) -> FetchError {
    if e.is_timeout() {
        FetchError::Timeout
    } else {
        FetchError::Unreachable
    }
}

/// `max-age=N` of a `Cache-Control` value (RFC 9111 §5.2.2.1), if any.
fn max_age(value: &str) -> Option<Duration> {
    value.split(',').find_map(|directive| {
        let (name, seconds) = directive.trim().split_once('=')?;
        if name.trim().eq_ignore_ascii_case("max-age") {
            seconds
                .trim()
                .trim_matches('"')
                .parse()
                .ok()
                .map(Duration::from_secs)
        } else {
            None
        }
    })
}

/// The HTTPS-only client (plain HTTP too for an allowlist that admits it: AIA issuers): no
/// redirects (a redirect could leave the allowlist), no proxy from the environment (the
/// allowlist is about where keys come from), the route's CA bundle if it has one, else the
/// built-in webpki roots.
fn client(settings: &FetchSettings) -> Result<reqwest::Client, String> {
    let mut builder = reqwest::Client::builder()
        .use_rustls_tls()
        .https_only(!settings.allowlist.admits_http())
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .connect_timeout(settings.connect_timeout)
        .timeout(settings.timeout)
        .user_agent(concat!("hookgate/", env!("CARGO_PKG_VERSION")));
    if let Some(pem) = &settings.ca_pem {
        let certs = reqwest::Certificate::from_pem_bundle(pem)
            .map_err(|e| format!("not a PEM certificate bundle: {e}"))?;
        if certs.is_empty() {
            return Err("no certificate in the CA bundle".into());
        }
        builder = builder.tls_built_in_root_certs(false);
        for cert in certs {
            builder = builder.add_root_certificate(cert);
        }
    }
    builder
        .build()
        .map_err(|e| format!("cannot build the HTTPS client: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::families::key_fetch::testserver::{Answer, KeyServer};

    fn text(body: &[u8]) -> Result<String, String> {
        String::from_utf8(body.to_vec()).map_err(|e| e.to_string())
    }

    fn fetcher(
        server: &KeyServer,
        tune: impl FnOnce(&mut FetchSettings),
    ) -> (KeyFetcher<String>, FetchCounters) {
        let mut settings =
            FetchSettings::new("test", HostAllowlist::new(&[server.host()]).unwrap());
        settings.ca_pem = Some(server.ca_pem.clone().into_bytes());
        tune(&mut settings);
        let counters = FetchCounters::new();
        (
            KeyFetcher::new(settings, text, counters.clone()).unwrap(),
            counters,
        )
    }

    #[tokio::test]
    async fn concurrent_misses_make_one_fetch() {
        let server = KeyServer::start();
        server.set(
            "/k",
            Answer {
                delay: Duration::from_millis(200),
                ..Answer::ok("key")
            },
        );
        let (f, counters) = fetcher(&server, |_| {});
        let url = server.url("/k");
        let waits: Vec<_> = (0..16)
            .map(|_| {
                f.prepare(&url, || FetchRequest::Get(url.clone()))
                    .expect("a miss")
            })
            .collect();
        for result in futures_util::future::join_all(waits).await {
            assert_eq!(result, Ok(()));
        }
        assert_eq!(server.hits("/k"), 1);
        assert_eq!(counters.get("test", "fetched"), 1);
        // A hit: no future, no request.
        assert!(f.prepare(&url, || FetchRequest::Get(url.clone())).is_none());
        assert_eq!(*f.get(&url).unwrap(), "key");
        assert_eq!(server.hits("/k"), 1);
    }

    #[tokio::test]
    async fn a_slow_key_server_is_bounded_by_the_fetch_timeout() {
        let server = KeyServer::start();
        server.set(
            "/slow",
            Answer {
                delay: Duration::from_secs(20),
                ..Answer::ok("key")
            },
        );
        let (f, counters) = fetcher(&server, |s| s.timeout = Duration::from_millis(300));
        let url = server.url("/slow");
        let started = Instant::now();
        let result = f
            .prepare(&url, || FetchRequest::Get(url.clone()))
            .unwrap()
            .await;
        // Bounded: far below the server's 20 s (a bound, not a speed measurement).
        assert!(started.elapsed() < Duration::from_secs(10));
        assert_eq!(result, Err(Rejection::KeyUnavailable));
        assert_eq!(counters.get("test", "timeout"), 1);
        assert_eq!(f.get(&url).err(), Some(Rejection::KeyUnavailable));
    }

    #[tokio::test]
    async fn stale_keys_are_served_while_a_background_refresh_runs() {
        let server = KeyServer::start();
        server.set("/k", Answer::ok("v1"));
        let (f, counters) = fetcher(&server, |s| {
            s.fresh_for = Duration::from_millis(100);
            s.stale_for = Duration::from_secs(60);
        });
        let url = server.url("/k");
        f.prepare(&url, || FetchRequest::Get(url.clone()))
            .unwrap()
            .await
            .unwrap();
        server.set(
            "/k",
            Answer {
                delay: Duration::from_millis(300),
                ..Answer::ok("v2")
            },
        );
        tokio::time::sleep(Duration::from_millis(150)).await;
        assert!(matches!(f.lookup(&url), Lookup::Stale { .. }));
        // Stale: no future to await (no request-path stall), the old key still verifies...
        assert!(f.prepare(&url, || FetchRequest::Get(url.clone())).is_none());
        assert_eq!(*f.get(&url).unwrap(), "v1");
        // ...and a second stale hit does not start a second refresh.
        assert!(f.prepare(&url, || FetchRequest::Get(url.clone())).is_none());
        for _ in 0..300 {
            if counters.get("test", "fetched") == 2 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(*f.get(&url).unwrap(), "v2");
        assert_eq!(server.hits("/k"), 2);
        assert!(matches!(f.lookup(&url), Lookup::Fresh { .. }));
    }

    #[tokio::test]
    async fn a_failed_refresh_keeps_the_stale_key() {
        let server = KeyServer::start();
        server.set("/k", Answer::ok("v1"));
        let (f, counters) = fetcher(&server, |s| s.fresh_for = Duration::from_millis(50));
        let url = server.url("/k");
        f.prepare(&url, || FetchRequest::Get(url.clone()))
            .unwrap()
            .await
            .unwrap();
        server.set("/k", Answer::status(500));
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(f.prepare(&url, || FetchRequest::Get(url.clone())).is_none());
        for _ in 0..300 {
            if counters.get("test", "http_error") == 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(counters.get("test", "http_error"), 1);
        assert_eq!(*f.get(&url).unwrap(), "v1");
    }

    #[tokio::test]
    async fn oversized_responses_and_refused_urls() {
        let server = KeyServer::start();
        server.set("/big", Answer::ok(vec![b'a'; 2048]));
        let (f, counters) = fetcher(&server, |s| s.max_bytes = 1024);
        let url = server.url("/big");
        assert_eq!(
            f.prepare(&url, || FetchRequest::Get(url.clone()))
                .unwrap()
                .await,
            Err(Rejection::BadSignature)
        );
        assert_eq!(counters.get("test", "too_large"), 1);
        // Not on the allowlist: refused before any connection.
        let before = server.received().len();
        let elsewhere = format!("https://localhost:{}/big", server.port);
        assert_eq!(
            f.fetch(elsewhere.clone(), FetchRequest::Get(elsewhere))
                .await
                .err(),
            Some(FetchError::Refused)
        );
        assert_eq!(server.received().len(), before);
        assert_eq!(counters.get("test", "refused"), 1);
    }

    #[tokio::test]
    async fn the_cache_is_bounded() {
        let server = KeyServer::start();
        let (f, _) = fetcher(&server, |s| s.max_entries = 4);
        for i in 0..10 {
            let url = server.url(&format!("/missing-{i}"));
            let _ = f.fetch(url.clone(), FetchRequest::Get(url)).await;
        }
        assert_eq!(f.inner.slots.lock().unwrap().len(), 4);
    }

    #[test]
    fn a_bad_ca_bundle_is_a_configuration_error() {
        let mut settings =
            FetchSettings::new("test", HostAllowlist::new(&["example.com"]).unwrap());
        settings.ca_pem = Some(b"not pem".to_vec());
        assert!(KeyFetcher::new(settings, text, FetchCounters::new()).is_err());
    }

    #[test]
    fn max_age_is_read_from_cache_control() {
        assert_eq!(
            max_age("public, max-age=19845, must-revalidate, no-transform"),
            Some(Duration::from_secs(19845))
        );
        assert_eq!(max_age("no-store"), None);
    }

    #[test]
    fn failures_split_into_401_and_503() {
        assert_eq!(FetchError::Status(404).rejection(), Rejection::BadSignature);
        assert_eq!(FetchError::Refused.rejection(), Rejection::BadSignature);
        assert_eq!(FetchError::Invalid.rejection(), Rejection::BadSignature);
        assert_eq!(
            FetchError::Status(503).rejection(),
            Rejection::KeyUnavailable
        );
        assert_eq!(FetchError::Timeout.rejection(), Rejection::KeyUnavailable);
        assert_eq!(
            FetchError::Unreachable.rejection(),
            Rejection::KeyUnavailable
        );
    }
}
