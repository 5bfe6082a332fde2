//! Rate limits on Redis: GCRA (governor's algorithm) in one Lua script on one key, on integer
//! microseconds from the server's `TIME`, so every replica spends the same budget and replica
//! clocks never matter. Key `{prefix}:{route}:rl` (one budget per route) or
//! `{prefix}:{route}:rl:{digest}`, where the digest (32 hex digits) stands for the client address
//! ([`super::client_key`]: never the address in clear); the value is the TAT in µs and expires once it no longer
//! limits anyone (after at most `τ + T`). `Retry-After` uses the in-memory arithmetic
//! ([`crate::state::retry_after_secs`]: whole seconds, rounded up, at least 1).
//!
//! **Local pre-check** (optional): a per-replica GCRA with the same quota records the requests
//! *Redis allowed through this replica* (at the local start time of each call). Those are a subset
//! of the requests Redis counted, so this replica's TAT is never ahead of Redis's by more than one
//! round trip; when the local wait exceeds `[state] timeout` (which bounds a round trip), Redis
//! would refuse too, and the request is refused without a call. This keeps a single-source flood
//! from becoming Redis traffic and never refuses what Redis would allow (short of Redis's clock
//! being stepped forward). The same local state answers [`RedisRateLimit::check_local`], the
//! per-replica limit for `on_store_error = "local"`.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use ::redis::Script;
use async_trait::async_trait;

use super::client::{evalsha, Call, RedisClient};
use super::client_key::ClientDigest;
use super::metrics::{CallResult, Op};
use crate::state::gcra::{Gcra, GcraDecision};
use crate::state::{retry_after_secs, DecidedBy, RateDecision, RateLimitStore, StoreError};

pub(crate) static GCRA_SCRIPT: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("rate_limit.lua")));

/// Most client addresses the local state tracks; beyond it, new addresses skip the pre-check
/// (always safe: Redis decides) and the fallback allows them.
const MAX_LOCAL_CLIENTS: usize = 100_000;
/// How often the local per-client table drops addresses whose budget has refilled.
const LOCAL_CLEANUP_EVERY: Duration = Duration::from_secs(10);
/// How often, at most, a full table is cleaned.
const LOCAL_CLEANUP_AT_CAP: Duration = Duration::from_secs(1);

/// One route's rate limit on the shared store.
pub struct RedisRateLimit {
    client: Arc<RedisClient>,
    /// `{prefix}:{route}:rl`
    key: String,
    /// Names a client's key without its address.
    digest: ClientDigest,
    gcra: Gcra,
    per_client: bool,
    local: Local,
    precheck: bool,
}

impl std::fmt::Debug for RedisRateLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisRateLimit")
            .field("key", &self.key)
            .field("gcra", &self.gcra)
            .field("per_client", &self.per_client)
            .field("precheck", &self.precheck)
            .finish()
    }
}

impl RedisRateLimit {
    /// The shared client this handle calls through.
    pub(crate) fn client(&self) -> &Arc<RedisClient> {
        &self.client
    }

    /// The rate limit of `route` with quota `gcra`, one budget per client IP when `per_client`,
    /// with the local pre-check when `precheck`.
    pub fn new(
        client: Arc<RedisClient>,
        route: &str,
        gcra: Gcra,
        per_client: bool,
        precheck: bool,
    ) -> Arc<Self> {
        let key = format!("{}:rl", client.route_namespace(route));
        let slack_us = u64::try_from(client.settings().timeout.as_micros()).unwrap_or(u64::MAX);
        let digest = ClientDigest::new(client.settings());
        Arc::new(RedisRateLimit {
            client,
            key,
            digest,
            gcra,
            per_client,
            local: Local::new(gcra, slack_us),
            precheck,
        })
    }

    fn local_key(&self, ip: IpAddr) -> Option<IpAddr> {
        self.per_client.then(|| ip.to_canonical())
    }
}

#[async_trait]
impl RateLimitStore for RedisRateLimit {
    /// This replica's own limit with the same quota (for `on_store_error = "local"`): allowed
    /// requests are recorded, so the local budget carries on when the store comes back.
    fn check_local(&self, client: IpAddr) -> Option<RateDecision> {
        Some(self.local.check_and_record(self.local_key(client)))
    }

