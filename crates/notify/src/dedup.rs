//! One message per change. Status is written many times during a canary (every step, every
//! check); events are derived from what changed, and a change already told (same
//! environment, revision, kind and occurrence) is never told again — not after a
//! conflicting write is retried, not when a reconcile re-reads an older status.
//!
//! Bounded: the oldest keys are forgotten first, so memory stays flat however many
//! environments and revisions pass. After a controller restart a change may be told again.

use std::collections::{HashSet, VecDeque};

use crate::event::Key;

pub struct Recent {
    seen: HashSet<(String, Key)>,
    order: VecDeque<(String, Key)>,
    capacity: usize,
}

impl Recent {
    pub fn new(capacity: usize) -> Recent {
        Recent {
            seen: HashSet::new(),
            order: VecDeque::new(),
            capacity: capacity.max(1),
        }
    }

    /// True the first time `key` is offered for `destination` (a provider's
    /// `namespace/name`); remembered from then on.
    pub fn first_time(&mut self, destination: &str, key: &Key) -> bool {
        let entry = (destination.to_string(), key.clone());
        if self.seen.contains(&entry) {
            return false;
        }
        while self.order.len() >= self.capacity {
            if let Some(old) = self.order.pop_front() {
                self.seen.remove(&old);
            }
        }
        self.seen.insert(entry.clone());
        self.order.push_back(entry);
        true
    }

    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::fixtures::rolled_back;
    use claude_env_api::EventKind;

    #[test]
    fn a_change_is_told_once_per_destination() {
        let mut r = Recent::new(10);
        let key = rolled_back().key();
        assert!(r.first_time("ns/slack", &key));
        assert!(!r.first_time("ns/slack", &key));
        assert!(
            r.first_time("ns/teams", &key),
            "another provider gets it too"
        );
    }

    #[test]
    fn another_revision_kind_or_occurrence_is_another_change() {
        let mut r = Recent::new(10);
        let e = rolled_back();
        assert!(r.first_time("p", &e.key()));
        let mut other = e.clone();
        other.revision = "ffff".into();
        assert!(r.first_time("p", &other.key()));
        let mut kind = e.clone();
        kind.kind = EventKind::Stalled;
        assert!(r.first_time("p", &kind.key()));
        let mut gate = e;
        gate.occurrence = "step 2".into();
        assert!(r.first_time("p", &gate.key()));
    }

    #[test]
    fn memory_is_bounded_and_the_oldest_is_forgotten_first() {
        let mut r = Recent::new(3);
        let keys: Vec<Key> = (0..4)
            .map(|i| {
                let mut e = rolled_back();
                e.revision = format!("rev{i}");
                e.key()
            })
            .collect();
        for k in &keys {
            assert!(r.first_time("p", k));
        }
        assert_eq!(r.len(), 3);
        assert!(!r.first_time("p", &keys[3]), "recent keys are kept");
        assert!(r.first_time("p", &keys[0]), "the oldest was forgotten");
    }
}
