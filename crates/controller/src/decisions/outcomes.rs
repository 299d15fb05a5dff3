//! What the history records for one reconcile (pure): the rollouts the machine finished,
//! and a manual rollback — each with who caused it and why.

use claude_env_api::{CONTROLLER_ACTOR, HistoryResult, reason, short_revision};
use claude_env_rollout::{Action, FailureReason, RolloutResult, RolloutState};

use crate::decisions::actors::Actors;
use crate::decisions::target;

/// One history entry to record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Outcome {
    pub(crate) revision: String,
    pub(crate) result: HistoryResult,
    pub(crate) message: Option<String>,
    /// A user name, or `claude-env-controller`.
    pub(crate) actor: String,
    /// A stable PascalCase reason.
    pub(crate) reason: String,
}

/// History entries for what the rollout machine finished, and for a manual rollback.
pub(crate) fn of(
    effects: &[Action],
    state: &RolloutState,
    rollback: Option<&target::Rollback>,
    target: &str,
    actors: &Actors,
) -> Vec<Outcome> {
    let mut out = Vec::new();
    if let Some(rb) = rollback {
        let from = rb
            .rejected
            .as_deref()
            .map(|r| format!(" from {}", short_revision(r)))
            .unwrap_or_default();
        out.push(Outcome {
            revision: target.to_string(),
            result: HistoryResult::RolledBack,
            message: Some(format!("rolled back on request{from}")),
            actor: actors.rollback_requester.clone(),
            reason: reason::ROLLBACK_REQUESTED.to_string(),
        });
    }
    let revision = state.revision.clone().unwrap_or_else(|| target.to_string());
    let failure = failure_reason(effects, state);
    for a in effects {
        let Action::RecordRollout { result, .. } = a else {
            continue;
        };
        let (result, actor, why) = match result {
            RolloutResult::Success => (
                HistoryResult::Succeeded,
                success_actor(state, actors),
                reason::ROLLOUT_SUCCEEDED.to_string(),
            ),
            RolloutResult::RolledBack => (
                HistoryResult::RolledBack,
                CONTROLLER_ACTOR.to_string(),
                failure
                    .clone()
                    .unwrap_or_else(|| reason::ROLLED_BACK.into()),
            ),
            RolloutResult::Failed => (
                HistoryResult::Failed,
                CONTROLLER_ACTOR.to_string(),
                failure
                    .clone()
                    .unwrap_or_else(|| reason::ROLLOUT_FAILED.into()),
            ),
            RolloutResult::Superseded => continue,
        };
        let message = match result {
            HistoryResult::Succeeded => None,
            _ => state.message.clone(),
        };
        out.push(Outcome {
            revision: revision.clone(),
            result,
            message,
            actor,
            reason: why,
        });
    }
    out
}

/// Who a successful rollout is credited to: the rollback requester for a manual rollback,
/// the approver when a gate was opened, else the controller.
fn success_actor(state: &RolloutState, actors: &Actors) -> String {
    if state.manual {
        return actors.rollback_requester.clone();
    }
    match state.consumed_approval.as_deref() {
        Some(consumed)
            if state
                .revision
                .as_deref()
                .is_some_and(|r| claude_env_rollout::observe::names_revision(consumed, r)) =>
        {
            actors.approver_of(consumed).to_string()
        }
        _ => CONTROLLER_ACTOR.to_string(),
    }
}

/// Why the machine failed the rollout (`CrashLoop`, ...), when it says.
fn failure_reason(effects: &[Action], state: &RolloutState) -> Option<String> {
    effects
        .iter()
        .find_map(|a| match a {
            Action::RecordRollback { reason } => Some(*reason),
            _ => None,
        })
        .or(state.restoring.as_ref().map(|r| r.reason))
        .map(pascal)
}

fn pascal(r: FailureReason) -> String {
    format!("{r:?}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use claude_env_api::StrategyType;

    fn record(result: RolloutResult) -> Action {
        Action::RecordRollout {
            strategy: StrategyType::Canary,
            result,
        }
    }

    fn actors() -> Actors {
        Actors {
            approve: Some("r2@1".into()),
            approver: "alice".into(),
            rollback_requester: "bob".into(),
            retry_requester: "carol".into(),
        }
    }

    fn state(revision: &str) -> RolloutState {
        RolloutState {
            revision: Some(revision.into()),
            message: Some("canary step 1: pods crash-loop".into()),
            ..RolloutState::default()
        }
    }

    #[test]
    fn an_automatic_rollback_is_the_controllers_with_the_failure_as_reason() {
        let effects = [
            Action::RecordRollback {
                reason: FailureReason::CrashLoop,
            },
            record(RolloutResult::RolledBack),
        ];
        let out = of(&effects, &state("r2"), None, "r2", &actors());
        assert_eq!(
            out,
            [Outcome {
                revision: "r2".into(),
                result: HistoryResult::RolledBack,
                message: Some("canary step 1: pods crash-loop".into()),
                actor: "claude-env-controller".into(),
                reason: "CrashLoop".into(),
            }]
        );
    }

    #[test]
    fn a_manual_rollback_names_its_requester() {
        let rb = target::Rollback {
            annotation: "r1@t".into(),
            rejected: Some("r2".into()),
        };
        let mut s = state("r1");
        s.manual = true;
        let out = of(
            &[record(RolloutResult::Success)],
            &s,
            Some(&rb),
            "r1",
            &actors(),
        );
        assert_eq!(out[0].result, HistoryResult::RolledBack);
        assert_eq!(out[0].actor, "bob");
        assert_eq!(out[0].reason, "RollbackRequested");
        assert_eq!(
            out[0].message.as_deref(),
            Some("rolled back on request from r2")
        );
        assert_eq!(
            (out[1].result, out[1].actor.as_str()),
            (HistoryResult::Succeeded, "bob")
        );
    }

    #[test]
    fn an_approved_rollout_is_credited_to_its_approver() {
        let mut s = state("r2");
        s.consumed_approval = Some("r2@1".into());
        let out = of(&[record(RolloutResult::Success)], &s, None, "r2", &actors());
        assert_eq!(out[0].actor, "alice");
        assert_eq!(out[0].reason, "RolloutSucceeded");
        assert_eq!(out[0].message, None);
        // No gate: the controller's own doing.
        let out = of(
            &[record(RolloutResult::Success)],
            &state("r3"),
            None,
            "r3",
            &actors(),
        );
        assert_eq!(out[0].actor, "claude-env-controller");
    }

    #[test]
    fn a_failure_with_nothing_to_restore_and_a_superseded_rollout() {
        let out = of(
            &[
                record(RolloutResult::Superseded),
                record(RolloutResult::Failed),
            ],
            &state("r1"),
            None,
            "r1",
            &actors(),
        );
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].result, HistoryResult::Failed);
        assert_eq!(out[0].reason, "RolloutFailed");
    }
}
