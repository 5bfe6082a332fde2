//! Retry delays: capped exponential backoff with jitter, and the upstream's `Retry-After`.
//!
//! Delay after the n-th failed attempt (n ≥ 1): `min(max, initial · 2^(n−1))`, then multiplied
//! by a uniform factor in [1 − [`JITTER`], 1 + [`JITTER`]] and capped at `max` again, so workers
//! retrying a recovering upstream do not all come back at once (the advice of AWS's
//! "Exponential Backoff and Jitter", 2015).
//!
//! A `Retry-After` from the upstream (RFC 9110 §10.2.3: delay-seconds or an HTTP-date) is a
//! delay the peer dictates, so it is clamped: never shorter than the computed delay (floor —
//! `Retry-After: 0`, a date in the past or a tiny value cannot make the worker hammer the
//! upstream and burn `max_attempts` in a second; RFC 9110 calls it how long the client *ought to
//! wait*, a minimum), never longer than `max` (ceiling — a huge value or a far date cannot park a
//! message for days).

use std::time::{Duration, SystemTime};

use rand::Rng;

pub use crate::config::queue::Backoff;

/// The jitter fraction: delays vary by ±20%.
pub const JITTER: f64 = 0.2;

impl Backoff {
    /// The delay before the next attempt after `failed_attempts` (≥ 1) failures, with jitter
    /// drawn from `rng`; `retry_after` (the upstream's, already parsed) lengthens it, up to
    /// `max`: the result is `clamp(retry_after, computed, max)`.
    pub fn delay(
        &self,
        failed_attempts: u32,
        retry_after: Option<Duration>,
        rng: &mut impl Rng,
    ) -> Duration {
        let base = self.base(failed_attempts);
        let factor = rng.random_range((1.0 - JITTER)..=(1.0 + JITTER));
        let computed = base.mul_f64(factor).min(self.max);
        match retry_after {
            Some(wait) => wait.clamp(computed, self.max),
            None => computed,
        }
    }

    /// The delay before jitter: `min(max, initial · 2^(n−1))`.
    pub fn base(&self, failed_attempts: u32) -> Duration {
        let doublings = failed_attempts.saturating_sub(1).min(63);
        self.initial
            .checked_mul(1u32.checked_shl(doublings).unwrap_or(u32::MAX))
            .unwrap_or(self.max)
            .min(self.max)
    }
}

/// Parses a `Retry-After` value at `now`: whole seconds, or an HTTP-date (IMF-fixdate, e.g.
/// `Sun, 06 Nov 1994 08:49:37 GMT`; a date in the past means 0). `None` when unparseable.
pub fn parse_retry_after(value: &[u8], now: SystemTime) -> Option<Duration> {
    let text = std::str::from_utf8(value).ok()?.trim();
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return Some(Duration::from_secs(text.parse().unwrap_or(u64::MAX)));
    }
    let format = time::format_description::parse_borrowed::<2>(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT",
    )
    .expect("a valid format description");
    let date = time::PrimitiveDateTime::parse(text, &format)
        .ok()?
        .assume_utc();
    let at = SystemTime::from(date);
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    fn backoff() -> Backoff {
        Backoff {
            initial: Duration::from_secs(5),
            max: Duration::from_secs(3600),
        }
    }

    #[test]
    fn base_doubles_up_to_the_cap() {
        let b = backoff();
        assert_eq!(b.base(1), Duration::from_secs(5));
        assert_eq!(b.base(2), Duration::from_secs(10));
        assert_eq!(b.base(5), Duration::from_secs(80));
        assert_eq!(b.base(11), Duration::from_secs(3600));
        assert_eq!(b.base(u32::MAX), Duration::from_secs(3600));
    }

    #[test]
    fn jitter_stays_within_twenty_percent_and_varies() {
        let b = backoff();
        let mut rng = StdRng::seed_from_u64(7);
        let delays: Vec<Duration> = (0..200).map(|_| b.delay(3, None, &mut rng)).collect();
        for d in &delays {
            assert!(
                *d >= Duration::from_secs(16) && *d <= Duration::from_secs(24),
                "{d:?}"
            );
        }
        let distinct: std::collections::HashSet<_> = delays.iter().collect();
        assert!(distinct.len() > 100, "jitter must spread delays");
        // Jitter never pushes a capped delay past the cap.
        for _ in 0..100 {
            assert!(b.delay(30, None, &mut rng) <= b.max);
        }
    }

    #[test]
    fn retry_after_lengthens_the_delay_between_a_floor_and_a_ceiling() {
        let b = backoff();
        let mut rng = StdRng::seed_from_u64(1);
        assert_eq!(
            b.delay(1, Some(Duration::from_secs(42)), &mut rng),
            Duration::from_secs(42)
        );
        // Ceiling: backoff.max.
        assert_eq!(
            b.delay(1, Some(Duration::from_secs(86_400)), &mut rng),
            b.max
        );
        // Floor: the computed delay (5 s ±20% after one failure, 80 s ±20% after five), so
        // `Retry-After: 0` (or a past date) cannot shorten the schedule.
        for _ in 0..100 {
            let d = b.delay(1, Some(Duration::ZERO), &mut rng);
            assert!(
                d >= Duration::from_secs(4) && d <= Duration::from_secs(6),
                "{d:?}"
            );
            let d = b.delay(5, Some(Duration::from_secs(1)), &mut rng);
            assert!(d >= Duration::from_secs(64), "{d:?}");
        }
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777); // 1994-11-06 08:49:37
        assert_eq!(
            parse_retry_after(b"120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(parse_retry_after(b" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after(b"Sun, 06 Nov 1994 08:50:07 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after(b"Sun, 06 Nov 1994 08:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after(b"-5", now), None);
        assert_eq!(parse_retry_after(b"soon", now), None);
        assert_eq!(parse_retry_after(&[0xff], now), None);
    }
}