    async fn check(&self, client: IpAddr) -> Result<RateDecision, StoreError> {
        self.decide(client).await.map(|(decision, _)| decision)
    }

    async fn decide(&self, client: IpAddr) -> Result<(RateDecision, DecidedBy), StoreError> {
        let started = self.local.now_us();
        if let Some(refused) = self.precheck(client, started) {
            return Ok((refused, DecidedBy::Replica));
        }
        let key = self.redis_key(client);
        let cmd = self.command(&key);
        let wait_us: i64 = self
            .client
            .invoke(Op::RateLimit, Call::EvalSha(&cmd, &GCRA_SCRIPT), |_| {
                CallResult::Ok
            })
            .await?;
        Ok((self.settle(client, started, wait_us), DecidedBy::Store))
    }

    fn as_redis(&self) -> Option<&RedisRateLimit> {
        Some(self)
    }
}

impl RedisRateLimit {
    /// The local clock (µs) to pass to [`RedisRateLimit::precheck`] and
    /// [`RedisRateLimit::settle`] for a call starting now.
    pub(crate) fn started(&self) -> u64 {
        self.local.now_us()
    }

    /// The local pre-check: a refusal this replica can decide without a store call (not a store
    /// answer: nothing is counted in `hookgate_state_calls_total`, and it says nothing about the
    /// store — a refusal while Redis is down is no recovery). `None` when the store must decide.
    pub fn precheck(&self, client: IpAddr, started: u64) -> Option<RateDecision> {
        if !self.precheck {
            return None;
        }
        let wait_us = self
            .local
            .certain_refusal(self.local_key(client), started)?;
        Some(RateDecision::Limited {
            retry_after_secs: retry_after_secs(Duration::from_micros(wait_us)),
        })
    }

    /// The key of `client`'s budget (see the module docs).
    pub(crate) fn redis_key(&self, ip: IpAddr) -> std::borrow::Cow<'_, str> {
        if self.per_client {
            format!("{}:{}", self.key, self.digest.of(ip)).into()
        } else {
            self.key.as_str().into()
        }
    }

    /// The GCRA script's `EVALSHA` ([`GCRA_SCRIPT`]) on `key` with this route's quota.
    pub(crate) fn command(&self, key: &str) -> ::redis::Cmd {
        let mut cmd = evalsha(&GCRA_SCRIPT, key.as_bytes(), 2);
        cmd.arg(self.gcra.t_us).arg(self.gcra.tau_us);
        cmd
    }

    /// The decision of the script's answer (`wait_us`, 0 = allowed) for a call that started at
    /// `started` (local µs); an allowed request is recorded for the pre-check.
    pub(crate) fn settle(&self, client: IpAddr, started: u64, wait_us: i64) -> RateDecision {
        if wait_us <= 0 {
            self.local.record(self.local_key(client), started);
            RateDecision::Allowed
        } else {
            RateDecision::Limited {
                retry_after_secs: retry_after_secs(Duration::from_micros(wait_us as u64)),
            }
        }
    }
}

/// This replica's view: the TATs of the requests Redis allowed through it (µs since `epoch`).
struct Local {
    gcra: Gcra,
    epoch: Instant,
    /// Refuse locally only when the local wait exceeds this (one round trip's worth).
    slack_us: u64,
    route: Mutex<Option<u64>>,
    clients: Mutex<Clients>,
}

struct Clients {
    tats: HashMap<IpAddr, u64>,
    last_cleanup: Instant,
}

impl Local {
    fn new(gcra: Gcra, slack_us: u64) -> Local {
        Local {
            gcra,
            epoch: Instant::now(),
            slack_us,
            route: Mutex::new(None),
            clients: Mutex::new(Clients {
                tats: HashMap::new(),
                last_cleanup: Instant::now(),
            }),
        }
    }

