//! What the controller observed before a decision: the revisions in play, the steering
//! annotations, the workloads' readiness per role, and check results.

use std::collections::BTreeMap;

use claude_env_api::Color;
use jiff::Timestamp;

/// Which Deployment of a server a readiness observation is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// `<instance>-<server>`: the Deployment that serves the stable revision (Immediate and
    /// Canary).
    Stable,
    /// `<instance>-<server>-canary`.
    Canary,
    /// `<instance>-<server>-blue` / `-green`.
    Color(Color),
}

impl Role {
    fn rank(self) -> u8 {
        match self {
            Role::Stable => 0,
            Role::Canary => 1,
            Role::Color(Color::Blue) => 2,
            Role::Color(Color::Green) => 3,
        }
    }
}

// `Color` (an API type) has no order; roles need one to key ordered maps.
impl Ord for Role {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.rank().cmp(&other.rank())
    }
}

impl PartialOrd for Role {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// One Deployment's status, reduced to what decisions need.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Readiness {
    /// `spec.replicas` as observed (a stale cache still shows the old value).
    pub replicas: u32,
    /// `status.updatedReplicas`.
    pub updated: u32,
    /// `status.availableReplicas`.
    pub available: u32,
    /// `status.replicas` (old and new pods).
    pub total: u32,
    /// `status.observedGeneration >= metadata.generation`: the status is about the spec we
    /// applied, not an older one.
    pub current: bool,
    /// Condition Progressing=False, reason ProgressDeadlineExceeded.
    pub deadline_exceeded: bool,
    /// A pod of the current ReplicaSet is in CrashLoopBackOff or Failed.
    pub crash_looping: bool,
}

/// Result of one check measurement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    Pass,
    Fail,
    /// The check ran but says nothing (empty Prometheus result, NaN).
    Inconclusive,
    /// The check could not run (connection refused, timeout, bad response).
    Error,
}

impl Outcome {
    /// The `result` label of `health_check_total`.
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Pass => "success",
            Outcome::Fail => "failure",
            Outcome::Inconclusive => "inconclusive",
            Outcome::Error => "error",
        }
    }
}

/// One measurement the controller made after a [`crate::Action::RunChecks`].
#[derive(Clone, Debug, PartialEq)]
pub struct CheckResult {
    pub name: String,
    /// The revision the checks were run for (results for another revision are ignored).
    pub revision: String,
    pub outcome: Outcome,
    pub at: Timestamp,
    /// Human-readable detail for status and events (never a label).
    pub message: String,
}

/// Everything one decision looks at besides the persisted state.
#[derive(Clone, Debug, PartialEq)]
pub struct Observations {
    pub now: Timestamp,
    /// The revision the controller wants to run (the branch tip, or a rollback target).
    pub desired: String,
    /// `status.lastKnownGoodRevision`: seeds the stable revision when the state has none
    /// (an environment reconciled before the rollout machine existed).
    pub last_known_good: Option<String>,
    /// `claude-env.io/approve`: `<revision>[@<nonce>]`.
    pub approval: Option<String>,
    /// `claude-env.io/retry`: `<revision>[@<nonce>]`.
    pub retry: Option<String>,
    /// `claude-env.io/abort`: `<revision>[@<nonce>]`.
    pub abort: Option<String>,
    /// A manual `rollback-to` is being acted on: roll `desired` out at once, no steps and no
    /// approval (the point of a manual rollback is speed).
    pub manual_rollback: bool,
    /// Desired replicas per deployed MCP server, from the rendered desired state.
    pub servers: BTreeMap<String, u32>,
    /// Live readiness per (server, role). A missing entry is "not observed yet".
    pub readiness: BTreeMap<(String, Role), Readiness>,
    /// Measurements made since the last decision.
    pub results: Vec<CheckResult>,
    /// The latest doctor report of each workstation heard from recently.
    pub workstations: Vec<crate::workstations::WorkstationReport>,
}

impl Observations {
    /// Observations at `now` for `desired`, with nothing else known.
    pub fn new(now: Timestamp, desired: impl Into<String>) -> Observations {
        Observations {
            now,
            desired: desired.into(),
            last_known_good: None,
            approval: None,
            retry: None,
            abort: None,
            manual_rollback: false,
            servers: BTreeMap::new(),
            readiness: BTreeMap::new(),
            results: Vec::new(),
            workstations: Vec::new(),
        }
    }
}

/// The revision part of a `<revision>[@<nonce>]` annotation value.
pub fn annotation_revision(value: &str) -> &str {
    value.split('@').next().unwrap_or_default().trim()
}

/// Whether an annotation's revision names `revision`: the full SHA, or an unambiguous
/// abbreviation of at least 7 characters (what `git log --oneline` and users type).
pub fn names_revision(value: &str, revision: &str) -> bool {
    let r = annotation_revision(value);
    !r.is_empty() && (r == revision || (r.len() >= 7 && revision.starts_with(r)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const REV: &str = "0123456789abcdef0123456789abcdef01234567";

    #[test]
    fn full_revision_matches() {
        assert!(names_revision(REV, REV));
    }

    #[test]
    fn seven_char_prefix_matches_with_or_without_nonce() {
        assert!(names_revision("0123456", REV));
        assert!(names_revision("0123456@2026-11-21T10:00:00Z", REV));
    }

    #[test]
    fn short_prefix_does_not_match() {
        assert!(!names_revision("012345", REV));
    }

    #[test]
    fn other_revision_does_not_match() {
        assert!(!names_revision("1123456", REV));
        assert!(!names_revision("", REV));
        assert!(!names_revision("@x", REV));
    }
}
