//! What the history records for one reconcile (pure): the rollouts the machine finished,
//! and a manual rollback.

use claude_env_api::{HistoryResult, short_revision};
use claude_env_rollout::{Action, RolloutResult, RolloutState};

use crate::decisions::target;

/// History entries for what the rollout machine finished, and for a manual rollback.
pub(crate) fn of(
    effects: &[Action],
    state: &RolloutState,
    rollback: Option<&target::Rollback>,
    target: &str,
) -> Vec<(String, HistoryResult, Option<String>)> {
    let mut out = Vec::new();
    if let Some(rb) = rollback {
        let from = rb
            .rejected
            .as_deref()
            .map(|r| format!(" from {}", short_revision(r)))
            .unwrap_or_default();
        out.push((
            target.to_string(),
            HistoryResult::RolledBack,
            Some(format!("rolled back on request{from}")),
        ));
    }
    let revision = state.revision.clone().unwrap_or_else(|| target.to_string());
    for a in effects {
        if let Action::RecordRollout { result, .. } = a {
            let entry = match result {
                RolloutResult::Success => (revision.clone(), HistoryResult::Succeeded, None),
                RolloutResult::RolledBack => (
                    revision.clone(),
                    HistoryResult::RolledBack,
                    state.message.clone(),
                ),
                RolloutResult::Failed => (
                    revision.clone(),
                    HistoryResult::Failed,
                    state.message.clone(),
                ),
                RolloutResult::Superseded => continue,
            };
            out.push(entry);
        }
    }
    out
}
