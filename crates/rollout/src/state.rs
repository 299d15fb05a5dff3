//! The machine's persisted state: everything needed to continue after a controller restart.
//! Stored as JSON in `status.rollout.state`; the other `status.rollout` fields are derived
//! from it for people and printer columns.

use std::collections::BTreeMap;

use claude_env_api::{Color, RolloutPhase, RolloutStatus, StrategyType};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::action::FailureReason;

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RolloutState {
    pub phase: RolloutPhase,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The revision being rolled out, or the last one rolled out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    /// The revision serving before the rollout in flight (last known good): what an abort
    /// or rollback returns to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stable: Option<String>,
    /// Rejected by a failed rollout: not rolled out again until a new commit or a retry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_revision: Option<String>,
    /// Blue-green: the colour the active Service selects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_color: Option<Color>,
    /// The strategy of the rollout in flight (a spec change of strategy restarts it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<StrategyType>,
    /// The rollout in flight is a manual rollback (Immediate, no approval).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub manual: bool,
    #[serde(default)]
    pub stage: Stage,
    /// The last `approve` value a gate used: each human gate needs its own approval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consumed_approval: Option<String>,
    /// The last `retry` value acted on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handled_retry: Option<String>,
    /// The last `abort` value seen (each value acts once, on the rollout in flight then).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handled_abort: Option<String>,
    /// A rollback decided and not yet observed complete (for `rollback_duration_seconds`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restoring: Option<Restoring>,
}

/// Where the rollout in flight is.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Stage {
    /// Nothing in flight.
    #[default]
    Idle,
    /// Immediate with `approval.required`: nothing applied until approved.
    AwaitingApproval,
    /// Immediate: applied, health-gating.
    Applied { verify: Verification },
    /// Canary at `step` (== number of steps: all done, waiting for approval to promote).
    Canary {
        step: usize,
        weight: u32,
        entered_at: Timestamp,
        verify: Verification,
    },
    /// Canary promoted: the stable Deployments roll to the new revision.
    Promoting { verify: Verification },
    /// Blue-green: the new revision runs on the preview `color`, not serving.
    Preview { color: Color, verify: Verification },
    /// Blue-green: switched to `color`; the old colour is kept until `scaleDownDelay` has
    /// passed and post-promotion checks passed, so a failure is a selector flip back.
    Switched {
        color: Color,
        /// The colour serving before the switch (`None` on a first deploy).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        previous: Option<Color>,
        switched_at: Timestamp,
        verify: Verification,
    },
}

impl Stage {
    pub fn in_flight(&self) -> bool {
        !matches!(self, Stage::Idle)
    }
}

/// Progress of one verification (readiness, then checks) of one step.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Verification {
    /// Start of the verification: the timeout runs from here.
    pub started_at: Timestamp,
    /// When the Deployment controller had first observed every new spec: the progress
    /// deadline runs from here (`readiness::Deadline`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_at: Option<Timestamp>,
    /// The furthest the rollout had come since `observed_at`, and when: the progress
    /// deadline restarts at each new best, as a Deployment's own does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress: Option<Progress>,
    /// When the new pods were first all Available.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub checks: BTreeMap<String, CheckCounters>,
    /// An inconclusive measurement waits for a human.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inconclusive: Option<Inconclusive>,
}

/// The best [`crate::readiness::progress`] of a verification and when it was reached.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Progress {
    pub best: i64,
    pub at: Timestamp,
}

/// The check an inconclusive measurement came from, and what it said.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Inconclusive {
    pub check: String,
    pub message: String,
}

impl Verification {
    pub fn new(now: Timestamp) -> Verification {
        Verification {
            started_at: now,
            observed_at: None,
            progress: None,
            ready_at: None,
            checks: BTreeMap::new(),
            inconclusive: None,
        }
    }
}

/// Measurements of one check within one verification.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct CheckCounters {
    #[serde(default)]
    pub passed: u32,
    #[serde(default)]
    pub failed: u32,
    #[serde(default)]
    pub consecutive_errors: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_at: Option<Timestamp>,
}

