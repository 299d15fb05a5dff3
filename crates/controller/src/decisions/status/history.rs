//! `status.history`: one entry per (revision, result) transition, newest first, at most the
//! configured number (`--history-limit`).

use claude_env_api::HistoryEntry;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use crate::decisions::outcomes::Outcome;

/// Record an outcome, unless the same revision and result is already the newest entry.
pub(super) fn record(history: &mut Vec<HistoryEntry>, outcome: &Outcome, now: &Time, limit: usize) {
    if history
        .first()
        .is_some_and(|h| h.revision == outcome.revision && h.result == outcome.result)
    {
        return;
    }
    history.insert(
        0,
        HistoryEntry {
            revision: outcome.revision.clone(),
            time: now.clone(),
            result: outcome.result,
            message: outcome.message.clone(),
            actor: Some(outcome.actor.clone()),
            reason: Some(outcome.reason.clone()),
        },
    );
    history.truncate(limit.max(1));
}
