//! The per-environment series that exist, by environment: deleting an environment removes
//! every one of them (the registry cannot remove by a partial label match), and a gauge
//! that only matters once it had a value (a drift class, a phase) gets a series only then.
//! Series cost memory here and at every scraper: at 1000 environments, series that were
//! always 0 were the largest part of the controller's heap.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

use crate::lock::LockExt;

/// A per-environment metric family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) enum Family {
    Sync,
    EnvironmentInfo,
    EnvironmentReady,
    DriftPercentage,
    DriftItems,
    DriftRemediations,
    Rollbacks,
    Changes,
    CanaryWeight,
    RolloutPhase,
    McpServerUp,
    Workstations,
}

/// One series: its family and all its label values, in the family's label order.
pub(super) type Series = (Family, Vec<String>);

type EnvKey = (String, String);

#[derive(Default)]
pub(super) struct Owned(Mutex<HashMap<EnvKey, BTreeSet<Series>>>);

impl Owned {
    /// Record that `series` exists for the environment; true when it is new.
    pub(super) fn insert(&self, env: &EnvKey, series: Series) -> bool {
        let mut all = self.0.locked();
        match all.get_mut(env) {
            Some(set) => set.insert(series),
            None => {
                all.insert(env.clone(), BTreeSet::from([series]));
                true
            }
        }
    }

    pub(super) fn contains(&self, env: &EnvKey, series: &Series) -> bool {
        self.0.locked().get(env).is_some_and(|s| s.contains(series))
    }

    /// Remove and return the environment's series of `family` that `keep` rejects.
    pub(super) fn take_other(
        &self,
        env: &EnvKey,
        family: Family,
        keep: impl Fn(&[String]) -> bool,
    ) -> Vec<Series> {
        let mut all = self.0.locked();
        let Some(set) = all.get_mut(env) else {
            return Vec::new();
        };
        let gone: Vec<Series> = set
            .iter()
            .filter(|(f, values)| *f == family && !keep(values))
            .cloned()
            .collect();
        for s in &gone {
            set.remove(s);
        }
        gone
    }

    /// Forget the environment; returns every series it had.
    pub(super) fn take_all(&self, env: &EnvKey) -> Vec<Series> {
        self.0
            .locked()
            .remove(env)
            .map(|s| s.into_iter().collect())
            .unwrap_or_default()
    }
}
