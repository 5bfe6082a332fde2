//! A route's rate-limit check and its dedup claim in one round trip.
//!
//! With both on the same Redis, the request path would otherwise wait on three sequential round
//! trips per first delivery (rate limit, claim, commit). Here the GCRA script and the claim script
//! go out as one pipeline (two `EVALSHA`s written together, answered together): one round trip.
//!
//! Why a pipeline and not one script over both keys: a script may only touch keys of one hash
//! slot on Redis Cluster, so one script would need a hash tag per route (`{route}`), which pins
//! all of a route's dedup keys — the part that grows with traffic — onto one shard. A pipeline
//! keeps every key where it hashes today (redis-rs's cluster client splits a pipeline by node).
//!
//! The price of a pipeline is that the claim is made whatever the rate limit answers. Semantics
//! are kept as follows:
//! - **Refused by the rate limit** (429): the claim, if it was granted, is released (the lease is
//!   dropped, which sends the owner-checked release): no claim is left behind. Until the release
//!   lands — one round trip — a concurrent retry of the same ID gets 409 with `Retry-After`
//!   instead of whatever it would have got.
//! - **Claim not granted** (duplicate, in flight): the budget unit was taken, exactly as when the
//!   rate limit ran first (it always counted every request that reached it).
//! - **A store failure** of either element applies that element's `on_store_error`, as for two
//!   calls; a failure of the whole round trip fails both.
//! - `NOSCRIPT` (a restarted server) on an element means that element did not run: it alone is
//!   re-sent as a single call (which loads the script), so nothing runs twice.

use std::net::IpAddr;
use std::sync::Arc;

use std::sync::LazyLock;

use ::redis::{ErrorKind, RedisResult, Script, ServerErrorKind};

use super::client::Call;
use super::dedup::CLAIM;
use super::metrics::{CallResult, Op};
use super::rate_limit::GCRA_SCRIPT;
use super::{RedisDedup, RedisRateLimit};
use crate::state::{
    ClaimOutcome, DecidedBy, DedupStore, EventKey, LeaseToken, RateDecision, RateLimitStore,
    StoreError,
};

/// The pipeline's per-element answers: the GCRA wait (µs) and the claim's `{code, ms left}`.
type Answers = (RedisResult<i64>, RedisResult<(i64, i64)>);

/// The two answers of [`limit_and_claim`].
#[derive(Debug)]
pub struct Joint {
    /// The rate limit's decision (a local pre-check refusal is `DecidedBy::Replica`).
    pub rate: Result<(RateDecision, DecidedBy), StoreError>,
    /// The claim; `None` when the pre-check refused before any call. When `rate` is a
    /// refusal, a granted lease here is released as soon as it is dropped.
    pub claim: Option<Result<ClaimOutcome, StoreError>>,
}

/// The Redis handles of `limit` and `dedup` when both live on the same Redis client (then
/// [`limit_and_claim`] applies).
pub fn joinable<'a>(
    limit: &'a dyn RateLimitStore,
    dedup: &'a dyn DedupStore,
) -> Option<(&'a RedisRateLimit, &'a RedisDedup)> {
    let (limit, claim) = (limit.as_redis()?, dedup.as_redis()?);
    Arc::ptr_eq(limit.client(), claim.client()).then_some((limit, claim))
}

/// Takes one unit of `limit`'s budget for `client` and claims `key` in `dedup` (the handle
/// `store` is an `Arc` of), in one round trip; the local pre-check first, as
/// [`RateLimitStore::decide`] does.
pub async fn limit_and_claim(
    limit: &RedisRateLimit,
    dedup: &RedisDedup,
    store: &Arc<dyn DedupStore>,
    client: IpAddr,
    key: EventKey,
) -> Joint {
    let started = limit.started();
    if let Some(refused) = limit.precheck(client, started) {
        return Joint {
            rate: Ok((refused, DecidedBy::Replica)),
            claim: None,
        };
    }
    let token = LeaseToken(rand::random::<u128>());
    let (rate_key, claim_key) = (limit.redis_key(client), dedup.key(key));
    let mut pipe = ::redis::pipe();
    pipe.ignore_errors()
        .add_command(limit.command(&rate_key))
        .add_command(dedup.claim_command(&claim_key, token));
    let answers: Result<Answers, StoreError> = dedup
        .client()
        .invoke_ops(&[Op::RateLimit, Op::Claim], Call::Pipeline(&pipe), |_| {})
        .await;
    let (wait, claimed) = match answers {
        Ok((wait, claimed)) => (
            element(dedup, Op::RateLimit, wait, || {
                (limit.command(&rate_key), &GCRA_SCRIPT)
            })
            .await,
            element(dedup, Op::Claim, claimed, || {
                (dedup.claim_command(&claim_key, token), &CLAIM)
            })
            .await,
        ),
        Err(e) => (Err(e.clone()), Err(e)),
    };
    let rate = wait.map(|w| (limit.settle(client, started, w), DecidedBy::Store));
    let claim = dedup.claim_outcome(store, key, token, claimed);
    Joint {
        rate,
        claim: Some(claim),
    }
}

/// One element's answer: counted as its op's call; `NOSCRIPT` re-sent alone (the command
/// `rebuild` makes again, with its script, which the single call loads).
async fn element<T: ::redis::FromRedisValue>(
    dedup: &RedisDedup,
    op: Op,
    answer: RedisResult<T>,
    rebuild: impl FnOnce() -> (::redis::Cmd, &'static LazyLock<Script>),
) -> Result<T, StoreError> {
    let client = dedup.client();
    match answer {
        Ok(value) => {
            client.metrics().count(op, CallResult::Ok);
            Ok(value)
        }
        Err(e) if e.kind() == ErrorKind::Server(ServerErrorKind::NoScript) => {
            let (cmd, script) = rebuild();
            client
                .invoke(op, Call::EvalSha(&cmd, script), |_| CallResult::Ok)
                .await
        }
        Err(e) => Err(client.element_failed(op, &e)),
    }
}
