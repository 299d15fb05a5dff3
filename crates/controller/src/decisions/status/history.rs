//! `status.history`: one entry per (revision, result) transition, newest first.

use claude_env_api::{HISTORY_LIMIT, HistoryEntry, HistoryResult};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

/// Record that `revision` reached `result`, unless that is already the newest entry.
pub(super) fn record(
    history: &mut Vec<HistoryEntry>,
    revision: &str,
    result: HistoryResult,
    message: Option<&String>,
    now: &Time,
) {
    if history
        .first()
        .is_some_and(|h| h.revision == revision && h.result == result)
    {
        return;
    }
    history.insert(
        0,
        HistoryEntry {
            revision: revision.to_string(),
            time: now.clone(),
            result,
            message: message.cloned(),
        },
    );
    history.truncate(HISTORY_LIMIT);
}
