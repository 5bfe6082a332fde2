//! One gateway's connection to Redis (or Valkey): a redis-rs [`ConnectionManager`] (one
//! multiplexed connection, reconnecting in the background), a per-call time budget, the circuit
//! breaker and the call counters. Route handles ([`super::RedisDedup`], [`super::RedisRateLimit`])
//! share one client.
//!
//! Why each call has its own `tokio::time::timeout`: redis-rs's response timeout does not bound a
//! call made while the manager reconnects — such calls wait on the reconnect future (measured:
//! about 9 s per call with the server down and default retries; see
//! `shared/notes/design-state-and-queue.md` A.1). The manager is also configured with few
//! retries, a 1 s maximum back-off, and the `[state] timeout` as its response timeout.
//!
//! The client connects lazily: building it never touches the network, so the gateway starts and
//! serves (per `on_store_error`) while Redis is absent, and picks Redis up when it appears. The
//! breaker's probe builds a *fresh* manager each time and swaps it in on success: a manager whose
//! connection attempt failed with a non-I/O error (a wrong password, say) never retries on its
//! own, and a fresh one also drops any back-off left over from the outage.
//!
//! Secrets: the URL's password is never logged or put in an error; `Debug` shows the redacted URL
//! and error texts from redis-rs are scrubbed of the password before they go anywhere.

use std::sync::{Arc, Weak};
use std::time::Duration;

use ::redis::aio::{ConnectionManager, ConnectionManagerConfig};
use ::redis::{Cmd, ErrorKind, FromRedisValue, Pipeline, RedisError, Script, ServerErrorKind};
use arc_swap::ArcSwapOption;

use super::breaker::Breaker;
use super::committer::Committer;
use super::metrics::{CallResult, Op, StateMetrics};
use crate::config::state::{redact_secret, StateSettings};
use crate::state::StoreError;

/// Reconnect attempts per reconnect cycle (each failed call starts a new cycle).
const RECONNECT_RETRIES: usize = 2;
/// First back-off between reconnect attempts (then ×2, with jitter).
const RECONNECT_MIN_DELAY: Duration = Duration::from_millis(50);
/// Longest back-off between reconnect attempts.
const RECONNECT_MAX_DELAY: Duration = Duration::from_secs(1);
/// Expiry of the probe's key (it only proves that a write is accepted).
const PROBE_KEY_TTL_MS: u64 = 10_000;

/// One store call: a script by its SHA (an `EVALSHA` command from [`evalsha`] and its script;
/// on `NOSCRIPT` the script is loaded and the command sent again, as redis-rs's
/// `ScriptInvocation` does), a plain command, or a pipeline (one round trip; its elements'
/// errors, `NOSCRIPT` included, are answered per element: the pipeline must be built with
/// `ignore_errors`).
pub(crate) enum Call<'a> {
    EvalSha(&'a Cmd, &'a Script),
    Command(&'a Cmd),
    Pipeline(&'a Pipeline),
}

/// `EVALSHA <sha> 1 <key>` for `script`, with room for `args` more arguments (up to 32 bytes each): the caller adds
/// them with `Cmd::arg`. Built straight into one `Cmd` (its byte buffer and argument list, sized
/// up front): a `ScriptInvocation` allocated a `Vec` per key and argument, then copied them into
/// such a `Cmd` on every call (issue 24: 38 allocations per request on Redis state).
pub(crate) fn evalsha(script: &Script, key: &[u8], args: usize) -> Cmd {
    let mut cmd = Cmd::with_capacity(4 + args, 7 + 40 + 1 + key.len() + 32 * args);
    cmd.arg("EVALSHA").arg(script.get_hash()).arg(1).arg(key);
    cmd
}

/// The shared store client of one gateway. Build it once (it is cheap and does no I/O) and hand
/// `Arc`s to the route handles.
pub struct RedisClient {
    settings: StateSettings,
    client: ::redis::Client,
    /// `None` until the first call (creating a manager needs a tokio runtime; the gateway builder
    /// may run outside one).
    manager: ArcSwapOption<ConnectionManager>,
    breaker: Breaker,
    metrics: StateMetrics,
    password: Option<String>,
    /// Dedup commits handed over by requests, sent in batches ([`super::committer`]).
    pub(super) committer: Committer,
}

impl std::fmt::Debug for RedisClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisClient")
            .field("url", &self.settings.url.redacted())
            .field("prefix", &self.settings.prefix)
            .field("breaker_open", &self.breaker.is_open())
            .finish()
    }
}

