//! GCRA (the generic cell rate algorithm, as implemented by governor 0.10 `src/gcra.rs`) on
//! integer microseconds: the arithmetic of the Redis rate-limit script (`rate_limit.lua`), in
//! Rust, so it can be checked against governor and used as the local pre-check.
//!
//! With emission interval `T` (1 / `per_second`) and tolerance `τ = T·(burst − 1)`, a request at
//! `now` with theoretical arrival time `TAT` (or `now` when there is none) is allowed iff
//! `now ≥ TAT − τ`; then `TAT := max(TAT, now) + T`. A refused request changes nothing and must
//! wait `TAT − τ − now`.

use std::time::Duration;

/// A GCRA quota in integer microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gcra {
    /// Emission interval `T` in µs (at least 1).
    pub t_us: u64,
    /// Tolerance `τ = T·(burst − 1)` in µs.
    pub tau_us: u64,
}

/// The decision for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GcraDecision {
    /// Allowed; store this TAT (µs).
    Allow { new_tat_us: u64 },
    /// Refused; the earliest allowed time is this many µs away (> 0).
    Wait { wait_us: u64 },
}

impl Gcra {
    /// The quota of `per_second` requests per second with bursts of `burst` (≥ 1), rounding `T`
    /// to the nearest microsecond as governor's `Quota::with_period(1 / per_second)` does to the
    /// nanosecond.
    ///
    /// Panics when `per_second` is not positive and finite or `burst` is 0 (config validation
    /// refuses both).
    pub fn new(per_second: f64, burst: u32) -> Gcra {
        assert!(per_second.is_finite() && per_second > 0.0, "per_second > 0");
        assert!(burst >= 1, "burst >= 1");
        let t_us = ((1_000_000.0 / per_second).round() as u64).max(1);
        Gcra {
            t_us,
            tau_us: t_us.saturating_mul(u64::from(burst - 1)),
        }
    }

    /// Decides a request at `now_us` given the stored TAT (`None` when there is none).
    pub fn decide(&self, tat_us: Option<u64>, now_us: u64) -> GcraDecision {
        let tat = tat_us.unwrap_or(now_us).max(now_us);
        let allow_at = tat.saturating_sub(self.tau_us);
        if now_us < allow_at {
            GcraDecision::Wait {
                wait_us: allow_at - now_us,
            }
        } else {
            GcraDecision::Allow {
                new_tat_us: tat + self.t_us,
            }
        }
    }

    /// The longest a stored TAT can matter: after `τ + T` without requests the key means what an
    /// absent key means.
    pub fn horizon(&self) -> Duration {
        Duration::from_micros(self.tau_us.saturating_add(self.t_us))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use governor::clock::{Clock, FakeRelativeClock};
    use governor::{Quota, RateLimiter};
    use std::num::NonZeroU32;

    #[test]
    fn burst_then_wait_of_one_interval() {
        let g = Gcra::new(10.0, 3);
        assert_eq!(g.t_us, 100_000);
        assert_eq!(g.tau_us, 200_000);
        let mut tat = None;
        for _ in 0..3 {
            match g.decide(tat, 1_000) {
                GcraDecision::Allow { new_tat_us } => tat = Some(new_tat_us),
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(
            g.decide(tat, 1_000),
            GcraDecision::Wait { wait_us: 100_000 }
        );
        assert!(matches!(g.decide(tat, 101_000), GcraDecision::Allow { .. }));
    }

    /// The same schedule through governor (fake clock) and through this arithmetic gives the same
    /// decisions and the same waits, on pseudo-random schedules and quotas.
    #[test]
    fn agrees_with_governor_on_random_schedules() {
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..200 {
            // Periods in whole microseconds so both sides see the same T.
            let t_us = 1 + next() % 200_000;
            let burst = 1 + (next() % 20) as u32;
            let gcra = Gcra {
                t_us,
                tau_us: t_us * u64::from(burst - 1),
            };
            let quota = Quota::with_period(Duration::from_micros(t_us))
                .unwrap()
                .allow_burst(NonZeroU32::new(burst).unwrap());
            let clock = FakeRelativeClock::default();
            let limiter = RateLimiter::direct_with_clock(quota, clock.clone());
            let mut now_us = 0u64;
            let mut tat = None;
            for _ in 0..300 {
                let step = next() % (t_us * 2);
                now_us += step;
                clock.advance(Duration::from_micros(step));
                let ours = gcra.decide(tat, now_us);
                let theirs = limiter.check();
                match (ours, theirs) {
                    (GcraDecision::Allow { new_tat_us }, Ok(())) => tat = Some(new_tat_us),
                    (GcraDecision::Wait { wait_us }, Err(not_until)) => {
                        let wait = not_until.wait_time_from(clock.now());
                        assert_eq!(Duration::from_micros(wait_us), wait);
                    }
                    (ours, theirs) => panic!(
                        "T={t_us}µs burst={burst} at {now_us}µs: ours {ours:?}, governor {theirs:?}"
                    ),
                }
            }
        }
    }
}
