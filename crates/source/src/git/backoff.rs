//! Requeue delays after failed fetches: exponential, capped, and deterministic so tests and
//! status messages can state the next retry exactly. Spreading many environments apart is
//! done by the caller's optional jitter fraction, not by hidden randomness.

use std::time::Duration;

/// `base · factor^(failures-1)`, capped at `max`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BackoffPolicy {
    pub base: Duration,
    pub factor: f64,
    pub max: Duration,
}

impl Default for BackoffPolicy {
    /// 5 s, 10 s, 20 s, … up to 5 minutes: quick recovery from a blip, and a down Git server
    /// is polled a dozen times an hour per URL rather than once a second.
    fn default() -> Self {
        BackoffPolicy {
            base: Duration::from_secs(5),
            factor: 2.0,
            max: Duration::from_secs(300),
        }
    }
}

impl BackoffPolicy {
    /// The delay before the next attempt after `failures` consecutive failures
    /// (0 failures → no delay).
    pub fn delay(&self, failures: u32) -> Duration {
        if failures == 0 {
            return Duration::ZERO;
        }
        let exp = i32::try_from(failures - 1).unwrap_or(i32::MAX);
        let secs = self.base.as_secs_f64() * self.factor.max(1.0).powi(exp);
        if !secs.is_finite() || secs >= self.max.as_secs_f64() {
            self.max
        } else {
            Duration::from_secs_f64(secs)
        }
    }

    /// [`delay`](Self::delay) stretched by up to `jitter` of itself (a fraction in `0..=1`,
    /// e.g. from the hash of the object's name), still never above `max`.
    pub fn delay_with_jitter(&self, failures: u32, jitter: f64) -> Duration {
        let delay = self.delay(failures);
        delay.mul_f64(1.0 + jitter.clamp(0.0, 1.0)).min(self.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_the_cap() {
        let p = BackoffPolicy::default();
        let secs: Vec<u64> = (0..10).map(|n| p.delay(n).as_secs()).collect();
        assert_eq!(secs, [0, 5, 10, 20, 40, 80, 160, 300, 300, 300]);
        assert_eq!(p.delay(u32::MAX), p.max);
    }

    #[test]
    fn jitter_is_bounded_and_deterministic() {
        let p = BackoffPolicy::default();
        assert_eq!(p.delay_with_jitter(2, 0.5), Duration::from_secs(15));
        assert_eq!(p.delay_with_jitter(2, 7.0), Duration::from_secs(20));
        assert_eq!(p.delay_with_jitter(9, 1.0), p.max);
        assert_eq!(p.delay_with_jitter(0, 1.0), Duration::ZERO);
    }

    #[test]
    fn a_factor_below_one_does_not_shrink_delays() {
        let p = BackoffPolicy {
            factor: 0.5,
            ..BackoffPolicy::default()
        };
        assert_eq!(p.delay(4), p.base);
    }
}