impl RedisClient {
    /// A client for `settings`, counting into `metrics`. Does no I/O.
    ///
    /// Errors: [`StoreError::Unavailable`] when redis-rs refuses the URL (config validation
    /// normally catches that first).
    pub fn new(settings: &StateSettings, metrics: StateMetrics) -> Result<Arc<Self>, StoreError> {
        let password = settings.url.password();
        let client = ::redis::Client::open(settings.url.expose()).map_err(|e| {
            StoreError::Unavailable(redact_secret(&e.to_string(), password.as_deref()))
        })?;
        Ok(Arc::new(RedisClient {
            breaker: Breaker::new(settings.breaker, metrics.breaker_open.clone()),
            settings: settings.clone(),
            client,
            manager: ArcSwapOption::empty(),
            metrics,
            password,
            committer: Committer::default(),
        }))
    }

    pub fn settings(&self) -> &StateSettings {
        &self.settings
    }

    pub fn metrics(&self) -> &StateMetrics {
        &self.metrics
    }

    /// True while the circuit breaker is open (calls fail at once with
    /// [`StoreError::BreakerOpen`]).
    pub fn breaker_open(&self) -> bool {
        self.breaker.is_open()
    }

    /// The key namespace of `route`: `{prefix}:{route}` with `%` and `:` in the route name
    /// percent-encoded, so no two routes' keys can collide.
    pub fn route_namespace(&self, route: &str) -> String {
        let escaped = route.replace('%', "%25").replace(':', "%3A");
        format!("{}:{}", self.settings.prefix, escaped)
    }

    fn manager_config(&self) -> ConnectionManagerConfig {
        ConnectionManagerConfig::new()
            .set_number_of_retries(RECONNECT_RETRIES)
            .set_min_delay(RECONNECT_MIN_DELAY)
            .set_max_delay(RECONNECT_MAX_DELAY)
            .set_response_timeout(Some(self.settings.timeout))
            .set_connection_timeout(Some(self.settings.connect_timeout))
    }

    fn new_manager(&self) -> Result<ConnectionManager, StoreError> {
        ConnectionManager::new_lazy_with_config(self.client.clone(), self.manager_config())
            .map_err(|e| self.unavailable(&e))
    }

    /// The live manager, created (lazily, without I/O) on first use.
    fn manager(&self) -> Result<ConnectionManager, StoreError> {
        if let Some(m) = self.manager.load_full() {
            return Ok((*m).clone());
        }
        let fresh = Arc::new(self.new_manager()?);
        // Two first calls racing: keep whichever was stored first.
        let previous = self
            .manager
            .compare_and_swap(&None::<Arc<ConnectionManager>>, Some(fresh.clone()));
        Ok(match &*previous {
            Some(existing) => (**existing).clone(),
            None => (*fresh).clone(),
        })
    }

    fn unavailable(&self, e: &RedisError) -> StoreError {
        StoreError::Unavailable(redact_secret(&e.to_string(), self.password.as_deref()))
    }

    /// Runs one call within `[state] timeout`, through the breaker, counting it.
    /// `classify` maps an answer to `ok` or `stale` for the counter.
    ///
    /// Errors: [`StoreError::BreakerOpen`] (not attempted), [`StoreError::Timeout`],
    /// [`StoreError::Unavailable`] (an error reply such as OOM, or no connection).
    pub(crate) async fn invoke<T: FromRedisValue>(
        self: &Arc<Self>,
        op: Op,
        call: Call<'_>,
        classify: impl FnOnce(&T) -> CallResult,
    ) -> Result<T, StoreError> {
        self.invoke_ops(&[op], call, |value| {
            let result = classify(value);
            self.metrics.count(op, result);
        })
        .await
    }