/// What a rollback restores, and since when.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Restoring {
    pub reason: FailureReason,
    pub started_at: Timestamp,
    pub revision: String,
    /// The Deployments that must be Available again: the stable ones, or a colour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<Color>,
}

impl RolloutState {
    /// The state persisted in `status`, or — for a status written before the machine
    /// existed, or an unreadable one — the best reconstruction from its plain fields
    /// (nothing in flight: an interrupted rollout starts over, it is never skipped).
    pub fn from_status(status: Option<&RolloutStatus>) -> RolloutState {
        let Some(status) = status else {
            return RolloutState::default();
        };
        if let Some(state) = status
            .state
            .as_ref()
            .and_then(|v| serde_json::from_value::<RolloutState>(v.clone()).ok())
        {
            return state;
        }
        RolloutState {
            phase: match status.phase {
                RolloutPhase::Progressing | RolloutPhase::Paused | RolloutPhase::Promoting => {
                    RolloutPhase::Idle
                }
                p => p,
            },
            message: status.message.clone(),
            revision: status.revision.clone(),
            stable: status.stable_revision.clone(),
            failed_revision: status.failed_revision.clone(),
            active_color: status.active_color,
            ..RolloutState::default()
        }
    }

    /// `status.rollout` for this state.
    pub fn to_status(&self) -> RolloutStatus {
        let (step, weight) = match &self.stage {
            Stage::Canary { step, weight, .. } => (Some(*step as i32), Some(*weight as i32)),
            _ => (None, None),
        };
        RolloutStatus {
            phase: self.phase,
            step,
            weight,
            active_color: self.active_color,
            revision: self.revision.clone(),
            stable_revision: self.stable.clone(),
            message: self.message.clone(),
            failed_revision: self.failed_revision.clone(),
            // Read from Git by the controller, not part of the machine's state.
            author: None,
            state: Some(serde_json::to_value(self).expect("state serializes")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn round_trips_through_status() {
        let mut verify = Verification::new(t("2026-11-21T10:00:00Z"));
        verify.checks.insert(
            "errors".into(),
            CheckCounters {
                passed: 2,
                failed: 1,
                consecutive_errors: 0,
                requested_at: Some(t("2026-11-21T10:00:30Z")),
            },
        );
        let state = RolloutState {
            phase: RolloutPhase::Progressing,
            revision: Some("b".into()),
            stable: Some("a".into()),
            strategy: Some(StrategyType::Canary),
            stage: Stage::Canary {
                step: 2,
                weight: 40,
                entered_at: t("2026-11-21T10:00:00Z"),
                verify,
            },
            ..RolloutState::default()
        };
        let status = state.to_status();
        assert_eq!(status.step, Some(2));
        assert_eq!(status.weight, Some(40));
        assert_eq!(status.stable_revision.as_deref(), Some("a"));
        // Through JSON, as the API server stores it.
        let json = serde_json::to_string(&status).unwrap();
        let back: RolloutStatus = serde_json::from_str(&json).unwrap();
        assert_eq!(RolloutState::from_status(Some(&back)), state);
    }

    #[test]
    fn status_without_state_keeps_revisions_and_drops_the_flight() {
        let status = RolloutStatus {
            phase: RolloutPhase::Progressing,
            revision: Some("b".into()),
            stable_revision: Some("a".into()),
            failed_revision: Some("x".into()),
            ..RolloutStatus::default()
        };
        let s = RolloutState::from_status(Some(&status));
        assert_eq!(s.stage, Stage::Idle);
        assert_eq!(s.phase, RolloutPhase::Idle);
        assert_eq!(s.stable.as_deref(), Some("a"));
        assert_eq!(s.failed_revision.as_deref(), Some("x"));
    }

    #[test]
    fn unreadable_state_falls_back_to_plain_fields() {
        let status = RolloutStatus {
            phase: RolloutPhase::Succeeded,
            stable_revision: Some("a".into()),
            state: Some(serde_json::json!({"stage": {"type": "warpDrive"}})),
            ..RolloutStatus::default()
        };
        let s = RolloutState::from_status(Some(&status));
        assert_eq!(s.phase, RolloutPhase::Succeeded);
        assert_eq!(s.stage, Stage::Idle);
    }
}
