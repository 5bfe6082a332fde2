//! Event-ID dedup on Redis, with the in-memory semantics across replicas.
//!
//! Key `{prefix}:{route}:d:` followed by the event key's 8 raw bytes ([`EventKey::short`],
//! little-endian: the SHA-256's first 8 bytes); value `f:{token}` while a claim is in flight
//! (expiry = the route's in-flight limit, so a claim never outlives it), the integer `1` once
//! delivered (expiry = the route's `ttl`). Each operation is one atomic Lua script on one key (`claim.lua`, `commit.lua`,
//! `release.lua`), so it also works on Redis Cluster; all expiry is on Redis's clock (`PX`), so
//! replica clocks never matter. Commit and release compare the owner token first, so a late
//! answer from an expired claim can never free or overwrite the claim another replica took over
//! (counted as `result="stale"`).
//!
//! Memory (Redis 7.0, jemalloc): 129 B per delivered ID at 20,000 IDs with prefix `hookgate` and
//! route `stripe` (the 26-byte key fits jemalloc's 32-byte class; an integer value below 10,000 is
//! Redis's shared object, no allocation), 145 B under an LRU/LFU `maxmemory-policy`, which gives
//! each value its own object for the access clock (`bench/FINDINGS.md` §10). Bounded by the
//! server's `maxmemory`, not by the route's `max_entries`.
//!
//! Before issue 24 the key ended in 32 hex digits and the delivered value was `d` (177–195 B per
//! ID). Replicas of both versions sharing a Redis do not see each other's keys: during a rolling
//! upgrade an event delivered through an old replica may be forwarded once more through a new
//! one (and vice versa), until the old keys expire after one `ttl`.

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use ::redis::Script;
use async_trait::async_trait;

use super::client::{evalsha, Call, RedisClient};
use super::committer::stale_if_zero;
use super::metrics::{CallResult, Op};
use crate::state::{
    retry_after_secs, ClaimOutcome, DedupStore, EventKey, Lease, LeaseToken, StoreError,
};

pub(crate) static CLAIM: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("claim.lua")));
static COMMIT: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("commit.lua")));
const RELEASE_SOURCE: &str = include_str!("release.lua");
static RELEASE: LazyLock<Script> = LazyLock::new(|| Script::new(RELEASE_SOURCE));

/// One route's dedup on the shared store.
pub struct RedisDedup {
    client: Arc<RedisClient>,
    /// `{prefix}:{route}:d:`
    key_prefix: String,
    ttl_ms: u64,
    in_flight_ms: u64,
}

impl std::fmt::Debug for RedisDedup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisDedup")
            .field("key_prefix", &self.key_prefix)
            .field("ttl_ms", &self.ttl_ms)
            .field("in_flight_ms", &self.in_flight_ms)
            .finish()
    }
}

impl RedisDedup {
    /// The shared client this handle calls through.
    pub(crate) fn client(&self) -> &Arc<RedisClient> {
        &self.client
    }

    /// The dedup of `route`: delivered IDs are duplicates for `ttl`; a claim lasts at most
    /// `in_flight_limit` (the route's `upstream_timeout`). Both are rounded up to whole
    /// milliseconds (at least 1).
    pub fn new(
        client: Arc<RedisClient>,
        route: &str,
        ttl: Duration,
        in_flight_limit: Duration,
    ) -> Arc<Self> {
        let key_prefix = format!("{}:d:", client.route_namespace(route));
        Arc::new(RedisDedup {
            client,
            key_prefix,
            ttl_ms: whole_ms(ttl),
            in_flight_ms: whole_ms(in_flight_limit),
        })
    }

    /// The Redis key of `key` (binary: the prefix, then 8 raw bytes).
    pub(crate) fn key(&self, key: EventKey) -> Vec<u8> {
        let mut name = Vec::with_capacity(self.key_prefix.len() + 8);
        name.extend_from_slice(self.key_prefix.as_bytes());
        name.extend_from_slice(&key.short().to_le_bytes());
        name
    }
}

fn whole_ms(d: Duration) -> u64 {
    let ms = d.as_millis() + u128::from(!d.subsec_nanos().is_multiple_of(1_000_000));
    u64::try_from(ms).unwrap_or(u64::MAX).max(1)
}

/// The token as 32 lowercase hex digits (its value in Redis), on the stack.
fn token_hex(token: LeaseToken) -> [u8; 32] {
    let mut hex = [0u8; 32];
    hex::encode_to_slice(token.0.to_be_bytes(), &mut hex).expect("16 bytes fill 32 hex digits");
    hex
}

#[async_trait]
impl DedupStore for RedisDedup {
    async fn claim(self: Arc<Self>, key: EventKey) -> Result<ClaimOutcome, StoreError> {
        let token = LeaseToken(rand::random::<u128>());
        let redis_key = self.key(key);
        let cmd = self.claim_command(&redis_key, token);
        let answer = self
            .client
            .invoke(Op::Claim, Call::EvalSha(&cmd, &CLAIM), |_| CallResult::Ok)
            .await;
        let this: Arc<dyn DedupStore> = self.clone();
        self.claim_outcome(&this, key, token, answer)
    }

