//! What a sync must do, decided from hashes alone: a pure function of the desired files, the
//! files as we last wrote them (state.json) and the files on disk now.
//!
//! The rule that matters: a managed file whose content is neither what we last wrote nor what
//! is desired was changed by someone else, and we never overwrite that without `--force`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::Serialize;

/// Relative path → sha256 (hex).
pub type Hashes = BTreeMap<String, String>;

/// What happens to one path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Write a file that does not exist.
    Create,
    /// Replace an existing file.
    Update,
    /// Delete a managed file that is no longer rendered.
    Remove,
    /// Already as desired; nothing to write.
    Keep,
    /// No longer rendered and already gone: just stop managing it.
    Forget,
}

impl Action {
    /// Whether the file on disk changes.
    pub fn writes(self) -> bool {
        matches!(self, Action::Create | Action::Update | Action::Remove)
    }
}

/// Why a path cannot be changed safely.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Conflict {
    /// A managed file was edited since we wrote it.
    ModifiedLocally,
    /// A managed file was deleted since we wrote it.
    DeletedLocally,
    /// A file we never wrote is in the way (e.g. a hand-written settings.json).
    Unmanaged,
    /// No longer rendered, but edited since we wrote it.
    ModifiedLocallyRemovedUpstream,
}

impl fmt::Display for Conflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Conflict::ModifiedLocally => "modified locally",
            Conflict::DeletedLocally => "deleted locally",
            Conflict::Unmanaged => "exists and was not written by claude-env",
            Conflict::ModifiedLocallyRemovedUpstream => {
                "modified locally, and no longer in the repository"
            }
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Step {
    pub path: String,
    pub action: Action,
    /// Set when `--force` overrode this conflict.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub forced: Option<Conflict>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// One per path in desired ∪ managed, in path order; empty when there are conflicts.
    pub steps: Vec<Step>,
    /// Unforced conflicts, in path order. Any conflict blocks the whole sync: a half-applied
    /// environment (new settings, old MCP servers) is worse than none.
    pub conflicts: Vec<(String, Conflict)>,
}

impl Plan {
    pub fn has_conflicts(&self) -> bool {
        !self.conflicts.is_empty()
    }

    /// Steps that change a file on disk.
    pub fn writes(&self) -> impl Iterator<Item = &Step> {
        self.steps.iter().filter(|s| s.action.writes())
    }
}

/// Decide every path. `current` holds the on-disk hash of every path in `desired ∪ managed`
/// that exists.
pub fn plan(desired: &Hashes, managed: &Hashes, current: &Hashes, force: bool) -> Plan {
    let paths: BTreeSet<&String> = desired.keys().chain(managed.keys()).collect();
    let mut out = Plan::default();
    for path in paths {
        let (d, l, c) = (desired.get(path), managed.get(path), current.get(path));
        let (action, conflict) = decide(d, l, c);
        match conflict {
            Some(kind) if !force => out.conflicts.push((path.clone(), kind)),
            forced => out.steps.push(Step {
                path: path.clone(),
                action,
                forced,
            }),
        }
    }
    if out.has_conflicts() {
        out.steps.clear();
    }
    out
}

/// The action for one path, and the conflict that must be forced to take it.
fn decide(
    desired: Option<&String>,
    last: Option<&String>,
    current: Option<&String>,
) -> (Action, Option<Conflict>) {
    use Action::*;
    match (desired, last, current) {
        (Some(_), None, None) => (Create, None),
        (Some(_), Some(_), None) => (Create, Some(Conflict::DeletedLocally)),
        // Already as desired, whoever wrote it: adopt it, nothing is lost.
        (Some(d), _, Some(c)) if c == d => (Keep, None),
        (Some(_), None, Some(_)) => (Update, Some(Conflict::Unmanaged)),
        (Some(_), Some(l), Some(c)) if c == l => (Update, None),
        (Some(_), Some(_), Some(_)) => (Update, Some(Conflict::ModifiedLocally)),
        (None, Some(_), None) => (Forget, None),
        (None, Some(l), Some(c)) if c == l => (Remove, None),
        (None, Some(_), Some(_)) => (Remove, Some(Conflict::ModifiedLocallyRemovedUpstream)),
        // Not desired and not managed: `plan` never asks, and there is nothing to do.
        (None, None, _) => (Forget, None),
    }
}

/// How a managed file differs from what we last wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Drift {
    Modified,
    Missing,
}

/// Managed files that are not as we last wrote them, in path order.
pub fn local_drift(managed: &Hashes, current: &Hashes) -> Vec<(String, Drift)> {
    managed
        .iter()
        .filter_map(|(path, last)| match current.get(path) {
            None => Some((path.clone(), Drift::Missing)),
            Some(c) if c != last => Some((path.clone(), Drift::Modified)),
            Some(_) => None,
        })
        .collect()
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
