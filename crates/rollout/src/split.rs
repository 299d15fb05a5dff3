//! Canary weight as a replica ratio, the way Argo Rollouts splits without a service mesh:
//! consider canary = floor and ceil of T·w/100 for T = N and, with one surge pod, T = N+1;
//! pick the split whose canary share is closest to w. For 0 < w < 100 and more than one
//! pod neither side is zero: a "10%" canary of 2 pods is one canary pod, not none.

use serde::{Deserialize, Serialize};

/// Pods per side for one workload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Split {
    pub stable: u32,
    pub canary: u32,
}

impl Split {
    pub fn total(self) -> u32 {
        self.stable + self.canary
    }
}

/// The split of `total` replicas that best matches `weight` percent (clamped to 0..=100).
pub fn canary_split(total: u32, weight: u32) -> Split {
    let w = weight.min(100);
    if w == 0 || total == 0 {
        return Split {
            stable: total,
            canary: 0,
        };
    }
    if w == 100 {
        return Split {
            stable: 0,
            canary: total,
        };
    }
    let mut best: Option<(u64, Split)> = None;
    // Without surge first: on a tie the split that needs no extra pod wins.
    for t in [total, total + 1] {
        let exact = u64::from(t) * u64::from(w);
        for canary in [exact / 100, exact.div_ceil(100)] {
            let canary = canary as u32;
            let stable = t - canary;
            if total > 1 && (canary == 0 || stable == 0) {
                continue;
            }
            // Neither side may exceed the workload's own size: surge adds one pod in all.
            if canary > total || stable > total {
                continue;
            }
            let split = Split { stable, canary };
            let err = error_scaled(split, w);
            if best.is_none_or(|(e, _)| err < e) {
                best = Some((err, split));
            }
        }
    }
    best.map(|(_, s)| s).unwrap_or(Split {
        stable: total,
        canary: 0,
    })
}

/// |100·canary/T − w| in millionths of a point: integers, so ties are exact ties.
fn error_scaled(s: Split, w: u32) -> u64 {
    let t = u64::from(s.total());
    let num = (100 * u64::from(s.canary)).abs_diff(u64::from(w) * t);
    num * 1_000_000 / t
}

/// The share of canary pods in percent (what a replica split really delivers).
pub fn effective_weight(s: Split) -> f64 {
    if s.total() == 0 {
        0.0
    } else {
        100.0 * f64::from(s.canary) / f64::from(s.total())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn s(stable: u32, canary: u32) -> Split {
        Split { stable, canary }
    }

    #[test]
    fn zero_weight_is_all_stable() {
        assert_eq!(canary_split(5, 0), s(5, 0));
    }

    #[test]
    fn full_weight_is_all_canary() {
        assert_eq!(canary_split(5, 100), s(0, 5));
    }

    #[test]
    fn exact_ratios_are_exact() {
        assert_eq!(canary_split(10, 20), s(8, 2));
        assert_eq!(canary_split(4, 50), s(2, 2));
        assert_eq!(canary_split(4, 25), s(3, 1));
    }

    #[test]
    fn small_weight_of_two_pods_still_gets_a_canary_pod() {
        // 1 of 3 (33%) with a surge pod is closer to 10% than 1 of 2.
        assert_eq!(canary_split(2, 10), s(2, 1));
    }

    #[test]
    fn large_weight_of_two_pods_keeps_a_stable_pod() {
        assert_eq!(canary_split(2, 90), s(1, 2));
    }

    #[test]
    fn surge_pod_used_when_it_is_closer() {
        // 3 pods at 50%: 1/3 or 2/3 is off by 16.7 points; 2 of 4 is exact.
        assert_eq!(canary_split(3, 50), s(2, 2));
    }

    #[test]
    fn surge_only_when_it_is_closer() {
        // 5 pods at 30%: 1/5 (20%) and 2/5 (40%) are off by 10 points, 2/6 (33%) by 3.3.
        assert_eq!(canary_split(5, 30), s(4, 2));
        // 5 pods at 20% is exact without surge.
        assert_eq!(canary_split(5, 20), s(4, 1));
    }

    #[test]
    fn one_pod_takes_the_closest_whole_side() {
        assert_eq!(canary_split(1, 10), s(1, 0));
        assert_eq!(canary_split(1, 90), s(0, 1));
        // 50% of one pod: one of each (surge) is exact.
        assert_eq!(canary_split(1, 50), s(1, 1));
    }

    #[test]
    fn no_replicas_means_no_pods() {
        assert_eq!(canary_split(0, 50), s(0, 0));
    }

    #[test]
    fn weight_over_100_is_clamped() {
        assert_eq!(canary_split(3, 250), s(0, 3));
    }

    proptest! {
        #[test]
        fn total_is_n_or_one_surge_pod(n in 0u32..200, w in 0u32..=100) {
            let sp = canary_split(n, w);
            prop_assert!(sp.total() == n || sp.total() == n + 1, "{sp:?}");
            prop_assert!(sp.stable <= n && sp.canary <= n.max(1));
        }

        #[test]
        fn neither_side_is_zero_for_partial_weights(n in 2u32..200, w in 1u32..100) {
            let sp = canary_split(n, w);
            prop_assert!(sp.stable > 0 && sp.canary > 0, "{n} {w} {sp:?}");
        }

        #[test]
        fn no_candidate_is_closer(n in 2u32..200, w in 1u32..100) {
            let sp = canary_split(n, w);
            let err = (effective_weight(sp) - f64::from(w)).abs();
            for t in [n, n + 1] {
                for c in 1..t {
                    if c > n || t - c > n { continue; }
                    let e = (100.0 * f64::from(c) / f64::from(t) - f64::from(w)).abs();
                    prop_assert!(err <= e + 1e-9, "{sp:?} vs {c}/{t}");
                }
            }
        }
    }
}