    async fn commit(&self, key: EventKey, token: LeaseToken) -> Result<(), StoreError> {
        let redis_key = self.key(key);
        let mut cmd = evalsha(&COMMIT, &redis_key, 2);
        cmd.arg(&token_hex(token)[..]).arg(self.ttl_ms);
        let done: i64 = self
            .client
            .invoke(Op::Commit, Call::EvalSha(&cmd, &COMMIT), stale_if_zero)
            .await?;
        if done == 0 {
            tracing::debug!(key = ?key, "dedup commit after the claim expired: ignored");
        }
        Ok(())
    }

    /// Handed to the client's committer ([`super::committer`]): sent with other requests'
    /// commits in one pipeline, after this returns.
    fn commit_detached(self: Arc<Self>, key: EventKey, token: LeaseToken) {
        let mut cmd = evalsha(&COMMIT, &self.key(key), 2);
        cmd.arg(&token_hex(token)[..]).arg(self.ttl_ms);
        self.client.commit_later(cmd, &COMMIT);
    }

    async fn flush_commits(&self) {
        self.client.flush_commits().await
    }

    async fn release(&self, key: EventKey, token: LeaseToken) -> Result<(), StoreError> {
        let redis_key = self.key(key);
        let mut cmd = evalsha(&RELEASE, &redis_key, 1);
        cmd.arg(&token_hex(token)[..]);
        self.client
            .invoke::<i64>(Op::Release, Call::EvalSha(&cmd, &RELEASE), stale_if_zero)
            .await?;
        Ok(())
    }

    fn len(&self) -> Option<usize> {
        None
    }

    fn as_redis(&self) -> Option<&RedisDedup> {
        Some(self)
    }
}

impl RedisDedup {
    /// The claim script's `EVALSHA` ([`CLAIM`]) on `redis_key` (from [`RedisDedup::key`]) for
    /// the owner `token`.
    pub(crate) fn claim_command(&self, redis_key: &[u8], token: LeaseToken) -> ::redis::Cmd {
        let mut cmd = evalsha(&CLAIM, redis_key, 2);
        cmd.arg(&token_hex(token)[..]).arg(self.in_flight_ms);
        cmd
    }

    /// The outcome of the claim script's `answer` for `key` and `token`; a granted lease is tied
    /// to `store` (this handle as the request path holds it). A timed-out claim may still land:
    /// it is released in the background.
    pub(crate) fn claim_outcome(
        &self,
        store: &Arc<dyn DedupStore>,
        key: EventKey,
        token: LeaseToken,
        answer: Result<(i64, i64), StoreError>,
    ) -> Result<ClaimOutcome, StoreError> {
        let (code, left_ms) = match answer {
            Ok(a) => a,
            Err(StoreError::Timeout) => {
                self.release_late_claim(key, token);
                return Err(StoreError::Timeout);
            }
            Err(e) => return Err(e),
        };
        match code {
            0 => Ok(ClaimOutcome::Claimed(Lease::new(store.clone(), key, token))),
            1 => Ok(ClaimOutcome::Duplicate),
            2 => Ok(ClaimOutcome::InFlight {
                retry_after_secs: retry_after_secs(Duration::from_millis(
                    u64::try_from(left_ms).unwrap_or(0),
                )),
            }),
            other => Err(StoreError::Unavailable(format!(
                "claim script answered {other}"
            ))),
        }
    }

    /// The claim may have landed after we stopped waiting. We know its token, so free it in the
    /// background (a no-op if it never landed); otherwise the ID would answer 409 until the
    /// in-flight limit. Sent with the script's text (`EVAL`): queued behind the slow claim, an
    /// `EVALSHA` of a script the server has not cached (after a restart) would fail with
    /// NOSCRIPT after we stopped listening, and the retry with the text would never be sent.
    fn release_late_claim(&self, key: EventKey, token: LeaseToken) {
        let client = self.client.clone();
        let redis_key = self.key(key);
        tokio::spawn(async move {
            let mut cmd = ::redis::cmd("EVAL");
            cmd.arg(RELEASE_SOURCE)
                .arg(1)
                .arg(redis_key)
                .arg(&token_hex(token)[..]);
            let _ = client
                .invoke::<i64>(Op::Release, Call::Command(&cmd), stale_if_zero)
                .await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_round_up_to_whole_ms() {
        assert_eq!(whole_ms(Duration::from_secs(30)), 30_000);
        assert_eq!(whole_ms(Duration::from_micros(1500)), 2);
        assert_eq!(whole_ms(Duration::ZERO), 1);
    }

    #[test]
    fn token_is_32_hex_digits() {
        assert_eq!(
            &token_hex(LeaseToken(0xab)),
            b"000000000000000000000000000000ab"
        );
        let token = LeaseToken(0x0123_4567_89ab_cdef_fedc_ba98_7654_3210);
        assert_eq!(
            token_hex(token)[..],
            *format!("{:032x}", token.0).as_bytes()
        );
    }
}
