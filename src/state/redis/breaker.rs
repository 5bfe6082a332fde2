//! The shared store's circuit breaker: after `failures` consecutive failed calls it opens, and
//! while it is open no request waits on the store (calls return [`StoreError::BreakerOpen`] at
//! once and the route's `on_store_error` applies). A background probe (see
//! [`super::client::RedisClient`]) checks the store every `cooldown` — the half-open state — and
//! closes the breaker on the first good answer.
//!
//! One log line per transition (warn on open, info on close) and the `hookgate_state_breaker_open`
//! gauge make the degradation visible; nothing is logged per refused call.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use prometheus::IntGauge;

use crate::config::state::BreakerSettings;
use crate::state::StoreError;

/// Consecutive-failure circuit breaker (closed → open → probing → closed).
#[derive(Debug)]
pub struct Breaker {
    settings: BreakerSettings,
    consecutive_failures: AtomicU32,
    open: AtomicBool,
    gauge: IntGauge,
}

impl Breaker {
    /// A closed breaker; `gauge` mirrors its state (0 closed, 1 open).
    pub fn new(settings: BreakerSettings, gauge: IntGauge) -> Breaker {
        gauge.set(0);
        Breaker {
            settings,
            consecutive_failures: AtomicU32::new(0),
            open: AtomicBool::new(false),
            gauge,
        }
    }

    pub fn settings(&self) -> BreakerSettings {
        self.settings
    }

    /// True while calls must not be made.
    pub fn is_open(&self) -> bool {
        self.open.load(Ordering::Acquire)
    }

    /// A call got an answer: the failure streak ends. (Only the probe closes an open breaker: a
    /// late answer to a call made before it opened proves little.)
    pub fn record_success(&self) {
        if self.consecutive_failures.load(Ordering::Relaxed) != 0 {
            self.consecutive_failures.store(0, Ordering::Relaxed);
        }
    }

    /// A call failed. Returns true when this failure opened the breaker; the caller then starts
    /// the background probe (exactly one caller sees true per opening).
    pub fn record_failure(&self, cause: &StoreError) -> bool {
        let streak = self.consecutive_failures.fetch_add(1, Ordering::AcqRel) + 1;
        if streak < self.settings.failures {
            return false;
        }
        if self
            .open
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return false;
        }
        self.gauge.set(1);
        tracing::warn!(
            failures = streak,
            cause = %cause,
            "state store failing: circuit breaker open, routes follow on_store_error; probing every {}",
            humantime::format_duration(self.settings.cooldown)
        );
        true
    }

    /// The probe got a good answer: close the breaker.
    pub fn close(&self) {
        self.consecutive_failures.store(0, Ordering::Relaxed);
        if self
            .open
            .compare_exchange(true, false, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            self.gauge.set(0);
            tracing::info!("state store answers again: circuit breaker closed, sharing resumed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn breaker(failures: u32) -> Breaker {
        Breaker::new(
            BreakerSettings {
                failures,
                cooldown: Duration::from_secs(1),
            },
            IntGauge::new("g", "g").unwrap(),
        )
    }

    #[test]
    fn opens_after_consecutive_failures_only() {
        let b = breaker(3);
        assert!(!b.record_failure(&StoreError::Timeout));
        assert!(!b.record_failure(&StoreError::Timeout));
        b.record_success();
        assert!(!b.record_failure(&StoreError::Timeout));
        assert!(!b.record_failure(&StoreError::Timeout));
        assert!(!b.is_open(), "a success in between resets the streak");
        assert!(
            b.record_failure(&StoreError::Timeout),
            "third in a row opens"
        );
        assert!(b.is_open());
        assert_eq!(b.gauge.get(), 1);
        assert!(
            !b.record_failure(&StoreError::Timeout),
            "one opening, one probe"
        );
        b.record_success();
        assert!(b.is_open(), "only the probe closes it");
        b.close();
        assert!(!b.is_open());
        assert_eq!(b.gauge.get(), 0);
    }

    #[test]
    fn concurrent_failures_open_it_once() {
        let b = std::sync::Arc::new(breaker(2));
        let openings: usize = (0..8)
            .map(|_| {
                let b = b.clone();
                std::thread::spawn(move || {
                    (0..100)
                        .filter(|_| b.record_failure(&StoreError::Timeout))
                        .count()
                })
            })
            .map(|h| h.join().unwrap())
            .sum();
        assert_eq!(openings, 1);
    }
}
