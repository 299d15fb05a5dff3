//! Canary cohorts of workstations: which developers get a canary revision first.
//!
//! A workstation is in the canary at weight `w` iff its bucket is below `w`, so cohorts
//! only grow with the weight (a developer in the 10% cohort stays in it at 50%), and the
//! bucket depends on nothing but the environment and the user: the same developer is in
//! the same cohort on every laptop and every sync, and the CLI and the controller agree
//! without asking each other.

use sha2::{Digest, Sha256};

/// Buckets run `0..BUCKETS`: one per percent of weight.
pub const BUCKETS: u8 = 100;

/// The cohort bucket (`0..100`) of `user` for the ClaudeEnvironment `namespace/environment`:
/// a stable hash (SHA-256, first 8 bytes, modulo 100), the same on every platform and
/// release. The fields are length-prefixed, so no two inputs run together.
pub fn bucket(namespace: &str, environment: &str, user: &str) -> u8 {
    let mut h = Sha256::new();
    for field in [namespace, environment, user] {
        h.update((field.len() as u64).to_be_bytes());
        h.update(field.as_bytes());
    }
    let digest = h.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    (u64::from_be_bytes(first) % u64::from(BUCKETS)) as u8
}

/// Whether a workstation in `bucket` runs the canary at `weight` percent.
pub fn in_canary(bucket: u8, weight: u32) -> bool {
    u32::from(bucket) < weight
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_stable_values() {
        // Pinned: a change here moves developers between cohorts mid-rollout.
        let pinned = [
            bucket("team-a", "be-production", "alice"),
            bucket("team-a", "be-production", "bob"),
            bucket("team-b", "be-production", "alice"),
        ];
        assert_eq!(pinned, PINNED);
    }

    const PINNED: [u8; 3] = [16, 63, 33];

    #[test]
    fn fields_do_not_run_together() {
        assert_ne!(
            bucket("ab", "c", "user"),
            bucket("a", "bc", "user"),
            "length prefixes separate the fields"
        );
    }

    #[test]
    fn buckets_spread_over_the_range() {
        let mut counts = [0u32; 10];
        for i in 0..10_000 {
            let b = bucket("ns", "env", &format!("user-{i}"));
            assert!(b < BUCKETS);
            counts[usize::from(b / 10)] += 1;
        }
        // 1000 expected per decile; a stable hash keeps each well within ±20%.
        assert!(counts.iter().all(|c| (800..1200).contains(c)), "{counts:?}");
    }

    #[test]
    fn cohorts_only_grow_with_the_weight() {
        for i in 0..500 {
            let b = bucket("ns", "env", &format!("u{i}"));
            let member_at = |w| in_canary(b, w);
            for w in 0..100 {
                assert!(!member_at(w) || member_at(w + 1));
            }
            assert!(!member_at(0));
            assert!(member_at(100));
        }
    }
}