    fn now_us(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_micros()).unwrap_or(u64::MAX)
    }

    fn tat(&self, key: Option<IpAddr>) -> Option<u64> {
        match key {
            None => *lock(&self.route),
            Some(ip) => lock(&self.clients).tats.get(&ip).copied(),
        }
    }

    /// The wait (µs, after the slack) when Redis would certainly refuse a request now.
    fn certain_refusal(&self, key: Option<IpAddr>, now: u64) -> Option<u64> {
        match self.gcra.decide(self.tat(key), now) {
            GcraDecision::Wait { wait_us } if wait_us > self.slack_us => {
                Some(wait_us - self.slack_us)
            }
            _ => None,
        }
    }

    /// Records a request Redis allowed, at the local time its call started.
    fn record(&self, key: Option<IpAddr>, at: u64) {
        self.update(key, |tat| Some(tat.unwrap_or(at).max(at) + self.gcra.t_us));
    }

    /// A per-replica GCRA decision, recorded when allowed.
    fn check_and_record(&self, key: Option<IpAddr>) -> RateDecision {
        let now = self.now_us();
        let mut decision = RateDecision::Allowed;
        self.update(key, |tat| match self.gcra.decide(tat, now) {
            GcraDecision::Allow { new_tat_us } => Some(new_tat_us),
            GcraDecision::Wait { wait_us } => {
                decision = RateDecision::Limited {
                    retry_after_secs: retry_after_secs(Duration::from_micros(wait_us)),
                };
                tat
            }
        });
        decision
    }

    fn update(&self, key: Option<IpAddr>, f: impl FnOnce(Option<u64>) -> Option<u64>) {
        match key {
            None => {
                let mut tat = lock(&self.route);
                *tat = f(*tat);
            }
            Some(ip) => {
                let now = self.now_us();
                let mut clients = lock(&self.clients);
                let since = clients.last_cleanup.elapsed();
                // At the cap, clean sooner, but never per request (a scan of the whole table).
                if since >= LOCAL_CLEANUP_EVERY
                    || (clients.tats.len() >= MAX_LOCAL_CLIENTS && since >= LOCAL_CLEANUP_AT_CAP)
                {
                    // A TAT at or before now means what no entry means.
                    clients.tats.retain(|_, tat| *tat > now);
                    clients.last_cleanup = Instant::now();
                }
                let current = clients.tats.get(&ip).copied();
                if current.is_none() && clients.tats.len() >= MAX_LOCAL_CLIENTS {
                    return;
                }
                match f(current) {
                    Some(tat) => {
                        clients.tats.insert(ip, tat);
                    }
                    None => {
                        clients.tats.remove(&ip);
                    }
                }
            }
        }
    }

    #[cfg(test)]
    fn tracked_clients(&self) -> usize {
        lock(&self.clients).tats.len()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_refuses_only_beyond_the_slack() {
        // 1 per second, burst 2, slack 50 ms.
        let local = Local::new(Gcra::new(1.0, 2), 50_000);
        local.record(None, 0);
        local.record(None, 0);
        // TAT = 2 s, τ = 1 s: at 0.5 s the wait is 0.5 s > slack.
        assert_eq!(local.certain_refusal(None, 500_000), Some(450_000));
        // At 0.97 s the wait (30 ms) is within the slack: Redis decides.
        assert_eq!(local.certain_refusal(None, 970_000), None);
        assert_eq!(local.certain_refusal(None, 1_000_000), None);
    }

    #[test]
    fn local_fallback_enforces_the_quota_per_client() {
        let local = Local::new(Gcra::new(0.1, 2), 0);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "::ffff:192.0.2.2".parse().unwrap();
        assert_eq!(local.check_and_record(Some(a)), RateDecision::Allowed);
        assert_eq!(local.check_and_record(Some(a)), RateDecision::Allowed);
        assert!(matches!(
            local.check_and_record(Some(a)),
            RateDecision::Limited {
                retry_after_secs: 10
            }
        ));
        assert_eq!(local.check_and_record(Some(b)), RateDecision::Allowed);
        assert_eq!(local.tracked_clients(), 2);
    }

    #[test]
    fn local_client_table_is_bounded() {
        let local = Local::new(Gcra::new(0.001, 1), 0);
        for i in 0..(MAX_LOCAL_CLIENTS as u32 + 500) {
            let ip = IpAddr::from(std::net::Ipv4Addr::from(0x0a00_0000 + i));
            local.check_and_record(Some(ip));
        }
        assert!(local.tracked_clients() <= MAX_LOCAL_CLIENTS);
    }
}