    /// [`RedisClient::invoke`] for a call serving several operations (a pipeline): a failure
    /// is counted once per op in `ops`; an answer is counted by `count`.
    pub(crate) async fn invoke_ops<T: FromRedisValue>(
        self: &Arc<Self>,
        ops: &[Op],
        call: Call<'_>,
        count: impl FnOnce(&T),
    ) -> Result<T, StoreError> {
        if self.breaker.is_open() {
            ops.iter()
                .for_each(|op| self.metrics.count(*op, CallResult::BreakerOpen));
            return Err(StoreError::BreakerOpen);
        }
        let mut conn = match self.manager() {
            Ok(c) => c,
            Err(e) => return Err(self.failed(ops, CallResult::Error, e)),
        };
        let answer = async {
            match call {
                Call::EvalSha(cmd, script) => match cmd.query_async(&mut conn).await {
                    Err(e) if e.kind() == ErrorKind::Server(ServerErrorKind::NoScript) => {
                        match script.load_async(&mut conn).await {
                            Ok(_) => cmd.query_async(&mut conn).await,
                            Err(e) => Err(e),
                        }
                    }
                    answer => answer,
                },
                Call::Command(cmd) => cmd.query_async(&mut conn).await,
                Call::Pipeline(pipe) => pipe.query_async(&mut conn).await,
            }
        };
        match tokio::time::timeout(self.settings.timeout, answer).await {
            Ok(Ok(value)) => {
                self.breaker.record_success();
                count(&value);
                Ok(value)
            }
            // redis-rs's own response timeout (set to the same budget) may win the race.
            Ok(Err(e)) if e.is_timeout() => {
                Err(self.failed(ops, CallResult::Timeout, StoreError::Timeout))
            }
            Ok(Err(e)) => {
                let e = self.unavailable(&e);
                Err(self.failed(ops, CallResult::Error, e))
            }
            Err(_) => Err(self.failed(ops, CallResult::Timeout, StoreError::Timeout)),
        }
    }

    /// An error reply to one element of a pipeline that was answered: counted as `error` for
    /// `op` and fed to the breaker, as the same reply to a single call would be.
    pub(crate) fn element_failed(self: &Arc<Self>, op: Op, e: &RedisError) -> StoreError {
        let e = self.unavailable(e);
        self.failed(&[op], CallResult::Error, e)
    }

    /// Counts a failed call and feeds the breaker; starts the probe when it opens.
    fn failed(self: &Arc<Self>, ops: &[Op], result: CallResult, error: StoreError) -> StoreError {
        ops.iter().for_each(|op| self.metrics.count(*op, result));
        let op = ops.first().copied().unwrap_or(Op::Probe);
        tracing::debug!(op = op.as_str(), cause = %error, "state store call failed");
        if self.breaker.record_failure(&error) {
            tokio::spawn(Self::probe_until_closed(Arc::downgrade(self)));
        }
        error
    }

    /// The half-open state: every `cooldown`, one probe; the first success closes the breaker.
    /// Ends when the client is dropped (a reload that removed or changed `[state]`).
    async fn probe_until_closed(client: Weak<Self>) {
        loop {
            let Some(cooldown) = client.upgrade().map(|c| c.breaker.settings().cooldown) else {
                return;
            };
            tokio::time::sleep(cooldown).await;
            let Some(strong) = client.upgrade() else {
                return;
            };
            if strong.probe_once().await {
                strong.breaker.close();
                return;
            }
        }
    }

    /// One probe on a fresh connection: a write with an expiry (so a server that is up but
    /// refusing writes — OOM, a read-only replica — keeps the breaker open). On success the
    /// fresh manager becomes the live one.
    async fn probe_once(&self) -> bool {
        let fresh = match self.new_manager() {
            Ok(m) => m,
            Err(_) => {
                self.metrics.count(Op::Probe, CallResult::Error);
                return false;
            }
        };
        let mut conn = fresh.clone();
        let mut cmd = ::redis::cmd("SET");
        cmd.arg(format!("{}:probe", self.settings.prefix))
            .arg(1)
            .arg("PX")
            .arg(PROBE_KEY_TTL_MS);
        let budget = self.settings.connect_timeout + self.settings.timeout;
        match tokio::time::timeout(budget, cmd.query_async::<()>(&mut conn)).await {
            Ok(Ok(())) => {
                self.metrics.count(Op::Probe, CallResult::Ok);
                self.manager.store(Some(Arc::new(fresh)));
                true
            }
            Ok(Err(e)) => {
                self.metrics.count(Op::Probe, CallResult::Error);
                tracing::debug!(cause = %self.unavailable(&e), "state store probe failed");
                false
            }
            Err(_) => {
                self.metrics.count(Op::Probe, CallResult::Timeout);
                false
            }
        }
    }
}
