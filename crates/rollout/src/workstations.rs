//! Workstations follow the rollout: which revision a workstation should hold for a rollout
//! state ([`assignment`]), and the cohort's doctor reports as a check of canary steps
//! ([`WorkstationGate`]).
//!
//! | stage | a workstation in bucket b holds |
//! |---|---|
//! | Idle (also after a rollback), AwaitingApproval, Preview | the stable revision |
//! | Canary at weight w | the new revision if b < w, else the stable one |
//! | Applied (Immediate), Promoting, Switched | the new revision |
//!
//! A first deploy has no stable revision: nothing is assigned until one is applied.

use claude_env_api::{Track, short_revision as short};

use crate::cohort::in_canary;
use crate::state::{RolloutState, Stage};

/// The revision a workstation should hold, and on which side of the rollout it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assignment {
    pub revision: String,
    pub track: Track,
}

/// What a workstation in `bucket` should hold in `state` (`None`: nothing applied yet).
pub fn assignment(state: &RolloutState, bucket: u8) -> Option<Assignment> {
    let stable = state.stable.clone();
    let new = state.revision.clone();
    let on =
        |revision: Option<String>, track| revision.map(|revision| Assignment { revision, track });
    match &state.stage {
        Stage::Idle => on(stable.or(new), Track::Stable),
        Stage::AwaitingApproval | Stage::Preview { .. } => on(stable, Track::Stable),
        Stage::Canary { weight, .. } if in_canary(bucket, *weight) => on(new, Track::Canary),
        Stage::Canary { .. } => on(stable, Track::Stable),
        Stage::Applied { .. } | Stage::Promoting { .. } | Stage::Switched { .. } => {
            on(new, Track::Canary)
        }
    }
}

/// `spec.healthChecks.workstations`, defaulted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WorkstationGate {
    /// Healthy reports on the new revision a `setWeight` step (weight > 0) waits for.
    pub min_healthy: u32,
    /// Failing reports on the new revision tolerated at any canary step.
    pub max_failing: u32,
}

impl Default for WorkstationGate {
    fn default() -> Self {
        WorkstationGate {
            min_healthy: 1,
            max_failing: 0,
        }
    }
}

/// One workstation's latest doctor report, as the controller passes it: records it has not
/// heard from recently (stale) are left out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkstationReport {
    /// The revision the workstation holds.
    pub revision: String,
    /// Its doctor passed on that revision.
    pub healthy: bool,
}

/// Healthy and failing reports on `revision`.
fn counts(reports: &[WorkstationReport], revision: &str) -> (u32, u32) {
    reports
        .iter()
        .filter(|r| r.revision == revision)
        .fold((0, 0), |(ok, bad), r| {
            if r.healthy {
                (ok + 1, bad)
            } else {
                (ok, bad + 1)
            }
        })
}

/// Why the cohort fails `revision`, when more than `max_failing` of it report failing.
pub(crate) fn failing(
    gate: &WorkstationGate,
    reports: &[WorkstationReport],
    revision: &str,
) -> Option<String> {
    let (_, bad) = counts(reports, revision);
    (bad > gate.max_failing).then(|| {
        format!(
            "{bad} workstation(s) report a failing doctor on {} (at most {} tolerated)",
            short(revision),
            gate.max_failing
        )
    })
}

/// What a step still waits for, while fewer than `min_healthy` report healthy.
pub(crate) fn waiting(
    gate: &WorkstationGate,
    reports: &[WorkstationReport],
    revision: &str,
) -> Option<String> {
    let (ok, _) = counts(reports, revision);
    (ok < gate.min_healthy).then(|| {
        format!(
            "waiting for healthy workstation reports on {}: {ok} of {}",
            short(revision),
            gate.min_healthy
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Verification;
    use claude_env_api::RolloutPhase;
    use jiff::Timestamp;

    fn state(stage: Stage) -> RolloutState {
        RolloutState {
            phase: RolloutPhase::Progressing,
            revision: Some("new".into()),
            stable: Some("old".into()),
            stage,
            ..RolloutState::default()
        }
    }

    fn canary(weight: u32) -> Stage {
        Stage::Canary {
            step: 0,
            weight,
            entered_at: Timestamp::UNIX_EPOCH,
            verify: Verification::new(Timestamp::UNIX_EPOCH),
        }
    }

    fn held(s: &RolloutState, bucket: u8) -> Option<(String, Track)> {
        assignment(s, bucket).map(|a| (a.revision, a.track))
    }

    #[test]
    fn a_canary_step_assigns_the_new_revision_below_its_weight_only() {
        let s = state(canary(25));
        assert_eq!(held(&s, 0), Some(("new".into(), Track::Canary)));
        assert_eq!(held(&s, 24), Some(("new".into(), Track::Canary)));
        assert_eq!(held(&s, 25), Some(("old".into(), Track::Stable)));
        assert_eq!(held(&s, 99), Some(("old".into(), Track::Stable)));
        assert_eq!(held(&state(canary(0)), 0).unwrap().0, "old");
    }

    #[test]
    fn waits_for_approval_and_previews_keep_everyone_on_stable() {
        for stage in [
            Stage::AwaitingApproval,
            Stage::Preview {
                color: claude_env_api::Color::Green,
                verify: Verification::new(Timestamp::UNIX_EPOCH),
            },
        ] {
            assert_eq!(held(&state(stage), 0), Some(("old".into(), Track::Stable)));
        }
    }

    #[test]
    fn once_applied_or_promoted_everyone_gets_the_new_revision() {
        let v = || Verification::new(Timestamp::UNIX_EPOCH);
        for stage in [
            Stage::Applied { verify: v() },
            Stage::Promoting { verify: v() },
        ] {
            assert_eq!(held(&state(stage), 99), Some(("new".into(), Track::Canary)));
        }
    }

    #[test]
    fn idle_holds_the_stable_revision_and_after_a_rollback_too() {
        let rolled_back = RolloutState {
            phase: RolloutPhase::RolledBack,
            failed_revision: Some("new".into()),
            ..state(Stage::Idle)
        };
        assert_eq!(held(&rolled_back, 0), Some(("old".into(), Track::Stable)));
        let first = RolloutState {
            stable: None,
            ..state(Stage::Idle)
        };
        assert_eq!(held(&first, 0).unwrap().0, "new");
        let nothing_yet = RolloutState {
            stable: None,
            ..state(Stage::AwaitingApproval)
        };
        assert_eq!(held(&nothing_yet, 0), None);
    }

    #[test]
    fn the_gate_counts_reports_on_the_revision_only() {
        let r = |revision: &str, healthy| WorkstationReport {
            revision: revision.into(),
            healthy,
        };
        let gate = WorkstationGate {
            min_healthy: 2,
            max_failing: 1,
        };
        let reports = [
            r("new", true),
            r("old", false),
            r("old", false),
            r("new", false),
        ];
        assert!(
            failing(&gate, &reports, "new").is_none(),
            "one failing is tolerated"
        );
        assert!(waiting(&gate, &reports, "new").unwrap().contains("1 of 2"));
        let more = [&reports[..], &[r("new", false), r("new", true)]].concat();
        assert!(
            failing(&gate, &more, "new")
                .unwrap()
                .contains("2 workstation(s)")
        );
        assert!(waiting(&gate, &more, "new").is_none());
    }
}
