//! In-memory `rate_limit`: one GCRA budget for the route, or one per client IP (governor), per
//! replica. Its budget is kept across reloads while the route's spec is unchanged.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota};

use crate::config::model::RateLimitSpec;
use crate::state::{retry_after_secs, Answer, DecidedBy, RateDecision, RateLimitStore, StoreError};

/// How often the per-client table drops clients whose budget has fully refilled.
const KEYED_CLEANUP_EVERY: Duration = Duration::from_secs(10);

fn quota(spec: &RateLimitSpec) -> Quota {
    let period = Duration::from_secs_f64(1.0 / spec.per_second);
    Quota::with_period(period)
        .expect("per_second is validated positive and finite")
        .allow_burst(NonZeroU32::new(spec.burst).expect("burst is validated >= 1"))
}

enum Limiter {
    Route(DefaultDirectRateLimiter),
    PerClient {
        limiter: DefaultKeyedRateLimiter<IpAddr>,
        last_cleanup: Mutex<Instant>,
    },
}

/// A route's in-memory rate limiter.
pub struct MemoryRateLimit {
    spec: RateLimitSpec,
    limiter: Limiter,
    checks: AtomicU64,
}

/// The request is over the limit; retry after this many whole seconds (at least 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub u64);

impl MemoryRateLimit {
    pub fn new(spec: RateLimitSpec) -> Self {
        let quota = quota(&spec);
        let limiter = if spec.per_client {
            Limiter::PerClient {
                limiter: governor::RateLimiter::keyed(quota),
                last_cleanup: Mutex::new(Instant::now()),
            }
        } else {
            Limiter::Route(governor::RateLimiter::direct(quota))
        };
        MemoryRateLimit {
            spec,
            limiter,
            checks: AtomicU64::new(0),
        }
    }

    pub fn spec(&self) -> RateLimitSpec {
        self.spec
    }

    /// Takes one unit of budget for a request from `client`.
    pub fn check(&self, client: IpAddr) -> Result<(), RetryAfter> {
        self.checks.fetch_add(1, Ordering::Relaxed);
        let result = match &self.limiter {
            Limiter::Route(l) => l.check(),
            Limiter::PerClient {
                limiter,
                last_cleanup,
            } => {
                Self::maybe_cleanup(limiter, last_cleanup);
                limiter.check_key(&client)
            }
        };
        result.map_err(|not_until| {
            RetryAfter(retry_after_secs(
                not_until.wait_time_from(DefaultClock::default().now()),
            ))
        })
    }

    /// Number of clients tracked (per-client limiters only).
    pub fn tracked_clients(&self) -> usize {
        match &self.limiter {
            Limiter::Route(_) => 0,
            Limiter::PerClient { limiter, .. } => limiter.len(),
        }
    }

    /// Drops per-client state that no longer limits anyone, so memory stays bounded however many
    /// distinct addresses send. Runs at most every [`KEYED_CLEANUP_EVERY`].
    fn maybe_cleanup(limiter: &DefaultKeyedRateLimiter<IpAddr>, last: &Mutex<Instant>) {
        let Ok(mut last) = last.try_lock() else {
            return;
        };
        if last.elapsed() < KEYED_CLEANUP_EVERY {
            return;
        }
        *last = Instant::now();
        limiter.retain_recent();
        limiter.shrink_to_fit();
    }

    /// Forces the cleanup now (tests and benchmarks).
    pub fn cleanup_now(&self) {
        if let Limiter::PerClient { limiter, .. } = &self.limiter {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }
}

#[async_trait]
impl RateLimitStore for MemoryRateLimit {
    async fn check(&self, client: IpAddr) -> Result<RateDecision, StoreError> {
        Ok(self.decision(client))
    }

    fn answer_decide(
        &self,
        client: IpAddr,
    ) -> Answer<'_, Result<(RateDecision, DecidedBy), StoreError>> {
        // No I/O: answered in place, no boxed future (`Answer`).
        Answer::ready(Ok((self.decision(client), DecidedBy::Store)))
    }
}

impl MemoryRateLimit {
    fn decision(&self, client: IpAddr) -> RateDecision {
        match MemoryRateLimit::check(self, client) {
            Ok(()) => RateDecision::Allowed,
            Err(RetryAfter(retry_after_secs)) => RateDecision::Limited { retry_after_secs },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The request path's call never boxes a future on the in-memory store (issue 24).
    #[test]
    fn decide_is_answered_in_place() {
        let l: std::sync::Arc<dyn RateLimitStore> =
            std::sync::Arc::new(MemoryRateLimit::new(RateLimitSpec {
                per_second: 1.0,
                burst: 1,
                per_client: false,
                on_store_error: Default::default(),
                shared: false,
            }));
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        assert!(matches!(
            l.answer_decide(ip),
            Answer::Ready(Some(Ok((RateDecision::Allowed, DecidedBy::Store))))
        ));
        assert!(matches!(
            l.answer_decide(ip),
            Answer::Ready(Some(Ok((
                RateDecision::Limited {
                    retry_after_secs: 1
                },
                DecidedBy::Store
            ))))
        ));
    }

    #[test]
    fn burst_then_refusal_with_retry_after() {
        let l = MemoryRateLimit::new(RateLimitSpec {
            per_second: 1.0,
            burst: 3,
            per_client: false,
            on_store_error: Default::default(),
            shared: false,
        });
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        for _ in 0..3 {
            assert!(l.check(ip).is_ok());
        }
        assert_eq!(l.check(ip), Err(RetryAfter(1)));
    }

    #[test]
    fn per_client_budgets_are_separate() {
        let l = MemoryRateLimit::new(RateLimitSpec {
            per_second: 0.1,
            burst: 1,
            per_client: true,
            on_store_error: Default::default(),
            shared: false,
        });
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        assert!(l.check(a).is_ok());
        assert!(l.check(a).is_err());
        assert!(l.check(b).is_ok());
        assert_eq!(l.tracked_clients(), 2);
        match l.check(a) {
            Err(RetryAfter(s)) => assert!((1..=10).contains(&s)),
            Ok(()) => panic!("should be limited"),
        }
    }

    #[test]
    fn per_client_state_is_dropped_once_budgets_refill() {
        let l = MemoryRateLimit::new(RateLimitSpec {
            per_second: 1000.0,
            burst: 1,
            per_client: true,
            on_store_error: Default::default(),
            shared: false,
        });
        for i in 0..20_000u32 {
            let ip = IpAddr::from(std::net::Ipv4Addr::from(0x0a00_0000 + i));
            assert!(l.check(ip).is_ok());
        }
        assert_eq!(l.tracked_clients(), 20_000);
        std::thread::sleep(Duration::from_millis(20));
        l.cleanup_now();
        assert_eq!(
            l.tracked_clients(),
            0,
            "memory does not grow with distinct senders"
        );
    }
}
